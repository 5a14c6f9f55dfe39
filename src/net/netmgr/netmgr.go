// Package netmgr is the network manager's core, the implementation of
// netapi.Manager that netmgrd serves: it applies the configuration to the
// kernel (links, addresses, routes, 802.1Q VLANs, policy routing, sysctls
// through package netapply; Ethernet link modes through package ethlink),
// runs the DHCPv4 clients of LAN and WAN and the DHCPv6 information client
// of IPv6-only automatic mode, writes the box's resolver configuration,
// tests the path to the platform (package conncheck) and keeps the
// configuration on the data partition (package netstore).
//
// It reaches the kernel only through the handles its caller gives it
// (Options): the netlink and sysctls of one network namespace
// (netapply.Kernel), the ports' ethtool (LinkModes), the DHCP clients'
// sockets and the connectivity test's. netmgrd gives it the kernel's, in
// the namespace it runs in; the in-memory stand-in (package standin) gives
// it a simulated kernel and network (package simnet), and so do its unit
// tests. It never touches an interface other than the board's LAN and WAN
// ports and the VLANs it creates on LAN.
//
// Every change follows the network spec's order (the Stage constants):
// validate the whole new configuration (refused: nothing changes), cancel a
// running scan, set the link modes, apply the kernel state as a diff (a
// failure restores the previous state and link modes), obtain leases and
// write the resolver configuration, test the path to the platform, persist
// (atomically; a failure restores the previous configuration) and, if the
// test passed, keep the configuration as last-known-good. A change that
// fails or is cut off before it is stored leaves the previous
// configuration the one in force after a restart.
//
// A change that cuts the box off is undone by itself (trial.go): when the
// box reached the platform before a change (its configuration was the
// last-known-good one) and the test after it fails, the change is on
// trial. The manager tests again every TrialRetest; a passing test, or a
// poll the platform link reports as answered, confirms it (it becomes
// last-known-good); at the deadline (PlatformGrace for settings the
// platform pushed, PanelGrace for the panel's, whose REVERT? prompt can
// end it sooner through EndTrial) the last-known-good configuration is
// restored and the reason kept for the platform link to report. The trial
// is recorded before the change is stored, so a manager that stops during
// it restores the last-known-good configuration when it starts again.
package netmgr

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/net/conncheck"
	"picket.dev/picket/src/net/dhcp"
	"picket.dev/picket/src/net/dhcp6"
	"picket.dev/picket/src/net/ethlink"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netapply"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/netstore"
)

// Backend is Status.Backend for this manager.
const Backend = "netmgr"

// LinkModes sets and reads Ethernet link modes (ethlink.Conn).
type LinkModes interface {
	Get(ifname string) (ethlink.Settings, error)
	Set(ifname string, mode netcfg.LinkMode) error
}

// Stage is a step of the change pipeline, in the order a change reaches
// them.
type Stage string

// The stages of a change. A change that is refused or fails stops at the
// stage before the one that failed.
const (
	StageValidated  Stage = "validated"       // the new configuration is valid and differs
	StageScanCancel Stage = "scan canceled"   // the running scan, if any, is cancelled
	StageLinkModes  Stage = "link modes set"  // Ethernet link modes are set
	StageApplied    Stage = "applied"         // the kernel state is applied, DHCP clients run
	StageLeases     Stage = "leases obtained" // the addresses management needs are there (or the wait ended)
	StageTested     Stage = "tested"          // the path to the platform is tested
	StageStored     Stage = "stored"          // the configuration is persisted
	StageMarkedGood Stage = "last-known-good" // the tested configuration is kept as last-known-good
)

// Options configure a Manager. Ports, Store, Kernel and LinkModes are
// required.
type Options struct {
	// Ports names the board's LAN and (optional) WAN interfaces.
	Ports netapply.Ports
	// Store keeps the configuration on the data partition.
	Store *netstore.Store
	// Kernel is the network namespace's netlink and sysctls: netapply.Open
	// in netmgrd, a simulated kernel in the stand-in and tests. The caller
	// closes it after Run returns.
	Kernel netapply.Kernel
	// LinkModes sets and reads the ports' link modes: an ethlink.Conn in
	// netmgrd, a simulated one in the stand-in and tests.
	LinkModes LinkModes
	// DHCP4 and DHCP6 open a DHCP client's transport on a device; nil
	// opens the kernel's sockets (dhcp.NewNClient, dhcp6.Listen).
	DHCP4 func(dev string) (dhcp.Transport, error)
	DHCP6 func(dev string) (dhcp6.Transport, error)
	// Network opens the connectivity test's sockets; nil is the kernel's
	// (conncheck.Kernel).
	Network conncheck.Network
	// Backend names the implementation in Status.Backend; "" is Backend.
	Backend string
	// Simulated says the network reached is simulated: every test result
	// says so (netapi.ConnTest.Simulated).
	Simulated bool
	// StepTimeout bounds each step of the connectivity test; 0 is
	// conncheck's default.
	StepTimeout time.Duration
	// OnStage is called as a change (Apply, ApplyPlatform, Reset,
	// SwitchMode) reaches each stage, with the operation's name; nil is
	// none. It runs on the change's goroutine, which it holds up.
	OnStage func(op string, s Stage)
	// Now is the clock of statuses and tests; nil is time.Now.
	Now func() time.Time
	// Canceler is the scanner's cancel hook; nil means no scanner.
	Canceler netapi.ScanCanceler
	// Platform is the platform's host:port, the target of the path test,
	// and RootCAs its pinned CA (the only trusted root).
	Platform string
	RootCAs  *x509.CertPool
	// ResolvConf is the resolver configuration file to keep; "" keeps none.
	ResolvConf string
	// Logger defaults to discarding.
	Logger *slog.Logger
	// LeaseWait bounds how long a change waits for the leases (or router
	// advertisement) it needs before it tests the path; default 20 s.
	LeaseWait time.Duration
	// DHCPRetryMin and DHCPRetryMax bound the DHCPv4 clients' back-off
	// between failed attempts (dhcp.Config); zero takes its defaults.
	DHCPRetryMin, DHCPRetryMax time.Duration
	// DHCPMaxLease caps the lease time the DHCPv4 clients hold an address
	// for (dhcp.Config.MaxLease); zero uses the server's.
	DHCPMaxLease time.Duration
	// Clock times the changes on trial (their deadlines and tests); nil
	// is the system clock, and Now defaults to its Now.
	Clock clock.Clock
	// PlatformGrace and PanelGrace are how long a change on trial made by
	// the platform (ApplyPlatform) or at the panel (Apply) may leave the
	// box without the platform before the last-known-good configuration
	// is restored: zero takes DefaultPlatformGrace and DefaultPanelGrace,
	// a negative value puts no such change on trial. TrialRetest is how
	// often the path is tested during a trial; zero is DefaultTrialRetest.
	PlatformGrace, PanelGrace, TrialRetest time.Duration
}

// Manager is the network manager. Create it with New and start it with
// Run; its netapi.Manager methods are safe for concurrent use.
type Manager struct {
	opt     Options
	log     *slog.Logger
	nl      netapply.Kernel
	checker conncheck.Checker

	change sync.Mutex // serializes Apply, Reset, SwitchMode, TestConnectivity and boot
	kmu    sync.Mutex // serializes kernel applies (changes and lease events)
	rmu    sync.Mutex // serializes resolv.conf writes (one writer per file: atomicfile)
	kick   chan struct{}
	booted chan struct{} // closed once boot has applied and tested

	mu       sync.Mutex // guards the fields below
	runCtx   context.Context
	cfg      netcfg.Config  // the configuration in force: applied and stored
	kcfg     netcfg.Config  // the configuration the kernel is being brought to
	applied  netapply.State // the last state applied
	leases   leases
	source   netapi.ConfigSource
	fallback string // why the configuration in force is a fallback
	applyErr string // why the last kernel apply outside a change failed
	lkgErr   string
	lastTest *netapi.ConnTest
	link     *netapi.PlatformLink
	seq      uint64
	updated  time.Time
	last     netapi.Status
	hub      netapi.Hub

	// The evidence of reaching the platform and the change on trial
	// (trial.go).
	trialKick chan struct{}
	since     time.Time
	reached   bool
	contact   time.Time
	good      netcfg.Config
	haveGood  bool
	trial     *netstore.Trial
	rollback  *netstore.Rollback
}

var _ netapi.Manager = (*Manager)(nil)

// New returns a manager for the configuration the store holds (or its
// fallback). It changes nothing until Run.
func New(opt Options) (*Manager, error) {
	if opt.Ports.LAN == "" {
		return nil, errors.New("netmgr: no LAN interface name")
	}
	if opt.Store == nil {
		return nil, errors.New("netmgr: no configuration store")
	}
	if opt.Kernel == nil {
		return nil, errors.New("netmgr: no kernel handle (netapply.Kernel)")
	}
	if opt.LinkModes == nil {
		return nil, errors.New("netmgr: no link mode handle (LinkModes)")
	}
	if opt.Clock == nil {
		opt.Clock = clock.System{}
	}
	if opt.Now == nil {
		opt.Now = opt.Clock.Now
	}
	if opt.PlatformGrace == 0 {
		opt.PlatformGrace = DefaultPlatformGrace
	}
	if opt.PanelGrace == 0 {
		opt.PanelGrace = DefaultPanelGrace
	}
	if opt.TrialRetest <= 0 {
		opt.TrialRetest = DefaultTrialRetest
	}
	if opt.Backend == "" {
		opt.Backend = Backend
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.LeaseWait <= 0 {
		opt.LeaseWait = 20 * time.Second
	}
	ld := opt.Store.Load()
	m := &Manager{
		opt:     opt,
		log:     opt.Logger,
		nl:      opt.Kernel,
		checker: conncheck.Checker{Now: opt.Now, Neighbours: opt.Kernel, Network: opt.Network},
		kick:    make(chan struct{}, 1),
		booted:  make(chan struct{}),
		cfg:     ld.Config,
		kcfg:    ld.Config.Clone(),
		source:  netapi.SourceOf(ld),
		seq:     1,
		updated: opt.Now(),

		trialKick: make(chan struct{}, 1),
		since:     opt.Now(),
	}
	m.leases.init()
	if good, err := opt.Store.LastKnownGood(); err == nil {
		m.good, m.haveGood = good, true
	}
	if r, ok, err := opt.Store.LoadRollback(); err != nil {
		m.log.Warn("read the record of the last rollback", "err", err)
	} else if ok {
		m.rollback = &r
	}
	if ld.Source != netstore.FromStored && !ld.FirstBoot {
		m.fallback = "running on the " + ld.Source.String() + ": " + ld.Reason.Error()
	}
	return m, nil
}

// Run applies the configuration in force, keeps the leases and the status
// up to date, and returns when ctx is done, after stopping the DHCP
// clients (which release their leases).
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	m.runCtx = ctx
	m.mu.Unlock()

	done := make(chan struct{})
	updates, err := m.nl.Watch(done)
	if err != nil {
		m.log.Warn("watching links and addresses; status follows changes only on events of its own", "err", err)
	}
	// Lease events are applied by this loop, so it runs before boot, which
	// waits for them.
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		tick := time.NewTicker(30 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-m.kick:
				m.reconcile()
			case <-updates:
				m.publish()
			case <-tick.C:
				// Lease times and link speeds change without events.
				m.publish()
			}
		}
	}()
	trialsDone := make(chan struct{})
	go func() {
		defer close(trialsDone)
		m.superviseTrials(ctx)
	}()
	m.boot(ctx)
	<-ctx.Done()
	<-trialsDone
	// Stop the clients first: their releases are applied by the loop.
	m.change.Lock()
	m.leases.stopAll()
	m.change.Unlock()
	close(done)
	<-loopDone
	return nil
}

// boot applies the loaded configuration; if the kernel refuses it, the
// defaults of its mode are applied instead and the health says why.
func (m *Manager) boot(ctx context.Context) {
	m.change.Lock()
	defer m.change.Unlock()
	m.rollBackAtBoot()
	cfg := m.current()
	m.mu.Lock()
	m.since = m.opt.Now()
	m.mu.Unlock()
	err := m.bring(ctx, netcfg.Config{}, cfg, true, nil)
	if err != nil {
		def := cfg.Reset()
		m.log.Error("applying the configuration at boot failed; applying the defaults", "err", err)
		if err2 := m.bring(ctx, netcfg.Config{}, def, true, nil); err2 != nil {
			m.log.Error("applying the defaults failed too", "err", err2)
		}
		m.mu.Lock()
		m.cfg, m.kcfg = def, def.Clone()
		m.fallback = "the stored configuration could not be applied (" + err.Error() + "); running the defaults"
		m.mu.Unlock()
	}
	m.waitAddress(ctx)
	m.runTest(ctx, "boot")
	close(m.booted)
}

// Booted is closed once Run has applied the configuration it started with
// and tested the path to the platform.
func (m *Manager) Booted() <-chan struct{} { return m.booted }

// current is the configuration the kernel is (being) brought to, which
// the status and the path test describe.
func (m *Manager) current() netcfg.Config {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.kcfg.Clone()
}

// committed is the configuration in force: applied and stored.
func (m *Manager) committed() netcfg.Config {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg.Clone()
}

// Config implements netapi.Manager.
func (m *Manager) Config(ctx context.Context) (netapi.ConfigView, error) {
	if err := ctx.Err(); err != nil {
		return netapi.ConfigView{}, netapi.Canceled("config", err)
	}
	return netapi.View(m.committed()), nil
}

// Status implements netapi.Manager.
func (m *Manager) Status(ctx context.Context) (netapi.Status, error) {
	if err := ctx.Err(); err != nil {
		return netapi.Status{}, netapi.Canceled("status", err)
	}
	return m.publish(), nil
}

// ManagementPath implements netapi.Manager. It carries the proxy
// password; the server decides who may ask (netapi.WithSecretUIDs).
func (m *Manager) ManagementPath(ctx context.Context) (netapi.ManagementPath, error) {
	if err := ctx.Err(); err != nil {
		return netapi.ManagementPath{}, netapi.Canceled("management path", err)
	}
	return m.managementPath(), nil
}

// Subscribe implements netapi.Manager.
func (m *Manager) Subscribe(ctx context.Context) (<-chan netapi.Status, error) {
	if err := ctx.Err(); err != nil {
		return nil, netapi.Canceled("subscribe", err)
	}
	st := m.publish()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hub.Subscribe(ctx, st), nil
}

// publish computes the status and, if it differs from the last one
// published, gives it a new Seq and hands it to the subscribers. It
// returns the current status.
func (m *Manager) publish() netapi.Status {
	st := m.observeStatus()
	m.mu.Lock()
	defer m.mu.Unlock()
	prev := m.last
	prev.Seq, prev.Updated = 0, time.Time{}
	if m.seq > 1 && reflect.DeepEqual(prev, st) {
		st.Seq, st.Updated = m.last.Seq, m.last.Updated
		return st
	}
	m.seq++
	m.updated = m.opt.Now()
	st.Seq, st.Updated = m.seq, m.updated
	m.last = st
	m.hub.Publish(st)
	return st
}

// Apply implements netapi.Manager.
func (m *Manager) Apply(ctx context.Context, cfg netcfg.Config, opts netapi.ApplyOptions) (netapi.Result, error) {
	m.change.Lock()
	defer m.change.Unlock()
	cur := m.committed()
	next := cfg.Clone()
	if opts.KeepProxyPassword && next.Proxy.Password.IsZero() && next.Proxy.Enabled() && next.Proxy.User != "" {
		next.Proxy.Password = cur.Proxy.Password
	}
	return m.changeTo(ctx, "apply", netapi.SourcePanel, cur, next, m.opt.Store.Save)
}

// ApplyPlatform implements netapi.Manager.
func (m *Manager) ApplyPlatform(ctx context.Context, p netcfg.Platform) (netapi.Result, error) {
	m.change.Lock()
	defer m.change.Unlock()
	cur := m.committed()
	next := cur.Clone()
	next.Platform = p.Clone()
	return m.changeTo(ctx, "apply platform settings", netapi.SourcePlatform, cur, next, m.opt.Store.Save)
}

// ReportPlatform implements netapi.Manager.
func (m *Manager) ReportPlatform(ctx context.Context, l netapi.PlatformLink) error {
	if err := ctx.Err(); err != nil {
		return netapi.Canceled("report platform", err)
	}
	if err := l.Valid(); err != nil {
		return err
	}
	if l.Reported.IsZero() {
		l.Reported = m.opt.Now()
	}
	m.mu.Lock()
	m.link = &l
	kick := false
	switch l.State {
	case netapi.LinkReady, netapi.LinkActivation:
		// A poll answered with the configuration in force: the
		// supervisor makes it last-known-good and ends its trial.
		if l.LastPoll.After(m.since) && l.LastPoll.After(m.contact) {
			m.contact, m.reached, kick = l.LastPoll, true, true
		}
	case netapi.LinkCommFailure:
		if l.Reported.After(m.since) {
			m.reached = false
		}
	}
	m.mu.Unlock()
	if kick {
		m.kickTrials()
	}
	m.publish()
	return nil
}

// Reset implements netapi.Manager.
func (m *Manager) Reset(ctx context.Context) (netapi.Result, error) {
	m.change.Lock()
	defer m.change.Unlock()
	cur := m.committed()
	return m.changeTo(ctx, "reset", "", cur, cur.Reset(), m.opt.Store.Reset)
}

// SwitchMode implements netapi.Manager.
func (m *Manager) SwitchMode(ctx context.Context, mode netcfg.Mode) (netapi.Result, error) {
	if mode != netcfg.ModeDual && mode != netcfg.ModeIPv6Only {
		return netapi.Result{}, &netapi.Error{Kind: netapi.KindInvalidRequest, Message: fmt.Sprintf("switch mode: unknown mode %d; allowed: %s, %s", mode, netcfg.ModeDual, netcfg.ModeIPv6Only)}
	}
	m.change.Lock()
	defer m.change.Unlock()
	cur := m.committed()
	return m.changeTo(ctx, "switch mode", "", cur, cur.SwitchMode(mode), m.opt.Store.Reset)
}

// changeTo is the change pipeline. The caller holds m.change. source is
// who makes it (netapi.SourcePanel, SourcePlatform) for a change that may
// be put on trial, "" for a reset.
func (m *Manager) changeTo(ctx context.Context, op, source string, cur, next netcfg.Config, persist func(netcfg.Config) error) (netapi.Result, error) {
	stage := func(s Stage) {
		if m.opt.OnStage != nil {
			m.opt.OnStage(op, s)
		}
	}
	if err := ctx.Err(); err != nil {
		return netapi.Result{}, netapi.Canceled(op, err)
	}
	if err := next.Validate(); err != nil {
		return netapi.Result{}, netapi.InvalidConfig(op, err)
	}
	changes := netcfg.Diff(cur, next)
	if len(changes) == 0 {
		return netapi.Result{}, nil
	}
	stage(StageValidated)
	res := netapi.Result{Changes: changes}
	if m.opt.Canceler != nil {
		c, err := m.opt.Canceler.CancelScan(ctx, op+" network settings")
		if err != nil {
			return netapi.Result{}, &netapi.Error{Kind: netapi.KindScanCancel, Message: fmt.Sprintf("%s: cancel the running scan: %v; nothing was changed", op, err), Err: err}
		}
		res.ScanCanceled = c
	}
	stage(StageScanCancel)
	// From here the change runs to its end whatever ctx does: stopping
	// halfway would leave the scan cancelled for nothing.
	bg := context.WithoutCancel(ctx)
	mayTrial, undo := m.beginChange(cur)
	started := m.opt.Now()
	if err := m.bring(bg, cur, next, false, stage); err != nil {
		undo()
		return netapi.Result{}, &netapi.Error{Kind: netapi.KindApplyFailed, Message: fmt.Sprintf("%s: %v; the previous configuration stays in force", op, err), Err: err}
	}
	m.waitAddress(bg)
	stage(StageLeases)
	test := m.check(bg, op)
	stage(StageTested)
	// The trial is recorded before the change is stored: from the moment
	// a restart would load the change, it would also find the trial.
	var tr *netstore.Trial
	if !test.OK && mayTrial && source != "" {
		tr = m.armTrial(source, op, started, test, changes)
	}
	if err := persist(next); err != nil {
		if tr != nil {
			if cerr := m.opt.Store.ClearTrial(); cerr != nil {
				m.log.Error("clear the change on trial of a change not stored", "err", cerr)
			}
		}
		undo()
		// Not stored means not in force: a reboot would bring back cur.
		if rerr := m.bring(bg, next, cur, false, nil); rerr != nil {
			m.log.Error("restoring the previous configuration after a failed store", "err", rerr)
		}
		m.waitAddress(bg)
		m.publish()
		return netapi.Result{}, &netapi.Error{Kind: netapi.KindInternal, Message: fmt.Sprintf("%s: store the configuration: %v; the previous configuration stays in force", op, err), Err: err}
	}
	m.mu.Lock()
	m.cfg = next.Clone()
	m.fallback = ""
	if source == "" {
		// A reset drops the last-known-good copy and the trial (netstore
		// Reset): nothing is left to fall back to.
		m.good, m.haveGood, m.trial = netcfg.Config{}, false, nil
	}
	if tr != nil {
		m.trial = tr
	}
	m.mu.Unlock()
	stage(StageStored)
	if m.record(op, next, test) {
		stage(StageMarkedGood)
	}
	m.kickTrials()
	res.Test = &test
	m.mu.Lock()
	res.Trial = trialView(m.trial)
	m.mu.Unlock()
	return res, nil
}

// TestConnectivity implements netapi.Manager.
func (m *Manager) TestConnectivity(ctx context.Context) (netapi.ConnTest, error) {
	if err := ctx.Err(); err != nil {
		return netapi.ConnTest{}, netapi.Canceled("test connectivity", err)
	}
	m.change.Lock()
	defer m.change.Unlock()
	return m.runTest(ctx, "test connectivity"), nil
}

// runTest tests the path to the platform, records the result and, if it
// passed, keeps the configuration in force as last-known-good.
func (m *Manager) runTest(ctx context.Context, op string) netapi.ConnTest {
	test := m.check(ctx, op)
	m.record(op, m.committed(), test)
	return test
}

// check tests the path to the platform of the configuration the kernel is
// brought to.
func (m *Manager) check(ctx context.Context, op string) netapi.ConnTest {
	test := connTest(m.checker.Run(ctx, m.checkInput()), m.opt.Simulated)
	if f, failed := test.FirstFailure(); failed {
		m.log.Warn("connectivity test failed", "op", op, "step", f.Name, "reason", f.Panel, "detail", f.Detail)
	} else {
		m.log.Info("connectivity test passed", "op", op)
	}
	return test
}

// record makes test the last test and, if it passed, keeps cfg (the
// configuration in force) as last-known-good; it reports whether it did.
func (m *Manager) record(op string, cfg netcfg.Config, test netapi.ConnTest) (marked bool) {
	var lkgErr string
	if test.OK {
		if err := m.opt.Store.MarkGood(cfg); err != nil {
			lkgErr = fmt.Sprintf("%s: record last-known-good: %v", op, err)
		} else {
			marked = true
		}
	}
	m.mu.Lock()
	t := netapi.CloneTest(test)
	m.lastTest = &t
	m.reached = test.OK
	if test.OK {
		m.lkgErr = lkgErr
	}
	if marked {
		m.good, m.haveGood = cfg.Clone(), true
	}
	m.mu.Unlock()
	if test.OK {
		m.confirm(op)
	}
	m.publish()
	return marked
}

// waitAddress waits, up to LeaseWait, until every port management uses
// has an address, so that the test after a change does not fail on a
// lease still on its way.
func (m *Manager) waitAddress(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, m.opt.LeaseWait)
	defer cancel()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		in := m.checkInput()
		ready := len(in.Ports) > 0
		for _, p := range in.Ports {
			if len(p.Addrs) == 0 {
				ready = false
			}
		}
		// In IPv6-only automatic mode the DNS servers come from DHCPv6,
		// after the SLAAC address: testing before its answer fails at DNS.
		if m.leases.v6Pending() {
			ready = false
		}
		if ready {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Renew implements netapi.Manager.
func (m *Manager) Renew(ctx context.Context, iface netapi.Iface) error {
	if err := ctx.Err(); err != nil {
		return netapi.Canceled("renew", err)
	}
	c := m.committed()
	switch iface {
	case netapi.LAN:
		switch {
		case c.Mode == netcfg.ModeDual && c.LAN.Method == netcfg.IPv4DHCP:
		case c.Mode == netcfg.ModeIPv6Only && c.LANv6.Method == netcfg.IPv6Auto:
			if err := m.solicitRouters(c); err != nil {
				m.log.Warn("router solicitation", "err", err)
			}
		default:
			return &netapi.Error{Kind: netapi.KindNotApplicable, Message: "renew lan: the LAN has a static address; there is no lease to renew"}
		}
	case netapi.WAN:
		if c.WAN.Method != netcfg.WANDHCP {
			return &netapi.Error{Kind: netapi.KindNotApplicable, Message: fmt.Sprintf("renew wan: the WAN is %s, not DHCP; there is no lease to renew", c.WAN.Method)}
		}
	default:
		return &netapi.Error{Kind: netapi.KindInvalidRequest, Message: fmt.Sprintf("renew: unknown interface %q; allowed: %s, %s", iface, netapi.LAN, netapi.WAN)}
	}
	if !m.leases.renew(iface) {
		return &netapi.Error{Kind: netapi.KindNotApplicable, Message: fmt.Sprintf("renew %s: no DHCP client is running on it", iface)}
	}
	m.publish()
	return nil
}
