// Package console serves the front-panel menu on a VT100 terminal attached
// to a serial line (or a pty standing in for one): it keeps the line open
// through unplugs, waits for ENTER, shows the box's MAC address, then runs
// the shared panel loop with the VT100 screen as its display and the
// decoded terminal input as its keys.
package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/loop"
	"picket.dev/picket/src/panel/serial"
	"picket.dev/picket/src/panel/vt100input"
	"picket.dev/picket/src/panel/vt100screen"
)

// escapeWait is how long an open escape sequence may wait for its next
// byte before it is taken as a lone ESC and dropped: far longer than
// bytes of one sequence are apart at 9600 baud, far shorter than a person
// types.
const escapeWait = 50 * time.Millisecond

// Console is one serial console. Panel is shared across sessions, so the
// operator comes back to the screen they left after a reconnect.
type Console struct {
	Open  func() (*serial.Port, error)
	Panel *loop.Panel
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

// session runs one terminal connection: ENTER, the MAC address, ENTER, then
// the menu. It ends with an error when the device goes away.
func (c *Console) session(ctx context.Context, port *serial.Port) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	scr := vt100screen.New(port, vt100screen.Options{})
	keyc := make(chan keyevent.Event)
	readErr := make(chan error, 1)
	go func() { readErr <- readKeys(ctx, port, keyc) }()

	waitEnter := func() error {
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case err := <-readErr:
				return err
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
	if err := scr.MAC("LAN", c.lanMAC(ctx)); err != nil {
		return fmt.Errorf("console MAC screen: %w", err)
	}
	if err := waitEnter(); err != nil {
		return err
	}
	scr.Invalidate()
	runErr := make(chan error, 1)
	go func() { runErr <- loop.Run(ctx, c.Panel, keyc, scr) }()
	select {
	case err := <-readErr:
		cancel()
		<-runErr
		return err
	case err := <-runErr:
		return err
	}
}

func (c *Console) lanMAC(ctx context.Context) net.HardwareAddr {
	st, err := c.Manager.Status(ctx)
	if err != nil {
		c.Log.Warn("read status for the MAC address", "err", err)
		return nil
	}
	for _, ifc := range st.Interfaces {
		if ifc.Name == netapi.LAN {
			mac, _ := net.ParseMAC(ifc.MAC)
			return mac
		}
	}
	return nil
}

// readKeys decodes the terminal's bytes into keys and hands every one on,
// in order: a pasted burst blocks the reader rather than losing a key. It
// returns when the port fails (the device went away) or ctx ends.
func readKeys(ctx context.Context, port *serial.Port, keyc chan<- keyevent.Event) error {
	dec := vt100input.New()
	buf := make([]byte, 256)
	var evs []keyevent.Event
	for {
		deadline := time.Time{}
		if dec.Pending() {
			deadline = time.Now().Add(escapeWait)
		}
		if err := port.SetReadDeadline(deadline); err != nil {
			return fmt.Errorf("console read deadline: %w", err)
		}
		n, err := port.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			dec.Flush()
			continue
		}
		if err != nil {
			return fmt.Errorf("console read: %w", err)
		}
		evs = dec.Feed(evs[:0], buf[:n])
		for _, ev := range evs {
			select {
			case keyc <- ev:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}
