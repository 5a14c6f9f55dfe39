package netapply

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"picket.dev/picket/src/net/netcfg"
)

var (
	lanAddr  = netip.MustParsePrefix("192.0.2.10/24")
	lanGW    = netip.MustParseAddr("192.0.2.1")
	lanAddr2 = netip.MustParsePrefix("192.0.2.20/24")
	wanAddr  = netip.MustParsePrefix("198.51.100.10/24")
	wanGW    = netip.MustParseAddr("198.51.100.1")
	dns      = netip.MustParseAddr("192.0.2.53")

	v6Addr  = netip.MustParsePrefix("fd42:1::10/64")
	v6GW    = netip.MustParseAddr("fd42:1::1")
	v6LLGW  = netip.MustParseAddr("fe80::1")
	v6DNS   = netip.MustParseAddr("fd42:1::53")
	v6Route = netcfg.Route{Destination: netip.MustParsePrefix("fd99::/48"), Gateway: netip.MustParseAddr("fd42:1::254")}
	v4Route = netcfg.Route{Destination: netip.MustParsePrefix("10.1.0.0/16"), Gateway: netip.MustParseAddr("192.0.2.254")}
)

func staticLAN(addr netip.Prefix, gw netip.Addr) netcfg.Config {
	c := netcfg.Default()
	c.LAN = netcfg.LAN{Method: netcfg.IPv4Static, Address: addr, Gateway: gw, DNS1: dns}
	return c
}

func split(c netcfg.Config) netcfg.Config {
	c.WAN = netcfg.WAN{Method: netcfg.WANStatic, Address: wanAddr, Gateway: wanGW, DNS1: netip.MustParseAddr("198.51.100.53")}
	return c
}

func ipv6Only(method netcfg.IPv6Method, addr netip.Prefix, gw netip.Addr) netcfg.Config {
	c := netcfg.DefaultFor(netcfg.ModeIPv6Only)
	c.LANv6 = netcfg.LANv6{Method: method, Address: addr, Gateway: gw}
	if method == netcfg.IPv6Static {
		c.LANv6.DNS1 = v6DNS
	}
	return c
}

func scanIPv6(c netcfg.Config, method netcfg.ScanIPv6Method, addr netip.Prefix, gw netip.Addr) netcfg.Config {
	c.Platform.ScanIPv6 = netcfg.ScanIPv6{Method: method, Address: addr, Gateway: gw}
	return c
}

// sysctls is the sysctl map Desired gives: forwarding off; every LAN-side
// link with IPv6 on, SLAAC only on slaac; the WAN (if any) with IPv6 off.
func sysctls(lanLinks []string, slaac, wan string) map[string]string {
	m := map[string]string{sysIPv4Forward: "0", sysIPv6Forward: "0"}
	for _, l := range lanLinks {
		on := boolSysctl(l == slaac)
		m[promoteSecondaries(l)], m[acceptRA(l)], m[autoconf(l)], m[disableIPv6(l)] = "1", on, on, "0"
	}
	if wan != "" {
		m[promoteSecondaries(wan)], m[acceptRA(wan)], m[autoconf(wan)], m[disableIPv6(wan)] = "1", "0", "0", "1"
	}
	return m
}

func def4(gw netip.Addr, link string) Route {
	return Route{Table: mainTable, Dst: defaultV4, Gateway: gw, Link: link}
}

func def6(gw netip.Addr, link string) Route {
	return Route{Table: mainTable, Dst: defaultV6, Gateway: gw, Link: link, Metric: IPv6RouteMetric}
}

func TestDesired(t *testing.T) {
	lan0 := []string{"lan0"}
	lease := &Lease4{Address: netip.MustParsePrefix("192.0.2.77/24"), Gateway: lanGW}
	wanLease := &Lease4{Address: netip.MustParsePrefix("198.51.100.77/24"), Gateway: wanGW}
	wanRule := func(a string) []Rule {
		return []Rule{{Priority: ManagementRulePriority, Src: netip.MustParsePrefix(a + "/32"), Table: ManagementTable}}
	}

	withVLAN := func(c netcfg.Config) netcfg.Config { c.VLAN = 20; return c }
	withPlatform := staticLAN(lanAddr, lanGW)
	withPlatform.Platform.Routes = []netcfg.Route{v4Route}
	withPlatform.Platform.ScanVLANs = []netcfg.ScanVLAN{{ID: 30, Address: netip.MustParsePrefix("10.30.0.5/24")}}
	dhcpRoutes := netcfg.Default()
	dhcpRoutes.Platform.Routes = []netcfg.Route{v4Route}
	wanDHCP := func(c netcfg.Config) netcfg.Config { c.WAN.Method = netcfg.WANDHCP; return c }
	withRoutes := func(c netcfg.Config, r ...netcfg.Route) netcfg.Config { c.Platform.Routes = r; return c }

	for _, tc := range []struct {
		name    string
		cfg     netcfg.Config
		wan     string
		dyn     Dynamic
		want    State
		wantErr string
	}{
		// IPv4+v6 mode, IPv4 on LAN.
		{name: "static LAN", cfg: staticLAN(lanAddr, lanGW), want: State{
			Links:   []Link{{"lan0", true}},
			Addrs:   []Addr{{Link: "lan0", Prefix: lanAddr}},
			Routes:  []Route{def4(lanGW, "lan0")},
			Sysctls: sysctls(lan0, "", ""),
		}},
		{name: "WAN port down without split networking", cfg: staticLAN(lanAddr, lanGW), wan: "wan0", want: State{
			Links:   []Link{{"lan0", true}, {"wan0", false}},
			Addrs:   []Addr{{Link: "lan0", Prefix: lanAddr}},
			Routes:  []Route{def4(lanGW, "lan0")},
			Sysctls: sysctls(lan0, "", "wan0"),
		}},
		{name: "DHCP LAN without a lease", cfg: netcfg.Default(), wan: "wan0", want: State{
			Links:   []Link{{"lan0", true}, {"wan0", false}},
			Sysctls: sysctls(lan0, "", "wan0"),
		}},
		{name: "DHCP LAN with a lease", cfg: netcfg.Default(), dyn: Dynamic{LAN4: lease}, want: State{
			Links:   []Link{{"lan0", true}},
			Addrs:   []Addr{{Link: "lan0", Prefix: lease.Address}},
			Routes:  []Route{def4(lanGW, "lan0")},
			Sysctls: sysctls(lan0, "", ""),
		}},
		{name: "DHCP lease without a router", cfg: netcfg.Default(), dyn: Dynamic{LAN4: &Lease4{Address: lease.Address}}, want: State{
			Links:   []Link{{"lan0", true}},
			Addrs:   []Addr{{Link: "lan0", Prefix: lease.Address}},
			Sysctls: sysctls(lan0, "", ""),
		}},
		{name: "WAN lease ignored without split networking", cfg: netcfg.Default(), wan: "wan0", dyn: Dynamic{WAN4: wanLease}, want: State{
			Links:   []Link{{"lan0", true}, {"wan0", false}},
			Sysctls: sysctls(lan0, "", "wan0"),
		}},
		{name: "panel VLAN carries the LAN address", cfg: withVLAN(staticLAN(lanAddr, lanGW)), want: State{
			Links:   []Link{{"lan0", true}, {"lan0.20", true}},
			VLANs:   []VLAN{{Name: "lan0.20", Parent: "lan0", ID: 20}},
			Addrs:   []Addr{{Link: "lan0.20", Prefix: lanAddr}},
			Routes:  []Route{def4(lanGW, "lan0.20")},
			Sysctls: sysctls([]string{"lan0", "lan0.20"}, "", ""),
		}},
		{name: "panel VLAN carries the DHCP lease", cfg: withVLAN(netcfg.Default()), dyn: Dynamic{LAN4: lease}, want: State{
			Links:   []Link{{"lan0", true}, {"lan0.20", true}},
			VLANs:   []VLAN{{Name: "lan0.20", Parent: "lan0", ID: 20}},
			Addrs:   []Addr{{Link: "lan0.20", Prefix: lease.Address}},
			Routes:  []Route{def4(lanGW, "lan0.20")},
			Sysctls: sysctls([]string{"lan0", "lan0.20"}, "", ""),
		}},
		{name: "platform routes and scanning VLANs", cfg: withPlatform, want: State{
			Links:   []Link{{"lan0", true}, {"lan0.30", true}},
			VLANs:   []VLAN{{Name: "lan0.30", Parent: "lan0", ID: 30}},
			Addrs:   []Addr{{Link: "lan0", Prefix: lanAddr}, {Link: "lan0.30", Prefix: netip.MustParsePrefix("10.30.0.5/24")}},
			Routes:  []Route{def4(lanGW, "lan0"), {Table: mainTable, Dst: v4Route.Destination, Gateway: v4Route.Gateway, Link: "lan0"}},
			Sysctls: sysctls([]string{"lan0", "lan0.30"}, "", ""),
		}},
		{name: "platform IPv4 routes wait for a lease", cfg: dhcpRoutes, want: State{
			Links:   []Link{{"lan0", true}},
			Sysctls: sysctls(lan0, "", ""),
		}},
		{name: "platform IPv4 routes with a lease", cfg: dhcpRoutes, dyn: Dynamic{LAN4: lease}, want: State{
			Links:   []Link{{"lan0", true}},
			Addrs:   []Addr{{Link: "lan0", Prefix: lease.Address}},
			Routes:  []Route{def4(lanGW, "lan0"), {Table: mainTable, Dst: v4Route.Destination, Gateway: v4Route.Gateway, Link: "lan0"}},
			Sysctls: sysctls(lan0, "", ""),
		}},

		// Split networking.
		{name: "split networking, static WAN", cfg: split(staticLAN(lanAddr, lanGW)), wan: "wan0", want: State{
			Links: []Link{{"lan0", true}, {"wan0", true}},
			Addrs: []Addr{{Link: "lan0", Prefix: lanAddr}, {Link: "wan0", Prefix: wanAddr, NoPrefixRoute: true}},
			Routes: []Route{
				{Table: ManagementTable, Dst: defaultV4, Gateway: wanGW, Link: "wan0"},
				{Table: ManagementTable, Dst: netip.MustParsePrefix("198.51.100.0/24"), Link: "wan0"},
				def4(lanGW, "lan0"),
			},
			Rules:   wanRule("198.51.100.10"),
			Sysctls: sysctls(lan0, "", "wan0"),
		}},
		{name: "split networking, DHCP WAN without a lease", cfg: wanDHCP(staticLAN(lanAddr, lanGW)), wan: "wan0", want: State{
			Links:   []Link{{"lan0", true}, {"wan0", true}},
			Addrs:   []Addr{{Link: "lan0", Prefix: lanAddr}},
			Routes:  []Route{def4(lanGW, "lan0")},
			Sysctls: sysctls(lan0, "", "wan0"),
		}},
		{name: "split networking, DHCP on both", cfg: wanDHCP(netcfg.Default()), wan: "wan0", dyn: Dynamic{LAN4: lease, WAN4: wanLease}, want: State{
			Links: []Link{{"lan0", true}, {"wan0", true}},
			Addrs: []Addr{{Link: "lan0", Prefix: lease.Address}, {Link: "wan0", Prefix: wanLease.Address, NoPrefixRoute: true}},
			Routes: []Route{
				{Table: ManagementTable, Dst: defaultV4, Gateway: wanGW, Link: "wan0"},
				{Table: ManagementTable, Dst: netip.MustParsePrefix("198.51.100.0/24"), Link: "wan0"},
				def4(lanGW, "lan0"),
			},
			Rules:   wanRule("198.51.100.77"),
			Sysctls: sysctls(lan0, "", "wan0"),
		}},
		{name: "split networking, WAN lease without a router", cfg: wanDHCP(staticLAN(lanAddr, lanGW)), wan: "wan0", dyn: Dynamic{WAN4: &Lease4{Address: wanLease.Address}}, want: State{
			Links: []Link{{"lan0", true}, {"wan0", true}},
			Addrs: []Addr{{Link: "lan0", Prefix: lanAddr}, {Link: "wan0", Prefix: wanLease.Address, NoPrefixRoute: true}},
			Routes: []Route{
				{Table: ManagementTable, Dst: netip.MustParsePrefix("198.51.100.0/24"), Link: "wan0"},
				def4(lanGW, "lan0"),
			},
			Rules:   wanRule("198.51.100.77"),
			Sysctls: sysctls(lan0, "", "wan0"),
		}},

		// IPv4+v6 mode, IPv6 for scanning.
		{name: "IPv6 for scanning automatic", cfg: scanIPv6(staticLAN(lanAddr, lanGW), netcfg.ScanIPv6Auto, netip.Prefix{}, netip.Addr{}), wan: "wan0", want: State{
			Links:   []Link{{"lan0", true}, {"wan0", false}},
			Addrs:   []Addr{{Link: "lan0", Prefix: lanAddr}},
			Routes:  []Route{def4(lanGW, "lan0")},
			Sysctls: sysctls(lan0, "lan0", "wan0"),
		}},
		{name: "IPv6 for scanning automatic on the panel VLAN", cfg: withVLAN(scanIPv6(netcfg.Default(), netcfg.ScanIPv6Auto, netip.Prefix{}, netip.Addr{})), want: State{
			Links:   []Link{{"lan0", true}, {"lan0.20", true}},
			VLANs:   []VLAN{{Name: "lan0.20", Parent: "lan0", ID: 20}},
			Sysctls: sysctls([]string{"lan0", "lan0.20"}, "lan0.20", ""),
		}},
		{name: "IPv6 for scanning static with gateway", cfg: scanIPv6(staticLAN(lanAddr, lanGW), netcfg.ScanIPv6Static, v6Addr, v6GW), want: State{
			Links:   []Link{{"lan0", true}},
			Addrs:   []Addr{{Link: "lan0", Prefix: lanAddr}, {Link: "lan0", Prefix: v6Addr}},
			Routes:  []Route{def4(lanGW, "lan0"), def6(v6GW, "lan0")},
			Sysctls: sysctls(lan0, "", ""),
		}},
		{name: "IPv6 for scanning static without gateway", cfg: scanIPv6(netcfg.Default(), netcfg.ScanIPv6Static, v6Addr, netip.Addr{}), want: State{
			Links:   []Link{{"lan0", true}},
			Addrs:   []Addr{{Link: "lan0", Prefix: v6Addr}},
			Sysctls: sysctls(lan0, "", ""),
		}},
		{name: "IPv6 platform route with IPv6 for scanning", cfg: withRoutes(scanIPv6(staticLAN(lanAddr, lanGW), netcfg.ScanIPv6Static, v6Addr, netip.Addr{}), v6Route, v4Route), want: State{
			Links: []Link{{"lan0", true}},
			Addrs: []Addr{{Link: "lan0", Prefix: lanAddr}, {Link: "lan0", Prefix: v6Addr}},
			Routes: []Route{def4(lanGW, "lan0"), {Table: mainTable, Dst: v4Route.Destination, Gateway: v4Route.Gateway, Link: "lan0"},
				{Table: mainTable, Dst: v6Route.Destination, Gateway: v6Route.Gateway, Link: "lan0", Metric: IPv6RouteMetric}},
			Sysctls: sysctls(lan0, "", ""),
		}},
		{name: "IPv6 platform route without IPv6 for scanning", cfg: withRoutes(staticLAN(lanAddr, lanGW), v6Route), wantErr: "IPv6 is not in use on LAN"},

		// IPv6-only mode.
		{name: "IPv6-only automatic", cfg: netcfg.DefaultFor(netcfg.ModeIPv6Only), wan: "wan0", want: State{
			Links:   []Link{{"lan0", true}, {"wan0", false}},
			Sysctls: sysctls(lan0, "lan0", "wan0"),
		}},
		{name: "IPv6-only automatic with a link-local gateway", cfg: ipv6Only(netcfg.IPv6Auto, netip.Prefix{}, v6LLGW), want: State{
			Links:   []Link{{"lan0", true}},
			Routes:  []Route{def6(v6LLGW, "lan0")},
			Sysctls: sysctls(lan0, "lan0", ""),
		}},
		{name: "IPv6-only manual", cfg: ipv6Only(netcfg.IPv6Static, v6Addr, v6GW), wan: "wan0", dyn: Dynamic{LAN4: lease}, want: State{
			Links:   []Link{{"lan0", true}, {"wan0", false}},
			Addrs:   []Addr{{Link: "lan0", Prefix: v6Addr}},
			Routes:  []Route{def6(v6GW, "lan0")},
			Sysctls: sysctls(lan0, "", "wan0"),
		}},
		{name: "IPv6-only manual on the panel VLAN", cfg: withVLAN(ipv6Only(netcfg.IPv6Static, v6Addr, v6GW)), want: State{
			Links:   []Link{{"lan0", true}, {"lan0.20", true}},
			VLANs:   []VLAN{{Name: "lan0.20", Parent: "lan0", ID: 20}},
			Addrs:   []Addr{{Link: "lan0.20", Prefix: v6Addr}},
			Routes:  []Route{def6(v6GW, "lan0.20")},
			Sysctls: sysctls([]string{"lan0", "lan0.20"}, "", ""),
		}},
		{name: "IPv6-only keeps IPv6 routes, leaves IPv4 ones out", cfg: withRoutes(ipv6Only(netcfg.IPv6Static, v6Addr, v6GW), v4Route, v6Route), want: State{
			Links:   []Link{{"lan0", true}},
			Addrs:   []Addr{{Link: "lan0", Prefix: v6Addr}},
			Routes:  []Route{def6(v6GW, "lan0"), {Table: mainTable, Dst: v6Route.Destination, Gateway: v6Route.Gateway, Link: "lan0", Metric: IPv6RouteMetric}},
			Sysctls: sysctls(lan0, "", ""),
		}},
		{name: "IPv6-only ignores IPv6 for scanning", cfg: scanIPv6(netcfg.DefaultFor(netcfg.ModeIPv6Only), netcfg.ScanIPv6Static, v6Addr, v6GW), want: State{
			Links:   []Link{{"lan0", true}},
			Sysctls: sysctls(lan0, "lan0", ""),
		}},

		// Refusals.
		{name: "split without WAN port", cfg: split(staticLAN(lanAddr, lanGW)), wantErr: "no WAN interface"},
		{name: "no LAN interface", cfg: netcfg.Default(), wantErr: "no LAN interface name"},
		{name: "split in IPv6-only mode", cfg: split(netcfg.DefaultFor(netcfg.ModeIPv6Only)), wan: "wan0", wantErr: "only in IPv4+v6 mode"},
		{name: "IPv6 lease", cfg: netcfg.Default(), dyn: Dynamic{LAN4: &Lease4{Address: v6Addr}}, wantErr: "LAN lease: address fd42:1::10/64 is not an IPv4 address"},
		{name: "unknown mode", cfg: netcfg.Config{Mode: 7}, wantErr: "unknown mode 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lan := "lan0"
			if tc.name == "no LAN interface" {
				lan = ""
			}
			got, err := Desired(tc.cfg, Ports{LAN: lan, WAN: tc.wan}, tc.dyn)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Desired error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Desired: %v", err)
			}
			tc.want.Normalize()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Desired =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestLANDevice(t *testing.T) {
	c := netcfg.Default()
	if got := LANDevice(c, Ports{LAN: "eth0", WAN: "eth1"}); got != "eth0" {
		t.Errorf("LANDevice without VLAN = %q, want eth0", got)
	}
	c.VLAN = 42
	if got := LANDevice(c, Ports{LAN: "eth0"}); got != "eth0.42" {
		t.Errorf("LANDevice with VLAN 42 = %q, want eth0.42", got)
	}
}
