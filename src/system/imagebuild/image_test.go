package imagebuild

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/system/cpio"
	"picket.dev/picket/src/system/kmod"
	"picket.dev/picket/src/system/manifest"
)

func TestMain(m *testing.M) {
	// Bazel runs tests with a bare PATH; the FAT tools live in /usr/sbin.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin:/usr/bin")
	os.Exit(m.Run())
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

func TestGrubEnv(t *testing.T) {
	b, err := GrubEnv("b", "a", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := "# GRUB Environment Block\npicket_active=b\npicket_trying=a\npicket_tries=3\n"
	if len(b) != GrubEnvSize || !strings.HasPrefix(string(b), want) || strings.Trim(string(b[len(want):]), "#") != "" {
		t.Errorf("GrubEnv = %q", b)
	}
	for _, bad := range []struct {
		active, trying string
		tries          int
	}{{"", "", 0}, {"c", "", 0}, {"a", "x", 1}, {"a", "b", 4}, {"a", "", -1}} {
		if _, err := GrubEnv(bad.active, bad.trying, bad.tries); err == nil {
			t.Errorf("GrubEnv(%q, %q, %d) accepted", bad.active, bad.trying, bad.tries)
		}
	}
}

func TestFATReproducible(t *testing.T) {
	dir := t.TempDir()
	files := []File{
		{Name: "EFI/BOOT/grub.cfg", Data: []byte("echo hi\n")},
		{Name: "vmlinuz", Data: bytes.Repeat([]byte{1, 2, 3}, 100000)},
		{Name: "z/deep/er/file", Data: []byte("x")},
	}
	spec := FAT{Size: 40 << 20, VolumeID: 0x1234ABCD, Label: "PICKETBOOT", FAT32: true, Files: files}
	a, b := filepath.Join(dir, "a.img"), filepath.Join(dir, "b.img")
	if err := BuildFAT(context.Background(), a, spec); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // a build that leaks the clock now differs
	spec.Files = []File{files[2], files[0], files[1]}
	if err := BuildFAT(context.Background(), b, spec); err != nil {
		t.Fatal(err)
	}
	if sha(t, a) != sha(t, b) {
		t.Error("two FAT builds of the same files differ")
	}
	for _, f := range files {
		got, err := ReadFAT(context.Background(), a, f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s: read back %d bytes, wrote %d", f.Name, len(got), len(f.Data))
		}
	}
	if fsck, err := Tool("fsck.vfat"); err == nil {
		if out, err := exec.Command(fsck, "-n", a).CombinedOutput(); err != nil {
			t.Errorf("fsck.vfat -n: %v\n%s", err, out)
		}
	}
	if err := BuildFAT(context.Background(), a, FAT{Size: 1<<20 + 1}); err == nil {
		t.Error("BuildFAT accepted a size that is not whole MiB")
	}
	if err := BuildFAT(context.Background(), a, FAT{Size: 40 << 20, Label: "WAY TOO LONG LABEL"}); err == nil {
		t.Error("BuildFAT accepted a 18-character label")
	}
}

func TestSquashfsReproducible(t *testing.T) {
	dir := t.TempDir()
	// A source that is a symlink, as Bazel inputs are: the image holds the
	// file, not the link.
	real := filepath.Join(dir, "real")
	if err := os.WriteFile(real, []byte("#!daemon\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	files := []File{
		{Name: "sbin/init", Source: link, Exec: true},
		{Name: "etc/board", Data: []byte("virtual\n")},
		{Name: "usr/bin/netmgrd", Data: bytes.Repeat([]byte("netmgrd"), 5000), Exec: true},
		// The multi-call binary's other names.
		{Name: "usr/bin/consoled", Link: "sbin/init"},
	}
	a, b := filepath.Join(dir, "a.sqfs"), filepath.Join(dir, "b.sqfs")
	if err := BuildSquashfs(context.Background(), a, files); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if err := BuildSquashfs(context.Background(), b, []File{files[2], files[1], files[0], files[3]}); err != nil {
		t.Fatal(err)
	}
	if sha(t, a) != sha(t, b) {
		t.Error("two squashfs builds of the same files differ")
	}
	unsq, err := Tool("unsquashfs")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(unsq, "-lln", a).CombinedOutput()
	if err != nil {
		t.Fatalf("unsquashfs: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	listing := strings.Join(lines, "\n")
	for _, want := range []string{
		"-rwxr-xr-x 0/0 9 1970-01-01 00:00 squashfs-root/sbin/init",
		"-rw-r--r-- 0/0 8 1970-01-01 00:00 squashfs-root/etc/board",
		"drwxr-xr-x 0/0",
	} {
		if !strings.Contains(listing, want) {
			t.Errorf("unsquashfs -lln lacks %q:\n%s", want, listing)
		}
	}
	if strings.Contains(listing, "lrwx") {
		t.Errorf("image holds a symlink:\n%s", listing)
	}
	// The link is the same inode as its target, not a copy: unsquashfs
	// makes hard links again of what the image holds as one.
	out, err = exec.Command(unsq, "-d", filepath.Join(dir, "x"), a).CombinedOutput()
	if err != nil {
		t.Fatalf("unsquashfs: %v\n%s", err, out)
	}
	target, err := os.Stat(filepath.Join(dir, "x/sbin/init"))
	if err != nil {
		t.Fatal(err)
	}
	consoled, err := os.Stat(filepath.Join(dir, "x/usr/bin/consoled"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(target, consoled) || consoled.Mode() != 0o755 {
		t.Errorf("usr/bin/consoled: mode %v, the same file as sbin/init %v; want a hard link to it, mode 0755", consoled.Mode(), os.SameFile(target, consoled))
	}
}

func TestStageRejectsLinks(t *testing.T) {
	for _, c := range []struct {
		files []File
		want  string
	}{
		{[]File{{Name: "usr/bin/consoled", Link: "sbin/init"}, {Name: "sbin/init", Data: []byte("x")}}, `stage usr/bin/consoled: a link to "sbin/init", which is not a file given before it`},
		{[]File{{Name: "usr/bin", Dir: true}, {Name: "sbin/init", Link: "usr/bin"}}, `stage sbin/init: a link to "usr/bin", which is not a file given before it`},
		{[]File{{Name: "sbin/init", Data: []byte("x")}, {Name: "sbin/init", Link: "sbin/init"}}, "stage sbin/init: given twice"},
	} {
		err := Stage(t.TempDir(), c.files)
		if err == nil || err.Error() != c.want {
			t.Errorf("Stage(%+v): %v, want %q", c.files, err, c.want)
		}
	}
}

// testConfig returns a Config with a throwaway key and stand-in kernel and
// initramfs (Build only copies them).
func testConfig(t *testing.T) (Config, ed25519.PublicKey) {
	t.Helper()
	dir := t.TempDir()
	pubPEM, privPEM, err := manifest.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := manifest.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := manifest.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	kernel := filepath.Join(dir, "vmlinuz")
	if err := os.WriteFile(kernel, bytes.Repeat([]byte("kernel"), 200000), 0o644); err != nil {
		t.Fatal(err)
	}
	var initrd bytes.Buffer
	zw := gzip.NewWriter(&initrd)
	w := cpio.NewWriter(zw)
	if err := w.File("init", 0o755, []byte("init binary")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	zw.Close()
	initrd.Write([]byte{0, 0, 0}) // odd length: Build must realign the key archive
	initrdPath := filepath.Join(dir, "initrd.img")
	if err := os.WriteFile(initrdPath, initrd.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return Config{
		Board: "virtual", Version: "1.2.3", Kernel: kernel, Initrd: initrdPath, Key: priv,
		Rootfs: []File{
			{Name: "sbin/init", Data: []byte("pid1"), Exec: true},
			{Name: "usr/bin/netmgrd", Data: bytes.Repeat([]byte("d"), 70000), Exec: true},
		},
		ESPSize: 40 << 20, SlotSize: 8 << 20, DataSize: 8 << 20,
	}, pub
}

// readInitrd unpacks every concatenated cpio archive in b, gzip'd or not.
func readInitrd(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for len(b) > 0 {
		b = bytes.TrimLeft(b, "\x00")
		if len(b) == 0 {
			break
		}
		r := bytes.NewReader(b)
		var ar io.Reader = r
		if !bytes.HasPrefix(b, []byte(cpio.Magic)) { // compressed
			zr, err := gzip.NewReader(r)
			if err != nil {
				t.Fatalf("initrd archive at offset -%d: %v", len(b), err)
			}
			zr.Multistream(false)
			ar = zr
		}
		entries, err := cpio.Read(ar)
		if err != nil {
			t.Fatal(err)
		}
		if zr, ok := ar.(*gzip.Reader); ok {
			io.Copy(io.Discard, zr)
		}
		for _, e := range entries {
			files[e.Name] = e.Data
		}
		b = b[len(b)-r.Len():]
	}
	return files
}

func TestBuildImage(t *testing.T) {
	ctx := context.Background()
	c, pub := testConfig(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.img"), filepath.Join(dir, "b.img")
	ca := c
	ca.SlotOut, ca.ManifestOut = filepath.Join(dir, "rootfs.img"), filepath.Join(dir, "rootfs.manifest")
	res, err := Build(ctx, a, ca)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := Build(ctx, b, c); err != nil {
		t.Fatal(err)
	}
	if sha(t, a) != sha(t, b) {
		t.Error("two image builds from the same inputs differ")
	}

	disk, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	_, parts, err := parseGPT(disk)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	byName := map[string]parsedPart{}
	for _, p := range parts {
		names = append(names, p.Name)
		byName[p.Name] = p
	}
	if got := strings.Join(names, " "); got != "boot rootfs_a rootfs_b data" {
		t.Fatalf("partitions %q, want boot rootfs_a rootfs_b data", got)
	}
	if byName["boot"].Type != TypeESP {
		t.Error("boot partition is not typed as EFI System Partition")
	}
	esp := fmt.Sprintf("%s@@%d", a, byName["boot"].First*SectorSize)
	read := func(name string) []byte {
		t.Helper()
		b, err := ReadFAT(ctx, esp, name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Both slots verify against their signed manifests with the public key.
	for _, slot := range []string{"a", "b"} {
		m, err := manifest.Verify(read("slot-"+slot+".manifest"), []ed25519.PublicKey{pub})
		if err != nil {
			t.Fatalf("slot %s manifest: %v", slot, err)
		}
		if m.Board != "virtual" || m.Version != "1.2.3" || m != res.Manifest {
			t.Errorf("slot %s manifest %+v, build says %+v", slot, m, res.Manifest)
		}
		p := byName["rootfs_"+slot]
		// The initramfs verifies the partition's first Size bytes.
		if err := manifest.VerifyImage(bytes.NewReader(disk[p.First*SectorSize:p.First*SectorSize+m.Size]), m); err != nil {
			t.Errorf("slot %s: %v", slot, err)
		}
	}
	sq, err := os.CreateTemp(dir, "sq")
	if err != nil {
		t.Fatal(err)
	}
	pa := byName["rootfs_a"]
	sq.Write(disk[pa.First*SectorSize : pa.First*SectorSize+res.Manifest.Size])
	sq.Close()
	unsq, err := Tool("unsquashfs")
	if err != nil {
		t.Fatal(err)
	}
	ls, err := exec.Command(unsq, "-lln", sq.Name()).CombinedOutput()
	if err != nil {
		t.Fatalf("unsquashfs slot a: %v\n%s", err, ls)
	}
	for _, want := range []string{"squashfs-root/sbin/init\n", "squashfs-root/usr/bin/netmgrd\n", "drwxr-xr-x 0/0 3 1970-01-01 00:00 squashfs-root/proc\n", "squashfs-root/data\n"} {
		if !strings.Contains(strings.Join(strings.Fields(string(ls)), " ")+"\n", strings.TrimSuffix(want, "\n")) {
			t.Errorf("slot a lacks %q:\n%s", want, ls)
		}
	}
	// The rootfs carries the release public key too (scannerd checks
	// signature packages with it).
	ex := filepath.Join(dir, "unsquashed")
	if out, err := exec.Command(unsq, "-d", ex, sq.Name(), ReleasePubPath).CombinedOutput(); err != nil {
		t.Fatalf("unsquashfs %s: %v\n%s", ReleasePubPath, err, out)
	}
	if k, err := manifest.LoadPublicKey(filepath.Join(ex, ReleasePubPath)); err != nil || !k.Equal(pub) {
		t.Errorf("rootfs %s: %v; want the release public key", ReleasePubPath, err)
	}
	// And the release version, which the daemons report.
	if out, err := exec.Command(unsq, "-d", ex, "-f", sq.Name(), VersionPath).CombinedOutput(); err != nil {
		t.Fatalf("unsquashfs %s: %v\n%s", VersionPath, err, out)
	}
	if v, err := os.ReadFile(filepath.Join(ex, VersionPath)); err != nil || string(v) != "1.2.3\n" {
		t.Errorf("rootfs %s: %q, %v; want the version 1.2.3", VersionPath, v, err)
	}
	// The release outputs: the slot's squashfs as in the partition, and
	// the signed manifest as on the ESP.
	if sha(t, ca.SlotOut) != sha(t, sq.Name()) {
		t.Error("the slot image output differs from slot a's content")
	}
	if got, err := os.ReadFile(ca.ManifestOut); err != nil || !bytes.Equal(got, read("slot-a.manifest")) {
		t.Errorf("the manifest output differs from slot-a.manifest (%v)", err)
	}
	if env := read("grubenv"); !bytes.HasPrefix(env, []byte("# GRUB Environment Block\npicket_active=a\npicket_trying=\npicket_tries=0\n")) || len(env) != GrubEnvSize {
		t.Errorf("grubenv %q", env)
	}
	if cfg := read("EFI/BOOT/grub.cfg"); !bytes.Equal(cfg, GrubConfig()) {
		t.Error("grub.cfg differs from GrubConfig()")
	}
	if efi := read("EFI/BOOT/BOOTX64.EFI"); !bytes.HasPrefix(efi, []byte("MZ")) {
		t.Error("BOOTX64.EFI is not a PE image")
	}
	kernel, _ := os.ReadFile(c.Kernel)
	if !bytes.Equal(read("vmlinuz"), kernel) {
		t.Error("vmlinuz differs from the kernel given")
	}
	initrd := readInitrd(t, read("initrd.img"))
	if string(initrd["init"]) != "init binary" {
		t.Error("initrd lost the given initramfs's /init")
	}
	keyPEM := initrd[ReleasePubPath]
	if k, err := manifest.ParsePublicKey(keyPEM); err != nil || !k.Equal(pub) {
		t.Errorf("initrd %s: %q (%v), want the release public key", ReleasePubPath, keyPEM, err)
	}

	// A flipped byte in slot B fails its manifest.
	p := byName["rootfs_b"]
	disk[p.First*SectorSize+100] ^= 0xff
	if err := manifest.VerifyImage(bytes.NewReader(disk[p.First*SectorSize:p.First*SectorSize+res.Manifest.Size]), res.Manifest); err == nil {
		t.Error("corrupted slot B verified")
	}

	// From an init binary: Build makes the initramfs around it.
	c.Initrd, c.InitramfsInit = "", c.Kernel
	mod := filepath.Join(dir, "virtio_blk.ko")
	os.WriteFile(mod, []byte("module"), 0o644)
	c.InitramfsModules = []kmod.Module{{Path: mod, Needs: []string{"virtio"}, Aliases: []string{"virtio:d00000002v*"}}}
	if _, err := Build(ctx, b, c); err != nil {
		t.Fatal(err)
	}
	esp = fmt.Sprintf("%s@@%d", b, byName["boot"].First*SectorSize)
	initrd = readInitrd(t, read("initrd.img"))
	if !bytes.Equal(initrd["init"], kernel) || string(initrd["lib/modules/virtio_blk.ko"]) != "module" ||
		string(initrd[ModulesListPath]) != "/lib/modules/virtio_blk.ko needs=virtio alias=virtio:d00000002v*\n" || string(initrd[BoardPath]) != "virtual\n" || initrd[ReleasePubPath] == nil {
		t.Errorf("initramfs built around an init: entries %v", keys(initrd))
	}
	if _, ok := initrd["dev/console"]; !ok {
		t.Error("initramfs lacks dev/console")
	}

	// Another version: another image (GUIDs, volume ids, manifests).
	c.Version = "1.2.4"
	if _, err := Build(ctx, b, c); err != nil {
		t.Fatal(err)
	}
	if sha(t, a) == sha(t, b) {
		t.Error("versions 1.2.3 and 1.2.4 built the same image")
	}
}

func TestBuildRejects(t *testing.T) {
	c, _ := testConfig(t)
	out := filepath.Join(t.TempDir(), "x.img")
	for name, mod := range map[string]func(*Config){
		"no board": func(c *Config) { c.Board = "" },
		"no key":   func(c *Config) { c.Key = nil },
		"rootfs too big": func(c *Config) {
			c.SlotSize = 1 << 20
			c.Rootfs = append(c.Rootfs, File{Name: "big", Data: randBytes(t, 2<<20)})
		},
		"no initrd":      func(c *Config) { c.Initrd = "/nonexistent/initrd" },
		"unknown GOARCH": func(c *Config) { c.GOARCH = "mips" },
		"arm GRUB missing": func(c *Config) {
			c.GOARCH = "arm64"
			c.GrubDir = "/nonexistent/arm64-efi"
		},
		"ESP file replaces grub.cfg": func(c *Config) {
			c.ESPFiles = []File{{Name: "efi/boot/GRUB.CFG", Data: []byte("boot\n")}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			cc := c
			mod(&cc)
			if _, err := Build(context.Background(), out, cc); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func randBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
