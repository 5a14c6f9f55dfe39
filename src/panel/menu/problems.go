package menu

import (
	"strings"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/fieldedit"
)

// fieldLabels names netcfg's fields as the panel labels them, for the
// first line of a message (at most 13 characters). A function, not a
// package variable: the package holds no mutable state.
func fieldLabels() []struct{ path, label string } {
	return []struct{ path, label string }{
		{"lan.address", "LAN IP ADDR"},
		{"lan.gateway", "LAN GATEWAY"},
		{"lan.dns1", "LAN DNS1"},
		{"lan.dns2", "LAN DNS2"},
		{"lan.wins1", "LAN WINS1"},
		{"lan.wins2", "LAN WINS2"},
		{"lan.domain", "DOMAIN NAME"},
		{"lan_v6.address", "IPv6 ADDR"},
		{"lan_v6.gateway", "IPv6 GW"},
		{"lan_v6.dns1", "IPv6 DNS1"},
		{"lan_v6.dns2", "IPv6 DNS2"},
		{"lan_v6", "LAN IPv6"},
		{"lan", "LAN SETTINGS"},
		{"wan.address", "WAN IP ADDR"},
		{"wan.gateway", "WAN GATEWAY"},
		{"wan.dns1", "WAN DNS1"},
		{"wan.dns2", "WAN DNS2"},
		{"wan", "WAN SETTINGS"},
		{"vlan", "LAN VLAN"},
		{"proxy.host", "PROXY HOST"},
		{"proxy.port", "PROXY PORT"},
		{"proxy.user", "PROXY USER"},
		{"proxy.password", "PROXY PASSW"},
		{"proxy", "PROXY"},
		{"link.lan", "LAN PORT LINK"},
		{"link.wan", "WAN PORT LINK"},
		{"mode", "NETWORK MODE"},
		{"platform.scan_vlans", "SCAN VLANS"},
		{"platform.routes", "STATIC ROUTES"},
		{"platform", "PLATFORM SET"},
	}
}

// reasons turn netcfg's sentences into a second message line (at most 16
// characters); the first phrase found wins.
func reasons() []struct{ phrase, line string } {
	return []struct{ phrase, line string }{
		{"same subnet", "LAN=WAN SUBNET"},
		{"is the LAN VLAN", "PLATFORM USES IT"},
		{"outside", "OUTSIDE SUBNET"},
		{"own address", "OWN ADDRESS"},
		{"network or broadcast", "NET/BCAST ADDR"},
		{"embedded spaces", "NO SPACES INSIDE"},
		{"without a proxy user", "NEEDS PROXY USER"},
		{"without DNS1", "NEEDS DNS1"},
		{"split networking is off", "NEEDS WAN ON"},
		{"IPv6-only mode", "IPv6-ONLY MODE"},
		{"link-local", "NO LINK-LOCAL"},
		{"out of range", "OUT OF RANGE"},
		{"required", "REQUIRED"},
		{"at most", "TOO LONG"},
		{"longer than", "TOO LONG"},
		{"SOCKS", "NO SOCKS"},
		{"loopback", "LOOPBACK ADDR"},
		{"multicast", "MULTICAST ADDR"},
		{"reserved", "RESERVED ADDR"},
		{"not allowed", "NOT ALLOWED"},
		{"unknown", "UNKNOWN VALUE"},
	}
}

// labelFor returns the panel's name for a netcfg field path.
func labelFor(path string) string {
	for _, fl := range fieldLabels() {
		if pathHas(path, fl.path) {
			return fl.label
		}
	}
	return "SETTINGS"
}

// pathHas reports whether path is prefix or a field inside it.
func pathHas(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+".") || strings.HasPrefix(path, prefix+"[")
}

// firstProblem returns the first problem Validate reported.
func firstProblem(err error) *netcfg.FieldError {
	if ps := netcfg.Problems(err); len(ps) > 0 {
		return ps[0]
	}
	return &netcfg.FieldError{Field: "", Problem: err.Error()}
}

// problemMessage turns the first problem of a Validate error into a
// message that fits beside the indicators: what is wrong, then why. label,
// when set, names the field instead of netcfg's path (the procedure's own
// prompt).
func problemMessage(err error, label string) *fieldedit.Message {
	p := firstProblem(err)
	if label == "" {
		label = labelFor(p.Field)
	}
	line2 := "INVALID VALUE"
	for _, r := range reasons() {
		if strings.Contains(p.Problem, r.phrase) {
			line2 = r.line
			break
		}
	}
	return &fieldedit.Message{Line1: clip(label, fieldedit.MaxMessageLine1), Line2: clip(line2, fieldedit.MaxMessageLine2)}
}
