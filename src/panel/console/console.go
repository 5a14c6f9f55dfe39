// Package console serves the front-panel menu on a VT100 terminal attached
// to a serial line (or a pty standing in for one): it keeps the line open
// through unplugs, waits for ENTER, shows the box's MAC address, then runs
// the shared panel loop with the VT100 screen as its display and the
// decoded terminal input as its keys.
//
// The input goes through vt100input's Guard: keys reach the menu only from
// clean bursts, and while the line carries noise the console ignores it,
// shows LINE NOISE on the screen, and abandons the procedure on screen, so
// that no REALLY ...? prompt noise walked to can be confirmed afterwards.
package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/loop"
	"picket.dev/picket/src/panel/serial"
	"picket.dev/picket/src/panel/vt100input"
	"picket.dev/picket/src/panel/vt100screen"
)

// NoiseNotice is shown over the screen while line noise is ignored.
const NoiseNotice = "LINE NOISE - input ignored until the line is quiet"

// Console is one serial console. The panel is shared across sessions, so
// the operator comes back to the screen they left after a reconnect.
type Console struct {
	Open func() (*serial.Port, error)
	// Panel returns the panel, waiting until it can be made (the network
	// manager answers) or ctx ends. It is called after the operator's
	// first ENTER: the prompt needs no panel, so it is on the line as
	// soon as the console daemon starts, while the network manager may
	// still be starting beside it.
	Panel func(ctx context.Context) (*loop.Panel, error)
	// Manager is asked for the LAN MAC address shown after ENTER.
	Manager netapi.Manager
	Log     *slog.Logger
	// Clock times the reopen backoff.
	Clock clock.Clock
}

// Run serves the console until ctx ends, reopening the device whenever it
// goes away.
func (c *Console) Run(ctx context.Context) error {
	r := serial.Reopener{
		Open:  c.Open,
		Clock: c.Clock,
		Report: func(e serial.Event) {
			switch e.Kind {
			case serial.Opened:
				c.Log.Info("console opened", "path", e.Path, "line", e.Settings.String())
			default:
				c.Log.Warn("console "+e.Kind.String(), "err", e.Err, "retry_in", e.Delay)
			}
		},
	}
	return r.Run(ctx, c.session)
}

// session runs one terminal connection: ENTER, then the MAC address and
// the panel's screens. It ends with an error when the device goes away.
func (c *Console) session(ctx context.Context, port *serial.Port) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	scr := &screen{scr: vt100screen.New(port, vt100screen.Options{})}
	keyc := make(chan keyevent.Event)
	abandon := make(chan struct{})
	readErr := make(chan error, 1)
	go func() { readErr <- c.readKeys(ctx, port, scr, keyc, abandon) }()

	waitEnter := func() error {
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case err := <-readErr:
				return err
			case <-abandon:
			case ev := <-keyc:
				if ev.Key == keyevent.Enter {
					return nil
				}
			}
		}
	}
	if err := scr.Prompt(); err != nil {
		return fmt.Errorf("console prompt: %w", err)
	}
	if err := waitEnter(); err != nil {
		return err
	}
	// The MAC address goes on the header, and the menu's screen comes
	// straight after: the guide's next key (ENTER with the name and
	// address shown) is the menu's.
	panel, err := c.Panel(ctx)
	if err != nil {
		return fmt.Errorf("console panel: %w", err)
	}
	// From the status the panel has: the MAC address does not change, and
	// a request more would hold the menu back.
	scr.SetMAC("LAN", panel.MAC(netapi.LAN))
	scr.Invalidate()
	runErr := make(chan error, 1)
	go func() { runErr <- loop.Serve(ctx, panel, loop.Inputs{Keys: keyc, Abandon: abandon}, scr) }()
	select {
	case err := <-readErr:
		cancel()
		<-runErr
		return err
	case err := <-runErr:
		return err
	}
}

// screen is the VT100 screen shared by the session (prompts), the panel
// loop (frames) and the reader (the noise notice).
type screen struct {
	mu  sync.Mutex
	scr *vt100screen.Screen
}

func (s *screen) Prompt() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scr.Prompt()
}

func (s *screen) SetMAC(label string, mac net.HardwareAddr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scr.SetMAC(label, mac)
}

func (s *screen) Invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scr.Invalidate()
}

// Draw implements loop.Display.
func (s *screen) Draw(f frame.Frame) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scr.Draw(f)
}

func (s *screen) SetNotice(text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scr.SetNotice(text)
}

// readKeys reads the terminal's bytes through the noise guard and hands
// every key it releases on, in order: a pasted burst blocks the reader
// rather than losing a key. When noise starts it shows the notice and
// sends on abandon; when it ends it clears the notice. It returns when the
// port fails (the device went away) or ctx ends.
func (c *Console) readKeys(ctx context.Context, port *serial.Port, scr *screen, keyc chan<- keyevent.Event, abandon chan<- struct{}) error {
	g := vt100input.NewGuard(vt100input.GuardConfig{Marked: port.Settings().MarksErrors})
	buf := make([]byte, 256)
	send := func(evs []keyevent.Event) error {
		for _, ev := range evs {
			select {
			case keyc <- ev:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	handle := func(r vt100input.Report) error {
		if err := send(r.Keys); err != nil {
			return err
		}
		switch {
		case r.NoiseStarted:
			c.Log.Warn("line noise on the console: input ignored", "why", r.Reason, "keys_dropped", r.Dropped)
			if err := scr.SetNotice(NoiseNotice); err != nil {
				return fmt.Errorf("console notice: %w", err)
			}
			select {
			case abandon <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
		case r.NoiseEnded:
			c.Log.Info("line noise on the console ended", "bytes_ignored", r.Ignored)
			if err := scr.SetNotice(""); err != nil {
				return fmt.Errorf("console notice: %w", err)
			}
		}
		return nil
	}
	for {
		deadline := g.Deadline()
		if !deadline.IsZero() && !c.Clock.Now().Before(deadline) {
			// Due, but only if the line is really quiet: bytes may have
			// queued while this goroutine was not running.
			n, err := port.Buffered()
			if err != nil {
				return fmt.Errorf("console read: %w", err)
			}
			if n == 0 {
				if err := handle(g.Tick(c.Clock.Now())); err != nil {
					return err
				}
				continue
			}
			deadline = time.Time{} // read what waits first
		}
		if err := port.SetReadDeadline(deadline); err != nil {
			return fmt.Errorf("console read deadline: %w", err)
		}
		n, err := port.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			return fmt.Errorf("console read: %w", err)
		}
		if err := handle(g.Feed(c.Clock.Now(), buf[:n])); err != nil {
			return err
		}
	}
}
