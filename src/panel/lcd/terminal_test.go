package lcd

import (
	"errors"
	"strings"
	"testing"

	"picket.dev/picket/src/panel/frame"
)

func TestTerminalPlain(t *testing.T) {
	var out strings.Builder
	term := NewTerminal(&out, frame.LCD16x2(), TerminalOptions{})
	f := frame.New(frame.LCD16x2(), "LAN IP ADDR", "192.168.001.010")
	f.SetNav(frame.Nav{Up: true, Down: true, Enter: true})
	f.SetCursor(1, 2)
	f.SetLEDs(frame.LEDs{S1: true})
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"first frame", func() error { return term.Draw(f) },
			"+----------------+\n|LAN IP ADDR   ↕↵|\n|192.168.001.010 |\n+--^-------------+\nS1 [*]  S2 [ ]\n"},
		{"same frame writes nothing", func() error { return term.Draw(f) }, ""},
		{"backlight off", func() error { return term.Backlight(false) },
			"+----------------+\n|LAN IP ADDR   ↕↵|\n|192.168.001.010 |\n+--^-------------+\nS1 [*]  S2 [ ]  backlight off\n"},
		{"undefined glyph is ASCII", func() error { return term.DefineGlyphs(Glyphs{frame.GlyphEnter: {}}) },
			"+----------------+\n|LAN IP ADDR   |↵|\n|192.168.001.010 |\n+--^-------------+\nS1 [*]  S2 [ ]  backlight off\n"},
	}
	for _, s := range steps {
		out.Reset()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if out.String() != s.want {
			t.Errorf("%s: wrote\n%s\nwant\n%s", s.name, out.String(), s.want)
		}
	}
	if err := term.Draw(frame.New(frame.LCD20x4())); !errors.Is(err, ErrGeometry) {
		t.Errorf("20x4 frame: %v", err)
	}
	if err := term.Close(); err != nil {
		t.Fatal(err)
	}
	if err := term.Draw(f); !errors.Is(err, ErrClosed) {
		t.Errorf("Draw after Close: %v", err)
	}
}

func TestTerminalANSI(t *testing.T) {
	var out strings.Builder
	term := NewTerminal(&out, frame.LCD16x2(), TerminalOptions{ANSI: true, ASCII: true})
	f := frame.New(frame.LCD16x2(), "MENU", "AB")
	f.SetNav(frame.Nav{Left: true, Right: true})
	f.SetCursor(1, 1)
	f.SetLEDs(frame.LEDs{S2: true})
	if err := term.Draw(f); err != nil {
		t.Fatal(err)
	}
	want := "\x1b[H+----------------+\x1b[K\r\n" +
		"|MENU           -|\x1b[K\r\n" +
		"|A\x1b[7mB\x1b[27m              |\x1b[K\r\n" +
		"+----------------+\x1b[K\r\n" +
		"S1 [ ]  S2 [*]\x1b[K\r\n\x1b[J"
	if out.String() != want {
		t.Fatalf("wrote %q\nwant  %q", out.String(), want)
	}
}
