package e2fs_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"picket.dev/picket/src/system/e2fs"
	"picket.dev/picket/src/system/imagebuild"
)

// host finds a tool of the build host's e2fsprogs (the inputs.lock apt
// row e2fsprogs installs it).
func host(t *testing.T, name string) string {
	t.Helper()
	p, err := imagebuild.Tool(name)
	if err != nil {
		t.Fatalf("%s is needed (tools/fetch installs e2fsprogs): %v", name, err)
	}
	return p
}

func hostTools(t *testing.T) e2fs.Tools {
	return e2fs.Tools{E2fsck: host(t, "e2fsck"), Mke2fs: host(t, "mke2fs")}
}

// image is an empty file of 64 MiB, the size of the test images' data
// partitions: one block group, so one superblock and no backup.
func image(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "data.img")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 64<<20); err != nil {
		t.Fatal(err)
	}
	return p
}

// superblock is what dumpe2fs -h says of the file system in img.
func superblock(t *testing.T, img string) map[string]string {
	t.Helper()
	out, err := exec.Command(host(t, "dumpe2fs"), "-h", img).CombinedOutput()
	if err != nil {
		t.Fatalf("dumpe2fs %s: %v\n%s", img, err, out)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

func TestFormatMakesTheBuildsFileSystem(t *testing.T) {
	ctx := context.Background()
	img := image(t)
	if err := hostTools(t).Format(ctx, img, e2fs.DataLabel); err != nil {
		t.Fatal(err)
	}
	box := superblock(t, img)
	// The features written out by hand from Debian bookworm's
	// mke2fs.conf (ext4 = has_journal,extent,huge_file,flex_bg,
	// metadata_csum,64bit,dir_nlink,extra_isize on top of the base
	// sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr),
	// in dumpe2fs's order.
	want := "has_journal ext_attr resize_inode dir_index filetype extent 64bit flex_bg sparse_super large_file huge_file dir_nlink extra_isize metadata_csum"
	if got := box["Filesystem features"]; got != want {
		t.Errorf("features %q, want %q", got, want)
	}
	if got := box["Filesystem volume name"]; got != e2fs.DataLabel {
		t.Errorf("label %q, want %q", got, e2fs.DataLabel)
	}
	// The image build's data partition: the same file system but for
	// what makes it reproducible (UUID, hash seed, times).
	built := filepath.Join(t.TempDir(), "built.img")
	if err := imagebuild.BuildExt4(ctx, built, 64<<20, e2fs.DataLabel, imagebuild.DeriveGUID("seed", "data-fs")); err != nil {
		t.Fatal(err)
	}
	bld := superblock(t, built)
	for _, k := range []string{"Filesystem features", "Filesystem volume name", "Block size", "Inode size", "Inode count", "Block count", "Reserved block count", "Default mount options", "Journal size", "Filesystem flags", "Errors behavior"} {
		if box[k] != bld[k] {
			t.Errorf("%s: %q on the box, %q in the image build", k, box[k], bld[k])
		}
	}
	res, err := hostTools(t).Check(ctx, img, e2fs.Preen)
	if err != nil || res.Status != 0 || !res.Consistent() || res.Changed() || !strings.Contains(res.Output, "PICKETDATA: 11/") {
		t.Errorf("e2fsck -p -f of a new file system: %+v, %v; want status 0 and the full check's summary", res, err)
	}
}

// inodeAt is the byte offset of inode ino in img (debugfs imap).
func inodeAt(t *testing.T, img string, ino int) int64 {
	t.Helper()
	out, err := exec.Command(host(t, "debugfs"), "-R", "imap <"+strconv.Itoa(ino)+">", img).CombinedOutput()
	if err != nil {
		t.Fatalf("debugfs imap: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`located at block (\d+), offset 0x([0-9a-f]+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("debugfs imap <%d>: no location in %q", ino, out)
	}
	blk, _ := strconv.ParseInt(m[1], 10, 64)
	off, _ := strconv.ParseInt(m[2], 16, 64)
	return blk*4096 + off
}

func zero(t *testing.T, img string, at int64, n int) {
	t.Helper()
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, n), at); err != nil {
		t.Fatal(err)
	}
}

func TestCheckVerdicts(t *testing.T) {
	ctx := context.Background()
	tools := hostTools(t)
	fresh := func(t *testing.T) string {
		img := image(t)
		if err := tools.Format(ctx, img, e2fs.DataLabel); err != nil {
			t.Fatal(err)
		}
		return img
	}
	check := func(t *testing.T, img string, mode e2fs.Mode) e2fs.Result {
		t.Helper()
		res, err := tools.Check(ctx, img, mode)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	t.Run("root inode zeroed: preen stops, yes repairs", func(t *testing.T) {
		img := fresh(t)
		zero(t, img, inodeAt(t, img, 2), 256)
		p := check(t, img, e2fs.Preen)
		if !p.ErrorsLeft() || p.Consistent() || p.NoFileSystem() {
			t.Errorf("e2fsck -p: status %d; want 4 (errors left for a person)\n%s", p.Status, p.Output)
		}
		y := check(t, img, e2fs.Yes)
		if !y.Consistent() || !y.Changed() {
			t.Errorf("e2fsck -y: status %d; want 1 (corrected)\n%s", y.Status, y.Output)
		}
		if again := check(t, img, e2fs.Preen); again.Status != 0 {
			t.Errorf("e2fsck -p after the repair: status %d, want 0\n%s", again.Status, again.Output)
		}
	})
	t.Run("superblock zeroed: nothing to repair from", func(t *testing.T) {
		img := fresh(t)
		zero(t, img, 1024, 1024)
		for _, mode := range []e2fs.Mode{e2fs.Preen, e2fs.Yes} {
			if r := check(t, img, mode); !r.NoFileSystem() || r.Consistent() {
				t.Errorf("mode %d: status %d; want 8 (no valid superblock)\n%s", mode, r.Status, r.Output)
			}
		}
	})
	t.Run("a device that does not read is not formatted", func(t *testing.T) {
		short := filepath.Join(t.TempDir(), "short.img")
		if err := os.WriteFile(short, []byte("not 64 KiB"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := tools.Format(ctx, short, e2fs.DataLabel); err == nil {
			t.Error("Format of a device whose first 64 KiB do not read: no error")
		}
		if b, _ := os.ReadFile(short); string(b) != "not 64 KiB" {
			t.Errorf("the device was written: %q", b)
		}
	})
	t.Run("e2fsck missing", func(t *testing.T) {
		img := fresh(t)
		if _, err := (e2fs.Tools{E2fsck: filepath.Join(t.TempDir(), "e2fsck")}).Check(ctx, img, e2fs.Preen); err == nil {
			t.Error("Check with no e2fsck: no error")
		}
	})
}

func TestResultBits(t *testing.T) {
	for _, c := range []struct {
		status                                int
		consistent, changed, errorsLeft, noFS bool
	}{
		{0, true, false, false, false},
		{1, true, true, false, false},
		{2, true, true, false, false},
		{3, true, true, false, false},
		{4, false, false, true, false},
		{5, false, true, true, false},
		{8, false, false, false, true},
		{12, false, false, true, true},
		// e2fsck did not do its work: its verdict means nothing.
		{16, false, false, false, false},
		{32, false, false, false, false},
		{36, false, false, false, false},
		{128, false, false, false, false},
		{136, false, false, false, false},
	} {
		r := e2fs.Result{Status: c.status}
		got := []bool{r.Consistent(), r.Changed(), r.ErrorsLeft(), r.NoFileSystem()}
		if want := []bool{c.consistent, c.changed, c.errorsLeft, c.noFS}; !slices.Equal(got, want) {
			t.Errorf("status %d: Consistent, Changed, ErrorsLeft, NoFileSystem = %v, want %v", c.status, got, want)
		}
	}
}
