package portscan

import (
	"context"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"picket.dev/picket/src/scan/rawsock"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/targets"
)

// wire is a simulated Ethernet segment behind the engine's socket: it
// decodes each probe (with gopacket, not the engine's parser) and
// answers as the hosts in it would: SYN-ACK from an open port, RST from
// a closed one, nothing from a filtered one, an ICMP port unreachable
// from a closed UDP port. It loses the first transmission of some
// probes, so only retransmissions find those ports.
type wire struct {
	me     netip.Addr
	open   map[netip.AddrPort]bool
	filter map[uint16]bool
	lose   func(sport, dport uint16) bool
	in     chan []byte
	mu     sync.Mutex
	seen   map[netip.Addr]int // probes per destination
	sent   atomic.Int64
	closed atomic.Bool
	dl     atomic.Value
}

func newWire(me netip.Addr) *wire {
	w := &wire{me: me, open: map[netip.AddrPort]bool{}, filter: map[uint16]bool{}, in: make(chan []byte, 1<<16), seen: map[netip.Addr]int{}}
	w.dl.Store(time.Time{})
	return w
}

var mac1, mac2 = net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}

func (w *wire) Send(f []byte) error {
	w.sent.Add(1)
	p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if ip == nil {
		return nil
	}
	dst, _ := netip.AddrFromSlice(ip.DstIP)
	w.mu.Lock()
	w.seen[dst]++
	w.mu.Unlock()
	b := rawsock.NewBuilder()
	back := rawsock.Path{SrcMAC: mac2, DstMAC: mac1, Src: dst, Dst: w.me}
	var reply []byte
	switch {
	case p.Layer(layers.LayerTypeTCP) != nil:
		tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if w.lose != nil && w.lose(uint16(tcp.SrcPort), uint16(tcp.DstPort)) || w.filter[uint16(tcp.DstPort)] {
			return nil
		}
		if w.open[netip.AddrPortFrom(dst, uint16(tcp.DstPort))] {
			reply, _ = b.TCP(back, uint16(tcp.DstPort), uint16(tcp.SrcPort), 1000, tcp.Seq+1, rawsock.SYN|rawsock.ACK)
		} else {
			reply, _ = b.TCP(back, uint16(tcp.DstPort), uint16(tcp.SrcPort), 0, tcp.Seq+1, rawsock.RST|rawsock.ACK)
		}
	case p.Layer(layers.LayerTypeUDP) != nil:
		udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if w.open[netip.AddrPortFrom(dst, uint16(udp.DstPort))] {
			reply, _ = b.UDP(back, uint16(udp.DstPort), uint16(udp.SrcPort), []byte("answer"))
		} else {
			// ICMP port unreachable quoting the probe (RFC 792).
			quote := f[14 : 14+28]
			reply = icmpUnreach(back, quote)
		}
	}
	if reply != nil {
		w.in <- append([]byte(nil), reply...)
	}
	return nil
}

func icmpUnreach(back rawsock.Path, quote []byte) []byte {
	buf := gopacket.NewSerializeBuffer()
	s, d := back.Src.As4(), back.Dst.As4()
	gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: back.SrcMAC, DstMAC: back.DstMAC, EthernetType: layers.EthernetTypeIPv4},
		&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: s[:], DstIP: d[:]},
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)},
		gopacket.Payload(quote))
	return buf.Bytes()
}

func (w *wire) Recv(buf []byte) (int, error) {
	if w.closed.Load() {
		return 0, net.ErrClosed
	}
	dl := w.dl.Load().(time.Time)
	var timeout <-chan time.Time
	if !dl.IsZero() {
		timeout = time.After(time.Until(dl))
	}
	select {
	case f := <-w.in:
		return copy(buf, f), nil
	case <-timeout:
		return 0, os.ErrDeadlineExceeded
	}
}

func (w *wire) SetReadDeadline(t time.Time) error { w.dl.Store(t); return nil }
func (w *wire) Close() error                      { w.closed.Store(true); return nil }

func testNet(w *wire) Net {
	return Net{
		Conn:   w,
		Link:   rawsock.Link{Name: "sim0", MAC: mac1, Prefixes: []netip.Prefix{netip.PrefixFrom(w.me, 24)}},
		MACFor: func(netip.Addr) (net.HardwareAddr, bool) { return mac2, true },
	}
}

func TestScanFindsPortsThroughLoss(t *testing.T) {
	me := netip.MustParseAddr("10.1.0.2")
	w := newWire(me)
	set, err := targets.Parse(context.Background(), "10.2.0.0/26,10.3.0.1", targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < set.Len(); i += 3 {
		w.open[netip.AddrPortFrom(set.At(i), 22)] = true
		w.open[netip.AddrPortFrom(set.At(i), uint16(1000+i))] = true
		w.open[netip.AddrPortFrom(set.At(i), 161)] = true
	}
	w.filter[25] = true
	// The first transmission of every probe to an even port is lost.
	var base atomic.Int32
	base.Store(-1)
	w.lose = func(sport, dport uint16) bool {
		base.CompareAndSwap(-1, int32(sport))
		return int32(sport) == base.Load() && dport%2 == 0
	}
	ports, _ := targets.ParsePorts("20-30,1000-1070,U:161,162")
	hosts := List{}
	for i := uint64(0); i < set.Len(); i++ {
		hosts = append(hosts, set.At(i))
	}
	var st Stats
	found, err := Scan(context.Background(), testNet(w), hosts, ports, Options{Rate: 50000, Retries: 2, Key: [16]byte{3}, Guard: set.MaySend, Stats: &st, KeepAll: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[netip.AddrPort]result.Port{}
	for _, f := range found {
		for _, p := range f.Ports {
			got[netip.AddrPortFrom(f.Addr, p.Port)] = p
		}
	}
	for ap := range w.open {
		if p, ok := got[ap]; !ok || p.State != result.Open {
			if ap.Port() <= 1070 || ap.Port() == 161 {
				t.Errorf("%s: %+v, want open", ap, p)
			}
		}
	}
	for _, h := range hosts {
		if p := got[netip.AddrPortFrom(h, 24)]; p.State != result.Closed || p.Reason != result.ReasonRST {
			t.Errorf("%s:24 %+v, want closed by reset", h, p)
		}
		if p, ok := got[netip.AddrPortFrom(h, 25)]; ok {
			t.Errorf("%s:25 %+v, want no answer (filtered)", h, p)
		}
		if p := got[netip.AddrPortFrom(h, 162)]; p.Proto != result.UDP || p.State != result.Closed {
			t.Errorf("%s:162/udp %+v, want closed (port unreachable)", h, p)
		}
	}
	// Filtered ports get every retransmission, answered ones none.
	probes := uint64(len(hosts) * ports.Len())
	if s := st.Sent.Load(); s < probes+uint64(len(hosts))*2 || s > probes*2 {
		t.Errorf("%d frames for %d probes", s, probes)
	}
	if st.Refused.Load() != 0 {
		t.Errorf("guard refused %d", st.Refused.Load())
	}
}

func TestGuardStopsFrames(t *testing.T) {
	w := newWire(netip.MustParseAddr("10.1.0.2"))
	hosts := List{netip.MustParseAddr("10.2.0.1"), netip.MustParseAddr("10.2.0.2")}
	var st Stats
	_, err := Scan(context.Background(), testNet(w), hosts, targets.Ports{TCP: []uint16{80}}, Options{Key: [16]byte{1},
		Guard: func(a netip.Addr) bool { return a == hosts[0] }, Stats: &st})
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[hosts[1]] != 0 || w.seen[hosts[0]] == 0 || st.Refused.Load() == 0 {
		t.Errorf("frames per host %v, refused %d: the guard must stop every frame to %s", w.seen, st.Refused.Load(), hosts[1])
	}
}

func TestCancelStopsAtOnce(t *testing.T) {
	me := netip.MustParseAddr("10.1.0.2")
	w := newWire(me)
	set, _ := targets.Parse(context.Background(), "10.2.0.0/16", targets.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	found, err := Scan(ctx, testNet(w), set, targets.Ports{TCP: []uint16{80, 443}}, Options{Rate: 5000, Key: [16]byte{1}, Guard: set.MaySend})
	took := time.Since(start)
	if err != context.Canceled {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if took > time.Second {
		t.Errorf("took %v after a cancel at 300ms", took)
	}
	if len(found) == 0 || w.sent.Load() > 5000 {
		t.Errorf("%d hosts found, %d frames sent: want the answers so far of a rate-capped partial run", len(found), w.sent.Load())
	}
}
