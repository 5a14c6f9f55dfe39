// Package frame is the picture the front-panel menu hands to a display: a
// fixed grid of character cells (2x16 at least, 4x20 on larger panels, up
// to a full 24x80 console screen), the navigation indicators drawn as
// custom glyphs in some cells, an optional cursor and the S1/S2 LEDs.
//
// A Frame always fits its geometry: every constructor and setter clips
// text that is too long, pads lines that are too short, drops rows and
// cells outside the grid, and replaces characters a display cannot show.
// Display backends can therefore write a frame cell by cell without any
// checks of their own.
//
// Choices the spec leaves open:
//   - Cell text is printable ASCII (0x20-0x7e). Anything else becomes '?'.
//     Both targets are ASCII devices: the VT100 console, and the HD44780
//     character ROM, whose upper half differs between ROM variants. (On the
//     common A00 ROM '\' and '~' still show as other symbols; remapping
//     them to CGRAM is the LCD backend's job, not the frame's.)
//   - Navigation indicators use seven glyphs: up, down, left, right, enter
//     and the combined up/down and left/right arrows. The combined ones
//     keep the indicators to at most three cells, so a 13-character label
//     still fits on a 16-column top line. Seven glyphs fit the eight CGRAM
//     slots of an HD44780.
//   - Geometries outside 2..24 rows and 16..80 columns are clamped into
//     that range: 16x2 is the smallest panel the menu supports (see
//     platforms/board), 24x80 is a VT100 screen.
package frame

import (
	"fmt"
	"strings"
)

// Geometry limits. A Geometry is clamped into them by Normalize.
const (
	MinRows = 2
	MinCols = 16
	MaxRows = 24
	MaxCols = 80
)

// Geometry is the size of a display in character cells.
type Geometry struct {
	Rows, Cols int
}

// LCD16x2 is the smallest front panel, and the one most boards have.
func LCD16x2() Geometry { return Geometry{Rows: 2, Cols: 16} }

// LCD20x4 is the larger HD44780 panel some boards have.
func LCD20x4() Geometry { return Geometry{Rows: 4, Cols: 20} }

// Valid reports whether g is within the limits without clamping.
func (g Geometry) Valid() bool {
	return g.Rows >= MinRows && g.Rows <= MaxRows && g.Cols >= MinCols && g.Cols <= MaxCols
}

// Normalize returns g clamped into the limits.
func (g Geometry) Normalize() Geometry {
	return Geometry{Rows: clamp(g.Rows, MinRows, MaxRows), Cols: clamp(g.Cols, MinCols, MaxCols)}
}

func (g Geometry) String() string { return fmt.Sprintf("%dx%d", g.Cols, g.Rows) }

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// Glyph is a custom character drawn in a cell instead of its text. The LCD
// backend maps each glyph to a CGRAM slot; the console draws Rune or ASCII.
type Glyph uint8

const (
	NoGlyph Glyph = iota
	GlyphUp
	GlyphDown
	GlyphUpDown
	GlyphLeft
	GlyphRight
	GlyphLeftRight
	GlyphEnter
	numGlyphs
)

// Rune is the Unicode arrow for g, used by String and by terminals that
// can show it. NoGlyph and unknown glyphs give a space.
func (g Glyph) Rune() rune {
	switch g {
	case GlyphUp:
		return '↑'
	case GlyphDown:
		return '↓'
	case GlyphUpDown:
		return '↕'
	case GlyphLeft:
		return '←'
	case GlyphRight:
		return '→'
	case GlyphLeftRight:
		return '↔'
	case GlyphEnter:
		return '↵'
	}
	return ' '
}

// ASCII is a plain-ASCII stand-in for g, for a VT100 that cannot show the
// arrows.
func (g Glyph) ASCII() rune {
	switch g {
	case GlyphUp:
		return '^'
	case GlyphDown:
		return 'v'
	case GlyphUpDown:
		return '|'
	case GlyphLeft:
		return '<'
	case GlyphRight:
		return '>'
	case GlyphLeftRight:
		return '-'
	case GlyphEnter:
		return '#'
	}
	return ' '
}

// Nav says which keys do something on a screen. SetNav turns it into the
// navigation indicators.
type Nav struct {
	Up, Down, Left, Right, Enter bool
}

// Glyphs returns the indicators for n, in display order: the vertical
// arrow, the horizontal arrow, then enter. A pair of opposite keys is one
// combined glyph.
func (n Nav) Glyphs() []Glyph {
	var gs []Glyph
	switch {
	case n.Up && n.Down:
		gs = append(gs, GlyphUpDown)
	case n.Up:
		gs = append(gs, GlyphUp)
	case n.Down:
		gs = append(gs, GlyphDown)
	}
	switch {
	case n.Left && n.Right:
		gs = append(gs, GlyphLeftRight)
	case n.Left:
		gs = append(gs, GlyphLeft)
	case n.Right:
		gs = append(gs, GlyphRight)
	}
	if n.Enter {
		gs = append(gs, GlyphEnter)
	}
	return gs
}

// Width is the number of cells the indicators for n take.
func (n Nav) Width() int { return len(n.Glyphs()) }

// LEDs are the two status lights of the front panel (S3 is unused).
type LEDs struct {
	S1 bool // a scan is running
	S2 bool // a software update is running
}

// Cursor is the position of the display cursor. When Visible is false the
// position is meaningless and is kept at 0,0 so that equal frames compare
// equal.
type Cursor struct {
	Row, Col int
	Visible  bool
}

// Frame is one screen. The zero Frame is not usable; build one with New or
// Blank. Frames are values: Clone before changing a frame someone else
// holds, since the cells are shared by plain copies.
type Frame struct {
	geo    Geometry
	text   []rune
	glyphs []Glyph
	cursor Cursor
	leds   LEDs
}

// Blank returns an all-spaces frame of geometry g (clamped to the limits).
func Blank(g Geometry) Frame {
	g = g.Normalize()
	f := Frame{geo: g, text: make([]rune, g.Rows*g.Cols), glyphs: make([]Glyph, g.Rows*g.Cols)}
	for i := range f.text {
		f.text[i] = ' '
	}
	return f
}

// New returns a frame of geometry g whose rows hold lines, each clipped or
// padded to the width; lines beyond the last row are dropped.
func New(g Geometry, lines ...string) Frame {
	f := Blank(g)
	for r, l := range lines {
		f.SetLine(r, l)
	}
	return f
}

// Geometry returns the frame's size.
func (f Frame) Geometry() Geometry { return f.geo }

// Clone returns a deep copy of f.
func (f Frame) Clone() Frame {
	c := f
	c.text = append([]rune(nil), f.text...)
	c.glyphs = append([]Glyph(nil), f.glyphs...)
	return c
}

// cellRune maps a rune to what a cell can hold.
func cellRune(r rune) rune {
	if r < ' ' || r > '~' {
		return '?'
	}
	return r
}

func (f *Frame) in(row, col int) bool {
	return row >= 0 && row < f.geo.Rows && col >= 0 && col < f.geo.Cols
}

// SetLine replaces row with s, clipped or padded to the width. It clears
// any glyphs on the row. A row outside the frame is ignored.
func (f *Frame) SetLine(row int, s string) {
	if row < 0 || row >= f.geo.Rows {
		return
	}
	for c := 0; c < f.geo.Cols; c++ {
		f.text[row*f.geo.Cols+c] = ' '
		f.glyphs[row*f.geo.Cols+c] = NoGlyph
	}
	f.WriteAt(row, 0, s)
}

// WriteAt writes s from (row, col) onwards, clipped at the end of the row.
// It does not touch glyphs: a glyph still hides the text under it.
func (f *Frame) WriteAt(row, col int, s string) {
	for _, r := range s {
		if f.in(row, col) {
			f.text[row*f.geo.Cols+col] = cellRune(r)
		}
		col++
	}
}

// SetGlyph puts g in a cell (NoGlyph removes it). Outside the frame it is
// ignored, as is an unknown glyph.
func (f *Frame) SetGlyph(row, col int, g Glyph) {
	if f.in(row, col) && g < numGlyphs {
		f.glyphs[row*f.geo.Cols+col] = g
	}
}

// SetNav draws the indicators for n in the rightmost cells of the top row,
// removing any other glyphs from that row, and returns how many cells they
// take. Text under the indicators stays in the frame but is not shown.
func (f *Frame) SetNav(n Nav) int {
	if len(f.glyphs) == 0 {
		return 0 // the zero Frame has no cells
	}
	for c := 0; c < f.geo.Cols; c++ {
		f.glyphs[c] = NoGlyph
	}
	gs := n.Glyphs()
	for i, g := range gs {
		f.glyphs[f.geo.Cols-len(gs)+i] = g
	}
	return len(gs)
}

// SetCursor shows the cursor at (row, col); a position outside the frame
// hides it.
func (f *Frame) SetCursor(row, col int) {
	if !f.in(row, col) {
		f.cursor = Cursor{}
		return
	}
	f.cursor = Cursor{Row: row, Col: col, Visible: true}
}

// HideCursor hides the cursor.
func (f *Frame) HideCursor() { f.cursor = Cursor{} }

// SetLEDs sets the status lights.
func (f *Frame) SetLEDs(l LEDs) { f.leds = l }

// Cursor returns the cursor.
func (f Frame) Cursor() Cursor { return f.cursor }

// LEDs returns the status lights.
func (f Frame) LEDs() LEDs { return f.leds }

// Text returns the character in a cell (a space outside the frame). It is
// the text under any glyph.
func (f Frame) Text(row, col int) rune {
	if !f.in(row, col) {
		return ' '
	}
	return f.text[row*f.geo.Cols+col]
}

// Glyph returns the glyph in a cell, NoGlyph if none or outside the frame.
func (f Frame) Glyph(row, col int) Glyph {
	if !f.in(row, col) {
		return NoGlyph
	}
	return f.glyphs[row*f.geo.Cols+col]
}

// Line returns the text of a row, exactly Cols runes, with glyph cells
// shown as their ASCII stand-ins (what a plain terminal would print).
func (f Frame) Line(row int) string {
	if row < 0 || row >= f.geo.Rows {
		return ""
	}
	var b strings.Builder
	for c := 0; c < f.geo.Cols; c++ {
		if g := f.glyphs[row*f.geo.Cols+c]; g != NoGlyph {
			b.WriteRune(g.ASCII())
		} else {
			b.WriteRune(f.text[row*f.geo.Cols+c])
		}
	}
	return b.String()
}

// Fits reports whether f is well-formed for a display of geometry g: same
// size, cells printable ASCII, known glyphs, cursor inside. Frames built
// through this package always fit their own geometry; Fits is for tests
// and for backends that want to assert it.
func (f Frame) Fits(g Geometry) bool {
	if f.geo != g || !g.Valid() || len(f.text) != g.Rows*g.Cols || len(f.glyphs) != len(f.text) {
		return false
	}
	for i, r := range f.text {
		if r < ' ' || r > '~' || f.glyphs[i] >= numGlyphs {
			return false
		}
	}
	if f.cursor.Visible && !f.in(f.cursor.Row, f.cursor.Col) {
		return false
	}
	return f.cursor.Visible || f.cursor == Cursor{}
}

// Equal reports whether two frames show the same thing: geometry, text,
// glyphs, cursor and LEDs. Text hidden under a glyph counts too, because a
// backend that later removes the glyph would show it.
func (f Frame) Equal(o Frame) bool {
	if f.geo != o.geo || f.cursor != o.cursor || f.leds != o.leds || len(f.text) != len(o.text) || len(f.glyphs) != len(o.glyphs) {
		return false
	}
	for i := range f.text {
		if f.text[i] != o.text[i] {
			return false
		}
	}
	for i := range f.glyphs {
		if f.glyphs[i] != o.glyphs[i] {
			return false
		}
	}
	return true
}

// String draws the frame in a box, for golden tests and logs:
//
//	+----------------+ S1
//	|LAN IP ADDR    ↕|
//	|192.168.001.010 |<
//	+--^-------------+
//
// Glyphs are shown as Unicode arrows (cell text is ASCII, so they cannot be
// confused with it). "S1"/"S2" after the top border are the lit LEDs. The
// cursor is marked by '<' after its row and '^' in the bottom border under
// its column.
func (f Frame) String() string {
	var b strings.Builder
	border := func(mark int) {
		b.WriteByte('+')
		for c := 0; c < f.geo.Cols; c++ {
			if c == mark {
				b.WriteByte('^')
			} else {
				b.WriteByte('-')
			}
		}
		b.WriteByte('+')
	}
	border(-1)
	if f.leds.S1 {
		b.WriteString(" S1")
	}
	if f.leds.S2 {
		b.WriteString(" S2")
	}
	b.WriteByte('\n')
	for r := 0; r < f.geo.Rows; r++ {
		b.WriteByte('|')
		for c := 0; c < f.geo.Cols; c++ {
			if g := f.glyphs[r*f.geo.Cols+c]; g != NoGlyph {
				b.WriteRune(g.Rune())
			} else {
				b.WriteRune(f.text[r*f.geo.Cols+c])
			}
		}
		b.WriteByte('|')
		if f.cursor.Visible && f.cursor.Row == r {
			b.WriteByte('<')
		}
		b.WriteByte('\n')
	}
	mark := -1
	if f.cursor.Visible {
		mark = f.cursor.Col
	}
	border(mark)
	b.WriteByte('\n')
	return b.String()
}
