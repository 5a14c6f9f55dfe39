// Package initd is the program of /sbin/init of the Picket rootfs (PID 1
// after the initramfs's switch_root): it mounts the pseudo file systems, sets the
// hostname, loads the board's modules, mounts the data partition (checked,
// repaired or made again when it does not mount, package datapart, with
// initapi.DataNoticePath left for the panel daemons), runs the daemons listed in
// /etc/picket/init.json under the pid1 supervisor, each under the user,
// capabilities, devices and data directory init.json gives it
// (docs/privileges.md; the rights it got are read back from /proc and
// printed on the console), with their output in a ring log on /data/log,
// marks the booted slot good in the ESP's grubenv once they have all
// stayed up (on a slot on trial with good_by "updater", once the
// updater's verdict has come too), serves init.sock (package initapi:
// boot state, a new slot's manifest and trial, the verdict, reboot and
// poweroff, each for the users init.json names), and on SIGTERM (reboot)
// or SIGUSR2 (poweroff) stops them and reboots cleanly. On a power off the panel
// daemons (stop_last) are stopped last: after the others, the sync and the
// unmount of /data, with initapi.HaltedNotice, so that the LCD is left
// saying the box can be unplugged. There is no shell to fall
// back to: on a fatal error it reboots, and GRUB's boot counting takes
// the box back to the other slot.
//
// Main is the program; src/cmd/init is its command, and on the box the
// multi-call binary (src/cmd/picketbox) runs it as /sbin/init.
package initd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/base/version"
	"picket.dev/picket/src/system/datapart"
	"picket.dev/picket/src/system/e2fs"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/kmod"
	"picket.dev/picket/src/system/linuxsys"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/modload"
	"picket.dev/picket/src/system/pid1"
	"picket.dev/picket/src/system/uevent"
)

const (
	logDir  = "/data/log"
	logSize = 4 << 20
	espDir  = "/run/esp"
	// releasePub is imagebuild.ReleasePubPath in the rootfs: the key a
	// new slot's manifest must verify with.
	releasePub = "/etc/picket/release.pub"
	// modulesList is src/imagebuild.ModulesListPath in the rootfs.
	modulesList = "/etc/picket/modules"
)

// Main runs init with the process's arguments and exits with its status.
func Main() {
	console := io.Writer(os.Stdout)
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "init: must run as PID 1 (the rootfs's /sbin/init)")
		os.Exit(2)
	}
	sys := linuxsys.Linux{}
	action, mounted, err := run(sys, console)
	if err != nil {
		fmt.Fprintf(console, "init: %v\n", err)
		action = linuxsys.Reboot
		// Give the console a moment to show why before the reboot.
		time.Sleep(5 * time.Second)
	}
	if err := linuxsys.Shutdown(sys, mounted, action, console); err != nil {
		fmt.Fprintf(console, "init: %v\n", err)
	}
	// PID 1 must not exit (the kernel panics); wait for the reset.
	select {}
}

// daemonLines passes the daemons' log lines on to w and drops init's own
// ("<time> init: ..."), which are on the console already (Observe): the
// ring log's stand-in once /data is unmounted. The supervisor writes one
// whole line per Write.
type daemonLines struct{ w io.Writer }

func (d daemonLines) Write(p []byte) (int, error) {
	if _, rest, ok := bytes.Cut(p, []byte(" ")); ok && bytes.HasPrefix(rest, []byte("init: ")) {
		return len(p), nil
	}
	return d.w.Write(p)
}

func run(sys linuxsys.System, console io.Writer) (linuxsys.Action, []linuxsys.Mount, error) {
	mounted, err := linuxsys.MountAll(sys, []linuxsys.Mount{
		{Source: "proc", Target: "/proc", FSType: "proc", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
		{Source: "sysfs", Target: "/sys", FSType: "sysfs", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
		{Source: "tmpfs", Target: "/run", FSType: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV, Data: "mode=0755"},
		{Source: "tmpfs", Target: "/tmp", FSType: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV, Data: "mode=1777"},
	})
	if err != nil {
		return linuxsys.Reboot, mounted, err
	}
	// The initramfs moves its /dev along; mount one only if it did not.
	if _, err := os.Stat("/dev/null"); err != nil {
		m, err := linuxsys.MountAll(sys, []linuxsys.Mount{{Source: "devtmpfs", Target: "/dev", FSType: "devtmpfs", Flags: unix.MS_NOSUID}})
		mounted = append(mounted, m...)
		if err != nil {
			return linuxsys.Reboot, mounted, err
		}
	}
	cfg, err := pid1.LoadBootConfig(pid1.ConfigPath)
	if err != nil {
		return linuxsys.Reboot, mounted, err
	}
	if err := sys.Sethostname(cfg.Hostname); err != nil {
		fmt.Fprintf(console, "init: set hostname %q: %v\n", cfg.Hostname, err)
	}
	loadModules(sys, cfg.Modules, console)

	// The data partition, checked, repaired or made again if it does not
	// mount (package datapart), what was done left for the panel daemons
	// to show; without it the box still runs, logging to the console
	// only. It is kept apart from the other mounts: a power off unmounts
	// it before the panel daemons are told the box is halted.
	var logw io.Writer = console
	var ring *pid1.RingLog
	dp := datapart.Mount(context.Background(), datapart.Config{
		Sys: sys, Tools: e2fs.Tools{}, Blocks: "/sys/class/block", PartName: "data", Label: e2fs.DataLabel,
		Target: "/data", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME, Log: console,
		// scannerd's data directory (docs/privileges.md), or /data
		// itself on a box whose files are not moved there yet (the
		// move comes after this check, with the rights).
		IdentityDirs: []string{"/data/scannerd"},
	})
	if n, ok := dp.Notice(); ok {
		if err := initapi.WriteDataNotice(initapi.DataNoticePath, n); err != nil {
			fmt.Fprintf(console, "init: %v\n", err)
		}
	}
	data := dp.Mounts
	all := func() []linuxsys.Mount { return append(mounted, data...) }
	if len(data) > 0 {
		if err := os.MkdirAll(logDir, 0o700); err != nil {
			fmt.Fprintf(console, "init: %v\n", err)
		} else if ring, err = pid1.OpenRingLog(logDir+"/picket.log", logSize); err != nil {
			fmt.Fprintf(console, "init: %v\n", err)
		} else {
			// Closed, not only synced, before /data is unmounted: an
			// open file would keep it busy, and it would only be
			// remounted read-only instead of unmounted.
			defer ring.Close()
			logw = ring
		}
	}
	// halt ends the data partition's part in a power off, once every
	// daemon but the panel daemons has stopped: the log goes to the
	// console from here on (the panel daemons may still write), and /data
	// is synced and unmounted.
	halt := func() {
		if ring != nil {
			if err := ring.CloseTo(daemonLines{console}); err != nil {
				fmt.Fprintf(console, "init: %v\n", err)
			}
		}
		if len(data) == 0 {
			return
		}
		if data = linuxsys.Unmount(sys, data, console); len(data) == 0 {
			fmt.Fprintln(console, "init: /data unmounted")
		}
	}

	cmdline, _ := os.ReadFile("/proc/cmdline")
	slot, _ := linuxsys.CmdlineValue(string(cmdline), "picket.slot")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGUSR2, syscall.SIGINT)
	// The ESP is mounted only for each read or write, by this one helper.
	ctl := &pid1.Control{
		ESP: &pid1.MountedESP{Sys: sys, Dir: espDir, Blocks: "/sys/class/block"}, Slot: slot, Board: version.Get("init").Board,
		TrialBoots: cfg.TrialBoots,
		Stop: func(powerOff bool) {
			s := os.Signal(syscall.SIGTERM)
			if powerOff {
				s = syscall.SIGUSR2
			}
			go func() { sig <- s }()
		},
	}
	if key, err := manifest.LoadPublicKey(releasePub); err != nil {
		fmt.Fprintf(console, "init: %v: no new slot manifest will be accepted\n", err)
	} else {
		ctl.Keys = []ed25519.PublicKey{key}
	}
	awaitVerdict := false
	if b, err := ctl.Boot(context.Background()); err != nil {
		fmt.Fprintf(console, "init: %v\n", err)
	} else if b.OnTrial() {
		trial := time.Duration(cfg.TrialSeconds) * time.Second
		awaitVerdict = cfg.GoodBy == pid1.GoodByUpdater
		who := "its daemons stable"
		if awaitVerdict {
			who = "its daemons stable and the updater's verdict (it reached the platform)"
		}
		fmt.Fprintf(console, "init: slot %s is on trial (%d tries left): it must come up within %v (%s)\n", slot, b.Tries, trial, who)
		time.AfterFunc(trial, func() {
			if !ctl.Marked() {
				fmt.Fprintf(console, "init: slot %s did not come up within %v: rebooting so that the boot counter decides\n", slot, trial)
				sig <- syscall.SIGTERM
			}
		})
	}
	// The daemons run under users of their own (docs/privileges.md):
	// their sockets' directory and data directories, made theirs.
	dataDir := ""
	if len(data) > 0 {
		dataDir = "/data"
	}
	pid1.PrepareRights(cfg, pid1.RightsPaths{Run: filepath.Dir(initapi.DefaultSocket), Data: dataDir, Sysctl: "/proc/sys"}, console)
	sup, err := pid1.New(pid1.Config{
		Services:     cfg.ServiceList(),
		Proc:         "/proc",
		CPUTimes:     func() (time.Duration, time.Duration, error) { return linuxsys.CPUTimes("/proc") },
		SlotDevice:   pid1.SlotDevices("/sys/class/block", slot),
		Clock:        clock.System{},
		Log:          logw,
		StablePeriod: time.Duration(cfg.StableSeconds) * time.Second,
		MarkGood:     ctl.MarkGood,
		AwaitVerdict: awaitVerdict,
		ReapOrphans:  true,
		BeforeHalt:   halt,
		// Every event but a start goes to the console too: a daemon that
		// dies, the slot marked good, and at a reboot or power off each
		// daemon stopped, in order, so that whoever watches the console
		// sees the box go down cleanly.
		Observe: func(e pid1.Event) {
			if e.Kind != pid1.Started {
				fmt.Fprintf(console, "init: %v\n", e)
			}
		},
	})
	if err != nil {
		return linuxsys.Reboot, all(), err
	}
	ctl.Verdict = sup.Verdict
	go watchVerity(ctl, console, sig)
	fmt.Fprintf(console, "init: slot %s, starting %d daemons\n", slot, len(cfg.Services))

	apiCtx, stopAPI := context.WithCancel(context.Background())
	var apiDone chan struct{} // closed when init.sock is closed; nil without it
	// init.sock is closed before run returns: its bound socket would keep
	// /run busy, and Shutdown could only remount it read-only.
	defer func() {
		stopAPI()
		if apiDone != nil {
			<-apiDone
		}
	}()
	if ln, err := initapi.Listen(initapi.DefaultSocket); err != nil {
		fmt.Fprintf(console, "init: %v: no init.sock\n", err)
	} else {
		apiDone = make(chan struct{})
		go func() {
			defer close(apiDone)
			initapi.NewServer(ctl, nil, cfg.InitAccess()).Serve(apiCtx, ln)
		}()
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	action := linuxsys.Reboot
	go func() {
		s := <-sig
		what, order, cause := "reboot", "last started first", error(nil)
		if s == syscall.SIGUSR2 {
			action, what, cause = linuxsys.PowerOff, "power off", pid1.ErrPowerOff
			order += ", the panel's after /data is unmounted"
		}
		fmt.Fprintf(console, "init: %s requested (%s): stopping the daemons, %s\n", what, unix.SignalName(s.(syscall.Signal)), order)
		cancel(cause)
	}()
	err = sup.Run(ctx)
	if err == nil {
		fmt.Fprintln(console, "init: all daemons stopped")
	}
	return action, all(), err
}

// loadModules loads the boot configuration's modules (always) and those
// of the image's list (the board's NICs, ext4, 802.1Q: dependencies
// first, as for the initramfs) that the devices present call for, then
// listens for devices plugged in later (a USB NIC) and loads their
// drivers as they come (package modload).
func loadModules(sys linuxsys.System, always []string, console io.Writer) {
	var list []kmod.Module
	for _, p := range always {
		list = append(list, kmod.Module{Path: p})
	}
	if b, err := os.ReadFile(modulesList); err == nil {
		mods, err := kmod.ParseList(b)
		if err != nil {
			fmt.Fprintf(console, "init: %s: %v\n", modulesList, err)
		}
		list = append(list, mods...)
	} else if !os.IsNotExist(err) {
		fmt.Fprintf(console, "init: %v\n", err)
	}
	if len(list) == 0 {
		return
	}
	l := &modload.Loader{List: list, Sysfs: "/sys", Load: func(p string) error { return sys.LoadModule(p, "") }}
	// Listening before the scan: a device that comes up between the two
	// is then seen by one or the other.
	events, err := uevent.Listen()
	if err != nil {
		fmt.Fprintf(console, "init: %v: modules for devices plugged in later will not be loaded\n", err)
	}
	start := time.Now()
	loaded, err := l.Scan()
	if err != nil {
		fmt.Fprintf(console, "init: %v\n", err)
	}
	// Which ones, for whoever finds a device without its driver.
	fmt.Fprintf(console, "init: %d of %d modules loaded in %v: %s\n", len(loaded), len(list), time.Since(start).Round(10*time.Millisecond), strings.Join(loaded, " "))
	if events == nil {
		return
	}
	go func() {
		defer events.Close()
		for {
			e, err := events.Read()
			if err != nil {
				fmt.Fprintf(console, "init: %v: no more modules for devices plugged in\n", err)
				return
			}
			alias := e.Env["MODALIAS"]
			if e.Action != "add" || alias == "" {
				continue
			}
			if loaded, err := l.Device(alias); err != nil {
				fmt.Fprintf(console, "init: device %s: %v\n", e.DevPath, err)
			} else if len(loaded) > 0 {
				fmt.Fprintf(console, "init: device %s: loaded %s\n", e.DevPath, strings.Join(loaded, ", "))
			}
		}
	}()
}
