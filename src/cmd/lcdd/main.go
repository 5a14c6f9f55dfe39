// Command lcdd serves the front-panel menu on the board's LCD and keys (or,
// on boards without a panel driver and with -display terminal, on the
// terminal it runs in). The work is in package lcdfront.
package main

import (
	"context"
	"log/slog"
	"os"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/lcdfront"
	"picket.dev/picket/src/panel/loop"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/update/updateapi"
)

func main() {
	p := command.New("lcdd")
	socket := p.Flags.String("netmgr", "/run/picket/netmgr.sock", "network manager's local API socket")
	power := p.Flags.String("power", "log", "reboot/shutdown: "+loop.PowerNames)
	scanner := p.Flags.String("scanner", scanapi.DefaultSocket, "the scanner's unix socket (scanner.sock): LED S1 lights while a scan runs (empty: none)")
	updater := p.Flags.String("updater", updateapi.DefaultSocket, "the updater's unix socket (updater.sock): LED S2 and UPDATING nn% while an update is in hand, versions in SHOW STATUS (empty: none)")
	display := p.Flags.String("display", lcdfront.DisplayAuto, "front panel: auto (the board's) or terminal (drawn on stdout, keys from stdin)")
	p.Main(func(ctx context.Context, log *slog.Logger) error {
		b, err := p.Info.Hardware()
		if err != nil {
			return err
		}
		pw, err := loop.PowerNamed(*power, log)
		if err != nil {
			return err
		}
		mgr := netapi.Dial(*socket)
		defer mgr.Close()
		var sc loop.ScanSource
		if *scanner != "" {
			c := scanapi.Dial(*scanner)
			defer c.Close()
			sc = c
		}
		var up loop.UpdateSource
		if *updater != "" {
			c := updateapi.Dial(*updater)
			defer c.Close()
			up = c
		}
		log.Info("starting", "version", p.Info.Version, "board", p.Info.Board, "netmgr", *socket, "scanner", *scanner, "updater", *updater, "display", *display)
		return lcdfront.Run(ctx, lcdfront.Options{
			Scanner: sc,
			Updater: up,
			Board:   b,
			Display: *display,
			Manager: mgr,
			Power:   pw,
			Version: p.Info.Version,
			Log:     log,
			Stdin:   os.Stdin,
			Stdout:  os.Stdout,
		})
	})
}
