package scanner

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/scan/checks"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/service"
)

// Bulk timeouts of service detection: a job scans many hosts, so a port
// that keeps silent costs less than the detector's single-port defaults.
const (
	BulkConnectTimeout = 2 * time.Second
	BulkBannerWait     = 1500 * time.Millisecond
	BulkReadTimeout    = 2 * time.Second
)

// ServiceOptions are what NewServices needs.
type ServiceOptions struct {
	// Iface binds every connection to the job's interface (the LAN or a
	// scanning VLAN's), so detection leaves the way the probes did.
	Iface string
	// Source, when valid, is the local address connections are bound to.
	Source netip.Addr
	Clock  clock.Clock
	// Concurrency bounds the ports detected at once (default 16).
	Concurrency int
	// ChecksOff are the job's check classes switched off: "ftp" leaves
	// out the anonymous FTP login, "udp" the SNMP community, NTP monitor
	// list and DNS recursion probes (service.Options NoLogin,
	// NoUDPChecks), so a class switched off sends nothing of its own.
	ChecksOff []result.CheckClass
}

// Services adapts the service detector (package service) to Scan's
// ServiceDetector hook.
type Services struct {
	d *service.Detector
}

// NewServices returns service detection with short timeouts, its
// connections bound to o.Iface (and o.Source).
func NewServices(o ServiceOptions) (*Services, error) {
	det, err := service.New(service.Options{
		Dialer: boundDialer(o), Clock: o.Clock,
		ConnectTimeout: BulkConnectTimeout, BannerWait: BulkBannerWait, ReadTimeout: BulkReadTimeout,
		Concurrency: o.Concurrency,
		NoLogin:     slices.Contains(o.ChecksOff, result.ClassFTP),
		NoUDPChecks: slices.Contains(o.ChecksOff, result.ClassUDP),
	})
	if err != nil {
		return nil, fmt.Errorf("service detection: %w", err)
	}
	return &Services{d: det}, nil
}

// Detect names the services on h's open ports.
func (s *Services) Detect(ctx context.Context, h *result.Host) error {
	var ts []service.Target
	var idx []int
	for i, p := range h.Ports {
		if p.State == result.Open {
			ts = append(ts, service.Target{Addr: h.Addr, Proto: p.Proto, Port: p.Port})
			idx = append(idx, i)
		}
	}
	for k, sv := range s.d.DetectAll(ctx, ts) {
		if sv != nil {
			h.Ports[idx[k]].Service = sv
		}
	}
	return ctx.Err()
}

// NewCheckHTTP returns the sender of HTTP checks' requests, its
// connections bound as service detection's are (o.Iface, o.Source).
func NewCheckHTTP(o ServiceOptions) *checks.HTTP {
	return checks.NewHTTP(boundDialer(o), checks.DefaultTimeout)
}

// boundDialer is the dialer of every connection a scan opens after the
// port scan: bound to o.Iface (SO_BINDTODEVICE) and o.Source.
func boundDialer(o ServiceOptions) *sourceDialer {
	d := &net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		if o.Iface == "" {
			return nil
		}
		var serr error
		if err := c.Control(func(fd uintptr) { serr = bindToDevice(fd, o.Iface) }); err != nil {
			return err
		}
		return serr
	}}
	return &sourceDialer{d: d, src: o.Source}
}

// sourceDialer binds connections to a source address of the family of
// the destination, when one is given.
type sourceDialer struct {
	d   *net.Dialer
	src netip.Addr
}

func (s *sourceDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if !s.src.IsValid() {
		return s.d.DialContext(ctx, network, addr)
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || ap.Addr().Unmap().Is4() != s.src.Is4() {
		return s.d.DialContext(ctx, network, addr)
	}
	d := *s.d
	switch network {
	case "udp", "udp4", "udp6":
		d.LocalAddr = &net.UDPAddr{IP: s.src.AsSlice()}
	default:
		d.LocalAddr = &net.TCPAddr{IP: s.src.AsSlice()}
	}
	return d.DialContext(ctx, network, addr)
}
