// Package netcfg is the typed network configuration of a Picket box, for
// both network modes (IPv4+v6 and IPv6-only): what the operator sets at the
// front panel or console (LAN, LAN VLAN, WAN for split networking, IPv6,
// proxy, Ethernet link modes) and what the platform pushes (scanning VLANs,
// static routes, IPv6 for scanning).
//
// It holds the rules of the network spec (Validate), the defaults, the
// RESET NETWORK SETTINGS and mode-switch semantics, and a field-by-field
// Diff. It does no I/O: netmgrd stores a Config with package netstore and
// applies it with the network packages.
//
// The zero Config is the factory default: IPv4+v6 mode, DHCP on LAN, no
// VLAN, no WAN (no split networking), no proxy, Ethernet auto-negotiation,
// nothing pushed by the platform. Every enumerated setting is chosen so its
// zero value is that default, which also lets a file written before a field
// existed decode to the right meaning (formats evolve by adding fields).
package netcfg

import "net/netip"

// Config is the whole network configuration of a box.
type Config struct {
	// Mode is IPv4+v6 (the default) or IPv6-only.
	Mode Mode `json:"mode"`
	// LAN is the LAN's IPv4 setting; IPv4+v6 mode only (zero in IPv6-only).
	LAN LAN `json:"lan"`
	// LANv6 is the LAN's IPv6 setting in IPv6-only mode (zero in IPv4+v6,
	// where IPv6 is a platform setting for scanning: Platform.ScanIPv6).
	LANv6 LANv6 `json:"lan_v6"`
	// VLAN is the panel's default 802.1Q VLAN on LAN: 0 = none, 1-4094.
	// An int, not a uint16, so an out-of-range entry can be reported rather
	// than silently wrapped.
	VLAN int `json:"vlan"`
	// WAN is the WAN port, used only for split networking (IPv4+v6 mode).
	WAN WAN `json:"wan"`
	// Proxy is the HTTP proxy to the platform; the zero value is no proxy.
	Proxy Proxy `json:"proxy"`
	// Link holds the Ethernet link mode of each port.
	Link Links `json:"link"`
	// Platform holds what the platform pushes. The panel never edits it,
	// and RESET NETWORK SETTINGS and a mode switch keep it.
	Platform Platform `json:"platform"`
}

// LAN is the LAN's IPv4 setting in IPv4+v6 mode.
type LAN struct {
	Method IPv4Method `json:"method"`
	// Address is the static address with its prefix length (the netmask):
	// 192.0.2.10/24. Static only.
	Address netip.Prefix `json:"address"`
	Gateway netip.Addr   `json:"gateway"` // static only, inside Address's subnet
	DNS1    netip.Addr   `json:"dns1"`    // static only, required
	DNS2    netip.Addr   `json:"dns2"`    // static only, optional
	// WINS1, WINS2 and Domain are informational (static only): with DHCP
	// they come from the lease (option 44, domain name).
	WINS1  netip.Addr `json:"wins1"`
	WINS2  netip.Addr `json:"wins2"`
	Domain string     `json:"domain"`
}

// WAN is the WAN port for split networking: off (the default), DHCP or
// static. With split networking on, all management traffic leaves by WAN
// and all scan traffic by LAN.
type WAN struct {
	Method  WANMethod    `json:"method"`
	Address netip.Prefix `json:"address"` // static only
	Gateway netip.Addr   `json:"gateway"` // static only, inside Address's subnet
	DNS1    netip.Addr   `json:"dns1"`    // static only, required
	DNS2    netip.Addr   `json:"dns2"`    // static only, optional
}

// Split reports whether split networking is on.
func (w WAN) Split() bool { return w.Method != WANOff }

// LANv6 is the LAN's IPv6 setting in IPv6-only mode.
type LANv6 struct {
	// Method is automatic (router advertisement; the default) or manual.
	Method IPv6Method `json:"method"`
	// Address is the manual address with its prefix length (1-128).
	Address netip.Prefix `json:"address"`
	// Gateway is required when manual; when automatic it is optional and
	// overrides the router the advertisements name. It may be link-local.
	Gateway netip.Addr `json:"gateway"`
	// DNS1 is required when manual. When automatic, DNS1 and DNS2 are
	// optional and take precedence over resolvers learned by DHCPv6/RA.
	DNS1 netip.Addr `json:"dns1"`
	DNS2 netip.Addr `json:"dns2"`
}

// DefaultProxyPort is the port the panel offers for a new proxy.
const DefaultProxyPort = 443

// Proxy is the HTTP proxy the box reaches the platform through. The proxy
// is on exactly when Host is set; a disabled proxy carries no settings, so
// no credential lingers after DISABLE PROXY.
type Proxy struct {
	// Scheme is empty or "http": the proxy must tunnel TLS with CONNECT.
	// SOCKS is not supported and is refused with a message saying so.
	Scheme string `json:"scheme,omitempty"`
	// Host is an FQDN or an IPv4 address, or an IPv6 address in IPv6-only
	// mode, without scheme or port.
	Host string `json:"host"`
	Port int    `json:"port"` // 1-65535; DefaultProxyPort when first enabled
	// User is optional; "domain\user" means an NTLM domain.
	User string `json:"user"`
	// Password is optional and needs a User. It never appears in fmt
	// output, in errors or in JSON (see Secret).
	Password Secret `json:"password,omitzero"`
}

// Enabled reports whether a proxy is configured.
func (p Proxy) Enabled() bool { return p.Host != "" }

// NTLMDomain splits a "domain\user" User into its domain and user name;
// domain is empty when User has no backslash.
func (p Proxy) NTLMDomain() (domain, user string) {
	for i := 0; i < len(p.User); i++ {
		if p.User[i] == '\\' {
			return p.User[:i], p.User[i+1:]
		}
	}
	return "", p.User
}

// Links holds the Ethernet link mode of each port.
type Links struct {
	LAN LinkMode `json:"lan"`
	// WAN may be forced only with split networking on.
	WAN LinkMode `json:"wan"`
}

// Limits on what the platform may push.
const (
	MaxScanVLANs = 4094
	MaxRoutes    = 99
	// MaxNameLen bounds the name of a scanning VLAN or a route, in bytes
	// of UTF-8: a label for people, shown and logged, not a document.
	MaxNameLen = 64
)

// Platform is what the platform pushes. It is stored with the rest but the
// panel cannot edit it, and a reset keeps it (it is platform-owned).
type Platform struct {
	// ScanVLANs are 802.1Q VLANs on LAN used for scanning, each with the
	// box's address on it; at most MaxScanVLANs.
	ScanVLANs []ScanVLAN `json:"scan_vlans,omitempty"`
	// Routes are static routes for scan traffic; at most MaxRoutes.
	Routes []Route `json:"routes,omitempty"`
	// ScanIPv6 is IPv6 on LAN for scanning, in IPv4+v6 mode. In IPv6-only
	// mode it is kept but not used: the LAN's own IPv6 serves scanning.
	ScanIPv6 ScanIPv6 `json:"scan_ipv6"`
}

// ScanVLAN is one scanning VLAN and the box's address on it.
type ScanVLAN struct {
	ID      int          `json:"id"` // 1-4094
	Name    string       `json:"name,omitempty"`
	Address netip.Prefix `json:"address"`
}

// Route is a static route for scan traffic.
type Route struct {
	Name        string       `json:"name,omitempty"`
	Destination netip.Prefix `json:"destination"` // masked, not a default route
	Gateway     netip.Addr   `json:"gateway"`     // same family as Destination
}

// ScanIPv6 is the platform's IPv6-for-scanning setting (IPv4+v6 mode).
type ScanIPv6 struct {
	Method  ScanIPv6Method `json:"method"`
	Address netip.Prefix   `json:"address"` // static only
	Gateway netip.Addr     `json:"gateway"` // static only, optional
}

// Default returns the factory default configuration: IPv4+v6 mode, DHCP on
// LAN, no VLAN, no proxy, no split networking, Ethernet auto-negotiation,
// nothing pushed. It is the zero Config.
func Default() Config { return Config{} }

// DefaultFor returns the defaults of mode. For IPv6-only: automatic IPv6
// (router advertisement, DHCPv6 for DNS), no proxy, no VLAN, and, as
// everywhere, Ethernet auto-negotiation.
func DefaultFor(mode Mode) Config { return Config{Mode: mode} }

// Reset is RESET NETWORK SETTINGS: the defaults of c's mode. It removes
// static addresses, the VLAN set from the panel, the proxy with its
// credentials, the WAN configuration and the Ethernet link settings, and
// keeps what the platform pushed, which the panel does not own.
func (c Config) Reset() Config { return c.SwitchMode(c.Mode) }

// SwitchMode is RESET TO IPv6 ONLY MODE / RESET TO IPv4+v6 MODE: switching
// mode is a reset, so the new mode starts from its defaults. What the
// platform pushed is kept.
func (c Config) SwitchMode(mode Mode) Config {
	n := DefaultFor(mode)
	n.Platform = c.Platform.Clone()
	return n
}

// Clone returns a deep copy of c, so changing one's slices never changes
// the other's.
func (c Config) Clone() Config {
	c.Platform = c.Platform.Clone()
	return c
}

// Clone returns a deep copy of p.
func (p Platform) Clone() Platform {
	if p.ScanVLANs != nil {
		p.ScanVLANs = append([]ScanVLAN(nil), p.ScanVLANs...)
	}
	if p.Routes != nil {
		p.Routes = append([]Route(nil), p.Routes...)
	}
	return p
}
