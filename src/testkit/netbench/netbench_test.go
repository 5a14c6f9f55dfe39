package netbench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/dhcpv6/nclient6"
)

func TestMain(m *testing.M) {
	RunHelperIfAsked()
	ensurePath()
	m.Run()
}

// Vectors from `openssl passwd -1 -salt SALT PASSWORD`.
func TestMD5Crypt(t *testing.T) {
	for _, c := range []struct{ pw, salt, want string }{
		{"pässword!", "abcdefgh", "$1$abcdefgh$Z6boabiuslpn7JLCvcW3c0"},
		{"", "xy", "$1$xy$JSgu5Zv4igzK2ULm5nTM30"},
		{"a-long-password-over-sixteen-chars", "Zz1234", "$1$Zz1234$9O/hzFkeo9//7QWtdNgN2/"},
	} {
		if got := md5Crypt(c.pw, c.salt); got != c.want {
			t.Errorf("md5Crypt(%q, %q) = %q, want %q", c.pw, c.salt, got, c.want)
		}
	}
}

// TestNTLMHelper drives the helper's squid protocol with go-ntlmssp as the
// client, without squid.
func TestNTLMHelper(t *testing.T) {
	cfg := ntlmConfig{Domain: "CORP", User: "alice", Password: "s3cret"}
	for _, c := range []struct {
		name, user, pw, want string
	}{
		{"right", `CORP\alice`, "s3cret", `AF CORP\alice`},
		{"user case and domain case", `corp\ALICE`, "s3cret", `AF corp\ALICE`},
		{"wrong password", `CORP\alice`, "nope", "NA wrong password"},
		{"wrong domain", `OTHER\alice`, "s3cret", "NA unknown user"},
		{"wrong user", `CORP\bob`, "s3cret", "NA unknown user"},
	} {
		t.Run(c.name, func(t *testing.T) {
			inR, inW := io.Pipe()
			outR, outW := io.Pipe()
			go func() { _ = serveNTLM(inR, outW, cfg); outW.Close() }()
			defer inW.Close()
			rd := bufio.NewReader(outR)
			neg, _ := ntlmssp.NewNegotiateMessage("", "")
			fmt.Fprintf(inW, "YR %s\n", base64.StdEncoding.EncodeToString(neg))
			line, _ := rd.ReadString('\n')
			tok, ok := strings.CutPrefix(strings.TrimSpace(line), "TT ")
			if !ok {
				t.Fatalf("YR answered %q, want TT <challenge>", line)
			}
			ch, _ := base64.StdEncoding.DecodeString(tok)
			am, err := ntlmssp.NewAuthenticateMessage(ch, c.user, c.pw, nil)
			if err != nil {
				t.Fatalf("go-ntlmssp rejects the challenge: %v", err)
			}
			fmt.Fprintf(inW, "KK %s\n", base64.StdEncoding.EncodeToString(am))
			line, _ = rd.ReadString('\n')
			if got := strings.TrimSpace(line); got != c.want {
				t.Errorf("KK answered %q, want %q", got, c.want)
			}
		})
	}
}

// TestDnsmasq: a client namespace gets a DHCPv4 lease with the options
// through a switch, and resolves a host record over DNS.
func TestDnsmasq(t *testing.T) {
	b := New(t)
	srv, cli := b.NS("dsrv"), b.NS("dcli")
	sw := b.Switch("d")
	b.Link(srv, "eth0", sw)
	b.Link(cli, "eth0", sw)
	srv.Run("ip", "addr", "add", "10.77.0.1/24", "dev", "eth0")
	srv.Run("ip", "link", "set", "eth0", "up")
	cli.Run("ip", "link", "set", "eth0", "up")
	platform := netip.MustParseAddr("10.77.0.9")
	d := Dnsmasq(srv, DnsmasqOptions{
		Interface:  "eth0",
		Range4From: netip.MustParseAddr("10.77.0.100"), Range4To: netip.MustParseAddr("10.77.0.120"),
		LeaseTime: 2 * time.Minute,
		Router:    netip.MustParseAddr("10.77.0.1"),
		DNS:       []netip.Addr{netip.MustParseAddr("10.77.0.1")},
		Domain:    "bench.test",
		WINS:      []netip.Addr{netip.MustParseAddr("10.77.0.44")},
		DNSPort:   53,
		HostRecords: []HostRecord{{Name: "platform.bench.test",
			Addrs: []netip.Addr{platform, netip.MustParseAddr("fd00::9")}}},
	})
	cap := Capture(cli, "eth0", "udp port 67 or udp port 68")

	var lease *nclient4.Lease
	err := cli.Do(func() error {
		c, err := nclient4.New("eth0", nclient4.WithTimeout(5*time.Second), nclient4.WithRetry(5))
		if err != nil {
			return err
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		lease, err = c.Request(ctx, dhcpv4.WithRequestedOptions(dhcpv4.OptionNetBIOSOverTCPIPNameServer, dhcpv4.OptionDomainName))
		return err
	})
	if err != nil {
		t.Fatalf("DHCP: %v", err)
	}
	ack := lease.ACK
	if ip, _ := netip.AddrFromSlice(ack.YourIPAddr.To4()); !netip.MustParsePrefix("10.77.0.100/27").Contains(ip) {
		t.Errorf("leased %v, want inside the range", ack.YourIPAddr)
	}
	if got := ack.IPAddressLeaseTime(0); got != 2*time.Minute {
		t.Errorf("lease time %v, want 2m", got)
	}
	if got := ack.DomainName(); got != "bench.test" {
		t.Errorf("domain %q, want bench.test", got)
	}
	if got := ack.NetBIOSNameServers(); len(got) != 1 || got[0].String() != "10.77.0.44" {
		t.Errorf("WINS %v, want [10.77.0.44]", got)
	}
	if err := d.WaitLog("DHCPACK", 10*time.Second); err != nil {
		t.Error(err)
	}
	lines := cap.Stop()
	if len(lines) < 4 || !strings.Contains(strings.Join(lines, "\n"), "BOOTP/DHCP") {
		t.Errorf("capture on the client saw %d DHCP frames, want DISCOVER/OFFER/REQUEST/ACK:\n%s", len(lines), strings.Join(lines, "\n"))
	}

	// The resolver dials from goroutines of its own, so its Dial enters
	// the namespace itself (NS.Dial); a lookup merely inside Do would
	// query from the test binary's namespace.
	cli.Run("ip", "addr", "add", ack.YourIPAddr.String()+"/24", "dev", "eth0")
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return cli.Dial(network, "10.77.0.1:53")
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addrs, err := r.LookupHost(ctx, "platform.bench.test")
	if err != nil {
		t.Fatalf("resolve platform.bench.test through dnsmasq: %v", err)
	}
	want := map[string]bool{"10.77.0.9": true, "fd00::9": true}
	for _, a := range addrs {
		delete(want, a)
	}
	if len(want) != 0 {
		t.Errorf("platform.bench.test resolved to %v, want 10.77.0.9 and fd00::9", addrs)
	}

	d.Restart()
	if !d.Running() {
		t.Error("dnsmasq not running after Restart")
	}
}

// TestSquidAndTLS: the client reaches the bench's HTTPS platform host
// through squid with Basic auth, by hand-written CONNECT; a wrong password
// gets 407 and the access log records the user.
func TestSquidAndTLS(t *testing.T) {
	b := New(t)
	box, px, plat := b.NS("sbox"), b.NS("sprx"), b.NS("splat")
	b.Veth(box, "eth0", px, "down0")
	b.Veth(px, "up0", plat, "eth0")
	for _, c := range []struct {
		ns          *NS
		ifname, net string
	}{{box, "eth0", "10.78.1.2/24"}, {px, "down0", "10.78.1.1/24"}, {px, "up0", "10.78.2.1/24"}, {plat, "eth0", "10.78.2.2/24"}} {
		c.ns.Run("ip", "addr", "add", c.net, "dev", c.ifname)
		c.ns.Run("ip", "link", "set", c.ifname, "up")
	}
	srv := TLSServer(plat, "10.78.2.2:443", "platform.bench.test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the platform")
	}))
	sq := Squid(px, SquidOptions{
		Listen: netip.MustParseAddrPort("10.78.1.1:3128"),
		Basic:  true, User: "bob", Password: "pa:ss wörd",
		Hosts: []HostRecord{{Name: "platform.bench.test", Addrs: []netip.Addr{srv.Addr.Addr()}}},
	})

	connect := func(user, pw string) (string, string) {
		t.Helper()
		var status, body string
		err := box.Do(func() error {
			c, err := net.DialTimeout("tcp", sq.Addr.String(), 10*time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(60 * time.Second))
			cred := base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
			fmt.Fprintf(c, "CONNECT platform.bench.test:443 HTTP/1.1\r\nHost: platform.bench.test:443\r\nProxy-Authorization: Basic %s\r\n\r\n", cred)
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, &http.Request{Method: "CONNECT"})
			if err != nil {
				return err
			}
			status = resp.Status
			if resp.StatusCode != 200 {
				return nil
			}
			tc := tls.Client(&rwConn{Conn: c, r: br}, &tls.Config{RootCAs: srv.CA.Pool, ServerName: "platform.bench.test"})
			fmt.Fprintf(tc, "GET / HTTP/1.1\r\nHost: platform.bench.test\r\nConnection: close\r\n\r\n")
			r2, err := http.ReadResponse(bufio.NewReader(tc), nil)
			if err != nil {
				return err
			}
			bb, err := io.ReadAll(r2.Body)
			body = string(bb)
			return err
		})
		if err != nil {
			t.Fatalf("CONNECT as %s: %v", user, err)
		}
		return status, body
	}
	if status, body := connect("bob", "pa:ss wörd"); !strings.HasPrefix(status, "200") || body != "hello from the platform" {
		t.Errorf("right password: status %q body %q", status, body)
	}
	if status, _ := connect("bob", "wrong"); !strings.HasPrefix(status, "407") {
		t.Errorf("wrong password: status %q, want 407", status)
	}
	if err := sq.WaitAccessLog("bob", 20*time.Second); err != nil {
		t.Error(err)
	}
	if !strings.Contains(sq.AccessLog(), "TCP_TUNNEL/200") {
		t.Errorf("access log has no tunnel:\n%s", sq.AccessLog())
	}
}

type rwConn struct {
	net.Conn
	r io.Reader
}

func (c *rwConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// TestVethCapture checks Veth and Capture: the probe is seen with its
// link-layer header. (This kernel has no 802.1Q VLAN device support, so
// tags are not exercised here.)
func TestVethCapture(t *testing.T) {
	b := New(t)
	a, c := b.NS("va"), b.NS("vc")
	b.Veth(a, "eth0", c, "eth0")
	for i, ns := range []*NS{a, c} {
		ns.Run("ip", "addr", "add", fmt.Sprintf("10.79.0.%d/24", i+1), "dev", "eth0")
		ns.Run("ip", "link", "set", "eth0", "up")
	}
	var pc net.PacketConn
	if err := c.Do(func() (err error) { pc, err = net.ListenPacket("udp", "10.79.0.2:9999"); return err }); err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	cp := Capture(c, "eth0", "")
	if err := a.Do(func() error {
		u, err := net.Dial("udp", "10.79.0.2:9999")
		if err != nil {
			return err
		}
		defer u.Close()
		_, err = u.Write([]byte("probe"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Once the probe is received it has crossed eth0.
	pc.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, _, err := pc.ReadFrom(make([]byte, 64)); err != nil {
		t.Fatalf("probe not received: %v", err)
	}
	lines := cp.Stop()
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, "ethertype IPv4") || !strings.Contains(all, "10.79.0.2.9999: UDP") {
		t.Errorf("capture lacks the UDP probe:\n%s", all)
	}
	if bytes.Count([]byte(all), []byte("\n")) > 1000 {
		t.Error("capture too large")
	}
}

// TestDnsmasqIPv6: router advertisements give the client a SLAAC address,
// and stateless DHCPv6 answers an Information-request with the DNS
// server.
func TestDnsmasqIPv6(t *testing.T) {
	b := New(t)
	srv, cli := b.NS("d6srv"), b.NS("d6cli")
	b.Veth(srv, "eth0", cli, "eth0")
	for _, ns := range []*NS{srv, cli} {
		// No duplicate address detection: addresses are usable at once.
		ns.Run("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	}
	srv.Run("ip", "addr", "add", "fd00:78::1/64", "dev", "eth0")
	srv.Run("ip", "link", "set", "eth0", "up")
	cli.Run("ip", "link", "set", "eth0", "up")
	d := Dnsmasq(srv, DnsmasqOptions{
		Interface: "eth0", RA: true, DHCPv6Stateless: true,
		DNS6:   []netip.Addr{netip.MustParseAddr("fd00:78::53")},
		Domain: "bench.test",
	})
	end := time.Now().Add(60 * time.Second)
	for !strings.Contains(cli.Run("ip", "-6", "addr", "show", "dev", "eth0"), "inet6 fd00:78:") {
		if time.Now().After(end) {
			t.Fatalf("no SLAAC address on the client after 60s:\n%s\ndnsmasq:\n%s", cli.Run("ip", "-6", "addr"), d.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}

	var reply *dhcpv6.Message
	err := cli.Do(func() error {
		c, err := nclient6.New("eth0", nclient6.WithTimeout(3*time.Second), nclient6.WithRetry(10))
		if err != nil {
			return err
		}
		defer c.Close()
		msg, err := dhcpv6.NewMessage(dhcpv6.WithRequestedOptions(dhcpv6.OptionDNSRecursiveNameServer))
		if err != nil {
			return err
		}
		msg.MessageType = dhcpv6.MessageTypeInformationRequest
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		reply, err = c.SendAndRead(ctx, nclient6.AllDHCPRelayAgentsAndServers, msg, nclient6.IsMessageType(dhcpv6.MessageTypeReply))
		return err
	})
	if err != nil {
		t.Fatalf("DHCPv6 Information-request: %v", err)
	}
	if dns := reply.Options.DNS(); len(dns) != 1 || dns[0].String() != "fd00:78::53" {
		t.Errorf("DHCPv6 DNS %v, want [fd00:78::53]", dns)
	}
}
