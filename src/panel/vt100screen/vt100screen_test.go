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
	"strings"
	"testing"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/testkit/vt100term"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// term is the emulated terminal the tests read the screen from; it fails
// the test on output outside the repertoire a Screen may send.
type term struct{ *vt100term.Term }

func newTerm() *term { return &term{vt100term.New()} }

func (t *term) feed(tb testing.TB, out []byte) {
	tb.Helper()
	if _, err := t.Write(out); err != nil {
		tb.Fatal(err)
	}
	if err := t.Complete(); err != nil {
		tb.Fatal(err)
	}
}

func (t *term) dump() string { return t.Dump() }

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
		{"menu", func(s *Screen) error { s.SetMAC("LAN (eth0)", mac); return s.Draw(menuFrame()) }},
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
		fs := New(&fresh, Options{})
		if st.name != "prompt" {
			fs.SetMAC("LAN (eth0)", mac)
		}
		if err := st.do(fs); err != nil {
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
	s.SetMAC(evil, make(net.HardwareAddr, 40))
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
	if r, c := tm.Cursor(); r != parkRow-1 || c != 0 {
		t.Errorf("cursor at %d;%d, want parked", r+1, c+1)
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
	row := func(r int) string { return strings.TrimRight(em.Row(r-1), " ") }
	step("notice before anything is drawn", s.SetNotice("LINE NOISE"))
	step("prompt", s.Prompt())
	if got := row(NoticeRow); got != "LINE NOISE" || !em.Reverse(NoticeRow-1, 0) {
		t.Errorf("notice row on the prompt %q (reverse %v)", got, em.Reverse(NoticeRow-1, 0))
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
