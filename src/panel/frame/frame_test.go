package frame

import (
	"strings"
	"testing"
)

func TestNewClipsAndPads(t *testing.T) {
	tests := []struct {
		name  string
		g     Geometry
		lines []string
		want  []string
	}{
		{"pad", LCD16x2(), []string{"SETUP NETWORK"}, []string{"SETUP NETWORK   ", "                "}},
		{"clip", LCD16x2(), []string{"CHANGE STATIC IP ON LAN", "x"}, []string{"CHANGE STATIC IP", "x               "}},
		{"extra rows dropped", LCD16x2(), []string{"a", "b", "c"}, []string{"a               ", "b               "}},
		{"non-ascii and controls", LCD16x2(), []string{"é\tok\x1b[2J"}, []string{"??ok?[2J        ", "                "}},
		{"20x4", LCD20x4(), []string{"", "12345678901234567890XX"}, []string{strings.Repeat(" ", 20), "12345678901234567890", strings.Repeat(" ", 20), strings.Repeat(" ", 20)}},
		{"too small clamped", Geometry{Rows: 1, Cols: 8}, []string{"abc"}, []string{"abc             ", "                "}},
		{"too large clamped", Geometry{Rows: 100, Cols: 200}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(tt.g, tt.lines...)
			g := f.Geometry()
			if !f.Fits(g) {
				t.Fatalf("frame does not fit its own geometry %v", g)
			}
			if tt.want == nil {
				if g != (Geometry{Rows: MaxRows, Cols: MaxCols}) {
					t.Fatalf("geometry %v, want clamped to %dx%d", g, MaxCols, MaxRows)
				}
				return
			}
			if g.Rows != len(tt.want) {
				t.Fatalf("rows = %d, want %d", g.Rows, len(tt.want))
			}
			for r, w := range tt.want {
				if got := f.Line(r); got != w {
					t.Errorf("line %d = %q, want %q", r, got, w)
				}
			}
		})
	}
}

func TestStringGolden(t *testing.T) {
	f := New(LCD16x2(), "LAN IP ADDR", "192.168.001.010")
	f.SetNav(Nav{Up: true, Down: true, Left: true, Right: true, Enter: true})
	f.SetCursor(1, 2)
	f.SetLEDs(LEDs{S1: true, S2: true})
	want := "" +
		"+----------------+ S1 S2\n" +
		"|LAN IP ADDR  ↕↔↵|\n" +
		"|192.168.001.010 |<\n" +
		"+--^-------------+\n"
	if got := f.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	if got, want := f.Line(0), "LAN IP ADDR  |-#"; got != want {
		t.Errorf("Line(0) = %q, want %q", got, want)
	}

	plain := New(LCD16x2(), "EXIT THIS MENU")
	wantPlain := "" +
		"+----------------+\n" +
		"|EXIT THIS MENU  |\n" +
		"|                |\n" +
		"+----------------+\n"
	if got := plain.String(); got != wantPlain {
		t.Errorf("String() =\n%s\nwant\n%s", got, wantPlain)
	}
}

func TestNavGlyphs(t *testing.T) {
	tests := []struct {
		nav  Nav
		want string
	}{
		{Nav{}, ""},
		{Nav{Enter: true}, "↵"},
		{Nav{Up: true}, "↑"},
		{Nav{Down: true, Enter: true}, "↓↵"},
		{Nav{Up: true, Down: true, Enter: true}, "↕↵"},
		{Nav{Left: true}, "←"},
		{Nav{Right: true, Up: true}, "↑→"},
		{Nav{Left: true, Right: true, Enter: true}, "↔↵"},
		{Nav{Up: true, Down: true, Left: true, Right: true, Enter: true}, "↕↔↵"},
	}
	for _, tt := range tests {
		var b strings.Builder
		for _, g := range tt.nav.Glyphs() {
			b.WriteRune(g.Rune())
		}
		if b.String() != tt.want {
			t.Errorf("%+v: glyphs %q, want %q", tt.nav, b.String(), tt.want)
		}
		if tt.nav.Width() != len([]rune(tt.want)) {
			t.Errorf("%+v: width %d", tt.nav, tt.nav.Width())
		}
		f := New(LCD16x2(), "0123456789ABCDEF")
		f.SetGlyph(0, 0, GlyphLeft) // stale glyph SetNav must remove
		if n := f.SetNav(tt.nav); n != tt.nav.Width() {
			t.Errorf("SetNav returned %d", n)
		}
		top := []rune(f.String()[strings.IndexByte(f.String(), '\n')+2:])[:16]
		wantTop := "0123456789ABCDEF"[:16-len([]rune(tt.want))] + tt.want
		if string(top) != wantTop {
			t.Errorf("%+v: top row %q, want %q", tt.nav, string(top), wantTop)
		}
	}
}

func TestSetters(t *testing.T) {
	f := Blank(LCD16x2())
	f.WriteAt(1, 14, "xyz") // clipped at the edge
	f.WriteAt(5, 0, "out")  // ignored
	f.WriteAt(0, -2, "abcd")
	if got := f.Line(1); got != "              xy" {
		t.Errorf("line 1 = %q", got)
	}
	if got := f.Line(0); got != "cd              " {
		t.Errorf("line 0 = %q", got)
	}
	f.SetGlyph(0, 16, GlyphUp)
	f.SetGlyph(0, 0, Glyph(99))
	if f.Glyph(0, 0) != NoGlyph || f.Glyph(0, 16) != NoGlyph {
		t.Error("out-of-range or unknown glyph was stored")
	}
	f.SetGlyph(1, 0, GlyphEnter)
	if f.Glyph(1, 0) != GlyphEnter || f.Text(1, 0) != ' ' {
		t.Error("glyph not stored")
	}
	f.SetLine(1, "new")
	if f.Glyph(1, 0) != NoGlyph {
		t.Error("SetLine kept a glyph")
	}
	f.SetCursor(1, 15)
	if c := f.Cursor(); c != (Cursor{Row: 1, Col: 15, Visible: true}) {
		t.Errorf("cursor %+v", c)
	}
	f.SetCursor(2, 0)
	if c := f.Cursor(); c.Visible {
		t.Errorf("cursor outside the frame is visible: %+v", c)
	}
	if !f.Fits(LCD16x2()) || f.Fits(LCD20x4()) {
		t.Error("Fits wrong")
	}
	var zero Frame
	zero.SetNav(Nav{Up: true})
	zero.SetLine(0, "x")
	if zero.Fits(LCD16x2()) {
		t.Error("zero frame fits")
	}
}

func TestEqualAndClone(t *testing.T) {
	base := New(LCD16x2(), "A", "B")
	mods := map[string]func(*Frame){
		"text":     func(f *Frame) { f.WriteAt(1, 3, "x") },
		"glyph":    func(f *Frame) { f.SetGlyph(0, 15, GlyphEnter) },
		"cursor":   func(f *Frame) { f.SetCursor(0, 0) },
		"led":      func(f *Frame) { f.SetLEDs(LEDs{S2: true}) },
		"geometry": func(f *Frame) { *f = New(LCD20x4(), "A", "B") },
	}
	for name, mod := range mods {
		c := base.Clone()
		if !c.Equal(base) {
			t.Fatalf("%s: clone not equal", name)
		}
		mod(&c)
		if c.Equal(base) || base.Equal(c) {
			t.Errorf("%s: modified frame still equal", name)
		}
		if !base.Equal(New(LCD16x2(), "A", "B")) {
			t.Errorf("%s: modifying the clone changed the original", name)
		}
	}
	// Hiding the cursor forgets its position, so equal screens are equal.
	a, b := base.Clone(), base.Clone()
	a.SetCursor(1, 4)
	a.HideCursor()
	if !a.Equal(b) {
		t.Error("hidden cursors differ")
	}
}

func TestGlyphRunesDistinct(t *testing.T) {
	seenU, seenA := map[rune]bool{}, map[rune]bool{}
	for g := GlyphUp; g < numGlyphs; g++ {
		u, a := g.Rune(), g.ASCII()
		if u == ' ' || a == ' ' || seenU[u] || seenA[a] {
			t.Errorf("glyph %d: rune %q ascii %q not distinct", g, u, a)
		}
		if u >= ' ' && u <= '~' {
			t.Errorf("glyph %d: String rune %q could be confused with cell text", g, u)
		}
		seenU[u], seenA[a] = true, true
	}
}
