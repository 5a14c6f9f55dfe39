package netmgr

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"picket.dev/picket/src/net/dhcp"
	"picket.dev/picket/src/net/dhcp6"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netapply"
	"picket.dev/picket/src/net/netcfg"
)

// want says which lease clients a configuration needs: a DHCPv4 client
// per port (by device) and a DHCPv6 information client on LAN.
type want struct {
	v4 map[netapi.Iface]string
	v6 string
}

// dhcpOpts is what every DHCPv4 client is started with.
type dhcpOpts struct {
	log                *slog.Logger
	retryMin, retryMax time.Duration
	maxLease           time.Duration
	kick               func()
	// open4 and open6 open a client's transport on a device; nil lets the
	// client open the kernel's socket.
	open4 func(dev string) (dhcp.Transport, error)
	open6 func(dev string) (dhcp6.Transport, error)
}

func (m *Manager) dhcpOptions() dhcpOpts {
	return dhcpOpts{log: m.log, retryMin: m.opt.DHCPRetryMin, retryMax: m.opt.DHCPRetryMax, maxLease: m.opt.DHCPMaxLease, kick: m.requestReconcile,
		open4: m.opt.DHCP4, open6: m.opt.DHCP6}
}

// client4 is a running DHCPv4 client and what it learned.
type client4 struct {
	dev    string
	c      *dhcp.Client
	cancel context.CancelFunc
	done   chan struct{}
	lease  *dhcp.Lease
	note   string // why there is no lease, for the status
}

// client6 is the running DHCPv6 information client.
type client6 struct {
	dev    string
	c      *dhcp6.Client
	cancel context.CancelFunc
	done   chan struct{}
	info   *dhcp6.Info
}

// leases runs the lease clients and keeps what they learned. Its own
// mutex is never held while waiting for a client to stop, so a client's
// last event (the release) cannot deadlock against a stop.
type leases struct {
	mu sync.Mutex
	v4 map[netapi.Iface]*client4
	v6 *client6
	// notes keeps, per port, the reason a lease went away after its
	// client stopped (status "lease expired: ...").
	notes map[netapi.Iface]string
}

func (l *leases) init() {
	l.v4 = map[netapi.Iface]*client4{}
	l.notes = map[netapi.Iface]string{}
}

func (l *leases) wanted(cfg netcfg.Config, ports netapply.Ports) want {
	w := want{v4: map[netapi.Iface]string{}}
	lanDev := netapply.LANDevice(cfg, ports)
	switch cfg.Mode {
	case netcfg.ModeIPv6Only:
		if cfg.LANv6.Method == netcfg.IPv6Auto {
			w.v6 = lanDev
		}
	default:
		if cfg.LAN.Method == netcfg.IPv4DHCP {
			w.v4[netapi.LAN] = lanDev
		}
		if cfg.WAN.Method == netcfg.WANDHCP && ports.WAN != "" {
			w.v4[netapi.WAN] = ports.WAN
		}
	}
	return w
}

// stopExcept stops the clients w does not want (or wants on another
// device) and waits until they have released their leases.
func (l *leases) stopExcept(w want) {
	var wait []chan struct{}
	l.mu.Lock()
	for iface, c := range l.v4 {
		if w.v4[iface] != c.dev {
			c.cancel()
			wait = append(wait, c.done)
			delete(l.v4, iface)
		}
	}
	if l.v6 != nil && l.v6.dev != w.v6 {
		l.v6.cancel()
		wait = append(wait, l.v6.done)
		l.v6 = nil
	}
	l.mu.Unlock()
	for _, d := range wait {
		<-d
	}
}

func (l *leases) stopAll() { l.stopExcept(want{}) }

// ensure starts the clients w wants that are not running.
func (l *leases) ensure(ctx context.Context, w want, o dhcpOpts) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for iface, dev := range w.v4 {
		if c := l.v4[iface]; c != nil && c.dev == dev {
			continue
		}
		c := &client4{dev: dev, done: make(chan struct{}), note: "no lease yet"}
		iface := iface
		var tr dhcp.Transport
		if o.open4 != nil {
			t, err := o.open4(dev)
			if err != nil {
				o.log.Error("start DHCP client", "iface", iface, "dev", dev, "err", err)
				l.notes[iface] = "DHCP client could not start: " + err.Error()
				continue
			}
			tr = t
		}
		cl, err := dhcp.New(dhcp.Config{
			Interface: dev,
			Transport: tr,
			Logger:    o.log,
			RetryMin:  o.retryMin,
			RetryMax:  o.retryMax,
			MaxLease:  o.maxLease,
			OnEvent:   func(e dhcp.Event) { l.event(iface, c, e); o.kick() },
		})
		if err != nil {
			o.log.Error("start DHCP client", "iface", iface, "dev", dev, "err", err)
			l.notes[iface] = "DHCP client could not start: " + err.Error()
			continue
		}
		delete(l.notes, iface)
		c.c = cl
		var cctx context.Context
		cctx, c.cancel = context.WithCancel(ctx)
		l.v4[iface] = c
		go func() {
			defer close(c.done)
			_ = cl.Run(cctx)
		}()
	}
	if w.v6 != "" && (l.v6 == nil || l.v6.dev != w.v6) {
		c := &client6{dev: w.v6, done: make(chan struct{})}
		var tr dhcp6.Transport
		if o.open6 != nil {
			t, err := o.open6(w.v6)
			if err != nil {
				o.log.Error("start DHCPv6 client", "dev", w.v6, "err", err)
				l.notes[netapi.LAN] = "DHCPv6 client could not start: " + err.Error()
				return
			}
			tr = t
		}
		cl, err := dhcp6.New(dhcp6.Config{
			Interface: w.v6,
			Transport: tr,
			Logger:    o.log,
			OnInfo: func(info dhcp6.Info) {
				l.mu.Lock()
				c.info = &info
				l.mu.Unlock()
				o.kick()
			},
		})
		if err != nil {
			o.log.Error("start DHCPv6 client", "dev", w.v6, "err", err)
			l.notes[netapi.LAN] = "DHCPv6 client could not start: " + err.Error()
			return
		}
		c.c = cl
		var cctx context.Context
		cctx, c.cancel = context.WithCancel(ctx)
		l.v6 = c
		go func() {
			defer close(c.done)
			_ = cl.Run(cctx)
		}()
	}
}

// event records a DHCPv4 lease change.
func (l *leases) event(iface netapi.Iface, c *client4, e dhcp.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e.Kind {
	case dhcp.EventBound, dhcp.EventRenewed:
		lease := e.Lease
		c.lease, c.note = &lease, ""
		delete(l.notes, iface)
	case dhcp.EventExpired:
		c.lease = nil
		c.note = "lease on " + c.dev + " expired at " + e.At.UTC().Format(time.RFC3339) + ": " + e.Reason
	case dhcp.EventReleased:
		c.lease = nil
		c.note = "lease released: " + e.Reason
	}
}

// dynamic is the kernel-facing part of the leases in force.
func (l *leases) dynamic() netapply.Dynamic {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dynamicLocked(nil)
}

// dynamicFor is dynamic with only the leases of clients w keeps (the same
// interface on the same device): a client about to stop contributes none.
func (l *leases) dynamicFor(w want) netapply.Dynamic {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dynamicLocked(&w)
}

func (l *leases) dynamicLocked(w *want) netapply.Dynamic {
	var d netapply.Dynamic
	keep := func(iface netapi.Iface, c *client4) bool {
		return c != nil && c.lease != nil && (w == nil || w.v4[iface] == c.dev)
	}
	if c := l.v4[netapi.LAN]; keep(netapi.LAN, c) {
		d.LAN4 = lease4(c.lease)
	}
	if c := l.v4[netapi.WAN]; keep(netapi.WAN, c) {
		d.WAN4 = lease4(c.lease)
	}
	return d
}

func lease4(l *dhcp.Lease) *netapply.Lease4 {
	out := &netapply.Lease4{Address: l.Address}
	if len(l.Routers) > 0 {
		out.Gateway = l.Routers[0]
	}
	return out
}

// lease4Of returns the DHCPv4 lease of iface, its client state and a note
// saying why there is none.
func (l *leases) lease4Of(iface netapi.Iface) (lease *dhcp.Lease, st dhcp.Status, running bool, note string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.v4[iface]
	if c == nil {
		return nil, dhcp.Status{}, false, l.notes[iface]
	}
	st = c.c.Status()
	if c.lease != nil {
		cp := *c.lease
		lease = &cp
	}
	note = c.note
	if lease == nil && st.LastError != "" && c.note == "no lease yet" {
		note = "no lease yet: " + st.LastError
	}
	return lease, st, true, note
}

// v6Pending reports whether a DHCPv6 client runs and has not answered yet.
func (l *leases) v6Pending() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.v6 != nil && l.v6.info == nil
}

// info6 returns what DHCPv6 told, if anything.
func (l *leases) info6() (dhcp6.Info, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.v6 == nil || l.v6.info == nil {
		return dhcp6.Info{}, false
	}
	return *l.v6.info, true
}

// renew asks iface's client for a lease now; false if none runs.
func (l *leases) renew(iface netapi.Iface) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if iface == netapi.LAN && l.v6 != nil {
		l.v6.c.Renew()
		return true
	}
	c := l.v4[iface]
	if c == nil {
		return false
	}
	c.c.Renew()
	return true
}
