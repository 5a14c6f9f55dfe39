// Package dhcp6 is the stateless DHCPv6 client (RFC 8415 section 18.2.6,
// Information-request) the network manager runs on the LAN in IPv6-only
// automatic mode: addresses come from router advertisements (the kernel
// does SLAAC), and DHCPv6 supplies only the DNS servers and the domain
// search list. The client asks at start, retransmits with the RFC's
// back-off until a server answers, asks again when the information's
// refresh time is up, and again at once on Renew (the panel's RENEW AUTO
// IPv6). It touches no kernel state: each answer goes to OnInfo.
//
// Exchanges go through a Transport (a UDP socket on the interface, or a
// fake in tests) and all timing through a Clock, so tests run the RFC's
// timers without sleeping.
package dhcp6

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"

	"picket.dev/picket/src/base/clock"
)

// RFC 8415 section 7.6 transmission parameters of Information-request,
// and section 21.23's refresh time limits.
const (
	InfMaxDelay         = 1 * time.Second     // INF_MAX_DELAY: random wait before the first request
	InfTimeout          = 1 * time.Second     // INF_TIMEOUT: IRT, initial retransmission time
	InfMaxRT            = 3600 * time.Second  // INF_MAX_RT: MRT, maximum retransmission time
	DefaultRefresh      = 86400 * time.Second // IRT_DEFAULT: refresh without option 32
	MinimumRefresh      = 600 * time.Second   // IRT_MINIMUM: shorter option 32 values are raised to it
	maxElapsedTimeValue = 0xffff              // centiseconds; the option's value saturates
)

// Info is what a server's Reply told.
type Info struct {
	// DNS servers in the server's order; link-local ones carry the
	// interface as zone, so they can be used as they are.
	DNS []netip.Addr
	// Domains is the domain search list, without trailing dots.
	Domains []string
	// Server is the address the Reply came from.
	Server netip.Addr
	// Obtained is when the Reply arrived, by the client's Clock.
	Obtained time.Time
	// Refresh is when to ask again after Obtained: option 32 (information
	// refresh time), DefaultRefresh without it, never below MinimumRefresh.
	Refresh time.Duration
}

// Transport carries the client's messages on one link.
type Transport interface {
	// Send multicasts m to All_DHCP_Relay_Agents_and_Servers (ff02::1:2)
	// on the link.
	Send(m *dhcpv6.Message) error
	// Receive returns the next DHCPv6 message (not relay message) that
	// arrives and its sender, skipping what does not parse. It returns an
	// error when ctx ends or the transport fails for good.
	Receive(ctx context.Context) (*dhcpv6.Message, netip.Addr, error)
	// Close releases the socket.
	Close() error
}

// Config configures a Client. Interface and OnInfo are required.
type Config struct {
	// Interface is the interface name: for messages, as the zone of
	// link-local DNS servers, and for the default transport.
	Interface string
	// Transport carries the messages; nil makes Run open a UDP socket on
	// Interface (Listen) once it has a usable link-local address. The
	// client closes it when Run returns.
	Transport Transport
	// ClientID goes in every request when set (RFC 8415 says SHOULD);
	// DUIDFromMAC makes one from the interface's hardware address.
	ClientID dhcpv6.DUID
	// Clock defaults to clock.System.
	Clock clock.Clock
	// Rand returns numbers in [0, 1) for the RFC's randomisation of
	// delays; it defaults to math/rand/v2. Tests fix it.
	Rand func() float64
	// OnInfo receives every Reply's information, synchronously from Run's
	// goroutine. It may call Renew and Info.
	OnInfo func(Info)
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Client asks the servers on one link for DNS information. Create it with
// New and run it with Run; Renew and Info may be called from any
// goroutine.
type Client struct {
	cfg     Config
	clk     clock.Clock
	log     *slog.Logger
	renew   chan struct{}
	running atomic.Bool

	mu   sync.Mutex
	info *Info
}

// New checks cfg and returns a Client that has not asked anything yet.
func New(cfg Config) (*Client, error) {
	if cfg.Interface == "" {
		return nil, errors.New("dhcp6: new client: no interface name")
	}
	if cfg.OnInfo == nil {
		return nil, fmt.Errorf("dhcp6: new client on %s: no OnInfo", cfg.Interface)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{
		cfg:   cfg,
		clk:   cfg.Clock,
		log:   cfg.Logger.With("iface", cfg.Interface),
		renew: make(chan struct{}, 1),
	}, nil
}

// Renew asks again now, whatever the client was waiting for; the answer
// comes to OnInfo. It does not block.
func (c *Client) Renew() {
	select {
	case c.renew <- struct{}{}:
	default: // one already pending
	}
}

// Info returns the last information received; ok is false before any.
func (c *Client) Info() (info Info, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.info == nil {
		return Info{}, false
	}
	i := *c.info
	i.DNS, i.Domains = slices.Clone(i.DNS), slices.Clone(i.Domains)
	return i, true
}

// received is one message from the transport's reader.
type received struct {
	m    *dhcpv6.Message
	from netip.Addr
	err  error
}

// exchange is one Information-request transaction and its
// retransmissions.
type exchange struct {
	xid   dhcpv6.TransactionID
	start time.Time     // first transmission, for the Elapsed Time option
	rt    time.Duration // current retransmission time
}

// Run asks, retransmits and refreshes until ctx ends; it returns nil then,
// or an error if the transport fails for good. A Client runs once.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return fmt.Errorf("dhcp6 on %s: Run called twice", c.cfg.Interface)
	}
	tr := c.cfg.Transport
	if tr == nil {
		var err error
		if tr, err = Listen(ctx, c.cfg.Interface); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("dhcp6 on %s: %w", c.cfg.Interface, err)
		}
	}
	rctx, stop := context.WithCancel(ctx)
	msgs := make(chan received)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			m, from, err := tr.Receive(rctx)
			if err != nil && rctx.Err() != nil {
				return
			}
			select {
			case msgs <- received{m, from, err}:
			case <-rctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		stop()
		tr.Close()
		wg.Wait()
	}()

	// RFC 8415 18.2.6: wait a random time up to INF_MAX_DELAY first, so
	// that boxes powered on together do not ask at the same instant.
	timer := c.clk.NewTimer(time.Duration(c.cfg.Rand() * float64(InfMaxDelay)))
	var ex *exchange // nil while waiting to refresh
	send := func() {
		if ex == nil {
			ex = &exchange{start: c.clk.Now(), rt: c.randomize(InfTimeout)}
			var err error
			if ex.xid, err = dhcpv6.GenerateTransactionID(); err != nil {
				c.log.Warn("dhcp6: transaction id", "err", err)
			}
		} else {
			ex.rt = c.nextRT(ex.rt)
		}
		m := c.request(ex)
		if err := tr.Send(m); err != nil {
			// Not fatal: the link may be coming up; the next
			// retransmission tries again.
			c.log.Warn("dhcp6: send information-request", "err", err)
		} else {
			c.log.Debug("dhcp6: sent information-request", "xid", ex.xid, "next", ex.rt)
		}
		timer = c.clk.NewTimer(ex.rt)
	}
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-c.renew:
			timer.Stop()
			ex = nil
			send()
		case <-timer.C():
			send()
		case r := <-msgs:
			if r.err != nil {
				timer.Stop()
				return fmt.Errorf("dhcp6 on %s: receive: %w", c.cfg.Interface, r.err)
			}
			if ex == nil || r.m.MessageType != dhcpv6.MessageTypeReply || r.m.TransactionID != ex.xid {
				continue // not the answer to our request
			}
			if st := r.m.Options.Status(); st != nil && st.StatusCode != 0 {
				// Keep retransmitting: another server (or this one
				// later) may answer properly.
				c.log.Warn("dhcp6: reply with error status", "server", r.from, "status", st.String())
				continue
			}
			info := c.parse(r.m, r.from)
			timer.Stop()
			ex = nil
			timer = c.clk.NewTimer(info.Refresh)
			c.mu.Lock()
			c.info = &info
			c.mu.Unlock()
			c.log.Info("dhcp6: information received", "server", info.Server, "dns", info.DNS, "domains", info.Domains, "refresh", info.Refresh)
			c.cfg.OnInfo(info)
		}
	}
}

// randomize returns d changed by RAND, uniform in [-0.1, +0.1] of d
// (RFC 8415 section 15).
func (c *Client) randomize(d time.Duration) time.Duration {
	return d + time.Duration((c.cfg.Rand()*0.2-0.1)*float64(d))
}

// nextRT is RFC 8415 section 15: RT = 2*RTprev + RAND*RTprev, and
// MRT + RAND*MRT once that passes MRT. Information-request has no MRC or
// MRD: it retransmits for as long as no server answers.
func (c *Client) nextRT(prev time.Duration) time.Duration {
	rt := 2*prev + time.Duration((c.cfg.Rand()*0.2-0.1)*float64(prev))
	if rt > InfMaxRT {
		rt = c.randomize(InfMaxRT)
	}
	return rt
}

// request builds the Information-request of ex, with the elapsed time
// since its first transmission.
func (c *Client) request(ex *exchange) *dhcpv6.Message {
	m := &dhcpv6.Message{MessageType: dhcpv6.MessageTypeInformationRequest, TransactionID: ex.xid}
	if c.cfg.ClientID != nil {
		m.AddOption(dhcpv6.OptClientID(c.cfg.ClientID))
	}
	// dnsmasq, like most servers, sends only what the ORO asks for.
	m.AddOption(dhcpv6.OptRequestedOption(
		dhcpv6.OptionDNSRecursiveNameServer,
		dhcpv6.OptionDomainSearchList,
		dhcpv6.OptionInformationRefreshTime,
	))
	elapsed := min(c.clk.Now().Sub(ex.start), maxElapsedTimeValue*10*time.Millisecond)
	m.AddOption(dhcpv6.OptElapsedTime(elapsed))
	return m
}

// parse takes the information out of a Reply.
func (c *Client) parse(m *dhcpv6.Message, from netip.Addr) Info {
	info := Info{Server: from, Obtained: c.clk.Now()}
	for _, ip := range m.Options.DNS() {
		a, ok := netip.AddrFromSlice(ip)
		if !ok || a.IsUnspecified() {
			continue
		}
		a = a.Unmap()
		if a.Is6() && a.IsLinkLocalUnicast() {
			a = a.WithZone(c.cfg.Interface)
		}
		if !slices.Contains(info.DNS, a) {
			info.DNS = append(info.DNS, a)
		}
	}
	if l := m.Options.DomainSearchList(); l != nil {
		for _, d := range l.Labels {
			if d = strings.TrimSuffix(d, "."); d != "" && !slices.Contains(info.Domains, d) {
				info.Domains = append(info.Domains, d)
			}
		}
	}
	info.Refresh = max(m.Options.InformationRefreshTime(DefaultRefresh), MinimumRefresh)
	return info
}
