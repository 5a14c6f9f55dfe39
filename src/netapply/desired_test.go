package netapply

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"picket.dev/picket/src/netcfg"
)

var (
	lanAddr  = netip.MustParsePrefix("192.0.2.10/24")
	lanGW    = netip.MustParseAddr("192.0.2.1")
	lanAddr2 = netip.MustParsePrefix("192.0.2.20/24")
	wanAddr  = netip.MustParsePrefix("198.51.100.10/24")
	wanGW    = netip.MustParseAddr("198.51.100.1")
	dns      = netip.MustParseAddr("192.0.2.53")
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

func TestDesired(t *testing.T) {
	fwdOff := func(links ...string) map[string]string {
		m := map[string]string{sysIPv4Forward: "0", sysIPv6Forward: "0"}
		for _, l := range links {
			m[promoteSecondaries(l)] = "1"
		}
		return m
	}
	withVLAN := staticLAN(lanAddr, lanGW)
	withVLAN.VLAN = 20
	withPlatform := staticLAN(lanAddr, lanGW)
	withPlatform.Platform.Routes = []netcfg.Route{{Destination: netip.MustParsePrefix("10.1.0.0/16"), Gateway: netip.MustParseAddr("192.0.2.254")}}
	withPlatform.Platform.ScanVLANs = []netcfg.ScanVLAN{{ID: 30, Address: netip.MustParsePrefix("10.30.0.5/24")}}
	dhcp := netcfg.Default()
	v6 := netcfg.DefaultFor(netcfg.ModeIPv6Only)
	wanDHCP := staticLAN(lanAddr, lanGW)
	wanDHCP.WAN.Method = netcfg.WANDHCP
	scan6 := staticLAN(lanAddr, lanGW)
	scan6.Platform.ScanIPv6.Method = netcfg.ScanIPv6Auto

	for _, tc := range []struct {
		name    string
		cfg     netcfg.Config
		wan     string
		want    State
		wantErr string
	}{
		{name: "static LAN", cfg: staticLAN(lanAddr, lanGW), want: State{
			Links:   []Link{{"lan0", true}},
			Addrs:   []Addr{{Link: "lan0", Prefix: lanAddr}},
			Routes:  []Route{{Table: mainTable, Dst: defaultV4, Gateway: lanGW, Link: "lan0"}},
			Sysctls: fwdOff("lan0"),
		}},
		{name: "WAN port down without split networking", cfg: staticLAN(lanAddr, lanGW), wan: "wan0", want: State{
			Links:   []Link{{"lan0", true}, {"wan0", false}},
			Addrs:   []Addr{{Link: "lan0", Prefix: lanAddr}},
			Routes:  []Route{{Table: mainTable, Dst: defaultV4, Gateway: lanGW, Link: "lan0"}},
			Sysctls: fwdOff("lan0", "wan0"),
		}},
		{name: "panel VLAN carries the LAN address", cfg: withVLAN, want: State{
			Links:   []Link{{"lan0", true}, {"lan0.20", true}},
			VLANs:   []VLAN{{Name: "lan0.20", Parent: "lan0", ID: 20}},
			Addrs:   []Addr{{Link: "lan0.20", Prefix: lanAddr}},
			Routes:  []Route{{Table: mainTable, Dst: defaultV4, Gateway: lanGW, Link: "lan0.20"}},
			Sysctls: fwdOff("lan0", "lan0.20"),
		}},
		{name: "platform routes and scanning VLANs", cfg: withPlatform, want: State{
			Links: []Link{{"lan0", true}, {"lan0.30", true}},
			VLANs: []VLAN{{Name: "lan0.30", Parent: "lan0", ID: 30}},
			Addrs: []Addr{{Link: "lan0", Prefix: lanAddr}, {Link: "lan0.30", Prefix: netip.MustParsePrefix("10.30.0.5/24")}},
			Routes: []Route{
				{Table: mainTable, Dst: defaultV4, Gateway: lanGW, Link: "lan0"},
				{Table: mainTable, Dst: netip.MustParsePrefix("10.1.0.0/16"), Gateway: netip.MustParseAddr("192.0.2.254"), Link: "lan0"},
			},
			Sysctls: fwdOff("lan0", "lan0.30"),
		}},
		{name: "split networking", cfg: split(staticLAN(lanAddr, lanGW)), wan: "wan0", want: State{
			Links: []Link{{"lan0", true}, {"wan0", true}},
			Addrs: []Addr{{Link: "lan0", Prefix: lanAddr}, {Link: "wan0", Prefix: wanAddr, NoPrefixRoute: true}},
			Routes: []Route{
				{Table: ManagementTable, Dst: defaultV4, Gateway: wanGW, Link: "wan0"},
				{Table: ManagementTable, Dst: netip.MustParsePrefix("198.51.100.0/24"), Link: "wan0"},
				{Table: mainTable, Dst: defaultV4, Gateway: lanGW, Link: "lan0"},
			},
			Rules:   []Rule{{Priority: ManagementRulePriority, Src: netip.MustParsePrefix("198.51.100.10/32"), Table: ManagementTable}},
			Sysctls: fwdOff("lan0", "wan0"),
		}},
		{name: "DHCP LAN", cfg: dhcp, wantErr: "only a static LAN"},
		{name: "IPv6-only", cfg: v6, wantErr: "ipv6-only mode is not supported"},
		{name: "DHCP WAN", cfg: wanDHCP, wan: "wan0", wantErr: "only a static WAN"},
		{name: "IPv6 for scanning", cfg: scan6, wantErr: "IPv6 for scanning"},
		{name: "split without WAN port", cfg: split(staticLAN(lanAddr, lanGW)), wantErr: "no WAN interface"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Desired(tc.cfg, "lan0", tc.wan)
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
