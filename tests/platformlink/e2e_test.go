// Package platformlink_test is the end-to-end test of the box's link to
// the platform: the real netmgrd and the real scannerd in the box's
// network namespace, a LAN side namespace with dnsmasq (DHCP and DNS),
// squid and an HTTPS platform that verifies the box's signatures and
// activates it on demand. It checks what the front panel shows (through
// netmgrd's status), recovery from a platform outage, the proxy path, and
// that the box listens on no port of its interfaces.
package platformlink_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
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

var (
	lanGW     = netip.MustParseAddr("10.50.0.1")
	platHost  = "platform.bench.test"
	proxyHost = "proxy.bench.test"
	proxyUser = "scanbox"
	proxyPass = "Sq-pw!e2e-leak"
)

// rollbackGrace is netmgrd's -rollback-grace on this bench.
const rollbackGrace = 6 * time.Second

// linkUID is the uid scannerd runs as, as it will once it has a uid of its
// own: netmgrd names it with -link-uid, the only way it gets the
// management path (and the API at all). No account needs to exist for it.
const linkUID = 4242

// testPlatform is the platform side, minimally: it verifies signatures
// and activates a box when asked to by its activation code.
type testPlatform struct {
	t      *testing.T
	ns     *netbench.NS
	cert   tls.Certificate
	nonces platformapi.NonceCache

	mu     sync.Mutex
	srv    *http.Server
	done   chan struct{}
	seen   map[string]string // activation code -> box key
	active map[string]string // box key -> name
	froms  []string          // the source address of each poll
}

func (p *testPlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, platformapi.MaxBody))
	pub, err := platformapi.Verify(r, body, time.Now(), &p.nonces)
	if err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(err)
		return
	}
	if r.URL.Path != platformapi.PathPoll {
		http.NotFound(w, r)
		return
	}
	key := platformapi.EncodeKey(pub)
	p.mu.Lock()
	defer p.mu.Unlock()
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	p.froms = append(p.froms, host)
	p.seen[platformapi.ActivationCode(pub)] = key
	// One second keeps the test short; the real platform enforces 10 s.
	resp := platformapi.PollResponse{State: platformapi.StateUnactivated, PollIntervalSeconds: 1}
	if name, ok := p.active[key]; ok {
		resp.State, resp.Name = platformapi.StateActive, name
	}
	json.NewEncoder(w).Encode(resp)
}

// activate binds the box showing code; it must have polled.
func (p *testPlatform) activate(code, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	key, ok := p.seen[code]
	if !ok {
		return fmt.Errorf("no box polled with activation code %s", code)
	}
	p.active[key] = name
	return nil
}

// lastFrom is where the last poll came from.
func (p *testPlatform) lastFrom() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.froms) == 0 {
		return ""
	}
	return p.froms[len(p.froms)-1]
}

func (p *testPlatform) start() {
	p.t.Helper()
	l := p.ns.Listen("tcp", lanGW.String()+":443")
	srv := &http.Server{Handler: p, TLSConfig: &tls.Config{Certificates: []tls.Certificate{p.cert}, MinVersion: tls.VersionTLS13}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.ServeTLS(l, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			p.t.Logf("platform: %v", err)
		}
	}()
	p.mu.Lock()
	p.srv, p.done = srv, done
	p.mu.Unlock()
}

func (p *testPlatform) stop() {
	p.mu.Lock()
	srv, done := p.srv, p.done
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		srv.Close()
		<-done
	}
}

// env is one box on the bench.
type env struct {
	t        *testing.T
	b        *netbench.Bench
	box, net *netbench.NS
	plat     *testPlatform
	dir      string
	run      string // what scannerd reaches as linkUID: the socket, its binary, the CA
	data     string // netmgrd's data partition
	linkData string // scannerd's, apart: the link has no business with netmgrd's store
	socket   string
	caFile   string
	netmgrd  *netbench.Proc
	scannerd *netbench.Proc
	// scannerArgs are more flags for scannerd (set before it starts, by
	// newEnvWith's startPlatform).
	scannerArgs []string
	mgr         *netapi.Client
	cert        tls.Certificate // the platform's
}

func newEnv(t *testing.T) *env { return newEnvWith(t, nil) }

// newEnvWith starts the bench; startPlatform, when not nil, starts the
// platform instead of the in-test one (before the box's daemons start).
// netmgrd cancels scannerd's running scan through its scanner.sock
// before it applies a change.
func newEnvWith(t *testing.T, startPlatform func(e *env)) *env {
	t.Helper()
	b := netbench.New(t)
	e := &env{t: t, b: b, dir: t.TempDir()}
	e.box, e.net = b.NS("box"), b.NS("net")
	b.Veth(e.box, "eth0", e.net, "lan0")
	e.net.Run("ip", "addr", "add", lanGW.String()+"/24", "dev", "lan0")
	e.net.Run("ip", "link", "set", "lan0", "up")
	netbench.Dnsmasq(e.net, netbench.DnsmasqOptions{
		Interface:  "lan0",
		Range4From: netip.MustParseAddr("10.50.0.100"), Range4To: netip.MustParseAddr("10.50.0.150"),
		LeaseTime: time.Hour,
		Router:    lanGW,
		DNS:       []netip.Addr{lanGW},
		Domain:    "bench.test",
		DNSPort:   53,
		HostRecords: []netbench.HostRecord{
			{Name: platHost, Addrs: []netip.Addr{lanGW}},
			{Name: proxyHost, Addrs: []netip.Addr{lanGW}},
		},
	})
	e.run = sharedDir(t)
	ca := netbench.NewCA(t)
	e.caFile = filepath.Join(e.run, "platform-ca.pem")
	if err := os.WriteFile(e.caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	e.cert = ca.Issue(t, platHost)
	if startPlatform != nil {
		startPlatform(e)
	} else {
		e.plat = &testPlatform{t: t, ns: e.net, cert: e.cert, seen: map[string]string{}, active: map[string]string{}}
		e.plat.start()
		t.Cleanup(e.plat.stop)
	}
	e.socket = filepath.Join(e.run, "netmgr.sock")
	e.data = filepath.Join(e.dir, "data")
	e.linkData = filepath.Join(e.run, "scanner-data")
	if err := os.Mkdir(e.linkData, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(e.linkData, linkUID, linkUID); err != nil {
		t.Fatal(err)
	}
	e.netmgrd = e.box.Start("netmgrd", testinput.Command(t, "netmgrd"),
		"-socket", e.socket, "-data", e.data, "-lan", "eth0", "-wan", "",
		"-platform", platHost+":443", "-platform-ca", e.caFile,
		"-resolv", filepath.Join(e.dir, "resolv.conf"),
		"-lease-wait", "15s", "-dhcp-retry-min", "2s", "-dhcp-retry-max", "5s",
		// Settings that cut the box off are rolled back within seconds
		// here (TestRealPlatformd), not the product's 3 minutes.
		"-rollback-grace", rollbackGrace.String(), "-trial-retest", "2s",
		"-link-uid", strconv.Itoa(linkUID), "-scanner", e.scannerSocket())
	e.mgr = netapi.Dial(e.socket)
	t.Cleanup(func() { e.mgr.Close() })
	e.waitFor("a DHCP lease on LAN", 60*time.Second, func(st netapi.Status) bool {
		return len(st.Interfaces) > 0 && len(st.Interfaces[0].IPv4.Addresses) > 0 && len(st.DNS) > 0
	})
	// The socket is netmgrd's (mode 0660); its group is the one the
	// daemons that use the API share, here scannerd's.
	if err := os.Chown(e.socket, -1, linkUID); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(e.run, "scannerd")
	copyFile(t, testinput.Command(t, "scannerd"), bin, 0o755)
	e.startScannerd("scannerd")
	return e
}

// startScannerd starts scannerd (the platform link) as name, as linkUID.
func (e *env) startScannerd(name string) {
	e.t.Helper()
	e.scannerd = e.box.Start(name, append([]string{"setpriv", "--reuid", strconv.Itoa(linkUID), "--regid", strconv.Itoa(linkUID), "--clear-groups", "--",
		filepath.Join(e.run, "scannerd"),
		"-data", e.linkData, "-netmgr", e.socket, "-socket", e.scannerSocket(),
		"-platform", "https://" + platHost, "-platform-ca", e.caFile}, e.scannerArgs...)...)
}

// scannerSocket is scannerd's scanner.sock.
func (e *env) scannerSocket() string { return filepath.Join(e.linkData, "scanner.sock") }

// sharedDir is a directory that linkUID can reach, under /tmp: the
// test's own temporary directory may sit under one only root can enter
// (Bazel's output base in /root).
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "picket-plink-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls netmgrd's status until cond holds; the timeout only
// keeps a broken run from hanging.
func (e *env) waitFor(what string, timeout time.Duration, cond func(netapi.Status) bool) netapi.Status {
	e.t.Helper()
	return netstatus.Wait(e.t, e.mgr, what, timeout, cond,
		func() string { return "netmgrd:\n" + e.netmgrd.Output() },
		func() string {
			if e.scannerd == nil {
				return ""
			}
			return "scannerd:\n" + e.scannerd.Output()
		})
}

func linkState(state string) func(netapi.Status) bool {
	return func(st netapi.Status) bool { return st.Platform != nil && st.Platform.State == state }
}

// activate waits for the activation code, activates the box and waits
// for it to show its name.
func (e *env) activate(name string) {
	e.t.Helper()
	st := e.waitFor("ACTIVATION CODE", 60*time.Second, linkState(netapi.LinkActivation))
	code := st.Platform.ActivationCode
	if _, err := platformapi.NormalizeCode(code); err != nil {
		e.t.Fatalf("activation code shown: %v", err)
	}
	if err := e.plat.activate(code, name); err != nil {
		e.t.Fatal(err)
	}
	st = e.waitFor("NAME-IP after activation", 60*time.Second, linkState(netapi.LinkReady))
	if st.Platform.Name != name || st.Platform.ActivationCode != "" {
		e.t.Fatalf("after activation: platform link %+v, want ready as %s", *st.Platform, name)
	}
}

func TestActivationOutageRecovery(t *testing.T) {
	e := newEnv(t)
	e.activate("lab-e2e")

	e.plat.stop()
	st := e.waitFor("COMMUNICATION FAILURE with the platform stopped", 60*time.Second, linkState(netapi.LinkCommFailure))
	if st.Platform.LastError == "" {
		t.Errorf("communication failure without a reason: %+v", *st.Platform)
	}
	e.plat.start()
	st = e.waitFor("recovery once the platform is back", 60*time.Second, linkState(netapi.LinkReady))
	if st.Platform.Name != "lab-e2e" || st.Platform.LastError != "" {
		t.Errorf("after recovery: %+v", *st.Platform)
	}

	// A restart keeps the identity: the platform still knows the box.
	e.scannerd.Stop()
	e.startScannerd("scannerd-2")
	if err := e.scannerd.WaitOutput("scannerd to start", 30*time.Second, func(s string) bool { return strings.Contains(s, "new_identity=false") }); err != nil {
		t.Fatal(err)
	}
	e.waitFor("ready after a restart", 60*time.Second, func(st netapi.Status) bool {
		return st.Platform != nil && st.Platform.State == netapi.LinkReady && st.Platform.Reported.After(time.Now().Add(-3*time.Second))
	})
}

func TestThroughProxy(t *testing.T) {
	e := newEnv(t)
	netbench.Squid(e.net, netbench.SquidOptions{
		Listen: netip.AddrPortFrom(lanGW, 3128), Basic: true, User: proxyUser, Password: proxyPass,
		Hosts: []netbench.HostRecord{{Name: platHost, Addrs: []netip.Addr{lanGW}}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cv, err := e.mgr.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := cv.Config
	cfg.Proxy = netcfg.Proxy{Host: proxyHost, Port: 3128, User: proxyUser, Password: netcfg.NewSecret(proxyPass)}
	if _, err := e.mgr.Apply(ctx, cfg, netapi.ApplyOptions{}); err != nil {
		t.Fatalf("apply the proxy: %v\nnetmgrd:\n%s", err, e.netmgrd.Output())
	}
	e.activate("lab-proxy")
	// Squid, in the platform's namespace, connects from the LAN side's
	// own address; the box's direct polls come from its lease.
	if from := e.plat.lastFrom(); from != lanGW.String() {
		t.Errorf("the last poll came from %s, not through squid (%s)", from, lanGW)
	}
	if out := e.scannerd.Output(); strings.Contains(out, proxyPass) {
		t.Errorf("scannerd logged the proxy password:\n%s", out)
	}
	if out := e.netmgrd.Output(); strings.Contains(out, proxyPass) {
		t.Errorf("netmgrd logged the proxy password")
	}
	// scannerd's data partition is not netmgrd's: the password reached
	// squid through the management path of the local API.
	if want := fmt.Sprintf("path=/v1/management uid=%d", linkUID); !strings.Contains(e.netmgrd.Output(), want) {
		t.Errorf("netmgrd never served the management path to scannerd's uid (%q):\n%s", want, e.netmgrd.Output())
	}
}

// TestNoListeningPorts: the box opens no TCP or UDP port on its
// interfaces, which a connect scan from the LAN confirms.
func TestNoListeningPorts(t *testing.T) {
	e := newEnv(t)
	st := e.waitFor("ACTIVATION CODE", 60*time.Second, linkState(netapi.LinkActivation))
	boxAddr := st.Interfaces[0].IPv4.Addresses[0].Addr()
	// netmgrd's DHCPv4 client uses an AF_PACKET socket, which ss -tu does
	// not list, and the DHCPv6 client (UDP 546 on the link-local address)
	// runs only in the IPv6 modes, not in this IPv4 configuration; neither
	// scannerd nor netmgrd listens on TCP or UDP. So nothing at all is
	// expected, loopback included.
	if out := strings.TrimSpace(e.box.Run("ss", "-H", "-tuln")); out != "" {
		t.Errorf("the box has listening TCP/UDP sockets (ss -H -tuln):\n%s", out)
	}
	var open []int
	err := e.net.Do(func() error {
		ports := []int{}
		for p := 1; p <= 1024; p++ {
			ports = append(ports, p)
		}
		for p := 8000; p <= 9000; p++ {
			ports = append(ports, p)
		}
		for _, p := range ports {
			c, err := net.DialTimeout("tcp", netip.AddrPortFrom(boxAddr, uint16(p)).String(), 2*time.Second)
			if err == nil {
				open = append(open, p)
				c.Close()
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) > 0 {
		t.Errorf("TCP ports open on the box's address %s: %v", boxAddr, open)
	}
}
