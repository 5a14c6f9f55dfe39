package imagebuild

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf16"
)

// PartInfo is one used entry of a partition table read by ReadPartitions.
// First and Last are sectors of SectorSize bytes, Last inclusive as GPT
// stores it.
type PartInfo struct {
	Name        string
	Type, GUID  GUID
	First, Last int64
}

// Offset is where the partition starts, in bytes from the start of the
// disk.
func (p PartInfo) Offset() int64 { return p.First * SectorSize }

// Size is the partition's length in bytes.
func (p PartInfo) Size() int64 { return (p.Last - p.First + 1) * SectorSize }

// maxEntryBytes bounds the entry array ReadPartitions reads: the usual
// table is 16 KiB, and a damaged header must not make it allocate
// gigabytes.
const maxEntryBytes = 1 << 20

// ErrNoGPT is wrapped by ReadPartitions' error when the disk has no GPT
// header at LBA 1 at all (as opposed to a damaged one).
var ErrNoGPT = errors.New("no GPT")

// ReadPartitions reads the primary GPT of a disk with SectorSize-byte
// sectors: the header at LBA 1 (signature "EFI PART", header CRC32) and
// its partition entry array (entries CRC32), and returns the used entries
// in table order. It does not read or repair the backup table: a disk
// whose primary table is damaged is reported, not guessed at.
func ReadPartitions(r io.ReaderAt) ([]PartInfo, error) {
	h := make([]byte, SectorSize)
	if _, err := r.ReadAt(h, SectorSize); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read GPT header at LBA 1: %w: the disk is smaller than %d bytes", ErrNoGPT, 2*SectorSize)
		}
		return nil, fmt.Errorf("read GPT header at LBA 1: %w", err)
	}
	if string(h[:8]) != "EFI PART" {
		// A table written for 4096-byte sectors has its header at byte
		// 4096; say so rather than just "no GPT".
		alt := make([]byte, 8)
		if _, err := r.ReadAt(alt, 4096); err == nil && string(alt) == "EFI PART" {
			return nil, fmt.Errorf("read GPT: %w for %d-byte sectors: the header is at byte 4096, a table for 4096-byte sectors, which is not supported", ErrNoGPT, SectorSize)
		}
		return nil, fmt.Errorf("read GPT: %w: LBA 1 starts with %q, not the signature \"EFI PART\" (not a GPT disk, or a partition rather than a whole disk)", ErrNoGPT, h[:8])
	}
	hsize := binary.LittleEndian.Uint32(h[12:])
	if hsize < headerSize || hsize > SectorSize {
		return nil, fmt.Errorf("read GPT: header size %d; want %d to %d bytes", hsize, headerSize, SectorSize)
	}
	c := append([]byte{}, h[:hsize]...)
	binary.LittleEndian.PutUint32(c[16:], 0)
	if got, want := crc32.ChecksumIEEE(c), binary.LittleEndian.Uint32(h[16:]); got != want {
		return nil, fmt.Errorf("read GPT: header CRC32 is %08x, the header says %08x: the primary GPT header is damaged", got, want)
	}
	if cur := binary.LittleEndian.Uint64(h[24:]); cur != 1 {
		return nil, fmt.Errorf("read GPT: the header at LBA 1 says it is at LBA %d", cur)
	}
	entriesLBA := binary.LittleEndian.Uint64(h[72:])
	count := binary.LittleEndian.Uint32(h[80:])
	esize := binary.LittleEndian.Uint32(h[84:])
	if esize < entrySize || esize%8 != 0 {
		return nil, fmt.Errorf("read GPT: entry size %d; want a multiple of 8, at least %d", esize, entrySize)
	}
	if total := uint64(count) * uint64(esize); total == 0 || total > maxEntryBytes {
		return nil, fmt.Errorf("read GPT: %d entries of %d bytes; want 1 to %d bytes of entries", count, esize, maxEntryBytes)
	}
	if entriesLBA < 2 || entriesLBA > 1<<40 {
		return nil, fmt.Errorf("read GPT: entries at LBA %d; want 2 or later, on the disk", entriesLBA)
	}
	entries := make([]byte, int(count)*int(esize))
	if _, err := r.ReadAt(entries, int64(entriesLBA)*SectorSize); err != nil {
		return nil, fmt.Errorf("read GPT entries at LBA %d: %w", entriesLBA, err)
	}
	if got, want := crc32.ChecksumIEEE(entries), binary.LittleEndian.Uint32(h[88:]); got != want {
		return nil, fmt.Errorf("read GPT: entries CRC32 is %08x, the header says %08x: the partition entries are damaged", got, want)
	}
	var parts []PartInfo
	for i := 0; i < int(count); i++ {
		e := entries[i*int(esize) : (i+1)*int(esize)]
		var p PartInfo
		copy(p.Type[:], e[0:16])
		if p.Type == (GUID{}) {
			continue // unused entry
		}
		copy(p.GUID[:], e[16:32])
		p.First = int64(binary.LittleEndian.Uint64(e[32:]))
		p.Last = int64(binary.LittleEndian.Uint64(e[40:]))
		var units []uint16
		for j := 56; j+1 < entrySize; j += 2 {
			u := binary.LittleEndian.Uint16(e[j:])
			if u == 0 {
				break
			}
			units = append(units, u)
		}
		p.Name = string(utf16.Decode(units))
		if p.First < 0 || p.Last < p.First {
			return nil, fmt.Errorf("read GPT: entry %d (%q) spans sectors %d to %d; want first ≤ last", i+1, p.Name, p.First, p.Last)
		}
		parts = append(parts, p)
	}
	return parts, nil
}
