package pid1

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/linuxsys"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/slots"
)

// ESP is init's one way to the boot partition (grubenv, the slots'
// manifests): f runs with the partition at dir, writable or not, and
// one caller at a time.
type ESP interface {
	With(write bool, f func(dir string) error) error
}

// MountedESP mounts the partition labelled "boot" at Dir for the length
// of each With, read-only unless asked, and unmounts it after, so the
// ESP is not mounted while nobody writes it (a power cut then finds it
// clean).
type MountedESP struct {
	Sys linuxsys.System
	// Dir is the mount point (/run/esp); Blocks is /sys/class/block.
	Dir, Blocks string
	mu          sync.Mutex
}

// With implements ESP.
func (e *MountedESP) With(write bool, f func(dir string) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	dev, err := linuxsys.FindPartition(e.Blocks, "boot")
	if err != nil {
		return fmt.Errorf("ESP: %w", err)
	}
	if err := os.MkdirAll(e.Dir, 0o700); err != nil {
		return fmt.Errorf("ESP: %w", err)
	}
	flags := uintptr(syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC)
	if !write {
		flags |= syscall.MS_RDONLY
	}
	if err := e.Sys.Mount(dev, e.Dir, "vfat", flags, ""); err != nil {
		return fmt.Errorf("ESP: mount %s: %w", dev, err)
	}
	err = f(e.Dir)
	if write {
		e.Sys.Sync()
	}
	if uerr := e.Sys.Unmount(e.Dir, 0); uerr != nil && err == nil {
		err = fmt.Errorf("ESP: unmount: %w", uerr)
	}
	return err
}

// DirESP is an ESP that is a directory already there (a development run,
// tests): With only serialises.
type DirESP struct {
	Dir string
	mu  sync.Mutex
}

// With implements ESP.
func (e *DirESP) With(_ bool, f func(dir string) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return f(e.Dir)
}

// Grubenv is the bootloader environment's name on the ESP.
const Grubenv = "grubenv"

// ManifestName is slot's signed manifest's name on the ESP, which the
// initramfs checks the slot against.
func ManifestName(slot string) string { return "slot-" + slot + ".manifest" }

// Control is init's side of init.sock (initapi.Init): the booted slot,
// the ESP, the release key and the board to check a new slot's manifest
// with, the supervisor that takes the updater's verdict, and how to stop.
type Control struct {
	ESP   ESP
	Slot  string
	Board string
	Keys  []ed25519.PublicKey
	// Verdict passes the updater's verdict on (Supervisor.Verdict).
	Verdict func()
	// Stop asks init to stop the daemons and reboot, or power off.
	Stop func(powerOff bool)
	// TrialBoots is how many boots Try gives a new slot (BootConfig
	// TrialBoots); 0 means slots.MaxTries.
	TrialBoots int
	good       atomic.Bool
}

var _ initapi.Init = (*Control)(nil)

// Marked reports whether init marked the booted slot good this boot.
func (c *Control) Marked() bool { return c.good.Load() }

// MarkGood marks the booted slot good in the grubenv.
func (c *Control) MarkGood() error {
	if !slots.ValidSlot(c.Slot) {
		return fmt.Errorf("mark slot good: kernel command line has picket.slot=%q, want a or b", c.Slot)
	}
	err := c.ESP.With(true, func(dir string) error { return slots.MarkGood(filepath.Join(dir, Grubenv), c.Slot) })
	if err != nil {
		return fmt.Errorf("mark slot %s good: %w", c.Slot, err)
	}
	c.good.Store(true)
	return nil
}

// Boot implements initapi.Init.
func (c *Control) Boot(context.Context) (initapi.Boot, error) {
	var st slots.State
	err := c.ESP.With(false, func(dir string) error {
		var err error
		st, err = slots.Read(filepath.Join(dir, Grubenv))
		return err
	})
	if err != nil {
		return initapi.Boot{}, fmt.Errorf("read boot state: %w", err)
	}
	b := initapi.Boot{Slot: c.Slot, Active: st.Active, Trying: st.Trying, Tries: st.Tries}
	b.Good = c.good.Load() || (st.Active == c.Slot && st.Trying != c.Slot)
	return b, nil
}

// idle checks that slot may be written: a slot, and not the booted one.
func (c *Control) idle(what, slot string) error {
	if !slots.ValidSlot(slot) {
		return fmt.Errorf("%s: slot %q: %w: want a or b", what, slot, initapi.ErrRefused)
	}
	if slot == c.Slot {
		return fmt.Errorf("%s: slot %s is the booted slot: %w", what, slot, initapi.ErrRefused)
	}
	return nil
}

// WriteManifest implements initapi.Init: the manifest must verify with
// the release key and name this board before it replaces the slot's.
func (c *Control) WriteManifest(_ context.Context, slot string, signed []byte) error {
	if err := c.idle("write manifest", slot); err != nil {
		return err
	}
	m, err := manifest.Verify(signed, c.Keys)
	if err != nil {
		return fmt.Errorf("write manifest of slot %s: %w: %w", slot, initapi.ErrRefused, err)
	}
	if m.Board != c.Board {
		return fmt.Errorf("write manifest of slot %s: %w: it is for board %q, this is %q", slot, initapi.ErrRefused, m.Board, c.Board)
	}
	return c.ESP.With(true, func(dir string) error {
		if err := atomicfile.Write(filepath.Join(dir, ManifestName(slot)), signed, 0o644); err != nil {
			return fmt.Errorf("write manifest of slot %s: %w", slot, err)
		}
		return nil
	})
}

// Try implements initapi.Init.
func (c *Control) Try(_ context.Context, slot string) error {
	if err := c.idle("try", slot); err != nil {
		return err
	}
	return c.ESP.With(true, func(dir string) error {
		tries := c.TrialBoots
		if tries == 0 {
			tries = slots.MaxTries
		}
		return slots.SetTrying(filepath.Join(dir, Grubenv), slot, tries)
	})
}

// Good implements initapi.Init: the verdict counts only for a slot on
// trial; on another it is accepted and changes nothing.
func (c *Control) Good(context.Context) error {
	if c.Verdict == nil {
		return errors.New("good: init takes no verdict")
	}
	c.Verdict()
	return nil
}

// Reboot implements initapi.Init.
func (c *Control) Reboot(context.Context) error { c.Stop(false); return nil }

// PowerOff implements initapi.Init.
func (c *Control) PowerOff(context.Context) error { c.Stop(true); return nil }
