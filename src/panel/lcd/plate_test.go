package lcd

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/panel/frame"
)

// rpi4 plate: MCP23017 at 0x20; RS GPB7, E GPB5, D4-D7 GPB4 GPB3 GPB2 GPB1;
// backlight GPA6 (active low); keys GPA0-GPA4. Registers: IODIRA 0x00,
// IODIRB 0x01, GPPUA 0x0c, GPIOA 0x12, OLATA 0x14, OLATB 0x15.

func rpi4(t *testing.T) board.Board {
	t.Helper()
	b, err := board.Lookup("rpi4")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rd(reg, v byte) i2ctest.IO { return i2ctest.IO{Addr: 0x20, W: []byte{reg}, R: []byte{v}} }
func wr(reg, v byte) i2ctest.IO { return i2ctest.IO{Addr: 0x20, W: []byte{reg, v}} }
func olatB(v byte) i2ctest.IO   { return wr(0x15, v) }
func plateBits(rs bool, n byte) byte {
	v := byte(0)
	if rs {
		v |= 0x80
	}
	for i, bit := range []byte{0x10, 0x08, 0x04, 0x02} { // D4..D7
		if n&(1<<i) != 0 {
			v |= bit
		}
	}
	return v
}

// latchModel is the expected OLATB traffic: each nibble is data with E low,
// E high (0x20), E low; a write that would not change the latch is not
// sent (periph caches the latch).
type latchModel struct {
	olat byte
	ops  []i2ctest.IO
}

func (m *latchModel) set(v byte) {
	if v != m.olat {
		m.ops = append(m.ops, olatB(v))
		m.olat = v
	}
}

func (m *latchModel) nibble(rs bool, n byte) {
	v := plateBits(rs, n)
	m.set(v)
	m.set(v | 0x20)
	m.set(v)
}

func (m *latchModel) bytes(rs bool, bs ...byte) {
	for _, b := range bs {
		m.nibble(rs, b>>4)
		m.nibble(rs, b&0xf)
	}
}

func (m *latchModel) take() []i2ctest.IO {
	ops := m.ops
	m.ops = nil
	return ops
}

// decodeLatch turns OLATB writes back into HD44780 bytes, as the
// controller sees them at each falling edge of E.
func decodeLatch(t *testing.T, ops []i2ctest.IO, single int) []string {
	t.Helper()
	var out []string
	var olat byte
	var half []byte
	for _, op := range ops {
		if len(op.W) != 2 || op.W[0] != 0x15 {
			continue
		}
		was := olat
		olat = op.W[1]
		if was&0x20 == 0 || olat&0x20 != 0 {
			continue
		}
		n := byte(0)
		for i, bit := range []byte{0x10, 0x08, 0x04, 0x02} {
			if olat&bit != 0 {
				n |= 1 << i
			}
		}
		if single > 0 {
			single--
			out = append(out, fmt.Sprintf("nibble 0x%x", n))
			continue
		}
		half = append(half, n)
		if len(half) == 2 {
			kind := "cmd"
			if olat&0x80 != 0 {
				kind = "data"
			}
			out = append(out, fmt.Sprintf("%s 0x%02x", kind, half[0]<<4|half[1]))
			half = nil
		}
	}
	return out
}

func ioString(ops []i2ctest.IO) []string {
	var s []string
	for _, o := range ops {
		s = append(s, fmt.Sprintf("W%x R%x", o.W, o.R))
	}
	return s
}

// TestPlateTraffic asserts every I2C transaction of the plate: init, a
// frame, the backlight and the key group, in order, with i2ctest.Playback
// answering the reads and refusing any other transaction.
func TestPlateTraffic(t *testing.T) {
	var m latchModel
	// Init: periph reads both direction registers, the first group write
	// makes RS, E, D4-D7 outputs and reads the latch once.
	want := []i2ctest.IO{rd(0x00, 0xff), rd(0x01, 0xff), wr(0x01, 0x41), rd(0x15, 0x00)}
	for _, n := range []byte{3, 3, 3, 2} {
		m.nibble(false, n)
	}
	m.bytes(false, 0x28, 0x08, 0x01, 0x06, 0x40)
	g := NavGlyphs()
	for _, k := range g.Sorted() {
		b := g[k]
		m.bytes(true, b[:]...)
	}
	bs := Backslash()
	m.bytes(true, bs[:]...)
	m.bytes(false, 0x0c)
	want = append(want, m.take()...)
	// Backlight on = GPA6 low: make it an output; the latch already reads
	// low, so periph writes nothing more.
	want = append(want, wr(0x00, 0xbf), rd(0x14, 0x00))

	// The exact start, literally, so the model above is checked too.
	literal := []i2ctest.IO{rd(0x00, 0xff), rd(0x01, 0xff), wr(0x01, 0x41), rd(0x15, 0x00),
		olatB(0x18), olatB(0x38), olatB(0x18), // nibble 3
		olatB(0x38), olatB(0x18), // nibble 3 (data already on the latch)
		olatB(0x38), olatB(0x18), // nibble 3
		olatB(0x08), olatB(0x28), olatB(0x08), // nibble 2
		olatB(0x28), olatB(0x08), // 0x28 high nibble: 2, already on the latch
		olatB(0x02), olatB(0x22), olatB(0x02), // 0x28 low nibble: 8 (D7)
	}
	if !equalIO(want[:len(literal)], literal) {
		t.Fatalf("model start differs from the literal:\n%q\n%q", ioString(want[:len(literal)]), ioString(literal))
	}

	pb := &i2ctest.Playback{Ops: want, DontPanic: true}
	rec := &i2ctest.Record{Bus: pb}
	var waits trace
	p, err := OpenPlate(rec, rpi4(t), Options{Sleep: waits.sleep})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	if pb.Count != len(want) {
		t.Fatalf("init used %d of %d expected transactions", pb.Count, len(want))
	}
	if dec := decodeLatch(t, rec.Ops, 4); len(dec) != 4+5+64+1 || dec[8] != "cmd 0x40" || dec[73] != "cmd 0x0c" {
		t.Fatalf("decoded init: %v", dec)
	}

	step := func(name string, ops []i2ctest.IO, do func() error) {
		t.Helper()
		pb.Ops = append(pb.Ops, ops...)
		start := len(rec.Ops)
		if err := do(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if pb.Count != len(pb.Ops) {
			t.Fatalf("%s: used %d of %d expected transactions", name, pb.Count-start, len(ops))
		}
		if !equalIO(rec.Ops[start:], ops) {
			t.Fatalf("%s: traffic %q, want %q", name, ioString(rec.Ops[start:]), ioString(ops))
		}
	}

	f := frame.New(frame.LCD16x2(), "HI")
	f.SetNav(frame.Nav{Enter: true})
	m.bytes(false, 0x80)
	m.bytes(true, 'H', 'I')
	m.bytes(false, 0x8f)
	m.bytes(true, 6) // GlyphEnter's slot
	step("draw", m.take(), func() error { return p.LCD().Draw(f) })
	step("same frame", nil, func() error { return p.LCD().Draw(f) })
	step("backlight off", []i2ctest.IO{wr(0x14, 0x40)}, func() error { return p.LCD().Backlight(false) })
	step("backlight on", []i2ctest.IO{wr(0x14, 0x00)}, func() error { return p.LCD().Backlight(true) })

	// Keys: Up GPA3, Down GPA2, Left GPA4, Right GPA1, Enter GPA0, active
	// low: pull-ups on one by one, then a single GPIOA read per sample.
	var keys gpio.Group
	step("key group", []i2ctest.IO{rd(0x0c, 0x00), wr(0x0c, 0x08), wr(0x0c, 0x0c), wr(0x0c, 0x1c), wr(0x0c, 0x1e), wr(0x0c, 0x1f)}, func() (err error) {
		keys, err = p.KeyGroup(rpi4(t).Keys)
		return err
	})
	// Down (GPA2) pressed pulls its line low; GPA5-GPA7 are not keys and
	// must not leak into the group value.
	step("key read", []i2ctest.IO{rd(0x12, 0xfb)}, func() error {
		v, err := keys.Read(0)
		if err != nil {
			return err
		}
		if v != 0x1d { // offsets Up, Down, Left, Right, Enter: Down (bit 1) low
			return fmt.Errorf("group read %#x, want 0x1d", v)
		}
		return nil
	})
	// Any other expander pin goes through the same device and lock.
	step("GPA7 via Pin", []i2ctest.IO{wr(0x00, 0x3f), wr(0x14, 0x80)}, func() error {
		pin, err := p.Pin("GPA7")
		if err != nil {
			return err
		}
		return pin.Out(gpio.High)
	})
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
}

func equalIO(a, b []i2ctest.IO) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Addr != b[i].Addr || !bytes.Equal(a[i].W, b[i].W) || !bytes.Equal(a[i].R, b[i].R) {
			return false
		}
	}
	return true
}

func TestPlatePin(t *testing.T) {
	for _, bad := range []string{"GPC1", "GPA8", "GPIO17", "", "gpa1"} {
		if _, _, err := expanderPin(bad); err == nil {
			t.Errorf("expanderPin(%q) accepted", bad)
		}
	}
	for name, want := range map[string][2]int{"GPA0": {0, 0}, "GPB7": {1, 7}, "GPA6": {0, 6}} {
		pt, bit, err := expanderPin(name)
		if err != nil || pt != want[0] || bit != want[1] {
			t.Errorf("expanderPin(%q) = %d, %d, %v", name, pt, bit, err)
		}
	}
}

func TestOpenPlateErrors(t *testing.T) {
	split := rpi4(t)
	split.LCD.E = "GPA5"
	for name, b := range map[string]board.Board{"gpio board": armv7(t), "split port": split} {
		pb := &i2ctest.Playback{Ops: []i2ctest.IO{rd(0x00, 0xff), rd(0x01, 0xff)}, DontPanic: true}
		if p, err := OpenPlate(pb, b, Options{Sleep: func(time.Duration) {}}); err == nil {
			_ = p.Close()
			t.Errorf("%s: OpenPlate succeeded", name)
		}
	}
	// A dead bus fails cleanly.
	if _, err := OpenPlate(&i2ctest.Playback{DontPanic: true}, rpi4(t), Options{Sleep: func(time.Duration) {}}); err == nil {
		t.Error("OpenPlate on a silent bus succeeded")
	}
}
