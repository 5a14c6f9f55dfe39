package netapply

// These tests change real kernel state, but only inside network namespaces
// they create (and delete, even on failure): a "box" namespace with lan0
// and wan0, each a veth whose peer sits in a "peer" namespace. No packet
// leaves those namespaces.

import (
	"errors"
	"net/netip"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/testkit/netbench"
)

// box is a namespace under test and a netlink handle bound to it.
type box struct {
	ns     string
	peer   string       // the peer namespace, where lanp and wanp are
	peerNS *netbench.NS // the same, for netbench's servers
	h      *netlink.Handle
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newBox makes the box and peer namespaces and the two veth pairs. The
// box's links start down, as at boot; the peers are up.
func newBox(t *testing.T) *box {
	t.Helper()
	// netbench fails the test without root: a skip would hide that
	// nothing was tested.
	bench := netbench.New(t)
	pns := bench.NS("netapply-peer")
	bn, pn := bench.NS("netapply-box").Name, pns.Name
	for _, p := range [][2]string{{"lan0", "lanp"}, {"wan0", "wanp"}} {
		run(t, "ip", "-n", bn, "link", "add", p[0], "type", "veth", "peer", "name", p[1], "netns", pn)
		run(t, "ip", "-n", pn, "link", "set", p[1], "up")
	}
	nsh, err := netns.GetFromName(bn)
	if err != nil {
		t.Fatalf("open namespace %s: %v", bn, err)
	}
	t.Cleanup(func() { nsh.Close() })
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		t.Fatalf("netlink handle in %s: %v", bn, err)
	}
	t.Cleanup(h.Delete)
	return &box{ns: bn, peer: pn, peerNS: pns, h: h}
}

// inNS runs f on an OS thread in the box's namespace, so that
// /proc/sys/net shows the box's sysctls (netbench.Enter).
func (b *box) inNS(t *testing.T, f func()) {
	t.Helper()
	if err := netbench.Enter(b.ns, func() error { f(); return nil }); err != nil {
		t.Fatal(err)
	}
}

var links = []string{"lan0", "wan0"}

// kernel is the box's Kernel; its sysctls are read through /proc/sys, so
// it is used inside inNS.
func (b *box) kernel() Kernel { return NewNetlink(b.h, "/proc/sys") }

func (b *box) observe(t *testing.T) State {
	t.Helper()
	var s State
	var err error
	b.inNS(t, func() { s, err = Observe(b.kernel(), links) })
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	return s
}

func (b *box) apply(t *testing.T, want State, opts ...Option) ([]string, error) {
	t.Helper()
	cur := b.observe(t)
	var changes []string
	var err error
	b.inNS(t, func() { changes, err = Apply(b.kernel(), cur, want, opts...) })
	return changes, err
}

// mustApply applies want, then applies it again and checks that the second
// apply changes nothing and that Observe reads want back.
func (b *box) mustApply(t *testing.T, want State) []string {
	t.Helper()
	changes, err := b.apply(t, want)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if len(changes) == 0 {
		t.Fatalf("Apply made no change; want some")
	}
	again, err := b.apply(t, want)
	if err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if len(again) != 0 {
		t.Fatalf("second Apply of the same state made changes: %q", again)
	}
	if got := b.observe(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("Observe after Apply =\n%+v\nwant\n%+v", got, want)
	}
	return changes
}

// ip runs ip(8) in the box's namespace, for checks that do not go through
// the code under test.
func (b *box) ip(t *testing.T, args ...string) string {
	t.Helper()
	return run(t, append([]string{"ip", "-n", b.ns}, args...)...)
}

// dump is the kernel state as ip(8) and /proc/sys show it, to compare
// before and after a rolled-back apply independently of Observe.
func (b *box) dump(t *testing.T) string {
	t.Helper()
	return strings.Join([]string{
		b.ip(t, "-4", "-o", "addr", "show"),
		// Without the qdisc: the kernel attaches one on a link's first up
		// and keeps it after down, which is no state netapply manages.
		// Nor iproute2's own complaint when the peer's netns id does
		// not resolve for a moment (a parallel test's namespace coming
		// or going): seen once in CI, it is no state of this box.
		peerNetnsErr.ReplaceAllString(qdisc.ReplaceAllString(b.ip(t, "-o", "link", "show"), ""), ""),
		b.ip(t, "-4", "route", "show", "table", "all"),
		b.ip(t, "-4", "rule", "show"),
		// IPv6 without what the kernel makes on its own schedule
		// (link-local addresses once DAD is done, their local routes).
		b.ip(t, "-6", "-o", "addr", "show", "scope", "global"),
		kernelV6.ReplaceAllString(b.ip(t, "-6", "route", "show", "table", "all"), ""),
		b.sysctl(t, "net/ipv4/ip_forward"), b.sysctl(t, "net/ipv6/conf/all/forwarding"),
		b.sysctl(t, "net/ipv4/conf/lan0/promote_secondaries"), b.sysctl(t, "net/ipv4/conf/wan0/promote_secondaries"),
		b.sysctl(t, "net/ipv6/conf/lan0/accept_ra"), b.sysctl(t, "net/ipv6/conf/lan0/autoconf"), b.sysctl(t, "net/ipv6/conf/lan0/disable_ipv6"),
		b.sysctl(t, "net/ipv6/conf/wan0/accept_ra"), b.sysctl(t, "net/ipv6/conf/wan0/disable_ipv6"),
	}, "\n")
}

var kernelV6 = regexp.MustCompile(`(?m)^.*(table local|fe80::/64).*\n`)

var qdisc = regexp.MustCompile(`qdisc \S+ `)

var peerNetnsErr = regexp.MustCompile(`(?m)^Error: Peer netns reference is invalid\.\n`)

func (b *box) sysctl(t *testing.T, key string) string {
	t.Helper()
	return strings.TrimSpace(run(t, "ip", "netns", "exec", b.ns, "cat", "/proc/sys/"+key))
}

func desired(t *testing.T, cfg netcfg.Config) State {
	t.Helper()
	return desiredDyn(t, cfg, Dynamic{})
}

// desiredDyn is desired with leases learned at run time.
func desiredDyn(t *testing.T, cfg netcfg.Config, dyn Dynamic) State {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config is invalid: %v", err)
	}
	s, err := Desired(cfg, Ports{LAN: "lan0", WAN: "wan0"}, dyn)
	if err != nil {
		t.Fatalf("Desired: %v", err)
	}
	return s
}

func routeDev(t *testing.T, b *box, args ...string) string {
	t.Helper()
	out := b.ip(t, append([]string{"-4", "-o", "route", "get"}, args...)...)
	f := strings.Fields(out)
	for i := range f[:len(f)-1] {
		if f[i] == "dev" {
			return f[i+1]
		}
	}
	t.Fatalf("no dev in %q", out)
	return ""
}

func TestApplyInNamespace(t *testing.T) {
	platform, scanTarget := "203.0.113.5", "10.9.8.7"
	for _, tc := range []struct {
		name  string
		steps []netcfg.Config
		check func(t *testing.T, b *box, changes []string)
	}{{
		name:  "static LAN",
		steps: []netcfg.Config{staticLAN(lanAddr, lanGW)},
		check: func(t *testing.T, b *box, _ []string) {
			if out := b.ip(t, "-4", "-o", "addr", "show", "dev", "lan0"); !strings.Contains(out, "inet 192.0.2.10/24") {
				t.Errorf("lan0 addresses: %q; want 192.0.2.10/24", out)
			}
			if out := b.ip(t, "-4", "route", "show", "default"); !strings.Contains(out, "default via 192.0.2.1 dev lan0") {
				t.Errorf("default route: %q; want via 192.0.2.1 dev lan0", out)
			}
			if out := b.ip(t, "-o", "link", "show", "lan0"); !strings.Contains(out, ",UP") {
				t.Errorf("lan0 is not up: %q", out)
			}
		},
	}, {
		name:  "change address and gateway",
		steps: []netcfg.Config{staticLAN(lanAddr, lanGW), staticLAN(netip.MustParsePrefix("10.20.0.5/16"), netip.MustParseAddr("10.20.0.1"))},
		check: func(t *testing.T, b *box, changes []string) {
			out := b.ip(t, "-4", "-o", "addr", "show", "dev", "lan0")
			if strings.Contains(out, "192.0.2.10") || !strings.Contains(out, "inet 10.20.0.5/16") {
				t.Errorf("lan0 addresses: %q; want only 10.20.0.5/16", out)
			}
			if out := b.ip(t, "-4", "route", "show", "default"); strings.TrimSpace(out) != "default via 10.20.0.1 dev lan0 proto static" {
				t.Errorf("default route: %q; want only via 10.20.0.1", out)
			}
			want := []string{"add address 10.20.0.5/16 on lan0", "delete route 0.0.0.0/0 via 192.0.2.1 dev lan0 table 254",
				"add route 0.0.0.0/0 via 10.20.0.1 dev lan0 table 254", "delete address 192.0.2.10/24 on lan0"}
			if !reflect.DeepEqual(changes, want) {
				t.Errorf("changes = %q\nwant %q", changes, want)
			}
		},
	}, {
		// Same subnet: without promote_secondaries, deleting the old
		// (primary) address would take the new one with it.
		name:  "change address within the subnet",
		steps: []netcfg.Config{staticLAN(lanAddr, lanGW), staticLAN(lanAddr2, lanGW)},
		check: func(t *testing.T, b *box, _ []string) {
			out := b.ip(t, "-4", "-o", "addr", "show", "dev", "lan0")
			if strings.Contains(out, "192.0.2.10") || !strings.Contains(out, "inet 192.0.2.20/24") {
				t.Errorf("lan0 addresses: %q; want only 192.0.2.20/24", out)
			}
		},
	}, {
		name:  "change netmask only",
		steps: []netcfg.Config{staticLAN(lanAddr, lanGW), staticLAN(netip.MustParsePrefix("192.0.2.10/25"), lanGW)},
		check: func(t *testing.T, b *box, _ []string) {
			out := b.ip(t, "-4", "-o", "addr", "show", "dev", "lan0")
			if strings.Contains(out, "192.0.2.10/24") || !strings.Contains(out, "inet 192.0.2.10/25") {
				t.Errorf("lan0 addresses: %q; want only 192.0.2.10/25", out)
			}
			if out := b.ip(t, "-4", "route", "show", "default"); !strings.Contains(out, "default via 192.0.2.1 dev lan0") {
				t.Errorf("default route: %q; want via 192.0.2.1 dev lan0", out)
			}
		},
	}, {
		name:  "split networking",
		steps: []netcfg.Config{staticLAN(lanAddr, lanGW), split(staticLAN(lanAddr, lanGW))},
		check: func(t *testing.T, b *box, _ []string) {
			if out := b.ip(t, "-4", "rule", "show"); !strings.Contains(out, "1000:\tfrom 198.51.100.10 lookup 100") {
				t.Errorf("rules: %q; want 1000: from 198.51.100.10 lookup 100", out)
			}
			if out := b.ip(t, "-4", "route", "show", "table", "100"); !strings.Contains(out, "default via 198.51.100.1 dev wan0") {
				t.Errorf("table 100: %q; want default via 198.51.100.1 dev wan0", out)
			}
			if dev := routeDev(t, b, platform, "from", "198.51.100.10"); dev != "wan0" {
				t.Errorf("management traffic (from WAN address) to %s leaves by %s, want wan0", platform, dev)
			}
			if dev := routeDev(t, b, scanTarget); dev != "lan0" {
				t.Errorf("scan traffic to %s leaves by %s, want lan0", scanTarget, dev)
			}
			if dev := routeDev(t, b, scanTarget, "from", "192.0.2.10"); dev != "lan0" {
				t.Errorf("scan traffic from the LAN address leaves by %s, want lan0", dev)
			}
			// A scan target on the WAN's subnet is still reached by LAN:
			// only management traffic may use WAN.
			if dev := routeDev(t, b, "198.51.100.77"); dev != "lan0" {
				t.Errorf("scan traffic to the WAN subnet leaves by %s, want lan0", dev)
			}
			if dev := routeDev(t, b, "198.51.100.77", "from", "198.51.100.10"); dev != "wan0" {
				t.Errorf("management traffic to the WAN subnet leaves by %s, want wan0", dev)
			}
		},
	}, {
		name:  "platform static routes",
		steps: []netcfg.Config{staticLAN(lanAddr, lanGW), withRoutes(staticLAN(lanAddr, lanGW), "10.1.0.0/16", "172.16.5.0/24"), withRoutes(staticLAN(lanAddr, lanGW), "172.16.5.0/24", "10.77.0.0/16")},
		check: func(t *testing.T, b *box, changes []string) {
			out := b.ip(t, "-4", "route", "show", "via", "192.0.2.254")
			if strings.Contains(out, "10.1.0.0/16") || !strings.Contains(out, "172.16.5.0/24") || !strings.Contains(out, "10.77.0.0/16") {
				t.Errorf("routes via 192.0.2.254: %q; want 172.16.5.0/24 and 10.77.0.0/16 only", out)
			}
			want := []string{"delete route 10.1.0.0/16 via 192.0.2.254 dev lan0 table 254", "add route 10.77.0.0/16 via 192.0.2.254 dev lan0 table 254"}
			if !reflect.DeepEqual(changes, want) {
				t.Errorf("changes = %q\nwant %q", changes, want)
			}
		},
	}, {
		name:  "split networking off again",
		steps: []netcfg.Config{split(staticLAN(lanAddr, lanGW)), staticLAN(lanAddr, lanGW)},
		check: func(t *testing.T, b *box, _ []string) {
			if out := b.ip(t, "-4", "rule", "show"); strings.Contains(out, "lookup 100") {
				t.Errorf("rules still send to table 100: %q", out)
			}
			if out := b.ip(t, "-4", "route", "show", "table", "all"); strings.Contains(out, "table 100") || strings.Contains(out, "198.51.100") {
				t.Errorf("WAN routes remain: %q", out)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBox(t)
			// Forwarding on at the start, so the test shows Apply turns it off.
			run(t, "ip", "netns", "exec", b.ns, "sh", "-c", "echo 1 >/proc/sys/net/ipv4/ip_forward && echo 1 >/proc/sys/net/ipv6/conf/all/forwarding")
			var changes []string
			for _, cfg := range tc.steps {
				changes = b.mustApply(t, desired(t, cfg))
			}
			tc.check(t, b, changes)
			for _, key := range []string{"net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding"} {
				if v := b.sysctl(t, key); v != "0" {
					t.Errorf("%s = %s, want 0", key, v)
				}
			}
		})
	}
}

func withRoutes(c netcfg.Config, dsts ...string) netcfg.Config {
	for _, d := range dsts {
		c.Platform.Routes = append(c.Platform.Routes, netcfg.Route{Destination: netip.MustParsePrefix(d), Gateway: netip.MustParseAddr("192.0.2.254")})
	}
	return c
}

func TestApplyRollback(t *testing.T) {
	start := staticLAN(lanAddr, lanGW)
	unreachable := staticLAN(netip.MustParsePrefix("10.20.0.5/16"), netip.MustParseAddr("10.20.0.1"))
	for _, tc := range []struct {
		name    string
		from    netcfg.Config
		want    func(t *testing.T) State
		wantErr string
	}{{
		// The gateway is outside every subnet on the box: the route add
		// fails after the new address is in and the old route is out.
		name: "gateway unreachable",
		from: start,
		want: func(t *testing.T) State {
			s := desired(t, unreachable)
			s.Routes[0].Gateway = netip.MustParseAddr("172.31.0.1")
			return s
		},
		wantErr: "network is unreachable (rolled back 2 changes)",
	}, {
		name: "address change, gateway unreachable, from split",
		from: split(start),
		want: func(t *testing.T) State {
			s := desired(t, split(unreachable))
			for i := range s.Routes {
				if s.Routes[i].Table == mainTable {
					s.Routes[i].Gateway = netip.MustParseAddr("172.31.0.1")
				}
			}
			return s
		},
		wantErr: "network is unreachable",
	}, {
		name:    "link that does not exist",
		from:    start,
		want:    func(t *testing.T) State { s, _ := Desired(start, Ports{LAN: "nosuch0"}, Dynamic{}); return s },
		wantErr: "link nosuch0 does not exist",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBox(t)
			b.mustApply(t, desired(t, tc.from))
			before, dump := b.observe(t), b.dump(t)
			_, err := b.apply(t, tc.want(t))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Apply error = %v; want one containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "rollback incomplete") {
				t.Fatalf("rollback failed: %v", err)
			}
			if after := b.observe(t); !reflect.DeepEqual(after, before) {
				t.Errorf("state after failed apply =\n%+v\nwant (before)\n%+v", after, before)
			}
			if after := b.dump(t); after != dump {
				t.Errorf("kernel state after failed apply:\n%s\nwant (before):\n%s", after, dump)
			}
		})
	}
}

// TestApplyRollbackEveryStep fails an apply at each of its steps in turn
// and checks that every partial apply is rolled back exactly.
func TestApplyRollbackEveryStep(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to netcfg.Config
	}{
		{"boot to split", netcfg.Config{}, split(staticLAN(lanAddr, lanGW))},
		{"static to split with new LAN address", staticLAN(lanAddr, lanGW), split(staticLAN(lanAddr2, lanGW))},
		{"split to static on another subnet", split(staticLAN(lanAddr, lanGW)), staticLAN(netip.MustParsePrefix("10.20.0.5/16"), netip.MustParseAddr("10.20.0.1"))},
		{"split to IPv6-only manual", split(staticLAN(lanAddr, lanGW)), ipv6Only(netcfg.IPv6Static, v6Addr, v6GW)},
		{"IPv6-only manual to IPv6 for scanning static", ipv6Only(netcfg.IPv6Static, v6Addr, v6GW),
			scanIPv6(staticLAN(lanAddr, lanGW), netcfg.ScanIPv6Static, netip.MustParsePrefix("fd42:2::10/64"), netip.MustParseAddr("fd42:2::1"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBox(t)
			run(t, "ip", "netns", "exec", b.ns, "sh", "-c", "echo 1 >/proc/sys/net/ipv4/ip_forward")
			if tc.from.LAN.Method == netcfg.IPv4Static || tc.from.Mode == netcfg.ModeIPv6Only {
				b.mustApply(t, desired(t, tc.from))
			}
			want := desired(t, tc.to)
			before, dump := b.observe(t), b.dump(t)
			// A dry count of the steps: fail at the first to learn them all.
			var all []string
			_, err := b.apply(t, want, WithBeforeStep(func(d string) error { all = append(all, d); return nil }))
			if err != nil {
				t.Fatalf("counting apply: %v", err)
			}
			if len(all) < 5 {
				t.Fatalf("only %d steps (%q); the test wants a multi-step apply", len(all), all)
			}
			t.Logf("%d steps, each made to fail in turn", len(all))
			// Undo that apply by applying the old state back, then check
			// that it really is back.
			if _, err := b.apply(t, before); err != nil {
				t.Fatalf("apply back: %v", err)
			}
			if got := b.observe(t); !reflect.DeepEqual(got, before) {
				t.Fatalf("applying the old state back gave\n%+v\nwant\n%+v", got, before)
			}
			injected := errors.New("injected failure")
			for k := range all {
				n := 0
				_, err := b.apply(t, want, WithBeforeStep(func(string) error {
					if n == k {
						return injected
					}
					n++
					return nil
				}))
				if !errors.Is(err, injected) {
					t.Fatalf("fail at step %d (%s): error = %v, want the injected one", k, all[k], err)
				}
				if strings.Contains(err.Error(), "rollback incomplete") {
					t.Fatalf("fail at step %d (%s): %v", k, all[k], err)
				}
				if after := b.observe(t); !reflect.DeepEqual(after, before) {
					t.Fatalf("fail at step %d (%s): state after rollback =\n%+v\nwant\n%+v", k, all[k], after, before)
				}
				if after := b.dump(t); after != dump {
					t.Fatalf("fail at step %d (%s): kernel state after rollback:\n%s\nwant:\n%s", k, all[k], after, dump)
				}
			}
		})
	}
}

func TestVLAN(t *testing.T) {
	b := newBox(t)
	b.mustApply(t, desired(t, staticLAN(lanAddr, lanGW)))
	cfg := staticLAN(lanAddr, lanGW)
	cfg.VLAN = 20
	want := desired(t, cfg)
	before, dump := b.observe(t), b.dump(t)

	if _, err := b.apply(t, want); err == nil || !strings.Contains(err.Error(), "only when asked") {
		t.Fatalf("Apply without WithVLANs: error = %v; want a refusal", err)
	}
	if after := b.dump(t); after != dump {
		t.Fatalf("refused apply changed the kernel state:\n%s\nwant:\n%s", after, dump)
	}

	_, err := b.apply(t, want, WithVLANs())
	var vlanOK bool
	b.inNS(t, func() { _, lerr := b.h.LinkByName("lan0.20"); vlanOK = lerr == nil })
	switch {
	case errors.Is(err, ErrNoVLANSupport):
		// This machine's kernel: no 8021q and no module loading. The error
		// must say so plainly and nothing may be left half-done.
		if !strings.Contains(err.Error(), "kernel has no 802.1Q VLAN support") {
			t.Errorf("error %q does not say the kernel lacks 802.1Q", err)
		}
		if vlanOK {
			t.Errorf("lan0.20 exists after a failed apply")
		}
		if after := b.observe(t); !reflect.DeepEqual(after, before) {
			t.Errorf("state after failed VLAN apply =\n%+v\nwant\n%+v", after, before)
		}
		if after := b.dump(t); after != dump {
			t.Errorf("kernel state after failed VLAN apply:\n%s\nwant:\n%s", after, dump)
		}
		t.Logf("kernel has no 802.1Q: %v", err)
	case err == nil:
		// A kernel with 802.1Q: the VLAN must really be there.
		got := b.observeWith(t, want.LinkNames())
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Observe after VLAN apply =\n%+v\nwant\n%+v", got, want)
		}
	default:
		t.Fatalf("Apply with WithVLANs: %v", err)
	}
}

func (b *box) observeWith(t *testing.T, names []string) State {
	t.Helper()
	var s State
	var err error
	b.inNS(t, func() { s, err = Observe(b.kernel(), names) })
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	return s
}

// TestApplyRefusesFlagChange: an address put in place outside netapply
// with the kernel's prefix route cannot be turned into the WAN's
// noprefixroute address in place; Apply says so and changes nothing.
func TestApplyRefusesFlagChange(t *testing.T) {
	b := newBox(t)
	b.ip(t, "addr", "add", wanAddr.String(), "dev", "wan0")
	dump := b.dump(t)
	_, err := b.apply(t, desired(t, split(staticLAN(lanAddr, lanGW))))
	if err == nil || !strings.Contains(err.Error(), "remove it first") {
		t.Fatalf("Apply error = %v; want a refusal to change the address's flags", err)
	}
	if after := b.dump(t); after != dump {
		t.Errorf("refused apply changed the kernel state:\n%s\nwant:\n%s", after, dump)
	}
}

// A board's WAN port that is not there (the virtual appliance with one
// NIC) is fine while split networking is off, and named when it is on.
func TestApplyWithoutWANPort(t *testing.T) {
	b := newBox(t)
	run(t, "ip", "-n", b.ns, "link", "del", "wan0")
	want := desired(t, staticLAN(lanAddr, lanGW))
	if _, err := b.apply(t, want); err != nil {
		t.Fatalf("Apply without a WAN port: %v", err)
	}
	if again, err := b.apply(t, want); err != nil || len(again) != 0 {
		t.Fatalf("second Apply: changes %q, err %v; want none", again, err)
	}
	if out := b.ip(t, "-4", "-o", "addr", "show", "dev", "lan0"); !strings.Contains(out, "inet 192.0.2.10/24") {
		t.Errorf("lan0 addresses: %q; want 192.0.2.10/24", out)
	}
	split := staticLAN(lanAddr, lanGW)
	split.WAN = netcfg.WAN{Method: netcfg.WANStatic, Address: netip.MustParsePrefix("198.51.100.10/24"), Gateway: netip.MustParseAddr("198.51.100.1"), DNS1: netip.MustParseAddr("198.51.100.53")}
	if _, err := b.apply(t, desired(t, split)); err == nil || !strings.Contains(err.Error(), "link wan0 does not exist") {
		t.Errorf("split networking without the WAN port: err %v, want link wan0 does not exist", err)
	}
}
