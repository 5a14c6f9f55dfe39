package netcfg

import (
	"fmt"
	"strings"
)

// The enumerated settings are small integers whose zero value is the
// default, written to JSON as the names below. Unknown names are refused
// when decoding; unknown numbers are reported by Validate.

// Mode is the network mode.
type Mode uint8

const (
	ModeDual     Mode = iota // IPv4+v6, the default
	ModeIPv6Only             // IPv6-only
)

var modeNames = []string{"ipv4+v6", "ipv6-only"}

// IPv4Method is how the LAN gets its IPv4 address.
type IPv4Method uint8

const (
	IPv4DHCP   IPv4Method = iota // the default
	IPv4Static                   // Address, Gateway, DNS1 ... from the panel
)

var ipv4MethodNames = []string{"dhcp", "static"}

// WANMethod is the WAN port's setting; anything but off is split networking.
type WANMethod uint8

const (
	WANOff    WANMethod = iota // no split networking, the default
	WANDHCP                    // split networking, DHCP on WAN
	WANStatic                  // split networking, static address on WAN
)

var wanMethodNames = []string{"off", "dhcp", "static"}

// IPv6Method is how the LAN gets its IPv6 address in IPv6-only mode.
type IPv6Method uint8

const (
	IPv6Auto   IPv6Method = iota // router advertisement, DHCPv6 for DNS; the default
	IPv6Static                   // manual address, prefix length, gateway, DNS
)

var ipv6MethodNames = []string{"auto", "static"}

// ScanIPv6Method is the platform's IPv6-for-scanning setting.
type ScanIPv6Method uint8

const (
	ScanIPv6Off    ScanIPv6Method = iota // the default
	ScanIPv6Auto                         // router advertisement
	ScanIPv6Static                       // Address (and optional Gateway)
)

var scanIPv6MethodNames = []string{"off", "auto", "static"}

// LinkMode is an Ethernet port's speed and duplex: auto-negotiation or one
// of the five forced settings, in the order the panel cycles through them.
type LinkMode uint8

const (
	LinkAuto LinkMode = iota // auto-negotiation, the default
	Link1000Full
	Link100Full
	Link100Half
	Link10Full
	Link10Half
)

// The names are the panel's labels.
var linkModeNames = []string{"AUTO", "1GbaseT/Full", "100baseT/Full", "100baseT/Half", "10baseT/Full", "10baseT/Half"}

// LinkModes returns every link mode in the panel's cycling order.
func LinkModes() []LinkMode {
	return []LinkMode{LinkAuto, Link1000Full, Link100Full, Link100Half, Link10Full, Link10Half}
}

// Forced returns the speed in Mbit/s and the duplex of a forced mode;
// ok is false for LinkAuto (and for an unknown mode).
func (m LinkMode) Forced() (mbps int, fullDuplex bool, ok bool) {
	switch m {
	case Link1000Full:
		return 1000, true, true
	case Link100Full:
		return 100, true, true
	case Link100Half:
		return 100, false, true
	case Link10Full:
		return 10, true, true
	case Link10Half:
		return 10, false, true
	}
	return 0, false, false
}

func (m Mode) String() string           { return enumString(modeNames, m) }
func (m IPv4Method) String() string     { return enumString(ipv4MethodNames, m) }
func (m WANMethod) String() string      { return enumString(wanMethodNames, m) }
func (m IPv6Method) String() string     { return enumString(ipv6MethodNames, m) }
func (m ScanIPv6Method) String() string { return enumString(scanIPv6MethodNames, m) }
func (m LinkMode) String() string       { return enumString(linkModeNames, m) }

func (m Mode) MarshalText() ([]byte, error) { return enumMarshal("mode", modeNames, m) }
func (m IPv4Method) MarshalText() ([]byte, error) {
	return enumMarshal("IPv4 method", ipv4MethodNames, m)
}
func (m WANMethod) MarshalText() ([]byte, error) { return enumMarshal("WAN method", wanMethodNames, m) }
func (m IPv6Method) MarshalText() ([]byte, error) {
	return enumMarshal("IPv6 method", ipv6MethodNames, m)
}
func (m ScanIPv6Method) MarshalText() ([]byte, error) {
	return enumMarshal("IPv6 scanning method", scanIPv6MethodNames, m)
}
func (m LinkMode) MarshalText() ([]byte, error) { return enumMarshal("link mode", linkModeNames, m) }

func (m *Mode) UnmarshalText(b []byte) error { return enumUnmarshal("mode", modeNames, m, b) }
func (m *IPv4Method) UnmarshalText(b []byte) error {
	return enumUnmarshal("IPv4 method", ipv4MethodNames, m, b)
}
func (m *WANMethod) UnmarshalText(b []byte) error {
	return enumUnmarshal("WAN method", wanMethodNames, m, b)
}
func (m *IPv6Method) UnmarshalText(b []byte) error {
	return enumUnmarshal("IPv6 method", ipv6MethodNames, m, b)
}
func (m *ScanIPv6Method) UnmarshalText(b []byte) error {
	return enumUnmarshal("IPv6 scanning method", scanIPv6MethodNames, m, b)
}
func (m *LinkMode) UnmarshalText(b []byte) error {
	return enumUnmarshal("link mode", linkModeNames, m, b)
}

func enumString[T ~uint8](names []string, v T) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("unknown(%d)", uint8(v))
}

func enumValid[T ~uint8](names []string, v T) bool { return int(v) < len(names) }

func enumMarshal[T ~uint8](what string, names []string, v T) ([]byte, error) {
	if int(v) >= len(names) {
		return nil, fmt.Errorf("netcfg: unknown %s %d", what, uint8(v))
	}
	return []byte(names[v]), nil
}

func enumUnmarshal[T ~uint8](what string, names []string, v *T, b []byte) error {
	for i, n := range names {
		// Case-insensitive, so a hand-edited "DHCP" or "auto" is understood.
		if strings.EqualFold(n, string(b)) {
			*v = T(i)
			return nil
		}
	}
	return fmt.Errorf("netcfg: unknown %s %q; allowed: %s", what, clipQuoted(string(b)), strings.Join(names, ", "))
}
