package netapply

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
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

// Observe reads the state in force for the links named ifnames from k. A
// named link that does not exist is left out. Only what netapply manages
// is read:
//   - IPv4 addresses, and IPv6 addresses that are permanent (so not SLAAC
//     or privacy addresses, whose lifetimes the kernel runs) and not
//     link-local;
//   - routes on those links except the kernel's own (KernelRoute.Own:
//     prefix routes, fe80::/64, routes from router advertisements and
//     redirects);
//   - IPv4 rules to tables other than local, main and default;
//   - forwarding and the per-link sysctls Desired sets.
func Observe(k Kernel, ifnames []string) (State, error) {
	// A dump that the kernel changed under (addresses still being added to
	// new VLANs) is marked interrupted and may be incomplete: read again.
	for attempt := 1; ; attempt++ {
		s, err := observe(k, ifnames)
		if err == nil || !errors.Is(err, ErrInterrupted) || attempt == 20 {
			return s, err
		}
	}
}

func observe(k Kernel, ifnames []string) (State, error) {
	var s State
	s.Sysctls = map[string]string{}
	// One dump of the links and one of the addresses, grouped by link:
	// asking per link would dump every address once per link, which is
	// quadratic with thousands of scanning VLANs.
	links, err := k.Links()
	if err != nil {
		return State{}, fmt.Errorf("observe links: %w", err)
	}
	linkByName := make(map[string]KernelLink, len(links))
	for _, l := range links {
		linkByName[l.Name] = l
	}
	allAddrs, err := k.Addrs()
	if err != nil {
		return State{}, fmt.Errorf("observe addresses: %w", err)
	}
	addrsByLink := map[string][]KernelAddr{}
	for _, ad := range allAddrs {
		addrsByLink[ad.Link] = append(addrsByLink[ad.Link], ad)
	}
	ours := map[string]bool{}
	for _, name := range uniq(ifnames) {
		link, ok := linkByName[name]
		if !ok {
			continue
		}
		ours[name] = true
		s.Links = append(s.Links, Link{Name: name, Up: link.Up})
		if link.VLAN != 0 {
			s.VLANs = append(s.VLANs, VLAN{Name: name, Parent: link.Parent, ID: link.VLAN})
		}
		for _, ad := range addrsByLink[name] {
			p := ad.Prefix
			if p.Addr().Is6() && (!ad.Permanent || p.Addr().IsLinkLocalUnicast()) {
				continue // the kernel's: SLAAC, temporary or link-local
			}
			s.Addrs = append(s.Addrs, ad.Addr)
		}
		for _, key := range linkSysctls(name) {
			if v, err := k.ReadSysctl(key); err == nil {
				s.Sysctls[key] = v
			} else if !errors.Is(err, os.ErrNotExist) {
				return State{}, fmt.Errorf("observe: %w", err)
			}
		}
	}

	routes, err := k.Routes()
	if err != nil {
		return State{}, fmt.Errorf("observe routes: %w", err)
	}
	for _, r := range routes {
		if !ours[r.Link] || r.Own {
			continue
		}
		s.Routes = append(s.Routes, r.Route)
	}

	rules, err := k.Rules()
	if err != nil {
		return State{}, fmt.Errorf("observe rules: %w", err)
	}
	for _, r := range rules {
		switch r.Table {
		case tableLocal, mainTable, tableDefault:
			continue
		}
		s.Rules = append(s.Rules, r)
	}

	for _, key := range []string{sysIPv4Forward, sysIPv6Forward} {
		v, err := k.ReadSysctl(key)
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
