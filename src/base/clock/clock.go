// Package clock is the one source of time of the box's code: the DHCP
// clients' lease timers, the init's supervisor backoff, the platform link's
// poll waits and the front panel's key sampling all take a Clock, so tests
// drive them with the fake one (src/testkit/fakeclock) instead of
// sleeping. System is the real clock.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	// Now is time.Now.
	Now() time.Time
	// NewTimer is time.NewTimer.
	NewTimer(d time.Duration) Timer
	// After is time.After: a channel that receives once, after d.
	After(d time.Duration) <-chan time.Time
	// NewTicker is time.NewTicker; d must be positive.
	NewTicker(d time.Duration) Ticker
}

// Timer is a one-shot timer of a Clock.
type Timer interface {
	// C receives the time once the timer fires.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
}

// Ticker ticks every period until stopped; like time.Ticker it drops ticks
// for a slow receiver.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// System is the wall clock of the running system.
type System struct{}

// Now implements Clock.
func (System) Now() time.Time { return time.Now() }

// NewTimer implements Clock.
func (System) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

// After implements Clock.
func (System) After(d time.Duration) <-chan time.Time { return time.After(d) }

// NewTicker implements Clock.
func (System) NewTicker(d time.Duration) Ticker { return sysTicker{time.NewTicker(d)} }

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time { return s.t.C }
func (s sysTimer) Stop() bool          { return s.t.Stop() }

type sysTicker struct{ t *time.Ticker }

func (s sysTicker) C() <-chan time.Time { return s.t.C }
func (s sysTicker) Stop()               { s.t.Stop() }

// Sleep waits d on c, or until ctx is done; it returns ctx's error then.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
