package imagebuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// GrubModules are built into BOOTX64.EFI: GPT and FAT to find the ESP,
// loadenv/test/echo for the slot logic of grub.cfg, linux to boot, serial
// and terminal for the console on ttyS0.
var GrubModules = []string{
	"part_gpt", "fat", "normal", "configfile", "loadenv", "test", "echo",
	"linux", "serial", "terminal", "efi_gop", "search", "search_fs_file", "reboot", "halt",
}

// grubModules are the modules of t's GRUB: GrubModules on x86; the arm
// EFI platforms have no serial module (the EFI console is the serial
// port there), so it is left out.
func (t Target) grubModules() []string {
	if t.Serial {
		return GrubModules
	}
	var mods []string
	for _, m := range GrubModules {
		if m != "serial" {
			mods = append(mods, m)
		}
	}
	return mods
}

// earlyConfig is embedded in BOOTX64.EFI: GRUB starts with root set to
// the partition it was loaded from (the ESP) and reads the real config
// from there, so grub.cfg can change without rebuilding the EFI binary.
const earlyConfig = "configfile ($root)/EFI/BOOT/grub.cfg\n"

// GrubEnvSize is the size of a GRUB environment block.
const GrubEnvSize = 1024

// GrubEnv returns the GRUB environment block holding the slot state (the
// variables picket_active, picket_trying, picket_tries of the boot
// design), in GRUB's exact format: a header line, key=value lines, '#'
// padding to 1024 bytes.
func GrubEnv(active, trying string, tries int) ([]byte, error) {
	if active != "a" && active != "b" {
		return nil, fmt.Errorf("grubenv: active slot %q; want a or b", active)
	}
	if trying != "" && trying != "a" && trying != "b" {
		return nil, fmt.Errorf("grubenv: trying slot %q; want empty, a or b", trying)
	}
	if tries < 0 || tries > 3 {
		return nil, fmt.Errorf("grubenv: tries %d; want 0 to 3 (grub.cfg counts down 3, 2, 1, 0)", tries)
	}
	s := fmt.Sprintf("# GRUB Environment Block\npicket_active=%s\npicket_trying=%s\npicket_tries=%d\n", active, trying, tries)
	return append([]byte(s), bytes.Repeat([]byte("#"), GrubEnvSize-len(s))...), nil
}

// GrubConfig returns /EFI/BOOT/grub.cfg: it loads /grubenv and picks the
// slot. A slot on trial ("picket_trying") is booted while tries remain,
// counting down 3→2→1→0 (GRUB has no arithmetic) and saving the count
// before booting, so a system that never comes up to mark itself good
// uses up its tries; at 0 the trial is cleared and the active slot boots.
// Console on serial and screen; no menu, no timeout. It is the amd64
// target's; Target.GrubConfig gives any target's.
func GrubConfig() []byte {
	return targets["amd64"].GrubConfig()
}

// GrubConfig returns t's grub.cfg: the same slot logic on every target;
// the console lines and the kernel's console differ (see Target.Serial).
func (t Target) GrubConfig() []byte {
	term := "serial --unit=0 --speed=115200\nterminal_input serial console\nterminal_output serial console\n"
	if !t.Serial {
		term = "terminal_input console\nterminal_output console\n"
	}
	args := "console=" + t.Console
	if t.KernelArgs != "" {
		args += " " + t.KernelArgs
	}
	return []byte(`# Picket boot selection (written by imgtool build; see src/imagebuild).
` + term + `set timeout=0
set env=($root)/grubenv
load_env --file $env picket_active picket_trying picket_tries
set slot="$picket_active"
if [ "$slot" != "b" ]; then
  set slot=a
fi
if [ -n "$picket_trying" ]; then
  if [ "$picket_tries" = "3" ]; then
    set picket_tries=2
    set slot="$picket_trying"
  elif [ "$picket_tries" = "2" ]; then
    set picket_tries=1
    set slot="$picket_trying"
  elif [ "$picket_tries" = "1" ]; then
    set picket_tries=0
    set slot="$picket_trying"
  else
    echo "picket: slot $picket_trying used up its tries; falling back to slot $slot"
    set picket_trying=
    set picket_tries=0
  fi
  save_env --file $env picket_active picket_trying picket_tries
fi
echo "picket: booting slot $slot"
linux ($root)/vmlinuz ` + args + ` picket.slot=$slot quiet
initrd ($root)/initrd.img
boot
`)
}

// BuildGrubEFI writes BOOTX64.EFI with grub-mkimage: GrubModules, prefix
// /EFI/BOOT, and the early config above.
func BuildGrubEFI(ctx context.Context, out string) error {
	return targets["amd64"].BuildGrubEFI(ctx, out, "")
}

// BuildGrubEFI writes t's GRUB EFI binary with the host's grub-mkimage
// from the modules in grubDir ("" is t.GrubDir): t's modules, prefix
// /EFI/BOOT, and the early config above. grub-mkimage builds for any
// platform whose modules it is given, so the arm GRUBs come from the
// modules of Debian's arm packages unpacked on an amd64 host.
func (t Target) BuildGrubEFI(ctx context.Context, out, grubDir string) error {
	if grubDir == "" {
		grubDir = t.GrubDir
	}
	tmp, err := os.MkdirTemp("", "picket-grub-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	early := filepath.Join(tmp, "early.cfg")
	if err := os.WriteFile(early, []byte(earlyConfig), 0o644); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(grubDir, "linux.mod")); err != nil {
		return fmt.Errorf("GRUB %s modules: %w (want the %s directory of Debian's %s package)", t.GrubPlatform, err, t.GrubPlatform, t.GrubPackage)
	}
	mods := t.grubModules()
	args := []string{"-O", t.GrubPlatform, "-d", grubDir, "-p", "/EFI/BOOT", "-c", early, "-o", out}
	if err := run(ctx, "grub-mkimage", append(args, mods...)...); err != nil {
		return fmt.Errorf("build GRUB %s (%s): %w", t.GrubPlatform, strings.Join(mods, " "), err)
	}
	return nil
}
