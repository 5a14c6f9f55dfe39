package pid1

import "time"

// Clock is the time source of the supervisor: backoff delays, the
// stable period before marking the slot good and the stop timeout all go
// through it so tests can drive them without sleeping.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
