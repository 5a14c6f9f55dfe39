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
//   - a serial LCD module with its own keys and LEDs (the rack appliance,
//     and any board with -display serial-module, e.g. the virtual board in
//     qemu with the module's emulator on its second serial port): package
//     lcdserial on the board's device or Options.Device, opened with
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
//
// On a power off init tells lcdd twice (initapi.PowerOffNotice and
// HaltedNotice, which the main turns into Options.PowerOff and
// Options.Halted): first that the box is powering off, whoever asked (the
// panel shows SHUTTING DOWN SYSTEM, drops keys and no longer waits for the
// network manager, which is stopped next), then, once every other daemon
// has stopped and /data is unmounted, that it is halted: the panel shows
// "It's now safe to unplug the box" and Run returns, leaving it on the
// display.
package lcdfront

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/lcd"
	"picket.dev/picket/src/panel/loop"
	"picket.dev/picket/src/panel/menu"
	"picket.dev/picket/src/system/initapi"
)

// Display choices for Options.Display.
const (
	// DisplayAuto opens the panel the board describes.
	DisplayAuto = "auto"
	// DisplayTerminal draws the panel on Options.Stdout and reads keys from
	// Options.Stdin, whatever the board has.
	DisplayTerminal = "terminal"
	// DisplaySerialModule drives a serial LCD module (package lcdserial)
	// on Options.Device, or the board's LCD device when that is empty,
	// whatever the board declares: the appliance's module on a board
	// built as another (the virtual board in qemu, whose second serial
	// port carries the module's emulator).
	DisplaySerialModule = string(board.LCDSerialModule)
)

// DisplayNames is the usage of the daemon's -display flag.
const DisplayNames = DisplayAuto + " (the board's panel), " + DisplayTerminal + " (drawn on stdout, keys from stdin) or " +
	DisplaySerialModule + " (a serial LCD module with keypad on -lcd-device, e.g. the appliance's on a virtual board)"

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
	// Display is DisplayAuto (the default when empty), DisplayTerminal or
	// DisplaySerialModule.
	Display string
	// Device is the serial LCD module's line for DisplaySerialModule;
	// empty means the board's LCD device.
	Device string
	// Geometry is the panel's size; zero means the board's (16x2 on a
	// board without a panel).
	Geometry frame.Geometry
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
	// Data is what init did to the data partition at this boot (read
	// from initapi.DataNoticePath): shown first on the idle screen until
	// the operator opens the menu (loop.Panel.DataNotice).
	Data initapi.DataNotice
	// PowerOff, when it delivers (or is closed), says the box is powering
	// off (init's initapi.PowerOffNotice): the panel shows SHUTTING DOWN
	// SYSTEM, drops keys and no longer waits for the network manager.
	// Halted, when it delivers, says the box is halted (HaltedNotice):
	// the panel shows "It's now safe to unplug the box" and Run returns
	// nil, leaving it on the display. Nil channels never deliver.
	PowerOff, Halted <-chan struct{}

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

// errPoweringOff and errHalted end the panel's menu when init says the box
// is powering off or halted (Options.PowerOff, Options.Halted).
var (
	errPoweringOff = errors.New("the box is powering off")
	errHalted      = errors.New("the box is halted")
)

// Run opens the front panel o describes and serves the menu on it until ctx
// ends, the box is halted (Options.Halted) or, on a terminal in raw mode,
// the person presses Ctrl-C; all return nil. It returns an error when the panel cannot be opened or a device fails
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
	geo := geometry(o)
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

// geometry is the panel size o asks for, else the board's; boards without
// one get the smallest panel, which is what the terminal backend then
// draws.
func geometry(o Options) frame.Geometry {
	if o.Geometry != (frame.Geometry{}) {
		return o.Geometry
	}
	b := o.Board
	if b.LCD.Rows == 0 || b.LCD.Cols == 0 {
		return frame.LCD16x2()
	}
	return frame.Geometry{Rows: b.LCD.Rows, Cols: b.LCD.Cols}
}

// ParseGeometry reads a panel size written COLSxROWS ("16x2", "20x4"), as
// frame.Geometry.String writes it; the menu needs at least 16x2.
func ParseGeometry(s string) (frame.Geometry, error) {
	var g frame.Geometry
	c, r, ok := strings.Cut(s, "x")
	cols, err1 := strconv.Atoi(c)
	rows, err2 := strconv.Atoi(r)
	if !ok || err1 != nil || err2 != nil {
		return g, fmt.Errorf("panel size %q: want COLSxROWS, e.g. 16x2", s)
	}
	g = frame.Geometry{Rows: rows, Cols: cols}
	if !g.Valid() {
		return frame.Geometry{}, fmt.Errorf("panel size %q: want %v to %v", s,
			frame.Geometry{Rows: frame.MinRows, Cols: frame.MinCols}, frame.Geometry{Rows: frame.MaxRows, Cols: frame.MaxCols})
	}
	return g, nil
}

// server runs the panel against the network manager, reconnecting when it
// goes away.
type server struct {
	o    Options
	geo  frame.Geometry
	disp *display
	keyc chan keyevent.Event
}

// serve runs the menu until ctx ends or init says the box is halted; once
// init says it is powering off, the menu gives way to SHUTTING DOWN
// SYSTEM until then.
func (s *server) serve(ctx context.Context) error {
	up, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go func() {
		select {
		case <-s.o.PowerOff:
			stop(errPoweringOff)
		case <-s.o.Halted:
			stop(errHalted)
		case <-up.Done():
		}
	}()
	err := s.serveMenu(up)
	switch cause := context.Cause(up); {
	case ctx.Err() != nil:
		return ctx.Err()
	case s.disp.err != nil:
		return s.disp.err
	case errors.Is(cause, errPoweringOff):
		return s.poweringOff(ctx)
	case errors.Is(cause, errHalted):
		return s.halted()
	}
	return err
}

// poweringOff shows SHUTTING DOWN SYSTEM, whoever asked for the power off,
// and waits for the halt. Keys are read and dropped: the key readers must
// not block (the serial module's reader also takes the answers to the
// display's commands). The network manager is not waited for: init stops
// it next.
func (s *server) poweringOff(ctx context.Context) error {
	s.o.Log.Info("the box is powering off; waiting for init to say it is halted")
	if err := s.disp.Draw(phaseFrame(s.geo, menu.PhaseShuttingDown)); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.o.Halted:
			return s.halted()
		case ev := <-s.keyc:
			s.o.Log.Debug("key dropped while the box powers off", "key", ev.String())
		}
	}
}

// halted shows that the box can be unplugged; Run then returns and the
// display keeps it.
func (s *server) halted() error {
	if err := s.disp.Draw(phaseFrame(s.geo, menu.PhaseHalted)); err != nil {
		return err
	}
	s.o.Log.Info("the box is halted; the panel says it is safe to unplug it")
	return nil
}

// phaseFrame is the menu's picture of phase p (starting up, shutting
// down, halted), with the LEDs off.
func phaseFrame(g frame.Geometry, p menu.Phase) frame.Frame {
	return menu.New(g, menu.State{Status: menu.Status{Phase: p}}).Render()
}

// serveMenu serves the menu against the network manager, reconnecting when
// it goes away, until ctx ends or the display fails.
func (s *server) serveMenu(ctx context.Context) error {
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
	if err := s.disp.Draw(phaseFrame(s.geo, menu.PhaseStarting)); err != nil {
		return nil, err
	}
	delay := MinRetryDelay
	for {
		p, err := loop.New(ctx, s.o.Manager, s.o.Power, s.geo, s.o.Version, s.o.Log)
		if err == nil {
			p.DataNotice(s.o.Data)
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
