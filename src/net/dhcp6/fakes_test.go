package dhcp6

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/rfc1035label"

	"picket.dev/picket/src/testkit/fakeclock"
)

// guard bounds every wait on the client goroutine; a passing run never
// reaches it.
const guard = 10 * time.Second

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// sent is one message the client sent, with the clock's offset then.
type sent struct {
	m  *dhcpv6.Message
	at time.Duration
}

// fakeTransport records what the client sends and delivers what the test
// puts in inbox.
type fakeTransport struct {
	clk    *fakeclock.Clock
	sent   chan sent
	inbox  chan received
	closed chan struct{}
	once   sync.Once
}

func newFakeTransport(clk *fakeclock.Clock) *fakeTransport {
	return &fakeTransport{clk: clk, sent: make(chan sent, 64), inbox: make(chan received), closed: make(chan struct{})}
}

func (f *fakeTransport) Send(m *dhcpv6.Message) error {
	f.sent <- sent{m, f.clk.Now().Sub(epoch)}
	return nil
}

func (f *fakeTransport) Receive(ctx context.Context) (*dhcpv6.Message, netip.Addr, error) {
	select {
	case r := <-f.inbox:
		return r.m, r.from, r.err
	case <-ctx.Done():
		return nil, netip.Addr{}, ctx.Err()
	case <-f.closed:
		return nil, netip.Addr{}, errors.New("closed")
	}
}

func (f *fakeTransport) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

// next returns the next message the client sends.
func (f *fakeTransport) next(t *testing.T) sent {
	t.Helper()
	select {
	case s := <-f.sent:
		return s
	case <-time.After(guard):
		t.Fatalf("client sent nothing within %v", guard)
	}
	return sent{}
}

// deliver hands the client a message from server.
func (f *fakeTransport) deliver(t *testing.T, m *dhcpv6.Message, from netip.Addr) {
	t.Helper()
	select {
	case f.inbox <- received{m: m, from: from}:
	case <-time.After(guard):
		t.Fatalf("client did not read a message within %v", guard)
	}
}

type rfc1035Labels = rfc1035label.Labels

var errBroken = errors.New("socket broke")

// pending returns the deadlines of the timers the client waits on, as
// offsets from epoch, soonest first.
func pending(clk *fakeclock.Clock) []time.Duration {
	p := clk.Pending()
	for i := range p {
		p[i] += clk.Elapsed()
	}
	return p
}
