// Package testinput finds what the end-to-end tests work on: a file Bazel
// hands the test through an environment variable (a runfiles path) or its
// runfiles, or, under plain go test, a binary built with the go command or
// a file tools/fetch put into the checkout. It is the one place tests find
// or build the programs they run, and starts the daemons among them. It is
// test-only.
package testinput

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"picket.dev/picket/src/testkit/syncbuf"
)

// ModuleRoot is the directory of go.mod above the working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	t.Fatalf("no go.mod above %s; under Bazel the test's PICKET_* variables (its BUILD.bazel) must name its inputs", dir)
	return ""
}

// Path returns the absolute path of the file the environment variable env
// names (relative: a runfiles path, from the workspace's runfiles root
// under Bazel), else what fallback returns.
func Path(t testing.TB, env string, fallback func() string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if src := os.Getenv("TEST_SRCDIR"); src != "" && !filepath.IsAbs(p) {
			p = filepath.Join(src, os.Getenv("TEST_WORKSPACE"), p)
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	return fallback()
}

// Fetched returns the path of rel under third_party/_fetched, failing the
// test with what to do if tools/fetch has not put it there.
func Fetched(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(ModuleRoot(t), "third_party", "_fetched", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%v (run tools/fetch: it unpacks the pinned inputs there)", err)
	}
	return p
}

// GoBuild builds the package pkg (a path from the module root, like
// "./src/cmd/init") for linux/goarch (goarm for arm) without cgo, into a
// temporary directory of the test, and returns the binary's path.
func GoBuild(t testing.TB, pkg, goarch, goarm string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = ModuleRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOARM="+goarm)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s (GOARCH=%s GOARM=%s): %v\n%s", pkg, goarch, goarm, err, b)
	}
	declareSources(t, cmd.Dir, cmd.Env, pkg)
	return out
}

// declareSources opens every source file the binary was built from (the
// package, its non-standard dependencies, go.mod), so that go test counts
// them among the test's inputs: go's test cache records the files a test
// opens and replays a result only while they are unchanged. Without this a
// suite that builds a daemon would be replayed after the daemon changed.
func declareSources(t testing.TB, dir string, env []string, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}\n{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}\n{{end}}{{end}}", pkg)
	cmd.Dir = dir
	cmd.Env = env
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	files := append(strings.Fields(string(b)), filepath.Join(dir, "go.mod"), filepath.Join(dir, "go.sum"))
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatalf("source of %s: %v", pkg, err)
		}
		r.Close()
	}
}

// Command returns the path of the program src/cmd/NAME for this machine:
// under Bazel the file $PICKET_<NAME> names, or else the go_binary in the
// test's runfiles (a data dependency); under go test it is built with the
// go command into a temporary directory of the test (the go build cache
// makes a rebuild of unchanged sources a link only, and a changed daemon is
// always rebuilt, never a stale copy).
func Command(t testing.TB, name string) string {
	t.Helper()
	return Path(t, "PICKET_"+strings.ToUpper(name), func() string {
		if src := os.Getenv("TEST_SRCDIR"); src != "" {
			return filepath.Join(src, os.Getenv("TEST_WORKSPACE"), "src", "cmd", name, name+"_", name)
		}
		return GoBuild(t, "./src/cmd/"+name, runtime.GOARCH, "")
	})
}

// Run runs a command and returns its combined output, failing the test
// with that output if it fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	b, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
	return string(b)
}

// Daemon starts a program (a daemon) that runs until the test ends, when
// it is killed, and returns its output so far at any time; the output goes
// into the test log if the test failed.
func Daemon(t testing.TB, path string, args ...string) *syncbuf.Buffer {
	t.Helper()
	out := &syncbuf.Buffer{}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(path), out.String())
		}
	})
	return out
}

// Built returns a Bazel build output the test works on: under Bazel the
// runfiles path env names; under go test the file rel (like
// "rootfs/image_virtual.img") under the workspace's bazel-bin, which
// `tools/offline bazel build target` writes. It fails the test, saying
// that, when the file is absent.
func Built(t testing.TB, env, rel, target string) string {
	t.Helper()
	return Path(t, env, func() string {
		p := filepath.Join(ModuleRoot(t), "bazel-bin", rel)
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is not set and the Bazel output is absent (%v): build it first with tools/offline bazel build %s, or run this test with bazel test", env, err, target)
		}
		return p
	})
}

// SharedDir makes a new directory under /tmp that every user may enter
// (mode 0755), removed when the test ends: for a program or a socket a
// test's process under another uid must reach, which cannot enter the
// test's private temporary directories or Bazel's output base under
// /root.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "picket-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// SharedCopy copies the program at path into a SharedDir and returns the
// copy's path (mode 0755): for a program a test starts under a uid of
// its own.
func SharedCopy(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(SharedDir(t), filepath.Base(path))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}
