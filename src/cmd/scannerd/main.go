// Command scannerd is the scanner engine and the platform link. For now it
// runs the platform link only (package platformlink): it makes or loads the
// box's identity, polls the platform along the management path the network
// manager gives it (proxy password included: netmgrd must name scannerd's
// uid with -link-uid unless it runs as root), reports the link's state to
// the network manager for the front panel, and answers jobs with "scanner
// not available" until the scan engine exists.
package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/link/boxid"
	"picket.dev/picket/src/link/platformlink"
	"picket.dev/picket/src/net/netapi"
)

func main() {
	p := command.New("scannerd")
	data := p.Flags.String("data", "/data", "data partition: the box identity and the link's state are kept under it")
	socket := p.Flags.String("netmgr", "/run/picket/netmgr.sock", "the network manager's unix socket")
	platform := p.Flags.String("platform", "https://platform.picket.invalid", "platform base URL, https://host[:port]")
	platformCA := p.Flags.String("platform-ca", "", "PEM file of the platform's CA, the only root trusted for it")
	p.Main(func(ctx context.Context, log *slog.Logger) error {
		roots, err := loadCA(*platformCA)
		if err != nil {
			return err
		}
		id, created, err := boxid.LoadOrCreate(*data, rand.Reader)
		if err != nil {
			return err
		}
		log.Info("starting", "version", p.Info.Version, "board", p.Info.Board, "identity", id.String(), "new_identity", created, "platform", *platform)
		mgr := netapi.Dial(*socket)
		defer mgr.Close()
		link, err := platformlink.New(platformlink.Config{
			Platform: *platform, RootCAs: roots, Identity: id, Manager: mgr, DataDir: *data,
			Board: p.Info.Board, Version: p.Info.Version, Log: log,
		})
		if err != nil {
			return err
		}
		err = link.Run(ctx)
		log.Info("stopped")
		return err
	})
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
