// Package vt100input turns the bytes an operator's VT100 terminal sends on
// the serial console into front-panel key events (package keyevent), so that
// the console daemon can feed the same menu as the LCD keys.
//
// What it recognises:
//   - the arrow keys in both forms a VT100 sends them: CSI (ESC [ A..D,
//     cursor key mode "reset") and SS3 (ESC O A..D, cursor key mode "set");
//   - ENTER as CR, LF or the pair CR LF (one ENTER, not two), so a terminal
//     sending either line ending, or a pasted file with either, behaves the
//     same;
//   - Ctrl-U as CLEAR, the console's stand-in for LEFT+RIGHT;
//   - printable ASCII (space to '~') as typed characters.
//
// Everything else is dropped without effect: other control bytes, every
// other escape or control sequence (including arrows with parameters, such
// as Ctrl-Up's ESC [ 1 ; 5 A, which is not a panel key), control strings
// (DCS, OSC, PM, APC, SOS), all bytes 0x80-0xff (so any UTF-8, valid or
// not, and 8-bit C1 controls) and line noise. The menu's character sets are
// ASCII, so nothing typed outside ASCII could be accepted anyway.
//
// Line noise is a different matter: random bytes contain valid keys, so a
// console must not feed the line to a Decoder directly but through a Guard
// (guard.go), which holds each burst's keys until the burst ends clean and
// tells noise from a person by what a person's terminal never sends.
//
// The decoder is a small state machine that never buffers input, so a
// sequence split across reads decodes exactly as if it arrived in one read
// and no input, however long, makes it grow. It has no timers: a lone ESC
// cannot be told from the start of a sequence until more bytes or a pause
// arrive, so the caller, which owns the clock and the read deadline, calls
// Flush after a pause when Pending says a sequence is open. A console loop
// looks like this:
//
//	for {
//		if d.Pending() {
//			port.SetReadDeadline(now().Add(50 * time.Millisecond))
//		} else {
//			port.SetReadDeadline(time.Time{})
//		}
//		n, err := port.Read(buf)
//		evs = d.Feed(evs[:0], buf[:n])
//		// apply evs in order ...
//		if errors.Is(err, os.ErrDeadlineExceeded) {
//			d.Flush()
//		} else if err != nil {
//			return err
//		}
//	}
package vt100input

import "picket.dev/picket/src/panel/keyevent"

// Control bytes with a meaning here.
const (
	esc  = 0x1b
	cr   = '\r'
	lf   = '\n'
	nak  = 0x15 // Ctrl-U
	can  = 0x18 // cancels a sequence in progress (ECMA-48)
	sub  = 0x1a // likewise
	bel  = 0x07 // ends an OSC string in xterm practice
	del  = 0x7f
	bs   = 0x08 // Backspace on many terminals
	tab  = 0x09
	csiB = '['
	ss3B = 'O'
)

// state is where the decoder is inside an escape sequence.
type state uint8

const (
	ground     state = iota // between sequences
	escape                  // after ESC
	escInter                // after ESC and intermediate bytes (e.g. ESC ( ), waiting for the final byte
	csiPlain                // after ESC [ with nothing else yet: an arrow is still possible
	csiParam                // inside a CSI that has parameters or intermediates: ignored when it ends
	csiLinuxFn              // after ESC [ [: the Linux console's F1-F5, one more byte to swallow
	ss3Plain                // after ESC O: an arrow is still possible
	ss3Param                // inside an SS3 with parameters (old xterm modifiers): ignored
	ctrlStr                 // inside a control string (DCS, OSC, ...), until ST or BEL
	ctrlStrEs               // inside a control string just after ESC: '\' makes ST
	utf8Seq                 // inside a UTF-8 sequence: not a key, but what a person's terminal sends
)

// Decoder is the decoding state of one console. The zero value is ready to
// use. A Decoder is not safe for concurrent use; the console reads in one
// goroutine.
type Decoder struct {
	st state
	// afterCR is set right after a CR, so that the LF of a CR LF pair is
	// swallowed instead of giving a second ENTER.
	afterCR bool
	// utf8Need is how many continuation bytes the open UTF-8 sequence
	// still needs, utf8Lo and utf8Hi the range of the next one, utf8Got
	// how many bytes it has so far.
	utf8Need, utf8Got uint8
	utf8Lo, utf8Hi    byte
	// junk counts the bytes so far that no terminal sends for a key a
	// person pressed (see Junk).
	junk int
}

// New returns a decoder in its initial state.
func New() *Decoder { return &Decoder{} }

// Feed decodes p and appends the resulting events to dst, in input order,
// returning the extended slice. It never produces more events than len(p),
// never produces an event that is not keyevent.Event.Valid, and carries any
// unfinished sequence over to the next call.
func (d *Decoder) Feed(dst []keyevent.Event, p []byte) []keyevent.Event {
	for _, b := range p {
		dst = d.step(dst, b)
	}
	return dst
}

// Pending reports whether an escape sequence or control string is open.
// The caller should then arrange to call Flush if no byte arrives within a
// short pause (a person cannot type an arrow key's bytes apart; at 9600
// baud they arrive about 1 ms apart).
func (d *Decoder) Pending() bool { return d.st != ground }

// Flush ends whatever is open after a pause: an unfinished escape sequence
// (typically a lone ESC) is dropped, and a CR seen just before no longer
// pairs with a following LF. It reports whether a sequence was dropped.
func (d *Decoder) Flush() (dropped bool) {
	dropped = d.st != ground
	if d.st == utf8Seq {
		d.junk += int(d.utf8Got) // a UTF-8 sequence cut short
	}
	d.st = ground
	d.afterCR = false
	return dropped
}

// Reset returns the decoder to its initial state, for a new session on a
// reopened device. The junk count is kept.
func (d *Decoder) Reset() { *d = Decoder{junk: d.junk} }

// Junk is how many of the bytes fed so far no terminal sends when a person
// presses a key: C0 controls other than CR, LF, ESC, BS, TAB and Ctrl-U;
// bytes from 0x80 up that are not well-formed UTF-8; 8-bit bytes and
// controls inside a control string; and each escape sequence broken off by
// a byte that cannot continue it. Printable ASCII, DEL, BS, TAB, complete
// escape sequences (function keys, Alt+key), a lone ESC and well-formed
// UTF-8 are what a person's terminal sends, even where they are no panel
// key, and are not junk. Line noise is mostly junk (random bytes about 60
// per cent); a person's typing almost never. Guard uses it to tell them
// apart.
func (d *Decoder) Junk() int { return d.junk }

// step consumes one byte.
func (d *Decoder) step(dst []keyevent.Event, b byte) []keyevent.Event {
	afterCR := d.afterCR
	d.afterCR = false
	switch d.st {
	case ground:
		return d.ground(dst, b, afterCR)

	case escape:
		switch {
		case b == csiB:
			d.st = csiPlain
		case b == ss3B:
			d.st = ss3Plain
		case b == 'P' || b == ']' || b == 'X' || b == '^' || b == '_':
			// DCS, OSC, SOS, PM, APC: a string follows that must not be
			// taken as typed characters.
			d.st = ctrlStr
		case b >= 0x20 && b <= 0x2f:
			d.st = escInter
		case b >= 0x30 && b <= 0x7e:
			// A complete two-byte sequence (ESC c, ESC 7, or Alt+key from
			// a terminal that sends Meta as ESC): not a panel key.
			d.st = ground
		default:
			return d.abort(dst, b, afterCR)
		}

	case escInter:
		switch {
		case b >= 0x20 && b <= 0x2f:
		case b >= 0x30 && b <= 0x7e:
			d.st = ground
		default:
			return d.abort(dst, b, afterCR)
		}

	case csiPlain, csiParam:
		switch {
		case d.st == csiPlain && b == '[':
			d.st = csiLinuxFn
		case b >= 0x20 && b <= 0x3f:
			// Parameter (0x30-0x3f) or intermediate (0x20-0x2f) byte.
			d.st = csiParam
		case b >= 0x40 && b <= 0x7e:
			plain := d.st == csiPlain
			d.st = ground
			if plain {
				return appendArrow(dst, b)
			}
		default:
			return d.abort(dst, b, afterCR)
		}

	case ss3Plain, ss3Param:
		switch {
		case b >= 0x20 && b <= 0x3f:
			d.st = ss3Param
		case b >= 0x40 && b <= 0x7e:
			plain := d.st == ss3Plain
			d.st = ground
			if plain {
				return appendArrow(dst, b)
			}
		default:
			return d.abort(dst, b, afterCR)
		}

	case csiLinuxFn:
		if b >= 0x40 && b <= 0x7e {
			d.st = ground
		} else {
			return d.abort(dst, b, afterCR)
		}

	case ctrlStr:
		switch {
		case b == esc:
			d.st = ctrlStrEs
		case b == bel || b == can || b == sub:
			d.st = ground
		case b < 0x20 || b >= 0x80:
			// A terminal's reports are printable; 8-bit bytes and other
			// controls inside a string are noise.
			d.junk++
		}

	case utf8Seq:
		if b < d.utf8Lo || b > d.utf8Hi {
			// Broken off: the bytes so far are junk, and b is decoded
			// afresh (an ENTER right after stays an ENTER).
			d.junk += int(d.utf8Got)
			d.st = ground
			return d.ground(dst, b, afterCR)
		}
		d.utf8Got++
		d.utf8Lo, d.utf8Hi = 0x80, 0xbf
		if d.utf8Need--; d.utf8Need == 0 {
			d.st = ground
		}

	case ctrlStrEs:
		if b == '\\' {
			d.st = ground // ST ends the string
			return dst
		}
		// ESC followed by anything else ends the string and is itself
		// the start of a new sequence, as in xterm.
		d.st = escape
		return d.step(dst, b)
	}
	return dst
}

// abort ends a broken sequence at byte b, which cannot continue it. CAN and
// SUB are consumed (that is their job); ESC starts a new sequence; any other
// byte is decoded afresh, so that a CR or Ctrl-U the operator pressed after
// line noise still counts.
func (d *Decoder) abort(dst []keyevent.Event, b byte, afterCR bool) []keyevent.Event {
	d.st = ground
	d.junk++ // the broken sequence
	if b == can || b == sub {
		return dst
	}
	return d.ground(dst, b, afterCR)
}

// ground decodes b outside any sequence.
func (d *Decoder) ground(dst []keyevent.Event, b byte, afterCR bool) []keyevent.Event {
	switch {
	case b == esc:
		d.st = escape
	case b == cr:
		d.afterCR = true
		dst = append(dst, keyevent.Press(keyevent.Enter))
	case b == lf:
		if !afterCR {
			dst = append(dst, keyevent.Press(keyevent.Enter))
		}
	case b == nak:
		dst = append(dst, keyevent.Press(keyevent.Clear))
	case b >= 0x20 && b < del:
		dst = append(dst, keyevent.Type(rune(b)))
	case b == del || b == bs || b == tab:
		// Backspace, Delete and Tab: keys a person may press, no panel
		// key.
	case b >= 0x80:
		d.utf8Start(b)
	default:
		d.junk++
	}
	// Other C0 controls, DEL and every byte from 0x80 up are dropped.
	return dst
}

// utf8Start opens a UTF-8 sequence at lead byte b, or counts b as junk if
// it cannot start one. The ranges are those of RFC 3629 (no overlong
// forms, no surrogates, nothing above U+10FFFF).
func (d *Decoder) utf8Start(b byte) {
	lo, hi := byte(0x80), byte(0xbf)
	var need uint8
	switch {
	case b >= 0xc2 && b <= 0xdf:
		need = 1
	case b == 0xe0:
		need, lo = 2, 0xa0
	case b == 0xed:
		need, hi = 2, 0x9f
	case b >= 0xe1 && b <= 0xef:
		need = 2
	case b == 0xf0:
		need, lo = 3, 0x90
	case b == 0xf4:
		need, hi = 3, 0x8f
	case b >= 0xf1 && b <= 0xf3:
		need = 3
	default:
		d.junk++
		return
	}
	d.st, d.utf8Need, d.utf8Got, d.utf8Lo, d.utf8Hi = utf8Seq, need, 1, lo, hi
}

// appendArrow appends the arrow key for the final byte of a plain CSI or
// SS3 sequence; other final bytes (function keys, Home, End...) give
// nothing.
func appendArrow(dst []keyevent.Event, final byte) []keyevent.Event {
	switch final {
	case 'A':
		return append(dst, keyevent.Press(keyevent.Up))
	case 'B':
		return append(dst, keyevent.Press(keyevent.Down))
	case 'C':
		return append(dst, keyevent.Press(keyevent.Right))
	case 'D':
		return append(dst, keyevent.Press(keyevent.Left))
	}
	return dst
}
