// Package lcd draws front-panel frames on a character display: a Hitachi
// HD44780 (or compatible) driven in 4-bit mode, either straight from GPIO
// pins (the armv7 board) or through an MCP23017 I2C "LCD plate" (the rpi4
// board), and a terminal backend that draws the same panel, with its LEDs,
// on an io.Writer for the virtual board and for development.
//
// Every backend implements LCD. Draw takes a whole frame.Frame and writes
// only the cells that differ from what the display already shows, because
// an HD44780 byte costs tens of microseconds on GPIO and several I2C
// transactions on the plate, and a menu redraw usually changes one digit.
//
// The navigation indicators of a frame are custom characters: DefineGlyphs
// uploads one 5x8 bitmap per frame.Glyph into the HD44780's eight CGRAM
// slots, and glyph cells are then written as char codes 0-7. A free slot is
// used for '\', which the common A00 character ROM shows as a yen sign.
//
// Why not periph.io/x/devices/v3/hd44780: that driver (v3.7.4) exposes no
// raw instruction write, so CGRAM cannot be addressed (SetCursor always sets
// bit 7, the DDRAM command), its init never sends the function set for two
// lines (0x28; it sends 0x14, a cursor shift), it computes row addresses for
// two rows only (a 20x4 needs 0x14 and 0x54), has no backlight or cursor
// control, and sleeps with time.Sleep so tests cannot record the waits. This
// package therefore has its own small 4-bit driver over periph gpio.PinOut
// pins (or an MCP23017 pin group from periph's mcp23xxx) with the waits
// going through a function the caller passes in.
//
// Pins are never looked up in a global registry here: the caller passes a
// PinLookup (periph's gpioreg on the box, gpiotest pins in tests) or an
// i2c.Bus (i2creg on the box, i2ctest in tests).
package lcd

import (
	"errors"
	"fmt"
	"sort"

	"periph.io/x/conn/v3/gpio"

	"picket.dev/picket/src/panel/frame"
)

// LCD is a front-panel display.
type LCD interface {
	// Draw shows f, writing only what changed since the last Draw. The
	// frame's geometry must be the display's.
	Draw(f frame.Frame) error
	// DefineGlyphs sets the bitmaps drawn for frame glyphs. A glyph with no
	// bitmap is drawn as its ASCII stand-in (frame.Glyph.ASCII).
	DefineGlyphs(g Glyphs) error
	// Backlight switches the backlight on or off.
	Backlight(on bool) error
	// Close releases the display. It leaves the last frame on screen, so
	// that "It's now safe to unplug the box" stays after shutdown.
	Close() error
}

// Bitmap is a 5x8 custom character: one byte per pixel row, top row first,
// the low five bits used, bit 4 the leftmost column. Row 7 is where the
// HD44780 draws its underline cursor, so glyphs leave it blank.
type Bitmap [8]byte

// Glyphs maps frame glyphs to their bitmaps.
type Glyphs map[frame.Glyph]Bitmap

// MaxGlyphs is the number of CGRAM slots of an HD44780 in 5x8 mode.
const MaxGlyphs = 8

// ErrGeometry is returned by Draw for a frame whose size is not the
// display's.
var ErrGeometry = errors.New("lcd: frame geometry differs from the display's")

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("lcd: display is closed")

// NavGlyphs returns the bitmaps of the seven navigation glyphs of package
// frame. A new function value each call, so no caller can alter another's.
func NavGlyphs() Glyphs {
	return Glyphs{
		frame.GlyphUp:        {0x04, 0x0e, 0x15, 0x04, 0x04, 0x04, 0x04, 0x00},
		frame.GlyphDown:      {0x04, 0x04, 0x04, 0x04, 0x15, 0x0e, 0x04, 0x00},
		frame.GlyphUpDown:    {0x04, 0x0e, 0x15, 0x04, 0x15, 0x0e, 0x04, 0x00},
		frame.GlyphLeft:      {0x00, 0x04, 0x08, 0x1f, 0x08, 0x04, 0x00, 0x00},
		frame.GlyphRight:     {0x00, 0x04, 0x02, 0x1f, 0x02, 0x04, 0x00, 0x00},
		frame.GlyphLeftRight: {0x00, 0x00, 0x0a, 0x1f, 0x0a, 0x00, 0x00, 0x00},
		frame.GlyphEnter:     {0x01, 0x01, 0x05, 0x09, 0x1f, 0x08, 0x04, 0x00},
	}
}

// Backslash is the bitmap that replaces ROM code 0x5c ('\' on the A02 ROM,
// a yen sign on the common A00 one) whenever a CGRAM slot is free. PROXY
// USER needs it for DOMAIN\user. The serial module's driver uses it too
// on modules with an HD44780 ROM.
func Backslash() Bitmap { return Bitmap{0x00, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00, 0x00} }

// Sorted returns the glyphs of g in ascending order, so that slot
// assignment does not depend on map iteration order.
func (g Glyphs) Sorted() []frame.Glyph {
	gs := make([]frame.Glyph, 0, len(g))
	for k := range g {
		gs = append(gs, k)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i] < gs[j] })
	return gs
}

// Check reports glyphs that no display can take: more than MaxGlyphs, a
// bitmap for NoGlyph, or a row wider than 5 pixels.
func (g Glyphs) Check() error {
	if len(g) > MaxGlyphs {
		return fmt.Errorf("lcd: %d glyphs defined, an HD44780 has %d CGRAM slots", len(g), MaxGlyphs)
	}
	for k, b := range g {
		if k == frame.NoGlyph {
			return errors.New("lcd: a bitmap for NoGlyph makes no sense")
		}
		for _, row := range b {
			if row > 0x1f {
				return fmt.Errorf("lcd: glyph %d has a row %#02x wider than 5 pixels", k, row)
			}
		}
	}
	return nil
}

// PinLookup resolves a board pin name ("GPIO17", or "GPB7" on the plate) to
// a pin. On the box it is HostPins (periph's registry after host.Init), or
// a Plate's Pin; tests pass gpiotest pins.
type PinLookup func(name string) (gpio.PinIO, error)
