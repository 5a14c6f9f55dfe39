package netmgr_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/testkit/netbench"
)

// TestSplitNetworking turns split networking on, with a DHCP WAN and then
// a static one, and checks on the wire that management traffic (DNS and
// TLS to the platform) leaves only by WAN and scan traffic only by LAN,
// even to an address on WAN's subnet.
func TestSplitNetworking(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{wan: true})
	e.waitFor("a LAN lease", 60*time.Second, leased)
	for _, tc := range []struct {
		name string
		wan  netcfg.WAN
	}{
		{"dhcp", netcfg.WAN{Method: netcfg.WANDHCP}},
		{"static", netcfg.WAN{Method: netcfg.WANStatic, Address: netip.MustParsePrefix("10.60.0.9/24"), Gateway: wanGW, DNS1: wanGW}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := staticLAN("10.50.0.9/24")
			c.WAN = tc.wan
			res := e.apply(c)
			mustPass(t, "split networking", res.Test)
			st := e.waitFor("WAN address", 20*time.Second, func(st netapi.Status) bool {
				return st.Split && len(st.Interfaces) == 2 && len(st.Interfaces[1].IPv4.Addresses) == 1
			})
			wanAddr := st.Interfaces[1].IPv4.Addresses[0]
			if !strings.HasPrefix(wanAddr.String(), "10.60.0.") || st.ManagementSource != wanAddr.Addr() {
				t.Errorf("WAN address %s, management source %s", wanAddr, st.ManagementSource)
			}
			if len(st.DNS) != 1 || st.DNS[0] != wanGW {
				t.Errorf("management DNS %v, want WAN's [%s]", st.DNS, wanGW)
			}
			if out := e.ip("rule"); !strings.Contains(out, "from "+wanAddr.Addr().String()+" lookup 100") {
				t.Errorf("no policy rule for the WAN address:\n%s", out)
			}
			if out := e.box.Run("sysctl", "-n", "net.ipv4.ip_forward"); strings.TrimSpace(out) != "0" {
				t.Errorf("forwarding is %s, want 0", out)
			}

			lanCap := netbench.Capture(e.net, "lan0", "udp port 53 or tcp port 443 or udp port 9")
			wanCap := netbench.Capture(e.wnet, "wan0", "udp port 53 or tcp port 443 or udp port 9")
			ct, err := e.mgr.TestConnectivity(context.Background())
			if err != nil || !ct.OK {
				t.Fatalf("test connectivity (%v): %s", err, steps(ct))
			}
			// Scan traffic: a host beyond the LAN gateway, and one on the
			// WAN's subnet, which must still leave by LAN.
			for _, target := range []string{"10.70.0.5:9", "10.60.0.77:9"} {
				if err := e.box.Do(func() error { return probe(target) }); err != nil {
					t.Fatalf("scan probe to %s: %v", target, err)
				}
			}
			lanPk, wanPk := lanCap.Stop(), wanCap.Stop()
			has := func(lines []string, what string) bool {
				for _, l := range lines {
					if strings.Contains(l, what) {
						return true
					}
				}
				return false
			}
			for _, what := range []string{".443:", ".53:"} {
				if !has(wanPk, what) {
					t.Errorf("no management packet to %s on WAN:\n%s", what, strings.Join(wanPk, "\n"))
				}
				if has(lanPk, what) {
					t.Errorf("a management packet to %s left by LAN:\n%s", what, strings.Join(lanPk, "\n"))
				}
			}
			if !has(lanPk, "> 10.70.0.5.9:") || !has(lanPk, "> 10.60.0.77.9:") {
				t.Errorf("scan probes missing on LAN:\n%s", strings.Join(lanPk, "\n"))
			}
			if has(wanPk, ".9:") {
				t.Errorf("scan traffic left by WAN:\n%s", strings.Join(wanPk, "\n"))
			}
		})
	}
}

// probe sends one UDP datagram to target (discard port), as a scan would,
// letting the kernel choose route and source.
func probe(target string) error {
	c, err := net.Dial("udp4", target)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte("picket scan probe"))
	return err
}

// TestIPv6Only switches to IPv6-only mode (automatic: router
// advertisement and DHCPv6 for DNS), then to a manual address, then back.
func TestIPv6Only(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{ipv6: true})
	e.waitFor("a DHCP lease", 60*time.Second, leased)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	res, err := e.mgr.SwitchMode(ctx, netcfg.ModeIPv6Only)
	if err != nil {
		t.Fatalf("switch to IPv6-only: %v", err)
	}
	mustPass(t, "IPv6-only automatic", res.Test)
	st, _ := e.mgr.Status(ctx)
	l := lan(st)
	if l.IPv4.Method != netapi.MethodOff || len(l.IPv4.Addresses) != 0 {
		t.Errorf("IPv4 in IPv6-only mode: %+v", l.IPv4)
	}
	if len(l.IPv6.Addresses) == 0 || !strings.HasPrefix(l.IPv6.Addresses[0].String(), "fd50::") || !l.IPv6.Gateway.IsLinkLocalUnicast() {
		t.Errorf("IPv6 automatic: %+v, want a SLAAC address in fd50::/64 and a link-local router; routes:\n%s", l.IPv6, e.ip("-6", "route", "show", "table", "all"))
	}
	if len(st.DNS) != 1 || st.DNS[0] != lanGW6 {
		t.Errorf("DNS %v, want [%s] from DHCPv6", st.DNS, lanGW6)
	}
	if out := e.ip("-4", "addr", "show", "dev", "eth0"); strings.Contains(out, "inet ") {
		t.Errorf("an IPv4 address is left on eth0:\n%s", out)
	}

	manual := netcfg.Config{Mode: netcfg.ModeIPv6Only, LANv6: netcfg.LANv6{
		Method: netcfg.IPv6Static, Address: netip.MustParsePrefix("fd50::9/64"), Gateway: lanGW6, DNS1: lanGW6,
	}}
	res = e.apply(manual)
	mustPass(t, "IPv6-only manual", res.Test)
	if out := e.ip("-6", "addr", "show", "dev", "eth0"); !strings.Contains(out, "fd50::9/64") {
		t.Errorf("eth0 lacks fd50::9/64:\n%s", out)
	}
	if out := e.box.Run("sysctl", "-n", "net.ipv6.conf.eth0.accept_ra"); strings.TrimSpace(out) != "0" {
		t.Errorf("accept_ra is %s with a manual address, want 0", out)
	}

	res, err = e.mgr.SwitchMode(ctx, netcfg.ModeDual)
	if err != nil {
		t.Fatalf("switch back to IPv4+v6: %v", err)
	}
	mustPass(t, "back to IPv4+v6", res.Test)
	if out := e.ip("-6", "addr", "show", "dev", "eth0", "scope", "global"); strings.Contains(out, "fd50::9/64") {
		// With the prefix length: a SLAAC address may begin fd50::9.
		t.Errorf("the manual IPv6 address is left after the switch:\n%s", out)
	}
}

// TestProxy reaches the platform through squid with Basic and with NTLM
// credentials; a wrong password is PROXY AUTH FAILED, and the password is
// never in netmgrd's output.
func TestProxy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	const user, domain, password = "alice", "BENCH", "s3cret-Proxy-pw"
	hosts := []netbench.HostRecord{{Name: platform, Addrs: []netip.Addr{lanGW}}}
	basic := netbench.Squid(e.net, netbench.SquidOptions{
		Listen: netip.MustParseAddrPort("10.50.0.1:3128"), Basic: true, User: user, Password: password, Hosts: hosts,
	})
	ntlm := netbench.Squid(e.net, netbench.SquidOptions{
		Listen: netip.MustParseAddrPort("10.50.0.1:3129"), NTLM: true, Domain: domain, User: user, Password: password, Hosts: hosts,
	})
	for _, tc := range []struct {
		name     string
		port     int
		user     string
		password string
		squid    *netbench.SquidServer
		fail     string
	}{
		{"basic", 3128, user, password, basic, ""},
		{"basic wrong password", 3128, user, "wrong", basic, "PROXY AUTH FAILED"},
		{"basic no credentials", 3128, "", "", basic, "PROXY AUTH FAILED"},
		{"ntlm", 3129, domain + `\` + user, password, ntlm, ""},
		{"ntlm wrong password", 3129, domain + `\` + user, "wrong", ntlm, "PROXY AUTH FAILED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := staticLAN("10.50.0.9/24")
			c.Proxy = netcfg.Proxy{Host: proxyHost, Port: tc.port, User: tc.user, Password: netcfg.NewSecret(tc.password)}
			res := e.apply(c)
			if res.Test == nil {
				t.Fatal("no test after the change")
			}
			f, failed := res.Test.FirstFailure()
			switch {
			case tc.fail == "" && failed:
				t.Fatalf("failed: %s\nsquid:\n%s", steps(*res.Test), tc.squid.CacheLog())
			case tc.fail != "" && (!failed || f.Panel != tc.fail || f.Name != netapi.StepProxy):
				t.Fatalf("want the proxy step to fail with %s: %s", tc.fail, steps(*res.Test))
			}
			if tc.fail == "" {
				if err := tc.squid.WaitAccessLog("CONNECT "+platform+":443", 5*time.Second); err != nil {
					t.Errorf("squid did not log the tunnel: %v\n%s", err, tc.squid.AccessLog())
				}
				if !strings.Contains(tc.squid.AccessLog(), user) {
					t.Errorf("squid's access log does not name the user:\n%s", tc.squid.AccessLog())
				}
			}
			if dns := stepOf(*res.Test, netapi.StepDNS); tc.fail == "" && !strings.Contains(dns.Detail, proxyHost) {
				t.Errorf("the DNS step should resolve the proxy's name: %s", dns.Detail)
			}
		})
	}
	if strings.Contains(e.netmgrd.Output(), password) {
		t.Errorf("the proxy password appears in netmgrd's output")
	}
	view, err := e.mgr.Config(context.Background())
	if err != nil || !view.ProxyPasswordSet || view.Config.Proxy.Password.Reveal() != "" {
		t.Errorf("config view: password set %v, password %q (%v)", view.ProxyPasswordSet, view.Config.Proxy.Password.Reveal(), err)
	}
}

// TestLeaseExpiry stops the DHCP server: the lease runs out, the address
// is removed and the status says why; the server comes back and the box
// gets a lease again by itself. dnsmasq grants no lease shorter than 2
// minutes, so netmgrd holds its leases for maxLease only (-dhcp-max-lease,
// T1 and T2 scaled alike): it renews at T1 with the real server, then,
// with the server stopped, renews, rebinds and gives the address up as it
// would at the end of a server's lease, in seconds.
func TestLeaseExpiry(t *testing.T) {
	t.Parallel()
	const maxLease = 12 * time.Second
	e := newEnv(t, envOptions{leaseTime: 2 * time.Minute, maxLease: maxLease})
	st := e.waitFor("a lease", 60*time.Second, leased)
	l := lan(st).IPv4.Lease
	if got := l.Expiry.Sub(l.Obtained); got != maxLease {
		t.Fatalf("lease held for %v (obtained %v, expiry %v), want -dhcp-max-lease's %v", got, l.Obtained, l.Expiry, maxLease)
	}
	// A renewal at T1 (half the lease), answered by dnsmasq.
	first := l.Obtained
	st = e.waitFor("a renewal at T1", maxLease, func(st netapi.Status) bool {
		f := lan(st).IPv4
		return leased(st) && f.Lease.Obtained.After(first)
	})
	if l2 := lan(st).IPv4.Lease; l2.Address != l.Address || l2.Server != l.Server {
		t.Errorf("renewed lease %v from %v, want the same address %v from %v", l2.Address, l2.Server, l.Address, l.Server)
	}
	expiry := lan(st).IPv4.Lease.Expiry
	e.lanDNS.Stop()
	st = e.waitFor("the lease to expire", time.Until(expiry)+60*time.Second, func(st netapi.Status) bool {
		f := lan(st).IPv4
		return f.Lease != nil && f.Lease.State == netapi.LeaseExpired && len(f.Addresses) == 0
	})
	if early := time.Until(expiry); early > time.Second {
		t.Errorf("the lease was given up %v before its expiry", early)
	}
	if note := lan(st).IPv4.Note; !strings.Contains(note, "expired") {
		t.Errorf("status note %q should say the lease expired", note)
	}
	if out := e.ip("-4", "addr", "show", "dev", "eth0"); strings.Contains(out, "inet ") {
		t.Errorf("the expired address is still on eth0:\n%s", out)
	}
	e.lanDNS.Restart()
	e.waitFor("a new lease after the server is back", 60*time.Second, leased)
}
