package lcdfront

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/keypad"
	"picket.dev/picket/src/panel/lcd"
	"picket.dev/picket/src/panel/lcdserial"
	"picket.dev/picket/src/panel/leds"
	"picket.dev/picket/src/panel/serial"
)

// reader feeds key events to emit until ctx ends (nil), its input ends
// (nil), or it fails (the error; errQuit to end the daemon cleanly).
type reader func(ctx context.Context, emit func(keyevent.Event)) error

// front is an open front panel.
type front struct {
	name    string
	disp    *display
	readers []reader
	closers []func() error // in opening order; closed in reverse
}

func (f *front) close() error {
	var errs []error
	for i := len(f.closers) - 1; i >= 0; i-- {
		errs = append(errs, f.closers[i]())
	}
	return errors.Join(errs...)
}

// ledSetter shows the frame's S1 and S2: GPIO LEDs (package leds), or the
// serial module's own.
type ledSetter interface {
	Set(frame.LEDs) error
}

// ledFunc is a ledSetter from a function.
type ledFunc func(frame.LEDs) error

func (f ledFunc) Set(l frame.LEDs) error { return f(l) }

// display is the panel's Display: the LCD, then the LEDs from the same
// frame. It remembers a failed Draw, so that the serve loop can tell a
// broken display (fatal) from a network manager that went away (retried).
type display struct {
	lcd       lcd.LCD
	leds      ledSetter // nil when the LEDs are drawn by the LCD backend or absent
	log       *slog.Logger
	err       error
	ledFailed bool

	// setRepeat, when the keys come from a keypad, turns its auto-repeat
	// on or off; textEditing says whether it should be on. Draw runs in
	// the panel loop, the only place the panel may be asked.
	setRepeat   func(bool)
	textEditing func() bool
}

func (d *display) Draw(f frame.Frame) error {
	if d.setRepeat != nil && d.textEditing != nil {
		d.setRepeat(d.textEditing())
	}
	if err := d.lcd.Draw(f); err != nil {
		d.err = fmt.Errorf("draw on the front panel: %w", err)
		return d.err
	}
	if d.leds == nil {
		return nil
	}
	// An LED that cannot be set is not worth losing the menu over: log it
	// once, and again only after it worked in between.
	if err := d.leds.Set(f.LEDs()); err != nil {
		if !d.ledFailed {
			d.log.Warn("set the status LEDs", "err", err)
		}
		d.ledFailed = true
	} else {
		d.ledFailed = false
	}
	return nil
}

// open opens the front panel o asks for, with a fallback to the terminal
// for boards whose panel has no driver.
func open(o Options, geo frame.Geometry) (*front, error) {
	switch o.Display {
	case "", DisplayAuto:
	case DisplayTerminal:
		return openTerminal(o, geo)
	case DisplaySerialModule:
		return openSerialModule(o, geo)
	default:
		return nil, fmt.Errorf("lcdfront: display %q: want %s", o.Display, DisplayNames)
	}
	if o.Device != "" && o.Board.LCD.Kind != board.LCDSerialModule {
		return nil, fmt.Errorf("lcdfront: an LCD device (%s) is for display %s; board %s's panel is %s", o.Device, DisplaySerialModule, o.Board.Name, o.Board.LCD.Kind)
	}
	b := o.Board
	switch b.LCD.Kind {
	case board.LCDHD44780GPIO:
		return openGPIO(o)
	case board.LCDHD44780MCP23017:
		return openPlate(o)
	case board.LCDSerialModule:
		return openSerialModule(o, geo)
	case board.LCDNone:
		o.Log.Info("the board has no front panel; drawing it on the terminal", "board", b.Name)
		return openTerminal(o, geo)
	}
	return nil, fmt.Errorf("lcdfront: board %s: LCD kind %q has no driver", b.Name, b.LCD.Kind)
}

func (o Options) hostPins() (lcd.PinLookup, error) {
	get := o.Pins
	if get == nil {
		get = lcd.Host
	}
	pins, err := get()
	if err != nil {
		return nil, fmt.Errorf("lcdfront: host GPIO: %w", err)
	}
	return pins, nil
}

// openSerialModule opens the appliance's wiring: a serial LCD module whose
// display, keys and LEDs all go through one line (package lcdserial), on
// o.Device or else the board's.
func openSerialModule(o Options, geo frame.Geometry) (*front, error) {
	dev := o.Device
	if dev == "" {
		dev = o.Board.LCD.Device
	}
	if dev == "" {
		return nil, fmt.Errorf("lcdfront: board %s has no serial LCD module: name its line (-lcd-device)", o.Board.Name)
	}
	line := serial.Config{Baud: lcdserial.Baud, DataBits: 8, Parity: "none", StopBits: 1}
	port, err := serial.OpenBinary(dev, line)
	if err != nil {
		return nil, fmt.Errorf("lcdfront: open the LCD module's line: %w", err)
	}
	m, err := lcdserial.Open(port, lcdserial.Options{Geometry: geo, Clock: o.Clock, Log: o.Log})
	if err != nil { // Open closed the port
		return nil, fmt.Errorf("lcdfront: the LCD module on %s at %v: %w", dev, line, err)
	}
	f := &front{name: string(board.LCDSerialModule) + " " + m.Model(), closers: []func() error{m.Close}}
	f.disp = &display{lcd: m, leds: ledFunc(m.SetLEDs), log: o.Log, setRepeat: m.SetRepeat}
	f.readers = append(f.readers, func(ctx context.Context, emit func(keyevent.Event)) error {
		// Ticks time chord windows and auto-repeat between reports.
		ticker := o.Clock.NewTicker(keypad.PollEvery)
		defer ticker.Stop()
		if err := m.RunKeys(ctx, ticker.C(), emit); err != nil {
			return fmt.Errorf("lcdfront: read the LCD module's keys: %w", err)
		}
		return nil
	})
	return f, nil
}

// openGPIO opens the armv7 wiring: display, keys and LEDs all on host GPIO.
func openGPIO(o Options) (_ *front, err error) {
	b := o.Board
	pins, err := o.hostPins()
	if err != nil {
		return nil, err
	}
	f := &front{name: string(b.LCD.Kind)}
	defer func() {
		if err != nil {
			err = errors.Join(err, f.close())
		}
	}()
	d, err := lcd.NewGPIO(b, pins, o.LCD)
	if err != nil {
		return nil, fmt.Errorf("lcdfront: open the LCD: %w", err)
	}
	f.closers = append(f.closers, d.Close)
	s, err := keypad.FromPins(b.Keys, keypad.PinLookup(pins))
	if err != nil {
		return nil, fmt.Errorf("lcdfront: open the keys: %w", err)
	}
	l, err := openLEDs(b, pins, f)
	if err != nil {
		return nil, err
	}
	f.disp = &display{lcd: d, leds: l, log: o.Log}
	f.readers = append(f.readers, keyReader(o.Clock, s, f.disp))
	return f, nil
}

// openPlate opens the rpi4 wiring: display and keys on the MCP23017 plate,
// LEDs on host GPIO.
func openPlate(o Options) (_ *front, err error) {
	b := o.Board
	// Loading the host drivers also registers the I2C buses.
	pins, err := o.hostPins()
	if err != nil {
		return nil, err
	}
	f := &front{name: string(b.LCD.Kind)}
	defer func() {
		if err != nil {
			err = errors.Join(err, f.close())
		}
	}()
	bus, err := lcd.OpenI2C(b.LCD.I2CBus)
	if err != nil {
		return nil, fmt.Errorf("lcdfront: open I2C bus %s: %w", b.LCD.I2CBus, err)
	}
	f.closers = append(f.closers, bus.Close)
	plate, err := lcd.OpenPlate(bus, b, o.LCD)
	if err != nil {
		return nil, fmt.Errorf("lcdfront: open the LCD plate: %w", err)
	}
	f.closers = append(f.closers, plate.Close)
	grp, err := plate.KeyGroup(b.Keys)
	if err != nil {
		return nil, fmt.Errorf("lcdfront: open the plate's keys: %w", err)
	}
	s, err := keypad.FromGroup(grp, b.Keys.ActiveLow)
	if err != nil {
		return nil, fmt.Errorf("lcdfront: open the plate's keys: %w", err)
	}
	l, err := openLEDs(b, pins, f)
	if err != nil {
		return nil, err
	}
	f.disp = &display{lcd: plate.LCD(), leds: l, log: o.Log}
	f.readers = append(f.readers, keyReader(o.Clock, s, f.disp))
	return f, nil
}

func openLEDs(b board.Board, pins lcd.PinLookup, f *front) (*leds.LEDs, error) {
	l, err := leds.New(b.LEDs, leds.PinLookup(pins))
	if err != nil {
		return nil, fmt.Errorf("lcdfront: open the status LEDs: %w", err)
	}
	f.closers = append(f.closers, l.Close)
	return l, nil
}

// keyReader samples the keys every keypad.PollEvery. The display turns
// auto-repeat on while a text field is edited (display.Draw).
func keyReader(c clock.Clock, s keypad.Sampler, d *display) reader {
	kp := keypad.New(s, keypad.DefaultConfig())
	d.setRepeat = kp.SetRepeat
	return func(ctx context.Context, emit func(keyevent.Event)) error {
		ticker := c.NewTicker(keypad.PollEvery)
		defer ticker.Stop()
		if err := kp.Run(ctx, ticker.C(), emit); err != nil {
			return fmt.Errorf("lcdfront: read the keys: %w", err)
		}
		return nil
	}
}
