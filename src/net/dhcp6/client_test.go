package dhcp6

import (
	"context"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"

	"picket.dev/picket/src/testkit/fakeclock"
)

var server = netip.MustParseAddr("fe80::1")

type harness struct {
	clk   *fakeclock.Clock
	tr    *fakeTransport
	c     *Client
	infos chan Info
	done  chan error
}

// start runs a client on fakes. rnd is the client's Rand: 0.5 makes the
// RFC's RAND zero, so every delay is exact.
func start(t *testing.T, rnd float64) *harness {
	t.Helper()
	clk := fakeclock.New(t, epoch)
	h := &harness{clk: clk, tr: newFakeTransport(clk), infos: make(chan Info, 16), done: make(chan error, 1)}
	c, err := New(Config{
		Interface: "lan0", Transport: h.tr, Clock: clk,
		Rand:     func() float64 { return rnd },
		ClientID: DUIDFromMAC(net.HardwareAddr{2, 0, 0, 0, 0, 1}),
		OnInfo:   func(i Info) { h.infos <- i },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(guard):
			t.Errorf("Run did not return within %v of cancel", guard)
		}
	})
	return h
}

func (h *harness) info(t *testing.T) Info {
	t.Helper()
	select {
	case i := <-h.infos:
		return i
	case <-time.After(guard):
		t.Fatalf("no OnInfo within %v", guard)
	}
	return Info{}
}

// reply answers req the way a server would.
func reply(t *testing.T, req *dhcpv6.Message, opts ...dhcpv6.Option) *dhcpv6.Message {
	t.Helper()
	m := &dhcpv6.Message{MessageType: dhcpv6.MessageTypeReply, TransactionID: req.TransactionID}
	m.AddOption(dhcpv6.OptServerID(&dhcpv6.DUIDLL{HWType: iana.HWTypeEthernet, LinkLayerAddr: net.HardwareAddr{2, 0, 0, 0, 0, 2}}))
	for _, o := range opts {
		m.AddOption(o)
	}
	return m
}

func dnsOpt(addrs ...string) dhcpv6.Option {
	var ips []net.IP
	for _, a := range addrs {
		ips = append(ips, net.ParseIP(a))
	}
	return dhcpv6.OptDNS(ips...)
}

func TestRequestContents(t *testing.T) {
	h := start(t, 0.5)
	h.clk.Fire()
	s := h.tr.next(t)
	m := s.m
	if m.MessageType != dhcpv6.MessageTypeInformationRequest {
		t.Errorf("message type %s, want INFORMATION-REQUEST", m.MessageType)
	}
	oro := m.Options.RequestedOptions()
	for _, want := range []dhcpv6.OptionCode{dhcpv6.OptionDNSRecursiveNameServer, dhcpv6.OptionDomainSearchList, dhcpv6.OptionInformationRefreshTime} {
		if !oro.Contains(want) {
			t.Errorf("ORO %v lacks %v", oro, want)
		}
	}
	if m.Options.GetOne(dhcpv6.OptionElapsedTime) == nil {
		t.Errorf("no Elapsed Time option (RFC 8415 says MUST)")
	}
	if id := m.Options.ClientID(); id == nil || !strings.Contains(id.String(), "02:00:00:00:00:01") {
		t.Errorf("client ID %v, want the DUID-LL of 02:00:00:00:00:01", id)
	}
	// The message survives the wire format.
	if _, err := dhcpv6.MessageFromBytes(m.ToBytes()); err != nil {
		t.Errorf("request does not parse back: %v", err)
	}
}

// TestRetransmitBackoff: with no answer the client retransmits at
// RFC 8415's doubling intervals, capped at INF_MAX_RT, in one transaction
// whose elapsed time grows.
func TestRetransmitBackoff(t *testing.T) {
	h := start(t, 0.5) // RAND = 0
	var at []time.Duration
	var first *dhcpv6.Message
	for i := 0; i < 16; i++ {
		h.clk.Fire()
		s := h.tr.next(t)
		at = append(at, s.at)
		if first == nil {
			first = s.m
		}
		if s.m.TransactionID != first.TransactionID {
			t.Fatalf("retransmission %d has transaction %v, want %v (same transaction)", i, s.m.TransactionID, first.TransactionID)
		}
		wantElapsed := min(s.at-at[0], 0xffff*10*time.Millisecond)
		if got := s.m.Options.ElapsedTime(); got != wantElapsed {
			t.Errorf("transmission %d: elapsed time %v, want %v", i, got, wantElapsed)
		}
	}
	// First after the random initial delay (0.5 s with Rand 0.5), then
	// gaps of 1, 2, 4 ... 2048 s, then INF_MAX_RT (3600 s).
	var gaps []time.Duration
	for i := 1; i < len(at); i++ {
		gaps = append(gaps, at[i]-at[i-1])
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600, 3600}
	for i := range want {
		want[i] *= time.Second
	}
	if at[0] != 500*time.Millisecond || !reflect.DeepEqual(gaps, want) {
		t.Errorf("first at %v, gaps %v; want 500ms then %v", at[0], gaps, want)
	}
}

// TestRetransmitRandomization: RAND stays within ±0.1 of each interval.
func TestRetransmitRandomization(t *testing.T) {
	for _, tc := range []struct {
		rnd  float64
		want []time.Duration // first gaps: IRT+RAND*IRT, then 2RT+RAND*RT
	}{
		{0, []time.Duration{900 * time.Millisecond, 1710 * time.Millisecond, 3249 * time.Millisecond}},
		{0.999999, []time.Duration{1100 * time.Millisecond, 2310 * time.Millisecond, 4851 * time.Millisecond}},
	} {
		h := start(t, tc.rnd)
		var at []time.Duration
		for range 4 {
			h.clk.Fire()
			at = append(at, h.tr.next(t).at)
		}
		for i, w := range tc.want {
			if got := at[i+1] - at[i]; (got - w).Abs() > time.Millisecond {
				t.Errorf("Rand %v: gap %d = %v, want %v", tc.rnd, i, got, w)
			}
		}
	}
}

func TestReplyAndRefresh(t *testing.T) {
	h := start(t, 0.5)
	h.clk.Fire()
	req := h.tr.next(t).m
	h.clk.Fire() // one retransmission before the answer
	h.tr.next(t)

	// Not ours: wrong transaction, wrong type. Both ignored.
	other := reply(t, req, dnsOpt("fd00::bad"))
	other.TransactionID[0] ^= 0xff
	h.tr.deliver(t, other, server)
	adv := reply(t, req, dnsOpt("fd00::bad"))
	adv.MessageType = dhcpv6.MessageTypeAdvertise
	h.tr.deliver(t, adv, server)
	// An error status: keep asking.
	h.tr.deliver(t, reply(t, req, &dhcpv6.OptStatusCode{StatusCode: iana.StatusUnspecFail, StatusMessage: "busy"}), server)

	h.tr.deliver(t, reply(t, req,
		dnsOpt("fd42:1::53", "fe80::53", "fd42:1::53"),
		dhcpv6.OptDomainSearchList(labels("bench.test", "corp.example")),
		dhcpv6.OptInformationRefreshTime(2*time.Hour),
	), server)
	got := h.info(t)
	want := Info{
		DNS:      []netip.Addr{netip.MustParseAddr("fd42:1::53"), netip.MustParseAddr("fe80::53%lan0")},
		Domains:  []string{"bench.test", "corp.example"},
		Server:   server,
		Obtained: epoch.Add(1500 * time.Millisecond),
		Refresh:  2 * time.Hour,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("info = %+v\nwant %+v", got, want)
	}
	if i, ok := h.c.Info(); !ok || !reflect.DeepEqual(i, want) {
		t.Errorf("Info() = %+v, %v", i, ok)
	}
	// Only the refresh timer is left: no more retransmissions.
	if p := pending(h.clk); !reflect.DeepEqual(p, []time.Duration{1500*time.Millisecond + 2*time.Hour}) {
		t.Errorf("pending timers %v, want only the refresh at obtained+2h", p)
	}
	// At refresh: a new transaction.
	h.clk.Fire()
	s := h.tr.next(t)
	if s.at != 1500*time.Millisecond+2*time.Hour || s.m.TransactionID == req.TransactionID {
		t.Errorf("refresh at %v with transaction %v; want at obtained+2h with a new transaction", s.at, s.m.TransactionID)
	}
	if e := s.m.Options.ElapsedTime(); e != 0 {
		t.Errorf("refresh's first transmission has elapsed time %v, want 0", e)
	}
}

func labels(d ...string) *rfc1035Labels { return &rfc1035Labels{Labels: d} }

func TestRefreshTimeDefaultAndMinimum(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []dhcpv6.Option
		want time.Duration
	}{
		{"no option 32", nil, 86400 * time.Second},
		{"below IRT_MINIMUM", []dhcpv6.Option{dhcpv6.OptInformationRefreshTime(60 * time.Second)}, 600 * time.Second},
		{"as given", []dhcpv6.Option{dhcpv6.OptInformationRefreshTime(3 * time.Hour)}, 3 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, 0.5)
			h.clk.Fire()
			req := h.tr.next(t).m
			h.tr.deliver(t, reply(t, req, append(tc.opts, dnsOpt("fd42::53"))...), server)
			if got := h.info(t).Refresh; got != tc.want {
				t.Errorf("Refresh = %v, want %v", got, tc.want)
			}
			if p := pending(h.clk); len(p) != 1 || p[0] != 500*time.Millisecond+tc.want {
				t.Errorf("pending timers %v, want one at %v", p, 500*time.Millisecond+tc.want)
			}
		})
	}
}

// TestRenew: RENEW asks at once, in a new transaction, whether the client
// was waiting to refresh or retransmitting.
func TestRenew(t *testing.T) {
	h := start(t, 0.5)
	h.clk.Fire()
	req := h.tr.next(t).m
	h.tr.deliver(t, reply(t, req, dnsOpt("fd42::53")), server)
	h.info(t)

	h.c.Renew()
	s := h.tr.next(t)
	if s.at != 500*time.Millisecond || s.m.TransactionID == req.TransactionID {
		t.Errorf("renew sent at %v in transaction %v; want at once (500ms) in a new one", s.at, s.m.TransactionID)
	}
	// The renewal's retransmission timer replaced the refresh timer.
	waitPending(t, h.clk, []time.Duration{1500 * time.Millisecond})

	// Renew while retransmitting: restart at once with IRT.
	h.clk.Fire()
	h.tr.next(t)
	h.c.Renew()
	s2 := h.tr.next(t)
	if s2.at != 1500*time.Millisecond || s2.m.TransactionID == s.m.TransactionID {
		t.Errorf("second renew sent at %v in transaction %v", s2.at, s2.m.TransactionID)
	}
	waitPending(t, h.clk, []time.Duration{2500 * time.Millisecond})

	h.tr.deliver(t, reply(t, s2.m, dnsOpt("fd42::54")), server)
	if got := h.info(t).DNS; !reflect.DeepEqual(got, []netip.Addr{netip.MustParseAddr("fd42::54")}) {
		t.Errorf("DNS after renew %v", got)
	}
}

func waitPending(t *testing.T, clk *fakeclock.Clock, want []time.Duration) {
	t.Helper()
	end := time.Now().Add(guard)
	for !reflect.DeepEqual(pending(clk), want) {
		if time.Now().After(end) {
			t.Fatalf("pending timers %v, want %v", pending(clk), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTransportFailureEndsRun(t *testing.T) {
	clk := fakeclock.New(t, epoch)
	tr := newFakeTransport(clk)
	c, err := New(Config{Interface: "lan0", Transport: tr, Clock: clk, OnInfo: func(Info) {}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	tr.inbox <- received{err: errBroken}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "socket broke") {
			t.Errorf("Run = %v, want the transport's error", err)
		}
	case <-time.After(guard):
		t.Fatal("Run did not end on a transport failure")
	}
	if err := c.Run(context.Background()); err == nil {
		t.Errorf("second Run succeeded; a Client runs once")
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	if _, err := New(Config{OnInfo: func(Info) {}}); err == nil {
		t.Error("New without interface succeeded")
	}
	if _, err := New(Config{Interface: "lan0"}); err == nil {
		t.Error("New without OnInfo succeeded")
	}
}
