package dhcp6

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"
)

// DUIDFromMAC returns a DUID-LL (RFC 8415 section 11.4) for an Ethernet
// hardware address: stable across reboots, and needing no stored state.
func DUIDFromMAC(mac net.HardwareAddr) dhcpv6.DUID {
	return &dhcpv6.DUIDLL{HWType: iana.HWTypeEthernet, LinkLayerAddr: mac}
}

// UDP is the Transport on a real interface: a UDP socket on port 546
// bound to the interface's link-local address, sending to ff02::1:2 port
// 547 on that interface. Servers answer by unicast to that address.
type UDP struct {
	conn   *net.UDPConn
	dst    *net.UDPAddr
	ifname string
}

// linkLocalPoll is how often Listen looks for a usable link-local address.
const linkLocalPoll = 100 * time.Millisecond

// Listen opens the client's socket on ifname. The socket must be bound to
// a link-local address that has finished duplicate address detection (the
// kernel refuses to bind a tentative one), which takes about a second
// after the link comes up; Listen waits for it until ctx ends.
func Listen(ctx context.Context, ifname string) (*UDP, error) {
	for {
		conn, err := listenOnce(ifname)
		if err == nil {
			return &UDP{
				conn:   conn,
				dst:    &net.UDPAddr{IP: net.ParseIP("ff02::1:2"), Port: 547, Zone: ifname},
				ifname: ifname,
			}, nil
		}
		if !errors.Is(err, errNoLinkLocal) && !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return nil, fmt.Errorf("listen on %s: %w", ifname, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("listen on %s: no usable link-local address yet (%v): %w", ifname, err, ctx.Err())
		case <-time.After(linkLocalPoll):
		}
	}
}

var errNoLinkLocal = errors.New("interface has no IPv6 link-local address")

func listenOnce(ifname string) (*net.UDPConn, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, err
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() != nil || !n.IP.IsLinkLocalUnicast() {
			continue
		}
		return net.ListenUDP("udp6", &net.UDPAddr{IP: n.IP, Port: 546, Zone: ifname})
	}
	return nil, errNoLinkLocal
}

// LocalAddr is the address the socket is bound to.
func (u *UDP) LocalAddr() netip.AddrPort { return u.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Send implements Transport.
func (u *UDP) Send(m *dhcpv6.Message) error {
	if _, err := u.conn.WriteToUDP(m.ToBytes(), u.dst); err != nil {
		return fmt.Errorf("send to %s: %w", u.dst, err)
	}
	return nil
}

// Receive implements Transport.
func (u *UDP) Receive(ctx context.Context) (*dhcpv6.Message, netip.Addr, error) {
	// Wake the read when ctx ends: a past deadline fails it at once.
	stop := context.AfterFunc(ctx, func() { u.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 65536)
	for {
		n, from, err := u.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil, netip.Addr{}, ctx.Err()
			}
			return nil, netip.Addr{}, fmt.Errorf("receive on %s: %w", u.ifname, err)
		}
		if from.Port() != 547 {
			continue // only servers and relays send from 547
		}
		m, err := dhcpv6.MessageFromBytes(buf[:n])
		if err != nil {
			continue // not a DHCPv6 message we can read
		}
		return m, from.Addr(), nil
	}
}

// Close implements Transport.
func (u *UDP) Close() error { return u.conn.Close() }
