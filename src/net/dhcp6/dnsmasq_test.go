package dhcp6

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/testkit/netbench"
)

// TestDnsmasq runs the Client against Debian's real dnsmasq as a stateless
// DHCPv6 server, across a veth pair between two network namespaces the
// test creates: the DNS server and search domain arrive, and RENEW asks
// again. It needs root, ip and dnsmasq; without them it fails.
func TestDnsmasq(t *testing.T) {
	b := netbench.New(t) // fails the test without root or ip
	srvNS, cliNS := b.NS("dhcp6-srv"), b.NS("dhcp6-cli")
	const srvIf, cliIf = "srv0", "cli0"
	b.Veth(srvNS, srvIf, cliNS, cliIf)
	srvNS.Run("ip", "addr", "add", "fd42:1::1/64", "dev", srvIf, "nodad")
	srvNS.Run("ip", "link", "set", srvIf, "up")
	cliNS.Run("ip", "link", "set", cliIf, "up")
	d := netbench.Dnsmasq(srvNS, netbench.DnsmasqOptions{
		Interface: srvIf, RA: true, DHCPv6Stateless: true,
		DNS6: []netip.Addr{netip.MustParseAddr("fd42:1::53")}, Domain: "bench.test",
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
	requests := func() int { return strings.Count(d.Log(), "DHCPINFORMATION-REQUEST("+srvIf+")") }
	end := time.Now().Add(30 * time.Second)
	for requests() < 2 && time.Now().Before(end) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := requests(); n != 2 {
		t.Errorf("dnsmasq logged %d information-requests, want 2", n)
	}
}

func hwAddr(t *testing.T, ns *netbench.NS, ifname string) net.HardwareAddr {
	t.Helper()
	f := strings.Fields(ns.Run("ip", "-o", "link", "show", ifname))
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
// socket stays in ns.
func listenInNetns(t *testing.T, ctx context.Context, ns *netbench.NS, ifname string) *UDP {
	t.Helper()
	var tr *UDP
	err := ns.Do(func() error {
		var err error
		tr, err = Listen(ctx, ifname)
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", ns.Name, err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}
