// Package conncheck is the connectivity test: it checks the path from the
// box to the platform step by step (link, address, gateway, DNS, proxy,
// TLS) and says which step failed first, in words for the logs and in a
// short reason for the front panel.
//
// The network manager (netmgrd) runs it after every network change and
// when TEST CONNECTIVITY is chosen on the front panel. It runs on the real
// network: ICMP and neighbour lookups in the caller's network namespace,
// DNS through the configured resolvers only, TLS against the pinned
// platform CA only. It changes nothing, except that it asks the kernel to
// re-verify a stale neighbour entry of the gateway at once. It reaches the
// kernel only through what the caller gives it (Checker): the neighbour
// table through package netapply, and its sockets through a Network, so
// the network manager's stand-in can run it on a simulated network.
//
// Its result (Result) is its own; the network manager turns it into the
// local API's.
package conncheck

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"time"

	"picket.dev/picket/src/net/netapply"
	"picket.dev/picket/src/net/netcfg"
)

// DefaultStepTimeout bounds each step when Input.StepTimeout is zero.
const DefaultStepTimeout = 5 * time.Second

// StepName names a step of the test, in the order they run.
type StepName string

// The steps of the path test to the platform.
const (
	StepLink    StepName = "link"    // carrier on the ports in use
	StepAddress StepName = "address" // an address (lease, static, RA) on them
	StepGateway StepName = "gateway" // the default gateway answers
	StepDNS     StepName = "dns"     // the platform (or proxy) host resolves
	StepProxy   StepName = "proxy"   // the proxy accepts CONNECT and the credentials
	StepTLS     StepName = "tls"     // TLS to the platform with the pinned CA
)

// Outcome is how a step ended.
type Outcome string

// Step outcomes.
const (
	Passed  Outcome = "passed"
	Failed  Outcome = "failed"
	Skipped Outcome = "skipped" // does not apply (no proxy configured)
	NotRun  Outcome = "not_run" // an earlier step failed
)

// Step is one step of a test.
type Step struct {
	Name    StepName
	Outcome Outcome
	// Detail says what was checked or what went wrong, in words.
	Detail string
	// Panel is the short upper-case reason of a failed step for the front
	// panel; at most PanelReasonMax characters.
	Panel string
}

// PanelReasonMax is the longest Step.Panel: the front panel's two
// 16-column lines.
const PanelReasonMax = 32

// Result is the result of a test.
type Result struct {
	Started, Finished time.Time
	// Steps lists every step in order; after the first failure the rest
	// are NotRun.
	Steps []Step
	// OK says no step failed.
	OK bool
}

// FirstFailure returns the first failed step, if any.
func (r Result) FirstFailure() (Step, bool) {
	for _, s := range r.Steps {
		if s.Outcome == Failed {
			return s, true
		}
	}
	return Step{}, false
}

// Address methods, as Port.Method says them.
const (
	MethodDHCP   = "dhcp"
	MethodStatic = "static"
	MethodAuto   = "auto" // IPv6 router advertisement
)

// Port is one port management traffic uses.
type Port struct {
	Name string // "lan" or "wan"
	// Device is the kernel name that carries the address (eth0, eth0.20).
	Device string
	// Carrier says the link has carrier (OperState up / IFF_LOWER_UP).
	Carrier bool
	// Addrs are the usable addresses on Device; IPv4 link-local and IPv6
	// link-local addresses are ignored if present.
	Addrs []netip.Prefix
	// Method is MethodDHCP, MethodStatic or MethodAuto; it words
	// the address failure (NO DHCP LEASE ON LAN vs NO IP ADDRESS ON LAN).
	Method string
}

// Input is what the test needs to know about the network in force.
type Input struct {
	// Ports are the ports management traffic uses: LAN, or WAN with split
	// networking. Steps link and address check each of them.
	Ports []Port
	// IPv6Only is the IPv6-only mode: management over IPv6 (a global IPv6
	// address is needed, DNS asks for AAAA).
	IPv6Only bool
	// Gateway is the management default gateway; invalid means none known.
	Gateway netip.Addr
	// GatewayDevice is the device a link-local gateway is reached on.
	GatewayDevice string
	// Source is the address management traffic is bound to (the WAN
	// address with split networking); invalid lets the kernel choose.
	Source netip.Addr
	// DNS lists the resolvers for management lookups, in order.
	DNS []netip.Addr
	// Platform is the platform's host:port; host is a name or an IP.
	Platform string
	// RootCAs is the pinned platform CA, the only root trusted.
	RootCAs *x509.CertPool
	// Proxy is the HTTP proxy; the zero value is none (step proxy skipped).
	Proxy netcfg.Proxy
	// StepTimeout bounds each step; 0 means DefaultStepTimeout.
	StepTimeout time.Duration
}

// Checker runs connectivity tests.
type Checker struct {
	// Now is the clock for Result.Started and Finished; nil is time.Now.
	Now func() time.Time
	// Neighbours is the neighbour table the gateway step reads (a
	// netapply.Kernel of the namespace the test runs in). Required.
	Neighbours Neighbours
	// Network opens the test's sockets; nil is the kernel's (Kernel).
	Network Network
}

// Neighbours is the kernel's neighbour table (netapply.Kernel has it).
type Neighbours interface {
	Neighbours(link string, v6 bool) ([]netapply.Neighbour, error)
	ProbeNeighbour(link string, n netapply.Neighbour) error
}

// Panel reasons. Each fits PanelReasonMax; the front-panel spec
// gives the wording.
const (
	PanelNoGateway          = "NO DEFAULT GATEWAY"
	PanelGatewayUnreachable = "GATEWAY UNREACHABLE"
	PanelNoDNSServer        = "NO DNS SERVER"
	PanelDNSFailed          = "DNS LOOKUP FAILED"
	PanelBadPlatform        = "BAD PLATFORM ADDRESS"
	PanelProxyUnreachable   = "PROXY UNREACHABLE"
	PanelProxyAuthFailed    = "PROXY AUTH FAILED"
	PanelProxyAuthUnsupp    = "PROXY AUTH NOT SUPPORTED"
	PanelProxyRefused       = "PROXY REFUSED CONNECT"
	PanelProxyFailed        = "PROXY CONNECT FAILED"
	PanelTLSIntercepted     = "TLS INTERCEPTED BY PROXY"
	PanelPlatformUnreach    = "PLATFORM UNREACHABLE"
	PanelTLSFailure         = "TLS FAILURE"
	PanelNoPlatformCA       = "NO PLATFORM CA"
	PanelNoPort             = "NO MANAGEMENT PORT"
	PanelCanceled           = "TEST CANCELED"
)

// outcome is how one step ended, before it becomes a Step.
type outcome struct {
	result Outcome
	detail string
	panel  string
}

func passed(format string, a ...any) outcome {
	return outcome{result: Passed, detail: fmt.Sprintf(format, a...)}
}

func skipped(format string, a ...any) outcome {
	return outcome{result: Skipped, detail: fmt.Sprintf(format, a...)}
}

func failed(panel, format string, a ...any) outcome {
	return outcome{result: Failed, panel: panel, detail: fmt.Sprintf(format, a...)}
}

// step is one step of the test as Run runs it.
type step struct {
	name StepName
	run  func(ctx context.Context) outcome
}

// Run tests the path to the platform described by in and returns the
// result. It never fails as a call: everything that goes wrong is a failed
// step. ctx bounds the whole test; each step also has in.StepTimeout.
func (c *Checker) Run(ctx context.Context, in Input) Result {
	now := c.Now
	if now == nil {
		now = time.Now
	}
	started := now()
	nw := c.Network
	if nw == nil {
		nw = Kernel{}
	}
	r := &run{in: in, resolved: map[string][]netip.Addr{}, neigh: c.Neighbours, net: nw}
	defer r.close()
	test := shape(ctx, r.steps(), in.timeout())
	test.Started, test.Finished = started, now()
	return test
}

func (in Input) timeout() time.Duration {
	if in.StepTimeout > 0 {
		return in.StepTimeout
	}
	return DefaultStepTimeout
}

// shape runs steps in order, each under its own timeout, and turns them
// into a ConnTest: after the first failure the rest are not run.
func shape(ctx context.Context, steps []step, timeout time.Duration) Result {
	var t Result
	var failedAt StepName
	for _, s := range steps {
		if failedAt != "" {
			t.Steps = append(t.Steps, Step{
				Name: s.name, Outcome: NotRun,
				Detail: fmt.Sprintf("not run: step %s failed", failedAt),
			})
			continue
		}
		var o outcome
		if err := ctx.Err(); err != nil {
			o = failed(PanelCanceled, "test canceled before step %s: %v", s.name, err)
		} else {
			sctx, cancel := context.WithTimeout(ctx, timeout)
			o = s.run(sctx)
			cancel()
			if o.result == Failed && ctx.Err() != nil {
				// The caller gave up (shutdown); the step's own reason
				// would blame the network for it.
				o = failed(PanelCanceled, "test canceled during step %s: %v (%s)", s.name, ctx.Err(), o.detail)
			}
		}
		st := Step{Name: s.name, Outcome: o.result, Detail: o.detail}
		if o.result == Failed {
			st.Panel = panelText(o.panel)
			failedAt = s.name
		}
		t.Steps = append(t.Steps, st)
	}
	t.OK = failedAt == ""
	return t
}

// panelText keeps a reason within the panel's two lines; every reason this
// package makes already fits, so cutting is only a guard.
func panelText(s string) string {
	if s == "" {
		s = "CONNECTIVITY TEST FAILED"
	}
	if len(s) > PanelReasonMax {
		s = s[:PanelReasonMax]
	}
	return s
}

// run is the state of one test: what earlier steps found that later ones
// use.
type run struct {
	in Input
	// resolved maps the names step dns resolved to their addresses, so the
	// proxy and TLS steps dial what the configured resolvers said, not what
	// the system resolver says.
	resolved map[string][]netip.Addr
	// tunnel is the CONNECT tunnel step proxy opened, for step tls.
	tunnel net.Conn
	neigh  Neighbours
	net    Network
}

func (r *run) steps() []step {
	return []step{
		{StepLink, r.link},
		{StepAddress, r.address},
		{StepGateway, r.gateway},
		{StepDNS, r.dns},
		{StepProxy, r.proxy},
		{StepTLS, r.tls},
	}
}

func (r *run) close() {
	if r.tunnel != nil {
		r.tunnel.Close()
		r.tunnel = nil
	}
}

// family is the management address family, in words.
func (in Input) family() string {
	if in.IPv6Only {
		return "IPv6"
	}
	return "IPv4"
}

func portLabel(p Port) string {
	if p.Device == "" {
		return p.Name
	}
	return fmt.Sprintf("%s (%s)", p.Name, p.Device)
}

func portPanel(p Port) string {
	n := p.Name
	if n == "" {
		n = "lan"
	}
	return upper(n)
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// link checks carrier on every management port.
func (r *run) link(context.Context) outcome {
	if len(r.in.Ports) == 0 {
		return failed(PanelNoPort, "no port is configured for management traffic")
	}
	var up []string
	for _, p := range r.in.Ports {
		if !p.Carrier {
			return failed("NO LINK ON "+portPanel(p), "%s has no carrier: check the cable and the switch port", portLabel(p))
		}
		up = append(up, portLabel(p))
	}
	return passed("carrier on %s", join(up))
}

// usable reports whether a is an address management traffic can use in
// the mode: IPv4 (not link-local) in IPv4+v6 mode, global IPv6 in
// IPv6-only mode.
func (in Input) usable(a netip.Addr) bool {
	if in.IPv6Only {
		return a.Is6() && !a.Is4In6() && a.IsGlobalUnicast()
	}
	return a.Is4() && !a.IsLinkLocalUnicast() && !a.IsLoopback() && !a.IsUnspecified()
}

// address checks that every management port has a usable address.
func (r *run) address(context.Context) outcome {
	var got []string
	for _, p := range r.in.Ports {
		var ok []string
		for _, a := range p.Addrs {
			if r.in.usable(a.Addr()) {
				ok = append(ok, a.String())
			}
		}
		if len(ok) == 0 {
			var panel string
			switch {
			case r.in.IPv6Only:
				panel = "NO IPv6 ADDRESS ON " + portPanel(p)
			case p.Method == MethodDHCP:
				panel = "NO DHCP LEASE ON " + portPanel(p)
			default:
				panel = "NO IP ADDRESS ON " + portPanel(p)
			}
			what := "no address"
			if len(p.Addrs) > 0 {
				what = "only " + joinPrefixes(p.Addrs)
			}
			how := ""
			switch p.Method {
			case MethodDHCP:
				how = " (no DHCP lease)"
			case MethodAuto:
				how = " (no router advertisement gave one)"
			}
			global := ""
			if r.in.IPv6Only {
				global = " global"
			}
			return failed(panel, "%s has no%s %s address%s: %s", portLabel(p), global, r.in.family(), how, what)
		}
		got = append(got, fmt.Sprintf("%s %s", portLabel(p), join(ok)))
	}
	return passed("%s", join(got))
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return join(s)
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return join(s)
}

// platform splits in.Platform into host and port.
func (in Input) platform() (host, port string, err error) {
	host, port, err = net.SplitHostPort(in.Platform)
	if err != nil {
		return "", "", fmt.Errorf("platform address %q is not host:port: %w", in.Platform, err)
	}
	if host == "" || port == "" {
		return "", "", fmt.Errorf("platform address %q needs both a host and a port", in.Platform)
	}
	return host, port, nil
}

// localTCP is the local address to bind TCP to, nil for the kernel's
// choice.
func localTCP(src netip.Addr) net.Addr {
	if !src.IsValid() {
		return nil
	}
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0))
}

func localUDP(src netip.Addr) net.Addr {
	if !src.IsValid() {
		return nil
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0))
}
