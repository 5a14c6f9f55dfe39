// Command lcdd serves the front-panel menu on the board's LCD and keys (or,
// on boards without a panel driver and with -display terminal, on the
// terminal it runs in). The work is in package lcdfront.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"picket.dev/picket/src/base/version"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/lcdfront"
	"picket.dev/picket/src/panel/loop"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "lcdd:", err)
		os.Exit(1)
	}
}

func run() error {
	socket := flag.String("netmgr", "/run/picket/netmgr.sock", "network manager's local API socket")
	power := flag.String("power", "log", "reboot/shutdown: "+loop.PowerNames)
	display := flag.String("display", lcdfront.DisplayAuto, "front panel: auto (the board's) or terminal (drawn on stdout, keys from stdin)")
	showVersion := flag.Bool("version", false, "print the version line and exit")
	flag.Parse()
	info := version.Get("lcdd")
	if *showVersion {
		return info.Fprint(os.Stdout)
	}
	b, err := info.Hardware()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	pw, err := loop.PowerNamed(*power, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	mgr := netapi.Dial(*socket)
	defer mgr.Close()
	log.Info("starting", "version", info.Version, "board", info.Board, "netmgr", *socket, "display", *display)
	return lcdfront.Run(ctx, lcdfront.Options{
		Board:   b,
		Display: *display,
		Manager: mgr,
		Power:   pw,
		Version: info.Version,
		Log:     log,
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
	})
}
