// Package standin is the network manager's in-memory stand-in: the real
// core (package netmgr, the same change pipeline, DHCP clients, status and
// connectivity test as netmgrd's) run on a simulated kernel and network
// (package simnet) instead of the box's. It configures no interface of
// the machine it runs on and needs no privilege.
//
// netmgrd -backend=memory serves it (tools/up runs that when not root),
// and the front panel's and the local API's tests run against it, so what
// they exercise is the real pipeline. It sits above netmgr and simnet
// because netapi, which netmgr implements, may not import either.
package standin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netapply"
	"picket.dev/picket/src/net/netmgr"
	"picket.dev/picket/src/net/netstore"
	"picket.dev/picket/src/net/simnet"
)

// Backend is Status.Backend for the stand-in.
const Backend = "in-memory stand-in (simulated kernel and network; configures nothing)"

// leaseWait bounds a change's wait for leases, and stepTimeout each step of
// the connectivity test: on the simulated network an answer comes at once
// or not at all.
const (
	leaseWait   = 2 * time.Second
	stepTimeout = 500 * time.Millisecond
)

// Options configure a stand-in. Store or Dir, and Rand, are required.
type Options struct {
	// Store keeps the configuration (netstore, on a real directory).
	Store *netstore.Store
	// Dir, when Store is nil, is the directory a store is made on (with
	// Rand for its per-box key), for callers that have no business with
	// the store's format: the platform link's tests.
	Dir string
	// Rand is the randomness of the simulated platform's keys.
	Rand io.Reader
	// Now is the clock of statuses and tests; nil is time.Now.
	Now func() time.Time
	// Canceler is the scanner's cancel hook; nil means no scanner.
	Canceler netapi.ScanCanceler
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Network describes the simulated box and network; nil is
	// simnet.Default.
	Network *simnet.Config
	// OnStage is passed to netmgr (netmgr.Options.OnStage).
	OnStage func(op string, s netmgr.Stage)
	// PlatformGrace, PanelGrace and TrialRetest time the changes on
	// trial (netmgr.Options); zero takes netmgr's defaults.
	PlatformGrace, PanelGrace, TrialRetest time.Duration
}

// StandIn is a running stand-in: a netapi.Manager.
type StandIn struct {
	*netmgr.Manager
	// Net is the simulated box and network it runs on.
	Net *simnet.Net

	stop context.CancelFunc
	done chan error
}

var _ netapi.Manager = (*StandIn)(nil)

// Start builds the simulated network and starts the manager on it, and
// returns once it has applied the stored configuration (or the defaults)
// and tested it, as netmgrd does at boot. Stop it with Stop.
func Start(opt Options) (*StandIn, error) {
	if opt.Store == nil && opt.Dir != "" && opt.Rand != nil {
		opt.Store = netstore.New(netstore.DirFS(opt.Dir), opt.Rand)
	}
	if opt.Store == nil {
		return nil, errors.New("standin: no configuration store (Store, or Dir and Rand)")
	}
	cfg := simnet.Default(opt.Rand)
	if opt.Network != nil {
		cfg = *opt.Network
	}
	if cfg.Rand == nil {
		cfg.Rand = opt.Rand
	}
	if cfg.Now == nil {
		cfg.Now = opt.Now
	}
	sn, err := simnet.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("standin: %w", err)
	}
	m, err := netmgr.New(netmgr.Options{
		Ports:       netapply.Ports{LAN: cfg.LAN, WAN: cfg.WAN},
		Store:       opt.Store,
		Kernel:      sn.Kernel(),
		LinkModes:   sn.NICs(),
		DHCP4:       sn.DHCP4,
		DHCP6:       sn.DHCP6,
		Network:     sn.Sockets(),
		Backend:     Backend,
		Simulated:   true,
		OnStage:     opt.OnStage,
		Now:         opt.Now,
		Canceler:    opt.Canceler,
		Platform:    sn.Platform(),
		RootCAs:     sn.PlatformCA(),
		Logger:      opt.Logger,
		LeaseWait:   leaseWait,
		StepTimeout: stepTimeout,

		PlatformGrace: opt.PlatformGrace,
		PanelGrace:    opt.PanelGrace,
		TrialRetest:   opt.TrialRetest,
	})
	if err != nil {
		return nil, fmt.Errorf("standin: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &StandIn{Manager: m, Net: sn, stop: stop, done: make(chan error, 1)}
	go func() { s.done <- m.Run(ctx) }()
	select {
	case <-m.Booted():
	case err := <-s.done:
		return nil, fmt.Errorf("standin: the manager stopped while booting: %w", err)
	}
	return s, nil
}

// Stop stops the manager (its DHCP clients release their leases) and
// waits for it.
func (s *StandIn) Stop() error {
	s.stop()
	return <-s.done
}
