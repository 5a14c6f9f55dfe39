// Package fieldedit holds the field editors of the front-panel menu: one
// small state machine per kind of field in the spec front-panel.md (IPv4
// address, netmask, IPv6 address, prefix length, fixed-width number, text
// with a character ring, masked password, and the cycling choice used for
// Ethernet link modes). Each editor takes key events, renders itself into
// a frame of the display's geometry and, on ENTER, either yields a typed
// value or refuses with a message that names the problem and what is
// allowed. Editors do no I/O and hold no global state, so the menu engine
// can drive them from the LCD and from the console alike, and tests and
// fuzzers can drive them directly.
//
// # Screen layout
//
// The top row holds the field's label and, in its rightmost cells, the
// navigation indicators for the keys that do something right now (see
// frame.Nav). The second row holds the value, with the cursor on the
// character being edited. Any further rows are blank, except that a
// message is shown on rows 3 and 4 of a display that has them; on a 2- or
// 3-row display it takes the place of the label and value.
//
// # Behaviour the spec leaves open, as decided here
//
//   - Messages. A refused key or ENTER leaves the entry as it was and shows
//     a two-line message until the next key. That next key is applied as
//     usual, never swallowed, so a key sequence does the same on every
//     display and a burst pasted on the console stays in order. The first
//     message line is at most 13 characters (the indicators need 3 cells
//     of the top row), the second at most 16.
//   - Cursors stop at the ends of a field; they do not wrap. Digits and
//     rings wrap (9 UP gives 0; the netmask and prefix rings wrap as the
//     spec says).
//   - CLEAR returns any field to its empty or default state: spaces in
//     text, zeros in addresses and numbers, /24 for a netmask, 64 for a
//     prefix length, no password. The cursor goes to the first position.
//   - Typed characters (console only) overwrite the character under the
//     cursor and move it right. Letters are folded to upper case in fields
//     that allow only upper case (DOMAIN NAME, PROXY HOST) and to lower
//     case in IPv6 fields, because host names and hex digits are case
//     insensitive. Anything else outside the field's set is refused with a
//     message listing the set.
//   - Digits typed into an IPv4 address or a number: a run of fewer digits
//     than the width, typed from the start of an octet (or of the number)
//     and ended by '.' or ENTER, is right-aligned with leading zeros, so
//     "10.1.2.3" pasted on the console gives 010.001.002.003. A '.' right
//     after a complete octet is absorbed; elsewhere it jumps to the next
//     octet. A digit typed after the last position is refused: pasted
//     input is never silently cut.
//   - Text fields are a row of positions up to the field's maximum length.
//     RIGHT stops one past the last character, so the cursor cannot wander
//     into empty positions. At ENTER leading and trailing spaces are
//     removed (this is how "putting a space on a character removes it");
//     a space left between characters is refused, except in the password.
//     The spaces stay on screen until the field is shown again.
//   - The text window is as wide as the display (16 columns on the 16x2
//     panel the spec describes) and scrolls so the cursor stays in view.
//   - PROXY PORT is five digits (00443 by default): the spec's range
//     1-65535 does not fit in four.
//   - Insert/delete (PROXY HOST and DOMAIN NAME, the spec's "WINS DOMAIN"):
//     ENTER must always finish a field (the guide's "to skip these settings,
//     press ENTER three times" runs through DOMAIN NAME), so the guide's own
//     key opens the sub-prompts: "press the Down arrow to activate
//     insert/delete mode. Press the Down arrow again to navigate". DOWN
//     walks "Delete prev?" (ENTER deletes the character before the cursor;
//     not offered at the first position), "Insert char?" (ENTER inserts a
//     space at the cursor, then UP picks the character) and "Done editing?"
//     (ENTER accepts the field), round again; UP returns to editing. In
//     these two fields UP alone walks the character ring. No procedure of
//     the guide presses DOWN in a text field, so none steps into them.
//     Typing on the console overwrites in these fields too. The spec's
//     "WINS DOMAIN" is taken to be DOMAIN NAME, the field after LAN
//     WINS1/WINS2 and the only domain field of the menu.
//   - The password in force is never loaded into the editor. The field
//     shows "********" (whatever the real length) while it is kept; ENTER
//     keeps it, and the first editing key starts a new, empty password.
//     The character being picked with UP/DOWN is shown until the cursor
//     leaves it, because an LCD operator cannot pick blind; every other
//     character, and every typed one, is shown as '*'. Spaces are real
//     password characters.
//   - Read-only fields (Auto v6 ADDR, Auto PREFLEN) accept ENTER and, for
//     an address, LEFT/RIGHT to scroll; other keys are refused. Scrolling
//     is bounded for the 16-column display, so on a wider display the last
//     RIGHT presses may not move the view.
//
// # Checks at ENTER beyond the spec's wording
//
//   - IPv4: a host address cannot be in 0/8, 127/8, 224/4 or 240/4; an
//     optional field (DNS2, WINS) takes 000.000.000.000 as "none"; a
//     gateway must be a host of the subnet of the address and netmask
//     entered before it, and not the box's own address. The netmask
//     refuses a mask that makes the address entered before it the network
//     or broadcast address.
//   - IPv6: not ::, ::1, multicast or IPv4-mapped; the box's own static
//     address must not be link-local (a gateway may be).
//   - PROXY HOST: an IPv4 address (leading zeros accepted, yielded without)
//     only in IPv4+v6 mode, an IPv6 address only in IPv6-only mode, else a
//     host name of labels of 1-63 characters with no hyphen at either end.
//   - DOMAIN NAME: no empty label. PROXY USER: at most one '\', with a
//     domain before it and a user after it.
package fieldedit

import (
	"strings"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// Status says what a key did.
type Status uint8

const (
	// Ignored: the key means nothing here and nothing changed. A menu may
	// give it another meaning (UP/DOWN on a link-mode choice move between
	// menu items).
	Ignored Status = iota
	// Edited: the value, the cursor or a sub-prompt changed.
	Edited
	// Refused: the key was refused; Outcome.Msg says why and what is
	// allowed. The entry is unchanged and stays for correction.
	Refused
	// Accepted: ENTER with a valid value; the editor's Value method
	// returns it.
	Accepted
)

func (s Status) String() string {
	switch s {
	case Ignored:
		return "ignored"
	case Edited:
		return "edited"
	case Refused:
		return "refused"
	case Accepted:
		return "accepted"
	}
	return "status?"
}

// Message is what the screen shows when a key or a value is refused. Line1
// is at most 13 characters and Line2 at most 16, so that the message fits
// a 16x2 display beside the navigation indicators.
type Message struct {
	Line1, Line2 string
}

// Maximum message line lengths.
const (
	MaxMessageLine1 = 13
	MaxMessageLine2 = 16
)

// Error makes a Message usable as an error, for the menu's change request
// validation and for logs.
func (m *Message) Error() string { return m.Line1 + ": " + m.Line2 }

// Outcome is the result of one key.
type Outcome struct {
	Status Status
	Msg    *Message // set exactly when Status is Refused
}

// Editor is what every field editor does. The typed value of an accepted
// field comes from the concrete type's Value method.
type Editor interface {
	// Label is the field's prompt, as the spec spells it.
	Label() string
	// Handle applies one key.
	Handle(ev keyevent.Event) Outcome
	// Render draws the field into a frame of geometry g.
	Render(g frame.Geometry) frame.Frame
}

// msgState is embedded by every editor: the message on screen, if any.
type msgState struct {
	msg *Message
}

// begin clears the message shown for the previous key.
func (m *msgState) begin() { m.msg = nil }

func (m *msgState) refuse(line1, line2 string) Outcome {
	m.msg = &Message{Line1: line1, Line2: line2}
	return Outcome{Status: Refused, Msg: m.msg}
}

// view is what an editor wants on screen; render lays it out.
type view struct {
	label  string
	nav    frame.Nav
	value  string // the value row; clipped to the width
	cursor int    // column of the cursor on the value row; -1 hides it
	msg    *Message
}

func (v view) render(g frame.Geometry) frame.Frame {
	f := frame.Blank(g)
	g = f.Geometry()
	if v.msg != nil && g.Rows < 4 {
		f.SetLine(0, v.msg.Line1)
		f.SetLine(1, v.msg.Line2)
		f.SetNav(v.nav)
		return f
	}
	f.SetLine(0, clip(v.label, g.Cols-v.nav.Width()))
	f.SetNav(v.nav)
	f.SetLine(1, v.value)
	if v.cursor >= 0 {
		f.SetCursor(1, v.cursor)
	}
	if v.msg != nil {
		f.SetLine(2, v.msg.Line1)
		f.SetLine(3, v.msg.Line2)
	}
	return f
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// window returns the part of cells that a display of width w shows with
// the cursor at position cur (which may be len(cells), the position after
// the last one), and the cursor's column in it. The view scrolls left only
// as far as needed to keep the cursor in the rightmost column, which is
// what "scrolls left as the entry grows" means for a typist.
func window(cells []rune, cur, w int) (string, int) {
	off := 0
	if cur > w-1 {
		off = cur - (w - 1)
	}
	end := off + w
	if end > len(cells) {
		end = len(cells)
	}
	var b strings.Builder
	if off < end {
		b.WriteString(string(cells[off:end]))
	}
	return b.String(), cur - off
}

// isDigit reports whether r is an ASCII digit.
func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// arrowDigit applies an arrow key to a row of digits with a cursor, the
// way every digit field (IPv4, numbers) moves: LEFT and RIGHT move the
// cursor and are Ignored at either end, UP and DOWN turn the digit under
// it through 0-9. ok is false for any other key.
func arrowDigit(digits []byte, cur *int, k keyevent.Key) (st Status, ok bool) {
	switch k {
	case keyevent.Left:
		if *cur == 0 {
			return Ignored, true
		}
		*cur--
	case keyevent.Right:
		if *cur == len(digits)-1 {
			return Ignored, true
		}
		*cur++
	case keyevent.Up:
		digits[*cur] = (digits[*cur] + 1) % 10
	case keyevent.Down:
		digits[*cur] = (digits[*cur] + 9) % 10
	default:
		return 0, false
	}
	return Edited, true
}
