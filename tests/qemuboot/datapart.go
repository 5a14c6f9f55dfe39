package qemuboot

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"picket.dev/picket/src/link/boxid"
	"picket.dev/picket/src/system/imagebuild"
)

// What the qemu suites do to a disk image's data partition between two
// power-ons, with the host's e2fsprogs (tools/fetch installs it), so that
// the box meets a data partition that does not mount (src/system/datapart).

// Partition returns the byte offset and size of disk's partition name
// (imagebuild.PartData, PartRootfsA, ...).
func Partition(t testing.TB, disk, name string) (off, size int64) {
	t.Helper()
	f, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parts, err := imagebuild.ReadPartitions(f)
	if err != nil {
		t.Fatalf("%s: %v", disk, err)
	}
	for _, p := range parts {
		if p.Name == name {
			return p.Offset(), p.Size()
		}
	}
	t.Fatalf("no %s partition in %s: %v", name, disk, parts)
	return 0, 0
}

// DataPart returns the byte offset and size of disk's data partition.
func DataPart(t testing.TB, disk string) (off, size int64) {
	t.Helper()
	return Partition(t, disk, imagebuild.PartData)
}

// dataFS is the data partition as e2fsprogs names it: disk?offset=N.
func dataFS(t testing.TB, disk string) string {
	off, _ := DataPart(t, disk)
	return fmt.Sprintf("%s?offset=%d", disk, off)
}

func e2fsprogs(t testing.TB, tool string, args ...string) string {
	t.Helper()
	path, err := imagebuild.Tool(tool)
	if err != nil {
		t.Fatalf("%v (tools/fetch installs e2fsprogs)", err)
	}
	// Standard output only: debugfs prints its banner on standard error,
	// and "cat" a file's bytes on standard output.
	cmd := exec.Command(path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", tool, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

// PlantIdentity writes a box identity (package boxid's key file, made
// here) into disk's data partition with debugfs, where scannerd keeps it
// (its -data is /data), and returns the identity.
func PlantIdentity(t testing.TB, disk string) (*boxid.Identity, []byte) {
	t.Helper()
	dir := t.TempDir()
	id, _, err := boxid.LoadOrCreate(dir, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, boxid.KeyFile)
	b, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	cmds := filepath.Join(dir, "debugfs.cmds")
	script := fmt.Sprintf("mkdir %s\nwrite %s %s\n", filepath.Dir(boxid.KeyFile), key, boxid.KeyFile)
	if err := os.WriteFile(cmds, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	e2fsprogs(t, "debugfs", "-w", "-f", cmds, dataFS(t, disk))
	if got := ReadData(t, disk, boxid.KeyFile); !bytes.Equal(got, b) {
		t.Fatalf("debugfs wrote %q, read back %q", b, got)
	}
	return id, b
}

// ReadData reads a file of disk's data partition as the box left it: a
// copy of the partition with its journal replayed (the host's e2fsck -p:
// after a pulled plug the last writes may be in the journal only).
func ReadData(t testing.TB, disk, name string) []byte {
	t.Helper()
	off, size := DataPart(t, disk)
	src, err := os.Open(disk)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cp := filepath.Join(t.TempDir(), "data.img")
	dst, err := os.Create(cp)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(dst, io.NewSectionReader(src, off, size))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	fsck, err := imagebuild.Tool("e2fsck")
	if err != nil {
		t.Fatalf("%v (tools/fetch installs e2fsprogs)", err)
	}
	// Exit status 1: the journal replayed (or something corrected); the
	// file system is consistent either way.
	out, err := exec.Command(fsck, "-p", cp).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("e2fsck -p of the data partition's copy: %v\n%s", err, out)
	}
	return []byte(e2fsprogs(t, "debugfs", "-R", "cat "+name, cp))
}

// DataFeatures is the data partition's "Filesystem features" line, as
// dumpe2fs reads it, without needs_recovery (the state of a file system
// mounted or not cleanly unmounted, not a feature it was made with).
func DataFeatures(t testing.TB, disk string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Filesystem features:\s*(.*)$`).FindStringSubmatch(e2fsprogs(t, "dumpe2fs", "-h", dataFS(t, disk)))
	if m == nil {
		t.Fatal("dumpe2fs: no features line")
	}
	var f []string
	for _, w := range strings.Fields(m[1]) {
		if w != "needs_recovery" {
			f = append(f, w)
		}
	}
	return strings.Join(f, " ")
}

// BreakRootInode zeroes the root directory's inode (inode 2) of disk's
// data partition: the kernel refuses to mount it, e2fsck -p stops at it
// (a person must decide), and e2fsck -y makes a new root directory and
// puts the directories it held into lost+found.
func BreakRootInode(t testing.TB, disk string) {
	t.Helper()
	out := e2fsprogs(t, "debugfs", "-R", "imap <2>", dataFS(t, disk))
	m := regexp.MustCompile(`located at block (\d+), offset 0x([0-9a-f]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("debugfs imap <2>: no location in %q", out)
	}
	blk, _ := strconv.ParseInt(m[1], 10, 64)
	at, _ := strconv.ParseInt(m[2], 16, 64)
	off, _ := DataPart(t, disk)
	zero(t, disk, off+blk*blockSize(t, disk)+at, 256)
}

// WipeSuperblocks zeroes every copy of the data partition's superblock,
// the primary and each backup dumpe2fs lists: e2fsck has nothing to
// repair from.
func WipeSuperblocks(t testing.TB, disk string) {
	t.Helper()
	out := e2fsprogs(t, "dumpe2fs", dataFS(t, disk))
	bs := blockSize(t, disk)
	off, _ := DataPart(t, disk)
	n := 0
	for _, m := range regexp.MustCompile(`(Primary|Backup) superblock at (\d+)`).FindAllStringSubmatch(out, -1) {
		blk, _ := strconv.ParseInt(m[2], 10, 64)
		at := blk * bs
		if blk == 0 {
			at = 1024 // the primary superblock, after the boot sector
		}
		zero(t, disk, off+at, 1024)
		n++
	}
	if n == 0 {
		t.Fatalf("dumpe2fs lists no superblock:\n%s", out)
	}
}

func blockSize(t testing.TB, disk string) int64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Block size:\s*(\d+)$`).FindStringSubmatch(e2fsprogs(t, "dumpe2fs", "-h", dataFS(t, disk)))
	if m == nil {
		t.Fatal("dumpe2fs: no block size")
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func zero(t testing.TB, disk string, at int64, n int) {
	t.Helper()
	f, err := os.OpenFile(disk, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, n), at); err != nil {
		t.Fatal(err)
	}
}
