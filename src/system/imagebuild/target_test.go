package imagebuild

import (
	"strings"
	"testing"
)

// The arm targets share the x86 slot logic; only the console lines and
// the kernel's console differ.
func TestTargetGrubConfig(t *testing.T) {
	x86 := string(GrubConfig())
	for _, goarch := range []string{"arm64", "arm"} {
		tg, err := TargetFor(goarch)
		if err != nil {
			t.Fatal(err)
		}
		cfg := string(tg.GrubConfig())
		for _, want := range []string{"terminal_input console\n", "terminal_output console\n", " console=ttyAMA0 picket.slot=$slot quiet\n"} {
			if !strings.Contains(cfg, want) {
				t.Errorf("%s grub.cfg lacks %q:\n%s", goarch, want, cfg)
			}
		}
		if strings.Contains(cfg, "serial") {
			t.Errorf("%s grub.cfg uses GRUB's serial terminal, which arm EFI GRUB lacks:\n%s", goarch, cfg)
		}
		logic := func(s string) string { return s[strings.Index(s, "set timeout=0"):strings.Index(s, "linux ($root)")] }
		if logic(cfg) != logic(x86) {
			t.Errorf("%s slot logic differs from x86's:\n%s", goarch, cfg)
		}
		for _, m := range tg.grubModules() {
			if m == "serial" {
				t.Errorf("%s GRUB gets the serial module", goarch)
			}
		}
	}
	if tg, _ := TargetFor(""); tg.EFIPath() != "EFI/BOOT/BOOTX64.EFI" || !strings.Contains(x86, "serial --unit=0") {
		t.Errorf("default target %+v, grub.cfg:\n%s", tg, x86)
	}
	if _, err := TargetFor("riscv64"); err == nil || !strings.Contains(err.Error(), "amd64, arm, arm64") {
		t.Errorf("TargetFor(riscv64) = %v; want an error naming the known targets", err)
	}
}
