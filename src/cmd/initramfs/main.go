// Command initramfs is PID 1 of the Picket initramfs: it finds the rootfs
// partition of the slot GRUB booted (picket.slot= on the kernel command
// line, partition named rootfs_<slot>), verifies it against its signed
// manifest on the EFI System Partition with the release public key baked
// into the initramfs, and only then mounts it read-only and switches
// root into its /sbin/init. A slot that does not verify is refused with a
// message on the console; the grubenv is then changed so the next boot
// takes the other slot (if that one verifies), or the box halts with
// "no verified system: halting".
package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/system/linuxsys"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/slots"
)

const (
	// KeyPath is the trusted release public key, put in the initramfs at
	// build time.
	KeyPath = "/etc/picket/release.pub"
	// ModulesList lists the module files to load, dependencies first, one
	// path a line (as src/imagebuild.Initramfs writes it): virtio_blk,
	// vfat and its code pages, squashfs.
	ModulesList = "/etc/picket/modules"
	// BoardPath holds the board name the manifest must carry (optional).
	BoardPath = "/etc/picket/board"
	espDir    = "/esp"
	newRoot   = "/newroot"
	sysBlock  = "/sys/class/block"
	// partitionWait bounds the wait for the disk driver to show the
	// partitions.
	partitionWait = 30 * time.Second
)

func main() {
	out := os.Stdout
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "initramfs: must run as PID 1 of the initramfs")
		os.Exit(2)
	}
	sys := linuxsys.Linux{}
	err := boot(sys, out)
	// boot returns only on failure or after a plan that does not
	// switch_root.
	fmt.Fprintf(out, "picket: %v\n", err)
	sys.Sync()
	if errors.Is(err, errReboot) {
		time.Sleep(3 * time.Second)
		sys.Reboot(linuxsys.RebootCmd(unix.LINUX_REBOOT_CMD_RESTART))
	} else {
		sys.Reboot(linuxsys.RebootCmd(unix.LINUX_REBOOT_CMD_HALT))
	}
	select {}
}

var errReboot = errors.New("rebooting")

func boot(sys linuxsys.System, out *os.File) error {
	if _, err := linuxsys.MountAll(sys, []linuxsys.Mount{
		{Source: "proc", Target: "/proc", FSType: "proc"},
		{Source: "sysfs", Target: "/sys", FSType: "sysfs"},
		{Source: "devtmpfs", Target: "/dev", FSType: "devtmpfs"},
	}); err != nil {
		return err
	}
	if b, err := os.ReadFile(ModulesList); err != nil {
		fmt.Fprintf(out, "picket: no module list: %v\n", err)
	} else {
		if err := linuxsys.LoadModules(sys, strings.Fields(string(b))); err != nil {
			fmt.Fprintf(out, "picket: %v\n", err)
		}
	}
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return fmt.Errorf("read kernel command line: %w", err)
	}
	booted, _ := linuxsys.CmdlineValue(string(cmdline), "picket.slot")
	pub, err := manifest.LoadPublicKey(KeyPath)
	if err != nil {
		return fmt.Errorf("release key: %w; %s", err, NoSystemMessage)
	}
	board := ""
	if b, err := os.ReadFile(BoardPath); err == nil {
		board = strings.TrimSpace(string(b))
	}

	esp, err := waitPartition("boot")
	if err != nil {
		return fmt.Errorf("%w; %s", err, NoSystemMessage)
	}
	if err := os.MkdirAll(espDir, 0o700); err != nil {
		return err
	}
	if err := sys.Mount(esp, espDir, "vfat", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount ESP %s: %w; %s", esp, err, NoSystemMessage)
	}
	verify := func(slot string) error {
		if !slots.ValidSlot(slot) {
			return fmt.Errorf("kernel command line has picket.slot=%q, want a or b", slot)
		}
		dev, err := waitPartition("rootfs_" + slot)
		if err != nil {
			return err
		}
		signed, err := os.ReadFile(fmt.Sprintf("%s/slot-%s.manifest", espDir, slot))
		if err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		m, err := VerifySlot(dev, signed, []ed25519.PublicKey{pub}, board)
		if err == nil {
			fmt.Fprintf(out, "picket: slot %s: %s %s, %d bytes, sha256 %s: signature and contents verified\n", slot, m.Board, m.Version, m.Size, m.SHA256)
		}
		return err
	}
	fmt.Fprintf(out, "picket: verifying slot %s\n", booted)
	bootedErr := verify(booted)
	st, stErr := slots.Read(espDir + "/grubenv")
	plan := Decide(booted, st, stErr, bootedErr, func() error { return verify(slots.Other(booted)) })
	fmt.Fprintln(out, plan.Message)
	switch {
	case plan.Boot != "":
		sys.Unmount(espDir, 0)
		return switchRoot(sys, plan.Boot)
	case plan.NewState != nil:
		if err := sys.Mount(esp, espDir, "vfat", unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("remount ESP read-write: %w", err)
		}
		if err := slots.Write(espDir+"/grubenv", *plan.NewState); err != nil {
			return err
		}
		sys.Sync()
		sys.Unmount(espDir, 0)
		return fmt.Errorf("boot state now %v: %w", *plan.NewState, errReboot)
	}
	return errors.New("halted")
}

// waitPartition waits for the disk driver to show the named partition.
func waitPartition(name string) (string, error) {
	deadline := time.Now().Add(partitionWait)
	for {
		dev, err := linuxsys.FindPartition(sysBlock, name)
		if err == nil || time.Now().After(deadline) {
			return dev, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// switchRoot mounts the verified slot read-only and makes it the root:
// move /dev over, MS_MOVE the new root onto /, chroot and exec its init.
// The initramfs's own files stay in memory (they are a few MiB).
func switchRoot(sys linuxsys.System, slot string) error {
	dev, err := linuxsys.FindPartition(sysBlock, "rootfs_"+slot)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return err
	}
	if err := sys.Mount(dev, newRoot, "squashfs", unix.MS_RDONLY|unix.MS_NODEV|unix.MS_NOSUID, ""); err != nil {
		return fmt.Errorf("mount slot %s (%s): %w", slot, dev, err)
	}
	if err := sys.Mount("/dev", newRoot+"/dev", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move /dev into the new root: %w", err)
	}
	sys.Unmount("/proc", unix.MNT_DETACH)
	sys.Unmount("/sys", unix.MNT_DETACH)
	if err := os.Chdir(newRoot); err != nil {
		return err
	}
	if err := sys.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move the new root onto /: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Exec("/sbin/init", []string{"/sbin/init"}, os.Environ()); err != nil {
		return fmt.Errorf("exec /sbin/init of slot %s: %w", slot, err)
	}
	return nil
}
