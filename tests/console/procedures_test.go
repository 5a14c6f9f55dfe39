package console

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/serial"
	"picket.dev/picket/src/panel/vt100input"
	"picket.dev/picket/src/testkit/netstatus"
	"picket.dev/picket/src/testkit/procedures"
	"picket.dev/picket/src/testkit/vt100term"
)

// screenTerm is the operator's terminal on the console's pty: an
// emulated VT100 fed with everything consoled sends, and the panel texts
// it showed one after another, so a message shown for a moment (ENABLING
// PROXY SUPPORT before the test's result) is seen too.
type screenTerm struct {
	mu      sync.Mutex
	term    *vt100term.Term
	err     error
	hist    []string // the panel's texts, each different from the one before
	changed chan struct{}
}

func (s *screenTerm) read(r interface{ Read([]byte) (int, error) }) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.mu.Lock()
			// One read may hold several of the console's draws (a
			// loaded machine reads late): a message shown for a few
			// milliseconds before the next screen was still shown. The
			// text is taken after each cursor move, where a draw
			// ends (and each row it changes begins), not only after
			// the read.
			for _, part := range atCursorMoves(buf[:n]) {
				if _, werr := s.term.Write(part); werr != nil && s.err == nil {
					s.err = werr
				}
				p := procedures.Screen(s.term.Panel())
				if len(s.hist) == 0 || s.hist[len(s.hist)-1] != p {
					s.hist = append(s.hist, p)
				}
			}
			s.mu.Unlock()
			select {
			case s.changed <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// atCursorMoves cuts b after each cursor position sequence (CSI ... H),
// the one a vt100screen draw ends with; the last part is the rest.
func atCursorMoves(b []byte) [][]byte {
	var parts [][]byte
	start := 0
	for i := 0; i+1 < len(b); i++ {
		if b[i] != 0x1b || b[i+1] != '[' {
			continue
		}
		j := i + 2
		for j < len(b) && (b[j] < 0x40 || b[j] > 0x7e) {
			j++
		}
		if j < len(b) && b[j] == 'H' {
			parts = append(parts, b[start:j+1])
			start = j + 1
		}
		i = j
	}
	if start < len(b) {
		parts = append(parts, b[start:])
	}
	return parts
}

// state returns the panel texts shown so far, the whole screen (for
// failure messages) and the terminal's error.
func (s *screenTerm) state() (hist []string, whole string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.hist...), s.term.Dump(), s.err
}

// current is the panel's text now, and how many texts were shown so far.
func (s *screenTerm) current() (string, int) {
	h, _, _ := s.state()
	if len(h) == 0 {
		return "", 0
	}
	return h[len(h)-1], len(h)
}

// settle waits for the screen to answer keys sent when n texts had been
// shown: a change within a second (a key that changes nothing, such as
// ENTER on SETUP NETWORK, shows none), then no further change for 150 ms.
func (s *screenTerm) settle(n int) string {
	first := time.After(time.Second)
	for {
		cur, m := s.current()
		if m > n {
			break
		}
		select {
		case <-s.changed:
		case <-first:
			return cur
		}
	}
	for {
		cur, _ := s.current()
		select {
		case <-s.changed:
		case <-time.After(150 * time.Millisecond):
			return cur
		}
	}
}

// seen waits up to d for a panel text shown after the first n to satisfy
// ok, and returns the last one.
func (s *screenTerm) seen(n int, d time.Duration, ok func(string) bool) (string, bool) {
	guard := time.After(d)
	for {
		h, _, err := s.state()
		for _, p := range h[min(n, len(h)):] {
			if ok(p) {
				return p, true
			}
		}
		last := ""
		if len(h) > 0 {
			last = h[len(h)-1]
		}
		if err != nil {
			return last, false
		}
		select {
		case <-s.changed:
		case <-guard:
			return last, false
		}
	}
}

// TestGuideProceduresOnTheConsole replays every procedure of the seed
// guide and the spec (package procedures, written from the guide) on the
// real consoled through a pty, as an operator at a VT100 reads the guide:
// ENTER to bring the console up (the guide's Remote Console set-up, step
// 5: the MAC address appears), then each step's keys, waiting for the
// prompt the guide names. At the end the change must be in force in the
// network manager: the real netmgrd, on its in-memory stand-in backend so
// that every procedure (VLANs, the WAN port, IPv6-only mode) can run on
// this kernel; tests/console's other test and tests/netmgr cover the
// kernel backend.
func TestGuideProceduresOnTheConsole(t *testing.T) {
	netmgrd, consoled := daemons(t)
	t.Run("revert-not-a-procedure", func(t *testing.T) {
		t.Parallel()
		revertOnTheConsole(t, netmgrd, consoled)
	})
	for _, p := range procedures.All() {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			replay(t, netmgrd, consoled, p)
		})
	}
}

func replay(t *testing.T, netmgrd, consoled string, p procedures.Procedure) {
	ctx := context.Background()
	dir := t.TempDir()
	socket := filepath.Join(dir, "netmgr.sock")
	start(t, netmgrd, "-backend", "memory", "-socket", socket, "-data", filepath.Join(dir, "data"),
		"-resolv", "", "-scanner", "")
	mgr := netapi.Dial(socket)
	t.Cleanup(func() { mgr.Close() })
	netstatus.Wait(t, mgr, "netmgrd answering", 60*time.Second, func(netapi.Status) bool { return true })
	if p.Start.NotActivated {
		if err := mgr.ReportPlatform(ctx, netapi.PlatformLink{State: netapi.LinkActivation, ActivationCode: "K7Q2M4XP9WRT"}); err != nil {
			t.Fatalf("report the platform link: %v", err)
		}
	}
	if !netcfg.Equal(p.Start.Config, netcfg.Default()) {
		res, err := mgr.Apply(ctx, p.Start.Config, netapi.ApplyOptions{})
		if err != nil {
			t.Fatalf("put the start configuration in force: %v", err)
		}
		// The start configuration may not reach the simulated platform,
		// which puts it on trial; kept, it is where the guide's procedure
		// starts from, with no REVERT? on the screen.
		if res.Trial != nil {
			if _, err := mgr.EndTrial(ctx, res.Trial.ID, true); err != nil {
				t.Fatalf("keep the start configuration: %v", err)
			}
		}
	}
	view, err := mgr.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	startCfg := view.Config
	// The view leaves the password out; the one put in force is known.
	startCfg.Proxy.Password = p.Start.Config.Proxy.Password
	var env procedures.Env
	if st, err := mgr.Status(ctx); err == nil {
		for _, ifc := range st.Interfaces {
			if ifc.Name == netapi.LAN {
				env.LANGateway = ifc.IPv4.Gateway
			}
		}
	}

	master, slave, err := serial.OpenPTY("/dev")
	if err != nil {
		t.Fatalf("open a pty: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	scr := &screenTerm{term: vt100term.New(), changed: make(chan struct{}, 1)}
	go scr.read(master)
	log := start(t, consoled, "-device", slave, "-netmgr", socket, "-power", "log")

	var typed strings.Builder
	fail := func(format string, args ...any) {
		t.Helper()
		_, whole, err := scr.state()
		t.Fatalf("%s: %s\nkeys typed: %s\nterminal error: %v\nscreen:\n%s", p.Source, fmt.Sprintf(format, args...), typed.String(), err, whole)
	}
	// press types keys and waits for the console to answer them; it
	// returns how many panel texts had been shown before.
	press := func(keys string) int {
		t.Helper()
		evs, err := keyevent.ParseScript(keys)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&typed, "%s ", keys)
		_, n := scr.current()
		if _, err := master.Write(vt100input.Encode(evs)); err != nil {
			t.Fatalf("type into the console: %v", err)
		}
		scr.settle(n)
		return n
	}
	// The guide's Remote Console set-up, step 5: "Press the ENTER key on
	// the VT100 terminal's keyboard to display the Remote Console
	// interface. You will notice the MAC address ... appears."
	guard := time.Now().Add(60 * time.Second) // a hang guard
	for {
		if _, whole, _ := scr.state(); strings.Contains(whole, "Press ENTER") {
			break
		}
		if time.Now().After(guard) {
			fail("the console never asked for ENTER")
		}
		time.Sleep(20 * time.Millisecond)
	}
	press("ENTER")
	idle, _ := scr.current()
	if _, whole, _ := scr.state(); idle == "" || !strings.Contains(whole, "MAC address") {
		fail("ENTER did not bring up the panel with the MAC address")
	}
	// The idle screen may still change (the first connectivity test).
	for {
		_, n := scr.current()
		if p := scr.settle(n); p == idle {
			break
		} else {
			idle = p
		}
	}

	shows := func(what, panel string) bool {
		if what == procedures.Idle {
			return panel == idle
		}
		return procedures.Matches(panel, what)
	}
	for i, s := range p.Steps {
		_, mark := scr.current()
		mark-- // a step without keys looks at the screen showing
		if s.Until != "" {
			for n := 0; ; n++ {
				if cur, _ := scr.current(); shows(s.Until, cur) {
					break
				}
				if n == procedures.MaxRepeat {
					fail("step %d %q: %q never appeared after %d x %s", i+1, s.Says, s.Until, n, s.Keys)
				}
				mark = press(s.Keys)
			}
		} else if s.Keys != "" {
			mark = press(s.Keys)
		}
		if s.Shows != "" {
			if got, ok := scr.seen(mark, 20*time.Second, func(p string) bool { return shows(s.Shows, p) }); !ok {
				fail("step %d %q: the console shows %q, the guide says %q", i+1, s.Says, got, s.Shows)
			}
		}
	}

	// The outcome, in the network manager.
	want := startCfg.Clone()
	if p.Want.Change != nil {
		p.Want.Change(&want, env)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		view, err := mgr.Config(ctx)
		if err != nil {
			t.Fatalf("read the configuration: %v", err)
		}
		// The configuration view never carries the proxy password: it is
		// compared through the management path, which does.
		w := want.Clone()
		w.Proxy.Password = netcfg.Secret{}
		d := netcfg.Diff(w, view.Config)
		if len(d) == 0 {
			mp, err := mgr.ManagementPath(ctx)
			if err != nil {
				t.Fatalf("read the management path: %v", err)
			}
			if got, exp := mp.Proxy.Password.Reveal(), want.Proxy.Password.Reveal(); got == exp {
				break
			}
			d = append(d, netcfg.Change{Field: "proxy.password (management path)", Old: "the guide's", New: "another"})
		}
		if time.Now().After(deadline) {
			fail("the configuration in force differs from the guide's outcome: %v\nconsoled log:\n%s", d, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	switch p.Want.Action {
	case "reboot", "shutdown":
		what := map[string]string{"reboot": "SYSTEM REBOOT requested", "shutdown": "SYSTEM SHUTDOWN requested"}[p.Want.Action]
		for !strings.Contains(log.String(), what) {
			if time.Now().After(deadline) {
				fail("consoled never asked to %s; its log:\n%s", p.Want.Action, log.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestAtCursorMoves: two draws read at once are cut where each cursor
// move ends, so the first draw's text is seen; text and other sequences
// are not cut.
func TestAtCursorMoves(t *testing.T) {
	in := "\x1b[4;1HENABLING PROXY\x1b[K\x1b[9;3H\x1b[7mNOTE\x1b[m\x1b[4;1HREVERT?\x1b[K\x1b[9;3Hrest"
	var got []string
	for _, p := range atCursorMoves([]byte(in)) {
		got = append(got, string(p))
	}
	want := []string{"\x1b[4;1H", "ENABLING PROXY\x1b[K\x1b[9;3H", "\x1b[7mNOTE\x1b[m\x1b[4;1H", "REVERT?\x1b[K\x1b[9;3H", "rest"}
	if !slices.Equal(got, want) {
		t.Errorf("parts %q, want %q", got, want)
	}
}
