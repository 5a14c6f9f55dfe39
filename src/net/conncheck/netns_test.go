package conncheck

// These tests run the connectivity test on a real kernel network, inside
// namespaces the test creates (src/testkit/netbench) and deletes:
//
//	box ns: eth0 10.77.0.2/24 fd77::2/64, default routes via .1 / ::1
//	  | veth
//	net ns: eth0 10.77.0.1/24 fd77::1/64  gateway, dnsmasq (DNS), proxies
//	        lo   10.77.1.10 fd77:1::10    the platform (Go HTTPS server)
//
// The checker itself runs in a child process (this test binary again,
// TestHelperCheck) started inside the box namespace: it opens sockets from
// several goroutines, and only a whole process in the namespace keeps all
// of them there. No packet leaves the two namespaces.

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapply"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/testkit/netbench"
)

func TestMain(m *testing.M) {
	// squid runs this test binary as its NTLM helper.
	netbench.RunHelperIfAsked()
	// Bazel runs tests with a minimal PATH; ip, dnsmasq and squid live in
	// /usr/sbin.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin:/usr/bin:/bin")
	os.Exit(m.Run())
}

const (
	platformName = "platform.bench.test"
	benchProxy   = "proxy.bench.test"
	platformPort = 8443
	closedPort   = 8444
	mitmPort     = 3129
	squidPort    = 3128
	stepTimeout  = 3 * time.Second
)

var (
	gw4, gw6   = netip.MustParseAddr("10.77.0.1"), netip.MustParseAddr("fd77::1")
	box4, box6 = netip.MustParsePrefix("10.77.0.2/24"), netip.MustParsePrefix("fd77::2/64")
	plat4      = netip.MustParseAddr("10.77.1.10")
	plat6      = netip.MustParseAddr("fd77:1::10")
)

// benchOpts changes the bench of one case.
type benchOpts struct {
	peerDown   bool // net's end of the veth down: no carrier in box
	noIPv4     bool // box has no IPv4 address
	icmpIgnore bool // net ignores ICMP echo (still answers ARP and NDP)
	// staleGateway puts STALE neighbour entries for the gateway in box,
	// with a first-probe delay longer than the step: only the checker's
	// nudge gets the gateway probed in time.
	staleGateway bool
	// permanentGateway puts PERMANENT neighbour entries for the gateway
	// in box: never REACHABLE, so only an echo reply can pass the step.
	permanentGateway bool
	noDNS            bool // no dnsmasq
	otherCA          bool // the platform's certificate is from another CA
	mitm             bool // a TLS-terminating CONNECT proxy on mitmPort
	squid            *netbench.SquidOptions
	// second is another address on the box's eth0, for Source.
	second netip.Prefix
}

// bench is one case's namespaces and servers.
type bench struct {
	box, net *netbench.NS
	ca       *testCA // the pinned platform CA
	dns      *netbench.DnsmasqServer
	// peers are the addresses the platform was connected from.
	peers *peerLog
}

// peerLog records where connections came from.
type peerLog struct {
	mu    sync.Mutex
	addrs []netip.Addr
}

func (l *peerLog) add(a net.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addrs = append(l.addrs, netip.MustParseAddrPort(a.String()).Addr().Unmap())
}

func (l *peerLog) list() []netip.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.addrs)
}

// loggingListener records the peer of every connection it accepts.
type loggingListener struct {
	net.Listener
	log *peerLog
}

func (l loggingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.log.add(c.RemoteAddr())
	}
	return c, err
}

func newBench(t *testing.T, o benchOpts) *bench {
	t.Helper()
	b := netbench.New(t)
	box, nsNet := b.NS("ccbox"), b.NS("ccnet")
	b.Veth(box, "eth0", nsNet, "eth0")
	nsNet.Run("ip", "addr", "add", gw4.String()+"/24", "dev", "eth0")
	nsNet.Run("ip", "addr", "add", gw6.String()+"/64", "dev", "eth0", "nodad")
	nsNet.Run("ip", "addr", "add", "fe80::1/64", "dev", "eth0", "nodad")
	nsNet.Run("ip", "addr", "add", plat4.String()+"/32", "dev", "lo")
	nsNet.Run("ip", "addr", "add", plat6.String()+"/128", "dev", "lo")
	if !o.peerDown {
		nsNet.Run("ip", "link", "set", "eth0", "up")
	}
	if !o.noIPv4 {
		box.Run("ip", "addr", "add", box4.String(), "dev", "eth0")
	}
	box.Run("ip", "addr", "add", box6.String(), "dev", "eth0", "nodad")
	if o.second.IsValid() {
		box.Run("ip", "addr", "add", o.second.String(), "dev", "eth0")
	}
	box.Run("ip", "link", "set", "eth0", "up")
	if !o.noIPv4 {
		box.Run("ip", "route", "add", "default", "via", gw4.String())
	}
	if !o.peerDown {
		box.Run("ip", "-6", "route", "add", "default", "via", gw6.String())
	}
	if o.icmpIgnore {
		nsNet.Run("sysctl", "-q", "net.ipv4.icmp_echo_ignore_all=1", "net.ipv6.icmp.echo_ignore_all=1")
	}
	if o.staleGateway || o.permanentGateway {
		var links []struct {
			Address string `json:"address"`
		}
		if err := json.Unmarshal([]byte(nsNet.Run("ip", "-j", "link", "show", "dev", "eth0")), &links); err != nil || len(links) != 1 {
			t.Fatalf("ip -j link show: %v %+v", err, links)
		}
		nud := "permanent"
		if o.staleGateway {
			nud = "stale"
			box.Run("sysctl", "-q", "net.ipv4.neigh.eth0.delay_first_probe_time=60", "net.ipv6.neigh.eth0.delay_first_probe_time=60")
		}
		for _, gw := range []netip.Addr{gw4, gw6} {
			box.Run("ip", "neigh", "replace", gw.String(), "lladdr", links[0].Address, "dev", "eth0", "nud", nud)
		}
	}
	bn := &bench{box: box, net: nsNet, ca: newCA(t, "Picket Test Platform CA"), peers: &peerLog{}}
	if !o.noDNS && !o.peerDown {
		bn.dns = netbench.Dnsmasq(nsNet, netbench.DnsmasqOptions{
			Interface: "eth0",
			DNSPort:   53,
			HostRecords: []netbench.HostRecord{
				{Name: platformName, Addrs: []netip.Addr{plat4, plat6}},
				{Name: benchProxy, Addrs: []netip.Addr{gw4, gw6}},
				{Name: "alias.bench.test", Addrs: []netip.Addr{plat4, plat6}},
			},
			// Answer NXDOMAIN for other names under bench.test rather
			// than REFUSED (dnsmasq has no upstream).
			Extra: []string{"--local=/bench.test/"},
		})
	}

	issuer := bn.ca
	if o.otherCA {
		issuer = newCA(t, "Some Other CA")
	}
	leaf := issuer.leaf(t, platformName, plat4, plat6)
	srv := &http.Server{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "platform") }),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{leaf}},
		// Failed handshakes are what several cases are about.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	ln := listenIn(t, nsNet, fmt.Sprintf("[::]:%d", platformPort))
	go srv.ServeTLS(loggingListener{ln, bn.peers}, "", "")
	t.Cleanup(func() { srv.Close() })

	if o.mitm {
		startMITM(t, nsNet, newCA(t, "Corporate MITM CA"))
	}
	if o.squid != nil {
		so := *o.squid
		so.Listen = netip.AddrPortFrom(gw4, squidPort)
		so.Hosts = []netbench.HostRecord{{Name: platformName, Addrs: []netip.Addr{plat4}}}
		netbench.Squid(nsNet, so)
	}
	return bn
}

// listenIn opens a TCP listener inside ns; it stays there whatever
// goroutine serves it.
func listenIn(t *testing.T, ns *netbench.NS, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	if err := ns.Do(func() (err error) {
		ln, err = net.Listen("tcp", addr)
		return err
	}); err != nil {
		t.Fatalf("listen on %s in %s: %v", addr, ns.Name, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// startMITM runs a CONNECT proxy that terminates TLS itself with a
// certificate from ca for whatever host was asked: what a corporate
// TLS-inspecting proxy does.
func startMITM(t *testing.T, ns *netbench.NS, ca *testCA) {
	ln := listenIn(t, ns, fmt.Sprintf("[::]:%d", mitmPort))
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				if req.Method != http.MethodConnect {
					fmt.Fprint(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
					return
				}
				fmt.Fprint(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				host := req.URL.Hostname()
				leaf := ca.leaf(t, host)
				tc := tls.Server(&bufConn{Conn: c, r: br}, &tls.Config{Certificates: []tls.Certificate{leaf}})
				tc.Handshake()
				tc.Close()
			}()
		}
	}()
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// testCA is a throwaway CA made at test time.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Picket tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// leaf issues a server certificate for name and ips.
func (ca *testCA) leaf(t *testing.T, name string, ips ...netip.Addr) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Error(err)
		return tls.Certificate{}
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, a := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, a.AsSlice())
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Error(err)
		return tls.Certificate{}
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// port reads the box's eth0 as the network manager would: carrier and
// the addresses that are not link-local.
func (bn *bench) port(t *testing.T, method string) Port {
	t.Helper()
	var links []struct {
		Flags []string `json:"flags"`
	}
	if err := json.Unmarshal([]byte(bn.box.Run("ip", "-j", "link", "show", "dev", "eth0")), &links); err != nil || len(links) != 1 {
		t.Fatalf("ip -j link show: %v %+v", err, links)
	}
	var addrs []struct {
		AddrInfo []struct {
			Local     string `json:"local"`
			PrefixLen int    `json:"prefixlen"`
			Scope     string `json:"scope"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal([]byte(bn.box.Run("ip", "-j", "addr", "show", "dev", "eth0")), &addrs); err != nil || len(addrs) != 1 {
		t.Fatalf("ip -j addr show: %v %+v", err, addrs)
	}
	p := Port{Name: "lan", Device: "eth0", Method: method, Carrier: slices.Contains(links[0].Flags, "LOWER_UP")}
	for _, a := range addrs[0].AddrInfo {
		if a.Scope == "link" {
			continue
		}
		p.Addrs = append(p.Addrs, netip.PrefixFrom(netip.MustParseAddr(a.Local), a.PrefixLen))
	}
	return p
}

// helperInput is what the test sends the checker child: the Input without
// the parts JSON cannot carry.
type helperInput struct {
	Input         Input
	CAPEM         []byte
	ProxyPassword string
}

// check runs the checker in the box namespace and returns its result.
func (bn *bench) check(t *testing.T, in Input) Result {
	t.Helper()
	hi := helperInput{Input: in, CAPEM: bn.ca.pem, ProxyPassword: in.Proxy.Password.Reveal()}
	hi.Input.RootCAs = nil
	hi.Input.Proxy.Password = netcfg.Secret{}
	b, err := json.Marshal(hi)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inFile, outFile := filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json")
	if err := os.WriteFile(inFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := bn.box.Command(exe, "-test.run=^TestHelperCheck$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CONNCHECK_HELPER_IN="+inFile, "CONNCHECK_HELPER_OUT="+outFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("checker child in %s: %v\n%s", bn.box.Name, err, out)
	}
	var got Result
	b, err = os.ReadFile(outFile)
	if err == nil {
		err = json.Unmarshal(b, &got)
	}
	if err != nil {
		t.Fatalf("checker child result: %v", err)
	}
	for _, s := range got.Steps {
		t.Logf("%-8s %-8s %-26q %s", s.Name, s.Outcome, s.Panel, s.Detail)
	}
	if pw := in.Proxy.Password.Reveal(); pw != "" && strings.Contains(string(b), pw) {
		t.Errorf("the result contains the proxy password:\n%s", b)
	}
	return got
}

// TestHelperCheck is the checker child that check starts in the box
// namespace; run directly (without its environment) it does nothing.
func TestHelperCheck(t *testing.T) {
	inFile, outFile := os.Getenv("CONNCHECK_HELPER_IN"), os.Getenv("CONNCHECK_HELPER_OUT")
	if inFile == "" {
		return
	}
	b, err := os.ReadFile(inFile)
	if err != nil {
		t.Fatal(err)
	}
	var hi helperInput
	if err := json.Unmarshal(b, &hi); err != nil {
		t.Fatal(err)
	}
	in := hi.Input
	in.RootCAs = x509.NewCertPool()
	if !in.RootCAs.AppendCertsFromPEM(hi.CAPEM) {
		t.Fatal("no CA certificate in the input")
	}
	in.Proxy.Password = netcfg.NewSecret(hi.ProxyPassword)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The child runs in the box namespace: the kernel's netlink and
	// sockets there.
	k, err := netapply.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	got := (&Checker{Neighbours: k}).Run(ctx, in)
	b, err = json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func input4(p Port) Input {
	return Input{
		Ports:       []Port{p},
		Gateway:     gw4,
		DNS:         []netip.Addr{gw4},
		Platform:    fmt.Sprintf("%s:%d", platformName, platformPort),
		StepTimeout: stepTimeout,
	}
}

// TestNetwork runs the checker against the bench, one fresh bench per
// case.
func TestNetwork(t *testing.T) {
	tests := []struct {
		name   string
		opts   benchOpts
		method string
		edit   func(*Input)
		// fail is the step that must fail ("" = all pass), with its panel
		// and a part of its detail.
		fail   StepName
		panel  string
		detail string
		// pass are parts of the details of passing steps.
		pass map[StepName]string
		// verify checks the bench after the test.
		verify func(*testing.T, *bench)
	}{
		{
			name: "all pass",
			pass: map[StepName]string{
				StepLink:    "carrier on lan (eth0)",
				StepAddress: "10.77.0.2/24",
				// By ping or ARP, whichever is seen first.
				StepGateway: "gateway 10.77.0.1 answered",
				StepDNS:     "platform platform.bench.test is 10.77.1.10 (A record from 10.77.0.1)",
				StepProxy:   "no proxy",
				StepTLS:     "TLS 1.3 with platform.bench.test:8443 directly; certificate CN=platform.bench.test issued by CN=Picket Test Platform CA",
			},
		},
		{
			name: "bound to source", opts: benchOpts{second: netip.MustParsePrefix("10.77.0.3/24")},
			edit: func(in *Input) { in.Source = netip.MustParseAddr("10.77.0.3") },
			pass: map[StepName]string{StepTLS: "TLS 1.3"},
			verify: func(t *testing.T, bn *bench) {
				if got := bn.peers.list(); !slices.Equal(got, []netip.Addr{netip.MustParseAddr("10.77.0.3")}) {
					t.Errorf("platform connected from %v, want only the source 10.77.0.3", got)
				}
				if err := bn.dns.WaitLog("query[A] platform.bench.test from 10.77.0.3", 10*time.Second); err != nil {
					t.Error(err)
				}
				if strings.Contains(bn.dns.Log(), "from 10.77.0.2") {
					t.Errorf("a DNS query came from 10.77.0.2, not the source:\n%s", bn.dns.Log())
				}
			},
		},
		{
			name: "platform IP literal", edit: func(in *Input) { in.Platform = fmt.Sprintf("%s:%d", plat4, platformPort) },
			pass: map[StepName]string{StepTLS: "TLS 1.3", StepDNS: "10.77.1.10 is an IP address"},
		},
		{
			name: "link down", opts: benchOpts{peerDown: true},
			fail: StepLink, panel: "NO LINK ON LAN", detail: "lan (eth0) has no carrier",
		},
		{
			name: "no address", opts: benchOpts{noIPv4: true}, method: MethodDHCP,
			fail: StepAddress, panel: "NO DHCP LEASE ON LAN", detail: "no IPv4 address (no DHCP lease): only fd77::2/64",
		},
		{
			name: "gateway nobody has", edit: func(in *Input) { in.Gateway = netip.MustParseAddr("10.77.0.99") },
			fail: StepGateway, panel: PanelGatewayUnreachable, detail: "gateway 10.77.0.99 does not answer",
		},
		{
			name: "gateway drops ping", opts: benchOpts{icmpIgnore: true},
			pass: map[StepName]string{StepGateway: "gateway 10.77.0.1 answered ARP (neighbour entry REACHABLE)"},
		},
		{
			name: "gateway answers ping", opts: benchOpts{permanentGateway: true},
			pass: map[StepName]string{StepGateway: "gateway 10.77.0.1 answered ping (echo reply to request 1)"},
		},
		{
			name: "IPv6-only gateway answers ping", opts: benchOpts{permanentGateway: true}, method: MethodAuto,
			edit: func(in *Input) { in.IPv6Only, in.Gateway, in.DNS = true, gw6, []netip.Addr{gw6} },
			pass: map[StepName]string{StepGateway: "gateway fd77::1 answered ping (echo reply to request 1)"},
		},
		{
			name: "gateway drops ping, stale neighbour", opts: benchOpts{icmpIgnore: true, staleGateway: true},
			pass: map[StepName]string{StepGateway: "gateway 10.77.0.1 answered ARP (neighbour entry REACHABLE)"},
		},
		{
			name: "IPv6-only gateway drops ping, stale neighbour", opts: benchOpts{icmpIgnore: true, staleGateway: true}, method: MethodAuto,
			edit: func(in *Input) { in.IPv6Only, in.Gateway, in.DNS = true, gw6, []netip.Addr{gw6} },
			pass: map[StepName]string{StepGateway: "gateway fd77::1 answered NDP (neighbour entry REACHABLE)"},
		},
		{
			name: "DNS server down", opts: benchOpts{noDNS: true},
			fail: StepDNS, panel: PanelDNSFailed, detail: "cannot resolve platform platform.bench.test (A) with 10.77.0.1: 10.77.0.1:",
		},
		{
			name: "DNS server silent", edit: func(in *Input) { in.DNS = []netip.Addr{netip.MustParseAddr("10.77.0.53")} },
			fail: StepDNS, panel: PanelDNSFailed, detail: "10.77.0.53: timeout",
		},
		{
			name: "second DNS server answers", edit: func(in *Input) { in.DNS = []netip.Addr{netip.MustParseAddr("10.77.0.53"), gw4} },
			pass: map[StepName]string{StepDNS: "A record from 10.77.0.1"},
		},
		{
			name: "unknown name", edit: func(in *Input) { in.Platform = "nosuch.bench.test:8443" },
			fail: StepDNS, panel: PanelDNSFailed, detail: "NXDOMAIN: nosuch.bench.test does not exist",
		},
		{
			name: "platform certificate from another CA", opts: benchOpts{otherCA: true},
			fail: StepTLS, panel: PanelTLSFailure, detail: `issued by "CN=Some Other CA,O=Picket tests", which the pinned platform CA did not issue`,
		},
		{
			name: "platform certificate for another name", edit: func(in *Input) { in.Platform = fmt.Sprintf("alias.bench.test:%d", platformPort) },
			fail: StepTLS, panel: PanelTLSFailure, detail: "not alias.bench.test",
		},
		{
			name: "platform port closed", edit: func(in *Input) { in.Platform = fmt.Sprintf("%s:%d", platformName, closedPort) },
			fail: StepTLS, panel: PanelPlatformUnreach, detail: "connection refused",
		},
		{
			name: "IPv6-only", method: MethodAuto,
			edit: func(in *Input) { in.IPv6Only, in.Gateway, in.DNS = true, gw6, []netip.Addr{gw6} },
			pass: map[StepName]string{
				StepAddress: "fd77::2/64",
				StepGateway: "gateway fd77::1 answered",
				StepDNS:     "is fd77:1::10 (AAAA record from fd77::1)",
				StepTLS:     "TLS 1.3",
			},
		},
		{
			name: "IPv6-only link-local gateway", method: MethodAuto,
			edit: func(in *Input) {
				in.IPv6Only, in.DNS = true, []netip.Addr{gw6}
				in.Gateway, in.GatewayDevice = netip.MustParseAddr("fe80::1"), "eth0"
			},
			pass: map[StepName]string{StepGateway: "gateway fe80::1%eth0 on eth0 answered"},
		},
		{
			name: "IPv6-only link-local gateway nobody has", method: MethodAuto,
			edit: func(in *Input) {
				in.IPv6Only, in.DNS = true, []netip.Addr{gw6}
				in.Gateway, in.GatewayDevice = netip.MustParseAddr("fe80::99"), "eth0"
			},
			fail: StepGateway, panel: PanelGatewayUnreachable, detail: "gateway fe80::99%eth0 on eth0 does not answer",
		},
		{
			name: "TLS-terminating proxy", opts: benchOpts{mitm: true},
			edit: func(in *Input) { in.Proxy = netcfg.Proxy{Host: benchProxy, Port: mitmPort} },
			fail: StepTLS, panel: PanelTLSIntercepted, detail: `proxy proxy.bench.test:3129 terminates TLS: it presented certificate "CN=platform.bench.test" issued by "CN=Corporate MITM CA,O=Picket tests"`,
			pass: map[StepName]string{
				StepDNS:   "proxy proxy.bench.test is 10.77.0.1",
				StepProxy: "proxy proxy.bench.test:3129 opened a CONNECT tunnel to platform.bench.test:8443",
			},
		},
		{
			name: "proxy unreachable", edit: func(in *Input) { in.Proxy = netcfg.Proxy{Host: "10.77.0.1", Port: 3999} },
			fail: StepProxy, panel: PanelProxyUnreachable, detail: "CONNECT platform.bench.test:8443 through proxy 10.77.0.1:3999",
			pass: map[StepName]string{StepDNS: "proxy 10.77.0.1 is an IP address"},
		},
		{
			name: "squid Basic", opts: benchOpts{squid: &netbench.SquidOptions{Basic: true, User: "scanner", Password: "s3cret-pw", ConnectPorts: []int{platformPort}}},
			edit: func(in *Input) {
				in.Proxy = netcfg.Proxy{Host: benchProxy, Port: squidPort, User: "scanner", Password: netcfg.NewSecret("s3cret-pw")}
			},
			pass: map[StepName]string{
				StepProxy: "proxy proxy.bench.test:3128 as user scanner opened a CONNECT tunnel",
				StepTLS:   "TLS 1.3 with platform.bench.test:8443 through proxy proxy.bench.test:3128 as user scanner",
			},
		},
		{
			name: "squid Basic wrong password", opts: benchOpts{squid: &netbench.SquidOptions{Basic: true, User: "scanner", Password: "s3cret-pw", ConnectPorts: []int{platformPort}}},
			edit: func(in *Input) {
				in.Proxy = netcfg.Proxy{Host: benchProxy, Port: squidPort, User: "scanner", Password: netcfg.NewSecret("wrong-pw")}
			},
			fail: StepProxy, panel: PanelProxyAuthFailed, detail: "proxy proxy.bench.test:3128 as user scanner",
		},
		{
			name: "squid Basic without credentials", opts: benchOpts{squid: &netbench.SquidOptions{Basic: true, User: "scanner", Password: "s3cret-pw", ConnectPorts: []int{platformPort}}},
			edit: func(in *Input) { in.Proxy = netcfg.Proxy{Host: benchProxy, Port: squidPort} },
			fail: StepProxy, panel: PanelProxyAuthFailed, detail: "the proxy requires credentials",
		},
		{
			name: "squid NTLM", opts: benchOpts{squid: &netbench.SquidOptions{NTLM: true, Domain: "CORP", User: "scanner", Password: "nt-s3cret", ConnectPorts: []int{platformPort}}},
			edit: func(in *Input) {
				in.Proxy = netcfg.Proxy{Host: benchProxy, Port: squidPort, User: `CORP\scanner`, Password: netcfg.NewSecret("nt-s3cret")}
			},
			pass: map[StepName]string{
				StepProxy: `proxy proxy.bench.test:3128 as user CORP\scanner opened a CONNECT tunnel`,
				StepTLS:   "TLS 1.3 with platform.bench.test:8443 through proxy",
			},
		},
		{
			name: "squid NTLM wrong password", opts: benchOpts{squid: &netbench.SquidOptions{NTLM: true, Domain: "CORP", User: "scanner", Password: "nt-s3cret", ConnectPorts: []int{platformPort}}},
			edit: func(in *Input) {
				in.Proxy = netcfg.Proxy{Host: benchProxy, Port: squidPort, User: `CORP\scanner`, Password: netcfg.NewSecret("nt-wrong")}
			},
			fail: StepProxy, panel: PanelProxyAuthFailed, detail: "the proxy rejected the user name or password",
		},
		{
			name: "squid refuses the port", opts: benchOpts{squid: &netbench.SquidOptions{ConnectPorts: []int{443}}},
			edit: func(in *Input) { in.Proxy = netcfg.Proxy{Host: benchProxy, Port: squidPort} },
			fail: StepProxy, panel: PanelProxyRefused, detail: "the proxy refused to tunnel to the platform",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bn := newBench(t, tc.opts)
			method := tc.method
			if method == "" {
				method = MethodStatic
			}
			in := input4(bn.port(t, method))
			if tc.edit != nil {
				tc.edit(&in)
			}
			got := bn.check(t, in)
			if tc.fail != "" {
				checkFailure(t, got, tc.fail, tc.panel, tc.detail)
			} else if !got.OK {
				t.Errorf("test failed, want it to pass: %+v", got)
			}
			for name, want := range tc.pass {
				for _, s := range got.Steps {
					if s.Name == name && !strings.Contains(s.Detail, want) {
						t.Errorf("step %s detail %q, want it to contain %q", name, s.Detail, want)
					}
				}
			}
			if tc.verify != nil {
				tc.verify(t, bn)
			}
			if got.Started.IsZero() || got.Finished.Before(got.Started) {
				t.Errorf("started %v finished %v", got.Started, got.Finished)
			}
		})
	}
}
