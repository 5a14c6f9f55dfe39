// Package simnet is a simulated network for the network manager's core
// (package netmgr): a kernel (netapply.Kernel), the ports' NICs (their
// ethtool link modes), and the networks plugged into them, each with a
// DHCPv4 server, an IPv6 router advertising a prefix, a router that
// answers ping and leads to "the internet", and a DNS server; on the
// internet, the platform, which speaks TLS with a certificate from a CA of
// its own. The DHCP clients, the connectivity test and the kernel-apply
// code run unchanged on it: only the kernel's side is simulated, message
// for message (DHCP, ICMP echo, DNS and TLS are real bytes).
//
// It is what the in-memory stand-in (package standin, netmgrd
// -backend=memory) runs the real network manager on, on a machine where
// the manager may not touch an interface, and what netmgr's unit tests
// run it on without root. It is product code, not test code, because the
// stand-in is a product feature (tools/up without root).
//
// Routing is simplified: a destination is reached from a box address on a
// link with carrier either on that address's subnet, or through any route
// on that link whose gateway is the network's router; every VLAN on a
// port reaches the same network as the port.
package simnet

import (
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"picket.dev/picket/src/net/netcfg"
)

// Segment is a network plugged into a port.
type Segment struct {
	// Prefix is the IPv4 subnet; Router answers ping, is the default
	// gateway DHCP hands out and forwards to the internet; DNS answers
	// DNS on port 53 (it may be Router).
	Prefix      netip.Prefix
	Router, DNS netip.Addr
	// DHCP makes a DHCPv4 server hand out leases of LeaseTime (default
	// one hour) from the 100th address of Prefix on.
	DHCP      bool
	LeaseTime time.Duration
	// Domain is the domain DHCP hands out (option 15).
	Domain string
	// Prefix6, when valid, is advertised by Router6 (SLAAC); DNS6, when
	// valid, answers DNS and is what DHCPv6 hands out.
	Prefix6       netip.Prefix
	Router6, DNS6 netip.Addr
}

// Config describes the simulated box and its surroundings.
type Config struct {
	// LAN and WAN name the ports ("eth0"); WAN may be "" (no WAN port).
	LAN, WAN string
	// LANNet and WANNet are the networks plugged into them; nil is no
	// cable.
	LANNet, WANNet *Segment
	// PlatformName is the platform's DNS name, PlatformAddr (and
	// PlatformAddr6 if valid) its addresses on the internet, and
	// PlatformPort where it speaks TLS.
	PlatformName  string
	PlatformAddr  netip.Addr
	PlatformAddr6 netip.Addr
	PlatformPort  int
	// Supported lists, per port, the link modes its NIC supports; a port
	// not listed supports every panel mode.
	Supported map[string][]netcfg.LinkMode
	// Rand is the randomness of the platform's keys.
	Rand io.Reader
	// Now is the clock of the platform's certificates; nil is time.Now.
	Now func() time.Time
}

// Default is a box with LAN eth0 and WAN eth1, each plugged into a network
// with DHCP (LAN also with an IPv6 router and DNS), and the platform
// platform.picket.test:443 on the internet.
func Default(random io.Reader) Config {
	return Config{
		LAN: "eth0",
		WAN: "eth1",
		LANNet: &Segment{
			Prefix: netip.MustParsePrefix("192.168.77.0/24"),
			Router: netip.MustParseAddr("192.168.77.1"), DNS: netip.MustParseAddr("192.168.77.1"),
			DHCP: true, Domain: "picket.test",
			Prefix6: netip.MustParsePrefix("fd77::/64"),
			Router6: netip.MustParseAddr("fe80::1"), DNS6: netip.MustParseAddr("fd77::1"),
		},
		WANNet: &Segment{
			Prefix: netip.MustParsePrefix("198.51.100.0/24"),
			Router: netip.MustParseAddr("198.51.100.1"), DNS: netip.MustParseAddr("198.51.100.1"),
			DHCP: true,
		},
		PlatformName:  "platform.picket.test",
		PlatformAddr:  netip.MustParseAddr("203.0.113.10"),
		PlatformAddr6: netip.MustParseAddr("2001:db8:203::10"),
		PlatformPort:  443,
		Rand:          random,
	}
}

// Net is a simulated box and network.
type Net struct {
	cfg    Config
	kernel *Kernel
	nics   *NICs
	ca     *x509.CertPool
	tlsCfg tlsConfig

	mu      sync.Mutex
	plugs   map[string]*Segment // port -> network
	leases  map[*Segment]map[string]netip.Addr
	nextMAC byte
}

// New makes the simulated box: its ports exist (down, as at boot) with
// their networks plugged in.
func New(cfg Config) (*Net, error) {
	if cfg.LAN == "" {
		return nil, fmt.Errorf("simnet: no LAN port name")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PlatformPort == 0 {
		cfg.PlatformPort = 443
	}
	n := &Net{cfg: cfg, plugs: map[string]*Segment{}, leases: map[*Segment]map[string]netip.Addr{}}
	if cfg.PlatformName != "" {
		pool, tc, err := newPlatformTLS(cfg.PlatformName, cfg.Rand, cfg.Now())
		if err != nil {
			return nil, fmt.Errorf("simnet: %w", err)
		}
		n.ca, n.tlsCfg = pool, tc
	}
	n.plugs[cfg.LAN] = cfg.LANNet
	if cfg.WAN != "" {
		n.plugs[cfg.WAN] = cfg.WANNet
	}
	n.kernel = newKernel(n)
	n.kernel.mu.Lock()
	n.kernel.addLinkLocked(cfg.LAN, "02:00:00:00:00:01", 0, "")
	if cfg.WAN != "" {
		n.kernel.addLinkLocked(cfg.WAN, "02:00:00:00:00:02", 0, "")
	}
	n.kernel.changed()
	n.kernel.mu.Unlock()
	n.nics = newNICs(n, cfg.Supported)
	return n, nil
}

// Kernel is the simulated kernel.
func (n *Net) Kernel() *Kernel { return n.kernel }

// NICs is the simulated ethtool of the ports.
func (n *Net) NICs() *NICs { return n.nics }

// PlatformCA is the CA of the platform's certificate, for the path test.
func (n *Net) PlatformCA() *x509.CertPool { return n.ca }

// Platform is the platform's host:port.
func (n *Net) Platform() string {
	return fmt.Sprintf("%s:%d", n.cfg.PlatformName, n.cfg.PlatformPort)
}

// Plug plugs a network into port (nil unplugs it): carrier follows.
func (n *Net) Plug(port string, s *Segment) {
	n.mu.Lock()
	n.plugs[port] = s
	n.mu.Unlock()
	n.kernel.mu.Lock()
	n.kernel.changed()
	n.kernel.mu.Unlock()
}

// plugged is the network plugged into port, or nil.
func (n *Net) plugged(port string) *Segment {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.plugs[port]
}

// hostIn is the i-th address of p.
func hostIn(p netip.Prefix, i int) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for j := len(b) - 1; j >= 0 && i > 0; j-- {
		v := int(b[j]) + i
		b[j] = byte(v)
		i = v >> 8
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// onSegment says whether a host with address ip is on s.
func onSegment(s *Segment, ip netip.Addr) bool {
	if s == nil {
		return false
	}
	ip = ip.WithZone("")
	for _, h := range []netip.Addr{s.Router, s.DNS, s.Router6, s.DNS6} {
		if h.IsValid() && h == ip {
			return true
		}
	}
	return false
}

// answers says whether ip, a neighbour on link, exists. The caller holds
// the kernel's lock.
func (n *Net) answers(l *simLink, ip netip.Addr) bool {
	return l != nil && l.kl.Carrier && onSegment(n.plugged(l.port), ip)
}

// internet says whether ip is a host on the internet.
func (n *Net) internet(ip netip.Addr) bool {
	return ip.IsValid() && (ip == n.cfg.PlatformAddr || ip == n.cfg.PlatformAddr6)
}

// path is how the box reaches dst from src (invalid: any address): the
// link it leaves by and the first hop, which the kernel resolves. ok is
// false when dst cannot be reached.
func (n *Net) path(src, dst netip.Addr) (link string, hop netip.Addr, mac string, ok bool) {
	k := n.kernel
	k.mu.Lock()
	defer k.mu.Unlock()
	dst = dst.WithZone("").Unmap()
	for _, a := range k.addrs {
		ip := a.Prefix.Addr()
		if ip.Is4() != dst.Is4() || a.Tentative || src.IsValid() && src.Unmap() != ip {
			continue
		}
		l := k.linkLocked(a.Link)
		if l == nil || !l.kl.Carrier {
			continue
		}
		seg := n.plugged(l.port)
		if seg == nil {
			continue
		}
		if a.Prefix.Masked().Contains(dst) {
			if onSegment(seg, dst) {
				k.resolved(a.Link, dst, routerMAC)
				return a.Link, dst, routerMAC, true
			}
			continue
		}
		if !n.internet(dst) {
			continue
		}
		for _, r := range k.routes {
			if r.Link == a.Link && r.Dst.Contains(dst) && r.Gateway.IsValid() && (r.Gateway == seg.Router || r.Gateway == seg.Router6) {
				k.resolved(a.Link, r.Gateway, routerMAC)
				return a.Link, r.Gateway, routerMAC, true
			}
		}
	}
	// An IPv6 router is also reached at its link-local address.
	if dst.Is6() && dst.IsLinkLocalUnicast() {
		for _, l := range k.links {
			if seg := n.plugged(l.port); l.kl.Carrier && seg != nil && seg.Router6 == dst {
				k.resolved(l.kl.Name, dst, routerMAC)
				return l.kl.Name, dst, routerMAC, true
			}
		}
	}
	return "", netip.Addr{}, "", false
}

// routerMAC is the hardware address of every simulated neighbour.
const routerMAC = "02:00:00:00:01:01"

// services answer on the simulated network: DNS on every network's
// resolver, TLS on the platform.
func (n *Net) service(network string, dst netip.AddrPort) func(c net.Conn) {
	ip := dst.Addr().WithZone("").Unmap()
	if dst.Port() == 53 {
		n.mu.Lock()
		defer n.mu.Unlock()
		for _, s := range n.plugs {
			if s != nil && (s.DNS == ip || s.DNS6 == ip) {
				return n.serveDNS
			}
		}
		return nil
	}
	if n.internet(ip) && int(dst.Port()) == n.cfg.PlatformPort && (network == "tcp" || network == "tcp4" || network == "tcp6") && n.ca != nil {
		return n.servePlatform
	}
	return nil
}
