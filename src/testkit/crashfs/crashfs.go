// Package crashfs is an in-memory atomicfile.FS that models what survives
// a power cut, for tests that cut the power at every step of a write and
// check what the files read back as afterwards (package atomicfile, and
// the stores built on it). It is test-only.
package crashfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"

	"picket.dev/picket/src/base/atomicfile"
)

// FS is an in-memory file system that models what survives a power cut:
//
//   - a file's data is durable only up to its last Sync; what was written
//     after it is lost, or torn (half of it kept), at a crash;
//   - a directory entry (create, rename, remove) is durable only once its
//     directory is synced; unsynced entries are all lost, or all kept;
//   - directories themselves are durable when made (a simplification: the
//     writers sync the parent of every file they touch, not of new
//     directories; a lost directory reads as "not stored yet");
//   - a new file's mode is perm &^ 0o077, as under a strict umask, so a
//     writer that relies on the create mode instead of Chmod is caught; a
//     mode, once set, is durable (a simplification).
//
// It can also fail at the n-th operation: set FailAt, and that operation
// and every later one return ErrCrash, as if the power went at that
// instant. Ops counts the operations so far and Log names them.
type FS struct {
	// FailAt is the operation that crashes: 0 never, n the n-th one.
	FailAt int
	// Ops is the number of operations so far (the crashed one included).
	Ops int
	// Log names every operation so far, for test messages.
	Log []string

	mu      sync.Mutex
	live    map[string]*inode // path -> file, as the running system sees it
	durable map[string]*inode // path -> file, as of the last directory syncs
	dirs    map[string]bool
	crashed bool
}

type inode struct {
	data   []byte // what reads see
	synced []byte // what survives a power cut
	mode   fs.FileMode
}

// ErrCrash is what every operation returns from the cut on.
var ErrCrash = errors.New("crashfs: power cut")

// New returns an empty file system holding only its root directory ".".
func New() *FS {
	return &FS{live: map[string]*inode{}, durable: map[string]*inode{}, dirs: map[string]bool{".": true}}
}

// step counts one operation and says whether it may run.
func (m *FS) step(name string) error {
	if m.crashed {
		return ErrCrash
	}
	m.Ops++
	m.Log = append(m.Log, name)
	if m.FailAt != 0 && m.Ops >= m.FailAt {
		m.crashed = true
		return ErrCrash
	}
	return nil
}

// Variant is one model of what a power cut keeps of what was not synced.
type Variant struct {
	KeepEntries bool // unsynced directory entries: kept (true) or lost
	TornData    bool // unsynced file data: half kept (true) or all lost
}

// Variants are all the models; a test checks each.
var Variants = []Variant{{false, false}, {false, true}, {true, false}, {true, true}}

// AfterPowerCut returns the filesystem as it is after the power comes
// back: only what the variant keeps of unsynced state, then nothing else
// in memory. Inodes are copied, so the result shares nothing with m.
func (m *FS) AfterPowerCut(v Variant) *FS {
	m.mu.Lock()
	defer m.mu.Unlock()
	entries := m.durable
	if v.KeepEntries {
		entries = m.live
	}
	n := New()
	for d := range m.dirs {
		n.dirs[d] = true
	}
	copies := map[*inode]*inode{}
	for p, ino := range entries {
		c, ok := copies[ino]
		if !ok {
			data := ino.synced
			if v.TornData && !bytes.Equal(ino.data, ino.synced) {
				data = ino.data[:len(ino.data)/2]
			}
			data = bytes.Clone(data)
			c = &inode{data: data, synced: bytes.Clone(data), mode: ino.mode}
			copies[ino] = c
		}
		n.live[p] = c
		n.durable[p] = c
	}
	return n
}

// OpenFile implements atomicfile.FS.
func (m *FS) OpenFile(name string, flag int, perm fs.FileMode) (atomicfile.File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step("open " + name); err != nil {
		return nil, err
	}
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if m.dirs[name] {
		return &memFile{fs: m, dir: name}, nil
	}
	if !m.dirs[dir(name)] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	ino, ok := m.live[name]
	switch {
	case ok && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case !ok && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case !ok:
		ino = &inode{mode: perm.Perm() &^ 0o077}
		m.live[name] = ino
	case flag&os.O_TRUNC != 0:
		ino.data = nil
	}
	return &memFile{fs: m, ino: ino, name: name, writable: flag&(os.O_WRONLY|os.O_RDWR) != 0}, nil
}

// Rename implements atomicfile.FS.
func (m *FS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step("rename " + oldname + " " + newname); err != nil {
		return err
	}
	ino, ok := m.live[oldname]
	if !ok {
		return &fs.PathError{Op: "rename", Path: oldname, Err: fs.ErrNotExist}
	}
	delete(m.live, oldname)
	m.live[newname] = ino
	return nil
}

// Link implements atomicfile.FS.
func (m *FS) Link(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step("link " + oldname + " " + newname); err != nil {
		return err
	}
	ino, ok := m.live[oldname]
	if !ok {
		return &fs.PathError{Op: "link", Path: oldname, Err: fs.ErrNotExist}
	}
	if _, ok := m.live[newname]; ok {
		return &fs.PathError{Op: "link", Path: newname, Err: fs.ErrExist}
	}
	m.live[newname] = ino
	return nil
}

// Remove implements atomicfile.FS.
func (m *FS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step("remove " + name); err != nil {
		return err
	}
	if _, ok := m.live[name]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(m.live, name)
	return nil
}

// MkdirAll implements atomicfile.FS.
func (m *FS) MkdirAll(name string, perm fs.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step("mkdir " + name); err != nil {
		return err
	}
	for d := name; d != "." && d != ""; d = dir(d) {
		m.dirs[d] = true
	}
	return nil
}

// Names lists the files as the running system sees them, sorted.
func (m *FS) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for p := range m.live {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

type memFile struct {
	fs       *FS
	ino      *inode // nil for a directory
	dir      string
	name     string
	writable bool
	off      int
	closed   bool
}

func (f *memFile) Read(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.ino == nil {
		return 0, errors.New("crashfs: read of a directory")
	}
	if f.off >= len(f.ino.data) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.data[f.off:])
	f.off += n
	return n, nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.fs.step("write " + f.name); err != nil {
		return 0, err
	}
	if f.ino == nil || !f.writable {
		return 0, errors.New("crashfs: file not open for writing")
	}
	f.ino.data = append(f.ino.data[:f.off], p...)
	f.off += len(p)
	return len(p), nil
}

func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.ino == nil {
		if err := f.fs.step("syncdir " + f.dir); err != nil {
			return err
		}
		// Make this directory's entries durable: adds, renames, removes.
		for p := range f.fs.durable {
			if dir(p) == f.dir {
				delete(f.fs.durable, p)
			}
		}
		for p, ino := range f.fs.live {
			if dir(p) == f.dir {
				f.fs.durable[p] = ino
			}
		}
		return nil
	}
	if err := f.fs.step("sync " + f.name); err != nil {
		return err
	}
	f.ino.synced = bytes.Clone(f.ino.data)
	return nil
}

func (f *memFile) Chmod(mode fs.FileMode) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.fs.step("chmod " + f.name); err != nil {
		return err
	}
	if f.ino == nil {
		return errors.New("crashfs: chmod of a directory")
	}
	f.ino.mode = mode.Perm()
	return nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return errors.New("crashfs: closed twice")
	}
	f.closed = true
	// Closing a read-only file cannot lose data; count only writers, so
	// the crash points are the steps of a write.
	if f.writable {
		return f.fs.step("close " + f.name)
	}
	return nil
}

// Mode is the permission bits of the live file name.
func (m *FS) Mode(name string) (fs.FileMode, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ino, ok := m.live[name]
	if !ok {
		return 0, false
	}
	return ino.mode, true
}

// dir is path.Dir for the FS's relative names ("." at the top).
func dir(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return "."
}
