// Package qemuboot is what the qemu boot tests share: the arguments that
// start a UEFI firmware the same way on every boot, and the serial console
// of every boot a test makes, all of which are printed when the test
// fails.
package qemuboot

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Firmware returns qemu's arguments for the EDK2 firmware code (read-only)
// and a fresh copy of its empty variable store vars, made in dir, so that
// no boot sees boot entries or a boot order an earlier boot wrote.
//
// The firmware's boot menu wait is set to zero ("-boot
// menu=on,splash-time=0": EDK2's front page timeout comes from fw_cfg's
// etc/boot-menu-wait, else from its built-in 5 s). That wait is the one
// place before GRUB where the firmware idles, waiting for timer interrupts
// and for a hot key on the serial line; a boot of the arm image was seen
// stalled there for 4 minutes (after the console was cleared and before
// "BdsDxe: loading") on a loaded machine, and the wait does nothing for a
// test. Disks are given explicit boot entries with DiskDevice's bootindex,
// and NICs carry no option ROM (NICDevice), so the firmware never tries a
// network boot.
func Firmware(t testing.TB, dir, code, vars string) []string {
	t.Helper()
	b, err := os.ReadFile(vars)
	if err != nil {
		t.Fatalf("UEFI variable store: %v (tools/fetch installs ovmf, qemu-efi-aarch64 and qemu-efi-arm)", err)
	}
	if _, err := os.Stat(code); err != nil {
		t.Fatalf("UEFI firmware: %v (tools/fetch installs ovmf, qemu-efi-aarch64 and qemu-efi-arm)", err)
	}
	f, err := os.CreateTemp(dir, "vars-*.fd")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return []string{
		"-drive", "if=pflash,format=raw,readonly=on,file=" + code,
		"-drive", "if=pflash,format=raw,file=" + f.Name(),
		"-boot", "menu=on,splash-time=0",
	}
}

// DiskDevice returns qemu's arguments for disk as a virtio-blk-pci disk
// and the first (and only) boot entry: qemu hands the firmware a boot
// order naming it, and the firmware drops the entries of other devices.
// snapshot keeps the file unchanged (writes go to a temporary file).
func DiskDevice(disk string, snapshot bool) []string {
	drive := "file=" + disk + ",format=raw,if=none,id=disk0"
	if snapshot {
		drive += ",snapshot=on"
	}
	return []string{"-drive", drive, "-device", "virtio-blk-pci,drive=disk0,bootindex=0"}
}

// NICDevice returns the -device value of a NIC model on netdev with mac,
// without its option ROM (iPXE): the firmware gets no network boot entry.
func NICDevice(model, netdev, mac string) string {
	return fmt.Sprintf("%s,netdev=%s,mac=%s,romfile=", model, netdev, mac)
}

// Boots keeps the console of every boot of one test.
type Boots struct {
	mu   sync.Mutex
	list []*Console
}

// Keep returns the boot list of t: when t has failed at its end, the
// console of each boot it made is logged, in order.
func Keep(t testing.TB) *Boots {
	b := &Boots{}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, c := range b.list {
			t.Logf("console of boot %d of %d (%s):\n%s\n--- end of boot %d", i+1, len(b.list), c.name, c.String(), i+1)
		}
	})
	return b
}

// New starts the console of the next boot; name says which boot it is.
func (b *Boots) New(name string) *Console {
	c := &Console{name: name, more: make(chan struct{})}
	b.mu.Lock()
	b.list = append(b.list, c)
	b.mu.Unlock()
	return c
}

// Console is one boot's serial console: an io.Writer for qemu's output
// that can be waited on.
type Console struct {
	name string
	mu   sync.Mutex
	buf  bytes.Buffer
	more chan struct{} // closed and replaced on every write
}

// Name says which boot (or which serial port of it) this is.
func (c *Console) Name() string { return c.name }

// Write appends p and wakes the waiters.
func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	close(c.more)
	c.more = make(chan struct{})
	return len(p), nil
}

// String is everything the boot printed so far, without carriage returns.
func (c *Console) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.ReplaceAll(c.buf.String(), "\r", "")
}

// Wait waits until text shows at or after offset from of String and
// returns the offset after it; it fails when ctx ends or done (the
// emulator's exit, nil for none) is closed first.
func (c *Console) Wait(ctx context.Context, done <-chan struct{}, from int, text string) (int, error) {
	for {
		c.mu.Lock()
		more := c.more
		c.mu.Unlock()
		out := c.String()
		if i := strings.Index(out[min(from, len(out)):], text); i >= 0 {
			return min(from, len(out)) + i + len(text), nil
		}
		select {
		case <-more:
		case <-done:
			// What it printed last may have arrived with the exit.
			out := c.String()
			if i := strings.Index(out[min(from, len(out)):], text); i >= 0 {
				return min(from, len(out)) + i + len(text), nil
			}
			return 0, fmt.Errorf("%s: the emulator exited before %q showed", c.name, text)
		case <-ctx.Done():
			return 0, fmt.Errorf("%s: no %q on the console: %w", c.name, text, ctx.Err())
		}
	}
}

// Dir returns a temporary directory for t's qemu files whose path has no
// commas (qemu reads them as option separators, and t.TempDir's path
// holds the test's name); it is removed when t ends.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "picket-qemu-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Clean(dir)
}
