package conncheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// dns resolves the name the box itself must resolve: the proxy's when a
// proxy is in use (the proxy resolves the platform, and the box's
// resolvers need not know it), else the platform's. An IP literal needs
// no lookup and the step is skipped.
func (r *run) dns(ctx context.Context) outcome {
	host, _, err := r.in.platform()
	if err != nil {
		return failed(PanelBadPlatform, "%v", err)
	}
	what := "platform"
	if r.in.Proxy.Enabled() {
		host, what = r.in.Proxy.Host, "proxy"
	}
	if a, err := netip.ParseAddr(host); err == nil {
		r.resolved[host] = []netip.Addr{a}
		return skipped("%s %s is an IP address; nothing to resolve", what, host)
	}
	if len(r.in.DNS) == 0 {
		return failed(PanelNoDNSServer, "no DNS server is configured to resolve %s %s", what, host)
	}
	network, rr := "ip4", "A"
	if r.in.IPv6Only {
		network, rr = "ip6", "AAAA"
	}
	// Each server gets an equal share of the step, so a dead first server
	// leaves time to ask the next one.
	share := DefaultStepTimeout
	if dl, ok := ctx.Deadline(); ok {
		share = time.Until(dl) / time.Duration(len(r.in.DNS))
	}
	var fails []string
	for i, srv := range r.in.DNS {
		sctx, cancel := context.WithTimeout(ctx, share)
		if i == len(r.in.DNS)-1 {
			sctx, cancel = context.WithCancel(ctx)
		}
		addrs, err := lookup(sctx, r.net, srv, r.in.Source, network, host)
		cancel()
		if err == nil {
			r.resolved[host] = addrs
			return passed("%s %s is %s (%s record from %s)", what, host, joinAddrs(addrs), rr, srv)
		}
		fails = append(fails, fmt.Sprintf("%s: %s", srv, dnsWords(err, host, rr)))
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			// A server that says the name does not exist has answered;
			// asking the next one is for servers that did not.
			break
		}
	}
	return failed(PanelDNSFailed, "cannot resolve %s %s (%s) with %s: %s", what, host, rr, joinAddrs(r.in.DNS), strings.Join(fails, "; "))
}

// lookup asks one server, port 53, for host's addresses of network (ip4 or
// ip6). The Go resolver sends UDP and retries over TCP when the answer is
// truncated; both are sent from src when it is valid. The name is made
// absolute so that no search domain is appended.
func lookup(ctx context.Context, nw Network, srv, src netip.Addr, network, host string) ([]netip.Addr, error) {
	server := netip.AddrPortFrom(srv, 53).String()
	res := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, proto, _ string) (net.Conn, error) {
			laddr := localTCP(src)
			switch proto {
			case "udp", "udp4", "udp6":
				laddr = localUDP(src)
			}
			return nw.Dial(ctx, proto, laddr, server)
		},
	}
	name := host
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	addrs, err := res.LookupNetIP(ctx, network, name)
	if err != nil {
		return nil, err
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	return addrs, nil
}

// dnsWords says in words why a lookup failed: the name does not exist
// (NXDOMAIN), no answer in time, or what else went wrong.
func dnsWords(err error, host, rr string) string {
	var de *net.DNSError
	if !errors.As(err, &de) {
		if errors.Is(err, context.DeadlineExceeded) {
			return "timeout: no answer before the step timed out"
		}
		return err.Error()
	}
	switch {
	case de.IsNotFound:
		return fmt.Sprintf("NXDOMAIN: %s does not exist or has no %s record", host, rr)
	case de.IsTimeout:
		return "timeout: no answer"
	case strings.Contains(de.Err, "connection refused"):
		return "refused: no DNS server listens there (" + de.Err + ")"
	default:
		return de.Err
	}
}
