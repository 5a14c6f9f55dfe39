// Package manifest describes a rootfs image (board, version, size, SHA-256)
// and signs and verifies that description with an ed25519 release key.
//
// A signed manifest file carries the manifest's exact bytes next to a
// detached signature over them, so a verifier checks the signature over the
// raw bytes first and parses the manifest only afterwards: nothing an
// attacker wrote is interpreted before it is known to come from a release
// key. Manifests hold no timestamps so that identical images give identical
// manifests and signatures (ed25519 signing is deterministic).
package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"picket.dev/picket/src/base/strictjson"
)

// FormatVersion is the manifest format this package writes and accepts.
const FormatVersion = 1

// Manifest describes one image. Its JSON encoding (Marshal) is canonical:
// fixed field order, no insignificant white space.
type Manifest struct {
	Format  int    `json:"format"`
	Board   string `json:"board"`
	Version string `json:"version"`
	// Size is the image's length in bytes.
	Size int64 `json:"size"`
	// SHA256 is the lower-case hex SHA-256 of the image's bytes.
	SHA256 string `json:"sha256"`
	// HashTreeRoot is the dm-verity root hash (hex) when the image has a
	// hash tree; empty otherwise. The tree (src/system/verity: format 1,
	// SHA-256, 4096-byte blocks, no superblock) covers the image's first
	// HashTreeOffset bytes and is stored right after them, within Size,
	// salted with HashTreeSalt (hex). A box boots such an image behind
	// dm-verity, every block checked as it is read; an image without a
	// tree is hashed whole before it is booted.
	HashTreeRoot   string `json:"hash_tree_root,omitempty"`
	HashTreeOffset int64  `json:"hash_tree_offset,omitempty"`
	HashTreeSalt   string `json:"hash_tree_salt,omitempty"`
}

// HasHashTree reports whether the image carries a dm-verity hash tree.
func (m Manifest) HasHashTree() bool { return m.HashTreeRoot != "" }

// treeBlock is dm-verity's block size (src/system/verity.BlockSize): the
// hash tree starts on a block boundary.
const treeBlock = 4096

// The fields' forms are checked by hand, not with regular expressions:
// every daemon, the init and the initramfs link this package, and
// compiling `{0,127}` at each start cost them 300 KB and, under
// emulation, a good part of a second of the boot between them.

// isName reports whether s is 1 to max characters, the first one of
// first and the others of rest.
func isName(s string, max int, first, rest func(byte) bool) bool {
	if len(s) == 0 || len(s) > max || !first(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !rest(s[i]) {
			return false
		}
	}
	return true
}

func lowerDigit(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
func alnum(c byte) bool      { return lowerDigit(c) || 'A' <= c && c <= 'Z' }
func hexDigit(c byte) bool   { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// isBoard: lower-case letters and digits, then '-' and '_' too; at most 64.
func isBoard(s string) bool {
	return isName(s, 64, lowerDigit, func(c byte) bool { return lowerDigit(c) || c == '-' || c == '_' })
}

// isVersion: a letter or digit, then . _ + ~ - too; at most 128.
func isVersion(s string) bool {
	return isName(s, 128, alnum, func(c byte) bool { return alnum(c) || strings.IndexByte("._+~-", c) >= 0 })
}

// isHex: n lower-case hex digits, n even and within [min, max].
func isHex(s string, min, max int) bool {
	return len(s)%2 == 0 && len(s) >= min && len(s) <= max && isName(s, max, hexDigit, hexDigit)
}

// Validate reports the first field that is not acceptable.
func (m Manifest) Validate() error {
	switch {
	case m.Format != FormatVersion:
		return fmt.Errorf("manifest format %d: only format %d is supported", m.Format, FormatVersion)
	case !isBoard(m.Board):
		return fmt.Errorf("manifest board %q: want lower-case letters, digits, '-' or '_', at most 64", m.Board)
	case !isVersion(m.Version):
		return fmt.Errorf("manifest version %q: want letters, digits and . _ + ~ -, at most 128", m.Version)
	case m.Size < 0:
		return fmt.Errorf("manifest size %d: must not be negative", m.Size)
	case !isHex(m.SHA256, 64, 64):
		return fmt.Errorf("manifest sha256 %q: want 64 lower-case hex digits", m.SHA256)
	case m.HashTreeRoot != "" && !isHex(m.HashTreeRoot, 32, 128):
		return fmt.Errorf("manifest hash_tree_root %q: want lower-case hex of 16 to 64 bytes, or nothing", m.HashTreeRoot)
	case m.HashTreeRoot == "" && (m.HashTreeOffset != 0 || m.HashTreeSalt != ""):
		return errors.New("manifest has a hash tree offset or salt but no hash_tree_root")
	case m.HashTreeRoot != "" && (m.HashTreeOffset <= 0 || m.HashTreeOffset%treeBlock != 0 || m.HashTreeOffset > m.Size):
		return fmt.Errorf("manifest hash_tree_offset %d: want a positive multiple of %d, at most the size %d (a one-block image has an empty tree)", m.HashTreeOffset, treeBlock, m.Size)
	case m.HashTreeRoot != "" && !isHex(m.HashTreeSalt, 32, 128):
		return fmt.Errorf("manifest hash_tree_salt %q: want lower-case hex of 16 to 64 bytes", m.HashTreeSalt)
	}
	return nil
}

// Marshal returns the canonical encoding of a valid manifest.
func (m Manifest) Marshal() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := strictjson.Canonical(m)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return b, nil
}

// parse decodes manifest bytes strictly: unknown fields, trailing data and
// any encoding other than the canonical one are refused, so one manifest
// has exactly one signed form.
func parse(b []byte) (Manifest, error) {
	var m Manifest
	if err := strictjson.UnmarshalCanonical(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("decode manifest: %w", err)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Describe reads an image to its end and returns its manifest for the given
// board and version.
func Describe(r io.Reader, board, version string) (Manifest, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return Manifest{}, fmt.Errorf("read image: %w", err)
	}
	m := Manifest{Format: FormatVersion, Board: board, Version: version, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// ErrImageMismatch is wrapped by VerifyImage's errors when the image is not
// the one the manifest describes.
var ErrImageMismatch = errors.New("image does not match its manifest")

// VerifyImage reads r to its end (at most one byte past the manifest's
// size) and checks its size and SHA-256 against m.
func VerifyImage(r io.Reader, m Manifest) error {
	if err := m.Validate(); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, m.Size+1))
	if err != nil {
		return fmt.Errorf("read image: %w", err)
	}
	if n > m.Size {
		return fmt.Errorf("%w: image is longer than the manifest's %d bytes", ErrImageMismatch, m.Size)
	}
	if n < m.Size {
		return fmt.Errorf("%w: image is %d bytes, manifest says %d (truncated?)", ErrImageMismatch, n, m.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.SHA256 {
		return fmt.Errorf("%w: image sha256 is %s, manifest says %s", ErrImageMismatch, got, m.SHA256)
	}
	return nil
}

// Sum is a helper for callers that hash while copying: it wraps a running
// SHA-256 and byte count and compares them with a manifest.
type Sum struct {
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

// NewSum returns an empty running sum.
func NewSum() *Sum { return &Sum{h: sha256.New()} }

// Write adds p to the sum.
func (s *Sum) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	return s.h.Write(p)
}

// Check compares what was written with m, in VerifyImage's terms.
func (s *Sum) Check(m Manifest) error {
	if s.n != m.Size {
		return fmt.Errorf("%w: %d bytes, manifest says %d", ErrImageMismatch, s.n, m.Size)
	}
	if got := hex.EncodeToString(s.h.Sum(nil)); got != m.SHA256 {
		return fmt.Errorf("%w: sha256 is %s, manifest says %s", ErrImageMismatch, got, m.SHA256)
	}
	return nil
}
