// Package scannerd is the program of the box's scanner: the platform
// link (package platformlink) and the scan engine's job runner (scanner.Runner). It
// makes or loads the box's identity, polls the platform along the
// management path the network manager gives it (proxy password included:
// netmgrd must name scannerd's uid with -link-uid unless it runs as root),
// reports the link's state to the network manager for the front panel,
// runs the platform's scan jobs one at a time on the LAN interface or on
// the scanning VLAN a job names (raw sockets; a TCP connect scan when they
// are not permitted) and uploads their progress and results, and serves scanner.sock (package scanapi):
// the running job for LED S1, and the cancel the network manager calls
// before it applies a change (netmgrd -scanner). Each route is open to
// root, its own uid and the uids -panel-uids, -netmgr-uids and
// -updater-uids name for it (docs/privileges.md).
//
// It keeps the signature database in force (package sigpkg): at start the
// newest that verifies with the release key (-release-pub, the key the
// image's manifests are checked with) among those installed under
// -data/signatures and the image's default (-signatures-default); its
// version goes in every heartbeat and on scanner.sock. A new package is
// installed while it runs, without a restart:
//
//	scannerd -install-signatures FILE [-socket scanner.sock]
//
// sends FILE to the running scannerd (POST /v1/signatures), prints the
// version then in force, or the reason the package was refused (exit 1);
// the database in force stays until a package passes every check.
//
// Main is the program; src/cmd/scannerd is its command, and on the box the
// multi-call binary (src/cmd/picketbox) runs it as /usr/bin/scannerd.
package scannerd

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"time"

	"picket.dev/picket/src/base/atomicfile"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/base/localapi"
	"picket.dev/picket/src/link/boxid"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/link/platformlink"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/scan/scanner"
	"picket.dev/picket/src/scan/sigdb"
	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/update/updateapi"
)

// Main runs scannerd with the process's arguments and exits with its status.
func Main() {
	p := command.New("scannerd")
	data := p.Flags.String("data", "/data", "data partition: the box identity and the link's state are kept under it")
	socket := p.Flags.String("netmgr", "/run/picket/netmgr.sock", "the network manager's unix socket")
	scanSock := p.Flags.String("socket", scanapi.DefaultSocket, "scanner.sock: the scanner's local API (state, cancel)")
	panelUIDs := p.Flags.String("panel-uids", "", "comma-separated uids that may read the state on scanner.sock (the front panels'; root and scannerd's own always may)")
	netmgrUIDs := p.Flags.String("netmgr-uids", "", "comma-separated uids that may cancel the running scan on scanner.sock (the network manager's)")
	updaterUIDs := p.Flags.String("updater-uids", "", "comma-separated uids that may install signature packages and read the state on scanner.sock (the updater's)")
	platform := p.Flags.String("platform", "https://platform.picket.invalid", "platform base URL, https://host[:port]")
	platformCA := p.Flags.String("platform-ca", "", "PEM file of the platform's CA, the only root trusted for it")
	iface := p.Flags.String("iface", "", "interface scans leave through (default: the LAN's device, as the network manager reports it)")
	rate := p.Flags.Int("rate", 10000, "cap on a job's probes per second")
	progress := p.Flags.Duration("progress", 10*time.Second, "how often a running job reports progress and uploads finished hosts")
	connect := p.Flags.Bool("connect", false, "TCP connect scans only (no raw sockets)")
	releasePub := p.Flags.String("release-pub", "/etc/picket/release.pub", "the release public key (PEM) signature packages must be signed with; a missing file: no signature database")
	sigDefault := p.Flags.String("signatures-default", sigpkg.DefaultImagePath, "the image's default signature package (empty: none)")
	updaterSock := p.Flags.String("updater", updateapi.DefaultSocket, "updater.sock: after each successful poll the link hands the updater the management path, the platform's time and the update notices (empty: no updater)")
	install := p.Flags.String("install-signatures", "", "instead of running: send this signature package to the running scannerd (-socket) and print the version in force")
	p.Main(func(ctx context.Context, log *slog.Logger) error {
		if *install != "" {
			return installSignatures(ctx, *scanSock, *install, p.Stdout)
		}
		roots, err := loadCA(*platformCA)
		if err != nil {
			return err
		}
		if *rate <= 0 || *progress <= 0 {
			return command.Usagef("-rate and -progress must be positive")
		}
		var access scanapi.Access
		for _, f := range []struct {
			flag string
			list string
			to   *[]uint32
		}{{"-panel-uids", *panelUIDs, &access.Readers}, {"-netmgr-uids", *netmgrUIDs, &access.Cancelers}, {"-updater-uids", *updaterUIDs, &access.Installers}} {
			uids, err := localapi.ParseUIDs(f.list)
			if err != nil {
				return command.Usagef("%s: %v", f.flag, err)
			}
			*f.to = uids
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

		sigs, err := loadSignatures(*releasePub, *data, *sigDefault, log)
		if err != nil {
			return err
		}
		var linkSigs platformlink.Signatures // a nil store stays a nil interface
		if sigs != nil {
			linkSigs = sigs
		}
		var link *platformlink.Link
		runner, err := scanner.NewRunner(scanner.RunnerConfig{
			Uploader: uploader{&link}, Rate: *rate, ProgressEvery: *progress, Connect: *connect, Root: "/", Log: log,
			Signatures: sigs,
			Env: func(ctx context.Context, vlan int) (scanner.Env, error) {
				return scanner.NetEnv(ctx, mgr, scanner.NetEnvOptions{Iface: *iface, PlatformHost: pu.Hostname()}, vlan)
			},
		})
		if err != nil {
			return err
		}
		var upd platformlink.Updater // none stays a nil interface
		if *updaterSock != "" {
			uc := updateapi.Dial(*updaterSock)
			defer uc.Close()
			upd = uc
		}
		link, err = platformlink.New(platformlink.Config{
			Platform: *platform, RootCAs: roots, Identity: id, Manager: mgr, DataDir: *data,
			Board: p.Info.Board, Version: p.Info.Version, Log: log, Jobs: runner, Signatures: linkSigs,
			Updater: upd,
		})
		if err != nil {
			return err
		}
		ln, err := scanapi.Listen(*scanSock)
		if err != nil {
			return err
		}
		srv := scanapi.NewServer(runner, log, access)
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

// loadSignatures makes the signature store and puts the best database
// found in force. Without the release key (a development run outside an
// image) there is none: nil, and the heartbeat says "none".
func loadSignatures(pubPath, data, image string, log *slog.Logger) (*sigpkg.Store[*sigdb.DB], error) {
	pub, err := manifest.LoadPublicKey(pubPath)
	if errors.Is(err, fs.ErrNotExist) {
		log.Warn("no release public key: running without a signature database", "path", pubPath)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("release key: %w", err)
	}
	s, err := sigpkg.New(sigpkg.Config[*sigdb.DB]{
		Trusted: []ed25519.PublicKey{pub}, Compile: sigdb.Compile, VersionOf: (*sigdb.DB).Version,
		Data: atomicfile.Dir(data), Dir: "signatures", Image: image, Log: log,
	})
	if err != nil {
		return nil, err
	}
	if err := s.Load(); err != nil {
		log.Warn("no signature database in force", "err", err)
	}
	return s, nil
}

// installSignatures sends a package to the running scannerd.
func installSignatures(ctx context.Context, sock, path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(sigpkg.MaxPackage)+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > sigpkg.MaxPackage {
		return fmt.Errorf("%s: %w: more than %d bytes", path, sigpkg.ErrOversize, sigpkg.MaxPackage)
	}
	c := scanapi.Dial(sock)
	defer c.Close()
	sig, err := c.InstallSignatures(ctx, b)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "signatures %s in force (created %s, from the %s)\n", sig.Version, sig.Created.Format(time.DateOnly), map[string]string{sigpkg.SourceData: "data partition", sigpkg.SourceImage: "image"}[sig.Source])
	return err
}

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
