package lcdserial

import (
	"errors"
	"fmt"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/lcd"
)

var _ lcd.LCD = (*Module)(nil)

// romCode is the character code that shows the printable ASCII r. On the
// CFA-635's KS0073-type ROM a dozen ASCII characters sit elsewhere
// (LCDproc's CFontz-charmap.h, which also maps '`' to an apostrophe); on an
// HD44780 ROM ASCII is where it belongs but for '\', drawn from the CGRAM
// slot bs.
func (m *Module) romCode(r rune) int {
	if m.model.ks0073 {
		switch r {
		case '$':
			return 162
		case '@':
			return 160
		case '[':
			return 250
		case '\\':
			return 251
		case ']':
			return 252
		case '^':
			return 29
		case '_':
			return 196
		case '`':
			return 39
		case '{':
			return 253
		case '|':
			return 254
		case '}':
			return 255
		case '~':
			return 206
		}
		return int(r)
	}
	if r == '\\' {
		return m.bs
	}
	return int(r)
}

// code is the char code for cell row, col of f.
func (m *Module) code(f frame.Frame, row, col int) int {
	if g := f.Glyph(row, col); g != frame.NoGlyph {
		if c, ok := m.slots[g]; ok {
			return int(c)
		}
		return m.romCode(g.ASCII())
	}
	return m.romCode(f.Text(row, col)) // printable ASCII: the frame sees to it
}

// Draw writes the cells of f that differ from the module's, one command 31
// per run of consecutive changed cells in a row, then the cursor.
func (m *Module) Draw(f frame.Frame) error {
	m.dmu.Lock()
	defer m.dmu.Unlock()
	if m.closed {
		return lcd.ErrClosed
	}
	if f.Geometry() != m.geo {
		return fmt.Errorf("%w: frame %s, display %s", lcd.ErrGeometry, f.Geometry(), m.geo)
	}
	if err := m.draw(f); err != nil {
		m.forget()
		return fmt.Errorf("lcdserial: draw: %w", err)
	}
	return nil
}

func (m *Module) draw(f frame.Frame) error {
	cols := m.geo.Cols
	wrote := false
	for r := 0; r < m.geo.Rows; r++ {
		for c := 0; c < cols; {
			if m.shown[r*cols+c] == m.code(f, r, c) {
				c++
				continue
			}
			start := c
			run := []byte{byte(start), byte(r)}
			for ; c < cols; c++ {
				want := m.code(f, r, c)
				if m.shown[r*cols+c] == want {
					break
				}
				run = append(run, byte(want))
			}
			if _, err := m.command(cmdSendData, run); err != nil {
				return err
			}
			for i, b := range run[2:] {
				m.shown[r*cols+start+i] = int(b)
			}
			wrote = true
		}
	}
	cur := f.Cursor()
	if !cur.Visible {
		return m.setStyle(cursorNone)
	}
	// Writing moves the controller's address counter, and with it the
	// cursor: place it again after any write.
	if wrote || !m.curOK || m.curRow != cur.Row || m.curCol != cur.Col {
		m.curOK = false
		if _, err := m.command(cmdCursorPos, []byte{byte(cur.Col), byte(cur.Row)}); err != nil {
			return err
		}
		m.curRow, m.curCol, m.curOK = cur.Row, cur.Col, true
	}
	return m.setStyle(cursorUnderscore)
}

func (m *Module) setStyle(s int) error {
	if m.style == s {
		return nil
	}
	m.style = unknown
	if _, err := m.command(cmdCursorStyle, []byte{byte(s)}); err != nil {
		return err
	}
	m.style = s
	return nil
}

// forget marks everything on the module unknown after a failed command, so
// the next Draw writes it all again.
func (m *Module) forget() {
	for i := range m.shown {
		m.shown[i] = unknown
	}
	m.style = unknown
	m.curOK = false
}

// DefineGlyphs uploads g into the module's eight custom characters, in
// glyph order from slot 0; on an HD44780 ROM a free slot then takes '\'.
func (m *Module) DefineGlyphs(g lcd.Glyphs) error {
	if err := g.Check(); err != nil {
		return fmt.Errorf("lcdserial: %w", err)
	}
	m.dmu.Lock()
	defer m.dmu.Unlock()
	if m.closed {
		return lcd.ErrClosed
	}
	if err := m.upload(g); err != nil {
		m.forget()
		return fmt.Errorf("lcdserial: uploading glyphs: %w", err)
	}
	return nil
}

// upload sends the bitmaps with command 9; m.dmu is held (or Open runs).
func (m *Module) upload(g lcd.Glyphs) error {
	slots := map[frame.Glyph]byte{}
	var defs [][9]byte
	for i, k := range g.Sorted() {
		slots[k] = byte(i)
		var d [9]byte
		d[0] = byte(i)
		b := g[k]
		copy(d[1:], b[:])
		defs = append(defs, d)
	}
	bs := '\\'
	if !m.model.ks0073 && len(slots) < lcd.MaxGlyphs {
		bs = rune(len(slots))
		var d [9]byte
		d[0] = byte(len(slots))
		b := lcd.Backslash()
		copy(d[1:], b[:])
		defs = append(defs, d)
	}
	// Cells showing a slot whose meaning may change must be drawn again.
	for i, c := range m.shown {
		if c >= 0 && c < lcd.MaxGlyphs || c == m.bs {
			m.shown[i] = unknown
		}
	}
	m.slots, m.bs = nil, '\\'
	for _, d := range defs {
		if _, err := m.command(cmdSetChar, d[:]); err != nil {
			return err
		}
	}
	m.slots, m.bs = slots, int(bs)
	return nil
}

// Backlight switches the backlight (and the keypad's) fully on or off.
func (m *Module) Backlight(on bool) error {
	m.dmu.Lock()
	defer m.dmu.Unlock()
	if m.closed {
		return lcd.ErrClosed
	}
	level := byte(0)
	if on {
		level = 100
	}
	if _, err := m.command(cmdBacklight, []byte{level}); err != nil {
		return fmt.Errorf("lcdserial: backlight: %w", err)
	}
	return nil
}

// SetLEDs shows S1 and S2 on the module's LEDs (a CFA-635's), writing only
// a light that changes. A module without LEDs ignores it.
func (m *Module) SetLEDs(l frame.LEDs) error {
	m.dmu.Lock()
	defer m.dmu.Unlock()
	if m.closed {
		return lcd.ErrClosed
	}
	return m.setLEDs(l)
}

func (m *Module) setLEDs(l frame.LEDs) error {
	if !m.model.leds {
		return nil
	}
	var errs []error
	for _, led := range []struct {
		gpio      byte
		was, want bool
		set       *bool
	}{{gpioS1, m.leds.S1, l.S1, &m.leds.S1}, {gpioS2, m.leds.S2, l.S2, &m.leds.S2}} {
		if led.was == led.want {
			continue
		}
		state := byte(0)
		if led.want {
			state = ledOn
		}
		if _, err := m.command(cmdSetGPIO, []byte{led.gpio, state}); err != nil {
			errs = append(errs, fmt.Errorf("lcdserial: LED: %w", err))
			continue
		}
		*led.set = led.want
	}
	return errors.Join(errs...)
}

// Geometry is the size the menu is drawn in.
func (m *Module) Geometry() frame.Geometry { return m.geo }

// Model is the module's model as it reports it ("CFA635").
func (m *Module) Model() string { return m.model.name }
