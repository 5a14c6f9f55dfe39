package dhcp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"picket.dev/picket/src/testkit/fakeclock"
)

// guard bounds every wait on the client goroutine; it is never reached in a
// passing run.
const guard = 10 * time.Second

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// call is one Extend or Release seen by the fake transport.
type call struct {
	Op     string        // "extend" or "release"
	At     time.Duration // clock offset from epoch
	Server netip.Addr    // Extend: zero for broadcast
}

// fakeTransport answers from funcs the test sets and records every call.
type fakeTransport struct {
	clk      *fakeclock.Clock
	discover func() (*dhcpv4.DHCPv4, error)
	request  func(offer *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, error)
	extend   func(n int, server netip.Addr) (*dhcpv4.DHCPv4, error)

	mu      sync.Mutex
	calls   []call
	nExtend int
	closed  bool
}

func (f *fakeTransport) Discover(ctx context.Context) (*dhcpv4.DHCPv4, error) {
	return f.discover()
}

func (f *fakeTransport) Request(ctx context.Context, offer *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, error) {
	return f.request(offer)
}

func (f *fakeTransport) Extend(ctx context.Context, ack *dhcpv4.DHCPv4, server netip.Addr) (*dhcpv4.DHCPv4, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call{Op: "extend", At: f.clk.Now().Sub(epoch), Server: server})
	n := f.nExtend
	f.nExtend++
	f.mu.Unlock()
	return f.extend(n, server)
}

func (f *fakeTransport) Release(ack *dhcpv4.DHCPv4) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{Op: "release", At: f.clk.Now().Sub(epoch), Server: mustAddr(ack.ServerIdentifier())})
	return nil
}

func (f *fakeTransport) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeTransport) recorded() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func mustAddr(ip net.IP) netip.Addr {
	a, _ := addr4(ip)
	return a
}

var (
	serverA = netip.MustParseAddr("192.0.2.1")
	serverB = netip.MustParseAddr("192.0.2.2")
	addr1   = netip.MustParseAddr("192.0.2.10")
	addr2   = netip.MustParseAddr("192.0.2.11")
	errLost = errors.New("no response")
)

// reply builds an OFFER/ACK/NAK from server for addr with a lease time in
// seconds (0: no option 51) and extra modifiers.
func reply(t testing.TB, mt dhcpv4.MessageType, server, addr netip.Addr, lease uint32, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	base := []dhcpv4.Modifier{
		dhcpv4.WithMessageType(mt),
		dhcpv4.WithHwAddr(net.HardwareAddr{2, 0, 0, 0, 0, 1}),
		dhcpv4.WithServerIP(net.IP(server.AsSlice())),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IP(server.AsSlice()))),
	}
	if mt != dhcpv4.MessageTypeNak {
		base = append(base,
			dhcpv4.WithYourIP(net.IP(addr.AsSlice())),
			dhcpv4.WithNetmask(net.CIDRMask(24, 32)))
	}
	if lease > 0 {
		base = append(base, dhcpv4.WithLeaseTime(lease))
	}
	m, err := dhcpv4.New(append(base, mods...)...)
	if err != nil {
		t.Fatal(err)
	}
	m.OpCode = dhcpv4.OpcodeBootReply
	return m
}

// recorder collects events.
type recorder struct {
	mu     sync.Mutex
	events []Event
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1000)} }

func (r *recorder) on(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	r.notify <- struct{}{}
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// waitN waits until n events have arrived.
func (r *recorder) waitN(t *testing.T, n int) []Event {
	t.Helper()
	deadline := time.After(guard)
	for {
		if ev := r.all(); len(ev) >= n {
			return ev
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("got %d events within %v, want %d: %+v", len(r.all()), guard, n, r.all())
		}
	}
}

// nextTimer waits until the client waits on a timer (it arms one only
// when about to block) and returns the soonest deadline.
func nextTimer(clk *fakeclock.Clock) time.Time {
	p := clk.WaitTimers(1)
	return clk.Now().Add(p[0])
}
