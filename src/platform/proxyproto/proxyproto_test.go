package proxyproto

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// The headers below are written byte by byte from haproxy's
// proxy-protocol.txt (section 2.2), not built by the code under test.
var (
	// v2 PROXY, TCP over IPv4, 192.0.2.10:51000 -> 198.51.100.1:8443.
	v2TCP4 = []byte("\r\n\r\n\x00\r\nQUIT\n" + "\x21" + "\x11" + "\x00\x0c" +
		"\xc0\x00\x02\x0a" + "\xc6\x33\x64\x01" + "\xc7\x38" + "\x20\xfb")
	// v2 PROXY, TCP over IPv6, [2001:db8::7]:443 -> [2001:db8::1]:8443,
	// with a TLV after the addresses (type 0x02 authority, "box").
	v2TCP6 = []byte("\r\n\r\n\x00\r\nQUIT\n" + "\x21" + "\x21" + "\x00\x2a" +
		"\x20\x01\x0d\xb8" + strings.Repeat("\x00", 11) + "\x07" +
		"\x20\x01\x0d\xb8" + strings.Repeat("\x00", 11) + "\x01" +
		"\x01\xbb" + "\x20\xfb" + "\x02\x00\x03box")
	// v2 LOCAL (a health check), UNSPEC, no addresses.
	v2Local = []byte("\r\n\r\n\x00\r\nQUIT\n" + "\x20" + "\x00" + "\x00\x00")
)

// serve listens on 127.0.0.1 with the given trusted prefixes and returns
// the listener and a channel of what each accepted connection gave:
// RemoteAddr, then everything read until EOF or an error.
type got struct {
	remote string
	data   []byte
	err    error
}

func serve(t *testing.T, timeout time.Duration, trusted ...string) (string, <-chan got) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var ps []netip.Prefix
	for _, s := range trusted {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	l := &Listener{Listener: inner, Trusted: ps, Timeout: timeout}
	t.Cleanup(func() { l.Close() })
	ch := make(chan got, 8)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				g := got{remote: c.RemoteAddr().String()}
				g.data, g.err = io.ReadAll(c)
				ch <- g
			}()
		}
	}()
	return inner.Addr().String(), ch
}

// send connects to addr from src, writes the chunks (pausing between
// them) and closes its side.
func send(t *testing.T, addr, src string, pause time.Duration, chunks ...[]byte) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for i, ch := range chunks {
		if i > 0 {
			time.Sleep(pause)
		}
		if _, err := c.Write(ch); err != nil {
			t.Fatal(err)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	return c
}

func wait(t *testing.T, ch <-chan got) got {
	t.Helper()
	select {
	case g := <-ch:
		return g
	case <-time.After(10 * time.Second):
		t.Fatal("the connection was never done with")
		return got{}
	}
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func TestTrustedHeaders(t *testing.T) {
	payload := []byte("\x16\x03\x01 the client's bytes")
	for _, tc := range []struct {
		name   string
		header []byte
		remote string // "" = the connection's own
	}{
		{"v2 TCP4", v2TCP4, "192.0.2.10:51000"},
		{"v2 TCP6 with a TLV", v2TCP6, "[2001:db8::7]:443"},
		{"v2 LOCAL", v2Local, ""},
		{"v1 TCP4", []byte("PROXY TCP4 192.0.2.10 198.51.100.1 51000 8443\r\n"), "192.0.2.10:51000"},
		{"v1 TCP6", []byte("PROXY TCP6 2001:db8::7 2001:db8::1 443 8443\r\n"), "[2001:db8::7]:443"},
		{"v1 UNKNOWN", []byte("PROXY UNKNOWN\r\n"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, ch := serve(t, time.Second, "127.0.0.1/32")
			c := send(t, addr, "127.0.0.1", 0, cat(tc.header, payload))
			g := wait(t, ch)
			if g.err != nil {
				t.Fatalf("read: %v", g.err)
			}
			want := tc.remote
			if want == "" {
				want = c.LocalAddr().String()
			}
			if g.remote != want {
				t.Errorf("RemoteAddr %s, want %s", g.remote, want)
			}
			if !bytes.Equal(g.data, payload) {
				t.Errorf("read %q after the header, want %q", g.data, payload)
			}
		})
	}
}

func TestHeaderSplitAcrossWrites(t *testing.T) {
	// A header in pieces (a slow but timely balancer) is read whole.
	addr, ch := serve(t, 2*time.Second, "127.0.0.0/8")
	send(t, addr, "127.0.0.1", 50*time.Millisecond, v2TCP4[:3], v2TCP4[3:15], v2TCP4[15:20], cat(v2TCP4[20:], []byte("hi")))
	g := wait(t, ch)
	if g.err != nil || g.remote != "192.0.2.10:51000" || string(g.data) != "hi" {
		t.Fatalf("got %s %q %v", g.remote, g.data, g.err)
	}
}

func TestTrustedRefused(t *testing.T) {
	v2 := func(verCmd, fam byte, addrs string) []byte {
		return cat([]byte("\r\n\r\n\x00\r\nQUIT\n"), []byte{verCmd, fam, 0, byte(len(addrs))}, []byte(addrs))
	}
	for _, tc := range []struct {
		name  string
		bytes []byte
	}{
		{"no header (TLS straight away)", []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")},
		{"garbage", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{"v2 bad signature", cat([]byte("\r\n\r\n\x00\r\nQUIT!"), v2TCP4[12:])},
		{"v2 version 1", v2(0x11, 0x11, string(v2TCP4[16:]))},
		{"v2 unknown command", v2(0x2f, 0x11, string(v2TCP4[16:]))},
		{"v2 UDP", v2(0x21, 0x12, string(v2TCP4[16:]))},
		{"v2 unix", v2(0x21, 0x31, strings.Repeat("x", 216))},
		{"v2 addresses too short", v2(0x21, 0x11, "\xc0\x00\x02\x0a\xc6\x33")},
		{"v2 truncated", v2TCP4[:20]},
		{"v2 signature only", v2TCP4[:12]},
		{"v1 truncated", []byte("PROXY TCP4 192.0.2.10 198.51.100.1 510")},
		{"v1 bad address", []byte("PROXY TCP4 192.0.2.300 198.51.100.1 51000 8443\r\n")},
		{"v1 family mismatch", []byte("PROXY TCP4 2001:db8::7 198.51.100.1 51000 8443\r\n")},
		{"v1 port out of range", []byte("PROXY TCP4 192.0.2.10 198.51.100.1 65536 8443\r\n")},
		{"v1 port with a leading zero", []byte("PROXY TCP4 192.0.2.10 198.51.100.1 051000 8443\r\n")},
		{"v1 too long", []byte("PROXY TCP4 " + strings.Repeat("1", 120) + "\r\n")},
		{"v1 missing field", []byte("PROXY TCP4 192.0.2.10 198.51.100.1 51000\r\n")},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, ch := serve(t, 2*time.Second, "127.0.0.1/32")
			c := send(t, addr, "127.0.0.1", 0, cat(tc.bytes, []byte("payload")))
			g := wait(t, ch)
			if !errors.Is(g.err, ErrHeader) {
				t.Fatalf("read %q, err %v; want a refusal (%v)", g.data, g.err, ErrHeader)
			}
			if len(g.data) != 0 {
				t.Errorf("the refused connection's reader got %q", g.data)
			}
			if g.remote != c.LocalAddr().String() {
				t.Errorf("RemoteAddr of a refused connection %s, want its own %s", g.remote, c.LocalAddr())
			}
			// Closed by the listener's side: the client reads EOF or a reset.
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := c.Read(make([]byte, 1)); err == nil {
				t.Errorf("the client's connection stays open (read %d bytes)", n)
			}
		})
	}
}

func TestSlowHeader(t *testing.T) {
	// A trusted peer that sends part of a header, or nothing, is cut off
	// at the timeout: it does not hold the connection's goroutine.
	for _, first := range [][]byte{nil, v2TCP4[:10]} {
		addr, ch := serve(t, 300*time.Millisecond, "127.0.0.1/32")
		d := net.Dialer{}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write(first)
		start := time.Now()
		g := wait(t, ch)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("refused after %v, want about the 300ms timeout", took)
		}
		var ne net.Error
		if !errors.Is(g.err, ErrHeader) || !errors.As(g.err, &ne) || !ne.Timeout() {
			t.Errorf("after %q: err %v, want a header timeout", first, g.err)
		}
	}
}

func TestUntrusted(t *testing.T) {
	// Only 127.0.0.1 is trusted; 127.0.0.2 is any client.
	t.Run("without a header: served as it is", func(t *testing.T) {
		addr, ch := serve(t, time.Second, "127.0.0.1/32")
		c := send(t, addr, "127.0.0.2", 0, []byte("\x16\x03\x01hello"))
		g := wait(t, ch)
		if g.err != nil || string(g.data) != "\x16\x03\x01hello" || g.remote != c.LocalAddr().String() {
			t.Fatalf("got %s %q %v; want its own address and bytes", g.remote, g.data, g.err)
		}
	})
	t.Run("a prefix of a header that turns out not to be one", func(t *testing.T) {
		for _, b := range []string{"PROXX", "POST / HTTP/1.1\r\n", "\r\n\r\nx", "P"} {
			addr, ch := serve(t, time.Second, "127.0.0.1/32")
			send(t, addr, "127.0.0.2", 0, []byte(b))
			if g := wait(t, ch); g.err != nil || string(g.data) != b {
				t.Errorf("%q: got %q %v", b, g.data, g.err)
			}
		}
	})
	for name, h := range map[string][]byte{"v2": v2TCP4, "v1": []byte("PROXY TCP4 192.0.2.10 198.51.100.1 51000 8443\r\n")} {
		t.Run("a "+name+" header: refused", func(t *testing.T) {
			addr, ch := serve(t, time.Second, "127.0.0.1/32")
			c := send(t, addr, "127.0.0.2", 0, cat(h, []byte("payload")))
			g := wait(t, ch)
			if !errors.Is(g.err, ErrHeader) || len(g.data) != 0 {
				t.Fatalf("got %q %v, want a refusal", g.data, g.err)
			}
			if g.remote != c.LocalAddr().String() {
				t.Errorf("RemoteAddr %s, want the connection's own %s", g.remote, c.LocalAddr())
			}
		})
	}
}

func TestUntrustedSilentClientDoesNotBlockRemoteAddr(t *testing.T) {
	// net/http asks for RemoteAddr before it sets any deadline: for a
	// client that may not send a header, RemoteAddr must not wait for its
	// bytes (a silent client would hold the goroutine for good).
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{Listener: inner, Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	defer l.Close()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	c, err := d.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close() // sends nothing
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	done := make(chan string, 1)
	go func() { done <- sc.RemoteAddr().String() + " " + sc.LocalAddr().String() }()
	select {
	case got := <-done:
		if want := c.LocalAddr().String() + " " + c.RemoteAddr().String(); got != want {
			t.Errorf("addresses %s, want %s", got, want)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("RemoteAddr of an untrusted client that sends nothing blocks")
	}
}

func TestHTTPServerSeesTheClient(t *testing.T) {
	// net/http behind the listener: the handler's RemoteAddr is the
	// header's address (what the limits, logs and audit log use).
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{Listener: inner, Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.RemoteAddr)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	defer srv.Close()
	c, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(cat(v2TCP6, []byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(c)
	if !bytes.HasSuffix(b, []byte("\r\n\r\n[2001:db8::7]:443")) {
		t.Fatalf("answer %q, want the header's client address as the body", b)
	}
}

func TestParseTrusted(t *testing.T) {
	ps, err := ParseTrusted("10.0.0.0/8, 192.0.2.7,::ffff:198.51.100.2,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "198.51.100.2/32", "2001:db8::/32"}
	if len(ps) != len(want) {
		t.Fatalf("%v, want %v", ps, want)
	}
	for i := range ps {
		if ps[i].String() != want[i] {
			t.Errorf("%d: %s, want %s", i, ps[i], want[i])
		}
	}
	for _, bad := range []string{"", ",", "10.0.0.0/33", "host.example", "fe80::1%eth0/64"} {
		if _, err := ParseTrusted(bad); err == nil {
			t.Errorf("ParseTrusted(%q) accepted", bad)
		}
	}
}
