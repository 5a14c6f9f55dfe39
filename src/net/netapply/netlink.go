package netapply

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Netlink is the kernel's Kernel: a routing netlink socket and the sysctls
// of one network namespace. It is the only code of the box that speaks
// netlink.
type Netlink struct {
	h       *netlink.Handle
	procSys string
	own     bool // h was opened here and is closed by Close
}

var _ Kernel = (*Netlink)(nil)

// Open opens the routing netlink of the calling thread's network
// namespace. procSys is where that namespace's sysctls are ("" is
// /proc/sys; /proc/sys/net shows the namespace of the thread that reads
// it).
func Open(procSys string) (*Netlink, error) {
	// Route netlink only: with no family the library also opens XFRM and
	// netfilter sockets, which a kernel with those as unloaded modules
	// (the boxes' Debian kernel) refuses with EPROTONOSUPPORT.
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netapply: open routing netlink: %w", err)
	}
	n := NewNetlink(h, procSys)
	n.own = true
	return n, nil
}

// NewNetlink uses an open handle (one bound to another namespace, say);
// the caller keeps and closes it.
func NewNetlink(h *netlink.Handle, procSys string) *Netlink {
	if procSys == "" {
		procSys = "/proc/sys"
	}
	return &Netlink{h: h, procSys: procSys}
}

// Close closes the socket if Open opened it.
func (n *Netlink) Close() error {
	if n.own {
		n.h.Close()
	}
	return nil
}

func interrupted(what string, err error) error {
	if errors.Is(err, netlink.ErrDumpInterrupted) {
		return fmt.Errorf("%s: %w: %w", what, ErrInterrupted, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// names maps link indexes to names.
func (n *Netlink) names() (map[int]string, []netlink.Link, error) {
	links, err := n.h.LinkList()
	if err != nil {
		return nil, nil, interrupted("list links", err)
	}
	names := make(map[int]string, len(links))
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	return names, links, nil
}

// Links implements Kernel.
func (n *Netlink) Links() ([]KernelLink, error) {
	names, links, err := n.names()
	if err != nil {
		return nil, err
	}
	out := make([]KernelLink, 0, len(links))
	for _, l := range links {
		a := l.Attrs()
		kl := KernelLink{
			Name:  a.Name,
			Index: a.Index,
			Up:    a.Flags&net.FlagUp != 0,
			Carrier: a.Flags&net.FlagUp != 0 && a.RawFlags&unix.IFF_LOWER_UP != 0 &&
				(a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown),
			MAC: a.HardwareAddr.String(),
		}
		if v, ok := l.(*netlink.Vlan); ok {
			parent, ok := names[a.ParentIndex]
			if !ok {
				return nil, fmt.Errorf("list links: vlan %s: parent link index %d not found", a.Name, a.ParentIndex)
			}
			kl.VLAN, kl.Parent = v.VlanId, parent
		}
		out = append(out, kl)
	}
	return out, nil
}

// Addrs implements Kernel.
func (n *Netlink) Addrs() ([]KernelAddr, error) {
	names, _, err := n.names()
	if err != nil {
		return nil, err
	}
	list, err := n.h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, interrupted("list addresses", err)
	}
	out := make([]KernelAddr, 0, len(list))
	for _, ad := range list {
		p, ok := prefixOf(ad.IPNet)
		name, known := names[ad.LinkIndex]
		if !ok || !known {
			continue
		}
		out = append(out, KernelAddr{
			Addr:      Addr{Link: name, Prefix: p, NoPrefixRoute: ad.Flags&unix.IFA_F_NOPREFIXROUTE != 0},
			Permanent: ad.Flags&unix.IFA_F_PERMANENT != 0,
			Tentative: ad.Flags&unix.IFA_F_TENTATIVE != 0,
		})
	}
	return out, nil
}

// Routes implements Kernel.
func (n *Netlink) Routes() ([]KernelRoute, error) {
	names, _, err := n.names()
	if err != nil {
		return nil, err
	}
	var out []KernelRoute
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		// RT_FILTER_TABLE with table 0 lists every table; without it
		// netlink lists only main.
		routes, err := n.h.RouteListFiltered(family, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
		if err != nil {
			return nil, interrupted("list routes", err)
		}
		for _, r := range routes {
			if r.Table == unix.RT_TABLE_LOCAL || r.Type != unix.RTN_UNICAST || len(r.MultiPath) > 0 {
				continue
			}
			dst := defaultV4
			if family == netlink.FAMILY_V6 {
				dst = defaultV6
			}
			if r.Dst != nil {
				p, ok := prefixOf(r.Dst)
				if !ok {
					continue
				}
				dst = p.Masked()
			}
			var gw netip.Addr
			if r.Gw != nil {
				gw, _ = addrOf(r.Gw)
			}
			kr := KernelRoute{Route: Route{Table: r.Table, Dst: dst, Gateway: gw, Link: names[r.LinkIndex], Metric: r.Priority}}
			switch r.Protocol {
			case unix.RTPROT_KERNEL, unix.RTPROT_REDIRECT:
				kr.Own = true
			case unix.RTPROT_RA:
				kr.Own, kr.RA = true, true
			}
			out = append(out, kr)
		}
	}
	return out, nil
}

// Rules implements Kernel.
func (n *Netlink) Rules() ([]Rule, error) {
	rules, err := n.h.RuleListFiltered(netlink.FAMILY_V4, nil, 0)
	if err != nil {
		return nil, interrupted("list rules", err)
	}
	out := make([]Rule, 0, len(rules))
	for _, r := range rules {
		src := defaultV4
		if r.Src != nil {
			p, ok := prefixOf(r.Src)
			if !ok {
				continue
			}
			src = p
		}
		out = append(out, Rule{Priority: r.Priority, Src: src, Table: r.Table})
	}
	return out, nil
}

// Neighbours implements Kernel.
func (n *Netlink) Neighbours(link string, v6 bool) ([]Neighbour, error) {
	family := netlink.FAMILY_V4
	if v6 {
		family = netlink.FAMILY_V6
	}
	names, _, err := n.names()
	if err != nil {
		return nil, err
	}
	index := 0
	if link != "" {
		l, err := n.link(link)
		if err != nil {
			return nil, err
		}
		index = l.Attrs().Index
	}
	list, err := n.h.NeighList(index, family)
	if err != nil {
		return nil, interrupted("list neighbours", err)
	}
	out := make([]Neighbour, 0, len(list))
	for _, e := range list {
		ip, ok := addrOf(e.IP)
		if !ok {
			continue
		}
		nb := Neighbour{Link: names[e.LinkIndex], IP: ip, State: NeighState(e.State)}
		if len(e.HardwareAddr) > 0 {
			nb.MAC = e.HardwareAddr.String()
		}
		out = append(out, nb)
	}
	return out, nil
}

// ProbeNeighbour implements Kernel.
func (n *Netlink) ProbeNeighbour(link string, nb Neighbour) error {
	l, err := n.link(link)
	if err != nil {
		return err
	}
	mac, err := net.ParseMAC(nb.MAC)
	if err != nil {
		return fmt.Errorf("probe neighbour %s on %s: %w", nb.IP, link, err)
	}
	family := netlink.FAMILY_V4
	if nb.IP.Is6() && !nb.IP.Is4In6() {
		family = netlink.FAMILY_V6
	}
	e := &netlink.Neigh{LinkIndex: l.Attrs().Index, Family: family, State: unix.NUD_PROBE, IP: net.IP(nb.IP.WithZone("").AsSlice()), HardwareAddr: mac}
	if err := n.h.NeighSet(e); err != nil {
		return fmt.Errorf("probe neighbour %s on %s: %w", nb.IP, link, err)
	}
	return nil
}

func (n *Netlink) link(name string) (netlink.Link, error) {
	l, err := n.h.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("link %s: %w", name, err)
	}
	return l, nil
}

// SetLinkUp implements Kernel.
func (n *Netlink) SetLinkUp(name string, up bool) error {
	l, err := n.link(name)
	if err != nil {
		return err
	}
	if up {
		return n.h.LinkSetUp(l)
	}
	return n.h.LinkSetDown(l)
}

// AddVLAN implements Kernel.
func (n *Netlink) AddVLAN(v VLAN) error {
	parent, err := n.link(v.Parent)
	if err != nil {
		return err
	}
	err = n.h.LinkAdd(&netlink.Vlan{
		LinkAttrs: netlink.LinkAttrs{Name: v.Name, ParentIndex: parent.Attrs().Index},
		VlanId:    v.ID,
	})
	// With no "vlan" link type registered (no 8021q, and no module
	// loading), rtnetlink answers EOPNOTSUPP.
	if errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("%w: %w", ErrNoVLANSupport, err)
	}
	return err
}

// DeleteLink implements Kernel.
func (n *Netlink) DeleteLink(name string) error {
	l, err := n.link(name)
	if err != nil {
		return err
	}
	return n.h.LinkDel(l)
}

func (n *Netlink) addrOp(a Addr, add bool) error {
	l, err := n.link(a.Link)
	if err != nil {
		return err
	}
	na := &netlink.Addr{IPNet: ipNet(a.Prefix)}
	if a.NoPrefixRoute {
		na.Flags = unix.IFA_F_NOPREFIXROUTE
	}
	if a.Prefix.Addr().Is6() {
		// No duplicate address detection: the address is usable (not
		// tentative) at once, so the routes through it go in right after
		// and the connection test that follows an apply can use it. A
		// configured address is the operator's promise that it is the
		// box's; a conflict shows in the connection test instead.
		na.Flags |= unix.IFA_F_NODAD
	}
	if add {
		return n.h.AddrAdd(l, na)
	}
	return n.h.AddrDel(l, na)
}

// AddAddr implements Kernel.
func (n *Netlink) AddAddr(a Addr) error { return n.addrOp(a, true) }

// DeleteAddr implements Kernel.
func (n *Netlink) DeleteAddr(a Addr) error { return n.addrOp(a, false) }

func (n *Netlink) routeOp(r Route, add bool) error {
	l, err := n.link(r.Link)
	if err != nil {
		return err
	}
	nr := &netlink.Route{
		LinkIndex: l.Attrs().Index,
		Dst:       ipNet(r.Dst),
		Table:     r.Table,
		Protocol:  unix.RTPROT_STATIC, // not "kernel", so Routes sees it as not the kernel's
		Scope:     netlink.SCOPE_UNIVERSE,
		Family:    netlink.FAMILY_V4,
		Priority:  r.Metric,
	}
	if r.Dst.Addr().Is6() {
		nr.Family = netlink.FAMILY_V6
	}
	switch {
	case r.Gateway.IsValid() && nr.Family == netlink.FAMILY_V6 && add:
		nr.Gw = net.IP(r.Gateway.AsSlice())
		// An IPv6 gateway is a neighbour on Link by definition, but the
		// kernel refuses it unless some route already says so. In
		// automatic mode the only such route comes from the router
		// advertisement, which arrives only after this apply has set
		// accept_ra: without onlink the configured gateway would fail
		// the apply that makes the advertisement possible.
		nr.Flags = int(netlink.FLAG_ONLINK)
	case r.Gateway.IsValid():
		nr.Gw = net.IP(r.Gateway.AsSlice())
	case nr.Family == netlink.FAMILY_V4:
		// IPv6 has no route scopes; an IPv4 on-link route is scope link.
		nr.Scope = netlink.SCOPE_LINK
	}
	if add {
		return n.h.RouteAdd(nr)
	}
	// Delete by table, destination, gateway, link and metric only: the
	// route in force may have been made by someone else (another protocol)
	// and its scope is whatever the kernel chose. The metric matters for
	// IPv6, where a router advertisement's ::/0 (metric 1024) may sit next
	// to ours through the same router.
	nr.Protocol = 0
	nr.Scope = netlink.SCOPE_NOWHERE
	return n.h.RouteDel(nr)
}

// AddRoute implements Kernel.
func (n *Netlink) AddRoute(r Route) error { return n.routeOp(r, true) }

// DeleteRoute implements Kernel.
func (n *Netlink) DeleteRoute(r Route) error { return n.routeOp(r, false) }

func (n *Netlink) ruleOp(r Rule, add bool) error {
	nr := netlink.NewRule()
	nr.Family = netlink.FAMILY_V4
	nr.Priority = r.Priority
	nr.Table = r.Table
	if r.Src.Bits() > 0 {
		nr.Src = ipNet(r.Src)
	}
	if add {
		return n.h.RuleAdd(nr)
	}
	return n.h.RuleDel(nr)
}

// AddRule implements Kernel.
func (n *Netlink) AddRule(r Rule) error { return n.ruleOp(r, true) }

// DeleteRule implements Kernel.
func (n *Netlink) DeleteRule(r Rule) error { return n.ruleOp(r, false) }

// ReadSysctl implements Kernel.
func (n *Netlink) ReadSysctl(key string) (string, error) {
	b, err := os.ReadFile(filepath.Join(n.procSys, key))
	if err != nil {
		return "", fmt.Errorf("read sysctl %s: %w", key, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// WriteSysctl implements Kernel.
func (n *Netlink) WriteSysctl(key, value string) error {
	// O_WRONLY without O_CREATE: a missing key is an error, never a new file.
	f, err := os.OpenFile(filepath.Join(n.procSys, key), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("write sysctl %s: %w", key, err)
	}
	if _, err := f.WriteString(value + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write sysctl %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write sysctl %s: %w", key, err)
	}
	return nil
}

// Watch implements Kernel. It subscribes in the calling thread's
// namespace.
func (n *Netlink) Watch(done <-chan struct{}) (<-chan struct{}, error) {
	updates := make(chan struct{}, 1)
	signal := func() {
		select {
		case updates <- struct{}{}:
		default:
		}
	}
	// The library's subscriptions take a writable done channel but only
	// ever receive from it; stop bridges done to it.
	stop := make(chan struct{})
	go func() { <-done; close(stop) }()
	lch := make(chan netlink.LinkUpdate, 64)
	if err := netlink.LinkSubscribe(lch, stop); err != nil {
		return nil, fmt.Errorf("subscribe to links: %w", err)
	}
	ach := make(chan netlink.AddrUpdate, 64)
	if err := netlink.AddrSubscribe(ach, stop); err != nil {
		return nil, fmt.Errorf("subscribe to addresses: %w", err)
	}
	rch := make(chan netlink.RouteUpdate, 64)
	if err := netlink.RouteSubscribe(rch, stop); err != nil {
		return nil, fmt.Errorf("subscribe to routes: %w", err)
	}
	go func() {
		for {
			select {
			case _, ok := <-lch:
				if !ok {
					return
				}
			case _, ok := <-ach:
				if !ok {
					return
				}
			case _, ok := <-rch:
				if !ok {
					return
				}
			}
			signal()
		}
	}()
	return updates, nil
}
