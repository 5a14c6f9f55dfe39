package pid1

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// RingLog is a size-bounded log on the data partition: it appends to path
// and, when path would grow past half of Max bytes, renames it to path+".1"
// (dropping the older half) and starts a new file. At most Max bytes are
// kept and the newest output is never lost, so a daemon that logs in a
// loop cannot fill the data partition.
type RingLog struct {
	path string
	max  int64

	mu    sync.Mutex
	f     *os.File // nil once closed
	size  int64
	after io.Writer // where writes go once closed (CloseTo); nil: they fail
}

// errClosed is what a write to a closed ring log without a fallback gets.
var errClosed = errors.New("ring log closed")

// OpenRingLog opens (or continues) the ring log at path keeping at most
// max bytes in total.
func OpenRingLog(path string, max int64) (*RingLog, error) {
	if max < 2 {
		return nil, fmt.Errorf("ring log %s: size %d too small, want at least 2 bytes", path, max)
	}
	r := &RingLog{path: path, max: max}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RingLog) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open ring log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open ring log: %w", err)
	}
	r.f, r.size = f, fi.Size()
	return nil
}

func (r *RingLog) rotate() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("rotate ring log: %w", err)
	}
	if err := os.Rename(r.path, r.path+".1"); err != nil {
		return fmt.Errorf("rotate ring log: %w", err)
	}
	return r.open()
}

// Write appends p (callers write whole lines). A single write larger than
// half the ring keeps only its tail.
func (r *RingLog) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		if r.after == nil {
			return 0, errClosed
		}
		return r.after.Write(p)
	}
	n := len(p)
	half := r.max / 2
	if int64(len(p)) > half {
		p = p[int64(len(p))-half:]
	}
	if r.size+int64(len(p)) > half {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	w, err := r.f.Write(p)
	r.size += int64(w)
	if err != nil {
		return 0, fmt.Errorf("write ring log: %w", err)
	}
	return n, nil
}

// Sync flushes the log to disk (before a reboot).
func (r *RingLog) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	return r.f.Sync()
}

// Close closes the current file; later writes fail. Closing again does
// nothing.
func (r *RingLog) Close() error { return r.CloseTo(nil) }

// CloseTo closes the current file, so that the data partition can be
// unmounted while daemons still write (the panel daemons at a power off),
// and sends later writes to w (the console) instead; nil makes them fail.
func (r *RingLog) CloseTo(w io.Writer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.after = w
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	if err != nil {
		return fmt.Errorf("close ring log: %w", err)
	}
	return nil
}

// ReadRingLog returns what a ring log at path holds, oldest first.
func ReadRingLog(path string) ([]byte, error) {
	old, err := os.ReadFile(path + ".1")
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read ring log: %w", err)
	}
	cur, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read ring log: %w", err)
	}
	return append(old, cur...), nil
}
