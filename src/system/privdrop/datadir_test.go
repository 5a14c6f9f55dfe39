package privdrop_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"picket.dev/picket/src/system/privdrop"
)

func owner(t *testing.T, path string) (uid, gid uint32, mode os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid, fi.Mode()
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPrepareDirUpgrade is the data partition of a box upgraded from the
// release whose daemons ran as root, with the network manager's files
// under /data/config and /data/keys: after PrepareDir they are in
// /data/netmgrd, the daemon's, with links left for a fall back to the
// old slot; what is not the daemon's stays where and whose it was.
func TestPrepareDirUpgrade(t *testing.T) {
	needRoot(t)
	data := t.TempDir()
	write(t, filepath.Join(data, "config/network.json"), "{}")
	write(t, filepath.Join(data, "keys/secret.key"), "k")
	write(t, filepath.Join(data, "identity/box.key"), "scanner's")
	write(t, filepath.Join(data, "log/picket.log"), "init's")
	// A file hard-linked from outside the directory (a file the daemon
	// does not own must not become its own through a link).
	write(t, filepath.Join(data, "other"), "x")
	if err := os.Link(filepath.Join(data, "other"), filepath.Join(data, "config/linked")); err != nil {
		t.Fatal(err)
	}
	// A symbolic link in the directory: given to the daemon, not followed.
	if err := os.Symlink("../log/picket.log", filepath.Join(data, "config/sym")); err != nil {
		t.Fatal(err)
	}

	p, err := privdrop.PrepareDir(data, "netmgrd", 4101, 4102, []string{"config", "keys", "spool"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Moved, []string{"config", "keys"}) {
		t.Errorf("moved %v, want config and keys (spool never was)", p.Moved)
	}
	if len(p.Skipped) != 1 {
		t.Errorf("skipped %q, want the hard-linked file only", p.Skipped)
	}
	dir := filepath.Join(data, "netmgrd")
	if u, g, m := owner(t, dir); u != 4101 || g != 4102 || m != os.ModeDir|0o700 {
		t.Errorf("%s: %d:%d %v, want 4101:4102 drwx------", dir, u, g, m)
	}
	for _, f := range []string{"config", "config/network.json", "keys", "keys/secret.key", "config/sym"} {
		if u, g, _ := owner(t, filepath.Join(dir, f)); u != 4101 || g != 4102 {
			t.Errorf("%s: owner %d:%d, want 4101:4102", f, u, g)
		}
	}
	for _, f := range []string{"config/linked", "../log/picket.log", "../identity/box.key", "../identity"} {
		if u, g, _ := owner(t, filepath.Join(dir, f)); u != 0 || g != 0 {
			t.Errorf("%s: owner %d:%d, want root's still", f, u, g)
		}
	}
	// The old names lead to the new place: an older slot's daemons,
	// running as root, read and write there.
	for _, e := range []string{"config", "keys"} {
		if l, err := os.Readlink(filepath.Join(data, e)); err != nil || l != "netmgrd/"+e {
			t.Errorf("/data/%s: link %q, %v; want netmgrd/%s", e, l, err, e)
		}
	}
	if b, err := os.ReadFile(filepath.Join(data, "keys/secret.key")); err != nil || string(b) != "k" {
		t.Errorf("through the old name: %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(data, "spool")); !os.IsNotExist(err) {
		t.Errorf("spool, which never was: %v, want none", err)
	}

	// The old slot ran (as root) and wrote through the link; the next
	// boot gives its file to the daemon, and moves nothing again.
	write(t, filepath.Join(data, "config/network.json.lkg"), "{}")
	p, err = privdrop.PrepareDir(data, "netmgrd", 4101, 4102, []string{"config", "keys"})
	if err != nil || len(p.Moved) != 0 || p.Chowned != 1 {
		t.Errorf("second boot: %+v, %v; want nothing moved, one entry given", p, err)
	}
}

// TestPrepareDirPowerCut: a power cut came between the move and the
// link; the next boot makes the link.
func TestPrepareDirPowerCut(t *testing.T) {
	needRoot(t)
	data := t.TempDir()
	write(t, filepath.Join(data, "netmgrd/config/network.json"), "{}")
	if _, err := privdrop.PrepareDir(data, "netmgrd", 4101, 4101, []string{"config"}); err != nil {
		t.Fatal(err)
	}
	if l, err := os.Readlink(filepath.Join(data, "config")); err != nil || l != "netmgrd/config" {
		t.Errorf("/data/config: link %q, %v", l, err)
	}
}

// TestPrepareDirRefuses: a directory that is a link, or an old entry and
// a new one both there, are not touched.
func TestPrepareDirRefuses(t *testing.T) {
	needRoot(t)
	data := t.TempDir()
	if err := os.Symlink("/etc", filepath.Join(data, "netmgrd")); err != nil {
		t.Fatal(err)
	}
	if _, err := privdrop.PrepareDir(data, "netmgrd", 4101, 4101, nil); err == nil {
		t.Error("a data directory that is a link to /etc: no error")
	}
	if u, _, _ := owner(t, "/etc"); u != 0 {
		t.Fatalf("/etc is now uid %d's", u)
	}

	data = t.TempDir()
	write(t, filepath.Join(data, "config/a"), "old")
	write(t, filepath.Join(data, "scannerd/config/a"), "new")
	p, err := privdrop.PrepareDir(data, "scannerd", 4101, 4101, []string{"config", "../etc"})
	if err == nil {
		t.Error("migrate ../etc: no error")
	}
	if len(p.Moved) != 0 || len(p.Skipped) != 1 {
		t.Errorf("old and new config both there: %+v, want it skipped", p)
	}
	if b, _ := os.ReadFile(filepath.Join(data, "config/a")); string(b) != "old" {
		t.Errorf("the old entry: %q", b)
	}
}

// TestGrant gives a device node to a daemon, and refuses what is not one.
func TestGrant(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	node := filepath.Join(dir, "ttyX")
	// /dev/null's numbers: a character device any test may make.
	if err := syscall.Mknod(node, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Fatal(err)
	}
	changed, err := privdrop.Grant(node, 4104, 4105, true)
	if err != nil || !changed {
		t.Fatalf("Grant: %v, %v", changed, err)
	}
	if u, g, m := owner(t, node); u != 4104 || g != 4105 || m.Perm() != 0o600 {
		t.Errorf("granted: %d:%d %v, want 4104:4105 0600", u, g, m)
	}
	if changed, err := privdrop.Grant(node, 4104, 4105, true); err != nil || changed {
		t.Errorf("again: %v, %v; want no change", changed, err)
	}
	if _, err := privdrop.Grant(node, 4104, 4105, false); err != nil {
		t.Fatal(err)
	}
	if _, _, m := owner(t, node); m.Perm() != 0o400 {
		t.Errorf("read only: %v, want 0400", m)
	}
	file := filepath.Join(dir, "file")
	write(t, file, "")
	link := filepath.Join(dir, "link")
	os.Symlink(node, link)
	for _, p := range []string{file, link} {
		if _, err := privdrop.Grant(p, 4104, 4105, true); err == nil {
			t.Errorf("Grant %s: no error", p)
		}
	}
	if _, err := privdrop.Grant(filepath.Join(dir, "absent"), 4104, 4105, true); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Grant of a missing node: %v, want not exist", err)
	}
}
