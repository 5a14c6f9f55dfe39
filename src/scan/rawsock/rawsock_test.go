package rawsock

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xa}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xb}
)

// sum16 is the Internet checksum (RFC 1071) over b: 0 when b holds a
// correct checksum.
func sum16(parts ...[]byte) uint16 {
	var s uint32
	for _, b := range parts {
		for i := 0; i+1 < len(b); i += 2 {
			s += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			s += uint32(b[len(b)-1]) << 8
		}
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func pseudo(src, dst netip.Addr, proto byte, n int) []byte {
	var b []byte
	b = append(b, src.AsSlice()...)
	b = append(b, dst.AsSlice()...)
	if src.Is4() {
		return append(b, 0, proto, byte(n>>8), byte(n))
	}
	return append(b, 0, 0, byte(n>>8), byte(n), 0, 0, 0, proto)
}

func TestTCPSYNv4Bytes(t *testing.T) {
	src, dst := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.1.9")
	f, err := NewBuilder().TCP(Path{macA, macB, src, dst}, 40001, 443, 0xdeadbeef, 0, SYN)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f[0:6], macB) || !bytes.Equal(f[6:12], macA) || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
		t.Fatalf("Ethernet header % x", f[:14])
	}
	h, err := ipv4.ParseHeader(f[14:])
	if err != nil {
		t.Fatal(err)
	}
	if h.Protocol != 6 || !h.Src.Equal(src.AsSlice()) || !h.Dst.Equal(dst.AsSlice()) || h.TTL != 64 || h.TotalLen != 44 || len(f) != 60 {
		t.Errorf("IPv4 header %v, frame %d bytes: want 20+24 bytes padded to Ethernet's 60", h, len(f))
	}
	if sum16(f[14:34]) != 0 {
		t.Error("bad IPv4 header checksum")
	}
	tcp := f[34 : 14+h.TotalLen]
	if binary.BigEndian.Uint16(tcp) != 40001 || binary.BigEndian.Uint16(tcp[2:]) != 443 || binary.BigEndian.Uint32(tcp[4:]) != 0xdeadbeef {
		t.Errorf("TCP ports/seq % x", tcp[:8])
	}
	if tcp[13] != 0x02 { // RFC 9293: SYN is bit 1 of the flags byte
		t.Errorf("TCP flags %#x, want SYN only", tcp[13])
	}
	// MSS option (kind 2, length 4, 1460).
	if off := int(tcp[12]>>4) * 4; off != 24 || string(tcp[20:24]) != "\x02\x04\x05\xb4" {
		t.Errorf("TCP options % x (data offset %d)", tcp[20:off], off)
	}
	if sum16(pseudo(src, dst, 6, len(tcp)), tcp) != 0 {
		t.Error("bad TCP checksum")
	}
}

func TestUDPv6AndEchoBytes(t *testing.T) {
	src, dst := netip.MustParseAddr("fd00::2"), netip.MustParseAddr("fd00:1::9")
	b := NewBuilder()
	f, err := b.UDP(Path{macA, macB, src, dst}, 40002, 53, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := ipv6.ParseHeader(f[14:])
	if err != nil {
		t.Fatal(err)
	}
	if h.NextHeader != 17 || h.PayloadLen != 13 || !h.Dst.Equal(dst.AsSlice()) {
		t.Errorf("IPv6 header %v", h)
	}
	udp := f[54:]
	if string(udp[8:]) != "hello" || sum16(pseudo(src, dst, 17, len(udp)), udp) != 0 {
		t.Errorf("UDP % x: bad payload or checksum", udp)
	}
	f, err = b.Echo(Path{macA, macB, src, dst}, 0x1234, 0x0007, []byte{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	ic := f[54:]
	if ic[0] != 128 || binary.BigEndian.Uint16(ic[4:]) != 0x1234 || binary.BigEndian.Uint16(ic[6:]) != 7 || sum16(pseudo(src, dst, 58, len(ic)), ic) != 0 {
		t.Errorf("ICMPv6 echo % x", ic)
	}
}

func TestNeighborSolicitBytes(t *testing.T) {
	src, target := netip.MustParseAddr("fe80::2"), netip.MustParseAddr("fd00::1:2:3")
	f, err := NewBuilder().NeighborSolicit(macA, src, target)
	if err != nil {
		t.Fatal(err)
	}
	// RFC 4861 7.2.2 / RFC 2464 7: solicited-node group ff02::1:ff02:3
	// on 33:33:ff:02:00:03.
	if got := net.HardwareAddr(f[0:6]).String(); got != "33:33:ff:02:00:03" {
		t.Errorf("destination MAC %s", got)
	}
	h, _ := ipv6.ParseHeader(f[14:])
	if h.HopLimit != 255 || h.Dst.String() != "ff02::1:ff02:3" {
		t.Errorf("IPv6 header %v", h)
	}
	ic := f[54:]
	if ic[0] != 135 || !net.IP(ic[8:24]).Equal(target.AsSlice()) || ic[24] != 1 || !bytes.Equal(ic[26:32], macA) {
		t.Errorf("NS % x", ic)
	}
	dst, _ := netip.AddrFromSlice(h.Dst)
	if sum16(pseudo(src, dst, 58, len(ic)), ic) != 0 {
		t.Error("bad ICMPv6 checksum")
	}
}

// frame4 builds an Ethernet + IPv4 frame around payload by hand.
func frame4(src, dst netip.Addr, proto byte, payload []byte) []byte {
	f := append(append(append([]byte{}, macA...), macB...), 0x08, 0x00)
	ip := make([]byte, 20)
	ip[0], ip[8], ip[9] = 0x45, 64, proto
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	copy(ip[12:], src.AsSlice())
	copy(ip[16:], dst.AsSlice())
	binary.BigEndian.PutUint16(ip[10:], sum16(ip))
	return append(append(f, ip...), payload...)
}

func TestParseReplies(t *testing.T) {
	ps := NewParser()
	var r Reply
	me, host, router := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.1.9"), netip.MustParseAddr("10.0.1.1")

	// A SYN-ACK.
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp, 443)
	binary.BigEndian.PutUint16(tcp[2:], 40001)
	binary.BigEndian.PutUint32(tcp[4:], 777)
	binary.BigEndian.PutUint32(tcp[8:], 0xdeadbef0)
	tcp[12], tcp[13] = 5<<4, 0x12
	if !ps.Parse(frame4(host, me, 6, tcp), &r) || r.Kind != KindTCP || r.Flags != SYN|ACK || r.Ack != 0xdeadbef0 || r.Seq != 777 || r.SrcPort != 443 || r.Src != host || r.Dst != me {
		t.Errorf("SYN-ACK parsed as %+v", r)
	}

	// A router's ICMP port unreachable (type 3 code 3) quoting our UDP
	// probe: RFC 792, 4 unused bytes then the IP header and 8 bytes.
	probe := frame4(me, host, 17, []byte{0x9c, 0x42, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00})[14:]
	icmp := append([]byte{3, 3, 0, 0, 0, 0, 0, 0}, probe...)
	binary.BigEndian.PutUint16(icmp[2:], sum16(icmp))
	if !ps.Parse(frame4(router, me, 1, icmp), &r) || r.Kind != KindUnreachable || r.Code != 3 || r.Src != router ||
		r.Orig.Proto != 17 || r.Orig.Src != me || r.Orig.Dst != host || r.Orig.SrcPort != 40002 || r.Orig.DstPort != 53 {
		t.Errorf("port unreachable parsed as %+v", r)
	}

	// An ARP reply (RFC 826).
	arp := append(append(append([]byte{}, macA...), macB...), 0x08, 0x06,
		0, 1, 8, 0, 6, 4, 0, 2)
	arp = append(append(append(append(arp, macB...), host.AsSlice()...), macA...), me.AsSlice()...)
	if !ps.Parse(arp, &r) || r.Kind != KindARPReply || r.Src != host || !bytes.Equal(r.HW, macB) {
		t.Errorf("ARP reply parsed as %+v", r)
	}

	// Our own kind of frame that is no answer (an ICMP redirect) is not.
	if ps.Parse(frame4(router, me, 1, []byte{5, 0, 0, 0, 0, 0, 0, 0}), &r) {
		t.Errorf("redirect parsed as %+v", r)
	}
}

func TestRoutes(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "proc/net"), 0o755)
	// As the kernel writes them (from a bench namespace).
	os.WriteFile(filepath.Join(root, "proc/net/route"), []byte(strings.Join([]string{
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
		"eth0\t00000000\t01003D0A\t0003\t0\t0\t0\t00000000\t0\t0\t0",
		"eth0\t00003D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
		"eth1\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0",
	}, "\n")+"\n"), 0o644)
	os.WriteFile(filepath.Join(root, "proc/net/ipv6_route"), []byte(strings.Join([]string{
		"fd3d0000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0",
		"00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd3d0000000000000000000000000001 00000400 00000002 00000000 00000003     eth0",
		"fd3d0000000000000000000000000002 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo",
	}, "\n")+"\n"), 0o644)
	rs, err := Routes(root, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	for dst, want := range map[string]string{
		"10.61.0.7": "invalid IP", "10.61.1.9": "10.61.0.1", "8.8.8.8": "10.61.0.1",
		"fd3d::9": "invalid IP", "fd3d:1::10": "fd3d::1",
	} {
		gw, ok := NextHop(rs, netip.MustParseAddr(dst))
		if !ok || gw.String() != want {
			t.Errorf("NextHop(%s) = %v %v, want %s", dst, gw, ok, want)
		}
	}
	// 10.0.0.0/8 is eth1's: through eth0 only the default route leads there.
	if gw, _ := NextHop(rs, netip.MustParseAddr("10.0.0.1")); gw.String() != "10.61.0.1" {
		t.Errorf("NextHop(10.0.0.1) = %v: eth1's route counted", gw)
	}
}
