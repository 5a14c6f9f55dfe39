package lcd

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/panel/frame"
)

// trace is the log of everything the driver did to the pins and the waits
// it asked for, in order: "GPIO25=0", "wait 50µs".
type trace struct{ ops []string }

func (t *trace) sleep(d time.Duration) { t.ops = append(t.ops, "wait "+d.String()) }

// take returns the ops since the last take.
func (t *trace) take() []string {
	ops := t.ops
	t.ops = nil
	return ops
}

// recPin is a gpiotest.Pin that also logs every Out into a trace; gpiotest
// keeps only the last level, and the test needs the whole sequence.
type recPin struct {
	*gpiotest.Pin
	t *trace
}

func (p *recPin) Out(l gpio.Level) error {
	v := 0
	if l {
		v = 1
	}
	p.t.ops = append(p.t.ops, fmt.Sprintf("%s=%d", p.N, v))
	return p.Pin.Out(l)
}

// pinSet is a lookup over recording gpiotest pins, created on demand.
type pinSet struct {
	t    *trace
	pins map[string]*recPin
}

func newPinSet() *pinSet { return &pinSet{t: &trace{}, pins: map[string]*recPin{}} }

func (s *pinSet) lookup(name string) (gpio.PinIO, error) {
	if strings.HasPrefix(name, "MISSING") {
		return nil, errors.New("no such pin")
	}
	p, ok := s.pins[name]
	if !ok {
		p = &recPin{Pin: &gpiotest.Pin{N: name}, t: s.t}
		s.pins[name] = p
	}
	return p, nil
}

func armv7(t *testing.T) board.Board {
	t.Helper()
	b, err := board.Lookup("armv7")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// armv7 pins: RS GPIO25, E GPIO24, D4-D7 GPIO23 GPIO17 GPIO18 GPIO22,
// backlight GPIO4.

// nibbleOps is the exact pin traffic of one 4-bit transfer on the armv7
// wiring: RS, D4..D7 (low bit first), E high, the pulse wait, E low.
func nibbleOps(rs bool, n byte) []string {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return []string{
		fmt.Sprintf("GPIO25=%d", b(rs)),
		fmt.Sprintf("GPIO23=%d", b(n&1 != 0)),
		fmt.Sprintf("GPIO17=%d", b(n&2 != 0)),
		fmt.Sprintf("GPIO18=%d", b(n&4 != 0)),
		fmt.Sprintf("GPIO22=%d", b(n&8 != 0)),
		"GPIO24=1", "wait 1µs", "GPIO24=0",
	}
}

// byteOps is one instruction (rs false) or data byte: two nibbles, high
// first, then the execution wait.
func byteOps(rs bool, v byte) []string {
	ops := append(nibbleOps(rs, v>>4), nibbleOps(rs, v&0xf)...)
	if !rs && v <= 3 {
		return append(ops, "wait 2ms")
	}
	return append(ops, "wait 50µs")
}

// decode turns a pin trace back into HD44780 traffic ("cmd 0x80",
// "data 'A'", "data 0x03", "GPIO4=1", "wait 2ms") by watching the levels at
// every falling edge of E: the view the controller has. single is the
// number of leading lone nibbles (the 8-bit-mode reset steps).
func decode(t *testing.T, ops []string, single int) []string {
	t.Helper()
	lv := map[string]bool{}
	var out []string
	var half []byte
	var halfRS bool
	for _, op := range ops {
		if strings.HasPrefix(op, "wait ") {
			if op != "wait 1µs" && op != "wait 50µs" {
				out = append(out, op)
			}
			continue
		}
		name, val, _ := strings.Cut(op, "=")
		was := lv[name]
		lv[name] = val == "1"
		switch name {
		case "GPIO24":
			if !(was && !lv[name]) {
				continue
			}
			n := 0
			for i, d := range []string{"GPIO23", "GPIO17", "GPIO18", "GPIO22"} {
				if lv[d] {
					n |= 1 << i
				}
			}
			if single > 0 {
				single--
				out = append(out, fmt.Sprintf("nibble 0x%x", n))
				continue
			}
			if len(half) == 1 && halfRS != lv["GPIO25"] {
				t.Fatalf("RS changed inside a byte: %v", ops)
			}
			half = append(half, byte(n))
			halfRS = lv["GPIO25"]
			if len(half) == 2 {
				v := half[0]<<4 | half[1]
				half = nil
				switch {
				case !halfRS:
					out = append(out, fmt.Sprintf("cmd 0x%02x", v))
				case v >= 0x20 && v < 0x7f:
					out = append(out, fmt.Sprintf("data %q", rune(v)))
				default:
					out = append(out, fmt.Sprintf("data 0x%02x", v))
				}
			}
		case "GPIO4":
			out = append(out, op)
		}
	}
	if len(half) != 0 {
		t.Fatalf("trace ends inside a byte")
	}
	return out
}

func newGPIO(t *testing.T, b board.Board, o Options) (*HD44780, *pinSet) {
	t.Helper()
	ps := newPinSet()
	o.Sleep = ps.t.sleep
	d, err := NewGPIO(b, ps.lookup, o)
	if err != nil {
		t.Fatal(err)
	}
	return d, ps
}

func glyphUploadOps(g Glyphs, backslashToo bool) []string {
	ops := byteOps(false, 0x40)
	for _, k := range g.Sorted() {
		for _, row := range g[k] {
			ops = append(ops, byteOps(true, row)...)
		}
	}
	if backslashToo {
		for _, row := range Backslash() {
			ops = append(ops, byteOps(true, row)...)
		}
	}
	return ops
}

// TestGPIOInitTraffic asserts every pin write and wait of the init
// sequence, in order.
func TestGPIOInitTraffic(t *testing.T) {
	_, ps := newGPIO(t, armv7(t), Options{})
	want := []string{"wait 50ms"}
	for _, s := range []struct {
		n    byte
		wait string
	}{{3, "wait 4.5ms"}, {3, "wait 150µs"}, {3, "wait 150µs"}, {2, "wait 150µs"}} {
		want = append(want, nibbleOps(false, s.n)...)
		want = append(want, s.wait)
	}
	want = append(want, byteOps(false, 0x28)...) // 4-bit, 2 lines, 5x8
	want = append(want, byteOps(false, 0x08)...) // display off
	want = append(want, byteOps(false, 0x01)...) // clear
	want = append(want, byteOps(false, 0x06)...) // entry: increment, no shift
	want = append(want, glyphUploadOps(NavGlyphs(), true)...)
	want = append(want, byteOps(false, 0x0c)...) // display on, no cursor
	want = append(want, "GPIO4=1")               // backlight
	got := ps.t.take()
	if d := diff(got, want); d != "" {
		t.Fatalf("init pin traffic differs:\n%s", d)
	}
	// The same traffic seen as the controller decodes it, as a readable
	// cross-check of the helpers above.
	dec := decode(t, got, 4)
	head := []string{"wait 50ms", "nibble 0x3", "wait 4.5ms", "nibble 0x3", "wait 150µs", "nibble 0x3", "wait 150µs",
		"nibble 0x2", "wait 150µs", "cmd 0x28", "cmd 0x08", "cmd 0x01", "wait 2ms", "cmd 0x06", "cmd 0x40",
		"data 0x04", "data 0x0e", "data 0x15", "data 0x04", "data 0x04", "data 0x04", "data 0x04", "data 0x00"} // slot 0: GlyphUp
	if d := diff(dec[:len(head)], head); d != "" {
		t.Fatalf("decoded init differs:\n%s", d)
	}
	if tail := dec[len(dec)-2:]; tail[0] != "cmd 0x0c" || tail[1] != "GPIO4=1" {
		t.Fatalf("init ends with %v", tail)
	}
	if n := len(dec) - len(head) - 2; n != 7*8 {
		t.Fatalf("init uploads %d more CGRAM bytes, want 56 (6 glyphs and the backslash)", n)
	}
}

func TestDrawTraffic(t *testing.T) {
	g := frame.LCD16x2()
	hello := frame.New(g, "HELLO", "A\\B")
	helloNav := hello.Clone()
	helloNav.SetNav(frame.Nav{Up: true, Down: true, Enter: true})
	changed := helloNav.Clone()
	changed.WriteAt(0, 1, "A")
	cursor := changed.Clone()
	cursor.SetCursor(1, 2)
	moved := cursor.Clone()
	moved.SetCursor(1, 0)
	moved.WriteAt(1, 15, "Z")
	hidden := moved.Clone()
	hidden.HideCursor()
	leds := hidden.Clone()
	leds.SetLEDs(frame.LEDs{S1: true})

	d, ps := newGPIO(t, armv7(t), Options{})
	ps.t.take()
	steps := []struct {
		name string
		f    frame.Frame
		want []string
	}{
		// After init the display holds spaces: only non-blank cells go out,
		// one DDRAM address per run. '\' is CGRAM slot 7.
		{"first frame", hello, []string{"cmd 0x80", "data 'H'", "data 'E'", "data 'L'", "data 'L'", "data 'O'",
			"cmd 0xc0", "data 'A'", "data 0x07", "data 'B'"}},
		{"same frame writes nothing", hello, nil},
		// UpDown is slot 2, Enter slot 6 (glyph order from slot 0).
		{"nav glyphs", helloNav, []string{"cmd 0x8e", "data 0x02", "data 0x06"}},
		{"one cell", changed, []string{"cmd 0x81", "data 'A'"}},
		{"cursor on", cursor, []string{"cmd 0xc2", "cmd 0x0e"}},
		{"cursor moves after a write", moved, []string{"cmd 0xcf", "data 'Z'", "cmd 0xc0"}},
		{"cursor off", hidden, []string{"cmd 0x0c"}},
		{"LEDs are not the LCD's", leds, nil},
	}
	for _, s := range steps {
		if err := d.Draw(s.f); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if df := diff(decode(t, ps.t.take(), 0), s.want); df != "" {
			t.Errorf("%s: traffic differs:\n%s", s.name, df)
		}
	}
}

func TestDraw20x4RowAddresses(t *testing.T) {
	b := armv7(t)
	b.LCD.Rows, b.LCD.Cols = 4, 20
	d, ps := newGPIO(t, b, Options{})
	ps.t.take()
	if err := d.Draw(frame.New(frame.LCD20x4(), "", "b", "c", "                   d")); err != nil {
		t.Fatal(err)
	}
	want := []string{"cmd 0xc0", "data 'b'", "cmd 0x94", "data 'c'", "cmd 0xe7", "data 'd'"}
	if df := diff(decode(t, ps.t.take(), 0), want); df != "" {
		t.Fatalf("traffic differs:\n%s", df)
	}
}

func TestDefineGlyphs(t *testing.T) {
	d, ps := newGPIO(t, armv7(t), Options{})
	f := frame.New(frame.LCD16x2(), "X\\")
	f.SetNav(frame.Nav{Left: true, Right: true})
	if err := d.Draw(f); err != nil {
		t.Fatal(err)
	}
	ps.t.take()

	// Two glyphs: Right gets slot 0, LeftRight slot 1, '\' slot 2. The
	// cells that showed old slots are redrawn with the new codes.
	g := Glyphs{
		frame.GlyphLeftRight: {0x11, 0x1f, 0x11, 0, 0, 0, 0, 0},
		frame.GlyphRight:     {0x01, 0x02, 0x04, 0x08, 0x10, 0, 0, 0},
	}
	if err := d.DefineGlyphs(g); err != nil {
		t.Fatal(err)
	}
	want := decode(t, glyphUploadOps(g, true), 0)
	if df := diff(decode(t, ps.t.take(), 0), want); df != "" {
		t.Fatalf("upload differs:\n%s", df)
	}
	if want[0] != "cmd 0x40" || want[1] != "data 0x01" || want[9] != "data 0x11" || want[17] != "data 0x00" || len(want) != 25 {
		t.Fatalf("upload is not Right, LeftRight, backslash from slot 0: %v", want)
	}
	if err := d.Draw(f); err != nil {
		t.Fatal(err)
	}
	if df := diff(decode(t, ps.t.take(), 0), []string{"cmd 0x81", "data 0x02", "cmd 0x8f", "data 0x01"}); df != "" {
		t.Fatalf("redraw differs:\n%s", df)
	}

	// A glyph with no bitmap shows its ASCII stand-in; eight glyphs leave
	// no slot for '\', which falls back to the ROM.
	f.SetGlyph(1, 0, frame.GlyphUp)
	if err := d.Draw(f); err != nil {
		t.Fatal(err)
	}
	if df := diff(decode(t, ps.t.take(), 0), []string{"cmd 0xc0", "data '^'"}); df != "" {
		t.Fatalf("undefined glyph differs:\n%s", df)
	}
}

func TestDefineGlyphsRefuses(t *testing.T) {
	d, _ := newGPIO(t, armv7(t), Options{})
	nine := Glyphs{}
	for i := 1; i <= 9; i++ {
		nine[frame.Glyph(i)] = Bitmap{}
	}
	for name, g := range map[string]Glyphs{
		"nine glyphs": nine,
		"wide row":    {frame.GlyphUp: {0x20}},
		"NoGlyph":     {frame.NoGlyph: {}},
	} {
		if err := d.DefineGlyphs(g); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBacklight(t *testing.T) {
	tests := []struct {
		name string
		pol  Polarity
		want []string // init's level, off, on
	}{
		{"default is active high on GPIO", DefaultPolarity, []string{"GPIO4=1", "GPIO4=0", "GPIO4=1"}},
		{"active low", ActiveLow, []string{"GPIO4=0", "GPIO4=1", "GPIO4=0"}},
	}
	for _, tt := range tests {
		d, ps := newGPIO(t, armv7(t), Options{Backlight: tt.pol})
		ops := ps.t.take()
		got := []string{ops[len(ops)-1]}
		for _, on := range []bool{false, true} {
			if err := d.Backlight(on); err != nil {
				t.Fatal(err)
			}
			got = append(got, ps.t.take()...)
		}
		if df := diff(got, tt.want); df != "" {
			t.Errorf("%s:\n%s", tt.name, df)
		}
	}
}

func TestNoBacklightPin(t *testing.T) {
	b := armv7(t)
	b.LCD.Backlight = ""
	d, ps := newGPIO(t, b, Options{})
	ps.t.take()
	if err := d.Backlight(false); err != nil {
		t.Fatal(err)
	}
	if ops := ps.t.take(); len(ops) != 0 {
		t.Fatalf("backlight without a pin wrote %v", ops)
	}
}

func TestGPIOErrors(t *testing.T) {
	rpi, _ := board.Lookup("rpi4")
	missing := armv7(t)
	missing.LCD.Data[2] = "MISSING7"
	noE := armv7(t)
	noE.LCD.E = ""
	big := armv7(t)
	big.LCD.Rows, big.LCD.Cols = 8, 40
	for name, b := range map[string]board.Board{"plate board": rpi, "unknown pin": missing, "empty E": noE, "8x40": big} {
		ps := newPinSet()
		if _, err := NewGPIO(b, ps.lookup, Options{Sleep: ps.t.sleep}); err == nil {
			t.Errorf("%s: NewGPIO succeeded", name)
		}
	}
}

func TestDrawErrors(t *testing.T) {
	d, ps := newGPIO(t, armv7(t), Options{})
	ps.t.take()
	if err := d.Draw(frame.New(frame.LCD20x4(), "x")); !errors.Is(err, ErrGeometry) {
		t.Fatalf("20x4 frame on 16x2: %v", err)
	}
	if ops := ps.t.take(); len(ops) != 0 {
		t.Fatalf("a refused frame wrote %v", ops)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Draw(frame.New(frame.LCD16x2(), "x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Draw after Close: %v", err)
	}
	if err := d.Backlight(true); !errors.Is(err, ErrClosed) {
		t.Fatalf("Backlight after Close: %v", err)
	}
	if err := d.DefineGlyphs(NavGlyphs()); !errors.Is(err, ErrClosed) {
		t.Fatalf("DefineGlyphs after Close: %v", err)
	}
	if ops := ps.t.take(); len(ops) != 0 {
		t.Fatalf("Close or a closed display wrote %v; the last frame must stay", ops)
	}
}

// failPin fails every Out after a number of successful ones.
type failPin struct {
	*recPin
	left *int
}

func (p *failPin) Out(l gpio.Level) error {
	if *p.left == 0 {
		return errors.New("pin broke")
	}
	*p.left--
	return p.recPin.Out(l)
}

// TestDrawAfterError checks that a failed write makes the next Draw
// rewrite everything instead of trusting what it thinks is shown.
func TestDrawAfterError(t *testing.T) {
	ps := newPinSet()
	left := -1
	lookup := func(name string) (gpio.PinIO, error) {
		p, _ := ps.lookup(name)
		return &failPin{recPin: p.(*recPin), left: &left}, nil
	}
	d, err := NewGPIO(armv7(t), lookup, Options{Sleep: ps.t.sleep})
	if err != nil {
		t.Fatal(err)
	}
	f := frame.New(frame.LCD16x2(), "AB")
	if err := d.Draw(f); err != nil {
		t.Fatal(err)
	}
	ps.t.take()
	left = 3
	if err := d.Draw(frame.New(frame.LCD16x2(), "CD")); err == nil {
		t.Fatal("Draw on a broken pin succeeded")
	}
	left = -1
	ps.t.take()
	if err := d.Draw(f); err != nil {
		t.Fatal(err)
	}
	dec := decode(t, ps.t.take(), 0)
	if len(dec) != 2*16+2+1 || dec[0] != "cmd 0x80" || dec[1] != "data 'A'" || dec[len(dec)-1] != "cmd 0x0c" {
		t.Fatalf("after an error the whole screen must be rewritten, got %v", dec)
	}
}

// diff shows the first difference of two op lists with some context.
func diff(got, want []string) string {
	n := len(got)
	if len(want) < n {
		n = len(want)
	}
	i := 0
	for i < n && got[i] == want[i] {
		i++
	}
	if i == len(got) && i == len(want) {
		return ""
	}
	lo := i - 3
	if lo < 0 {
		lo = 0
	}
	clip := func(s []string) []string {
		if i+4 < len(s) {
			return s[lo : i+4]
		}
		return s[lo:]
	}
	return fmt.Sprintf("first difference at op %d of %d (want %d)\n got: %q\nwant: %q", i, len(got), len(want), clip(got), clip(want))
}
