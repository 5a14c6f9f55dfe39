package initd

import (
	"fmt"
	"io"
	"os"
	"syscall"

	"picket.dev/picket/src/system/devmapper"
	"picket.dev/picket/src/system/pid1"
	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/system/uevent"
	"picket.dev/picket/src/system/verity"
)

// watchVerity watches the booted slot's dm-verity mapping (made by the
// initramfs) for the rest of the boot. A block that does not match the
// signed tree reads as an I/O error, so modified code never runs; what
// is left is not to run on a slot with a hole in it: init gives the slot
// up (the other slot becomes active) and reboots, through the same
// orderly stop as any reboot.
func watchVerity(ctl *pid1.Control, console io.Writer, reboot chan<- os.Signal) {
	conn, err := uevent.Listen()
	if err != nil {
		fmt.Fprintf(console, "init: %v: dm-verity errors are not watched\n", err)
		return
	}
	defer conn.Close()
	name := verity.MappingName(ctl.Slot)
	w := pid1.VerityWatch{
		Corrupted: func() (bool, error) {
			dm, err := devmapper.Open(devmapper.ControlPath)
			if err != nil {
				return false, err
			}
			defer dm.Close()
			ts, err := dm.Status(name)
			return devmapper.VerityCorrupted(ts), err
		},
		Next: conn.Read,
		Found: func(what string) {
			fmt.Fprintf(console, "init: %s: abandoning slot %s, rebooting into slot %s\n", what, ctl.Slot, slots.Other(ctl.Slot))
			if err := ctl.Abandon(); err != nil {
				fmt.Fprintf(console, "init: %v\n", err)
			}
			reboot <- syscall.SIGTERM
		},
	}
	if err := w.Run(); err != nil {
		fmt.Fprintf(console, "init: %v\n", err)
	}
}
