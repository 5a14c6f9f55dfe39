package boards

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/system/e2fs"
	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/testkit/testinput"
)

// e2fsTrees are the Debian architectures of tools/fetch's e2fsprogs
// trees (third_party/_fetched/e2fsprogs-<arch>, @e2fsprogs_<arch>): every
// board's image carries its GOARCH's.
var e2fsTrees = map[string]string{"amd64": "amd64", "arm64": "arm64", "arm": "armhf"}

// TestE2fsprogsForEveryBoard checks the e2fsck and mke2fs each board's
// image carries (rootfs/products.bzl) for the board's architecture: ELF
// files of the architecture whose loader (PT_INTERP) and every library
// they need are in the tree at a path glibc's loader searches without an
// ld.so.cache, and, run with nothing but the tree as their root (qemu
// user mode, -L), they make a data partition with the box's own
// arguments (e2fs.FormatArgs) that their e2fsck then finds clean and the
// host's dumpe2fs reads with e2fs.Features.
func TestE2fsprogsForEveryBoard(t *testing.T) {
	dumpe2fs, err := imagebuild.Tool("dumpe2fs")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range board.Names() {
		b, err := board.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		deb, ok := e2fsTrees[b.GOARCH]
		if !ok {
			t.Fatalf("board %s: no e2fsprogs tree for GOARCH %s", name, b.GOARCH)
		}
		a := arches[b.GOARCH]
		t.Run(name, func(t *testing.T) {
			env := "PICKET_E2FSPROGS_" + strings.ToUpper(deb)
			e2fsck := testinput.Path(t, env, func() string { return testinput.Fetched(t, "e2fsprogs-"+deb+"/sbin/e2fsck") })
			tree := filepath.Dir(filepath.Dir(e2fsck))
			var interp string
			for _, tool := range []string{"e2fsck", "mke2fs"} {
				interp = checkDynamicELF(t, tree, filepath.Join(tree, "sbin", tool), a)
			}
			runner := a.runner
			if runner == "" {
				runner = "qemu-x86_64" // -L: the tree as the root, the host's libraries out of reach
			}
			if _, err := exec.LookPath(runner); err != nil {
				t.Fatalf("%s is needed (tools/fetch installs qemu-user): %v", runner, err)
			}
			img := filepath.Join(t.TempDir(), "data.img")
			if err := os.WriteFile(img, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(img, 64<<20); err != nil {
				t.Fatal(err)
			}
			mkfs := exec.Command(runner, append([]string{"-L", tree, filepath.Join(tree, e2fs.Mke2fs)}, append(e2fs.FormatArgs(e2fs.DataLabel), img)...)...)
			mkfs.Env = []string{"LC_ALL=C", e2fs.NoConfigEnv}
			if out, err := mkfs.CombinedOutput(); err != nil {
				t.Fatalf("the tree's mke2fs (loader %s): %v\n%s", interp, err, out)
			}
			if out, err := exec.Command(runner, "-L", tree, filepath.Join(tree, e2fs.E2fsck), "-f", "-n", img).CombinedOutput(); err != nil {
				t.Fatalf("the tree's e2fsck on its mke2fs's file system: %v\n%s", err, out)
			}
			out, err := exec.Command(dumpe2fs, "-h", img).CombinedOutput()
			if err != nil {
				t.Fatalf("dumpe2fs: %v\n%s", err, out)
			}
			want := "Filesystem features:      " + strings.ReplaceAll(e2fs.Features, ",", " ")
			if !strings.Contains(string(out), want+"\n") {
				t.Errorf("dumpe2fs of the tree's mke2fs's file system lacks %q:\n%s", want, out)
			}
		})
	}
}

// checkDynamicELF checks a binary of the tree: the architecture, its
// loader at the path it names, each library it needs in a directory of
// glibc's default search path. It returns the loader's path.
func checkDynamicELF(t *testing.T, tree, path string, a arch) string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("open ELF: %v", err)
	}
	defer f.Close()
	if f.Class != a.class || f.Machine != a.machine {
		t.Errorf("%s is %v %v, want %v %v", path, f.Class, f.Machine, a.class, a.machine)
	}
	var interp string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				t.Fatal(err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if st, err := os.Stat(filepath.Join(tree, interp)); interp == "" || err != nil || !st.Mode().IsRegular() {
		t.Errorf("%s: loader %q is not a file of the tree: %v", path, interp, err)
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	// glibc's loader searches /lib/<triplet> and /usr/lib/<triplet>
	// (then /lib, /usr/lib) when there is no ld.so.cache. (Stat, not
	// Lstat: under Bazel the tree's files are runfiles symlinks; the
	// image build copies their contents.)
	var dirs []string
	for _, d := range []string{"lib", "usr/lib"} {
		matches, _ := filepath.Glob(filepath.Join(tree, d, "*-linux-gnu*"))
		dirs = append(dirs, matches...)
	}
	for _, lib := range libs {
		found := lib == filepath.Base(interp) // the loader itself, by soname
		for _, d := range dirs {
			if st, err := os.Stat(filepath.Join(d, lib)); err == nil && st.Mode().IsRegular() {
				found = true
			}
		}
		if !found {
			t.Errorf("%s needs %s, which is in none of %v", path, lib, dirs)
		}
	}
	return interp
}
