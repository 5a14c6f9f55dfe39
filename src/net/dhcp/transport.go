package dhcp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// Transport carries the client's DHCP exchanges on one interface. The real
// one is NClient (nclient4 on an AF_PACKET socket); tests use fakes. Every
// method may block for the transport's own retransmissions, bounded by ctx.
type Transport interface {
	// Discover broadcasts a DHCPDISCOVER and returns the first DHCPOFFER.
	Discover(ctx context.Context) (offer *dhcpv4.DHCPv4, err error)
	// Request sends the DHCPREQUEST for offer (SELECTING, broadcast) and
	// returns the DHCPACK; a DHCPNAK is returned as a *NakError.
	Request(ctx context.Context, offer *dhcpv4.DHCPv4) (ack *dhcpv4.DHCPv4, err error)
	// Extend asks to extend the lease of ack (DHCPREQUEST with ciaddr).
	// With a valid server it is unicast to that server and only its answer
	// counts (RENEWING); with the zero Addr it is broadcast and any server
	// may answer (REBINDING). A DHCPNAK is returned as a *NakError.
	Extend(ctx context.Context, ack *dhcpv4.DHCPv4, server netip.Addr) (*dhcpv4.DHCPv4, error)
	// Release sends a DHCPRELEASE for ack to its server; no answer comes.
	Release(ack *dhcpv4.DHCPv4) error
	// Close releases the transport's socket.
	Close() error
}

// NakError is a DHCPNAK from a server.
type NakError struct {
	Server  netip.Addr // server identifier of the NAK, if it had one
	Message string     // option 56, if any
}

func (e *NakError) Error() string {
	s := "DHCPNAK"
	if e.Server.IsValid() {
		s += " from " + e.Server.String()
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func nakError(nak *dhcpv4.DHCPv4) *NakError {
	e := &NakError{Message: nak.Message()}
	if a, ok := addr4(nak.ServerIdentifier()); ok {
		e.Server = a
	}
	return e
}

// requested lists the options the client asks for in every request: dnsmasq
// (and most servers) send only requested options.
var requested = []dhcpv4.OptionCode{
	dhcpv4.OptionSubnetMask,
	dhcpv4.OptionRouter,
	dhcpv4.OptionDomainNameServer,
	dhcpv4.OptionDomainName,
	dhcpv4.OptionNetBIOSOverTCPIPNameServer,
	dhcpv4.OptionIPAddressLeaseTime,
	dhcpv4.OptionRenewTimeValue,
	dhcpv4.OptionRebindingTimeValue,
}

// NClient is the Transport on a real interface: nclient4 on an AF_PACKET
// socket, which works before the interface has an address. Frames go to the
// Ethernet broadcast address (as nclient4 sends them); a renewal carries the
// server's IP address as destination and the leased one as source. Replies to a
// renewal are unicast by the server to the leased address, so the network
// manager must have applied it for RENEWING to get answers (REBINDING and
// INIT still work without it).
type NClient struct {
	c *nclient4.Client
}

// NewNClient opens the transport on iface. opts go to nclient4 (for
// example nclient4.WithTimeout, nclient4.WithRetry).
func NewNClient(iface string, opts ...nclient4.ClientOpt) (*NClient, error) {
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("dhcp: open DHCP socket on %s: %w", iface, err)
	}
	raw, err := packet.Listen(ifc, packet.Datagram, unix.ETH_P_IP, nil)
	if err != nil {
		return nil, fmt.Errorf("dhcp: open DHCP socket on %s: %w", iface, err)
	}
	conn := &srcConn{
		PacketConn: nclient4.NewBroadcastUDPConn(raw, &net.UDPAddr{Port: nclient4.ClientPort}),
		raw:        raw,
	}
	c, err := nclient4.NewWithConn(conn, ifc.HardwareAddr, opts...)
	if err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("dhcp: open DHCP client on %s: %w", iface, err)
	}
	return &NClient{c: c}, nil
}

// srcConn is nclient4's broadcast raw UDP connection, except that a message
// with a client address (ciaddr: renewing, rebinding, releasing) is sent
// from that address. nclient4 always sends from 0.0.0.0, which the kernel
// accepts only towards 255.255.255.255: the server's stack drops a unicast
// renewal from 0.0.0.0 as a martian before the DHCP server sees it.
type srcConn struct {
	net.PacketConn // reads, close, deadlines
	raw            net.PacketConn
}

func (s *srcConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	dst, ok := addr.(*net.UDPAddr)
	if !ok || len(b) < 16 || [4]byte(b[12:16]) == [4]byte{} {
		return s.PacketConn.WriteTo(b, addr)
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	d, ok := addr4(dst.IP)
	if !ok {
		return 0, fmt.Errorf("dhcp: send to %v: not IPv4", dst)
	}
	pkt := udp4(b, src, nclient4.ClientPort, d, dst.Port)
	if _, err := s.raw.WriteTo(pkt, &packet.Addr{HardwareAddr: nclient4.BroadcastMac}); err != nil {
		return 0, err
	}
	return len(b), nil
}

// udp4 wraps payload in IPv4 and UDP headers with checksums.
func udp4(payload []byte, src netip.Addr, sport int, dst netip.Addr, dport int) []byte {
	const ipLen, udpLen = 20, 8
	p := make([]byte, ipLen+udpLen+len(payload))
	ip := p[:ipLen]
	ip[0] = 0x45 // version 4, 5 words
	binary.BigEndian.PutUint16(ip[2:], uint16(len(p)))
	ip[8] = 64 // TTL
	ip[9] = 17 // UDP
	s4, d4 := src.As4(), dst.As4()
	copy(ip[12:16], s4[:])
	copy(ip[16:20], d4[:])
	binary.BigEndian.PutUint16(ip[10:], ^sum16(0, ip))
	u := p[ipLen:]
	binary.BigEndian.PutUint16(u[0:], uint16(sport))
	binary.BigEndian.PutUint16(u[2:], uint16(dport))
	binary.BigEndian.PutUint16(u[4:], uint16(udpLen+len(payload)))
	copy(u[udpLen:], payload)
	// Pseudo-header: addresses, protocol, UDP length.
	pseudo := uint32(sum16(0, ip[12:20]))
	pseudo += 17 + uint32(len(u))
	cs := ^sum16(pseudo, u)
	if cs == 0 {
		cs = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:], cs)
	return p
}

// sum16 adds b as big-endian 16-bit words to acc and folds the carries.
func sum16(acc uint32, b []byte) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		acc += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		acc += uint32(b[len(b)-1]) << 8
	}
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}

var _ Transport = (*NClient)(nil)

// Discover implements Transport.
func (n *NClient) Discover(ctx context.Context) (*dhcpv4.DHCPv4, error) {
	offer, err := n.c.DiscoverOffer(ctx, dhcpv4.WithRequestedOptions(requested...))
	if err != nil {
		return nil, fmt.Errorf("dhcp: discover: %w", err)
	}
	return offer, nil
}

// Request implements Transport.
func (n *NClient) Request(ctx context.Context, offer *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, error) {
	l, err := n.c.RequestFromOffer(ctx, offer, dhcpv4.WithRequestedOptions(requested...))
	var nak *nclient4.ErrNak
	if errors.As(err, &nak) {
		return nil, nakError(nak.Nak)
	}
	if err != nil {
		return nil, fmt.Errorf("dhcp: request %v from %v: %w", offer.YourIPAddr, offer.ServerIdentifier(), err)
	}
	return l.ACK, nil
}

// Extend implements Transport.
func (n *NClient) Extend(ctx context.Context, ack *dhcpv4.DHCPv4, server netip.Addr) (*dhcpv4.DHCPv4, error) {
	xid, err := dhcpv4.GenerateTransactionID()
	if err != nil {
		return nil, fmt.Errorf("dhcp: extend: transaction id: %w", err)
	}
	req, err := dhcpv4.NewRenewFromAck(ack,
		dhcpv4.WithTransactionID(xid),
		dhcpv4.WithRequestedOptions(requested...),
		dhcpv4.WithOption(dhcpv4.OptMaxMessageSize(nclient4.MaxMessageSize)))
	if err != nil {
		return nil, fmt.Errorf("dhcp: extend: build request: %w", err)
	}
	dest := &net.UDPAddr{IP: net.IPv4bcast, Port: nclient4.ServerPort}
	match := nclient4.IsMessageType(dhcpv4.MessageTypeAck, dhcpv4.MessageTypeNak)
	what := "rebind (broadcast)"
	if server.IsValid() {
		dest.IP = net.IP(server.AsSlice())
		match = nclient4.IsAll(match, nclient4.IsCorrectServer(dest.IP))
		what = "renew with " + server.String()
	}
	resp, err := n.c.SendAndRead(ctx, dest, req, match)
	if err != nil {
		return nil, fmt.Errorf("dhcp: %s: %w", what, err)
	}
	if resp.MessageType() == dhcpv4.MessageTypeNak {
		return nil, nakError(resp)
	}
	return resp, nil
}

// Release implements Transport.
func (n *NClient) Release(ack *dhcpv4.DHCPv4) error {
	if err := n.c.Release(&nclient4.Lease{ACK: ack}); err != nil {
		return fmt.Errorf("dhcp: release %v: %w", ack.YourIPAddr, err)
	}
	return nil
}

// Close implements Transport.
func (n *NClient) Close() error {
	if err := n.c.Close(); err != nil {
		return fmt.Errorf("dhcp: close DHCP socket: %w", err)
	}
	return nil
}
