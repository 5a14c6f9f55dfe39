package board

import (
	"strings"
	"testing"
)

func TestEveryBoardIsValid(t *testing.T) {
	names := Names()
	if got, want := strings.Join(names, ","), "appliance,armv7,rpi4,virtual"; got != want {
		t.Fatalf("Names() = %s, want %s", got, want)
	}
	for _, name := range names {
		b, err := Lookup(name)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", name, err)
		}
		if err := b.Validate(); err != nil {
			t.Errorf("board %s: %v", name, err)
		}
	}
}

func TestLookupUnknownNamesTheKnownBoards(t *testing.T) {
	_, err := Lookup("rpi5")
	if err == nil {
		t.Fatal("Lookup(rpi5) succeeded")
	}
	for _, want := range []string{`"rpi5"`, "appliance", "armv7", "rpi4", "virtual"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	base, err := Lookup("rpi4")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*Board)
		want   string
	}{
		{"unknown arch", func(b *Board) { b.GOARCH = "riscv64" }, `GOARCH "riscv64" is not supported`},
		{"GOARM off arm", func(b *Board) { b.GOARM = "7" }, "only arm takes GOARM"},
		{"bad GOARM", func(b *Board) { b.GOARCH, b.GOARM = "arm", "5" }, `GOARM "5" is not supported`},
		{"small LCD", func(b *Board) { b.LCD.Cols = 8 }, "at least 16x2"},
		{"pin twice", func(b *Board) { b.Keys.Up = b.LCD.RS }, "pin GPB7 is used twice"},
		{"missing key pin", func(b *Board) { b.Keys.Enter = "" }, "one is empty"},
		{"expander address", func(b *Board) { b.LCD.I2CAddr = 0x50 }, "address in 0x20-0x27"},
		{"unknown LCD", func(b *Board) { b.LCD.Kind = "oled" }, `LCD kind "oled" is unknown`},
		{"serial module without device", func(b *Board) { b.LCD = LCD{Kind: LCDSerialModule, Cols: 16, Rows: 2} }, "serial LCD module has no device"},
		{"console speed", func(b *Board) { b.Console.Baud = 115200 }, "console must be 9600 8N2"},
		{"console stop bits", func(b *Board) { b.Console.StopBits = 1 }, "console must be 9600 8N2"},
		{"same LAN and WAN", func(b *Board) { b.WAN = b.LAN }, "must be two different interfaces"},
		{"partition order", func(b *Board) {
			b.Disk.Partitions = append([]Partition(nil), b.Disk.Partitions...)
			b.Disk.Partitions[1], b.Disk.Partitions[2] = b.Disk.Partitions[2], b.Disk.Partitions[1]
		}, `partition 2 is "rootfs_b", want "rootfs_a"`},
		{"slot sizes differ", func(b *Board) {
			b.Disk.Partitions = append([]Partition(nil), b.Disk.Partitions...)
			b.Disk.Partitions[2].SizeMiB++
		}, "A/B slots must be the same size"},
		{"rest-of-disk not last", func(b *Board) {
			b.Disk.Partitions = append([]Partition(nil), b.Disk.Partitions...)
			b.Disk.Partitions[0].SizeMiB = 0
		}, "only the last may be 0"},
		{"no disk", func(b *Board) { b.Disk = Disk{} }, "disk device is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base
			tt.change(&b)
			err := b.Validate()
			if err == nil {
				t.Fatalf("Validate() accepted the change")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLookupReturnsACopy(t *testing.T) {
	a, _ := Lookup("appliance")
	a.Disk.Partitions[0].Label = "changed"
	b, _ := Lookup("appliance")
	if b.Disk.Partitions[0].Label != "boot" {
		t.Fatal("changing a looked-up board changed the table")
	}
}
