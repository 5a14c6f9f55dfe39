package rawsock

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"
	"unsafe"
)

// FuzzParse feeds the frame parser what arrives on the scan's AF_PACKET
// socket: anything at all, from any host on the segment. Whatever the
// bytes, it must not panic, must say "not for us" (false) or give a
// reply of a kind the engine acts on with the fields that kind promises,
// must not point outside the frame, and must not carry state from one
// frame into the next (the scan reuses one Parser for every frame).
func FuzzParse(f *testing.F) {
	b := NewBuilder()
	me, host := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.1.9")
	me6, host6 := netip.MustParseAddr("fd00::2"), netip.MustParseAddr("fd00:1::9")
	p4 := Path{SrcMAC: macA, DstMAC: macB, Src: host, Dst: me}
	p6 := Path{SrcMAC: macA, DstMAC: macB, Src: host6, Dst: me6}
	add := func(fr []byte, err error) {
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fr)
	}
	add(b.TCP(p4, 443, 40001, 777, 0xdeadbef0, SYN|ACK))
	add(b.TCP(p6, 22, 40001, 1, 2, RST|ACK))
	add(b.UDP(p4, 53, 40002, []byte("answer")))
	add(b.UDP(p6, 123, 40002, nil))
	add(b.Echo(p4, 7, 8, []byte("ping")))
	add(b.Echo(p6, 7, 8, nil))
	add(b.Timestamp(p4, 7, 9, 12345))
	add(b.ARPRequest(macA, me, host))
	add(b.NeighborSolicit(macA, me6, host6))
	// An ICMP port unreachable quoting a UDP probe (RFC 792).
	probe := frame4(me, host, 17, []byte{0x9c, 0x42, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00})[14:]
	f.Add(frame4(netip.MustParseAddr("10.0.1.1"), me, 1, append([]byte{3, 3, 0, 0, 0, 0, 0, 0}, probe...)))
	f.Add([]byte{})
	f.Add(make([]byte, 14))

	warm := NewParser()
	f.Fuzz(func(t *testing.T, frame []byte) {
		var r, fresh Reply
		ok := warm.Parse(frame, &r)
		if okFresh := NewParser().Parse(frame, &fresh); okFresh != ok || !reflect.DeepEqual(r, fresh) {
			t.Fatalf("a reused parser gave %v %+v, a new one %v %+v", ok, r, okFresh, fresh)
		}
		if !ok {
			return
		}
		switch r.Kind {
		case KindTCP, KindUDP, KindEchoReply, KindTimestamp, KindUnreachable:
			if !r.Src.IsValid() || !r.Dst.IsValid() || r.Src.Is4() != r.Dst.Is4() {
				t.Fatalf("kind %d with addresses %v -> %v", r.Kind, r.Src, r.Dst)
			}
		case KindARPReply, KindNeighborAdv:
			if !r.Src.IsValid() {
				t.Fatalf("kind %d without the sender's address: %+v", r.Kind, r)
			}
		default:
			t.Fatalf("Parse said yes with kind %d", r.Kind)
		}
		if r.Kind == KindUnreachable && r.Orig.Proto != 0 && r.Orig.Src.IsValid() != r.Orig.Dst.IsValid() {
			t.Fatalf("quoted probe with one address: %+v", r.Orig)
		}
		for name, s := range map[string][]byte{"payload": r.Payload, "hw": r.HW, "mac": r.SrcMAC} {
			if len(s) > 0 && !within(s, frame) {
				t.Fatalf("%s %x does not point into the frame", name, s)
			}
		}
		// Parsing again gives the same reply: the frame was not written.
		orig := bytes.Clone(frame)
		var again Reply
		warm.Parse(frame, &again)
		if !bytes.Equal(orig, frame) || !reflect.DeepEqual(again, r) {
			t.Fatalf("a second parse differs: %+v, then %+v", r, again)
		}
	})
}

// within reports whether s lies in the memory of frame (Reply's slices
// point into the frame rather than into buffers the parser reuses).
func within(s, frame []byte) bool {
	if len(frame) == 0 {
		return false
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(frame)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(frame))
}
