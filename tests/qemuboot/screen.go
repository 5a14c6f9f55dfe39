package qemuboot

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Screen is what a terminal attached to a guest's serial port shows: the
// bytes the guest sent, played on a grid of cells the way a VT100 (or an
// ANSI terminal) would. It follows what the box's front ends send: the
// console's full-screen VT100 drawing (src/panel/vt100screen), lcdd's
// terminal panel (src/panel/lcd, ANSI mode) and the kernel's and init's
// plain lines in between. Handled: printable characters (UTF-8), CR, LF
// with scrolling, BS, cursor addressing (CSI H and f), erase in display and
// line (CSI J and K), reverse video (CSI m); any other escape sequence is
// consumed and ignored. Its methods are safe for concurrent use.
//
// A test reads what the operator would see (Panel, Rows), not the byte
// stream: a screen that is redrawn a line at a time only makes sense once
// played.
type Screen struct {
	mu      sync.Mutex
	rows    int
	cols    int
	cell    [][]rune
	rev     [][]bool
	r, c    int
	reverse bool
	esc     int    // escape state: 0 none, 1 after ESC, 2 in CSI, 3 ESC + one intermediate
	params  []byte // CSI parameter bytes
	partial []byte // an incomplete UTF-8 sequence
	redrawn chan struct{}
}

// NewScreen returns a blank screen of rows x cols cells.
func NewScreen(rows, cols int) *Screen {
	s := &Screen{rows: rows, cols: cols, redrawn: make(chan struct{})}
	s.cell = make([][]rune, rows)
	s.rev = make([][]bool, rows)
	for i := range s.cell {
		s.cell[i], s.rev[i] = blankRow(cols)
	}
	return s
}

func blankRow(cols int) ([]rune, []bool) {
	r := make([]rune, cols)
	for i := range r {
		r[i] = ' '
	}
	return r, make([]bool, cols)
}

// Write plays p on the screen.
func (s *Screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := append(s.partial, p...)
	s.partial = nil
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf || s.esc != 0 {
			s.byte(b[0])
			b = b[1:]
			continue
		}
		if !utf8.FullRune(b) {
			s.partial = append([]byte(nil), b...)
			break
		}
		r, n := utf8.DecodeRune(b)
		s.put(r)
		b = b[n:]
	}
	close(s.redrawn)
	s.redrawn = make(chan struct{})
	return len(p), nil
}

// Changed returns a channel closed at the next Write.
func (s *Screen) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.redrawn
}

func (s *Screen) byte(c byte) {
	switch s.esc {
	case 1:
		switch {
		case c == '[':
			s.esc, s.params = 2, s.params[:0]
		case c >= 0x20 && c <= 0x2f: // ESC ( B and the like
			s.esc = 3
		default:
			s.esc = 0
		}
		return
	case 3:
		s.esc = 0
		return
	case 2:
		if c >= 0x40 && c <= 0x7e {
			s.esc = 0
			s.csi(c)
		} else {
			s.params = append(s.params, c)
		}
		return
	}
	switch c {
	case 0x1b:
		s.esc = 1
	case '\r':
		s.c = 0
	case '\n':
		s.lineFeed()
	case '\b':
		if s.c > 0 {
			s.c--
		}
	default:
		if c >= 0x20 && c < 0x7f {
			s.put(rune(c))
		}
	}
}

func (s *Screen) put(r rune) {
	if s.c >= s.cols {
		// Autowrap, as a VT100 in its default mode.
		s.c = 0
		s.lineFeed()
	}
	s.cell[s.r][s.c], s.rev[s.r][s.c] = r, s.reverse
	s.c++
}

func (s *Screen) lineFeed() {
	if s.r < s.rows-1 {
		s.r++
		return
	}
	copy(s.cell, s.cell[1:])
	copy(s.rev, s.rev[1:])
	s.cell[s.rows-1], s.rev[s.rows-1] = blankRow(s.cols)
}

func (s *Screen) csi(final byte) {
	var n []int
	for _, f := range strings.Split(string(s.params), ";") {
		v, _ := strconv.Atoi(strings.TrimLeft(f, "?"))
		n = append(n, v)
	}
	arg := func(i, def int) int {
		if i < len(n) && n[i] != 0 {
			return n[i]
		}
		return def
	}
	switch final {
	case 'H', 'f':
		s.r = min(max(arg(0, 1), 1), s.rows) - 1
		s.c = min(max(arg(1, 1), 1), s.cols) - 1
	case 'J':
		switch arg(0, 0) {
		case 0:
			s.eraseLine(s.r, s.c, s.cols)
			for r := s.r + 1; r < s.rows; r++ {
				s.eraseLine(r, 0, s.cols)
			}
		case 1:
			for r := 0; r < s.r; r++ {
				s.eraseLine(r, 0, s.cols)
			}
			s.eraseLine(s.r, 0, s.c+1)
		case 2:
			for r := 0; r < s.rows; r++ {
				s.eraseLine(r, 0, s.cols)
			}
		}
	case 'K':
		switch arg(0, 0) {
		case 0:
			s.eraseLine(s.r, s.c, s.cols)
		case 1:
			s.eraseLine(s.r, 0, s.c+1)
		case 2:
			s.eraseLine(s.r, 0, s.cols)
		}
	case 'm':
		for i := 0; i < max(len(n), 1); i++ {
			switch arg(i, 0) {
			case 0, 27:
				s.reverse = false
			case 7:
				s.reverse = true
			}
		}
	}
}

func (s *Screen) eraseLine(r, from, to int) {
	for c := from; c < min(to, s.cols); c++ {
		s.cell[r][c], s.rev[r][c] = ' ', false
	}
}

// Rows returns the screen's text, one string per row, trailing blanks cut.
func (s *Screen) Rows() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, s.rows)
	for i, row := range s.cell {
		out[i] = strings.TrimRight(string(row), " ")
	}
	return out
}

// String is the screen as text, for failure messages.
func (s *Screen) String() string { return strings.Join(s.Rows(), "\n") }

// Panel returns the text of the front-panel picture on the screen: the
// rows of the box drawn as |...| (both the console's and lcdd's terminal
// panel draw the LCD so), inside the borders, joined by one space, runs of
// blanks cut to one. The navigation indicators are left out: the console
// shows them in reverse video and lcdd's terminal as arrows (not ASCII),
// so that "REALLY REBOOT SYSTEM?" reads the same however the menu wraps
// it and whatever indicator sits beside it. Empty when no panel shows.
func (s *Screen) Panel() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var words []string
	for r, row := range s.cell {
		open, end := -1, -1
		for c, ch := range row {
			if ch == '|' && !s.rev[r][c] {
				if open < 0 {
					open = c
				}
				end = c
			}
		}
		// Border rows are +----+; a panel row is |text| with nothing but
		// blanks around it.
		if open < 0 || end <= open || strings.TrimSpace(string(row[:open])) != "" || strings.TrimSpace(string(row[end+1:])) != "" {
			continue
		}
		var b strings.Builder
		for c := open + 1; c < end; c++ {
			ch := row[c]
			if s.rev[r][c] || ch >= utf8.RuneSelf {
				ch = ' '
			}
			b.WriteRune(ch)
		}
		words = append(words, strings.Fields(b.String())...)
	}
	return strings.Join(words, " ")
}
