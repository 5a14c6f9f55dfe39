// Package board describes the hardware each Picket board runs on: the LCD
// and keys of its front panel, its LEDs, serial console, network interfaces
// and disk layout. Daemons read the description of the board they were
// built for at run time; the image builder reads it to lay out the disk.
//
// A binary learns its board from the name stamped into it at link time
// (see package version); Lookup turns that name into a Board.
package board

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// LCDKind says how the front-panel display is attached.
type LCDKind string

const (
	// LCDNone: no front panel (the virtual appliance); the console is the
	// only local interface.
	LCDNone LCDKind = "none"
	// LCDSerialModule: a character LCD module with its own keypad, driven
	// over a serial line (the rack appliance).
	LCDSerialModule LCDKind = "serial-module"
	// LCDHD44780GPIO: an HD44780 driven in 4-bit mode straight from GPIO.
	LCDHD44780GPIO LCDKind = "hd44780-gpio"
	// LCDHD44780MCP23017: an HD44780 and keys on an MCP23017 I2C expander
	// ("LCD plate").
	LCDHD44780MCP23017 LCDKind = "hd44780-mcp23017"
)

// Board is the run-time description of one board.
type Board struct {
	Name        string
	Description string
	// GOARCH and GOARM are what the board's binaries are built for.
	GOARCH string
	GOARM  string
	LCD    LCD
	Keys   Keys
	LEDs   LEDs
	// Console is the serial line the VT100 console is served on.
	Console Console
	// LAN is the scanning interface, WAN the management one used when
	// split networking is on.
	LAN  string
	WAN  string
	Disk Disk
	// Modules are the kernel modules the board's image loads.
	Modules Modules
}

// Modules names kernel modules (as the kernel does: "virtio_blk"); their
// dependencies come from the kernel's modules.dep at image build time
// (src/kmod). The CRC algorithms some modules ask the crypto API for at
// run time are named too: there is no modprobe on the box to load them.
type Modules struct {
	// Boot are loaded by the initramfs: the disk controllers, the ESP's
	// FAT and code pages, squashfs for the slots.
	Boot []string
	// Run are loaded by the init: NICs, ext4 for the data partition,
	// 802.1Q for scanning VLANs, hardware RNGs.
	Run []string
}

// LCD describes the character display. Pin names are periph.io names: host
// GPIO pins ("GPIO17") or expander pins ("GPB7").
type LCD struct {
	Kind LCDKind
	Cols int
	Rows int
	// Device is the serial device of an LCDSerialModule.
	Device string
	// I2CBus and I2CAddr locate the MCP23017 of an LCDHD44780MCP23017.
	I2CBus  string
	I2CAddr uint16
	// RS, E, Data (D4..D7) and Backlight are the HD44780 pins.
	RS        string
	E         string
	Data      [4]string
	Backlight string
}

// Keys names the pin of each of the five front-panel keys. All empty when
// the keys come from the LCD module itself or there is no panel.
type Keys struct {
	Up, Down, Left, Right, Enter string
	// ActiveLow is true when a pressed key reads as a low level.
	ActiveLow bool
}

// LEDs names the status LED pins: S1 lit while a scan runs, S2 while a
// software update runs.
type LEDs struct {
	S1, S2 string
}

// Console is a serial line setting. Picket's console is always 9600 8N2
// without flow control; the fields exist so the console daemon sets the line
// from the board rather than from constants of its own.
type Console struct {
	Device   string
	Baud     int
	DataBits int
	Parity   string // "none", "even" or "odd"
	StopBits int
}

// Disk is the partition layout of the board's boot disk, in order.
type Disk struct {
	// Device is the whole-disk block device as the running system sees it.
	Device     string
	Partitions []Partition
}

// Partition is one partition of the boot disk.
type Partition struct {
	// Label is the GPT partition name: boot, rootfs_a, rootfs_b, data.
	Label string
	// SizeMiB is the size; 0 means "the rest of the disk" (last only).
	SizeMiB int
	// FS is the filesystem the image builder puts there.
	FS string
}

// Validate reports every inconsistency in the description.
func (b Board) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("board %q: "+format, append([]any{b.Name}, args...)...))
	}
	if b.Name == "" {
		bad("name is empty")
	}
	switch b.GOARCH {
	case "amd64", "arm64":
		if b.GOARM != "" {
			bad("GOARM %q set for GOARCH %s; only arm takes GOARM", b.GOARM, b.GOARCH)
		}
	case "arm":
		if b.GOARM != "6" && b.GOARM != "7" {
			bad("GOARM %q is not supported; use 6 or 7", b.GOARM)
		}
	default:
		bad("GOARCH %q is not supported; use amd64, arm64 or arm", b.GOARCH)
	}
	switch b.LCD.Kind {
	case LCDNone:
	case LCDSerialModule:
		if b.LCD.Device == "" {
			bad("serial LCD module has no device")
		}
	case LCDHD44780GPIO, LCDHD44780MCP23017:
		if b.LCD.Kind == LCDHD44780MCP23017 && (b.LCD.I2CBus == "" || b.LCD.I2CAddr < 0x20 || b.LCD.I2CAddr > 0x27) {
			bad("MCP23017 needs an I2C bus and an address in 0x20-0x27, have bus %q addr %#x", b.LCD.I2CBus, b.LCD.I2CAddr)
		}
		pins := append([]string{b.LCD.RS, b.LCD.E}, b.LCD.Data[:]...)
		pins = append(pins, b.Keys.Up, b.Keys.Down, b.Keys.Left, b.Keys.Right, b.Keys.Enter)
		seen := map[string]bool{}
		for _, p := range pins {
			if p == "" {
				bad("HD44780 panel needs RS, E, D4-D7 and five key pins; one is empty")
				continue
			}
			if seen[p] {
				bad("pin %s is used twice", p)
			}
			seen[p] = true
		}
	default:
		bad("LCD kind %q is unknown", b.LCD.Kind)
	}
	if b.LCD.Kind != LCDNone && (b.LCD.Cols < 16 || b.LCD.Rows < 2) {
		bad("LCD is %dx%d; the menu needs at least 16x2", b.LCD.Cols, b.LCD.Rows)
	}
	c := b.Console
	if c.Device == "" || c.Baud != 9600 || c.DataBits != 8 || c.Parity != "none" || c.StopBits != 2 {
		bad("console must be 9600 8N2 on a named device, have %q %d %d%s%d", c.Device, c.Baud, c.DataBits, c.Parity, c.StopBits)
	}
	if b.LAN == "" || b.WAN == "" || b.LAN == b.WAN {
		bad("LAN %q and WAN %q must be two different interfaces", b.LAN, b.WAN)
	}
	if err := b.Disk.validate(); err != nil {
		bad("%v", err)
	}
	return errors.Join(errs...)
}

func (d Disk) validate() error {
	want := []string{"boot", "rootfs_a", "rootfs_b", "data"}
	if d.Device == "" {
		return errors.New("disk device is empty")
	}
	if len(d.Partitions) != len(want) {
		return fmt.Errorf("disk has %d partitions, want %s", len(d.Partitions), strings.Join(want, ", "))
	}
	for i, p := range d.Partitions {
		if p.Label != want[i] {
			return fmt.Errorf("partition %d is %q, want %q", i+1, p.Label, want[i])
		}
		last := i == len(d.Partitions)-1
		if p.SizeMiB < 0 || (p.SizeMiB == 0 && !last) {
			return fmt.Errorf("partition %s has size %d MiB; only the last may be 0 (rest of disk)", p.Label, p.SizeMiB)
		}
	}
	if d.Partitions[1].SizeMiB != d.Partitions[2].SizeMiB {
		return fmt.Errorf("rootfs_a (%d MiB) and rootfs_b (%d MiB) differ; A/B slots must be the same size", d.Partitions[1].SizeMiB, d.Partitions[2].SizeMiB)
	}
	return nil
}

// Lookup returns the board called name.
func Lookup(name string) (Board, error) {
	for _, b := range all() {
		if b.Name == name {
			return b, nil
		}
	}
	return Board{}, fmt.Errorf("unknown board %q; known boards: %s", name, strings.Join(Names(), ", "))
}

// Names lists the known boards in alphabetical order.
func Names() []string {
	var names []string
	for _, b := range all() {
		names = append(names, b.Name)
	}
	sort.Strings(names)
	return names
}
