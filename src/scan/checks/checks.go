// Package checks sends the requests of the signature database's HTTP
// checks (sigdb.HTTPDoer) on the wire: one request per connection, the
// request line and headers written by hand so that exactly the method and
// path the signature gives go out, TLS without verification on TLS ports
// (the scanner inspects, it does not trust), the body read to 64 KiB.
package checks

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"slices"
	"strconv"
	"time"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/sigdb"
)

// Dialer opens connections; the scanner's is bound to the job's interface
// and source address.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// DefaultTimeout bounds one request, from dial to the end of the body.
const DefaultTimeout = 5 * time.Second

// maxHeaderBytes bounds the status line and headers of a response.
const maxHeaderBytes = 64 << 10

// UserAgent is sent with every request: a check is not to pass for a
// browser.
const UserAgent = "PicketScan/1.0 (vulnerability check)"

// HTTP is the real sigdb.HTTPDoer.
type HTTP struct {
	dialer  Dialer
	timeout time.Duration
}

// NewHTTP returns a doer dialing through d; timeout 0 means DefaultTimeout.
func NewHTTP(d Dialer, timeout time.Duration) *HTTP {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &HTTP{dialer: d, timeout: timeout}
}

var allowed = []string{"GET", "HEAD", "OPTIONS", "TRACE"}

// Do sends req to host's port and reads the answer.
func (c *HTTP) Do(ctx context.Context, host *result.Host, port *result.Port, req sigdb.HTTPRequest) (sigdb.HTTPResponse, error) {
	// The compiler refuses anything else; checked again because this is
	// the last place before the wire.
	if !slices.Contains(allowed, req.Method) || len(req.Path) == 0 || req.Path[0] != '/' {
		return sigdb.HTTPResponse{}, fmt.Errorf("http check: request %.10q %.40q refused", req.Method, req.Path)
	}
	for _, ch := range []byte(req.Path) {
		if ch <= ' ' || ch >= 0x7f {
			return sigdb.HTTPResponse{}, fmt.Errorf("http check: path %.40q refused", req.Path)
		}
	}
	if port.Proto != result.TCP {
		return sigdb.HTTPResponse{}, fmt.Errorf("http check: %s port %d", port.Proto, port.Port)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	addr := netip.AddrPortFrom(host.Addr, port.Port).String()
	conn, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return sigdb.HTTPResponse{}, fmt.Errorf("http check %s: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if req.TLS {
		tc := tls.Client(conn, &tls.Config{
			// We inspect, we do not trust: the certificate was reported by
			// service detection; here only the HTTP answer matters.
			InsecureSkipVerify: true, //nolint:gosec
			MinVersion:         tls.VersionTLS10,
		})
		if err := tc.HandshakeContext(ctx); err != nil {
			return sigdb.HTTPResponse{}, fmt.Errorf("http check %s: tls: %w", addr, err)
		}
		conn = tc
	}
	hostHdr := host.Addr.String()
	if host.Addr.Is6() {
		hostHdr = "[" + hostHdr + "]"
	}
	if (req.TLS && port.Port != 443) || (!req.TLS && port.Port != 80) {
		hostHdr += ":" + strconv.Itoa(int(port.Port))
	}
	line := req.Method + " " + req.Path + " HTTP/1.1\r\nHost: " + hostHdr + "\r\nUser-Agent: " + UserAgent +
		"\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, line); err != nil {
		return sigdb.HTTPResponse{}, fmt.Errorf("http check %s: %w", addr, err)
	}
	br := bufio.NewReaderSize(&limitedReader{r: conn, n: maxHeaderBytes + sigdb.MaxBodyBytes}, 4096)
	resp, err := http.ReadResponse(br, &http.Request{Method: req.Method})
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(err, ctx.Err())
		}
		return sigdb.HTTPResponse{}, fmt.Errorf("http check %s %s %s: %w", addr, req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	// A body cut short (reset, timeout) still counts: the check matches
	// on what came.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, sigdb.MaxBodyBytes))
	return sigdb.HTTPResponse{Status: resp.StatusCode, Header: textproto.MIMEHeader(resp.Header), Body: body}, nil
}

// limitedReader stops a response that never ends: headers and body
// together are read to a bound.
type limitedReader struct {
	r io.Reader
	n int
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= n
	return n, err
}
