// Package netapply turns a netcfg.Config into kernel network state
// and applies it with netlink, as a diff from the state in force.
//
// netmgrd derives the wanted State with Desired, reads the state in force
// with Observe, and calls Apply, which changes only what differs, reports
// each change it made, and on failure undoes the changes already made, in
// reverse, so the box is left as it was. Applying the same State twice
// changes nothing.
//
// Scope: both modes. Links up (or down), IPv4 addresses (static, or a
// DHCPv4 lease the caller learned: Dynamic), default routes, the platform's
// static routes (IPv4 and IPv6), split networking's policy routing (a
// management routing table and an "ip rule" from the WAN address to it),
// static IPv6 addresses and routes, the per-link IPv6 sysctls that let the
// kernel do SLAAC itself, and forwarding off. Running DHCP clients and the
// resolver configuration are not done here. What the kernel manages itself
// (SLAAC addresses, link-local addresses, routes from router
// advertisements, prefix routes) is never read as netapply's and so never
// removed. 802.1Q VLAN sub-interfaces are described in the State but
// created only when asked (WithVLANs); a kernel without 802.1Q support
// yields ErrNoVLANSupport.
package netapply

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"picket.dev/picket/src/net/netcfg"
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
	tableLocal             = 255
	tableDefault           = 253
)

// ErrNoVLANSupport is returned (wrapped) when the kernel cannot create an
// 802.1Q VLAN link, e.g. it has no 8021q module and cannot load one.
var ErrNoVLANSupport = errors.New("kernel has no 802.1Q VLAN support")

// State is the kernel network state netapply manages. Its slices are kept
// sorted (see Normalize) so that two States compare with reflect.DeepEqual.
type State struct {
	Links  []Link  // links that exist, and whether they are up
	VLANs  []VLAN  // 802.1Q sub-interfaces
	Addrs  []Addr  // IPv4 and permanent global IPv6 addresses
	Routes []Route // routes other than the kernel's own (see Observe)
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

// Route is an IPv4 or IPv6 route. A route without Gateway is on-link.
type Route struct {
	Table   int
	Dst     netip.Prefix // 0.0.0.0/0 or ::/0 for a default route
	Gateway netip.Addr   // may be link-local (IPv6): Link says where
	Link    string
	// Metric is the route's priority: 0 for IPv4 routes, IPv6RouteMetric
	// for the IPv6 routes Desired makes (the kernel turns an IPv6 metric of
	// 0 into 1024, so it is always explicit there).
	Metric int
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
	s = fmt.Sprintf("%s dev %s table %d", s, r.Link, r.Table)
	if r.Metric != 0 {
		s += " metric " + strconv.Itoa(r.Metric)
	}
	return s
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

// The per-link IPv6 sysctls. accept_ra and autoconf make the kernel do
// SLAAC itself (accept_ra=1 is honoured because forwarding is off);
// disable_ipv6 takes even the link-local address away.
func acceptRA(link string) string    { return "net/ipv6/conf/" + link + "/accept_ra" }
func autoconf(link string) string    { return "net/ipv6/conf/" + link + "/autoconf" }
func disableIPv6(link string) string { return "net/ipv6/conf/" + link + "/disable_ipv6" }

// sysctlLink is the link a per-link key above is about, or "".
func sysctlLink(key string) string {
	f := strings.Split(key, "/")
	if len(f) == 5 && f[0] == "net" && f[2] == "conf" {
		return f[3]
	}
	return ""
}

// linkSysctls are the per-link keys Desired sets for every link it names,
// and so the keys Observe reads for every link it is asked about.
func linkSysctls(link string) []string {
	return []string{promoteSecondaries(link), acceptRA(link), autoconf(link), disableIPv6(link)}
}

// IPv6RouteMetric is the metric of every IPv6 route netapply adds. The
// kernel gives a route learned from a router advertisement metric 1024, so
// a configured IPv6 gateway (LANv6.Gateway in automatic mode) wins over the
// advertised router, and the two never collide (the kernel refuses a second
// ::/0 with the same metric).
const IPv6RouteMetric = 512

var (
	defaultV4 = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	defaultV6 = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
)

// Ports names the board's ports as kernel interfaces.
type Ports struct {
	LAN string
	WAN string // "" on a board without a WAN port
}

// Lease4 is the part of a DHCPv4 lease that becomes kernel state.
type Lease4 struct {
	Address netip.Prefix
	Gateway netip.Addr // first router, may be invalid
}

// Dynamic is what was learned at run time.
type Dynamic struct {
	LAN4 *Lease4 // DHCPv4 lease on LAN (nil: none yet / expired)
	WAN4 *Lease4 // DHCPv4 lease on WAN (split networking with DHCP)
}

// LANDevice is the device LAN's addresses live on: ports.LAN, or
// "<lan>.<vlan>" with a panel VLAN. The network manager runs the LAN DHCP
// client on it.
func LANDevice(cfg netcfg.Config, ports Ports) string {
	if cfg.VLAN != 0 {
		return vlanName(ports.LAN, cfg.VLAN)
	}
	return ports.LAN
}

// ScanVLANDevice is the device of the platform's scanning VLAN id: an
// 802.1Q sub-interface "<lan>.<id>" of the LAN port (not of a panel
// VLAN's device), where the VLAN's address lives.
func ScanVLANDevice(ports Ports, id int) string { return vlanName(ports.LAN, id) }

// lanIPv6 is what a configuration asks of IPv6 on the LAN device.
type lanIPv6 struct {
	used bool         // IPv6 is used (else link-local only)
	auto bool         // SLAAC by the kernel (accept_ra, autoconf)
	addr netip.Prefix // static address, may be invalid
	gw   netip.Addr   // static default gateway, may be invalid
}

func ipv6Of(cfg netcfg.Config) (lanIPv6, error) {
	if cfg.Mode == netcfg.ModeIPv6Only {
		switch l := cfg.LANv6; l.Method {
		case netcfg.IPv6Auto:
			return lanIPv6{used: true, auto: true, gw: l.Gateway}, nil
		case netcfg.IPv6Static:
			return lanIPv6{used: true, addr: l.Address, gw: l.Gateway}, nil
		default:
			return lanIPv6{}, fmt.Errorf("LAN IPv6 method %d is unknown; allowed: auto, static", l.Method)
		}
	}
	switch s := cfg.Platform.ScanIPv6; s.Method {
	case netcfg.ScanIPv6Off:
		return lanIPv6{}, nil
	case netcfg.ScanIPv6Auto:
		return lanIPv6{used: true, auto: true}, nil
	case netcfg.ScanIPv6Static:
		return lanIPv6{used: true, addr: s.Address, gw: s.Gateway}, nil
	default:
		return lanIPv6{}, fmt.Errorf("IPv6 for scanning method %d is unknown; allowed: off, auto, static", s.Method)
	}
}

func boolSysctl(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Desired returns the state cfg asks for on a board with ports, given what
// was learned at run time (DHCPv4 leases). A WAN port is kept down unless
// split networking is on. cfg should have passed Validate.
//
//   - IPv4 on LAN (IPv4+v6 mode): the static address and default route, or
//     the DHCP lease's; without a lease the link is up with no address and
//     no default route. IPv6-only mode puts no IPv4 address on LAN.
//   - IPv6 on LAN: in IPv4+v6 mode as IPv6 for scanning asks (off: only the
//     kernel's link-local address; automatic: SLAAC by the kernel; static:
//     address and optional ::/0 via its gateway); in IPv6-only mode as LANv6
//     asks (automatic: SLAAC, and a configured gateway overrides the
//     advertised router; manual: address and ::/0 via its gateway). Static
//     IPv6 addresses are added with IFA_F_NODAD (see Apply).
//   - The WAN never does IPv6 (disable_ipv6=1): management traffic is IPv4.
//   - The platform's static routes leave by the LAN device. IPv4 routes are
//     left out while the LAN has no IPv4 address (IPv6-only mode, or DHCP
//     with no lease), since their gateways are unreachable then; an IPv6
//     route while IPv6 is not used on LAN is an error.
func Desired(cfg netcfg.Config, ports Ports, dyn Dynamic) (State, error) {
	lan, wan := ports.LAN, ports.WAN
	var s State
	switch {
	case lan == "":
		return s, errors.New("desired state: board has no LAN interface name")
	case cfg.Mode != netcfg.ModeDual && cfg.Mode != netcfg.ModeIPv6Only:
		return s, fmt.Errorf("desired state: unknown mode %d; allowed: ipv4+v6, ipv6-only", cfg.Mode)
	case cfg.Mode == netcfg.ModeIPv6Only && cfg.WAN.Split():
		return s, errors.New("desired state: split networking is on in IPv6-only mode; it exists only in IPv4+v6 mode")
	case cfg.WAN.Split() && wan == "":
		return s, errors.New("desired state: split networking is on but the board has no WAN interface")
	}
	v6, err := ipv6Of(cfg)
	if err != nil {
		return State{}, fmt.Errorf("desired state: %w", err)
	}
	// Forwarding stays off in every configuration: nothing is ever routed
	// between LAN and WAN (network spec, "Interfaces and traffic").
	s.Sysctls = map[string]string{sysIPv4Forward: "0", sysIPv6Forward: "0"}
	// lanLink adds a LAN-side link: up, IPv6 enabled (at least link-local),
	// SLAAC only on the LAN device and only when automatic.
	lanIf := LANDevice(cfg, ports)
	lanLink := func(name string) {
		s.Links = append(s.Links, Link{Name: name, Up: true})
		slaac := name == lanIf && v6.auto
		s.Sysctls[promoteSecondaries(name)] = "1"
		s.Sysctls[acceptRA(name)] = boolSysctl(slaac)
		s.Sysctls[autoconf(name)] = boolSysctl(slaac)
		s.Sysctls[disableIPv6(name)] = "0"
	}

	lanLink(lan)
	// With a panel VLAN the LAN's address and routes live on the VLAN
	// sub-interface; the parent only carries tagged frames.
	if lanIf != lan {
		s.VLANs = append(s.VLANs, VLAN{Name: lanIf, Parent: lan, ID: cfg.VLAN})
		lanLink(lanIf)
	}

	var lan4 *Lease4
	if cfg.Mode == netcfg.ModeDual {
		switch cfg.LAN.Method {
		case netcfg.IPv4Static:
			lan4 = &Lease4{Address: cfg.LAN.Address, Gateway: cfg.LAN.Gateway}
		case netcfg.IPv4DHCP:
			if dyn.LAN4 != nil {
				if err := dyn.LAN4.check(); err != nil {
					return State{}, fmt.Errorf("desired state: LAN lease: %w", err)
				}
				lan4 = dyn.LAN4
			}
		default:
			return State{}, fmt.Errorf("desired state: LAN method %d is unknown; allowed: dhcp, static", cfg.LAN.Method)
		}
	}
	if lan4 != nil {
		s.Addrs = append(s.Addrs, Addr{Link: lanIf, Prefix: lan4.Address})
		if lan4.Gateway.IsValid() {
			s.Routes = append(s.Routes, Route{Table: mainTable, Dst: defaultV4, Gateway: lan4.Gateway, Link: lanIf})
		}
	}
	if v6.addr.IsValid() {
		s.Addrs = append(s.Addrs, Addr{Link: lanIf, Prefix: v6.addr})
	}
	if v6.gw.IsValid() {
		s.Routes = append(s.Routes, Route{Table: mainTable, Dst: defaultV6, Gateway: v6.gw, Link: lanIf, Metric: IPv6RouteMetric})
	}

	for _, v := range cfg.Platform.ScanVLANs {
		name := ScanVLANDevice(ports, v.ID)
		s.VLANs = append(s.VLANs, VLAN{Name: name, Parent: lan, ID: v.ID})
		lanLink(name)
		s.Addrs = append(s.Addrs, Addr{Link: name, Prefix: v.Address})
	}
	for _, r := range cfg.Platform.Routes {
		switch {
		case r.Destination.Addr().Is4() && lan4 != nil:
			s.Routes = append(s.Routes, Route{Table: mainTable, Dst: r.Destination.Masked(), Gateway: r.Gateway, Link: lanIf})
		case r.Destination.Addr().Is4():
			// No IPv4 on LAN (yet): the gateway cannot be reached.
		case v6.used:
			s.Routes = append(s.Routes, Route{Table: mainTable, Dst: r.Destination.Masked(), Gateway: r.Gateway, Link: lanIf, Metric: IPv6RouteMetric})
		default:
			return State{}, fmt.Errorf("desired state: route %s via %s: IPv6 is not in use on LAN (IPv6 for scanning is off); set IPv6 for scanning to automatic or static, or remove the route", r.Destination, r.Gateway)
		}
	}

	if wan != "" {
		// WAN is used only for split networking; otherwise it stays down
		// so the box has no presence on it at all. It never does IPv6.
		s.Links = append(s.Links, Link{Name: wan, Up: cfg.WAN.Split()})
		s.Sysctls[promoteSecondaries(wan)] = "1"
		s.Sysctls[acceptRA(wan)] = "0"
		s.Sysctls[autoconf(wan)] = "0"
		s.Sysctls[disableIPv6(wan)] = "1"
	}
	var wan4 *Lease4
	switch cfg.WAN.Method {
	case netcfg.WANOff:
	case netcfg.WANStatic:
		wan4 = &Lease4{Address: cfg.WAN.Address, Gateway: cfg.WAN.Gateway}
	case netcfg.WANDHCP:
		if dyn.WAN4 != nil {
			if err := dyn.WAN4.check(); err != nil {
				return State{}, fmt.Errorf("desired state: WAN lease: %w", err)
			}
			wan4 = dyn.WAN4
		}
	default:
		return State{}, fmt.Errorf("desired state: WAN method %d is unknown; allowed: off, dhcp, static", cfg.WAN.Method)
	}
	if wan4 != nil {
		s.Addrs = append(s.Addrs, Addr{Link: wan, Prefix: wan4.Address, NoPrefixRoute: true})
		// The management table holds WAN's own subnet and its default
		// route, so management traffic never falls through to LAN. The
		// subnet is in that table only (the address has no prefix route),
		// so scan traffic to a host on the WAN subnet still leaves by LAN.
		s.Routes = append(s.Routes, Route{Table: ManagementTable, Dst: wan4.Address.Masked(), Link: wan})
		if wan4.Gateway.IsValid() {
			s.Routes = append(s.Routes, Route{Table: ManagementTable, Dst: defaultV4, Gateway: wan4.Gateway, Link: wan})
		}
		s.Rules = append(s.Rules, Rule{
			Priority: ManagementRulePriority,
			Src:      netip.PrefixFrom(wan4.Address.Addr(), 32),
			Table:    ManagementTable,
		})
	}
	s.Normalize()
	return s, nil
}

// check refuses a lease that cannot become IPv4 kernel state.
func (l *Lease4) check() error {
	if !l.Address.IsValid() || !l.Address.Addr().Is4() || l.Address.Bits() == 0 {
		return fmt.Errorf("address %s is not an IPv4 address with a prefix length 1-32", l.Address)
	}
	if l.Gateway.IsValid() && !l.Gateway.Is4() {
		return fmt.Errorf("gateway %s is not an IPv4 address", l.Gateway)
	}
	return nil
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
			a.Gateway.Compare(b.Gateway), cmp.Compare(a.Link, b.Link), cmp.Compare(a.Metric, b.Metric))
	})
	s.Routes = slices.Compact(s.Routes)
	slices.SortFunc(s.Rules, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), a.Src.Addr().Compare(b.Src.Addr()), cmp.Compare(a.Src.Bits(), b.Src.Bits()), cmp.Compare(a.Table, b.Table))
	})
	s.Rules = slices.Compact(s.Rules)
}
