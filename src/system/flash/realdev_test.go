package flash

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The tests in this file use the real kernel: loop devices, ext4, mounts
// and the host's own root device. They need root and losetup/mkfs.ext4
// from util-linux and e2fsprogs.

func TestMain(m *testing.M) {
	// Bazel runs tests with a minimal PATH.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin:/usr/bin:/bin")
	os.Exit(m.Run())
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it attaches loop devices and mounts file systems")
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// loopDevice attaches a new loop device to a fresh file of the given size
// and detaches it when the test ends.
func loopDevice(t *testing.T, size int64) (dev, file string) {
	t.Helper()
	file = filepath.Join(t.TempDir(), "backing.img")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(file, size); err != nil {
		t.Fatal(err)
	}
	dev = run(t, "losetup", "-f", "--show", file)
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v\n%s", dev, err, out)
		}
	})
	return dev, file
}

// mountExt4 makes an ext4 file system on dev and mounts it; the returned
// function unmounts it, and cleanup unmounts it if the test did not.
func mountExt4(t *testing.T, dev string) (dir string, unmount func()) {
	t.Helper()
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Fatalf("mkfs.ext4 (e2fsprogs) is needed to test a mounted target: %v", err)
	}
	run(t, "mkfs.ext4", "-q", "-F", dev)
	dir = t.TempDir()
	run(t, "mount", "-t", "ext4", dev, dir)
	mounted := true
	unmount = func() {
		if mounted {
			run(t, "umount", dir)
			mounted = false
		}
	}
	t.Cleanup(func() {
		if mounted {
			if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v\n%s", dir, err, out)
			}
		}
	})
	return dir, unmount
}

func TestRealLoopDevices(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	image, man, pub, data := signedImage(t, dir, 3<<20+123)
	req := func(target string) Request {
		return Request{Image: image, Manifest: man, Trusted: []ed25519.PublicKey{pub}, Target: target, Force: true}
	}
	var out bytes.Buffer
	env := System(strings.NewReader(""), &out)

	t.Run("unmounted loop device", func(t *testing.T) {
		dev, file := loopDevice(t, 4<<20)
		if err := env.Flash(req(dev)); err != nil {
			t.Fatalf("Flash to %s: %v\n%s", dev, err, out.String())
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:len(data)], data) {
			t.Fatalf("%s's backing file does not start with the image", dev)
		}
	})

	t.Run("mounted loop device", func(t *testing.T) {
		dev, file := loopDevice(t, 8<<20)
		mnt, unmount := mountExt4(t, dev)
		before, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		err = env.Flash(req(dev))
		if !errors.Is(err, ErrMounted) || !strings.Contains(err.Error(), mnt) {
			t.Fatalf("Flash to mounted %s = %v, want ErrMounted naming %s", dev, err, mnt)
		}
		// Its backing file, also mounted through the loop device.
		if err := env.Flash(req(file)); !errors.Is(err, ErrMounted) {
			t.Fatalf("Flash to %s, which backs mounted %s = %v, want ErrMounted", file, dev, err)
		}
		// The kernel's own claim, the second line of defence.
		if f, err := os.OpenFile(dev, os.O_WRONLY|unix.O_EXCL, 0); !errors.Is(err, unix.EBUSY) {
			if f != nil {
				f.Close()
			}
			t.Fatalf("exclusive open of mounted %s = %v, want EBUSY", dev, err)
		}
		after, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Fatal("the refused, mounted target was changed")
		}
		unmount()
		if err := env.Flash(req(dev)); err != nil {
			t.Fatalf("Flash to %s after unmount: %v", dev, err)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:len(data)], data) {
			t.Fatalf("%s's backing file does not start with the image", dev)
		}
	})

	t.Run("loop device backed by the image", func(t *testing.T) {
		dev := run(t, "losetup", "-f", "--show", "--read-only", image)
		t.Cleanup(func() {
			if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
				t.Errorf("losetup -d %s: %v\n%s", dev, err, out)
			}
		})
		if err := env.Flash(req(dev)); !errors.Is(err, ErrSameFile) {
			t.Fatalf("Flash to %s, backed by the image = %v, want ErrSameFile", dev, err)
		}
	})

	t.Run("too small", func(t *testing.T) {
		dev, _ := loopDevice(t, 1<<20)
		if err := env.Flash(req(dev)); err == nil || !strings.Contains(err.Error(), "the image needs") {
			t.Fatalf("Flash to a 1 MiB %s = %v, want a size error", dev, err)
		}
	})
}

// TestRealRootDisk asks the real lookup for the device of "/" and checks
// the flasher refuses it. Nothing is written: Check refuses first, and the
// Flash call is unforced with no answer on stdin, so even a wrong Check
// would stop at the question.
func TestRealRootDisk(t *testing.T) {
	requireRoot(t)
	root, err := RootDevice("/proc/self/mountinfo")
	if errors.Is(err, ErrNoRootDevice) {
		// A container on an overlay: the lookup must say so clearly; the
		// refusal logic is covered by TestCheck's fakes.
		if !strings.Contains(err.Error(), "not on a block device") {
			t.Fatalf("RootDevice error %q does not say / is not on a block device", err)
		}
		t.Logf("/ is not on a block device here: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("RootDevice: %v", err)
	}
	var out bytes.Buffer
	env := System(strings.NewReader(""), &out)
	rb, err := env.sysBlock(root)
	if err != nil {
		t.Fatal(err)
	}
	disks, err := underlyingDisks(rb, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	image, man, pub, _ := signedImage(t, dir, 4096)
	for _, b := range append([]blockDev{rb}, disks...) {
		// The device node, made here if /dev has none (a minimal /dev).
		node := "/dev/" + b.name
		if fi, err := os.Stat(node); err != nil || fi.Mode()&os.ModeDevice == 0 {
			node = filepath.Join(dir, b.name)
			if err := unix.Mknod(node, unix.S_IFBLK|0o600, int(unix.Mkdev(b.dev.Major, b.dev.Minor))); err != nil {
				t.Fatalf("mknod %s: %v", node, err)
			}
		}
		t.Logf("/ is on %s (%s), disk %s", rb.name, root, b.name)
		if _, err := env.Check(node, image); !errors.Is(err, ErrRootDisk) {
			t.Fatalf("Check(%s) = %v, want ErrRootDisk", node, err)
		}
		err := env.Flash(Request{Image: image, Manifest: man, Trusted: []ed25519.PublicKey{pub}, Target: node})
		if !errors.Is(err, ErrRootDisk) {
			t.Fatalf("Flash(%s) = %v, want ErrRootDisk", node, err)
		}
	}
}
