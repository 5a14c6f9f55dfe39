// Package devmapper talks to the kernel's device mapper through its
// control device (/dev/mapper/control) with the DM_* ioctls, the way
// dmsetup does, without libdevmapper: create a read-only mapped device
// from one target line, read a device's status, remove it. The initramfs
// uses it to put the rootfs behind dm-verity; init to ask whether the
// verity target has seen a corrupted block.
package devmapper

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ControlPath is where devtmpfs puts the control device once dm-mod is
// loaded.
const ControlPath = "/dev/mapper/control"

// The ioctl interface version this package speaks (linux/dm-ioctl.h):
// 4.x, any minor of at least 0.
const versionMajor = 4

// struct dm_ioctl and struct dm_target_spec, by offset (linux/dm-ioctl.h;
// the test checks them against x/sys/unix's DmIoctl and DmTargetSpec).
const (
	hdrSize        = 312
	offDataSize    = 12
	offDataStart   = 16
	offTargetCount = 20
	offOpenCount   = 24
	offFlags       = 28
	offDev         = 40
	offName        = 48
	nameLen        = 128
	offUUID        = 176
	uuidLen        = 129

	specSize    = 40
	offSpecLen  = 8
	offSpecNext = 20
	offSpecType = 24
	typeLen     = 16

	// bufSize holds any table or status this package reads or writes.
	bufSize = 16 << 10
)

var native = binary.NativeEndian

// Target is one line of a device's table: Length sectors from Start
// mapped by target Type with Params.
type Target struct {
	Start, Length int64
	Type, Params  string
}

// Control is an open control device.
type Control struct{ f *os.File }

// Open opens the control device at path and checks that the kernel
// speaks version 4 of the interface.
func Open(path string) (*Control, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("device mapper: %w", err)
	}
	c := &Control{f: f}
	b, err := c.ioctl(unix.DM_VERSION, "", "", 0, nil)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("device mapper version: %w", err)
	}
	if v := native.Uint32(b[0:]); v != versionMajor {
		f.Close()
		return nil, fmt.Errorf("device mapper speaks ioctl version %d.%d.%d, want %d.x", v, native.Uint32(b[4:]), native.Uint32(b[8:]), versionMajor)
	}
	return c, nil
}

// Close closes the control device.
func (c *Control) Close() error { return c.f.Close() }

// CreateReadOnly creates device name with a read-only table of target t
// and activates it, and returns its device number. A device left half made
// (created, table refused) is removed again.
func (c *Control) CreateReadOnly(name, uuid string, t Target) (uint64, error) {
	if _, err := c.ioctl(unix.DM_DEV_CREATE, name, uuid, unix.DM_READONLY_FLAG, nil); err != nil {
		return 0, fmt.Errorf("create %s: %w", name, err)
	}
	spec, err := encodeTarget(t)
	if err == nil {
		_, err = c.ioctl(unix.DM_TABLE_LOAD, name, "", unix.DM_READONLY_FLAG, spec)
	}
	if err != nil {
		c.Remove(name)
		return 0, fmt.Errorf("load table of %s (%s %s): %w", name, t.Type, t.Params, err)
	}
	// Resume (suspend with the flag clear) makes the loaded table live.
	b, err := c.ioctl(unix.DM_DEV_SUSPEND, name, "", 0, nil)
	if err != nil {
		c.Remove(name)
		return 0, fmt.Errorf("activate %s: %w", name, err)
	}
	return native.Uint64(b[offDev:]), nil
}

// Status returns each target of device name with its status line (for
// verity: "V" while every block read verified, "C" once one did not).
func (c *Control) Status(name string) ([]Target, error) {
	b, err := c.ioctl(unix.DM_TABLE_STATUS, name, "", 0, nil)
	if err != nil {
		return nil, fmt.Errorf("status of %s: %w", name, err)
	}
	return decodeTargets(b)
}

// Remove removes device name.
func (c *Control) Remove(name string) error {
	if _, err := c.ioctl(unix.DM_DEV_REMOVE, name, "", 0, nil); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}

// ioctl sends one request with the given name, uuid, flags and payload
// (after the header) and returns the buffer the kernel filled in.
func (c *Control) ioctl(req uint, name, uuid string, flags uint32, payload []byte) ([]byte, error) {
	b, err := header(name, uuid, flags, payload)
	if err != nil {
		return nil, err
	}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, c.f.Fd(), uintptr(req), uintptr(unsafe.Pointer(&b[0]))); e != 0 {
		return nil, e
	}
	if native.Uint32(b[offFlags:])&unix.DM_BUFFER_FULL_FLAG != 0 {
		return nil, errors.New("the kernel's answer does not fit the buffer")
	}
	return b, nil
}

// header returns a request buffer: struct dm_ioctl, then payload, in
// bufSize bytes.
func header(name, uuid string, flags uint32, payload []byte) ([]byte, error) {
	if len(name) >= nameLen || len(uuid) >= uuidLen {
		return nil, fmt.Errorf("device mapper name %q or uuid %q too long", name, uuid)
	}
	if hdrSize+len(payload) > bufSize {
		return nil, fmt.Errorf("device mapper request of %d bytes is too long", hdrSize+len(payload))
	}
	b := make([]byte, bufSize)
	native.PutUint32(b[0:], versionMajor)
	native.PutUint32(b[offDataSize:], bufSize)
	native.PutUint32(b[offDataStart:], hdrSize)
	if payload != nil {
		native.PutUint32(b[offTargetCount:], 1)
		copy(b[hdrSize:], payload)
	}
	native.PutUint32(b[offFlags:], flags)
	copy(b[offName:offName+nameLen], name)
	copy(b[offUUID:offUUID+uuidLen], uuid)
	return b, nil
}

// encodeTarget returns struct dm_target_spec and its parameters,
// NUL-terminated and padded to 8 bytes.
func encodeTarget(t Target) ([]byte, error) {
	if t.Type == "" || len(t.Type) >= typeLen || t.Length <= 0 || t.Start < 0 {
		return nil, fmt.Errorf("device mapper target %q of %d sectors at %d: want a type and a length", t.Type, t.Length, t.Start)
	}
	if bytes.IndexByte([]byte(t.Params), 0) >= 0 {
		return nil, errors.New("device mapper target parameters hold a NUL byte")
	}
	n := specSize + len(t.Params) + 1
	n = (n + 7) &^ 7
	b := make([]byte, n)
	native.PutUint64(b[0:], uint64(t.Start))
	native.PutUint64(b[offSpecLen:], uint64(t.Length))
	native.PutUint32(b[offSpecNext:], uint32(n))
	copy(b[offSpecType:offSpecType+typeLen], t.Type)
	copy(b[specSize:], t.Params)
	return b, nil
}

// decodeTargets reads the target specs and their strings the kernel wrote
// after the header.
func decodeTargets(b []byte) ([]Target, error) {
	count := int(native.Uint32(b[offTargetCount:]))
	at := int(native.Uint32(b[offDataStart:]))
	var ts []Target
	for i := 0; i < count; i++ {
		if at < 0 || at+specSize > len(b) {
			return nil, fmt.Errorf("device mapper answer: target %d outside the buffer", i)
		}
		s := b[at:]
		str := s[specSize:]
		if z := bytes.IndexByte(str, 0); z >= 0 {
			str = str[:z]
		}
		ts = append(ts, Target{
			Start:  int64(native.Uint64(s[0:])),
			Length: int64(native.Uint64(s[offSpecLen:])),
			Type:   string(bytes.TrimRight(s[offSpecType:offSpecType+typeLen], "\x00")),
			Params: string(str),
		})
		// In answers next is the offset of the following spec from
		// the start of the data.
		at = int(native.Uint32(b[offDataStart:])) + int(native.Uint32(s[offSpecNext:]))
	}
	return ts, nil
}

// VerityCorrupted reports whether a verity target's status line says a
// corrupted block was read (dm-verity reports "C", else "V").
func VerityCorrupted(ts []Target) bool {
	for _, t := range ts {
		if t.Type == "verity" && t.Params == "C" {
			return true
		}
	}
	return false
}
