package privdrop

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// DirMode is the mode of a daemon's directory on the data partition: its
// own, and nobody else's.
const DirMode fs.FileMode = 0o700

// Prepared says what PrepareDir did.
type Prepared struct {
	// Moved are the entries of an earlier release moved into the
	// directory (each left behind as a symbolic link into it).
	Moved []string
	// Chowned counts the entries whose owner was changed to the daemon.
	Chowned int
	// Skipped are entries left as they were, with why (a hard-linked
	// file, an entry of an earlier release that is in the way).
	Skipped []string
}

// PrepareDir makes root/name (the data partition's /data/netmgrd) the
// directory of the daemon running as uid:gid: created if missing, mode
// DirMode, and every entry in it owned by uid:gid, so that files written
// by root (the release before the daemon had a user of its own, or an
// older slot the box fell back to) are the daemon's again.
//
// migrate names directories of earlier releases directly under root
// ("config") that now live in root/name: each is moved there and replaced
// by a symbolic link to its new place ("config" -> "netmgrd/config"), so
// that an older slot the box falls back to, whose daemons run as root
// with the old paths, still finds its files. A power cut between the move
// and the link is mended the next time (a link is made for every entry
// of migrate that exists in the new place and is missing in the old).
//
// Nothing is followed through a symbolic link, and a regular file with
// more than one link is not given away (it may be a link to a file that
// is not the daemon's).
func PrepareDir(root, name string, uid, gid uint32, migrate []string) (Prepared, error) {
	var p Prepared
	if name == "" || strings.ContainsRune(name, '/') || name == "." || name == ".." {
		return p, fmt.Errorf("data directory %q: want one name under %s", name, root)
	}
	dir := filepath.Join(root, name)
	if err := ownDir(dir, uid, gid); err != nil {
		return p, err
	}
	var errs []error
	for _, e := range migrate {
		if e == "" || strings.ContainsRune(e, '/') || e == "." || e == ".." || e == name {
			errs = append(errs, fmt.Errorf("migrate %q into %s: want one name under %s", e, dir, root))
			continue
		}
		moved, skip, err := migrateEntry(root, name, e)
		if err != nil {
			errs = append(errs, err)
		}
		if moved {
			p.Moved = append(p.Moved, e)
		}
		if skip != "" {
			p.Skipped = append(p.Skipped, skip)
		}
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no owner in its file info", path)
		}
		if st.Uid == uid && st.Gid == gid {
			return nil
		}
		if fi.Mode().IsRegular() && st.Nlink > 1 {
			p.Skipped = append(p.Skipped, fmt.Sprintf("%s: %d hard links, owner %d:%d kept", path, st.Nlink, st.Uid, st.Gid))
			return nil
		}
		if !fi.Mode().IsRegular() && !fi.IsDir() && fi.Mode()&fs.ModeSymlink == 0 {
			p.Skipped = append(p.Skipped, fmt.Sprintf("%s: a %v, owner %d:%d kept", path, fi.Mode().Type(), st.Uid, st.Gid))
			return nil
		}
		if err := os.Lchown(path, int(uid), int(gid)); err != nil {
			return err
		}
		p.Chowned++
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("data directory %s: give its files to %d:%d: %w", dir, uid, gid, err))
	}
	return p, errors.Join(errs...)
}

// ownDir makes dir a directory (not a link to one) owned by uid:gid with
// DirMode.
func ownDir(dir string, uid, gid uint32) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(dir, DirMode); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		fi, err = os.Lstat(dir)
	}
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data directory %s: is a %v, not a directory", dir, fi.Mode().Type())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Uid != uid || st.Gid != gid {
		if err := os.Lchown(dir, int(uid), int(gid)); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
	}
	if fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != DirMode {
		if err := os.Chmod(dir, DirMode); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
	}
	return nil
}

// migrateEntry moves root/e to root/name/e and links root/e to it.
func migrateEntry(root, name, e string) (moved bool, skipped string, err error) {
	old, dst := filepath.Join(root, e), filepath.Join(root, name, e)
	link := filepath.Join(name, e)
	ofi, oerr := os.Lstat(old)
	_, derr := os.Lstat(dst)
	switch {
	case oerr == nil && ofi.Mode()&fs.ModeSymlink != 0:
		if target, err := os.Readlink(old); err != nil {
			return false, "", fmt.Errorf("migrate %s: %w", old, err)
		} else if target != link {
			return false, fmt.Sprintf("%s: a symbolic link to %s, not %s; left alone", old, target, link), nil
		}
		return false, "", nil
	case oerr == nil && !ofi.IsDir():
		return false, fmt.Sprintf("%s: a %v, not a directory; left alone", old, ofi.Mode().Type()), nil
	case oerr == nil && derr == nil:
		return false, fmt.Sprintf("%s and %s both exist; the old one is left alone", old, dst), nil
	case oerr == nil:
		if !errors.Is(derr, fs.ErrNotExist) {
			return false, "", fmt.Errorf("migrate %s: %w", old, derr)
		}
		if err := os.Rename(old, dst); err != nil {
			return false, "", fmt.Errorf("migrate %s: %w", old, err)
		}
		if err := syncDir(filepath.Dir(dst)); err != nil {
			return false, "", fmt.Errorf("migrate %s: %w", old, err)
		}
		moved = true
	case !errors.Is(oerr, fs.ErrNotExist):
		return false, "", fmt.Errorf("migrate %s: %w", old, oerr)
	case derr != nil:
		// Neither: nothing of an earlier release to keep reachable.
		return false, "", nil
	}
	// The new place exists, the old name does not (just moved, or a power
	// cut came before the link last time).
	if err := os.Symlink(link, old); err != nil {
		return moved, "", fmt.Errorf("migrate %s: link it to %s: %w", old, link, err)
	}
	if err := syncDir(root); err != nil {
		return moved, "", fmt.Errorf("migrate %s: %w", old, err)
	}
	return moved, "", nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
