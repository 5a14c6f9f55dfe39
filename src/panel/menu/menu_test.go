package menu

import (
	"fmt"
	"strings"
	"testing"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// TestBackOut reaches every REALLY ...? prompt (and the intro prompts) and
// presses UP: nothing is requested and the screen is SETUP NETWORK (or,
// for reboot and shutdown, the item itself).
func TestBackOut(t *testing.T) {
	setup := "SETUP NETWORK"
	cases := []struct {
		name   string
		state  func() State
		keys   string
		prompt string
		back   string
	}{
		{"static lan intro", dhcpState, "ENTER DOWN*3 ENTER", "CFG LAN STATIC", setup},
		{"static lan", dhcpState, `ENTER DOWN*3 ENTER ENTER CLEAR "10.1.2.3" ENTER ENTER CLEAR "10.1.2.1" ENTER "10.1.2.2" ENTER ENTER ENTER ENTER ENTER`, "REALLY SET LAN", setup},
		{"enable dhcp lan", staticState, "ENTER DOWN*2 ENTER", "REALLY ENABLE", setup},
		{"renew dhcp lan", dhcpState, "ENTER DOWN*2 ENTER", "REALLY RENEW", setup},
		{"proxy intro", dhcpState, "ENTER DOWN*4 ENTER", "CONFIG PROXY", setup},
		{"proxy enable", dhcpState, "ENTER DOWN*4 ENTER ENTER ENTER ENTER ENTER ENTER", "REALLY ENABLE", setup},
		{"proxy change", staticState, "ENTER DOWN*4 ENTER ENTER ENTER ENTER ENTER ENTER", "REALLY ENABLE", setup},
		{"proxy disable", staticState, "ENTER DOWN*5 ENTER", "REALLY DISABLE", setup},
		{"wan dhcp", dhcpState, "ENTER DOWN*5 ENTER ENTER", "REALLY ENABLE", setup},
		{"wan static intro", dhcpState, "ENTER DOWN*5 ENTER DOWN ENTER", "CFG WAN STATIC", setup},
		{"wan static", dhcpState, `ENTER DOWN*5 ENTER DOWN ENTER ENTER "172.16.5.10" ENTER ENTER "172.16.5.1" ENTER "172.16.5.2" ENTER ENTER`, "REALLY SET WAN", setup},
		{"wan change", staticState, "ENTER DOWN*6 ENTER ENTER ENTER ENTER ENTER ENTER ENTER", "REALLY SET WAN", setup},
		{"wan disable", staticState, "ENTER DOWN*7 ENTER", "REALLY DISABLE", setup},
		{"lan link", staticState, "ENTER DOWN*8 ENTER RIGHT ENTER", "REALLY SET LAN", setup},
		{"wan link", staticState, "ENTER DOWN*8 ENTER DOWN RIGHT ENTER", "REALLY SET WAN", setup},
		{"reset all", staticState, "ENTER DOWN*9 ENTER", "REALLY RESET", setup},
		{"reset to ipv6", staticState, "ENTER DOWN*9 ENTER DOWN", "RESET TO IPv6", setup},
		{"reset to dual", v6State, "ENTER DOWN*6 ENTER DOWN", "RESET TO IPv4+v6", setup},
		{"ipv6 static", v6State, "ENTER DOWN*2 ENTER ENTER ENTER ENTER ENTER ENTER", "REALLY SETUP", setup},
		{"ipv6 auto", v6State, "ENTER DOWN*3 ENTER ENTER ENTER ENTER ENTER ENTER", "REALLY SETUP", setup},
		{"reboot", dhcpState, "ENTER DOWN*10 ENTER", "REALLY REBOOT", "SYSTEM REBOOT"},
		{"shutdown", dhcpState, "ENTER DOWN*11 ENTER", "REALLY", "SYSTEM SHUTDOWN"},
	}
	for _, geo := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%v/%s", geo, tc.name), func(t *testing.T) {
				m := New(geo, tc.state())
				_, reqs := transcript(t, m, tc.keys)
				if f := screenText(m.Render()); !strings.HasPrefix(f, tc.prompt) {
					t.Fatalf("not at the prompt %q:\n%s", tc.prompt, m.Render())
				}
				_, more := transcript(t, m, "UP")
				if len(reqs)+len(more) != 0 {
					t.Fatalf("requests made: %v %v", reqs, more)
				}
				if f := screenText(m.Render()); !strings.HasPrefix(f, tc.back) {
					t.Fatalf("UP went to\n%s\nwant %q", m.Render(), tc.back)
				}
			})
		}
	}
}

// screenText is the frame's text, rows joined with spaces, without the
// indicators.
func screenText(f frame.Frame) string {
	var rows []string
	for r := 0; r < f.Geometry().Rows; r++ {
		var b strings.Builder
		for c := 0; c < f.Geometry().Cols; c++ {
			if f.Glyph(r, c) == frame.NoGlyph {
				b.WriteRune(f.Text(r, c))
			}
		}
		rows = append(rows, strings.TrimSpace(b.String()))
	}
	return strings.Join(strings.Fields(strings.Join(rows, " ")), " ")
}

// TestIdleScreens renders every idle and status screen on both panels.
func TestIdleScreens(t *testing.T) {
	type scr struct {
		name string
		st   func(*Status)
		keys string
	}
	cases := []scr{
		{"welcome", func(s *Status) { s.Phase = PhaseWelcome }, ""},
		{"starting", func(s *Status) { s.Phase = PhaseStarting }, ""},
		{"fsck", func(s *Status) { s.Phase = PhaseFsck }, ""},
		{"coming up", func(s *Status) { s.Phase = PhaseComingUp }, "ENTER"},
		{"contacting", func(s *Status) { s.Platform = PlatformContacting }, ""},
		{"activation", func(s *Status) { s.Platform = PlatformActivation; s.ActivationCode = "K7QP-M2XD-9RTA" }, ""},
		{"ready, scan running", func(s *Status) { s.ScanRunning = true }, ""},
		{"updating software", func(s *Status) {
			s.UpdateRunning = true
			s.Update = UpdateState{Phase: UpdateDownloading, Percent: 42, Channel: UpdateSoftware, Version: "6.8.0-1"}
		}, ""},
		{"updating signatures, scan running", func(s *Status) {
			s.ScanRunning, s.UpdateRunning = true, true
			s.Update = UpdateState{Phase: UpdateVerifying, Percent: 100, Channel: UpdateSignatures, Version: "2.2.250-1"}
		}, ""},
		{"update waits for the scan", func(s *Status) {
			s.ScanRunning = true
			s.Update = UpdateState{Phase: UpdateWaiting, Channel: UpdateSoftware, Version: "6.8.0-1"}
		}, ""},
		{"ready long name", func(s *Status) { s.Name = "pk_averyveryverylongusername" }, ""},
		{"comm failure", func(s *Status) { s.Platform = PlatformCommFailure }, ""},
		{"config error", func(s *Status) {
			s.Platform = PlatformConfigError
			s.Failure = Failure{Step: StepProxy, Reason: "TLS INTERCEPTED BY PROXY: IT PRESENTS A CERTIFICATE THE BOX DOES NOT TRUST"}
		}, "RIGHT RIGHT RIGHT LEFT"},
		{"canceling", func(s *Status) { s.Canceling, s.ScanRunning = true, true }, ""},
		{"rebooting", func(s *Status) { s.Phase = PhaseRebooting }, "ENTER"},
		{"shutting down", func(s *Status) { s.Phase = PhaseShuttingDown }, ""},
		{"halted", func(s *Status) { s.Phase = PhaseHalted }, ""},
	}
	var all strings.Builder
	for _, geo := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
		for _, tc := range cases {
			st := dhcpState()
			tc.st(&st.Status)
			m := New(geo, st)
			got, reqs := transcript(t, m, tc.keys)
			if len(reqs) > 0 {
				t.Errorf("%s: requests %v", tc.name, reqs)
			}
			fmt.Fprintf(&all, "#### %v %s\n%s", geo, tc.name, got)
		}
	}
	golden(t, "idle_screens", all.String())
}

// TestFollowUps checks the screens after a commit and how they go away.
func TestFollowUps(t *testing.T) {
	st := dhcpState()
	st.Status.ScanRunning = true
	m := New(frame.LCD16x2(), st)
	out1, reqs := transcript(t, m, "ENTER DOWN*2 ENTER ENTER")
	if len(reqs) != 1 || reqs[0].Action != ActionRenewLAN {
		t.Fatalf("requests %v", reqs)
	}
	// The daemons report the scan canceled: the notice gives way.
	st.Status.ScanRunning = false
	st.Status.Platform = PlatformContacting
	m.Update(st)
	out2, _ := transcript(t, m, "")
	// TEST CONNECTIVITY: running, then failed at DNS.
	out3, reqs := transcript(t, m, "ENTER DOWN*9 ENTER")
	if len(reqs) != 1 || reqs[0].Action != ActionTest {
		t.Fatalf("requests %v", reqs)
	}
	st.Status.Test = TestReport{State: TestRunning}
	m.Update(st)
	out4, _ := transcript(t, m, "")
	st.Status.Test = TestReport{State: TestFailed, Failure: Failure{Step: StepDNS, Reason: "DNS LOOKUP FAILED"}}
	m.Update(st)
	out5, _ := transcript(t, m, "RIGHT RIGHT LEFT ENTER")
	// Shutdown, then init reports the box halted.
	out6, reqs := transcript(t, m, "DOWN*2 ENTER ENTER")
	if len(reqs) != 1 || reqs[0].Action != ActionShutdown {
		t.Fatalf("requests %v", reqs)
	}
	st.Status.Phase = PhaseHalted
	m.Update(st)
	out7, _ := transcript(t, m, "ENTER")
	// A reboot that init refuses: the menu says so and comes back.
	m = New(frame.LCD16x2(), dhcpState())
	out8, _ := transcript(t, m, "ENTER DOWN*10 ENTER ENTER")
	m.Failed("INIT NOT REACHABLE")
	out9, _ := transcript(t, m, "ENTER ENTER")
	golden(t, "follow_ups", strings.Join([]string{out1, "== Update: scan canceled", out2, out3, "== Update: test running", out4,
		"== Update: test failed", out5, out6, "== Update: halted", out7, out8, "== Failed", out9}, "\n"))
}

// TestItemNames checks the state-dependent names and hidden items of
// SETUP NETWORK.
func TestItemNames(t *testing.T) {
	labels := func(st State) string {
		m := New(frame.LCD16x2(), st)
		var out []string
		for _, it := range m.setupItems() {
			out = append(out, it.label)
		}
		return strings.Join(out, " | ")
	}
	v6static := v6State()
	v6static.Config.LANv6 = netcfg.LANv6{Method: netcfg.IPv6Static, Address: prefix("2001:db8::5/64"), Gateway: addr("fe80::1"), DNS1: addr("2001:db8::53")}
	wanDHCP := dhcpState()
	wanDHCP.Config.WAN.Method = netcfg.WANDHCP
	for _, tc := range []struct {
		st   State
		want string
	}{
		{dhcpState(), "ENABLE VLAN ON LAN | RENEW DHCP ON LAN | ENABLE STATIC IP ON LAN | ENABLE PROXY | ENABLE WAN INTERFACE | ETHERNET PORT SETTINGS | RESET NETWORK SETTINGS"},
		{staticState(), "CHANGE VLAN ON LAN | ENABLE DHCP ON LAN | CHANGE STATIC IP ON LAN | CHANGE PROXY PARAMS | DISABLE PROXY | CHANGE STATIC IP ON WAN | DISABLE WAN INTERFACE | ETHERNET PORT SETTINGS | RESET NETWORK SETTINGS"},
		{wanDHCP, "ENABLE VLAN ON LAN | RENEW DHCP ON LAN | ENABLE STATIC IP ON LAN | ENABLE PROXY | RENEW DHCP ON WAN | DISABLE WAN INTERFACE | ETHERNET PORT SETTINGS | RESET NETWORK SETTINGS"},
		{v6State(), "ENABLE VLAN ON LAN | ENABLE STATIC IPv6 ON LAN? | RENEW AUTO IPv6 ON LAN? | ENABLE PROXY | ETHERNET PORT SETTINGS | RESET NETWORK SETTINGS"},
		{v6static, "ENABLE VLAN ON LAN | CHANGE STATIC IPv6 ON LAN? | ENABLE AUTO IPv6 ON LAN? | ENABLE PROXY | ETHERNET PORT SETTINGS | RESET NETWORK SETTINGS"},
	} {
		mustValid(t, tc.st.Config)
		if got := labels(tc.st); got != tc.want {
			t.Errorf("items\n got %s\nwant %s", got, tc.want)
		}
	}
}

// TestUpdateKeepsSelection: an Update that renames items keeps the
// selection on the same item, and one that hides it falls back to the
// first, SETUP NETWORK.
func TestUpdateKeepsSelection(t *testing.T) {
	st := dhcpState()
	m := New(frame.LCD16x2(), st)
	transcript(t, m, "ENTER DOWN*4") // ENABLE PROXY
	st.Config.Proxy = netcfg.Proxy{Host: "P.EXAMPLE", Port: 8080}
	m.Update(st)
	if got := screenText(m.Render()); got != "CHANGE PROXY PARAMS" {
		t.Errorf("after update: %q", got)
	}
	transcript(t, m, "DOWN DOWN") // ENABLE WAN INTERFACE
	m.Update(v6State())
	if got := screenText(m.Render()); got != "SETUP NETWORK" {
		t.Errorf("after mode change: %q", got)
	}
}

// TestInvalidEvents: events no driver makes change nothing.
func TestInvalidEvents(t *testing.T) {
	m := New(frame.LCD16x2(), dhcpState())
	before := m.Render()
	for _, ev := range []keyevent.Event{{}, {Key: 99}, {Key: keyevent.Char, Rune: 0}} {
		if res := m.Handle(ev); res.Request != nil {
			t.Fatalf("%v made a request", ev)
		}
	}
	if !m.Render().Equal(before) {
		t.Fatalf("screen changed:\n%s", m.Render())
	}
}

// Held UP/DOWN repeat only in text fields: the menu says when one is open.
func TestTextEditing(t *testing.T) {
	tests := []struct {
		script string
		want   bool
	}{
		{"", false},                              // idle
		{"ENTER ENTER", false},                   // SETUP NETWORK list
		{"ENTER DOWN ENTER", false},              // VLAN: a number field
		{"ENTER DOWN*2 DOWN ENTER ENTER", false}, // LAN IP ADDR
		// DOMAIN NAME, the last field of the static LAN procedure.
		{`ENTER DOWN*2 DOWN ENTER ENTER CLEAR "10.1.2.3" ENTER DOWN*8 ENTER CLEAR "10.1.0.1" ENTER CLEAR "10.1.0.2" ENTER ENTER ENTER ENTER`, true},
	}
	for _, tt := range tests {
		m := New(frame.LCD16x2(), dhcpState())
		for _, ev := range parseKeys(t, tt.script) {
			m.Handle(ev)
		}
		if got := m.TextEditing(); got != tt.want {
			t.Errorf("after %q TextEditing() = %v, want %v; screen:\n%s", tt.script, got, tt.want, m.Render())
		}
	}
}
