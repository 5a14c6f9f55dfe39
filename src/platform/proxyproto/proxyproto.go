// Package proxyproto reads the PROXY protocol header (haproxy's
// proxy-protocol.txt, version 2 and version 1) that a load balancer
// passing TCP through sends before the client's bytes. Behind haproxy in
// TCP passthrough (TLS ends at platformd, because boxes pin the
// platform's CA) every connection comes from haproxy's address, so the
// limits kept per client address (new boxes, failed logins, wrong
// activation codes) would lump every client together, and the logs and
// the audit log would name the balancer; the header carries the client's
// address instead.
//
// Only connections from trusted addresses (the balancers) may, and must,
// start with a header: anyone else could otherwise write one and pick the
// address the limits count. A header from any other address, or a
// missing, invalid or slow one from a trusted address, fails the
// connection's first read, and the HTTP server closes it.
//
// The header is read in the connection's own goroutine (on its first
// RemoteAddr or Read: net/http asks for RemoteAddr first thing in the
// goroutine it starts per connection), never in Accept, so a balancer
// that sends nothing holds only its own goroutine, and that only until
// Listener.Timeout. Any other client's first bytes are looked at on its
// first Read only, under the deadlines the server sets for the TLS
// handshake.
package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout is how long a trusted connection has to send its whole
// header: a balancer sends it with its first packet.
const DefaultTimeout = 5 * time.Second

// sigV2 opens every version 2 header; sigV1 every version 1 header.
var (
	sigV2 = []byte("\r\n\r\n\x00\r\nQUIT\n")
	sigV1 = []byte("PROXY ")
)

const (
	// v1Max is the longest version 1 line, CRLF included (the spec's
	// 107 bytes).
	v1Max = 107
	// sniffLen is how many bytes tell a header from anything else: both
	// signatures differ from a TLS ClientHello (0x16) at the first byte
	// and from each other there too.
	sniffLen = 6
)

// ErrHeader is wrapped by every refusal of a connection: a header
// missing, invalid or late from a trusted address, or sent from an
// untrusted one.
var ErrHeader = errors.New("PROXY protocol")

// Listener wraps a listener whose connections from Trusted addresses come
// from load balancers speaking the PROXY protocol.
type Listener struct {
	net.Listener
	// Trusted are the balancers' addresses.
	Trusted []netip.Prefix
	// Timeout bounds the reading of a header (DefaultTimeout if zero).
	Timeout time.Duration
}

// ParseTrusted parses "CIDR[,CIDR...]" (a bare address is its own /32 or
// /128), as platformd's -proxy-protocol takes it.
func ParseTrusted(s string) ([]netip.Prefix, error) {
	var ps []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			ps = append(ps, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("trusted address %q: neither a CIDR prefix nor an address (without a zone)", f)
		}
		a = a.Unmap()
		ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
	}
	if len(ps) == 0 {
		return nil, errors.New("no trusted address: give the load balancers' addresses, as CIDR[,CIDR]")
	}
	return ps, nil
}

// Accept returns the next connection; a trusted one reads its header
// lazily (see the package comment).
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Conn{Conn: c, trusted: l.trusts(c.RemoteAddr()), timeout: timeout}, nil
}

func (l *Listener) trusts(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	for _, p := range l.Trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Conn is an accepted connection: from a trusted address, its
// RemoteAddr is the client's address the header carries.
type Conn struct {
	net.Conn
	trusted bool
	timeout time.Duration

	once   sync.Once
	err    error    // the refusal, returned by every Read
	remote net.Addr // the client's address; nil: the connection's own
	local  net.Addr
	rest   []byte // bytes read past a sniff, returned first
	after  error  // the sniff's read error, returned after rest
}

// RemoteAddr is the client's address: the header's (a PROXY command from
// a trusted balancer), else the connection's own.
func (c *Conn) RemoteAddr() net.Addr {
	if !c.trusted {
		// No header to wait for: whether it sends one is seen at its
		// first Read, under the server's deadlines (net/http asks for
		// RemoteAddr before it sets them).
		return c.Conn.RemoteAddr()
	}
	c.once.Do(c.start)
	if c.remote != nil {
		return c.remote
	}
	return c.Conn.RemoteAddr()
}

// LocalAddr is the address the client connected to, as the header says
// (else the connection's own).
func (c *Conn) LocalAddr() net.Addr {
	if !c.trusted {
		return c.Conn.LocalAddr()
	}
	c.once.Do(c.start)
	if c.local != nil {
		return c.local
	}
	return c.Conn.LocalAddr()
}

// Read reads the client's bytes after the header; it fails with the
// refusal if the header was refused.
func (c *Conn) Read(p []byte) (int, error) {
	c.once.Do(c.start)
	if c.err != nil {
		return 0, c.err
	}
	if len(c.rest) > 0 {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		return n, nil
	}
	if c.after != nil {
		return 0, c.after
	}
	return c.Conn.Read(p)
}

// start reads a trusted connection's header, or makes sure an untrusted
// one does not start with one. On a refusal it closes the connection.
func (c *Conn) start() {
	if c.trusted {
		c.err = c.readHeader()
	} else {
		c.err = c.sniff()
	}
	if c.err != nil {
		c.err = fmt.Errorf("%w: connection from %s refused: %w", ErrHeader, c.Conn.RemoteAddr(), c.err)
		c.Conn.Close()
	}
}

// sniff reads as many bytes as tell whether an untrusted client starts
// with a header (one byte, for a TLS client), under whatever deadline the
// server set, and keeps them for Read.
func (c *Conn) sniff() error {
	var buf [sniffLen]byte
	n := 0
	for n < sniffLen {
		m, err := c.Conn.Read(buf[n : n+1])
		n += m
		if !bytes.HasPrefix(sigV2, buf[:n]) && !bytes.HasPrefix(sigV1, buf[:n]) {
			c.rest = append(c.rest, buf[:n]...)
			return nil
		}
		if err != nil {
			// Undecided (a stream that ended or timed out within what
			// could open a header): the reader gets its bytes, then the
			// error, as it would have without the sniff.
			c.rest = append(c.rest, buf[:n]...)
			c.after = err
			return nil
		}
	}
	return errors.New("a PROXY protocol header from an address not trusted to send one (-proxy-protocol)")
}

// readHeader reads a trusted connection's header, exactly (no byte of
// the client's stream is read past it), within c.timeout.
func (c *Conn) readHeader() error {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return fmt.Errorf("set the header's deadline: %w", err)
	}
	var head [16]byte
	if _, err := io.ReadFull(c.Conn, head[:sniffLen]); err != nil {
		return fmt.Errorf("no header from a trusted balancer: %w", err)
	}
	var err error
	switch {
	case bytes.Equal(head[:sniffLen], sigV2[:sniffLen]):
		err = c.readV2(head[:])
	case bytes.Equal(head[:sniffLen], sigV1):
		err = c.readV1(head[:sniffLen])
	default:
		err = errors.New("a trusted balancer's connection does not start with a PROXY protocol header")
	}
	if err != nil {
		return err
	}
	// The server sets its own deadlines from here on (net/http: after
	// RemoteAddr, before the TLS handshake).
	if err := c.Conn.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("clear the header's deadline: %w", err)
	}
	return nil
}

// readV2 reads the rest of a version 2 header whose first sniffLen bytes
// are in head (16 bytes long).
func (c *Conn) readV2(head []byte) error {
	if _, err := io.ReadFull(c.Conn, head[sniffLen:16]); err != nil {
		return fmt.Errorf("version 2 header cut short: %w", err)
	}
	if !bytes.Equal(head[:12], sigV2) {
		return errors.New("version 2 header: bad signature")
	}
	verCmd, fam := head[12], head[13]
	if verCmd>>4 != 2 {
		return fmt.Errorf("version 2 header: version %d", verCmd>>4)
	}
	body := make([]byte, binary.BigEndian.Uint16(head[14:16]))
	if _, err := io.ReadFull(c.Conn, body); err != nil {
		return fmt.Errorf("version 2 header: %d address bytes cut short: %w", len(body), err)
	}
	switch verCmd & 0xf {
	case 0x0:
		// LOCAL: the balancer's own connection (a health check); the
		// addresses, if any, are to be ignored.
		return nil
	case 0x1: // PROXY
	default:
		return fmt.Errorf("version 2 header: command %#x", verCmd&0xf)
	}
	var alen int
	switch fam {
	case 0x11: // TCP over IPv4
		alen = 4
	case 0x21: // TCP over IPv6
		alen = 16
	default:
		// UNSPEC, UDP or unix sockets: nothing a TCP client's limits
		// could count by.
		return fmt.Errorf("version 2 header: address family and protocol %#x, not TCP over IPv4 or IPv6", fam)
	}
	if len(body) < 2*alen+4 {
		return fmt.Errorf("version 2 header: %d address bytes, %d needed", len(body), 2*alen+4)
	}
	src, _ := netip.AddrFromSlice(body[:alen])
	dst, _ := netip.AddrFromSlice(body[alen : 2*alen])
	sport := binary.BigEndian.Uint16(body[2*alen:])
	dport := binary.BigEndian.Uint16(body[2*alen+2:])
	// The TLVs after the addresses (ALPN, authority, ...) are not used.
	c.remote = net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, sport))
	c.local = net.TCPAddrFromAddrPort(netip.AddrPortFrom(dst, dport))
	return nil
}

// readV1 reads the rest of a version 1 line, "PROXY TCP4 SRC DST SPORT
// DPORT\r\n" (or TCP6, or UNKNOWN ...), whose first bytes are in head.
// One byte at a time: the line's end is found without reading past it.
func (c *Conn) readV1(head []byte) error {
	line := append(make([]byte, 0, v1Max), head...)
	var b [1]byte
	for !bytes.HasSuffix(line, []byte("\r\n")) {
		if len(line) >= v1Max {
			return fmt.Errorf("version 1 header longer than %d bytes", v1Max)
		}
		if _, err := io.ReadFull(c.Conn, b[:]); err != nil {
			return fmt.Errorf("version 1 header cut short: %w", err)
		}
		line = append(line, b[0])
	}
	f := strings.Split(string(line[:len(line)-2]), " ")
	if len(f) >= 2 && f[1] == "UNKNOWN" {
		return nil // the balancer could not tell: its own address stands
	}
	if len(f) != 6 || (f[1] != "TCP4" && f[1] != "TCP6") {
		return fmt.Errorf("version 1 header %q: want PROXY TCP4|TCP6 SRC DST SPORT DPORT", line)
	}
	src, err1 := netip.ParseAddr(f[2])
	dst, err2 := netip.ParseAddr(f[3])
	sport, err3 := parsePort(f[4])
	dport, err4 := parsePort(f[5])
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return fmt.Errorf("version 1 header %q: %w", line, err)
	}
	if src.Is4() != (f[1] == "TCP4") || dst.Is4() != (f[1] == "TCP4") || src.Zone() != "" || dst.Zone() != "" {
		return fmt.Errorf("version 1 header %q: addresses not of family %s", line, f[1])
	}
	c.remote = net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, sport))
	c.local = net.TCPAddrFromAddrPort(netip.AddrPortFrom(dst, dport))
	return nil
}

// parsePort parses a decimal port without a sign or leading zero (the
// spec's form).
func parsePort(s string) (uint16, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("port %q", s)
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("port %q", s)
	}
	return uint16(n), nil
}
