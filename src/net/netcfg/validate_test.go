package netcfg

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

const testPassword = "s3cret pw!"

var (
	pfx  = netip.MustParsePrefix
	addr = netip.MustParseAddr
)

// fullDual is a valid IPv4+v6 configuration with every optional part set.
func fullDual() Config {
	return Config{
		Mode: ModeDual,
		LAN: LAN{
			Method: IPv4Static, Address: pfx("192.0.2.10/24"), Gateway: addr("192.0.2.1"),
			DNS1: addr("192.0.2.53"), DNS2: addr("192.0.2.54"),
			WINS1: addr("192.0.2.60"), WINS2: addr("192.0.2.61"), Domain: "CORP.EXAMPLE",
		},
		VLAN: 20,
		WAN: WAN{
			Method: WANStatic, Address: pfx("198.51.100.10/24"), Gateway: addr("198.51.100.1"),
			DNS1: addr("198.51.100.53"),
		},
		Proxy: Proxy{Host: "proxy.example.com", Port: 8080, User: `CORP\alice`, Password: NewSecret(testPassword)},
		Link:  Links{LAN: Link100Full, WAN: Link10Half},
		Platform: Platform{
			ScanVLANs: []ScanVLAN{
				{ID: 30, Name: "servers", Address: pfx("10.30.0.5/24")},
				{ID: 31, Address: pfx("10.31.0.5/24")},
				{ID: 32, Address: pfx("2001:db8:32::5/64")},
			},
			Routes: []Route{
				{Name: "lab", Destination: pfx("10.40.0.0/16"), Gateway: addr("10.30.0.1")},
				{Destination: pfx("2001:db8:40::/48"), Gateway: addr("fe80::1")},
			},
			ScanIPv6: ScanIPv6{Method: ScanIPv6Static, Address: pfx("2001:db8:1::5/64"), Gateway: addr("fe80::1")},
		},
	}
}

// fullV6 is a valid IPv6-only configuration with manual IPv6 and a proxy.
func fullV6() Config {
	return Config{
		Mode: ModeIPv6Only,
		LANv6: LANv6{
			Method: IPv6Static, Address: pfx("2001:db8::10/64"), Gateway: addr("2001:db8::1"),
			DNS1: addr("2001:db8::53"), DNS2: addr("2001:db8::54"),
		},
		VLAN:  5,
		Proxy: Proxy{Host: "2001:db8::8", Port: 3128},
	}
}

func TestValidate(t *testing.T) {
	type want struct {
		field string // the FieldError's Field
		text  string // a part of its message
	}
	tests := []struct {
		name string
		base func() Config
		mod  func(*Config)
		want []want // exactly these problems, in this order
	}{
		// Valid configurations.
		{name: "factory default", base: Default},
		{name: "IPv6-only default", base: func() Config { return DefaultFor(ModeIPv6Only) }},
		{name: "full IPv4+v6", base: fullDual},
		{name: "full IPv6-only", base: fullV6},
		{name: "IPv6-only auto with manual DNS and link-local gateway", base: fullV6, mod: func(c *Config) {
			c.LANv6 = LANv6{Method: IPv6Auto, Gateway: addr("fe80::1"), DNS1: addr("2001:db8::53")}
		}},
		{name: "IPv6 static with link-local gateway", base: fullV6, mod: func(c *Config) { c.LANv6.Gateway = addr("fe80::1") }},
		{name: "proxy with IPv4 host, no user", base: fullDual, mod: func(c *Config) {
			c.Proxy = Proxy{Scheme: "HTTP", Host: "192.0.2.8", Port: 443}
		}},
		{name: "proxy FQDN with trailing dot", base: fullDual, mod: func(c *Config) { c.Proxy.Host = "proxy.example.com." }},
		{name: "VLAN bounds 0 and 4094", base: fullDual, mod: func(c *Config) { c.VLAN = 4094 }},
		{name: "netmask /30", base: fullDual, mod: func(c *Config) {
			c.LAN.Address, c.LAN.Gateway = pfx("192.0.2.9/30"), addr("192.0.2.10")
		}},
		{name: "netmask /1", base: Default, mod: func(c *Config) {
			c.LAN = LAN{Method: IPv4Static, Address: pfx("128.0.0.10/1"), Gateway: addr("128.0.0.1"), DNS1: addr("9.9.9.9")}
		}},
		{name: "password of 16 with every special class", base: fullDual, mod: func(c *Config) {
			c.Proxy.Password = NewSecret(`a Z9_-\/|~!?@#$%`)
		}},
		{name: "exactly 4094 scanning VLANs", base: fullDual, mod: func(c *Config) {
			c.VLAN = 0
			c.Platform.ScanVLANs = manyVLANs(4094)
		}},
		{name: "exactly 99 routes", base: fullDual, mod: func(c *Config) { c.Platform.Routes = manyRoutes(99) }},

		// Mode.
		{name: "unknown mode", base: fullDual, mod: func(c *Config) { c.Mode = 7 }, want: []want{{"mode", "allowed: ipv4+v6, ipv6-only"}}},

		// LAN IPv4.
		{name: "unknown LAN method", base: fullDual, mod: func(c *Config) { c.LAN.Method = 9 }, want: []want{{"lan.method", "allowed: dhcp, static"}}},
		{name: "static fields with DHCP", base: fullDual, mod: func(c *Config) { c.LAN.Method = IPv4DHCP },
			want: []want{{"lan", "address, gateway, dns1, dns2, wins1, wins2, domain set while LAN uses DHCP"}}},
		{name: "static LAN with nothing", base: fullDual, mod: func(c *Config) {
			c.LAN = LAN{Method: IPv4Static}
			c.WAN = WAN{}
			c.Link.WAN = LinkAuto
		}, want: []want{{"lan.address", "required"}, {"lan.gateway", "required"}, {"lan.dns1", "required"}}},
		{name: "LAN address is IPv6", base: fullDual, mod: func(c *Config) { c.LAN.Address = pfx("2001:db8::1/64") },
			want: []want{{"lan.address", "not an IPv4 address"}}},
		{name: "LAN address is IPv4-mapped", base: fullDual, mod: func(c *Config) { c.LAN.Address = pfx("::ffff:192.0.2.10/120") },
			want: []want{{"lan.address", "write it as plain IPv4 (192.0.2.10)"}}},
		{name: "LAN address is the network address", base: fullDual, mod: func(c *Config) { c.LAN.Address = pfx("192.0.2.0/24") },
			want: []want{{"lan.address", "network or broadcast address of 192.0.2.0/24; choose a host address (hosts 192.0.2.1 to 192.0.2.254)"}}},
		{name: "LAN address is the broadcast address", base: fullDual, mod: func(c *Config) { c.LAN.Address = pfx("192.0.2.255/24") },
			want: []want{{"lan.address", "network or broadcast"}}},
		{name: "netmask /31", base: fullDual, mod: func(c *Config) { c.LAN.Address = pfx("192.0.2.10/31") },
			want: []want{{"lan.address", "netmask /31 is not allowed; allowed: /1 to /30"}}},
		{name: "netmask /32", base: fullDual, mod: func(c *Config) { c.LAN.Address = pfx("192.0.2.10/32") },
			want: []want{{"lan.address", "/32 is not allowed"}}},
		{name: "netmask /0", base: fullDual, mod: func(c *Config) { c.LAN.Address = pfx("192.0.2.10/0") },
			want: []want{{"lan.address", "/0 is not allowed"}}},
		{name: "LAN address loopback", base: fullDual, mod: func(c *Config) { c.LAN.Address = pfx("127.0.0.5/8") },
			want: []want{{"lan.address", "loopback"}}},
		{name: "LAN address reserved", base: fullDual, mod: func(c *Config) { c.LAN.Address = pfx("0.1.2.3/8") },
			want: []want{{"lan.address", "reserved"}}},
		{name: "gateway outside the subnet", base: fullDual, mod: func(c *Config) { c.LAN.Gateway = addr("192.0.3.1") },
			want: []want{{"lan.gateway", "192.0.3.1 is outside the LAN subnet 192.0.2.0/24; the gateway must be in the subnet (hosts 192.0.2.1 to 192.0.2.254)"}}},
		{name: "gateway is the box", base: fullDual, mod: func(c *Config) { c.LAN.Gateway = addr("192.0.2.10") },
			want: []want{{"lan.gateway", "own address"}}},
		{name: "gateway is the broadcast address", base: fullDual, mod: func(c *Config) { c.LAN.Gateway = addr("192.0.2.255") },
			want: []want{{"lan.gateway", "network or broadcast address"}}},
		{name: "gateway is IPv6", base: fullDual, mod: func(c *Config) { c.LAN.Gateway = addr("2001:db8::1") },
			want: []want{{"lan.gateway", "not an IPv4 address"}}},
		{name: "bad DNS and WINS", base: fullDual, mod: func(c *Config) {
			c.LAN.DNS1, c.LAN.DNS2 = addr("224.0.0.1"), addr("127.0.0.1")
			c.LAN.WINS1, c.LAN.WINS2 = addr("2001:db8::1"), addr("255.255.255.255")
		}, want: []want{{"lan.dns1", "multicast"}, {"lan.dns2", "loopback"}, {"lan.wins1", "not an IPv4"}, {"lan.wins2", "broadcast"}}},
		{name: "domain with a hyphen", base: fullDual, mod: func(c *Config) { c.LAN.Domain = "MY-CORP.COM" },
			want: []want{{"lan.domain", `character '-' at position 3 is not allowed; allowed: letters, digits, _ and .`}}},
		{name: "domain too long", base: fullDual, mod: func(c *Config) { c.LAN.Domain = strings.Repeat("A", 33) },
			want: []want{{"lan.domain", "33 characters; at most 32"}}},
		{name: "IPv6 LAN settings in IPv4+v6 mode", base: fullDual, mod: func(c *Config) { c.LANv6.Method = IPv6Static },
			want: []want{{"lan_v6", "only in IPv6-only mode"}}},

		// LAN VLAN.
		{name: "VLAN 4095", base: fullDual, mod: func(c *Config) { c.VLAN = 4095 },
			want: []want{{"vlan", "4095 is out of range; allowed: 0 (no VLAN) or 1-4094"}}},
		{name: "VLAN -1", base: fullDual, mod: func(c *Config) { c.VLAN = -1 }, want: []want{{"vlan", "out of range"}}},

		// WAN and split networking.
		{name: "WAN off with a static address", base: fullDual, mod: func(c *Config) {
			c.WAN.Method, c.Link.WAN = WANOff, LinkAuto
		}, want: []want{{"wan", "static settings set while WAN is off"}}},
		{name: "WAN DHCP with a static address", base: fullDual, mod: func(c *Config) { c.WAN.Method = WANDHCP },
			want: []want{{"wan", "while WAN is dhcp"}}},
		{name: "unknown WAN method", base: fullDual, mod: func(c *Config) { c.WAN = WAN{Method: 3} },
			want: []want{{"wan.method", "allowed: off, dhcp, static"}}},
		{name: "LAN and WAN on the same subnet", base: fullDual, mod: func(c *Config) {
			c.WAN.Address, c.WAN.Gateway, c.WAN.DNS1 = pfx("192.0.2.20/24"), addr("192.0.2.1"), addr("192.0.2.53")
		}, want: []want{{"wan.address", "LAN (192.0.2.0/24) and WAN (192.0.2.0/24) are on the same subnet"}}},
		{name: "WAN subnet contains LAN subnet", base: fullDual, mod: func(c *Config) {
			c.WAN.Address, c.WAN.Gateway = pfx("192.0.0.10/16"), addr("192.0.0.1")
		}, want: []want{{"wan.address", "same subnet"}}},
		{name: "static WAN without gateway and DNS", base: fullDual, mod: func(c *Config) {
			c.WAN.Gateway, c.WAN.DNS1 = netip.Addr{}, netip.Addr{}
		}, want: []want{{"wan.gateway", "required for a static WAN"}, {"wan.dns1", "required"}}},
		{name: "WAN gateway outside", base: fullDual, mod: func(c *Config) { c.WAN.Gateway = addr("192.0.2.1") },
			want: []want{{"wan.gateway", "outside the WAN subnet 198.51.100.0/24"}}},
		{name: "WAN link forced without split networking", base: Default, mod: func(c *Config) { c.Link.WAN = Link100Full },
			want: []want{{"link.wan", "100baseT/Full set but split networking is off"}}},
		{name: "unknown link modes", base: fullDual, mod: func(c *Config) { c.Link = Links{LAN: 6, WAN: 9} },
			want: []want{{"link.lan", "unknown link mode 6; allowed: AUTO, 1GbaseT/Full"}, {"link.wan", "unknown link mode 9"}}},

		// IPv6-only mode.
		{name: "split networking in IPv6-only mode", base: fullV6, mod: func(c *Config) { c.WAN.Method = WANDHCP },
			want: []want{{"wan", "split networking (WAN) is not available in IPv6-only mode"}}},
		{name: "IPv4 LAN in IPv6-only mode", base: fullV6, mod: func(c *Config) { c.LAN.Method = IPv4Static },
			want: []want{{"lan", "not used in IPv6-only mode"}}},
		{name: "manual IPv6 without DNS", base: fullV6, mod: func(c *Config) { c.LANv6.DNS1, c.LANv6.DNS2 = netip.Addr{}, netip.Addr{} },
			want: []want{{"lan_v6.dns1", "at least one DNS resolver"}}},
		{name: "manual IPv6 with nothing", base: fullV6, mod: func(c *Config) { c.LANv6 = LANv6{Method: IPv6Static} },
			want: []want{{"lan_v6.address", "required"}, {"lan_v6.gateway", "required"}, {"lan_v6.dns1", "required"}}},
		{name: "link-local IPv6 address", base: fullV6, mod: func(c *Config) { c.LANv6.Address = pfx("fe80::10/64") },
			want: []want{{"lan_v6.address", "link-local"}}},
		{name: "IPv4 as IPv6 address", base: fullV6, mod: func(c *Config) { c.LANv6.Address = pfx("192.0.2.1/24") },
			want: []want{{"lan_v6.address", "is an IPv4 address; an IPv6 address is needed"}}},
		{name: "IPv6 prefix length 0", base: fullV6, mod: func(c *Config) { c.LANv6.Address = pfx("2001:db8::10/0") },
			want: []want{{"lan_v6.address", "prefix length /0 is not allowed; allowed: 1-128"}}},
		{name: "IPv6 gateway outside the subnet", base: fullV6, mod: func(c *Config) { c.LANv6.Gateway = addr("2001:db9::1") },
			want: []want{{"lan_v6.gateway", "outside the subnet 2001:db8::/64"}}},
		{name: "IPv6 gateway is the box", base: fullV6, mod: func(c *Config) { c.LANv6.Gateway = addr("2001:db8::10") },
			want: []want{{"lan_v6.gateway", "own address"}}},
		{name: "IPv6 DNS with zone, multicast", base: fullV6, mod: func(c *Config) {
			c.LANv6.DNS1, c.LANv6.DNS2 = addr("fe80::53%eth0"), addr("ff02::1")
		}, want: []want{{"lan_v6.dns1", "has a zone (%eth0)"}, {"lan_v6.dns2", "multicast"}}},
		{name: "auto IPv6 with an address", base: fullV6, mod: func(c *Config) { c.LANv6.Method = IPv6Auto },
			want: []want{{"lan_v6.address", "set while IPv6 is automatic"}}},
		{name: "auto IPv6 DNS2 without DNS1", base: fullV6, mod: func(c *Config) {
			c.LANv6 = LANv6{Method: IPv6Auto, DNS2: addr("2001:db8::54")}
		}, want: []want{{"lan_v6.dns2", "without DNS1"}}},
		{name: "unknown IPv6 method", base: fullV6, mod: func(c *Config) { c.LANv6 = LANv6{Method: 4} },
			want: []want{{"lan_v6.method", "allowed: auto, static"}}},

		// Proxy.
		{name: "proxy port 0", base: fullDual, mod: func(c *Config) { c.Proxy.Port = 0 },
			want: []want{{"proxy.port", "0 is out of range; allowed: 1-65535"}}},
		{name: "proxy port 65536", base: fullDual, mod: func(c *Config) { c.Proxy.Port = 65536 },
			want: []want{{"proxy.port", "65536 is out of range"}}},
		{name: "proxy port 65535", base: fullDual, mod: func(c *Config) { c.Proxy.Port = 65535 }},
		{name: "SOCKS scheme", base: fullDual, mod: func(c *Config) { c.Proxy.Scheme = "socks5" },
			want: []want{{"proxy.scheme", "SOCKS proxies are not supported"}}},
		{name: "HTTPS scheme", base: fullDual, mod: func(c *Config) { c.Proxy.Scheme = "https" },
			want: []want{{"proxy.scheme", `scheme "https" is not supported`}}},
		{name: "SOCKS URL as host", base: fullDual, mod: func(c *Config) { c.Proxy.Host = "socks5://proxy.example.com:1080" },
			want: []want{{"proxy.host", "SOCKS proxies are not supported"}}},
		{name: "HTTP URL as host", base: fullDual, mod: func(c *Config) { c.Proxy.Host = "http://proxy.example.com" },
			want: []want{{"proxy.host", "has a scheme; give the host alone"}}},
		{name: "host with port", base: fullDual, mod: func(c *Config) { c.Proxy.Host = "proxy.example.com:8080" },
			want: []want{{"proxy.host", "without brackets or port"}}},
		{name: "IPv6 proxy in IPv4+v6 mode", base: fullDual, mod: func(c *Config) { c.Proxy.Host = "2001:db8::8" },
			want: []want{{"proxy.host", "allowed only in IPv6-only mode"}}},
		{name: "IPv4 proxy in IPv6-only mode", base: fullV6, mod: func(c *Config) { c.Proxy.Host = "192.0.2.8" },
			want: []want{{"proxy.host", "cannot be reached in IPv6-only mode"}}},
		{name: "multicast proxy address", base: fullDual, mod: func(c *Config) { c.Proxy.Host = "239.1.1.1" },
			want: []want{{"proxy.host", "multicast"}}},
		{name: "padded IPv4 proxy address", base: fullDual, mod: func(c *Config) { c.Proxy.Host = "010.000.000.001" },
			want: []want{{"proxy.host", "looks like an IPv4 address but is not one"}}},
		{name: "underscore in host", base: fullDual, mod: func(c *Config) { c.Proxy.Host = "my_proxy.example" },
			want: []want{{"proxy.host", "character '_' at position 3"}}},
		{name: "empty label", base: fullDual, mod: func(c *Config) { c.Proxy.Host = "proxy..example" },
			want: []want{{"proxy.host", "empty label"}}},
		{name: "label with leading hyphen", base: fullDual, mod: func(c *Config) { c.Proxy.Host = "-proxy.example" },
			want: []want{{"proxy.host", "starts or ends with -"}}},
		{name: "label over 63", base: fullDual, mod: func(c *Config) { c.Proxy.Host = strings.Repeat("a", 64) + ".example" },
			want: []want{{"proxy.host", "longer than 63"}}},
		{name: "host over 253", base: fullDual, mod: func(c *Config) { c.Proxy.Host = strings.Repeat("abcdefghi.", 26) },
			want: []want{{"proxy.host", "260 characters; at most 253"}}},
		{name: "disabled proxy keeping credentials", base: fullDual, mod: func(c *Config) { c.Proxy.Host = "" },
			want: []want{{"proxy", "port, user, password set but no proxy host"}}},
		{name: "user with a space", base: fullDual, mod: func(c *Config) { c.Proxy.User = "al ice" },
			want: []want{{"proxy.user", "embedded spaces are not allowed"}}},
		{name: "user with a bad character", base: fullDual, mod: func(c *Config) { c.Proxy.User = "alice!" },
			want: []want{{"proxy.user", `character '!' at position 6 is not allowed`}}},
		{name: "user with two backslashes", base: fullDual, mod: func(c *Config) { c.Proxy.User = `a\b\c` },
			want: []want{{"proxy.user", "2 backslashes; at most one"}}},
		{name: "user with leading backslash", base: fullDual, mod: func(c *Config) { c.Proxy.User = `\alice` },
			want: []want{{"proxy.user", "needs a domain before and a user after"}}},
		{name: "user too long", base: fullDual, mod: func(c *Config) { c.Proxy.User = strings.Repeat("u", 33) },
			want: []want{{"proxy.user", "33 characters; at most 32"}}},
		{name: "password without user", base: fullDual, mod: func(c *Config) { c.Proxy.User = "" },
			want: []want{{"proxy.password", "set without a proxy user"}}},
		{name: "password too long", base: fullDual, mod: func(c *Config) { c.Proxy.Password = NewSecret(strings.Repeat("p", 17)) },
			want: []want{{"proxy.password", "longer than 16 characters"}}},
		{name: "password with a colon", base: fullDual, mod: func(c *Config) { c.Proxy.Password = NewSecret("pass:word") },
			want: []want{{"proxy.password", "the character at position 5 is not allowed"}}},

		// Platform-pushed settings.
		{name: "4095 scanning VLANs", base: fullDual, mod: func(c *Config) {
			c.VLAN = 0
			c.Platform.ScanVLANs = manyVLANs(4095)
		}, want: []want{{"platform.scan_vlans", "4095 VLANs; at most 4094"}, {"platform.scan_vlans[4094].id", "4095 is out of range; allowed: 1-4094"}}},
		{name: "scanning VLAN 0", base: fullDual, mod: func(c *Config) { c.Platform.ScanVLANs[0].ID = 0 },
			want: []want{{"platform.scan_vlans[0].id", "0 is out of range"}}},
		{name: "duplicate scanning VLAN", base: fullDual, mod: func(c *Config) { c.Platform.ScanVLANs[2].ID = 30 },
			want: []want{{"platform.scan_vlans[2].id", "VLAN 30 appears more than once (also at scan_vlans[0])"}}},
		{name: "scanning VLAN is the panel VLAN", base: fullDual, mod: func(c *Config) { c.Platform.ScanVLANs[1].ID = 20 },
			want: []want{{"platform.scan_vlans[1].id", "VLAN 20 is the LAN VLAN set from the panel"}}},
		{name: "scanning VLAN without address", base: fullDual, mod: func(c *Config) { c.Platform.ScanVLANs[1].Address = netip.Prefix{} },
			want: []want{{"platform.scan_vlans[1].address", "required; give the box's address and netmask on VLAN 31"}}},
		{name: "scanning VLAN on a broadcast address", base: fullDual, mod: func(c *Config) { c.Platform.ScanVLANs[1].Address = pfx("10.31.0.255/24") },
			want: []want{{"platform.scan_vlans[1].address", "network or broadcast"}}},
		{name: "scanning VLANs on overlapping subnets", base: fullDual, mod: func(c *Config) { c.Platform.ScanVLANs[1].Address = pfx("10.30.0.6/16") },
			want: []want{{"platform.scan_vlans[0].address", "subnet 10.30.0.0/24 overlaps VLAN 31's subnet (10.30.0.0/16)"}}},
		{name: "scanning VLAN on the LAN subnet", base: fullDual, mod: func(c *Config) { c.Platform.ScanVLANs[0].Address = pfx("192.0.2.99/25") },
			want: []want{{"platform.scan_vlans[0].address", "overlaps the LAN subnet (192.0.2.0/24)"}}},
		{name: "IPv6 scanning VLAN on the IPv6-only LAN subnet", base: fullV6, mod: func(c *Config) {
			c.Platform.ScanVLANs = []ScanVLAN{{ID: 7, Address: pfx("2001:db8::99/64")}}
		}, want: []want{{"platform.scan_vlans[0].address", "overlaps the LAN subnet (2001:db8::/64)"}}},
		// A 9,000-character name was stored (issue 12): names are labels.
		{name: "scanning VLAN name too long", base: fullDual, mod: func(c *Config) { c.Platform.ScanVLANs[1].Name = strings.Repeat("v", 9000) },
			want: []want{{"platform.scan_vlans[1].name", "9000 bytes long; at most 64 allowed"}}},
		{name: "scanning VLAN name of 64 bytes", base: fullDual, mod: func(c *Config) { c.Platform.ScanVLANs[1].Name = strings.Repeat("é", 32) }},
		{name: "scanning VLAN name not UTF-8", base: fullDual, mod: func(c *Config) { c.Platform.ScanVLANs[0].Name = "lab\xff" },
			want: []want{{"platform.scan_vlans[0].name", "not valid UTF-8"}}},
		{name: "route name too long", base: fullDual, mod: func(c *Config) {
			c.Platform.Routes = []Route{{Name: strings.Repeat("r", 65), Destination: pfx("10.40.0.0/16"), Gateway: addr("10.30.0.1")}}
		}, want: []want{{"platform.routes[0].name", "65 bytes long; at most 64 allowed"}}},
		{name: "100 routes", base: fullDual, mod: func(c *Config) { c.Platform.Routes = manyRoutes(100) },
			want: []want{{"platform.routes", "100 routes; at most 99"}}},
		{name: "bad routes", base: fullDual, mod: func(c *Config) {
			c.Platform.Routes = []Route{
				{Destination: pfx("0.0.0.0/0"), Gateway: addr("10.30.0.1")},
				{Destination: pfx("10.40.1.2/16"), Gateway: addr("10.30.0.1")},
				{Destination: pfx("10.50.0.0/16"), Gateway: addr("2001:db8::1")},
				{Destination: pfx("10.60.0.0/16")},
				{Destination: pfx("10.50.0.0/16"), Gateway: addr("224.0.0.9")},
				{Gateway: addr("10.30.0.1")},
			}
		}, want: []want{
			{"platform.routes[0].destination", "default route, which cannot be pushed"},
			{"platform.routes[1].destination", "has host bits set; write the network, 10.40.0.0/16"},
			{"platform.routes[2].gateway", "not of the destination's address family"},
			{"platform.routes[3].gateway", "required"},
			{"platform.routes[4].destination", "10.50.0.0/16 appears more than once (also at routes[2])"},
			{"platform.routes[4].gateway", "multicast"},
			{"platform.routes[5].destination", "required"},
		}},
		{name: "IPv6 for scanning auto with an address", base: fullDual, mod: func(c *Config) { c.Platform.ScanIPv6.Method = ScanIPv6Auto },
			want: []want{{"platform.scan_ipv6", "set while IPv6 for scanning is auto"}}},
		{name: "IPv6 for scanning static without address", base: fullDual, mod: func(c *Config) {
			c.Platform.ScanIPv6 = ScanIPv6{Method: ScanIPv6Static}
		}, want: []want{{"platform.scan_ipv6.address", "required"}}},
		{name: "IPv6 for scanning gateway outside", base: fullDual, mod: func(c *Config) { c.Platform.ScanIPv6.Gateway = addr("2001:db8:2::1") },
			want: []want{{"platform.scan_ipv6.gateway", "outside the subnet 2001:db8:1::/64"}}},
		{name: "unknown IPv6 scanning method", base: fullDual, mod: func(c *Config) { c.Platform.ScanIPv6 = ScanIPv6{Method: 5} },
			want: []want{{"platform.scan_ipv6.method", "allowed: off, auto, static"}}},

		// Several problems at once are all reported.
		{name: "every problem reported", base: fullDual, mod: func(c *Config) {
			c.LAN.Gateway = addr("10.9.9.9")
			c.VLAN = 5000
			c.Proxy.Port = 70000
			c.Proxy.Scheme = "socks4"
			c.WAN.DNS1 = netip.Addr{}
			c.Platform.Routes[0].Gateway = netip.Addr{}
		}, want: []want{
			{"lan.gateway", "outside"}, {"wan.dns1", "required"}, {"vlan", "5000"},
			{"proxy.scheme", "SOCKS"}, {"proxy.port", "70000"}, {"platform.routes[0].gateway", "required"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.base()
			if tc.mod != nil {
				tc.mod(&c)
			}
			err := c.Validate()
			got := Problems(err)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(got), len(tc.want), err)
			}
			for i, w := range tc.want {
				if got[i].Field != w.field || !strings.Contains(got[i].Problem, w.text) {
					t.Errorf("problem %d = %q, want field %q containing %q", i, got[i], w.field, w.text)
				}
			}
			if err != nil && strings.Contains(err.Error(), c.Proxy.Password.Reveal()) && !c.Proxy.Password.IsZero() {
				t.Errorf("error reveals the proxy password: %v", err)
			}
		})
	}
}

// manyVLANs returns n scanning VLANs with IDs 1..n (n may exceed 4094) on
// distinct /30 subnets of 10.0.0.0/8.
func manyVLANs(n int) []ScanVLAN {
	out := make([]ScanVLAN, n)
	for i := range out {
		out[i] = ScanVLAN{ID: i + 1, Address: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 6), byte(i&63) << 2, 1}), 30)}
	}
	return out
}

func manyRoutes(n int) []Route {
	out := make([]Route, n)
	for i := range out {
		out[i] = Route{Destination: netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, byte(i), 0}), 24), Gateway: addr("10.30.0.1")}
	}
	return out
}

func TestValidateNeverRevealsPassword(t *testing.T) {
	// A password that breaks every password rule, inside a config that
	// breaks many others: no message may contain it or a part of it.
	const pw = "Zq9:Zq9:Zq9:Zq9:Zq9:"
	c := fullDual()
	c.Proxy.Password = NewSecret(pw)
	c.Proxy.User = ""
	c.Proxy.Port = 0
	err := c.Validate()
	if len(Problems(err)) < 3 {
		t.Fatalf("want at least 3 problems, got %v", err)
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, "Zq9") {
			t.Errorf("output reveals the password: %s", s)
		}
	}
}

func TestCheckSplitSubnets(t *testing.T) {
	tests := []struct {
		lan, wan string
		same     bool
	}{
		{"192.0.2.10/24", "198.51.100.10/24", false},
		{"192.0.2.10/24", "192.0.2.20/24", true},
		{"192.0.2.10/25", "192.0.2.200/25", false},
		{"10.1.2.3/8", "10.200.0.1/24", true},
	}
	for _, tc := range tests {
		err := CheckSplitSubnets(pfx(tc.lan), pfx(tc.wan))
		if (err != nil) != tc.same {
			t.Errorf("CheckSplitSubnets(%s, %s) = %v, want same subnet %v", tc.lan, tc.wan, err, tc.same)
		}
	}
}

func TestProblemsOrderAndUnwrap(t *testing.T) {
	c := fullDual()
	c.VLAN = 9999
	c.Proxy.Port = -5
	err := fmt.Errorf("apply: %w", c.Validate())
	var fields []string
	for _, p := range Problems(err) {
		fields = append(fields, p.Field)
	}
	if !slices.Equal(fields, []string{"vlan", "proxy.port"}) {
		t.Errorf("Problems through a wrapped error = %v", fields)
	}
}
