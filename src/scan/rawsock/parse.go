package rawsock

import (
	"encoding/binary"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Kind is what a received frame is.
type Kind uint8

// The kinds of frames the engine acts on.
const (
	KindOther       Kind = iota
	KindTCP              // a TCP segment (Flags, Seq, Ack, ports)
	KindUDP              // a UDP datagram (ports, Payload)
	KindEchoReply        // ICMP or ICMPv6 echo reply (ID, Seq, Payload)
	KindTimestamp        // ICMP timestamp reply (ID, Seq)
	KindUnreachable      // ICMP destination unreachable / ICMPv6 (Type, Code, Orig)
	KindARPReply         // ARP reply (Src, HW)
	KindNeighborAdv      // NDP neighbour advertisement (Src = target address, HW)
)

// Orig is the start of the packet an ICMP error quotes: our probe.
type Orig struct {
	Proto            uint8 // 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16 // TCP/UDP
	Seq              uint32 // TCP
	ID, EchoSeq      uint16 // ICMP echo
}

// Reply is a received frame, decoded. Slices point into the frame.
type Reply struct {
	Kind             Kind
	SrcMAC           net.HardwareAddr
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Flags            TCPFlags
	Seq, Ack         uint32
	Type, Code       uint8  // ICMP
	ID, EchoSeq      uint16 // ICMP echo / timestamp
	Payload          []byte
	HW               net.HardwareAddr // ARP sender / NDP target link-layer address
	Orig             Orig
}

// Parser decodes frames. Not safe for concurrent use.
type Parser struct {
	eth     layers.Ethernet
	arp     layers.ARP
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	udp     layers.UDP
	ic4     layers.ICMPv4
	ic6     layers.ICMPv6
	pl      gopacket.Payload
	p       *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
}

// NewParser returns a Parser.
func NewParser() *Parser {
	ps := &Parser{}
	ps.p = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &ps.eth, &ps.arp, &ps.ip4, &ps.ip6, &ps.tcp, &ps.udp, &ps.ic4, &ps.ic6, &ps.pl)
	ps.p.IgnoreUnsupported = true
	return ps
}

func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// Parse decodes frame into r and reports whether it is a kind the engine
// acts on.
func (ps *Parser) Parse(frame []byte, r *Reply) bool {
	*r = Reply{}
	// Errors of a layer the engine does not need (an IPv6 extension
	// header, a truncated option) leave the layers before it decoded.
	_ = ps.p.DecodeLayers(frame, &ps.decoded)
	for _, lt := range ps.decoded {
		switch lt {
		case layers.LayerTypeEthernet:
			r.SrcMAC = ps.eth.SrcMAC
		case layers.LayerTypeARP:
			if ps.arp.Operation != layers.ARPReply || len(ps.arp.SourceProtAddress) != 4 {
				return false
			}
			r.Kind = KindARPReply
			r.Src = addrOf(ps.arp.SourceProtAddress)
			r.Dst = addrOf(ps.arp.DstProtAddress)
			r.HW = ps.arp.SourceHwAddress
			return true
		case layers.LayerTypeIPv4:
			r.Src, r.Dst = addrOf(ps.ip4.SrcIP), addrOf(ps.ip4.DstIP)
		case layers.LayerTypeIPv6:
			r.Src, r.Dst = addrOf(ps.ip6.SrcIP), addrOf(ps.ip6.DstIP)
		case layers.LayerTypeTCP:
			r.Kind = KindTCP
			r.SrcPort, r.DstPort = uint16(ps.tcp.SrcPort), uint16(ps.tcp.DstPort)
			r.Seq, r.Ack = ps.tcp.Seq, ps.tcp.Ack
			r.Flags = flagsOf(&ps.tcp)
			return true
		case layers.LayerTypeUDP:
			r.Kind = KindUDP
			r.SrcPort, r.DstPort = uint16(ps.udp.SrcPort), uint16(ps.udp.DstPort)
			r.Payload = ps.udp.Payload
			return true
		case layers.LayerTypeICMPv4:
			return ps.icmp4(r)
		case layers.LayerTypeICMPv6:
			return ps.icmp6(r)
		}
	}
	return false
}

func flagsOf(t *layers.TCP) TCPFlags {
	var f TCPFlags
	for _, x := range []struct {
		on bool
		f  TCPFlags
	}{{t.FIN, FIN}, {t.SYN, SYN}, {t.RST, RST}, {t.PSH, PSH}, {t.ACK, ACK}} {
		if x.on {
			f |= x.f
		}
	}
	return f
}

func (ps *Parser) icmp4(r *Reply) bool {
	r.Type, r.Code = ps.ic4.TypeCode.Type(), ps.ic4.TypeCode.Code()
	r.ID, r.EchoSeq = ps.ic4.Id, ps.ic4.Seq
	r.Payload = ps.ic4.Payload
	switch r.Type {
	case layers.ICMPv4TypeEchoReply:
		r.Kind = KindEchoReply
	case layers.ICMPv4TypeTimestampReply:
		r.Kind = KindTimestamp
	case layers.ICMPv4TypeDestinationUnreachable:
		r.Kind = KindUnreachable
		// The quoted datagram follows the 4 unused bytes the layer read
		// as Id and Seq (RFC 792).
		return parseOrig4(ps.ic4.Payload, &r.Orig)
	default:
		return false
	}
	return true
}

func (ps *Parser) icmp6(r *Reply) bool {
	r.Type, r.Code = ps.ic6.TypeCode.Type(), ps.ic6.TypeCode.Code()
	body := ps.ic6.Payload
	switch r.Type {
	case layers.ICMPv6TypeEchoReply:
		if len(body) < 4 {
			return false
		}
		r.Kind = KindEchoReply
		r.ID, r.EchoSeq = binary.BigEndian.Uint16(body), binary.BigEndian.Uint16(body[2:])
		r.Payload = body[4:]
	case layers.ICMPv6TypeDestinationUnreachable:
		if len(body) < 4 {
			return false
		}
		r.Kind = KindUnreachable
		return parseOrig6(body[4:], &r.Orig)
	case layers.ICMPv6TypeNeighborAdvertisement:
		var na layers.ICMPv6NeighborAdvertisement
		if na.DecodeFromBytes(body, gopacket.NilDecodeFeedback) != nil {
			return false
		}
		r.Kind = KindNeighborAdv
		r.Src = addrOf(na.TargetAddress)
		for _, o := range na.Options {
			if o.Type == layers.ICMPv6OptTargetAddress && len(o.Data) >= 6 {
				r.HW = net.HardwareAddr(o.Data[:6])
			}
		}
		if r.HW == nil {
			r.HW = r.SrcMAC
		}
	default:
		return false
	}
	return true
}

// parseOrig4 reads the IPv4 header and first 8 bytes of transport header
// an ICMP error quotes.
func parseOrig4(b []byte, o *Orig) bool {
	if len(b) < 20 || b[0]>>4 != 4 {
		return false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl+8 {
		return false
	}
	o.Proto = b[9]
	o.Src, _ = netip.AddrFromSlice(b[12:16])
	o.Dst, _ = netip.AddrFromSlice(b[16:20])
	transport(b[ihl:], o)
	return true
}

// parseOrig6 is parseOrig4 for an ICMPv6 error (no extension headers: our
// probes carry none).
func parseOrig6(b []byte, o *Orig) bool {
	if len(b) < 48 || b[0]>>4 != 6 {
		return false
	}
	o.Proto = b[6]
	o.Src, _ = netip.AddrFromSlice(b[8:24])
	o.Dst, _ = netip.AddrFromSlice(b[24:40])
	transport(b[40:], o)
	return true
}

func transport(t []byte, o *Orig) {
	switch o.Proto {
	case 6, 17:
		o.SrcPort, o.DstPort = binary.BigEndian.Uint16(t), binary.BigEndian.Uint16(t[2:])
		if o.Proto == 6 {
			o.Seq = binary.BigEndian.Uint32(t[4:])
		}
	case 1, 58:
		o.ID, o.EchoSeq = binary.BigEndian.Uint16(t[4:]), binary.BigEndian.Uint16(t[6:])
	}
}
