package netstore

import (
	"errors"
	"fmt"
	"io/fs"

	"picket.dev/picket/src/base/atomicfile"
)

// FS is the part of a filesystem the store uses, rooted at the data
// partition. Names are slash-separated and relative ("config/network.json").
// Tests stand in one that loses power at any single step of a write
// (src/testkit/crashfs).
type FS = atomicfile.FS

// DirFS returns the real filesystem below root (the data partition's
// mount point, e.g. /data; a t.TempDir in tests).
func DirFS(root string) FS { return atomicfile.Dir(root) }

// readFile reads a whole file.
func readFile(fsys FS, name string) ([]byte, error) { return atomicfile.ReadFile(fsys, name) }

// writeAtomic replaces name with data so that a power cut at any instant
// leaves either the old file or the new one (package atomicfile), creating
// its directory first.
func writeAtomic(fsys FS, name string, data []byte, perm fs.FileMode) error {
	if dir := pathDir(name); dir != "." {
		if err := fsys.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	return atomicfile.WriteFS(fsys, name, data, perm)
}

// removeDurably removes name, if present, and syncs its directory so the
// removal survives a power cut.
func removeDurably(fsys FS, name string) error { return atomicfile.Remove(fsys, name) }

func pathDir(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[:i]
		}
	}
	return "."
}

func isNotExist(err error) bool { return err != nil && errors.Is(err, fs.ErrNotExist) }
