package dhcp6

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// TestMain puts the system directories on PATH: Bazel runs tests with a
// bare environment, and ip and dnsmasq live in /usr/sbin.
func TestMain(m *testing.M) {
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin")
	os.Exit(m.Run())
}

// TestDnsmasq runs the Client against Debian's real dnsmasq as a stateless
// DHCPv6 server, across a veth pair between two network namespaces the
// test creates: the DNS server and search domain arrive, and RENEW asks
// again. It needs root, ip and dnsmasq; without them it fails.
func TestDnsmasq(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestDnsmasq needs root to create network namespaces (run the tests as root)")
	}
	for _, tool := range []string{"ip", "dnsmasq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("TestDnsmasq needs %s (apt-get install iproute2 dnsmasq): %v", tool, err)
		}
	}
	b := make([]byte, 4)
	rand.Read(b)
	sfx := hex.EncodeToString(b)
	srvNS, cliNS := "picket-dhcp6-srv-"+sfx, "picket-dhcp6-cli-"+sfx
	srvIf, cliIf := "p6s"+sfx, "p6c"+sfx
	for _, ns := range []string{srvNS, cliNS} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() {
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Errorf("cleanup: ip netns del %s: %v: %s", ns, err, out)
			}
		})
	}
	run(t, "ip", "link", "add", srvIf, "netns", srvNS, "type", "veth", "peer", "name", cliIf, "netns", cliNS)
	run(t, "ip", "-n", srvNS, "addr", "add", "fd42:1::1/64", "dev", srvIf, "nodad")
	run(t, "ip", "-n", srvNS, "link", "set", srvIf, "up")
	run(t, "ip", "-n", cliNS, "link", "set", cliIf, "up")

	dir := t.TempDir()
	log := &lockedBuffer{}
	srv := exec.Command("ip", "netns", "exec", srvNS, "dnsmasq",
		"--no-daemon", "--conf-file=/dev/null", "--port=0", "--user=root",
		"--interface="+srvIf, "--bind-interfaces",
		"--enable-ra", "--dhcp-range=::,constructor:"+srvIf+",ra-stateless",
		"--dhcp-option=option6:dns-server,[fd42:1::53]",
		"--dhcp-option=option6:domain-search,bench.test",
		"--dhcp-leasefile="+filepath.Join(dir, "leases"),
		"--pid-file="+filepath.Join(dir, "dnsmasq.pid"),
		"--log-dhcp", "--log-facility=-")
	srv.Stdout, srv.Stderr = log, log
	if err := srv.Start(); err != nil {
		t.Fatalf("start dnsmasq: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = srv.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = srv.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("dnsmasq log:\n%s", log.String())
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tr := listenInNetns(t, ctx, cliNS, cliIf)
	mac := hwAddr(t, cliNS, cliIf)
	infos := make(chan Info, 4)
	c, err := New(Config{Interface: cliIf, Transport: tr, ClientID: DUIDFromMAC(mac), OnInfo: func(i Info) { infos <- i }})
	if err != nil {
		tr.Close()
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("Run did not return within 30s of cancel")
		}
	})
	next := func(what string) Info {
		t.Helper()
		select {
		case i := <-infos:
			return i
		case err := <-done:
			t.Fatalf("Run ended before %s: %v", what, err)
		case <-time.After(60 * time.Second):
			t.Fatalf("no %s within 60s", what)
		}
		return Info{}
	}

	check := func(i Info) {
		t.Helper()
		if !slices.Contains(i.DNS, netip.MustParseAddr("fd42:1::53")) {
			t.Errorf("DNS %v, want fd42:1::53", i.DNS)
		}
		if !slices.Contains(i.Domains, "bench.test") {
			t.Errorf("domains %v, want bench.test", i.Domains)
		}
		if !i.Server.IsLinkLocalUnicast() {
			t.Errorf("server %v, want the server's link-local address", i.Server)
		}
		if i.Refresh < MinimumRefresh {
			t.Errorf("refresh %v below IRT_MINIMUM", i.Refresh)
		}
	}
	first := next("information from dnsmasq")
	check(first)
	t.Logf("info: %+v", first)

	c.Renew()
	second := next("information after RENEW")
	check(second)
	if !second.Obtained.After(first.Obtained) {
		t.Errorf("renewed information obtained at %v, not after %v", second.Obtained, first.Obtained)
	}
	requests := func() int { return strings.Count(log.String(), "DHCPINFORMATION-REQUEST("+srvIf+")") }
	end := time.Now().Add(30 * time.Second)
	for requests() < 2 && time.Now().Before(end) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := requests(); n != 2 {
		t.Errorf("dnsmasq logged %d information-requests, want 2", n)
	}
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func hwAddr(t *testing.T, ns, ifname string) net.HardwareAddr {
	t.Helper()
	f := strings.Fields(run(t, "ip", "-n", ns, "-o", "link", "show", ifname))
	for i := range f[:len(f)-1] {
		if f[i] == "link/ether" {
			mac, err := net.ParseMAC(f[i+1])
			if err != nil {
				t.Fatal(err)
			}
			return mac
		}
	}
	t.Fatalf("no MAC address for %s in %q", ifname, f)
	return nil
}

// listenInNetns opens the UDP transport on ifname inside namespace ns. The
// socket stays in ns after the thread goes back to its own namespace.
func listenInNetns(t *testing.T, ctx context.Context, ns, ifname string) *UDP {
	t.Helper()
	type result struct {
		tr  *UDP
		err error
	}
	res := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			res <- result{err: fmt.Errorf("current netns: %w", err)}
			return
		}
		defer orig.Close()
		target, err := netns.GetFromName(ns)
		if err != nil {
			res <- result{err: fmt.Errorf("netns %s: %w", ns, err)}
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			res <- result{err: fmt.Errorf("enter netns %s: %w", ns, err)}
			return
		}
		tr, err := Listen(ctx, ifname)
		// Back home before the thread is reused; if that fails the thread
		// stays locked and ends with this goroutine.
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		res <- result{tr, err}
	}()
	r := <-res
	if r.err != nil {
		t.Fatalf("listen in %s: %v", ns, r.err)
	}
	t.Cleanup(func() { r.tr.Close() })
	return r.tr
}

// lockedBuffer collects dnsmasq's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
