package imagebuild

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readTestDisk writes a small disk with Write and returns its bytes and
// layout.
func readTestDisk(t *testing.T) ([]byte, Layout) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "boot.img")
	if err := os.WriteFile(src, bytes.Repeat([]byte("boot"), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(dir, "disk.img")
	l, err := Write(disk, "test\x00seed", []Part{
		{Name: PartBoot, Type: TypeESP, Size: Align, Source: src},
		{Name: PartRootfsA, Type: TypeLinux, Size: 2 * Align},
		{Name: PartRootfsB, Type: TypeLinux, Size: 2 * Align},
		{Name: "données", Type: TypeLinux, Size: Align},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(disk)
	if err != nil {
		t.Fatal(err)
	}
	return b, l
}

func TestReadPartitions(t *testing.T) {
	disk, l := readTestDisk(t)
	parts, err := ReadPartitions(bytes.NewReader(disk))
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != len(l.Parts) {
		t.Fatalf("read %d partitions, wrote %d: %+v", len(parts), len(l.Parts), parts)
	}
	for i, p := range parts {
		w := l.Parts[i]
		want := PartInfo{Name: w.Name, Type: w.Type, GUID: w.GUID, First: w.First, Last: w.Last}
		if p != want {
			t.Errorf("partition %d = %+v, want %+v", i, p, want)
		}
	}
	boot := parts[0]
	if boot.Offset() != Align || boot.Size() != Align {
		t.Errorf("boot at %d, %d bytes; want %d, %d", boot.Offset(), boot.Size(), Align, Align)
	}
	if got := string(disk[boot.Offset() : boot.Offset()+4]); got != "boot" {
		t.Errorf("boot partition starts with %q, want the source's \"boot\"", got)
	}
}

func TestReadPartitionsErrors(t *testing.T) {
	good, _ := readTestDisk(t)
	tests := []struct {
		name   string
		change func(d []byte) []byte
		want   string
		noGPT  bool
	}{
		{"header CRC", func(d []byte) []byte { d[SectorSize+16] ^= 0xff; return d }, "header CRC32", false},
		{"header field", func(d []byte) []byte { d[SectorSize+40] ^= 1; return d }, "primary GPT header is damaged", false},
		{"entries CRC", func(d []byte) []byte { d[2*SectorSize+56] ^= 0xff; return d }, "entries CRC32", false},
		{"no signature", func(d []byte) []byte { copy(d[SectorSize:], "NOT PART"); return d }, "not the signature \"EFI PART\"", true},
		{"zeros", func(d []byte) []byte { return make([]byte, 64*SectorSize) }, "not the signature", true},
		{"tiny", func(d []byte) []byte { return d[:SectorSize+100] }, "smaller than", true},
		{"4k sectors", func(d []byte) []byte {
			z := make([]byte, 64*SectorSize)
			copy(z[4096:], "EFI PART")
			return z
		}, "4096-byte sectors", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.change(append([]byte{}, good...))
			parts, err := ReadPartitions(bytes.NewReader(d))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadPartitions = %v, %v; want an error saying %q", parts, err, tt.want)
			}
			if errors.Is(err, ErrNoGPT) != tt.noGPT {
				t.Errorf("error %q: errors.Is(ErrNoGPT) = %v, want %v", err, !tt.noGPT, tt.noGPT)
			}
		})
	}
}
