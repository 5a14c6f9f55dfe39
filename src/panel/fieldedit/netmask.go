package fieldedit

import (
	"fmt"
	"net/netip"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// Netmask ring bounds and default, from the spec.
const (
	MinNetmaskBits     = 1
	MaxNetmaskBits     = 30
	DefaultNetmaskBits = 24
)

// Netmask picks a netmask from the ring of prefixes /1 ... /30. It has no
// cursor: DOWN lowers the prefix (/24, /23, ... /1, then /30, /29, ...),
// UP raises it (/24, /25, ... /30, then /1, ...). The value is shown as a
// dotted quad with leading zeros, with the prefix after it when the
// display is wide enough.
type Netmask struct {
	msgState
	label string
	addr  netip.Addr
	bits  int
	value int
}

// NewNetmask returns an editor at initial (the prefix length in force), or
// at /24 when initial is not in the ring. addr, when a valid IPv4 address,
// is the address the mask goes with: a mask that makes it the network or
// broadcast address of its subnet is refused at ENTER.
func NewNetmask(label string, initial int, addr netip.Addr) *Netmask {
	if initial < MinNetmaskBits || initial > MaxNetmaskBits {
		initial = DefaultNetmaskBits
	}
	return &Netmask{label: label, addr: addr.Unmap(), bits: initial}
}

// Label returns the field's prompt.
func (e *Netmask) Label() string { return e.label }

// Value returns the prefix length accepted at the last successful ENTER.
func (e *Netmask) Value() int { return e.value }

// Bits returns the prefix length currently shown.
func (e *Netmask) Bits() int { return e.bits }

// Handle applies one key.
func (e *Netmask) Handle(ev keyevent.Event) Outcome {
	e.begin()
	switch ev.Key {
	case keyevent.Up:
		e.bits = e.bits%MaxNetmaskBits + 1
	case keyevent.Down:
		e.bits--
		if e.bits < MinNetmaskBits {
			e.bits = MaxNetmaskBits
		}
	case keyevent.Clear:
		e.bits = DefaultNetmaskBits
	case keyevent.Char:
		return e.refuse("PICK A MASK", "WITH UP AND DOWN")
	case keyevent.Enter:
		if e.addr.Is4() {
			p := netip.PrefixFrom(e.addr, e.bits).Masked()
			switch e.addr {
			case p.Addr():
				return e.refuse(fmt.Sprintf("BAD MASK /%d", e.bits), "IP IS NETWORK")
			case broadcast(p):
				return e.refuse(fmt.Sprintf("BAD MASK /%d", e.bits), "IP IS BROADCAST")
			}
		}
		e.value = e.bits
		return Outcome{Status: Accepted}
	default:
		return Outcome{Status: Ignored}
	}
	return Outcome{Status: Edited}
}

// MaskText returns the netmask of a prefix length as nnn.nnn.nnn.nnn.
func MaskText(bits int) string {
	if bits < 0 {
		bits = 0
	}
	if bits > 32 {
		bits = 32
	}
	m := ^uint32(0) << (32 - bits)
	if bits == 0 {
		m = 0
	}
	return fmt.Sprintf("%03d.%03d.%03d.%03d", m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
}

// Render draws the field.
func (e *Netmask) Render(g frame.Geometry) frame.Frame {
	v := MaskText(e.bits)
	if g.Normalize().Cols >= 19 {
		v += fmt.Sprintf(" /%d", e.bits)
	}
	return view{
		label:  e.label,
		nav:    frame.Nav{Up: true, Down: true, Enter: true},
		value:  v,
		cursor: -1,
		msg:    e.msg,
	}.render(g)
}
