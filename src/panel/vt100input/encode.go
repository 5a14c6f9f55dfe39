package vt100input

import "picket.dev/picket/src/panel/keyevent"

// Encode is the inverse of the Decoder: the bytes a VT100 terminal sends
// for evs (CSI arrows, CR for ENTER, Ctrl-U for CLEAR, typed ASCII as is).
// Events a terminal cannot send (None, non-ASCII runes) are left out.
// Tests and tools use it to drive a console as a person would.
func Encode(evs []keyevent.Event) []byte {
	var b []byte
	for _, ev := range evs {
		switch ev.Key {
		case keyevent.Up:
			b = append(b, "\x1b[A"...)
		case keyevent.Down:
			b = append(b, "\x1b[B"...)
		case keyevent.Right:
			b = append(b, "\x1b[C"...)
		case keyevent.Left:
			b = append(b, "\x1b[D"...)
		case keyevent.Enter:
			b = append(b, '\r')
		case keyevent.Clear:
			b = append(b, 0x15)
		case keyevent.Char:
			if ev.Rune >= 0x20 && ev.Rune < 0x7f {
				b = append(b, byte(ev.Rune))
			}
		}
	}
	return b
}
