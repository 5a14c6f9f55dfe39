package fieldedit

import (
	"fmt"
	"strings"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// keptMask is what the field shows while the password in force is kept. It
// has a fixed length so that it says nothing about the real one.
const keptMask = "********"

// Password edits the proxy password: at most 16 characters from
// PasswordCharset, spaces included, shown as '*'. The character being
// picked with UP/DOWN is shown in clear until the cursor leaves it;
// nothing else ever is. The password in force is never loaded: the field
// shows a fixed mask while it is kept, and the first editing key starts a
// new, empty password.
//
// A Password formats as "Password(REDACTED)" with the fmt package, so
// that it cannot be logged by accident.
type Password struct {
	msgState
	label  string
	ring   []rune
	index  map[rune]int
	keep   bool   // the password in force is kept
	pw     []rune // the new password
	cur    int    // 0..len(pw)
	reveal bool   // pw[cur] was just picked with UP/DOWN
	value  string
	kept   bool
}

// NewPassword returns the PROXY PASSW editor. hasCurrent says whether a
// password is in force.
func NewPassword(label string, hasCurrent bool) *Password {
	cs := PasswordCharset()
	e := &Password{label: label, ring: cs.Ring(), index: map[rune]int{}, keep: hasCurrent}
	for i, r := range e.ring {
		e.index[r] = i
	}
	return e
}

// Label returns the field's prompt.
func (e *Password) Label() string { return e.label }

// Value returns the result of the last successful ENTER: keep is true when
// the password in force is to stay as it is; otherwise secret is the new
// password, empty meaning no password.
func (e *Password) Value() (secret string, keep bool) { return e.value, e.kept }

// String redacts the editor for fmt.
func (e *Password) String() string { return "Password(REDACTED)" }

// GoString redacts the editor for %#v.
func (e *Password) GoString() string { return e.String() }

// Format redacts the editor for every verb.
func (e *Password) Format(f fmt.State, verb rune) { fmt.Fprint(f, e.String()) }

// startNew drops the kept password on the first editing key.
func (e *Password) startNew() {
	if e.keep {
		e.keep = false
		e.pw, e.cur = nil, 0
	}
}

// Handle applies one key.
func (e *Password) Handle(ev keyevent.Event) Outcome {
	e.begin()
	switch ev.Key {
	case keyevent.Left:
		if e.keep || e.cur == 0 {
			return Outcome{Status: Ignored}
		}
		e.cur--
		e.reveal = false
	case keyevent.Right:
		if e.keep || e.cur >= len(e.pw) {
			return Outcome{Status: Ignored}
		}
		e.cur++
		e.reveal = false
	case keyevent.Clear:
		e.keep, e.pw, e.cur, e.reveal = false, nil, 0, false
	case keyevent.Up, keyevent.Down:
		e.startNew()
		if e.cur == MaxPassword {
			return e.full()
		}
		i := 0 // the position after the end starts from space
		if e.cur < len(e.pw) {
			i = e.index[e.pw[e.cur]]
		}
		n := len(e.ring)
		if ev.Key == keyevent.Up {
			i = (i + 1) % n
		} else {
			i = (i + n - 1) % n
		}
		if e.cur == len(e.pw) {
			e.pw = append(e.pw, e.ring[i])
		} else {
			e.pw[e.cur] = e.ring[i]
		}
		e.reveal = true
	case keyevent.Char:
		if _, ok := e.index[ev.Rune]; !ok {
			return e.refuse("BAD CHARACTER", PasswordCharset().Describe)
		}
		e.startNew()
		if e.cur == MaxPassword {
			return e.full()
		}
		if e.cur == len(e.pw) {
			e.pw = append(e.pw, ev.Rune)
		} else {
			e.pw[e.cur] = ev.Rune
		}
		e.cur++
		e.reveal = false
	case keyevent.Enter:
		e.reveal = false
		e.kept = e.keep
		e.value = ""
		if !e.keep {
			e.value = string(e.pw)
		}
		return Outcome{Status: Accepted}
	default:
		return Outcome{Status: Ignored}
	}
	return Outcome{Status: Edited}
}

func (e *Password) full() Outcome {
	return e.refuse("FIELD FULL", fmt.Sprintf("%d CHARS MAX", MaxPassword))
}

// Render draws the field.
func (e *Password) Render(g frame.Geometry) frame.Frame {
	g = g.Normalize()
	v := view{label: e.label, msg: e.msg}
	if e.keep {
		v.value, v.cursor = keptMask, -1
		v.nav = frame.Nav{Up: true, Down: true, Enter: true}
		return v.render(g)
	}
	cells := []rune(strings.Repeat("*", len(e.pw)) + " ")
	if e.reveal && e.cur < len(e.pw) {
		cells[e.cur] = e.pw[e.cur]
	}
	v.value, v.cursor = window(cells, e.cur, g.Cols)
	v.nav = frame.Nav{Up: e.cur < MaxPassword, Down: e.cur < MaxPassword, Left: e.cur > 0, Right: e.cur < len(e.pw), Enter: true}
	return v.render(g)
}
