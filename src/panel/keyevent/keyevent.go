// Package keys defines the key events an operator produces at the front
// panel or on the serial console, and that the menu and its field editors
// consume. It is deliberately tiny and free of I/O so that the LCD key
// reader, the VT100 decoder and the pure-logic menu packages can all share
// one vocabulary without importing one another.
//
// The panel has five keys, UP, DOWN, LEFT, RIGHT and ENTER; LEFT and RIGHT
// pressed together are reported as a sixth key, CLEAR (Ctrl-U on the
// console). The console can also type printable characters, which arrive as
// Char events carrying the rune.
package keyevent

import "fmt"

// Key identifies one input. The zero value, None, is no key at all; it is
// never produced by a driver and every consumer ignores it.
type Key uint8

const (
	None  Key = iota
	Up        // increase a value, move up a menu, back out of REALLY ...?
	Down      // decrease a value, move down a menu
	Left      // move the cursor left, scroll left
	Right     // move the cursor right, scroll right
	Enter     // confirm
	Clear     // LEFT+RIGHT together, or Ctrl-U: empty the field
	Char      // a character typed on the console; Event.Rune holds it
)

// String returns the key's name as the operator documentation spells it.
func (k Key) String() string {
	switch k {
	case None:
		return "NONE"
	case Up:
		return "UP"
	case Down:
		return "DOWN"
	case Left:
		return "LEFT"
	case Right:
		return "RIGHT"
	case Enter:
		return "ENTER"
	case Clear:
		return "CLEAR"
	case Char:
		return "CHAR"
	}
	return fmt.Sprintf("Key(%d)", uint8(k))
}

// Event is one key press. Rune is meaningful only when Key is Char.
type Event struct {
	Key  Key
	Rune rune
}

// Press returns the event for one of the six keys.
func Press(k Key) Event { return Event{Key: k} }

// Type returns the event for a character typed on the console.
func Type(r rune) Event { return Event{Key: Char, Rune: r} }

// Valid reports whether e is something a driver may produce: one of the six
// keys with no rune, or Char with a printable, non-space-control rune.
// Consumers must still cope with invalid events (they ignore them); Valid
// exists so drivers and fuzzers can check what they generate.
func (e Event) Valid() bool {
	switch e.Key {
	case Up, Down, Left, Right, Enter, Clear:
		return e.Rune == 0
	case Char:
		return e.Rune >= ' ' && e.Rune != 0x7f && e.Rune <= 0x10ffff && !(e.Rune >= 0x80 && e.Rune < 0xa0)
	}
	return false
}

// String renders the event for test failures and debugging: the key name,
// or the typed rune quoted.
func (e Event) String() string {
	if e.Key == Char {
		return fmt.Sprintf("%q", e.Rune)
	}
	return e.Key.String()
}
