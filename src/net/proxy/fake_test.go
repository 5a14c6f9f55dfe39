package proxy_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/proxy"
)

// fakeProxy is a scripted proxy on loopback for the protocol corner cases
// squid does not produce on demand. serve gets each accepted connection
// with its number (0, 1...).
type fakeProxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns int
	reqs  []*http.Request
}

func newFake(t *testing.T, network, addr string, serve func(n int, c net.Conn, br *bufio.Reader, f *fakeProxy)) *fakeProxy {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("listen on loopback: %v", err)
	}
	f := &fakeProxy{l: l}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			n := f.conns
			f.conns++
			f.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				serve(n, c, bufio.NewReader(c), f)
			}()
		}
	}()
	return f
}

// read reads one request and records it.
func (f *fakeProxy) read(br *bufio.Reader) *http.Request {
	r, err := http.ReadRequest(br)
	if err != nil {
		return nil
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.mu.Unlock()
	return r
}

func (f *fakeProxy) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

func (f *fakeProxy) connCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

func (f *fakeProxy) dialer(user, pass string) *proxy.Dialer {
	host, port, _ := net.SplitHostPort(f.l.Addr().String())
	p, _ := strconv.Atoi(port)
	return &proxy.Dialer{Proxy: netcfg.Proxy{Host: host, Port: p, User: user, Password: netcfg.NewSecret(pass)}}
}

const secret = "Sup3r-secret-pw"

func dial(t *testing.T, d *proxy.Dialer, timeout time.Duration) (net.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", "platform.example:443")
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error shows the password: %v", err)
	}
	return c, err
}

const ok200 = "HTTP/1.1 200 Connection established\r\n\r\n"

func TestBytesAfter200Kept(t *testing.T) {
	f := newFake(t, "tcp", "127.0.0.1:0", func(n int, c net.Conn, br *bufio.Reader, f *fakeProxy) {
		if f.read(br) == nil {
			return
		}
		// Answer and the target's first bytes in one write, so they reach
		// the client in one segment.
		io.WriteString(c, ok200+"EARLY")
		io.Copy(c, br)
	})
	c, err := dial(t, f.dialer("", ""), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(c, "-LATE")
	buf := make([]byte, len("EARLY-LATE"))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "EARLY-LATE" {
		t.Fatalf("read %q, %v; want EARLY-LATE", buf, err)
	}
	r := f.requests()[0]
	if r.Method != "CONNECT" || r.Host != "platform.example:443" || r.RequestURI != "platform.example:443" {
		t.Errorf("request %s %s Host %s, want CONNECT platform.example:443", r.Method, r.RequestURI, r.Host)
	}
	if r.Header.Get("Proxy-Authorization") != "" {
		t.Error("credentials sent although none are configured")
	}
}

func TestStatusErrors(t *testing.T) {
	for _, c := range []struct {
		name     string
		user     string
		answer   string
		want     error
		op       string
		code     int
		contains []string
	}{
		{"403", "", "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", proxy.ErrRefused, "tunnel", 403,
			[]string{"refused to open a tunnel to platform.example:443", "403 Forbidden"}},
		{"502", "", "HTTP/1.1 502 Bad Gateway\r\n\r\n", proxy.ErrRefused, "tunnel", 502, []string{"502 Bad Gateway"}},
		{"407 no credentials", "", "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n",
			proxy.ErrAuthRequired, "auth", 407, []string{"offers Basic", "no proxy user is configured"}},
		{"only Negotiate and Digest", "bob",
			"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: Digest realm=\"a, b\", nonce=\"x\", qop=\"auth\"\r\nContent-Length: 0\r\n\r\n",
			proxy.ErrUnsupportedAuth, "auth", 407, []string{"Negotiate, Digest", "Basic and NTLM"}},
		{"407 without Proxy-Authenticate", "bob", "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
			proxy.ErrUnsupportedAuth, "auth", 407, []string{"no scheme"}},
		{"not HTTP", "", "SSH-2.0-OpenSSH_9.2\r\n", proxy.ErrProtocol, "tunnel", 0, []string{"127.0.0.1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, "tcp", "127.0.0.1:0", func(n int, conn net.Conn, br *bufio.Reader, f *fakeProxy) {
				if f.read(br) != nil {
					io.WriteString(conn, c.answer)
				}
			})
			_, err := dial(t, f.dialer(c.user, secret), 30*time.Second)
			var pe *proxy.ProxyError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *ProxyError", err)
			}
			if !errors.Is(err, c.want) || pe.Op != c.op || pe.Code != c.code {
				t.Errorf("error %q (Op %q Code %d), want %v Op %q Code %d", err, pe.Op, pe.Code, c.want, c.op, c.code)
			}
			for _, s := range c.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestBasicReconnect: the proxy closes after its 407, so the dialer
// opens a second connection for the credentials.
func TestBasicReconnect(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run("keep-alive="+strconv.FormatBool(keep), func(t *testing.T) {
			f := newFake(t, "tcp", "127.0.0.1:0", func(n int, c net.Conn, br *bufio.Reader, f *fakeProxy) {
				for {
					r := f.read(br)
					if r == nil {
						return
					}
					want := "Basic " + base64.StdEncoding.EncodeToString([]byte(`dom\bob:`+secret))
					if r.Header.Get("Proxy-Authorization") == want {
						io.WriteString(c, ok200)
						return
					}
					body := "<html>denied</html>"
					hdr := "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n"
					if !keep {
						hdr += "Connection: close\r\n"
					}
					io.WriteString(c, hdr+"\r\n"+body)
					if !keep {
						return
					}
				}
			})
			c, err := dial(t, f.dialer(`dom\bob`, secret), 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			want := 2
			if keep {
				want = 1
			}
			if got := f.connCount(); got != want {
				t.Errorf("%d connections to the proxy, want %d", got, want)
			}
		})
	}
}

// TestNTLMClosedMidHandshake: a proxy that drops the connection after its
// NTLM challenge cannot do NTLM; the error says so.
func TestNTLMClosedMidHandshake(t *testing.T) {
	f := newFake(t, "tcp", "127.0.0.1:0", func(n int, c net.Conn, br *bufio.Reader, f *fakeProxy) {
		r := f.read(br)
		if r == nil {
			return
		}
		if r.Header.Get("Proxy-Authorization") == "" {
			io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n")
			r = f.read(br)
			if r == nil {
				return
			}
		}
		// The challenge from the NTLM spec's examples (4.2.4.3).
		ch := "TlRMTVNTUAACAAAADAAMADgAAAAzgoriASNFZ4mrze8AAAAAAAAAACQAJABEAAAABgBwFwAAAA9TAGUAcgB2AGUAcgACAAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAAAAAA="
		io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM "+ch+"\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
	})
	_, err := dial(t, f.dialer(`CORP\alice`, secret), 30*time.Second)
	if !errors.Is(err, proxy.ErrProtocol) || !strings.Contains(err.Error(), "kept-alive") {
		t.Fatalf("error %v, want ErrProtocol saying NTLM needs keep-alive", err)
	}
	r := f.requests()
	if len(r) != 2 || !strings.HasPrefix(r[1].Header.Get("Proxy-Authorization"), "NTLM ") {
		t.Errorf("want CONNECT then CONNECT with NTLM negotiate, got %d requests", len(r))
	}
}

// TestContext: a proxy that never answers is given up on at ctx's
// deadline, and a cancelled ctx stops the handshake.
func TestContext(t *testing.T) {
	f := newFake(t, "tcp", "127.0.0.1:0", func(n int, c net.Conn, br *bufio.Reader, f *fakeProxy) {
		f.read(br)
		io.Copy(io.Discard, br) // never answers
	})
	_, err := dial(t, f.dialer("", ""), 200*time.Millisecond)
	var pe *proxy.ProxyError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &pe) {
		t.Errorf("error %v, want a *ProxyError wrapping context.DeadlineExceeded", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	_, err = f.dialer("", "").DialContext(ctx, "tcp", "platform.example:443")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

// TestIPv6Proxy: an IPv6 literal proxy host, bare or bracketed, is
// dialled as [addr]:port.
func TestIPv6Proxy(t *testing.T) {
	f := newFake(t, "tcp6", "[::1]:0", func(n int, c net.Conn, br *bufio.Reader, f *fakeProxy) {
		if f.read(br) != nil {
			io.WriteString(c, ok200)
		}
	})
	_, port, _ := net.SplitHostPort(f.l.Addr().String())
	p, _ := strconv.Atoi(port)
	for _, host := range []string{"::1", "[::1]"} {
		d := &proxy.Dialer{Proxy: netcfg.Proxy{Host: host, Port: p}}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c, err := d.DialContext(ctx, "tcp6", "[2001:db8::1]:443")
		cancel()
		if err != nil {
			t.Fatalf("host %s: %v", host, err)
		}
		c.Close()
	}
	if r := f.requests(); r[0].RequestURI != "[2001:db8::1]:443" {
		t.Errorf("CONNECT %s, want [2001:db8::1]:443", r[0].RequestURI)
	}
}

type recordingForward struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordingForward) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	r.mu.Lock()
	r.calls = append(r.calls, network+" "+addr)
	r.mu.Unlock()
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

func TestForwardAndArguments(t *testing.T) {
	f := newFake(t, "tcp", "127.0.0.1:0", func(n int, c net.Conn, br *bufio.Reader, f *fakeProxy) {
		if f.read(br) != nil {
			io.WriteString(c, ok200)
		}
	})
	d := f.dialer("", "")
	fw := &recordingForward{}
	d.Forward = fw
	c, err := dial(t, d, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if len(fw.calls) != 1 || fw.calls[0] != "tcp "+f.l.Addr().String() {
		t.Errorf("Forward calls %v, want one to the proxy", fw.calls)
	}

	for _, c := range []struct {
		name          string
		p             netcfg.Proxy
		network, addr string
		says          string
	}{
		{"udp", d.Proxy, "udp", "x:1", `network "udp" is not supported`},
		{"no proxy", netcfg.Proxy{}, "tcp", "x:1", "no proxy host"},
		{"socks", netcfg.Proxy{Scheme: "socks5", Host: "p", Port: 1}, "tcp", "x:1", `scheme "socks5" is not supported`},
		{"port 0", netcfg.Proxy{Host: "p"}, "tcp", "x:1", "port 0"},
		{"target without port", d.Proxy, "tcp", "platform.example", "not host:port"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dd := &proxy.Dialer{Proxy: c.p}
			_, err := dd.DialContext(context.Background(), c.network, c.addr)
			var pe *proxy.ProxyError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %v, want a *ProxyError saying %q", err, c.says)
			}
		})
	}
}
