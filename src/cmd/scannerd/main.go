// Command scannerd is the box's scanner: the platform link (package
// platformlink) and the scan engine's job runner (scanner.Runner). It
// makes or loads the box's identity, polls the platform along the
// management path the network manager gives it (proxy password included:
// netmgrd must name scannerd's uid with -link-uid unless it runs as root),
// reports the link's state to the network manager for the front panel,
// runs the platform's scan jobs one at a time on the LAN interface or on
// the scanning VLAN a job names (raw sockets; a TCP connect scan when they
// are not permitted) and uploads their progress and results, and serves scanner.sock (package scanapi):
// the running job for LED S1, and the cancel the network manager calls
// before it applies a change (netmgrd -scanner).
package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/link/boxid"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/link/platformlink"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/scan/scanner"
)

func main() {
	p := command.New("scannerd")
	data := p.Flags.String("data", "/data", "data partition: the box identity and the link's state are kept under it")
	socket := p.Flags.String("netmgr", "/run/picket/netmgr.sock", "the network manager's unix socket")
	scanSock := p.Flags.String("socket", scanapi.DefaultSocket, "scanner.sock: the scanner's local API (state, cancel)")
	apiUID := p.Flags.Int64("api-uid", -1, "another uid allowed on scanner.sock (netmgrd's, lcdd's; -1: none; root and scannerd's own always are)")
	platform := p.Flags.String("platform", "https://platform.picket.invalid", "platform base URL, https://host[:port]")
	platformCA := p.Flags.String("platform-ca", "", "PEM file of the platform's CA, the only root trusted for it")
	iface := p.Flags.String("iface", "", "interface scans leave through (default: the LAN's device, as the network manager reports it)")
	rate := p.Flags.Int("rate", 10000, "cap on a job's probes per second")
	progress := p.Flags.Duration("progress", 10*time.Second, "how often a running job reports progress and uploads finished hosts")
	connect := p.Flags.Bool("connect", false, "TCP connect scans only (no raw sockets)")
	p.Main(func(ctx context.Context, log *slog.Logger) error {
		roots, err := loadCA(*platformCA)
		if err != nil {
			return err
		}
		if *rate <= 0 || *progress <= 0 {
			return command.Usagef("-rate and -progress must be positive")
		}
		pu, err := url.Parse(*platform)
		if err != nil {
			return command.Usagef("-platform: %v", err)
		}
		id, created, err := boxid.LoadOrCreate(*data, rand.Reader)
		if err != nil {
			return err
		}
		log.Info("starting", "version", p.Info.Version, "board", p.Info.Board, "identity", id.String(), "new_identity", created, "platform", *platform)
		mgr := netapi.Dial(*socket)
		defer mgr.Close()

		var link *platformlink.Link
		runner, err := scanner.NewRunner(scanner.RunnerConfig{
			Uploader: uploader{&link}, Rate: *rate, ProgressEvery: *progress, Connect: *connect, Root: "/", Log: log,
			Env: func(ctx context.Context, vlan int) (scanner.Env, error) {
				return scanner.NetEnv(ctx, mgr, scanner.NetEnvOptions{Iface: *iface, PlatformHost: pu.Hostname()}, vlan)
			},
		})
		if err != nil {
			return err
		}
		link, err = platformlink.New(platformlink.Config{
			Platform: *platform, RootCAs: roots, Identity: id, Manager: mgr, DataDir: *data,
			Board: p.Info.Board, Version: p.Info.Version, Log: log, Jobs: runner,
		})
		if err != nil {
			return err
		}
		ln, err := scanapi.Listen(*scanSock)
		if err != nil {
			return err
		}
		var uids []uint32
		if *apiUID >= 0 {
			uids = append(uids, uint32(*apiUID))
		}
		srv := scanapi.NewServer(runner, log, uids...)
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ctx, ln) }()
		err = link.Run(ctx)
		// A job still running is stopped; its last update is queued for
		// the next start.
		runner.CancelScan(context.Background(), "scanner stopping")
		runner.Wait()
		err = errors.Join(err, <-errc)
		log.Info("stopped")
		return err
	})
}

// uploader hands job updates to the link, made after the runner.
type uploader struct{ link **platformlink.Link }

func (u uploader) Enqueue(up platformapi.JobUpdate) error { return (*u.link).Enqueue(up) }

func loadCA(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, command.Usagef("-platform-ca is required: the platform's CA is the only root trusted for it")
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("platform CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("platform CA %s: no PEM certificate in it", path)
	}
	return pool, nil
}
