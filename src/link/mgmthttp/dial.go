// Package mgmthttp builds the HTTP client of the box's management traffic
// from the management path netmgrd gives (netapi.ManagementPath): the
// connections leave from the management source (split networking: out of
// WAN), names are resolved with the management resolvers only, and a
// proxy with its Basic or NTLM credentials tunnels them with CONNECT. The
// platform link polls through it and the updater downloads through it:
// one builder, so both always leave the box the same way.
package mgmthttp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/proxy"
)

// Options are what the client needs besides the path.
type Options struct {
	// RootCAs holds only the pinned platform CA.
	RootCAs *x509.CertPool
	// ServerName is the platform's host name, checked in its certificate.
	ServerName string
	// Dial opens the connections (platform, proxy, DNS); nil means the
	// kernel's sockets in the current network namespace.
	Dial DialFunc
}

// New returns a client that sends requests along mp: TLS 1.3 with only
// the pinned CA, never the environment's proxy, no redirects followed.
func New(mp netapi.ManagementPath, o Options) *http.Client {
	dial := o.Dial
	if dial == nil {
		dial = NetDial
	}
	base := &mgmtDialer{src: mp.Source, dns: mp.DNS, dial: dial}
	tr := &http.Transport{
		Proxy:               nil, // never the environment's proxy
		DialContext:         base.DialContext,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: o.RootCAs, ServerName: o.ServerName},
		TLSHandshakeTimeout: 15 * time.Second,
		IdleConnTimeout:     90 * time.Second,
		MaxIdleConns:        2,
	}
	if mp.Proxy.Enabled() {
		tr.DialContext = (&proxy.Dialer{Proxy: mp.Proxy, Forward: base}).DialContext
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return errors.New("the platform answered with a redirect, which the box does not follow")
	}}
}

// SamePath reports whether a client built for b serves a: same source,
// resolvers and proxy, password included.
func SamePath(a, b netapi.ManagementPath) bool {
	return a.Source == b.Source && slices.Equal(a.DNS, b.DNS) && a.Proxy == b.Proxy
}

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

// NetDial is the DialFunc of the box: the kernel's sockets.
func NetDial(ctx context.Context, network string, local net.Addr, addr string) (net.Conn, error) {
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
