package fieldedit

import (
	"fmt"
	"strings"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// Charset is the set of characters a text field allows. Its ring, the
// order UP walks (DOWN walks it backwards), is the spec's: space, a-z,
// 0-9, '_', the field's specials in their listed order, A-Z, then back to
// space. Only allowed characters appear in it.
type Charset struct {
	Lower      bool   // a-z
	Digits     bool   // 0-9
	Underscore bool   // _
	Specials   string // in ring order; must not repeat the classes above
	Upper      bool   // A-Z
	// Hex limits Lower to a-f (IPv6 addresses).
	Hex bool
	// Describe is the message line listing the set (at most 16 chars).
	Describe string
}

// Ring returns the characters of c in UP order, starting with space.
func (c Charset) Ring() []rune {
	r := []rune{' '}
	if c.Lower {
		last := 'z'
		if c.Hex {
			last = 'f'
		}
		for ch := 'a'; ch <= last; ch++ {
			r = append(r, ch)
		}
	}
	if c.Digits {
		for ch := '0'; ch <= '9'; ch++ {
			r = append(r, ch)
		}
	}
	if c.Underscore {
		r = append(r, '_')
	}
	r = append(r, []rune(c.Specials)...)
	if c.Upper {
		for ch := 'A'; ch <= 'Z'; ch++ {
			r = append(r, ch)
		}
	}
	return r
}

// Case folding applied to typed characters before they are checked.
type Fold uint8

const (
	NoFold Fold = iota
	FoldUpper
	FoldLower
)

// TextSpec describes a text field.
type TextSpec struct {
	Label   string
	Max     int // maximum length, in characters
	Charset Charset
	Fold    Fold
	// InsertDelete makes DOWN open the Delete prev? / Insert char? /
	// Done editing? sub-prompts (PROXY HOST, DOMAIN NAME); UP alone walks
	// the character ring there. ENTER always accepts the field.
	InsertDelete bool
	// ReadOnly fields only scroll (LEFT/RIGHT) and accept ENTER.
	ReadOnly bool
	// Validate checks the entry, already stripped of leading and trailing
	// spaces and free of embedded ones, and returns the value to yield
	// (it may normalise it) or a message.
	Validate func(s string) (string, *Message)
}

// sub-prompts of an InsertDelete field.
const (
	subNone = iota
	subDone
	subInsert
	subDelete
)

// Text edits a line of text of up to Max characters, one position at a
// time, with the field's character ring.
type Text struct {
	msgState
	spec  TextSpec
	ring  []rune
	index map[rune]int
	buf   []rune // Max positions; unused ones are spaces
	cur   int    // 0..Max
	sub   int
	value string
}

// NewText returns a text editor pre-filled with initial (characters beyond
// Max are dropped; characters outside the set are kept so the operator sees
// them, and are refused at ENTER).
func NewText(spec TextSpec, initial string) *Text {
	if spec.Max < 1 {
		panic(fmt.Sprintf("fieldedit: text field %q has max %d", spec.Label, spec.Max))
	}
	e := &Text{spec: spec, ring: spec.Charset.Ring(), index: map[rune]int{}, buf: make([]rune, spec.Max)}
	for i, r := range e.ring {
		e.index[r] = i
	}
	for i := range e.buf {
		e.buf[i] = ' '
	}
	for i, r := range []rune(initial) {
		if i >= spec.Max {
			break
		}
		if r < ' ' || r > '~' {
			r = '?'
		}
		e.buf[i] = r
	}
	return e
}

// Label returns the field's prompt.
func (e *Text) Label() string { return e.spec.Label }

// Value returns the value accepted at the last successful ENTER.
func (e *Text) Value() string { return e.value }

// Text returns all positions as entered, spaces included.
func (e *Text) Text() string { return string(e.buf) }

// end is the position after the last non-space character.
func (e *Text) end() int {
	for i := len(e.buf) - 1; i >= 0; i-- {
		if e.buf[i] != ' ' {
			return i + 1
		}
	}
	return 0
}

// rightLimit is as far right as the cursor may go.
func (e *Text) rightLimit() int {
	if e.spec.ReadOnly {
		// Scroll so the last character reaches the right edge of the
		// smallest display, and no further.
		if l := e.end() - frame.MinCols; l > 0 {
			return l
		}
		return 0
	}
	return min(e.spec.Max, e.end())
}

func (e *Text) allowed(r rune) bool {
	_, ok := e.index[r]
	return ok
}

func (e *Text) full() Outcome {
	return e.refuse("FIELD FULL", fmt.Sprintf("%d CHARS MAX", e.spec.Max))
}

// Handle applies one key.
func (e *Text) Handle(ev keyevent.Event) Outcome {
	e.begin()
	if e.sub != subNone {
		return e.handleSub(ev)
	}
	switch ev.Key {
	case keyevent.Left:
		if e.cur == 0 {
			return Outcome{Status: Ignored}
		}
		e.cur--
		return Outcome{Status: Edited}
	case keyevent.Right:
		if e.cur >= e.rightLimit() {
			return Outcome{Status: Ignored}
		}
		e.cur++
		return Outcome{Status: Edited}
	case keyevent.Enter:
		return e.accept()
	case keyevent.Down:
		if e.spec.InsertDelete {
			// The guide: "press the Down arrow to activate insert/delete
			// mode. Press the Down arrow again to navigate through the
			// menu options."
			e.sub = e.subItems()[0]
			return Outcome{Status: Edited}
		}
	}
	switch ev.Key {
	case keyevent.Up, keyevent.Down, keyevent.Clear, keyevent.Char:
		if e.spec.ReadOnly {
			return e.refuse("READ ONLY", "LEFT/RIGHT,ENTER")
		}
	default:
		return Outcome{Status: Ignored}
	}
	switch ev.Key {
	case keyevent.Clear:
		for i := range e.buf {
			e.buf[i] = ' '
		}
		e.cur = 0
		return Outcome{Status: Edited}
	case keyevent.Up, keyevent.Down:
		if e.cur == e.spec.Max {
			return e.full()
		}
		i, ok := e.index[e.buf[e.cur]]
		if !ok {
			i = 0 // a pre-filled character outside the ring: start from space
		}
		n := len(e.ring)
		if ev.Key == keyevent.Up {
			i = (i + 1) % n
		} else {
			i = (i + n - 1) % n
		}
		e.buf[e.cur] = e.ring[i]
		return Outcome{Status: Edited}
	}
	// A typed character.
	r := ev.Rune
	switch e.spec.Fold {
	case FoldUpper:
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
	case FoldLower:
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
	}
	if !e.allowed(r) {
		return e.refuse("BAD CHARACTER", e.spec.Charset.Describe)
	}
	if e.cur == e.spec.Max {
		return e.full()
	}
	e.buf[e.cur] = r
	e.cur++
	return Outcome{Status: Edited}
}

// subItems are the insert/delete sub-prompts in the guide's order;
// Delete prev? "does not appear for the first character in the field".
func (e *Text) subItems() []int {
	if e.cur > 0 {
		return []int{subDelete, subInsert, subDone}
	}
	return []int{subInsert, subDone}
}

func (e *Text) handleSub(ev keyevent.Event) Outcome {
	switch ev.Key {
	case keyevent.Up:
		e.sub = subNone
		return Outcome{Status: Edited}
	case keyevent.Down:
		items := e.subItems()
		for i, it := range items {
			if it == e.sub {
				e.sub = items[(i+1)%len(items)]
				break
			}
		}
		return Outcome{Status: Edited}
	case keyevent.Enter:
		sub := e.sub
		e.sub = subNone
		switch sub {
		case subDone:
			return e.accept()
		case subInsert:
			if e.cur == e.spec.Max || e.buf[e.spec.Max-1] != ' ' {
				return e.full()
			}
			copy(e.buf[e.cur+1:], e.buf[e.cur:e.spec.Max-1])
			e.buf[e.cur] = ' '
		case subDelete:
			copy(e.buf[e.cur-1:], e.buf[e.cur:])
			e.buf[e.spec.Max-1] = ' '
			e.cur--
		}
		return Outcome{Status: Edited}
	}
	return Outcome{Status: Ignored}
}

func (e *Text) accept() Outcome {
	s := strings.Trim(string(e.buf), " ")
	if strings.Contains(s, " ") {
		return e.refuse("SPACE INSIDE", "NOT ALLOWED")
	}
	for _, r := range s {
		if !e.allowed(r) {
			return e.refuse("BAD CHARACTER", e.spec.Charset.Describe)
		}
	}
	v := s
	if e.spec.Validate != nil {
		var m *Message
		if v, m = e.spec.Validate(s); m != nil {
			e.msg = m
			return Outcome{Status: Refused, Msg: m}
		}
	}
	e.value = v
	return Outcome{Status: Accepted}
}

// Render draws the field.
func (e *Text) Render(g frame.Geometry) frame.Frame {
	g = g.Normalize()
	cells := append(append([]rune(nil), e.buf...), ' ') // plus the end position
	v := view{label: e.spec.Label, msg: e.msg}
	if e.spec.ReadOnly {
		// No cursor: the view starts at cur, but never scrolls past the
		// point where the last character is at the right edge.
		off := min(e.cur, max(0, e.end()-g.Cols))
		v.value = string(cells[off:min(len(cells), off+g.Cols)])
		v.cursor = -1
		v.nav = frame.Nav{Left: e.cur > 0, Right: e.cur < e.rightLimit(), Enter: true}
		return v.render(g)
	}
	v.value, v.cursor = window(cells, e.cur, g.Cols)
	switch e.sub {
	case subDone:
		v.label = "Done editing?"
	case subInsert:
		v.label = "Insert char?"
	case subDelete:
		v.label = "Delete prev?"
	}
	if e.sub != subNone {
		v.nav = frame.Nav{Up: true, Down: true, Enter: true}
	} else {
		v.nav = frame.Nav{Up: e.cur < e.spec.Max, Down: e.cur < e.spec.Max, Left: e.cur > 0, Right: e.cur < e.rightLimit(), Enter: true}
	}
	return v.render(g)
}
