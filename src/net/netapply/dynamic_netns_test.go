package netapply

// Network-namespace tests of what the first netapply left out: DHCP-lease
// shaped state, static IPv6 in both modes, and SLAAC by the kernel from a
// real router (dnsmasq) next to netapply's own state.

import (
	"maps"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/testkit/netbench"
)

// TestMain puts the system directories on PATH: Bazel runs tests with a
// bare environment, and ip and dnsmasq live in /usr/sbin.
func TestMain(m *testing.M) {
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin")
	os.Exit(m.Run())
}

// cfgStep is one configuration and what was learned at run time.
type cfgStep struct {
	cfg netcfg.Config
	dyn Dynamic
}

func TestApplyLeases(t *testing.T) {
	leaseA := &Lease4{Address: netip.MustParsePrefix("192.0.2.77/24"), Gateway: lanGW}
	leaseB := &Lease4{Address: netip.MustParsePrefix("10.20.0.9/16"), Gateway: netip.MustParseAddr("10.20.0.1")}
	leaseA2 := &Lease4{Address: netip.MustParsePrefix("192.0.2.78/24"), Gateway: netip.MustParseAddr("192.0.2.2")}
	wanLease := &Lease4{Address: netip.MustParsePrefix("198.51.100.77/24"), Gateway: wanGW}
	wanLease2 := &Lease4{Address: netip.MustParsePrefix("203.0.113.8/24"), Gateway: netip.MustParseAddr("203.0.113.1")}
	dhcp := netcfg.Default()
	wanDHCP := dhcp
	wanDHCP.WAN.Method = netcfg.WANDHCP

	addrs := func(b *box, dev string) string { return b.ip(t, "-4", "-o", "addr", "show", "dev", dev) }
	for _, tc := range []struct {
		name  string
		steps []cfgStep
		check func(t *testing.T, b *box, changes []string)
	}{{
		name:  "lease",
		steps: []cfgStep{{cfg: dhcp}, {cfg: dhcp, dyn: Dynamic{LAN4: leaseA}}},
		check: func(t *testing.T, b *box, changes []string) {
			if out := addrs(b, "lan0"); !strings.Contains(out, "inet 192.0.2.77/24") {
				t.Errorf("lan0 addresses: %q; want the leased 192.0.2.77/24", out)
			}
			if out := b.ip(t, "-4", "route", "show", "default"); strings.TrimSpace(out) != "default via 192.0.2.1 dev lan0 proto static" {
				t.Errorf("default route: %q; want via the lease's router", out)
			}
			want := []string{"add address 192.0.2.77/24 on lan0", "add route 0.0.0.0/0 via 192.0.2.1 dev lan0 table 254"}
			if !equal(changes, want) {
				t.Errorf("changes = %q\nwant %q", changes, want)
			}
		},
	}, {
		name:  "new lease on another subnet replaces the old",
		steps: []cfgStep{{cfg: dhcp, dyn: Dynamic{LAN4: leaseA}}, {cfg: dhcp, dyn: Dynamic{LAN4: leaseB}}},
		check: func(t *testing.T, b *box, _ []string) {
			if out := addrs(b, "lan0"); strings.Contains(out, "192.0.2.77") || !strings.Contains(out, "inet 10.20.0.9/16") {
				t.Errorf("lan0 addresses: %q; want only 10.20.0.9/16", out)
			}
			if out := b.ip(t, "-4", "route", "show", "default"); strings.TrimSpace(out) != "default via 10.20.0.1 dev lan0 proto static" {
				t.Errorf("default route: %q; want only via 10.20.0.1", out)
			}
		},
	}, {
		name:  "new lease in the same subnet with another router",
		steps: []cfgStep{{cfg: dhcp, dyn: Dynamic{LAN4: leaseA}}, {cfg: dhcp, dyn: Dynamic{LAN4: leaseA2}}},
		check: func(t *testing.T, b *box, _ []string) {
			if out := addrs(b, "lan0"); strings.Contains(out, "192.0.2.77") || !strings.Contains(out, "inet 192.0.2.78/24") {
				t.Errorf("lan0 addresses: %q; want only 192.0.2.78/24", out)
			}
			if out := b.ip(t, "-4", "route", "show", "default"); strings.TrimSpace(out) != "default via 192.0.2.2 dev lan0 proto static" {
				t.Errorf("default route: %q; want only via 192.0.2.2", out)
			}
		},
	}, {
		name:  "lease lost",
		steps: []cfgStep{{cfg: dhcp, dyn: Dynamic{LAN4: leaseA}}, {cfg: dhcp}},
		check: func(t *testing.T, b *box, _ []string) {
			if out := addrs(b, "lan0"); strings.Contains(out, "inet ") {
				t.Errorf("lan0 addresses: %q; want none after the lease is lost", out)
			}
			if out := b.ip(t, "-4", "route", "show", "table", "all", "default"); out != "" {
				t.Errorf("default routes: %q; want none", out)
			}
			if out := b.ip(t, "-o", "link", "show", "lan0"); !strings.Contains(out, ",UP") {
				t.Errorf("lan0 went down with the lease: %q", out)
			}
		},
	}, {
		name: "split networking with DHCP on WAN: lease, new lease, loss",
		steps: []cfgStep{
			{cfg: wanDHCP, dyn: Dynamic{LAN4: leaseA}},
			{cfg: wanDHCP, dyn: Dynamic{LAN4: leaseA, WAN4: wanLease}},
			{cfg: wanDHCP, dyn: Dynamic{LAN4: leaseA, WAN4: wanLease2}},
		},
		check: func(t *testing.T, b *box, _ []string) {
			if out := addrs(b, "wan0"); strings.Contains(out, "198.51.100.77") || !strings.Contains(out, "inet 203.0.113.8/24") || !strings.Contains(out, "noprefixroute") {
				t.Errorf("wan0 addresses: %q; want only 203.0.113.8/24 noprefixroute", out)
			}
			if out := b.ip(t, "-4", "rule", "show"); strings.Contains(out, "198.51.100.77") || !strings.Contains(out, "1000:\tfrom 203.0.113.8 lookup 100") {
				t.Errorf("rules: %q; want only from 203.0.113.8 lookup 100", out)
			}
			if dev := routeDev(t, b, "192.0.2.200", "from", "203.0.113.8"); dev != "wan0" {
				t.Errorf("management traffic leaves by %s, want wan0", dev)
			}
			if dev := routeDev(t, b, "203.0.113.50"); dev != "lan0" {
				t.Errorf("scan traffic to the WAN subnet leaves by %s, want lan0", dev)
			}
			// Then the WAN lease is lost: management routing goes, WAN stays up.
			b.mustApply(t, desiredDyn(t, wanDHCP, Dynamic{LAN4: leaseA}))
			if out := b.ip(t, "-4", "rule", "show"); strings.Contains(out, "lookup 100") {
				t.Errorf("rules after WAN lease loss: %q; want no management rule", out)
			}
			if out := b.ip(t, "-4", "route", "show", "table", "100"); out != "" {
				t.Errorf("table 100 after WAN lease loss: %q; want empty", out)
			}
			if out := addrs(b, "wan0"); strings.Contains(out, "inet ") {
				t.Errorf("wan0 addresses after lease loss: %q; want none", out)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBox(t)
			var changes []string
			for _, st := range tc.steps {
				changes = b.mustApply(t, desiredDyn(t, st.cfg, st.dyn))
			}
			tc.check(t, b, changes)
		})
	}
}

func equal(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

func TestApplyIPv6Static(t *testing.T) {
	v6Addr2 := netip.MustParsePrefix("fd42:2::10/64")
	v6GW2 := netip.MustParseAddr("fd42:2::1")
	scan := scanIPv6(staticLAN(lanAddr, lanGW), netcfg.ScanIPv6Static, v6Addr, v6GW)
	v6only := ipv6Only(netcfg.IPv6Static, v6Addr, v6GW)
	addr6 := func(b *box) string { return b.ip(t, "-6", "-o", "addr", "show", "dev", "lan0", "scope", "global") }
	for _, tc := range []struct {
		name    string
		steps   []netcfg.Config
		check   func(t *testing.T, b *box)
		sysctls map[string]string // expected values other than the defaults below
	}{{
		name:  "IPv6 for scanning static",
		steps: []netcfg.Config{staticLAN(lanAddr, lanGW), scan},
		check: func(t *testing.T, b *box) {
			if out := addr6(b); !strings.Contains(out, "inet6 fd42:1::10/64") || strings.Contains(out, "tentative") {
				t.Errorf("lan0 IPv6 addresses: %q; want fd42:1::10/64, usable at once", out)
			}
			if out := b.ip(t, "-6", "route", "show", "default"); !strings.Contains(out, "default via fd42:1::1 dev lan0 proto static metric 512") {
				t.Errorf("IPv6 default route: %q; want via fd42:1::1 dev lan0 metric 512", out)
			}
			if out := b.ip(t, "-4", "-o", "addr", "show", "dev", "lan0"); !strings.Contains(out, "inet 192.0.2.10/24") {
				t.Errorf("lan0 IPv4 addresses: %q; IPv4 must stay in IPv4+v6 mode", out)
			}
			if out := b.ip(t, "-6", "-o", "route", "get", "fd99::1"); !strings.Contains(out, "via fd42:1::1 dev lan0") {
				t.Errorf("route to an IPv6 scan target: %q; want via fd42:1::1 dev lan0", out)
			}
		},
	}, {
		name:  "IPv6-only manual",
		steps: []netcfg.Config{staticLAN(lanAddr, lanGW), v6only},
		check: func(t *testing.T, b *box) {
			if out := addr6(b); !strings.Contains(out, "inet6 fd42:1::10/64") {
				t.Errorf("lan0 IPv6 addresses: %q; want fd42:1::10/64", out)
			}
			if out := b.ip(t, "-4", "-o", "addr", "show", "dev", "lan0"); out != "" {
				t.Errorf("lan0 IPv4 addresses: %q; want none in IPv6-only mode", out)
			}
			if out := b.ip(t, "-4", "route", "show", "table", "all", "default"); out != "" {
				t.Errorf("IPv4 default routes: %q; want none in IPv6-only mode", out)
			}
			if out := b.ip(t, "-6", "route", "show", "default"); !strings.Contains(out, "default via fd42:1::1 dev lan0") {
				t.Errorf("IPv6 default route: %q", out)
			}
		},
	}, {
		name:  "IPv6-only manual with a link-local gateway",
		steps: []netcfg.Config{ipv6Only(netcfg.IPv6Static, v6Addr, v6LLGW)},
		check: func(t *testing.T, b *box) {
			if out := b.ip(t, "-6", "route", "show", "default"); !strings.Contains(out, "default via fe80::1 dev lan0 proto static metric 512") {
				t.Errorf("IPv6 default route: %q; want via fe80::1 dev lan0", out)
			}
		},
	}, {
		// No router has advertised anything yet, so nothing says the
		// gateway is on the link; the configured route must go in anyway.
		name:  "IPv6-only automatic with a global gateway before any advertisement",
		steps: []netcfg.Config{ipv6Only(netcfg.IPv6Auto, netip.Prefix{}, v6GW)},
		check: func(t *testing.T, b *box) {
			if out := b.ip(t, "-6", "route", "show", "default"); !strings.Contains(out, "default via fd42:1::1 dev lan0 proto static metric 512 onlink") {
				t.Errorf("IPv6 default route: %q; want via fd42:1::1 dev lan0 onlink", out)
			}
		},
		sysctls: map[string]string{"net/ipv6/conf/lan0/accept_ra": "1", "net/ipv6/conf/lan0/autoconf": "1"},
	}, {
		name:  "IPv6 address and gateway change",
		steps: []netcfg.Config{v6only, ipv6Only(netcfg.IPv6Static, v6Addr2, v6GW2)},
		check: func(t *testing.T, b *box) {
			if out := addr6(b); strings.Contains(out, "fd42:1::10") || !strings.Contains(out, "inet6 fd42:2::10/64") {
				t.Errorf("lan0 IPv6 addresses: %q; want only fd42:2::10/64", out)
			}
			if out := b.ip(t, "-6", "route", "show", "default"); strings.Contains(out, "fd42:1::1") || !strings.Contains(out, "via fd42:2::1") {
				t.Errorf("IPv6 default route: %q; want only via fd42:2::1", out)
			}
		},
	}, {
		name:  "IPv6 for scanning off again",
		steps: []netcfg.Config{scan, staticLAN(lanAddr, lanGW)},
		check: func(t *testing.T, b *box) {
			if out := addr6(b); out != "" {
				t.Errorf("lan0 IPv6 global addresses: %q; want none", out)
			}
			if out := b.ip(t, "-6", "route", "show", "default"); out != "" {
				t.Errorf("IPv6 default route: %q; want none", out)
			}
			// Link-local stays: IPv6 is not disabled on LAN, only unused.
			if out := b.ip(t, "-6", "-o", "addr", "show", "dev", "lan0", "scope", "link"); !strings.Contains(out, "fe80::") {
				t.Errorf("lan0 link-local: %q; want one", out)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBox(t)
			for _, cfg := range tc.steps {
				b.mustApply(t, desired(t, cfg))
			}
			tc.check(t, b)
			want := map[string]string{
				"net/ipv6/conf/lan0/accept_ra": "0", "net/ipv6/conf/lan0/autoconf": "0", "net/ipv6/conf/lan0/disable_ipv6": "0",
				"net/ipv6/conf/wan0/accept_ra": "0", "net/ipv6/conf/wan0/disable_ipv6": "1", "net/ipv6/conf/all/forwarding": "0",
			}
			maps.Copy(want, tc.sysctls)
			for key, want := range want {
				if v := b.sysctl(t, key); v != want {
					t.Errorf("%s = %s, want %s", key, v, want)
				}
			}
		})
	}
}

// startRouter runs dnsmasq as an IPv6 router (router advertisements only,
// for prefix fd42:1::/64) on lanp in peer.
func startRouter(t *testing.T, peer *netbench.NS) {
	t.Helper()
	peer.Run("ip", "addr", "add", "fd42:1::1/64", "dev", "lanp", "nodad")
	netbench.Dnsmasq(peer, netbench.DnsmasqOptions{Interface: "lanp", RA: true})
}

// waitFor polls cond until it holds; the timeout only keeps a broken
// setup from hanging the test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("no %s within 60s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestApplySLAAC: a real router advertises fd42:1::/64; in automatic mode
// the kernel forms its own address and default route, and netapply must
// leave both alone, applying again and switching to manual.
func TestApplySLAAC(t *testing.T) {
	b := newBox(t)
	startRouter(t, b.peerNS)

	auto := netcfg.DefaultFor(netcfg.ModeIPv6Only)
	b.mustApply(t, desired(t, auto))
	for key, want := range map[string]string{"net/ipv6/conf/lan0/accept_ra": "1", "net/ipv6/conf/lan0/autoconf": "1", "net/ipv6/conf/all/forwarding": "0"} {
		if v := b.sysctl(t, key); v != want {
			t.Errorf("%s = %s, want %s", key, v, want)
		}
	}
	slaac := func() string {
		return b.ip(t, "-6", "-o", "addr", "show", "dev", "lan0", "scope", "global", "dynamic")
	}
	waitFor(t, "SLAAC address in fd42:1::/64", func() bool { return strings.Contains(slaac(), "inet6 fd42:1::") })
	waitFor(t, "default route from the router advertisement", func() bool {
		return strings.Contains(b.ip(t, "-6", "route", "show", "default"), "proto ra")
	})
	formed := slaac()
	t.Logf("kernel formed: %s", formed)

	// Applying again sees nothing to do: the kernel's state is not netapply's.
	if changes, err := b.apply(t, desired(t, auto)); err != nil || len(changes) != 0 {
		t.Fatalf("second apply in automatic mode: changes %q, error %v; want none", changes, err)
	}
	if got := b.observe(t); len(got.Addrs) != 0 || len(got.Routes) != 0 {
		t.Errorf("Observe reads the kernel's SLAAC state as netapply's: %+v %+v", got.Addrs, got.Routes)
	}

	// A configured gateway overrides the advertised router.
	withGW := ipv6Only(netcfg.IPv6Auto, netip.Prefix{}, netip.MustParseAddr("fd42:1::1"))
	changes := b.mustApply(t, desired(t, withGW))
	if !equal(changes, []string{"add route ::/0 via fd42:1::1 dev lan0 table 254 metric 512"}) {
		t.Errorf("changes for a configured gateway: %q", changes)
	}
	if out := b.ip(t, "-6", "-o", "route", "get", "fd77::1"); !strings.Contains(out, "via fd42:1::1 dev lan0") {
		t.Errorf("route to an outside address: %q; want via the configured fd42:1::1", out)
	}
	if out := b.ip(t, "-6", "route", "show", "default"); !strings.Contains(out, "proto ra") {
		t.Errorf("the advertised default route was removed: %q", out)
	}

	// Manual: accept_ra off, manual address and gateway in; what the kernel
	// made is the kernel's to expire, not netapply's to remove.
	manual := ipv6Only(netcfg.IPv6Static, v6Addr, v6GW)
	changes = b.mustApply(t, desired(t, manual))
	for _, c := range changes {
		if strings.HasPrefix(c, "delete") && !strings.Contains(c, "metric 512") {
			t.Errorf("switch to manual removed %q; only netapply's own state may go", c)
		}
	}
	for key, want := range map[string]string{"net/ipv6/conf/lan0/accept_ra": "0", "net/ipv6/conf/lan0/autoconf": "0"} {
		if v := b.sysctl(t, key); v != want {
			t.Errorf("%s = %s, want %s", key, v, want)
		}
	}
	if out := slaac(); !strings.Contains(out, strings.Fields(formed)[3]) {
		t.Errorf("SLAAC address %s removed by the switch to manual: %q", strings.Fields(formed)[3], out)
	}
	if out := b.ip(t, "-6", "-o", "addr", "show", "dev", "lan0", "scope", "global", "permanent"); !strings.Contains(out, "inet6 fd42:1::10/64") {
		t.Errorf("manual address missing: %q", out)
	}
}
