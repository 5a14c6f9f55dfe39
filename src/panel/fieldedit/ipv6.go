package fieldedit

import (
	"net/netip"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// IPv6Options are the checks an IPv6 field makes at ENTER beyond "a valid
// IPv6 unicast address".
type IPv6Options struct {
	// Optional fields (DNS2) accept an empty entry, meaning "none".
	Optional bool
	// Global refuses link-local addresses (the box's own static address;
	// a gateway may well be link-local).
	Global bool
	// ReadOnly fields (Auto v6 ADDR) only scroll and accept ENTER.
	ReadOnly bool
}

// IPv6 edits an IPv6 address typed or scrolled from 0-9 a-f :, in expanded
// or compressed form, in a window that LEFT/RIGHT scroll. It yields a
// netip.Addr.
type IPv6 struct {
	text  *Text
	value netip.Addr
}

// NewIPv6 returns an editor pre-filled with initial in compressed form
// (empty when initial is not a valid IPv6 address).
func NewIPv6(label string, initial netip.Addr, opt IPv6Options) *IPv6 {
	e := &IPv6{}
	s := ""
	if initial.Is6() && !initial.Is4In6() {
		s = initial.WithZone("").String()
	}
	optional := opt.Optional || opt.ReadOnly // read-only: nothing to correct
	e.text = NewText(TextSpec{
		Label:    label,
		Max:      MaxIPv6Text,
		Charset:  IPv6Charset(),
		Fold:     FoldLower,
		ReadOnly: opt.ReadOnly,
		Validate: func(s string) (string, *Message) {
			if s == "" {
				if optional {
					e.value = netip.Addr{}
					return "", nil
				}
				return "", &Message{"NO ADDRESS", "FIELD REQUIRED"}
			}
			a, err := netip.ParseAddr(s)
			if err != nil || !a.Is6() {
				return "", &Message{"BAD IPv6 ADDR", "8 GROUPS OR ::"}
			}
			if m := hostCheck6(a); m != "" {
				return "", &Message{"NOT A HOST", m}
			}
			if opt.Global && a.IsLinkLocalUnicast() {
				return "", &Message{"LINK-LOCAL", "USE A GLOBAL IP"}
			}
			e.value = a
			return a.String(), nil
		},
	}, s)
	return e
}

// Label returns the field's prompt.
func (e *IPv6) Label() string { return e.text.Label() }

// Value returns the address accepted at the last successful ENTER; the
// zero Addr for an optional field left empty.
func (e *IPv6) Value() netip.Addr { return e.value }

// Text returns the entry as typed.
func (e *IPv6) Text() string { return e.text.Text() }

// Handle applies one key.
func (e *IPv6) Handle(ev keyevent.Event) Outcome { return e.text.Handle(ev) }

// Render draws the field.
func (e *IPv6) Render(g frame.Geometry) frame.Frame { return e.text.Render(g) }
