package menu

import (
	"fmt"
	"strings"
	"testing"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// statusTitles lists SHOW STATUS's entry titles in order.
func statusTitles(t *testing.T, st State) []string {
	t.Helper()
	m := New(frame.LCD20x4(), st)
	openItem(t, m, "SHOW STATUS")
	var titles []string
	for i := 0; i < 40; i++ {
		f := m.Render()
		titles = append(titles, screenText(f))
		if navOf(f).Down {
			m.Handle(keyevent.Press(keyevent.Down))
			continue
		}
		return titles
	}
	t.Fatal("SHOW STATUS does not end")
	return nil
}

// TestUpdateInShowStatus: SHOW STATUS has an UPDATE entry, right after
// SOFTWARE, only while an updater reports (issue 15); without one the
// entries are those of a box without updates, in the same order. Its
// value names the update, what is being done and the progress.
func TestUpdateInShowStatus(t *testing.T) {
	without := dhcpState()
	without.Status.Software = "6.7.20-1"
	with := without
	with.Status.Update = UpdateState{Phase: UpdateIdle}
	a, b := statusTitles(t, without), statusTitles(t, with)
	if len(b) != len(a)+1 {
		t.Fatalf("with an updater %d entries, without %d: want one more", len(b), len(a))
	}
	for i, j := 0, 0; i < len(a); i, j = i+1, j+1 {
		if strings.HasPrefix(b[j], "UPDATE ") {
			if !strings.HasPrefix(a[i-1], "SOFTWARE ") {
				t.Errorf("UPDATE follows %q, want SOFTWARE", a[i-1])
			}
			j++
		}
		if a[i] != b[j] {
			t.Errorf("entry %d %q without an updater, %q with one", i, a[i], b[j])
		}
	}
	for _, e := range a {
		if strings.HasPrefix(e, "UPDATE ") {
			t.Errorf("without an updater SHOW STATUS has %q", e)
		}
	}

	var all strings.Builder
	for _, tc := range []struct {
		name string
		u    UpdateState
		want string
	}{
		{"idle", UpdateState{Phase: UpdateIdle}, "IDLE"},
		{"checking", UpdateState{Phase: UpdateChecking}, "CHECKING"},
		{"waiting", UpdateState{Phase: UpdateWaiting, Channel: UpdateSoftware, Version: "6.8.0-1"}, "SOFTWARE 6.8.0-1 WAITS FOR THE SCAN TO END"},
		{"downloading", UpdateState{Phase: UpdateDownloading, Percent: 42, Channel: UpdateSoftware, Version: "6.8.0-1"}, "SOFTWARE 6.8.0-1 DOWNLOADING 42%"},
		{"verifying signatures", UpdateState{Phase: UpdateVerifying, Percent: 7, Channel: UpdateSignatures, Version: "2.2.250-1"}, "SIGNATURES 2.2.250-1 VERIFYING 7%"},
		{"installing", UpdateState{Phase: UpdateInstalling, Percent: 100, Channel: UpdateSoftware, Version: "6.8.0-1"}, "SOFTWARE 6.8.0-1 INSTALLING 100%"},
		{"rebooting", UpdateState{Phase: UpdateRebooting, Percent: 100, Channel: UpdateSoftware, Version: "6.8.0-1"}, "SOFTWARE 6.8.0-1 REBOOTING"},
		{"trying", UpdateState{Phase: UpdateTrying}, "SOFTWARE ON TRIAL"},
		{"failed", UpdateState{Phase: UpdateFailed, Channel: UpdateSoftware, Version: "6.8.0-1", Error: "hash mismatch"}, "SOFTWARE 6.8.0-1 FAILED: hash mismatch"},
		{"percent out of range", UpdateState{Phase: UpdateDownloading, Percent: 250}, "DOWNLOADING 100%"},
	} {
		for _, geo := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
			st := with
			st.Status.Update = tc.u
			st.Status.UpdateRunning = tc.u.Phase >= UpdateDownloading && tc.u.Phase <= UpdateRebooting
			m := New(geo, st)
			f := statusEntryFrame(t, m, "UPDATE")
			// The value is wrapped under the title: read it back by
			// scrolling with RIGHT.
			var rows []string
			for i := 0; i < 10; i++ {
				for r := 1; r < geo.Rows; r++ {
					if l := strings.TrimSpace(f.Line(r)); l != "" {
						rows = append(rows, l)
					}
				}
				fmt.Fprintf(&all, "== %s, %v\n%s", tc.name, geo, f)
				if !navOf(f).Right {
					break
				}
				m.Handle(keyevent.Press(keyevent.Right))
				f = m.Render()
			}
			if got := strings.Join(rows, " "); got != tc.want {
				t.Errorf("%s on %v: UPDATE says %q, want %q", tc.name, geo, got, tc.want)
			}
			if !f.Fits(geo) {
				t.Errorf("%s on %v: frame does not fit:\n%s", tc.name, geo, f)
			}
			if s := strings.TrimSpace(statusEntryFrame(t, New(geo, st), "SOFTWARE").Line(1)); s != "6.7.20-1" {
				t.Errorf("%s: SOFTWARE says %q, want 6.7.20-1", tc.name, s)
			}
		}
	}
	golden(t, "update_status", all.String())
}

// TestUpdatingScreen: while an update is in hand the idle screen says
// UPDATING nn% (the updater's percentage) and LED S2 is lit, whatever the
// platform screen below; the menu opens with ENTER as usual; when the
// update is over, the platform screen is back and S2 dark.
func TestUpdatingScreen(t *testing.T) {
	for _, geo := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
		for _, platform := range []Platform{PlatformReady, PlatformCommFailure, PlatformConfigError, PlatformActivation, PlatformContacting} {
			st := dhcpState()
			st.Status.Platform = platform
			st.Status.Failure = Failure{Step: StepDNS, Reason: "DNS LOOKUP FAILED"}
			st.Status.UpdateRunning = true
			st.Status.Update = UpdateState{Phase: UpdateDownloading, Percent: 42, Channel: UpdateSoftware, Version: "6.8.0-1"}
			m := New(geo, st)
			f := m.Render()
			if !strings.HasPrefix(f.Line(0), "UPDATING 42% ") || !f.LEDs().S2 {
				t.Fatalf("%v platform %d: idle screen while downloading, want UPDATING 42%% and S2:\n%s", geo, platform, f)
			}
			if !f.Fits(geo) {
				t.Fatalf("frame does not fit:\n%s", f)
			}
			// RIGHT turns to the next idle page, the platform's screen
			// (a configuration error from its first line), LEFT comes
			// back; ENTER opens the menu.
			m.Handle(keyevent.Press(keyevent.Right))
			next := map[Platform]string{PlatformReady: "pk_jdoe-", PlatformCommFailure: "COMMUNICATION",
				PlatformConfigError: "CONFIG ERROR STEP: DNS", PlatformActivation: "ACTIVATION CODE", PlatformContacting: "CONTACTING"}[platform]
			if g := m.Render(); !strings.HasPrefix(screenText(g), next) || !g.LEDs().S2 {
				t.Fatalf("%v platform %d: RIGHT on UPDATING, want %s with S2:\n%s", geo, platform, next, g)
			}
			m.Handle(keyevent.Press(keyevent.Left))
			if g := m.Render(); g.String() != f.String() {
				t.Fatalf("RIGHT LEFT did not come back to the UPDATING screen:\n%s", g)
			}
			m.Handle(keyevent.Press(keyevent.Enter))
			if g := m.Render(); !strings.HasPrefix(g.Line(0), "SETUP NETWORK") || !g.LEDs().S2 {
				t.Fatalf("ENTER on UPDATING, want SETUP NETWORK with S2:\n%s", g)
			}
			// The update ends while the menu is open: S2 goes dark, and
			// EXIT THIS MENU shows the platform screen again.
			st.Status.UpdateRunning = false
			st.Status.Update = UpdateState{Phase: UpdateIdle}
			m.Update(st)
			if g := m.Render(); g.LEDs().S2 {
				t.Fatalf("S2 still lit after the update:\n%s", g)
			}
			m.Abandon()
			if g := m.Render(); strings.Contains(g.String(), "UPDATING") {
				t.Fatalf("idle screen after the update:\n%s", g)
			}
		}
	}
}

// TestNoticeOutlivesUpdateProgress: the follow-up message of a commit
// stays while only the updater's progress moves (it says nothing of the
// change), and gives way to the network manager's answer.
func TestNoticeOutlivesUpdateProgress(t *testing.T) {
	st := dhcpState()
	st.Status.UpdateRunning = true
	st.Status.Update = UpdateState{Phase: UpdateDownloading, Percent: 10, Channel: UpdateSoftware, Version: "6.8.0-1"}
	m := New(frame.LCD16x2(), st)
	_, reqs := transcript(t, m, "ENTER DOWN*2 ENTER ENTER") // RENEW DHCP ON LAN
	if len(reqs) != 1 || reqs[0].Action != ActionRenewLAN {
		t.Fatalf("requests %v", reqs)
	}
	if s := screenText(m.Render()); !strings.HasPrefix(s, "RENEWING DHCP") {
		t.Fatalf("after the commit: %q, want RENEWING DHCP ON LAN", s)
	}
	for _, pc := range []int{11, 40, 99} {
		st.Status.Update.Percent = pc
		m.Update(st)
		if s := screenText(m.Render()); !strings.HasPrefix(s, "RENEWING DHCP") {
			t.Fatalf("at %d%%: %q, want the notice still", pc, s)
		}
	}
	st.Status.LAN.Address = prefix("192.168.1.51/24") // the renewed lease
	m.Update(st)
	if s := screenText(m.Render()); !strings.HasPrefix(s, "UPDATING 99%") {
		t.Fatalf("after the manager's answer: %q, want UPDATING 99%%", s)
	}
}
