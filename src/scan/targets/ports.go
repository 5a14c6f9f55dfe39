package targets

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Ports are the ports to scan, ascending, without duplicates.
type Ports struct {
	TCP []uint16
	UDP []uint16
}

// Len is the number of ports of both protocols.
func (p Ports) Len() int { return len(p.TCP) + len(p.UDP) }

// ParsePorts parses a port specification as nmap's -p: comma-separated
// ports and ranges ("22", "1-1024", "60000-" up to 65535, "-100" from 1);
// "T:" and "U:" switch the protocol for the tokens that follow (TCP until
// the first prefix), so "1-1024,U:53,161" is TCP 1 to 1024 and UDP 53 and
// 161. A bad token is an *Error naming it.
func ParsePorts(spec string) (Ports, error) {
	var p Ports
	udp := false
	for _, tok := range strings.Split(spec, ",") {
		raw := tok
		tok = strings.TrimSpace(tok)
		bad := func(why string) (Ports, error) {
			return Ports{}, &Error{Kind: "ports", Token: strings.TrimSpace(raw), Why: why}
		}
		switch {
		case strings.HasPrefix(tok, "T:") || strings.HasPrefix(tok, "t:"):
			udp, tok = false, tok[2:]
		case strings.HasPrefix(tok, "U:") || strings.HasPrefix(tok, "u:"):
			udp, tok = true, tok[2:]
		}
		if tok == "" {
			return bad("empty port")
		}
		lo, hi := tok, tok
		if l, r, ok := strings.Cut(tok, "-"); ok {
			lo, hi = l, r
			if lo == "" {
				lo = "1"
			}
			if hi == "" {
				hi = "65535"
			}
		}
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b, err2 := strconv.ParseUint(hi, 10, 16)
		if err1 != nil || err2 != nil {
			return bad("not a port number (1 to 65535) or range")
		}
		if a == 0 {
			return bad("port 0 cannot be scanned")
		}
		if b < a {
			return bad("the range ends before it starts")
		}
		for n := a; n <= b; n++ {
			if udp {
				p.UDP = append(p.UDP, uint16(n))
			} else {
				p.TCP = append(p.TCP, uint16(n))
			}
		}
	}
	slices.Sort(p.TCP)
	slices.Sort(p.UDP)
	p.TCP = slices.Compact(p.TCP)
	p.UDP = slices.Compact(p.UDP)
	if p.Len() == 0 {
		return Ports{}, fmt.Errorf("bad ports %q: %w", spec, ErrNoPorts)
	}
	return p, nil
}
