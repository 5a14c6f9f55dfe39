// Package scanbench builds the scan engine's test bench out of network
// namespaces (testkit/netbench): a scanner namespace whose eth0 is cabled
// to a router namespace, which routes to target namespaces holding many
// addresses each, IPv4 and IPv6. The targets run small TCP and UDP
// listeners on odd ports (some on every address, some on one address
// only), and an nftables firewall that drops some ports and rejects
// others (TCP reset, ICMP port unreachable), so a scan has open, closed
// and filtered ports to tell apart, and the bench knows the right answer
// for each (Expected). A capture on the scanner's link (CaptureScanner,
// Outside) shows every frame the scanner sent went to a target.
//
// Callers that need real services start them in a target's namespace
// (Target.NS.Start), on the target's addresses.
//
// It needs root, ip and nft (Debian nftables); a missing tool fails the
// test.
package scanbench

import (
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"picket.dev/picket/src/testkit/netbench"
)

// Options shape the bench.
type Options struct {
	// Targets is the number of target namespaces (default 2), each on a
	// subnet of its own behind the router.
	Targets int
	// Addrs is the IPv4 addresses per target namespace (default 130, at
	// most 240); Addrs6 the IPv6 ones (default 16).
	Addrs, Addrs6 int
	// Net is the second octet of the bench's IPv4 networks 10.Net.0.0/16
	// and IPv6 fdNN:: (default 61): benches of tests that run at the
	// same time need different ones.
	Net int
	// NoListeners leaves the targets without listeners and firewall (the
	// memory bench's silent hosts).
	NoListeners bool
}

// The ports the bench uses. Every target address listens on TCP
// PortAll and UDP PortUDP; address k of a namespace listens on TCP
// PortBase + k%97 when k%3 == 0; the firewall drops TCP PortDrop (a
// listener is behind it) and UDP PortDropUDP, and rejects TCP PortReset
// with a reset and TCP PortUnreach with ICMP port unreachable.
const (
	PortAll      = 222
	PortBase     = 300
	PortUDP      = 5353
	PortDrop     = 901
	PortReset    = 902
	PortUnreach  = 903
	PortDropUDP  = 904
	PortClosed   = 905 // nothing there: closed
	PortClosedUD = 906 // nothing there: UDP closed (ICMP port unreachable)
)

// Bench is a built scan bench.
type Bench struct {
	B       *netbench.Bench
	Scanner *netbench.NS // eth0: ScannerAddr, ScannerAddr6
	Router  *netbench.NS
	Targets []*Target
	// Gateway and Gateway6 are the router's addresses on the scanner's
	// link.
	ScannerAddr, ScannerAddr6 netip.Addr
	Gateway, Gateway6         netip.Addr
	// OnLink and OnLink6 are more addresses of the router on the
	// scanner's segment: on-link targets that are not the gateway.
	OnLink, OnLink6       netip.Addr
	ScannerMAC, RouterMAC string
	expected              map[netip.Addr][]Port
}

// Target is one target namespace.
type Target struct {
	NS     *netbench.NS
	Addrs  []netip.Addr // IPv4
	Addrs6 []netip.Addr
	// Gateway and Gateway6 are the router's addresses on its subnet (not
	// targets).
	Gateway, Gateway6 netip.Addr
}

// Port is a port the bench knows the state of.
type Port struct {
	Proto string // "tcp" or "udp"
	Port  uint16
	State string // "open", "closed", "filtered", "open|filtered"
}

func (p Port) String() string { return fmt.Sprintf("%d/%s %s", p.Port, p.Proto, p.State) }

// New builds the bench.
func New(t testing.TB, opt Options) *Bench {
	t.Helper()
	// netbench.New first: it puts /usr/sbin on PATH (Bazel runs tests
	// with a minimal one), where nft is.
	nb := netbench.New(t)
	opt = opt.withDefaults(t)
	b := &Bench{B: nb, expected: map[netip.Addr][]Port{}}
	b.Scanner, b.Router = nb.NS("scan"), nb.NS("srtr")
	nb.Veth(b.Scanner, "eth0", b.Router, "s0")
	n := opt.Net
	b.ScannerAddr, b.Gateway = netip.MustParseAddr(fmt.Sprintf("10.%d.0.2", n)), netip.MustParseAddr(fmt.Sprintf("10.%d.0.1", n))
	b.ScannerAddr6, b.Gateway6 = netip.MustParseAddr(fmt.Sprintf("fd%02x::2", n)), netip.MustParseAddr(fmt.Sprintf("fd%02x::1", n))
	// No router solicitations or DAD from the scanner: its link carries
	// only what the scan sends.
	for _, ns := range []*netbench.NS{b.Scanner, b.Router} {
		quietIPv6(ns)
	}
	quietLink(b.Scanner, "eth0")
	quietLink(b.Router, "s0")
	b.Scanner.Run("ip", "addr", "add", b.ScannerAddr.String()+"/24", "dev", "eth0")
	b.Scanner.Run("ip", "addr", "add", b.ScannerAddr6.String()+"/64", "dev", "eth0", "nodad")
	b.Scanner.Run("ip", "link", "set", "eth0", "up")
	b.Scanner.Run("ip", "route", "add", "default", "via", b.Gateway.String())
	b.Scanner.Run("ip", "-6", "route", "add", "default", "via", b.Gateway6.String())
	b.Router.Run("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
	b.Router.Run("ip", "addr", "add", b.Gateway.String()+"/24", "dev", "s0")
	b.Router.Run("ip", "addr", "add", b.Gateway6.String()+"/64", "dev", "s0", "nodad")
	b.OnLink, b.OnLink6 = netip.MustParseAddr(fmt.Sprintf("10.%d.0.5", n)), netip.MustParseAddr(fmt.Sprintf("fd%02x::5", n))
	b.Router.Run("ip", "addr", "add", b.OnLink.String()+"/24", "dev", "s0")
	b.Router.Run("ip", "addr", "add", b.OnLink6.String()+"/64", "dev", "s0", "nodad")
	b.Router.Run("ip", "link", "set", "s0", "up")
	b.addTargets(t, opt)
	b.ScannerMAC = strings.TrimSpace(b.Scanner.Run("cat", "/sys/class/net/eth0/address"))
	b.RouterMAC = strings.TrimSpace(b.Router.Run("cat", "/sys/class/net/s0/address"))
	return b
}

// Behind builds only the bench's targets, cabled to router, a namespace
// of nb that forwards between them and a scanner of the caller's (a box
// under test with its own link, addresses and daemons): the targets'
// subnets are routed through router, which the scanner must use as its
// gateway. gateway is router's address on the scanner's link and
// routerIf its interface there, for Outside's neighbour frames. Scanner,
// ScannerAddr and ScannerMAC are left zero; the caller captures on its
// own scanner's link (netbench.CaptureWith) and checks with Outside.
func Behind(t testing.TB, nb *netbench.Bench, router *netbench.NS, gateway netip.Addr, routerIf string, opt Options) *Bench {
	t.Helper()
	opt = opt.withDefaults(t)
	b := &Bench{B: nb, Router: router, Gateway: gateway, expected: map[netip.Addr][]Port{}}
	router.Run("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
	b.addTargets(t, opt)
	b.RouterMAC = strings.TrimSpace(router.Run("cat", "/sys/class/net/"+routerIf+"/address"))
	return b
}

func (opt Options) withDefaults(t testing.TB) Options {
	t.Helper()
	if opt.Targets == 0 {
		opt.Targets = 2
	}
	if opt.Addrs == 0 {
		opt.Addrs = 130
	}
	if opt.Addrs6 == 0 {
		opt.Addrs6 = 16
	}
	if opt.Net == 0 {
		opt.Net = 61
	}
	if opt.Addrs > 240 || opt.Targets > 200 {
		t.Fatalf("scanbench: at most 240 addresses per namespace and 200 namespaces")
	}
	if !opt.NoListeners {
		if _, err := exec.LookPath("nft"); err != nil {
			t.Fatalf("scanbench: nft (Debian package nftables) is needed for the firewall: %v", err)
		}
	}
	return opt
}

// addTargets builds opt.Targets target namespaces cabled to b.Router.
func (b *Bench) addTargets(t testing.TB, opt Options) {
	t.Helper()
	nb, n := b.B, opt.Net
	for i := 1; i <= opt.Targets; i++ {
		tg := &Target{NS: nb.NS(fmt.Sprintf("tgt%d", i))}
		quietIPv6(tg.NS)
		rif := fmt.Sprintf("t%d", i)
		nb.Veth(tg.NS, "eth0", b.Router, rif)
		quietLink(tg.NS, "eth0")
		quietLink(b.Router, rif)
		tg.Gateway = netip.MustParseAddr(fmt.Sprintf("10.%d.%d.1", n, i))
		tg.Gateway6 = netip.MustParseAddr(fmt.Sprintf("fd%02x:%x::1", n, i))
		b.Router.Run("ip", "addr", "add", tg.Gateway.String()+"/24", "dev", rif)
		b.Router.Run("ip", "addr", "add", tg.Gateway6.String()+"/64", "dev", rif, "nodad")
		b.Router.Run("ip", "link", "set", rif, "up")
		// Many addresses: one "ip -batch" rather than a process each.
		var batch strings.Builder
		for k := 0; k < opt.Addrs; k++ {
			a := netip.MustParseAddr(fmt.Sprintf("10.%d.%d.%d", n, i, 10+k))
			tg.Addrs = append(tg.Addrs, a)
			fmt.Fprintf(&batch, "addr add %s/24 dev eth0\n", a)
		}
		for k := 0; k < opt.Addrs6; k++ {
			a := netip.MustParseAddr(fmt.Sprintf("fd%02x:%x::%x", n, i, 0x10+k))
			tg.Addrs6 = append(tg.Addrs6, a)
			fmt.Fprintf(&batch, "addr add %s/64 dev eth0 nodad\n", a)
		}
		cmd := tg.NS.Command("ip", "-batch", "-")
		cmd.Stdin = strings.NewReader(batch.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scanbench: addresses of %s: %v\n%s", tg.NS.Name, err, out)
		}
		tg.NS.Run("ip", "link", "set", "eth0", "up")
		tg.NS.Run("ip", "route", "add", "default", "via", tg.Gateway.String())
		tg.NS.Run("ip", "-6", "route", "add", "default", "via", tg.Gateway6.String())
		// The kernel rate-limits ICMP errors (1 per second per
		// destination after a burst): lift it, so that closed UDP ports
		// and rejects are told at a scan's pace, as most hosts' are not
		// (the limit is the reason scans of real hosts' UDP are slow).
		tg.NS.Run("sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0")
		if !opt.NoListeners {
			b.listen(t, tg)
		}
		b.Targets = append(b.Targets, tg)
	}
	b.Router.Run("sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0")
}

// quietIPv6 turns off, for the interfaces a namespace gets after it,
// duplicate address detection (an address is usable at once, not a
// second later) and router solicitations: the links carry only what the
// tests send.
func quietIPv6(ns *netbench.NS) {
	ns.Run("sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0",
		"net.ipv6.conf.default.router_solicitations=0", "net.ipv6.conf.all.router_solicitations=0",
		"net.ipv6.conf.default.accept_ra=0", "net.ipv6.conf.all.accept_ra=0")
}

// quietLink is quietIPv6 for an interface that exists already.
func quietLink(ns *netbench.NS, ifname string) {
	c := "net.ipv6.conf." + ifname + "."
	ns.Run("sysctl", "-qw", c+"accept_dad=0", c+"router_solicitations=0", c+"accept_ra=0")
}

const firewall = `table inet scanbench {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport %d drop
		udp dport %d drop
		tcp dport %d reject with tcp reset
		tcp dport %d reject with icmpx type port-unreachable
	}
}
`

// listen starts the target's listeners and firewall and records what a
// scan must find.
func (b *Bench) listen(t testing.TB, tg *Target) {
	t.Helper()
	cmd := tg.NS.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(fmt.Sprintf(firewall, PortDrop, PortDropUDP, PortReset, PortUnreach))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scanbench: firewall of %s: %v\n%s", tg.NS.Name, err, out)
	}
	var ls []net.Listener
	var pcs []net.PacketConn
	err := tg.NS.Do(func() error {
		// [::] listeners take IPv4 connections too (dual stack).
		for _, spec := range []string{fmt.Sprintf("[::]:%d", PortAll), fmt.Sprintf("[::]:%d", PortDrop)} {
			l, err := net.Listen("tcp", spec)
			if err != nil {
				return err
			}
			ls = append(ls, l)
		}
		for k, a := range tg.Addrs {
			if k%3 != 0 {
				continue
			}
			l, err := net.Listen("tcp", netip.AddrPortFrom(a, uint16(PortBase+k%97)).String())
			if err != nil {
				return err
			}
			ls = append(ls, l)
		}
		// A socket per address: an answer from a wildcard socket would
		// leave from the interface's first address, not the one asked.
		for _, a := range append(append([]netip.Addr(nil), tg.Addrs...), tg.Addrs6...) {
			pc, err := net.ListenPacket("udp", netip.AddrPortFrom(a, PortUDP).String())
			if err != nil {
				return err
			}
			pcs = append(pcs, pc)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scanbench: listeners in %s: %v", tg.NS.Name, err)
	}
	for _, l := range ls {
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
	for _, pc := range pcs {
		t.Cleanup(func() { pc.Close() })
		go func() {
			buf := make([]byte, 2048)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				_, _ = pc.WriteTo(append([]byte("echo:"), buf[:n]...), from)
			}
		}()
	}
	common := []Port{
		{"tcp", PortAll, "open"}, {"udp", PortUDP, "open"},
		{"tcp", PortDrop, "filtered"}, {"udp", PortDropUDP, "open|filtered"},
		{"tcp", PortReset, "closed"}, {"tcp", PortUnreach, "filtered"},
		{"tcp", PortClosed, "closed"}, {"udp", PortClosedUD, "closed"},
	}
	for k, a := range tg.Addrs {
		ps := append([]Port(nil), common...)
		if k%3 == 0 {
			ps = append(ps, Port{"tcp", uint16(PortBase + k%97), "open"})
		}
		b.expected[a] = ps
	}
	for _, a := range tg.Addrs6 {
		b.expected[a] = append([]Port(nil), common...)
	}
}

// Expected returns the ports whose state the bench knows on addr: the
// open ones, and one of each closed and filtered kind. Every other TCP
// port of a target address is closed, every other UDP port closed.
func (b *Bench) Expected(addr netip.Addr) []Port { return b.expected[addr] }

// Open returns every open port of addr.
func (b *Bench) Open(addr netip.Addr) []Port {
	var out []Port
	for _, p := range b.expected[addr] {
		if p.State == "open" {
			out = append(out, p)
		}
	}
	return out
}

// All4 and All6 are every target address.
func (b *Bench) All4() []netip.Addr {
	var out []netip.Addr
	for _, tg := range b.Targets {
		out = append(out, tg.Addrs...)
	}
	return out
}

func (b *Bench) All6() []netip.Addr {
	var out []netip.Addr
	for _, tg := range b.Targets {
		out = append(out, tg.Addrs6...)
	}
	return out
}

// TargetSpec is the target specification of every target address, as
// ranges ("10.61.1.10-10.61.1.139,...").
func (b *Bench) TargetSpec() string {
	var parts []string
	for _, tg := range b.Targets {
		for _, as := range [][]netip.Addr{tg.Addrs, tg.Addrs6} {
			if len(as) > 0 {
				parts = append(parts, as[0].String()+"-"+as[len(as)-1].String())
			}
		}
	}
	return strings.Join(parts, ",")
}

// CaptureScanner starts a capture of the frames the scanner sends.
func (b *Bench) CaptureScanner() *netbench.CaptureSession {
	// Headers are enough to tell where a frame went; short slots keep a
	// capture of a scan at tens of thousands of frames a second whole.
	return netbench.CaptureWith(b.Scanner, "eth0", "ether src "+b.ScannerMAC, netbench.CaptureOptions{Snaplen: 160})
}

// TxPackets is the scanner link's count of frames sent
// (/sys/class/net/eth0/statistics/tx_packets): the difference over a
// capture tells whether the capture missed any.
func (b *Bench) TxPackets() uint64 {
	var n uint64
	fmt.Sscan(b.Scanner.Run("cat", "/sys/class/net/eth0/statistics/tx_packets"), &n)
	return n
}

// Outside returns the captured frames (CaptureSession.Stop's lines) that
// went to an address that is not allowed: every IP packet's destination
// must satisfy allowed; neighbour protocol frames (ARP, NDP) may also
// go to or ask for the gateway (next-hop resolution), and the kernel's
// MLD reports to ff02::16 pass. Frames it cannot read are returned too.
func (b *Bench) Outside(lines []string, allowed func(netip.Addr) bool) []string {
	var bad []string
	for _, l := range lines {
		dst, ok := destination(l)
		if !ok {
			bad = append(bad, "unreadable: "+l)
			continue
		}
		if allowed(dst) {
			continue
		}
		// The kernel's multicast listener reports (MLDv2, to ff02::16,
		// the link's multicast routers) follow the link coming up and
		// are no packet to a host.
		if dst == netip.MustParseAddr("ff02::16") && strings.Contains(l, "multicast listener report") {
			continue
		}
		// Neighbour protocol with the next hop (ours or the kernel's:
		// resolution, answers, reachability checks) is the link's own.
		if neighbour(l) && (dst == b.Gateway || dst == b.Gateway6 || strings.Contains(l, "> "+b.RouterMAC+",")) {
			continue
		}
		bad = append(bad, l)
	}
	return bad
}

func neighbour(l string) bool {
	for _, s := range []string{"who-has", " is-at ", "neighbor solicitation", "neighbor advertisement"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// destination reads the destination address of a frame as "tcpdump -nn
// -e" prints it: the IP destination, the address an ARP request asks
// for, the target of a neighbour solicitation.
func destination(line string) (netip.Addr, bool) {
	_, rest, ok := strings.Cut(line, ", length ")
	if !ok {
		return netip.Addr{}, false
	}
	_, rest, ok = strings.Cut(rest, ": ")
	if !ok {
		return netip.Addr{}, false
	}
	if i := strings.Index(rest, "Reply "); i >= 0 && strings.Contains(rest, " is-at ") {
		f := strings.Fields(rest[i+len("Reply "):])
		a, err := netip.ParseAddr(f[0])
		return a, err == nil
	}
	if i := strings.Index(rest, "who-has "); i >= 0 {
		f := strings.Fields(rest[i+len("who-has "):])
		a, err := netip.ParseAddr(f[0])
		return a, err == nil
	}
	if i := strings.Index(rest, "neighbor solicitation, who has "); i >= 0 {
		f := strings.Fields(rest[i+len("neighbor solicitation, who has "):])
		a, err := netip.ParseAddr(strings.TrimSuffix(f[0], ","))
		return a, err == nil
	}
	f := strings.Fields(rest)
	if len(f) < 3 || f[1] != ">" {
		return netip.Addr{}, false
	}
	d := strings.TrimSuffix(f[2], ":")
	if a, err := netip.ParseAddr(d); err == nil {
		return a, true
	}
	if i := strings.LastIndexByte(d, '.'); i > 0 {
		a, err := netip.ParseAddr(d[:i])
		return a, err == nil
	}
	return netip.Addr{}, false
}

// SortedAddrs returns the keys of m in order (a helper for reports).
func SortedAddrs[V any](m map[netip.Addr]V) []netip.Addr {
	out := make([]netip.Addr, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}
