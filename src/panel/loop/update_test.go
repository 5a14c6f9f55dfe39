package loop

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/menu"
	"picket.dev/picket/src/testkit/fakeclock"
	"picket.dev/picket/src/update/updateapi"
)

// fakeUpdater is updater.sock's state as the test sets it.
type fakeUpdater struct {
	mu  sync.Mutex
	st  updateapi.State
	err error
}

func (f *fakeUpdater) State(context.Context) (updateapi.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st, f.err
}

func (f *fakeUpdater) set(st updateapi.State, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st, f.err = st, err
}

// errNoSocket is what a client says while updater.sock is absent.
var errNoSocket = errors.New("dial unix /run/picket/updater.sock: connect: no such file or directory")

// TestUpdateLightsS2: while updater.sock says an update is in hand, the
// panel Serve runs shows UPDATING nn% (the updater's percentage) with
// what is being done, and LED S2 is lit, also in the menu, which still
// opens; when the update waits for a scan, or the updater goes away, S2
// is dark again.
func TestUpdateLightsS2(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := New(ctx, newMemory(t), &power{}, frame.LCD16x2(), "6.7.20-1", quiet())
	if err != nil {
		t.Fatal(err)
	}
	clk := fakeclock.New(t, time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC))
	upd := &fakeUpdater{st: updateapi.State{Phase: updateapi.PhaseIdle, Software: "6.7.21-1", Slot: "a", Signatures: "none"}}
	p.WatchUpdater(upd, clk)
	keys, waitFor, done := serveRecorded(t, ctx, p)
	top := func(prefix string, s2 bool) func(frame.Frame) bool {
		return func(f frame.Frame) bool { return strings.HasPrefix(f.Line(0), prefix) && f.LEDs().S2 == s2 }
	}
	waitFor("the idle screen, S2 dark", top("CONTACTING", false))

	upd.set(updateapi.State{Phase: updateapi.PhaseDownloading, Percent: 42, Kind: platformapi.UpdateSoftware,
		Pending: "6.8.0-1", Software: "6.7.21-1", Slot: "a", Signatures: "none"}, nil)
	clk.Advance(UpdatePollEvery)
	f := waitFor("UPDATING 42% with S2", top("UPDATING 42% ", true))
	if got := strings.TrimSpace(f.Line(1)); got != "DOWNLOADING" {
		t.Errorf("UPDATING's second row %q, want DOWNLOADING", got)
	}
	upd.set(updateapi.State{Phase: updateapi.PhaseVerifying, Percent: 7, Kind: platformapi.UpdateSoftware,
		Pending: "6.8.0-1", Software: "6.7.21-1"}, nil)
	clk.Advance(UpdatePollEvery)
	f = waitFor("UPDATING 7% with S2", top("UPDATING 7% ", true))
	if got := strings.TrimSpace(f.Line(1)); got != "VERIFYING" {
		t.Errorf("UPDATING's second row %q, want VERIFYING", got)
	}
	// The menu opens during the update, S2 lit in it.
	select {
	case keys <- keyevent.Press(keyevent.Enter):
	case <-time.After(fakeclock.Guard):
		t.Fatal("the loop took no key")
	}
	waitFor("SETUP NETWORK with S2", top("SETUP NETWORK", true))
	// Waiting for a scan to end is no update in hand: S2 dark.
	upd.set(updateapi.State{Phase: updateapi.PhaseWaiting, Kind: platformapi.UpdateSoftware, Pending: "6.8.0-1", Software: "6.7.21-1"}, nil)
	clk.Advance(UpdatePollEvery)
	waitFor("SETUP NETWORK with S2 dark", top("SETUP NETWORK", false))
	upd.set(updateapi.State{Phase: updateapi.PhaseInstalling, Percent: 100, Kind: platformapi.UpdateSoftware, Pending: "6.8.0-1"}, nil)
	clk.Advance(UpdatePollEvery)
	waitFor("SETUP NETWORK with S2 lit", top("SETUP NETWORK", true))
	// updaterd goes away in the middle: nothing of updates is shown.
	upd.set(updateapi.State{}, errNoSocket)
	clk.Advance(UpdatePollEvery)
	waitFor("SETUP NETWORK with S2 dark", top("SETUP NETWORK", false))
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve = %v, want context.Canceled", err)
	}
}

// statusEntry walks SHOW STATUS from the idle screen to the entry titled
// title and returns its value, the rows below the title joined ("" when
// there is no such entry), then leaves the menu.
func statusEntry(t *testing.T, p *Panel, title string) string {
	t.Helper()
	ctx := context.Background()
	// SHOW STATUS: after SETUP NETWORK's seven items on a factory box.
	for _, ev := range script(t, "ENTER DOWN*8 ENTER") {
		p.Key(ctx, ev)
	}
	defer func() {
		for _, ev := range script(t, "DOWN*4 ENTER") { // from SHOW STATUS: EXIT THIS MENU
			p.Key(ctx, ev)
		}
		if f := p.Frame(); !strings.HasPrefix(f.Line(0), "CONTACTING") && !strings.HasPrefix(f.Line(0), "UPDATING") {
			t.Fatalf("not back on the idle screen:\n%s", f)
		}
	}()
	var last string
	for i := 0; i < 40; i++ {
		f := p.Frame()
		if strings.HasPrefix(f.Line(0), title+" ") {
			var rows []string
			for r := 1; r < f.Geometry().Rows; r++ {
				if l := strings.TrimSpace(f.Line(r)); l != "" {
					rows = append(rows, l)
				}
			}
			p.Key(ctx, keyevent.Press(keyevent.Enter)) // back to the main menu
			return strings.Join(rows, " ")
		}
		if i > 0 && f.String() == last {
			break // the last entry
		}
		last = f.String()
		p.Key(ctx, keyevent.Press(keyevent.Down))
	}
	p.Key(ctx, keyevent.Press(keyevent.Enter))
	return ""
}

// TestShowStatusFromUpdater: SHOW STATUS gives the running slot's version
// as the updater reads it and, after it, the update under way; when the
// updater does not answer, the build's version and no UPDATE entry.
func TestShowStatusFromUpdater(t *testing.T) {
	p, err := New(context.Background(), newMemory(t), &power{}, frame.LCD20x4(), "6.7.20-1", quiet())
	if err != nil {
		t.Fatal(err)
	}
	if v := statusEntry(t, p, "SOFTWARE"); v != "6.7.20-1" {
		t.Errorf("SOFTWARE before the updater answered %q, want the build's 6.7.20-1", v)
	}
	p.updateView(updateViewOf(updateapi.State{Phase: updateapi.PhaseDownloading, Percent: 42, Kind: platformapi.UpdateSignatures,
		Pending: "2.2.250-1", Software: "6.7.21-1", Slot: "b", Signatures: "2.2.245-2"}, nil))
	if v := statusEntry(t, p, "SOFTWARE"); v != "6.7.21-1" {
		t.Errorf("SOFTWARE %q, want the updater's 6.7.21-1", v)
	}
	if v := statusEntry(t, p, "UPDATE"); v != "SIGNATURES 2.2.250-1 DOWNLOADING 42%" {
		t.Errorf("UPDATE %q, want SIGNATURES 2.2.250-1 DOWNLOADING 42%%", v)
	}
	p.updateView(updateViewOf(updateapi.State{Phase: updateapi.PhaseFailed, Kind: platformapi.UpdateSoftware,
		Pending: "6.8.0-1", Software: "6.7.21-1", Error: "the image's hash does not match"}, nil))
	if v := statusEntry(t, p, "UPDATE"); v != "SOFTWARE 6.8.0-1 FAILED: the image's hash does not match" {
		t.Errorf("UPDATE %q after a failure", v)
	}
	p.updateView(updateViewOf(updateapi.State{}, errNoSocket))
	if v := statusEntry(t, p, "SOFTWARE"); v != "6.7.20-1" {
		t.Errorf("SOFTWARE without an updater %q, want the build's 6.7.20-1", v)
	}
	if v := statusEntry(t, p, "UPDATE"); v != "" {
		t.Errorf("without an updater SHOW STATUS has UPDATE %q", v)
	}
}

// TestUpdatePhases: every phase of updateapi has its own menu phase, and
// S2 follows updateapi's Busy.
func TestUpdatePhases(t *testing.T) {
	seen := map[menu.UpdatePhase]string{}
	for _, ph := range []string{updateapi.PhaseIdle, updateapi.PhaseChecking, updateapi.PhaseWaiting, updateapi.PhaseDownloading,
		updateapi.PhaseVerifying, updateapi.PhaseInstalling, updateapi.PhaseRebooting, updateapi.PhaseTrying, updateapi.PhaseFailed} {
		st := updateapi.State{Phase: ph}
		v := updateViewOf(st, nil)
		if other, ok := seen[v.update.Phase]; ok || v.update.Phase == menu.UpdateNone {
			t.Errorf("phase %q maps to %d, as %q does", ph, v.update.Phase, other)
		}
		seen[v.update.Phase] = ph
		if v.running != st.Busy() {
			t.Errorf("phase %q: running %v, Busy %v", ph, v.running, st.Busy())
		}
	}
	if v := updateViewOf(updateapi.State{Phase: "resharding"}, nil); v.update.Phase != menu.UpdateIdle || v.running {
		t.Errorf("an unknown phase reads as %+v, want idle", v)
	}
}

// TestNoUpdaterNothingChanges: a panel whose updater does not answer
// (updater.sock absent: updaterd is still a placeholder, or a development
// machine) shows what a panel without an updater shows.
func TestNoUpdaterNothingChanges(t *testing.T) {
	ctx := context.Background()
	without, err := New(ctx, newMemory(t), &power{}, frame.LCD16x2(), "6.7.20-1", quiet())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := updateViewOf(updateapi.State{Phase: updateapi.PhaseDownloading, Software: "9"}, errNoSocket), (updateView{}); got != want {
		t.Fatalf("view of an unreachable updater %+v, want the zero view", got)
	}
	with, err := New(ctx, newMemory(t), &power{}, frame.LCD16x2(), "6.7.20-1", quiet())
	if err != nil {
		t.Fatal(err)
	}
	with.updateView(updateViewOf(updateapi.State{}, errNoSocket))
	for _, ev := range script(t, "ENTER DOWN*8 ENTER DOWN*30") {
		without.Key(ctx, ev)
		with.Key(ctx, ev)
		if a, b := without.Frame().String(), with.Frame().String(); a != b {
			t.Fatalf("after %v:\nwithout an updater\n%s\nwith an absent one\n%s", ev, a, b)
		}
	}
}
