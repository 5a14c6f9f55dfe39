package dhcp

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"

	"picket.dev/picket/src/testkit/netbench"
)

// TestDnsmasq runs the Client against Debian's real dnsmasq across a veth
// pair between two network namespaces the test creates: lease with every
// option, RENEW, and release on stop. It needs root, ip and dnsmasq
// (tools/fetch installs dnsmasq); without them it fails, it does not skip.
func TestDnsmasq(t *testing.T) {
	b := netbench.New(t) // fails the test without root or ip
	srvNS, cliNS := b.NS("dhs"), b.NS("dhc")
	const (
		srvIf, cliIf = "srv0", "cli0"
		serverIP     = "10.213.7.1"
		router       = "10.213.7.254"
		domain       = "bench.picket.test"
	)
	dns := []netip.Addr{netip.MustParseAddr("10.213.7.53"), netip.MustParseAddr("10.213.7.54")}
	wins := []netip.Addr{netip.MustParseAddr("10.213.7.44"), netip.MustParseAddr("10.213.7.45")}
	b.Veth(srvNS, srvIf, cliNS, cliIf)
	srvNS.Run("ip", "addr", "add", serverIP+"/24", "dev", srvIf)
	srvNS.Run("ip", "link", "set", srvIf, "up")
	cliNS.Run("ip", "link", "set", cliIf, "up")
	d := netbench.Dnsmasq(srvNS, netbench.DnsmasqOptions{
		Interface:  srvIf,
		Range4From: netip.MustParseAddr("10.213.7.100"), Range4To: netip.MustParseAddr("10.213.7.150"),
		LeaseTime: 120 * time.Second,
		Router:    netip.MustParseAddr(router), DNS: dns, Domain: domain, WINS: wins,
	})
	waitLog := func(what string, ok func(string) bool) {
		t.Helper()
		end := time.Now().Add(30 * time.Second)
		for !ok(d.Log()) {
			if !d.Running() {
				t.Fatalf("dnsmasq exited while waiting for %s", what)
			}
			if time.Now().After(end) {
				t.Fatalf("dnsmasq: no %s within 30s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

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
	cliNS.Run("ip", "addr", "add", l.Address.String(), "dev", cliIf)

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
	if n := strings.Count(d.Log(), fmt.Sprintf("DHCPDISCOVER(%s)", srvIf)); n != 1 {
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
	for _, line := range strings.Split(d.Log(), "\n") {
		if strings.Contains(line, "DHCP") && strings.Contains(line, "("+srvIf+")") {
			t.Log(line)
		}
	}
	t.Logf("lease %v from %v (router %v, DNS %v, WINS %v, domain %q), renewed and released", l.Address, l.ServerID, l.Routers, l.DNS, l.WINS, l.Domain)
}

// openInNetns opens the nclient4 transport on iface inside namespace ns.
// The sockets stay in ns.
func openInNetns(t *testing.T, ns *netbench.NS, iface string) *NClient {
	t.Helper()
	var tr *NClient
	err := ns.Do(func() error {
		var err error
		tr, err = NewNClient(iface, nclient4.WithTimeout(2*time.Second), nclient4.WithRetry(4))
		return err
	})
	if err != nil {
		t.Fatalf("open the DHCP transport in %s: %v", ns.Name, err)
	}
	return tr
}
