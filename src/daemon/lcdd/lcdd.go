// Package lcdd is the program that serves the front-panel menu on the
// board's LCD and keys (or, on boards without a panel driver and with
// -display terminal, on the terminal it runs in; with -display
// serial-module, on a serial LCD module whatever the board). The work is in package lcdfront.
//
// Signals: SIGTERM or SIGINT stop it, leaving the last picture on the
// panel. init sends SIGUSR2 when the box starts powering off (the panel
// shows SHUTTING DOWN SYSTEM and takes no more keys) and SIGUSR1 once it is
// halted (the panel shows "It's now safe to unplug the box" and lcdd
// exits); initapi.PowerOffNotice and HaltedNotice.
//
// Main is the program; src/cmd/lcdd is its command, and on the box the
// multi-call binary (src/cmd/picketbox) runs it as /usr/bin/lcdd.
package lcdd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/lcdfront"
	"picket.dev/picket/src/panel/loop"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/update/updateapi"
)

// Main runs lcdd with the process's arguments and exits with its status.
func Main() {
	p := command.New("lcdd")
	socket := p.Flags.String("netmgr", "/run/picket/netmgr.sock", "network manager's local API socket")
	power := p.Flags.String("power", "log", "reboot/shutdown: "+loop.PowerNames)
	scanner := p.Flags.String("scanner", scanapi.DefaultSocket, "the scanner's unix socket (scanner.sock): LED S1 lights while a scan runs (empty: none)")
	updater := p.Flags.String("updater", updateapi.DefaultSocket, "the updater's unix socket (updater.sock): LED S2 and UPDATING nn% while an update is in hand, versions in SHOW STATUS (empty: none)")
	display := p.Flags.String("display", lcdfront.DisplayAuto, "front panel: "+lcdfront.DisplayNames)
	device := p.Flags.String("lcd-device", "", "the serial LCD module's line (e.g. /dev/ttyS1; empty: the board's), with -display "+lcdfront.DisplaySerialModule)
	size := p.Flags.String("lcd-size", "", "the panel's size COLSxROWS (empty: the board's, or 16x2 on a board without a panel)")
	p.Flags.Usage = func() {
		fmt.Fprint(p.Flags.Output(), `usage: lcdd [flags]

Serves the front-panel menu on the board's LCD and keys. On a board without
a panel: -display terminal draws it on the terminal; -display serial-module
-lcd-device /dev/ttyS1 drives a serial LCD module (Crystalfontz CFA-635,
CFA-633, CFA-533 packet protocol, 115200 8N1) on that line, 16x2 unless
-lcd-size says otherwise.

Signals: SIGTERM stops lcdd, leaving the last picture on the panel. From
init at a power off: SIGUSR2, the box is powering off (SHUTTING DOWN
SYSTEM, keys dropped); SIGUSR1, the box is halted ("It's now safe to
unplug the box" is drawn, and lcdd exits).

`)
		p.Flags.PrintDefaults()
	}
	// Installed before anything else, so that a notice from init never
	// meets the default action (which would end lcdd without a word).
	notices := make(chan os.Signal, 2)
	signal.Notify(notices, initapi.PowerOffNotice, initapi.HaltedNotice)
	p.Main(func(ctx context.Context, log *slog.Logger) error {
		b, err := p.Info.Hardware()
		if err != nil {
			return err
		}
		var geo frame.Geometry
		if *size != "" {
			if geo, err = lcdfront.ParseGeometry(*size); err != nil {
				return err
			}
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
		// What init had to do to the data partition at this boot; no file
		// is nothing to say.
		data, err := initapi.ReadDataNotice(initapi.DataNoticePath)
		if err != nil {
			log.Warn("no data partition notice shown", "err", err)
		}
		log.Info("starting", "version", p.Info.Version, "board", p.Info.Board, "netmgr", *socket, "scanner", *scanner, "updater", *updater, "display", *display, "lcd-device", *device, "lcd-size", *size)
		poweroff, halted := make(chan struct{}), make(chan struct{})
		go func() {
			var off, halt bool
			for s := range notices {
				switch {
				case s == initapi.PowerOffNotice && !off:
					log.Info("init: the box is powering off")
					off = true
					close(poweroff)
				case s == initapi.HaltedNotice && !halt:
					log.Info("init: the box is halted")
					halt = true
					close(halted)
				}
			}
		}()
		return lcdfront.Run(ctx, lcdfront.Options{
			Device:   *device,
			Geometry: geo,
			PowerOff: poweroff,
			Halted:   halted,
			Scanner:  sc,
			Updater:  up,
			Board:    b,
			Display:  *display,
			Manager:  mgr,
			Power:    pw,
			Version:  p.Info.Version,
			Data:     data,
			Log:      log,
			Stdin:    os.Stdin,
			Stdout:   os.Stdout,
		})
	})
}
