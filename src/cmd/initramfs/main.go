// Command initramfs is PID 1 of the Picket initramfs: it finds the rootfs
// partition of the slot GRUB booted (picket.slot= on the kernel command
// line, partition named rootfs_<slot>), verifies its signed manifest on
// the EFI System Partition with the release public key baked into the
// initramfs, puts the partition behind dm-verity with the manifest's hash
// tree root (the kernel then checks every block against the signed tree
// as it is read, for as long as the box runs; an image without a tree is
// hashed whole instead), mounts it read-only, reads its /sbin/init
// through the mapping and switches root into it. A slot that does not
// verify is refused with a
// message on the console; the grubenv is then changed so the next boot
// takes the other slot (if that one verifies), or the box halts with
// "no verified system: halting".
package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/system/kmod"
	"picket.dev/picket/src/system/linuxsys"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/modload"
	"picket.dev/picket/src/system/slots"
)

const (
	// KeyPath is the trusted release public key, put in the initramfs at
	// build time.
	KeyPath = "/etc/picket/release.pub"
	// ModulesList lists the module files the initramfs may load,
	// dependencies first, with what each drives (kmod.FormatList, as
	// src/imagebuild.Initramfs writes it): the board's disk controllers,
	// vfat and its code pages, squashfs, dm-verity. Those the devices
	// present call for are loaded (package modload).
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
	// When the kernel handed over: where a slow boot's time went.
	fmt.Fprintln(out, "picket: initramfs started")
	if _, err := linuxsys.MountAll(sys, []linuxsys.Mount{
		{Source: "proc", Target: "/proc", FSType: "proc"},
		{Source: "sysfs", Target: "/sys", FSType: "sysfs"},
		{Source: "devtmpfs", Target: "/dev", FSType: "devtmpfs"},
	}); err != nil {
		return err
	}
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return fmt.Errorf("read kernel command line: %w", err)
	}
	booted, _ := linuxsys.CmdlineValue(string(cmdline), "picket.slot")
	// The modules are loaded beside the rest: the boot waits for the
	// file systems' and the device mapper's (those asked for by name,
	// kmod.Named, and so what they need) before it mounts anything, and
	// for the boot disk's driver by waiting for its partitions. The
	// disk drivers load one at a time, the board's likeliest first, and
	// none once the ESP and the booted slot are there: another
	// controller's (q35's AHCI beside the virtio disk) would only take
	// the CPU, and its probe 0.4 s, from the boot.
	loader := &modload.Loader{Sysfs: "/sys", Load: func(p string) error { return sys.LoadModule(p, "") },
		Enough: func() bool {
			_, espErr := linuxsys.FindPartition(sysBlock, "boot")
			_, slotErr := linuxsys.FindPartition(sysBlock, "rootfs_"+booted)
			return espErr == nil && slotErr == nil
		}}
	scanned := make(chan struct{})
	var fsModules []string
	if b, err := os.ReadFile(ModulesList); err != nil {
		fmt.Fprintf(out, "picket: no module list: %v\n", err)
		close(scanned)
	} else if loader.List, err = kmod.ParseList(b); err != nil {
		fmt.Fprintf(out, "picket: %s: %v\n", ModulesList, err)
		close(scanned)
	} else {
		fsModules = kmod.Named(loader.List)
		go func() {
			defer close(scanned)
			start := time.Now()
			loaded, err := loader.Scan()
			if err != nil {
				fmt.Fprintf(out, "picket: %v\n", err)
			}
			// Which ones, for whoever finds a disk without its driver.
			fmt.Fprintf(out, "picket: %d of %d modules loaded in %v: %s\n", len(loaded), len(loader.List), time.Since(start).Round(10*time.Millisecond), strings.Join(loaded, " "))
			if left := loader.LeftOut(); len(left) > 0 {
				fmt.Fprintf(out, "picket: the boot disk was up: not loaded %s\n", strings.Join(left, " "))
			}
		}()
	}
	// A disk may come up after the first scan (a SATA or USB disk is
	// probed in the background, an SD card is detected): while waiting
	// for the partitions, once the first scan is over, scan again for
	// the drivers of what appeared. Then the file systems' modules.
	waitPartition := func(name string) (string, error) {
		dev, err := awaitPartition(name, func() {
			select {
			case <-scanned:
			default:
				return
			}
			if loaded, err := loader.Scan(); err != nil {
				fmt.Fprintf(out, "picket: %v\n", err)
			} else if len(loaded) > 0 {
				fmt.Fprintf(out, "picket: loaded %s for devices that came up\n", strings.Join(loaded, ", "))
			}
		})
		if len(fsModules) > 0 {
			loader.Wait(fsModules...)
		}
		return dev, err
	}
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
	// prepare verifies slot and mounts it at newRoot: an image with a
	// hash tree behind dm-verity (its signature now, its blocks as they
	// are read), one without hashed whole first. Whatever fails is torn
	// down again, and so is a prepared slot that is not booted.
	prepare := func(slot string) (*mountedSlot, error) {
		if !slots.ValidSlot(slot) {
			return nil, fmt.Errorf("kernel command line has picket.slot=%q, want a or b", slot)
		}
		dev, err := waitPartition("rootfs_" + slot)
		if err != nil {
			return nil, err
		}
		signed, err := os.ReadFile(fmt.Sprintf("%s/slot-%s.manifest", espDir, slot))
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		m, err := VerifyManifest(signed, []ed25519.PublicKey{pub}, board)
		if err != nil {
			return nil, err
		}
		if !m.HasHashTree() {
			if err := VerifyContents(dev, m); err != nil {
				return nil, err
			}
			fmt.Fprintf(out, "picket: slot %s: %s %s, %d bytes, sha256 %s: signature and contents verified (no hash tree: hashed whole)\n", slot, m.Board, m.Version, m.Size, m.SHA256)
			return mountSlot(sys, slot, dev, "")
		}
		mapped, node, err := MapVerity(slot, dev, m)
		if err != nil {
			return nil, err
		}
		ms, err := mountSlot(sys, slot, node, mapped)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "picket: slot %s: %s %s, %d bytes, dm-verity root %s: signature verified, blocks checked as read\n", slot, m.Board, m.Version, m.Size, m.HashTreeRoot)
		return ms, nil
	}
	fmt.Fprintf(out, "picket: verifying slot %s\n", booted)
	root, bootedErr := prepare(booted)
	st, stErr := slots.Read(espDir + "/grubenv")
	plan := Decide(booted, st, stErr, bootedErr, func() error {
		other, err := prepare(slots.Other(booted))
		if err == nil {
			other.release(sys)
		}
		return err
	})
	fmt.Fprintln(out, plan.Message)
	switch {
	case plan.Boot != "":
		sys.Unmount(espDir, 0)
		// The modules still loading (another controller's probe) are
		// loaded before the exec: it would end their goroutines.
		<-scanned
		return switchRoot(sys, root)
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

// awaitPartition waits up to partitionWait for the partition called
// name, calling rescan between looks.
func awaitPartition(name string, rescan func()) (string, error) {
	deadline := time.Now().Add(partitionWait)
	for {
		dev, err := linuxsys.FindPartition(sysBlock, name)
		if err == nil || time.Now().After(deadline) {
			return dev, err
		}
		rescan()
		time.Sleep(100 * time.Millisecond)
	}
}

// mountedSlot is a verified slot mounted at newRoot, through its
// dm-verity mapping when it has one.
type mountedSlot struct {
	slot, mapped string
}

// mountSlot mounts the squashfs on dev read-only at newRoot and reads the
// slot's init through it: with dm-verity that checks every block the boot
// is about to run, so a slot whose init or file system tables do not
// match the signed tree is refused here, while the other slot can still
// be chosen, rather than failing after the switch. A mapping, if any, is
// removed again on failure.
func mountSlot(sys linuxsys.System, slot, dev, mapped string) (*mountedSlot, error) {
	ms := &mountedSlot{slot: slot, mapped: mapped}
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return nil, err
	}
	err := sys.Mount(dev, newRoot, "squashfs", unix.MS_RDONLY|unix.MS_NODEV|unix.MS_NOSUID, "")
	if err != nil {
		err = fmt.Errorf("mount slot %s (%s): %w", slot, dev, err)
	} else if err = readAll(newRoot + "/sbin/init"); err != nil {
		sys.Unmount(newRoot, 0)
	}
	if err != nil {
		if mapped != "" {
			err = CorruptionError(mapped, err)
			RemoveMapping(mapped)
		}
		return nil, err
	}
	return ms, nil
}

// release unmounts a slot that was verified but is not booted.
func (ms *mountedSlot) release(sys linuxsys.System) {
	sys.Unmount(newRoot, 0)
	if ms.mapped != "" {
		RemoveMapping(ms.mapped)
	}
}

// readAll reads a file to its end.
func readAll(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, f); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// switchRoot makes the mounted slot the root: move /dev over, MS_MOVE the
// new root onto /, chroot and exec its init. The initramfs's own files
// stay in memory (they are a few MiB).
func switchRoot(sys linuxsys.System, root *mountedSlot) error {
	slot := root.slot
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
