package portscan

import (
	"net/netip"
	"sync"
	"time"
)

// rateControl paces the sender: a global bucket at the job's cap and, per
// target network (an IPv4 /24 or an IPv6 /64), a rate that starts at the
// cap and adapts as TCP's congestion control does: it is cut by a third
// when the network shows loss (a probe answered only on a retransmission,
// or a round trip that grew to many times the smallest seen: queues
// filling), at most once per round trip, and grows back additively while
// the answers come without loss. It never goes above the cap or below
// minRate.
type rateControl struct {
	mu     sync.Mutex
	cap    float64
	min    float64
	nets   map[netip.Prefix]*netRate
	global bucket
}

type netRate struct {
	rate     float64
	b        bucket
	srtt     time.Duration
	rttvar   time.Duration
	minRTT   time.Duration
	lastCut  time.Time
	lastGrow time.Time
	losses   int
	answers  int
	cuts     int
}

// bucket is a token bucket: tokens accrue at rate per second up to burst.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) take(now time.Time, rate, burst float64) (wait time.Duration) {
	if b.last.IsZero() {
		b.last, b.tokens = now, burst
	}
	b.tokens += now.Sub(b.last).Seconds() * rate
	b.last = now
	if b.tokens > burst {
		b.tokens = burst
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

const minRate = 50

func newRateControl(capPPS int) *rateControl {
	c := float64(capPPS)
	m := float64(minRate)
	if m > c {
		m = c
	}
	return &rateControl{cap: c, min: m, nets: map[netip.Prefix]*netRate{}}
}

// netOf is the network a target belongs to for rate control.
func netOf(a netip.Addr) netip.Prefix {
	if a.Is4() {
		p, _ := a.Prefix(24)
		return p
	}
	p, _ := a.Prefix(64)
	return p
}

func (c *rateControl) net(p netip.Prefix) *netRate {
	n := c.nets[p]
	if n == nil {
		n = &netRate{rate: c.cap}
		c.nets[p] = n
	}
	return n
}

// burst lets a bucket send a few milliseconds' worth at once, so the
// sender sleeps once per batch rather than once per probe.
func burst(rate float64) float64 {
	b := rate * 0.004
	if b < 1 {
		b = 1
	}
	return b
}

// wait reserves one probe to dst and returns how long to wait first (0:
// send now). A positive wait reserves nothing: ask again after it.
func (c *rateControl) wait(now time.Time, dst netip.Addr) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.net(netOf(dst))
	if n.b.last.IsZero() {
		n.b.last, n.b.tokens = now, burst(n.rate)
	}
	// Check the network's bucket without taking, then the global one.
	n.b.tokens += now.Sub(n.b.last).Seconds() * n.rate
	n.b.last = now
	if nb := burst(n.rate); n.b.tokens > nb {
		n.b.tokens = nb
	}
	if n.b.tokens < 1 {
		return time.Duration((1 - n.b.tokens) / n.rate * float64(time.Second))
	}
	if w := c.global.take(now, c.cap, burst(c.cap)); w > 0 {
		return w
	}
	n.b.tokens--
	return 0
}

// rtt records a round-trip sample of an answer from dst.
func (c *rateControl) rtt(now time.Time, dst netip.Addr, sample time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.net(netOf(dst))
	n.answers++
	if n.srtt == 0 {
		n.srtt, n.rttvar, n.minRTT = sample, sample/2, sample
	} else {
		d := n.srtt - sample
		if d < 0 {
			d = -d
		}
		n.rttvar = (3*n.rttvar + d) / 4
		n.srtt = (7*n.srtt + sample) / 8
		if sample < n.minRTT {
			n.minRTT = sample
		}
	}
	if sample > 8*n.minRTT && sample > n.minRTT+20*time.Millisecond {
		c.cut(now, n) // queues are filling somewhere on the path
		return
	}
	c.grow(now, n)
}

// answered records an answer from dst without a round-trip sample, and
// whether it answered a retransmission (the earlier probe or its answer
// was lost).
func (c *rateControl) answered(now time.Time, dst netip.Addr, retransmitted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.net(netOf(dst))
	n.answers++
	if retransmitted {
		n.losses++
		c.cut(now, n)
		return
	}
	c.grow(now, n)
}

// drops records frames the kernel dropped before the receiver read them:
// every network is sent slower.
func (c *rateControl) drops(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nets {
		c.cut(now, n)
	}
}

func (n *netRate) window() time.Duration {
	w := n.srtt + 4*n.rttvar
	if w < 10*time.Millisecond {
		w = 10 * time.Millisecond
	}
	return w
}

func (c *rateControl) cut(now time.Time, n *netRate) {
	if now.Sub(n.lastCut) < n.window() {
		return // one cut per round trip, as TCP's fast recovery
	}
	n.lastCut = now
	n.cuts++
	n.rate *= 2.0 / 3
	if n.rate < c.min {
		n.rate = c.min
	}
}

func (c *rateControl) grow(now time.Time, n *netRate) {
	if now.Sub(n.lastGrow) < n.window() || now.Sub(n.lastCut) < n.window() {
		return
	}
	n.lastGrow = now
	n.rate += c.cap / 20
	if n.rate > c.cap {
		n.rate = c.cap
	}
}

// timeout is how long to wait for the last answers of a pass: the largest
// retransmission timeout (srtt + 4 rttvar) of the networks, bounded.
func (c *rateControl) timeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var t time.Duration
	seen := false
	for _, n := range c.nets {
		if n.srtt == 0 {
			continue
		}
		seen = true
		if w := 2*n.srtt + 4*n.rttvar; w > t {
			t = w
		}
	}
	if !seen {
		return 500 * time.Millisecond
	}
	return min(max(t, 100*time.Millisecond), 1500*time.Millisecond)
}

// rateOf is the current rate toward dst's network (tests, stats).
func (c *rateControl) rateOf(dst netip.Addr) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.net(netOf(dst)).rate
}
