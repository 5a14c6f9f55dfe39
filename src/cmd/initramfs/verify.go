package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/system/devmapper"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/system/verity"
)

// VerifyManifest checks the signed manifest with the trusted keys and,
// when board is not empty, that it names this board: a release for
// another board is refused even if signed.
func VerifyManifest(signed []byte, trusted []ed25519.PublicKey, board string) (manifest.Manifest, error) {
	m, err := manifest.Verify(signed, trusted)
	if err != nil {
		return manifest.Manifest{}, err
	}
	if board != "" && m.Board != board {
		return manifest.Manifest{}, fmt.Errorf("manifest is for board %q, this is %q", m.Board, board)
	}
	return m, nil
}

// VerifySlot checks the signed manifest and then the rootfs image at dev
// (a partition or a file) in full: the size and SHA-256 of its first Size
// bytes (the partition is larger than the image; squashfs reads nothing
// past its own length, so the bytes after it do not matter).
func VerifySlot(dev string, signed []byte, trusted []ed25519.PublicKey, board string) (manifest.Manifest, error) {
	m, err := VerifyManifest(signed, trusted, board)
	if err != nil {
		return manifest.Manifest{}, err
	}
	return m, VerifyContents(dev, m)
}

// VerifyContents hashes the image at dev whole against m: the way a slot
// without a hash tree (a release made before dm-verity) is verified.
func VerifyContents(dev string, m manifest.Manifest) error {
	f, err := os.Open(dev)
	if err != nil {
		return fmt.Errorf("open rootfs: %w", err)
	}
	defer f.Close()
	if err := manifest.VerifyImage(io.LimitReader(f, m.Size), m); err != nil {
		return fmt.Errorf("rootfs %s: %w", dev, err)
	}
	return nil
}

// MapVerity puts the partition dev behind a read-only dm-verity mapping
// of the manifest's tree and returns the mapping's name and device node.
func MapVerity(slot, dev string, m manifest.Manifest) (name, node string, err error) {
	t, err := verity.FromManifest(m)
	if err != nil {
		return "", "", err
	}
	ctl, err := devmapper.Open(devmapper.ControlPath)
	if err != nil {
		return "", "", err
	}
	defer ctl.Close()
	name = verity.MappingName(slot)
	num, err := ctl.CreateReadOnly(name, "PICKET-"+name, devmapper.Target{Length: t.Sectors(), Type: "verity", Params: t.Target(dev)})
	if err != nil {
		return "", "", fmt.Errorf("dm-verity over %s: %w", dev, err)
	}
	// devtmpfs names the mapped device dm-<minor>.
	node = "/dev/dm-" + strconv.FormatUint(uint64(unix.Minor(num)), 10)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(node); err == nil {
			return name, node, nil
		} else if time.Now().After(deadline) {
			ctl.Remove(name)
			return "", "", fmt.Errorf("dm-verity over %s: %s did not appear: %w", dev, node, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ErrCorrupted is wrapped when dm-verity found a block of the slot that
// does not match its signed hash tree.
var ErrCorrupted = errors.New("a block does not match the signed hash tree (dm-verity)")

// CorruptionError says whether err, met while mounting or reading through
// mapping, came from a corrupted block, by the verity target's status.
func CorruptionError(mapping string, err error) error {
	ctl, cerr := devmapper.Open(devmapper.ControlPath)
	if cerr != nil {
		return err
	}
	defer ctl.Close()
	if ts, serr := ctl.Status(mapping); serr == nil && devmapper.VerityCorrupted(ts) {
		return fmt.Errorf("%w: %w", ErrCorrupted, err)
	}
	return err
}

// RemoveMapping removes a mapping the boot does not use.
func RemoveMapping(name string) {
	if ctl, err := devmapper.Open(devmapper.ControlPath); err == nil {
		ctl.Remove(name)
		ctl.Close()
	}
}

// Plan is what the initramfs does after verifying.
type Plan struct {
	// Boot is the slot to switch_root into, or "".
	Boot string
	// NewState, when not nil, is written to grubenv before rebooting.
	NewState *slots.State
	// Halt: nothing verified.
	Halt bool
	// Message goes to the console.
	Message string
}

// NoSystemMessage is printed when neither slot verifies.
const NoSystemMessage = "no verified system: halting"

// Decide picks what to do once the booted slot has been verified
// (bootedErr nil) or refused. st is the grubenv state (stErr if it could
// not be read); verifyOther verifies the other slot and is called only if
// needed.
//
//   - booted slot verifies: boot it.
//   - the refused slot is being tried and the other one is active: clear
//     trying and reboot, so GRUB boots the active slot.
//   - the refused slot is the active one (or the state is unreadable):
//     if the other slot verifies, make it active and reboot into it;
//     otherwise halt.
func Decide(booted string, st slots.State, stErr, bootedErr error, verifyOther func() error) Plan {
	if bootedErr == nil {
		return Plan{Boot: booted, Message: fmt.Sprintf("picket: slot %s verified", booted)}
	}
	refused := fmt.Sprintf("picket: slot %s refused: %v", booted, bootedErr)
	other := slots.Other(booted)
	if other == "" {
		return Plan{Halt: true, Message: refused + "; " + NoSystemMessage}
	}
	if stErr == nil && st.Trying == booted && st.Active == other {
		return Plan{NewState: &slots.State{Active: other}, Message: refused + "; falling back to slot " + other}
	}
	if err := verifyOther(); err != nil {
		return Plan{Halt: true, Message: fmt.Sprintf("%s; slot %s refused too: %v; %s", refused, other, err, NoSystemMessage)}
	}
	return Plan{NewState: &slots.State{Active: other}, Message: refused + "; slot " + other + " verifies, making it active"}
}
