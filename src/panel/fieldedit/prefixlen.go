package fieldedit

import (
	"fmt"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// IPv6 prefix length bounds and default, from the spec.
const (
	MinPrefixLen     = 1
	MaxPrefixLen     = 128
	DefaultPrefixLen = 64
)

// PrefixLen picks an IPv6 prefix length 1-128 with UP/DOWN (wrapping, like
// the netmask ring). On the console digits may be typed: each typed digit
// is appended to the number being typed, the first one replacing the value
// shown. A read-only PrefixLen (Auto PREFLEN) only accepts ENTER.
type PrefixLen struct {
	msgState
	label    string
	readOnly bool
	bits     int
	typing   bool
	value    int
}

// NewPrefixLen returns an editor at initial, or at 64 when initial is out
// of range.
func NewPrefixLen(label string, initial int, readOnly bool) *PrefixLen {
	if initial < MinPrefixLen || initial > MaxPrefixLen {
		initial = DefaultPrefixLen
	}
	return &PrefixLen{label: label, readOnly: readOnly, bits: initial}
}

// Label returns the field's prompt.
func (e *PrefixLen) Label() string { return e.label }

// Value returns the prefix length accepted at the last successful ENTER.
func (e *PrefixLen) Value() int { return e.value }

// Handle applies one key.
func (e *PrefixLen) Handle(ev keyevent.Event) Outcome {
	e.begin()
	if e.readOnly {
		switch ev.Key {
		case keyevent.Enter:
			e.value = e.bits
			return Outcome{Status: Accepted}
		case keyevent.Up, keyevent.Down, keyevent.Clear, keyevent.Char:
			return e.refuse("READ ONLY", "PRESS ENTER")
		}
		return Outcome{Status: Ignored}
	}
	switch ev.Key {
	case keyevent.Up:
		e.bits = e.bits%MaxPrefixLen + 1
		e.typing = false
	case keyevent.Down:
		e.bits--
		if e.bits < MinPrefixLen {
			e.bits = MaxPrefixLen
		}
		e.typing = false
	case keyevent.Clear:
		e.bits, e.typing = DefaultPrefixLen, false
	case keyevent.Char:
		if !isDigit(ev.Rune) {
			return e.refuse("NOT A DIGIT", "USE 0-9")
		}
		d := int(ev.Rune - '0')
		v := d
		if e.typing {
			v = e.bits*10 + d
		}
		if v > MaxPrefixLen {
			return e.refuse("OUT OF RANGE", fmt.Sprintf("ALLOWED %d-%d", MinPrefixLen, MaxPrefixLen))
		}
		e.bits, e.typing = v, true
	case keyevent.Enter:
		e.typing = false
		if e.bits < MinPrefixLen {
			return e.refuse("OUT OF RANGE", fmt.Sprintf("ALLOWED %d-%d", MinPrefixLen, MaxPrefixLen))
		}
		e.value = e.bits
		return Outcome{Status: Accepted}
	default:
		return Outcome{Status: Ignored}
	}
	return Outcome{Status: Edited}
}

// Render draws the field.
func (e *PrefixLen) Render(g frame.Geometry) frame.Frame {
	return view{
		label:  e.label,
		nav:    frame.Nav{Up: !e.readOnly, Down: !e.readOnly, Enter: true},
		value:  fmt.Sprintf("/%d", e.bits),
		cursor: -1,
		msg:    e.msg,
	}.render(g)
}
