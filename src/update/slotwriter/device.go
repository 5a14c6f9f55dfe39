package slotwriter

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Devices are the two slots opened for an install: the idle one read-write,
// the running one read-only (the source of a delta's local chunks).
type Devices struct {
	Idle, Running         *os.File
	IdleSize, RunningSize int64
}

// OpenDevices opens the idle slot's path read-write and the running slot's
// read-only, and refuses (ErrSameDevice) when they are one device: the
// same file, or block device nodes with one device number (a second node,
// a symbolic link such as /dev/disk/by-partlabel/...). Each must be a
// block device or a regular file (tests); neither is created.
func OpenDevices(idle, running string) (*Devices, error) {
	r, err := os.Open(running)
	if err != nil {
		return nil, fmt.Errorf("running slot: %w", err)
	}
	w, err := os.OpenFile(idle, os.O_RDWR, 0)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("idle slot: %w", err)
	}
	d := &Devices{Idle: w, Running: r}
	if err := d.check(idle, running); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Devices) check(idle, running string) error {
	wi, err := d.Idle.Stat()
	if err != nil {
		return fmt.Errorf("idle slot: %w", err)
	}
	ri, err := d.Running.Stat()
	if err != nil {
		return fmt.Errorf("running slot: %w", err)
	}
	for _, c := range []struct {
		path string
		fi   os.FileInfo
	}{{idle, wi}, {running, ri}} {
		if m := c.fi.Mode(); !m.IsRegular() && (m&os.ModeDevice == 0 || m&os.ModeCharDevice != 0) {
			return fmt.Errorf("slot %s is neither a block device nor a file (%v)", c.path, m.Type())
		}
	}
	if os.SameFile(wi, ri) {
		return fmt.Errorf("%s and %s: %w", idle, running, ErrSameDevice)
	}
	if wd, ok := rdev(wi); ok {
		if rd, ok := rdev(ri); ok && wd == rd {
			return fmt.Errorf("%s and %s are both device %d:%d: %w", idle, running, unix.Major(wd), unix.Minor(wd), ErrSameDevice)
		}
	}
	if d.IdleSize, err = size(d.Idle); err != nil {
		return fmt.Errorf("idle slot %s: %w", idle, err)
	}
	if d.RunningSize, err = size(d.Running); err != nil {
		return fmt.Errorf("running slot %s: %w", running, err)
	}
	return nil
}

// rdev is the device number of a block device node.
func rdev(fi os.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || fi.Mode()&os.ModeDevice == 0 {
		return 0, false
	}
	return uint64(st.Rdev), true
}

// size is a file's or block device's size (a block device's Stat says 0).
func size(f *os.File) (int64, error) {
	n, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return n, nil
}

// Close closes both.
func (d *Devices) Close() error {
	return errors.Join(d.Idle.Close(), d.Running.Close())
}

// dropCache asks the kernel to forget its cached pages of dev's first n
// bytes, so a read-back reads the medium. It is advice: written pages
// that are clean (fsynced) are dropped; a device without a descriptor
// (tests' in-memory devices) is read as it is.
func dropCache(dev io.ReaderAt, n int64) {
	if f, ok := dev.(interface{ Fd() uintptr }); ok {
		_ = unix.Fadvise(int(f.Fd()), 0, n, unix.FADV_DONTNEED)
	}
}

// startWriteback starts writing a file's dirty pages to the medium without
// waiting (sync_file_range), so the fsync of the next commit finds most of
// them written: the kernel's own writeback would start later, and the
// commit would wait for all of them. Advice only, like dropCache.
func startWriteback(dev io.WriterAt, off, n int64) {
	if f, ok := dev.(interface{ Fd() uintptr }); ok {
		_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
	}
}
