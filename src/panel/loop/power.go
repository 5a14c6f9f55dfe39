package loop

import (
	"context"
	"fmt"
	"log/slog"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/system/initapi"
)

// LogPower is the power control of a development host: it logs what the
// box would do and does nothing, so a developer's machine is never
// rebooted from a menu.
type LogPower struct{ Log *slog.Logger }

// Reboot logs the request.
func (l LogPower) Reboot(context.Context) error {
	l.Log.Warn("SYSTEM REBOOT requested: not rebooting a development host (the image runs the daemons with -power=init)")
	return nil
}

// Shutdown logs the request.
func (l LogPower) Shutdown(context.Context) error {
	l.Log.Warn("SYSTEM SHUTDOWN requested: not powering off a development host (the image runs the daemons with -power=init)")
	return nil
}

// InitPower asks the box's init (PID 1, src/daemon/initd) to reboot or power
// off on init.sock (POST /v1/reboot, /v1/poweroff; init admits the panel
// daemons' users to these two): it stops every daemon, syncs and unmounts
// the data partition, and only then calls reboot(2). This is the path on
// a booted image, where the panel daemons are not root and may not
// signal init.
type InitPower struct {
	Log *slog.Logger
	// Socket is init.sock; "" is initapi.DefaultSocket.
	Socket string
}

// Reboot asks init to reboot.
func (p InitPower) Reboot(ctx context.Context) error {
	return p.ask(ctx, "reboot", (*initapi.Client).Reboot)
}

// Shutdown asks init to power off.
func (p InitPower) Shutdown(ctx context.Context) error {
	return p.ask(ctx, "power off", (*initapi.Client).PowerOff)
}

func (p InitPower) ask(ctx context.Context, what string, call func(*initapi.Client, context.Context) error) error {
	p.Log.Warn("operator asked to " + what)
	sock := p.Socket
	if sock == "" {
		sock = initapi.DefaultSocket
	}
	c := initapi.Dial(sock)
	defer c.Close()
	if err := call(c, ctx); err != nil {
		return fmt.Errorf("%s: ask init: %w", what, err)
	}
	return nil
}

// KernelPower reboots or powers off through the kernel after a sync,
// without stopping the daemons first: for a box whose init is not ours.
type KernelPower struct{ Log *slog.Logger }

// Reboot syncs and restarts the machine.
func (k KernelPower) Reboot(context.Context) error {
	return k.do("reboot", unix.LINUX_REBOOT_CMD_RESTART)
}

// Shutdown syncs and powers the machine off.
func (k KernelPower) Shutdown(context.Context) error {
	return k.do("power off", unix.LINUX_REBOOT_CMD_POWER_OFF)
}

func (k KernelPower) do(what string, cmd int) error {
	k.Log.Warn("operator asked to " + what)
	unix.Sync()
	if err := unix.Reboot(cmd); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// PowerNames are the values of the daemons' -power flag.
const PowerNames = "log (development host: a logged no-op), init (ask PID 1, the box's init, on init.sock to stop the daemons and reboot) or kernel (sync and reboot(2))"

// PowerNamed returns the power control a daemon's -power flag names.
func PowerNamed(name string, log *slog.Logger) (Power, error) {
	switch name {
	case "log":
		return LogPower{Log: log}, nil
	case "init":
		return InitPower{Log: log}, nil
	case "kernel":
		return KernelPower{Log: log}, nil
	}
	return nil, fmt.Errorf("-power %q: want %s", name, PowerNames)
}
