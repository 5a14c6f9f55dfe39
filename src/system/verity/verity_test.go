package verity

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"picket.dev/picket/src/system/manifest"
)

// veritysetup runs cryptsetup's veritysetup format (the reference
// implementation of the kernel's on-disk format) on the first blocks of
// data with salt and returns the tree it wrote and the root hash it
// printed.
func veritysetup(t *testing.T, data string, blocks int64, salt []byte) (tree, root []byte) {
	t.Helper()
	bin, err := exec.LookPath("veritysetup")
	if err != nil {
		bin = "/usr/sbin/veritysetup"
	}
	hashFile := filepath.Join(t.TempDir(), "hash")
	out, err := exec.Command(bin, "format", "--no-superblock", "--format=1", "--hash=sha256",
		"--data-block-size=4096", "--hash-block-size=4096", "--data-blocks="+itoa(blocks),
		"--salt="+hex.EncodeToString(salt), data, hashFile).CombinedOutput()
	if err != nil {
		t.Fatalf("veritysetup (Debian's cryptsetup-bin, which tools/fetch installs): %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Root hash:\s+([0-9a-f]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("veritysetup printed no root hash:\n%s", out)
	}
	root, _ = hex.DecodeString(string(m[1]))
	tree, err = os.ReadFile(hashFile)
	if err != nil {
		t.Fatal(err)
	}
	return tree, root
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestTreeMatchesVeritysetup: for sizes around each level boundary the
// tree and root are byte for byte veritysetup's.
func TestTreeMatchesVeritysetup(t *testing.T) {
	for _, blocks := range []int64{2, 3, 127, 128, 129, 128*128 + 1} {
		data := make([]byte, blocks*BlockSize)
		rand.Read(data[:len(data)/2]) // half random, half zero blocks
		path := filepath.Join(t.TempDir(), "data")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		salt := make([]byte, 32)
		rand.Read(salt)
		wantTree, wantRoot := veritysetup(t, path, blocks, salt)
		tree, root, err := Compute(bytes.NewReader(data), blocks, salt)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(root, wantRoot) {
			t.Errorf("%d blocks: root %x, veritysetup says %x", blocks, root, wantRoot)
		}
		// veritysetup's hash file may be longer (it rounds up); the
		// tree is its start and the rest is zero.
		if len(wantTree) < len(tree) || !bytes.Equal(wantTree[:len(tree)], tree) || len(bytes.Trim(wantTree[len(tree):], "\x00")) != 0 {
			t.Errorf("%d blocks: tree of %d bytes differs from veritysetup's %d", blocks, len(tree), len(wantTree))
		}
		if int64(len(tree)) != Size(blocks) {
			t.Errorf("%d blocks: tree is %d bytes, Size says %d", blocks, len(tree), Size(blocks))
		}
	}
}

// TestAppendThenVeritysetupVerifies: an image with its tree appended
// verifies with veritysetup verify (hash device = the image, at the
// offset), is reproducible, and a flipped byte anywhere is found by
// both veritysetup and Check.
func TestAppendThenVeritysetupVerifies(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 300*BlockSize+1234) // not a whole block: Append pads
	rand.Read(data)
	img, img2 := filepath.Join(dir, "img"), filepath.Join(dir, "img2")
	os.WriteFile(img, data, 0o644)
	os.WriteFile(img2, data, 0o644)
	tr, err := Append(img)
	if err != nil {
		t.Fatal(err)
	}
	if tr.DataBlocks != 301 {
		t.Fatalf("data blocks %d, want 301", tr.DataBlocks)
	}
	if tr2, _ := Append(img2); !bytes.Equal(tr2.Root, tr.Root) || !bytes.Equal(tr2.Salt, tr.Salt) {
		t.Fatal("two appends of the same data differ")
	}
	a, _ := os.ReadFile(img)
	b, _ := os.ReadFile(img2)
	if !bytes.Equal(a, b) || int64(len(a)) != tr.Offset()+Size(tr.DataBlocks) {
		t.Fatalf("images of %d and %d bytes, want equal and %d", len(a), len(b), tr.Offset()+Size(tr.DataBlocks))
	}
	verify := func() error {
		return exec.Command("/usr/sbin/veritysetup", "verify", "--no-superblock", "--format=1", "--hash=sha256",
			"--data-block-size=4096", "--hash-block-size=4096", "--data-blocks="+itoa(tr.DataBlocks),
			"--hash-offset="+itoa(tr.Offset()), "--salt="+hex.EncodeToString(tr.Salt),
			img, img, hex.EncodeToString(tr.Root)).Run()
	}
	if err := verify(); err != nil {
		t.Fatalf("veritysetup verify of the appended image: %v", err)
	}
	f, _ := os.Open(img)
	if err := Check(f, tr); err != nil {
		t.Fatalf("Check: %v", err)
	}
	f.Close()
	for _, off := range []int64{0, 150*BlockSize + 7, tr.Offset() - 1, tr.Offset() + 5, int64(len(a)) - 1} {
		c := append([]byte(nil), a...)
		c[off] ^= 0x40
		os.WriteFile(img, c, 0o644)
		if verify() == nil {
			t.Errorf("byte %d flipped: veritysetup verify passes", off)
		}
		f, _ := os.Open(img)
		if err := Check(f, tr); !errors.Is(err, ErrCorrupt) {
			t.Errorf("byte %d flipped: Check says %v", off, err)
		}
		f.Close()
	}
}

func TestTarget(t *testing.T) {
	tr := Tree{DataBlocks: 10, Salt: []byte{0xab}, Root: []byte{0x01, 0x02}}
	if got, want := tr.Target("/dev/vda2"), "1 /dev/vda2 /dev/vda2 4096 4096 10 10 sha256 0102 ab"; got != want {
		t.Fatalf("target %q, want %q", got, want)
	}
	if tr.Sectors() != 80 {
		t.Fatalf("sectors %d", tr.Sectors())
	}
}

// TestFromManifest reads back the tree a manifest describes, as
// imagebuild.Seal writes it.
func TestFromManifest(t *testing.T) {
	want := Tree{DataBlocks: 3, Salt: bytes.Repeat([]byte{0xcd}, 32), Root: bytes.Repeat([]byte{0xab}, 32)}
	m := manifest.Manifest{HashTreeRoot: hex.EncodeToString(want.Root), HashTreeOffset: want.Offset(), HashTreeSalt: hex.EncodeToString(want.Salt)}
	got, err := FromManifest(m)
	if err != nil || got.DataBlocks != want.DataBlocks || !bytes.Equal(got.Salt, want.Salt) || !bytes.Equal(got.Root, want.Root) {
		t.Fatalf("FromManifest = %+v, %v; want %+v", got, err, want)
	}
	if _, err := FromManifest(manifest.Manifest{}); err == nil {
		t.Fatal("a manifest without a tree gave a tree")
	}
}
