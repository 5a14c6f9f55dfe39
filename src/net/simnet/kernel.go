package simnet

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"picket.dev/picket/src/net/netapply"
)

// Kernel is a simulated netapply.Kernel: the links, addresses, routes,
// policy rules, neighbour table and sysctls of one network namespace, kept
// in memory. It behaves as the kernel does where the network manager can
// tell: an operation on a missing link fails, adding what exists fails
// (EEXIST), an IPv4 route needs its gateway on a connected subnet, a
// deleted link takes its addresses and routes along, and a link that
// accepts router advertisements gets a SLAAC address and a default route
// from its network's router. Refuse injects failures.
type Kernel struct {
	net *Net

	mu      sync.Mutex
	links   []*simLink
	addrs   []netapply.KernelAddr
	routes  []netapply.KernelRoute
	rules   []netapply.Rule
	neigh   []netapply.Neighbour
	sysctls map[string]string
	watch   []chan struct{}
	refuse  func(op string, arg any) error
	nextIdx int
}

var _ netapply.Kernel = (*Kernel)(nil)

type simLink struct {
	kl netapply.KernelLink
	// port is the physical port a VLAN link rides on (itself for a port).
	port string
}

// errExist, errNoDev and errUnreachable are the kernel's answers, in its
// words (EEXIST, ENODEV, ENETUNREACH).
var (
	errExist       = errors.New("file exists")
	errNoDev       = errors.New("no such device")
	errUnreachable = errors.New("network is unreachable")
	errNotFound    = errors.New("no such process")
)

func newKernel(n *Net) *Kernel {
	k := &Kernel{net: n, sysctls: map[string]string{
		"net/ipv4/ip_forward":          "0",
		"net/ipv6/conf/all/forwarding": "0",
	}, nextIdx: 1}
	k.addLinkLocked("lo", "", 0, "")
	return k
}

// Refuse makes every later change operation first call f with the
// operation's name ("AddRoute", "AddVLAN", "SetLinkUp", "WriteSysctl",
// ...) and its argument (a netapply.Route, VLAN, Addr, Rule, link name or
// sysctl key); an error from f fails the operation, which then changes
// nothing. A nil f refuses nothing.
func (k *Kernel) Refuse(f func(op string, arg any) error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refuse = f
}

func (k *Kernel) check(op string, arg any) error {
	if k.refuse == nil {
		return nil
	}
	if err := k.refuse(op, arg); err != nil {
		return fmt.Errorf("simulated kernel: %s %v: %w", op, arg, err)
	}
	return nil
}

// addLinkLocked adds a link with the sysctls the kernel makes for it.
func (k *Kernel) addLinkLocked(name, mac string, vlan int, parent string) *simLink {
	l := &simLink{kl: netapply.KernelLink{Name: name, Index: k.nextIdx, MAC: mac, VLAN: vlan, Parent: parent}, port: name}
	if parent != "" {
		l.port = k.linkLocked(parent).port
	}
	k.nextIdx++
	k.links = append(k.links, l)
	for key, v := range map[string]string{
		"net/ipv4/conf/" + name + "/promote_secondaries": "0",
		"net/ipv6/conf/" + name + "/accept_ra":           "1",
		"net/ipv6/conf/" + name + "/autoconf":            "1",
		"net/ipv6/conf/" + name + "/disable_ipv6":        "0",
	} {
		k.sysctls[key] = v
	}
	return l
}

func (k *Kernel) linkLocked(name string) *simLink {
	for _, l := range k.links {
		if l.kl.Name == name {
			return l
		}
	}
	return nil
}

func (k *Kernel) mustLink(name string) (*simLink, error) {
	l := k.linkLocked(name)
	if l == nil {
		return nil, fmt.Errorf("link %s: %w", name, errNoDev)
	}
	return l, nil
}

// changed recomputes what the kernel derives (carrier, SLAAC) and wakes
// the watchers. The caller holds k.mu.
func (k *Kernel) changed() {
	for _, l := range k.links {
		l.kl.Carrier = l.kl.Up && k.net.plugged(l.port) != nil
		if l.kl.Parent != "" {
			if p := k.linkLocked(l.kl.Parent); p != nil {
				l.kl.Carrier = l.kl.Carrier && p.kl.Carrier
			}
		}
	}
	k.autoconf()
	for _, w := range k.watch {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// autoconf is the kernel's SLAAC: a link that is up with carrier, has
// IPv6 on and accepts router advertisements, on a network whose router
// advertises a prefix, gets an address in it and a default route through
// the router (protocol ra, metric 1024); one that no longer qualifies
// loses them.
func (k *Kernel) autoconf() {
	for _, l := range k.links {
		name := l.kl.Name
		seg := k.net.plugged(l.port)
		on := seg != nil && seg.Prefix6.IsValid() && l.kl.Carrier &&
			k.sysctls["net/ipv6/conf/"+name+"/disable_ipv6"] == "0" &&
			k.sysctls["net/ipv6/conf/"+name+"/accept_ra"] != "0" &&
			k.sysctls["net/ipv6/conf/all/forwarding"] == "0"
		auto := on && k.sysctls["net/ipv6/conf/"+name+"/autoconf"] != "0"
		k.addrs = slices.DeleteFunc(k.addrs, func(a netapply.KernelAddr) bool {
			return a.Link == name && a.Prefix.Addr().Is6() && !a.Permanent && !a.Prefix.Addr().IsLinkLocalUnicast() && !auto
		})
		k.routes = slices.DeleteFunc(k.routes, func(r netapply.KernelRoute) bool { return r.Link == name && r.RA && !on })
		if auto && !slices.ContainsFunc(k.addrs, func(a netapply.KernelAddr) bool { return a.Link == name && !a.Permanent && a.Prefix.Addr().Is6() }) {
			k.addrs = append(k.addrs, netapply.KernelAddr{Addr: netapply.Addr{Link: name, Prefix: netip.PrefixFrom(hostIn(seg.Prefix6, 0x100+l.kl.Index), seg.Prefix6.Bits())}})
		}
		if on && !slices.ContainsFunc(k.routes, func(r netapply.KernelRoute) bool { return r.Link == name && r.RA }) {
			k.routes = append(k.routes, netapply.KernelRoute{Route: netapply.Route{Table: 254, Dst: netip.PrefixFrom(netip.IPv6Unspecified(), 0), Gateway: seg.Router6, Link: name, Metric: 1024}, Own: true, RA: true})
		}
	}
}

// Links implements netapply.Kernel.
func (k *Kernel) Links() ([]netapply.KernelLink, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]netapply.KernelLink, len(k.links))
	for i, l := range k.links {
		out[i] = l.kl
	}
	return out, nil
}

// Addrs implements netapply.Kernel.
func (k *Kernel) Addrs() ([]netapply.KernelAddr, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.addrs), nil
}

// Routes implements netapply.Kernel.
func (k *Kernel) Routes() ([]netapply.KernelRoute, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.routes), nil
}

// Rules implements netapply.Kernel.
func (k *Kernel) Rules() ([]netapply.Rule, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.rules), nil
}

// Neighbours implements netapply.Kernel.
func (k *Kernel) Neighbours(link string, v6 bool) ([]netapply.Neighbour, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if link != "" {
		if _, err := k.mustLink(link); err != nil {
			return nil, err
		}
	}
	var out []netapply.Neighbour
	for _, n := range k.neigh {
		if (link == "" || n.Link == link) && n.IP.Is6() == v6 {
			out = append(out, n)
		}
	}
	return out, nil
}

// ProbeNeighbour implements netapply.Kernel: the probe is answered at
// once if the neighbour is on the link's network.
func (k *Kernel) ProbeNeighbour(link string, n netapply.Neighbour) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i, e := range k.neigh {
		if e.Link == link && e.IP == n.IP {
			k.neigh[i].State = netapply.NeighProbe
			if k.net.answers(k.linkLocked(link), n.IP) {
				k.neigh[i].State = netapply.NeighReachable
			}
			return nil
		}
	}
	return fmt.Errorf("neighbour %s on %s: %w", n.IP, link, errNotFound)
}

// resolved records that the box resolved ip on link (a ping or a
// connection to it), as ARP or NDP would. The entry is STALE, as a
// kernel's is once its reachable time has passed, which the simulation
// does not count: it shows REACHABLE only after a probe.
func (k *Kernel) resolved(link string, ip netip.Addr, mac string) {
	for i, e := range k.neigh {
		if e.Link == link && e.IP == ip {
			k.neigh[i].MAC = mac
			return
		}
	}
	k.neigh = append(k.neigh, netapply.Neighbour{Link: link, IP: ip, MAC: mac, State: netapply.NeighStale})
}

// SetLinkUp implements netapply.Kernel. Taking a link down drops the
// IPv4 routes through it, as the kernel does.
func (k *Kernel) SetLinkUp(name string, up bool) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	l, err := k.mustLink(name)
	if err != nil {
		return err
	}
	if err := k.check("SetLinkUp", name); err != nil {
		return err
	}
	l.kl.Up = up
	if !up {
		k.routes = slices.DeleteFunc(k.routes, func(r netapply.KernelRoute) bool { return r.Link == name && r.Dst.Addr().Is4() })
		k.neigh = slices.DeleteFunc(k.neigh, func(n netapply.Neighbour) bool { return n.Link == name })
	}
	k.changed()
	return nil
}

// AddVLAN implements netapply.Kernel.
func (k *Kernel) AddVLAN(v netapply.VLAN) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	p, err := k.mustLink(v.Parent)
	if err != nil {
		return err
	}
	if k.linkLocked(v.Name) != nil {
		return fmt.Errorf("add %s: %w", v, errExist)
	}
	if err := k.check("AddVLAN", v); err != nil {
		return err
	}
	k.addLinkLocked(v.Name, p.kl.MAC, v.ID, v.Parent)
	k.changed()
	return nil
}

// DeleteLink implements netapply.Kernel.
func (k *Kernel) DeleteLink(name string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.mustLink(name); err != nil {
		return err
	}
	if err := k.check("DeleteLink", name); err != nil {
		return err
	}
	k.links = slices.DeleteFunc(k.links, func(l *simLink) bool { return l.kl.Name == name })
	k.addrs = slices.DeleteFunc(k.addrs, func(a netapply.KernelAddr) bool { return a.Link == name })
	k.routes = slices.DeleteFunc(k.routes, func(r netapply.KernelRoute) bool { return r.Link == name })
	k.neigh = slices.DeleteFunc(k.neigh, func(n netapply.Neighbour) bool { return n.Link == name })
	for key := range k.sysctls {
		if strings.Contains(key, "/conf/"+name+"/") {
			delete(k.sysctls, key)
		}
	}
	k.changed()
	return nil
}

// AddAddr implements netapply.Kernel. An address without NoPrefixRoute
// brings its subnet's route (the kernel's own).
func (k *Kernel) AddAddr(a netapply.Addr) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.mustLink(a.Link); err != nil {
		return err
	}
	for _, x := range k.addrs {
		if x.Link == a.Link && x.Prefix.Addr() == a.Prefix.Addr() {
			return fmt.Errorf("add %s: %w", a, errExist)
		}
	}
	if err := k.check("AddAddr", a); err != nil {
		return err
	}
	k.addrs = append(k.addrs, netapply.KernelAddr{Addr: a, Permanent: true})
	if !a.NoPrefixRoute {
		k.routes = append(k.routes, netapply.KernelRoute{Route: netapply.Route{Table: 254, Dst: a.Prefix.Masked(), Link: a.Link}, Own: true})
	}
	k.changed()
	return nil
}

// DeleteAddr implements netapply.Kernel.
func (k *Kernel) DeleteAddr(a netapply.Addr) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.mustLink(a.Link); err != nil {
		return err
	}
	i := slices.IndexFunc(k.addrs, func(x netapply.KernelAddr) bool { return x.Link == a.Link && x.Prefix == a.Prefix })
	if i < 0 {
		return fmt.Errorf("delete %s: cannot assign requested address", a)
	}
	if err := k.check("DeleteAddr", a); err != nil {
		return err
	}
	k.addrs = slices.Delete(k.addrs, i, i+1)
	k.routes = slices.DeleteFunc(k.routes, func(r netapply.KernelRoute) bool {
		return r.Own && !r.RA && r.Link == a.Link && r.Dst == a.Prefix.Masked() && !r.Gateway.IsValid()
	})
	k.changed()
	return nil
}

// onLink says whether gw is on a subnet connected to link (an address's
// prefix or a route without gateway). The caller holds k.mu.
func (k *Kernel) onLink(link string, gw netip.Addr) bool {
	for _, a := range k.addrs {
		if a.Link == link && a.Prefix.Masked().Contains(gw) {
			return true
		}
	}
	for _, r := range k.routes {
		if r.Link == link && !r.Gateway.IsValid() && r.Dst.Contains(gw) {
			return true
		}
	}
	return false
}

// AddRoute implements netapply.Kernel.
func (k *Kernel) AddRoute(r netapply.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	l, err := k.mustLink(r.Link)
	if err != nil {
		return err
	}
	for _, x := range k.routes {
		if x.Table == r.Table && x.Dst == r.Dst && x.Metric == r.Metric && (r.Dst.Addr().Is4() || x.Gateway == r.Gateway) {
			return fmt.Errorf("add %s: %w", r, errExist)
		}
	}
	// An IPv4 gateway must be on a connected subnet and the link up; IPv6
	// routes are added on-link (netapply.Netlink sets the flag).
	if r.Dst.Addr().Is4() && (!l.kl.Up || r.Gateway.IsValid() && !k.onLink(r.Link, r.Gateway)) {
		return fmt.Errorf("add %s: %w", r, errUnreachable)
	}
	if err := k.check("AddRoute", r); err != nil {
		return err
	}
	k.routes = append(k.routes, netapply.KernelRoute{Route: r})
	k.changed()
	return nil
}

// DeleteRoute implements netapply.Kernel.
func (k *Kernel) DeleteRoute(r netapply.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := slices.IndexFunc(k.routes, func(x netapply.KernelRoute) bool { return x.Route == r })
	if i < 0 {
		return fmt.Errorf("delete %s: %w", r, errNotFound)
	}
	if err := k.check("DeleteRoute", r); err != nil {
		return err
	}
	k.routes = slices.Delete(k.routes, i, i+1)
	k.changed()
	return nil
}

// AddRule implements netapply.Kernel.
func (k *Kernel) AddRule(r netapply.Rule) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if slices.Contains(k.rules, r) {
		return fmt.Errorf("add %s: %w", r, errExist)
	}
	if err := k.check("AddRule", r); err != nil {
		return err
	}
	k.rules = append(k.rules, r)
	k.changed()
	return nil
}

// DeleteRule implements netapply.Kernel.
func (k *Kernel) DeleteRule(r netapply.Rule) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := slices.Index(k.rules, r)
	if i < 0 {
		return fmt.Errorf("delete %s: %w", r, errNotFound)
	}
	if err := k.check("DeleteRule", r); err != nil {
		return err
	}
	k.rules = slices.Delete(k.rules, i, i+1)
	k.changed()
	return nil
}

// ReadSysctl implements netapply.Kernel.
func (k *Kernel) ReadSysctl(key string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.sysctls[key]
	if !ok {
		return "", fmt.Errorf("read sysctl %s: %w", key, fs.ErrNotExist)
	}
	return v, nil
}

// WriteSysctl implements netapply.Kernel.
func (k *Kernel) WriteSysctl(key, value string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.sysctls[key]; !ok {
		return fmt.Errorf("write sysctl %s: %w", key, fs.ErrNotExist)
	}
	if _, err := strconv.Atoi(value); err != nil {
		return fmt.Errorf("write sysctl %s=%q: invalid argument", key, value)
	}
	if err := k.check("WriteSysctl", key); err != nil {
		return err
	}
	k.sysctls[key] = value
	k.changed()
	return nil
}

// Watch implements netapply.Kernel.
func (k *Kernel) Watch(done <-chan struct{}) (<-chan struct{}, error) {
	ch := make(chan struct{}, 1)
	k.mu.Lock()
	k.watch = append(k.watch, ch)
	k.mu.Unlock()
	go func() {
		<-done
		k.mu.Lock()
		defer k.mu.Unlock()
		k.watch = slices.DeleteFunc(k.watch, func(c chan struct{}) bool { return c == ch })
	}()
	return ch, nil
}

// State is what netapply.Observe reads for every link but lo: for tests
// that compare the kernel before and after.
func (k *Kernel) State() (netapply.State, error) {
	k.mu.Lock()
	var names []string
	for _, l := range k.links {
		if l.kl.Name != "lo" {
			names = append(names, l.kl.Name)
		}
	}
	k.mu.Unlock()
	return netapply.Observe(k, names)
}
