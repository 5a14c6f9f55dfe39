package conncheck

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"picket.dev/picket/src/net/netapply"
)

// pingInterval is how often the gateway step sends an echo request.
const pingInterval = time.Second

// neighbourPoll is how often the gateway step reads the neighbour table.
const neighbourPoll = 100 * time.Millisecond

// gateway checks that the default gateway answers. Many gateways drop
// pings, so an ARP or NDP answer counts too: the echo requests make the
// kernel resolve the gateway, and a neighbour entry that is REACHABLE
// proves the gateway answered at link level. A stale entry is set to PROBE
// so that the kernel re-verifies it at once; that is the only change the
// test makes to the system.
func (r *run) gateway(ctx context.Context) outcome {
	gw := r.in.Gateway
	if !gw.IsValid() {
		return failed(PanelNoGateway, "no default gateway: the %s configuration gave none", r.in.family())
	}
	if r.in.IPv6Only != (gw.Is6() && !gw.Is4In6()) {
		return failed(PanelNoGateway, "default gateway %s is not an %s address; management traffic uses %s", gw, r.in.family(), r.in.family())
	}
	dev := r.in.GatewayDevice
	if gw.Is6() && gw.IsLinkLocalUnicast() && gw.Zone() == "" {
		if dev == "" {
			return failed(PanelNoGateway, "default gateway %s is link-local but no device is known for it", gw)
		}
		gw = gw.WithZone(dev)
	}
	where := "gateway " + gw.String()
	if dev != "" {
		where += " on " + dev
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		how string // how the gateway answered; "" if it did not
		err error  // why not
	}
	pingc, neighc := make(chan answer, 1), make(chan answer, 1)
	go func() {
		n, err := ping(ctx, r.net, gw, r.in.Source)
		if err != nil {
			pingc <- answer{err: err}
			return
		}
		pingc <- answer{how: fmt.Sprintf("answered ping (echo reply to request %d)", n)}
	}()
	go func() {
		err := waitReachable(ctx, r.neigh, gw, dev)
		if err != nil {
			neighc <- answer{err: err}
			return
		}
		kind := "ARP"
		if gw.Is6() {
			kind = "NDP"
		}
		neighc <- answer{how: fmt.Sprintf("answered %s (neighbour entry REACHABLE)", kind)}
	}()
	// Each side answers exactly once; the first success wins.
	var pingErr, neighErr error
	for range 2 {
		select {
		case a := <-pingc:
			if a.err == nil {
				return passed("%s %s", where, a.how)
			}
			pingErr = a.err
		case a := <-neighc:
			if a.err == nil {
				return passed("%s %s", where, a.how)
			}
			neighErr = a.err
		}
	}
	return failed(PanelGatewayUnreachable, "%s does not answer: ping: %v; neighbour: %v", where, pingErr, neighErr)
}

// ping sends ICMP echo requests to gw every pingInterval until one is
// answered or ctx ends, and returns the sequence number answered. It uses
// a privileged raw socket, bound to src when valid.
func ping(ctx context.Context, nw Network, gw, src netip.Addr) (int, error) {
	network, laddr, proto := "ip4:icmp", "0.0.0.0", 1
	var reqType, replyType icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
	if gw.Is6() {
		network, laddr, proto = "ip6:ipv6-icmp", "::", 58
		reqType, replyType = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply
	}
	if src.IsValid() {
		laddr = src.String()
	}
	pc, err := nw.ListenICMP(network, laddr)
	if err != nil {
		return 0, fmt.Errorf("open ICMP socket (%s on %s): %w", network, laddr, err)
	}
	defer pc.Close()
	stop := context.AfterFunc(ctx, func() { pc.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	// A raw socket sees every echo reply to the host; the random ID tells
	// ours apart.
	id := int(rand.N(uint16(0xffff))) + 1
	dst := &net.IPAddr{IP: gw.AsSlice(), Zone: gw.Zone()}
	sendErr := make(chan error, 1)
	go func() {
		t := time.NewTicker(pingInterval)
		defer t.Stop()
		for seq := 1; ; seq++ {
			msg := icmp.Message{Type: reqType, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("picket conncheck")}}
			b, err := msg.Marshal(nil) // the kernel fills in the ICMPv6 checksum
			if err == nil {
				_, err = pc.WriteTo(b, dst)
			}
			if err != nil {
				sendErr <- fmt.Errorf("send echo request %d: %w", seq, err)
				pc.SetReadDeadline(time.Unix(1, 0))
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	buf := make([]byte, 1500)
	for {
		n, peer, err := pc.ReadFrom(buf)
		if err != nil {
			select {
			case e := <-sendErr:
				return 0, e
			default:
			}
			if ctx.Err() != nil {
				return 0, errors.New("no echo reply before the step timed out")
			}
			return 0, fmt.Errorf("read ICMP: %w", err)
		}
		ip, ok := peer.(*net.IPAddr)
		if !ok {
			continue
		}
		pa, ok := netip.AddrFromSlice(ip.IP)
		if !ok || pa.Unmap() != gw.WithZone("").Unmap() {
			continue
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || m.Type != replyType {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && e.ID == id {
			return e.Seq, nil
		}
	}
}

// waitReachable polls the neighbour table until gw's entry is REACHABLE
// or ctx ends. dev restricts the entry to that device when set.
func waitReachable(ctx context.Context, nt Neighbours, gw netip.Addr, dev string) error {
	if nt == nil {
		return errors.New("no neighbour table to read")
	}
	want := gw.WithZone("").Unmap()
	last := "no entry"
	nudged := false
	t := time.NewTicker(neighbourPoll)
	defer t.Stop()
	for {
		ns, err := nt.Neighbours(dev, want.Is6())
		if err != nil {
			return fmt.Errorf("read neighbour table: %w", err)
		}
		for _, n := range ns {
			if n.IP.WithZone("").Unmap() != want {
				continue
			}
			if n.State&netapply.NeighReachable != 0 {
				return nil
			}
			last = "entry " + n.State.String()
			// A STALE entry would wait delay_first_probe_time (5 s)
			// in DELAY before the kernel probes the gateway, longer
			// than the step. Setting it to PROBE makes the kernel send
			// its unicast probe now; only an answer makes the entry
			// REACHABLE, so this proves nothing by itself.
			if !nudged && n.State&(netapply.NeighStale|netapply.NeighDelay) != 0 && n.MAC != "" {
				nudged = true
				if err := nt.ProbeNeighbour(n.Link, n); err != nil {
					last += fmt.Sprintf(" (asking the kernel to probe it failed: %v)", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not REACHABLE before the step timed out (last: %s)", last)
		case <-t.C:
		}
	}
}
