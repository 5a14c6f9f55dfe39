package menu

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/keyevent"
)

var update = flag.Bool("update", false, "write the golden transcripts in testdata/")

// parseKeys turns a key script (keyevent.ParseScript) into events.
func parseKeys(t testing.TB, script string) []keyevent.Event {
	t.Helper()
	evs, err := keyevent.ParseScript(script)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// openItem opens the main menu from the idle screen, walks down to the
// item whose label starts with label and presses ENTER on it, as an
// operator reading the screen would.
func openItem(t testing.TB, m *Menu, label string) {
	t.Helper()
	m.Handle(keyevent.Press(keyevent.Enter))
	for range 40 {
		if strings.HasPrefix(screenText(m.Render()), label) {
			m.Handle(keyevent.Press(keyevent.Enter))
			return
		}
		m.Handle(keyevent.Press(keyevent.Down))
	}
	t.Fatalf("the main menu has no item %q", label)
}

// transcript drives m with script and records the screen before the first
// key and after every key, and any request a key made. It fails the test
// if a frame does not fit the display or a request carries a config that
// does not pass Validate.
func transcript(t *testing.T, m *Menu, script string) (string, []*Request) {
	t.Helper()
	var b strings.Builder
	var reqs []*Request
	g := m.Geometry()
	f := m.Render()
	fmt.Fprintf(&b, "== start\n%s", f)
	for i, ev := range parseKeys(t, script) {
		res := m.Handle(ev)
		f := m.Render()
		if !f.Fits(g) {
			t.Fatalf("key %d (%v): frame does not fit %v", i, ev, g)
		}
		fmt.Fprintf(&b, "== %d %v\n%s", i+1, ev, f)
		if r := res.Request; r != nil {
			if r.Action.HasConfig() {
				if err := r.Config.Validate(); err != nil {
					t.Fatalf("key %d: request carries an invalid config: %v", i, err)
				}
			}
			fmt.Fprintf(&b, "=> REQUEST %v\n", r.Action)
			for _, c := range netcfg.Diff(m.State().Config, r.Config) {
				if r.Action.HasConfig() {
					fmt.Fprintf(&b, "   %v\n", c)
				}
			}
			reqs = append(reqs, r)
		}
	}
	return b.String(), reqs
}

// golden compares got with testdata/<name>.golden, or writes it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				ctx := max(0, i-6)
				t.Fatalf("%s differs at line %d:\ngot:  %q\nwant: %q\ncontext (got):\n%s", path, i+1, g, w, strings.Join(gl[ctx:min(len(gl), i+2)], "\n"))
			}
		}
	}
}

func addr(s string) netip.Addr     { return netip.MustParseAddr(s) }
func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// readyStatus is a box that reached the platform over a DHCP lease on LAN.
func readyStatus() Status {
	return Status{
		Phase:    PhaseRunning,
		Platform: PlatformReady,
		Name:     "pk_jdoe",
		MAC:      "00:11:22:33:44:55",
		LAN: IPv4Addrs{
			Address: prefix("192.168.1.50/24"),
			Gateway: addr("192.168.1.1"),
			DNS1:    addr("192.168.1.2"),
		},
		Software:   "1.4.2",
		Signatures: "2024.06.01",
		LastPoll:   time.Date(2024, 6, 1, 12, 30, 0, 0, time.UTC),
	}
}

// dhcpState is the factory default, ready.
func dhcpState() State { return State{Config: netcfg.Default(), Status: readyStatus()} }

// staticState has a static LAN, a VLAN, a proxy with credentials and
// split networking with a static WAN.
func staticState() State {
	c := netcfg.Config{
		LAN: netcfg.LAN{
			Method:  netcfg.IPv4Static,
			Address: prefix("10.1.2.3/16"),
			Gateway: addr("10.1.0.1"),
			DNS1:    addr("10.1.0.2"),
			Domain:  "CORP.EXAMPLE",
		},
		VLAN: 42,
		WAN: netcfg.WAN{
			Method:  netcfg.WANStatic,
			Address: prefix("172.16.5.10/24"),
			Gateway: addr("172.16.5.1"),
			DNS1:    addr("172.16.5.2"),
		},
		Proxy: netcfg.Proxy{Host: "PROXY.CORP.EXAMPLE", Port: 3128, User: `corp\jdoe`, Password: netcfg.NewSecret("s3cret")},
		Link:  netcfg.Links{LAN: netcfg.Link100Full},
	}
	st := readyStatus()
	st.LAN = IPv4Addrs{Address: c.LAN.Address, Gateway: c.LAN.Gateway, DNS1: c.LAN.DNS1}
	st.WAN = IPv4Addrs{Address: c.WAN.Address, Gateway: c.WAN.Gateway, DNS1: c.WAN.DNS1}
	return State{Config: c, Status: st}
}

// v6State is IPv6-only mode with automatic IPv6.
func v6State() State {
	st := readyStatus()
	st.LAN = IPv4Addrs{}
	st.LAN6 = IPv6Addrs{Address: prefix("2001:db8:10::1234/64"), Gateway: addr("fe80::1"), DNS1: addr("2001:db8:10::53")}
	return State{Config: netcfg.DefaultFor(netcfg.ModeIPv6Only), Status: st}
}

func mustValid(t *testing.T, c netcfg.Config) netcfg.Config {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	return c
}
