package netapi

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/netstore"
)

// MemoryBackend is Status.Backend for the in-memory stand-in.
const MemoryBackend = "in-memory stand-in (configures nothing)"

// The stand-in's hardware addresses: locally administered, so they can
// never be mistaken for a real port's.
const (
	memoryLANMAC = "02:00:00:00:00:01"
	memoryWANMAC = "02:00:00:00:00:02"
)

// Memory is an in-memory Manager: the stand-in that the front panel and
// console (issue 3) run against until the real network manager (issue 4,
// package netmgr) replaces it.
//
// It keeps the configuration in force, validates changes exactly as the
// real one must (netcfg.Validate), calls the scan cancel hook before a
// change, and persists through netstore (Save after a change, MarkGood after
// a passing test, Reset for RESET and mode switch). It does NOT configure
// anything: no link, address, route, DHCP client or resolver is touched.
// Its status is derived from the configuration alone (a static address
// shows as the port's address, DHCP shows "no lease yet"), and its
// connectivity test fails where the configuration cannot work without a
// lease or router advertisement it never gets, and otherwise passes with
// the remaining steps assumed (ConnTest.Simulated).
//
// Its methods are safe for concurrent use; changes are serialized.
type Memory struct {
	store    *netstore.Store
	clock    func() time.Time
	canceler ScanCanceler

	change sync.Mutex // serializes Apply, Reset, SwitchMode, TestConnectivity

	mu       sync.Mutex // guards the fields below
	cfg      netcfg.Config
	source   ConfigSource
	fallback string // why the configuration in force is a fallback; "" once a change is stored
	lkgErr   string // why the last MarkGood failed; "" after one succeeds
	lastTest *ConnTest
	renewed  map[Iface]time.Time
	seq      uint64
	updated  time.Time
	hub      Hub
	link     *PlatformLink
}

var _ Manager = (*Memory)(nil)

// NewMemory returns an in-memory manager whose configuration in force is
// what store.Load returns (the stored one, else last-known-good, else the
// defaults, as Status.Config says). clock gives the time of statuses and
// tests. canceler is the scanner's cancel hook; nil means no scanner.
func NewMemory(store *netstore.Store, clock func() time.Time, canceler ScanCanceler) *Memory {
	ld := store.Load()
	m := &Memory{
		store:    store,
		clock:    clock,
		canceler: canceler,
		cfg:      ld.Config,
		source:   SourceOf(ld),
		renewed:  map[Iface]time.Time{},
		seq:      1,
		updated:  clock(),
	}
	if ld.Source != netstore.FromStored && !ld.FirstBoot {
		m.fallback = "running on the " + ld.Source.String() + ": " + ld.Reason.Error()
	}
	return m
}

// healthLocked is the manager's health: degraded while it runs on a
// fallback configuration or could not record last-known-good.
func (m *Memory) healthLocked() Health {
	switch {
	case m.fallback != "":
		return Health{State: HealthDegraded, Reason: m.fallback}
	case m.lkgErr != "":
		return Health{State: HealthDegraded, Reason: m.lkgErr}
	}
	return Health{State: HealthOK}
}

// Config implements Manager.
func (m *Memory) Config(ctx context.Context) (ConfigView, error) {
	if err := ctx.Err(); err != nil {
		return ConfigView{}, Canceled("config", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return View(m.cfg), nil
}

// Status implements Manager.
func (m *Memory) Status(ctx context.Context) (Status, error) {
	if err := ctx.Err(); err != nil {
		return Status{}, Canceled("status", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.statusLocked(), nil
}

// Apply implements Manager.
func (m *Memory) Apply(ctx context.Context, cfg netcfg.Config, opts ApplyOptions) (Result, error) {
	m.change.Lock()
	defer m.change.Unlock()
	cur := m.current()
	next := cfg.Clone()
	if opts.KeepProxyPassword && next.Proxy.Password.IsZero() && next.Proxy.Enabled() && next.Proxy.User != "" {
		next.Proxy.Password = cur.Proxy.Password
	}
	return m.changeTo(ctx, "apply", cur, next, m.store.Save)
}

// ApplyPlatform implements Manager.
func (m *Memory) ApplyPlatform(ctx context.Context, p netcfg.Platform) (Result, error) {
	m.change.Lock()
	defer m.change.Unlock()
	cur := m.current()
	next := cur.Clone()
	next.Platform = p.Clone()
	return m.changeTo(ctx, "apply platform settings", cur, next, m.store.Save)
}

// ReportPlatform implements Manager.
func (m *Memory) ReportPlatform(ctx context.Context, l PlatformLink) error {
	if err := ctx.Err(); err != nil {
		return Canceled("report platform", err)
	}
	if err := l.Valid(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if l.Reported.IsZero() {
		l.Reported = m.clock()
	}
	m.link = &l
	m.publishLocked(m.clock())
	return nil
}

// Reset implements Manager.
func (m *Memory) Reset(ctx context.Context) (Result, error) {
	m.change.Lock()
	defer m.change.Unlock()
	cur := m.current()
	return m.changeTo(ctx, "reset", cur, cur.Reset(), m.store.Reset)
}

// SwitchMode implements Manager.
func (m *Memory) SwitchMode(ctx context.Context, mode netcfg.Mode) (Result, error) {
	if mode != netcfg.ModeDual && mode != netcfg.ModeIPv6Only {
		return Result{}, &Error{Kind: KindInvalidRequest, Message: fmt.Sprintf("switch mode: unknown mode %d", mode)}
	}
	m.change.Lock()
	defer m.change.Unlock()
	cur := m.current()
	return m.changeTo(ctx, "switch mode", cur, cur.SwitchMode(mode), m.store.Reset)
}

func (m *Memory) current() netcfg.Config {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg.Clone()
}

// changeTo is the change pipeline: validate, cancel the scan, "apply",
// test, persist. The caller holds m.change.
func (m *Memory) changeTo(ctx context.Context, op string, cur, next netcfg.Config, persist func(netcfg.Config) error) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, Canceled(op, err)
	}
	if err := next.Validate(); err != nil {
		return Result{}, invalidConfig(op, err)
	}
	changes := netcfg.Diff(cur, next)
	if len(changes) == 0 {
		return Result{}, nil
	}
	var res Result
	res.Changes = changes
	if m.canceler != nil {
		c, err := m.canceler.CancelScan(ctx, op+" network settings")
		if err != nil {
			return Result{}, &Error{Kind: KindScanCancel, Message: fmt.Sprintf("%s: cancel the running scan: %v; nothing was changed", op, err), Err: err}
		}
		res.ScanCanceled = c
	}
	// From here the change goes through whatever ctx does: stopping
	// halfway would leave the scan cancelled for nothing.
	now := m.clock()
	test := simulateTest(next, now)
	if err := persist(next); err != nil {
		return Result{}, &Error{Kind: KindInternal, Message: fmt.Sprintf("%s: persist: %v; the previous configuration stays in force", op, err), Err: err}
	}
	res.Test = &test
	lkgErr, marked := m.markGood(op, next, test)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg = next
	m.fallback = ""
	if marked {
		m.lkgErr = lkgErr
	}
	m.lastTest = &test
	clear(m.renewed)
	m.publishLocked(now)
	return res, nil
}

// Renew implements Manager. The stand-in obtains no lease; it records when
// the renew was asked for, which Lease.Requested shows.
func (m *Memory) Renew(ctx context.Context, iface Iface) error {
	if err := ctx.Err(); err != nil {
		return Canceled("renew", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cfg
	switch iface {
	case LAN:
		switch {
		case c.Mode == netcfg.ModeDual && c.LAN.Method == netcfg.IPv4DHCP:
		case c.Mode == netcfg.ModeIPv6Only && c.LANv6.Method == netcfg.IPv6Auto:
		default:
			return &Error{Kind: KindNotApplicable, Message: "renew lan: the LAN has a static address; there is no lease to renew"}
		}
	case WAN:
		if c.WAN.Method != netcfg.WANDHCP {
			return &Error{Kind: KindNotApplicable, Message: fmt.Sprintf("renew wan: the WAN is %s, not DHCP; there is no lease to renew", c.WAN.Method)}
		}
	default:
		return &Error{Kind: KindInvalidRequest, Message: fmt.Sprintf("renew: unknown interface %q; allowed: %s, %s", iface, LAN, WAN)}
	}
	now := m.clock()
	m.renewed[iface] = now
	m.publishLocked(now)
	return nil
}

// TestConnectivity implements Manager.
func (m *Memory) TestConnectivity(ctx context.Context) (ConnTest, error) {
	if err := ctx.Err(); err != nil {
		return ConnTest{}, Canceled("test connectivity", err)
	}
	m.change.Lock()
	defer m.change.Unlock()
	cur := m.current()
	now := m.clock()
	test := simulateTest(cur, now)
	lkgErr, marked := m.markGood("test connectivity", cur, test)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastTest = &test
	if marked {
		m.lkgErr = lkgErr
	}
	m.publishLocked(now)
	return test, nil
}

// markGood records c as last-known-good if its test passed; marked says it
// tried, and lkgErr is why it failed.
func (m *Memory) markGood(op string, c netcfg.Config, test ConnTest) (lkgErr string, marked bool) {
	if !test.OK {
		return "", false
	}
	if err := m.store.MarkGood(c); err != nil {
		return fmt.Sprintf("%s: record last-known-good: %v", op, err), true
	}
	return "", true
}

// Subscribe implements Manager.
func (m *Memory) Subscribe(ctx context.Context) (<-chan Status, error) {
	if err := ctx.Err(); err != nil {
		return nil, Canceled("subscribe", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hub.Subscribe(ctx, m.statusLocked()), nil
}

// publishLocked records a status change and publishes the new status. The
// caller holds m.mu, so statuses reach the hub in order.
func (m *Memory) publishLocked(now time.Time) {
	m.seq++
	m.updated = now
	m.hub.Publish(m.statusLocked())
}

// statusLocked derives the status from the configuration in force.
func (m *Memory) statusLocked() Status {
	c := m.cfg
	st := Status{
		Seq:     m.seq,
		Updated: m.updated,
		Backend: MemoryBackend,
		Mode:    c.Mode,
		Split:   c.WAN.Split(),
		Proxy: ProxyStatus{
			Enabled: c.Proxy.Enabled(),
			Host:    c.Proxy.Host,
			Port:    c.Proxy.Port,
			User:    c.Proxy.User,
		},
		Config: m.source,
		Health: m.healthLocked(),
	}
	if m.link != nil {
		l := *m.link
		st.Platform = &l
	}
	if m.lastTest != nil {
		t := CloneTest(*m.lastTest)
		st.LastTest = &t
	}
	lan := Interface{Name: LAN, MAC: memoryLANMAC, Link: linkState(c.Link.LAN), VLAN: c.VLAN}
	switch c.Mode {
	case netcfg.ModeIPv6Only:
		lan.IPv4 = Family{Method: MethodOff}
		switch c.LANv6.Method {
		case netcfg.IPv6Static:
			lan.IPv6 = Family{Method: MethodStatic, Addresses: []netip.Prefix{c.LANv6.Address}, Gateway: c.LANv6.Gateway}
		default:
			lan.IPv6 = Family{Method: MethodAuto, Gateway: c.LANv6.Gateway, Note: "no router advertisement yet" + m.renewNote(LAN)}
		}
		st.DNS = addrs(c.LANv6.DNS1, c.LANv6.DNS2)
	default:
		switch c.LAN.Method {
		case netcfg.IPv4Static:
			lan.IPv4 = Family{Method: MethodStatic, Addresses: []netip.Prefix{c.LAN.Address}, Gateway: c.LAN.Gateway}
			st.DNS = addrs(c.LAN.DNS1, c.LAN.DNS2)
		default:
			lan.IPv4 = m.dhcpFamily(LAN)
		}
		lan.IPv6 = scanIPv6(c.Platform.ScanIPv6)
	}
	st.Interfaces = []Interface{lan}
	if c.Mode == netcfg.ModeDual && c.WAN.Split() {
		wan := Interface{Name: WAN, MAC: memoryWANMAC, Link: linkState(c.Link.WAN), IPv6: Family{Method: MethodOff}}
		// With split networking the management traffic, and the lookups it
		// needs, go out of WAN.
		st.DNS = nil
		if c.WAN.Method == netcfg.WANStatic {
			wan.IPv4 = Family{Method: MethodStatic, Addresses: []netip.Prefix{c.WAN.Address}, Gateway: c.WAN.Gateway}
			st.DNS = addrs(c.WAN.DNS1, c.WAN.DNS2)
		} else {
			wan.IPv4 = m.dhcpFamily(WAN)
		}
		st.Interfaces = append(st.Interfaces, wan)
	}
	return st
}

func (m *Memory) dhcpFamily(iface Iface) Family {
	return Family{
		Method: MethodDHCP,
		Lease:  &Lease{State: LeaseNone, Requested: m.renewed[iface]},
		Note:   "no lease yet" + m.renewNote(iface),
	}
}

func (m *Memory) renewNote(iface Iface) string {
	if m.renewed[iface].IsZero() {
		return ""
	}
	return " (renew requested; the in-memory stand-in runs no DHCP client or router solicitation)"
}

func scanIPv6(s netcfg.ScanIPv6) Family {
	switch s.Method {
	case netcfg.ScanIPv6Static:
		return Family{Method: MethodStatic, Addresses: []netip.Prefix{s.Address}, Gateway: s.Gateway}
	case netcfg.ScanIPv6Auto:
		return Family{Method: MethodAuto, Note: "no router advertisement yet"}
	}
	return Family{Method: MethodOff}
}

// linkState is the stand-in's link: always up, at the forced speed or, for
// auto-negotiation, at 1000/full.
func linkState(mode netcfg.LinkMode) LinkState {
	ls := LinkState{Up: true, Mode: mode, SpeedMbps: 1000, FullDuplex: true}
	if mbps, full, ok := mode.Forced(); ok {
		ls.SpeedMbps, ls.FullDuplex = mbps, full
	}
	return ls
}

func addrs(as ...netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range as {
		if a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

// simulateTest is the stand-in's connectivity test, derived from c alone:
// the address step fails where an address would have to be learned (the
// stand-in never learns one); the link is taken as up and the gateway, DNS,
// proxy and TLS steps are assumed to pass, which Simulated says.
func simulateTest(c netcfg.Config, now time.Time) ConnTest {
	const assumed = "assumed: the in-memory stand-in reaches nothing"
	t := ConnTest{Started: now, Finished: now, Simulated: true}
	add := func(name StepName, res StepResult, detail, panel string) {
		t.Steps = append(t.Steps, Step{Name: name, Result: res, Detail: detail, Panel: panel})
	}
	add(StepLink, StepPassed, assumed, "")

	var addrFail, addrPanel, addrOK string
	switch {
	case c.Mode == netcfg.ModeIPv6Only && c.LANv6.Method == netcfg.IPv6Static:
		addrOK = "LAN " + c.LANv6.Address.String() + " (static)"
	case c.Mode == netcfg.ModeIPv6Only:
		addrFail, addrPanel = "no IPv6 router advertisement on LAN", "NO IPv6 ADDRESS ON LAN"
	case c.LAN.Method == netcfg.IPv4Static:
		addrOK = "LAN " + c.LAN.Address.String() + " (static)"
	default:
		addrFail, addrPanel = "no DHCP lease on LAN", "NO DHCP LEASE ON LAN"
	}
	if addrFail == "" && c.Mode == netcfg.ModeDual {
		switch c.WAN.Method {
		case netcfg.WANStatic:
			addrOK += ", WAN " + c.WAN.Address.String() + " (static)"
		case netcfg.WANDHCP:
			addrFail, addrPanel = "no DHCP lease on WAN", "NO DHCP LEASE ON WAN"
		}
	}
	if addrFail != "" {
		add(StepAddress, StepFailed, addrFail+" (the in-memory stand-in runs no DHCP client or router solicitation)", addrPanel)
	} else {
		add(StepAddress, StepPassed, addrOK, "")
	}
	failed := addrFail != ""
	for _, s := range []StepName{StepGateway, StepDNS, StepProxy, StepTLS} {
		switch {
		case failed:
			add(s, StepNotRun, "", "")
		case s == StepProxy && !c.Proxy.Enabled():
			add(s, StepSkipped, "no proxy configured", "")
		default:
			add(s, StepPassed, assumed, "")
		}
	}
	t.OK = !failed
	return t
}
