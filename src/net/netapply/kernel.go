package netapply

import (
	"errors"
	"net/netip"
	"strings"
)

// Kernel is the network state of one network namespace as the network
// manager reads and changes it: links, addresses, routes, policy rules,
// the neighbour table and the sysctls under /proc/sys/net. It is the one
// way to the kernel's routing netlink: Netlink is the kernel's (the mains
// open it), and package simnet has a simulated one that runs the same
// network manager without root and without touching an interface.
//
// Names are the kernel's interface names; an operation on a link that does
// not exist fails. Listing methods return what is in force now.
type Kernel interface {
	// Links lists every link.
	Links() ([]KernelLink, error)
	// Addrs lists every IPv4 and IPv6 address of every link.
	Addrs() ([]KernelAddr, error)
	// Routes lists the unicast, single-path routes of every table but the
	// local one, IPv4 and IPv6.
	Routes() ([]KernelRoute, error)
	// Rules lists the IPv4 policy rules.
	Rules() ([]Rule, error)
	// Neighbours lists the neighbour entries of one family (IPv6 when v6)
	// on link, or on every link when link is "".
	Neighbours(link string, v6 bool) ([]Neighbour, error)
	// ProbeNeighbour sets n's entry on link to PROBE, so that the kernel
	// re-verifies it at once with a unicast probe.
	ProbeNeighbour(link string, n Neighbour) error

	SetLinkUp(name string, up bool) error
	AddVLAN(v VLAN) error
	DeleteLink(name string) error
	AddAddr(a Addr) error
	DeleteAddr(a Addr) error
	// AddRoute adds r with the static protocol (so Routes shows it as not
	// the kernel's own). DeleteRoute deletes the route of that table,
	// destination, gateway, link and metric, whoever made it.
	AddRoute(r Route) error
	DeleteRoute(r Route) error
	AddRule(r Rule) error
	DeleteRule(r Rule) error

	// ReadSysctl and WriteSysctl read and write a key under /proc/sys of
	// the namespace ("net/ipv4/ip_forward"). Writing a key that does not
	// exist fails (fs.ErrNotExist), as reading one does.
	ReadSysctl(key string) (string, error)
	WriteSysctl(key, value string) error

	// Watch signals on the returned channel (without queueing: one signal
	// may stand for many) each time a link, address or route changes,
	// until done is closed.
	Watch(done <-chan struct{}) (<-chan struct{}, error)
}

// ErrInterrupted is returned (wrapped) by a listing that the kernel
// changed while it was read and that may be incomplete; reading again
// helps.
var ErrInterrupted = errors.New("netlink dump interrupted by a concurrent change")

// KernelLink is a link as the kernel shows it.
type KernelLink struct {
	Name  string
	Index int
	// Up is the administrative state (IFF_UP).
	Up bool
	// Carrier is true when the link is up and has carrier (IFF_LOWER_UP,
	// operational state up or unknown).
	Carrier bool
	// MAC is the hardware address, colon-separated lower-case hex.
	MAC string
	// VLAN is the 802.1Q tag and Parent the parent link of a VLAN link;
	// both zero for any other link.
	VLAN   int
	Parent string
}

// KernelAddr is an address as the kernel shows it.
type KernelAddr struct {
	Addr
	// Permanent is IFA_F_PERMANENT: configured, not SLAAC or temporary
	// (whose lifetimes the kernel runs).
	Permanent bool
	// Tentative is IFA_F_TENTATIVE: duplicate address detection has not
	// finished, so the address cannot be used yet.
	Tentative bool
}

// KernelRoute is a route as the kernel shows it.
type KernelRoute struct {
	Route
	// Own is true for the kernel's own routes (protocol kernel: prefix
	// routes, fe80::/64) and those from router advertisements and
	// redirects (protocol ra, redirect), which netapply never manages.
	Own bool
	// RA is true for a route from a router advertisement.
	RA bool
}

// NeighState is a neighbour entry's state: the kernel's NUD_* bits.
type NeighState uint16

// Neighbour states (include/uapi/linux/neighbour.h).
const (
	NeighIncomplete NeighState = 0x01
	NeighReachable  NeighState = 0x02
	NeighStale      NeighState = 0x04
	NeighDelay      NeighState = 0x08
	NeighProbe      NeighState = 0x10
	NeighFailed     NeighState = 0x20
	NeighNoARP      NeighState = 0x40
	NeighPermanent  NeighState = 0x80
)

// String names the state's bits as ip-neigh(8) does ("STALE|PROBE").
func (s NeighState) String() string {
	names := []struct {
		bit  NeighState
		name string
	}{
		{NeighIncomplete, "INCOMPLETE"}, {NeighReachable, "REACHABLE"},
		{NeighStale, "STALE"}, {NeighDelay, "DELAY"}, {NeighProbe, "PROBE"},
		{NeighFailed, "FAILED"}, {NeighNoARP, "NOARP"}, {NeighPermanent, "PERMANENT"},
	}
	var out []string
	for _, n := range names {
		if s&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	if len(out) == 0 {
		return "NONE"
	}
	return strings.Join(out, "|")
}

// Neighbour is an ARP or NDP entry.
type Neighbour struct {
	Link  string
	IP    netip.Addr
	MAC   string // "" while unresolved
	State NeighState
}
