package atomicfile_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/testkit/crashfs"
)

var (
	oldData = bytes.Repeat([]byte("old content, "), 50)
	newData = bytes.Repeat([]byte("NEW CONTENT! "), 80)
)

// TestPowerCut cuts the power at every step of a write, and just after
// it returned, under every model of what survives, and reads the file
// back: it must hold the old or the new content, whole, with its mode,
// never a mix or a truncated file; once the write returned, the new one.
// No cut may leave more than the one fixed temporary file, and the next
// write after the power comes back must succeed and leave none.
func TestPowerCut(t *testing.T) {
	for _, tc := range []struct {
		name   string
		old    []byte // nil: no file before
		write  func(atomicfile.FS, string, []byte, fs.FileMode) error
		noTemp bool
	}{
		{"replace", oldData, atomicfile.WriteFS, true},
		{"create", nil, atomicfile.WriteFS, true},
		{"create new", nil, atomicfile.WriteNewFS, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const name, mode = "state/file.json", fs.FileMode(0o640)
			setup := func() *crashfs.FS {
				m := crashfs.New()
				if err := m.MkdirAll("state", 0o700); err != nil {
					t.Fatal(err)
				}
				if tc.old != nil {
					if err := atomicfile.WriteFS(m, name, tc.old, mode); err != nil {
						t.Fatal(err)
					}
				}
				return m
			}
			m := setup()
			start := m.Ops
			if err := tc.write(m, name, newData, mode); err != nil {
				t.Fatal(err)
			}
			steps := m.Ops - start
			if steps < 6 {
				t.Fatalf("the write took %d steps (%v): too few to be the whole protocol", steps, m.Log[start:])
			}
			seen := map[string]bool{}
			for k := 1; k <= steps+1; k++ {
				m := setup()
				m.FailAt = m.Ops + k
				err := tc.write(m, name, newData, mode)
				if k <= steps && !errors.Is(err, crashfs.ErrCrash) {
					t.Fatalf("cut at step %d (%s): err = %v, want the cut", k, m.Log[len(m.Log)-1], err)
				}
				if k > steps && err != nil {
					t.Fatalf("write failed without a cut: %v", err)
				}
				for _, v := range crashfs.Variants {
					rec := m.AfterPowerCut(v)
					where := func() string {
						if k > steps {
							return "cut after the write returned"
						}
						return "cut at step " + m.Log[len(m.Log)-1]
					}() + ", files " + strings.Join(rec.Names(), " ")
					got, err := atomicfile.ReadFile(rec, name)
					switch {
					case errors.Is(err, fs.ErrNotExist) && tc.old == nil:
						seen["absent"] = true
					case err != nil:
						t.Errorf("%s %+v: read: %v", where, v, err)
						continue
					case bytes.Equal(got, tc.old):
						seen["old"] = true
					case bytes.Equal(got, newData):
						seen["new"] = true
					default:
						t.Errorf("%s %+v: file holds %d bytes, neither the old nor the new content", where, v, len(got))
						continue
					}
					if err == nil {
						if got, _ := rec.Mode(name); got != mode {
							t.Errorf("%s %+v: mode %v, want %v", where, v, got, mode)
						}
					}
					if k > steps && !bytes.Equal(got, newData) {
						t.Errorf("%s %+v: the write returned but the file does not hold the new content", where, v)
					}
					if n := len(rec.Names()); n > 2 {
						t.Errorf("%s %+v: %d files, want the file and at most one temporary", where, v, n)
					}
					// The next write after the power came back succeeds
					// and cleans up.
					if err := atomicfile.WriteFS(rec, name, []byte("again"), mode); err != nil {
						t.Errorf("%s %+v: write after recovery: %v", where, v, err)
					} else if names := strings.Join(rec.Names(), " "); names != name {
						t.Errorf("%s %+v: after the next write the files are %s, want only %s", where, v, names, name)
					}
				}
			}
			if !seen["new"] || !seen["old"] && !seen["absent"] {
				t.Errorf("outcomes %v: the cuts never showed both the state before and after", seen)
			}
		})
	}
}

// failFS fails Write of the file named bad, after writing half of the
// data: a disk that fills up part way.
type failFS struct {
	atomicfile.FS
	bad string
}

type failFile struct{ atomicfile.File }

var errFull = syscall.ENOSPC

func (f failFile) Write(p []byte) (int, error) {
	n, _ := f.File.Write(p[:len(p)/2])
	return n, errFull
}

func (f failFS) OpenFile(name string, flag int, perm fs.FileMode) (atomicfile.File, error) {
	file, err := f.FS.OpenFile(name, flag, perm)
	if err == nil && name == f.bad {
		return failFile{file}, nil
	}
	return file, err
}

// TestFailedWriteKeepsOld fails a write part way on the real file system:
// the old file is untouched and no temporary file is left.
func TestFailedWriteKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "grubenv")
	if err := atomicfile.Write(path, oldData, 0o644); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.WriteFS(failFS{atomicfile.Dir(dir), atomicfile.TempName("grubenv")}, "grubenv", newData, 0o644)
	if !errors.Is(err, errFull) || !strings.Contains(err.Error(), ".grubenv.tmp") {
		t.Fatalf("err = %v, want the write's ENOSPC naming the temporary file", err)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, oldData) {
		t.Errorf("after the failed write the file holds %d bytes (%v), want the old %d", len(got), err, len(oldData))
	}
	assertEntries(t, dir, "grubenv")
}

// TestModeAndLeftovers checks the real file system: the mode is exactly
// perm whatever the umask, an earlier run's leftover temporary file is
// replaced, and a symbolic link planted at the temporary name is not
// followed.
func TestModeAndLeftovers(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "resolv.conf")
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, ".resolv.conf.tmp")); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(path, newData, 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o644 {
		t.Errorf("mode %v under umask 077, want -rw-r--r--", fi.Mode())
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the write followed the link planted at the temporary name: victim holds %q", b)
	}
	assertEntries(t, dir, "resolv.conf")
	// A second write with another mode changes the mode too.
	if err := atomicfile.Write(path, oldData, 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode() != 0o600 {
		t.Errorf("mode after rewrite %v, want -rw-------", fi.Mode())
	}
}

// TestWriteNew refuses to replace a file, and leaves nothing behind.
func TestWriteNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "release.key")
	if err := atomicfile.WriteNew(path, oldData, 0o600); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.WriteNew(path, newData, 0o600)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteNew: err = %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, oldData) {
		t.Errorf("the refused WriteNew changed the file")
	}
	assertEntries(t, dir, "release.key")
	if fi, _ := os.Stat(path); fi.Mode() != 0o600 {
		t.Errorf("mode %v, want -rw-------", fi.Mode())
	}
}

func TestDirRefusesEscape(t *testing.T) {
	if _, err := atomicfile.Dir(t.TempDir()).OpenFile("../escape", os.O_RDONLY, 0); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("a name outside the root: err = %v, want fs.ErrInvalid", err)
	}
}

func TestTempName(t *testing.T) {
	for name, want := range map[string]string{"a.json": ".a.json.tmp", "config/network.json": "config/.network.json.tmp"} {
		if got := atomicfile.TempName(name); got != want {
			t.Errorf("TempName(%q) = %q, want %q", name, got, want)
		}
	}
}

func assertEntries(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("%s holds %v, want %v (no temporary files left)", dir, names, want)
	}
}

// TestWriteFrom: a streamed write replaces the file with what fill wrote,
// mode as asked; a fill that fails leaves the old file and no temporary.
func TestWriteFrom(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	if err := atomicfile.WriteFrom(path, func(w io.Writer) error {
		_, err := io.Copy(w, strings.NewReader(strings.Repeat("x", 1<<20)))
		return err
	}, 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Size() != 1<<20 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("written: %v, %v; want 1 MiB, mode 0600", fi, err)
	}
	errCut := errors.New("the stream broke")
	err = atomicfile.WriteFrom(path, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return errCut
	}, 0o600)
	if !errors.Is(err, errCut) {
		t.Errorf("failed fill: %v, want its error", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 1<<20 {
		t.Errorf("the old file after a failed fill: %v, %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".backup.db.tmp")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary file left: %v", err)
	}
}
