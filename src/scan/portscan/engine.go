package portscan

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/scan/rawsock"
	"picket.dev/picket/src/scan/targets"
)

// ProbeKind is what a probe is.
type ProbeKind uint8

// The probes the engine sends.
const (
	ProbeSYN       ProbeKind = iota + 1 // TCP SYN to Port
	ProbeACK                            // TCP ACK to Port (a ping: any RST shows the host)
	ProbeUDP                            // UDP to Port with Payloads
	ProbeEcho                           // ICMP / ICMPv6 echo request
	ProbeTimestamp                      // ICMP timestamp request (IPv4 only)
	ProbeARP                            // ARP request (on-link IPv4)
	ProbeNS                             // NDP neighbour solicitation (on-link IPv6)
)

// Probe is one probe the engine sends to every host.
type Probe struct {
	Kind ProbeKind
	Port uint16
	// Payloads of a UDP probe: pass p sends Payloads[p % len] (SNMP v2c
	// first, then v1 on the retransmission).
	Payloads [][]byte
}

// Hosts is an indexed set of addresses: targets.Set, or the hosts a
// discovery found up.
type Hosts interface {
	Len() uint64
	At(i uint64) netip.Addr
	Index(a netip.Addr) (uint64, bool)
}

// List is Hosts over a sorted slice of addresses without duplicates.
type List []netip.Addr

func (l List) Len() uint64            { return uint64(len(l)) }
func (l List) At(i uint64) netip.Addr { return l[i] }
func (l List) Index(a netip.Addr) (uint64, bool) {
	lo, hi := 0, len(l)
	for lo < hi {
		m := (lo + hi) / 2
		if l[m].Less(a) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(l) && l[lo] == a {
		return uint64(lo), true
	}
	return 0, false
}

// Net is how frames reach the targets: the raw socket and what the
// sender needs to address frames.
type Net struct {
	Conn rawsock.Conn
	Link rawsock.Link
	// MACFor returns the Ethernet destination of a frame to dst: the
	// gateway's MAC for a routed target, the host's own for an on-link
	// one (false: no way to reach it; the probe is not sent).
	MACFor func(dst netip.Addr) (net.HardwareAddr, bool)
	// OnLink says whether dst is on the interface's segment: only those
	// get ARP requests and neighbour solicitations.
	OnLink func(dst netip.Addr) bool
	// Drops, if set, returns frames the kernel dropped for the receiver
	// since the last call (rawsock.Socket.Drops).
	Drops func() uint32
}

// Options are a run's settings.
type Options struct {
	// Rate is the job's cap in probes per second (default 10000).
	Rate int
	// Retries is how many times an unanswered probe is sent again (at
	// most 6).
	Retries int
	// Key is the job's secret for cookies and the permutation.
	Key [16]byte
	// Guard is asked before every frame: false and the frame is not sent.
	// Set it to targets.Set.MaySend.
	Guard func(netip.Addr) bool
	// Clock paces the sender (default the system clock).
	Clock clock.Clock
	// HostLevel: one answer of any probe settles the host (discovery).
	HostLevel bool
	// KeepAll keeps every answered port in Found.Ports (Scan), not only
	// the open ones.
	KeepAll bool
	// Stats, if set, is updated as the run goes.
	Stats *Stats
}

// Stats count what a run did.
type Stats struct {
	Sent       atomic.Uint64 // frames sent
	Answers    atomic.Uint64 // answers matched to a probe
	Refused    atomic.Uint64 // frames the Guard refused (must stay 0)
	Unroutable atomic.Uint64 // probes without a next-hop MAC
}

// Answer is an answer matched to a probe of the run.
type Answer struct {
	Host  uint64 // index in Hosts
	Addr  netip.Addr
	Probe int // index in the probes
	Pass  int // the pass whose probe it answered
	Reply *rawsock.Reply
	RTT   time.Duration // 0 when not measured
}

// maxPasses bounds the retransmissions: the source port carries the pass.
const maxPasses = 7

// engine is one stateless run: a sender walking a keyed permutation of
// hosts x probes, and a receiver matching answers by their cookies.
type engine struct {
	nw      Net
	opt     Options
	hosts   Hosts
	probes  []Probe
	nh      uint64
	total   uint64
	cookies cookies
	base    uint16 // source port of pass 0
	icmpID  uint16
	src4    netip.Addr
	src6    netip.Addr
	src6ll  netip.Addr
	rc      *rateControl
	start   time.Time
	// answered has one bit per (probe, host), index probe*nh + host;
	// hostDone one bit per host (HostLevel).
	answered []atomic.Uint64
	hostDone []atomic.Uint64
	byPort   map[uint32]int // proto<<16|port -> probe index
	samples  [1024]atomic.Uint64
	onAnswer func(Answer)
}

func setBit(b []atomic.Uint64, i uint64) bool {
	w, m := &b[i/64], uint64(1)<<(i%64)
	return w.Or(m)&m == 0
}

func getBit(b []atomic.Uint64, i uint64) bool { return b[i/64].Load()&(1<<(i%64)) != 0 }

// Run sends every probe to every host, retransmits the unanswered ones
// and calls onAnswer (from one goroutine) for each first answer to a
// probe. It returns when every pass is done and its answers had time to
// come, or at once when ctx is cancelled (with ctx's error: what was
// answered so far has been reported).
func Run(ctx context.Context, nw Net, hosts Hosts, probes []Probe, opt Options, onAnswer func(Answer)) error {
	if opt.Rate <= 0 {
		opt.Rate = 10000
	}
	if opt.Retries < 0 {
		opt.Retries = 0
	}
	if opt.Retries > maxPasses-1 {
		opt.Retries = maxPasses - 1
	}
	if opt.Clock == nil {
		opt.Clock = clock.System{}
	}
	if opt.Guard == nil {
		return errors.New("portscan: no guard: every run must check its targets")
	}
	if opt.Stats == nil {
		opt.Stats = &Stats{}
	}
	nh := hosts.Len()
	if nh == 0 || len(probes) == 0 {
		return nil
	}
	total := nh * uint64(len(probes))
	if total/uint64(len(probes)) != nh || total > 1<<40 {
		return fmt.Errorf("portscan: %d hosts x %d probes is too many", nh, len(probes))
	}
	e := &engine{
		nw: nw, opt: opt, hosts: hosts, probes: probes, nh: nh, total: total,
		cookies: newCookies(opt.Key), rc: newRateControl(opt.Rate),
		answered: make([]atomic.Uint64, (total+63)/64),
		byPort:   map[uint32]int{}, onAnswer: onAnswer,
	}
	if opt.HostLevel {
		e.hostDone = make([]atomic.Uint64, (nh+63)/64)
	}
	// Source ports and the ICMP identifier come from the key: another
	// job's answers do not match ours.
	k := e.cookies.tuple(netip.IPv6Unspecified(), netip.IPv6Unspecified(), 0, 0)
	e.base = 40000 + uint16(k%20000)
	e.icmpID = uint16(k >> 32)
	for i, p := range probes {
		switch p.Kind {
		case ProbeSYN, ProbeACK:
			e.byPort[6<<16|uint32(p.Port)] = i
		case ProbeUDP:
			e.byPort[17<<16|uint32(p.Port)] = i
		}
	}
	for _, p := range nw.Link.Prefixes {
		a := p.Addr()
		switch {
		case a.Is4() && !e.src4.IsValid():
			e.src4 = a
		case a.Is6() && a.IsLinkLocalUnicast() && !e.src6ll.IsValid():
			e.src6ll = a
		case a.Is6() && !a.IsLinkLocalUnicast() && !e.src6.IsValid():
			e.src6 = a
		}
	}
	if !e.src6.IsValid() {
		e.src6 = e.src6ll
	}
	e.start = opt.Clock.Now()

	rctx, stopRecv := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); e.receive(rctx) }()
	err := e.send(ctx)
	stopRecv()
	wg.Wait()
	if err == nil {
		err = ctx.Err()
	}
	return err
}

func (e *engine) source(dst netip.Addr) netip.Addr {
	if dst.Is4() {
		return e.src4
	}
	if dst.IsLinkLocalUnicast() {
		return e.src6ll
	}
	return e.src6
}

func (e *engine) done(host, probe uint64) bool {
	if e.hostDone != nil && getBit(e.hostDone, host) {
		return true
	}
	return getBit(e.answered, probe*e.nh+host)
}

// send runs the passes. Pass p walks the permutation and sends each
// probe not yet answered, then waits a retransmission timeout for the
// answers in flight.
func (e *engine) send(ctx context.Context) error {
	b := rawsock.NewBuilder()
	perm := targets.NewPerm(e.total, e.opt.Key)
	lastDrops := time.Time{}
	for pass := 0; pass <= e.opt.Retries; pass++ {
		left := 0
		for i := uint64(0); i < e.total; i++ {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				if e.nw.Drops != nil && e.opt.Clock.Now().Sub(lastDrops) > 50*time.Millisecond {
					lastDrops = e.opt.Clock.Now()
					if e.nw.Drops() > 0 {
						e.rc.drops(lastDrops)
					}
				}
			}
			x := perm.At(i)
			host, probe := x%e.nh, x/e.nh
			if e.done(host, probe) {
				continue
			}
			left++
			dst := e.hosts.At(host)
			if !e.opt.Guard(dst) {
				e.opt.Stats.Refused.Add(1)
				continue
			}
			if err := e.pace(ctx, dst); err != nil {
				return err
			}
			frame, err := e.frame(b, dst, host, int(probe), pass)
			if err != nil {
				return err
			}
			if frame == nil {
				e.opt.Stats.Unroutable.Add(1)
				continue
			}
			if err := e.nw.Conn.Send(frame); err != nil {
				return err
			}
			e.opt.Stats.Sent.Add(1)
		}
		if left == 0 {
			break
		}
		// Wait for the answers in flight; stop early when all came.
		end := e.opt.Clock.Now().Add(e.rc.timeout())
		for e.opt.Clock.Now().Before(end) {
			if err := clock.Sleep(ctx, e.opt.Clock, 10*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *engine) pace(ctx context.Context, dst netip.Addr) error {
	for {
		w := e.rc.wait(e.opt.Clock.Now(), dst)
		if w == 0 {
			return nil
		}
		if w < 200*time.Microsecond {
			w = 200 * time.Microsecond
		}
		if err := clock.Sleep(ctx, e.opt.Clock, w); err != nil {
			return err
		}
	}
}

// sampleSlot and the samples table keep the send time of probes, so
// that answers without a timestamp of their own (TCP, UDP) give round
// trips: each probe overwrites its slot, an answer finds its probe's
// time if no other probe took the slot since.
func sampleKey(host, probe uint64, pass int) uint64 {
	return (host*131 + probe*7919 + uint64(pass)) & 0xffffff
}

func (e *engine) stamp(host, probe uint64, pass int) {
	k := sampleKey(host, probe, pass)
	us := uint64(e.opt.Clock.Now().Sub(e.start) / time.Microsecond)
	e.samples[k%uint64(len(e.samples))].Store(k<<40 | us&(1<<40-1))
}

func (e *engine) sampled(host, probe uint64, pass int, now time.Time) time.Duration {
	k := sampleKey(host, probe, pass)
	v := e.samples[k%uint64(len(e.samples))].Load()
	if v>>40 != k {
		return 0
	}
	sent := e.start.Add(time.Duration(v&(1<<40-1)) * time.Microsecond)
	d := now.Sub(sent)
	if d <= 0 {
		return time.Microsecond
	}
	return d
}

// frame builds the probe's frame, nil when dst has no next hop.
func (e *engine) frame(b *rawsock.Builder, dst netip.Addr, host uint64, probe, pass int) ([]byte, error) {
	p := e.probes[probe]
	src := e.source(dst)
	if !src.IsValid() {
		return nil, nil
	}
	switch p.Kind {
	case ProbeARP:
		if !dst.Is4() || e.nw.OnLink == nil || !e.nw.OnLink(dst) {
			return nil, nil
		}
		return b.ARPRequest(e.nw.Link.MAC, src, dst)
	case ProbeNS:
		if !dst.Is6() || e.nw.OnLink == nil || !e.nw.OnLink(dst) || !e.src6ll.IsValid() {
			return nil, nil
		}
		return b.NeighborSolicit(e.nw.Link.MAC, e.src6ll, dst)
	}
	mac, ok := e.nw.MACFor(dst)
	if !ok {
		return nil, nil
	}
	path := rawsock.Path{SrcMAC: e.nw.Link.MAC, DstMAC: mac, Src: src, Dst: dst}
	sport := e.base + uint16(pass)
	e.stamp(host, uint64(probe), pass)
	switch p.Kind {
	case ProbeSYN:
		return b.TCP(path, sport, p.Port, e.cookies.seq(src, dst, sport, p.Port), 0, rawsock.SYN)
	case ProbeACK:
		c := e.cookies.seq(src, dst, sport, p.Port)
		return b.TCP(path, sport, p.Port, c^0x5a5a5a5a, c, rawsock.ACK)
	case ProbeUDP:
		var pl []byte
		if len(p.Payloads) > 0 {
			pl = p.Payloads[pass%len(p.Payloads)]
		}
		return b.UDP(path, sport, p.Port, pl)
	case ProbeEcho:
		var ts [8]byte
		binary.BigEndian.PutUint64(ts[:], uint64(e.opt.Clock.Now().Sub(e.start)))
		return b.Echo(path, e.icmpID, e.echoSeq(dst, pass), ts[:])
	case ProbeTimestamp:
		if !dst.Is4() {
			return nil, nil
		}
		now := e.opt.Clock.Now().UTC()
		ms := uint32(now.Sub(now.Truncate(24*time.Hour)) / time.Millisecond)
		return b.Timestamp(path, e.icmpID, e.echoSeq(dst, pass)^0x8000, ms)
	}
	return nil, fmt.Errorf("portscan: unknown probe kind %d", p.Kind)
}

// echoSeq is the ICMP sequence number of an echo to dst in pass: the
// pass in the low 3 bits, the cookie above.
func (e *engine) echoSeq(dst netip.Addr, pass int) uint16 {
	c := uint16(e.cookies.tuple(e.source(dst), dst, 0, 0) >> 16)
	return c&^0x8007 | uint16(pass)
}

// receive matches frames to probes until ctx ends.
func (e *engine) receive(ctx context.Context) {
	ps := rawsock.NewParser()
	buf := make([]byte, 65536)
	var r rawsock.Reply
	for ctx.Err() == nil {
		_ = e.nw.Conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		n, err := e.nw.Conn.Recv(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if !ps.Parse(buf[:n], &r) {
			continue
		}
		e.match(&r)
	}
}

// match finds the probe r answers; it reports it once.
func (e *engine) match(r *rawsock.Reply) {
	var addr netip.Addr
	probe, pass := -1, 0
	inPass := func(port uint16) (int, bool) {
		p := int(port) - int(e.base)
		return p, p >= 0 && p <= e.opt.Retries
	}
	switch r.Kind {
	case rawsock.KindARPReply, rawsock.KindNeighborAdv:
		want := ProbeARP
		if r.Kind == rawsock.KindNeighborAdv {
			want = ProbeNS
		}
		for i, p := range e.probes {
			if p.Kind == want {
				probe = i
			}
		}
		addr = r.Src
	case rawsock.KindTCP:
		i, ok := e.byPort[6<<16|uint32(r.SrcPort)]
		if !ok || r.Dst != e.source(r.Src) {
			return
		}
		if pass, ok = inPass(r.DstPort); !ok {
			return
		}
		c := e.cookies.seq(r.Dst, r.Src, r.DstPort, r.SrcPort)
		switch e.probes[i].Kind {
		case ProbeSYN:
			if r.Flags&rawsock.ACK == 0 || r.Ack != c+1 || r.Flags&(rawsock.SYN|rawsock.RST) == 0 {
				return
			}
		case ProbeACK:
			if r.Flags&rawsock.RST == 0 || r.Seq != c {
				return
			}
		}
		probe, addr = i, r.Src
	case rawsock.KindUDP:
		i, ok := e.byPort[17<<16|uint32(r.SrcPort)]
		if !ok || r.Dst != e.source(r.Src) {
			return
		}
		if pass, ok = inPass(r.DstPort); !ok {
			return
		}
		probe, addr = i, r.Src
	case rawsock.KindEchoReply, rawsock.KindTimestamp:
		want := ProbeEcho
		if r.Kind == rawsock.KindTimestamp {
			want = ProbeTimestamp
		}
		if r.ID != e.icmpID {
			return
		}
		pass = int(r.EchoSeq & 7)
		s := e.echoSeq(r.Src, pass)
		if want == ProbeTimestamp {
			s ^= 0x8000
		}
		if r.EchoSeq != s {
			return
		}
		for i, p := range e.probes {
			if p.Kind == want {
				probe = i
			}
		}
		addr = r.Src
	case rawsock.KindUnreachable:
		o := r.Orig
		addr = o.Dst
		if o.Src != e.source(o.Dst) {
			return
		}
		switch o.Proto {
		case 6, 17:
			i, ok := e.byPort[uint32(o.Proto)<<16|uint32(o.DstPort)]
			if !ok {
				return
			}
			if pass, ok = inPass(o.SrcPort); !ok {
				return
			}
			if o.Proto == 6 {
				c := e.cookies.seq(o.Src, o.Dst, o.SrcPort, o.DstPort)
				if e.probes[i].Kind == ProbeSYN && o.Seq != c || e.probes[i].Kind == ProbeACK && o.Seq != c^0x5a5a5a5a {
					return
				}
			}
			probe = i
		case 1, 58:
			if o.ID != e.icmpID {
				return
			}
			pass = int(o.EchoSeq & 7)
			for i, p := range e.probes {
				if p.Kind == ProbeEcho {
					probe = i
				}
			}
		}
	}
	if probe < 0 || !addr.IsValid() {
		return
	}
	host, ok := e.hosts.Index(addr)
	if !ok || !e.opt.Guard(addr) {
		return
	}
	if !setBit(e.answered, uint64(probe)*e.nh+host) {
		return // answered before (a retransmission's answer)
	}
	if e.hostDone != nil && !setBit(e.hostDone, host) {
		return
	}
	now := e.opt.Clock.Now()
	var rtt time.Duration
	if (r.Kind == rawsock.KindEchoReply) && len(r.Payload) >= 8 {
		sent := e.start.Add(time.Duration(binary.BigEndian.Uint64(r.Payload)))
		if d := now.Sub(sent); d > 0 && d < time.Minute {
			rtt = d
		}
	} else {
		rtt = e.sampled(host, uint64(probe), pass, now)
	}
	if rtt > 0 {
		e.rc.rtt(now, addr, rtt)
	} else {
		e.rc.answered(now, addr, pass > 0)
	}
	if pass > 0 && rtt > 0 {
		e.rc.answered(now, addr, true)
	}
	e.opt.Stats.Answers.Add(1)
	e.onAnswer(Answer{Host: host, Addr: addr, Probe: probe, Pass: pass, Reply: r, RTT: rtt})
}
