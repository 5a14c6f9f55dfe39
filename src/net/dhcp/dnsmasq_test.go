package dhcp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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

	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/vishvananda/netns"
)

// TestDnsmasq runs the Client against Debian's real dnsmasq across a veth
// pair between two network namespaces the test creates: lease with every
// option, RENEW, and release on stop. It needs root, ip and dnsmasq
// (tools/fetch installs dnsmasq); without them it fails, it does not skip.
func TestDnsmasq(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestDnsmasq needs root to create network namespaces (run the tests as root)")
	}
	ipCmd, dnsmasq := tool(t, "ip"), tool(t, "dnsmasq")

	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	sfx := hex.EncodeToString(b)
	srvNS, cliNS := "picket-dhs-"+sfx, "picket-dhc-"+sfx
	srvIf, cliIf := "pds"+sfx, "pdc"+sfx // 11 characters, under IFNAMSIZ
	const (
		serverIP = "10.213.7.1"
		router   = "10.213.7.254"
		domain   = "bench.picket.test"
	)
	dns := []netip.Addr{netip.MustParseAddr("10.213.7.53"), netip.MustParseAddr("10.213.7.54")}
	wins := []netip.Addr{netip.MustParseAddr("10.213.7.44"), netip.MustParseAddr("10.213.7.45")}

	for _, ns := range []string{srvNS, cliNS} {
		ip(t, ipCmd, "netns", "add", ns)
		t.Cleanup(func() {
			if out, err := exec.Command(ipCmd, "netns", "del", ns).CombinedOutput(); err != nil {
				t.Errorf("cleanup: ip netns del %s: %v: %s", ns, err, out)
			}
		})
	}
	// Deleting the namespaces deletes the veth pair.
	ip(t, ipCmd, "link", "add", srvIf, "netns", srvNS, "type", "veth", "peer", "name", cliIf, "netns", cliNS)
	ip(t, ipCmd, "-n", srvNS, "addr", "add", serverIP+"/24", "dev", srvIf)
	ip(t, ipCmd, "-n", srvNS, "link", "set", srvIf, "up")
	ip(t, ipCmd, "-n", cliNS, "link", "set", cliIf, "up")

	dir := t.TempDir()
	log := &syncBuffer{}
	srv := exec.Command(ipCmd, "netns", "exec", srvNS, dnsmasq,
		"--no-daemon", "--conf-file=/dev/null", "--port=0", "--no-ping",
		"--interface="+srvIf, "--bind-interfaces", "--user=root",
		"--dhcp-range=10.213.7.100,10.213.7.150,255.255.255.0,120s",
		"--dhcp-option=3,"+router,
		"--dhcp-option=6,"+dns[0].String()+","+dns[1].String(),
		"--dhcp-option=15,"+domain,
		"--dhcp-option=44,"+wins[0].String()+","+wins[1].String(),
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
	waitLog := func(what string, ok func(string) bool) {
		t.Helper()
		end := time.Now().Add(30 * time.Second)
		for !ok(log.String()) {
			select {
			case <-exited:
				t.Fatalf("dnsmasq exited while waiting for %s; log:\n%s", what, log.String())
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(end) {
				t.Fatalf("dnsmasq: no %s within 30s", what)
			}
		}
	}
	waitLog("start", func(s string) bool { return strings.Contains(s, "DHCP, IP range") })

	tr := openInNetns(t, cliNS, cliIf)
	events := make(chan Event, 16)
	c, err := New(Config{Interface: cliIf, Transport: tr, OnEvent: func(e Event) { events <- e }})
	if err != nil {
		_ = tr.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("Run did not return within 30s of cancel")
		}
	}
	t.Cleanup(stop)
	next := func(want EventKind) Event {
		t.Helper()
		select {
		case e := <-events:
			if e.Kind != want {
				t.Fatalf("event %s (%s), want %s; status %+v", e.Kind, e.Reason, want, c.Status())
			}
			return e
		case <-time.After(60 * time.Second):
			t.Fatalf("no %s event within 60s; status %+v", want, c.Status())
		}
		return Event{}
	}

	// Lease with every configured option.
	bound := next(EventBound)
	l := bound.Lease
	lo, hi := netip.MustParseAddr("10.213.7.100"), netip.MustParseAddr("10.213.7.150")
	if l.Address.Bits() != 24 || l.Address.Addr().Less(lo) || hi.Less(l.Address.Addr()) {
		t.Errorf("address %v, want a /24 in %v-%v", l.Address, lo, hi)
	}
	if !slices.Equal(l.Routers, []netip.Addr{netip.MustParseAddr(router)}) {
		t.Errorf("routers %v, want [%s]", l.Routers, router)
	}
	if !slices.Equal(l.DNS, dns) || !slices.Equal(l.WINS, wins) || l.Domain != domain {
		t.Errorf("DNS %v WINS %v domain %q; want %v %v %q", l.DNS, l.WINS, l.Domain, dns, wins, domain)
	}
	if l.ServerID != netip.MustParseAddr(serverIP) || l.LeaseTime != 120*time.Second || l.T1 != 60*time.Second || l.T2 != 105*time.Second {
		t.Errorf("server %v lease %v T1 %v T2 %v; want %s 2m0s 1m0s 1m45s", l.ServerID, l.LeaseTime, l.T1, l.T2, serverIP)
	}
	if st := c.Status(); st.State != StateBound || st.Lease.Address != l.Address {
		t.Errorf("status %+v", st)
	}
	mac := tr.c.InterfaceAddr().String()
	acks := func(s string) int {
		return strings.Count(s, fmt.Sprintf("DHCPACK(%s) %s %s", srvIf, l.Address.Addr(), mac))
	}
	waitLog("first DHCPACK", func(s string) bool { return acks(s) == 1 })

	// Apply the address as the network manager would: the server unicasts
	// its answer to a renewal to the leased address.
	ip(t, ipCmd, "-n", cliNS, "addr", "add", l.Address.String(), "dev", cliIf)

	// RENEW from the panel: the same server extends the same address.
	c.Renew()
	renewed := next(EventRenewed)
	rl := renewed.Lease
	if rl.Address != l.Address || rl.ServerID != l.ServerID || rl.LeaseTime != 120*time.Second {
		t.Errorf("renewed lease %v from %v for %v, want %v from %v for 2m0s", rl.Address, rl.ServerID, rl.LeaseTime, l.Address, l.ServerID)
	}
	if !rl.Obtained.After(l.Obtained) || !rl.ExpiresAt().After(l.ExpiresAt()) {
		t.Errorf("renewal did not move the lease: obtained %v → %v, expires %v → %v", l.Obtained, rl.Obtained, l.ExpiresAt(), rl.ExpiresAt())
	}
	waitLog("second DHCPACK (renewal)", func(s string) bool { return acks(s) == 2 })
	if n := strings.Count(log.String(), fmt.Sprintf("DHCPDISCOVER(%s)", srvIf)); n != 1 {
		t.Errorf("dnsmasq saw %d DISCOVERs, want 1 (the renewal must be a REQUEST)", n)
	}

	// Stop releases the lease to the server.
	stop()
	rel := next(EventReleased)
	if rel.Lease.Address != l.Address {
		t.Errorf("released %v, want %v", rel.Lease.Address, l.Address)
	}
	waitLog("DHCPRELEASE", func(s string) bool {
		return strings.Contains(s, fmt.Sprintf("DHCPRELEASE(%s) %s %s", srvIf, l.Address.Addr(), mac))
	})
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "DHCP") && strings.Contains(line, "("+srvIf+")") {
			t.Log(line)
		}
	}
	t.Logf("lease %v from %v (router %v, DNS %v, WINS %v, domain %q), renewed and released", l.Address, l.ServerID, l.Routers, l.DNS, l.WINS, l.Domain)
}

// openInNetns opens the nclient4 transport on iface inside namespace ns. The
// sockets stay in ns after the thread goes back to its own namespace.
func openInNetns(t *testing.T, ns, iface string) *NClient {
	t.Helper()
	type result struct {
		tr  *NClient
		err error
	}
	res := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// Unlocked only once the thread is back in its namespace; otherwise
		// the thread ends with this goroutine.
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
		tr, err := NewNClient(iface, nclient4.WithTimeout(2*time.Second), nclient4.WithRetry(4))
		if err := netns.Set(orig); err != nil {
			res <- result{err: fmt.Errorf("leave netns %s: %w", ns, err)}
			return
		}
		runtime.UnlockOSThread()
		res <- result{tr, err}
	}()
	r := <-res
	if r.err != nil {
		if r.tr != nil {
			_ = r.tr.Close()
		}
		t.Fatal(r.err)
	}
	return r.tr
}

// tool finds a command on PATH or in the sbin directories (Bazel runs
// tests with PATH=/bin:/usr/bin:/usr/local/bin), failing the test without it.
func tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	t.Fatalf("TestDnsmasq needs %q, not found on PATH or in /usr/sbin, /sbin (tools/fetch installs it: apt-get install iproute2 dnsmasq)", name)
	return ""
}

func ip(t *testing.T, ipCmd string, args ...string) {
	t.Helper()
	if out, err := exec.Command(ipCmd, args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
