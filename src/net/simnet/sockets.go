package simnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Sockets is the connectivity test's sockets on the simulated network
// (conncheck.Network): ICMP echo to the routers and the platform, and
// connections to the DNS servers and the platform.
type Sockets struct{ n *Net }

// Sockets returns the simulated network's sockets.
func (n *Net) Sockets() Sockets { return Sockets{n: n} }

// ListenICMP implements conncheck.Network.
func (s Sockets) ListenICMP(network, laddr string) (net.PacketConn, error) {
	var v6 bool
	switch network {
	case "ip4:icmp":
	case "ip6:ipv6-icmp":
		v6 = true
	default:
		return nil, fmt.Errorf("listen %s: unknown network", network)
	}
	src, err := netip.ParseAddr(laddr)
	if err != nil {
		return nil, fmt.Errorf("listen %s %s: %w", network, laddr, err)
	}
	if src.IsUnspecified() {
		src = netip.Addr{}
	}
	return &icmpConn{n: s.n, v6: v6, src: src, wake: make(chan struct{}, 1)}, nil
}

// icmpConn is a raw ICMP socket: an echo request to a host the box
// reaches is answered with its echo reply.
type icmpConn struct {
	n   *Net
	v6  bool
	src netip.Addr

	mu       sync.Mutex
	replies  []icmpPacket
	deadline time.Time
	closed   bool
	wake     chan struct{}
}

type icmpPacket struct {
	b    []byte
	from netip.Addr
}

func (c *icmpConn) notify() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// WriteTo sends an ICMP message.
func (c *icmpConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ia, ok := addr.(*net.IPAddr)
	if !ok {
		return 0, fmt.Errorf("write to %v: not an IP address", addr)
	}
	dst, ok := netip.AddrFromSlice(ia.IP)
	if !ok {
		return 0, fmt.Errorf("write to %v: bad address", addr)
	}
	dst = dst.Unmap()
	proto := 1
	if c.v6 {
		proto = 58
	}
	m, err := icmp.ParseMessage(proto, b)
	if err != nil {
		return 0, fmt.Errorf("write to %v: %w", addr, err)
	}
	echo, isEcho := m.Body.(*icmp.Echo)
	if !isEcho || m.Type != ipv4.ICMPTypeEcho && m.Type != ipv6.ICMPTypeEchoRequest {
		return len(b), nil // nobody answers anything else
	}
	if _, _, _, ok := c.n.path(c.src, dst); !ok {
		return 0, fmt.Errorf("write to %v: %w", addr, errUnreachable)
	}
	rt := icmp.Type(ipv4.ICMPTypeEchoReply)
	if c.v6 {
		rt = ipv6.ICMPTypeEchoReply
	}
	reply := icmp.Message{Type: rt, Body: &icmp.Echo{ID: echo.ID, Seq: echo.Seq, Data: echo.Data}}
	rb, err := reply.Marshal(nil)
	if err != nil {
		return 0, fmt.Errorf("simulated echo reply: %w", err)
	}
	c.mu.Lock()
	c.replies = append(c.replies, icmpPacket{b: rb, from: dst})
	c.mu.Unlock()
	c.notify()
	return len(b), nil
}

// ReadFrom reads the next ICMP message, until the read deadline.
func (c *icmpConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, nil, net.ErrClosed
		}
		if len(c.replies) > 0 {
			p := c.replies[0]
			c.replies = c.replies[1:]
			c.mu.Unlock()
			return copy(b, p.b), &net.IPAddr{IP: p.from.AsSlice()}, nil
		}
		dl := c.deadline
		c.mu.Unlock()
		var timeout <-chan time.Time
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, nil, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			timeout = t.C
			defer t.Stop()
		}
		select {
		case <-c.wake:
		case <-timeout:
		}
	}
}

// Close closes the socket.
func (c *icmpConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.notify()
	return nil
}

// LocalAddr is the address the socket is bound to.
func (c *icmpConn) LocalAddr() net.Addr { return &net.IPAddr{IP: c.src.AsSlice()} }

// SetDeadline sets the read deadline; writes never block.
func (c *icmpConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline sets the read deadline.
func (c *icmpConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	c.notify()
	return nil
}

// SetWriteDeadline does nothing: writes never block.
func (c *icmpConn) SetWriteDeadline(time.Time) error { return nil }

// Dial implements conncheck.Network: a connection to a service the box
// reaches (from laddr's address, if given) is served in memory.
func (s Sockets) Dial(ctx context.Context, network string, laddr net.Addr, raddr string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(raddr)
	if err != nil {
		// The simulated network has no resolver of its own: names are
		// resolved by the caller, through the DNS servers.
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("lookup %s: no such host", raddr)}
	}
	var src netip.Addr
	switch a := laddr.(type) {
	case *net.TCPAddr:
		src, _ = netip.AddrFromSlice(a.IP)
	case *net.UDPAddr:
		src, _ = netip.AddrFromSlice(a.IP)
	}
	dst := ap.Addr().WithZone("").Unmap()
	if _, _, _, ok := s.n.path(src.Unmap(), dst); !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(ap), Err: fmt.Errorf("connect: %w", errUnreachable)}
	}
	serve := s.n.service(network, netip.AddrPortFrom(dst, ap.Port()))
	if serve == nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(ap), Err: errors.New("connect: connection refused")}
	}
	if err := ctx.Err(); err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	client, server := net.Pipe()
	go func() {
		defer server.Close()
		serve(server)
	}()
	return client, nil
}
