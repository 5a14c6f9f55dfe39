package portscan

import (
	"net/netip"
	"testing"
	"time"
)

func TestRatePacesAtCap(t *testing.T) {
	rc := newRateControl(1000)
	now := time.Unix(0, 0)
	dst := netip.MustParseAddr("10.0.0.1")
	sent := 0
	for end := now.Add(2 * time.Second); now.Before(end); {
		if w := rc.wait(now, dst); w > 0 {
			now = now.Add(w)
			continue
		}
		sent++
	}
	// 2 s at 1000/s, plus the first burst (4 ms worth).
	if sent < 1990 || sent > 2010 {
		t.Errorf("sent %d in 2 s at a cap of 1000/s", sent)
	}
}

func TestRateBacksOffOnLossAndRecovers(t *testing.T) {
	rc := newRateControl(10000)
	now := time.Unix(0, 0)
	a := netip.MustParseAddr("10.0.0.1")
	other := netip.MustParseAddr("10.0.1.1")
	rc.rtt(now, a, 2*time.Millisecond) // srtt 2 ms, rttvar 1 ms: window 10 ms
	if r := rc.rateOf(a); r != 10000 {
		t.Fatalf("start rate %v, want the cap", r)
	}
	// Two losses within one round trip: one cut.
	now = now.Add(20 * time.Millisecond)
	rc.answered(now, a, true)
	rc.answered(now.Add(time.Millisecond), a, true)
	if r := rc.rateOf(a); r < 6666 || r > 6667 {
		t.Errorf("after loss in one window: %v, want 2/3 of the cap", r)
	}
	// Loss in every window: down to the floor, never below.
	for i := 0; i < 100; i++ {
		now = now.Add(20 * time.Millisecond)
		rc.answered(now, a, true)
	}
	if r := rc.rateOf(a); r != minRate {
		t.Errorf("after sustained loss: %v, want the floor %d", r, minRate)
	}
	// The other network was not slowed.
	if r := rc.rateOf(other); r != 10000 {
		t.Errorf("another network: %v, want the cap", r)
	}
	// Answers without loss: grows back to the cap, never above.
	for i := 0; i < 100; i++ {
		now = now.Add(20 * time.Millisecond)
		rc.answered(now, a, false)
	}
	if r := rc.rateOf(a); r != 10000 {
		t.Errorf("after recovery: %v, want the cap", r)
	}
	// A round trip many times the smallest: queues filling, a cut.
	now = now.Add(time.Second)
	rc.rtt(now, a, 100*time.Millisecond)
	if r := rc.rateOf(a); r >= 10000 {
		t.Errorf("after a long round trip: %v, want less than the cap", r)
	}
}

func TestRateTimeout(t *testing.T) {
	rc := newRateControl(1000)
	if d := rc.timeout(); d != 500*time.Millisecond {
		t.Errorf("timeout before any sample %v, want 500ms", d)
	}
	rc.rtt(time.Unix(0, 0), netip.MustParseAddr("fd00::1"), 200*time.Millisecond)
	// 2*srtt + 4*rttvar = 400 + 400 ms.
	if d := rc.timeout(); d != 800*time.Millisecond {
		t.Errorf("timeout %v, want 800ms", d)
	}
}

func TestCookies(t *testing.T) {
	c := newCookies([16]byte{1})
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	s := c.seq(a, b, 40000, 80)
	if s != c.seq(a, b, 40000, 80) {
		t.Fatal("not deterministic")
	}
	for _, o := range []uint32{c.seq(b, a, 40000, 80), c.seq(a, b, 40001, 80), c.seq(a, b, 40000, 81), newCookies([16]byte{2}).seq(a, b, 40000, 80)} {
		if o == s {
			t.Errorf("another tuple or key gives the same cookie %08x", s)
		}
	}
}
