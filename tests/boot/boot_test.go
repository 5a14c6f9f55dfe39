// Package boot boots the Picket initramfs (src/cmd/initramfs) and init
// (src/cmd/init) in qemu (TCG, Debian's kernel given with -kernel and
// -initrd, no firmware or GRUB) on a disk with a GPT written by
// src/imagebuild: an ESP with the grubenv and the signed slot manifests,
// and squashfs slots rootfs_a and rootfs_b, sealed with their dm-verity
// hash trees. It shows that a verified slot is switched into behind
// dm-verity and runs our init, which marks it good; that a slot with one
// flipped byte is refused at boot with a clear message; that a byte
// flipped under the running box reads as an I/O error and sends it to
// the other slot; and that the initramfs boots from a virtio, SATA or
// NVMe disk, loading only the boot disk's drivers. The full
// firmware+GRUB path is tests/image's.
package boot

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/system/cpio"
	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/system/kmod"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/testkit/testinput"
	"picket.dev/picket/tests/qemuboot"
)

// modules the image's list holds for the initramfs, as platforms/board
// lists the x86 boards' (with their dependencies from the fetched
// kernel's modules.dep): the virtio disk, then NVMe, then SATA (q35 has
// an AHCI controller: the disk is on it in TestBootsFromSATA, beside the
// boot disk in the others), the ESP's FAT, squashfs and dm-verity.
var modules = []string{"virtio_pci", "virtio_blk", "nvme", "ahci", "sd_mod", "vfat", "nls_cp437", "nls_ascii", "squashfs", "dm_verity"}

func TestMain(m *testing.M) {
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin")
	os.Exit(m.Run())
}

type fixture struct {
	dir, kernel, initrd string
	priv                ed25519.PrivateKey
	init, probe         string
	// bus is the disk's controller: "" virtio, "sata" q35's AHCI
	// controller, "nvme" an NVMe controller.
	bus string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	for _, tool := range []string{"qemu-system-x86_64", "mksquashfs", "mkfs.vfat", "mcopy"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed: %v", tool, err)
		}
	}
	// The kernel and its modules (Bazel: @kernel_amd64; go test: what
	// tools/fetch unpacked), the initramfs and init (Bazel: the built
	// binaries; go test: built here).
	f := &fixture{dir: t.TempDir()}
	f.kernel = testinput.Path(t, "PICKET_KERNEL", func() string { return testinput.Fetched(t, "kernel-amd64/vmlinuz") })
	// What each drives, from the module itself, as the image build reads
	// it: the initramfs loads the disk drivers its devices call for.
	paths, err := kmod.Resolve(filepath.Dir(f.kernel), modules)
	if err != nil {
		t.Fatalf("%v (tools/fetch unpacks the modules: kmods_amd64)", err)
	}
	var kos []kmod.Module
	for _, p := range paths {
		ko, err := kmod.Info(p)
		if err != nil {
			t.Fatal(err)
		}
		kos = append(kos, ko)
	}
	initramfsBin := testinput.Command(t, "initramfs")
	f.init = testinput.Command(t, "init")
	f.probe = testinput.Path(t, "PICKET_PROBE", func() string { return testinput.GoBuild(t, "./tests/boot/probe", "amd64", "") })
	initrd, err := imagebuild.Initramfs(initramfsBin, kos)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, privPEM, err := manifest.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if f.priv, err = manifest.ParsePrivateKey(privPEM); err != nil {
		t.Fatal(err)
	}
	// A second archive with the key, appended as the image build does.
	// It is gzip'd: the kernel finds a following archive right after a
	// compressed one, an uncompressed one only at 4-byte alignment.
	var keyCpio bytes.Buffer
	zw := gzip.NewWriter(&keyCpio)
	w := cpio.NewWriter(zw)
	for _, err := range []error{w.Dir("etc", 0o755), w.Dir("etc/picket", 0o755), w.File("etc/picket/release.pub", 0o644, pubPEM), w.Close(), zw.Close()} {
		if err != nil {
			t.Fatalf("key archive: %v", err)
		}
	}
	f.initrd = filepath.Join(f.dir, "initrd.img")
	if err := os.WriteFile(f.initrd, append(initrd, keyCpio.Bytes()...), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// probeData is the file the probe daemon reads, random (so squashfs
// stores it as it is and it can be found in the image) and the same in
// both slots.
var probeData = func() []byte {
	b := make([]byte, 256<<10)
	rand.Read(b)
	return b
}()

// bootDisk is a disk written by fixture.disk.
type bootDisk struct {
	path string
	// slotAt is where each slot's partition starts on the disk.
	slotAt map[string]int64
	// probeAt is the offset of the probe file's data in each slot's
	// image, tablesAt the offset of the last byte of the squashfs
	// (its tables, which a mount reads).
	probeAt  map[string]int64
	tablesAt int64
}

// disk writes a disk with both slots (the same rootfs with the probe
// daemon; version differs), sealed with their dm-verity hash trees, and
// grubenv st; corrupt flips the last byte of that slot's squashfs (its
// file system tables, read by the mount) after signing.
func (f *fixture) disk(t *testing.T, st slots.State, corrupt string) bootDisk {
	t.Helper()
	ctx := context.Background()
	initJSON := []byte(`{"hostname":"picket-boot-test","services":[{"name":"probe","path":"/usr/bin/probe"}],"stable_seconds":2}`)
	var parts []imagebuild.Part
	esp := []imagebuild.File{}
	d := bootDisk{path: filepath.Join(f.dir, "disk-"+corrupt+".img"), slotAt: map[string]int64{}, probeAt: map[string]int64{}}
	for _, slot := range []string{"a", "b"} {
		img := filepath.Join(f.dir, "rootfs_"+slot+".sqfs")
		files := []imagebuild.File{
			{Name: "sbin/init", Source: f.init, Exec: true},
			{Name: "usr/bin/probe", Source: f.probe, Exec: true},
			{Name: "usr/share/picket/probe", Data: probeData},
			{Name: "etc/picket/init.json", Data: initJSON},
			{Name: "etc/picket/slot-label", Data: []byte(slot + "\n")},
		}
		for _, d := range []string{"dev", "proc", "sys", "run", "tmp", "data"} {
			files = append(files, imagebuild.File{Name: d, Dir: true})
		}
		if err := imagebuild.BuildSquashfs(ctx, img, files); err != nil {
			t.Fatal(err)
		}
		sqfs, err := os.ReadFile(img)
		if err != nil {
			t.Fatal(err)
		}
		// bytes_used, at offset 40 of the squashfs superblock: the
		// end of the file system, whose tables come last.
		d.tablesAt = int64(binary.LittleEndian.Uint64(sqfs[40:])) - 1
		if d.probeAt[slot] = int64(bytes.Index(sqfs, probeData[:4096])); d.probeAt[slot] < 0 {
			t.Fatal("the probe file is not stored as it is in the squashfs")
		}
		m, err := imagebuild.Seal(img, "virtual", "1.0."+slot)
		if err != nil {
			t.Fatal(err)
		}
		if !m.HasHashTree() || m.HashTreeOffset <= d.tablesAt {
			t.Fatalf("sealed manifest %+v: want a hash tree after the file system's %d bytes", m, d.tablesAt+1)
		}
		sm, _ := manifest.Sign(m, f.priv)
		b, _ := sm.Encode()
		esp = append(esp, imagebuild.File{Name: "slot-" + slot + ".manifest", Data: b})
		if slot == corrupt {
			b, _ := os.ReadFile(img)
			b[d.tablesAt] ^= 0x01
			os.WriteFile(img, b, 0o644)
		}
		parts = append(parts, imagebuild.Part{Name: "rootfs_" + slot, Type: guid(t, linuxDataType), Source: img, Size: 16 << 20})
	}
	env, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	esp = append(esp, imagebuild.File{Name: "grubenv", Data: env})
	espImg := filepath.Join(f.dir, "esp.img")
	if err := imagebuild.BuildFAT(ctx, espImg, imagebuild.FAT{Size: 8 << 20, VolumeID: 0x1234, Label: "PICKETBOOT", Files: esp}); err != nil {
		t.Fatal(err)
	}
	parts = append([]imagebuild.Part{{Name: "boot", Type: guid(t, espType), Source: espImg}}, parts...)
	layout, err := imagebuild.Write(d.path, "boot-test", parts)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range layout.Parts {
		if strings.HasPrefix(p.Name, "rootfs_") {
			d.slotAt[strings.TrimPrefix(p.Name, "rootfs_")] = p.First * 512
		}
	}
	return d
}

// flip flips one bit of the byte at off of the disk file, in place (qemu
// reads the same file through the host's page cache, so a running guest
// sees it at its next read from the disk).
func flip(disk string, off int64) error {
	f, err := os.OpenFile(disk, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		return err
	}
	b[0] ^= 0x10
	_, err = f.WriteAt(b, off)
	return err
}

// boot runs qemu until it powers off, reboots (-no-reboot makes that an
// exit), halts ("reboot: System halted", after which qemu would idle) or
// until wantLine shows on the console, and returns the console.
func (f *fixture) boot(t *testing.T, disk, slot, wantLine string) string {
	t.Helper()
	return f.bootDoing(t, disk, slot, wantLine, nil)
}

// bootDoing boots as boot does and runs during, if not nil, alongside,
// with the console as it grows.
func (f *fixture) bootDoing(t *testing.T, disk, slot, wantLine string, during func(con *syncBuf)) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	drive := []string{"-drive", "file=" + disk + ",format=raw,if=virtio"}
	switch f.bus {
	case "sata":
		drive = []string{"-drive", "file=" + disk + ",format=raw,if=none,id=disk0", "-device", "ide-hd,drive=disk0,bus=ide.0"}
	case "nvme":
		drive = []string{"-drive", "file=" + disk + ",format=raw,if=none,id=disk0", "-device", "nvme,drive=disk0,serial=picket-boot-test"}
	}
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", append([]string{"-machine", "q35", "-cpu", "max", "-m", "512",
		"-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
		"-kernel", f.kernel, "-initrd", f.initrd,
		"-append", "console=ttyS0 random.trust_cpu=on panic=-1 picket.slot=" + slot}, drive...)...)
	var out syncBuf
	out.want, out.hit = wantLine, make(chan struct{})
	// The boot's console is printed with the others if the test fails.
	log := qemuboot.Keep(t).New(fmt.Sprintf("slot %s, until %q", slot, wantLine))
	cmd.Stdout = io.MultiWriter(&out, log)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	if during != nil {
		go during(&out)
	}
	select {
	case <-out.hit:
		cmd.Process.Kill()
		<-waited
	case <-waited:
	case <-ctx.Done():
		<-waited
		t.Fatalf("qemu timed out; console:\n%s", out.String())
	}
	return out.String()
}

type syncBuf struct {
	mu   chanMutex
	buf  bytes.Buffer
	want string
	hit  chan struct{}
	done bool
}

type chanMutex struct{ c chan struct{} }

func (m *chanMutex) lock() {
	if m.c == nil {
		m.c = make(chan struct{}, 1)
	}
	m.c <- struct{}{}
}
func (m *chanMutex) unlock() { <-m.c }

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.lock()
	defer b.mu.unlock()
	b.buf.Write(p)
	if !b.done && (b.want != "" && strings.Contains(b.buf.String(), b.want) || strings.Contains(b.buf.String(), "reboot: System halted")) {
		b.done = true
		close(b.hit)
	}
	return len(p), nil
}

// waitFor polls for text on the console until timeout.
func (b *syncBuf) waitFor(text string, timeout time.Duration) bool {
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if strings.Contains(b.String(), text) {
			return true
		}
	}
	return false
}

func (b *syncBuf) String() string {
	b.mu.lock()
	defer b.mu.unlock()
	return b.buf.String()
}

// bootState reads the slot state from the grubenv on disk's ESP.
func bootState(t *testing.T, disk string) slots.State {
	t.Helper()
	st, err := readState(disk)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// readState is bootState for a goroutine other than the test's: the ESP
// (partition 1, at 1 MiB, 8 MiB) copied out to read its grubenv.
func readState(disk string) (slots.State, error) {
	b, err := os.ReadFile(disk)
	if err != nil {
		return slots.State{}, err
	}
	tmp, err := os.CreateTemp("", "picket-boot-esp-")
	if err != nil {
		return slots.State{}, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b[1<<20 : 1<<20+8<<20])
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return slots.State{}, err
	}
	env, err := imagebuild.ReadFAT(context.Background(), tmp.Name(), "grubenv")
	if err != nil {
		return slots.State{}, err
	}
	e, err := slots.Parse(env)
	if err != nil {
		return slots.State{}, fmt.Errorf("grubenv: %w", err)
	}
	st, err := slots.FromEnv(e)
	if err != nil {
		return slots.State{}, fmt.Errorf("grubenv: %w", err)
	}
	return st, nil
}

// TestFlippedByteRefused: one byte of the slot's file system tables
// flipped before boot. dm-verity refuses the block when the mount reads
// it; the initramfs says so and falls back to the active slot.
func TestFlippedByteRefused(t *testing.T) {
	f := setup(t)
	d := f.disk(t, slots.State{Active: "a", Trying: "b", Tries: 2}, "b")
	out := f.boot(t, d.path, "b", "")
	for _, want := range []string{"picket: slot b refused: a block does not match the signed hash tree (dm-verity)", "falling back to slot a"} {
		if !strings.Contains(out, want) {
			t.Fatalf("console lacks %q:\n%s", want, out)
		}
	}
	if st := bootState(t, d.path); st != (slots.State{Active: "a"}) {
		t.Fatalf("grubenv after refusal: %v, want slot a active, nothing trying", st)
	}
	logVerity(t, out)
}

// logVerity logs the console lines of the initramfs, init, the probe and
// the kernel's dm-verity (go test -v shows what happened).
func logVerity(t *testing.T, out string) {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "picket:") || strings.Contains(l, "verity") || strings.Contains(l, "probe:") || strings.Contains(l, "init: slot") || strings.Contains(l, "init: marked") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	t.Logf("console:\n%s", strings.Join(lines, "\n"))
}

// TestVerifiedThenFlippedWhileRunning: the slot on trial (B) is put
// behind dm-verity with its signed manifest's tree, its init runs and
// marks it good (B active). Then a byte of a file its probe daemon reads
// is flipped on the disk under it: the next read of that block is an I/O
// error (the modified bytes never reach the daemon), init hears of the
// corrupted block, makes slot A active again and reboots.
func TestVerifiedThenFlippedWhileRunning(t *testing.T) {
	f := setup(t)
	d := f.disk(t, slots.State{Active: "a", Trying: "b", Tries: 2}, "")
	flipped := make(chan error, 1)
	var good slots.State
	var goodErr error
	out := f.bootDoing(t, d.path, "b", "", func(con *syncBuf) {
		if !con.waitFor("init: marked good", 4*time.Minute) || !con.waitFor("probe: read /usr/share/picket/probe: 262144 bytes", time.Minute) {
			flipped <- errors.New("the box never ran slot b with its probe")
			return
		}
		good, goodErr = readState(d.path)
		flipped <- flip(d.path, d.slotAt["b"]+d.probeAt["b"]+100_000)
	})
	select {
	case err := <-flipped:
		if err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
	default:
		t.Fatalf("the box stopped before the byte was flipped:\n%s", out)
	}
	if goodErr != nil || good != (slots.State{Active: "b"}) {
		t.Errorf("grubenv once slot b was marked good: %v (%v), want slot b active", good, goodErr)
	}
	for _, want := range []string{
		"picket: slot b: virtual 1.0.b, ", "signature verified, blocks checked as read", "picket: slot b verified",
		"init: slot b, starting 1 daemons", "init: marked good",
		"probe: read /usr/share/picket/probe: input/output error",
		"init: dm-verity read data block ",
		"which does not match the signed hash tree: abandoning slot b, rebooting into slot a",
		"init: all daemons stopped",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("console lacks %q:\n%s", want, out)
		}
	}
	// The virtio disk came up first: q35's AHCI controller was left
	// alone.
	if loaded := line(out, "modules loaded"); !strings.Contains(loaded, " virtio_blk") || strings.Contains(loaded, "ahci") || strings.Contains(loaded, "libata") {
		t.Errorf("initramfs loaded %q: want virtio_blk, not the SATA drivers", loaded)
	}
	if left := line(out, "the boot disk was up: not loaded"); !strings.Contains(left, " libata") || !strings.Contains(left, " ahci") {
		t.Errorf("initramfs said %q: want libata and ahci left out", left)
	}
	if strings.Contains(out, "contents verified") {
		t.Errorf("the slot with a hash tree was hashed whole:\n%s", out)
	}
	if st := bootState(t, d.path); st != (slots.State{Active: "a"}) {
		t.Fatalf("grubenv after the corruption: %v, want slot a active", st)
	}
	logVerity(t, out)
}

// Partition type GUIDs: an entry with a zero type counts as unused.
const (
	espType       = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
	linuxDataType = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
)

func guid(t *testing.T, s string) imagebuild.GUID {
	t.Helper()
	g, err := imagebuild.ParseGUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// line returns the first console line of the initramfs holding text.
func line(out, text string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "picket: ") && strings.Contains(l, text) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// TestBootsFromSATA: the disk on q35's AHCI controller, no virtio
// device. The initramfs loads the SATA controller's driver, then the
// SCSI disk driver for the disk it found, verifies slot A and switches
// into it.
func TestBootsFromSATA(t *testing.T) {
	out := bootFrom(t, "sata")
	if loaded := line(out, "modules loaded"); !strings.Contains(loaded, " ahci") || !strings.Contains(loaded, " sd_mod") || strings.Contains(loaded, "virtio") || strings.Contains(loaded, "nvme") {
		t.Errorf("initramfs loaded %q: want ahci and sd_mod, no virtio or NVMe", loaded)
	}
}

// TestBootsFromNVMe: the disk on an NVMe controller beside q35's AHCI
// one. NVMe probes in the background, so its disk comes up after the
// driver's load returned, maybe once the SATA drivers loaded too; the
// initramfs waits for it and boots from it, and never needs sd_mod.
func TestBootsFromNVMe(t *testing.T) {
	out := bootFrom(t, "nvme")
	if loaded := line(out, "modules loaded"); !strings.Contains(loaded, " nvme") || strings.Contains(loaded, "virtio") || strings.Contains(loaded, "sd_mod") {
		t.Errorf("initramfs loaded %q: want nvme, no virtio or sd_mod", loaded)
	}
}

// bootFrom boots slot A from a disk on bus until it is marked good,
// checks that it was verified and switched into, and returns the
// console.
func bootFrom(t *testing.T, bus string) string {
	t.Helper()
	f := setup(t)
	f.bus = bus
	d := f.disk(t, slots.State{Active: "a"}, "")
	out := f.boot(t, d.path, "a", "init: marked good")
	for _, want := range []string{"signature verified, blocks checked as read", "picket: slot a verified", "init: slot a, starting 1 daemons", "init: marked good"} {
		if !strings.Contains(out, want) {
			t.Fatalf("console lacks %q:\n%s", want, out)
		}
	}
	logVerity(t, out)
	return out
}
