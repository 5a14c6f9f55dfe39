package rawsock

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Path is the two ends of a frame: Ethernet and IP addresses.
type Path struct {
	SrcMAC, DstMAC net.HardwareAddr
	Src, Dst       netip.Addr
}

// TCPFlags are the TCP flags a probe sets or an answer carries.
type TCPFlags uint8

// TCP flags, as in the header (RFC 9293 section 3.1).
const (
	FIN TCPFlags = 1 << iota
	SYN
	RST
	PSH
	ACK
)

// Builder builds frames into a buffer of its own: the returned slice is
// valid until the next call. A Builder is not safe for concurrent use;
// give each sending goroutine its own.
type Builder struct {
	buf  gopacket.SerializeBuffer
	opts gopacket.SerializeOptions
	eth  layers.Ethernet
	ip4  layers.IPv4
	ip6  layers.IPv6
	tcp  layers.TCP
	udp  layers.UDP
	ic4  layers.ICMPv4
	ic6  layers.ICMPv6
	ech6 layers.ICMPv6Echo
	ipID uint16
}

// NewBuilder returns a Builder.
func NewBuilder() *Builder {
	return &Builder{
		buf:  gopacket.NewSerializeBufferExpectedSize(64, 512),
		opts: gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
	}
}

// ip fills the Ethernet and IP layers for p carrying proto.
func (b *Builder) ip(p Path, proto layers.IPProtocol) (gopacket.SerializableLayer, gopacket.NetworkLayer, error) {
	b.eth = layers.Ethernet{SrcMAC: p.SrcMAC, DstMAC: p.DstMAC}
	if p.Src.Is4() != p.Dst.Is4() || !p.Src.IsValid() || !p.Dst.IsValid() {
		return nil, nil, fmt.Errorf("rawsock: path %s -> %s mixes families", p.Src, p.Dst)
	}
	if p.Dst.Is4() {
		b.eth.EthernetType = layers.EthernetTypeIPv4
		b.ipID++
		s, d := p.Src.As4(), p.Dst.As4()
		b.ip4 = layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: b.ipID, Protocol: proto, SrcIP: s[:], DstIP: d[:]}
		return &b.ip4, &b.ip4, nil
	}
	b.eth.EthernetType = layers.EthernetTypeIPv6
	s, d := p.Src.As16(), p.Dst.As16()
	b.ip6 = layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: s[:], DstIP: d[:]}
	return &b.ip6, &b.ip6, nil
}

func (b *Builder) serialize(ls ...gopacket.SerializableLayer) ([]byte, error) {
	if err := gopacket.SerializeLayers(b.buf, b.opts, ls...); err != nil {
		return nil, fmt.Errorf("rawsock: build frame: %w", err)
	}
	return b.buf.Bytes(), nil
}

// TCP builds a TCP segment without payload. A SYN carries an MSS option
// (1460), as a SYN from a real stack does, so that firewalls and stacks
// that drop option-less SYNs still answer.
func (b *Builder) TCP(p Path, sport, dport uint16, seq, ack uint32, flags TCPFlags) ([]byte, error) {
	ipl, nl, err := b.ip(p, layers.IPProtocolTCP)
	if err != nil {
		return nil, err
	}
	b.tcp = layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack, Window: 1024,
		FIN: flags&FIN != 0, SYN: flags&SYN != 0, RST: flags&RST != 0, PSH: flags&PSH != 0, ACK: flags&ACK != 0}
	if flags&SYN != 0 {
		b.tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}}
	}
	if err := b.tcp.SetNetworkLayerForChecksum(nl); err != nil {
		return nil, err
	}
	return b.serialize(&b.eth, ipl, &b.tcp)
}

// UDP builds a UDP datagram.
func (b *Builder) UDP(p Path, sport, dport uint16, payload []byte) ([]byte, error) {
	ipl, nl, err := b.ip(p, layers.IPProtocolUDP)
	if err != nil {
		return nil, err
	}
	b.udp = layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if err := b.udp.SetNetworkLayerForChecksum(nl); err != nil {
		return nil, err
	}
	return b.serialize(&b.eth, ipl, &b.udp, gopacket.Payload(payload))
}

// Echo builds an ICMP (or ICMPv6) echo request.
func (b *Builder) Echo(p Path, id, seq uint16, payload []byte) ([]byte, error) {
	if p.Dst.Is4() {
		ipl, _, err := b.ip(p, layers.IPProtocolICMPv4)
		if err != nil {
			return nil, err
		}
		b.ic4 = layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: id, Seq: seq}
		return b.serialize(&b.eth, ipl, &b.ic4, gopacket.Payload(payload))
	}
	ipl, nl, err := b.ip(p, layers.IPProtocolICMPv6)
	if err != nil {
		return nil, err
	}
	b.ic6 = layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
	if err := b.ic6.SetNetworkLayerForChecksum(nl); err != nil {
		return nil, err
	}
	b.ech6 = layers.ICMPv6Echo{Identifier: id, SeqNumber: seq}
	return b.serialize(&b.eth, ipl, &b.ic6, &b.ech6, gopacket.Payload(payload))
}

// Timestamp builds an ICMP timestamp request (RFC 792; IPv4 only) whose
// originate timestamp is originate (milliseconds since midnight UT).
func (b *Builder) Timestamp(p Path, id, seq uint16, originate uint32) ([]byte, error) {
	if !p.Dst.Is4() {
		return nil, fmt.Errorf("rawsock: ICMP timestamp is IPv4 only")
	}
	ipl, _, err := b.ip(p, layers.IPProtocolICMPv4)
	if err != nil {
		return nil, err
	}
	b.ic4 = layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeTimestampRequest, 0), Id: id, Seq: seq}
	var ts [12]byte
	binary.BigEndian.PutUint32(ts[0:4], originate)
	return b.serialize(&b.eth, ipl, &b.ic4, gopacket.Payload(ts[:]))
}

// ARPRequest builds a broadcast "who has target" from srcMAC/src.
func (b *Builder) ARPRequest(srcMAC net.HardwareAddr, src, target netip.Addr) ([]byte, error) {
	if !src.Is4() || !target.Is4() {
		return nil, fmt.Errorf("rawsock: ARP needs IPv4 addresses")
	}
	s, t := src.As4(), target.As4()
	eth := layers.Ethernet{SrcMAC: srcMAC, DstMAC: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, EthernetType: layers.EthernetTypeARP}
	arp := layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: srcMAC, SourceProtAddress: s[:],
		DstHwAddress: make([]byte, 6), DstProtAddress: t[:]}
	return b.serialize(&eth, &arp)
}

// NeighborSolicit builds an NDP neighbour solicitation for target, sent to
// its solicited-node multicast group (RFC 4861 section 7.2.2).
func (b *Builder) NeighborSolicit(srcMAC net.HardwareAddr, src, target netip.Addr) ([]byte, error) {
	if !src.Is6() || !target.Is6() {
		return nil, fmt.Errorf("rawsock: NDP needs IPv6 addresses")
	}
	t := target.As16()
	group := netip.AddrFrom16([16]byte{0xff, 0x02, 11: 0x01, 12: 0xff, 13: t[13], 14: t[14], 15: t[15]})
	p := Path{SrcMAC: srcMAC, DstMAC: net.HardwareAddr{0x33, 0x33, 0xff, t[13], t[14], t[15]}, Src: src, Dst: group}
	ipl, nl, err := b.ip(p, layers.IPProtocolICMPv6)
	if err != nil {
		return nil, err
	}
	b.ip6.HopLimit = 255 // RFC 4861: NDP messages must have hop limit 255
	b.ic6 = layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeNeighborSolicitation, 0)}
	if err := b.ic6.SetNetworkLayerForChecksum(nl); err != nil {
		return nil, err
	}
	ns := layers.ICMPv6NeighborSolicitation{TargetAddress: t[:],
		Options: layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: srcMAC}}}
	return b.serialize(&b.eth, ipl, &b.ic6, &ns)
}
