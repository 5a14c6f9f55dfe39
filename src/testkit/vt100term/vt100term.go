// Package vt100term is a small VT100 terminal emulator for tests: it
// keeps the 24x80 screen the serial console (package vt100screen) draws,
// with each cell's reverse-video attribute, so a test reads what an
// operator would see. It accepts only the repertoire vt100screen may send
// (printable ASCII, cursor addressing, erase in line and display, SGR 0
// and 7, the ASCII charset select) and reports anything else as an error,
// so it also checks the console stays within it. Output may arrive in
// pieces, split anywhere, as it does from a pty.
package vt100term

import (
	"fmt"
	"strconv"
	"strings"
)

// The screen size of a VT100.
const (
	Rows = 24
	Cols = 80
)

// Term is one emulated terminal. It is not safe for concurrent use.
type Term struct {
	cells    [Rows][Cols]byte
	rev      [Rows][Cols]bool
	row, col int // 0-based
	reverse  bool
	pending  []byte // an escape sequence not complete yet
	err      error
}

// New returns a terminal with a blank screen.
func New() *Term {
	t := &Term{}
	t.clear()
	return t
}

func (t *Term) clear() {
	for r := range t.cells {
		for c := range t.cells[r] {
			t.cells[r][c] = ' '
			t.rev[r][c] = false
		}
	}
}

// Write feeds output to the terminal. After the first byte outside the
// repertoire it keeps returning that error.
func (t *Term) Write(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	data := append(t.pending, p...)
	t.pending = nil
	for i := 0; i < len(data); i++ {
		b := data[i]
		switch {
		case b >= ' ' && b <= '~':
			if t.col >= Cols-1 {
				return t.fail("write at column %d (autowrap risk)", t.col+1)
			}
			t.cells[t.row][t.col] = b
			t.rev[t.row][t.col] = t.reverse
			t.col++
		case b == 0x1b:
			n, err := t.escape(data[i:])
			if err != nil {
				return t.fail("%v", err)
			}
			if n == 0 { // incomplete: wait for more
				t.pending = append([]byte(nil), data[i:]...)
				return len(p), nil
			}
			i += n - 1
		default:
			return t.fail("byte %#x outside printable ASCII and ESC", b)
		}
	}
	return len(p), nil
}

func (t *Term) fail(format string, args ...any) (int, error) {
	t.err = fmt.Errorf("vt100term: "+format, args...)
	return 0, t.err
}

// Complete reports an escape sequence left unfinished at the end of the
// output written so far: a screen update must not end in one.
func (t *Term) Complete() error {
	if t.err != nil {
		return t.err
	}
	if len(t.pending) > 0 {
		return fmt.Errorf("vt100term: output ends inside %q", t.pending)
	}
	return nil
}

// escape interprets the sequence at the start of s (s[0] is ESC) and
// returns its length, or 0 when s ends before it does.
func (t *Term) escape(s []byte) (int, error) {
	if len(s) < 2 {
		return 0, nil
	}
	switch s[1] {
	case '(':
		if len(s) < 3 {
			return 0, nil
		}
		if s[2] != 'B' {
			return 0, fmt.Errorf("charset select %q", s[:3])
		}
		return 3, nil
	case '[':
		j := 2
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';') {
			j++
		}
		if j >= len(s) {
			return 0, nil
		}
		return j + 1, t.csi(string(s[2:j]), s[j])
	}
	return 0, fmt.Errorf("ESC %q", s[1])
}

func (t *Term) csi(params string, final byte) error {
	var ps []int
	if params != "" {
		for _, p := range strings.Split(params, ";") {
			n, err := strconv.Atoi(p)
			if err != nil {
				return fmt.Errorf("CSI parameter %q", params)
			}
			ps = append(ps, n)
		}
	}
	switch final {
	case 'H':
		r, c := 1, 1
		if len(ps) == 2 {
			r, c = ps[0], ps[1]
		} else if len(ps) != 0 {
			return fmt.Errorf("CSI %sH", params)
		}
		if r < 1 || r > Rows || c < 1 || c > Cols {
			return fmt.Errorf("cursor address %d;%d off screen", r, c)
		}
		t.row, t.col = r-1, c-1
	case 'J':
		if params != "2" {
			return fmt.Errorf("CSI %sJ", params)
		}
		t.clear()
	case 'K':
		if params != "" {
			return fmt.Errorf("CSI %sK", params)
		}
		for c := t.col; c < Cols; c++ {
			t.cells[t.row][c] = ' '
			t.rev[t.row][c] = false
		}
	case 'm':
		switch params {
		case "", "0":
			t.reverse = false
		case "7":
			t.reverse = true
		default:
			return fmt.Errorf("CSI %sm", params)
		}
	default:
		return fmt.Errorf("CSI final %q", final)
	}
	return nil
}

// Row returns row r (0-based) as shown, trailing blanks included.
func (t *Term) Row(r int) string { return string(t.cells[r][:]) }

// Reverse reports whether the cell at row r, column c (0-based) is in
// reverse video.
func (t *Term) Reverse(r, c int) bool { return t.rev[r][c] }

// Cursor returns the cursor position, 0-based.
func (t *Term) Cursor() (row, col int) { return t.row, t.col }

// Dump renders the screen: each row numbered, trailing blanks trimmed; a
// row with reverse-video cells is followed by an "rv|" row marking them
// with '~'; then the cursor position (1-based).
func (t *Term) Dump() string {
	var b strings.Builder
	for r := range Rows {
		fmt.Fprintf(&b, "%2d|%s\n", r+1, strings.TrimRight(t.Row(r), " "))
		var marks []byte
		any := false
		for c := range Cols {
			if t.rev[r][c] {
				marks = append(marks, '~')
				any = true
			} else {
				marks = append(marks, ' ')
			}
		}
		if any {
			fmt.Fprintf(&b, "rv|%s\n", strings.TrimRight(string(marks), " "))
		}
	}
	fmt.Fprintf(&b, "cursor %d;%d\n", t.row+1, t.col+1)
	return b.String()
}

// Panel returns the rows of the front-panel box vt100screen draws (the
// first "+---+" border from the top and the rows inside it), with the
// navigation indicators (reverse-video cells) blanked; nil when no box is
// on the screen.
func (t *Term) Panel() []string {
	top := -1
	left, width := 0, 0
	for r := range Rows {
		row := t.Row(r)
		i := strings.Index(row, "+-")
		if i < 0 {
			continue
		}
		j := strings.Index(row[i+1:], "+")
		if j < 0 {
			continue
		}
		top, left, width = r, i+1, j
		break
	}
	if top < 0 {
		return nil
	}
	var rows []string
	for r := top + 1; r < Rows; r++ {
		row := t.Row(r)
		if left+width >= Cols || row[left-1] != '|' || row[left+width] != '|' {
			break
		}
		cells := []byte(row[left : left+width])
		for c := range cells {
			if t.rev[r][left+c] {
				cells[c] = ' '
			}
		}
		rows = append(rows, string(cells))
	}
	return rows
}
