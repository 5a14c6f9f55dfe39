// Package imagebuild writes Picket's disk images: a GPT partition table
// written in Go, an EFI system partition (FAT, with GRUB, the kernel, the
// initramfs and the signed slot manifests), two squashfs root filesystems
// (slot A and B) and a data partition. Every piece is reproducible: the
// same inputs give the same bytes, so two builds of one release have the
// same sha256 (GUIDs derive from a seed, filesystems get fixed ids and
// timestamps).
package imagebuild

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strings"
	"unicode/utf16"
)

// SectorSize is the logical sector size the table is written for.
const SectorSize = 512

// Align is where partitions start and how their sizes round: 1 MiB, the
// alignment every partitioning tool uses.
const Align = 1 << 20

// Table geometry: 128 entries of 128 bytes fill 32 sectors after the
// header sector.
const (
	numEntries   = 128
	entrySize    = 128
	entrySectors = numEntries * entrySize / SectorSize
	headerSize   = 92
	maxNameRunes = 36
)

// GUID is a GUID in its on-disk byte order (the first three fields little
// endian, the rest as written).
type GUID [16]byte

// ParseGUID parses the text form "C12A7328-F81F-11D2-BA4B-00A0C93EC93B".
func ParseGUID(s string) (GUID, error) {
	var g GUID
	parts := strings.Split(s, "-")
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
		return g, fmt.Errorf("GUID %q: want the form XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX", s)
	}
	var raw [16]byte
	hex := strings.Join(parts, "")
	for i := range raw {
		var b byte
		if _, err := fmt.Sscanf(hex[2*i:2*i+2], "%02x", &b); err != nil {
			return g, fmt.Errorf("GUID %q: %w", s, err)
		}
		raw[i] = b
	}
	// Mixed endian: time_low, time_mid, time_hi are little endian on disk.
	g[0], g[1], g[2], g[3] = raw[3], raw[2], raw[1], raw[0]
	g[4], g[5] = raw[5], raw[4]
	g[6], g[7] = raw[7], raw[6]
	copy(g[8:], raw[8:])
	return g, nil
}

func mustGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// String returns the canonical upper-case text form.
func (g GUID) String() string {
	return fmt.Sprintf("%08X-%04X-%04X-%02X%02X-%X",
		binary.LittleEndian.Uint32(g[0:4]), binary.LittleEndian.Uint16(g[4:6]),
		binary.LittleEndian.Uint16(g[6:8]), g[8], g[9], g[10:16])
}

// Partition type GUIDs.
var (
	TypeESP   = mustGUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
	TypeLinux = mustGUID("0FC63DAF-8483-4772-8E79-3D69D8477DE4")
)

// DeriveGUID returns a version-4-shaped GUID that depends only on seed and
// name, so a rebuild of the same board and version gets the same disk and
// partition GUIDs (random ones would break reproducibility).
func DeriveGUID(seed, name string) GUID {
	sum := sha256.Sum256([]byte("picket-gpt\x00" + seed + "\x00" + name))
	var g GUID
	copy(g[:], sum[:16])
	g[7] = g[7]&0x0f | 0x40 // version 4 (time_hi is little endian: byte 7 is its high byte)
	g[8] = g[8]&0x3f | 0x80 // RFC 4122 variant
	return g
}

// Part is one partition to write.
type Part struct {
	Name string // GPT partition name (≤ 36 UTF-16 units), e.g. "rootfs_a"
	Type GUID
	// Size is the partition size in bytes; it is rounded up to Align.
	// Zero means the size of Source, rounded up.
	Size int64
	// Source is a file copied to the start of the partition; "" leaves
	// the partition zeroed.
	Source string
}

// Placed is a partition as written: its GUID and sector range (Last
// inclusive, as GPT stores it).
type Placed struct {
	Part
	GUID        GUID
	First, Last int64
}

// Layout is the table Write wrote.
type Layout struct {
	DiskGUID GUID
	Sectors  int64 // disk size in sectors
	Parts    []Placed
}

// Plan places parts one after another from 1 MiB, each aligned to 1 MiB,
// and leaves 1 MiB at the end for the backup table. seed (board and
// version, say) fixes the GUIDs.
func Plan(seed string, parts []Part) (Layout, error) {
	if len(parts) == 0 || len(parts) > numEntries {
		return Layout{}, fmt.Errorf("plan GPT: %d partitions; want 1 to %d", len(parts), numEntries)
	}
	l := Layout{DiskGUID: DeriveGUID(seed, "disk")}
	next := int64(Align)
	seen := map[string]bool{}
	for _, p := range parts {
		if err := checkName(p.Name); err != nil {
			return Layout{}, err
		}
		if seen[p.Name] {
			return Layout{}, fmt.Errorf("plan GPT: partition name %q used twice; names must be unique (the initramfs finds slots by name)", p.Name)
		}
		seen[p.Name] = true
		size := p.Size
		if p.Source != "" {
			st, err := os.Stat(p.Source)
			if err != nil {
				return Layout{}, fmt.Errorf("partition %s: %w", p.Name, err)
			}
			if size == 0 {
				size = st.Size()
			}
			if st.Size() > size {
				return Layout{}, fmt.Errorf("partition %s: %s is %d bytes, more than the partition's %d", p.Name, p.Source, st.Size(), size)
			}
		}
		if size <= 0 {
			return Layout{}, fmt.Errorf("partition %s: size %d; give a positive size or a source file", p.Name, size)
		}
		size = (size + Align - 1) / Align * Align
		l.Parts = append(l.Parts, Placed{Part: p, GUID: DeriveGUID(seed, "part\x00"+p.Name),
			First: next / SectorSize, Last: (next+size)/SectorSize - 1})
		next += size
	}
	l.Sectors = (next + Align) / SectorSize
	return l, nil
}

func checkName(name string) error {
	if name == "" {
		return errors.New("plan GPT: a partition has no name; every partition needs one")
	}
	if n := len(utf16.Encode([]rune(name))); n > maxNameRunes {
		return fmt.Errorf("plan GPT: partition name %q is %d UTF-16 units; at most %d fit", name, n, maxNameRunes)
	}
	return nil
}

// Write plans parts (see Plan) and writes the whole disk to path:
// protective MBR, primary GPT, partition contents, backup GPT. Space no
// partition covers is left as holes (the file is sparse) and reads as
// zeros.
func Write(path, seed string, parts []Part) (Layout, error) {
	l, err := Plan(seed, parts)
	if err != nil {
		return l, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return l, fmt.Errorf("create disk image: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(l.Sectors * SectorSize); err != nil {
		return l, fmt.Errorf("size disk image %s: %w", path, err)
	}
	for _, p := range l.Parts {
		if p.Source == "" {
			continue
		}
		if err := copyInto(f, p.First*SectorSize, p.Source); err != nil {
			return l, fmt.Errorf("partition %s: %w", p.Name, err)
		}
	}
	if err := writeTables(f, l); err != nil {
		return l, fmt.Errorf("write GPT to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return l, fmt.Errorf("close disk image %s: %w", path, err)
	}
	return l, nil
}

// copyInto copies src to w at off, skipping all-zero blocks so the image
// stays sparse.
func copyInto(w io.WriterAt, off int64, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	buf := make([]byte, 1<<20)
	for {
		n, err := io.ReadFull(in, buf)
		if n > 0 && !allZero(buf[:n]) {
			if _, werr := w.WriteAt(buf[:n], off); werr != nil {
				return fmt.Errorf("write %s: %w", src, werr)
			}
		}
		off += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", src, err)
		}
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Tables returns the bytes of the protective MBR (sector 0), the primary
// header and entries (sectors 1..33) and the backup entries and header
// (the last 33 sectors), for l.
func Tables(l Layout) (mbr, primary, backup []byte) {
	entries := make([]byte, numEntries*entrySize)
	for i, p := range l.Parts {
		e := entries[i*entrySize:]
		copy(e[0:16], p.Type[:])
		copy(e[16:32], p.GUID[:])
		binary.LittleEndian.PutUint64(e[32:], uint64(p.First))
		binary.LittleEndian.PutUint64(e[40:], uint64(p.Last))
		for j, u := range utf16.Encode([]rune(p.Name)) {
			binary.LittleEndian.PutUint16(e[56+2*j:], u)
		}
	}
	entriesCRC := crc32.ChecksumIEEE(entries)
	last := l.Sectors - 1
	header := func(current, other, entriesLBA int64) []byte {
		h := make([]byte, SectorSize)
		copy(h, "EFI PART")
		binary.LittleEndian.PutUint32(h[8:], 0x00010000)
		binary.LittleEndian.PutUint32(h[12:], headerSize)
		binary.LittleEndian.PutUint64(h[24:], uint64(current))
		binary.LittleEndian.PutUint64(h[32:], uint64(other))
		binary.LittleEndian.PutUint64(h[40:], uint64(2+entrySectors))      // first usable
		binary.LittleEndian.PutUint64(h[48:], uint64(last-1-entrySectors)) // last usable
		copy(h[56:72], l.DiskGUID[:])
		binary.LittleEndian.PutUint64(h[72:], uint64(entriesLBA))
		binary.LittleEndian.PutUint32(h[80:], numEntries)
		binary.LittleEndian.PutUint32(h[84:], entrySize)
		binary.LittleEndian.PutUint32(h[88:], entriesCRC)
		binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:headerSize]))
		return h
	}
	mbr = make([]byte, SectorSize)
	pe := mbr[446:]
	pe[1], pe[2], pe[3] = 0x00, 0x02, 0x00 // CHS of LBA 1
	pe[4] = 0xEE
	pe[5], pe[6], pe[7] = 0xFF, 0xFF, 0xFF
	binary.LittleEndian.PutUint32(pe[8:], 1)
	size := uint64(l.Sectors - 1)
	if size > 0xFFFFFFFF {
		size = 0xFFFFFFFF
	}
	binary.LittleEndian.PutUint32(pe[12:], uint32(size))
	mbr[510], mbr[511] = 0x55, 0xAA
	primary = append(header(1, last, 2), entries...)
	backup = append(append([]byte{}, entries...), header(last, 1, last-entrySectors)...)
	return mbr, primary, backup
}

func writeTables(w io.WriterAt, l Layout) error {
	mbr, primary, backup := Tables(l)
	if _, err := w.WriteAt(mbr, 0); err != nil {
		return err
	}
	if _, err := w.WriteAt(primary, SectorSize); err != nil {
		return err
	}
	_, err := w.WriteAt(backup, (l.Sectors-1-entrySectors)*SectorSize)
	return err
}
