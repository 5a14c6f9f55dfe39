package vt100input

import "picket.dev/picket/src/keys"

// Encode is the inverse of the Decoder: the bytes a VT100 terminal sends
// for evs (CSI arrows, CR for ENTER, Ctrl-U for CLEAR, typed ASCII as is).
// Events a terminal cannot send (None, non-ASCII runes) are left out.
// Tests and tools use it to drive a console as a person would.
func Encode(evs []keys.Event) []byte {
	var b []byte
	for _, ev := range evs {
		switch ev.Key {
		case keys.Up:
			b = append(b, "\x1b[A"...)
		case keys.Down:
			b = append(b, "\x1b[B"...)
		case keys.Right:
			b = append(b, "\x1b[C"...)
		case keys.Left:
			b = append(b, "\x1b[D"...)
		case keys.Enter:
			b = append(b, '\r')
		case keys.Clear:
			b = append(b, 0x15)
		case keys.Char:
			if ev.Rune >= 0x20 && ev.Rune < 0x7f {
				b = append(b, byte(ev.Rune))
			}
		}
	}
	return b
}
