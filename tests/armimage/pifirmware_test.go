package armimage

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"strings"
	"testing"

	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/testkit/testinput"
)

// TestPiFirmwareFiles reads what the Raspberry Pi's GPU firmware reads on
// each arm product image's boot partition: config.txt, as the firmware
// parses it (Raspberry Pi documentation, "config.txt": "[pi2]", "[pi3]",
// "[pi4]" sections apply to that model, "[all]" to every one; kernel= is
// the file it starts; arm_64bit=1 starts it in 64-bit mode;
// dtoverlay=disable-bt gives the GPIO UART's pins the PL011, which the
// kernel command line names ttyAMA0), and the files it names: U-Boot
// (its images carry "U-Boot <version>"), for the model and word size the
// board runs.
func TestPiFirmwareFiles(t *testing.T) {
	for _, tc := range []struct {
		board  string
		models []string // the Pi models the board runs on
		arm64  bool
	}{
		{"rpi4", []string{"pi4"}, true},
		{"armv7", []string{"pi2", "pi3"}, false},
	} {
		t.Run(tc.board, func(t *testing.T) {
			disk := testinput.Built(t, "PICKET_"+upper(tc.board)+"_IMAGE", "rootfs/image_"+tc.board+".img", "//rootfs:image_"+tc.board)
			read := func(name string) []byte {
				b, err := imagebuild.ReadFAT(context.Background(), esp(t, disk), name)
				if err != nil {
					t.Fatalf("%s on the boot partition: %v", name, err)
				}
				return b
			}
			for _, model := range tc.models {
				settings := piConfig(read("config.txt"), model)
				if got := settings["arm_64bit"] == "1"; got != tc.arm64 {
					t.Errorf("%s: arm_64bit=%q, want 64-bit %v", model, settings["arm_64bit"], tc.arm64)
				}
				if settings["enable_uart"] != "1" {
					t.Errorf("%s: enable_uart=%q, want 1", model, settings["enable_uart"])
				}
				if model != "pi2" && !strings.Contains(settings["dtoverlay"], "disable-bt") {
					t.Errorf("%s: dtoverlay %q: want disable-bt (the console is ttyAMA0, the PL011)", model, settings["dtoverlay"])
				}
				kernel := settings["kernel"]
				if kernel == "" {
					t.Errorf("%s: no kernel= in config.txt", model)
					continue
				}
				uboot := read(kernel)
				if !bytes.Contains(uboot, []byte("U-Boot 2023.01")) {
					t.Errorf("%s: %s (%d bytes) is not U-Boot 2023.01", model, kernel, len(uboot))
				}
				// U-Boot for the Pi is a raw image whose first word is a
				// branch: AArch64 "b" (0b000101 in the top bits) or
				// A32 "b" (cond 1110, 101, L=0).
				w := uint32(uboot[0]) | uint32(uboot[1])<<8 | uint32(uboot[2])<<16 | uint32(uboot[3])<<24
				is64 := w>>26 == 0b000101
				is32 := w>>24 == 0xea
				if is64 != tc.arm64 || is32 == tc.arm64 {
					t.Errorf("%s: %s starts with %#08x: want a %s branch", model, kernel, w, map[bool]string{true: "64-bit", false: "32-bit"}[tc.arm64])
				}
				if _, err := elf.NewFile(bytes.NewReader(uboot)); err == nil {
					t.Errorf("%s: %s is an ELF file; the firmware loads a raw image", model, kernel)
				}
			}
		})
	}
}

// piConfig returns the settings of config.txt that apply to model
// ("pi2", "pi3", "pi4"): those before any section and in "[all]" and
// "[model]" sections, a later one overriding an earlier, and the
// dtoverlay lines all kept (space-separated).
func piConfig(b []byte, model string) map[string]string {
	settings := map[string]string{}
	applies := true
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			s := strings.Trim(line, "[]")
			applies = s == "all" || s == model
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !applies {
			continue
		}
		if k == "dtoverlay" {
			v = strings.TrimSpace(settings[k] + " " + v)
		}
		settings[k] = v
	}
	return settings
}
