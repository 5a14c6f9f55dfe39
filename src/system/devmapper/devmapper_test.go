package devmapper

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestLayout checks this package's offsets against x/sys/unix's
// translation of linux/dm-ioctl.h (generated from the kernel headers).
func TestLayout(t *testing.T) {
	var h unix.DmIoctl
	var s unix.DmTargetSpec
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof dm_ioctl", hdrSize, unix.SizeofDmIoctl},
		{"data_size", offDataSize, unsafe.Offsetof(h.Data_size)},
		{"data_start", offDataStart, unsafe.Offsetof(h.Data_start)},
		{"target_count", offTargetCount, unsafe.Offsetof(h.Target_count)},
		{"open_count", offOpenCount, unsafe.Offsetof(h.Open_count)},
		{"flags", offFlags, unsafe.Offsetof(h.Flags)},
		{"dev", offDev, unsafe.Offsetof(h.Dev)},
		{"name", offName, unsafe.Offsetof(h.Name)},
		{"name length", nameLen, unsafe.Sizeof(h.Name)},
		{"uuid", offUUID, unsafe.Offsetof(h.Uuid)},
		{"uuid length", uuidLen, unsafe.Sizeof(h.Uuid)},
		{"sizeof dm_target_spec", specSize, unix.SizeofDmTargetSpec},
		{"length", offSpecLen, unsafe.Offsetof(s.Length)},
		{"next", offSpecNext, unsafe.Offsetof(s.Next)},
		{"target_type", offSpecType, unsafe.Offsetof(s.Target_type)},
		{"target_type length", typeLen, unsafe.Sizeof(s.Target_type)},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, linux/dm-ioctl.h says %d", c.name, c.got, c.want)
		}
	}
}

// TestRequestEncoding reads a table-load request back through
// x/sys/unix's structs.
func TestRequestEncoding(t *testing.T) {
	spec, err := encodeTarget(Target{Start: 0, Length: 80, Type: "verity", Params: "1 /dev/vda2 /dev/vda2 4096 4096 10 10 sha256 01 ab"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := header("rootfs", "PICKET-rootfs", unix.DM_READONLY_FLAG, spec)
	if err != nil {
		t.Fatal(err)
	}
	h := (*unix.DmIoctl)(unsafe.Pointer(&b[0]))
	if h.Version != [3]uint32{4, 0, 0} || h.Data_size != bufSize || h.Data_start != unix.SizeofDmIoctl || h.Target_count != 1 || h.Flags != unix.DM_READONLY_FLAG {
		t.Fatalf("header %+v", *h)
	}
	if got := string(h.Name[:6]); got != "rootfs" || h.Name[6] != 0 {
		t.Fatalf("name %q", h.Name[:8])
	}
	s := (*unix.DmTargetSpec)(unsafe.Pointer(&b[h.Data_start]))
	if s.Sector_start != 0 || s.Length != 80 || string(s.Target_type[:6]) != "verity" || s.Next%8 != 0 || s.Next < unix.SizeofDmTargetSpec {
		t.Fatalf("spec %+v", *s)
	}
	params := b[h.Data_start+unix.SizeofDmTargetSpec:]
	if want := "1 /dev/vda2 /dev/vda2 4096 4096 10 10 sha256 01 ab\x00"; string(params[:len(want)]) != want {
		t.Fatalf("params %q", params[:len(want)])
	}
	if _, err := encodeTarget(Target{Length: 8, Type: "verity", Params: "a\x00b"}); err == nil {
		t.Fatal("a NUL in the parameters was accepted")
	}
	if _, err := header(string(make([]byte, 200)), "", 0, nil); err == nil {
		t.Fatal("a 200-byte name was accepted")
	}
}

// TestStatusDecoding decodes a status answer laid out as the kernel's
// retrieve_status writes it: each spec's next is the offset of the
// following one from the start of the data.
func TestStatusDecoding(t *testing.T) {
	b := make([]byte, bufSize)
	native.PutUint32(b[offDataStart:], hdrSize)
	native.PutUint32(b[offTargetCount:], 2)
	put := func(at int, start, length uint64, typ, status string) int {
		native.PutUint64(b[at:], start)
		native.PutUint64(b[at+offSpecLen:], length)
		copy(b[at+offSpecType:], typ)
		copy(b[at+specSize:], status)
		end := at + specSize + len(status) + 1
		end = (end + 7) &^ 7
		native.PutUint32(b[at+offSpecNext:], uint32(end-hdrSize))
		return end
	}
	next := put(hdrSize, 0, 80, "verity", "V")
	put(next, 80, 8, "linear", "")
	ts, err := decodeTargets(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0] != (Target{0, 80, "verity", "V"}) || ts[1] != (Target{80, 8, "linear", ""}) {
		t.Fatalf("targets %+v", ts)
	}
	if VerityCorrupted(ts) {
		t.Fatal("V read as corrupted")
	}
	if !VerityCorrupted([]Target{{Type: "verity", Params: "C"}}) {
		t.Fatal("C not read as corrupted")
	}
}
