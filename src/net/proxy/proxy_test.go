package proxy_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/proxy"
	"picket.dev/picket/src/testkit/netbench"
)

func TestMain(m *testing.M) {
	// squid runs this binary as its NTLM helper.
	netbench.RunHelperIfAsked()
	os.Exit(m.Run())
}

const (
	banner     = "HELLO-FROM-TARGET\n"
	basicUser  = "bob"
	basicPass  = "b4sic pa:ss"
	ntlmDomain = "CORP"
	ntlmUser   = "alice"
	ntlmPass   = "Ntlm-s3cret!"
)

// squidBench is the box, proxy and target namespaces with squids in
// several auth modes and an echo server.
type squidBench struct {
	box                        *netbench.NS
	none, basic, ntlm, strict  *netbench.SquidServer
	echo                       netip.AddrPort
	closedPort                 netip.AddrPort // nothing listens
	proxyAddr                  netip.Addr
	echoPort, deniedTargetPort int
}

func newSquidBench(t *testing.T) *squidBench {
	b := netbench.New(t)
	box, px, tg := b.NS("pbox"), b.NS("pprx"), b.NS("ptgt")
	b.Veth(box, "eth0", px, "down0")
	b.Veth(px, "up0", tg, "eth0")
	for _, c := range []struct {
		ns          *netbench.NS
		ifname, net string
	}{
		{box, "eth0", "10.81.1.2/24"}, {px, "down0", "10.81.1.1/24"},
		{px, "up0", "10.81.2.1/24"}, {tg, "eth0", "10.81.2.2/24"},
	} {
		c.ns.Run("ip", "addr", "add", c.net, "dev", c.ifname)
		c.ns.Run("ip", "link", "set", c.ifname, "up")
	}
	tg.Run("ip", "route", "add", "default", "via", "10.81.2.1")
	echo := netbench.Echo(tg, "10.81.2.2:7000", banner)
	sb := &squidBench{box: box, echo: echo.Addr, proxyAddr: netip.MustParseAddr("10.81.1.1"), echoPort: 7000, deniedTargetPort: 8000}
	listen := func(port uint16) netip.AddrPort { return netip.AddrPortFrom(sb.proxyAddr, port) }
	ports := []int{443, 7000}
	sb.none = netbench.Squid(px, netbench.SquidOptions{Listen: listen(3128), ConnectPorts: ports})
	sb.basic = netbench.Squid(px, netbench.SquidOptions{Listen: listen(3129), ConnectPorts: ports,
		Basic: true, User: basicUser, Password: basicPass})
	// Offers NTLM and Basic: the dialer must prefer NTLM.
	sb.ntlm = netbench.Squid(px, netbench.SquidOptions{Listen: listen(3130), ConnectPorts: ports,
		NTLM: true, Basic: true, Domain: ntlmDomain, User: ntlmUser, Password: ntlmPass})
	sb.closedPort = listen(3999)
	return sb
}

func (sb *squidBench) dialer(sq netip.AddrPort, user, pass string) *proxy.Dialer {
	return &proxy.Dialer{
		Proxy:   netcfg.Proxy{Host: sq.Addr().String(), Port: int(sq.Port()), User: user, Password: netcfg.NewSecret(pass)},
		Forward: sb.box,
	}
}

// checkEcho reads the banner and echoes a line through the tunnel.
func checkEcho(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	got, err := br.ReadString('\n')
	if err != nil || got != banner {
		t.Fatalf("banner through the tunnel: %q, %v; want %q", got, err, banner)
	}
	fmt.Fprintf(c, "ping\n")
	got, err = br.ReadString('\n')
	if err != nil || got != "ping\n" {
		t.Fatalf("echo through the tunnel: %q, %v", got, err)
	}
}

func TestSquid(t *testing.T) {
	sb := newSquidBench(t)
	target := sb.echo.String()

	ok := []struct {
		name       string
		sq         *netbench.SquidServer
		user, pass string
		logUser    string // in squid's access log
	}{
		{"no auth", sb.none, "", "", "-"},
		{"no auth, credentials unused", sb.none, basicUser, "unused", "-"},
		{"basic", sb.basic, basicUser, basicPass, basicUser},
		{"ntlm", sb.ntlm, ntlmDomain + `\` + ntlmUser, ntlmPass, ntlmDomain},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			conn, err := sb.dialer(c.sq.Addr, c.user, c.pass).DialContext(ctx, "tcp", target)
			if err != nil {
				t.Fatalf("DialContext: %v", err)
			}
			checkEcho(t, conn)
			conn.Close()
			// squid logs the tunnel when it ends, with the user.
			if err := c.sq.WaitAccessLogLine(30*time.Second, "TCP_TUNNEL/200", "CONNECT "+target+" "+c.logUser); err != nil {
				t.Fatal(err)
			}
		})
	}
	if log := sb.ntlm.HelperLog(); !strings.Contains(log, `authenticated CORP\alice`) {
		t.Errorf("NTLM helper did not log the user; its log:\n%s", log)
	}

	fail := []struct {
		name       string
		addr       netip.AddrPort
		user, pass string
		target     string
		want       error
		op         string
		code       int
	}{
		{"basic wrong password", sb.basic.Addr, basicUser, "wrong-pass", target, proxy.ErrAuthFailed, "auth", 407},
		{"basic unknown user", sb.basic.Addr, "mallory", basicPass, target, proxy.ErrAuthFailed, "auth", 407},
		{"basic no credentials", sb.basic.Addr, "", "", target, proxy.ErrAuthRequired, "auth", 407},
		{"ntlm wrong password", sb.ntlm.Addr, ntlmDomain + `\` + ntlmUser, "wrong-pass", target, proxy.ErrAuthFailed, "auth", 407},
		{"ntlm wrong domain", sb.ntlm.Addr, `OTHER\` + ntlmUser, ntlmPass, target, proxy.ErrAuthFailed, "auth", 407},
		{"ntlm no credentials", sb.ntlm.Addr, "", "", target, proxy.ErrAuthRequired, "auth", 407},
		{"denied port", sb.none.Addr, "", "", fmt.Sprintf("10.81.2.2:%d", sb.deniedTargetPort), proxy.ErrRefused, "tunnel", 403},
		// squid denies the port before it asks for credentials.
		{"denied port with auth on", sb.basic.Addr, basicUser, basicPass, fmt.Sprintf("10.81.2.2:%d", sb.deniedTargetPort), proxy.ErrRefused, "tunnel", 403},
	}
	for _, c := range fail {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			conn, err := sb.dialer(c.addr, c.user, c.pass).DialContext(ctx, "tcp", c.target)
			if err == nil {
				conn.Close()
				t.Fatal("DialContext succeeded, want an error")
			}
			if c.pass != "" && strings.Contains(err.Error(), c.pass) {
				t.Errorf("error shows the password: %v", err)
			}
			var pe *proxy.ProxyError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ProxyError", err, err)
			}
			if !errors.Is(err, c.want) {
				t.Errorf("error %q, want %v", err, c.want)
			}
			if pe.Op != c.op || pe.Code != c.code {
				t.Errorf("Op %q Code %d, want %q %d (error %q)", pe.Op, pe.Code, c.op, c.code, err)
			}
			if c.user != "" && errors.Is(err, proxy.ErrAuthFailed) && !strings.Contains(err.Error(), c.user) {
				t.Errorf("error %q does not name the user %s", err, c.user)
			}
			t.Logf("error: %v", err)
		})
	}
	if log := sb.ntlm.HelperLog(); !strings.Contains(log, `refused CORP\alice: wrong password`) {
		t.Errorf("NTLM helper did not log the refusal; its log:\n%s", log)
	}

	t.Run("proxy not listening", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_, err := sb.dialer(sb.closedPort, "", "").DialContext(ctx, "tcp", target)
		var pe *proxy.ProxyError
		if !errors.As(err, &pe) || pe.Op != "connect" {
			t.Fatalf("error %v, want a *ProxyError with Op connect", err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("error %v does not wrap the refused dial", err)
		}
		if !strings.Contains(err.Error(), "reach proxy "+sb.closedPort.String()) {
			t.Errorf("error %q does not say which proxy it could not reach", err)
		}
	})
}

// TestSquidStopped: a proxy that goes away between dials gives a dial
// error, not a hang.
func TestSquidStopped(t *testing.T) {
	sb := newSquidBench(t)
	sb.none.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := sb.dialer(sb.none.Addr, "", "").DialContext(ctx, "tcp", sb.echo.String())
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("error %v, want connection refused", err)
	}
	_ = io.EOF
}
