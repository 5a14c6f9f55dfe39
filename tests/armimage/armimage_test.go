// Package armimage boots the arm boards' disk images for real: qemu's
// "virt" machine (TCG) with EDK2's UEFI firmware (AAVMF, from Debian's
// qemu-efi-aarch64 and qemu-efi-arm) loads GRUB (BOOTAA64.EFI or
// BOOTARM.EFI) from the ESP, GRUB reads grubenv and picks the slot, boots
// Debian's arm64 or armmp kernel with the product initramfs
// (src/cmd/initramfs), which loads its modules, verifies the slot's
// squashfs against its signed manifest and switches to it, and the init
// (src/daemon/initd, in the multi-call src/cmd/picketbox) marks the slot
// good in grubenv, which the test reads back from the ESP.
//
// Each board's test builds an image of its own with imgtool (no daemons,
// so the init marks the slot good after its stable period) and boots it
// three times (see TestBootSlots); a boot takes 15 to 20 s of TCG, both
// boards run at once. It also boots the Bazel-built product
// image (//rootfs:image_<board>) from slot A up to the init starting its
// daemons (under go test from bazel-bin: build the images first).
//
// Under "go test" the test builds what it needs (imgtool for the host,
// initramfs and init with GOARCH=arm64 or GOARCH=arm GOARM=7) and reads
// the kernels and GRUB modules tools/fetch unpacks in third_party/_fetched.
// Under Bazel (tags local) they come as data through PICKET_* variables.
package armimage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	boarddef "picket.dev/picket/platforms/board"
	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/system/kmod"
	"picket.dev/picket/src/testkit/testinput"
	"picket.dev/picket/tests/qemuboot"
)

func TestMain(m *testing.M) {
	// Bazel runs tests with a bare PATH; mkfs.vfat lives in /usr/sbin.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin:/usr/bin:/bin")
	os.Exit(m.Run())
}

// board is what differs between the arm boards' boots.
type board struct {
	name, goarch, goarm string
	kernelDir, grubDir  string // under third_party/_fetched
	qemu, cpu           string
	code, vars          string // EDK2 firmware and its variable store
	efi                 string // GRUB's file on the ESP
}

var boards = []board{
	{name: "rpi4", goarch: "arm64", kernelDir: "kernel-arm64", grubDir: "grub-arm64-efi/usr/lib/grub/arm64-efi",
		qemu: "qemu-system-aarch64", cpu: "cortex-a57",
		code: "/usr/share/AAVMF/AAVMF_CODE.fd", vars: "/usr/share/AAVMF/AAVMF_VARS.fd", efi: "EFI/BOOT/BOOTAA64.EFI"},
	{name: "armv7", goarch: "arm", goarm: "7", kernelDir: "kernel-armmp", grubDir: "grub-arm-efi/usr/lib/grub/arm-efi",
		qemu: "qemu-system-arm", cpu: "cortex-a15",
		code: "/usr/share/AAVMF/AAVMF32_CODE.fd", vars: "/usr/share/AAVMF/AAVMF32_VARS.fd", efi: "EFI/BOOT/BOOTARM.EFI"},
}

func upper(s string) string { return strings.ToUpper(s) }

// buildImage builds the board's test image: the product initramfs and
// init for the board, no daemons, a stable period of 2 s.
func buildImage(t *testing.T, b board) string {
	t.Helper()
	env := "PICKET_" + upper(b.name) + "_"
	imgtool := testinput.Command(t, "imgtool")
	kernel := testinput.Path(t, env+"KERNEL", func() string { return filepath.Join(testinput.Fetched(t, b.kernelDir), "vmlinuz") })
	grub := filepath.Dir(testinput.Path(t, env+"GRUB", func() string { return filepath.Join(testinput.Fetched(t, b.grubDir), "linux.mod") }))
	initramfs := testinput.Path(t, env+"INITRAMFS", func() string { return testinput.GoBuild(t, "./src/cmd/initramfs", b.goarch, b.goarm) })
	// The product's /sbin/init: the multi-call binary, run as init by
	// that name.
	init := testinput.Path(t, env+"INIT", func() string { return testinput.GoBuild(t, "./src/cmd/picketbox", b.goarch, b.goarm) })
	for _, tool := range []string{b.qemu, "mksquashfs", "mkfs.vfat", "mcopy", "grub-mkimage", "partx"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed: %v", tool, err)
		}
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	testinput.Run(t, imgtool, "keygen", "-out", filepath.Join(dir, "keys"))
	initJSON := filepath.Join(dir, "init.json")
	if err := os.WriteFile(initJSON, []byte(`{"hostname":"picket-armimage-test","services":[],"stable_seconds":2}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(dir, "disk.img")
	args := []string{"build", "-board", b.name, "-version", "1.0.0-armtest", "-kernel", kernel,
		"-initramfs-init", initramfs, "-grub-dir", grub,
		"-rootfs-file", "sbin/init=" + init, "-rootfs-data", "etc/picket/init.json=" + initJSON,
		"-key", filepath.Join(dir, "keys", "release.key"), "-slot-mib", "16", "-data-mib", "8", "-out", disk}
	// The board's own module lists (platforms/board Modules), as the
	// product image: the initramfs loads Boot, the init loads Run.
	args = append(args, "-kernel-modules", filepath.Dir(kernel))
	t.Log(strings.TrimSpace(testinput.Run(t, imgtool, args...)))
	return disk
}

// espOffset returns the byte offset of the boot partition from the GPT.
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

func esp(t *testing.T, disk string) string {
	return fmt.Sprintf("%s@@%d", disk, espOffset(t, disk))
}

func setEnv(t *testing.T, disk, active, trying string, tries int) {
	t.Helper()
	env, err := imagebuild.GrubEnv(active, trying, tries)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "grubenv")
	if err := os.WriteFile(p, env, 0o644); err != nil {
		t.Fatal(err)
	}
	testinput.Run(t, "mcopy", "-o", "-i", esp(t, disk), p, "::/grubenv")
}

func readEnv(t *testing.T, disk string) string {
	t.Helper()
	b, err := imagebuild.ReadFAT(context.Background(), esp(t, disk), "grubenv")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != imagebuild.GrubEnvSize {
		t.Errorf("grubenv is %d bytes after boot, want %d", len(b), imagebuild.GrubEnvSize)
	}
	return strings.Join(regexp.MustCompile(`picket_\w+=\w*`).FindAllString(string(b), -1), " ")
}

// nicStatus is what qemu says of the guest's driver of the virtio NIC:
// the virtio status bits the driver has set ("VIRTIO_CONFIG_S_DRIVER_OK:
// ..." once virtio_net has probed the device and set it up).
func nicStatus(ctx context.Context, sock string) ([]string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, fmt.Errorf("qmp: %w", err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	dec := json.NewDecoder(c)
	var greeting map[string]any
	if err := dec.Decode(&greeting); err != nil {
		return nil, fmt.Errorf("qmp greeting: %w", err)
	}
	var reply struct {
		Return struct {
			Status struct {
				Statuses []string `json:"statuses"`
			} `json:"status"`
		} `json:"return"`
		Error *struct{ Desc string } `json:"error"`
	}
	for _, cmd := range []string{`{"execute":"qmp_capabilities"}`,
		`{"execute":"x-query-virtio-status","arguments":{"path":"/machine/peripheral/nic0/virtio-backend"}}`} {
		if _, err := io.WriteString(c, cmd+"\n"); err != nil {
			return nil, fmt.Errorf("qmp: %w", err)
		}
		for { // skip asynchronous events
			var msg map[string]json.RawMessage
			if err := dec.Decode(&msg); err != nil {
				return nil, fmt.Errorf("qmp %s: %w", cmd, err)
			}
			if _, ev := msg["event"]; ev {
				continue
			}
			raw, _ := json.Marshal(msg)
			if err := json.Unmarshal(raw, &reply); err != nil {
				return nil, fmt.Errorf("qmp %s: %w", cmd, err)
			}
			break
		}
		if reply.Error != nil {
			return nil, fmt.Errorf("qmp %s: %s", cmd, reply.Error.Desc)
		}
	}
	return reply.Return.Status.Statuses, nil
}

// boot runs the disk in qemu's virt machine under EDK2, with a virtio NIC
// on a hub that leads nowhere (no host network), until wantLine shows on
// the serial console (then qemu is stopped: the init never powers off by
// itself) and returns the console, which boots keeps, and the NIC's
// virtio status then (nicStatus). snapshot keeps the disk unchanged
// (writes go to a temporary file).
func boot(t *testing.T, boots *qemuboot.Boots, b board, disk string, snapshot bool, wantLine string) (string, []string) {
	t.Helper()
	// Emulated arm is slow, and the tests of both boards run at once on
	// a 2-core machine; a boot takes well under a minute. The bound is a
	// hang guard, not a timing assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	args := []string{"-M", "virt", "-cpu", b.cpu, "-m", "1024",
		"-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot", "-serial", "stdio",
		"-netdev", "hubport,id=n0,hubid=0", "-device", "virtio-net-pci,id=nic0,netdev=n0,mac=52:54:00:12:34:56,romfile="}
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	args = append(args, "-qmp", "unix:"+sock+",server=on,wait=off")
	args = append(args, qemuboot.Firmware(t, qemuboot.Dir(t), b.code, b.vars)...)
	args = append(args, qemuboot.DiskDevice(disk, snapshot)...)
	cmd := exec.Command(b.qemu, args...)
	out := boots.New(fmt.Sprintf("%s, until %q", b.name, wantLine))
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", b.qemu, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	_, err := out.Wait(ctx, exited, 0, wantLine)
	var nic []string
	var nicErr error
	if err == nil {
		nic, nicErr = nicStatus(ctx, sock)
	}
	cmd.Process.Kill()
	<-exited
	if err != nil {
		t.Fatalf("%v after %s (the console of every boot follows)", err, time.Since(start).Round(time.Second))
	}
	if nicErr != nil {
		t.Fatalf("the virtio NIC's status from qemu: %v", nicErr)
	}
	t.Logf("%s: %q after %s; virtio NIC status %q", b.name, wantLine, time.Since(start).Round(100*time.Millisecond), nic)
	return out.String(), nic
}

// wantDriverOK fails the test unless the guest's driver set the virtio
// NIC up (virtio_net loaded by the init and bound to the device).
func wantDriverOK(t *testing.T, nic []string) {
	t.Helper()
	for _, s := range nic {
		if strings.HasPrefix(s, "VIRTIO_CONFIG_S_DRIVER_OK") {
			return
		}
	}
	t.Errorf("the guest did not set up its virtio NIC: virtio status %q, want VIRTIO_CONFIG_S_DRIVER_OK", nic)
}

// wantNoLines fails the test for each of lines on the console.
func wantNoLines(t *testing.T, console string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if strings.Contains(console, l) {
			t.Errorf("console has %q", l)
		}
	}
}

func wantLines(t *testing.T, console string, lines ...string) {
	t.Helper()
	for _, w := range lines {
		if !strings.Contains(console, w) {
			t.Errorf("console lacks %q", w)
		}
	}
}

// TestBootSlots boots each board's image twice, as tests/image does for
// x86: with slot B on trial and one try left GRUB boots B (counting its
// tries down to 0), the initramfs puts B behind dm-verity and switches to
// it, and the init marks B good (B active, nothing on trial); a trial of
// A with no tries left is cleared by GRUB, which boots the active B.
// Every boot ends with the init marking its slot good. GRUB's default
// boot of slot A is TestProductImageBoots'.
func TestBootSlots(t *testing.T) {
	for _, b := range boards {
		b := b
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			boots := qemuboot.Keep(t)
			disk := buildImage(t, b)
			if got, err := imagebuild.ReadFAT(context.Background(), esp(t, disk), b.efi); err != nil || len(got) == 0 {
				t.Fatalf("%s on the ESP: %d bytes, %v", b.efi, len(got), err)
			}
			for _, step := range []struct {
				name     string
				set      func()
				wantSlot string
				lines    []string
				wantEnv  string
			}{
				{name: "B on trial with 1 try boots B, marked good",
					set:      func() { setEnv(t, disk, "a", "b", 1) },
					wantSlot: "b", wantEnv: "picket_active=b picket_trying= picket_tries=0"},
				{name: "A on trial with no tries falls back to B",
					set:      func() { setEnv(t, disk, "b", "a", 0) },
					wantSlot: "b", lines: []string{"picket: slot a used up its tries; falling back to slot b"},
					wantEnv: "picket_active=b picket_trying= picket_tries=0"},
			} {
				if step.set != nil {
					step.set()
				}
				console, nic := boot(t, boots, b, disk, false, "init: marked good")
				wantDriverOK(t, nic)
				// Every module of the board's lists loads: the init says
				// so of one that does not.
				wantNoLines(t, console, "init: load module", "no persistent data")
				wantLines(t, console, append([]string{
					"picket: booting slot " + step.wantSlot,
					"picket: slot " + step.wantSlot + ": " + b.name + " 1.0.0-armtest, ",
					"signature verified, blocks checked as read",
					"picket: slot " + step.wantSlot + " verified",
					"init: slot " + step.wantSlot + ", starting 0 daemons",
					"init: marked good",
				}, step.lines...)...)
				if got := readEnv(t, disk); got != step.wantEnv {
					t.Errorf("%s: grubenv after boot: %q, want %q", step.name, got, step.wantEnv)
				}
				if t.Failed() {
					t.Fatalf("step %q failed", step.name)
				}
			}
		})
	}
}

// TestProductImageBoots boots the Bazel-built //rootfs:image_<board> (a
// snapshot: the image stays as built) from slot A until its init starts
// the board's daemons. Under go test the image comes from bazel-bin (the
// test fails, saying how to build it, when it is absent).
func TestProductImageBoots(t *testing.T) {
	for _, b := range boards {
		b := b
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			disk := testinput.Built(t, "PICKET_"+upper(b.name)+"_IMAGE", "rootfs/image_"+b.name+".img", "//rootfs:image_"+b.name)
			console, _ := boot(t, qemuboot.Keep(t), b, disk, true, "init: slot a, starting ")
			wantLines(t, console, "picket: booting slot a", "picket: slot a: "+b.name+" ", "picket: slot a verified")
		})
	}
}

// TestBoardModulesInKernel checks that every module an arm board names
// (platforms/board Modules, Boot and Run) and all its dependencies are in
// the board's kernel as tools/fetch unpacks it (modules.dep made from the
// modules' own depends= fields), before any image is built.
func TestBoardModulesInKernel(t *testing.T) {
	for _, b := range boards {
		b := b
		t.Run(b.name, func(t *testing.T) {
			bd, err := boarddef.Lookup(b.name)
			if err != nil {
				t.Fatal(err)
			}
			kernel := testinput.Path(t, "PICKET_"+upper(b.name)+"_KERNEL", func() string { return filepath.Join(testinput.Fetched(t, b.kernelDir), "vmlinuz") })
			for _, list := range []struct {
				name  string
				names []string
			}{{"Boot", bd.Modules.Boot}, {"Run", bd.Modules.Run}} {
				if len(list.names) == 0 {
					t.Errorf("Modules.%s is empty", list.name)
					continue
				}
				paths, err := kmod.Resolve(filepath.Dir(kernel), list.names)
				if err != nil {
					t.Errorf("Modules.%s: %v", list.name, err)
					continue
				}
				have := map[string]bool{}
				for _, p := range paths {
					have[kmod.Name(p)] = true
				}
				for _, n := range list.names {
					if !have[n] {
						t.Errorf("Modules.%s names %s; the resolved list %q lacks it", list.name, n, paths)
					}
				}
			}
		})
	}
}
