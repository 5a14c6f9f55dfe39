package imagebuild

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// parsedPart is a partition entry read back from disk by parseGPT.
type parsedPart struct {
	Type, GUID  GUID
	First, Last int64
	Name        string
}

// parseGPT is an independent reader of what Write writes: it checks the
// protective MBR, both headers and both entry arrays (signatures, CRCs,
// cross-references) and returns the disk GUID and the used entries.
func parseGPT(disk []byte) (GUID, []parsedPart, error) {
	var zero GUID
	if len(disk)%SectorSize != 0 || len(disk) < 67*SectorSize {
		return zero, nil, fmt.Errorf("disk of %d bytes", len(disk))
	}
	sectors := int64(len(disk) / SectorSize)
	mbr := disk[:SectorSize]
	if mbr[510] != 0x55 || mbr[511] != 0xAA || mbr[446+4] != 0xEE {
		return zero, nil, fmt.Errorf("no protective MBR")
	}
	if got := binary.LittleEndian.Uint32(mbr[446+8:]); got != 1 {
		return zero, nil, fmt.Errorf("protective MBR starts at %d", got)
	}
	if got := int64(binary.LittleEndian.Uint32(mbr[446+12:])); got != sectors-1 {
		return zero, nil, fmt.Errorf("protective MBR covers %d sectors, disk has %d", got, sectors-1)
	}
	readHeader := func(lba int64) (hdr []byte, entries []byte, err error) {
		h := disk[lba*SectorSize : lba*SectorSize+SectorSize]
		if string(h[:8]) != "EFI PART" {
			return nil, nil, fmt.Errorf("LBA %d: no GPT signature", lba)
		}
		size := binary.LittleEndian.Uint32(h[12:])
		c := append([]byte{}, h[:size]...)
		binary.LittleEndian.PutUint32(c[16:], 0)
		if crc32.ChecksumIEEE(c) != binary.LittleEndian.Uint32(h[16:]) {
			return nil, nil, fmt.Errorf("LBA %d: header CRC mismatch", lba)
		}
		if cur := int64(binary.LittleEndian.Uint64(h[24:])); cur != lba {
			return nil, nil, fmt.Errorf("LBA %d: header says it is at %d", lba, cur)
		}
		el := int64(binary.LittleEndian.Uint64(h[72:]))
		n := binary.LittleEndian.Uint32(h[80:]) * binary.LittleEndian.Uint32(h[84:])
		e := disk[el*SectorSize : el*SectorSize+int64(n)]
		if crc32.ChecksumIEEE(e) != binary.LittleEndian.Uint32(h[88:]) {
			return nil, nil, fmt.Errorf("LBA %d: entries CRC mismatch", lba)
		}
		return h, e, nil
	}
	ph, pe, err := readHeader(1)
	if err != nil {
		return zero, nil, err
	}
	backupLBA := int64(binary.LittleEndian.Uint64(ph[32:]))
	if backupLBA != sectors-1 {
		return zero, nil, fmt.Errorf("backup header at %d, want last sector %d", backupLBA, sectors-1)
	}
	bh, be, err := readHeader(backupLBA)
	if err != nil {
		return zero, nil, err
	}
	if !bytes.Equal(pe, be) || !bytes.Equal(ph[40:72], bh[40:72]) {
		return zero, nil, fmt.Errorf("primary and backup tables differ")
	}
	if int64(binary.LittleEndian.Uint64(bh[32:])) != 1 {
		return zero, nil, fmt.Errorf("backup header does not point to the primary")
	}
	var diskGUID GUID
	copy(diskGUID[:], ph[56:72])
	firstUsable, lastUsable := int64(binary.LittleEndian.Uint64(ph[40:])), int64(binary.LittleEndian.Uint64(ph[48:]))
	var parts []parsedPart
	for i := 0; i+entrySize <= len(pe); i += entrySize {
		e := pe[i : i+entrySize]
		var p parsedPart
		copy(p.Type[:], e[0:16])
		if p.Type == (GUID{}) {
			continue
		}
		copy(p.GUID[:], e[16:32])
		p.First, p.Last = int64(binary.LittleEndian.Uint64(e[32:])), int64(binary.LittleEndian.Uint64(e[40:]))
		if p.First < firstUsable || p.Last > lastUsable || p.Last < p.First {
			return zero, nil, fmt.Errorf("entry %d: sectors %d-%d outside usable %d-%d", i/entrySize, p.First, p.Last, firstUsable, lastUsable)
		}
		var u []uint16
		for j := 56; j < entrySize; j += 2 {
			c := binary.LittleEndian.Uint16(e[j:])
			if c == 0 {
				break
			}
			u = append(u, c)
		}
		p.Name = string(utf16.Decode(u))
		parts = append(parts, p)
	}
	return diskGUID, parts, nil
}

func TestGUIDText(t *testing.T) {
	for _, s := range []string{"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "0FC63DAF-8483-4772-8E79-3D69D8477DE4"} {
		g, err := ParseGUID(s)
		if err != nil {
			t.Fatal(err)
		}
		if g.String() != s {
			t.Errorf("ParseGUID(%s).String() = %s", s, g)
		}
	}
	// The ESP type's on-disk bytes, as the UEFI spec lists them.
	want := []byte{0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b}
	if !bytes.Equal(TypeESP[:], want) {
		t.Errorf("TypeESP bytes % x, want % x", TypeESP[:], want)
	}
	for _, bad := range []string{"", "C12A7328F81F11D2BA4B00A0C93EC93B", "C12A7328-F81F-11D2-BA4B-00A0C93EC93", "G12A7328-F81F-11D2-BA4B-00A0C93EC93B"} {
		if _, err := ParseGUID(bad); err == nil {
			t.Errorf("ParseGUID(%q) accepted", bad)
		}
	}
}

func TestWriteParsesBack(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "a.bin")
	content := bytes.Repeat([]byte("slot-a"), 300000) // ~1.7 MiB: spans two aligned MiB
	if err := os.WriteFile(src, content, 0o644); err != nil {
		t.Fatal(err)
	}
	parts := []Part{
		{Name: "boot", Type: TypeESP, Size: 3 << 20},
		{Name: "rootfs_a", Type: TypeLinux, Source: src},
		{Name: "rootfs_b", Type: TypeLinux, Size: 2<<20 + 1},
		{Name: "dätä", Type: TypeLinux, Size: 1 << 20},
	}
	out := filepath.Join(dir, "disk.img")
	l, err := Write(out, "virtual\x001.0", parts)
	if err != nil {
		t.Fatal(err)
	}
	disk, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	diskGUID, got, err := parseGPT(disk)
	if err != nil {
		t.Fatal(err)
	}
	if diskGUID != l.DiskGUID || diskGUID != DeriveGUID("virtual\x001.0", "disk") {
		t.Errorf("disk GUID %s, layout says %s", diskGUID, l.DiskGUID)
	}
	wantSectors := []struct{ first, last int64 }{{2048, 2048 + 3*2048 - 1}, {8192, 8192 + 2*2048 - 1}, {12288, 12288 + 3*2048 - 1}, {18432, 18432 + 2048 - 1}}
	if len(got) != len(parts) {
		t.Fatalf("%d partitions read back, want %d", len(got), len(parts))
	}
	seen := map[GUID]bool{}
	for i, p := range got {
		if p.Name != parts[i].Name || p.Type != parts[i].Type {
			t.Errorf("partition %d: name %q type %s, want %q %s", i, p.Name, p.Type, parts[i].Name, parts[i].Type)
		}
		if p.First != wantSectors[i].first || p.Last != wantSectors[i].last {
			t.Errorf("partition %s: sectors %d-%d, want %d-%d", p.Name, p.First, p.Last, wantSectors[i].first, wantSectors[i].last)
		}
		if p.GUID != l.Parts[i].GUID || seen[p.GUID] {
			t.Errorf("partition %s: GUID %s (layout %s, duplicate %v)", p.Name, p.GUID, l.Parts[i].GUID, seen[p.GUID])
		}
		seen[p.GUID] = true
		if v := p.GUID[7] >> 4; v != 4 {
			t.Errorf("partition %s: GUID version %d, want 4", p.Name, v)
		}
	}
	if len(disk) != (18432+2048+2048)*SectorSize {
		t.Errorf("disk is %d bytes, want %d", len(disk), (18432+2048+2048)*SectorSize)
	}
	a := disk[8192*SectorSize:]
	if !bytes.Equal(a[:len(content)], content) || !allZero(a[len(content):4<<20]) {
		t.Error("rootfs_a does not hold the source file followed by zeros")
	}

	// Same seed, same bytes; other seed, other GUIDs.
	again := filepath.Join(dir, "again.img")
	if _, err := Write(again, "virtual\x001.0", parts); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(again); !bytes.Equal(b, disk) {
		t.Error("two writes of the same parts differ")
	}
	other, err := Plan("virtual\x001.1", parts)
	if err != nil {
		t.Fatal(err)
	}
	if other.DiskGUID == l.DiskGUID || other.Parts[0].GUID == l.Parts[0].GUID {
		t.Error("another version got the same GUIDs")
	}

	// Cross-check with util-linux (libblkid's GPT reader), if present.
	if partx, err := exec.LookPath("partx"); err == nil {
		cmd := exec.Command(partx, "--noheadings", "--raw", "--output", "NR,START,END,NAME,UUID,TYPE", out)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("partx: %v: %s", err, b)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != len(parts) {
			t.Fatalf("partx lists %d partitions, want %d:\n%s", len(lines), len(parts), b)
		}
		for i, line := range lines {
			f := strings.Fields(line)
			name := strings.ReplaceAll(parts[i].Name, "ä", `\xc3\xa4`)
			want := []string{strconv.Itoa(i + 1), strconv.FormatInt(wantSectors[i].first, 10), strconv.FormatInt(wantSectors[i].last, 10),
				name, strings.ToLower(l.Parts[i].GUID.String()), strings.ToLower(parts[i].Type.String())}
			if strings.Join(f, " ") != strings.Join(want, " ") {
				t.Errorf("partx line %d: %q, want %q", i, line, strings.Join(want, " "))
			}
		}
	} else {
		t.Log("partx not installed: no util-linux cross-check")
	}
}

func TestPlanRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parts []Part
	}{
		{"none", nil},
		{"no name", []Part{{Type: TypeLinux, Size: 1}}},
		{"long name", []Part{{Name: strings.Repeat("x", 37), Type: TypeLinux, Size: 1}}},
		{"duplicate", []Part{{Name: "a", Size: 1}, {Name: "a", Size: 1}}},
		{"no size", []Part{{Name: "a"}}},
		{"missing source", []Part{{Name: "a", Source: "/nonexistent/x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Plan("s", tc.parts); err == nil {
				t.Error("accepted")
			}
		})
	}
}
