package loop

import (
	"context"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/menu"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/testkit/fakeclock"
	"picket.dev/picket/src/testkit/scanserve"
)

// TestScanProgressFromScanner: the progress scanner.sock reports for the
// running job (platformapi.JobProgress) reaches the panel Serve runs: on
// a ready box the idle screen is SCANNING with the share of the targets
// finished (107 of 254: 42%; then 200: 78%) over the phase and the count,
// with LED S1; SHOW STATUS's SCAN entry says the same; when the job ends
// S1 goes dark and NAME-IP is back.
func TestScanProgressFromScanner(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mem := newMemory(t)
	if err := mem.ReportPlatform(ctx, netapi.PlatformLink{State: netapi.LinkReady, Name: "pk_alice"}); err != nil {
		t.Fatal(err)
	}
	p, err := New(ctx, mem, &power{}, frame.LCD16x2(), "test", quiet())
	if err != nil {
		t.Fatal(err)
	}
	clk := fakeclock.New(t, time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC))
	job := func(done uint64) scanapi.State {
		return scanapi.State{Running: true, JobID: "job-7", MaxJobs: 1, Progress: &platformapi.JobProgress{
			Phase: "services", TargetsTotal: 254, TargetsDone: done, HostsUp: 31, OpenPorts: 90, PacketsSent: 123456}}
	}
	sc := scanserve.New(job(107))
	_, client := scanserve.Serve(t, sc, quiet())
	p.WatchScanner(client, clk)
	keys, waitFor, done := serveRecorded(t, ctx, p)
	// press sends a key and returns the frame drawn after it: no other
	// frame comes between, as the scanner is asked only when the fake
	// clock moves.
	press := func(k keyevent.Key) frame.Frame {
		t.Helper()
		select {
		case keys <- keyevent.Event{Key: k}:
		case <-time.After(fakeclock.Guard):
			t.Fatal("the loop took no key")
		}
		return waitFor("the frame after the key", func(frame.Frame) bool { return true })
	}
	scanning := func(pc, count string) func(frame.Frame) bool {
		return func(f frame.Frame) bool {
			return strings.HasPrefix(f.Line(0), "SCANNING "+pc+" ") && strings.TrimSpace(f.Line(1)) == "SERVICES "+count && f.LEDs().S1
		}
	}
	waitFor("SCANNING 42% over SERVICES 107/254, S1 lit", scanning("42%", "107/254"))
	sc.Set(job(200))
	clk.Advance(ScanPollEvery)
	waitFor("SCANNING 78% over SERVICES 200/254", scanning("78%", "200/254"))

	// RIGHT: the box's name and address follow, S1 still lit.
	if f := press(keyevent.Right); !strings.HasPrefix(f.Line(0), "pk_alice-") || !f.LEDs().S1 {
		t.Fatalf("RIGHT on the scan screen:\n%s", f)
	}
	// statusEntry walks SHOW STATUS from the main menu at it down to
	// the entry title and reads its value, scrolling with RIGHT.
	statusEntry := func(title string) string {
		t.Helper()
		f := press(keyevent.Enter)
		for i := 0; !strings.HasPrefix(f.Line(0), title+" "); i++ {
			if i > 30 {
				t.Fatalf("SHOW STATUS has no %s entry", title)
			}
			f = press(keyevent.Down)
		}
		var value []string
		for i := 0; ; i++ {
			value = append(value, strings.TrimSpace(f.Line(1)))
			right := false
			for c := 0; c < f.Geometry().Cols; c++ {
				right = right || f.Glyph(0, c) == frame.GlyphRight || f.Glyph(0, c) == frame.GlyphLeftRight
			}
			if !right || i > 10 {
				break
			}
			f = press(keyevent.Right)
		}
		press(keyevent.Enter) // back to the main menu, at SHOW STATUS
		return strings.Join(value, " ")
	}
	// The main menu, down to SHOW STATUS past SETUP NETWORK's items.
	for f, i := press(keyevent.Enter), 0; !strings.HasPrefix(f.Line(0), "SHOW STATUS"); f, i = press(keyevent.Down), i+1 {
		if i > 30 {
			t.Fatal("the main menu has no SHOW STATUS")
		}
	}
	if got, want := statusEntry("SCAN"), "RUNNING 78%, SERVICES, 200/254 HOSTS DONE, 31 HOSTS UP"; got != want {
		t.Errorf("SHOW STATUS SCAN says %q, want %q", got, want)
	}
	if got, want := statusEntry("PLATFORM"), "CONNECTED pk_alice"; got != want {
		t.Errorf("SHOW STATUS PLATFORM says %q, want %q", got, want)
	}
	// The job ends: S1 dark, SCAN IDLE.
	sc.Set(scanapi.State{MaxJobs: 1})
	clk.Advance(ScanPollEvery)
	waitFor("S1 dark", func(f frame.Frame) bool { return !f.LEDs().S1 })
	if got := statusEntry("SCAN"); got != "IDLE" {
		t.Errorf("SHOW STATUS SCAN after the job: %q, want IDLE", got)
	}
	cancel()
	<-done
}

// TestScanViewOf: each phase platformapi.JobProgress names maps to the
// menu's, an unknown one (a newer scanner) to none with the counts kept;
// progress reported without a running job, or by a scanner that does not
// answer, shows nothing.
func TestScanViewOf(t *testing.T) {
	now := time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
	for phase, want := range map[string]menu.ScanPhase{
		"resolving": menu.ScanPhaseResolving, "discovery": menu.ScanPhaseDiscovery, "portscan": menu.ScanPhasePortscan,
		"services": menu.ScanPhaseServices, "done": menu.ScanPhaseDone, "fingerprinting": menu.ScanPhaseUnknown,
	} {
		st := scanapi.State{Running: true, Progress: &platformapi.JobProgress{Phase: phase, TargetsTotal: 9, TargetsDone: 3, HostsUp: 2}}
		v := viewOf(st, nil, now)
		if w := (menu.ScanProgress{Phase: want, Done: 3, Total: 9, HostsUp: 2}); !v.running || v.progress != w {
			t.Errorf("phase %q: %+v, want running with %+v", phase, v, w)
		}
	}
	st := scanapi.State{Progress: &platformapi.JobProgress{Phase: "done", TargetsTotal: 9, TargetsDone: 9}}
	if v := viewOf(st, nil, now); v.running || v.progress != (menu.ScanProgress{}) {
		t.Errorf("no job running: %+v", v)
	}
	st.Running = true
	if v := viewOf(st, scanapi.ErrUnavailable, now); v != (scanView{}) {
		t.Errorf("scanner not answering: %+v", v)
	}
}
