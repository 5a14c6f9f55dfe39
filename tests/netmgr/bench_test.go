// Package netmgr_test is the end-to-end test of the network manager: the
// real netmgrd, in a network namespace of its own whose eth0 (LAN) and
// eth1 (WAN) are veth pairs into namespaces where real dnsmasq, squid and
// an HTTPS "platform" answer, driven through its local API socket as the
// front panel drives it. What this kernel cannot do (802.1Q VLANs, link
// settings on a real NIC) is tested in a qemu guest by tests/vmnet.
package netmgr_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/testkit/netbench"
	"picket.dev/picket/src/testkit/netstatus"
	"picket.dev/picket/src/testkit/testinput"
)

func TestMain(m *testing.M) {
	netbench.RunHelperIfAsked()
	os.Exit(m.Run())
}

// Addresses of the bench. The LAN side network (namespace "net") is the
// gateway, DHCP and DNS server and platform host at once; the WAN side
// (namespace "wnet") is the same for split networking.
var (
	lanGW     = netip.MustParseAddr("10.50.0.1")
	lanGW6    = netip.MustParseAddr("fd50::1")
	wanGW     = netip.MustParseAddr("10.60.0.1")
	platform  = "platform.bench.test"
	proxyHost = "proxy.bench.test"
)

// env is one box on the bench.
type env struct {
	t       *testing.T
	b       *netbench.Bench
	box     *netbench.NS
	net     *netbench.NS // LAN side
	wnet    *netbench.NS // WAN side, when asked for
	lanDNS  *netbench.DnsmasqServer
	wanDNS  *netbench.DnsmasqServer
	dir     string
	socket  string
	data    string
	caFile  string
	opt     envOptions
	netmgrd *netbench.Proc
	mgr     *netapi.Client
	hits    chan string // platform requests, by the namespace that served them
}

type envOptions struct {
	wan       bool          // a WAN side with its own DHCP, DNS and platform
	leaseTime time.Duration // DHCPv4 lease time on LAN (0: 1 h)
	// maxLease is netmgrd's -dhcp-max-lease: how long its DHCPv4
	// clients hold a lease at most (0: the server's lease time).
	maxLease time.Duration
	ipv6     bool // router advertisements and stateless DHCPv6 on LAN
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	b := netbench.New(t)
	e := &env{t: t, b: b, dir: t.TempDir(), hits: make(chan string, 100), opt: o}
	e.box, e.net = b.NS("box"), b.NS("net")
	b.Veth(e.box, "eth0", e.net, "lan0")
	e.net.Run("ip", "addr", "add", lanGW.String()+"/24", "dev", "lan0")
	e.net.Run("ip", "addr", "add", lanGW6.String()+"/64", "dev", "lan0", "nodad")
	e.net.Run("ip", "link", "set", "lan0", "up")
	// The LAN side is the box's router: as a host, its kernel would answer
	// neighbour solicitations without the router flag, and the box would
	// drop the default route dnsmasq's advertisements gave it (RFC 4861).
	e.net.Run("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1")
	// Scan targets beyond the gateway are routed back to the box.
	e.net.Run("ip", "addr", "add", "10.70.0.5/32", "dev", "lo")
	lease := o.leaseTime
	if lease == 0 {
		lease = time.Hour
	}
	e.lanDNS = netbench.Dnsmasq(e.net, netbench.DnsmasqOptions{
		Interface:  "lan0",
		Range4From: netip.MustParseAddr("10.50.0.100"), Range4To: netip.MustParseAddr("10.50.0.150"),
		LeaseTime: lease,
		Router:    lanGW,
		DNS:       []netip.Addr{lanGW},
		Domain:    "bench.test",
		WINS:      []netip.Addr{netip.MustParseAddr("10.50.0.44")},
		RA:        o.ipv6, DHCPv6Stateless: o.ipv6,
		DNS6:    ifv6(o.ipv6, lanGW6),
		DNSPort: 53,
		HostRecords: []netbench.HostRecord{
			{Name: platform, Addrs: []netip.Addr{lanGW, lanGW6}},
			{Name: proxyHost, Addrs: []netip.Addr{lanGW}},
		},
	})
	srv := netbench.TLSServer(e.net, "[::]:443", platform, e.platformHandler("net"))
	e.caFile = filepath.Join(e.dir, "platform-ca.pem")
	if err := os.WriteFile(e.caFile, srv.CA.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	wanIf := ""
	if o.wan {
		wanIf = "eth1"
		e.wnet = b.NS("wnet")
		b.Veth(e.box, "eth1", e.wnet, "wan0")
		e.wnet.Run("ip", "addr", "add", wanGW.String()+"/24", "dev", "wan0")
		e.wnet.Run("ip", "link", "set", "wan0", "up")
		e.wanDNS = netbench.Dnsmasq(e.wnet, netbench.DnsmasqOptions{
			Interface:  "wan0",
			Range4From: netip.MustParseAddr("10.60.0.100"), Range4To: netip.MustParseAddr("10.60.0.150"),
			LeaseTime:   time.Hour,
			Router:      wanGW,
			DNS:         []netip.Addr{wanGW},
			DNSPort:     53,
			HostRecords: []netbench.HostRecord{{Name: platform, Addrs: []netip.Addr{wanGW}}},
		})
		// The same CA signs the WAN side's platform, so one pinned CA
		// verifies both: which side answered is told by the handler.
		wsrv := netbench.TLSServer(e.wnet, "0.0.0.0:443", platform, e.platformHandler("wnet"))
		if err := os.WriteFile(e.caFile, append(srv.CA.PEM, wsrv.CA.PEM...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.socket = filepath.Join(e.dir, "netmgr.sock")
	e.data = filepath.Join(e.dir, "data")
	e.start(wanIf)
	return e
}

func ifv6(on bool, a netip.Addr) []netip.Addr {
	if !on {
		return nil
	}
	return []netip.Addr{a}
}

func (e *env) platformHandler(side string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case e.hits <- side:
		default:
		}
		fmt.Fprintln(w, "platform")
	})
}

// start runs netmgrd in the box namespace.
func (e *env) start(wanIf string) { e.startEnv(wanIf) }

// startEnv runs netmgrd in the box namespace with environment variables
// ("NAME=value") added to its environment.
func (e *env) startEnv(wanIf string, vars ...string) {
	e.t.Helper()
	os.Remove(e.socket)
	e.netmgrd = e.box.Start("netmgrd", append(append([]string{"env"}, vars...), testinput.Command(e.t, "netmgrd"),
		"-socket", e.socket, "-data", e.data, "-lan", "eth0", "-wan", wanIf,
		"-platform", platform+":443", "-platform-ca", e.caFile,
		"-resolv", filepath.Join(e.dir, "resolv.conf"),
		// The product's lease wait (20 s): a busy CI machine once took more
		// than 15 s to bring an IPv6-only LAN up from router advertisement.
		"-lease-wait", "20s", "-dhcp-retry-min", "2s", "-dhcp-retry-max", "5s",
		"-dhcp-max-lease", e.opt.maxLease.String(),
		// Long enough that a test kills netmgrd within a trial's grace
		// period (TestPowerCut), short enough never to outlast a run.
		"-rollback-grace", "5m", "-panel-revert", "5m")...)
	e.mgr = netapi.Dial(e.socket)
	e.waitFor("netmgrd to serve its socket", 20*time.Second, func(netapi.Status) bool { return true })
}

// waitFor polls the status until cond holds, failing the test after
// timeout with the last status and netmgrd's log.
func (e *env) waitFor(what string, timeout time.Duration, cond func(netapi.Status) bool) netapi.Status {
	e.t.Helper()
	return netstatus.Wait(e.t, e.mgr, what, timeout, cond,
		func() string { return "netmgrd:\n" + e.netmgrd.Output() })
}

func (e *env) apply(c netcfg.Config) netapi.Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := e.mgr.Apply(ctx, c, netapi.ApplyOptions{})
	if err != nil {
		e.t.Fatalf("apply: %v\nnetmgrd:\n%s", err, e.netmgrd.Output())
	}
	return res
}

// ip runs ip(8) in the box namespace.
func (e *env) ip(args ...string) string {
	e.t.Helper()
	return e.box.Run(append([]string{"ip"}, args...)...)
}

func lan(st netapi.Status) netapi.Interface { return st.Interfaces[0] }

func leased(st netapi.Status) bool {
	f := lan(st).IPv4
	return f.Lease != nil && f.Lease.State == netapi.LeaseBound && len(f.Addresses) > 0
}

func testPassed(st netapi.Status) bool { return st.LastTest != nil && st.LastTest.OK }

// mustPass fails unless the test passed, showing its steps.
func mustPass(t *testing.T, what string, ct *netapi.ConnTest) {
	t.Helper()
	if ct == nil {
		t.Fatalf("%s: no connectivity test", what)
	}
	if !ct.OK {
		t.Fatalf("%s: connectivity test failed: %s", what, steps(*ct))
	}
}

func steps(ct netapi.ConnTest) string {
	var b strings.Builder
	for _, s := range ct.Steps {
		fmt.Fprintf(&b, "\n  %-8s %-8s %s %s", s.Name, s.Result, s.Panel, s.Detail)
	}
	return b.String()
}

func stepOf(ct netapi.ConnTest, name netapi.StepName) netapi.Step {
	for _, s := range ct.Steps {
		if s.Name == name {
			return s
		}
	}
	return netapi.Step{}
}

func staticLAN(addr string) netcfg.Config {
	return netcfg.Config{LAN: netcfg.LAN{
		Method:  netcfg.IPv4Static,
		Address: netip.MustParsePrefix(addr),
		Gateway: lanGW,
		DNS1:    lanGW,
	}}
}
