package pid1

import (
	"fmt"
	"path/filepath"
	"strings"

	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/system/uevent"
)

// VerityErrorVar is the variable dm-verity's uevent carries when it read
// a block that does not match the tree: "<type>,<block>", type 0 for a
// data block, 1 for a hash block (drivers/md/dm-verity-target.c).
const VerityErrorVar = "DM_VERITY_ERR_BLOCK_NR"

// VerityWatch watches the root's dm-verity mapping for a corrupted block.
// A uevent only prompts a look at the mapping's status, which the kernel
// alone sets: a process that may send uevents (one with CAP_NET_ADMIN)
// cannot make init abandon a good slot.
type VerityWatch struct {
	// Corrupted reports whether the mapping's verity target says a
	// corrupted block was read (devmapper.VerityCorrupted of its
	// status); an error means there is no mapping to watch.
	Corrupted func() (bool, error)
	// Next blocks until the kernel's next uevent.
	Next func() (uevent.Event, error)
	// Found is called once, with what was found.
	Found func(what string)
}

// Run checks the status once (a corruption met between the initramfs and
// now sent its uevent to nobody), then on every verity uevent, until it
// finds a corruption or Next fails. It returns why it stopped.
func (w VerityWatch) Run() error {
	bad, err := w.Corrupted()
	if err != nil {
		return fmt.Errorf("dm-verity status of the root: %w: not watching", err)
	}
	if bad {
		w.Found("the root's dm-verity mapping already reports a corrupted block")
		return nil
	}
	for {
		e, err := w.Next()
		if err != nil {
			return err
		}
		block, ok := e.Env[VerityErrorVar]
		if !ok {
			continue
		}
		if bad, err := w.Corrupted(); err != nil || !bad {
			continue
		}
		what := "data block"
		if t, n, ok := strings.Cut(block, ","); ok {
			if t == "1" {
				what = "hash block"
			}
			what += " " + n
		}
		w.Found(fmt.Sprintf("dm-verity read %s of the root (%s), which does not match the signed hash tree", what, e.DevPath))
		return nil
	}
}

// Abandon gives up the booted slot after a corruption was found in it:
// the other slot becomes active and nothing is on trial (slots.Abandon),
// so the reboot that follows runs the other slot's code rather than this
// one's again.
func (c *Control) Abandon() error {
	if !slots.ValidSlot(c.Slot) {
		return fmt.Errorf("abandon slot: kernel command line has picket.slot=%q, want a or b", c.Slot)
	}
	err := c.ESP.With(true, func(dir string) error { return slots.Abandon(filepath.Join(dir, Grubenv), c.Slot) })
	if err != nil {
		return fmt.Errorf("abandon slot %s: %w", c.Slot, err)
	}
	return nil
}
