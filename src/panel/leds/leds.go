// Package leds drives the front panel's status lights: S1 lit while a scan
// runs, S2 while a software update runs (S3 is unused). The LEDs sit on
// GPIO output pins named by the board; frames from the menu carry the
// wanted states (frame.LEDs), and Set writes only a light that changes.
package leds

import (
	"errors"
	"fmt"
	"sync"

	"periph.io/x/conn/v3/gpio"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/panel/frame"
)

// PinLookup resolves a board pin name to a pin (see lcd.PinLookup).
type PinLookup func(name string) (gpio.PinIO, error)

// ErrClosed is returned by Set after Close.
var ErrClosed = errors.New("leds: closed")

// LEDs are the S1 and S2 lights. A board that names no pin for a light
// has none; setting it does nothing. Methods are safe for concurrent use.
type LEDs struct {
	mu     sync.Mutex
	s1, s2 gpio.PinOut // nil when absent
	shown  frame.LEDs
	closed bool
}

// New takes the board's LED pins, active high (the board description has no
// polarity; both boards drive the LEDs through a resistor from the pin),
// and switches both off so the lights never show a stale state from before
// a restart.
func New(l board.LEDs, lookup PinLookup) (*LEDs, error) {
	d := &LEDs{}
	for _, p := range []struct {
		name string
		pin  *gpio.PinOut
		role string
	}{{l.S1, &d.s1, "S1"}, {l.S2, &d.s2, "S2"}} {
		if p.name == "" {
			continue
		}
		pin, err := lookup(p.name)
		if err != nil {
			return nil, fmt.Errorf("leds: %s pin %s: %w", p.role, p.name, err)
		}
		if err := pin.Out(gpio.Low); err != nil {
			return nil, fmt.Errorf("leds: %s pin %s: %w", p.role, p.name, err)
		}
		*p.pin = pin
	}
	return d, nil
}

// Set shows s, writing only a light whose state changes.
func (d *LEDs) Set(s frame.LEDs) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	return d.set(s)
}

func (d *LEDs) set(s frame.LEDs) error {
	if err := write(d.s1, d.shown.S1, s.S1); err != nil {
		return fmt.Errorf("leds: S1: %w", err)
	}
	d.shown.S1 = s.S1
	if err := write(d.s2, d.shown.S2, s.S2); err != nil {
		return fmt.Errorf("leds: S2: %w", err)
	}
	d.shown.S2 = s.S2
	return nil
}

func write(p gpio.PinOut, was, want bool) error {
	if p == nil || was == want {
		return nil
	}
	l := gpio.Low
	if want {
		l = gpio.High
	}
	return p.Out(l)
}

// Close switches both lights off: once lcdd stops, nobody keeps them true.
func (d *LEDs) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.set(frame.LEDs{})
}
