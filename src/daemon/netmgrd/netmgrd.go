// Package netmgrd is the program of the network manager: the only process
// that configures links, addresses, routes, VLANs, DHCP and the resolver, and the server of
// the netapi local API the front panel and the other daemons use.
//
// It configures the board's LAN and WAN ports in the network namespace it
// runs in (package netmgr, on the kernel handles opened here). On a
// development machine run it inside a namespace of its own (tools/up
// does), never on the host's interfaces; -backend=memory serves the
// in-memory stand-in (package standin: the same core on a simulated kernel
// and network), which configures nothing.
//
// The local API is open to root and netmgrd's own uid for everything;
// -panel-uids names the front panels' uids (lcdd, consoled), which read
// and change the configuration, and -link-uid the platform link's
// (scannerd's), which reads the status, applies the platform's settings,
// reports the link's state and alone reads the management path with the
// proxy password (docs/privileges.md).
//
// A change that cuts the box off from the platform is undone by itself
// (package netmgr, "changes on trial"): settings the platform pushed after
// -rollback-grace (3 min), a change made at the panel after -panel-revert
// (2 min) unless the operator keeps it at REVERT?; -trial-retest is how
// often the path is tested meanwhile. Tests shorten all three.
//
// It logs each stage a change reaches ("change stage"). For power-cut
// tests, PICKET_NETMGRD_PAUSE_AT=<stage> (a netmgr.Stage) makes it stop
// there, after logging "paused at change stage", until it is killed.
//
// Main is the program; src/cmd/netmgrd is its command, and on the box the
// multi-call binary (src/cmd/picketbox) runs it as /usr/bin/netmgrd.
package netmgrd

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/base/localapi"
	"picket.dev/picket/src/net/ethlink"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netapply"
	"picket.dev/picket/src/net/netmgr"
	"picket.dev/picket/src/net/netstore"
	"picket.dev/picket/src/net/standin"
	"picket.dev/picket/src/scan/scanapi"
)

// pauseEnv names the stage at which a change stops, for power-cut tests.
const pauseEnv = "PICKET_NETMGRD_PAUSE_AT"

// Main runs netmgrd with the process's arguments and exits with its status.
func Main() {
	p := command.New("netmgrd")
	info := p.Info
	hw, hwErr := info.Hardware()
	socket := p.Flags.String("socket", "/run/picket/netmgr.sock", "unix socket to serve the local API on")
	data := p.Flags.String("data", "/data", "data partition: the configuration is kept under it")
	backend := p.Flags.String("backend", "kernel", "kernel: configure the ports (netmgr); memory: the in-memory stand-in, which configures nothing")
	lan := p.Flags.String("lan", hw.LAN, "LAN interface (default: the board's)")
	wan := p.Flags.String("wan", hw.WAN, "WAN interface for split networking (default: the board's; empty: none)")
	platform := p.Flags.String("platform", "platform.picket.invalid:443", "platform host:port, the target of the connectivity test")
	platformCA := p.Flags.String("platform-ca", "", "PEM file of the platform's CA, the only root trusted for it")
	resolvConf := p.Flags.String("resolv", "/run/picket/resolv.conf", "resolver configuration to keep (empty: none)")
	leaseWait := p.Flags.Duration("lease-wait", 20*time.Second, "how long a change waits for its leases before testing the path")
	retryMin := p.Flags.Duration("dhcp-retry-min", 0, "shortest wait between failed DHCP attempts (0: 10 s)")
	retryMax := p.Flags.Duration("dhcp-retry-max", 0, "longest wait between failed DHCP attempts (0: 2 min)")
	maxLease := p.Flags.Duration("dhcp-max-lease", 0, "hold a DHCPv4 lease at most this long, renewing and rebinding in proportion, whatever the server granted (0: the server's lease time); for tests, which cannot wait out a server's shortest lease")
	rollbackGrace := p.Flags.Duration("rollback-grace", netmgr.DefaultPlatformGrace, "how long settings the platform pushed may leave the box unable to reach the platform before the last-known-good configuration is restored (negative: never)")
	panelRevert := p.Flags.Duration("panel-revert", netmgr.DefaultPanelGrace, "how long a change made at the panel that cut the box off waits at REVERT? before it is reverted (negative: never)")
	trialRetest := p.Flags.Duration("trial-retest", netmgr.DefaultTrialRetest, "how often the path to the platform is tested while a change is on trial")
	linkUID := p.Flags.Int64("link-uid", -1, "uid of the platform link (scannerd): it may read the status, apply the platform's settings, report the link's state and read the management path with the proxy password (-1: none; root and netmgrd's own uid always may)")
	panelUIDs := p.Flags.String("panel-uids", "", "comma-separated uids of the front panels (lcdd, consoled): they may read and change the configuration (empty: none; root and netmgrd's own uid always may)")
	scannerSock := p.Flags.String("scanner", scanapi.DefaultSocket, "the scanner's unix socket (scanner.sock): a running scan is canceled there before a change is applied (empty: no scanner)")
	p.Main(func(ctx context.Context, log *slog.Logger) error {
		var canceler netapi.ScanCanceler
		if *scannerSock != "" {
			sc := scanapi.Dial(*scannerSock)
			defer sc.Close()
			canceler = sc
		}
		apiOpts, err := apiOptions(log, *linkUID, *panelUIDs)
		if err != nil {
			return err
		}
		if hwErr != nil && *lan == "" {
			return fmt.Errorf("board %q: %w; give -lan", info.Board, hwErr)
		}
		if err := os.MkdirAll(*data, 0o700); err != nil {
			return fmt.Errorf("data partition: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(*socket), 0o755); err != nil {
			return fmt.Errorf("socket directory: %w", err)
		}
		store := netstore.New(netstore.DirFS(*data), rand.Reader)

		onStage := stageHook(log, os.Getenv(pauseEnv))
		var mgr netapi.Manager
		runErr := make(chan error, 1)
		switch *backend {
		case "memory":
			log.Info("starting", "version", info.Version, "board", info.Board, "backend", "memory (stand-in: the network manager on a simulated kernel and network; nothing is applied to interfaces)")
			s, err := standin.Start(standin.Options{Store: store, Rand: rand.Reader, Logger: log, OnStage: onStage, Canceler: canceler,
				PlatformGrace: *rollbackGrace, PanelGrace: *panelRevert, TrialRetest: *trialRetest})
			if err != nil {
				return err
			}
			mgr = s
			go func() { <-ctx.Done(); runErr <- s.Stop() }()
		case "kernel":
			roots, err := loadCA(*platformCA)
			if err != nil {
				return err
			}
			log.Info("starting", "version", info.Version, "board", info.Board, "backend", "kernel", "lan", *lan, "wan", *wan)
			kernel, err := netapply.Open("")
			if err != nil {
				return err
			}
			defer kernel.Close()
			eth, err := ethlink.Open()
			if err != nil {
				return err
			}
			defer eth.Close()
			m, err := netmgr.New(netmgr.Options{
				Ports:        netapply.Ports{LAN: *lan, WAN: *wan},
				Store:        store,
				Kernel:       kernel,
				LinkModes:    eth,
				OnStage:      onStage,
				Platform:     *platform,
				RootCAs:      roots,
				ResolvConf:   *resolvConf,
				Logger:       log,
				LeaseWait:    *leaseWait,
				DHCPRetryMin: *retryMin,
				DHCPRetryMax: *retryMax,
				DHCPMaxLease: *maxLease,
				Canceler:     canceler,

				PlatformGrace: *rollbackGrace,
				PanelGrace:    *panelRevert,
				TrialRetest:   *trialRetest,
			})
			if err != nil {
				return err
			}
			mgr = m
			go func() { runErr <- m.Run(ctx) }()
		default:
			return fmt.Errorf("-backend %q: allowed: kernel, memory", *backend)
		}
		if st, err := mgr.Status(ctx); err == nil {
			log.Info("configuration loaded", "source", st.Config.Source, "reason", st.Config.Reason)
		}
		l, err := netapi.Listen(*socket)
		if err != nil {
			return err
		}
		log.Info("serving", "socket", *socket)
		err = netapi.Serve(ctx, l, mgr, apiOpts...)
		// Run releases the leases before it returns.
		if rerr := <-runErr; rerr != nil {
			err = errors.Join(err, rerr)
		}
		if errors.Is(err, context.Canceled) || err == nil {
			log.Info("stopped")
			return nil
		}
		return err
	})
}

// apiOptions are the local API server's options: root and netmgrd's own
// uid may use every route, the management path with the API's one secret
// (the proxy password) included; the platform link's uid, when given, has
// the link's routes, the panels' the configuration's (netapi.Access).
// Root has the management path because it can read the sealed store
// anyway.
func apiOptions(log *slog.Logger, linkUID int64, panelUIDs string) ([]netapi.Option, error) {
	var a netapi.Access
	switch {
	case linkUID > math.MaxUint32 || linkUID < -1:
		return nil, fmt.Errorf("-link-uid %d: not a uid (-1 for none)", linkUID)
	case linkUID >= 0:
		a.Link = []uint32{uint32(linkUID)}
	}
	panels, err := localapi.ParseUIDs(panelUIDs)
	if err != nil {
		return nil, command.Usagef("-panel-uids: %v", err)
	}
	a.Panels = panels
	log.Info("local API access", "own_uid", os.Getuid(), "panel_uids", a.Panels, "link_uids", a.Link)
	return []netapi.Option{netapi.WithLogger(log), netapi.WithAccess(a)}, nil
}

// stageHook logs each stage a change reaches and, if pauseAt names one,
// stops the change there for good: a power-cut test kills the process
// while it waits.
func stageHook(log *slog.Logger, pauseAt string) func(op string, s netmgr.Stage) {
	return func(op string, s netmgr.Stage) {
		log.Info("change stage", "op", op, "stage", string(s))
		if pauseAt != "" && string(s) == pauseAt {
			log.Warn("paused at change stage", "op", op, "stage", string(s), "env", pauseEnv)
			select {}
		}
	}
}

// loadCA reads the platform CA; without one nothing verifies and the TLS
// step of the path test says so.
func loadCA(path string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if path == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("platform CA: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("platform CA %s: no PEM certificate in it", path)
	}
	return pool, nil
}
