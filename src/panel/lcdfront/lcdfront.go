// Package lcdfront is the body of lcdd: it opens the board's front panel
// (display, keys and status LEDs) and runs the front-panel menu (package
// panel) on it, against the network manager's local API.
//
// Which front panel is opened follows the board description and the
// daemon's -display choice:
//
//   - an HD44780 wired to GPIO (armv7): the lcd GPIO driver, the five keys
//     read from GPIO through package keypad, and the S1/S2 LEDs;
//   - an HD44780 on an MCP23017 I2C plate (rpi4): the plate's display and
//     key group, the LEDs on host GPIO;
//   - a serial LCD module with its own keys and LEDs (the rack appliance):
//     package lcdserial on the board's device, opened with
//     serial.OpenBinary at lcdserial.Baud 8N1;
//   - the terminal (the virtual board, and any board with -display
//     terminal, the development fallback): the panel drawn on an io.Writer
//     and keys read from an io.Reader, decoded as a VT100 terminal sends
//     them, so a developer can walk the menus by hand.
//
// The network manager may start after lcdd, and may restart while it runs.
// Either way the panel shows "Picket scanner is starting up..." and retries
// with backoff instead of exiting, because an LCD daemon that dies leaves the
// operator with a frozen screen.
package lcdfront

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/lcd"
	"picket.dev/picket/src/panel/loop"
	"picket.dev/picket/src/panel/menu"
)

// Display choices for Options.Display.
const (
	// DisplayAuto opens the panel the board describes.
	DisplayAuto = "auto"
	// DisplayTerminal draws the panel on Options.Stdout and reads keys from
	// Options.Stdin, whatever the board has.
	DisplayTerminal = "terminal"
)

// Backoff of the retries while the network manager cannot be reached: the
// first retry comes soon, because at boot netmgrd is usually a moment
// behind; later ones slow down so a manager that stays away costs little.
const (
	MinRetryDelay = 250 * time.Millisecond
	MaxRetryDelay = 8 * time.Second
)

// Options are what Run needs. Board, Manager and Power are required.
type Options struct {
	// Board is the board lcdd was built for.
	Board board.Board
	// Display is DisplayAuto (the default when empty) or DisplayTerminal.
	Display string
	// Manager is the network manager's local API (netapi.Dial).
	Manager netapi.Manager
	// Power carries out SYSTEM REBOOT and SHUTDOWN.
	Power loop.Power
	// Scanner, when not nil, is the scanner's state (scanapi.Dial of
	// scanner.sock): LED S1 lights while a scan runs.
	Scanner loop.ScanSource
	// Updater, when not nil, is the updater's state (updateapi's client
	// on updater.sock): LED S2 and UPDATING nn% while an update is in
	// hand, the versions in SHOW STATUS (loop.Panel.WatchUpdater).
	Updater loop.UpdateSource
	// Version is the software version SHOW STATUS shows.
	Version string
	// Log receives what the daemon does; nil discards it.
	Log *slog.Logger
	// Clock times the retries and the key sampling; nil is clock.System.
	Clock clock.Clock

	// Stdin and Stdout are the terminal backend's keyboard and screen.
	// When Stdin is a terminal it is put in raw mode while Run runs.
	Stdin  io.Reader
	Stdout io.Writer

	// Pins resolves the host's GPIO pin names; nil means lcd.Host, which
	// is called only when the board's panel or LEDs need GPIO (never for
	// the terminal backend). Tests pass gpiotest pins.
	Pins func() (lcd.PinLookup, error)
	// LCD tunes the HD44780 driver; tests pass a Sleep that does not wait.
	LCD lcd.Options
}

// errQuit ends Run without an error: the person at the terminal pressed
// Ctrl-C.
var errQuit = errors.New("quit from the terminal")

// Run opens the front panel o describes and serves the menu on it until ctx
// ends or, on a terminal in raw mode, the person presses Ctrl-C; both return
// nil. It returns an error when the panel cannot be opened or a device fails
// (the display, the key lines), which the daemon cannot repair by itself.
// Whatever it changed (raw mode, LEDs) is put back before it returns.
func Run(ctx context.Context, o Options) (err error) {
	if o.Manager == nil || o.Power == nil {
		return errors.New("lcdfront: Options need a Manager and a Power")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	geo := geometry(o.Board)
	f, err := open(o, geo)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	o.Log.Info("front panel open", "board", o.Board.Name, "display", f.name, "geometry", geo.String())

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	keyc := make(chan keyevent.Event)
	emit := func(ev keyevent.Event) {
		select {
		case keyc <- ev:
		case <-ctx.Done():
		}
	}
	for _, read := range f.readers {
		go func() {
			err := read(ctx, emit)
			switch {
			case ctx.Err() != nil:
			case err == nil:
				// The input ended (stdin closed): keep showing the
				// panel, there is just nobody typing on it any more.
				o.Log.Info("key input ended; the panel stays on screen")
			default:
				cancel(err)
			}
		}()
	}

	s := &server{o: o, geo: geo, disp: f.disp, keyc: keyc}
	err = s.serve(ctx)
	if cause := context.Cause(ctx); ctx.Err() != nil {
		if errors.Is(cause, errQuit) || errors.Is(cause, context.Canceled) {
			return nil
		}
		return cause
	}
	return err
}

// geometry is the board's panel size; boards without one get the smallest
// panel, which is what the terminal backend then draws.
func geometry(b board.Board) frame.Geometry {
	if b.LCD.Rows == 0 || b.LCD.Cols == 0 {
		return frame.LCD16x2()
	}
	return frame.Geometry{Rows: b.LCD.Rows, Cols: b.LCD.Cols}
}

// server runs the panel against the network manager, reconnecting when it
// goes away.
type server struct {
	o    Options
	geo  frame.Geometry
	disp *display
	keyc chan keyevent.Event
}

func (s *server) serve(ctx context.Context) error {
	for {
		p, err := s.connect(ctx)
		if err != nil {
			return err
		}
		s.disp.textEditing = p.TextEditing
		if s.o.Scanner != nil {
			p.WatchScanner(s.o.Scanner, s.o.Clock)
		}
		if s.o.Updater != nil {
			p.WatchUpdater(s.o.Updater, s.o.Clock)
		}
		err = loop.Run(ctx, p, s.keyc, s.disp)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case s.disp.err != nil:
			return s.disp.err
		}
		// Anything else is the network manager going away (its
		// subscription ended): wait for it again, as at start.
		s.o.Log.Warn("lost the network manager; reconnecting", "err", err)
	}
}

// connect shows the starting-up screen and reads the network manager's
// configuration and status until it answers. Keys pressed meanwhile are
// dropped: they were meant for a screen that has no menu.
func (s *server) connect(ctx context.Context) (*loop.Panel, error) {
	starting := menu.New(s.geo, menu.State{Status: menu.Status{Phase: menu.PhaseStarting}}).Render()
	if err := s.disp.Draw(starting); err != nil {
		return nil, err
	}
	delay := MinRetryDelay
	for {
		p, err := loop.New(ctx, s.o.Manager, s.o.Power, s.geo, s.o.Version, s.o.Log)
		if err == nil {
			return p, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s.o.Log.Warn("network manager not reachable yet; retrying", "in", delay.String(), "err", err)
		wait := s.o.Clock.After(delay)
	waiting:
		for {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-wait:
				break waiting
			case ev := <-s.keyc:
				s.o.Log.Debug("key dropped while starting up", "key", ev.String())
			}
		}
		delay = min(2*delay, MaxRetryDelay)
	}
}
