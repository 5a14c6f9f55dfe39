package lcd

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"picket.dev/picket/src/panel/frame"
)

// TerminalOptions choose how a Terminal draws.
type TerminalOptions struct {
	// ANSI redraws the panel in place (cursor home, then erase what is
	// left) and shows the cursor cell in reverse video, for a person at a
	// terminal. Without it every changed frame is appended as plain text,
	// for logs and tests.
	ANSI bool
	// ASCII draws glyphs as their ASCII stand-ins instead of Unicode
	// arrows, for terminals without them.
	ASCII bool
}

// Terminal is the LCD backend for the virtual board and for development: it
// draws the panel as a box on an io.Writer, glyphs as arrows and the S1/S2
// LEDs beside it:
//
//	+----------------+
//	|LAN IP ADDR    ↕|
//	|192.168.001.010 |
//	+--^-------------+
//	S1 [*]  S2 [ ]
//
// The '^' marks the cursor column in plain mode. Like the HD44780 it shows
// a glyph without a defined bitmap as its ASCII stand-in, so what a person
// sees matches the panel. Its methods are safe for concurrent use.
type Terminal struct {
	mu      sync.Mutex
	w       io.Writer
	geo     frame.Geometry
	opt     TerminalOptions
	defined Glyphs
	last    frame.Frame
	drawn   bool // last holds a frame that has been written
	light   bool
	closed  bool
}

// NewTerminal returns a terminal panel of geometry g writing to w. It
// writes nothing until the first Draw.
func NewTerminal(w io.Writer, g frame.Geometry, o TerminalOptions) *Terminal {
	return &Terminal{w: w, geo: g.Normalize(), opt: o, defined: NavGlyphs(), light: true}
}

// Draw writes f unless it equals the frame already shown.
func (t *Terminal) Draw(f frame.Frame) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	if f.Geometry() != t.geo {
		return fmt.Errorf("%w: frame %s, display %s", ErrGeometry, f.Geometry(), t.geo)
	}
	if t.drawn && f.Equal(t.last) {
		return nil
	}
	t.last, t.drawn = f.Clone(), true
	return t.render()
}

// DefineGlyphs sets which glyphs show as arrows; the bitmaps themselves are
// only checked, as the terminal has real arrows.
func (t *Terminal) DefineGlyphs(g Glyphs) error {
	if err := g.Check(); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	t.defined = Glyphs{}
	for k, v := range g {
		t.defined[k] = v
	}
	if !t.drawn {
		return nil
	}
	return t.render()
}

// Backlight dims the panel text (ANSI) or notes "backlight off" (plain).
func (t *Terminal) Backlight(on bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	if on == t.light {
		return nil
	}
	t.light = on
	if !t.drawn {
		return nil
	}
	return t.render()
}

// Close stops drawing. It does not close the writer.
func (t *Terminal) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return nil
}

func (t *Terminal) glyph(g frame.Glyph) rune {
	if _, ok := t.defined[g]; ok && !t.opt.ASCII {
		return g.Rune()
	}
	return g.ASCII()
}

// render writes t.last in one Write, so that a terminal never shows half a
// panel.
func (t *Terminal) render() error {
	f := t.last
	cur := f.Cursor()
	var b strings.Builder
	eol := "\n"
	if t.opt.ANSI {
		b.WriteString("\x1b[H") // home; each line erases its rest
		eol = "\x1b[K\r\n"
	}
	border := func(mark int) {
		b.WriteByte('+')
		for c := 0; c < t.geo.Cols; c++ {
			if c == mark {
				b.WriteByte('^')
			} else {
				b.WriteByte('-')
			}
		}
		b.WriteByte('+')
		b.WriteString(eol)
	}
	border(-1)
	for r := 0; r < t.geo.Rows; r++ {
		b.WriteByte('|')
		if t.opt.ANSI && !t.light {
			b.WriteString("\x1b[2m")
		}
		for c := 0; c < t.geo.Cols; c++ {
			ch := f.Text(r, c)
			if g := f.Glyph(r, c); g != frame.NoGlyph {
				ch = t.glyph(g)
			}
			if t.opt.ANSI && cur.Visible && cur.Row == r && cur.Col == c {
				b.WriteString("\x1b[7m")
				b.WriteRune(ch)
				b.WriteString("\x1b[27m")
				continue
			}
			b.WriteRune(ch)
		}
		if t.opt.ANSI && !t.light {
			b.WriteString("\x1b[22m")
		}
		b.WriteByte('|')
		b.WriteString(eol)
	}
	mark := -1
	if cur.Visible && !t.opt.ANSI {
		mark = cur.Col
	}
	border(mark)
	leds := f.LEDs()
	fmt.Fprintf(&b, "S1 [%s]  S2 [%s]", lit(leds.S1), lit(leds.S2))
	if !t.light {
		b.WriteString("  backlight off")
	}
	b.WriteString(eol)
	if t.opt.ANSI {
		b.WriteString("\x1b[J") // erase anything below from a taller drawing
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}

func lit(on bool) string {
	if on {
		return "*"
	}
	return " "
}

var _ LCD = (*Terminal)(nil)
