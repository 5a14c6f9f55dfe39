package dhcp

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"picket.dev/picket/src/testkit/fakeclock"
)

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

type harness struct {
	clk    *fakeclock.Clock
	tr     *fakeTransport
	rec    *recorder
	c      *Client
	cancel context.CancelFunc
	done   chan error
}

// start runs a Client on tr; the test's cleanup stops it and waits for Run.
func start(t *testing.T, clk *fakeclock.Clock, tr *fakeTransport, maxLease time.Duration) *harness {
	t.Helper()
	h := &harness{clk: clk, tr: tr, rec: newRecorder(), done: make(chan error, 1)}
	c, err := New(Config{Interface: "lan0", Transport: tr, Clock: clk, OnEvent: h.rec.on, MaxLease: maxLease})
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- c.Run(ctx) }()
	t.Cleanup(func() { h.stop(t) })
	return h
}

// stop cancels Run and waits for it to return.
func (h *harness) stop(t *testing.T) {
	t.Helper()
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		h.done <- nil // later stop calls return at once
	case <-time.After(guard):
		t.Fatalf("Run did not return within %v of cancel", guard)
	}
}

// server answers Discover and Request as one server would.
func server(t *testing.T, tr *fakeTransport, id, addr netip.Addr, lease uint32, mods ...dhcpv4.Modifier) {
	tr.discover = func() (*dhcpv4.DHCPv4, error) {
		return reply(t, dhcpv4.MessageTypeOffer, id, addr, lease, mods...), nil
	}
	tr.request = func(*dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, error) {
		return reply(t, dhcpv4.MessageTypeAck, id, addr, lease, mods...), nil
	}
}

type wantEvent struct {
	kind   EventKind
	at     time.Duration
	addr   netip.Addr
	server netip.Addr
	reason string // substring
}

func checkEvents(t *testing.T, got []Event, want []wantEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events: got %d, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.kind || g.At.Sub(epoch) != w.at || g.Lease.Address.Addr() != w.addr ||
			g.Lease.ServerID != w.server || !strings.Contains(g.Reason, w.reason) || g.Interface != "lan0" {
			t.Errorf("event %d: got %s at %v addr %v server %v reason %q; want %s at %v addr %v server %v reason containing %q",
				i, g.Kind, g.At.Sub(epoch), g.Lease.Address.Addr(), g.Lease.ServerID, g.Reason,
				w.kind, w.at, w.addr, w.server, w.reason)
		}
	}
}

func checkCalls(t *testing.T, got, want []call) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("transport calls: got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestLeaseLifecycle drives a lease of 1000 s (T1 500 s, T2 875 s unless the
// case's options say otherwise) through what the server does at T1.
func TestLeaseLifecycle(t *testing.T) {
	ext := func(s netip.Addr) call { return call{Op: "extend", Server: s} }
	at := func(c call, s float64) call { c.At = sec(s); return c }
	bcast := netip.Addr{}
	cases := []struct {
		name      string
		maxLease  time.Duration // Config.MaxLease
		leaseMods []dhcpv4.Modifier
		// extend answers the n-th Extend, sent unicast to server or
		// broadcast (server invalid).
		extend func(t *testing.T, n int, server netip.Addr) (*dhcpv4.DHCPv4, error)
		// rediscover answers the n-th Discover after the first one.
		rediscover func(t *testing.T, n int) (*dhcpv4.DHCPv4, error)
		wantCalls  []call
		wantEvents []wantEvent
		// thenCall is the next Extend after the last event, if checked.
		thenCall *call
	}{{
		name: "ACK at T1 extends the lease, next renewal at new T1",
		extend: func(t *testing.T, n int, s netip.Addr) (*dhcpv4.DHCPv4, error) {
			return reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 1000), nil
		},
		wantCalls: []call{at(ext(serverA), 500)},
		wantEvents: []wantEvent{
			{kind: EventBound, at: 0, addr: addr1, server: serverA},
			{kind: EventRenewed, at: sec(500), addr: addr1, server: serverA},
		},
		thenCall: &call{Op: "extend", At: sec(1000), Server: serverA},
	}, {
		name:      "server T1/T2 options are used",
		leaseMods: []dhcpv4.Modifier{dhcpv4.WithOption(dhcpv4.OptRenewTimeValue(300 * time.Second)), dhcpv4.WithOption(dhcpv4.OptRebindingTimeValue(600 * time.Second))},
		extend: func(t *testing.T, n int, s netip.Addr) (*dhcpv4.DHCPv4, error) {
			if s.IsValid() {
				return nil, errLost
			}
			return reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 1000), nil
		},
		// T1 300; retries after half the time left to T2 (at least 60 s, never past T2).
		wantCalls: []call{at(ext(serverA), 300), at(ext(serverA), 450), at(ext(serverA), 525), at(ext(serverA), 585), at(ext(bcast), 600)},
		wantEvents: []wantEvent{
			{kind: EventBound, at: 0, addr: addr1, server: serverA},
			{kind: EventRenewed, at: sec(600), addr: addr1, server: serverA},
		},
	}, {
		name: "NAK at T1 drops the lease and starts over",
		extend: func(t *testing.T, n int, s netip.Addr) (*dhcpv4.DHCPv4, error) {
			return nil, nakError(reply(t, dhcpv4.MessageTypeNak, serverA, netip.Addr{}, 0, dhcpv4.WithOption(dhcpv4.OptMessage("wrong network"))))
		},
		rediscover: func(t *testing.T, n int) (*dhcpv4.DHCPv4, error) {
			return reply(t, dhcpv4.MessageTypeOffer, serverA, addr2, 1000), nil
		},
		wantCalls: []call{at(ext(serverA), 500)},
		wantEvents: []wantEvent{
			{kind: EventBound, at: 0, addr: addr1, server: serverA},
			{kind: EventExpired, at: sec(500), addr: addr1, server: serverA, reason: "DHCPNAK from 192.0.2.1: wrong network"},
			{kind: EventBound, at: sec(500), addr: addr1, server: serverA}, // request answers addr1
		},
	}, {
		name: "server silent until T2, another server answers the rebind",
		extend: func(t *testing.T, n int, s netip.Addr) (*dhcpv4.DHCPv4, error) {
			if s == serverA {
				return nil, errLost
			}
			if s.IsValid() { // unicast to B after the change
				return reply(t, dhcpv4.MessageTypeAck, serverB, addr1, 1000), nil
			}
			return reply(t, dhcpv4.MessageTypeAck, serverB, addr1, 1000), nil
		},
		// Retransmit at half the time left to T2, at least 60 s, never past T2.
		wantCalls: []call{at(ext(serverA), 500), at(ext(serverA), 687.5), at(ext(serverA), 781.25), at(ext(serverA), 841.25), at(ext(bcast), 875)},
		wantEvents: []wantEvent{
			{kind: EventBound, at: 0, addr: addr1, server: serverA},
			{kind: EventRenewed, at: sec(875), addr: addr1, server: serverB},
		},
		thenCall: &call{Op: "extend", At: sec(875 + 500), Server: serverB},
	}, {
		name: "renewal ACK with another address is a new lease",
		extend: func(t *testing.T, n int, s netip.Addr) (*dhcpv4.DHCPv4, error) {
			return reply(t, dhcpv4.MessageTypeAck, serverA, addr2, 1000), nil
		},
		wantCalls: []call{at(ext(serverA), 500)},
		wantEvents: []wantEvent{
			{kind: EventBound, at: 0, addr: addr1, server: serverA},
			{kind: EventBound, at: sec(500), addr: addr2, server: serverA},
		},
	}, {
		name: "no server answers: the lease expires, then the server comes back",
		extend: func(t *testing.T, n int, s netip.Addr) (*dhcpv4.DHCPv4, error) {
			return nil, errLost
		},
		rediscover: func(t *testing.T, n int) (*dhcpv4.DHCPv4, error) {
			if n == 0 {
				return nil, errLost
			}
			return reply(t, dhcpv4.MessageTypeOffer, serverA, addr1, 1000), nil
		},
		wantCalls: []call{
			at(ext(serverA), 500), at(ext(serverA), 687.5), at(ext(serverA), 781.25), at(ext(serverA), 841.25),
			at(ext(bcast), 875), at(ext(bcast), 937.5), at(ext(bcast), 997.5),
		},
		wantEvents: []wantEvent{
			{kind: EventBound, at: 0, addr: addr1, server: serverA},
			{kind: EventExpired, at: sec(1000), addr: addr1, server: serverA, reason: "expired at 2026-01-01T00:16:40Z: no DHCP server answered"},
			{kind: EventBound, at: sec(1010), addr: addr1, server: serverA}, // after the 10 s back-off
		},
	}, {
		name:     "a lease cut to MaxLease expires at the cap, T1 and T2 scaled",
		maxLease: sec(100),
		extend: func(t *testing.T, n int, s netip.Addr) (*dhcpv4.DHCPv4, error) {
			return nil, errLost
		},
		rediscover: func(t *testing.T, n int) (*dhcpv4.DHCPv4, error) {
			if n == 0 {
				return nil, errLost
			}
			return reply(t, dhcpv4.MessageTypeOffer, serverA, addr1, 1000), nil
		},
		// The server's 1000 s lease (T1 500, T2 875) held for 100 s: T1
		// 50, T2 87.5; each retry would wait 60 s, which T2 and expiry
		// cut short.
		wantCalls: []call{at(ext(serverA), 50), at(ext(bcast), 87.5)},
		wantEvents: []wantEvent{
			{kind: EventBound, at: 0, addr: addr1, server: serverA},
			{kind: EventExpired, at: sec(100), addr: addr1, server: serverA, reason: "expired at 2026-01-01T00:01:40Z: no DHCP server answered"},
			{kind: EventBound, at: sec(110), addr: addr1, server: serverA},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := fakeclock.New(t, epoch)
			tr := &fakeTransport{clk: clk}
			var mu sync.Mutex
			nDiscover := 0
			tr.discover = func() (*dhcpv4.DHCPv4, error) {
				mu.Lock()
				n := nDiscover
				nDiscover++
				mu.Unlock()
				if n == 0 || tc.rediscover == nil {
					return reply(t, dhcpv4.MessageTypeOffer, serverA, addr1, 1000, tc.leaseMods...), nil
				}
				return tc.rediscover(t, n-1)
			}
			tr.request = func(offer *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, error) {
				return reply(t, dhcpv4.MessageTypeAck, mustAddr(offer.ServerIdentifier()), addr1, 1000, tc.leaseMods...), nil
			}
			tr.extend = func(n int, s netip.Addr) (*dhcpv4.DHCPv4, error) { return tc.extend(t, n, s) }
			h := start(t, clk, tr, tc.maxLease)
			for {
				nextTimer(clk)
				if len(h.rec.all()) >= len(tc.wantEvents) {
					break
				}
				clk.Fire()
			}
			checkEvents(t, h.rec.all(), tc.wantEvents)
			checkCalls(t, tr.recorded(), tc.wantCalls)
			if tc.thenCall != nil {
				clk.Fire()
				nextTimer(clk) // the Extend has been made once the client waits again
				calls := tr.recorded()
				if got := calls[len(calls)-1]; got != *tc.thenCall {
					t.Errorf("next call: got %+v, want %+v", got, *tc.thenCall)
				}
			}
			last := h.rec.all()[len(tc.wantEvents)-1]
			if st := h.c.Status(); st.State != StateBound || !st.HaveLease || st.Lease.Address != last.Lease.Address {
				t.Errorf("status: %+v", st)
			}

			// Stop releases the lease in force to its server.
			h.stop(t)
			ev := h.rec.all()
			rel := ev[len(ev)-1]
			if rel.Kind != EventReleased || rel.Lease.Address != last.Lease.Address {
				t.Errorf("after stop: last event %+v, want released %v", rel, last.Lease.Address)
			}
			calls := tr.recorded()
			if got := calls[len(calls)-1]; got.Op != "release" || got.Server != last.Lease.ServerID {
				t.Errorf("after stop: last call %+v, want release to %v", got, last.Lease.ServerID)
			}
			if st := h.c.Status(); st.State != StateStopped || st.HaveLease {
				t.Errorf("status after stop: %+v", st)
			}
			if !tr.closed {
				t.Error("transport not closed after Run")
			}
		})
	}
}

// TestAcquireRetries: failures to get a lease back off 10, 20, 40 s; a NAK
// to the request starts over from discovery.
func TestAcquireRetries(t *testing.T) {
	clk := fakeclock.New(t, epoch)
	tr := &fakeTransport{clk: clk}
	var mu sync.Mutex
	var discoverAt []time.Duration
	tr.discover = func() (*dhcpv4.DHCPv4, error) {
		mu.Lock()
		defer mu.Unlock()
		discoverAt = append(discoverAt, clk.Now().Sub(epoch))
		if len(discoverAt) <= 3 {
			return nil, errLost
		}
		return reply(t, dhcpv4.MessageTypeOffer, serverA, addr1, 1000), nil
	}
	nRequest := 0
	tr.request = func(*dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, error) {
		mu.Lock()
		defer mu.Unlock()
		nRequest++
		if nRequest == 1 {
			return nil, nakError(reply(t, dhcpv4.MessageTypeNak, serverA, netip.Addr{}, 0))
		}
		return reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 1000), nil
	}
	h := start(t, clk, tr, 0)
	for {
		nextTimer(clk)
		if len(h.rec.all()) > 0 {
			break
		}
		if st := h.c.Status(); st.State != StateInit || st.LastError == "" {
			t.Errorf("retrying: status %+v, want init with LastError", st)
		}
		clk.Fire()
	}
	// 3 lost, then NAK (back-off 80 s), then bound.
	want := []time.Duration{0, sec(10), sec(30), sec(70), sec(150)}
	mu.Lock()
	got := append([]time.Duration(nil), discoverAt...)
	mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("discover at %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("discover %d at %v, want %v", i, got[i], want[i])
		}
	}
	checkEvents(t, h.rec.all(), []wantEvent{{kind: EventBound, at: sec(150), addr: addr1, server: serverA}})
	// The back-off is reset: Status has no error once bound.
	if st := h.c.Status(); st.LastError != "" {
		t.Errorf("LastError after bind: %q", st.LastError)
	}
}

// TestRenewOnDemand: RENEW from the panel renews at once with the server,
// from bound and while waiting to retry.
func TestRenewOnDemand(t *testing.T) {
	clk := fakeclock.New(t, epoch)
	tr := &fakeTransport{clk: clk}
	server(t, tr, serverA, addr1, 1000)
	var mu sync.Mutex
	fail := true
	tr.extend = func(n int, s netip.Addr) (*dhcpv4.DHCPv4, error) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return nil, errLost
		}
		return reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 1000), nil
	}
	h := start(t, clk, tr, 0)
	h.rec.waitN(t, 1)
	if at := nextTimer(clk); at.Sub(epoch) != sec(500) {
		t.Fatalf("bound: waiting until %v, want T1 500s", at.Sub(epoch))
	}
	clk.Advance(sec(100))
	h.c.Renew() // bound → renewing now; the server is silent
	// After the lost renewal at 100 s the next try waits half the time
	// left to T2: (875-100)/2.
	waitFor(t, "retry timer at 487.5s", func() bool { return nextTimer(clk).Sub(epoch) == sec(487.5) })
	mu.Lock()
	fail = false
	mu.Unlock()
	clk.Advance(sec(5))
	h.c.Renew() // retry now instead of at 487.5
	ev := h.rec.waitN(t, 2)
	checkEvents(t, ev, []wantEvent{
		{kind: EventBound, at: 0, addr: addr1, server: serverA},
		{kind: EventRenewed, at: sec(105), addr: addr1, server: serverA},
	})
	checkCalls(t, tr.recorded(), []call{{Op: "extend", At: sec(100), Server: serverA}, {Op: "extend", At: sec(105), Server: serverA}})
	if at := nextTimer(clk).Sub(epoch); at != sec(605) {
		t.Errorf("renewed at 105s: next T1 at %v, want 605s", at)
	}
	if st := h.c.Status(); st.Lease.Obtained.Sub(epoch) != sec(105) || st.Lease.RenewAt().Sub(epoch) != sec(605) {
		t.Errorf("status lease obtained %v renew at %v", st.Lease.Obtained.Sub(epoch), st.Lease.RenewAt().Sub(epoch))
	}
}

// TestStopWithoutLease: stopping before a lease sends no release and no event.
func TestStopWithoutLease(t *testing.T) {
	clk := fakeclock.New(t, epoch)
	tr := &fakeTransport{clk: clk}
	tr.discover = func() (*dhcpv4.DHCPv4, error) { return nil, errLost }
	h := start(t, clk, tr, 0)
	nextTimer(clk)
	h.stop(t)
	if ev := h.rec.all(); len(ev) != 0 {
		t.Errorf("events: %+v", ev)
	}
	if c := tr.recorded(); len(c) != 0 {
		t.Errorf("calls: %+v", c)
	}
	if err := h.c.Run(context.Background()); err == nil {
		t.Error("second Run: no error")
	}
}

// waitFor polls cond until it holds, failing after guard.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("no %s within %v", what, guard)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestNewChecksConfig(t *testing.T) {
	tr := &fakeTransport{}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no interface", Config{Transport: tr, OnEvent: func(Event) {}}, "no interface name"},
		{"no callback", Config{Interface: "lan0", Transport: tr}, "no OnEvent"},
		{"missing interface", Config{Interface: "picket-no-such0", OnEvent: func(Event) {}}, "picket-no-such0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want error containing %q", err, tc.want)
			}
		})
	}
}
