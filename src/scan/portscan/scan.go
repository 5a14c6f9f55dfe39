// Package portscan finds the open ports of hosts. Its engine (Run) is
// stateless, as masscan's: a sender walks a keyed random permutation of
// hosts x probes and puts each probe on the wire through a raw socket,
// carrying a cookie (SipHash of the 4-tuple under the job's key) in its
// TCP sequence number, ICMP sequence or source port; a receiver running
// apart matches answers by their cookie, so no table of probes in flight
// is kept. Unanswered probes are sent again in later passes (the source
// port says which pass an answer is for), and the send rate adapts per
// target network to the loss and round trips measured (rate.go).
//
// Scan is the TCP SYN and UDP scan on that engine; ConnectScan is the
// fallback without raw sockets. Host discovery (src/scan/discover) runs
// its own probes on the same engine.
package portscan

import (
	"context"
	"net/netip"
	"sort"
	"time"

	"picket.dev/picket/src/scan/rawsock"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/targets"
)

// Found is what a scan learned about one host: the ports that answered
// (the open ones; with Options.KeepAll the closed and ICMP-filtered ones
// too, which otherwise are only counted in Counts, so that a /16 of
// hosts with a thousand closed ports each costs no memory per port) and
// the smallest round trip measured. Ports that never answered are not
// listed: a TCP port with no answer is filtered, a UDP one open|filtered.
type Found struct {
	Addr   netip.Addr
	Ports  []result.Port
	Counts map[result.Proto]map[result.State]int
	RTT    time.Duration
}

// Probes returns the engine's probes for ports: a SYN per TCP port and a
// UDP probe with the payload its service answers (UDPPayloads) per UDP
// port.
func Probes(ports targets.Ports) []Probe {
	var out []Probe
	for _, p := range ports.TCP {
		out = append(out, Probe{Kind: ProbeSYN, Port: p})
	}
	for _, p := range ports.UDP {
		out = append(out, Probe{Kind: ProbeUDP, Port: p, Payloads: UDPPayloads(p)})
	}
	return out
}

// Scan scans ports on hosts with raw SYN and UDP probes. Cancelled, it
// returns at once with what it found so far, and ctx's error.
func Scan(ctx context.Context, nw Net, hosts Hosts, ports targets.Ports, opt Options) ([]Found, error) {
	probes := Probes(ports)
	found := map[uint64]*Found{}
	err := Run(ctx, nw, hosts, probes, opt, func(a Answer) {
		port, ok := Classify(probes[a.Probe], a.Addr, a.Reply)
		if !ok {
			return
		}
		f := found[a.Host]
		if f == nil {
			f = &Found{Addr: a.Addr}
			found[a.Host] = f
		}
		if port.State == result.Open || opt.KeepAll {
			f.Ports = append(f.Ports, port)
		} else {
			if f.Counts == nil {
				f.Counts = map[result.Proto]map[result.State]int{}
			}
			if f.Counts[port.Proto] == nil {
				f.Counts[port.Proto] = map[result.State]int{}
			}
			f.Counts[port.Proto][port.State]++
		}
		if a.RTT > 0 && (f.RTT == 0 || a.RTT < f.RTT) {
			f.RTT = a.RTT
		}
	})
	return sorted(found), err
}

func sorted(m map[uint64]*Found) []Found {
	out := make([]Found, 0, len(m))
	for _, f := range m {
		SortPorts(f.Ports)
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out
}

// SortPorts orders ports TCP first, then by number.
func SortPorts(ps []result.Port) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Proto != ps[j].Proto {
			return ps[i].Proto == result.TCP
		}
		return ps[i].Port < ps[j].Port
	})
}

// portUnreachable reports whether an ICMP unreachable says "port
// unreachable" (ICMP type 3 code 3; ICMPv6 type 1 code 4).
func portUnreachable(r *rawsock.Reply) bool {
	if r.Orig.Dst.Is4() {
		return r.Code == 3
	}
	return r.Code == 4
}

// Classify turns an answer to a port probe into the port's state, as
// nmap does: SYN-ACK open, RST closed; a UDP answer open, ICMP port
// unreachable closed; any other ICMP unreachable filtered (and for TCP a
// port unreachable too: a firewall's reject).
func Classify(p Probe, addr netip.Addr, r *rawsock.Reply) (result.Port, bool) {
	port := result.Port{Port: p.Port}
	switch p.Kind {
	case ProbeSYN:
		port.Proto = result.TCP
		switch {
		case r.Kind == rawsock.KindTCP && r.Flags&rawsock.SYN != 0:
			port.State, port.Reason = result.Open, result.ReasonSYNACK
		case r.Kind == rawsock.KindTCP && r.Flags&rawsock.RST != 0:
			port.State, port.Reason = result.Closed, result.ReasonRST
		case r.Kind == rawsock.KindUnreachable:
			port.State, port.Reason = result.Filtered, result.ReasonUnreach
			if portUnreachable(r) {
				port.Reason = result.ReasonPortUnreach
			}
		default:
			return port, false
		}
	case ProbeUDP:
		port.Proto = result.UDP
		switch {
		case r.Kind == rawsock.KindUDP:
			port.State, port.Reason = result.Open, result.ReasonUDP
		case r.Kind == rawsock.KindUnreachable && portUnreachable(r) && r.Src == addr:
			port.State, port.Reason = result.Closed, result.ReasonPortUnreach
		case r.Kind == rawsock.KindUnreachable:
			port.State, port.Reason = result.Filtered, result.ReasonUnreach
		default:
			return port, false
		}
	default:
		return port, false
	}
	return port, true
}
