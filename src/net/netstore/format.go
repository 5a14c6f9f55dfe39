package netstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"

	"picket.dev/picket/src/net/netcfg"
)

// FormatVersion is the version of the file format this build writes.
//
// Version history:
//
//	1  the first format: IPv4 LAN (dhcp flag, dotted netmask, DNS and WINS
//	   lists), VLAN, proxy with an enabled flag, one link mode; no WAN,
//	   IPv6 settings or platform-pushed settings.
//	2  a netcfg.Config under "config"; the proxy password sealed beside it.
//
// Per the fallback rule (a box can fall back to an older slot), formats
// evolve by adding fields, which older readers ignore; the version changes
// only when meaning changes, and a reader refuses a version newer than it
// knows rather than guess.
const FormatVersion = 2

// passwordAAD binds a sealed proxy password to its purpose.
const passwordAAD = "picket netstore: proxy password"

// fileV2 is the current format.
type fileV2 struct {
	Version int           `json:"version"`
	Config  netcfg.Config `json:"config"` // with the password field empty
	// ProxyPasswordSealed is the proxy password sealed with the per-box
	// key (see seal); empty when there is none.
	ProxyPasswordSealed string `json:"proxy_password_sealed,omitempty"`
}

// fileV1 is the first format, kept to read and migrate old files.
type fileV1 struct {
	Version  int  `json:"version"`
	IPv6Only bool `json:"ipv6_only"`
	LAN      struct {
		DHCP    bool         `json:"dhcp"`
		IP      netip.Addr   `json:"ip"`
		Netmask netip.Addr   `json:"netmask"`
		Gateway netip.Addr   `json:"gateway"`
		DNS     []netip.Addr `json:"dns"`
		WINS    []netip.Addr `json:"wins"`
		Domain  string       `json:"domain"`
	} `json:"lan"`
	VLAN  int `json:"vlan"`
	Proxy struct {
		Enabled        bool   `json:"enabled"`
		Host           string `json:"host"`
		Port           int    `json:"port"`
		User           string `json:"user"`
		PasswordSealed string `json:"password_sealed"`
	} `json:"proxy"`
	Link netcfg.LinkMode `json:"link"`
}

// encode writes c in the current format; sealPW seals the proxy password.
func encode(c netcfg.Config, sealPW func(clear string) (string, error)) ([]byte, error) {
	doc := fileV2{Version: FormatVersion, Config: c.Clone()}
	if pw := c.Proxy.Password; !pw.IsZero() {
		sealed, err := sealPW(pw.Reveal())
		if err != nil {
			return nil, fmt.Errorf("seal proxy password: %w", err)
		}
		doc.ProxyPasswordSealed = sealed
		doc.Config.Proxy.Password = netcfg.Secret{}
	}
	b, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// decode reads a file of any known version, migrates it to a Config and
// checks it. openPW unseals the proxy password. from is the version the
// file was in.
func decode(data []byte, openPW func(sealed string) (string, error)) (c netcfg.Config, from int, err error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return c, 0, fmt.Errorf("not valid JSON: %w", err)
	}
	if head.Version == nil {
		return c, 0, errors.New("no version field")
	}
	from = *head.Version
	var sealed string
	switch {
	case from == 1:
		var v1 fileV1
		if err := json.Unmarshal(data, &v1); err != nil {
			return c, from, fmt.Errorf("version 1: %w", err)
		}
		if c, err = migrateV1(v1); err != nil {
			return c, from, fmt.Errorf("migrate version 1: %w", err)
		}
		if v1.Proxy.Enabled {
			sealed = v1.Proxy.PasswordSealed
		}
	case from == 2:
		var v2 fileV2
		if err := json.Unmarshal(data, &v2); err != nil {
			return c, from, fmt.Errorf("version 2: %w", err)
		}
		if !v2.Config.Proxy.Password.IsZero() {
			// Written by hand or by a bug: a clear password never belongs
			// in the file. Say so without repeating it.
			return c, from, errors.New("version 2: the proxy password is stored in clear")
		}
		c, sealed = v2.Config, v2.ProxyPasswordSealed
	case from > FormatVersion:
		return c, from, fmt.Errorf("version %d was written by a newer release; this one reads versions 1 to %d", from, FormatVersion)
	default:
		return c, from, fmt.Errorf("unknown version %d", from)
	}
	if sealed != "" {
		pw, err := openPW(sealed)
		if err != nil {
			return c, from, fmt.Errorf("proxy password: %w", err)
		}
		c.Proxy.Password = netcfg.NewSecret(pw)
	}
	if err := c.Validate(); err != nil {
		return c, from, fmt.Errorf("invalid configuration: %w", err)
	}
	return c, from, nil
}

// migrateV1 maps the first format onto a Config. Meaning is unchanged:
// the dotted netmask becomes a prefix length, the DNS and WINS lists become
// numbered fields, a disabled proxy drops its stale settings (a disabled
// proxy now carries none), and the one link mode was the LAN port's.
func migrateV1(v fileV1) (netcfg.Config, error) {
	var c netcfg.Config
	if v.IPv6Only {
		// Version 1 had no IPv6 settings: IPv6-only meant automatic.
		c.Mode = netcfg.ModeIPv6Only
	} else if !v.LAN.DHCP {
		bits, err := maskBits(v.LAN.Netmask)
		if err != nil {
			return c, err
		}
		c.LAN = netcfg.LAN{
			Method:  netcfg.IPv4Static,
			Address: netip.PrefixFrom(v.LAN.IP, bits),
			Gateway: v.LAN.Gateway,
			Domain:  v.LAN.Domain,
		}
		c.LAN.DNS1, c.LAN.DNS2 = two(v.LAN.DNS)
		c.LAN.WINS1, c.LAN.WINS2 = two(v.LAN.WINS)
		if len(v.LAN.DNS) > 2 || len(v.LAN.WINS) > 2 {
			return c, fmt.Errorf("%d DNS and %d WINS servers; at most 2 of each", len(v.LAN.DNS), len(v.LAN.WINS))
		}
	}
	c.VLAN = v.VLAN
	if v.Proxy.Enabled {
		c.Proxy = netcfg.Proxy{Host: v.Proxy.Host, Port: v.Proxy.Port, User: v.Proxy.User}
	}
	c.Link.LAN = v.Link
	return c, nil
}

func two(list []netip.Addr) (a, b netip.Addr) {
	if len(list) > 0 {
		a = list[0]
	}
	if len(list) > 1 {
		b = list[1]
	}
	return a, b
}

// maskBits turns a dotted IPv4 netmask into a prefix length.
func maskBits(m netip.Addr) (int, error) {
	if !m.Is4() {
		return 0, fmt.Errorf("netmask %v is not an IPv4 netmask", m)
	}
	b := m.As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	bits := 0
	for bits < 32 && n&(1<<(31-bits)) != 0 {
		bits++
	}
	if bits < 32 && n<<bits != 0 {
		return 0, fmt.Errorf("netmask %v is not contiguous", m)
	}
	return bits, nil
}
