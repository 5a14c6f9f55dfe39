package platformlink

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// mgmtDialer dials TCP for management traffic: bound to src when it is
// valid (split networking), names resolved with the management resolvers
// dns (sent from src too). It never uses /etc/resolv.conf.
type mgmtDialer struct {
	src  netip.Addr
	dns  []netip.Addr
	dial DialFunc
}

// DialFunc opens a connection from local (nil: the kernel's choice) to
// addr, an IP address and port. Tests inject one that dials inside a
// network namespace.
type DialFunc func(ctx context.Context, network string, local net.Addr, addr string) (net.Conn, error)

// netDial is the DialFunc of the box: the kernel's sockets.
func netDial(ctx context.Context, network string, local net.Addr, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: local}
	return d.DialContext(ctx, network, addr)
}

func (d *mgmtDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %q: not host:port", addr)
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{ip.Unmap()}
	} else {
		addrs, err = d.resolve(ctx, host)
		if err != nil {
			return nil, err
		}
	}
	var local net.Addr
	if d.src.IsValid() {
		local = net.TCPAddrFromAddrPort(netip.AddrPortFrom(d.src, 0))
	}
	var errs []error
	for _, a := range addrs {
		if d.src.IsValid() && a.Is4() != d.src.Is4() {
			errs = append(errs, fmt.Errorf("%s: not the family of the management source %s", a, d.src))
			continue
		}
		c, err := d.dial(ctx, network, local, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("dial %s: %w", addr, errors.Join(errs...))
}

// resolve asks each management resolver in turn for host's addresses.
func (d *mgmtDialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if len(d.dns) == 0 {
		return nil, fmt.Errorf("resolve %s: the network manager reports no DNS server for management traffic", host)
	}
	name := host
	if !strings.HasSuffix(name, ".") {
		name += "." // absolute: no search domain
	}
	var errs []error
	for _, srv := range d.dns {
		server := netip.AddrPortFrom(srv, 53).String()
		res := &net.Resolver{
			PreferGo: true,
			Dial: func(ctx context.Context, proto, _ string) (net.Conn, error) {
				var local net.Addr
				if d.src.IsValid() {
					if strings.HasPrefix(proto, "udp") {
						local = net.UDPAddrFromAddrPort(netip.AddrPortFrom(d.src, 0))
					} else {
						local = net.TCPAddrFromAddrPort(netip.AddrPortFrom(d.src, 0))
					}
				}
				return d.dial(ctx, proto, local, server)
			},
		}
		addrs, err := res.LookupNetIP(ctx, "ip", name)
		if err == nil && len(addrs) > 0 {
			for i, a := range addrs {
				addrs[i] = a.Unmap()
			}
			return addrs, nil
		}
		if err == nil {
			err = errors.New("no addresses")
		}
		errs = append(errs, fmt.Errorf("server %s: %w", srv, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("resolve %s: %w", host, errors.Join(errs...))
}
