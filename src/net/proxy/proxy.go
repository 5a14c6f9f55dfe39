// Package proxy opens TCP connections through the HTTP proxy the box is
// configured with (netcfg.Proxy): an HTTP/1.1 CONNECT tunnel, with Basic or
// NTLM (NTLMv2) proxy authentication. The connectivity test uses it to
// reach the platform, and so will the platform link.
//
// Every failure is a *ProxyError that says, for a human, which step failed
// and why; errors.Is tells the kinds apart (ErrAuthRequired,
// ErrAuthFailed, ErrUnsupportedAuth, ErrRefused, context errors) and
// errors.As reaches the network error of a failed dial. The password never
// appears in an error.
package proxy

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"

	"picket.dev/picket/src/net/netcfg"
)

// The kinds of failure, for errors.Is on what DialContext returns.
var (
	// ErrAuthRequired: the proxy wants credentials and none are configured.
	ErrAuthRequired = errors.New("proxy requires authentication")
	// ErrAuthFailed: the proxy answered 407 to the credentials we sent.
	ErrAuthFailed = errors.New("proxy refused the credentials")
	// ErrUnsupportedAuth: the proxy only offers schemes the box cannot do
	// (Negotiate/Kerberos, Digest...).
	ErrUnsupportedAuth = errors.New("proxy offers no authentication scheme the box supports")
	// ErrRefused: the proxy answered CONNECT with a non-2xx status other
	// than 407 (403 for a port it does not tunnel to, 502 for a target it
	// cannot reach...).
	ErrRefused = errors.New("proxy refused the tunnel")
	// ErrProtocol: the proxy's answer is not HTTP we understand.
	ErrProtocol = errors.New("proxy answered with something that is not a valid HTTP response")
)

// ProxyError is every error DialContext returns.
type ProxyError struct {
	// Op is the step that failed: "connect" (reaching the proxy), "auth"
	// (authenticating) or "tunnel" (the CONNECT itself).
	Op     string
	Proxy  string // proxy host:port
	Target string // host:port asked for
	// Code and Status are the proxy's last HTTP answer, if any
	// (407, "407 Proxy Authentication Required").
	Code   int
	Status string
	// Err is one of the Err* kinds, a context error or the network error.
	Err error

	msg string
}

func (e *ProxyError) Error() string { return e.msg }

// Unwrap gives Err to errors.Is and errors.As.
func (e *ProxyError) Unwrap() error { return e.Err }

// Dialer opens TCP connections through an HTTP proxy with CONNECT.
type Dialer struct {
	// Proxy is the proxy: Host, Port, User ("domain\user" = NTLM domain),
	// Password.
	Proxy netcfg.Proxy
	// Forward reaches the proxy; nil means &net.Dialer{}. It lets the
	// caller bind a source address (split networking).
	Forward interface {
		DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	}
}

// maxBody bounds the 407 body read to keep the connection for the next
// round; a longer body makes us reconnect instead.
const maxBody = 1 << 20

// DialContext returns a connection to addr (host:port of the target)
// tunnelled through the proxy. network ("tcp", "tcp4" or "tcp6") is also
// the network used to reach the proxy. ctx bounds the whole handshake:
// its deadline and cancellation apply to the dial and to every read and
// write until the tunnel is up; the returned connection has no deadline.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	p := d.Proxy
	proxyAddr := net.JoinHostPort(strings.Trim(p.Host, "[]"), strconv.Itoa(p.Port))
	fail := func(op string, kind error, format string, a ...any) *ProxyError {
		return &ProxyError{Op: op, Proxy: proxyAddr, Target: addr, Err: kind, msg: fmt.Sprintf(format, a...)}
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fail("connect", net.UnknownNetworkError(network), "proxy tunnel: network %q is not supported; use tcp, tcp4 or tcp6", network)
	}
	if !p.Enabled() {
		return nil, fail("connect", errors.New("no proxy configured"), "proxy tunnel to %s: no proxy host is configured", addr)
	}
	if p.Scheme != "" && !strings.EqualFold(p.Scheme, "http") {
		return nil, fail("connect", errors.New("unsupported proxy scheme"), "proxy %s: scheme %q is not supported; only an HTTP proxy with CONNECT is", proxyAddr, p.Scheme)
	}
	if p.Port < 1 || p.Port > 65535 {
		return nil, fail("connect", errors.New("bad proxy port"), "proxy %s: port %d is outside 1-65535", p.Host, p.Port)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return nil, fail("tunnel", errors.New("bad target address"), "proxy tunnel: target %q is not host:port", addr)
	}
	target := net.JoinHostPort(host, port)

	h := &handshake{d: d, ctx: ctx, network: network, proxyAddr: proxyAddr, target: target, fail: fail}
	conn, err := h.run()
	if err != nil {
		h.close()
		// A read or write cut short by ctx fails with a timeout; say why.
		// The connection's deadline (ctx's) may fire a moment before ctx
		// itself reports it.
		ctxErr := ctx.Err()
		if dl, ok := ctx.Deadline(); ok && ctxErr == nil && !time.Now().Before(dl) {
			ctxErr = context.DeadlineExceeded
		}
		if ctxErr != nil && !errors.Is(err, ctxErr) {
			op := "tunnel"
			var pe *ProxyError
			if errors.As(err, &pe) {
				op = pe.Op
			}
			return nil, fail(op, ctxErr, "%v (gave up: %v)", err, ctxErr)
		}
		return nil, err
	}
	return conn, nil
}

// handshake is one DialContext's state: the current connection to the
// proxy and its reader.
type handshake struct {
	d         *Dialer
	ctx       context.Context
	network   string
	proxyAddr string
	target    string
	fail      func(op string, kind error, format string, a ...any) *ProxyError

	conn net.Conn
	br   *bufio.Reader
	stop func() bool // ends the ctx watch on conn
}

func (h *handshake) close() {
	if h.conn != nil {
		h.stop()
		h.conn.Close()
		h.conn, h.br = nil, nil
	}
}

// connect (re)opens the connection to the proxy and ties it to ctx.
func (h *handshake) connect() error {
	h.close()
	fw := h.d.Forward
	if fw == nil {
		fw = &net.Dialer{}
	}
	c, err := fw.DialContext(h.ctx, h.network, h.proxyAddr)
	if err != nil {
		return h.fail("connect", err, "reach proxy %s: %v", h.proxyAddr, err)
	}
	if dl, ok := h.ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	// Cancelling ctx unblocks any read or write at once.
	h.stop = context.AfterFunc(h.ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	h.conn, h.br = c, bufio.NewReader(c)
	return nil
}

// roundTrip sends CONNECT with the given Proxy-Authorization (empty: none)
// and reads the answer's header. The body is left unread.
func (h *handshake) roundTrip(auth string) (*http.Response, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Connection: Keep-Alive\r\n", h.target, h.target)
	if auth != "" {
		fmt.Fprintf(&b, "Proxy-Authorization: %s\r\n", auth)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(h.conn, b.String()); err != nil {
		return nil, h.fail("tunnel", err, "send CONNECT %s to proxy %s: %v", h.target, h.proxyAddr, err)
	}
	resp, err := http.ReadResponse(h.br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		kind := err
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, h.fail("tunnel", err, "proxy %s closed the connection without answering CONNECT %s", h.proxyAddr, h.target)
		}
		var ne net.Error
		if !errors.As(err, &ne) {
			kind = fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		return nil, h.fail("tunnel", kind, "read the answer of proxy %s to CONNECT %s: %v", h.proxyAddr, h.target, err)
	}
	return resp, nil
}

// reusable drains a 407's body and reports whether the connection can
// carry the next round.
func (h *handshake) reusable(resp *http.Response) bool {
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody+1))
	return err == nil && n <= maxBody && !resp.Close
}

// tunnel returns the established tunnel, keeping bytes the proxy sent
// after its answer.
func (h *handshake) tunnel() (net.Conn, error) {
	c, br := h.conn, h.br
	if !h.stop() {
		// ctx ended just now; its deadline is on the connection.
		return nil, h.fail("tunnel", h.ctx.Err(), "proxy tunnel to %s through %s: gave up: %v", h.target, h.proxyAddr, h.ctx.Err())
	}
	h.conn = nil
	c.SetDeadline(time.Time{})
	if br.Buffered() == 0 {
		return c, nil
	}
	return &bufferedConn{Conn: c, r: br}, nil
}

// bufferedConn reads what the bufio.Reader holds before the connection.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (h *handshake) run() (net.Conn, error) {
	if err := h.connect(); err != nil {
		return nil, err
	}
	resp, err := h.roundTrip("")
	if err != nil {
		return nil, err
	}
	if ok, err := h.verdict(resp, "", false); ok || err != nil {
		return h.finish(ok, err)
	}
	// 407.
	schemes := authSchemes(resp.Header)
	p := h.d.Proxy
	if p.User == "" {
		return nil, h.status(resp, "auth", ErrAuthRequired,
			"proxy %s requires authentication (it offers %s) but no proxy user is configured", h.proxyAddr, schemeList(schemes))
	}
	var scheme string
	switch {
	case hasScheme(schemes, "NTLM"):
		scheme = "NTLM"
	case hasScheme(schemes, "Basic"):
		scheme = "Basic"
	default:
		return nil, h.status(resp, "auth", ErrUnsupportedAuth,
			"proxy %s asks for %s authentication; the box supports only Basic and NTLM", h.proxyAddr, schemeList(schemes))
	}
	if !h.reusable(resp) {
		if err := h.connect(); err != nil {
			return nil, err
		}
	}
	if scheme == "Basic" {
		cred := base64.StdEncoding.EncodeToString([]byte(p.User + ":" + p.Password.Reveal()))
		resp, err := h.roundTrip("Basic " + cred)
		if err != nil {
			return nil, err
		}
		return h.finish(h.verdict(resp, "Basic", true))
	}
	return h.ntlm()
}

// ntlm runs the NTLM handshake on the current connection: NEGOTIATE,
// CHALLENGE in a 407, AUTHENTICATE. NTLM authenticates the connection, so
// the proxy must keep it open between the rounds.
func (h *handshake) ntlm() (net.Conn, error) {
	p := h.d.Proxy
	// The domain goes into AUTHENTICATE (from "domain\user"); NEGOTIATE
	// carries no domain or workstation, as go-ntlmssp recommends.
	neg, err := ntlmssp.NewNegotiateMessage("", "")
	if err != nil {
		return nil, h.fail("auth", err, "proxy %s: build NTLM negotiate message: %v", h.proxyAddr, err)
	}
	resp, err := h.roundTrip("NTLM " + base64.StdEncoding.EncodeToString(neg))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusProxyAuthRequired {
		// 200 here would mean the proxy let us in without checking.
		return h.finish(h.verdict(resp, "NTLM", true))
	}
	var challenge []byte
	for _, v := range resp.Header.Values("Proxy-Authenticate") {
		if s, tok, _ := strings.Cut(strings.TrimSpace(v), " "); strings.EqualFold(s, "NTLM") && tok != "" {
			challenge, err = base64.StdEncoding.DecodeString(strings.TrimSpace(tok))
			if err != nil {
				return nil, h.status(resp, "auth", fmt.Errorf("%w: bad NTLM challenge", ErrProtocol),
					"proxy %s sent an NTLM challenge that is not base64", h.proxyAddr)
			}
		}
	}
	if challenge == nil {
		return nil, h.status(resp, "auth", ErrAuthFailed,
			"proxy %s refused the NTLM negotiation for user %s: %s", h.proxyAddr, p.User, resp.Status)
	}
	if !h.reusable(resp) {
		return nil, h.status(resp, "auth", fmt.Errorf("%w: connection closed during NTLM", ErrProtocol),
			"proxy %s closed the connection in the middle of the NTLM handshake (NTLM needs a kept-alive connection)", h.proxyAddr)
	}
	am, err := ntlmssp.NewAuthenticateMessage(challenge, p.User, p.Password.Reveal(), nil)
	if err != nil {
		// go-ntlmssp's errors name protocol features, never the password.
		return nil, h.status(resp, "auth", fmt.Errorf("%w: %v", ErrProtocol, err),
			"proxy %s: cannot answer its NTLM challenge: %v", h.proxyAddr, err)
	}
	resp, err = h.roundTrip("NTLM " + base64.StdEncoding.EncodeToString(am))
	if err != nil {
		return nil, err
	}
	return h.finish(h.verdict(resp, "NTLM", true))
}

func (h *handshake) finish(ok bool, err error) (net.Conn, error) {
	if err != nil {
		return nil, err
	}
	return h.tunnel()
}

// verdict classifies an answer: ok for 2xx, an error for anything but
// 407, and for 407 ErrAuthFailed when credentials were sent (sent) or
// (false, nil) to let the caller authenticate.
func (h *handshake) verdict(resp *http.Response, scheme string, sent bool) (bool, error) {
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return true, nil
	case resp.StatusCode == http.StatusProxyAuthRequired && sent:
		return false, h.status(resp, "auth", ErrAuthFailed,
			"proxy %s refused the credentials for user %s (%s): %s", h.proxyAddr, h.d.Proxy.User, scheme, resp.Status)
	case resp.StatusCode == http.StatusProxyAuthRequired:
		return false, nil
	default:
		return false, h.status(resp, "tunnel", ErrRefused,
			"proxy %s refused to open a tunnel to %s: %s", h.proxyAddr, h.target, resp.Status)
	}
}

func (h *handshake) status(resp *http.Response, op string, kind error, format string, a ...any) *ProxyError {
	e := h.fail(op, kind, format, a...)
	e.Code, e.Status = resp.StatusCode, resp.Status
	return e
}

// authSchemes returns the schemes of the Proxy-Authenticate headers, in
// order, as the proxy spells them. A header may hold several challenges
// separated by commas, each "Scheme [token | param=value, ...]".
func authSchemes(hd http.Header) []string {
	var out []string
	for _, v := range hd.Values("Proxy-Authenticate") {
		for _, chunk := range splitChallenges(v) {
			chunk = strings.TrimSpace(chunk)
			word, _, _ := strings.Cut(chunk, " ")
			if word == "" || strings.Contains(word, "=") {
				continue // a parameter of the previous challenge
			}
			if !hasScheme(out, word) {
				out = append(out, word)
			}
		}
	}
	return out
}

// splitChallenges splits on commas outside quoted strings.
func splitChallenges(v string) []string {
	var parts []string
	quoted, esc, start := false, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case esc:
			esc = false
		case quoted && c == '\\':
			esc = true
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

func hasScheme(schemes []string, s string) bool {
	for _, x := range schemes {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func schemeList(schemes []string) string {
	if len(schemes) == 0 {
		return "no scheme"
	}
	return strings.Join(schemes, ", ")
}
