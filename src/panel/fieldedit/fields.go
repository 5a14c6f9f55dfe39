package fieldedit

import (
	"net/netip"
	"strconv"
	"strings"
)

// Limits of the text fields, from the spec's table.
const (
	MaxDomainName = 32
	MaxProxyHost  = 253
	MaxProxyUser  = 32
	MaxPassword   = 16
	MaxIPv6Text   = 39 // eight groups of four hex digits and seven colons
)

// passwordSpecials are the PROXY PASSW specials in the spec's order; '_'
// is the first of them and has its own place in the ring.
const passwordSpecials = "-\\/|~!?@#$%^&*+=(){}[]<>;\"`,."

// DomainNameCharset is A-Z 0-9 _ . (DOMAIN NAME).
func DomainNameCharset() Charset {
	return Charset{Digits: true, Underscore: true, Specials: ".", Upper: true, Describe: "USE A-Z 0-9 _ ."}
}

// ProxyHostCharset is A-Z 0-9 . - for a host name or IPv4 address, plus ':'
// for an IPv6 address in IPv6-only mode.
func ProxyHostCharset(ipv6Only bool) Charset {
	if ipv6Only {
		return Charset{Digits: true, Specials: ".-:", Upper: true, Describe: "A-Z 0-9 . - :"}
	}
	return Charset{Digits: true, Specials: ".-", Upper: true, Describe: "USE A-Z 0-9 . -"}
}

// ProxyUserCharset is letters, digits, space and _ - \ . @ (PROXY USER).
func ProxyUserCharset() Charset {
	return Charset{Lower: true, Digits: true, Underscore: true, Specials: "-\\.@", Upper: true, Describe: "LETTERS 0-9_-\\.@"}
}

// PasswordCharset is letters, digits, space and the 30 specials of the
// spec, in its order (PROXY PASSW). Of printable ASCII only ' and : are
// missing.
func PasswordCharset() Charset {
	return Charset{Lower: true, Digits: true, Underscore: true, Specials: passwordSpecials, Upper: true, Describe: "ANY BUT ' AND :"}
}

// IPv6Charset is 0-9 a-f :.
func IPv6Charset() Charset {
	return Charset{Lower: true, Hex: true, Digits: true, Specials: ":", Describe: "USE 0-9 a-f :"}
}

// NewDomainName returns the DOMAIN NAME editor (optional, informational).
func NewDomainName(initial string) *Text {
	return NewText(TextSpec{
		Label:        "DOMAIN NAME",
		Max:          MaxDomainName,
		Charset:      DomainNameCharset(),
		Fold:         FoldUpper,
		InsertDelete: true,
		Validate: func(s string) (string, *Message) {
			if s == "" {
				return "", nil
			}
			if m := checkLabels(s, false); m != nil {
				return "", m
			}
			return s, nil
		},
	}, strings.ToUpper(initial))
}

// NewProxyHost returns the PROXY HOST editor, pre-filled with the host in
// force or, when there is none, the gateway (the caller passes it). It
// yields a host name (upper case), an IPv4 address without leading zeros
// (IPv4+v6 mode only) or a compressed IPv6 address (IPv6-only mode only).
func NewProxyHost(initial string, ipv6Only bool) *Text {
	return NewText(TextSpec{
		Label:        "PROXY HOST",
		Max:          MaxProxyHost,
		Charset:      ProxyHostCharset(ipv6Only),
		Fold:         FoldUpper,
		InsertDelete: true,
		Validate:     func(s string) (string, *Message) { return checkProxyHost(s, ipv6Only) },
	}, strings.ToUpper(initial))
}

// NewProxyUser returns the PROXY USER editor. Empty means no proxy
// authentication; domain\user names an NTLM domain.
func NewProxyUser(initial string) *Text {
	return NewText(TextSpec{
		Label:   "PROXY USER",
		Max:     MaxProxyUser,
		Charset: ProxyUserCharset(),
		Validate: func(s string) (string, *Message) {
			switch n := strings.Count(s, `\`); {
			case n > 1:
				return "", &Message{"TWO \\ IN NAME", "USE DOMAIN\\USER"}
			case n == 1 && strings.HasPrefix(s, `\`):
				return "", &Message{"NO DOMAIN", "USE DOMAIN\\USER"}
			case n == 1 && strings.HasSuffix(s, `\`):
				return "", &Message{"NO USER", "USE DOMAIN\\USER"}
			}
			return s, nil
		},
	}, initial)
}

// checkLabels checks dot-separated labels: none empty, none over 63
// characters and, for host names, no hyphen at either end of a label.
func checkLabels(s string, host bool) *Message {
	for _, l := range strings.Split(s, ".") {
		switch {
		case l == "":
			return &Message{"EMPTY LABEL", "CHECK THE DOTS"}
		case len(l) > 63:
			return &Message{"LONG LABEL", "63 CHARS MAX"}
		case host && (l[0] == '-' || l[len(l)-1] == '-'):
			return &Message{"BAD HYPHEN", "NOT AT LABEL END"}
		}
	}
	return nil
}

func checkProxyHost(s string, ipv6Only bool) (string, *Message) {
	if s == "" {
		return "", &Message{"NO PROXY HOST", "FIELD REQUIRED"}
	}
	if strings.Contains(s, ":") {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", &Message{"BAD IPv6 ADDR", "8 GROUPS OR ::"}
		}
		if m := hostCheck6(a); m != "" {
			return "", &Message{"NOT A HOST", m}
		}
		return a.String(), nil
	}
	if strings.Trim(s, "0123456789.") == "" {
		// Digits and dots only: an IPv4 address, leading zeros allowed
		// since every other address field shows them.
		a, ok := parseDotted(s)
		if !ok {
			return "", &Message{"BAD IPv4 ADDR", "USE N.N.N.N"}
		}
		if ipv6Only {
			return "", &Message{"NO IPv4 HERE", "IPv6-ONLY MODE"}
		}
		if a.IsUnspecified() {
			return "", &Message{"NOT A HOST", "0.0.0.0"}
		}
		if m := hostCheck4(a); m != "" {
			return "", &Message{"NOT A HOST", m}
		}
		return a.String(), nil
	}
	if m := checkLabels(s, true); m != nil {
		return "", m
	}
	return s, nil
}

// parseDotted parses n.n.n.n with 1-3 digits per octet, leading zeros
// allowed.
func parseDotted(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, p := range parts {
		if len(p) < 1 || len(p) > 3 {
			return netip.Addr{}, false
		}
		v, err := strconv.Atoi(p)
		if err != nil || v > 255 {
			return netip.Addr{}, false
		}
		b[i] = byte(v)
	}
	return netip.AddrFrom4(b), true
}

// hostCheck6 says why an IPv6 address cannot be a host's, or "".
func hostCheck6(a netip.Addr) string {
	switch {
	case a.Is4In6():
		return "IPv4-MAPPED"
	case a.IsUnspecified():
		return ":: UNSPECIFIED"
	case a.IsLoopback():
		return "::1 LOOPBACK"
	case a.IsMulticast():
		return "MULTICAST ADDR"
	}
	return ""
}
