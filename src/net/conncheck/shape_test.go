package conncheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/proxy"
)

// These tests need no network: they check how steps become a ConnTest,
// and the link and address steps, which only read the Input.

func TestShapeFirstFailureStopsTheRest(t *testing.T) {
	ok := func(context.Context) outcome { return passed("fine") }
	skip := func(context.Context) outcome { return skipped("n/a") }
	bad := func(context.Context) outcome {
		return failed(PanelGatewayUnreachable, "gateway 192.0.2.1 does not answer")
	}
	ran := map[StepName]bool{}
	track := func(n StepName, f func(context.Context) outcome) step {
		return step{n, func(ctx context.Context) outcome { ran[n] = true; return f(ctx) }}
	}
	tests := []struct {
		name  string
		steps []step
		want  []Outcome
		ok    bool
	}{
		{"all pass", []step{track("a", ok), track("b", skip), track("c", ok)},
			[]Outcome{Passed, Skipped, Passed}, true},
		{"middle fails", []step{track("a", ok), track("b", bad), track("c", ok), track("d", skip)},
			[]Outcome{Passed, Failed, NotRun, NotRun}, false},
		{"first fails", []step{track("a", bad), track("b", bad)},
			[]Outcome{Failed, NotRun}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clear(ran)
			got := shape(context.Background(), tc.steps, time.Second)
			if got.OK != tc.ok {
				t.Errorf("OK = %v, want %v", got.OK, tc.ok)
			}
			if len(got.Steps) != len(tc.want) {
				t.Fatalf("%d steps, want %d: %+v", len(got.Steps), len(tc.want), got.Steps)
			}
			for i, s := range got.Steps {
				if s.Name != tc.steps[i].name || s.Outcome != tc.want[i] {
					t.Errorf("step %d = %s %s, want %s %s", i, s.Name, s.Outcome, tc.steps[i].name, tc.want[i])
				}
				if s.Outcome == NotRun && ran[s.Name] {
					t.Errorf("step %s ran after a failure", s.Name)
				}
				if (s.Outcome == Failed) != (s.Panel != "") {
					t.Errorf("step %s (%s) panel %q: only failed steps have one", s.Name, s.Outcome, s.Panel)
				}
			}
			if f, failed := got.FirstFailure(); failed && f.Panel != PanelGatewayUnreachable {
				t.Errorf("first failure %+v, want panel %q", f, PanelGatewayUnreachable)
			}
		})
	}
}

func TestShapeCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := shape(ctx, []step{{"a", func(context.Context) outcome {
		t.Error("a step ran under a canceled context")
		return passed("")
	}}}, time.Second)
	if got.OK || got.Steps[0].Outcome != Failed || got.Steps[0].Panel != PanelCanceled {
		t.Errorf("got %+v, want a failed first step with %q", got, PanelCanceled)
	}
}

func TestShapeStepTimeout(t *testing.T) {
	got := shape(context.Background(), []step{{"slow", func(ctx context.Context) outcome {
		dl, ok := ctx.Deadline()
		if !ok {
			return failed("NO DEADLINE", "no deadline")
		}
		<-ctx.Done()
		return failed(PanelGatewayUnreachable, "deadline %v", dl)
	}}}, 10*time.Millisecond)
	if got.Steps[0].Panel != PanelGatewayUnreachable {
		t.Errorf("got %+v; each step must run under the step timeout", got.Steps[0])
	}
}

func TestPanelTextsFit(t *testing.T) {
	texts := []string{
		PanelNoGateway, PanelGatewayUnreachable, PanelNoDNSServer, PanelDNSFailed, PanelBadPlatform,
		PanelProxyUnreachable, PanelProxyAuthFailed, PanelProxyAuthUnsupp, PanelProxyRefused,
		PanelProxyFailed, PanelTLSIntercepted, PanelPlatformUnreach, PanelTLSFailure,
		PanelNoPlatformCA, PanelNoPort, PanelCanceled,
	}
	for _, iface := range []string{"lan", "wan"} {
		p := portPanel(Port{Name: iface})
		texts = append(texts, "NO LINK ON "+p, "NO DHCP LEASE ON "+p, "NO IP ADDRESS ON "+p, "NO IPv6 ADDRESS ON "+p)
	}
	for _, s := range texts {
		if len(s) > PanelReasonMax {
			t.Errorf("panel text %q is %d characters, more than %d", s, len(s), PanelReasonMax)
		}
	}
	long := strings.Repeat("X", 40)
	if got := panelText(long); len(got) != PanelReasonMax {
		t.Errorf("panelText(%d chars) = %d chars", len(long), len(got))
	}
}

// TestLinkAndAddress runs whole tests that fail at link or address; the
// later steps must not run (they would touch the network).
func TestLinkAndAddress(t *testing.T) {
	pfx := netip.MustParsePrefix
	lan := func(carrier bool, method string, addrs ...netip.Prefix) Port {
		return Port{Name: "lan", Device: "eth0", Carrier: carrier, Method: method, Addrs: addrs}
	}
	wan := func(carrier bool, method string, addrs ...netip.Prefix) Port {
		return Port{Name: "wan", Device: "eth1", Carrier: carrier, Method: method, Addrs: addrs}
	}
	tests := []struct {
		name   string
		in     Input
		step   StepName
		panel  string
		detail string
	}{
		{"no ports", Input{}, StepLink, PanelNoPort, "no port"},
		{"no carrier on LAN", Input{Ports: []Port{lan(false, MethodDHCP)}},
			StepLink, "NO LINK ON LAN", "lan (eth0) has no carrier"},
		{"no carrier on WAN", Input{Ports: []Port{wan(false, MethodStatic, pfx("192.0.2.2/24"))}},
			StepLink, "NO LINK ON WAN", "wan (eth1) has no carrier"},
		{"no lease", Input{Ports: []Port{lan(true, MethodDHCP)}},
			StepAddress, "NO DHCP LEASE ON LAN", "lan (eth0) has no IPv4 address (no DHCP lease): no address"},
		{"only IPv4 link-local", Input{Ports: []Port{lan(true, MethodDHCP, pfx("169.254.3.4/16"))}},
			StepAddress, "NO DHCP LEASE ON LAN", "only 169.254.3.4/16"},
		{"static without address", Input{Ports: []Port{lan(true, MethodStatic, pfx("2001:db8::5/64"))}},
			StepAddress, "NO IP ADDRESS ON LAN", "no IPv4 address: only 2001:db8::5/64"},
		{"WAN without lease", Input{Ports: []Port{wan(true, MethodDHCP)}},
			StepAddress, "NO DHCP LEASE ON WAN", "wan (eth1)"},
		{"IPv6-only with only link-local", Input{IPv6Only: true, Ports: []Port{lan(true, MethodAuto, pfx("fe80::1/64"), pfx("192.0.2.2/24"))}},
			StepAddress, "NO IPv6 ADDRESS ON LAN", "no global IPv6 address (no router advertisement gave one)"},
		{"no gateway", Input{Ports: []Port{lan(true, MethodStatic, pfx("192.0.2.2/24"))}},
			StepGateway, PanelNoGateway, "no default gateway"},
		{"IPv6 gateway in IPv4 mode", Input{Gateway: netip.MustParseAddr("2001:db8::1"), Ports: []Port{lan(true, MethodStatic, pfx("192.0.2.2/24"))}},
			StepGateway, PanelNoGateway, "not an IPv4 address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
			c := &Checker{Now: func() time.Time { return start }}
			got := c.Run(context.Background(), tc.in)
			if got.OK || !got.Started.Equal(start) || !got.Finished.Equal(start) {
				t.Errorf("OK %v started %v finished %v", got.OK, got.Started, got.Finished)
			}
			checkFailure(t, got, tc.step, tc.panel, tc.detail)
		})
	}
}

// checkFailure checks that got failed at step with panel and a detail
// containing detail, that the steps before passed or were skipped and
// that the rest were not run.
func checkFailure(t *testing.T, got Result, step StepName, panel, detail string) {
	t.Helper()
	order := []StepName{StepLink, StepAddress, StepGateway, StepDNS, StepProxy, StepTLS}
	if len(got.Steps) != len(order) {
		t.Fatalf("%d steps, want %d: %+v", len(got.Steps), len(order), got.Steps)
	}
	seen := false
	for i, s := range got.Steps {
		if s.Name != order[i] {
			t.Errorf("step %d is %s, want %s", i, s.Name, order[i])
		}
		switch {
		case s.Name == step:
			seen = true
			if s.Outcome != Failed || s.Panel != panel || !strings.Contains(s.Detail, detail) {
				t.Errorf("step %s = %s %q %q; want failed %q with detail containing %q", s.Name, s.Outcome, s.Panel, s.Detail, panel, detail)
			}
		case seen:
			if s.Outcome != NotRun {
				t.Errorf("step %s after the failure = %s %q, want not_run", s.Name, s.Outcome, s.Detail)
			}
		default:
			if s.Outcome != Passed && s.Outcome != Skipped {
				t.Errorf("step %s before the failure = %s %q %q", s.Name, s.Outcome, s.Panel, s.Detail)
			}
		}
	}
	if got.OK {
		t.Errorf("OK is true for a failed test")
	}
	if f, _ := got.FirstFailure(); f.Panel != panel {
		t.Errorf("first failure's panel = %q, want %q", f.Panel, panel)
	}
}

func TestShapeCanceledDuringStep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	got := shape(ctx, []step{
		{"a", func(sctx context.Context) outcome {
			cancel()
			<-sctx.Done()
			return failed(PanelDNSFailed, "lookup: %v", sctx.Err())
		}},
		{"b", func(context.Context) outcome { return passed("") }},
	}, time.Minute)
	if s := got.Steps[0]; s.Panel != PanelCanceled || !strings.Contains(s.Detail, "test canceled during step a") {
		t.Errorf("step a = %+v; a step cut short by the caller must say the test was canceled", s)
	}
	if got.Steps[1].Outcome != NotRun {
		t.Errorf("step b = %+v, want not_run", got.Steps[1])
	}
}

func TestProxyFailure(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	tests := []struct {
		name  string
		err   error
		panel string
	}{
		{"auth required", &proxy.ProxyError{Op: "auth", Err: proxy.ErrAuthRequired}, PanelProxyAuthFailed},
		{"auth failed", &proxy.ProxyError{Op: "auth", Err: proxy.ErrAuthFailed}, PanelProxyAuthFailed},
		{"unsupported auth", &proxy.ProxyError{Op: "auth", Err: proxy.ErrUnsupportedAuth}, PanelProxyAuthUnsupp},
		{"refused", &proxy.ProxyError{Op: "tunnel", Err: proxy.ErrRefused}, PanelProxyRefused},
		{"cannot connect", &proxy.ProxyError{Op: "connect", Err: refused}, PanelProxyUnreachable},
		{"connect timeout", &proxy.ProxyError{Op: "connect", Err: context.DeadlineExceeded}, PanelProxyUnreachable},
		{"garbage answer", &proxy.ProxyError{Op: "tunnel", Err: proxy.ErrProtocol}, PanelProxyFailed},
		{"tunnel timeout", &proxy.ProxyError{Op: "tunnel", Err: context.DeadlineExceeded}, PanelProxyFailed},
		{"bare dial error", fmt.Errorf("dial proxy: %w", refused), PanelProxyUnreachable},
	}
	for _, tc := range tests {
		if got, _ := proxyFailure(tc.err); got != tc.panel {
			t.Errorf("%s: panel %q, want %q", tc.name, got, tc.panel)
		}
	}
}

func TestDNSWords(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&net.DNSError{Err: "no such host", Name: "x.test.", IsNotFound: true}, "NXDOMAIN: x.test does not exist"},
		{&net.DNSError{Err: "i/o timeout", Name: "x.test.", IsTimeout: true}, "timeout: no answer"},
		{&net.DNSError{Err: "read udp 10.0.0.2:5000->10.0.0.1:53: read: connection refused"}, "refused: no DNS server listens there"},
		{&net.DNSError{Err: "server misbehaving"}, "server misbehaving"},
		{context.DeadlineExceeded, "timeout"},
	}
	for _, tc := range tests {
		if got := dnsWords(tc.err, "x.test", "A"); !strings.Contains(got, tc.want) {
			t.Errorf("dnsWords(%v) = %q, want it to contain %q", tc.err, got, tc.want)
		}
	}
}
