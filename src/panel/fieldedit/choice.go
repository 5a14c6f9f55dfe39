package fieldedit

import (
	"fmt"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// Choice cycles through a fixed list with RIGHT (next) and LEFT
// (previous), wrapping at both ends. UP and DOWN are left to the menu,
// which uses them to move between items (LAN PORT LINK, WAN PORT LINK).
type Choice struct {
	msgState
	label   string
	options []string
	cur     int
	value   int
}

// LinkModes are the Ethernet link settings, in the spec's cycle order.
func LinkModes() []string {
	return []string{"AUTO", "1GbaseT/Full", "100baseT/Full", "100baseT/Half", "10baseT/Full", "10baseT/Half"}
}

// NewChoice returns a choice among options starting at the one equal to
// initial, or at the first. It panics on an empty list (a programming
// error).
func NewChoice(label string, options []string, initial string) *Choice {
	if len(options) == 0 {
		panic(fmt.Sprintf("fieldedit: choice %q has no options", label))
	}
	e := &Choice{label: label, options: append([]string(nil), options...)}
	for i, o := range options {
		if o == initial {
			e.cur = i
		}
	}
	e.value = -1
	return e
}

// NewLinkMode returns the LAN or WAN PORT LINK choice.
func NewLinkMode(label, initial string) *Choice { return NewChoice(label, LinkModes(), initial) }

// Label returns the field's prompt.
func (e *Choice) Label() string { return e.label }

// Value returns the option accepted at the last successful ENTER, "" if
// none was.
func (e *Choice) Value() string {
	if e.value < 0 {
		return ""
	}
	return e.options[e.value]
}

// Current returns the option shown.
func (e *Choice) Current() string { return e.options[e.cur] }

// Handle applies one key.
func (e *Choice) Handle(ev keyevent.Event) Outcome {
	e.begin()
	n := len(e.options)
	switch ev.Key {
	case keyevent.Right:
		e.cur = (e.cur + 1) % n
	case keyevent.Left:
		e.cur = (e.cur + n - 1) % n
	case keyevent.Enter:
		e.value = e.cur
		return Outcome{Status: Accepted}
	case keyevent.Char:
		return e.refuse("PICK A VALUE", "WITH LEFT/RIGHT")
	default:
		return Outcome{Status: Ignored}
	}
	return Outcome{Status: Edited}
}

// Render draws the field.
func (e *Choice) Render(g frame.Geometry) frame.Frame {
	return view{
		label:  e.label,
		nav:    frame.Nav{Left: true, Right: true, Enter: true},
		value:  e.options[e.cur],
		cursor: -1,
		msg:    e.msg,
	}.render(g)
}
