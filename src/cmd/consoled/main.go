// Command consoled serves the front-panel menu on the serial console: a
// VT100 terminal at 9600 8N2 on the board's console device, or on any tty
// or pty given with -device.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/base/version"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/console"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/loop"
	"picket.dev/picket/src/panel/serial"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "consoled:", err)
		os.Exit(1)
	}
}

func run() error {
	info := version.Get("consoled")
	b, err := info.Hardware()
	if err != nil {
		return err
	}
	device := flag.String("device", b.Console.Device, "serial device or pty to serve the console on")
	socket := flag.String("netmgr", "/run/picket/netmgr.sock", "network manager's local API socket")
	power := flag.String("power", "log", "reboot/shutdown: "+loop.PowerNames)
	showVersion := flag.Bool("version", false, "print the version line and exit")
	flag.Parse()
	if *showVersion {
		return info.Fprint(os.Stdout)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	pw, err := loop.PowerNamed(*power, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	mgr := netapi.Dial(*socket)
	var p *loop.Panel
	// The network manager may start after us: wait for it rather than exit.
	for delay := 250 * time.Millisecond; ; delay = min(2*delay, 8*time.Second) {
		p, err = loop.New(ctx, mgr, pw, frame.LCD16x2(), info.Version, log)
		if err == nil {
			break
		}
		log.Warn("waiting for the network manager", "socket", *socket, "err", err)
		if err := clock.Sleep(ctx, clock.System{}, delay); err != nil {
			return nil
		}
	}
	c := console.Console{
		Open:    func() (*serial.Port, error) { return serial.Open(*device, serial.FromBoard(b.Console)) },
		Panel:   p,
		Manager: mgr,
		Log:     log,
		Clock:   clock.System{},
	}
	log.Info("serving the console", "version", info.Version, "board", info.Board, "device", *device)
	if err := c.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
