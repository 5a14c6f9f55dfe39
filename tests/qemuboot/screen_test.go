package qemuboot

import (
	"strings"
	"testing"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/lcd"
	"picket.dev/picket/src/panel/vt100screen"
)

// confirm is a 16x2 REALLY ...? prompt as the menu lays it out: the text
// wrapped, the ENTER indicator in the last cell of the first row.
func confirm() frame.Frame {
	f := frame.New(frame.LCD16x2(), "REALLY SHUTDOWN", "SYSTEM?")
	f.SetGlyph(0, 15, frame.GlyphEnter)
	f.SetGlyph(1, 15, frame.GlyphUpDown)
	return f
}

// The console's drawing: the first draw clears, the next rewrites only
// the changed rows; init's lines in between scroll nothing away.
func TestScreenConsole(t *testing.T) {
	s := NewScreen(vt100screen.Rows, vt100screen.Cols)
	s.Write([]byte("[    1.0] kernel line\r\ninit: slot a, starting 3 daemons\r\n"))
	v := vt100screen.New(s, vt100screen.Options{})
	if err := v.Prompt(); err != nil {
		t.Fatal(err)
	}
	if got := s.Rows()[2]; got != "  Press ENTER to start." {
		t.Errorf("row 3 = %q, want the prompt", got)
	}
	if strings.Contains(s.String(), "kernel line") {
		t.Errorf("the first draw did not clear the screen:\n%s", s)
	}
	if p := s.Panel(); p != "" {
		t.Errorf("Panel() = %q on the prompt, want none", p)
	}
	if err := v.Draw(frame.New(frame.LCD16x2(), "SYSTEM SHUTDOWN", "")); err != nil {
		t.Fatal(err)
	}
	if err := v.Draw(confirm()); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Panel(), "REALLY SHUTDOWN SYSTEM?"; got != want {
		t.Errorf("Panel() = %q, want %q; screen:\n%s", got, want, s)
	}
	if !strings.Contains(s.String(), "Keys: ENTER") {
		t.Errorf("no keys line:\n%s", s)
	}
}

// lcdd's terminal panel in ANSI mode: redrawn in place, arrows as
// Unicode, a log line below it.
func TestScreenLCDTerminal(t *testing.T) {
	s := NewScreen(24, 80)
	term := lcd.NewTerminal(s, frame.LCD16x2(), lcd.TerminalOptions{ANSI: true})
	if err := term.Draw(frame.New(frame.LCD16x2(), "Picket scanner", "starting up...")); err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("time=... level=INFO msg=\"front panel open\"\r\n"))
	if err := term.Draw(confirm()); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Panel(), "REALLY SHUTDOWN SYSTEM?"; got != want {
		t.Errorf("Panel() = %q, want %q; screen:\n%s", got, want, s)
	}
	if got := s.Rows()[1]; got != "|REALLY SHUTDOWN↵|" {
		t.Errorf("row 2 = %q", got)
	}
}

func TestScreenScrollAndWrap(t *testing.T) {
	s := NewScreen(3, 5)
	s.Write([]byte("abcdefg\r\nh\r\ni\xe2\x86"))
	s.Write([]byte("\x93j"))
	if got, want := strings.Join(s.Rows(), "/"), "fg/h/i↓j"; got != want {
		t.Errorf("rows %q, want %q", got, want)
	}
	s.Write([]byte("\x1b[2;2H\x1b[7mX\x1b[m\x1b[1K"))
	if got, want := strings.Join(s.Rows(), "/"), "fg//i↓j"; got != want {
		t.Errorf("rows after erase %q, want %q", got, want)
	}
}
