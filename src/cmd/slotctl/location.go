package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/system/flash"
	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/system/linuxsys"
)

// session is the slot state opened at one of the places slotctl knows.
type session struct {
	// where names the place for messages ("-disk disk.img").
	where string
	// grubenv is a grubenv file the slots package may read and replace.
	grubenv string
	// readFile reads a file from the root of the boot partition, with an
	// error wrapping os.ErrNotExist if it is not there; nil when only a
	// grubenv was given.
	readFile func(name string) ([]byte, error)
	// finish releases the place; with commit, changes made to grubenv
	// are kept (written back, for a disk).
	finish func(commit bool) error
}

// open opens the place o names; write says a command will change the
// state (the box's boot partition is mounted read-only otherwise).
func open(ctx context.Context, o options, write bool) (*session, error) {
	noop := func(bool) error { return nil }
	switch {
	case o.grubenv != "":
		return &session{where: "-grubenv " + o.grubenv, grubenv: o.grubenv, finish: noop}, nil
	case o.esp != "":
		where := "-esp " + o.esp
		fi, err := os.Stat(o.esp)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (want the directory the boot partition is mounted on)", where, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s: not a directory; want the directory the boot partition is mounted on (for a grubenv file use -grubenv, for a disk image -disk)", where)
		}
		return &session{where: where, grubenv: filepath.Join(o.esp, "grubenv"), readFile: dirReader(o.esp), finish: noop}, nil
	case o.disk != "":
		return openDisk(ctx, o.disk)
	}
	return openBox(write)
}

func dirReader(dir string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(dir, name))
	}
}

// openDisk finds the boot partition in the GPT of a disk image or block
// device and copies its /grubenv out with mtools; finish copies it back
// if it changed.
func openDisk(ctx context.Context, path string) (*session, error) {
	where := "-disk " + path
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = errors.New("a directory; want a disk image or block device (for a mounted boot partition use -esp)")
	}
	if err == nil {
		err = checkNotMounted(path)
	}
	var parts []imagebuild.PartInfo
	if err == nil {
		parts, err = imagebuild.ReadPartitions(f)
	}
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	boot, err := findBoot(parts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	image := path + "@@" + strconv.FormatInt(boot.Offset(), 10)
	tmp, err := os.MkdirTemp("", "slotctl-")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	env := filepath.Join(tmp, "grubenv")
	if err := mtool(ctx, "mcopy", "-n", "-o", "-i", image, "::/grubenv", env); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("%s: read /grubenv from the boot partition: %w", where, err)
	}
	orig, err := os.ReadFile(env)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	readFile := func(name string) ([]byte, error) {
		out := filepath.Join(tmp, "read-"+name)
		defer os.Remove(out)
		if err := mtool(ctx, "mcopy", "-n", "-o", "-i", image, "::/"+name, out); err != nil {
			if strings.Contains(err.Error(), "not found") {
				return nil, fmt.Errorf("%s: %w", name, os.ErrNotExist)
			}
			return nil, err
		}
		return os.ReadFile(out)
	}
	finish := func(commit bool) error {
		defer os.RemoveAll(tmp)
		if !commit {
			return nil
		}
		b, err := os.ReadFile(env)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if bytes.Equal(b, orig) {
			return nil // nothing changed: leave the disk alone
		}
		if len(b) != imagebuild.GrubEnvSize {
			return fmt.Errorf("%s: new grubenv is %d bytes, GRUB needs exactly %d; not written", where, len(b), imagebuild.GrubEnvSize)
		}
		if err := mtool(ctx, "mcopy", "-o", "-i", image, env, "::/grubenv"); err != nil {
			return fmt.Errorf("%s: write /grubenv to the boot partition: %w", where, err)
		}
		back, err := readFile("grubenv")
		if err != nil {
			return fmt.Errorf("%s: read /grubenv back: %w", where, err)
		}
		if !bytes.Equal(back, b) {
			return fmt.Errorf("%s: /grubenv read back differs from what was written", where)
		}
		return nil
	}
	return &session{where: where, grubenv: env, readFile: readFile, finish: finish}, nil
}

// findBoot returns the one partition named boot.
func findBoot(parts []imagebuild.PartInfo) (imagebuild.PartInfo, error) {
	var found []imagebuild.PartInfo
	var names []string
	for _, p := range parts {
		names = append(names, strconv.Quote(p.Name))
		if p.Name == imagebuild.PartBoot {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return imagebuild.PartInfo{}, fmt.Errorf("no partition named %q in the GPT (it has %s); want a Picket disk", imagebuild.PartBoot, strings.Join(names, ", "))
	}
	return imagebuild.PartInfo{}, fmt.Errorf("%d partitions named %q in the GPT; want exactly one", len(found), imagebuild.PartBoot)
}

// checkNotMounted refuses a disk that is mounted (or whose partitions,
// or a loop device over the image file, are): mtools writing under a
// mounted FAT corrupts it, and the kernel would not see the change. It
// uses the flasher's target check, which reads /proc/self/mountinfo and
// /proc/mounts and also refuses the disk the running system is on.
func checkNotMounted(path string) error {
	// Check compares the target with an image to be written; slotctl
	// writes no image, so it passes one that is never the target.
	_, err := flash.System(strings.NewReader(""), io.Discard).Check(path, os.DevNull)
	switch {
	case errors.Is(err, flash.ErrMounted):
		return fmt.Errorf("%w; unmount it first, or use -esp DIR on the mounted boot partition", err)
	case errors.Is(err, flash.ErrRootDisk):
		return fmt.Errorf("%w; on the box run slotctl without -disk", err)
	case err != nil:
		return fmt.Errorf("refusing the disk: %w", err)
	}
	return nil
}

// mtool runs an mtools command with a fixed environment (no drive
// geometry check, C locale).
func mtool(ctx context.Context, name string, args ...string) error {
	path, err := imagebuild.Tool(name)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "TZ=UTC", "MTOOLS_SKIP_CHECK=1"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// espMountParent is where the box's boot partition is mounted for the
// moment (a tmpfs on the box).
const espMountParent = "/run"

// openBox mounts this box's boot partition (found by its GPT name) on a
// fresh directory under /run; finish syncs and unmounts it.
func openBox(write bool) (*session, error) {
	const where = "this box's boot partition"
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%s: mounting it needs root; run slotctl as root, or give -disk PATH, -esp DIR or -grubenv FILE", where)
	}
	dev, err := linuxsys.FindPartition("/sys/class/block", imagebuild.PartBoot)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (on a host, give -disk PATH, -esp DIR or -grubenv FILE)", where, err)
	}
	dir, err := os.MkdirTemp(espMountParent, "slotctl-esp-")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if !write {
		flags |= unix.MS_RDONLY
	}
	var sys linuxsys.Linux
	if err := sys.Mount(dev, dir, "vfat", flags, ""); err != nil {
		os.Remove(dir)
		return nil, fmt.Errorf("%s: mount %s on %s: %w", where, dev, dir, err)
	}
	finish := func(bool) error {
		// slots writes grubenv through a temporary file and rename
		// and syncs it; sync again so nothing waits in the cache.
		sys.Sync()
		if err := sys.Unmount(dir, 0); err != nil {
			return fmt.Errorf("%s: unmount %s: %w", where, dir, err)
		}
		os.Remove(dir)
		return nil
	}
	return &session{where: where + " " + dev, grubenv: filepath.Join(dir, "grubenv"), readFile: dirReader(dir), finish: finish}, nil
}
