package conncheck

import (
	"context"
	"net"

	"golang.org/x/net/icmp"
)

// Network opens the sockets the test sends from. Kernel is the real one;
// the network manager's stand-in gives a simulated one.
type Network interface {
	// ListenICMP opens a socket for ICMP echo, network "ip4:icmp" or
	// "ip6:ipv6-icmp", bound to laddr ("0.0.0.0", "::" or an address).
	// What is read and written is the ICMP message, without IP header.
	ListenICMP(network, laddr string) (net.PacketConn, error)
	// Dial connects as net.Dialer.DialContext does, from laddr when it is
	// not nil. A UDP connection must be a net.PacketConn (the resolver
	// frames DNS by that).
	Dial(ctx context.Context, network string, laddr net.Addr, raddr string) (net.Conn, error)
}

// Kernel is the Network of the kernel: real sockets in the calling
// process's network namespace (a privileged raw socket for ICMP).
type Kernel struct{}

// ListenICMP implements Network.
func (Kernel) ListenICMP(network, laddr string) (net.PacketConn, error) {
	return icmp.ListenPacket(network, laddr)
}

// Dial implements Network.
func (Kernel) Dial(ctx context.Context, network string, laddr net.Addr, raddr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: laddr}
	return d.DialContext(ctx, network, raddr)
}
