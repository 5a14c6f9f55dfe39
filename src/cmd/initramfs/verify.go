package main

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"os"

	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/slots"
)

// VerifySlot checks that the rootfs image at dev (a partition or a file)
// is the one the signed manifest describes: the signature by one of the
// trusted keys first, then the size and SHA-256 of the first Size bytes
// (the partition is larger than the image; squashfs reads nothing past
// its own length, so the bytes after it do not matter). board, when not
// empty, must be the manifest's board: a release for another board is
// refused even if signed.
func VerifySlot(dev string, signed []byte, trusted []ed25519.PublicKey, board string) (manifest.Manifest, error) {
	m, err := manifest.Verify(signed, trusted)
	if err != nil {
		return manifest.Manifest{}, err
	}
	if board != "" && m.Board != board {
		return manifest.Manifest{}, fmt.Errorf("manifest is for board %q, this is %q", m.Board, board)
	}
	f, err := os.Open(dev)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("open rootfs: %w", err)
	}
	defer f.Close()
	if err := manifest.VerifyImage(io.LimitReader(f, m.Size), m); err != nil {
		return manifest.Manifest{}, fmt.Errorf("rootfs %s: %w", dev, err)
	}
	return m, nil
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
