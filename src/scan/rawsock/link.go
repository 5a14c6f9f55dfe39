package rawsock

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Link is what a sender needs of its interface.
type Link struct {
	Name  string
	Index int
	MAC   net.HardwareAddr
	MTU   int
	// Prefixes are the interface's addresses with their on-link prefixes,
	// IPv4 first, then global IPv6, then link-local IPv6.
	Prefixes []netip.Prefix
}

// LinkByName reads the interface's MAC and addresses from the kernel.
func LinkByName(name string) (Link, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return Link{}, fmt.Errorf("rawsock: interface %s: %w", name, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return Link{}, fmt.Errorf("rawsock: addresses of %s: %w", name, err)
	}
	l := Link{Name: name, Index: ifi.Index, MAC: ifi.HardwareAddr, MTU: ifi.MTU}
	var v4, v6, ll []netip.Prefix
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, _ := netip.AddrFromSlice(ipn.IP)
		ones, _ := ipn.Mask.Size()
		ip = ip.Unmap()
		p := netip.PrefixFrom(ip, ones)
		switch {
		case ip.Is4():
			v4 = append(v4, p)
		case ip.IsLinkLocalUnicast():
			ll = append(ll, p)
		default:
			v6 = append(v6, p)
		}
	}
	l.Prefixes = append(append(v4, v6...), ll...)
	if len(l.MAC) != 6 {
		return Link{}, fmt.Errorf("rawsock: %s is not an Ethernet interface", name)
	}
	return l, nil
}

// Source returns the interface's address to send to dst from: the first
// of dst's family (a global one for a global IPv6 destination).
func (l Link) Source(dst netip.Addr) (netip.Addr, bool) {
	for _, p := range l.Prefixes {
		if p.Addr().Is4() == dst.Is4() {
			if dst.Is6() && !dst.IsLinkLocalUnicast() && p.Addr().IsLinkLocalUnicast() {
				continue
			}
			return p.Addr(), true
		}
	}
	return netip.Addr{}, false
}

// OnLink reports whether dst is on one of the interface's prefixes.
func (l Link) OnLink(dst netip.Addr) bool {
	for _, p := range l.Prefixes {
		if p.Contains(dst) {
			return true
		}
	}
	return dst.IsLinkLocalUnicast()
}

// Route is a route of the kernel's main table through the interface.
type Route struct {
	Dst     netip.Prefix
	Gateway netip.Addr // invalid: on-link
	Metric  uint32
}

// Routes reads the IPv4 and IPv6 routes of the main table through ifname
// from root/proc/net/route and root/proc/net/ipv6_route (root "/" on the
// box, a test's directory in tests).
func Routes(root, ifname string) ([]Route, error) {
	var out []Route
	f, err := os.Open(filepath.Join(root, "proc/net/route"))
	if err != nil {
		return nil, fmt.Errorf("rawsock: routes: %w", err)
	}
	defer f.Close()
	r4, err := parseRoute4(f, ifname)
	if err != nil {
		return nil, err
	}
	out = append(out, r4...)
	if f6, err := os.Open(filepath.Join(root, "proc/net/ipv6_route")); err == nil {
		defer f6.Close()
		r6, err := parseRoute6(f6, ifname)
		if err != nil {
			return nil, err
		}
		out = append(out, r6...)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("rawsock: routes: %w", err)
	}
	return out, nil
}

func le32addr(s string) (netip.Addr, error) {
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return netip.Addr{}, err
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return netip.AddrFrom4(b), nil
}

func parseRoute4(r io.Reader, ifname string) ([]Route, error) {
	var out []Route
	sc := bufio.NewScanner(r)
	for first := true; sc.Scan(); first = false {
		f := strings.Fields(sc.Text())
		if first || len(f) < 8 || f[0] != ifname {
			continue
		}
		dst, err1 := le32addr(f[1])
		gw, err2 := le32addr(f[2])
		mask, err3 := le32addr(f[7])
		metric, err4 := strconv.ParseUint(f[6], 10, 32)
		flags, err5 := strconv.ParseUint(f[3], 16, 16)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			return nil, fmt.Errorf("rawsock: /proc/net/route line %q: %w", sc.Text(), err)
		}
		if flags&1 == 0 { // RTF_UP
			continue
		}
		m := mask.As4()
		ones := 0
		for _, x := range m {
			for ; x&0x80 != 0; x <<= 1 {
				ones++
			}
		}
		rt := Route{Dst: netip.PrefixFrom(dst, ones), Metric: uint32(metric)}
		if flags&2 != 0 { // RTF_GATEWAY
			rt.Gateway = gw
		}
		out = append(out, rt)
	}
	return out, sc.Err()
}

func parseRoute6(r io.Reader, ifname string) ([]Route, error) {
	var out []Route
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[9] != ifname {
			continue
		}
		dst, err1 := hex16(f[0])
		plen, err2 := strconv.ParseUint(f[1], 16, 8)
		gw, err3 := hex16(f[4])
		metric, err4 := strconv.ParseUint(f[5], 16, 32)
		flags, err5 := strconv.ParseUint(f[8], 16, 32)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			return nil, fmt.Errorf("rawsock: /proc/net/ipv6_route line %q: %w", sc.Text(), err)
		}
		if flags&1 == 0 || flags&0x200 != 0 { // RTF_UP; not RTF_REJECT
			continue
		}
		if dst.IsMulticast() || plen == 128 && flags&0x80000000 != 0 { // local addresses (RTF_LOCAL)
			continue
		}
		rt := Route{Dst: netip.PrefixFrom(dst, int(plen)), Metric: uint32(metric)}
		if flags&2 != 0 {
			rt.Gateway = gw
		}
		out = append(out, rt)
	}
	return out, sc.Err()
}

func hex16(s string) (netip.Addr, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return netip.Addr{}, fmt.Errorf("bad address %q", s)
	}
	return netip.AddrFrom16([16]byte(b)), nil
}

// NextHop returns the gateway to reach dst by (invalid when dst is on
// link), from the longest matching route of routes.
func NextHop(routes []Route, dst netip.Addr) (gw netip.Addr, ok bool) {
	best := -1
	var bestMetric uint32
	for _, r := range routes {
		if r.Dst.Addr().Is4() != dst.Is4() || !r.Dst.Contains(dst) {
			continue
		}
		if b := r.Dst.Bits(); b > best || b == best && r.Metric < bestMetric {
			best, bestMetric, gw = b, r.Metric, r.Gateway
		}
	}
	return gw, best >= 0
}

// KernelNeighbor looks addr up in the kernel's IPv4 neighbour table
// (root/proc/net/arp) on ifname: complete entries only.
func KernelNeighbor(root, ifname string, addr netip.Addr) (net.HardwareAddr, bool) {
	if !addr.Is4() {
		return nil, false
	}
	b, err := os.ReadFile(filepath.Join(root, "proc/net/arp"))
	if err != nil {
		return nil, false
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 6 || f[0] != addr.String() || f[5] != ifname || f[2] == "0x0" {
			continue
		}
		if mac, err := net.ParseMAC(f[3]); err == nil && len(mac) == 6 && mac.String() != "00:00:00:00:00:00" {
			return mac, true
		}
	}
	return nil, false
}

// Resolve finds the MAC address of the on-link neighbour addr by an ARP
// request (IPv4) or neighbour solicitation (IPv6) of our own, retried
// every 300 ms until ctx ends. It reads conn, so call it before the
// engine's receiver starts.
func Resolve(ctx context.Context, conn Conn, l Link, addr netip.Addr) (net.HardwareAddr, error) {
	src, ok := l.Source(addr)
	if addr.Is6() {
		// NDP from the link-local address, which every IPv6 host has.
		for _, p := range l.Prefixes {
			if p.Addr().IsLinkLocalUnicast() {
				src, ok = p.Addr(), true
			}
		}
	}
	if !ok {
		return nil, fmt.Errorf("rawsock: %s has no address to ask for %s from", l.Name, addr)
	}
	b := NewBuilder()
	var frame []byte
	var err error
	if addr.Is4() {
		frame, err = b.ARPRequest(l.MAC, src, addr)
	} else {
		frame, err = b.NeighborSolicit(l.MAC, src, addr)
	}
	if err != nil {
		return nil, err
	}
	ps := NewParser()
	buf := make([]byte, 2048)
	var r Reply
	for {
		if err := conn.Send(frame); err != nil {
			return nil, err
		}
		end := time.Now().Add(300 * time.Millisecond)
		for time.Now().Before(end) {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("rawsock: no answer from %s on %s: %w", addr, l.Name, err)
			}
			_ = conn.SetReadDeadline(minTime(end, time.Now().Add(50*time.Millisecond)))
			n, err := conn.Recv(buf)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					continue
				}
				return nil, fmt.Errorf("rawsock: resolve %s: %w", addr, err)
			}
			if ps.Parse(buf[:n], &r) && (r.Kind == KindARPReply || r.Kind == KindNeighborAdv) && r.Src == addr && len(r.HW) == 6 {
				_ = conn.SetReadDeadline(time.Time{})
				return append(net.HardwareAddr(nil), r.HW...), nil
			}
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
