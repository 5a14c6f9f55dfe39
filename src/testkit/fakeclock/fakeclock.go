// Package fakeclock is the fake clock.Clock tests share: its time moves
// only when the test says so, and the test can see which timers the code
// under test waits on. It is test-only.
//
// Timers fire into a one-slot channel, as time.Timer's do. Ticks are
// handed over synchronously: Advance returns only once the code under test
// took every tick due (or stopped its ticker), so a test that advances the
// clock n periods knows the code saw n ticks.
package fakeclock

import (
	"slices"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/base/clock"
)

// Guard bounds every wait of the fake on the code under test; a passing
// test never reaches it.
const Guard = 10 * time.Second

// Clock is a fake clock.Clock.
type Clock struct {
	t     testing.TB
	start time.Time

	mu      sync.Mutex
	now     time.Time
	timers  []*timer // armed, in arming order
	tickers []*ticker
	armed   chan struct{} // closed and replaced when a timer is armed
}

// New returns a clock at start. Failures of its waits fail t.
func New(t testing.TB, start time.Time) *Clock {
	return &Clock{t: t, start: start, now: start, armed: make(chan struct{})}
}

var _ clock.Clock = (*Clock)(nil)

type timer struct {
	c  *Clock
	at time.Time
	ch chan time.Time
}

type ticker struct {
	c      *Clock
	period time.Duration
	next   time.Time
	ch     chan time.Time
	stop   chan struct{}
}

// Now implements clock.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Elapsed is how far the clock moved since New.
func (c *Clock) Elapsed() time.Duration { return c.Now().Sub(c.start) }

// NewTimer implements clock.Clock. A timer of d <= 0 fires at once.
func (c *Clock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	close(c.armed)
	c.armed = make(chan struct{})
	return t
}

// After implements clock.Clock.
func (c *Clock) After(d time.Duration) <-chan time.Time { return c.NewTimer(d).C() }

// NewTicker implements clock.Clock.
func (c *Clock) NewTicker(d time.Duration) clock.Ticker {
	if d <= 0 {
		panic("fakeclock: non-positive ticker period")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	tk := &ticker{c: c, period: d, next: c.now.Add(d), ch: make(chan time.Time), stop: make(chan struct{})}
	c.tickers = append(c.tickers, tk)
	return tk
}

func (t *timer) C() <-chan time.Time { return t.ch }

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	i := slices.Index(t.c.timers, t)
	if i < 0 {
		return false
	}
	t.c.timers = slices.Delete(t.c.timers, i, i+1)
	return true
}

func (t *ticker) C() <-chan time.Time { return t.ch }

func (t *ticker) Stop() {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if i := slices.Index(t.c.tickers, t); i >= 0 {
		t.c.tickers = slices.Delete(t.c.tickers, i, i+1)
		close(t.stop)
	}
}

// Pending returns how long from now each armed timer has left, soonest
// first (tickers are not listed).
func (c *Clock) Pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Duration, len(c.timers))
	for i, t := range c.timers {
		out[i] = t.at.Sub(c.now)
	}
	slices.Sort(out)
	return out
}

// WaitTimers waits until at least n timers are armed (the code under test
// arms a timer when it is about to block on it) and returns Pending.
func (c *Clock) WaitTimers(n int) []time.Duration {
	c.t.Helper()
	deadline := time.After(Guard)
	for {
		c.mu.Lock()
		armed, ch := len(c.timers), c.armed
		c.mu.Unlock()
		if armed >= n {
			return c.Pending()
		}
		select {
		case <-ch:
		case <-deadline:
			c.t.Fatalf("fakeclock: %d timers armed after %v, want %d", armed, Guard, n)
			return nil
		}
	}
}

// Fire waits for a timer to be armed, moves the clock to the soonest
// one's deadline (if it is ahead) and fires that timer only. It returns
// Elapsed.
func (c *Clock) Fire() time.Duration {
	c.t.Helper()
	c.WaitTimers(1)
	c.mu.Lock()
	i := 0
	for j, t := range c.timers {
		if t.at.Before(c.timers[i].at) {
			i = j
		}
	}
	t := c.timers[i]
	c.timers = slices.Delete(c.timers, i, i+1)
	if t.at.After(c.now) {
		c.now = t.at
	}
	t.ch <- c.now
	c.mu.Unlock()
	return c.Elapsed()
}

// Advance moves the clock by d, firing every timer that comes due and
// handing every tick that comes due to its ticker's receiver, in time
// order.
func (c *Clock) Advance(d time.Duration) {
	c.t.Helper()
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		// The next event due by end, a timer or a tick; timers first on
		// a tie.
		var tm *timer
		var tk *ticker
		var at time.Time
		for _, t := range c.timers {
			if !t.at.After(end) && (tm == nil || t.at.Before(at)) {
				tm, at = t, t.at
			}
		}
		for _, k := range c.tickers {
			if !k.next.After(end) && (tm == nil && tk == nil || k.next.Before(at)) {
				tm, tk, at = nil, k, k.next
			}
		}
		if tm == nil && tk == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		if at.After(c.now) {
			c.now = at
		}
		if tm != nil {
			i := slices.Index(c.timers, tm)
			c.timers = slices.Delete(c.timers, i, i+1)
			tm.ch <- c.now
			c.mu.Unlock()
			continue
		}
		tk.next = tk.next.Add(tk.period)
		now := c.now
		c.mu.Unlock()
		select {
		case tk.ch <- now:
		case <-tk.stop:
		case <-time.After(Guard):
			c.t.Fatalf("fakeclock: a tick at %v was not taken within %v", now.Sub(c.start), Guard)
		}
	}
}
