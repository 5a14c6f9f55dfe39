// Package flasher is the end-to-end test of the release image tools as an
// operator uses them: imgtool creates a key pair, signs an image and
// verifies it; flasher writes it to a file and to a real loop device, and
// refuses a tampered image, a mounted target and the host's own disk,
// leaving the target untouched.
//
// Under Bazel the commands are data dependencies; under the go command the
// test builds them. It needs root (loop devices, mounts).
package flasher

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/system/flash"
	"picket.dev/picket/src/testkit/testinput"
)

func TestMain(m *testing.M) {
	// Bazel runs tests with a minimal PATH; losetup, mkfs.ext4 and mount
	// live in the sbin directories.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin:/usr/bin:/bin")
	os.Exit(m.Run())
}

// commands returns the paths of the imgtool and flasher binaries.
func commands(t *testing.T) (imgtool, flasher string) {
	t.Helper()
	return testinput.Command(t, "imgtool"), testinput.Command(t, "flasher")
}

// result is how a command ended.
type result struct {
	code int
	out  string
}

// runCmd runs a command with stdin and returns its exit status and
// combined output; it fails the test only if the command could not run.
func runCmd(t *testing.T, stdin string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return result{0, string(out)}
	case errors.As(err, &exit):
		return result{exit.ExitCode(), string(out)}
	}
	t.Fatalf("run %s: %v\n%s", name, err, out)
	return result{}
}

// must runs a system command that has to succeed and returns its stdout.
func must(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// release is a signed image made with imgtool and a throwaway key.
type release struct {
	imgtool, flasher  string
	image, manifest   string
	pub, otherPub     string
	data              []byte
	tampered, tampMan string
	dir               string
}

func newRelease(t *testing.T) *release {
	t.Helper()
	r := &release{dir: t.TempDir()}
	r.imgtool, r.flasher = commands(t)
	for _, sub := range []string{"keys", "other"} {
		os.Mkdir(filepath.Join(r.dir, sub), 0o700)
		if res := runCmd(t, "", r.imgtool, "keygen", "-out", filepath.Join(r.dir, sub)); res.code != 0 {
			t.Fatalf("imgtool keygen: exit %d\n%s", res.code, res.out)
		}
	}
	key := filepath.Join(r.dir, "keys", "release.key")
	r.pub, r.otherPub = filepath.Join(r.dir, "keys", "release.pub"), filepath.Join(r.dir, "other", "release.pub")
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("release.key: %v, mode %v; want mode 0600", err, fi.Mode().Perm())
	}

	r.data = make([]byte, 5<<20+321)
	rand.Read(r.data)
	r.image, r.manifest = filepath.Join(r.dir, "disk.img"), filepath.Join(r.dir, "disk.img.manifest")
	writeFile(t, r.image, r.data)
	sign := []string{"sign", "-key", key, "-board", "virtual", "-version", "1.0.0-test", "-image", r.image, "-out", r.manifest}
	if res := runCmd(t, "", r.imgtool, sign...); res.code != 0 {
		t.Fatalf("imgtool sign: exit %d\n%s", res.code, res.out)
	}
	first := readFile(t, r.manifest)
	if res := runCmd(t, "", r.imgtool, sign...); res.code != 0 {
		t.Fatalf("imgtool sign: exit %d\n%s", res.code, res.out)
	}
	if !bytes.Equal(first, readFile(t, r.manifest)) {
		t.Fatal("imgtool sign gave a different manifest for the same input")
	}
	if res := runCmd(t, "", r.imgtool, "verify", "-pub", r.pub, "-image", r.image, "-manifest", r.manifest); res.code != 0 || !strings.Contains(res.out, "OK") {
		t.Fatalf("imgtool verify: exit %d\n%s", res.code, res.out)
	}

	// The same image with one byte flipped, next to a copy of the genuine
	// manifest.
	bad := append([]byte{}, r.data...)
	bad[len(bad)/3] ^= 0x80
	r.tampered, r.tampMan = filepath.Join(r.dir, "tampered.img"), filepath.Join(r.dir, "tampered.img.manifest")
	writeFile(t, r.tampered, bad)
	writeFile(t, r.tampMan, first)
	res := runCmd(t, "", r.imgtool, "verify", "-pub", r.pub, "-image", r.tampered, "-manifest", r.tampMan)
	if res.code != 1 || !strings.Contains(res.out, "sha256 is") {
		t.Fatalf("imgtool verify of the tampered image: exit %d, want 1 and a sha256 mismatch\n%s", res.code, res.out)
	}
	return r
}

func TestFlashToFile(t *testing.T) {
	r := newRelease(t)
	old := bytes.Repeat([]byte("previous contents\n"), 1<<19)
	tests := []struct {
		name     string
		args     []string // after -pub and -target
		stdin    string   // TARGET is replaced by the target's path
		existing bool
		code     int
		want     string
		written  bool
	}{
		{name: "forced, new file", args: []string{"-image", r.image, "-force"}, code: 0, want: "read them back", written: true},
		{name: "forced, existing file", existing: true, args: []string{"-image", r.image, "-manifest", r.manifest, "-force"}, code: 0, written: true},
		{name: "confirmed", existing: true, args: []string{"-image", r.image}, stdin: "TARGET\n", code: 0, want: "Type the file name", written: true},
		{name: "not confirmed", existing: true, args: []string{"-image", r.image}, stdin: "y\n", code: 1, want: "not confirmed"},
		{name: "tampered image", existing: true, args: []string{"-image", r.tampered, "-force"}, code: 1, want: "sha256 is"},
		{name: "tampered image, new file", args: []string{"-image", r.tampered, "-force"}, code: 1, want: "sha256 is"},
		{name: "manifest of another image", existing: true, args: []string{"-image", r.tampered, "-manifest", r.manifest, "-force"}, code: 1, want: "does not match its manifest"},
		{name: "missing target flag", args: []string{"-image", r.image, "-force", "-target", ""}, code: 2, want: "missing -target"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := filepath.Join(r.dir, "target-"+string(rune('a'+i))+".img")
			if tc.existing {
				writeFile(t, target, old)
			}
			args := append([]string{"-pub", r.pub, "-target", target}, tc.args...)
			res := runCmd(t, strings.ReplaceAll(tc.stdin, "TARGET", target), r.flasher, args...)
			if res.code != tc.code || !strings.Contains(res.out, tc.want) {
				t.Fatalf("flasher %v: exit %d, want %d and %q\n%s", args, res.code, tc.code, tc.want, res.out)
			}
			got, err := os.ReadFile(target)
			switch {
			case tc.written && !bytes.Equal(got, r.data):
				t.Fatalf("target holds %d bytes (%v), not the %d-byte image", len(got), err, len(r.data))
			case !tc.written && tc.existing && !bytes.Equal(got, old):
				t.Fatal("the refused target was changed")
			case !tc.written && !tc.existing && !errors.Is(err, os.ErrNotExist):
				t.Fatalf("the refused target was created (%v)", err)
			}
		})
	}
	t.Run("wrong key", func(t *testing.T) {
		target := filepath.Join(r.dir, "wrong-key.img")
		writeFile(t, target, old)
		res := runCmd(t, "", r.flasher, "-image", r.image, "-pub", r.otherPub, "-target", target, "-force")
		if res.code != 1 || !strings.Contains(res.out, "not among the trusted keys") {
			t.Fatalf("flasher with the wrong key: exit %d\n%s", res.code, res.out)
		}
		if !bytes.Equal(readFile(t, target), old) {
			t.Fatal("the refused target was changed")
		}
	})
	t.Run("target is the image", func(t *testing.T) {
		res := runCmd(t, "", r.flasher, "-image", r.image, "-pub", r.pub, "-target", r.image, "-force")
		if res.code != 1 || !strings.Contains(res.out, "is the image itself") {
			t.Fatalf("flasher onto its own image: exit %d\n%s", res.code, res.out)
		}
	})
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it attaches loop devices and mounts an ext4 file system")
	}
}

// loopDevice attaches a loop device to a new zero-filled file and detaches
// it when the test ends.
func loopDevice(t *testing.T, size int64) (dev, file string) {
	t.Helper()
	file = filepath.Join(t.TempDir(), "backing.img")
	writeFile(t, file, nil)
	if err := os.Truncate(file, size); err != nil {
		t.Fatal(err)
	}
	dev = must(t, "losetup", "-f", "--show", file)
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v\n%s", dev, err, out)
		}
	})
	return dev, file
}

func TestFlashToLoopDevice(t *testing.T) {
	requireRoot(t)
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Fatalf("mkfs.ext4 (e2fsprogs) is needed for the mounted-target case: %v", err)
	}
	r := newRelease(t)
	dev, file := loopDevice(t, 16<<20)
	must(t, "mkfs.ext4", "-q", "-F", dev)
	mnt := t.TempDir()
	must(t, "mount", "-t", "ext4", dev, mnt)
	mounted := true
	t.Cleanup(func() {
		if mounted {
			if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v\n%s", mnt, err, out)
			}
		}
	})
	writeFile(t, filepath.Join(mnt, "precious"), []byte("do not lose me"))
	must(t, "sync")
	before := readFile(t, file)

	res := runCmd(t, "", r.flasher, "-image", r.image, "-pub", r.pub, "-target", dev, "-force")
	if res.code != 1 || !strings.Contains(res.out, "is mounted on "+mnt) {
		t.Fatalf("flasher onto mounted %s: exit %d, want 1 and %q\n%s", dev, res.code, "is mounted on "+mnt, res.out)
	}
	if !bytes.Equal(before, readFile(t, file)) {
		t.Fatal("the mounted target was changed")
	}
	if got := readFile(t, filepath.Join(mnt, "precious")); string(got) != "do not lose me" {
		t.Fatalf("file on the mounted target reads %q", got)
	}

	must(t, "umount", mnt)
	mounted = false
	// Typing the device's kernel name confirms.
	res = runCmd(t, filepath.Base(dev)+"\n", r.flasher, "-image", r.image, "-pub", r.pub, "-target", dev)
	if res.code != 0 {
		t.Fatalf("flasher onto unmounted %s: exit %d\n%s", dev, res.code, res.out)
	}
	if got := readFile(t, file); !bytes.Equal(got[:len(r.data)], r.data) {
		t.Fatalf("%s does not hold the image after flashing", dev)
	}
}

// TestHostDiskRefused runs the flasher against the disk "/" is on. It is
// not forced and gets no answer on stdin, so it could not write even if
// its checks were wrong; it must refuse before asking.
func TestHostDiskRefused(t *testing.T) {
	requireRoot(t)
	root, err := flash.RootDevice("/proc/self/mountinfo")
	if errors.Is(err, flash.ErrNoRootDevice) {
		t.Logf("/ is not on a block device here (%v); the refusal is covered by src/flash's fake trees", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	r := newRelease(t)
	sysdir, err := filepath.EvalSymlinks("/sys/dev/block/" + root.String())
	if err != nil {
		t.Fatal(err)
	}
	node := "/dev/" + filepath.Base(sysdir)
	if fi, err := os.Stat(node); err != nil || fi.Mode()&os.ModeDevice == 0 {
		node = filepath.Join(t.TempDir(), filepath.Base(sysdir))
		if err := unix.Mknod(node, unix.S_IFBLK|0o600, int(unix.Mkdev(root.Major, root.Minor))); err != nil {
			t.Fatal(err)
		}
	}
	res := runCmd(t, "", r.flasher, "-image", r.image, "-pub", r.pub, "-target", node)
	if res.code != 1 || !strings.Contains(res.out, "disk holding the running system") {
		t.Fatalf("flasher onto %s, where / is: exit %d, want a refusal\n%s", node, res.code, res.out)
	}
	if strings.Contains(res.out, "Type the device name") {
		t.Fatalf("flasher asked to confirm writing the host's disk:\n%s", res.out)
	}
}
