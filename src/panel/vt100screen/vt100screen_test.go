package vt100screen

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"picket.dev/picket/src/panel/frame"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// term is a minimal VT100 emulator covering what a Screen may send. It
// fails the test on anything else, so it also checks that the output stays
// within that repertoire.
type term struct {
	cells    [Rows][Cols]byte
	rev      [Rows][Cols]bool
	row, col int // 0-based
	reverse  bool
}

func newTerm() *term {
	t := &term{}
	t.clear()
	return t
}

func (t *term) clear() {
	for r := range t.cells {
		for c := range t.cells[r] {
			t.cells[r][c] = ' '
			t.rev[r][c] = false
		}
	}
}

func (t *term) feed(tb testing.TB, out []byte) {
	tb.Helper()
	for i := 0; i < len(out); i++ {
		b := out[i]
		switch {
		case b >= ' ' && b <= '~':
			if t.col >= Cols-1 {
				tb.Fatalf("write at column %d (autowrap risk) at byte %d", t.col+1, i)
			}
			t.cells[t.row][t.col] = b
			t.rev[t.row][t.col] = t.reverse
			t.col++
		case b == 0x1b:
			if i+1 >= len(out) {
				tb.Fatalf("output ends in ESC")
			}
			i++
			switch out[i] {
			case '(':
				if i+1 >= len(out) || out[i+1] != 'B' {
					tb.Fatalf("unexpected charset select at %d", i)
				}
				i++
			case '[':
				j := i + 1
				for j < len(out) && (out[j] >= '0' && out[j] <= '9' || out[j] == ';') {
					j++
				}
				if j >= len(out) {
					tb.Fatalf("unterminated CSI")
				}
				t.csi(tb, string(out[i+1:j]), out[j])
				i = j
			default:
				tb.Fatalf("unexpected ESC %q at %d", out[i], i)
			}
		default:
			tb.Fatalf("byte %#x outside printable ASCII/ESC at %d", b, i)
		}
	}
}

func (t *term) csi(tb testing.TB, params string, final byte) {
	tb.Helper()
	var ps []int
	if params != "" {
		for _, p := range strings.Split(params, ";") {
			n, err := strconv.Atoi(p)
			if err != nil {
				tb.Fatalf("bad CSI parameter %q", params)
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
			tb.Fatalf("CSI %sH", params)
		}
		if r < 1 || r > Rows || c < 1 || c > Cols {
			tb.Fatalf("cursor address %d;%d off screen", r, c)
		}
		t.row, t.col = r-1, c-1
	case 'J':
		if params != "2" {
			tb.Fatalf("CSI %sJ", params)
		}
		t.clear()
	case 'K':
		if params != "" {
			tb.Fatalf("CSI %sK", params)
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
			tb.Fatalf("CSI %sm", params)
		}
	default:
		tb.Fatalf("unexpected CSI final %q", final)
	}
}

// dump renders the emulated screen: reverse-video cells are bracketed by
// '[' ']' in a second copy of the row below it when present, the cursor
// position is given at the end, trailing blanks are trimmed.
func (t *term) dump() string {
	var b strings.Builder
	for r := range Rows {
		line := strings.TrimRight(string(t.cells[r][:]), " ")
		fmt.Fprintf(&b, "%2d|%s\n", r+1, line)
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

var cursorAddress = regexp.MustCompile(`\\e\[\d+;\d+H`)

// readable shows raw output with ESC as \e and a line break before each
// cursor addressing, for the byte-exact golden files.
func readable(out []byte) string {
	s := strings.ReplaceAll(string(out), "\x1b", `\e`)
	s = cursorAddress.ReplaceAllString(s, "\n$0")
	return strings.TrimPrefix(s, "\n") + "\n"
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// lanIPFrame is a typical editor screen: label, nav glyphs, a value with
// the digit cursor.
func lanIPFrame() frame.Frame {
	f := frame.New(frame.LCD16x2(), "LAN IP ADDR", "192.168.001.010")
	f.SetNav(frame.Nav{Up: true, Down: true, Left: true, Right: true, Enter: true})
	f.SetCursor(1, 6)
	return f
}

func menuFrame() frame.Frame {
	f := frame.New(frame.LCD16x2(), "SETUP NETWORK", "SHOW STATUS")
	f.SetNav(frame.Nav{Down: true, Enter: true})
	return f
}

func statusFrame() frame.Frame {
	f := frame.New(frame.LCD20x4(), "pk_admin-", "10.1.2.3", "", "SCANNING")
	f.SetLEDs(frame.LEDs{S1: true})
	return f
}

// session draws a sequence of screens on one Screen, as the console does,
// and records the bytes of each step.
type step struct {
	name string
	do   func(s *Screen) error
}

func TestGolden(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0x50, 0x69, 0x63, 0x6b, 0x01}
	steps := []step{
		{"prompt", func(s *Screen) error { return s.Prompt() }},
		{"mac", func(s *Screen) error { return s.MAC("LAN (eth0)", mac) }},
		{"menu", func(s *Screen) error { return s.Draw(menuFrame()) }},
		{"lanip", func(s *Screen) error { return s.Draw(lanIPFrame()) }},
		{"lanip-digit", func(s *Screen) error {
			f := lanIPFrame()
			f.SetLine(1, "192.168.001.011")
			f.SetCursor(1, 14)
			return s.Draw(f)
		}},
		{"lanip-same", func(s *Screen) error {
			f := lanIPFrame()
			f.SetLine(1, "192.168.001.011")
			f.SetCursor(1, 14)
			return s.Draw(f)
		}},
		{"status20x4", func(s *Screen) error { return s.Draw(statusFrame()) }},
	}
	var buf bytes.Buffer
	s := New(&buf, Options{})
	tm := newTerm()
	var raw, screens strings.Builder
	for _, st := range steps {
		buf.Reset()
		if err := st.do(s); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		out := buf.Bytes()
		tm.feed(t, out)
		fmt.Fprintf(&raw, "=== %s (%d bytes)\n%s", st.name, len(out), readable(out))
		fmt.Fprintf(&screens, "=== %s\n%s", st.name, tm.dump())

		// Whatever was on the terminal, the result equals a full draw
		// of the same screen on a fresh terminal.
		var fresh bytes.Buffer
		if err := st.do(New(&fresh, Options{})); err != nil {
			t.Fatal(err)
		}
		ft := newTerm()
		ft.feed(t, fresh.Bytes())
		if got, want := tm.dump(), ft.dump(); got != want {
			t.Errorf("%s: incremental screen differs from full draw:\n%s\nwant\n%s", st.name, got, want)
		}
	}
	golden(t, "session.raw", raw.String())
	golden(t, "session.screen", screens.String())
}

func TestNoOutputWhenUnchanged(t *testing.T) {
	var buf bytes.Buffer
	s := New(&buf, Options{})
	if err := s.Draw(lanIPFrame()); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := s.Draw(lanIPFrame()); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("redraw of an unchanged frame sent %q", buf.String())
	}
	// Only the cursor moved: only a cursor address is sent, no line.
	f := lanIPFrame()
	f.SetCursor(1, 7)
	if err := s.Draw(f); err != nil {
		t.Fatal(err)
	}
	// Row 5 is the value row (box top at 3), column 4+7 the cursor;
	// the bottom border (row 6) with its '^' mark changes too.
	if got := buf.String(); got != "\x1b[6;1H  +-------^--------+\x1b[K\x1b[5;11H" {
		t.Errorf("cursor move sent %q", got)
	}
}

func TestOnlyChangedLines(t *testing.T) {
	var buf bytes.Buffer
	s := New(&buf, Options{})
	f := menuFrame()
	if err := s.Draw(f); err != nil {
		t.Fatal(err)
	}
	full := buf.Len()
	buf.Reset()
	f.SetLine(1, "TEST CONNECTIVITY")
	f.SetNav(frame.Nav{Down: true, Enter: true})
	if err := s.Draw(f); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	if strings.Count(got, "\x1b[K") != 1 || !strings.Contains(got, "\x1b[5;1H  |TEST CONNECTIVIT|\x1b[K") {
		t.Errorf("second line change sent %q", got)
	}
	if buf.Len()*4 > full {
		t.Errorf("one-line change sent %d bytes, a full draw %d", buf.Len(), full)
	}
}

type failWriter struct{ err error }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

func TestWriteErrorForcesFullRedraw(t *testing.T) {
	w := &failWriter{}
	s := New(w, Options{})
	if err := s.Draw(menuFrame()); err != nil {
		t.Fatal(err)
	}
	w.err = errors.New("EIO")
	if err := s.Draw(lanIPFrame()); err == nil || !errors.Is(err, w.err) {
		t.Fatalf("Draw error = %v, want wrapping %v", err, w.err)
	}
	w.err = nil
	var buf bytes.Buffer
	s.w = &buf
	if err := s.Draw(lanIPFrame()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), escCharsetASCII+sgrOff+eraseScreen) {
		t.Errorf("after a failed write the next draw is not full: %q", buf.String())
	}
}

func TestInvalidate(t *testing.T) {
	var buf bytes.Buffer
	s := New(&buf, Options{})
	s.Draw(menuFrame())
	s.Invalidate()
	buf.Reset()
	s.Draw(menuFrame())
	if !strings.HasPrefix(buf.String(), escCharsetASCII+sgrOff+eraseScreen) {
		t.Errorf("draw after Invalidate is not full: %q", buf.String())
	}
}

// TestHostileText checks that texts from outside (options, MAC label,
// frames) cannot put anything but ASCII on the line or write past the
// screen, whatever their size.
func TestHostileText(t *testing.T) {
	var buf bytes.Buffer
	evil := "\x1b[2J\x9b\r\né→" + strings.Repeat("x", 200)
	s := New(&buf, Options{Header: evil, Help: evil})
	tm := newTerm()
	if err := s.MAC(evil, make(net.HardwareAddr, 40)); err != nil {
		t.Fatal(err)
	}
	if err := s.Draw(frame.Frame{}); err != nil { // the unusable zero Frame
		t.Fatal(err)
	}
	big := frame.New(frame.Geometry{Rows: 24, Cols: 80}, strings.Repeat("y", 80))
	big.SetCursor(23, 79) // clipped away: the cursor is parked
	for c := range 80 {
		big.SetGlyph(0, c, frame.GlyphLeftRight)
	}
	big.SetLEDs(frame.LEDs{S1: true, S2: true})
	if err := s.Draw(big); err != nil {
		t.Fatal(err)
	}
	big.HideCursor()
	if err := s.Draw(big); err != nil {
		t.Fatal(err)
	}
	tm.feed(t, buf.Bytes())
	if tm.row != parkRow-1 || tm.col != 0 {
		t.Errorf("cursor at %d;%d, want parked", tm.row+1, tm.col+1)
	}
}

func FuzzDraw(f *testing.F) {
	f.Add(uint8(2), uint8(16), []byte("LAN IP ADDR\x00192.168.001.010"), uint8(1), uint8(6), uint8(0x1f))
	f.Add(uint8(4), uint8(20), []byte("\xff\x1b[A"), uint8(200), uint8(0), uint8(0xff))
	f.Fuzz(func(t *testing.T, rows, cols uint8, text []byte, crow, ccol, bits uint8) {
		g := frame.Geometry{Rows: int(rows % 30), Cols: int(cols % 90)}.Normalize()
		lines := strings.Split(string(text), "\x00")
		fr := frame.New(g, lines...)
		fr.SetNav(frame.Nav{Up: bits&1 != 0, Down: bits&2 != 0, Left: bits&4 != 0, Right: bits&8 != 0, Enter: bits&16 != 0})
		if bits&32 != 0 {
			fr.SetCursor(int(crow), int(ccol))
		}
		fr.SetLEDs(frame.LEDs{S1: bits&64 != 0, S2: bits&128 != 0})

		var buf bytes.Buffer
		s := New(&buf, Options{})
		tm := newTerm()
		if err := s.Draw(menuFrame()); err != nil {
			t.Fatal(err)
		}
		if err := s.Draw(fr); err != nil {
			t.Fatal(err)
		}
		tm.feed(t, buf.Bytes())
		var fresh bytes.Buffer
		if err := New(&fresh, Options{}).Draw(fr); err != nil {
			t.Fatal(err)
		}
		ft := newTerm()
		ft.feed(t, fresh.Bytes())
		if tm.dump() != ft.dump() {
			t.Fatalf("incremental draw differs from full draw")
		}
	})
}

// TestNotice: the console's LINE NOISE is shown at once over the screen
// in place, in reverse video on the otherwise blank NoticeRow, stays over
// later frames, and goes when cleared, leaving the screen as it was.
func TestNotice(t *testing.T) {
	var buf bytes.Buffer
	s := New(&buf, Options{})
	em := newTerm()
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		em.feed(t, buf.Bytes())
		buf.Reset()
	}
	row := func(r int) string { return strings.TrimRight(string(em.cells[r-1][:]), " ") }
	step("notice before anything is drawn", s.SetNotice("LINE NOISE"))
	step("prompt", s.Prompt())
	if got := row(NoticeRow); got != "LINE NOISE" || !em.rev[NoticeRow-1][0] {
		t.Errorf("notice row on the prompt %q (reverse %v)", got, em.rev[NoticeRow-1][0])
	}
	step("clear", s.SetNotice(""))
	if got := row(NoticeRow); got != "" {
		t.Errorf("notice row after clearing %q", got)
	}
	step("frame", s.Draw(menuFrame()))
	before := em.dump()
	step("notice over a frame", s.SetNotice("LINE NOISE - input ignored"))
	if got := row(NoticeRow); got != "LINE NOISE - input ignored" {
		t.Errorf("notice row over a frame %q", got)
	}
	f := menuFrame()
	f.SetLine(1, "TEST CONNECTIVITY")
	step("next frame", s.Draw(f))
	if got := row(NoticeRow); got != "LINE NOISE - input ignored" || !strings.Contains(em.dump(), "TEST CONNECTIVIT") {
		t.Errorf("notice not kept over the next frame:\n%s", em.dump())
	}
	step("frame back", s.Draw(menuFrame()))
	step("clear", s.SetNotice(""))
	if got := em.dump(); got != before {
		t.Errorf("screen after the notice:\n%s\nwant:\n%s", got, before)
	}
}
