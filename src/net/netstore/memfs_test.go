package netstore

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"sort"
	"sync"
)

// memFS is an in-memory FS that models what survives a power cut, for the
// power-cut tests:
//
//   - a file's data is durable only up to its last Sync; what was written
//     after it is lost, or torn (half of it kept), at a crash;
//   - a directory entry (create, rename, remove) is durable only once its
//     directory is synced; unsynced entries are all lost, or all kept;
//   - directories themselves are durable when made (a simplification: the
//     store syncs the parent of every file it touches, not of new
//     directories; a lost config/ directory reads as "not stored yet").
//
// It can also fail at the n-th operation: that operation and every later
// one return errCrash, as if the power went at that instant.
type memFS struct {
	mu      sync.Mutex
	live    map[string]*inode // path -> file, as the running system sees it
	durable map[string]*inode // path -> file, as of the last directory syncs
	dirs    map[string]bool
	ops     int // operations so far
	failAt  int // 0: never; n: the n-th operation crashes
	crashed bool
	log     []string // operation names, for test messages
}

type inode struct {
	data   []byte // what reads see
	synced []byte // what survives a power cut
	mode   fs.FileMode
}

var errCrash = errors.New("memfs: power cut")

func newMemFS() *memFS {
	return &memFS{live: map[string]*inode{}, durable: map[string]*inode{}, dirs: map[string]bool{".": true}}
}

// step counts one operation and says whether it may run.
func (m *memFS) step(name string) error {
	if m.crashed {
		return errCrash
	}
	m.ops++
	m.log = append(m.log, name)
	if m.failAt != 0 && m.ops >= m.failAt {
		m.crashed = true
		return errCrash
	}
	return nil
}

// Variants of what a power cut keeps of what was not synced.
type crashVariant struct {
	keepEntries bool // unsynced directory entries: kept (true) or lost
	tornData    bool // unsynced file data: half kept (true) or all lost
}

var crashVariants = []crashVariant{{false, false}, {false, true}, {true, false}, {true, true}}

// afterPowerCut returns the filesystem as it is after the power comes
// back: only what the variant keeps of unsynced state, then nothing else
// in memory. Inodes are copied, so the result shares nothing with m.
func (m *memFS) afterPowerCut(v crashVariant) *memFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	entries := m.durable
	if v.keepEntries {
		entries = m.live
	}
	n := newMemFS()
	for d := range m.dirs {
		n.dirs[d] = true
	}
	copies := map[*inode]*inode{}
	for p, ino := range entries {
		c, ok := copies[ino]
		if !ok {
			data := ino.synced
			if v.tornData && !bytes.Equal(ino.data, ino.synced) {
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

func (m *memFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
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
	if !m.dirs[pathDir(name)] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	ino, ok := m.live[name]
	switch {
	case !ok && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case !ok:
		ino = &inode{mode: perm}
		m.live[name] = ino
	case flag&os.O_TRUNC != 0:
		ino.data = nil
	}
	return &memFile{fs: m, ino: ino, name: name, writable: flag&(os.O_WRONLY|os.O_RDWR) != 0}, nil
}

func (m *memFS) Rename(oldname, newname string) error {
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

func (m *memFS) Remove(name string) error {
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

func (m *memFS) MkdirAll(name string, perm fs.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.step("mkdir " + name); err != nil {
		return err
	}
	for d := name; d != "." && d != ""; d = pathDir(d) {
		m.dirs[d] = true
	}
	return nil
}

// names lists the live files, for test messages.
func (m *memFS) names() []string {
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
	fs       *memFS
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
		return 0, errors.New("memfs: read of a directory")
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
		return 0, errors.New("memfs: file not open for writing")
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
			if pathDir(p) == f.dir {
				delete(f.fs.durable, p)
			}
		}
		for p, ino := range f.fs.live {
			if pathDir(p) == f.dir {
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

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return errors.New("memfs: closed twice")
	}
	f.closed = true
	// Closing a read-only file cannot lose data; count only writers, so
	// the crash points are the steps of a write.
	if f.writable {
		return f.fs.step("close " + f.name)
	}
	return nil
}
