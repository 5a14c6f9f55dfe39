package menu

import (
	"fmt"
	"strings"
	"testing"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// scanState is a ready box scanning 254 targets, 107 of them finished
// (services identified), 31 hosts found up: 107*100/254 = 42.1, so the
// screens say 42%.
func scanState() State {
	st := dhcpState()
	st.Status.ScanRunning = true
	st.Status.Scan = ScanProgress{Phase: ScanPhaseServices, Done: 107, Total: 254, HostsUp: 31}
	st.Status.Signatures, st.Status.SignaturesAgeDays, st.Status.SignaturesMaxAgeDays = "2.2.245-2", 3, 7
	return st
}

// rows returns a frame's rows below the top one, trimmed, without the
// empty ones.
func rows(f frame.Frame) []string {
	var out []string
	for r := 1; r < f.Geometry().Rows; r++ {
		if l := strings.TrimSpace(f.Line(r)); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// idleTitles walks the idle pages with RIGHT to the last and back to the
// first with LEFT, and returns each page's text (screenText) on the way
// out. It fails the test when a page does not fit, when RIGHT on the last
// page or LEFT on the first changes anything, or when LEFT does not retrace
// RIGHT's steps.
func idleTitles(t *testing.T, m *Menu, tr *strings.Builder) []string {
	t.Helper()
	g := m.Geometry()
	var fs []frame.Frame
	for i := 0; i < 40; i++ {
		f := m.Render()
		if !f.Fits(g) {
			t.Fatalf("page %d does not fit %v:\n%s", i, g, f)
		}
		fs = append(fs, f)
		if tr != nil {
			fmt.Fprintf(tr, "== page %d\n%s", i+1, f)
		}
		if !navOf(f).Right {
			break
		}
		m.Handle(keyevent.Press(keyevent.Right))
	}
	m.Handle(keyevent.Press(keyevent.Right))
	if f := m.Render(); !f.Equal(fs[len(fs)-1]) {
		t.Fatalf("RIGHT on the last page (no RIGHT indicator) changed it:\n%s", f)
	}
	for i := len(fs) - 2; i >= 0; i-- {
		m.Handle(keyevent.Press(keyevent.Left))
		if f := m.Render(); !f.Equal(fs[i]) {
			t.Fatalf("LEFT to page %d shows\n%s, RIGHT showed\n%s", i+1, f, fs[i])
		}
	}
	if n := navOf(fs[0]); n.Left {
		t.Fatalf("the first page has a LEFT indicator:\n%s", fs[0])
	}
	var titles []string
	for _, f := range fs {
		titles = append(titles, screenText(f))
	}
	return titles
}

// TestScanScreen: while a scan runs on a ready box the idle screen is the
// scan's progress (SCANNING nn% over the phase and the targets finished)
// with LED S1 lit, then NAME-IP and the status pages follow with RIGHT
// (issue 16 point 3).
func TestScanScreen(t *testing.T) {
	var all strings.Builder
	for _, tc := range []struct {
		geo  frame.Geometry
		rows []string
	}{
		{frame.LCD16x2(), []string{"SERVICES 107/254"}},
		{frame.LCD20x4(), []string{"SERVICES", "107/254 HOSTS DONE", "31 HOSTS UP"}},
	} {
		m := New(tc.geo, scanState())
		f := m.Render()
		if !strings.HasPrefix(f.Line(0), "SCANNING 42% ") || !f.LEDs().S1 {
			t.Fatalf("%v: idle screen while scanning, want SCANNING 42%% and S1:\n%s", tc.geo, f)
		}
		if got := rows(f); strings.Join(got, "|") != strings.Join(tc.rows, "|") {
			t.Errorf("%v: under SCANNING 42%%: %q, want %q", tc.geo, got, tc.rows)
		}
		fmt.Fprintf(&all, "#### %v scanning\n", tc.geo)
		titles := idleTitles(t, m, &all)
		want := []string{"SCANNING 42%", "pk_jdoe- 192.168.1.50 *", "SOFTWARE 1.4.2", "SIGNATURES 2.2.245-2", "PLATFORM"}
		if len(titles) != len(want) {
			t.Fatalf("%v: pages %q, want %d starting %q", tc.geo, titles, len(want), want)
		}
		for i, w := range want {
			if !strings.HasPrefix(titles[i], w) {
				t.Errorf("%v: page %d is %q, want it to start %q", tc.geo, i+1, titles[i], w)
			}
		}
		for _, s := range titles {
			if strings.HasPrefix(s, "SCAN IDLE") {
				t.Errorf("%v: a SCAN IDLE page while a scan runs", tc.geo)
			}
		}
		// Every page keeps S1 and opens the menu with ENTER.
		for i := range titles {
			m := New(tc.geo, scanState())
			for range i {
				m.Handle(keyevent.Press(keyevent.Right))
			}
			if !m.Render().LEDs().S1 {
				t.Errorf("%v: page %d without S1", tc.geo, i+1)
			}
			m.Handle(keyevent.Press(keyevent.Enter))
			if g := m.Render(); !strings.HasPrefix(g.Line(0), "SETUP NETWORK") {
				t.Errorf("%v: ENTER on page %d shows\n%s", tc.geo, i+1, g)
			}
		}
	}
	golden(t, "scan_screen", all.String())
}

// TestScanProgressWording: the percentage is of the targets finished,
// rounded down (100% only when all are); before the scanner counted the
// targets there is none; the phase is named on every panel.
func TestScanProgressWording(t *testing.T) {
	for _, tc := range []struct {
		name      string
		p         ScanProgress
		head      string
		row16     string
		status    string
		rows20x4  []string
		noPercent bool
	}{
		{"resolving, nothing counted", ScanProgress{Phase: ScanPhaseResolving}, "SCANNING", "RESOLVING", "RUNNING, RESOLVING", []string{"RESOLVING"}, true},
		{"discovery", ScanProgress{Phase: ScanPhaseDiscovery, Total: 65536}, "SCANNING 0%", "DISCOVERY", "RUNNING 0%, DISCOVERY, 0/65536 HOSTS DONE",
			[]string{"DISCOVERY", "0/65536 HOSTS DONE"}, false},
		{"portscan", ScanProgress{Phase: ScanPhasePortscan, Total: 254, HostsUp: 31}, "SCANNING 0%", "PORTSCAN 0/254", "RUNNING 0%, PORTSCAN, 0/254 HOSTS DONE, 31 HOSTS UP",
			[]string{"PORTSCAN", "0/254 HOSTS DONE", "31 HOSTS UP"}, false},
		{"one short of all", ScanProgress{Phase: ScanPhaseServices, Done: 253, Total: 254, HostsUp: 31}, "SCANNING 99%", "SERVICES 253/254", "RUNNING 99%, SERVICES, 253/254 HOSTS DONE, 31 HOSTS UP",
			[]string{"SERVICES", "253/254 HOSTS DONE", "31 HOSTS UP"}, false},
		{"a /16 in services", ScanProgress{Phase: ScanPhaseServices, Done: 65000, Total: 65536, HostsUp: 1200}, "SCANNING 99%", "65000/65536", "RUNNING 99%, SERVICES, 65000/65536 HOSTS DONE, 1200 HOSTS UP",
			[]string{"SERVICES", "65000/65536 DONE", "1200 HOSTS UP"}, false},
		{"done", ScanProgress{Phase: ScanPhaseDone, Done: 254, Total: 254, HostsUp: 31}, "SCANNING 100%", "FINISHING", "RUNNING 100%, FINISHING, 254/254 HOSTS DONE, 31 HOSTS UP",
			[]string{"FINISHING", "254/254 HOSTS DONE", "31 HOSTS UP"}, false},
		{"more done than total", ScanProgress{Phase: ScanPhaseServices, Done: 300, Total: 254}, "SCANNING 100%", "SERVICES 254/254", "RUNNING 100%, SERVICES, 254/254 HOSTS DONE, 0 HOSTS UP",
			[]string{"SERVICES", "254/254 HOSTS DONE", "0 HOSTS UP"}, false},
		{"no progress reported", ScanProgress{}, "SCANNING", "", "RUNNING", nil, true},
	} {
		st := dhcpState()
		st.Status.ScanRunning, st.Status.Scan = true, tc.p
		for _, geo := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
			f := New(geo, st).Render()
			if !f.Fits(geo) {
				t.Fatalf("%s: frame does not fit %v:\n%s", tc.name, geo, f)
			}
			// The head is alone on the top row, beside the indicators.
			if got := strings.TrimSpace(strings.SplitN(screenText(f)+" ", " ", 3)[0] + " " + strings.SplitN(screenText(f)+" ", " ", 3)[1]); !tc.noPercent && got != tc.head {
				t.Errorf("%s on %v: head %q, want %q", tc.name, geo, got, tc.head)
			}
			if tc.noPercent && strings.Contains(f.Line(0), "%") {
				t.Errorf("%s on %v: a percentage before the targets are counted:\n%s", tc.name, geo, f)
			}
			want := tc.rows20x4
			if geo.Rows == 2 && tc.row16 != "" {
				want = []string{tc.row16}
			}
			if got := rows(f); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s on %v: rows %q, want %q", tc.name, geo, got, want)
			}
			if got := statusValue(t, New(geo, st), "SCAN"); got != tc.status {
				t.Errorf("%s on %v: SHOW STATUS SCAN says %q, want %q", tc.name, geo, got, tc.status)
			}
		}
	}
	for _, geo := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
		if got := statusValue(t, New(geo, dhcpState()), "SCAN"); got != "IDLE" {
			t.Errorf("%v: SHOW STATUS SCAN with no scan says %q, want IDLE", geo, got)
		}
	}
}

// statusValue opens SHOW STATUS at the entry title and reads its value
// back, scrolling with RIGHT.
func statusValue(t *testing.T, m *Menu, title string) string {
	t.Helper()
	f := statusEntryFrame(t, m, title)
	var out []string
	for i := 0; i < 20; i++ {
		if !f.Fits(m.Geometry()) {
			t.Fatalf("%s does not fit:\n%s", title, f)
		}
		out = append(out, rows(f)...)
		if !navOf(f).Right {
			return strings.Join(out, " ")
		}
		m.Handle(keyevent.Press(keyevent.Right))
		f = m.Render()
	}
	t.Fatalf("%s scrolls without end", title)
	return ""
}

// TestIdlePages: the idle screen pages with LEFT/RIGHT through the
// platform link's screen and then SOFTWARE, SIGNATURES (version and age),
// PLATFORM and SCAN; a page stays until a key; a status change that puts
// a different screen first shows the first page again, one that only
// moves a value does not.
func TestIdlePages(t *testing.T) {
	var all strings.Builder
	type tcase struct {
		name  string
		st    func(*Status)
		pages []string // the start of each page's text
	}
	for _, tc := range []tcase{
		{"ready", func(*Status) {}, []string{"pk_jdoe-", "SOFTWARE 1.4.2", "SIGNATURES 2024.06.01", "PLATFORM", "SCAN IDLE"}},
		{"activation", func(s *Status) { s.Platform, s.ActivationCode = PlatformActivation, "K7QP-M2XD-9RT" },
			[]string{"", "SOFTWARE", "SIGNATURES", "PLATFORM NOT ACTIVATED", "SCAN IDLE"}},
		{"contacting", func(s *Status) { s.Platform = PlatformContacting },
			[]string{"CONTACTING PLATFORM", "SOFTWARE", "SIGNATURES", "PLATFORM CONTACTING", "SCAN IDLE"}},
		{"comm failure, scan running", func(s *Status) {
			s.Platform, s.ScanRunning = PlatformCommFailure, true
			s.Scan = ScanProgress{Phase: ScanPhasePortscan, Total: 254, HostsUp: 4}
		}, []string{"COMMUNICATION FAILURE", "SCANNING 0%", "SOFTWARE", "SIGNATURES", "PLATFORM COMM"}},
		{"config error", func(s *Status) {
			s.Platform = PlatformConfigError
			s.Failure = Failure{Step: StepProxy, Reason: "TLS INTERCEPTED BY PROXY: IT PRESENTS A CERTIFICATE THE BOX DOES NOT TRUST"}
		}, []string{"CONFIG ERROR STEP: PROXY", "CONFIG ERROR TLS INTERCEPTED", "CONFIG ERROR BY PROXY: IT", "CONFIG ERROR PRESENTS A",
			"CONFIG ERROR CERTIFICATE THE", "CONFIG ERROR BOX DOES NOT", "CONFIG ERROR TRUST", "SOFTWARE", "SIGNATURES", "PLATFORM CONFIG ERROR", "SCAN IDLE"}},
		{"updating, scanning", func(s *Status) {
			s.ScanRunning, s.UpdateRunning = true, true
			s.Scan = ScanProgress{Phase: ScanPhaseServices, Done: 10, Total: 20}
			s.Update = UpdateState{Phase: UpdateDownloading, Percent: 42, Channel: UpdateSignatures, Version: "2.2.250-1"}
		}, []string{"UPDATING 42%", "SCANNING 50%", "pk_jdoe-", "SOFTWARE", "SIGNATURES", "PLATFORM"}},
		{"stale signatures", func(s *Status) { s.Signatures, s.SignaturesAgeDays, s.SignaturesMaxAgeDays = "2.2.245-2", 120, 30 },
			[]string{"pk_jdoe-", "SOFTWARE", "SIG", "PLATFORM", "SCAN IDLE"}},
	} {
		for _, geo := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
			st := dhcpState()
			tc.st(&st.Status)
			fmt.Fprintf(&all, "#### %v %s\n", geo, tc.name)
			titles := idleTitles(t, New(geo, st), &all)
			pages := tc.pages
			if tc.name == "config error" && geo.Rows == 4 {
				// Three rows a page: two pages of the error (the reason
				// wraps into 4 lines of 20 under STEP: PROXY).
				pages = append([]string{"CONFIG ERROR STEP: PROXY TLS INTERCEPTED BY PROXY: IT PRESENTS A", "CONFIG ERROR CERTIFICATE THE BOX DOES NOT TRUST"}, pages[7:]...)
			}
			if len(titles) != len(pages) {
				t.Errorf("%v %s: pages %q, want %d: %q", geo, tc.name, titles, len(pages), pages)
				continue
			}
			for i, p := range pages {
				if !strings.HasPrefix(titles[i], p) {
					t.Errorf("%v %s: page %d %q, want it to start %q", geo, tc.name, i+1, titles[i], p)
				}
			}
		}
	}
	golden(t, "idle_pages", all.String())

	for _, geo := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
		// The status pages say what SHOW STATUS says.
		st := dhcpState()
		st.Status.Software = "6.7.20-1"
		st.Status.Signatures, st.Status.SignaturesAgeDays, st.Status.SignaturesMaxAgeDays = "2.2.245-2", 9, 7
		page := func(n int) string {
			m := New(geo, st)
			for range n {
				m.Handle(keyevent.Press(keyevent.Right))
			}
			return screenText(m.Render())
		}
		if got := page(1); got != "SOFTWARE 6.7.20-1" {
			t.Errorf("%v: SOFTWARE page %q", geo, got)
		}
		if got := page(2); !strings.Contains(got, "2.2.245-2") || !strings.Contains(got, "STALE 9d") {
			t.Errorf("%v: SIGNATURES page %q, want the version and STALE 9d", geo, got)
		}
		if got := page(3); got != "PLATFORM CONNECTED pk_jdoe" && got != "PLATFORM OK pk_jdoe" {
			t.Errorf("%v: PLATFORM page %q", geo, got)
		}
		// A page stays while values move: the scan's progress, the
		// signatures' age.
		st = scanState()
		m := New(geo, st)
		for range 2 {
			m.Handle(keyevent.Press(keyevent.Right))
		}
		if s := screenText(m.Render()); !strings.HasPrefix(s, "SOFTWARE") {
			t.Fatalf("%v: page 3 %q", geo, s)
		}
		st.Status.Scan.Done, st.Status.SignaturesAgeDays = 200, 4
		m.Update(st)
		if s := screenText(m.Render()); !strings.HasPrefix(s, "SOFTWARE") {
			t.Fatalf("%v: the scan's progress moved the page to %q", geo, s)
		}
		m.Handle(keyevent.Press(keyevent.Left))
		m.Handle(keyevent.Press(keyevent.Left))
		if s := screenText(m.Render()); !strings.HasPrefix(s, "SCANNING 78%") { // 200*100/254 = 78.7
			t.Fatalf("%v: first page %q, want SCANNING 78%%", geo, s)
		}
		// The scan ends while page 3 is up: NAME-IP is first again, and shown.
		m.Handle(keyevent.Press(keyevent.Right))
		m.Handle(keyevent.Press(keyevent.Right))
		st.Status.ScanRunning, st.Status.Scan = false, ScanProgress{}
		m.Update(st)
		if f := m.Render(); !strings.HasPrefix(screenText(f), "pk_jdoe-") || navOf(f).Left || f.LEDs().S1 {
			t.Fatalf("%v: after the scan ended:\n%s", geo, f)
		}
		// A failed poll while a status page is up: COMMUNICATION FAILURE.
		m.Handle(keyevent.Press(keyevent.Right))
		st.Status.Platform = PlatformCommFailure
		m.Update(st)
		if s := screenText(m.Render()); s != "COMMUNICATION FAILURE" {
			t.Fatalf("%v: after a failed poll %q", geo, s)
		}
		// Activation done while the PLATFORM page is up: NAME-IP.
		st.Status.Platform = PlatformActivation
		m.Update(st)
		for range 3 {
			m.Handle(keyevent.Press(keyevent.Right))
		}
		st.Status.Platform = PlatformReady
		m.Update(st)
		if s := screenText(m.Render()); !strings.HasPrefix(s, "pk_jdoe-") {
			t.Fatalf("%v: after activation %q", geo, s)
		}
	}
}

// TestActivationCodeReadable: the activation code screen shows the
// title and the whole code beside the navigation indicators on both
// panels, whatever page follows it, and a scan does not take its place.
func TestActivationCodeReadable(t *testing.T) {
	for _, geo := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
		st := dhcpState()
		st.Status.Platform, st.Status.ActivationCode = PlatformActivation, "K7QP-M2XD-9RT" // platformapi.ActivationCode's form
		st.Status.ScanRunning = true
		f := New(geo, st).Render()
		text := screenText(f)
		if !strings.Contains(text, "ACTIVATION CODE") || !strings.Contains(text, "K7QP-M2XD-9RT") {
			t.Errorf("%v: activation screen reads %q:\n%s", geo, text, f)
		}
		if n := navOf(f); !n.Right || !n.Enter {
			t.Errorf("%v: indicators %+v, want RIGHT and ENTER", geo, n)
		}
	}
}

// TestCancelingBeforeScan: a network change confirmed during a scan shows
// CANCELING THE ONGOING SCAN, which stays while the scan's progress moves
// and gives way when the scan stops; and the scanner's own Canceling
// state comes before the scan screen, with no pages to turn.
func TestCancelingBeforeScan(t *testing.T) {
	st := scanState()
	m := New(frame.LCD16x2(), st)
	_, reqs := transcript(t, m, "ENTER ENTER DOWN ENTER ENTER") // RENEW DHCP ON LAN
	if len(reqs) != 1 {
		t.Fatalf("requests %v", reqs)
	}
	for _, done := range []uint64{120, 140} {
		st.Status.Scan.Done = done
		m.Update(st)
		if s := screenText(m.Render()); s != "CANCELING THE ONGOING SCAN" {
			t.Fatalf("at %d done: %q, want the notice still", done, s)
		}
	}
	st.Status.ScanRunning, st.Status.Scan = false, ScanProgress{}
	m.Update(st)
	if s := screenText(m.Render()); !strings.HasPrefix(s, "pk_jdoe-") {
		t.Fatalf("after the scan stopped: %q", s)
	}

	st = scanState()
	st.Status.Canceling = true
	m = New(frame.LCD16x2(), st)
	f := m.Render()
	if s := screenText(f); s != "CANCELING THE ONGOING SCAN" || navOf(f).Right {
		t.Fatalf("canceling: %q, RIGHT %v", s, navOf(f).Right)
	}
	m.Handle(keyevent.Press(keyevent.Right))
	if g := m.Render(); !g.Equal(f) {
		t.Fatalf("RIGHT while canceling:\n%s", g)
	}
}

// TestPlatformInShowStatus: SHOW STATUS has the platform link's state as
// its own entry, beside LAST POLL.
func TestPlatformInShowStatus(t *testing.T) {
	for _, tc := range []struct {
		p    Platform
		want string
	}{
		{PlatformReady, "CONNECTED pk_jdoe"},
		{PlatformActivation, "NOT ACTIVATED"},
		{PlatformCommFailure, "COMMUNICATION FAILURE"},
		{PlatformContacting, "CONTACTING"},
		{PlatformConfigError, "CONFIG ERROR, DNS FAILED"},
	} {
		for _, geo := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
			st := dhcpState()
			st.Status.Platform, st.Status.Failure = tc.p, Failure{Step: StepDNS, Reason: "DNS LOOKUP FAILED"}
			if got := statusValue(t, New(geo, st), "PLATFORM"); got != tc.want {
				t.Errorf("%v platform %d: PLATFORM says %q, want %q", geo, tc.p, got, tc.want)
			}
		}
	}
	titles := statusTitles(t, dhcpState())
	var order []string
	for _, s := range titles {
		for _, w := range []string{"SOFTWARE", "SIGNATURES", "SIGS AGE", "SCAN", "PLATFORM", "LAST POLL", "LAST ERROR"} {
			if strings.HasPrefix(s, w+" ") {
				order = append(order, w)
			}
		}
	}
	if got := strings.Join(order, ","); got != "SOFTWARE,SIGNATURES,SIGS AGE,SCAN,PLATFORM,LAST POLL,LAST ERROR" {
		t.Errorf("SHOW STATUS order %s", got)
	}
}
