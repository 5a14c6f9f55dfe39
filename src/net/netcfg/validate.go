package netcfg

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unicode/utf8"
)

// FieldError is one problem Validate found: the field (as named in JSON,
// e.g. "lan.gateway" or "platform.scan_vlans[3].id") and what is wrong and
// what is allowed. Messages never contain the proxy password.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Problems returns every FieldError in err, which may be a joined error as
// Validate returns, in order.
func Problems(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// Validate checks the whole configuration against the network spec and
// returns nil or every problem it found, joined (errors.Join); each is a
// *FieldError (see Problems). It reports everything at once so that the
// panel, the platform or a test sees the full list, not the first rule hit.
//
// Rules that need the running state (a DHCP lease on the same subnet on LAN
// and WAN, at least one resolver learned in IPv6-only auto mode) cannot be
// checked here; CheckSplitSubnets serves the first.
func (c Config) Validate() error {
	var v checker
	if !enumValid(modeNames, c.Mode) {
		v.add("mode", "unknown mode %d; allowed: %s", c.Mode, strings.Join(modeNames, ", "))
	}
	switch c.Mode {
	case ModeDual:
		v.lan(c.LAN)
		if c.LANv6 != (LANv6{}) {
			v.add("lan_v6", "IPv6 LAN settings are used only in IPv6-only mode; in IPv4+v6 mode IPv6 (for scanning) is set by the platform")
		}
		v.wan(c.WAN)
		if c.LAN.Method == IPv4Static && c.WAN.Method == WANStatic && validHostV4(c.LAN.Address) && validHostV4(c.WAN.Address) {
			if err := CheckSplitSubnets(c.LAN.Address, c.WAN.Address); err != nil {
				v.add("wan.address", "%v", err)
			}
		}
	case ModeIPv6Only:
		if c.LAN != (LAN{}) {
			v.add("lan", "IPv4 LAN settings are not used in IPv6-only mode; reset to IPv4+v6 mode to use them")
		}
		if c.WAN != (WAN{}) {
			v.add("wan", "split networking (WAN) is not available in IPv6-only mode; it needs IPv4+v6 mode")
		}
		v.lanV6(c.LANv6)
	}
	if c.VLAN < 0 || c.VLAN > 4094 {
		v.add("vlan", "%d is out of range; allowed: 0 (no VLAN) or 1-4094", c.VLAN)
	}
	v.proxy(c.Proxy, c.Mode)
	v.links(c.Link, c.WAN)
	v.platform(c)
	return errors.Join(v.errs...)
}

// CheckSplitSubnets returns an error if the LAN and WAN subnets overlap:
// split networking keeps scan and management traffic apart by port, which
// it cannot do when both ports are on the same subnet. netmgrd also calls
// it with leased addresses, which Validate cannot know.
func CheckSplitSubnets(lan, wan netip.Prefix) error {
	if lan.IsValid() && wan.IsValid() && lan.Masked().Overlaps(wan.Masked()) {
		return fmt.Errorf("LAN (%s) and WAN (%s) are on the same subnet; split networking needs the WAN port on a different subnet from LAN", lan.Masked(), wan.Masked())
	}
	return nil
}

type checker struct{ errs []error }

func (v *checker) add(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// maxQuoted is the most bytes of a value a message repeats.
const maxQuoted = 64

// clipQuoted cuts s to maxQuoted bytes on a rune boundary, marking the cut.
// A value quoted back in a message (a proxy host, a label, an enumeration
// name) goes through it: it came from a caller and may be megabytes long.
func clipQuoted(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func (v *checker) lan(l LAN) {
	switch l.Method {
	case IPv4DHCP:
		var set []string
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"address", l.Address != netip.Prefix{}}, {"gateway", l.Gateway.IsValid()},
			{"dns1", l.DNS1.IsValid()}, {"dns2", l.DNS2.IsValid()},
			{"wins1", l.WINS1.IsValid()}, {"wins2", l.WINS2.IsValid()}, {"domain", l.Domain != ""},
		} {
			if f.set {
				set = append(set, f.name)
			}
		}
		if len(set) > 0 {
			v.add("lan", "%s set while LAN uses DHCP; static settings apply only with a static LAN (with DHCP they come from the lease)", strings.Join(set, ", "))
		}
	case IPv4Static:
		v.staticV4("lan", l.Address, l.Gateway, l.DNS1, l.DNS2)
		v.optionalV4("lan.wins1", l.WINS1)
		v.optionalV4("lan.wins2", l.WINS2)
		v.domain("lan.domain", l.Domain)
	default:
		v.add("lan.method", "unknown method %d; allowed: %s", l.Method, strings.Join(ipv4MethodNames, ", "))
	}
}

func (v *checker) wan(w WAN) {
	switch w.Method {
	case WANOff, WANDHCP:
		if (w != WAN{Method: w.Method}) {
			v.add("wan", "static settings set while WAN is %s; they apply only with a static WAN", w.Method)
		}
	case WANStatic:
		v.staticV4("wan", w.Address, w.Gateway, w.DNS1, w.DNS2)
	default:
		v.add("wan.method", "unknown method %d; allowed: %s", w.Method, strings.Join(wanMethodNames, ", "))
	}
}

// staticV4 checks a static IPv4 port setting: address and netmask, gateway
// in the subnet, DNS1 required, DNS2 optional.
func (v *checker) staticV4(port string, addr netip.Prefix, gw, dns1, dns2 netip.Addr) {
	ok := v.hostPrefixV4(port+".address", addr, true)
	switch {
	case !gw.IsValid():
		v.add(port+".gateway", "required for a static %s; give the IPv4 address of the router on the %s subnet", strings.ToUpper(port), strings.ToUpper(port))
	case badV4(gw) != "":
		v.add(port+".gateway", "%s", badV4(gw))
	case ok && !addr.Masked().Contains(gw):
		v.add(port+".gateway", "%s is outside the %s subnet %s; the gateway must be in the subnet (%s)", gw, strings.ToUpper(port), addr.Masked(), hostRangeV4(addr))
	case ok && gw == addr.Addr():
		v.add(port+".gateway", "%s is the %s's own address; give the router's address", gw, strings.ToUpper(port))
	case ok && isNetOrBroadcastV4(addr.Masked(), gw):
		v.add(port+".gateway", "%s is the network or broadcast address of %s; the gateway must be a host address (%s)", gw, addr.Masked(), hostRangeV4(addr))
	}
	if !dns1.IsValid() {
		v.add(port+".dns1", "required for a static %s; give the IPv4 address of a DNS server", strings.ToUpper(port))
	} else {
		v.optionalV4(port+".dns1", dns1)
	}
	v.optionalV4(port+".dns2", dns2)
}

// hostPrefixV4 checks an IPv4 address with netmask that is the box's own:
// a unicast host address of its subnet, netmask /1-/30 (the panel's ring).
func (v *checker) hostPrefixV4(field string, p netip.Prefix, required bool) bool {
	if p == (netip.Prefix{}) {
		if required {
			v.add(field, "required; give an IPv4 address and netmask, e.g. 192.0.2.10/24")
		}
		return false
	}
	a := p.Addr()
	if msg := badV4(a); msg != "" {
		v.add(field, "%s", msg)
		return false
	}
	if !p.IsValid() || p.Bits() < 1 || p.Bits() > 30 {
		v.add(field, "netmask /%d is not allowed; allowed: /1 to /30 (128.0.0.0 to 255.255.255.252)", p.Bits())
		return false
	}
	if isNetOrBroadcastV4(p.Masked(), a) {
		v.add(field, "%s is the network or broadcast address of %s; choose a host address (%s)", a, p.Masked(), hostRangeV4(p))
		return false
	}
	return true
}

// validHostV4 and validHostV6 say, without reporting, whether
// hostPrefixV4 and hostPrefixV6 accept p.
func validHostV4(p netip.Prefix) bool {
	var v checker
	return v.hostPrefixV4("", p, true)
}

func validHostV6(p netip.Prefix) bool {
	var v checker
	return v.hostPrefixV6("", p, true)
}

func (v *checker) optionalV4(field string, a netip.Addr) {
	if a.IsValid() {
		if msg := badV4(a); msg != "" {
			v.add(field, "%s", msg)
		}
	}
}

// badV4 says why a is not a usable IPv4 unicast address, or "".
func badV4(a netip.Addr) string {
	switch {
	case a.Is4In6():
		return fmt.Sprintf("%s is an IPv4-mapped IPv6 address; write it as plain IPv4 (%s)", a, a.Unmap())
	case !a.Is4():
		return fmt.Sprintf("%s is not an IPv4 address; an IPv4 address (n.n.n.n) is needed here", a)
	case a.IsUnspecified():
		return "0.0.0.0 is not a usable address; give a unicast IPv4 address"
	case a.IsLoopback():
		return fmt.Sprintf("%s is a loopback address; give an address on the network", a)
	case a.IsMulticast():
		return fmt.Sprintf("%s is a multicast address; give a unicast IPv4 address", a)
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "255.255.255.255 is the broadcast address; give a unicast IPv4 address"
	case a.As4()[0] == 0 || a.As4()[0] >= 240:
		return fmt.Sprintf("%s is in a reserved range (0.0.0.0/8 or 240.0.0.0/4); give a unicast IPv4 address", a)
	}
	return ""
}

func isNetOrBroadcastV4(subnet netip.Prefix, a netip.Addr) bool {
	first, last := rangeV4(subnet)
	return a == first || a == last
}

// rangeV4 returns the network and broadcast addresses of subnet.
func rangeV4(subnet netip.Prefix) (netAddr, bcast netip.Addr) {
	b := subnet.Masked().Addr().As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	hostBits := 32 - subnet.Bits()
	bc := n | (uint32(1)<<hostBits - 1)
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}),
		netip.AddrFrom4([4]byte{byte(bc >> 24), byte(bc >> 16), byte(bc >> 8), byte(bc)})
}

func hostRangeV4(p netip.Prefix) string {
	first, last := rangeV4(p.Masked())
	return fmt.Sprintf("hosts %s to %s", first.Next(), last.Prev())
}

func (v *checker) domain(field, d string) {
	const max = 32
	if len(d) > max {
		v.add(field, "%d characters; at most %d allowed", len(d), max)
	}
	for i, r := range d {
		if !(isLetter(r) || isDigit(r) || r == '_' || r == '.') {
			v.add(field, "character %q at position %d is not allowed; allowed: letters, digits, _ and .", r, i+1)
			return
		}
	}
}

func (v *checker) lanV6(l LANv6) {
	switch l.Method {
	case IPv6Auto:
		if l.Address != (netip.Prefix{}) {
			v.add("lan_v6.address", "set while IPv6 is automatic; the address comes from router advertisements (choose static to set it)")
		}
		if l.Gateway.IsValid() {
			v.gatewayV6("lan_v6.gateway", l.Gateway, netip.Prefix{})
		}
		v.optionalV6("lan_v6.dns1", l.DNS1, false)
		v.optionalV6("lan_v6.dns2", l.DNS2, false)
		if l.DNS2.IsValid() && !l.DNS1.IsValid() {
			v.add("lan_v6.dns2", "set without DNS1; give the first manual resolver as DNS1")
		}
	case IPv6Static:
		ok := v.hostPrefixV6("lan_v6.address", l.Address, true)
		if !l.Gateway.IsValid() {
			v.add("lan_v6.gateway", "required for manual IPv6; give the router's IPv6 address (link-local allowed)")
		} else if ok {
			v.gatewayV6("lan_v6.gateway", l.Gateway, l.Address)
		} else {
			v.gatewayV6("lan_v6.gateway", l.Gateway, netip.Prefix{})
		}
		if !l.DNS1.IsValid() {
			v.add("lan_v6.dns1", "required: IPv6-only mode needs at least one DNS resolver; give its IPv6 address")
		} else {
			v.optionalV6("lan_v6.dns1", l.DNS1, false)
		}
		v.optionalV6("lan_v6.dns2", l.DNS2, false)
	default:
		v.add("lan_v6.method", "unknown method %d; allowed: %s", l.Method, strings.Join(ipv6MethodNames, ", "))
	}
}

// hostPrefixV6 checks an IPv6 address with prefix length that is the box's
// own: global or unique-local unicast, prefix length 1-128.
func (v *checker) hostPrefixV6(field string, p netip.Prefix, required bool) bool {
	if p == (netip.Prefix{}) {
		if required {
			v.add(field, "required; give an IPv6 address and prefix length, e.g. 2001:db8::10/64")
		}
		return false
	}
	if msg := badV6(p.Addr(), false); msg != "" {
		v.add(field, "%s", msg)
		return false
	}
	if !p.IsValid() || p.Bits() < 1 {
		v.add(field, "prefix length /%d is not allowed; allowed: 1-128 (64 is usual)", p.Bits())
		return false
	}
	return true
}

// gatewayV6 checks an IPv6 gateway: link-local, or inside subnet when that
// is known.
func (v *checker) gatewayV6(field string, gw netip.Addr, subnet netip.Prefix) {
	if msg := badV6(gw, true); msg != "" {
		v.add(field, "%s", msg)
		return
	}
	if subnet.IsValid() && !gw.IsLinkLocalUnicast() && !subnet.Masked().Contains(gw) {
		v.add(field, "%s is outside the subnet %s; the gateway must be in the subnet or link-local (fe80::/10)", gw, subnet.Masked())
	} else if subnet.IsValid() && gw == subnet.Addr() {
		v.add(field, "%s is the box's own address; give the router's address", gw)
	}
}

func (v *checker) optionalV6(field string, a netip.Addr, linkLocalOK bool) {
	if a.IsValid() {
		if msg := badV6(a, linkLocalOK); msg != "" {
			v.add(field, "%s", msg)
		}
	}
}

// badV6 says why a is not a usable IPv6 unicast address, or "".
func badV6(a netip.Addr, linkLocalOK bool) string {
	switch {
	case a.Is4() || a.Is4In6():
		return fmt.Sprintf("%s is an IPv4 address; an IPv6 address is needed here", a)
	case a.Zone() != "" && len(a.Zone()) <= 16:
		return fmt.Sprintf("%s has a zone (%%%s); give it without one, the LAN interface is implied", a, a.Zone())
	case a.Zone() != "":
		// Not repeated: a message stays short whatever was typed.
		return fmt.Sprintf("%s has a zone of %d bytes; give it without one, the LAN interface is implied", a.WithZone(""), len(a.Zone()))
	case a.IsUnspecified():
		return ":: is not a usable address; give a unicast IPv6 address"
	case a.IsLoopback():
		return "::1 is the loopback address; give an address on the network"
	case a.IsMulticast():
		return fmt.Sprintf("%s is a multicast address; give a unicast IPv6 address", a)
	case a.IsLinkLocalUnicast() && !linkLocalOK:
		return fmt.Sprintf("%s is link-local (fe80::/10); a global or unique-local address is needed here", a)
	}
	return ""
}

// The proxy password's character set, in the panel's order.
const passwordSpecials = "_-\\/|~!?@#$%^&*+=(){}[]<>;\"`,."

func (v *checker) proxy(p Proxy, mode Mode) {
	if p.Host == "" {
		var set []string
		if p.Scheme != "" {
			set = append(set, "scheme")
		}
		if p.Port != 0 {
			set = append(set, "port")
		}
		if p.User != "" {
			set = append(set, "user")
		}
		if !p.Password.IsZero() {
			set = append(set, "password")
		}
		if len(set) > 0 {
			v.add("proxy", "%s set but no proxy host; give a host to enable the proxy, or clear them (a disabled proxy carries no settings)", strings.Join(set, ", "))
		}
		return
	}
	switch s := strings.ToLower(p.Scheme); {
	case s == "" || s == "http":
	case strings.HasPrefix(s, "socks"):
		v.add("proxy.scheme", "SOCKS proxies are not supported; use an HTTP proxy that tunnels TLS with CONNECT")
	default:
		v.add("proxy.scheme", "scheme %q is not supported; only an HTTP proxy that tunnels TLS with CONNECT (scheme http)", clipQuoted(p.Scheme))
	}
	v.proxyHost(p.Host, mode)
	if p.Port < 1 || p.Port > 65535 {
		v.add("proxy.port", "%d is out of range; allowed: 1-65535 (default %d)", p.Port, DefaultProxyPort)
	}
	v.proxyUser(p.User)
	v.proxyPassword(p.Password, p.User)
}

func (v *checker) proxyHost(h string, mode Mode) {
	const field = "proxy.host"
	if i := strings.Index(h, "://"); i >= 0 {
		if strings.HasPrefix(strings.ToLower(h[:i]), "socks") {
			v.add(field, "SOCKS proxies are not supported (%q); use an HTTP proxy that tunnels TLS with CONNECT", clipQuoted(h))
		} else {
			v.add(field, "%q has a scheme; give the host alone (an FQDN or IP address)", clipQuoted(h))
		}
		return
	}
	if a, err := netip.ParseAddr(h); err == nil {
		switch {
		case a.Is4() && mode == ModeIPv6Only:
			v.add(field, "%s is an IPv4 address, which cannot be reached in IPv6-only mode; give an IPv6 address or an FQDN", a)
		case a.Is4():
			v.optionalV4(field, a)
		case mode != ModeIPv6Only:
			v.add(field, "%s is an IPv6 address, allowed only in IPv6-only mode; give an IPv4 address or an FQDN", a)
		default:
			v.optionalV6(field, a, false)
		}
		return
	}
	if strings.ContainsAny(h, ":[]") {
		v.add(field, "%q is not a valid host; give an FQDN or an IP address alone, without brackets or port (the port has its own field)", clipQuoted(h))
		return
	}
	if len(h) > 253 {
		v.add(field, "%d characters; at most 253 allowed", len(h))
		return
	}
	name := strings.TrimSuffix(h, ".")
	labels := strings.Split(name, ".")
	numeric := true
	for _, l := range labels {
		for _, r := range l {
			if !isDigit(r) {
				numeric = false
			}
		}
	}
	if numeric {
		v.add(field, "%q looks like an IPv4 address but is not one; write four numbers 0-255 without leading zeros, e.g. 192.0.2.1", clipQuoted(h))
		return
	}
	for i, r := range h {
		if !(isLetter(r) || isDigit(r) || r == '.' || r == '-') {
			v.add(field, "character %q at position %d is not allowed; an FQDN has letters, digits, . and -", r, i+1)
			return
		}
	}
	for _, l := range labels {
		switch {
		case l == "":
			v.add(field, "%q has an empty label (two dots in a row, or a leading dot)", clipQuoted(h))
			return
		case len(l) > 63:
			v.add(field, "label %q is longer than 63 characters", clipQuoted(l))
			return
		case l[0] == '-' || l[len(l)-1] == '-':
			v.add(field, "label %q starts or ends with -, which an FQDN does not allow", clipQuoted(l))
			return
		}
	}
}

func (v *checker) proxyUser(u string) {
	const field, max = "proxy.user", 32
	if u == "" {
		return
	}
	if len(u) > max {
		v.add(field, "%d characters; at most %d allowed", len(u), max)
	}
	for i, r := range u {
		if r == ' ' {
			v.add(field, "embedded spaces are not allowed (only the password may contain spaces)")
			break
		}
		if !(isLetter(r) || isDigit(r) || strings.ContainsRune("_-\\.@", r)) {
			v.add(field, "character %q at position %d is not allowed; allowed: letters, digits and _ - \\ . @", r, i+1)
			break
		}
	}
	if n := strings.Count(u, `\`); n > 1 {
		v.add(field, `%d backslashes; at most one, as in domain\user for NTLM`, n)
	} else if n == 1 && (u[0] == '\\' || u[len(u)-1] == '\\') {
		v.add(field, `domain\user needs a domain before and a user after the backslash`)
	}
}

// proxyPassword never puts the password, or its length, in a message.
func (v *checker) proxyPassword(pw Secret, user string) {
	const field, max = "proxy.password", 16
	s := pw.Reveal()
	if s == "" {
		return
	}
	if user == "" {
		v.add(field, "set without a proxy user; a password needs a user")
	}
	if len(s) > max {
		v.add(field, "longer than %d characters; at most %d allowed", max, max)
	}
	for i, r := range s {
		if !(isLetter(r) || isDigit(r) || r == ' ' || strings.ContainsRune(passwordSpecials, r)) {
			v.add(field, "the character at position %d is not allowed; allowed: letters, digits, space and %s", i+1, passwordSpecials)
			break
		}
	}
}

func (v *checker) links(l Links, w WAN) {
	if !enumValid(linkModeNames, l.LAN) {
		v.add("link.lan", "unknown link mode %d; allowed: %s", l.LAN, strings.Join(linkModeNames, ", "))
	}
	switch {
	case !enumValid(linkModeNames, l.WAN):
		v.add("link.wan", "unknown link mode %d; allowed: %s", l.WAN, strings.Join(linkModeNames, ", "))
	case l.WAN != LinkAuto && !w.Split():
		v.add("link.wan", "%s set but split networking is off; the WAN port link can be set only with the WAN interface enabled (use AUTO)", l.WAN)
	}
}

// subnetEntry is one subnet the box has an address on, for the overlap
// check between scanning VLANs and the static LAN and WAN.
type subnetEntry struct {
	p     netip.Prefix // masked
	field string
	what  string
}

func (v *checker) platform(c Config) {
	p := c.Platform
	if n := len(p.ScanVLANs); n > MaxScanVLANs {
		v.add("platform.scan_vlans", "%d VLANs; at most %d allowed", n, MaxScanVLANs)
	}
	var subnets []subnetEntry
	// Only addresses that passed their own checks take part, so one bad
	// netmask is reported once, not again as overlapping everything.
	if c.Mode == ModeDual && c.LAN.Method == IPv4Static && validHostV4(c.LAN.Address) {
		subnets = append(subnets, subnetEntry{c.LAN.Address.Masked(), "", "the LAN subnet"})
	}
	if c.Mode == ModeDual && c.WAN.Method == WANStatic && validHostV4(c.WAN.Address) {
		subnets = append(subnets, subnetEntry{c.WAN.Address.Masked(), "", "the WAN subnet"})
	}
	if c.Mode == ModeIPv6Only && c.LANv6.Method == IPv6Static && validHostV6(c.LANv6.Address) {
		subnets = append(subnets, subnetEntry{c.LANv6.Address.Masked(), "", "the LAN subnet"})
	}
	seen := make(map[int]int, len(p.ScanVLANs))
	for i, sv := range p.ScanVLANs {
		field := fmt.Sprintf("platform.scan_vlans[%d]", i)
		switch {
		case sv.ID < 1 || sv.ID > 4094:
			v.add(field+".id", "%d is out of range; allowed: 1-4094", sv.ID)
		case seen[sv.ID] != 0:
			v.add(field+".id", "VLAN %d appears more than once (also at scan_vlans[%d]); each VLAN once", sv.ID, seen[sv.ID]-1)
		case sv.ID == c.VLAN:
			v.add(field+".id", "VLAN %d is the LAN VLAN set from the panel; a scanning VLAN must be another one", sv.ID)
		}
		if seen[sv.ID] == 0 {
			seen[sv.ID] = i + 1
		}
		v.name(field+".name", sv.Name)
		var ok bool
		switch {
		case sv.Address == (netip.Prefix{}):
			v.add(field+".address", "required; give the box's address and netmask on VLAN %d", sv.ID)
		case sv.Address.Addr().Is4():
			ok = v.hostPrefixV4(field+".address", sv.Address, true)
		default:
			ok = v.hostPrefixV6(field+".address", sv.Address, true)
		}
		if ok {
			subnets = append(subnets, subnetEntry{sv.Address.Masked(), field + ".address", fmt.Sprintf("VLAN %d's subnet", sv.ID)})
		}
	}
	v.overlaps(subnets)

	if n := len(p.Routes); n > MaxRoutes {
		v.add("platform.routes", "%d routes; at most %d allowed", n, MaxRoutes)
	}
	dests := make(map[netip.Prefix]int, len(p.Routes))
	for i, r := range p.Routes {
		field := fmt.Sprintf("platform.routes[%d]", i)
		v.name(field+".name", r.Name)
		d := r.Destination
		switch {
		case !d.IsValid():
			v.add(field+".destination", "required; give a network and prefix length, e.g. 10.20.0.0/16")
		case d.Bits() == 0:
			v.add(field+".destination", "%s is a default route, which cannot be pushed; the default route is the gateway's", d)
		case d != d.Masked():
			v.add(field+".destination", "%s has host bits set; write the network, %s", d, d.Masked())
		case dests[d] != 0:
			v.add(field+".destination", "%s appears more than once (also at routes[%d]); each destination once", d, dests[d]-1)
		}
		if d.IsValid() && dests[d] == 0 {
			dests[d] = i + 1
		}
		switch gw := r.Gateway; {
		case !gw.IsValid():
			v.add(field+".gateway", "required; give the router's address")
		case d.IsValid() && d.Addr().Is4() != gw.Is4():
			v.add(field+".gateway", "%s is not of the destination's address family (%s)", gw, d)
		case gw.Is4():
			v.optionalV4(field+".gateway", gw)
		default:
			v.optionalV6(field+".gateway", gw, true)
		}
	}

	s := p.ScanIPv6
	switch s.Method {
	case ScanIPv6Off, ScanIPv6Auto:
		if (s != ScanIPv6{Method: s.Method}) {
			v.add("platform.scan_ipv6", "address or gateway set while IPv6 for scanning is %s; they apply only when static", s.Method)
		}
	case ScanIPv6Static:
		ok := v.hostPrefixV6("platform.scan_ipv6.address", s.Address, true)
		if s.Gateway.IsValid() {
			sub := netip.Prefix{}
			if ok {
				sub = s.Address
			}
			v.gatewayV6("platform.scan_ipv6.gateway", s.Gateway, sub)
		}
	default:
		v.add("platform.scan_ipv6.method", "unknown method %d; allowed: %s", s.Method, strings.Join(scanIPv6MethodNames, ", "))
	}
}

// name checks a scanning VLAN's or a route's name: optional, at most
// MaxNameLen letters, digits and NameChars. The message never repeats the
// name, which may be long.
func (v *checker) name(field, n string) {
	if len(n) > MaxNameLen {
		v.add(field, "%d bytes; at most %d characters allowed", len(n), MaxNameLen)
		return
	}
	for i, r := range n {
		if !(isLetter(r) || isDigit(r) || strings.ContainsRune(NameChars, r)) {
			v.add(field, "character %+q at position %d is not allowed; allowed: letters, digits, _, - and .", r, i+1)
			return
		}
	}
}

// overlaps reports every subnet that overlaps one listed before it in
// address order. CIDR blocks are either nested or disjoint, so after
// sorting by start address (wider first) a block overlaps an earlier one
// exactly when it starts inside the earlier block that reaches furthest:
// O(n log n) even for 4094 VLANs.
func (v *checker) overlaps(list []subnetEntry) {
	slices.SortStableFunc(list, func(a, b subnetEntry) int {
		if c := a.p.Addr().Compare(b.p.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.p.Bits(), b.p.Bits())
	})
	var reach *subnetEntry // the earlier block with the highest last address
	var reachLast netip.Addr
	for i := range list {
		e := &list[i]
		last := lastAddr(e.p)
		if reach != nil && reach.p.Addr().BitLen() == e.p.Addr().BitLen() && reach.p.Contains(e.p.Addr()) {
			// Report on the platform's entry: LAN and WAN overlapping each
			// other is CheckSplitSubnets's message.
			switch {
			case e.field != "":
				v.add(e.field, "subnet %s overlaps %s (%s); each scanning VLAN needs its own subnet", e.p, reach.what, reach.p)
			case reach.field != "":
				v.add(reach.field, "subnet %s overlaps %s (%s); each scanning VLAN needs its own subnet", reach.p, e.what, e.p)
			}
		}
		if reach == nil || reach.p.Addr().BitLen() != e.p.Addr().BitLen() || last.Compare(reachLast) > 0 {
			reach, reachLast = e, last
		}
	}
}

// lastAddr returns the highest address of a masked prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
func isDigit(r rune) bool  { return r >= '0' && r <= '9' }
