package simnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/rfc1035label"

	"picket.dev/picket/src/net/dhcp"
	"picket.dev/picket/src/net/dhcp6"
)

// noAnswer is how long a DHCP exchange nobody answers takes to fail, as
// the kernel transport's retransmissions would.
const noAnswer = 2 * time.Second

// DHCP4 opens a DHCPv4 client's transport on dev (netmgr.Options.DHCP4):
// the DHCP server of the network plugged into dev's port answers it.
func (n *Net) DHCP4(dev string) (dhcp.Transport, error) {
	links, _ := n.kernel.Links()
	for _, l := range links {
		if l.Name == dev {
			return &dhcp4Transport{n: n, dev: dev, mac: l.MAC}, nil
		}
	}
	return nil, fmt.Errorf("dhcp: open DHCP socket on %s: no such device", dev)
}

type dhcp4Transport struct {
	n   *Net
	dev string
	mac string
}

// segment is the network the device's port reaches, if it has carrier and
// a DHCP server.
func (t *dhcp4Transport) segment() *Segment {
	k := t.n.kernel
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.linkLocked(t.dev)
	if l == nil || !l.kl.Carrier {
		return nil
	}
	s := t.n.plugged(l.port)
	if s == nil || !s.DHCP {
		return nil
	}
	return s
}

func (t *dhcp4Transport) wait(ctx context.Context, what string) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("dhcp: %s on %s: %w", what, t.dev, ctx.Err())
	case <-time.After(noAnswer):
		return fmt.Errorf("dhcp: %s on %s: no answer", what, t.dev)
	}
}

// lease is the address the server keeps for the client.
func (t *dhcp4Transport) lease(s *Segment) netip.Addr {
	t.n.mu.Lock()
	defer t.n.mu.Unlock()
	m := t.n.leases[s]
	if m == nil {
		m = map[string]netip.Addr{}
		t.n.leases[s] = m
	}
	if a, ok := m[t.dev]; ok {
		return a
	}
	a := hostIn(s.Prefix, 100+len(m))
	m[t.dev] = a
	return a
}

func (t *dhcp4Transport) reply(s *Segment, mt dhcpv4.MessageType) (*dhcpv4.DHCPv4, error) {
	hw, err := net.ParseMAC(t.mac)
	if err != nil {
		return nil, fmt.Errorf("dhcp: %s: %w", t.dev, err)
	}
	lt := s.LeaseTime
	if lt <= 0 {
		lt = time.Hour
	}
	srv := net.IP(s.Router.AsSlice())
	mods := []dhcpv4.Modifier{
		dhcpv4.WithMessageType(mt),
		dhcpv4.WithHwAddr(hw),
		dhcpv4.WithServerIP(srv),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(srv)),
		dhcpv4.WithYourIP(net.IP(t.lease(s).AsSlice())),
		dhcpv4.WithNetmask(net.CIDRMask(s.Prefix.Bits(), 32)),
		dhcpv4.WithRouter(srv),
		dhcpv4.WithLeaseTime(uint32(lt / time.Second)),
	}
	if s.DNS.IsValid() {
		mods = append(mods, dhcpv4.WithDNS(net.IP(s.DNS.AsSlice())))
	}
	if s.Domain != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptDomainName(s.Domain)))
	}
	m, err := dhcpv4.New(mods...)
	if err != nil {
		return nil, fmt.Errorf("dhcp: build %s: %w", mt, err)
	}
	m.OpCode = dhcpv4.OpcodeBootReply
	return m, nil
}

// Discover implements dhcp.Transport.
func (t *dhcp4Transport) Discover(ctx context.Context) (*dhcpv4.DHCPv4, error) {
	s := t.segment()
	if s == nil {
		return nil, t.wait(ctx, "discover")
	}
	return t.reply(s, dhcpv4.MessageTypeOffer)
}

// Request implements dhcp.Transport.
func (t *dhcp4Transport) Request(ctx context.Context, offer *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, error) {
	s := t.segment()
	if s == nil {
		return nil, t.wait(ctx, "request")
	}
	return t.reply(s, dhcpv4.MessageTypeAck)
}

// Extend implements dhcp.Transport.
func (t *dhcp4Transport) Extend(ctx context.Context, ack *dhcpv4.DHCPv4, server netip.Addr) (*dhcpv4.DHCPv4, error) {
	s := t.segment()
	if s == nil || server.IsValid() && server != s.Router {
		return nil, t.wait(ctx, "extend")
	}
	if !s.Prefix.Contains(netip.AddrFrom4([4]byte(ack.YourIPAddr.To4()))) {
		return nil, &dhcp.NakError{Server: s.Router, Message: "address not on this network"}
	}
	return t.reply(s, dhcpv4.MessageTypeAck)
}

// Release implements dhcp.Transport.
func (t *dhcp4Transport) Release(ack *dhcpv4.DHCPv4) error {
	if ack == nil {
		return errors.New("dhcp: release: no lease")
	}
	return nil
}

// Close implements dhcp.Transport.
func (t *dhcp4Transport) Close() error { return nil }

// DHCP6 opens a DHCPv6 information client's transport on dev
// (netmgr.Options.DHCP6): the network's DNS6, if any, is told.
func (n *Net) DHCP6(dev string) (dhcp6.Transport, error) {
	links, _ := n.kernel.Links()
	for _, l := range links {
		if l.Name == dev {
			return &dhcp6Transport{n: n, dev: dev, in: make(chan *dhcpv6.Message, 4)}, nil
		}
	}
	return nil, fmt.Errorf("dhcp6: listen on %s: no such device", dev)
}

type dhcp6Transport struct {
	n   *Net
	dev string
	in  chan *dhcpv6.Message
}

// Send implements dhcp6.Transport: an Information-request is answered
// with the network's DNS server, if it has one.
func (t *dhcp6Transport) Send(m *dhcpv6.Message) error {
	k := t.n.kernel
	k.mu.Lock()
	l := k.linkLocked(t.dev)
	var s *Segment
	if l != nil && l.kl.Carrier {
		s = t.n.plugged(l.port)
	}
	k.mu.Unlock()
	if s == nil || !s.DNS6.IsValid() || m.MessageType != dhcpv6.MessageTypeInformationRequest {
		return nil
	}
	r := &dhcpv6.Message{MessageType: dhcpv6.MessageTypeReply, TransactionID: m.TransactionID}
	r.AddOption(dhcpv6.OptDNS(net.IP(s.DNS6.AsSlice())))
	if s.Domain != "" {
		r.AddOption(dhcpv6.OptDomainSearchList(&rfc1035label.Labels{Labels: []string{s.Domain}}))
	}
	// The bytes cross the simulated wire as they would the real one.
	back, err := dhcpv6.MessageFromBytes(r.ToBytes())
	if err != nil {
		return fmt.Errorf("dhcp6: simulated reply: %w", err)
	}
	select {
	case t.in <- back:
	default:
	}
	return nil
}

// Receive implements dhcp6.Transport.
func (t *dhcp6Transport) Receive(ctx context.Context) (*dhcpv6.Message, netip.Addr, error) {
	select {
	case <-ctx.Done():
		return nil, netip.Addr{}, ctx.Err()
	case m := <-t.in:
		return m, netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 15: 1}), nil
	}
}

// Close implements dhcp6.Transport.
func (t *dhcp6Transport) Close() error { return nil }
