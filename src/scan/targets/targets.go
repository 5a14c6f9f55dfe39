// Package targets turns a scan job's target and port specifications into
// what the engine walks: a set of addresses (IPv4 and IPv6 addresses,
// ranges, CIDRs and hostnames, minus exclusions) that is never expanded
// into a list, a keyed random permutation over it, and the port list.
//
// The Set is the one answer to "may this address get a packet?": the
// sender checks it before every frame and the receiver before it believes
// an answer (Set.MaySend). Hostnames are resolved through the Resolver the
// caller passes in (the LAN's DNS servers); the package does no other I/O.
package targets

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Resolver resolves hostnames; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options are what Parse needs besides the specification.
type Options struct {
	// Exclude are tokens in the same syntax as the targets; their addresses
	// are removed from the set.
	Exclude []string
	// Resolver resolves hostname tokens; nil makes a hostname an error.
	Resolver Resolver
	// Management are the addresses of the box's management path (the
	// platform, the proxy, the DNS servers). They get no packet unless they
	// are targets themselves (MaySend).
	Management []netip.Addr
	// MaxAddrs bounds the number of addresses (default 1<<32).
	MaxAddrs uint64
	// NoIPv4 and NoIPv6, when set, say why that family cannot be scanned
	// (e.g. "IPv6 scanning is off on this box"): a target of the family
	// is refused with that reason, and hostnames resolve to the other
	// family only.
	NoIPv4, NoIPv6 string
}

// Error is a bad token of a specification.
type Error struct {
	Kind  string // "target", "exclude" or "ports"
	Token string
	Why   string
	Err   error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("bad %s %q: %s", e.Kind, e.Token, e.Why)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// u128 is an address as a 128-bit number; IPv4 addresses are IPv4-mapped
// (::ffff:a.b.c.d) so both families sort in one space.
type u128 struct{ hi, lo uint64 }

func toU(a netip.Addr) u128 {
	b := a.As16()
	var u u128
	for i := 0; i < 8; i++ {
		u.hi = u.hi<<8 | uint64(b[i])
		u.lo = u.lo<<8 | uint64(b[8+i])
	}
	return u
}

func (u u128) addr(v4 bool) netip.Addr {
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[7-i] = byte(u.hi >> (8 * i))
		b[15-i] = byte(u.lo >> (8 * i))
	}
	a := netip.AddrFrom16(b)
	if v4 {
		return a.Unmap()
	}
	return a
}

// before orders spans: IPv4 first, then by address.
func (s span) before(t span) bool {
	if s.v4 != t.v4 {
		return s.v4
	}
	return s.lo.less(t.lo)
}

func (u u128) less(v u128) bool { return u.hi < v.hi || u.hi == v.hi && u.lo < v.lo }
func (u u128) add(n uint64) u128 {
	lo, c := bits.Add64(u.lo, n, 0)
	return u128{u.hi + c, lo}
}
func (u u128) sub(v u128) u128 { // u - v, u >= v
	lo, b := bits.Sub64(u.lo, v.lo, 0)
	return u128{u.hi - v.hi - b, lo}
}
func (u u128) inc() u128 { return u.add(1) }
func (u u128) dec() u128 { return u.sub(u128{0, 1}) }

// span is an inclusive range of addresses of one family.
type span struct {
	lo, hi u128
	v4     bool
}

// size is hi-lo+1, saturated at 1<<64-1.
func (s span) size() uint64 {
	d := s.hi.sub(s.lo)
	if d.hi != 0 || d.lo == ^uint64(0) {
		return ^uint64(0)
	}
	return d.lo + 1
}

// Set is a set of target addresses: disjoint, sorted ranges. It is
// immutable after Parse and safe for concurrent use.
type Set struct {
	spans []span
	cum   []uint64 // cum[i]: addresses in spans[:i]
	total uint64
	names map[netip.Addr][]string
	mgmt  []netip.Addr
}

// Parse parses a target specification: tokens separated by commas or
// white space, each an address, a range ("10.0.0.5-10.0.0.40",
// "10.0.0.5-40", "fd00::1-fd00::ff"), a CIDR ("10.0.0.0/24") or a
// hostname. A bad token is an *Error naming it.
func Parse(ctx context.Context, spec string, opt Options) (*Set, error) {
	maxN := opt.MaxAddrs
	if maxN == 0 {
		maxN = 1 << 32
	}
	names := map[netip.Addr][]string{}
	inc, err := parseList(ctx, "target", spec, opt, names)
	if err != nil {
		return nil, err
	}
	if len(inc) == 0 {
		return nil, &Error{Kind: "target", Token: spec, Why: "no targets given"}
	}
	// Exclusions are not refused for their family: excluding what cannot
	// be scanned anyway is harmless.
	exOpt := opt
	exOpt.NoIPv4, exOpt.NoIPv6 = "", ""
	exc, err := parseList(ctx, "exclude", strings.Join(opt.Exclude, ","), exOpt, nil)
	if err != nil {
		return nil, err
	}
	spans := subtract(merge(inc), merge(exc))
	s := &Set{spans: spans, names: names, mgmt: slices.Clone(opt.Management)}
	s.cum = make([]uint64, len(spans))
	for i, sp := range spans {
		s.cum[i] = s.total
		n := sp.size()
		if n > maxN || s.total+n > maxN || s.total+n < s.total {
			return nil, &Error{Kind: "target", Token: spec, Why: fmt.Sprintf("more than %d addresses", maxN)}
		}
		s.total += n
	}
	for a := range names {
		if !s.Contains(a) {
			delete(names, a)
		}
	}
	return s, nil
}

func splitTokens(spec string) []string {
	return strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

func parseList(ctx context.Context, kind, spec string, opt Options, names map[netip.Addr][]string) ([]span, error) {
	var out []span
	for _, tok := range splitTokens(spec) {
		sp, err := parseToken(ctx, kind, tok, opt, names)
		if err != nil {
			return nil, err
		}
		for _, x := range sp {
			if why := familyOff(opt, x.v4); why != "" {
				return nil, &Error{Kind: kind, Token: tok, Why: why}
			}
		}
		out = append(out, sp...)
	}
	return out, nil
}

// familyOff is why addresses of a family (v4 or not) cannot be scanned,
// "" when they can.
func familyOff(opt Options, v4 bool) string {
	if v4 {
		return opt.NoIPv4
	}
	return opt.NoIPv6
}

func parseToken(ctx context.Context, kind, tok string, opt Options, names map[netip.Addr][]string) ([]span, error) {
	res := opt.Resolver
	bad := func(why string, err error) ([]span, error) {
		return nil, &Error{Kind: kind, Token: tok, Why: why, Err: err}
	}
	if strings.Contains(tok, "%") {
		return bad("zoned addresses are not scannable", nil)
	}
	if strings.Contains(tok, "/") {
		p, err := netip.ParsePrefix(tok)
		if err != nil {
			return bad("not a CIDR prefix", err)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 { // an IPv4-mapped prefix is the IPv4 one
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return []span{prefixSpan(p)}, nil
	}
	if a, err := netip.ParseAddr(tok); err == nil {
		a = a.Unmap()
		return []span{{toU(a), toU(a), a.Is4()}}, nil
	}
	if l, r, ok := strings.Cut(tok, "-"); ok {
		if a, err := netip.ParseAddr(l); err == nil {
			a = a.Unmap()
			var b netip.Addr
			if n, err := strconv.ParseUint(r, 10, 8); err == nil && a.Is4() {
				o := a.As4()
				o[3] = byte(n)
				b = netip.AddrFrom4(o)
			} else if b, err = netip.ParseAddr(r); err != nil {
				return bad("the end of the range is not an address (nor an IPv4 last octet)", nil)
			}
			b = b.Unmap()
			if a.Is4() != b.Is4() {
				return bad("the range mixes IPv4 and IPv6", nil)
			}
			if b.Less(a) {
				return bad("the range ends before it starts", nil)
			}
			return []span{{toU(a), toU(b), a.Is4()}}, nil
		}
	}
	if !validHostname(tok) {
		return bad("not an address, range, CIDR prefix or hostname", nil)
	}
	if res == nil {
		return bad("hostname given but no DNS resolver", nil)
	}
	network := "ip"
	switch {
	case opt.NoIPv4 != "" && opt.NoIPv6 != "":
		return bad("neither IPv4 ("+opt.NoIPv4+") nor IPv6 ("+opt.NoIPv6+") can be scanned", nil)
	case opt.NoIPv6 != "":
		network = "ip4"
	case opt.NoIPv4 != "":
		network = "ip6"
	}
	addrs, err := res.LookupNetIP(ctx, network, tok)
	if err != nil {
		if network != "ip" {
			return bad("hostname has no "+map[string]string{"ip4": "IPv4", "ip6": "IPv6"}[network]+" address ("+familyOff(opt, network == "ip6")+")", err)
		}
		return bad("hostname does not resolve", err)
	}
	// A resolver may give addresses of both families whatever it is asked.
	addrs = slices.DeleteFunc(slices.Clone(addrs), func(a netip.Addr) bool { return familyOff(opt, a.Unmap().Is4()) != "" })
	if len(addrs) == 0 {
		return bad("hostname has no address", nil)
	}
	var out []span
	for _, a := range addrs {
		a = a.Unmap().WithZone("")
		out = append(out, span{toU(a), toU(a), a.Is4()})
		if names != nil && !slices.Contains(names[a], tok) {
			names[a] = append(names[a], tok)
		}
	}
	return out, nil
}

func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	// All digits and dots is a mistyped address, not a name.
	return strings.Trim(s, "0123456789.") != ""
}

// prefixSpan is the addresses of p (IPv4-mapped prefixes given as the
// IPv4 ones).
func prefixSpan(p netip.Prefix) span {
	p = p.Masked()
	a := p.Addr()
	lo := toU(a)
	hostBits := a.BitLen() - p.Bits()
	hi := lo
	if hostBits >= 64 {
		hi.lo = ^uint64(0)
		hi.hi |= (uint64(1) << (hostBits - 64)) - 1
		if hostBits == 128 {
			hi.hi = ^uint64(0)
		}
	} else {
		hi.lo |= (uint64(1) << hostBits) - 1
	}
	return span{lo, hi, a.Is4()}
}

// merge sorts spans and joins overlapping or adjacent ones of one family.
func merge(in []span) []span {
	in = slices.Clone(in)
	sort.Slice(in, func(i, j int) bool { return in[i].before(in[j]) })
	var out []span
	for _, s := range in {
		if n := len(out); n > 0 && out[n-1].v4 == s.v4 && (out[n-1].hi == u128{^uint64(0), ^uint64(0)} || !out[n-1].hi.inc().less(s.lo)) {
			if out[n-1].hi.less(s.hi) {
				out[n-1].hi = s.hi
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// subtract removes the (merged) spans ex from the (merged) spans in.
func subtract(in, ex []span) []span {
	var out []span
	for _, s := range in {
		cur := []span{s}
		for _, e := range ex {
			var next []span
			for _, c := range cur {
				if e.hi.less(c.lo) || c.hi.less(e.lo) {
					next = append(next, c)
					continue
				}
				if c.lo.less(e.lo) {
					next = append(next, span{c.lo, e.lo.dec(), c.v4})
				}
				if e.hi.less(c.hi) {
					next = append(next, span{e.hi.inc(), c.hi, c.v4})
				}
			}
			cur = next
		}
		out = append(out, cur...)
	}
	return out
}

// Len is the number of addresses.
func (s *Set) Len() uint64 { return s.total }

// At returns the i-th address in ascending order (i < Len).
func (s *Set) At(i uint64) netip.Addr {
	k := sort.Search(len(s.cum), func(k int) bool { return s.cum[k] > i }) - 1
	sp := s.spans[k]
	return sp.lo.add(i - s.cum[k]).addr(sp.v4)
}

// Index is the inverse of At.
func (s *Set) Index(a netip.Addr) (uint64, bool) {
	if !a.IsValid() || a.Zone() != "" {
		return 0, false
	}
	a = a.Unmap()
	key := span{lo: toU(a), v4: a.Is4()}
	u := key.lo
	k := sort.Search(len(s.spans), func(k int) bool { return key.before(s.spans[k]) }) - 1
	if k < 0 {
		return 0, false
	}
	sp := s.spans[k]
	if sp.hi.less(u) || sp.v4 != a.Is4() {
		return 0, false
	}
	return s.cum[k] + u.sub(sp.lo).lo, true
}

// Contains reports whether a is a target.
func (s *Set) Contains(a netip.Addr) bool {
	_, ok := s.Index(a)
	return ok
}

// MaySend is the guard every probe passes: a target may get packets; an
// address of the management path or anything else may not.
func (s *Set) MaySend(a netip.Addr) bool {
	return s.Contains(a) // management addresses included only as targets
}

// IsManagement reports whether a is on the box's management path; the
// scan command says so when such an address is among the targets.
func (s *Set) IsManagement(a netip.Addr) bool { return slices.Contains(s.mgmt, a.Unmap()) }

// Names returns the hostnames that resolved to a.
func (s *Set) Names(a netip.Addr) []string { return s.names[a.Unmap()] }

// Outside returns the lowest target on none of prefixes, and whether
// there is one: a job on a scanning VLAN reaches only the VLAN's subnets.
func (s *Set) Outside(prefixes []netip.Prefix) (netip.Addr, bool) {
	var in []span
	for _, p := range prefixes {
		if p.IsValid() {
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			in = append(in, prefixSpan(p))
		}
	}
	rest := subtract(s.spans, merge(in))
	if len(rest) == 0 {
		return netip.Addr{}, false
	}
	return rest[0].lo.addr(rest[0].v4), true
}

// Has4 and Has6 report whether the set holds IPv4 / IPv6 addresses.
func (s *Set) Has4() bool { return slices.ContainsFunc(s.spans, func(sp span) bool { return sp.v4 }) }
func (s *Set) Has6() bool { return slices.ContainsFunc(s.spans, func(sp span) bool { return !sp.v4 }) }

// String summarizes the set as ranges.
func (s *Set) String() string {
	var b strings.Builder
	for i, sp := range s.spans {
		if i > 0 {
			b.WriteByte(',')
		}
		lo, hi := sp.lo.addr(sp.v4), sp.hi.addr(sp.v4)
		b.WriteString(lo.String())
		if lo != hi {
			b.WriteString("-" + hi.String())
		}
	}
	return b.String()
}

// ErrNoPorts is returned for an empty port specification.
var ErrNoPorts = errors.New("no ports given")
