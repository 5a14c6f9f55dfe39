package netstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FS is the part of a filesystem the store uses, rooted at the data
// partition. Names are slash-separated and relative ("config/network.json").
// It is an interface so tests can stand in a filesystem that fails, or
// loses power, at any single step of a write.
type FS interface {
	// OpenFile is os.OpenFile. Opening a directory read-only must work, so
	// the directory can be synced.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// Rename atomically replaces newname with oldname (rename(2)).
	Rename(oldname, newname string) error
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
}

// DirFS returns the real filesystem below root (the data partition's
// mount point, e.g. /data; a t.TempDir in tests).
func DirFS(root string) FS { return dirFS(root) }

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
		// Return a nil interface, not a typed nil *os.File.
		return nil, err
	}
	return f, nil
}

func (d dirFS) Rename(oldname, newname string) error {
	o, err := d.path(oldname)
	if err != nil {
		return err
	}
	n, err := d.path(newname)
	if err != nil {
		return err
	}
	return os.Rename(o, n)
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

// readFile reads a whole file.
func readFile(fsys FS, name string) ([]byte, error) {
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

// writeAtomic replaces name with data so that a power cut at any instant
// leaves either the old file or the new one, never a mix or an empty file:
// write a temporary file beside it, fsync it (the data is on disk before
// any name points at it), rename it over name (atomic), then fsync the
// directory (the rename itself is on disk before we report success).
func writeAtomic(fsys FS, name string, data []byte, perm fs.FileMode) (err error) {
	dir := pathDir(name)
	tmp := name + ".tmp"
	if err := fsys.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	// A fixed temporary name: a leftover from an earlier crash is simply
	// truncated and reused, so crashes do not accumulate files.
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			// Best effort: the file is incomplete, and may hold a sealed
			// secret; a failure here changes nothing about err.
			fsys.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := fsys.Rename(tmp, name); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp, name, err)
	}
	return syncDir(fsys, dir)
}

// removeDurably removes name, if present, and syncs its directory so the
// removal survives a power cut.
func removeDurably(fsys FS, name string) error {
	if err := fsys.Remove(name); err != nil {
		if isNotExist(err) {
			return nil
		}
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return syncDir(fsys, pathDir(name))
}

func syncDir(fsys FS, dir string) error {
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

func pathDir(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[:i]
		}
	}
	return "."
}

func isNotExist(err error) bool { return err != nil && errors.Is(err, fs.ErrNotExist) }
