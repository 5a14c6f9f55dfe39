// Package consoled is the program that serves the front-panel menu on the
// serial console: a VT100 terminal at 9600 8N2 on the board's console
// device, or on any tty or pty given with -device.
//
// Main is the program; src/cmd/consoled is its command, and on the box the
// multi-call binary (src/cmd/picketbox) runs it as /usr/bin/consoled.
package consoled

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/base/version"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/console"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/loop"
	"picket.dev/picket/src/panel/serial"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/update/updateapi"
)

// socketLook is how often consoled looks for the network manager's
// socket while it starts: a stat costs microseconds, and the menu
// answers the operator's first ENTER at most this much later.
const socketLook = 20 * time.Millisecond

// Main runs consoled with the process's arguments and exits with its status.
func Main() {
	p := command.New("consoled")
	b, boardErr := p.Info.Hardware()
	device := p.Flags.String("device", b.Console.Device, "serial device or pty to serve the console on")
	socket := p.Flags.String("netmgr", "/run/picket/netmgr.sock", "network manager's local API socket")
	power := p.Flags.String("power", "log", "reboot/shutdown: "+loop.PowerNames)
	scanner := p.Flags.String("scanner", scanapi.DefaultSocket, "the scanner's unix socket (scanner.sock): LED S1 lights while a scan runs (empty: none)")
	updater := p.Flags.String("updater", updateapi.DefaultSocket, "the updater's unix socket (updater.sock): LED S2 and UPDATING nn% while an update is in hand, versions in SHOW STATUS (empty: none)")
	p.Main(func(ctx context.Context, log *slog.Logger) error {
		if boardErr != nil {
			return boardErr
		}
		return serve(ctx, p.Info, b, *device, *socket, *scanner, *updater, *power, log)
	})
}

func serve(ctx context.Context, info version.Info, b board.Board, device, socket, scanner, updater, power string, log *slog.Logger) error {
	pw, err := loop.PowerNamed(power, log)
	if err != nil {
		return err
	}
	mgr := netapi.Dial(socket)
	var sc *scanapi.Client
	if scanner != "" {
		sc = scanapi.Dial(scanner)
		defer sc.Close()
	}
	var up *updateapi.Client
	if updater != "" {
		up = updateapi.Dial(updater)
		defer up.Close()
	}
	// The panel is made beside the console's prompt, which is on the
	// line at once: at boot the network manager starts with us.
	var p *loop.Panel
	ready := make(chan struct{})
	go func() {
		defer close(ready)
		// Wait for the network manager rather than exit. Until its
		// socket is there (at most 10 s), a look at the file every 20 ms:
		// a system call, where an attempt is requests and a log line, CPU
		// the network manager's own start needs at boot. Then requests
		// every 100 ms while it starts, less often after 10 s. The wait
		// is logged at once and every 10 s, not at each attempt.
		var warned time.Time
		for start, delay := time.Now(), 100*time.Millisecond; ; {
			if _, err := os.Stat(socket); err != nil && time.Since(start) < 10*time.Second {
				if err := clock.Sleep(ctx, clock.System{}, socketLook); err != nil {
					return
				}
				continue
			}
			np, err := loop.New(ctx, mgr, pw, frame.LCD16x2(), info.Version, log)
			if err == nil {
				if !warned.IsZero() {
					log.Info("the network manager answers", "after", time.Since(start).Round(time.Millisecond))
				}
				p = np
				break
			}
			if time.Since(warned) >= 10*time.Second {
				log.Warn("waiting for the network manager", "socket", socket, "err", err)
				warned = time.Now()
			}
			if time.Since(start) > 10*time.Second {
				delay = min(2*delay, 8*time.Second)
			}
			if err := clock.Sleep(ctx, clock.System{}, delay); err != nil {
				return
			}
		}
		// What init had to do to the data partition at this boot; no
		// file is nothing to say.
		if n, err := initapi.ReadDataNotice(initapi.DataNoticePath); err != nil {
			log.Warn("no data partition notice shown", "err", err)
		} else {
			p.DataNotice(n)
		}
		if sc != nil {
			p.WatchScanner(sc, clock.System{})
		}
		if up != nil {
			p.WatchUpdater(up, clock.System{})
		}
	}()
	c := console.Console{
		Open: func() (*serial.Port, error) { return serial.Open(device, serial.FromBoard(b.Console)) },
		Panel: func(ctx context.Context) (*loop.Panel, error) {
			select {
			case <-ready:
				if p == nil {
					return nil, errors.New("no panel: the daemon is stopping")
				}
				return p, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
		Manager: mgr,
		Log:     log,
		Clock:   clock.System{},
	}
	log.Info("serving the console", "version", info.Version, "board", info.Board, "device", device)
	return c.Run(ctx)
}
