// Package vt100screen draws the front-panel picture (a frame.Frame) full
// screen on the VT100 terminal of the serial console, under a header line
// that gives the box's MAC address once the operator pressed ENTER, and
// the screen the console starts with: the "press ENTER" prompt.
//
// The frame appears as an LCD-sized box in the upper left, with the
// navigation indicators as ASCII stand-ins in reverse video (a terminal has
// no custom glyphs), the active keys spelled out below the box, the S1/S2
// LEDs as text and a key help line at the bottom. The frame's cursor is
// where the terminal cursor is put, and is also marked with '^' in the
// box's bottom border, because many terminals draw a cursor that is hard
// to see.
//
// The output is plain 7-bit VT100: printable ASCII plus ESC sequences for
// cursor addressing, erase and reverse video. No UTF-8, no 8-bit
// controls, nothing later than the VT100 (not even hiding the cursor), so
// it works on a real VT100 and any emulator.
//
// At 9600 baud a full 80x24 screen takes about two seconds to send, so
// after the first draw a Screen rewrites only the lines that changed, and
// sends nothing at all when nothing changed.
package vt100screen

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"

	"picket.dev/picket/src/panel/frame"
)

// The VT100 screen size. Layout never writes the last column, so the
// terminal's autowrap never scrolls the screen.
const (
	Rows = 24
	Cols = 80
)

// Layout of the frame screen (1-based terminal rows and columns).
const (
	headerRow = 1
	// NoticeRow is where SetNotice's text is shown, in reverse video: a
	// row that every screen leaves blank.
	NoticeRow = 2
	boxTop    = 3 // top border; frame rows start below it
	boxLeft   = 3 // left border column
	helpRow   = Rows
	// parkRow is where the terminal cursor rests when the frame has no
	// visible cursor: a line that is always blank.
	parkRow = Rows - 1
	// The largest frame area shown: rows above the info lines and help
	// line, columns inside the 79 usable ones. Bigger frames are clipped.
	maxFrameRows = parkRow - boxTop - 5 // borders, blank, keys, LEDs
	maxFrameCols = Cols - 1 - boxLeft - 1
)

// Default texts.
const (
	DefaultHeader = "Picket console"
	// DefaultHelp is the key help line: how the console's keys map to the
	// panel's five keys and CLEAR.
	DefaultHelp = "Arrows: UP DOWN LEFT RIGHT  Return: ENTER  Ctrl-U: CLEAR  Type in text fields"
)

// Options change the fixed texts of a Screen. Zero fields take the
// defaults.
type Options struct {
	// Header is the top line of every screen, for example the product
	// name and the box's MAC address.
	Header string
	// Help is the bottom line of the frame screen.
	Help string
}

// Screen is one VT100 terminal. It remembers what it last sent so that it
// can send only the differences. It is not safe for concurrent use.
type Screen struct {
	w      io.Writer
	base   string // the header as given
	header string // base, then the MAC address once set
	help   string

	// shown holds each row's content as last sent; valid only when drawn.
	shown [Rows]string
	// cursor is the terminal cursor position (1-based) as last sent.
	cursor [2]int
	drawn  bool
	// notice is shown on NoticeRow over every screen; last is the page
	// last shown, without it, for SetNotice to show again.
	notice string
	last   page
}

// New returns a Screen that writes to w, normally the serial port. The
// first draw clears the terminal.
func New(w io.Writer, o Options) *Screen {
	s := &Screen{w: w, header: DefaultHeader, help: DefaultHelp}
	if o.Header != "" {
		s.header = o.Header
	}
	if o.Help != "" {
		s.help = o.Help
	}
	s.header = clip(ascii(s.header), Cols-1)
	s.base = s.header
	s.help = clip(ascii(s.help), Cols-1)
	return s
}

// Invalidate forgets what the terminal shows, so the next draw clears and
// redraws everything. Call it when the terminal may have been changed
// behind the Screen's back: after the device was reopened, or when the
// operator asks for a repaint.
func (s *Screen) Invalidate() { s.drawn = false }

// SetNotice shows text on NoticeRow of every screen until it is set to ""
// (the console's LINE NOISE while it ignores input), and sends it at once
// over what the terminal shows.
func (s *Screen) SetNotice(text string) error {
	s.notice = clip(ascii(text), Cols-1)
	if !s.drawn {
		return nil
	}
	p := s.last
	return s.show(&p)
}

// Prompt shows the screen the console starts with: nothing but the header
// and a request to press ENTER.
func (s *Screen) Prompt() error {
	var p page
	p.set(headerRow, s.header)
	const msg = "  Press ENTER to start."
	p.set(3, msg)
	p.cursor = [2]int{3, len(msg) + 2}
	return s.show(&p)
}

// SetMAC puts the box's MAC address on the header line of every screen
// from now on. The console does it when the operator presses ENTER, and
// its next screen is the menu's, so the address and the panel appear
// together (the guide: "Press the ENTER key ... to display the Remote
// Console interface. You will notice the MAC address ... appears"), with
// no screen of their own that would take a key. label names the
// interface, for example "LAN (eth0)".
func (s *Screen) SetMAC(label string, mac net.HardwareAddr) {
	addr := "unknown"
	if len(mac) > 0 {
		addr = mac.String()
	}
	line := "MAC address: " + addr
	if label != "" {
		line = "MAC address of " + label + ": " + addr
	}
	s.header = clip(ascii(s.base+"   "+line), Cols-1)
}

// Draw shows f: the box with the frame, the active keys, the LEDs and the
// help line.
func (s *Screen) Draw(f frame.Frame) error {
	var p page
	p.set(headerRow, s.header)
	g := f.Geometry()
	rows, cols := min(max(g.Rows, 0), maxFrameRows), min(max(g.Cols, 0), maxFrameCols)
	cur := f.Cursor()
	curVisible := cur.Visible && cur.Row < rows && cur.Col < cols

	border := func(mark int) string {
		var b strings.Builder
		b.WriteString(strings.Repeat(" ", boxLeft-1))
		b.WriteByte('+')
		for c := range cols {
			if c == mark {
				b.WriteByte('^')
			} else {
				b.WriteByte('-')
			}
		}
		b.WriteByte('+')
		return b.String()
	}
	p.set(boxTop, border(-1))
	var active []string
	for r := range rows {
		var b strings.Builder
		b.WriteString(strings.Repeat(" ", boxLeft-1))
		b.WriteByte('|')
		reverse := false
		for c := range cols {
			gl := f.Glyph(r, c)
			if on := gl != frame.NoGlyph; on != reverse {
				// Glyph cells in reverse video, so '|' or '-' standing
				// for an arrow cannot be mistaken for text.
				if on {
					b.WriteString(sgrReverse)
				} else {
					b.WriteString(sgrOff)
				}
				reverse = on
			}
			if gl != frame.NoGlyph {
				b.WriteRune(gl.ASCII())
				if name := glyphName(gl); name != "" && r == 0 {
					active = append(active, name)
				}
			} else {
				b.WriteByte(cellByte(f.Text(r, c)))
			}
		}
		if reverse {
			b.WriteString(sgrOff)
		}
		b.WriteByte('|')
		p.set(boxTop+1+r, b.String())
	}
	mark := -1
	if curVisible {
		mark = cur.Col
	}
	bottom := boxTop + 1 + rows
	p.set(bottom, border(mark))
	if len(active) > 0 {
		p.set(bottom+2, clip("  Keys: "+strings.Join(active, "  "), Cols-1))
	}
	leds := f.LEDs()
	p.set(bottom+3, "  LED S1 (scan running): "+onOff(leds.S1)+"   LED S2 (update running): "+onOff(leds.S2))
	p.set(helpRow, s.help)
	if curVisible {
		p.cursor = [2]int{boxTop + 1 + cur.Row, boxLeft + 1 + cur.Col}
	} else {
		p.cursor = [2]int{parkRow, 1}
	}
	return s.show(&p)
}

// VT100 control sequences used. All are in the VT100's own repertoire.
const (
	escCharsetASCII = "\x1b(B" // G0 is US ASCII (undo a stray line-drawing select)
	sgrOff          = "\x1b[m"
	sgrReverse      = "\x1b[7m"
	eraseScreen     = "\x1b[H\x1b[2J"
	eraseLineRight  = "\x1b[K"
)

// page is the content of one screen before it is sent.
type page struct {
	rows   [Rows]string
	cursor [2]int // 1-based row, column
}

// set puts s on a 1-based row. Callers pass ASCII already clipped, or
// layout text known to fit.
func (p *page) set(row int, s string) {
	if row >= 1 && row <= Rows {
		p.rows[row-1] = s
	}
}

// show sends p: everything after a clear on the first draw, afterwards
// only the rows that differ and the cursor if it moved.
func (s *Screen) show(p *page) error {
	s.last = *p
	if s.notice != "" {
		p.rows[NoticeRow-1] = sgrReverse + s.notice + sgrOff
	}
	var b bytes.Buffer
	full := !s.drawn
	if full {
		b.WriteString(escCharsetASCII + sgrOff + eraseScreen)
	}
	changed := full
	for i, line := range p.rows {
		if full {
			if line == "" {
				continue // already erased
			}
		} else if line == s.shown[i] {
			continue
		}
		changed = true
		fmt.Fprintf(&b, "\x1b[%d;1H", i+1)
		b.WriteString(line)
		b.WriteString(eraseLineRight)
	}
	if changed || p.cursor != s.cursor {
		fmt.Fprintf(&b, "\x1b[%d;%dH", p.cursor[0], p.cursor[1])
	}
	if b.Len() == 0 {
		return nil
	}
	if _, err := s.w.Write(b.Bytes()); err != nil {
		// The terminal holds an unknown part of the output: start over
		// with a full draw next time.
		s.drawn = false
		return fmt.Errorf("vt100screen: %w", err)
	}
	s.shown = p.rows
	s.cursor = p.cursor
	s.drawn = true
	return nil
}

// glyphName spells out what a navigation glyph means, for the keys line.
func glyphName(g frame.Glyph) string {
	switch g {
	case frame.GlyphUp:
		return "UP"
	case frame.GlyphDown:
		return "DOWN"
	case frame.GlyphUpDown:
		return "UP/DOWN"
	case frame.GlyphLeft:
		return "LEFT"
	case frame.GlyphRight:
		return "RIGHT"
	case frame.GlyphLeftRight:
		return "LEFT/RIGHT"
	case frame.GlyphEnter:
		return "ENTER"
	}
	return ""
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "off"
}

// cellByte is a frame cell as one ASCII byte. Frames hold printable ASCII
// already; this guards the wire against a malformed frame anyway.
func cellByte(r rune) byte {
	if r < ' ' || r > '~' {
		return '?'
	}
	return byte(r)
}

// ascii replaces everything but printable ASCII, so caller-supplied texts
// cannot put control sequences or UTF-8 on the line.
func ascii(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteByte(cellByte(r))
	}
	return b.String()
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
