package dhcp6

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/rfc1035label"
)

// guard bounds every wait on the client goroutine; a passing run never
// reaches it.
const guard = 10 * time.Second

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeClock is a Clock whose time moves only when the test fires a timer.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	clk *fakeClock
	at  time.Time
	ch  chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: epoch} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{clk: f, at: f.now.Add(d), ch: make(chan time.Time, 1)}
	f.timers = append(f.timers, t)
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	for i, x := range t.clk.timers {
		if x == t {
			t.clk.timers = append(t.clk.timers[:i], t.clk.timers[i+1:]...)
			return true
		}
	}
	return false
}

// pending returns the deadlines of the timers the client waits on, as
// offsets from epoch, earliest first.
func (f *fakeClock) pending() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Duration
	for _, t := range f.timers {
		out = append(out, t.at.Sub(epoch))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// fire waits until the client waits on a timer, moves the clock to the
// earliest one and fires it; it returns the offset from epoch.
func (f *fakeClock) fire(t *testing.T) time.Duration {
	t.Helper()
	end := time.Now().Add(guard)
	for len(f.pending()) == 0 {
		if time.Now().After(end) {
			t.Fatalf("client never waited on a timer within %v", guard)
		}
		time.Sleep(time.Millisecond)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sort.Slice(f.timers, func(i, j int) bool { return f.timers[i].at.Before(f.timers[j].at) })
	tm := f.timers[0]
	f.timers = f.timers[1:]
	if tm.at.After(f.now) {
		f.now = tm.at
	}
	tm.ch <- f.now
	return f.now.Sub(epoch)
}

// sent is one message the client sent, with the clock's offset then.
type sent struct {
	m  *dhcpv6.Message
	at time.Duration
}

// fakeTransport records what the client sends and delivers what the test
// puts in inbox.
type fakeTransport struct {
	clk    *fakeClock
	sent   chan sent
	inbox  chan received
	closed chan struct{}
	once   sync.Once
}

func newFakeTransport(clk *fakeClock) *fakeTransport {
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
