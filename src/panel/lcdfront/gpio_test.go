package lcdfront

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/keypad"
	"picket.dev/picket/src/panel/lcd"
)

// hd44780 is the part of an HD44780 the test reads the screen from: it
// latches RS and D4..D7 on each falling edge of E, as the controller does,
// and keeps the DDRAM. Glyph codes (CGRAM characters 0-7) show as '*'.
type hd44780 struct {
	rs, d [4]*gpiotest.Pin // rs[0] is RS; d is D4..D7

	mu       sync.Mutex
	fourBit  bool
	high     int // the first nibble of a byte, -1 when none
	cgram    bool
	addr     int
	ddram    [0x80]byte
	changed  chan struct{}
	received int // bytes, for the failure message
}

func (c *hd44780) falling() {
	c.mu.Lock()
	defer c.mu.Unlock()
	rs := c.rs[0].Read() == gpio.High
	n := 0
	for i, p := range c.d {
		if p.Read() == gpio.High {
			n |= 1 << i
		}
	}
	if !c.fourBit {
		// 8-bit mode at power-on: each nibble is a function set; 0x2
		// switches to 4-bit.
		if n == 0x2 {
			c.fourBit, c.high = true, -1
		}
		return
	}
	if c.high < 0 {
		c.high = n
		return
	}
	b := byte(c.high<<4 | n)
	c.high = -1
	c.received++
	switch {
	case rs && !c.cgram:
		c.ddram[c.addr&0x7f] = b
		c.addr++
	case rs:
	case b&0x80 != 0:
		c.cgram, c.addr = false, int(b&0x7f)
	case b&0x40 != 0:
		c.cgram = true
	case b == 0x01:
		for i := range c.ddram {
			c.ddram[i] = ' '
		}
		c.addr, c.cgram = 0, false
	}
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// text is the 16x2 screen, lines joined by a newline.
func (c *hd44780) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, base := range []int{0x00, 0x40} {
		for _, ch := range c.ddram[base : base+16] {
			if ch < 8 {
				ch = '*'
			}
			b.WriteByte(ch)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ePin is the E line: a gpiotest pin that tells the controller model
// about each falling edge.
type ePin struct {
	*gpiotest.Pin
	lcd *hd44780
}

func (p *ePin) Out(l gpio.Level) error {
	was := p.Read()
	if err := p.Pin.Out(l); err != nil {
		return err
	}
	if was == gpio.High && l == gpio.Low {
		p.lcd.falling()
	}
	return nil
}

// armv7Pins are gpiotest pins for every pin of the armv7 board, with the
// LCD's E line feeding an HD44780 model.
type armv7Pins struct {
	pins map[string]*gpiotest.Pin
	lcd  *hd44780
}

func newArmv7Pins(b board.Board) *armv7Pins {
	s := &armv7Pins{pins: map[string]*gpiotest.Pin{}}
	pin := func(name string) *gpiotest.Pin {
		if p, ok := s.pins[name]; ok {
			return p
		}
		p := &gpiotest.Pin{N: name}
		s.pins[name] = p
		return p
	}
	s.lcd = &hd44780{changed: make(chan struct{}, 1), high: -1}
	s.lcd.rs[0] = pin(b.LCD.RS)
	for i, name := range b.LCD.Data {
		s.lcd.d[i] = pin(name)
	}
	for _, name := range []string{b.LCD.E, b.LCD.Backlight, b.Keys.Up, b.Keys.Down, b.Keys.Left, b.Keys.Right, b.Keys.Enter, b.LEDs.S1, b.LEDs.S2} {
		pin(name)
	}
	return s
}

func (s *armv7Pins) lookup(e string) lcd.PinLookup {
	return func(name string) (gpio.PinIO, error) {
		p, ok := s.pins[name]
		if !ok {
			return nil, fmt.Errorf("armv7 has no pin %s", name)
		}
		if name == e {
			return &ePin{Pin: p, lcd: s.lcd}, nil
		}
		return p, nil
	}
}

// A press on the ENTER key line, debounced by the key reader on the
// test's ticks, reaches the menu: the LCD goes from the idle screen to the
// main menu.
func TestGPIOKeyReachesTheMenu(t *testing.T) {
	b := lookupBoard(t, "armv7")
	hw := newArmv7Pins(b)
	mem := newMemory(t)
	sock := socketPath(t)
	serve(t, mem, sock)
	client := netapi.Dial(sock)
	t.Cleanup(func() { client.Close() })
	clock := newFakeClock(t)
	r := start(t, Options{
		Board: b, Manager: client, Power: &power{}, Version: "test",
		Log: testLog(t), Clock: clock,
		Pins: func() (lcd.PinLookup, error) { return hw.lookup(b.LCD.E), nil },
		LCD:  lcd.Options{Sleep: func(time.Duration) {}},
	})

	waitUntil(t, "the idle screen on the LCD", hw.lcd.changed,
		func() bool { return strings.Contains(hw.lcd.text(), "CONTACTING") }, hw.lcd.text)
	idle := hw.lcd.text()

	// Hold ENTER (active low) for 50 ms of ticks, then let go: longer than
	// the debounce, shorter than anything a held key would do.
	// Advance hands each tick over and waits until the key reader took it.
	tick := func(n int) { clock.Advance(time.Duration(n) * keypad.PollEvery) }
	tick(2)
	enter := hw.pins[b.Keys.Enter]
	setLevel(enter, gpio.Low)
	tick(10)
	setLevel(enter, gpio.High)
	tick(10)

	waitUntil(t, "the main menu on the LCD", hw.lcd.changed,
		func() bool { return strings.Contains(hw.lcd.text(), "SETUP NETWORK") }, hw.lcd.text)
	t.Logf("LCD before ENTER:\n%sLCD after:\n%s", idle, hw.lcd.text())
	if got := hw.lcd.text(); got == idle {
		t.Errorf("the LCD still shows the idle screen:\n%s", got)
	}
	// No scan or update runs, so both LEDs were driven, and are off.
	for _, name := range []string{b.LEDs.S1, b.LEDs.S2} {
		if l := hw.pins[name].Read(); l != gpio.Low {
			t.Errorf("LED pin %s = %v, want Low", name, l)
		}
	}
	r.stop(t)
	if v := vlan(t, mem); v != 0 {
		t.Errorf("one ENTER changed the configuration: VLAN %d", v)
	}
}

func setLevel(p *gpiotest.Pin, l gpio.Level) {
	p.Lock()
	defer p.Unlock()
	p.L = l
}
