// Package netapply turns a static netcfg.Config into kernel network state
// and applies it with netlink, as a diff from the state in force.
//
// netmgrd derives the wanted State with Desired, reads the state in force
// with Observe, and calls Apply, which changes only what differs, reports
// each change it made, and on failure undoes the changes already made, in
// reverse, so the box is left as it was. Applying the same State twice
// changes nothing.
//
// Scope: IPv4+v6 mode with a static LAN (and, for split networking, a
// static WAN): links up, IPv4 addresses, default routes, the platform's
// static routes, split networking's policy routing (a management routing
// table and an "ip rule" from the WAN address to it) and forwarding off.
// DHCP, IPv6 and resolver configuration are not handled here. 802.1Q VLAN
// sub-interfaces are described in the State but created only when asked
// (WithVLANs); a kernel without 802.1Q support yields ErrNoVLANSupport.
package netapply

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"picket.dev/picket/src/netcfg"
)

// Routing identifiers used for split networking. Management traffic is
// sourced from the WAN address; the rule sends it to ManagementTable, whose
// default route leaves by WAN. Everything else (scan traffic) uses the main
// table, whose default route leaves by LAN.
const (
	ManagementTable = 100
	// ManagementRulePriority sits before the main table's rule (32766) so
	// that WAN-sourced traffic never reaches the LAN default route.
	ManagementRulePriority = 1000
	mainTable              = 254
)

// ErrNoVLANSupport is returned (wrapped) when the kernel cannot create an
// 802.1Q VLAN link, e.g. it has no 8021q module and cannot load one.
var ErrNoVLANSupport = errors.New("kernel has no 802.1Q VLAN support")

// State is the kernel network state netapply manages. Its slices are kept
// sorted (see Normalize) so that two States compare with reflect.DeepEqual.
type State struct {
	Links  []Link  // links that exist, and whether they are up
	VLANs  []VLAN  // 802.1Q sub-interfaces
	Addrs  []Addr  // IPv4 addresses
	Routes []Route // IPv4 routes other than the kernel's own (proto kernel)
	Rules  []Rule  // IPv4 policy rules to tables other than local/main/default
	// Sysctls maps paths under /proc/sys ("net/ipv4/ip_forward") to values.
	Sysctls map[string]string
}

// Link is a network interface and its administrative state.
type Link struct {
	Name string
	Up   bool
}

// VLAN is an 802.1Q sub-interface Name with tag ID on Parent.
type VLAN struct {
	Name   string
	Parent string
	ID     int
}

// Addr is an address with its prefix length on a link.
type Addr struct {
	Link   string
	Prefix netip.Prefix
	// NoPrefixRoute stops the kernel from adding the subnet's route to the
	// main table (IFA_F_NOPREFIXROUTE). The WAN address carries it so that
	// the main table, which scan traffic uses, has no route out of WAN.
	NoPrefixRoute bool
}

// Route is an IPv4 route. A route without Gateway is on-link (scope link).
type Route struct {
	Table   int
	Dst     netip.Prefix // 0.0.0.0/0 for a default route
	Gateway netip.Addr
	Link    string
}

// Rule is an IPv4 policy rule "from Src lookup Table" at Priority.
type Rule struct {
	Priority int
	Src      netip.Prefix
	Table    int
}

func (l Link) String() string {
	if l.Up {
		return l.Name + " up"
	}
	return l.Name + " down"
}
func (v VLAN) String() string { return fmt.Sprintf("vlan %s (id %d on %s)", v.Name, v.ID, v.Parent) }
func (a Addr) String() string {
	if a.NoPrefixRoute {
		return fmt.Sprintf("address %s on %s noprefixroute", a.Prefix, a.Link)
	}
	return fmt.Sprintf("address %s on %s", a.Prefix, a.Link)
}
func (r Route) String() string {
	s := "route " + r.Dst.String()
	if r.Gateway.IsValid() {
		s += " via " + r.Gateway.String()
	}
	return fmt.Sprintf("%s dev %s table %d", s, r.Link, r.Table)
}
func (r Rule) String() string {
	return fmt.Sprintf("rule %d from %s lookup %d", r.Priority, r.Src, r.Table)
}

// Sysctl keys Desired sets.
const (
	sysIPv4Forward = "net/ipv4/ip_forward"
	sysIPv6Forward = "net/ipv6/conf/all/forwarding"
)

// promoteSecondaries is the per-link sysctl that keeps the other addresses
// of a subnet when its primary address is removed. Without it, replacing
// 192.0.2.10/24 by 192.0.2.20/24 would delete the new address along with
// the old one (the kernel flushes secondaries of a removed primary).
func promoteSecondaries(link string) string {
	return "net/ipv4/conf/" + link + "/promote_secondaries"
}

var defaultV4 = netip.PrefixFrom(netip.IPv4Unspecified(), 0)

// Desired returns the state a static configuration asks for on a board
// whose LAN and WAN interfaces are named lan and wan. wan is empty on a
// board without a WAN port; a WAN port is kept down unless split
// networking is on.
//
// It returns an error for what it cannot express: DHCP on LAN or WAN,
// IPv6-only mode and IPv6 for scanning. cfg should have passed Validate.
func Desired(cfg netcfg.Config, lan, wan string) (State, error) {
	var s State
	switch {
	case cfg.Mode != netcfg.ModeDual:
		return s, fmt.Errorf("desired state: %s mode is not supported by netapply (IPv4+v6 static only)", cfg.Mode)
	case cfg.LAN.Method != netcfg.IPv4Static:
		return s, fmt.Errorf("desired state: LAN method %s: only a static LAN is applied by netapply", cfg.LAN.Method)
	case cfg.WAN.Method == netcfg.WANDHCP:
		return s, errors.New("desired state: WAN method dhcp: only a static WAN is applied by netapply")
	case cfg.Platform.ScanIPv6.Method != netcfg.ScanIPv6Off:
		return s, fmt.Errorf("desired state: IPv6 for scanning (%s) is not supported by netapply", cfg.Platform.ScanIPv6.Method)
	case lan == "":
		return s, errors.New("desired state: board has no LAN interface name")
	case cfg.WAN.Split() && wan == "":
		return s, errors.New("desired state: split networking is on but the board has no WAN interface")
	}
	// Forwarding stays off in every configuration: nothing is ever routed
	// between LAN and WAN (network spec, "Interfaces and traffic").
	s.Sysctls = map[string]string{sysIPv4Forward: "0", sysIPv6Forward: "0"}

	s.Links = append(s.Links, Link{Name: lan, Up: true})
	s.Sysctls[promoteSecondaries(lan)] = "1"
	// With a panel VLAN the LAN's address and routes live on the VLAN
	// sub-interface; the parent only carries tagged frames.
	lanIf := lan
	if cfg.VLAN != 0 {
		lanIf = vlanName(lan, cfg.VLAN)
		s.VLANs = append(s.VLANs, VLAN{Name: lanIf, Parent: lan, ID: cfg.VLAN})
		s.Links = append(s.Links, Link{Name: lanIf, Up: true})
		s.Sysctls[promoteSecondaries(lanIf)] = "1"
	}
	s.Addrs = append(s.Addrs, Addr{Link: lanIf, Prefix: cfg.LAN.Address})
	s.Routes = append(s.Routes, Route{Table: mainTable, Dst: defaultV4, Gateway: cfg.LAN.Gateway, Link: lanIf})

	for _, v := range cfg.Platform.ScanVLANs {
		name := vlanName(lan, v.ID)
		s.VLANs = append(s.VLANs, VLAN{Name: name, Parent: lan, ID: v.ID})
		s.Links = append(s.Links, Link{Name: name, Up: true})
		s.Addrs = append(s.Addrs, Addr{Link: name, Prefix: v.Address})
		s.Sysctls[promoteSecondaries(name)] = "1"
	}
	for _, r := range cfg.Platform.Routes {
		if !r.Destination.Addr().Is4() {
			return State{}, fmt.Errorf("desired state: route %s: IPv6 routes are not supported by netapply", r.Destination)
		}
		s.Routes = append(s.Routes, Route{Table: mainTable, Dst: r.Destination.Masked(), Gateway: r.Gateway, Link: lanIf})
	}

	if wan != "" {
		// WAN is used only for split networking; otherwise it stays down
		// so the box has no presence on it at all.
		s.Links = append(s.Links, Link{Name: wan, Up: cfg.WAN.Split()})
		s.Sysctls[promoteSecondaries(wan)] = "1"
	}
	if cfg.WAN.Split() {
		s.Addrs = append(s.Addrs, Addr{Link: wan, Prefix: cfg.WAN.Address, NoPrefixRoute: true})
		// The management table holds WAN's own subnet and its default
		// route, so management traffic never falls through to LAN. The
		// subnet is in that table only (the address has no prefix route),
		// so scan traffic to a host on the WAN subnet still leaves by LAN.
		s.Routes = append(s.Routes,
			Route{Table: ManagementTable, Dst: cfg.WAN.Address.Masked(), Link: wan},
			Route{Table: ManagementTable, Dst: defaultV4, Gateway: cfg.WAN.Gateway, Link: wan},
		)
		s.Rules = append(s.Rules, Rule{
			Priority: ManagementRulePriority,
			Src:      netip.PrefixFrom(cfg.WAN.Address.Addr(), 32),
			Table:    ManagementTable,
		})
	}
	s.Normalize()
	return s, nil
}

// vlanName is the conventional "<parent>.<id>" name; it fits IFNAMSIZ for
// the boards' short interface names.
func vlanName(parent string, id int) string { return parent + "." + strconv.Itoa(id) }

// Normalize sorts s's lists into their canonical order and removes
// duplicates, so equal states compare equal.
func (s *State) Normalize() {
	slices.SortFunc(s.Links, func(a, b Link) int { return cmp.Compare(a.Name, b.Name) })
	s.Links = slices.CompactFunc(s.Links, func(a, b Link) bool { return a.Name == b.Name })
	slices.SortFunc(s.VLANs, func(a, b VLAN) int { return cmp.Compare(a.Name, b.Name) })
	s.VLANs = slices.Compact(s.VLANs)
	slices.SortFunc(s.Addrs, func(a, b Addr) int {
		return cmp.Or(cmp.Compare(a.Link, b.Link), a.Prefix.Addr().Compare(b.Prefix.Addr()), cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()))
	})
	s.Addrs = slices.Compact(s.Addrs)
	slices.SortFunc(s.Routes, func(a, b Route) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), a.Dst.Addr().Compare(b.Dst.Addr()), cmp.Compare(a.Dst.Bits(), b.Dst.Bits()),
			a.Gateway.Compare(b.Gateway), cmp.Compare(a.Link, b.Link))
	})
	s.Routes = slices.Compact(s.Routes)
	slices.SortFunc(s.Rules, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), a.Src.Addr().Compare(b.Src.Addr()), cmp.Compare(a.Src.Bits(), b.Src.Bits()), cmp.Compare(a.Table, b.Table))
	})
	s.Rules = slices.Compact(s.Rules)
}
