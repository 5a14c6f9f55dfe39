package imagebuild

import (
	"fmt"
	"sort"
	"strings"
)

// Target is what differs between the CPU architectures an image boots
// on: GRUB's EFI platform and where its modules are, the name the UEFI
// firmware loads from the ESP's removable-media path, the console GRUB
// and the kernel use. The A/B logic of grub.cfg, the partitions and the
// initramfs are the same on every target.
type Target struct {
	// GOARCH names the target ("amd64", "arm64", "arm").
	GOARCH string
	// GrubPlatform is grub-mkimage's -O format ("x86_64-efi").
	GrubPlatform string
	// GrubDir is the default directory of GRUB's modules for the
	// platform; Config.GrubDir overrides it.
	GrubDir string
	// GrubPackage is the Debian package that ships GrubDir.
	GrubPackage string
	// EFIName is the removable-media boot file on the ESP
	// (EFI/BOOT/BOOTX64.EFI), which the firmware loads with no boot
	// entries set.
	EFIName string
	// Console is the kernel's console= device.
	Console string
	// Serial says whether GRUB drives the UART itself (x86: its serial
	// module on COM1) or, when false, writes to the EFI console, which
	// the firmware mirrors to its serial port (arm: GRUB's arm EFI
	// builds have no UART driver of their own).
	Serial bool
	// KernelArgs are further kernel command line arguments.
	KernelArgs string
}

// targets by GOARCH. amd64 is the original x86_64 design; its grub.cfg
// and BOOTX64.EFI stay byte-identical.
var targets = map[string]Target{
	"amd64": {
		GOARCH: "amd64", GrubPlatform: "x86_64-efi", GrubDir: "/usr/lib/grub/x86_64-efi", GrubPackage: "grub-efi-amd64-bin",
		EFIName: "BOOTX64.EFI", Console: "ttyS0", Serial: true, KernelArgs: "random.trust_cpu=on",
	},
	"arm64": {
		GOARCH: "arm64", GrubPlatform: "arm64-efi", GrubDir: "/usr/lib/grub/arm64-efi", GrubPackage: "grub-efi-arm64-bin",
		EFIName: "BOOTAA64.EFI", Console: "ttyAMA0",
	},
	"arm": {
		GOARCH: "arm", GrubPlatform: "arm-efi", GrubDir: "/usr/lib/grub/arm-efi", GrubPackage: "grub-efi-arm-bin",
		EFIName: "BOOTARM.EFI", Console: "ttyAMA0",
	},
}

// TargetFor returns the target of a GOARCH; "" is amd64.
func TargetFor(goarch string) (Target, error) {
	if goarch == "" {
		goarch = "amd64"
	}
	t, ok := targets[goarch]
	if !ok {
		var known []string
		for k := range targets {
			known = append(known, k)
		}
		sort.Strings(known)
		return Target{}, fmt.Errorf("no image target for GOARCH %q; images are built for %s", goarch, strings.Join(known, ", "))
	}
	return t, nil
}

// EFIPath is the boot file's path on the ESP.
func (t Target) EFIPath() string { return "EFI/BOOT/" + t.EFIName }
