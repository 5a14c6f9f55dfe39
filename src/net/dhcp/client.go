// Package dhcp is the DHCPv4 lease machine of one interface, for the network
// manager (netmgrd): it obtains a lease, renews it at T1 with its server,
// rebinds at T2 with any server, gives it up when it expires or a server
// refuses it, and releases it on stop. It touches no address or route itself:
// it reports every change as an Event (Bound, Renewed, Expired, Released) and
// the network manager applies it. The exchanges go through a Transport, on a
// real interface NClient (github.com/insomniacslk/dhcp's nclient4), and all
// timing through a Clock, so tests run lease times without sleeping.
package dhcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"picket.dev/picket/src/base/clock"
)

// State is where the lease machine is (RFC 2131 figure 5, plus Stopped).
type State int

// The states.
const (
	StateInit State = iota
	StateSelecting
	StateRequesting
	StateBound
	StateRenewing
	StateRebinding
	StateStopped
)

func (s State) String() string {
	switch s {
	case StateInit:
		return "init"
	case StateSelecting:
		return "selecting"
	case StateRequesting:
		return "requesting"
	case StateBound:
		return "bound"
	case StateRenewing:
		return "renewing"
	case StateRebinding:
		return "rebinding"
	case StateStopped:
		return "stopped"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// EventKind says what the network manager must do with an Event's lease.
type EventKind int

// The event kinds.
const (
	// EventBound: a new lease; apply it, replacing any earlier lease of the
	// interface (the address may differ from the previous one).
	EventBound EventKind = iota + 1
	// EventRenewed: the same address was extended, possibly by another
	// server and with other options; update times and options.
	EventRenewed
	// EventExpired: the lease is lost; remove its address. Reason says why.
	EventExpired
	// EventReleased: the lease was released on stop; remove its address.
	EventReleased
)

func (k EventKind) String() string {
	switch k {
	case EventBound:
		return "bound"
	case EventRenewed:
		return "renewed"
	case EventExpired:
		return "expired"
	case EventReleased:
		return "released"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one lease change on an interface.
type Event struct {
	Interface string
	Kind      EventKind
	Lease     Lease     // the new lease, or for Expired/Released the lost one
	Reason    string    // for Expired and Released: why, for the status API
	At        time.Time // from the client's Clock
}

// Status is a snapshot of the client.
type Status struct {
	State     State
	Lease     Lease // valid when HaveLease
	HaveLease bool
	LastError string // the last failed exchange, "" after a success
}

// Config configures a Client. Interface and OnEvent are required.
type Config struct {
	// Interface is the interface name, for events and messages.
	Interface string
	// Transport carries the exchanges; nil opens NewNClient(Interface).
	// The client closes it when Run returns.
	Transport Transport
	// Clock defaults to clock.System.
	Clock clock.Clock
	// OnEvent receives every lease change, synchronously from Run's
	// goroutine, in order. It must not call back into a blocking Client
	// method; Renew and Status are safe.
	OnEvent func(Event)
	// Logger defaults to discarding.
	Logger *slog.Logger
	// RetryMin and RetryMax bound the back-off between failed attempts to
	// get a lease (defaults 10 s and 2 min).
	RetryMin, RetryMax time.Duration
	// MinRetransmit is the shortest wait between renewal or rebinding
	// attempts (RFC 2131 section 4.4.5: 60 s), never past T2 or expiry.
	MinRetransmit time.Duration
	// MaxLease, when set, caps the lease time the client holds an address
	// for, whatever the server granted; T1 and T2 shrink in the same
	// proportion. The client then renews, rebinds and gives the address
	// up sooner than the server requires, which a client may always do.
	// Zero uses the server's. For tests: servers grant no less than a
	// minute or two (dnsmasq: 2 minutes), too long to wait out.
	MaxLease time.Duration
}

// Client runs the lease machine of one interface. Create it with New, run
// it with Run; Renew and Status may be called from any goroutine.
type Client struct {
	cfg     Config
	tr      Transport
	clk     clock.Clock
	log     *slog.Logger
	renew   chan struct{}
	running atomic.Bool

	mu      sync.Mutex
	state   State
	lease   *Lease
	lastErr string
}

// New checks cfg and returns a Client in state init. The default transport
// is opened here, so New fails if the interface does not exist.
func New(cfg Config) (*Client, error) {
	if cfg.Interface == "" {
		return nil, errors.New("dhcp: new client: no interface name")
	}
	if cfg.OnEvent == nil {
		return nil, fmt.Errorf("dhcp: new client on %s: no OnEvent", cfg.Interface)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 10 * time.Second
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(2*time.Minute, cfg.RetryMin)
	}
	if cfg.MinRetransmit <= 0 {
		cfg.MinRetransmit = 60 * time.Second
	}
	tr := cfg.Transport
	if tr == nil {
		var err error
		if tr, err = NewNClient(cfg.Interface); err != nil {
			return nil, fmt.Errorf("dhcp: new client: %w", err)
		}
	}
	return &Client{
		cfg:   cfg,
		tr:    tr,
		clk:   cfg.Clock,
		log:   cfg.Logger.With("iface", cfg.Interface),
		renew: make(chan struct{}, 1),
	}, nil
}

// Renew asks for an immediate renewal (the panel's RENEW): bound, it starts
// renewing with the server now; renewing, rebinding or without a lease, it
// retries at once instead of waiting. It does not block; the outcome comes as
// an Event.
func (c *Client) Renew() {
	select {
	case c.renew <- struct{}{}:
	default:
	}
}

// Status returns the current state and lease.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Status{State: c.state, LastError: c.lastErr}
	if c.lease != nil {
		s.Lease, s.HaveLease = *c.lease, true
	}
	return s
}

// Run runs the lease machine until ctx is done, then releases the lease
// (sending DHCPRELEASE and reporting EventReleased), closes the transport
// and returns nil. Cancel ctx to stop, or on a configuration change. Run
// may be called once.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return fmt.Errorf("dhcp: %s: Run called twice", c.cfg.Interface)
	}
	defer func() {
		if err := c.tr.Close(); err != nil {
			c.log.Warn("closing transport", "err", err)
		}
	}()
	backoff := c.cfg.RetryMin
	for ctx.Err() == nil {
		switch c.Status().State {
		case StateInit, StateSelecting, StateRequesting:
			if err := c.acquire(ctx); err != nil {
				if ctx.Err() != nil {
					break
				}
				c.failed(err)
				c.setState(StateInit)
				c.wait(ctx, backoff)
				backoff = min(2*backoff, c.cfg.RetryMax)
				continue
			}
			backoff = c.cfg.RetryMin
		case StateBound:
			l := c.current()
			if c.wait(ctx, l.RenewAt().Sub(c.clk.Now())) {
				c.setState(StateRenewing)
			}
		case StateRenewing:
			c.extend(ctx, false)
		case StateRebinding:
			c.extend(ctx, true)
		}
	}
	c.stop()
	return nil
}

// acquire runs init → selecting → requesting → bound.
func (c *Client) acquire(ctx context.Context) error {
	c.setState(StateSelecting)
	sent := c.clk.Now()
	offer, err := c.tr.Discover(ctx)
	if err != nil {
		return fmt.Errorf("no lease on %s: %w", c.cfg.Interface, err)
	}
	c.setState(StateRequesting)
	ack, err := c.tr.Request(ctx, offer)
	if err != nil {
		return fmt.Errorf("no lease on %s: %w", c.cfg.Interface, err)
	}
	l, err := ParseLease(ack, sent)
	if err != nil {
		return fmt.Errorf("no lease on %s: %w", c.cfg.Interface, err)
	}
	c.bind(capLease(l, c.cfg.MaxLease), EventBound)
	return nil
}

// extend runs one renewing (unicast to the lease's server until T2) or
// rebinding (broadcast until expiry) attempt, then waits before the next
// one or moves on.
func (c *Client) extend(ctx context.Context, rebinding bool) {
	l := c.current()
	now := c.clk.Now()
	deadline, server := l.RebindAt(), l.ServerID
	if rebinding {
		deadline, server = l.ExpiresAt(), netip.Addr{}
	}
	if !now.Before(deadline) {
		if !rebinding {
			c.setState(StateRebinding)
			return
		}
		c.expire(fmt.Sprintf("lease of %s on %s expired at %s: no DHCP server answered renewal or rebinding (last error: %s)",
			l.Address, c.cfg.Interface, deadline.UTC().Format(time.RFC3339), c.Status().LastError))
		return
	}
	// The transport times out in real time; with the system clock this stops an
	// attempt at the deadline.
	actx, cancel := context.WithTimeout(ctx, deadline.Sub(now))
	ack, err := c.tr.Extend(actx, l.ack, server)
	cancel()
	if ctx.Err() != nil {
		return
	}
	if err == nil {
		var nl Lease
		if nl, err = ParseLease(ack, now); err == nil {
			kind := EventRenewed
			if nl.Address.Addr() != l.Address.Addr() {
				kind = EventBound
			}
			c.bind(capLease(nl, c.cfg.MaxLease), kind)
			return
		}
	}
	if nak := (*NakError)(nil); errors.As(err, &nak) {
		c.expire(fmt.Sprintf("lease of %s on %s refused by the DHCP server: %v", l.Address, c.cfg.Interface, nak))
		return
	}
	c.failed(fmt.Errorf("extending lease of %s on %s: %w", l.Address, c.cfg.Interface, err))
	wait := max(deadline.Sub(now)/2, c.cfg.MinRetransmit)
	c.wait(ctx, min(wait, deadline.Sub(now)))
}

// capLease cuts l's lease time to limit (when set and shorter), with T1
// and T2 scaled alike.
func capLease(l Lease, limit time.Duration) Lease {
	if limit <= 0 || l.LeaseTime <= limit {
		return l
	}
	f := float64(limit) / float64(l.LeaseTime)
	l.T1 = time.Duration(float64(l.T1) * f)
	l.T2 = time.Duration(float64(l.T2) * f)
	l.LeaseTime = limit
	return l
}

// wait waits d, or until Renew is called, or ctx is done. It reports whether
// it returned because of Renew or the timer (true) or ctx (false).
func (c *Client) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := c.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-c.renew:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *Client) bind(l Lease, kind EventKind) {
	c.mu.Lock()
	c.state, c.lease, c.lastErr = StateBound, &l, ""
	c.mu.Unlock()
	c.log.Info("lease "+kind.String(), "addr", l.Address, "server", l.ServerID, "lease", l.LeaseTime, "t1", l.T1, "t2", l.T2)
	c.emit(Event{Kind: kind, Lease: l})
}

func (c *Client) expire(reason string) {
	c.mu.Lock()
	l := c.lease
	c.state, c.lease, c.lastErr = StateInit, nil, reason
	c.mu.Unlock()
	c.log.Warn("lease lost", "reason", reason)
	c.emit(Event{Kind: EventExpired, Lease: *l, Reason: reason})
}

func (c *Client) stop() {
	c.mu.Lock()
	l := c.lease
	c.state, c.lease = StateStopped, nil
	c.mu.Unlock()
	if l == nil {
		return
	}
	reason := "client stopped"
	if err := c.tr.Release(l.ack); err != nil {
		reason += "; DHCPRELEASE failed: " + err.Error()
		c.log.Warn("release", "err", err)
	}
	c.emit(Event{Kind: EventReleased, Lease: *l, Reason: reason})
}

func (c *Client) failed(err error) {
	c.mu.Lock()
	c.lastErr = err.Error()
	c.mu.Unlock()
	c.log.Info("dhcp exchange failed", "err", err)
}

func (c *Client) emit(e Event) {
	e.Interface, e.At = c.cfg.Interface, c.clk.Now()
	c.cfg.OnEvent(e)
}

func (c *Client) setState(s State) {
	c.mu.Lock()
	c.state = s
	c.mu.Unlock()
}

func (c *Client) current() Lease {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.lease
}
