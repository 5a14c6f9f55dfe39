// Package discover finds which targets are up before their ports are
// scanned: ARP requests on an IPv4 segment and neighbour solicitations on
// an IPv6 one (an on-link host must answer them to get any packet, and
// they give its MAC address), and, to routed targets, ICMP echo and
// timestamp requests, a TCP SYN and a TCP ACK to common ports and a UDP
// datagram to an unlikely one: any answer from the host itself shows it
// up. The probes run on the port scan's stateless engine, one keyed
// permutation over targets x probes, a host settled by its first answer.
package discover

import (
	"context"
	"net"
	"net/netip"
	"sort"
	"strings"

	"github.com/gopacket/gopacket/macs"

	"picket.dev/picket/src/scan/portscan"
	"picket.dev/picket/src/scan/rawsock"
	"picket.dev/picket/src/scan/result"
)

// Options choose the probes.
type Options struct {
	// AllUp treats every target as up ("-Pn"): only on-link targets get
	// ARP / NDP, for their MAC addresses, and every target is reported up
	// (reason user-set unless the neighbour answered).
	AllUp bool
	// SYNPorts and ACKPorts get TCP SYN and ACK pings (default 443 and 80,
	// as nmap's); UDPPorts UDP pings (default 40125: a closed port answers
	// with ICMP port unreachable). NoICMP leaves out echo and timestamp.
	SYNPorts, ACKPorts, UDPPorts []uint16
	NoICMP                       bool
	// Engine is the engine's settings (rate cap, retries, key, guard).
	Engine portscan.Options
}

// Host is a target found up.
type Host struct {
	Addr   netip.Addr
	Reason result.Reason
	MAC    net.HardwareAddr // on-link hosts
	RTT    int64            // microseconds, 0 unknown
}

// Probes returns the discovery probes of opt.
func Probes(opt Options) []portscan.Probe {
	ps := []portscan.Probe{{Kind: portscan.ProbeARP}, {Kind: portscan.ProbeNS}}
	if opt.AllUp {
		return ps
	}
	syn, ack, udp := opt.SYNPorts, opt.ACKPorts, opt.UDPPorts
	if syn == nil {
		syn = []uint16{443}
	}
	if ack == nil {
		ack = []uint16{80}
	}
	if udp == nil {
		udp = []uint16{40125}
	}
	if !opt.NoICMP {
		ps = append(ps, portscan.Probe{Kind: portscan.ProbeEcho}, portscan.Probe{Kind: portscan.ProbeTimestamp})
	}
	for _, p := range syn {
		ps = append(ps, portscan.Probe{Kind: portscan.ProbeSYN, Port: p})
	}
	for _, p := range ack {
		ps = append(ps, portscan.Probe{Kind: portscan.ProbeACK, Port: p})
	}
	for _, p := range udp {
		ps = append(ps, portscan.Probe{Kind: portscan.ProbeUDP, Port: p, Payloads: [][]byte{{}}})
	}
	return ps
}

// Discover probes hosts and returns those found up, in address order
// (with AllUp: every host). Cancelled, it returns at once with what it
// found so far, and ctx's error.
func Discover(ctx context.Context, nw portscan.Net, hosts portscan.Hosts, opt Options) ([]Host, error) {
	probes := Probes(opt)
	opt.Engine.HostLevel = true
	up := map[netip.Addr]*Host{}
	err := portscan.Run(ctx, nw, hosts, probes, opt.Engine, func(a portscan.Answer) {
		reason, ok := Reason(a.Addr, a.Reply)
		if !ok {
			return
		}
		h := &Host{Addr: a.Addr, Reason: reason, RTT: a.RTT.Microseconds()}
		if a.Reply.Kind == rawsock.KindARPReply || a.Reply.Kind == rawsock.KindNeighborAdv {
			h.MAC = append(net.HardwareAddr(nil), a.Reply.HW...)
		}
		up[a.Addr] = h
	})
	var out []Host
	if opt.AllUp && err == nil {
		for i := uint64(0); i < hosts.Len(); i++ {
			a := hosts.At(i)
			if h, ok := up[a]; ok {
				out = append(out, *h)
			} else {
				out = append(out, Host{Addr: a, Reason: result.ReasonUser})
			}
		}
		return out, nil
	}
	for _, h := range up {
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out, err
}

// Reason says whether an answer shows addr up and by what evidence. An
// ICMP error from a router about addr does not.
func Reason(addr netip.Addr, r *rawsock.Reply) (result.Reason, bool) {
	switch r.Kind {
	case rawsock.KindARPReply:
		return result.ReasonARP, true
	case rawsock.KindNeighborAdv:
		return result.ReasonNDP, true
	case rawsock.KindEchoReply:
		return result.ReasonEcho, true
	case rawsock.KindTimestamp:
		return result.ReasonTimestamp, true
	case rawsock.KindTCP:
		if r.Flags&rawsock.SYN != 0 {
			return result.ReasonSYNACK, true
		}
		return result.ReasonRST, true
	case rawsock.KindUDP:
		return result.ReasonUDP, true
	case rawsock.KindUnreachable:
		if r.Src == addr {
			return result.ReasonPortUnreach, true // the host itself said its port is closed
		}
	}
	return "", false
}

// Vendor names the organization that owns mac's OUI (IEEE registry, as
// gopacket ships it), "" if unknown.
func Vendor(mac net.HardwareAddr) string {
	if len(mac) < 3 {
		return ""
	}
	return strings.TrimSpace(macs.ValidMACPrefixMap[[3]byte{mac[0], mac[1], mac[2]}])
}
