// Package image tests the disk image end to end: imgtool build twice gives
// the same bytes, and the image boots under qemu + OVMF: GRUB reads
// grubenv, picks the slot (A by default, a slot on trial while it has
// tries, then back to A), boots the kernel with the initramfs, and the
// initramfs holds the release key imgtool appended.
package image

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/system/cpio"
	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/testkit/testinput"
	"picket.dev/picket/tests/qemuboot"
)

func TestMain(m *testing.M) {
	// Bazel runs tests with a bare PATH; mkfs.vfat lives in /usr/sbin.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin:/usr/bin:/bin")
	os.Exit(m.Run())
}

// fixture is what the tests build images from.
type fixture struct {
	imgtool, kernel, initrd, key, rootfs string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{
		imgtool: testinput.Command(t, "imgtool"),
		kernel: testinput.Path(t, "PICKET_KERNEL", func() string {
			return filepath.Join(testinput.ModuleRoot(t), "third_party", "_fetched", "kernel-amd64", "vmlinuz")
		}),
	}
	if _, err := os.Stat(f.kernel); err != nil {
		t.Fatalf("kernel: %v (run tools/fetch)", err)
	}
	init := testinput.Path(t, "PICKET_TESTINIT", func() string { return testinput.GoBuild(t, "./tests/image/testinit", "amd64", "") })
	initData, err := os.ReadFile(init)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	w := cpio.NewWriter(zw)
	for _, step := range []func() error{
		func() error { return w.Dir("dev", 0o755) },
		func() error { return w.CharDev("dev/console", 0o600, 5, 1) },
		func() error { return w.File("init", 0o755, initData) },
		w.Close, zw.Close,
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	f.initrd = filepath.Join(dir, "initrd.img")
	if err := os.WriteFile(f.initrd, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	testinput.Run(t, f.imgtool, "keygen", "-out", filepath.Join(dir, "keys"))
	f.key = filepath.Join(dir, "keys", "release.key")
	f.rootfs = filepath.Join(dir, "rootfs")
	for name, data := range map[string]string{"sbin/init": "init", "usr/bin/netmgrd": "netmgrd", "etc/board": "virtual\n"} {
		p := filepath.Join(f.rootfs, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f fixture) build(t *testing.T, out string) {
	t.Helper()
	t.Log(strings.TrimSpace(testinput.Run(t, f.imgtool, "build", "-board", "virtual", "-version", "1.0.0-test",
		"-kernel", f.kernel, "-initrd", f.initrd, "-rootfs-dir", f.rootfs, "-key", f.key,
		"-slot-mib", "16", "-data-mib", "8", "-out", out)))
}

func sha(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestBuildReproducible(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.img"), filepath.Join(dir, "b.img")
	f.build(t, a)
	time.Sleep(1100 * time.Millisecond) // a clock leaking into the image now shows
	f.build(t, b)
	if sa, sb := sha(t, a), sha(t, b); sa != sb {
		t.Errorf("two builds differ: %s vs %s", sa, sb)
	}
}

// espOffset returns the byte offset of the boot partition (the first
// partition entry) from the GPT of disk.
func espOffset(t *testing.T, disk string) int64 {
	t.Helper()
	out := testinput.Run(t, "partx", "--noheadings", "--raw", "--output", "NR,START,NAME", disk)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == imagebuild.PartBoot {
			n, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n * imagebuild.SectorSize
		}
	}
	t.Fatalf("no %q partition in:\n%s", imagebuild.PartBoot, out)
	return 0
}

func setEnv(t *testing.T, disk string, active, trying string, tries int) {
	t.Helper()
	env, err := imagebuild.GrubEnv(active, trying, tries)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "grubenv")
	if err := os.WriteFile(p, env, 0o644); err != nil {
		t.Fatal(err)
	}
	testinput.Run(t, "mcopy", "-o", "-i", fmt.Sprintf("%s@@%d", disk, espOffset(t, disk)), p, "::/grubenv")
}

func readEnv(t *testing.T, disk string) string {
	t.Helper()
	b, err := imagebuild.ReadFAT(context.Background(), fmt.Sprintf("%s@@%d", disk, espOffset(t, disk)), "grubenv")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != imagebuild.GrubEnvSize {
		t.Errorf("grubenv is %d bytes after boot, want %d", len(b), imagebuild.GrubEnvSize)
	}
	return strings.Join(regexp.MustCompile(`picket_\w+=\w*`).FindAllString(string(b), -1), " ")
}

// boot runs the disk under qemu (TCG) + OVMF until the guest powers off,
// and returns the serial console, which boots keeps.
func boot(t *testing.T, boots *qemuboot.Boots, disk string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	args := []string{"-machine", "q35", "-cpu", "max", "-m", "512",
		"-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot", "-serial", "stdio"}
	args = append(args, qemuboot.Firmware(t, qemuboot.Dir(t), "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd")...)
	args = append(args, qemuboot.DiskDevice(disk, false)...)
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	out := boots.New(t.Name())
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		t.Fatalf("qemu: %v (the console of every boot follows)", err)
	}
	return out.String()
}

func TestBootSlots(t *testing.T) {
	f := newFixture(t)
	disk := filepath.Join(t.TempDir(), "disk.img")
	f.build(t, disk)
	boots := qemuboot.Keep(t)

	for _, step := range []struct {
		name      string
		set       func()
		wantSlot  string
		wantLines []string
		wantEnv   string
	}{
		{name: "default boots A", wantSlot: "a", wantEnv: "picket_active=a picket_trying= picket_tries=0"},
		{name: "B on trial boots B and counts down",
			set:      func() { setEnv(t, disk, "a", "b", 1) },
			wantSlot: "b", wantEnv: "picket_active=a picket_trying=b picket_tries=0"},
		{name: "B out of tries falls back to A",
			wantSlot: "a", wantLines: []string{"picket: slot b used up its tries; falling back to slot a"},
			wantEnv: "picket_active=a picket_trying= picket_tries=0"},
	} {
		t.Run(step.name, func(t *testing.T) {
			if step.set != nil {
				step.set()
			}
			console := boot(t, boots, disk)
			want := append([]string{
				"picket: booting slot " + step.wantSlot,
				"picket-testinit: Linux version ",
				"picket.slot=" + step.wantSlot + " ",
				"picket-testinit: release key present",
			}, step.wantLines...)
			for _, w := range want {
				if !strings.Contains(console, w) {
					t.Errorf("console lacks %q", w)
				}
			}
			if got := readEnv(t, disk); got != step.wantEnv {
				t.Errorf("grubenv after boot: %q, want %q", got, step.wantEnv)
			}
		})
	}
}
