package lcd

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/devices/v3/mcp23xxx"

	"picket.dev/picket/platforms/board"
)

// Plate is an MCP23017 I2C expander carrying an HD44780 and the five keys
// (board.LCDHD44780MCP23017, the rpi4 board). The display, the key group
// and any other expander pin all go through one mcp23xxx device, because
// periph caches the expander's direction and latch registers per device:
// two devices on one chip would overwrite each other's pins. The Plate
// serialises every access to it, so the LCD and the key reader may run in
// different goroutines.
type Plate struct {
	mu  sync.Mutex
	dev *mcp23xxx.Dev
	lcd *HD44780
}

// expanderPin parses an MCP23017 pin name, "GPA0".."GPB7", as the board
// description spells it (periph names them MCP23017_20_PORTA_0).
func expanderPin(name string) (port, bit int, err error) {
	if len(name) != 4 || name[:2] != "GP" || (name[2] != 'A' && name[2] != 'B') || name[3] < '0' || name[3] > '7' {
		return 0, 0, fmt.Errorf("lcd: %q is not an MCP23017 pin (GPA0-GPA7, GPB0-GPB7)", name)
	}
	return int(name[2] - 'A'), int(name[3] - '0'), nil
}

// OpenPlate initialises the expander at the board's I2C address on bus and
// the HD44780 on it (cleared, glyphs uploaded, backlight lit). Pin names
// come from the board; the backlight is active low unless o says otherwise.
func OpenPlate(bus i2c.Bus, b board.Board, o Options) (*Plate, error) {
	l := b.LCD
	if l.Kind != board.LCDHD44780MCP23017 {
		return nil, fmt.Errorf("lcd: board %s has a %s panel, not %s", b.Name, l.Kind, board.LCDHD44780MCP23017)
	}
	if o.Sleep == nil {
		o.Sleep = time.Sleep
	}
	dev, err := mcp23xxx.NewI2C(bus, mcp23xxx.MCP23017, l.I2CAddr)
	if err != nil {
		return nil, fmt.Errorf("lcd: MCP23017 at %#x on I2C bus %s: %w", l.I2CAddr, l.I2CBus, err)
	}
	p := &Plate{dev: dev}
	gb, err := p.lcdBus(l, o.Backlight.activeLow(ActiveLow))
	if err != nil {
		return nil, errors.Join(err, dev.Close())
	}
	p.lcd, err = newHD44780(gb, l.Rows, l.Cols, o)
	if err != nil {
		return nil, errors.Join(err, dev.Close())
	}
	return p, nil
}

// lcdBus builds the HD44780 bus. RS, E and D4-D7 must share a port so that
// a nibble is one latch write (plus two for the E strobe) instead of up to
// seven; every plate wires them that way.
func (p *Plate) lcdBus(l board.LCD, lightLow bool) (*groupBus, error) {
	names := append([]string{l.RS, l.E}, l.Data[:]...)
	port := -1
	var bits []int
	for _, n := range names {
		pt, bit, err := expanderPin(n)
		if err != nil {
			return nil, err
		}
		if port >= 0 && pt != port {
			return nil, fmt.Errorf("lcd: RS, E and D4-D7 must be on one MCP23017 port, have %v", names)
		}
		port = pt
		bits = append(bits, bit)
	}
	g := p.dev.Group(port, bits)
	if g == nil {
		return nil, fmt.Errorf("lcd: cannot group MCP23017 pins %v", names)
	}
	gb := &groupBus{mu: &p.mu, g: *g, lightLow: lightLow}
	if l.Backlight != "" {
		pt, bit, err := expanderPin(l.Backlight)
		if err != nil {
			return nil, err
		}
		gb.light = p.dev.Pins[pt][bit]
	}
	return gb, nil
}

// LCD returns the plate's display.
func (p *Plate) LCD() *HD44780 { return p.lcd }

// Pin is a PinLookup over the expander's pins; every call on a returned pin
// holds the plate's lock.
func (p *Plate) Pin(name string) (gpio.PinIO, error) {
	pt, bit, err := expanderPin(name)
	if err != nil {
		return nil, err
	}
	return &lockedPin{mu: &p.mu, PinIO: p.dev.Pins[pt][bit]}, nil
}

// KeyGroup returns the five key pins of k as one group, in the order Up,
// Down, Left, Right, Enter, configured as inputs with the pull-up on when
// the keys are active low (they short to ground), so one latch read samples
// them all. Every call on the group holds the plate's lock.
func (p *Plate) KeyGroup(k board.Keys) (gpio.Group, error) {
	names := []string{k.Up, k.Down, k.Left, k.Right, k.Enter}
	port := -1
	var bits []int
	for _, n := range names {
		pt, bit, err := expanderPin(n)
		if err != nil {
			return nil, fmt.Errorf("lcd: key pin: %w", err)
		}
		if port >= 0 && pt != port {
			return nil, fmt.Errorf("lcd: the key pins must be on one MCP23017 port, have %v", names)
		}
		port = pt
		bits = append(bits, bit)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pull := gpio.Float
	if k.ActiveLow {
		pull = gpio.PullUp
	}
	for _, bit := range bits {
		if err := p.dev.Pins[port][bit].In(pull, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("lcd: key pin GP%c%d: %w", 'A'+port, bit, err)
		}
	}
	g := p.dev.Group(port, bits)
	if g == nil {
		return nil, fmt.Errorf("lcd: cannot group MCP23017 pins %v", names)
	}
	return &lockedGroup{mu: &p.mu, Group: *g}, nil
}

// Close closes the display and releases the expander (periph registers its
// pins by name; Close removes them).
func (p *Plate) Close() error {
	err := p.lcd.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dev == nil {
		return err
	}
	err = errors.Join(err, p.dev.Close())
	p.dev = nil
	return err
}

// groupBus drives the HD44780 through an MCP23017 pin group ordered RS, E,
// D4, D5, D6, D7.
type groupBus struct {
	mu       *sync.Mutex
	g        gpio.Group
	light    gpio.PinOut
	lightLow bool
}

const (
	grpRS   = 1 << 0
	grpE    = 1 << 1
	grpData = 2 // shift of D4 in the group value
)

// nibble is three latch writes: RS and data with E low, E high, E low.
// Setting RS before raising E honours the address setup time; the I2C
// transaction itself outlasts the 450 ns E pulse, so no wait is needed.
// periph skips a latch write that would not change the latch.
func (b *groupBus) nibble(rs bool, n byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := gpio.GPIOValue(n&0x0f) << grpData
	if rs {
		v |= grpRS
	}
	for _, w := range []gpio.GPIOValue{v, v | grpE, v} {
		if err := b.g.Out(w, 0); err != nil {
			return err
		}
	}
	return nil
}

func (b *groupBus) backlight(on bool) error {
	if b.light == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.light.Out(level(on != b.lightLow))
}

func (b *groupBus) close() error { return nil }

// lockedPin is an expander pin whose calls hold the plate's lock.
type lockedPin struct {
	mu *sync.Mutex
	gpio.PinIO
}

func (l *lockedPin) In(pull gpio.Pull, edge gpio.Edge) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.PinIO.In(pull, edge)
}

func (l *lockedPin) Read() gpio.Level {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.PinIO.Read()
}

func (l *lockedPin) Out(v gpio.Level) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.PinIO.Out(v)
}

func (l *lockedPin) PWM(d gpio.Duty, f physic.Frequency) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.PinIO.PWM(d, f)
}

func (l *lockedPin) Pull() gpio.Pull {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.PinIO.Pull()
}

func (l *lockedPin) Halt() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.PinIO.Halt()
}

// lockedGroup is an expander pin group whose reads and writes hold the
// plate's lock.
type lockedGroup struct {
	mu *sync.Mutex
	gpio.Group
}

func (l *lockedGroup) Out(v, mask gpio.GPIOValue) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.Group.Out(v, mask)
}

func (l *lockedGroup) Read(mask gpio.GPIOValue) (gpio.GPIOValue, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.Group.Read(mask)
}

func (l *lockedGroup) Halt() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.Group.Halt()
}
