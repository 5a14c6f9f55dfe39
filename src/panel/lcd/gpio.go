package lcd

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"

	"picket.dev/picket/platforms/board"
)

// pinBus drives the HD44780 from six GPIO pins (RS, E, D4-D7) and an
// optional backlight pin.
type pinBus struct {
	rs, e    gpio.PinOut
	data     [4]gpio.PinOut // D4..D7
	light    gpio.PinOut    // nil when the board has none
	lightLow bool
	sleep    func(time.Duration)
}

func level(b bool) gpio.Level {
	if b {
		return gpio.High
	}
	return gpio.Low
}

// nibble writes every line each time rather than only the ones that
// changed: the pins are memory-mapped on the box, so a write costs next to
// nothing, and a fixed pattern keeps the traffic obvious in tests.
func (p *pinBus) nibble(rs bool, n byte) error {
	if err := p.rs.Out(level(rs)); err != nil {
		return err
	}
	for i, pin := range p.data {
		if err := pin.Out(level(n&(1<<i) != 0)); err != nil {
			return err
		}
	}
	if err := p.e.Out(gpio.High); err != nil {
		return err
	}
	p.sleep(waitPulse)
	return p.e.Out(gpio.Low) // the controller latches on the falling edge
}

func (p *pinBus) backlight(on bool) error {
	if p.light == nil {
		return nil
	}
	return p.light.Out(level(on != p.lightLow))
}

func (p *pinBus) close() error { return nil }

// NewGPIO initialises the HD44780 of a board whose panel is wired to GPIO
// (board.LCDHD44780GPIO), resolving its pin names through pins. The
// display is cleared, the glyphs uploaded and the backlight lit.
func NewGPIO(b board.Board, pins PinLookup, o Options) (*HD44780, error) {
	l := b.LCD
	if l.Kind != board.LCDHD44780GPIO {
		return nil, fmt.Errorf("lcd: board %s has a %s panel, not %s", b.Name, l.Kind, board.LCDHD44780GPIO)
	}
	if o.Sleep == nil {
		o.Sleep = time.Sleep
	}
	p := &pinBus{lightLow: o.Backlight.activeLow(ActiveHigh), sleep: o.Sleep}
	get := func(role, name string) (gpio.PinOut, error) {
		if name == "" {
			return nil, fmt.Errorf("lcd: board %s names no %s pin", b.Name, role)
		}
		pin, err := pins(name)
		if err != nil {
			return nil, fmt.Errorf("lcd: %s pin %s: %w", role, name, err)
		}
		return pin, nil
	}
	var err error
	if p.rs, err = get("RS", l.RS); err != nil {
		return nil, err
	}
	if p.e, err = get("E", l.E); err != nil {
		return nil, err
	}
	for i, name := range l.Data {
		if p.data[i], err = get(fmt.Sprintf("D%d", i+4), name); err != nil {
			return nil, err
		}
	}
	if l.Backlight != "" {
		if p.light, err = get("backlight", l.Backlight); err != nil {
			return nil, err
		}
	}
	return newHD44780(p, l.Rows, l.Cols, o)
}
