package flash

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Refusals. Check's errors wrap one of these so callers and tests can tell
// them apart; the messages say what was found.
var (
	ErrMounted      = errors.New("target is in use")
	ErrRootDisk     = errors.New("target is the disk holding the running system")
	ErrSameFile     = errors.New("target is the image itself")
	ErrBadTarget    = errors.New("target is neither a block device nor a regular file")
	ErrNotConfirmed = errors.New("not confirmed")
)

// Env is the flasher's view of the system. System() gives the real one;
// tests point the paths at fake trees and replace the lookups.
type Env struct {
	// MountInfo is /proc/self/mountinfo, Mounts is /proc/mounts: both are
	// read, so a device mounted in either view is refused.
	MountInfo string
	Mounts    string
	// Sys is where sysfs is mounted (/sys).
	Sys string
	// Stdin and Stdout carry the confirmation dialogue and progress.
	Stdin  io.Reader
	Stdout io.Writer
	// RootDevice returns the device "/" is mounted from, or an error
	// wrapping ErrNoRootDevice when it is on none.
	RootDevice func() (Dev, error)
	// Stat stats a path following symlinks; nil means os.Stat.
	Stat func(string) (os.FileInfo, error)
}

// out is where progress and questions go; nil Stdout discards them.
func (e Env) out() io.Writer {
	if e.Stdout == nil {
		return io.Discard
	}
	return e.Stdout
}

func (e Env) stat(name string) (os.FileInfo, error) {
	if e.Stat == nil {
		return os.Stat(name)
	}
	return e.Stat(name)
}

// System returns the real environment with the given terminal.
func System(stdin io.Reader, stdout io.Writer) Env {
	return Env{
		MountInfo:  "/proc/self/mountinfo",
		Mounts:     "/proc/mounts",
		Sys:        "/sys",
		Stdin:      stdin,
		Stdout:     stdout,
		RootDevice: func() (Dev, error) { return RootDevice("/proc/self/mountinfo") },
		Stat:       os.Stat,
	}
}

// Target is a checked flash target.
type Target struct {
	// Path is the target as given, Resolved the same with symlinks
	// resolved (/dev/disk/by-id/usb-... → /dev/sdb).
	Path, Resolved string
	// Block is set for a block device, whose kernel name (sdb) and number
	// follow; otherwise the target is a regular file, existing or not.
	Block bool
	Name  string
	Dev   Dev
}

// blockDev is a block device as sysfs shows it.
type blockDev struct {
	dir  string // resolved sysfs directory
	name string // kernel name, the directory's base name
	dev  Dev
}

func (e Env) sysBlock(d Dev) (blockDev, error) {
	dir, err := filepath.EvalSymlinks(filepath.Join(e.Sys, "dev", "block", d.String()))
	if err != nil {
		return blockDev{}, fmt.Errorf("block device %s not in sysfs: %w", d, err)
	}
	return blockDev{dir: dir, name: filepath.Base(dir), dev: d}, nil
}

func readSysDev(dir string) (blockDev, error) {
	b, err := os.ReadFile(filepath.Join(dir, "dev"))
	if err != nil {
		return blockDev{}, fmt.Errorf("read block device number: %w", err)
	}
	d, err := parseDev(string(b))
	if err != nil {
		return blockDev{}, fmt.Errorf("%s: %w", dir, err)
	}
	return blockDev{dir: dir, name: filepath.Base(dir), dev: d}, nil
}

func isPartition(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "partition"))
	return err == nil
}

// disk returns the whole disk of a device: the parent directory of a
// partition, the device itself otherwise.
func disk(b blockDev) (blockDev, error) {
	if !isPartition(b.dir) {
		return b, nil
	}
	return readSysDev(filepath.Dir(b.dir))
}

// family returns a disk, its partitions, and everything stacked on any of
// them (device-mapper, md: the "holders"), recursively. Writing the disk
// destroys all of them, so none may be in use.
func family(d blockDev) ([]blockDev, error) {
	var out []blockDev
	seen := map[string]bool{}
	var add func(b blockDev, depth int) error
	add = func(b blockDev, depth int) error {
		if seen[b.dir] {
			return nil
		}
		if depth > 16 {
			return fmt.Errorf("block devices stacked more than 16 deep on %s", d.name)
		}
		seen[b.dir] = true
		out = append(out, b)
		holders, _ := os.ReadDir(filepath.Join(b.dir, "holders"))
		for _, h := range holders {
			dir, err := filepath.EvalSymlinks(filepath.Join(b.dir, "holders", h.Name()))
			if err != nil {
				return fmt.Errorf("holder %s of %s: %w", h.Name(), b.name, err)
			}
			hb, err := readSysDev(dir)
			if err != nil {
				return err
			}
			if err := add(hb, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(d, 0); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", d.name, err)
	}
	for _, ent := range entries {
		dir := filepath.Join(d.dir, ent.Name())
		if !ent.IsDir() || !isPartition(dir) {
			continue
		}
		pb, err := readSysDev(dir)
		if err != nil {
			return nil, err
		}
		if err := add(pb, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// underlyingDisks returns the whole disks a device is built from: itself
// or its disk for a plain device or partition, the disks of its "slaves"
// for device-mapper and md devices.
func underlyingDisks(b blockDev, depth int) ([]blockDev, error) {
	if depth > 16 {
		return nil, fmt.Errorf("block devices stacked more than 16 deep under %s", b.name)
	}
	slaves, _ := os.ReadDir(filepath.Join(b.dir, "slaves"))
	if len(slaves) == 0 {
		d, err := disk(b)
		if err != nil {
			return nil, err
		}
		return []blockDev{d}, nil
	}
	var out []blockDev
	for _, s := range slaves {
		dir, err := filepath.EvalSymlinks(filepath.Join(b.dir, "slaves", s.Name()))
		if err != nil {
			return nil, fmt.Errorf("slave %s of %s: %w", s.Name(), b.name, err)
		}
		sb, err := readSysDev(dir)
		if err != nil {
			return nil, err
		}
		disks, err := underlyingDisks(sb, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, disks...)
	}
	return out, nil
}

// Check decides whether target may be overwritten with image, and says why
// not: it must be a block device or a regular file (existing or to be
// created), not the image itself, not the disk the running system is on,
// and neither it, nor a partition of it, nor anything stacked on those may
// be mounted.
func (e Env) Check(target, image string) (Target, error) {
	imageInfo, err := e.stat(image)
	if err != nil {
		return Target{}, fmt.Errorf("image: %w", err)
	}
	t := Target{Path: target, Resolved: target}
	resolved, err := filepath.EvalSymlinks(target)
	switch {
	case err == nil:
		t.Resolved = resolved
	case errors.Is(err, os.ErrNotExist):
		if fi, lerr := os.Lstat(target); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return t, fmt.Errorf("%w: %s is a symlink to nothing", ErrBadTarget, target)
		}
		if _, derr := os.Stat(filepath.Dir(target)); derr != nil {
			return t, fmt.Errorf("target directory: %w", derr)
		}
		return t, nil // a new file
	default:
		return t, fmt.Errorf("resolve target %s: %w", target, err)
	}
	fi, err := e.stat(t.Resolved)
	if err != nil {
		return t, fmt.Errorf("target: %w", err)
	}
	if fi.Mode().IsRegular() {
		if os.SameFile(fi, imageInfo) {
			return t, fmt.Errorf("%w: %s and %s are the same file", ErrSameFile, target, image)
		}
		return t, e.checkFileInUse(t, fi)
	}
	dev, ok := devOf(fi)
	if !ok {
		return t, fmt.Errorf("%w: %s is a %s", ErrBadTarget, target, describeMode(fi.Mode()))
	}
	t.Block, t.Dev = true, dev
	b, err := e.sysBlock(dev)
	if err != nil {
		return t, fmt.Errorf("target %s: %w", target, err)
	}
	t.Name = b.name
	return t, e.checkBlock(t, b, imageInfo, 0)
}

func describeMode(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeCharDevice != 0:
		return "character device"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	}
	return "special file (" + m.String() + ")"
}

func (e Env) checkBlock(t Target, b blockDev, imageInfo os.FileInfo, depth int) error {
	if imgDev, ok := devOf(imageInfo); ok && imgDev == b.dev {
		return fmt.Errorf("%w: the image is block device %s, the target too", ErrSameFile, b.name)
	}
	d, err := disk(b)
	if err != nil {
		return fmt.Errorf("target %s: %w", t.Path, err)
	}
	if err := e.checkRoot(t, d); err != nil {
		return err
	}
	fam, err := family(d)
	if err != nil {
		return fmt.Errorf("target %s: %w", t.Path, err)
	}
	if err := e.checkMounted(t, fam); err != nil {
		return err
	}
	// A loop device writes through to its backing file or device: that
	// must not be the image, nor a device that fails these checks.
	for _, m := range fam {
		if err := e.checkLoopBacking(t, m, imageInfo, depth); err != nil {
			return err
		}
	}
	return nil
}

func (e Env) checkRoot(t Target, d blockDev) error {
	root, err := e.RootDevice()
	if errors.Is(err, ErrNoRootDevice) {
		// Nothing to protect beyond the mount check (a live system or
		// container on an overlay): say so and go on.
		fmt.Fprintf(e.out(), "note: %v; relying on the mount check\n", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot tell which disk holds the running system, refusing to write to a block device: %w", err)
	}
	rb, err := e.sysBlock(root)
	if err != nil {
		return fmt.Errorf("root device: %w", err)
	}
	disks, err := underlyingDisks(rb, 0)
	if err != nil {
		return fmt.Errorf("root device %s: %w", rb.name, err)
	}
	for _, rd := range disks {
		if rd.dir == d.dir {
			return fmt.Errorf("%w: %s is /dev/%s, and / is mounted from /dev/%s on it", ErrRootDisk, t.Path, d.name, rb.name)
		}
	}
	return nil
}

func (e Env) checkMounted(t Target, fam []blockDev) error {
	byDev := map[Dev]string{}
	byName := map[string]bool{}
	for _, m := range fam {
		byDev[m.dev] = m.name
		byName[m.name] = true
	}
	// sourceName is the kernel name of a mount's source device, if it is
	// a /dev path (/dev/mapper/x resolves to /dev/dm-0).
	sourceName := func(src string) string {
		if !strings.HasPrefix(src, "/dev/") {
			return ""
		}
		if r, err := filepath.EvalSymlinks(src); err == nil {
			src = r
		}
		return filepath.Base(src)
	}
	infos, err := readMountInfo(e.MountInfo)
	if err != nil {
		return fmt.Errorf("cannot tell whether %s is mounted, refusing: %w", t.Path, err)
	}
	for _, m := range infos {
		if name, ok := byDev[m.Dev]; ok {
			return fmt.Errorf("%w: /dev/%s (%s) is mounted on %s; unmount it first", ErrMounted, name, m.Dev, m.MountPoint)
		}
		if name := sourceName(m.Source); byName[name] {
			return fmt.Errorf("%w: /dev/%s is mounted on %s; unmount it first", ErrMounted, name, m.MountPoint)
		}
	}
	list, err := readMounts(e.Mounts)
	if err != nil {
		return fmt.Errorf("cannot tell whether %s is mounted, refusing: %w", t.Path, err)
	}
	for _, m := range list {
		if name := sourceName(m.Source); byName[name] {
			return fmt.Errorf("%w: /dev/%s is mounted on %s; unmount it first", ErrMounted, name, m.MountPoint)
		}
	}
	return nil
}

// loopBacking returns the backing file of a loop device, "" if b is not
// an attached loop device.
func loopBacking(b blockDev) string {
	data, err := os.ReadFile(filepath.Join(b.dir, "loop", "backing_file"))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(strings.TrimSpace(string(data)), " (deleted)")
}

func (e Env) checkLoopBacking(t Target, b blockDev, imageInfo os.FileInfo, depth int) error {
	backing := loopBacking(b)
	if backing == "" {
		return nil
	}
	fi, err := e.stat(backing)
	if err != nil {
		return nil // deleted backing file: nobody else can see it
	}
	if os.SameFile(fi, imageInfo) {
		return fmt.Errorf("%w: %s is /dev/%s, whose backing file %s is the image", ErrSameFile, t.Path, b.name, backing)
	}
	dev, ok := devOf(fi)
	if !ok {
		return nil
	}
	if depth > 8 {
		return fmt.Errorf("target %s: loop devices nested more than 8 deep", t.Path)
	}
	bb, err := e.sysBlock(dev)
	if err != nil {
		return fmt.Errorf("target %s: backing device of /dev/%s: %w", t.Path, b.name, err)
	}
	if err := e.checkBlock(t, bb, imageInfo, depth+1); err != nil {
		return fmt.Errorf("/dev/%s is backed by %s: %w", b.name, backing, err)
	}
	return nil
}

// checkFileInUse refuses a regular file that backs a loop device that is
// in use, since writing the file changes a mounted file system under it.
func (e Env) checkFileInUse(t Target, fi os.FileInfo) error {
	loops, _ := filepath.Glob(filepath.Join(e.Sys, "block", "loop*"))
	for _, l := range loops {
		dir, err := filepath.EvalSymlinks(l)
		if err != nil {
			continue
		}
		b := blockDev{dir: dir, name: filepath.Base(dir)}
		backing := loopBacking(b)
		if backing == "" {
			continue
		}
		bfi, err := e.stat(backing)
		if err != nil || !os.SameFile(fi, bfi) {
			continue
		}
		lb, err := readSysDev(dir)
		if err != nil {
			return fmt.Errorf("target %s: %w", t.Path, err)
		}
		fam, err := family(lb)
		if err != nil {
			return fmt.Errorf("target %s: %w", t.Path, err)
		}
		if err := e.checkMounted(t, fam); err != nil {
			return fmt.Errorf("%s backs /dev/%s: %w", t.Path, lb.name, err)
		}
	}
	return nil
}
