package imagebuild

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"picket.dev/picket/src/system/cpio"
	"picket.dev/picket/src/system/e2fs"
	"picket.dev/picket/src/system/kmod"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/verity"
)

// Partition names and sizes of the boot design.
const (
	PartBoot    = "boot"
	PartRootfsA = "rootfs_a"
	PartRootfsB = "rootfs_b"
	PartData    = "data"

	DefaultESPSize  = 64 << 20
	DefaultSlotSize = 256 << 20
	DefaultDataSize = 64 << 20

	// ReleasePubPath is where the initramfs finds the trusted key, and
	// where the rootfs carries the same key for the daemons that check
	// what the release key signs besides images (scannerd: signature
	// packages, package sigpkg). The rootfs copy is covered by the slot's
	// signed manifest.
	ReleasePubPath = "etc/picket/release.pub"
	// BoardPath holds the board name the manifests must carry.
	BoardPath = "etc/picket/board"
	// ModulesListPath lists the initramfs's modules to load.
	ModulesListPath = "etc/picket/modules"
	// VersionPath holds the release version (version.ImagePath), the
	// manifest's: the daemons report it.
	VersionPath = "etc/picket/version"
)

// MountPoints are the directories Build adds to every rootfs: the
// squashfs is read-only, so init cannot create them at boot. boot is where
// init mounts the ESP to mark the slot good.
var MountPoints = []string{"boot", "data", "dev", "proc", "run", "sys", "tmp"}

// Config is everything a disk image is made from.
type Config struct {
	Board, Version string
	Kernel         string // vmlinuz
	Initrd         string // the initramfs; the release key is appended to it
	// InitramfsInit, instead of Initrd, is a PID 1 binary that Build
	// wraps in an initramfs (see Initramfs) with InitramfsModules.
	InitramfsInit    string
	InitramfsModules []kmod.Module
	Rootfs           []File // files of the root filesystem (both slots)
	Key              ed25519.PrivateKey
	// GOARCH is the CPU the image boots on (see Target); "" is amd64.
	GOARCH string
	// GrubDir holds GRUB's modules for the target's EFI platform; ""
	// is the target's default (the host's /usr/lib/grub/<platform>).
	GrubDir string
	// ESPFiles are further files for the boot partition, such as a
	// board firmware's own boot files; they may not replace the ones
	// Build writes.
	ESPFiles []File
	// Sizes in bytes (multiples of 1 MiB); zero means the default.
	ESPSize, SlotSize, DataSize int64
	// WorkDir holds intermediate files; "" makes (and removes) a temp dir.
	WorkDir string
	// SlotOut and ManifestOut, when set, receive a copy of the slot's
	// squashfs and its signed manifest: what a release publishes for
	// over-the-air updates (the slot image is exactly the partition's
	// content the manifest describes).
	SlotOut, ManifestOut string
}

// Result says what Build wrote.
type Result struct {
	Layout   Layout
	Manifest manifest.Manifest // of the rootfs image in both slots
	Rootfs   int64             // squashfs size in bytes
}

// Build writes the disk image out: ESP (GRUB, grub.cfg, grubenv with
// slot A active, kernel, initramfs with the release public key appended,
// signed manifests for both slots), the rootfs squashfs in slots A and B,
// and an empty ext4 data partition.
func Build(ctx context.Context, out string, c Config) (Result, error) {
	var res Result
	if c.Board == "" || c.Version == "" {
		return res, fmt.Errorf("build image: board %q, version %q; both are required", c.Board, c.Version)
	}
	if c.Key == nil {
		return res, fmt.Errorf("build image: no signing key")
	}
	target, err := TargetFor(c.GOARCH)
	if err != nil {
		return res, fmt.Errorf("build image for board %s: %w", c.Board, err)
	}
	if c.ESPSize == 0 {
		c.ESPSize = DefaultESPSize
	}
	if c.SlotSize == 0 {
		c.SlotSize = DefaultSlotSize
	}
	if c.DataSize == 0 {
		c.DataSize = DefaultDataSize
	}
	work := c.WorkDir
	if work == "" {
		d, err := os.MkdirTemp("", "picket-image-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(d)
		work = d
	}
	seed := c.Board + "\x00" + c.Version

	rootfs := filepath.Join(work, "rootfs.squashfs")
	files := append([]File{}, c.Rootfs...)
	have := map[string]bool{}
	for _, f := range files {
		have[strings.Trim(f.Name, "/")] = true
	}
	for _, d := range MountPoints {
		if !have[d] {
			files = append(files, File{Name: d, Dir: true})
		}
	}
	for _, p := range []string{ReleasePubPath, VersionPath} {
		if have[p] {
			return res, fmt.Errorf("build image: rootfs file %s is one the build writes", p)
		}
	}
	files = append(files, File{Name: VersionPath, Data: []byte(c.Version + "\n")})
	pubPEM, err := releasePubPEM(c.Key.Public().(ed25519.PublicKey))
	if err != nil {
		return res, err
	}
	files = append(files, File{Name: ReleasePubPath, Data: pubPEM})
	if err := BuildSquashfs(ctx, rootfs, files); err != nil {
		return res, err
	}
	m, err := Seal(rootfs, c.Board, c.Version)
	if err != nil {
		return res, err
	}
	if m.Size > c.SlotSize {
		return res, fmt.Errorf("rootfs is %d bytes, more than a slot's %d; raise the slot size", m.Size, c.SlotSize)
	}
	signed, err := manifest.Sign(m, c.Key)
	if err != nil {
		return res, err
	}
	signedBytes, err := signed.Encode()
	if err != nil {
		return res, err
	}
	res.Manifest, res.Rootfs = m, m.Size
	if c.SlotOut != "" {
		if err := copyFile(c.SlotOut, rootfs); err != nil {
			return res, fmt.Errorf("build image: slot image copy: %w", err)
		}
	}
	if c.ManifestOut != "" {
		if err := os.WriteFile(c.ManifestOut, signedBytes, 0o644); err != nil {
			return res, fmt.Errorf("build image: manifest copy: %w", err)
		}
	}

	var initrd []byte
	switch {
	case (c.Initrd == "") == (c.InitramfsInit == ""):
		return res, fmt.Errorf("build image: give either an initramfs or an initramfs init binary, not both or neither")
	case c.Initrd != "":
		if initrd, err = os.ReadFile(c.Initrd); err != nil {
			return res, fmt.Errorf("read initramfs: %w", err)
		}
	default:
		if initrd, err = Initramfs(c.InitramfsInit, c.InitramfsModules); err != nil {
			return res, err
		}
	}
	keyCpio, err := keyArchive(c.Key.Public().(ed25519.PublicKey), c.Board)
	if err != nil {
		return res, err
	}
	// The kernel unpacks concatenated archives in turn; the appended one
	// adds the key to whatever initramfs we were given. Archives must
	// start 4-byte aligned.
	for len(initrd)%4 != 0 {
		initrd = append(initrd, 0)
	}
	initrd = append(initrd, keyCpio...)

	grubEFI := filepath.Join(work, target.EFIName)
	if err := target.BuildGrubEFI(ctx, grubEFI, c.GrubDir); err != nil {
		return res, err
	}
	env, err := GrubEnv("a", "", 0)
	if err != nil {
		return res, err
	}
	espFiles := []File{
		{Name: target.EFIPath(), Source: grubEFI},
		{Name: "EFI/BOOT/grub.cfg", Data: target.GrubConfig()},
		{Name: "grubenv", Data: env},
		{Name: "vmlinuz", Source: c.Kernel},
		{Name: "initrd.img", Data: initrd},
		{Name: "slot-a.manifest", Data: signedBytes},
		{Name: "slot-b.manifest", Data: signedBytes},
	}
	ours := map[string]bool{}
	for _, f := range espFiles {
		ours[strings.ToLower(f.Name)] = true
	}
	for _, f := range c.ESPFiles {
		// FAT names are case-insensitive.
		if ours[strings.ToLower(strings.Trim(f.Name, "/"))] {
			return res, fmt.Errorf("build image: extra boot partition file %q would replace one the image build writes (%s)", f.Name, strings.Join(espNames(espFiles), ", "))
		}
		espFiles = append(espFiles, f)
	}
	esp := filepath.Join(work, "esp.img")
	if err := BuildFAT(ctx, esp, FAT{Size: c.ESPSize, VolumeID: volumeID(seed, PartBoot), Label: "PICKETBOOT", FAT32: true,
		Files: espFiles}); err != nil {
		return res, fmt.Errorf("boot partition: %w", err)
	}
	data := filepath.Join(work, "data.img")
	if err := BuildExt4(ctx, data, c.DataSize, e2fs.DataLabel, DeriveGUID(seed, "data-fs")); err != nil {
		return res, fmt.Errorf("data partition: %w", err)
	}
	l, err := Write(out, seed, []Part{
		{Name: PartBoot, Type: TypeESP, Size: c.ESPSize, Source: esp},
		{Name: PartRootfsA, Type: TypeLinux, Size: c.SlotSize, Source: rootfs},
		{Name: PartRootfsB, Type: TypeLinux, Size: c.SlotSize, Source: rootfs},
		{Name: PartData, Type: TypeLinux, Size: c.DataSize, Source: data},
	})
	res.Layout = l
	return res, err
}

func espNames(files []File) []string {
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	return names
}

// volumeID derives a FAT volume id from the seed, fixed per board+version.
func volumeID(seed, name string) uint32 {
	sum := sha256.Sum256([]byte("picket-fat\x00" + seed + "\x00" + name))
	return binary.BigEndian.Uint32(sum[:4])
}

// releasePubPEM is the release public key in the PEM "PUBLIC KEY" form
// imgtool keygen writes and manifest.ParsePublicKey reads.
func releasePubPEM(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode release public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// keyArchive is an uncompressed cpio holding the release public key at
// ReleasePubPath and the board at BoardPath, to append to an initramfs
// (which the kernel finds after the first one's trailer, as both are
// padded to 4 bytes).
func keyArchive(pub ed25519.PublicKey, board string) ([]byte, error) {
	pubPEM, err := releasePubPEM(pub)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := cpio.NewWriter(&buf)
	for _, step := range []func() error{
		func() error { return w.Dir("etc", 0o755) },
		func() error { return w.Dir("etc/picket", 0o755) },
		func() error { return w.File(ReleasePubPath, 0o644, pubPEM) },
		func() error { return w.File(BoardPath, 0o644, []byte(board+"\n")) },
		w.Close,
	} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("initramfs key archive: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// copyFile copies src to dst (a new file, mode 0644): a build output.
func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Seal appends the dm-verity hash tree to the rootfs image at path
// (src/system/verity) and describes the result: the manifest's size and
// SHA-256 cover the image with its tree (what a slot holds and an update
// carries), its hash tree fields say where the tree starts and what its
// root hash and salt are, which the initramfs gives the kernel.
func Seal(path, board, version string) (manifest.Manifest, error) {
	t, err := verity.Append(path)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("seal rootfs: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("seal rootfs: %w", err)
	}
	defer f.Close()
	m, err := manifest.Describe(f, board, version)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("describe rootfs: %w", err)
	}
	m.HashTreeRoot, m.HashTreeOffset, m.HashTreeSalt = hex.EncodeToString(t.Root), t.Offset(), hex.EncodeToString(t.Salt)
	if err := m.Validate(); err != nil {
		return manifest.Manifest{}, fmt.Errorf("seal rootfs: %w", err)
	}
	return m, nil
}
