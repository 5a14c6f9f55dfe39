package conncheck

import (
	"context"
	"errors"
	"fmt"
	"net"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/proxy"
)

// proxyName names the proxy for details: host:port and the user, never
// the password.
func proxyName(p netcfg.Proxy) string {
	s := net.JoinHostPort(p.Host, fmt.Sprint(p.Port))
	if p.User != "" {
		s += " as user " + p.User
	}
	return s
}

// proxy opens the CONNECT tunnel to the platform that step tls then runs
// TLS through.
func (r *run) proxy(ctx context.Context) outcome {
	p := r.in.Proxy
	if !p.Enabled() {
		return skipped("no proxy configured; the platform is reached directly")
	}
	if _, _, err := r.in.platform(); err != nil {
		return failed(PanelBadPlatform, "%v", err)
	}
	// The proxy is reached from Source at the address step dns found.
	d := &proxy.Dialer{Proxy: p, Forward: &resolvedDialer{net: r.net, src: r.in.Source, resolved: r.resolved}}
	conn, err := d.DialContext(ctx, "tcp", r.in.Platform)
	if err != nil {
		panel, why := proxyFailure(err)
		return failed(panel, "CONNECT %s through proxy %s: %s: %v", r.in.Platform, proxyName(p), why, err)
	}
	r.tunnel = conn
	return passed("proxy %s opened a CONNECT tunnel to %s", proxyName(p), r.in.Platform)
}

// proxyFailure maps a proxy dialer's error to the panel reason and a few
// words on what it means.
func proxyFailure(err error) (panel, why string) {
	switch {
	case errors.Is(err, proxy.ErrAuthRequired):
		return PanelProxyAuthFailed, "the proxy requires credentials"
	case errors.Is(err, proxy.ErrAuthFailed):
		return PanelProxyAuthFailed, "the proxy rejected the user name or password"
	case errors.Is(err, proxy.ErrUnsupportedAuth):
		return PanelProxyAuthUnsupp, "the proxy asks for an authentication scheme the box does not support (Basic and NTLM are)"
	case errors.Is(err, proxy.ErrRefused):
		return PanelProxyRefused, "the proxy refused to tunnel to the platform"
	}
	// Reaching the proxy (TCP connect) failed, or took too long.
	var pe *proxy.ProxyError
	if errors.As(err, &pe) && pe.Op == "connect" {
		return PanelProxyUnreachable, "cannot reach the proxy"
	}
	var op *net.OpError
	if !errors.As(err, &pe) && errors.As(err, &op) && op.Op == "dial" {
		return PanelProxyUnreachable, "cannot reach the proxy"
	}
	return PanelProxyFailed, "the CONNECT exchange with the proxy failed"
}
