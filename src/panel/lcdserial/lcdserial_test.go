package lcdserial

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/keypad"
	"picket.dev/picket/src/panel/lcd"
	"picket.dev/picket/src/testkit/fakeclock"
	"picket.dev/picket/src/testkit/lcdmodule"
)

// The expected packets below are written by hand from the data sheets'
// command numbers and layouts (see the package doc). Their CRC bytes were
// computed apart from this package, with LCDproc's table-driven get_crc
// (server/drivers/CFontz633io.c), which gives 0x906E for "123456789", the
// published check value of CRC-16/X-25. TestCRC checks the same vectors.

// x parses "00 00 47 0f" into bytes.
func x(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// join parses and concatenates packets.
func join(t *testing.T, pk ...string) []byte {
	t.Helper()
	var b []byte
	for _, p := range pk {
		b = append(b, x(t, p)...)
	}
	return b
}

// The init sequence on a CFA-635 (see Open).
var init635 = []string{
	"00 00 47 0f",       // ping
	"01 00 9f 16",       // hardware and firmware version
	"17 02 3b 3b bc 00", // key reporting: UP|ENTER|LEFT|RIGHT|DOWN pressed and released, no CANCEL
	"0c 01 00 b7 7a",    // cursor style: none
	"06 00 97 5b",       // clear
	"22 02 05 00 fb 81", // GPIO 5..12 (the LED dies) off
	"22 02 06 00 93 ab",
	"22 02 07 00 4b b2",
	"22 02 08 00 83 31",
	"22 02 09 00 5b 28",
	"22 02 0a 00 33 02",
	"22 02 0b 00 eb 1b",
	"22 02 0c 00 e3 56",
	"0e 01 64 2d ea", // backlight 100
	// Custom characters 0-6: up, down, up/down, left, right, left/right,
	// enter (lcd.NavGlyphs, in frame.Glyph order).
	"09 09 00 04 0e 15 04 04 04 04 00 d4 3e",
	"09 09 01 04 04 04 04 15 0e 04 00 85 70",
	"09 09 02 04 0e 15 04 15 0e 04 00 4e 09",
	"09 09 03 00 04 08 1f 08 04 00 00 cd 63",
	"09 09 04 00 04 02 1f 02 04 00 00 8f 7f",
	"09 09 05 00 00 0a 1f 0a 00 00 00 e5 fa",
	"09 09 06 01 01 05 09 1f 08 04 00 8d 8c",
}

// wire is the host's end of the line: it records every byte the driver
// writes before the write returns, so what a call sent is known when it
// returns.
type wire struct {
	net.Conn
	mu   sync.Mutex
	sent []byte
}

func (w *wire) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.sent = append(w.sent, b...)
	w.mu.Unlock()
	return w.Conn.Write(b)
}

func (w *wire) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sent)
}

func (w *wire) since(mark int) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]byte(nil), w.sent[mark:]...)
}

type bench struct {
	t     *testing.T
	emu   *lcdmodule.Module
	wire  *wire
	clock *fakeclock.Clock
	m     *Module
	t0    time.Time
	dev   net.Conn // the module's end
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newBench serves an emulated module on one end of a pipe; open opens
// the driver on the other.
func newBench(t *testing.T, cfg lcdmodule.Config) (*bench, *wire) {
	t.Helper()
	host, dev := net.Pipe()
	b := &bench{t: t, emu: lcdmodule.New(cfg), wire: &wire{Conn: host}, t0: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	b.clock = fakeclock.New(t, b.t0)
	b.dev = dev
	done := make(chan error, 1)
	go func() { done <- b.emu.Serve(dev) }()
	t.Cleanup(func() {
		host.Close()
		dev.Close()
		if err := <-done; err != nil {
			t.Errorf("emulator: %v", err)
		}
	})
	return b, b.wire
}

func openBench(t *testing.T, cfg lcdmodule.Config, geo frame.Geometry) *bench {
	t.Helper()
	b, host := newBench(t, cfg)
	m, err := Open(host, Options{Geometry: geo, Clock: b.clock, Log: testLog(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	b.m = m
	return b
}

// expect checks that exactly want went on the line since mark.
func (b *bench) expect(what string, mark int, want ...string) {
	b.t.Helper()
	b.settle()
	got, exp := b.wire.since(mark), join(b.t, want...)
	if !bytes.Equal(got, exp) {
		b.t.Errorf("%s: sent\n % x\nwant\n % x", what, got, exp)
	}
	if n := b.emu.Dropped(); n != 0 {
		b.t.Errorf("%s: the module dropped %d bytes as not a packet", what, n)
	}
}

// settle waits until the module handled every byte sent so far: it
// handles a packet after the write that carried it returned.
func (b *bench) settle() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	handled := func() bool {
		n := b.emu.Dropped()
		for _, p := range b.emu.Received() {
			n += len(p.Raw)
		}
		return n == b.wire.mark()
	}
	if err := b.emu.WaitFor(ctx, handled); err != nil {
		b.t.Fatalf("the module did not handle what was sent: %v", err)
	}
}

func TestCRC(t *testing.T) {
	if got := crc16([]byte("123456789")); got != 0x906e {
		t.Errorf("crc16(123456789) = %#04x, want 0x906e (CRC-16/X-25 check value)", got)
	}
	for _, p := range append(append([]string{}, init635...), "80 01 05 55 84", "4e 00 31 d3", "cd 00 95 75") {
		b := x(t, p)
		n := len(b)
		if got := appendPacket(nil, b[0], b[2:n-2]); !bytes.Equal(got, b) {
			t.Errorf("appendPacket = % x, want % x", got, b)
		}
	}
	// The emulator's CRC (a table, not a bit loop) agrees.
	emu := lcdmodule.New(lcdmodule.Config{})
	if got, want := emu.Encode(0x80, []byte{5}), x(t, "80 01 05 55 84"); !bytes.Equal(got, want) {
		t.Errorf("emulator Encode = % x, want % x", got, want)
	}
}

func TestOpenSendsInitSequence(t *testing.T) {
	b := openBench(t, lcdmodule.Config{}, frame.LCD16x2())
	b.expect("Open", 0, init635...)
	if b.m.Model() != "CFA635" {
		t.Errorf("Model() = %q", b.m.Model())
	}
	if p, r := b.emu.KeyMasks(); p != 0x3b || r != 0x3b {
		t.Errorf("key masks %#x %#x, want 0x3b 0x3b", p, r)
	}
	if got := b.emu.CGRAM(6); got != [8]byte{0x01, 0x01, 0x05, 0x09, 0x1f, 0x08, 0x04, 0x00} {
		t.Errorf("CGRAM 6 = % x, want the enter glyph", got)
	}
	if b.emu.Backlight() != 100 {
		t.Errorf("backlight %d", b.emu.Backlight())
	}
}

func TestDrawWritesOnlyChangedRuns(t *testing.T) {
	b := openBench(t, lcdmodule.Config{}, frame.LCD16x2())
	geo := frame.LCD16x2()
	draw := func(f frame.Frame) {
		t.Helper()
		if err := b.m.Draw(f); err != nil {
			t.Fatal(err)
		}
	}

	mark := b.wire.mark()
	draw(frame.New(geo, "HELLO"))
	b.expect("first frame", mark, "1f 07 00 00 48 45 4c 4c 4f 57 51") // col 0 row 0 "HELLO"

	mark = b.wire.mark()
	f := frame.New(geo, "HELPO", "               X")
	draw(f)
	b.expect("two cells changed", mark,
		"1f 03 03 00 50 e7 89", // col 3 row 0 "P"
		"1f 03 0f 01 58 d4 b9") // col 15 row 1 "X"

	mark = b.wire.mark()
	draw(f)
	b.expect("the same frame again", mark)

	// A navigation glyph is its custom character; '\' is the 635 ROM's
	// code 0xfb; a visible cursor is placed after the text, underscore.
	mark = b.wire.mark()
	f = frame.New(geo, "HELPO", "DOM\\U          X")
	f.SetNav(frame.Nav{Up: true, Down: true})
	f.SetCursor(1, 3)
	draw(f)
	b.expect("glyph, backslash, cursor", mark,
		"1f 03 0f 00 02 d3 5d",             // col 15 row 0: slot 2, up/down
		"1f 07 00 01 44 4f 4d fb 55 83 6c", // col 0 row 1 "DOM\U"
		"0b 02 03 01 92 b2",                // cursor at col 3 row 1
		"0c 01 02 a5 59")                   // cursor style underscore
	want := []string{"HELPO          *    ", "DOM\\U          X    ", strings.Repeat(" ", 20), strings.Repeat(" ", 20)}
	if got := b.emu.Text(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("module shows\n%q\nwant\n%q", got, want)
	}
	if row, col, style := b.emu.Cursor(); row != 1 || col != 3 || style != 2 {
		t.Errorf("cursor row %d col %d style %d", row, col, style)
	}

	mark = b.wire.mark()
	f = frame.New(geo, "HELPO", "DOM\\U          X")
	f.SetNav(frame.Nav{Up: true, Down: true})
	draw(f)
	b.expect("cursor hidden", mark, "0c 01 00 b7 7a")

	if err := b.m.Draw(frame.New(frame.LCD20x4())); !errors.Is(err, lcd.ErrGeometry) {
		t.Errorf("Draw of a 20x4 frame = %v, want ErrGeometry", err)
	}
}

func TestBacklightAndLEDs(t *testing.T) {
	b := openBench(t, lcdmodule.Config{}, frame.LCD16x2())
	mark := b.wire.mark()
	if err := b.m.Backlight(false); err != nil {
		t.Fatal(err)
	}
	b.expect("backlight off", mark, "0e 01 00 0f cf")
	if b.emu.Backlight() != 0 {
		t.Errorf("backlight %d, want 0", b.emu.Backlight())
	}

	mark = b.wire.mark()
	for _, l := range []frame.LEDs{{S1: true}, {S1: true, S2: true}, {S1: true, S2: true}} {
		if err := b.m.SetLEDs(l); err != nil {
			t.Fatal(err)
		}
	}
	b.expect("S1, then S2, then nothing new", mark,
		"22 02 0b 64 c9 3e", // GPIO 11 (top LED, green) 100
		"22 02 09 64 79 0d") // GPIO 9 (second LED, green) 100
	if b.emu.GPIO(11) != 100 || b.emu.GPIO(9) != 100 || b.emu.GPIO(12) != 0 {
		t.Errorf("GPIO 11, 9, 12 = %d %d %d", b.emu.GPIO(11), b.emu.GPIO(9), b.emu.GPIO(12))
	}

	mark = b.wire.mark()
	if err := b.m.Draw(frame.New(frame.LCD16x2(), "BYE")); err != nil {
		t.Fatal(err)
	}
	if err := b.m.Close(); err != nil {
		t.Fatal(err)
	}
	b.expect("last frame, then Close", mark,
		"1f 05 00 00 42 59 45 42 96", // "BYE"
		"22 02 0b 00 eb 1b",          // S1 off
		"22 02 09 00 5b 28")          // S2 off
	if got := b.emu.Text()[0]; !strings.HasPrefix(got, "BYE ") {
		t.Errorf("after Close the module shows %q, want the last frame", got)
	}
	if err := b.m.Draw(frame.New(frame.LCD16x2())); !errors.Is(err, lcd.ErrClosed) {
		t.Errorf("Draw after Close = %v, want ErrClosed", err)
	}
}

// A CFA-633 (16x2, HD44780 ROM, no LEDs): '\' is drawn from custom
// character 7, there is no LED command, and a 20x4 panel is refused.
func TestCFA633(t *testing.T) {
	b := openBench(t, lcdmodule.Config{Model: "CFA633"}, frame.LCD16x2())
	want := append([]string{}, init635[:5]...)
	want = append(want, init635[13:]...)
	want = append(want, "09 09 07 00 10 08 04 02 01 00 00 28 90") // '\' in slot 7
	b.expect("Open", 0, want...)

	mark := b.wire.mark()
	if err := b.m.Draw(frame.New(frame.LCD16x2(), "", "DOM\\U")); err != nil {
		t.Fatal(err)
	}
	if err := b.m.SetLEDs(frame.LEDs{S1: true}); err != nil {
		t.Fatal(err)
	}
	b.expect("backslash, no LED", mark, "1f 07 00 01 44 4f 4d 07 55 2b b9")

	b2, host := newBench(t, lcdmodule.Config{Model: "CFA633"})
	_, err := Open(host, Options{Geometry: frame.LCD20x4(), Clock: b2.clock})
	if err == nil || !strings.Contains(err.Error(), "the module (CFA633) is 16x2") {
		t.Errorf("Open 20x4 on a CFA633 = %v, want the size refused", err)
	}
}

// keys runs RunKeys with hand-fed ticks and collects the events.
type keys struct {
	ticks  chan time.Time
	events chan keyevent.Event
}

func (b *bench) runKeys() *keys {
	k := &keys{ticks: make(chan time.Time), events: make(chan keyevent.Event, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.m.RunKeys(ctx, k.ticks, func(e keyevent.Event) { k.events <- e }) }()
	b.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.t.Errorf("RunKeys: %v", err)
		}
	})
	return k
}

// next waits for one event.
func (k *keys) next(t *testing.T) keyevent.Event {
	t.Helper()
	select {
	case e := <-k.events:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no key event")
		return keyevent.Event{}
	}
}

// none checks that no event is waiting.
func (k *keys) none(t *testing.T, after string) {
	t.Helper()
	select {
	case e := <-k.events:
		t.Errorf("after %s: unexpected %v", after, e)
	default:
	}
}

func (b *bench) inject(s ...string) {
	b.t.Helper()
	if err := b.emu.Inject(join(b.t, s...)); err != nil {
		b.t.Fatal(err)
	}
}

func TestKeyReports(t *testing.T) {
	b := openBench(t, lcdmodule.Config{}, frame.LCD16x2())
	k := b.runKeys()
	// Reports as the data sheet has them: 0x80, one byte, the key code.
	b.inject("80 01 01 71 c2", "80 01 07 47 a7") // UP press, release
	if e := k.next(t); e != keyevent.Press(keyevent.Up) {
		t.Errorf("UP press gave %v", e)
	}
	b.inject("80 01 05 55 84", "80 01 0b 2b 6d") // ENTER press, release
	if e := k.next(t); e != keyevent.Press(keyevent.Enter) {
		t.Errorf("ENTER press gave %v", e)
	}
	// LEFT, then RIGHT while LEFT is held: CLEAR, and nothing on release.
	b.inject("80 01 03 63 e1", "80 01 04 dc 95", "80 01 09 39 4e", "80 01 0a a2 7c")
	if e := k.next(t); e != keyevent.Press(keyevent.Clear) {
		t.Errorf("LEFT+RIGHT gave %v", e)
	}
	// A LEFT tap comes out on release.
	b.inject("80 01 03 63 e1", "80 01 09 39 4e")
	if e := k.next(t); e != keyevent.Press(keyevent.Left) {
		t.Errorf("LEFT tap gave %v", e)
	}
	// EXIT (6, release 12) is not one of the five keys: ignored. DOWN after
	// it shows it was read and dropped.
	b.inject("80 01 06 ce b6", "80 01 0c 94 19", "80 01 02 ea f0", "80 01 08 b0 5f")
	if e := k.next(t); e != keyevent.Press(keyevent.Down) {
		t.Errorf("EXIT then DOWN gave %v first", e)
	}
	k.none(t, "EXIT and DOWN")
	// And the module does not report EXIT at all: the mask leaves it out.
	if sent, err := b.emu.Press(lcdmodule.KeyExit); sent || err != nil {
		t.Errorf("emulated EXIT press sent %v, %v; want nothing (masked)", sent, err)
	}
}

// Garbage, a report whose code was corrupted, and a report cut short are
// dropped; the good report after them is taken, and nothing else.
func TestCorruptedReportsIgnored(t *testing.T) {
	b := openBench(t, lcdmodule.Config{}, frame.LCD16x2())
	k := b.runKeys()
	b.inject(
		"ff 13 00 5a 99",                   // line noise
		"80 01 03 71 c2",                   // UP press's CRC on a LEFT code: bad CRC
		"80 01 04",                         // RIGHT press cut short
		"80 02 01 71 c2",                   // a length that does not match
		"80 01 02 ea f0",                   // DOWN press
		"80 01 08 b0 5f",                   // DOWN release
		"41 10 43 46 41",                   // the start of a version answer nobody asked for, cut short
		"80 01 01 71 c2",                   // UP press: inside the length the cut answer claims,
		"80 01 07 47 a7",                   // and UP release: found again once its CRC fails
		"80 01 05 55 84", "80 01 0b 2b 6d", // ENTER
	)
	for _, want := range []keyevent.Key{keyevent.Down, keyevent.Up, keyevent.Enter} {
		if e := k.next(t); e != keyevent.Press(want) {
			t.Errorf("event %v, want %v", e, want)
		}
	}
	k.none(t, "the corrupted stream")
	b.m.mu.Lock()
	dropped := b.m.dec.dropped
	b.m.mu.Unlock()
	t.Logf("bytes dropped while resyncing (not yet logged): %d", dropped)
	// The line still works for commands.
	if err := b.m.Backlight(true); err != nil {
		t.Errorf("Backlight after the garbage: %v", err)
	}
}

// Auto-repeat follows SetRepeat, on the ticks, as package keypad's does.
func TestKeyRepeat(t *testing.T) {
	b := openBench(t, lcdmodule.Config{}, frame.LCD16x2())
	k := b.runKeys()
	// The second tick of the same time is taken only once the first was
	// handled, so a check for no event after it is not early.
	tick := func(d time.Duration) { k.ticks <- b.t0.Add(d); k.ticks <- b.t0.Add(d) }
	b.m.SetRepeat(true)
	b.inject("80 01 02 ea f0") // DOWN press at t0 (the fake clock stands still)
	if e := k.next(t); e != keyevent.Press(keyevent.Down) {
		t.Fatalf("got %v", e)
	}
	tick(keypad.DefaultConfig().RepeatDelay - time.Millisecond)
	k.none(t, "a hold shorter than the repeat delay")
	tick(keypad.DefaultConfig().RepeatDelay)
	if e := k.next(t); e != keyevent.Press(keyevent.Down) {
		t.Fatalf("repeat got %v", e)
	}
	b.m.SetRepeat(false)
	tick(2 * keypad.DefaultConfig().RepeatDelay)
	k.none(t, "repeat switched off")
	b.inject("80 01 08 b0 5f")
	b.inject("80 01 05 55 84", "80 01 0b 2b 6d")
	if e := k.next(t); e != keyevent.Press(keyevent.Enter) {
		t.Errorf("got %v, want ENTER", e)
	}
}

// An answer lost on the line: the command goes again after the timeout;
// an answer that never comes: a clear error after the tries.
func TestMissingAnswer(t *testing.T) {
	b := openBench(t, lcdmodule.Config{}, frame.LCD16x2())

	b.settle()
	b.emu.Silence(1)
	mark := b.wire.mark()
	done := make(chan error, 1)
	go func() { done <- b.m.Backlight(false) }()
	if p := b.clock.WaitTimers(1); p[0] != DefaultTimeout {
		t.Errorf("waits %v, want %v", p[0], DefaultTimeout)
	}
	b.clock.Fire()
	if err := <-done; err != nil {
		t.Fatalf("Backlight with one answer lost: %v", err)
	}
	b.expect("sent twice", mark, "0e 01 00 0f cf", "0e 01 00 0f cf")

	b.settle()
	b.emu.Silence(3)
	mark = b.wire.mark()
	go func() { done <- b.m.Backlight(true) }()
	for range 3 {
		b.clock.Fire()
	}
	err := <-done
	if !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), "backlight (14)") || !strings.Contains(err.Error(), "3 tries") {
		t.Errorf("Backlight with no answer = %v, want ErrNoAnswer naming the command and the tries", err)
	}
	b.expect("sent three times", mark, "0e 01 64 2d ea", "0e 01 64 2d ea", "0e 01 64 2d ea")

	// A Draw that fails forgets what the module shows, and the next one
	// writes it all again.
	b.settle()
	b.emu.Silence(3)
	go func() { done <- b.m.Draw(frame.New(frame.LCD16x2(), "A")) }()
	for range 3 {
		b.clock.Fire()
	}
	if err := <-done; !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("Draw = %v", err)
	}
	mark = b.wire.mark()
	if err := b.m.Draw(frame.New(frame.LCD16x2(), "A")); err != nil {
		t.Fatal(err)
	}
	b.expect("the Draw after a failed one", mark,
		"1f 12 00 00 41"+strings.Repeat(" 20", 15)+" 48 82", // row 0, all 16 cells: "A" and spaces
		"1f 12 00 01"+strings.Repeat(" 20", 16)+" 54 c1",    // row 1, all 16 cells
		"0c 01 00 b7 7a") // cursor style none, as it is not known
}

// A packet cut short just before an answer holds the reader until the
// answer is overdue; then the reader drops it and takes the answer, with
// no second try.
func TestTruncatedPacketBeforeAnswer(t *testing.T) {
	b := openBench(t, lcdmodule.Config{}, frame.LCD16x2())
	b.settle()
	b.emu.BeforeNextAnswer(x(t, "ff 00 42 05 01")) // noise, then a response of length 5 cut short
	mark := b.wire.mark()
	done := make(chan error, 1)
	go func() { done <- b.m.Backlight(false) }()
	// Fire the timeout only once the reader holds the cut packet and the
	// answer after it (the noise before it dropped): the answer is on time.
	held := x(t, "42 05 01 4e 00 31 d3")
	for limit := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		b.m.mu.Lock()
		got := append([]byte(nil), b.m.dec.buf...)
		b.m.mu.Unlock()
		if bytes.Equal(got, held) {
			break
		}
		if time.Now().After(limit) {
			t.Fatalf("the reader holds % x, want % x", got, held)
		}
	}
	b.clock.Fire()
	if err := <-done; err != nil {
		t.Fatalf("Backlight: %v", err)
	}
	b.expect("sent once", mark, "0e 01 00 0f cf")
}

// An error response is a clear error at once, not retried.
func TestErrorResponse(t *testing.T) {
	b := openBench(t, lcdmodule.Config{}, frame.LCD16x2())
	mark := b.wire.mark()
	_, err := b.m.command(13, []byte{1, 2}) // contrast takes one byte
	if !errors.Is(err, ErrRejected) {
		t.Errorf("command = %v, want ErrRejected", err)
	}
	b.expect("sent once", mark, "0d 02 01 02 23 f8")
}

// The module going away ends RunKeys with an error, and a command with
// one, not a hang.
func TestLineLost(t *testing.T) {
	b, host := newBench(t, lcdmodule.Config{})
	m, err := Open(host, Options{Geometry: frame.LCD16x2(), Clock: b.clock})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	done := make(chan error, 1)
	go func() {
		done <- m.RunKeys(context.Background(), nil, func(keyevent.Event) {})
	}()
	b.dev.Close()
	if err := <-done; err == nil {
		t.Error("RunKeys = nil after the line went away, want an error")
	}
	if err := m.Backlight(true); err == nil {
		t.Error("Backlight = nil after the line went away")
	}
}

// Open on a silent line fails with ErrNoAnswer (the pings' tries, the
// resync, the pings' tries again) and closes the line.
func TestOpenSilent(t *testing.T) {
	host, dev := net.Pipe()
	defer dev.Close()
	go func() { // swallow what the driver sends, answer nothing
		buf := make([]byte, 64)
		for {
			if _, err := dev.Read(buf); err != nil {
				return
			}
		}
	}()
	clock := fakeclock.New(t, time.Unix(0, 0))
	done := make(chan error, 1)
	go func() {
		_, err := Open(host, Options{Geometry: frame.LCD16x2(), Clock: clock, Tries: 2})
		done <- err
	}()
	for range 2 * 2 {
		clock.Fire()
	}
	err := <-done
	if !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), "ping (0)") {
		t.Errorf("Open = %v, want ErrNoAnswer on the ping", err)
	}
	if _, err := host.Write([]byte{0}); err == nil {
		t.Error("the line is still open after a failed Open")
	}
}

// A module that holds a packet half received when lcdd opens it (its
// header made of bytes on the line before: here "\n" and 22, the length of
// the longest packet, as in a firmware's boot text on the same port) takes
// the first pings as the rest of it. Open then sends the resync bytes,
// which complete and so end that packet, and pings again: the module is
// opened with the usual sequence, and nothing the garbage held was taken as
// a command.
func TestOpenResyncs(t *testing.T) {
	b, host := newBench(t, lcdmodule.Config{})
	if _, err := host.Conn.Write([]byte{0x0a, 22}); err != nil { // not through wire: not the driver's
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		m, err := Open(host, Options{Geometry: frame.LCD16x2(), Clock: b.clock, Log: testLog(t)})
		if err == nil {
			t.Cleanup(func() { m.Close() })
		}
		opened <- err
	}()
	for range DefaultTries { // the first pings go unanswered
		b.clock.Fire()
	}
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("Open = %v, want the module opened after the resync", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Open did not return after the first pings went unanswered; sent:\n % x", host.since(0))
	}
	want := []string{}
	for range DefaultTries {
		want = append(want, init635[0])
	}
	want = append(want, strings.Repeat("ff ", 26))
	want = append(want, init635...)
	if got, exp := host.since(0), join(t, want...); !bytes.Equal(got, exp) {
		t.Errorf("sent\n % x\nwant\n % x", got, exp)
	}
	// The module took the pings swallowed by the half packet once it was
	// dropped, then the sequence; no other command.
	var types []byte
	for _, p := range b.emu.Received() {
		types = append(types, p.Type)
	}
	if i := bytes.IndexByte(types, 1); i < 1 || bytes.Count(types[:i], []byte{0}) != i || types[i+1] != 23 {
		t.Errorf("the module received commands %v, want pings, then version and the rest of the sequence", types)
	}
	if got := strings.TrimRight(b.emu.Text()[0], " "); got != "" {
		t.Errorf("the module shows %q after Open, want it cleared", got)
	}
}
