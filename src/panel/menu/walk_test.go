package menu

import (
	"strings"
	"testing"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/frame"
)

// walkCase walks one procedure of the spec keystroke by keystroke. The
// screen after every key is in testdata/<name>.golden (reviewed by hand);
// the requests made are checked here.
type walkCase struct {
	name  string
	geo   frame.Geometry
	state func() State
	keys  string
	// want returns the requests the walk must make, in order, given the
	// starting state; nil or empty means none.
	want func(st State) []Request
	// last, when set, must appear in the last screen (a refusal message).
	last []string
}

func one(a Action) func(State) []Request {
	return func(State) []Request { return []Request{{Action: a}} }
}

func applied(f func(c *netcfg.Config)) func(State) []Request {
	return func(st State) []Request {
		c := st.Config.Clone()
		f(&c)
		return []Request{{Action: ActionApply, Config: c}}
	}
}

func walkCases() []walkCase {
	lcd := frame.LCD16x2()
	return []walkCase{
		{
			name: "static_lan_from_dhcp", geo: lcd, state: dhcpState,
			// SETUP NETWORK, ENABLE VLAN, RENEW DHCP, ENABLE STATIC IP,
			// the intro, then every field typed on the console.
			keys: `ENTER DOWN*3 ENTER ENTER CLEAR "10.1.2.3" ENTER DOWN*8 ENTER ` +
				`CLEAR "10.1.0.1" ENTER CLEAR "10.1.0.2" ENTER ENTER ENTER ENTER "corp.example" ENTER ENTER`,
			want: applied(func(c *netcfg.Config) {
				c.LAN = netcfg.LAN{Method: netcfg.IPv4Static, Address: prefix("10.1.2.3/16"), Gateway: addr("10.1.0.1"), DNS1: addr("10.1.0.2"), Domain: "CORP.EXAMPLE"}
			}),
		},
		{
			name: "static_lan_change_arrows", geo: lcd, state: staticState,
			// CHANGE STATIC IP ON LAN with the LCD keys only: the last
			// digit of the address up by one, DNS2 set with the arrows,
			// the rest kept as pre-filled.
			keys: `ENTER DOWN*3 ENTER ENTER RIGHT*11 UP ENTER ENTER ENTER ENTER ` +
				`RIGHT*2 UP*8 RIGHT*9 UP ENTER ENTER ENTER ENTER ENTER`,
			want: applied(func(c *netcfg.Config) {
				c.LAN.Address = prefix("10.1.2.4/16")
				c.LAN.DNS2 = addr("8.0.0.1")
			}),
		},
		{
			name: "static_lan_same_subnet_as_wan", geo: lcd, state: staticState,
			// The LAN put on the WAN's subnet: each field is fine, the
			// whole is not; the menu goes back to LAN IP ADDR and says
			// why, and nothing is sent.
			keys: `ENTER DOWN*3 ENTER ENTER CLEAR "172.16.5.20" ENTER UP*8 ENTER CLEAR "172.16.5.1" ENTER ` +
				`ENTER ENTER ENTER ENTER ENTER`,
			last: []string{"LAN IP ADDR", "LAN=WAN SUBNET"},
		},
		{
			name: "enable_dhcp_lan", geo: lcd, state: staticState,
			keys: `ENTER DOWN*2 ENTER ENTER`,
			want: applied(func(c *netcfg.Config) { c.LAN = netcfg.LAN{} }),
		},
		{
			name: "renew_dhcp_lan", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*2 ENTER ENTER`,
			want: one(ActionRenewLAN),
		},
		{
			name: "vlan_enable", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN ENTER RIGHT*2 UP*4 RIGHT UP*2 ENTER`,
			want: applied(func(c *netcfg.Config) { c.VLAN = 42 }),
		},
		{
			name: "vlan_change", geo: lcd, state: staticState,
			keys: `ENTER DOWN ENTER RIGHT*3 UP ENTER`,
			want: applied(func(c *netcfg.Config) { c.VLAN = 43 }),
		},
		{
			name: "vlan_disable", geo: lcd, state: staticState,
			keys: `ENTER DOWN ENTER CLEAR ENTER`,
			want: applied(func(c *netcfg.Config) { c.VLAN = 0 }),
		},
		{
			name: "vlan_4095_refused", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN ENTER "4095" ENTER`,
			last: []string{"OUT OF RANGE", "ALLOWED 0-4094"},
		},
		{
			name: "vlan_used_by_platform", geo: lcd,
			state: func() State {
				st := dhcpState()
				st.Config.Platform.ScanVLANs = []netcfg.ScanVLAN{{ID: 7, Address: prefix("10.7.0.5/24")}}
				return st
			},
			keys: `ENTER DOWN ENTER "7" ENTER`,
			last: []string{"VLAN", "PLATFORM USES IT"},
		},
		{
			name: "proxy_enable", geo: lcd, state: dhcpState,
			// ENABLE PROXY, the intro, PROXY HOST pre-filled with the
			// gateway (Done editing? at ENTER), port 443, user, password.
			keys: `ENTER DOWN*4 ENTER ENTER ENTER ENTER "jdoe" ENTER "pw 1!" ENTER ENTER`,
			want: applied(func(c *netcfg.Config) {
				c.Proxy = netcfg.Proxy{Host: "192.168.1.1", Port: 443, User: "jdoe", Password: netcfg.NewSecret("pw 1!")}
			}),
		},
		{
			name: "proxy_change", geo: lcd, state: staticState,
			// CHANGE PROXY PARAMS: a new port; the password in force is
			// kept (shown as ********, ENTER keeps it).
			keys: `ENTER DOWN*4 ENTER ENTER ENTER CLEAR "8080" ENTER ENTER ENTER ENTER`,
			want: applied(func(c *netcfg.Config) { c.Proxy.Port = 8080 }),
		},
		{
			name: "proxy_disable", geo: lcd, state: staticState,
			keys: `ENTER DOWN*5 ENTER ENTER`,
			want: applied(func(c *netcfg.Config) { c.Proxy = netcfg.Proxy{} }),
		},
		{
			name: "proxy_port_0_refused", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*4 ENTER ENTER ENTER CLEAR ENTER`,
			last: []string{"OUT OF RANGE", "ALLOWED 1-65535"},
		},
		{
			name: "proxy_user_space_refused", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*4 ENTER ENTER ENTER ENTER "j doe" ENTER`,
			last: []string{"SPACE INSIDE", "NOT ALLOWED"},
		},
		{
			name: "proxy_password_17th_refused", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*4 ENTER ENTER ENTER ENTER "jdoe" ENTER "abcdefghijklmnop" UP`,
			last: []string{"FIELD FULL", "16 CHARS MAX"},
		},
		{
			name: "proxy_password_without_user", geo: lcd, state: dhcpState,
			// A password with no user: back to PROXY PASSW with the reason.
			keys: `ENTER DOWN*4 ENTER ENTER ENTER ENTER ENTER "x" ENTER`,
			last: []string{"PROXY PASSW", "NEEDS PROXY USER"},
		},
		{
			name: "wan_dhcp", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*5 ENTER ENTER ENTER`,
			want: applied(func(c *netcfg.Config) { c.WAN = netcfg.WAN{Method: netcfg.WANDHCP} }),
		},
		{
			name: "wan_static", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*5 ENTER DOWN ENTER ENTER "172.16.5.10" ENTER ENTER "172.16.5.1" ENTER "172.16.5.2" ENTER ENTER ENTER`,
			want: applied(func(c *netcfg.Config) {
				c.WAN = netcfg.WAN{Method: netcfg.WANStatic, Address: prefix("172.16.5.10/24"), Gateway: addr("172.16.5.1"), DNS1: addr("172.16.5.2")}
			}),
		},
		{
			name: "wan_static_change", geo: lcd, state: staticState,
			keys: `ENTER DOWN*6 ENTER ENTER ENTER ENTER ENTER CLEAR "172.16.5.3" ENTER ENTER ENTER`,
			want: applied(func(c *netcfg.Config) { c.WAN.DNS1 = addr("172.16.5.3") }),
		},
		{
			name: "wan_renew", geo: lcd,
			state: func() State {
				st := dhcpState()
				st.Config.WAN = netcfg.WAN{Method: netcfg.WANDHCP}
				return st
			},
			keys: `ENTER DOWN*5 ENTER ENTER`,
			want: one(ActionRenewWAN),
		},
		{
			name: "wan_disable", geo: lcd, state: staticState,
			keys: `ENTER DOWN*7 ENTER ENTER`,
			want: applied(func(c *netcfg.Config) { c.WAN = netcfg.WAN{}; c.Link.WAN = netcfg.LinkAuto }),
		},
		{
			name: "gateway_outside_subnet_refused", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*3 ENTER ENTER CLEAR "10.1.2.3" ENTER ENTER CLEAR "10.2.0.1" ENTER`,
			last: []string{"NOT IN SUBNET", "10.1.2.0/24"},
		},
		{
			name: "octet_256_refused", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*3 ENTER ENTER CLEAR "256.1.1.1" ENTER`,
			last: []string{"OCTET 1: 256", "MAX IS 255"},
		},
		{
			name: "ethernet_lan_no_split", geo: lcd, state: dhcpState,
			// No WAN PORT LINK without split networking: DOWN does nothing.
			keys: `ENTER DOWN*6 ENTER DOWN RIGHT RIGHT ENTER ENTER`,
			want: applied(func(c *netcfg.Config) { c.Link.LAN = netcfg.Link100Full }),
		},
		{
			name: "reset_all", geo: lcd, state: staticState,
			keys: `ENTER DOWN*9 ENTER ENTER`,
			want: func(st State) []Request { return []Request{{Action: ActionReset, Config: st.Config.Reset()}} },
		},
		{
			name: "switch_to_ipv6_only", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*7 ENTER DOWN ENTER`,
			want: func(st State) []Request {
				return []Request{{Action: ActionSwitchMode, Config: st.Config.SwitchMode(netcfg.ModeIPv6Only)}}
			},
		},
		{
			name: "switch_to_dual", geo: lcd, state: v6State,
			keys: `ENTER DOWN*6 ENTER DOWN ENTER`,
			want: func(st State) []Request {
				return []Request{{Action: ActionSwitchMode, Config: st.Config.SwitchMode(netcfg.ModeDual)}}
			},
		},
		{
			name: "ipv6_static", geo: lcd, state: v6State,
			// IPv6 ADDR typed, PREFLEN down to /56, gateway and DNS1 kept
			// as learned, DNS2 left empty.
			keys: `ENTER DOWN*2 ENTER CLEAR "2001:db8:20::10" ENTER DOWN*8 ENTER ENTER CLEAR "2001:db8:20::53" ENTER ENTER ENTER`,
			want: applied(func(c *netcfg.Config) {
				c.LANv6 = netcfg.LANv6{Method: netcfg.IPv6Static, Address: prefix("2001:db8:20::10/56"), Gateway: addr("fe80::1"), DNS1: addr("2001:db8:20::53")}
			}),
		},
		{
			name: "ipv6_auto", geo: lcd, state: v6State,
			// RENEW AUTO IPv6 ON LAN?: the learned address scrolled with
			// RIGHT, the prefix length read-only, a manual DNS1.
			keys: `ENTER DOWN*3 ENTER RIGHT LEFT ENTER UP ENTER ENTER "2001:db8::53" ENTER ENTER ENTER`,
			want: applied(func(c *netcfg.Config) { c.LANv6 = netcfg.LANv6{DNS1: addr("2001:db8::53")} }),
		},
		{
			name: "ipv6_proxy_enable", geo: lcd, state: v6State,
			// In IPv6-only mode PROXY HOST takes an IPv6 address; the
			// link-local gateway offered by default is refused by netcfg,
			// so it is replaced.
			keys: `ENTER DOWN*4 ENTER ENTER CLEAR "2001:db8::8" ENTER ENTER ENTER ENTER ENTER`,
			want: applied(func(c *netcfg.Config) { c.Proxy = netcfg.Proxy{Host: "2001:db8::8", Port: 443} }),
		},
		{
			name: "reboot", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*10 ENTER ENTER ENTER UP`,
			want: one(ActionReboot),
		},
		{
			name: "shutdown", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*11 ENTER ENTER DOWN`,
			want: one(ActionShutdown),
		},
		{
			name: "exit", geo: lcd, state: dhcpState,
			keys: `ENTER DOWN*13 UP DOWN ENTER`,
		},
		{
			name: "show_status", geo: lcd, state: staticState,
			keys: `ENTER DOWN*10 ENTER DOWN*7 RIGHT LEFT DOWN*20 UP ENTER`,
		},
		// The larger panel.
		{
			name: "static_lan_from_dhcp_20x4", geo: frame.LCD20x4(), state: dhcpState,
			keys: `ENTER DOWN*3 ENTER ENTER CLEAR "10.1.2.3" ENTER DOWN*8 ENTER ` +
				`CLEAR "10.1.0.1" ENTER CLEAR "10.1.0.2" ENTER ENTER ENTER ENTER "corp.example" ENTER ENTER`,
			want: applied(func(c *netcfg.Config) {
				c.LAN = netcfg.LAN{Method: netcfg.IPv4Static, Address: prefix("10.1.2.3/16"), Gateway: addr("10.1.0.1"), DNS1: addr("10.1.0.2"), Domain: "CORP.EXAMPLE"}
			}),
		},
		{
			name: "proxy_enable_20x4", geo: frame.LCD20x4(), state: dhcpState,
			keys: `ENTER DOWN*4 ENTER ENTER ENTER ENTER "jdoe" ENTER "pw 1!" ENTER ENTER`,
			want: applied(func(c *netcfg.Config) {
				c.Proxy = netcfg.Proxy{Host: "192.168.1.1", Port: 443, User: "jdoe", Password: netcfg.NewSecret("pw 1!")}
			}),
		},
		{
			name: "proxy_port_0_refused_20x4", geo: frame.LCD20x4(), state: dhcpState,
			keys: `ENTER DOWN*4 ENTER ENTER ENTER CLEAR ENTER`,
			last: []string{"OUT OF RANGE", "ALLOWED 1-65535"},
		},
		{
			name: "reset_to_ipv6_20x4", geo: frame.LCD20x4(), state: staticState,
			keys: `ENTER DOWN*9 ENTER DOWN ENTER`,
			want: func(st State) []Request {
				return []Request{{Action: ActionSwitchMode, Config: st.Config.SwitchMode(netcfg.ModeIPv6Only)}}
			},
		},
	}
}

func TestWalks(t *testing.T) {
	for _, tc := range walkCases() {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.state()
			mustValid(t, st.Config)
			m := New(tc.geo, st)
			got, reqs := transcript(t, m, tc.keys)
			golden(t, tc.name, got)
			var want []Request
			if tc.want != nil {
				want = tc.want(tc.state())
			}
			checkRequests(t, reqs, want)
			if len(tc.last) > 0 {
				f := m.Render().String()
				for _, s := range tc.last {
					if !strings.Contains(f, s) {
						t.Errorf("last screen lacks %q:\n%s", s, f)
					}
				}
			}
		})
	}
}

func checkRequests(t *testing.T, got []*Request, want []Request) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].Action != want[i].Action {
			t.Errorf("request %d: action %v, want %v", i, got[i].Action, want[i].Action)
		}
		if d := netcfg.Diff(want[i].Config, got[i].Config); len(d) > 0 {
			t.Errorf("request %d: config differs from the expected one: %v", i, d)
		}
	}
}

// TestEthernetSplit sets both port links with split networking on; the
// daemon's update arrives between the two commits, as it would.
func TestEthernetSplit(t *testing.T) {
	st := staticState()
	m := New(frame.LCD16x2(), st)
	got1, reqs := transcript(t, m, `ENTER DOWN*8 ENTER RIGHT ENTER ENTER`)
	c := st.Config.Clone()
	c.Link.LAN = netcfg.Link100Half
	checkRequests(t, reqs, []Request{{Action: ActionApply, Config: c}})
	st.Config = c
	m.Update(st)
	got2, reqs := transcript(t, m, `DOWN LEFT ENTER ENTER UP UP`)
	c = c.Clone()
	c.Link.WAN = netcfg.Link10Half
	checkRequests(t, reqs, []Request{{Action: ActionApply, Config: c}})
	golden(t, "ethernet_split", got1+"== Update: LAN link in force\n"+got2)
}
