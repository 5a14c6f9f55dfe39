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

// LinkNames returns the names of the links s mentions (links and VLANs),
// which is what Observe should be asked about before applying s.
func (s State) LinkNames() []string {
	var names []string
	for _, l := range s.Links {
		names = append(names, l.Name)
	}
	for _, v := range s.VLANs {
		names = append(names, v.Name, v.Parent)
	}
	return uniq(names)
}

// Observe reads the state in force for the links named ifnames through
// handle (which may be bound to another network namespace), and the
// sysctls under procSys (normally "/proc/sys"; it must belong to the same
// namespace as handle, since /proc/sys/net shows the reader's namespace).
// A named link that does not exist is left out. Only what netapply manages
// is read:
//   - IPv4 addresses, and IPv6 addresses that are permanent (so not SLAAC
//     or privacy addresses, whose lifetimes the kernel runs) and not
//     link-local;
//   - routes on those links except the kernel's own (proto kernel: prefix
//     routes, fe80::/64), those from router advertisements and redirects
//     (proto ra, redirect), the local table and non-unicast routes;
//   - IPv4 rules to tables other than local, main and default;
//   - forwarding and the per-link sysctls Desired sets.
func Observe(handle *netlink.Handle, procSys string, ifnames []string) (State, error) {
	// A dump that the kernel changed under (addresses still being added to
	// new VLANs) is marked interrupted and may be incomplete: read again.
	for attempt := 1; ; attempt++ {
		s, err := observe(handle, procSys, ifnames)
		if err == nil || !errors.Is(err, netlink.ErrDumpInterrupted) || attempt == 20 {
			return s, err
		}
	}
}

func observe(handle *netlink.Handle, procSys string, ifnames []string) (State, error) {
	var s State
	s.Sysctls = map[string]string{}
	// One dump of the links and one of the addresses, grouped by link:
	// asking per link would dump every address once per link, which is
	// quadratic with thousands of scanning VLANs.
	links, err := handle.LinkList()
	if err != nil {
		return State{}, fmt.Errorf("observe links: %w", err)
	}
	linkByName := make(map[string]netlink.Link, len(links))
	nameByIndex := make(map[int]string, len(links))
	for _, l := range links {
		linkByName[l.Attrs().Name] = l
		nameByIndex[l.Attrs().Index] = l.Attrs().Name
	}
	allAddrs, err := handle.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return State{}, fmt.Errorf("observe addresses: %w", err)
	}
	addrsByIndex := map[int][]netlink.Addr{}
	for _, ad := range allAddrs {
		addrsByIndex[ad.LinkIndex] = append(addrsByIndex[ad.LinkIndex], ad)
	}
	byIndex := map[int]string{}
	for _, name := range uniq(ifnames) {
		link, ok := linkByName[name]
		if !ok {
			continue
		}
		a := link.Attrs()
		byIndex[a.Index] = name
		s.Links = append(s.Links, Link{Name: name, Up: a.Flags&net.FlagUp != 0})
		if v, ok := link.(*netlink.Vlan); ok {
			parent, ok := nameByIndex[a.ParentIndex]
			if !ok {
				return State{}, fmt.Errorf("observe vlan %s: parent link index %d not found", name, a.ParentIndex)
			}
			s.VLANs = append(s.VLANs, VLAN{Name: name, Parent: parent, ID: v.VlanId})
		}
		for _, ad := range addrsByIndex[a.Index] {
			p, ok := prefixOf(ad.IPNet)
			if !ok {
				continue
			}
			if p.Addr().Is6() && (ad.Flags&unix.IFA_F_PERMANENT == 0 || p.Addr().IsLinkLocalUnicast()) {
				continue // the kernel's: SLAAC, temporary or link-local
			}
			s.Addrs = append(s.Addrs, Addr{Link: name, Prefix: p, NoPrefixRoute: ad.Flags&unix.IFA_F_NOPREFIXROUTE != 0})
		}
		for _, key := range linkSysctls(name) {
			if v, err := readSysctl(procSys, key); err == nil {
				s.Sysctls[key] = v
			} else if !errors.Is(err, os.ErrNotExist) {
				return State{}, fmt.Errorf("observe: %w", err)
			}
		}
	}

	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		// RT_FILTER_TABLE with table 0 lists every table; without it
		// netlink lists only main.
		routes, err := handle.RouteListFiltered(family, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
		if err != nil {
			return State{}, fmt.Errorf("observe routes: %w", err)
		}
		for _, r := range routes {
			name, ours := byIndex[r.LinkIndex]
			if !ours || r.Table == unix.RT_TABLE_LOCAL || r.Type != unix.RTN_UNICAST || len(r.MultiPath) > 0 {
				continue
			}
			switch r.Protocol {
			case unix.RTPROT_KERNEL, unix.RTPROT_RA, unix.RTPROT_REDIRECT:
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
			s.Routes = append(s.Routes, Route{Table: r.Table, Dst: dst, Gateway: gw, Link: name, Metric: r.Priority})
		}
	}

	rules, err := handle.RuleListFiltered(netlink.FAMILY_V4, nil, 0)
	if err != nil {
		return State{}, fmt.Errorf("observe rules: %w", err)
	}
	for _, r := range rules {
		switch r.Table {
		case unix.RT_TABLE_LOCAL, unix.RT_TABLE_MAIN, unix.RT_TABLE_DEFAULT:
			continue
		}
		src := defaultV4
		if r.Src != nil {
			p, ok := prefixOf(r.Src)
			if !ok {
				continue
			}
			src = p
		}
		s.Rules = append(s.Rules, Rule{Priority: r.Priority, Src: src, Table: r.Table})
	}

	for _, key := range []string{sysIPv4Forward, sysIPv6Forward} {
		v, err := readSysctl(procSys, key)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // e.g. IPv6 disabled: nothing to report
			}
			return State{}, fmt.Errorf("observe: %w", err)
		}
		s.Sysctls[key] = v
	}
	s.Normalize()
	return s, nil
}

// addrOf converts a 4- or 16-byte net.IP; an IPv4 address comes back as
// IPv4 whichever form it was in.
func addrOf(ip net.IP) (netip.Addr, bool) {
	if ip4 := ip.To4(); ip4 != nil {
		return netip.AddrFromSlice(ip4)
	}
	return netip.AddrFromSlice(ip.To16())
}

// prefixOf converts an IPv4 or IPv6 net.IPNet; ok is false for anything
// else.
func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	ones, bits := n.Mask.Size()
	a, ok := addrOf(n.IP)
	if !ok || bits != a.BitLen() {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, ones), true
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func readSysctl(root, key string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, key))
	if err != nil {
		return "", fmt.Errorf("read sysctl %s: %w", key, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func writeSysctl(root, key, value string) error {
	// O_WRONLY without O_CREATE: a missing key is an error, never a new file.
	f, err := os.OpenFile(filepath.Join(root, key), os.O_WRONLY|os.O_TRUNC, 0)
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

func uniq(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
