package lcd

import (
	"fmt"
	"sync"
	"time"

	"picket.dev/picket/src/panel/frame"
)

// HD44780 instructions and their flags (datasheet table 6).
const (
	cmdClear      = 0x01
	cmdEntryMode  = 0x04
	entryIncr     = 0x02
	cmdDisplay    = 0x08
	displayOn     = 0x04
	displayCursor = 0x02
	cmdFunction   = 0x20
	functionLines = 0x08 // two (or four) lines; 0 is one line
	cmdCGRAM      = 0x40
	cmdDDRAM      = 0x80
)

// Waits from the datasheet (figure 24 and table 6), with margin. They go
// through Options.Sleep so tests can record them instead of waiting.
const (
	waitPowerOn = 50 * time.Millisecond   // after Vcc rises to 2.7 V: >40 ms
	waitFirst   = 4500 * time.Microsecond // after the first 0x3: >4.1 ms
	waitReset   = 150 * time.Microsecond  // after the second 0x3: >100 us
	waitExec    = 50 * time.Microsecond   // most instructions and data: 37 us + 4 us
	waitClear   = 2 * time.Millisecond    // clear display: 1.52 ms
	waitPulse   = time.Microsecond        // E high: >450 ns
)

// unknownCell marks a cell whose content on the display is not known (before
// the first Draw after an error, or after its glyph slot was redefined). It
// is never written, so it never equals a wanted code.
const unknownCell = 0xff

// bus puts one 4-bit transfer on the HD44780's lines: the GPIO pins, or the
// MCP23017 port they sit on.
type bus interface {
	// nibble sets RS, puts the low four bits of n on D4-D7 and strobes E.
	nibble(rs bool, n byte) error
	// backlight switches the backlight; a bus without one does nothing.
	backlight(on bool) error
	close() error
}

// Options tune an HD44780. The zero value is fine for the boards we have.
type Options struct {
	// Sleep waits for the controller. nil means time.Sleep; tests pass a
	// recorder so they neither wait nor depend on timing.
	Sleep func(time.Duration)
	// Backlight is the level that lights the backlight. The board
	// description does not say, so the default depends on the wiring:
	// active high on GPIO (a transistor driven by the pin), active low on
	// the MCP23017 plate (the common RGB LCD plate sinks the LED current).
	Backlight Polarity
	// Glyphs are the custom characters uploaded at init; nil means
	// NavGlyphs.
	Glyphs Glyphs
}

// Polarity is the level that switches something on.
type Polarity uint8

const (
	// DefaultPolarity leaves the choice to the wiring (see Options).
	DefaultPolarity Polarity = iota
	ActiveHigh
	ActiveLow
)

// activeLow resolves p, with def for DefaultPolarity.
func (p Polarity) activeLow(def Polarity) bool {
	if p == DefaultPolarity {
		p = def
	}
	return p == ActiveLow
}

// HD44780 is an HD44780 character LCD in 4-bit mode. Its methods are safe
// for concurrent use.
type HD44780 struct {
	mu    sync.Mutex
	bus   bus
	sleep func(time.Duration)
	geo   frame.Geometry
	// rowAddr is the DDRAM address of the first cell of each row.
	rowAddr []byte
	// shown is the char code in each cell, unknownCell if not known.
	shown []byte
	// slots maps glyphs to CGRAM char codes; bs is the code drawn for '\'.
	slots map[frame.Glyph]byte
	bs    byte
	// ctl is the display-control instruction in force.
	ctl byte
	// ac is the DDRAM address counter, -1 when unknown (after a CGRAM
	// write or an error).
	ac     int
	closed bool
}

// newHD44780 initialises the controller on b for a rows x cols panel and
// returns the driver. The display is cleared, the glyphs uploaded and the
// backlight switched on.
func newHD44780(b bus, rows, cols int, o Options) (*HD44780, error) {
	g := frame.Geometry{Rows: rows, Cols: cols}
	if !g.Valid() || rows > 4 || cols > 40 || rows*cols > 80 {
		return nil, fmt.Errorf("lcd: an HD44780 panel of %s is not supported (16x2 up to 20x4)", g)
	}
	d := &HD44780{
		bus:   b,
		sleep: o.Sleep,
		geo:   g,
		// Rows 2 and 3 of a four-line panel continue rows 0 and 1 in DDRAM.
		rowAddr: []byte{0x00, 0x40, byte(cols), 0x40 + byte(cols)}[:rows],
		shown:   make([]byte, rows*cols),
		bs:      '\\',
		ac:      -1,
	}
	if d.sleep == nil {
		d.sleep = time.Sleep
	}
	glyphs := o.Glyphs
	if glyphs == nil {
		glyphs = NavGlyphs()
	}
	if err := glyphs.Check(); err != nil {
		return nil, err
	}
	if err := d.init(glyphs); err != nil {
		return nil, fmt.Errorf("lcd: HD44780 init: %w", err)
	}
	return d, nil
}

// init is the "initializing by instruction" sequence of datasheet figure
// 24: it works whatever state (8-bit, 4-bit, half a byte in) the controller
// was left in, so a restarted daemon needs no power cycle.
func (d *HD44780) init(glyphs Glyphs) error {
	d.sleep(waitPowerOn)
	for _, step := range []struct {
		n    byte
		wait time.Duration
	}{{0x3, waitFirst}, {0x3, waitReset}, {0x3, waitReset}, {0x2, waitReset}} {
		if err := d.bus.nibble(false, step.n); err != nil {
			return err
		}
		d.sleep(step.wait)
	}
	for _, c := range []byte{cmdFunction | functionLines, cmdDisplay, cmdClear, cmdEntryMode | entryIncr} {
		if err := d.command(c); err != nil {
			return err
		}
	}
	for i := range d.shown {
		d.shown[i] = ' ' // what clear display leaves in DDRAM
	}
	if err := d.upload(glyphs); err != nil {
		return err
	}
	if err := d.setControl(cmdDisplay | displayOn); err != nil {
		return err
	}
	return d.bus.backlight(true)
}

// write sends one byte as two nibbles, high first, and waits for it to
// execute.
func (d *HD44780) write(rs bool, b byte) error {
	if err := d.bus.nibble(rs, b>>4); err != nil {
		return err
	}
	if err := d.bus.nibble(rs, b&0x0f); err != nil {
		return err
	}
	if !rs && b <= 0x03 { // clear display and return home take longer
		d.sleep(waitClear)
	} else {
		d.sleep(waitExec)
	}
	return nil
}

func (d *HD44780) command(c byte) error { return d.write(false, c) }

func (d *HD44780) setControl(c byte) error {
	if c == d.ctl {
		return nil
	}
	if err := d.command(c); err != nil {
		return err
	}
	d.ctl = c
	return nil
}

// upload writes the bitmaps into consecutive CGRAM slots from 0, in glyph
// order, then '\' into the next free slot if any. It assumes d.mu held.
func (d *HD44780) upload(g Glyphs) error {
	slots := map[frame.Glyph]byte{}
	var data []byte
	for i, k := range g.Sorted() {
		slots[k] = byte(i)
		b := g[k]
		data = append(data, b[:]...)
	}
	bs := byte('\\')
	if len(slots) < MaxGlyphs {
		bs = byte(len(slots))
		b := Backslash()
		data = append(data, b[:]...)
	}
	d.ac = -1 // the address counter now points into CGRAM
	if err := d.command(cmdCGRAM); err != nil {
		return err
	}
	for _, b := range data {
		if err := d.write(true, b); err != nil {
			return err
		}
	}
	// Cells showing a slot whose meaning may have changed must be redrawn.
	// A slot whose bitmap changed but keeps its glyph redraws itself.
	for i, c := range d.shown {
		if c < MaxGlyphs || c == '\\' {
			d.shown[i] = unknownCell
		}
	}
	d.slots, d.bs = slots, bs
	return nil
}

// DefineGlyphs uploads g into CGRAM (see the package doc for the slots).
func (d *HD44780) DefineGlyphs(g Glyphs) error {
	if err := g.Check(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if err := d.upload(g); err != nil {
		d.forget()
		return fmt.Errorf("lcd: uploading glyphs: %w", err)
	}
	return nil
}

// code is the char code that shows cell i of f.
func (d *HD44780) code(f frame.Frame, row, col int) byte {
	if g := f.Glyph(row, col); g != frame.NoGlyph {
		if c, ok := d.slots[g]; ok {
			return c
		}
		return byte(g.ASCII())
	}
	r := f.Text(row, col) // printable ASCII, frame guarantees it
	if r == '\\' {
		return d.bs
	}
	return byte(r)
}

// Draw writes the cells of f that differ from the display, one run of
// consecutive changed cells at a time (a DDRAM address, then the run), then
// places the cursor.
func (d *HD44780) Draw(f frame.Frame) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if f.Geometry() != d.geo {
		return fmt.Errorf("%w: frame %s, display %s", ErrGeometry, f.Geometry(), d.geo)
	}
	if err := d.draw(f); err != nil {
		d.forget()
		return fmt.Errorf("lcd: draw: %w", err)
	}
	return nil
}

func (d *HD44780) draw(f frame.Frame) error {
	cols := d.geo.Cols
	for r := 0; r < d.geo.Rows; r++ {
		for c := 0; c < cols; c++ {
			want := d.code(f, r, c)
			if d.shown[r*cols+c] == want {
				continue
			}
			addr := int(d.rowAddr[r]) + c
			if d.ac != addr {
				if err := d.command(cmdDDRAM | byte(addr)); err != nil {
					return err
				}
			}
			if err := d.write(true, want); err != nil {
				return err
			}
			d.shown[r*cols+c] = want
			d.ac = addr + 1
		}
	}
	cur := f.Cursor()
	ctl := byte(cmdDisplay | displayOn)
	if cur.Visible {
		ctl |= displayCursor
		addr := int(d.rowAddr[cur.Row]) + cur.Col
		if d.ac != addr {
			if err := d.command(cmdDDRAM | byte(addr)); err != nil {
				return err
			}
			d.ac = addr
		}
	}
	return d.setControl(ctl)
}

// forget marks everything on the display unknown after a failed write, so
// the next Draw rewrites it all.
func (d *HD44780) forget() {
	for i := range d.shown {
		d.shown[i] = unknownCell
	}
	d.ac = -1
	d.ctl = 0
}

// Backlight switches the backlight.
func (d *HD44780) Backlight(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if err := d.bus.backlight(on); err != nil {
		return fmt.Errorf("lcd: backlight: %w", err)
	}
	return nil
}

// Close releases the pins (or the expander) and leaves the screen as it is.
func (d *HD44780) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.bus.close()
}

// Geometry is the panel's size.
func (d *HD44780) Geometry() frame.Geometry { return d.geo }

var _ LCD = (*HD44780)(nil)
