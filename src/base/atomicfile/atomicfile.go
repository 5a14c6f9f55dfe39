// Package atomicfile replaces files so that a power cut at any instant
// leaves either the old file or the new one, whole, with its mode: never a
// mix, an empty file or a file with the wrong permissions. Every file the
// box keeps across reboots (network store, box identity, platform link
// state, grubenv, resolver configuration, release keys) is written here.
//
// A write is: a temporary file beside the target (same directory, so the
// rename stays on one file system), its mode set, the data written and
// fsynced (on disk before any name points at it), a rename over the target
// (atomic), then an fsync of the directory (the rename itself is on disk
// before the write reports success). The temporary name is fixed
// (".NAME.tmp"), removed before use and created with O_EXCL: a power cut
// leaves at most one leftover per file, which the next write replaces, and
// a planted symbolic link is never followed.
//
// Only one writer at a time may write a given path; every file here has
// one owning process that serializes its writes.
//
// Why not github.com/google/renameio/v2 (the kept library for this): as of
// v2.0.2 it does not fsync the directory after the rename, so a write it
// reports done can still be lost at a power cut, and it works only on the
// real file system, so the power-cut tests (src/testkit/crashfs) could not
// cut the power between its steps. Wrapping it would still leave a second
// code path for those tests; this package is one path, some forty lines.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FS is the part of a file system a write uses. Names are slash-separated
// and relative to the FS's root ("config/network.json"). It is an
// interface so tests can stand in a file system that loses power at any
// single step (src/testkit/crashfs).
type FS interface {
	// OpenFile is os.OpenFile. Opening a directory read-only must work, so
	// the directory can be synced.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// Rename atomically replaces newname with oldname (rename(2)).
	Rename(oldname, newname string) error
	// Link makes newname a hard link to oldname; it fails, matching
	// fs.ErrExist, when newname exists (link(2)).
	Link(oldname, newname string) error
	// Remove removes a file; removing a missing file returns an error
	// matching fs.ErrNotExist.
	Remove(name string) error
	// MkdirAll is os.MkdirAll.
	MkdirAll(name string, perm fs.FileMode) error
}

// File is an open file: *os.File satisfies it.
type File interface {
	io.ReadWriteCloser
	// Sync is fsync(2): it returns once the file's data, or a directory's
	// entries, are on stable storage.
	Sync() error
	// Chmod sets the permission bits, regardless of the umask.
	Chmod(mode fs.FileMode) error
}

// Dir returns the real file system below root (a data partition's mount
// point; a t.TempDir in tests). Names that leave root are refused.
func Dir(root string) FS { return dirFS(root) }

type dirFS string

func (d dirFS) path(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return filepath.Join(string(d), filepath.FromSlash(name)), nil
}

func (d dirFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, flag, perm)
	if err != nil {
		// A nil interface, not a typed nil *os.File.
		return nil, err
	}
	return f, nil
}

func (d dirFS) Rename(oldname, newname string) error {
	return d.two(oldname, newname, os.Rename)
}

func (d dirFS) Link(oldname, newname string) error {
	return d.two(oldname, newname, os.Link)
}

func (d dirFS) two(a, b string, op func(string, string) error) error {
	pa, err := d.path(a)
	if err != nil {
		return err
	}
	pb, err := d.path(b)
	if err != nil {
		return err
	}
	return op(pa, pb)
}

func (d dirFS) Remove(name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	return os.Remove(p)
}

func (d dirFS) MkdirAll(name string, perm fs.FileMode) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	return os.MkdirAll(p, perm)
}

// Write replaces the file at path (an OS path) with data, mode perm. The
// directory must exist.
func Write(path string, data []byte, perm fs.FileMode) error {
	dir, name := split(path)
	return WriteFS(Dir(dir), name, data, perm)
}

// WriteNew writes data to path, mode perm, only if nothing is there yet:
// the finished temporary file is hard-linked into place, which fails
// (matching fs.ErrExist) if path exists, so a key is never overwritten and
// a reader never sees part of one.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	dir, name := split(path)
	return WriteNewFS(Dir(dir), name, data, perm)
}

// WriteFrom is Write with the data written by fill, for what is too large
// to hold in memory (a copy of a database). An error of fill (returned as
// is) leaves the target as it was.
func WriteFrom(path string, fill func(io.Writer) error, perm fs.FileMode) error {
	dir, name := split(path)
	return writeWith(Dir(dir), name, fill, perm, false)
}

func split(path string) (dir, name string) {
	return filepath.Dir(path), filepath.ToSlash(filepath.Base(path))
}

// WriteFS replaces name in fsys with data, mode perm. Its directory must
// exist. Errors name the step and the file.
func WriteFS(fsys FS, name string, data []byte, perm fs.FileMode) error {
	return write(fsys, name, data, perm, false)
}

// WriteNewFS is WriteNew in fsys.
func WriteNewFS(fsys FS, name string, data []byte, perm fs.FileMode) error {
	return write(fsys, name, data, perm, true)
}

func write(fsys FS, name string, data []byte, perm fs.FileMode, noReplace bool) error {
	return writeWith(fsys, name, func(w io.Writer) error {
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("write %s: %w", TempName(name), err)
		}
		return nil
	}, perm, noReplace)
}

func writeWith(fsys FS, name string, fill func(io.Writer) error, perm fs.FileMode, noReplace bool) (err error) {
	tmp := TempName(name)
	// A leftover of an earlier power cut is dropped; O_EXCL then makes sure
	// the file written is a new one of ours, not something linked there.
	if err := fsys.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove leftover %s: %w", tmp, err)
	}
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			// Best effort: the file is incomplete and may hold a secret; a
			// failure here changes nothing about err.
			fsys.Remove(tmp)
		}
	}()
	// The mode is set before the data and the rename: the target name is
	// never on a file with the umask's permissions.
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if noReplace {
		if err := fsys.Link(tmp, name); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: file exists; refusing to overwrite it: %w", name, err)
			}
			return fmt.Errorf("link %s to %s: %w", tmp, name, err)
		}
		if err := fsys.Remove(tmp); err != nil {
			return fmt.Errorf("remove %s: %w", tmp, err)
		}
	} else if err := fsys.Rename(tmp, name); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp, name, err)
	}
	return SyncDir(fsys, pathDir(name))
}

// TempName is the temporary file a write of name uses: ".BASE.tmp" in the
// same directory.
func TempName(name string) string {
	i := strings.LastIndexByte(name, '/')
	return name[:i+1] + "." + name[i+1:] + ".tmp"
}

// Remove removes name from fsys, if present, and syncs its directory so
// the removal survives a power cut.
func Remove(fsys FS, name string) error {
	if err := fsys.Remove(name); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return SyncDir(fsys, pathDir(name))
}

// ReadFile reads a whole file of fsys.
func ReadFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}

// SyncDir fsyncs directory dir of fsys: entries created, renamed or
// removed in it are on disk when it returns.
func SyncDir(fsys FS, dir string) error {
	d, err := fsys.OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// pathDir is path.Dir for the FS's relative names ("." at the top).
func pathDir(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[:i]
		}
	}
	return "."
}
