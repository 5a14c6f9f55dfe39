package serial

import (
	"context"
	"errors"
	"time"

	"picket.dev/picket/src/base/clock"
)

// Backoff defaults: the first retry comes soon, because a USB adapter that
// is plugged back in enumerates within a second or two; retries then slow
// down so an absent device costs next to nothing.
const (
	DefaultMinDelay = 250 * time.Millisecond
	DefaultMaxDelay = 8 * time.Second
)

// EventKind says what a Reopener did.
type EventKind uint8

const (
	// Opened: the device was opened and set; a session starts.
	Opened EventKind = iota + 1
	// Lost: a session ended with an error; the port was closed and is
	// reopened after Event.Delay.
	Lost
	// OpenFailed: opening failed; it is tried again after Event.Delay.
	OpenFailed
)

func (k EventKind) String() string {
	switch k {
	case Opened:
		return "opened"
	case Lost:
		return "lost"
	case OpenFailed:
		return "open failed"
	}
	return "unknown"
}

// Event is one step of a Reopener, for the daemon's log and for tests.
type Event struct {
	Kind EventKind
	// Path and Settings of the port, for Opened (and Path for Lost).
	Path     string
	Settings Settings
	// Err is why a session ended or an open failed.
	Err error
	// Delay is the wait before the next attempt, for Lost and OpenFailed.
	Delay time.Duration
}

// Reopener keeps a console session running on a serial device that may go
// away and come back. Open and Clock must be set; the rest is optional.
type Reopener struct {
	// Open opens and sets the device. It is called for the first open
	// and for every reopen, so it may also pick a different path.
	Open func() (*Port, error)
	// Clock times the backoff waits, and tells a session that ran long
	// enough to count as healthy, after which the backoff starts again
	// from MinDelay.
	Clock clock.Clock
	// MinDelay and MaxDelay bound the backoff; zero means the default.
	MinDelay, MaxDelay time.Duration
	// Report, if set, is told about every open, loss and failed open.
	Report func(Event)
}

// errConfig reports a Reopener used without its clock or opener.
var errConfig = errors.New("serial: Reopener needs Open and Clock")

// Run opens the device and calls session with it until the session
// returns. A session that returns nil ends Run with nil. A session that
// returns an error (a device gone, or anything else: the console must
// never take the daemon down) gets its port closed, and the device is
// reopened with backoff, for as long as ctx lasts; a failed open is
// retried the same way. When ctx is done the port is closed, which ends a
// Read the session is blocked in, and Run returns ctx.Err().
//
// The session should treat its port as gone once it returns, and start
// afresh on the next one: the terminal may have been swapped.
func (r *Reopener) Run(ctx context.Context, session func(ctx context.Context, p *Port) error) error {
	if r.Open == nil || r.Clock == nil {
		return errConfig
	}
	minDelay, maxDelay := r.MinDelay, r.MaxDelay
	if minDelay <= 0 {
		minDelay = DefaultMinDelay
	}
	if maxDelay < minDelay {
		maxDelay = max(DefaultMaxDelay, minDelay)
	}
	report := func(e Event) {
		if r.Report != nil {
			r.Report(e)
		}
	}
	delay := minDelay
	wait := func() error {
		err := clock.Sleep(ctx, r.Clock, delay)
		delay = min(2*delay, maxDelay)
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := r.Open()
		if err != nil {
			report(Event{Kind: OpenFailed, Err: err, Delay: delay})
			if err := wait(); err != nil {
				return err
			}
			continue
		}
		report(Event{Kind: Opened, Path: p.Path(), Settings: p.Settings()})
		start := r.Clock.Now()
		err = runSession(ctx, p, session)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			return nil
		}
		if r.Clock.Now().Sub(start) >= maxDelay {
			// The line worked for a while: this is a new outage, not
			// the same one flapping.
			delay = minDelay
		}
		report(Event{Kind: Lost, Path: p.Path(), Err: err, Delay: delay})
		if err := wait(); err != nil {
			return err
		}
	}
}

// runSession runs one session on p and closes p afterwards, or as soon as
// ctx is done so that a blocked Read returns.
func runSession(ctx context.Context, p *Port, session func(ctx context.Context, p *Port) error) error {
	stop := context.AfterFunc(ctx, func() { p.Close() })
	defer func() {
		stop()
		p.Close()
	}()
	return session(ctx, p)
}
