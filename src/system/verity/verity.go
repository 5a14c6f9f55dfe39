// Package verity makes the dm-verity hash tree of a read-only image and
// the kernel's verity target line for it: format version 1, SHA-256,
// 4096-byte data and hash blocks, no superblock (the parameters travel in
// the image's signed manifest instead). The tree is laid out as the
// kernel's dm-verity and cryptsetup's veritysetup expect it: the level
// nearest the root first, the level over the data blocks last, each block
// a run of salted digests of the blocks below, zero-padded. The kernel
// then checks every block against the tree as it is read, and the tree's
// top block against the root hash, so the image is verified block by
// block for as long as it is mounted instead of once at boot.
package verity

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"picket.dev/picket/src/system/manifest"
)

const (
	// BlockSize is the data and hash block size.
	BlockSize = 4096
	// Version is the hash format: digest = H(salt || block).
	Version = 1
	// Algorithm is the kernel's name for the digest.
	Algorithm  = "sha256"
	digestSize = sha256.Size
	// perBlock is how many digests a hash block holds (a power of two,
	// as the kernel requires).
	perBlock = BlockSize / digestSize
)

// Tree describes an image's hash tree: the data it covers is the first
// DataBlocks blocks, the tree starts at block DataBlocks of the same
// device.
type Tree struct {
	DataBlocks int64
	Salt       []byte
	Root       []byte
}

// Offset is the byte offset of the hash tree, the end of the data.
func (t Tree) Offset() int64 { return t.DataBlocks * BlockSize }

// Levels returns the number of hash blocks of each level, the level over
// the data first, as the kernel counts them: enough levels that the top
// one is a single block (none for a single data block, whose digest is
// then the root).
func Levels(dataBlocks int64) []int64 {
	var levels []int64
	for n := dataBlocks; n > 1; {
		n = (n + perBlock - 1) / perBlock
		levels = append(levels, n)
	}
	return levels
}

// Size returns the hash tree's size in bytes for dataBlocks blocks.
func Size(dataBlocks int64) int64 {
	var n int64
	for _, l := range Levels(dataBlocks) {
		n += l
	}
	return n * BlockSize
}

// Compute reads dataBlocks blocks from r and returns the hash tree as it
// goes on the device right after the data, and the root hash.
func Compute(r io.Reader, dataBlocks int64, salt []byte) (tree, root []byte, err error) {
	if dataBlocks < 1 {
		return nil, nil, fmt.Errorf("verity: %d data blocks: need at least one", dataBlocks)
	}
	levels := Levels(dataBlocks)
	// digests of the level being made; level 0's come from the data.
	var cur []byte
	block := make([]byte, BlockSize)
	h := sha256.New()
	sum := func(b []byte) []byte {
		h.Reset()
		h.Write(salt)
		h.Write(b)
		return h.Sum(nil)
	}
	for i := int64(0); i < dataBlocks; i++ {
		if _, err := io.ReadFull(r, block); err != nil {
			return nil, nil, fmt.Errorf("verity: read data block %d of %d: %w", i, dataBlocks, err)
		}
		cur = append(cur, sum(block)...)
	}
	// Each level's blocks, the one over the data first.
	var made [][]byte
	for range levels {
		lvl := pad(cur)
		made = append(made, lvl)
		cur = cur[:0:0]
		for off := 0; off < len(lvl); off += BlockSize {
			cur = append(cur, sum(lvl[off:off+BlockSize])...)
		}
	}
	// cur is now the one digest of the top block (or of the only data
	// block): the root.
	for i := len(made) - 1; i >= 0; i-- {
		tree = append(tree, made[i]...)
	}
	return tree, cur, nil
}

// pad zero-fills digests to whole blocks.
func pad(b []byte) []byte {
	if n := len(b) % BlockSize; n != 0 {
		b = append(b, make([]byte, BlockSize-n)...)
	}
	return b
}

// Append pads the image at path with zeros to a whole block, computes its
// hash tree with a salt derived from the data (its SHA-256, so the same
// image always gets the same tree) and appends the tree.
func Append(path string) (Tree, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Tree{}, fmt.Errorf("verity: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Tree{}, fmt.Errorf("verity: %w", err)
	}
	size := st.Size()
	if size == 0 {
		return Tree{}, fmt.Errorf("verity: %s is empty", path)
	}
	if n := size % BlockSize; n != 0 {
		if _, err := f.WriteAt(make([]byte, BlockSize-n), size); err != nil {
			return Tree{}, fmt.Errorf("verity: pad %s: %w", path, err)
		}
		size += BlockSize - n
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
		return Tree{}, fmt.Errorf("verity: read %s: %w", path, err)
	}
	t := Tree{DataBlocks: size / BlockSize, Salt: h.Sum(nil)}
	tree, root, err := Compute(io.NewSectionReader(f, 0, size), t.DataBlocks, t.Salt)
	if err != nil {
		return Tree{}, err
	}
	t.Root = root
	if _, err := f.WriteAt(tree, size); err != nil {
		return Tree{}, fmt.Errorf("verity: append the hash tree to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return Tree{}, fmt.Errorf("verity: %w", err)
	}
	return t, nil
}

// ErrCorrupt is wrapped by Check's errors when a block does not match the
// tree.
var ErrCorrupt = errors.New("does not match its hash tree")

// Check reads the data and the tree from r (the device: data, then the
// tree at t.Offset()) and verifies every block as the kernel would, in
// user space: for tests, tools and checks of an image at rest.
func Check(r io.ReaderAt, t Tree) error {
	tree, root, err := Compute(io.NewSectionReader(r, 0, t.Offset()), t.DataBlocks, t.Salt)
	if err != nil {
		return err
	}
	if !bytes.Equal(root, t.Root) {
		return fmt.Errorf("verity: data: root hash %x, want %x: %w", root, t.Root, ErrCorrupt)
	}
	got := make([]byte, len(tree))
	if _, err := r.ReadAt(got, t.Offset()); err != nil {
		return fmt.Errorf("verity: read hash tree: %w", err)
	}
	if !bytes.Equal(got, tree) {
		return fmt.Errorf("verity: the stored hash tree %w", ErrCorrupt)
	}
	return nil
}

// Target returns the kernel's verity target parameters for the tree on
// dev (data and tree on the same device), in the order dm-verity takes
// them: version, data and hash devices, block sizes, data block count,
// hash start block, algorithm, root hash, salt. With no optional
// arguments a block that does not verify reads as an I/O error.
func (t Tree) Target(dev string) string {
	return fmt.Sprintf("%d %s %s %d %d %d %d %s %s %s", Version, dev, dev, BlockSize, BlockSize,
		t.DataBlocks, t.DataBlocks, Algorithm, hex.EncodeToString(t.Root), hex.EncodeToString(t.Salt))
}

// Sectors is the mapped device's length in 512-byte sectors.
func (t Tree) Sectors() int64 { return t.DataBlocks * (BlockSize / 512) }

// FromManifest returns the tree a signed manifest describes
// (hash_tree_offset, hash_tree_salt, hash_tree_root; imagebuild.Seal
// writes them): what the initramfs maps and imgtool verify checks.
func FromManifest(m manifest.Manifest) (Tree, error) {
	if !m.HasHashTree() {
		return Tree{}, errors.New("manifest has no hash tree")
	}
	root, err1 := hex.DecodeString(m.HashTreeRoot)
	salt, err2 := hex.DecodeString(m.HashTreeSalt)
	if err := errors.Join(err1, err2); err != nil {
		return Tree{}, fmt.Errorf("manifest hash tree: %w", err)
	}
	return Tree{DataBlocks: m.HashTreeOffset / BlockSize, Salt: salt, Root: root}, nil
}

// MappingName is the device-mapper name of a slot's verity mapping: the
// initramfs creates it, init watches its status.
func MappingName(slot string) string { return "verity-" + slot }
