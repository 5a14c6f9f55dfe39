package fieldedit

import (
	"fmt"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// Number edits a fixed-width decimal number with leading zeros (VLAN,
// port): LEFT/RIGHT move the cursor over the digits, UP/DOWN change the
// digit under it, and the range is checked at ENTER.
type Number struct {
	msgState
	label    string
	min, max int
	def      int
	digits   []byte
	cur      int
	run      int  // digits typed from the first position; -1 otherwise
	full     bool // a digit was typed into the last position
	value    int
}

// NewNumber returns an editor of width digits for values min..max,
// pre-filled with initial, or with def if initial is out of range. It
// panics on a width or range no field of the spec has (a programming
// error, not an operator's).
func NewNumber(label string, width, min, max, def, initial int) *Number {
	lim := 1
	for i := 0; i < width; i++ {
		lim *= 10
	}
	if width < 1 || width > 9 || min < 0 || min > max || max >= lim || def < min || def > max {
		panic(fmt.Sprintf("fieldedit: bad number field %q: width %d range %d-%d default %d", label, width, min, max, def))
	}
	if initial < min || initial > max {
		initial = def
	}
	e := &Number{label: label, min: min, max: max, def: def, digits: make([]byte, width), run: -1}
	e.set(initial)
	return e
}

// VLAN field: 4 digits, 0-4094, 0000 (the default) disables the VLAN.
const (
	VLANWidth = 4
	MaxVLAN   = 4094
)

// NewVLAN returns the VLAN ID editor, labelled with its range.
func NewVLAN(initial int) *Number {
	return NewNumber(fmt.Sprintf("VLAN 0-%d", MaxVLAN), VLANWidth, 0, MaxVLAN, 0, initial)
}

// Proxy port field: 5 digits, 1-65535, default 443.
const (
	PortWidth        = 5
	DefaultProxyPort = 443
)

// NewPort returns a TCP port editor (PROXY PORT).
func NewPort(label string, initial int) *Number {
	return NewNumber(label, PortWidth, 1, 65535, DefaultProxyPort, initial)
}

func (e *Number) set(v int) {
	for i := len(e.digits) - 1; i >= 0; i-- {
		e.digits[i] = byte(v % 10)
		v /= 10
	}
}

func (e *Number) get() int {
	v := 0
	for _, d := range e.digits {
		v = v*10 + int(d)
	}
	return v
}

// Label returns the field's prompt.
func (e *Number) Label() string { return e.label }

// Value returns the number accepted at the last successful ENTER.
func (e *Number) Value() int { return e.value }

// Text returns the digits as shown.
func (e *Number) Text() string {
	b := make([]byte, len(e.digits))
	for i, d := range e.digits {
		b[i] = '0' + d
	}
	return string(b)
}

func (e *Number) resetTyping() { e.run, e.full = -1, false }

// Handle applies one key.
func (e *Number) Handle(ev keyevent.Event) Outcome {
	e.begin()
	last := len(e.digits) - 1
	if st, ok := arrowDigit(e.digits, &e.cur, ev.Key); ok {
		if st == Edited {
			e.resetTyping()
		}
		return Outcome{Status: st}
	}
	switch ev.Key {
	case keyevent.Clear:
		e.set(0)
		e.cur = 0
		e.resetTyping()
	case keyevent.Char:
		if !isDigit(ev.Rune) {
			return e.refuse("NOT A DIGIT", "USE 0-9")
		}
		if e.full {
			return e.refuse("FIELD FULL", fmt.Sprintf("%d DIGITS MAX", len(e.digits)))
		}
		if e.cur == 0 && e.run < 0 {
			e.run = 0
		}
		e.digits[e.cur] = byte(ev.Rune - '0')
		if e.run >= 0 {
			e.run++
		}
		if e.cur == last {
			e.full = true
		} else {
			e.cur++
		}
	case keyevent.Enter:
		if e.run > 0 && e.run < len(e.digits) {
			typed := append([]byte(nil), e.digits[:e.run]...)
			for i := range e.digits {
				e.digits[i] = 0
			}
			copy(e.digits[len(e.digits)-len(typed):], typed)
			e.cur = last
		}
		e.resetTyping()
		if v := e.get(); v < e.min || v > e.max {
			return e.refuse("OUT OF RANGE", fmt.Sprintf("ALLOWED %d-%d", e.min, e.max))
		}
		e.value = e.get()
		return Outcome{Status: Accepted}
	default:
		return Outcome{Status: Ignored}
	}
	return Outcome{Status: Edited}
}

// Render draws the field.
func (e *Number) Render(g frame.Geometry) frame.Frame {
	return view{
		label:  e.label,
		nav:    frame.Nav{Up: true, Down: true, Left: e.cur > 0, Right: e.cur < len(e.digits)-1, Enter: true},
		value:  e.Text(),
		cursor: e.cur,
		msg:    e.msg,
	}.render(g)
}
