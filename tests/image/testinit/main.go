// Command testinit is a stand-in PID 1 for the initramfs of the image boot
// test (tests/image): it proves GRUB picked a slot and booted the kernel
// with our initramfs (and the release key appended to it), prints what it
// found on the serial console, and powers the VM off. It is not the
// product's initramfs (src/cmd/initramfs), which the boot test uses once
// it exists.
package main

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

func main() {
	say := func(format string, a ...any) { fmt.Printf("picket-testinit: "+format+"\n", a...) }
	if err := os.MkdirAll("/proc", 0o755); err != nil {
		say("mkdir /proc: %v", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", 0, ""); err != nil {
		say("mount /proc: %v", err)
	}
	if b, err := os.ReadFile("/proc/version"); err == nil {
		say("%s", strings.TrimSpace(string(b)))
	}
	if b, err := os.ReadFile("/proc/cmdline"); err == nil {
		say("cmdline: %s", strings.TrimSpace(string(b)))
	}
	if b, err := os.ReadFile("/etc/picket/release.pub"); err == nil && strings.Contains(string(b), "PUBLIC KEY") {
		say("release key present")
	} else {
		say("release key missing: %v", err)
	}
	say("powering off")
	unix.Sync()
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		say("power off: %v", err)
	}
	select {}
}
