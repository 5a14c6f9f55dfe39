package privdrop

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Grant makes the device node at path the daemon's: owner uid, group
// gid, mode 0600 when it may write, else 0400 (no one else but root, who
// needs no bits). It reports whether it changed anything. A missing node
// is an error wrapping fs.ErrNotExist (a USB adapter not plugged in yet);
// anything but a character or block device (a symbolic link included) is
// refused, so a grant never reaches a file it was not meant for.
func Grant(path string, uid, gid uint32, write bool) (bool, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return false, fmt.Errorf("grant %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeDevice == 0 {
		return false, fmt.Errorf("grant %s: not a device node (%v)", path, fi.Mode().Type())
	}
	mode := fs.FileMode(0o400)
	if write {
		mode = 0o600
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false, fmt.Errorf("grant %s: no owner in its file info", path)
	}
	changed := false
	if st.Uid != uid || st.Gid != gid {
		if err := os.Lchown(path, int(uid), int(gid)); err != nil {
			return false, fmt.Errorf("grant %s: %w", path, err)
		}
		changed = true
	}
	if fi.Mode().Perm() != mode || fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		if err := os.Chmod(path, mode); err != nil {
			return false, fmt.Errorf("grant %s: %w", path, err)
		}
		changed = true
	}
	return changed, nil
}
