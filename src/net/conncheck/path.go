package conncheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// resolvedDialer dials TCP from a source address to the addresses step
// dns found, so the proxy and the platform are reached at what the
// configured resolvers said. A host it has no addresses for is dialled as
// given.
type resolvedDialer struct {
	net      Network
	src      netip.Addr
	resolved map[string][]netip.Addr
}

func (d *resolvedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	addrs := d.resolved[host]
	if len(addrs) == 0 {
		return d.net.Dial(ctx, network, localTCP(d.src), addr)
	}
	var errs []error
	for _, a := range addrs {
		c, err := d.net.Dial(ctx, network, localTCP(d.src), net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// tls runs a TLS 1.3 handshake with the platform, trusting only the
// pinned CA, through the proxy's tunnel or directly.
func (r *run) tls(ctx context.Context) outcome {
	host, _, err := r.in.platform()
	if err != nil {
		return failed(PanelBadPlatform, "%v", err)
	}
	if r.in.RootCAs == nil {
		// A nil pool would mean the system roots, which must never be
		// trusted for the platform.
		return failed(PanelNoPlatformCA, "no pinned platform CA is installed; the platform cannot be authenticated")
	}
	conn, via := r.tunnel, "through proxy "+proxyName(r.in.Proxy)
	if conn == nil {
		via = "directly"
		d := &resolvedDialer{net: r.net, src: r.in.Source, resolved: r.resolved}
		conn, err = d.DialContext(ctx, "tcp", r.in.Platform)
		if err != nil {
			return failed(PanelPlatformUnreach, "connect to platform %s: %v", r.in.Platform, err)
		}
	}
	r.tunnel = nil
	defer conn.Close()
	tc := tls.Client(conn, &tls.Config{
		RootCAs:    r.in.RootCAs,
		ServerName: host,
		MinVersion: tls.VersionTLS13,
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		return r.tlsFailure(err, via)
	}
	defer tc.Close()
	st := tc.ConnectionState()
	subject := "?"
	if len(st.VerifiedChains) > 0 && len(st.VerifiedChains[0]) > 0 {
		chain := st.VerifiedChains[0]
		subject = fmt.Sprintf("%s issued by %s", chain[0].Subject, chain[len(chain)-1].Subject)
	}
	return passed("%s with %s %s; certificate %s", tls.VersionName(st.Version), r.in.Platform, via, subject)
}

// tlsFailure words a failed handshake. A certificate from an unknown
// authority behind a proxy is the proxy terminating TLS (it presents its
// own certificate); that is reported, never accepted.
func (r *run) tlsFailure(err error, via string) outcome {
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) {
		var ua x509.UnknownAuthorityError
		presented := "no certificate"
		if len(ve.UnverifiedCertificates) > 0 {
			leaf := ve.UnverifiedCertificates[0]
			presented = fmt.Sprintf("certificate %q issued by %q", leaf.Subject.String(), leaf.Issuer.String())
		}
		if errors.As(ve.Err, &ua) {
			if r.in.Proxy.Enabled() {
				return failed(PanelTLSIntercepted, "proxy %s terminates TLS: it presented %s instead of the platform's certificate from the pinned CA", proxyName(r.in.Proxy), presented)
			}
			return failed(PanelTLSFailure, "platform %s presented %s, which the pinned platform CA did not issue", r.in.Platform, presented)
		}
		return failed(PanelTLSFailure, "platform %s %s presented %s: %v", r.in.Platform, via, presented, ve.Err)
	}
	return failed(PanelTLSFailure, "TLS 1.3 handshake with platform %s %s: %s", r.in.Platform, via, strings.TrimPrefix(err.Error(), "tls: "))
}
