// Package boards checks what the build produces for every board: each
// daemon is a statically linked ELF file of the board's architecture that
// reports the board it was built for.
//
// Under Bazel the binaries are the outputs of //:all_boards (a data
// dependency). Under the go command the test cross-builds them itself with
// the same link-time stamping, so both builds are held to the same checks.
package boards

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"picket.dev/picket/platforms/board"
)

// daemons must match DAEMONS in platforms/boards.bzl.
var daemons = []string{"consoled", "lcdd", "netmgrd", "scan", "scannerd", "updaterd"}

type arch struct {
	class   elf.Class
	machine elf.Machine
	// runner runs a foreign binary on this host ("" for native).
	runner string
}

var arches = map[string]arch{
	"amd64": {elf.ELFCLASS64, elf.EM_X86_64, ""},
	"arm64": {elf.ELFCLASS64, elf.EM_AARCH64, "qemu-aarch64"},
	"arm":   {elf.ELFCLASS32, elf.EM_ARM, "qemu-arm"},
}

func TestEveryDaemonForEveryBoard(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Fatalf("this test runs on amd64 build hosts only, not %s", runtime.GOARCH)
	}
	dir, version := binaries(t)
	for _, name := range board.Names() {
		b, err := board.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		a, ok := arches[b.GOARCH]
		if !ok {
			t.Fatalf("board %s: no ELF expectations for GOARCH %s", name, b.GOARCH)
		}
		for _, d := range daemons {
			t.Run(name+"/"+d, func(t *testing.T) {
				path := filepath.Join(dir, name, d)
				checkELF(t, path, a)
				checkReports(t, path, a, d, name, version)
			})
		}
	}
}

// hostTools are built for the build machine, not per board (//:host_tools).
var hostTools = []string{"flasher", "imgtool", "platformd", "scan", "slotctl"}

func TestHostTools(t *testing.T) {
	for _, tool := range hostTools {
		t.Run(tool, func(t *testing.T) {
			path := filepath.Join(built.hostDir, tool)
			checkELF(t, path, arches["amd64"])
			checkReports(t, path, arches["amd64"], tool, "virtual", built.version)
		})
	}
}

// TestNothingElseIsBuilt catches a daemon added to the build but not here.
func TestNothingElseIsBuilt(t *testing.T) {
	dir, _ := binaries(t)
	var got []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			got = append(got, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, b := range board.Names() {
		for _, d := range daemons {
			want = append(want, filepath.Join(b, d))
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("built files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func checkELF(t *testing.T, path string, a arch) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("open ELF: %v", err)
	}
	defer f.Close()
	if f.Class != a.class || f.Machine != a.machine {
		t.Errorf("ELF is %v %v, want %v %v", f.Class, f.Machine, a.class, a.machine)
	}
	if f.Type != elf.ET_EXEC {
		t.Errorf("ELF type %v, want ET_EXEC (a static executable, not PIE)", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("has a %v program header: dynamically linked", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("needs shared libraries %v", libs)
	}
	// What file(1) shows as "EABI5": the EABI version in the top byte.
	if a.machine == elf.EM_ARM {
		var hdr [40]byte
		r, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := r.ReadAt(hdr[:], 0); err != nil {
			t.Fatal(err)
		}
		flags := f.ByteOrder.Uint32(hdr[36:40])
		if flags>>24 != 5 {
			t.Errorf("ARM e_flags %#x: EABI version %d, want 5", flags, flags>>24)
		}
	}
}

// checkReports runs the binary (under qemu-user for foreign boards) and
// checks the version line names the program, version and board.
func checkReports(t *testing.T, path string, a arch, prog, boardName, version string) {
	t.Helper()
	args := []string{path, "-version"}
	if a.runner != "" {
		runner, err := exec.LookPath(a.runner)
		if err != nil {
			t.Fatalf("%s is needed to run %s binaries (tools/fetch installs Debian's qemu-user): %v", a.runner, boardName, err)
		}
		args = append([]string{runner}, args...)
	}
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	line := strings.TrimSpace(string(out))
	goarch := map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_ARM: "arm"}[a.machine]
	want := prog + " " + version + " board=" + boardName + " linux/" + goarch
	if line != want {
		t.Errorf("version line %q, want %q", line, want)
	}
}

// built is where <board>/<daemon> are, and the version they report. Set
// once by TestMain, read-only afterwards.
var built struct{ dir, hostDir, version string }

func TestMain(m *testing.M) {
	if srcdir := os.Getenv("TEST_SRCDIR"); srcdir != "" {
		built.dir = filepath.Join(srcdir, os.Getenv("TEST_WORKSPACE"), "all_boards")
		built.hostDir = filepath.Join(srcdir, os.Getenv("TEST_WORKSPACE"), "host_tools")
		v, err := os.ReadFile(filepath.Join(srcdir, os.Getenv("TEST_WORKSPACE"), "tests", "boards", "version.txt"))
		if err != nil || len(strings.TrimSpace(string(v))) == 0 {
			fmt.Fprintf(os.Stderr, "no stamped version (tests/boards:version): %v %q\n", err, v)
			os.Exit(1)
		}
		built.version = strings.TrimSpace(string(v))
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "picket-boards-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if err := goBuild(filepath.Join(dir, "boards"), filepath.Join(dir, "host"), "test-1.2.3"); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		built.dir, built.hostDir, built.version = filepath.Join(dir, "boards"), filepath.Join(dir, "host"), "test-1.2.3"
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func binaries(t *testing.T) (dir, version string) {
	t.Helper()
	return built.dir, built.version
}

// goBuild cross-builds every daemon for every board into dir, and the host
// tools into hostDir, with the go command, stamped the way the Bazel build
// stamps them.
func goBuild(dir, hostDir, version string) error {
	ldflags := "-ldflags=-X picket.dev/picket/src/base/version.version=" + version
	args := []string{"build", "-trimpath", ldflags, "-o", hostDir + "/"}
	for _, tool := range hostTools {
		args = append(args, "picket.dev/picket/src/cmd/"+tool)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build host tools: %v\n%s", err, out)
	}
	for _, name := range board.Names() {
		b, err := board.Lookup(name)
		if err != nil {
			return err
		}
		args := []string{"build", "-trimpath",
			ldflags + " -X picket.dev/picket/src/base/version.boardName=" + name,
			"-o", filepath.Join(dir, name) + "/"}
		for _, d := range daemons {
			args = append(args, "picket.dev/picket/src/cmd/"+d)
		}
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+b.GOARCH, "GOARM="+b.GOARM)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build for board %s: %v\n%s", name, err, out)
		}
	}
	return nil
}
