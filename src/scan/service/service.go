// Package service is the scan engine's service and version detection: given an
// open port, it finds which protocol the port speaks and, from the service's own
// answers, its product, version and facts (TLS, HTTP, SSH key exchange, anonymous
// FTP, DNS version.bind, SNMP sysDescr, ...), filling result.Service.
//
// Detection is by what the port answers, never by its number alone: a port is first
// given the chance to speak (a greeting such as SSH's or FTP's), then sent the
// probes of this package one by one, those the port number suggests first. Probes
// and the patterns that read the answers are written from the protocols' own
// specifications (RFCs, vendor documentation); docs/service-detection.md lists them
// and every fact key. The package is non-intrusive: it logs in nowhere but anonymous
// FTP and SNMP community "public", and sends no exploit payloads.
//
// All sockets come from the Dialer it is given, so the caller decides the source
// address and interface (the box binds per scanning interface) and tests dial into
// a network namespace.
package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/scan/result"
)

// Dialer makes the connections and UDP sockets of the detection. net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Options tune a Detector. Only Dialer is required.
type Options struct {
	Dialer Dialer
	// Clock tells the scan time (certificate expiry); default the system clock.
	Clock clock.Clock
	// Rand is the randomness of ClientHellos and query ids; default crypto/rand.
	Rand io.Reader
	// ConnectTimeout bounds one connect (default 3 s).
	ConnectTimeout time.Duration
	// BannerWait is how long a fresh connection is given to speak first before
	// probes are sent (default 2 s).
	BannerWait time.Duration
	// ReadTimeout bounds the wait for one answer to a probe (default 3 s).
	ReadTimeout time.Duration
	// Concurrency bounds the ports DetectAll works on at once (default 16).
	Concurrency int
	// NoLogin leaves out the anonymous FTP login (the job switched the
	// "ftp" check class off): no ftp.anonymous fact.
	NoLogin bool
	// NoUDPChecks leaves out the UDP probes that are checks rather than
	// detection (the job switched the "udp" class off): the SNMP request
	// with community "public" (SNMP is then named by its port only), the
	// NTP monitor list and the DNS recursion question.
	NoUDPChecks bool
}

// Detector finds the services on open ports. It is safe for concurrent use.
type Detector struct {
	o Options
}

// New returns a Detector with o's defaults filled in.
func New(o Options) (*Detector, error) {
	if o.Dialer == nil {
		return nil, errors.New("service: Options.Dialer is required")
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 3 * time.Second
	}
	if o.BannerWait <= 0 {
		o.BannerWait = 2 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 3 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	return &Detector{o: o}, nil
}

// Target is one open port to look at.
type Target struct {
	Addr  netip.Addr
	Proto result.Proto
	Port  uint16
}

// DetectAll runs Detect on every target, at most Options.Concurrency at once, and
// returns the services in the targets' order (nil where nothing was found).
func (d *Detector) DetectAll(ctx context.Context, targets []Target) []*result.Service {
	out := make([]*result.Service, len(targets))
	sem := make(chan struct{}, d.o.Concurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return out
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = d.Detect(ctx, t.Addr, t.Proto, t.Port)
		}()
	}
	wg.Wait()
	return out
}

// Detect finds the service on one open port. It returns nil when nothing answered in
// a way it recognises and the port number names no usual service either; a port
// that answered but was not recognised gets Name "unknown" with its Banner.
func (d *Detector) Detect(ctx context.Context, addr netip.Addr, proto result.Proto, port uint16) *result.Service {
	t := &target{d: d, addr: addr, port: port}
	var s *result.Service
	switch proto {
	case result.TCP:
		s = t.detectTCP(ctx)
	case result.UDP:
		s = t.detectUDP(ctx)
	}
	if s == nil {
		if name := usualName(proto, port); name != "" {
			s = &result.Service{Name: name, Method: "port"}
		}
	}
	if s != nil && len(s.Facts) == 0 {
		s.Facts = nil
	}
	return s
}

// target is one port being detected.
type target struct {
	d    *Detector
	addr netip.Addr
	port uint16
}

func (t *target) hostport() string {
	return netip.AddrPortFrom(t.addr, t.port).String()
}

// dial connects to the target over network ("tcp" or "udp").
func (t *target) dial(ctx context.Context, network string) (net.Conn, error) {
	return t.dialPort(ctx, network, t.port)
}

func (t *target) dialPort(ctx context.Context, network string, port uint16) (net.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, t.d.o.ConnectTimeout)
	defer cancel()
	a := netip.AddrPortFrom(t.addr, port).String()
	c, err := t.d.o.Dialer.DialContext(cctx, network, a)
	if err != nil {
		return nil, fmt.Errorf("dial %s %s: %w", network, a, err)
	}
	// Closed when ctx ends, so that a cancelled scan stops at once.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	return &ctxConn{Conn: c, stop: stop}, nil
}

type ctxConn struct {
	net.Conn
	stop func() bool
}

func (c *ctxConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// readSome reads what arrives within wait, at most max bytes: it returns as soon as
// some bytes came and no more follow within a short gap, so a one-line greeting does
// not cost the whole wait.
func readSome(c net.Conn, wait time.Duration, max int) ([]byte, error) {
	buf := make([]byte, 0, 4096)
	deadline := time.Now().Add(wait)
	tmp := make([]byte, 4096)
	for len(buf) < max {
		d := deadline
		if len(buf) > 0 {
			// Some came: wait a little for the rest of a multi-part answer.
			if g := time.Now().Add(250 * time.Millisecond); g.Before(d) {
				d = g
			}
		}
		c.SetReadDeadline(d)
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
				err = nil
			}
			if len(buf) > max {
				buf = buf[:max]
			}
			return buf, err
		}
	}
	return buf[:max], nil
}

// readUntil reads until done says the bytes hold a whole answer, the peer closes,
// wait passes or max bytes came.
func readUntil(c net.Conn, wait time.Duration, max int, done func([]byte) bool) ([]byte, error) {
	buf := make([]byte, 0, 1024)
	tmp := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(wait))
	defer c.SetReadDeadline(time.Time{})
	for len(buf) < max && !done(buf) {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			if done(buf) {
				return buf, nil
			}
			return buf, err
		}
	}
	if len(buf) > max {
		buf = buf[:max]
	}
	return buf, nil
}

// usualName is the service the port number usually carries (result.Service.Method
// "port": used only when nothing answered).
func usualName(proto result.Proto, port uint16) string {
	if proto == result.UDP {
		switch port {
		case 53:
			return "domain"
		case 123:
			return "ntp"
		case 161:
			return "snmp"
		}
		return ""
	}
	switch port {
	case 21:
		return "ftp"
	case 22:
		return "ssh"
	case 23:
		return "telnet"
	case 25, 587:
		return "smtp"
	case 53:
		return "domain"
	case 80, 8080:
		return "http"
	case 110:
		return "pop3"
	case 143:
		return "imap"
	case 389:
		return "ldap"
	case 443:
		return "https"
	case 445:
		return "microsoft-ds"
	case 3306:
		return "mysql"
	case 3389:
		return "ms-wbt-server"
	case 5432:
		return "postgresql"
	case 6379:
		return "redis"
	}
	return ""
}

func setFact(s *result.Service, k, v string) {
	if s.Facts == nil {
		s.Facts = map[string]string{}
	}
	s.Facts[k] = v
}

func itoa(i int) string { return strconv.Itoa(i) }
