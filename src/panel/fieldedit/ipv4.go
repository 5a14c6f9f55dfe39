package fieldedit

import (
	"fmt"
	"net/netip"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// IPv4Options are the checks an IPv4 field makes at ENTER beyond "every
// octet 0-255, a host address".
type IPv4Options struct {
	// Optional fields (DNS2, WINS1, WINS2) accept 000.000.000.000, which
	// means "none": Value then returns the zero netip.Addr.
	Optional bool
	// Subnet, when valid, is the subnet the address must be a host of (a
	// gateway in the subnet of the address and netmask just entered): not
	// outside it, not its network or broadcast address.
	Subnet netip.Prefix
	// Self, when valid, is an address the value must differ from (the
	// box's own address, for a gateway).
	Self netip.Addr
}

// IPv4 edits an address shown as nnn.nnn.nnn.nnn with leading zeros:
// LEFT/RIGHT move the cursor over the twelve digits (skipping the dots),
// UP/DOWN change the digit under it.
type IPv4 struct {
	msgState
	label  string
	opt    IPv4Options
	digits [12]byte
	cur    int // 0..11, index into digits
	// Console typing state: run is how many digits were typed into the
	// current octet from its first digit (-1 when typing did not start
	// there); dotAbsorb is set right after typing completed an octet, so
	// that the '.' a typist then types is absorbed; full is set when a
	// digit was typed into the very last position.
	run       int
	dotAbsorb bool
	full      bool
	value     netip.Addr
}

// NewIPv4 returns an editor pre-filled with initial (the value in force);
// an invalid or non-IPv4 initial gives 000.000.000.000.
func NewIPv4(label string, initial netip.Addr, opt IPv4Options) *IPv4 {
	e := &IPv4{label: label, opt: opt, run: -1}
	initial = initial.Unmap()
	if initial.Is4() {
		for i, o := range initial.As4() {
			e.digits[3*i] = o / 100
			e.digits[3*i+1] = o / 10 % 10
			e.digits[3*i+2] = o % 10
		}
	}
	return e
}

// Label returns the field's prompt.
func (e *IPv4) Label() string { return e.label }

// Value returns the address accepted at the last successful ENTER; the
// zero Addr for an optional field left at 000.000.000.000.
func (e *IPv4) Value() netip.Addr { return e.value }

func (e *IPv4) resetTyping() { e.run, e.dotAbsorb, e.full = -1, false, false }

func (e *IPv4) octet(i int) int {
	return int(e.digits[3*i])*100 + int(e.digits[3*i+1])*10 + int(e.digits[3*i+2])
}

// alignRun right-aligns the digits typed so far into the current octet.
func (e *IPv4) alignRun() {
	if e.run <= 0 || e.run >= 3 {
		return
	}
	o := e.cur / 3 * 3
	var typed [3]byte
	copy(typed[:], e.digits[o:o+e.run])
	for i := 0; i < 3; i++ {
		e.digits[o+i] = 0
	}
	copy(e.digits[o+3-e.run:o+3], typed[:e.run])
	e.cur = o + 2
}

// Handle applies one key.
func (e *IPv4) Handle(ev keyevent.Event) Outcome {
	e.begin()
	if st, ok := arrowDigit(e.digits[:], &e.cur, ev.Key); ok {
		if st == Edited {
			e.resetTyping()
		}
		return Outcome{Status: st}
	}
	switch ev.Key {
	case keyevent.Clear:
		e.digits = [12]byte{}
		e.cur = 0
		e.resetTyping()
	case keyevent.Char:
		return e.typed(ev.Rune)
	case keyevent.Enter:
		return e.enter()
	default:
		return Outcome{Status: Ignored}
	}
	return Outcome{Status: Edited}
}

func (e *IPv4) typed(r rune) Outcome {
	switch {
	case isDigit(r):
		if e.full {
			return e.refuse("ADDRESS FULL", "12 DIGITS MAX")
		}
		if e.cur%3 == 0 && e.run <= 0 {
			e.run = 0
		}
		e.digits[e.cur] = byte(r - '0')
		if e.run >= 0 {
			e.run++
		}
		e.dotAbsorb = false
		switch {
		case e.cur == 11:
			e.full = true
		case e.cur%3 == 2:
			e.cur++
			e.run, e.dotAbsorb = 0, true
		default:
			e.cur++
		}
		return Outcome{Status: Edited}
	case r == '.':
		if e.dotAbsorb {
			e.dotAbsorb = false
			return Outcome{Status: Ignored}
		}
		if e.cur/3 == 3 {
			return e.refuse("NO MORE DOTS", "FORMAT N.N.N.N")
		}
		e.alignRun()
		e.cur = (e.cur/3 + 1) * 3
		e.run, e.full = 0, false
		return Outcome{Status: Edited}
	}
	return e.refuse("NOT A DIGIT", "USE 0-9 AND .")
}

func (e *IPv4) enter() Outcome {
	e.alignRun()
	e.resetTyping()
	var b [4]byte
	for i := range b {
		o := e.octet(i)
		if o > 255 {
			return e.refuse(fmt.Sprintf("OCTET %d: %d", i+1, o), "MAX IS 255")
		}
		b[i] = byte(o)
	}
	a := netip.AddrFrom4(b)
	if a.IsUnspecified() {
		if e.opt.Optional {
			e.value = netip.Addr{}
			return Outcome{Status: Accepted}
		}
		return e.refuse("NO ADDRESS", "FIELD REQUIRED")
	}
	if m := hostCheck4(a); m != "" {
		return e.refuse("NOT A HOST", m)
	}
	if p := e.opt.Subnet; p.IsValid() && p.Addr().Is4() {
		p = p.Masked()
		bits := fmt.Sprintf("/%d", p.Bits())
		switch {
		case !p.Contains(a):
			return e.refuse("NOT IN SUBNET", clipOr(p.String(), "OF THIS NETWORK"))
		case p.Bits() < 31 && a == p.Addr():
			return e.refuse("NETWORK ADDR", "OF SUBNET "+bits)
		case p.Bits() < 31 && a == broadcast(p):
			return e.refuse("BROADCAST", "OF SUBNET "+bits)
		}
	}
	if e.opt.Self.IsValid() && a == e.opt.Self.Unmap() {
		return e.refuse("OWN ADDRESS", "USE ANOTHER IP")
	}
	e.value = a
	return Outcome{Status: Accepted}
}

// clipOr returns s if it fits a message line, else alt.
func clipOr(s, alt string) string {
	if len(s) <= MaxMessageLine2 {
		return s
	}
	return alt
}

// hostCheck4 says why a (non-zero) address cannot be a host's, or "".
func hostCheck4(a netip.Addr) string {
	b := a.As4()
	switch {
	case b[0] == 0:
		return "0.X IS RESERVED"
	case b[0] == 127:
		return "127.X LOOPBACK"
	case b[0] >= 224 && b[0] <= 239:
		return "MULTICAST ADDR"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "BROADCAST ADDR"
	case b[0] >= 240:
		return "240.X RESERVED"
	}
	return ""
}

// broadcast returns the last address of p (an IPv4 prefix).
func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= ^uint32(0) >> p.Bits()
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Text returns the field as shown, nnn.nnn.nnn.nnn.
func (e *IPv4) Text() string {
	var b [15]byte
	for i := 0; i < 12; i++ {
		b[i/3*4+i%3] = '0' + e.digits[i]
	}
	b[3], b[7], b[11] = '.', '.', '.'
	return string(b[:])
}

// Render draws the field.
func (e *IPv4) Render(g frame.Geometry) frame.Frame {
	return view{
		label:  e.label,
		nav:    frame.Nav{Up: true, Down: true, Left: e.cur > 0, Right: e.cur < 11, Enter: true},
		value:  e.Text(),
		cursor: e.cur/3*4 + e.cur%3,
		msg:    e.msg,
	}.render(g)
}
