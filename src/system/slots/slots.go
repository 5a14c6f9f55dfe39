package slots

import (
	"fmt"
	"strconv"
)

// The grubenv variables grub.cfg acts on.
const (
	VarActive = "picket_active"
	VarTrying = "picket_trying"
	VarTries  = "picket_tries"
)

// MaxTries bounds Tries: grub.cfg counts down with an if-chain (GRUB has
// no arithmetic), written for 3, 2, 1, 0.
const MaxTries = 3

// State is the boot selection: Active is the slot that is known good;
// Trying, when not empty, is a slot GRUB boots instead while Tries (the
// boots it has left) is above zero.
type State struct {
	Active string
	Trying string
	Tries  int
}

// ValidSlot reports whether s names a slot.
func ValidSlot(s string) bool { return s == "a" || s == "b" }

// Other returns the slot that is not s ("" if s is not a slot).
func Other(s string) string {
	switch s {
	case "a":
		return "b"
	case "b":
		return "a"
	}
	return ""
}

// Validate says what is wrong with st, if anything.
func (st State) Validate() error {
	switch {
	case !ValidSlot(st.Active):
		return fmt.Errorf("active slot %q: want a or b", st.Active)
	case st.Trying != "" && !ValidSlot(st.Trying):
		return fmt.Errorf("trying slot %q: want a, b or nothing", st.Trying)
	case st.Tries < 0 || st.Tries > MaxTries:
		return fmt.Errorf("tries %d: want 0 to %d", st.Tries, MaxTries)
	}
	return nil
}

// String is for logs and the slot tool: "active=a trying=b tries=2".
func (st State) String() string {
	return fmt.Sprintf("active=%s trying=%s tries=%d", st.Active, st.Trying, st.Tries)
}

// FromEnv reads the slot state out of an environment block. An unset
// picket_tries counts as 0.
func FromEnv(env Env) (State, error) {
	var st State
	st.Active, _ = env.Get(VarActive)
	st.Trying, _ = env.Get(VarTrying)
	if t, ok := env.Get(VarTries); ok && t != "" {
		n, err := strconv.Atoi(t)
		if err != nil {
			return State{}, fmt.Errorf("grubenv %s=%q: want a number", VarTries, t)
		}
		st.Tries = n
	}
	if err := st.Validate(); err != nil {
		return State{}, fmt.Errorf("grubenv slot state: %w", err)
	}
	return st, nil
}

// apply sets st's variables in env, keeping every other variable.
func (st State) apply(env Env) (Env, error) {
	if err := st.Validate(); err != nil {
		return nil, err
	}
	env = env.Set(VarActive, st.Active)
	env = env.Set(VarTrying, st.Trying)
	env = env.Set(VarTries, strconv.Itoa(st.Tries))
	return env, nil
}

// Encode returns a fresh environment block holding only st (for image
// builds).
func (st State) Encode() ([]byte, error) {
	env, err := st.apply(nil)
	if err != nil {
		return nil, err
	}
	return env.Encode()
}

// Read returns the slot state of the grubenv at path.
func Read(path string) (State, error) {
	env, err := ReadEnv(path)
	if err != nil {
		return State{}, err
	}
	st, err := FromEnv(env)
	if err != nil {
		return State{}, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// Write stores st in the grubenv at path, keeping other variables if the
// file exists and is a valid block.
func Write(path string, st State) error {
	env, err := ReadEnv(path)
	if err != nil {
		env = nil
	}
	env, err = st.apply(env)
	if err != nil {
		return fmt.Errorf("write slot state to %s: %w", path, err)
	}
	return WriteEnv(path, env)
}

// update reads, changes and (if changed) writes the state at path.
func update(path string, change func(st State) (State, error)) error {
	env, err := ReadEnv(path)
	if err != nil {
		return err
	}
	st, err := FromEnv(env)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	next, err := change(st)
	if err != nil {
		return err
	}
	if next == st {
		return nil
	}
	if env, err = next.apply(env); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return WriteEnv(path, env)
}

// MarkGood records that the booted slot came up: if it is the slot being
// tried it becomes the active one and trying is cleared; if it is already
// the active one nothing changes (the file is not rewritten). Booting a
// slot that is neither is an error: GRUB should never have chosen it.
func MarkGood(path, booted string) error {
	return update(path, func(st State) (State, error) {
		switch {
		case !ValidSlot(booted):
			return st, fmt.Errorf("mark slot %q good: want a or b", booted)
		case booted == st.Trying:
			return State{Active: booted}, nil
		case booted == st.Active:
			return st, nil
		}
		return st, fmt.Errorf("mark slot %s good: grubenv says %s, the booted slot is neither active nor trying", booted, st)
	})
}

// SetTrying makes GRUB boot slot on the next boots, up to tries times,
// before falling back to the active slot.
func SetTrying(path, slot string, tries int) error {
	return update(path, func(st State) (State, error) {
		if !ValidSlot(slot) {
			return st, fmt.Errorf("try slot %q: want a or b", slot)
		}
		if tries < 1 || tries > MaxTries {
			return st, fmt.Errorf("try slot %s %d times: want 1 to %d tries", slot, tries, MaxTries)
		}
		if slot == st.Active {
			return st, fmt.Errorf("try slot %s: it is already the active slot", slot)
		}
		return State{Active: st.Active, Trying: slot, Tries: tries}, nil
	})
}

// GiveUp clears trying so the next boot takes the active slot: the
// initramfs calls it when the tried slot does not verify.
func GiveUp(path string) error {
	return update(path, func(st State) (State, error) {
		return State{Active: st.Active}, nil
	})
}

// Abandon records that the booted slot turned out corrupted while it ran
// (dm-verity read a block that does not match the signed tree): the other
// slot becomes the active one and nothing is on trial, so the next boot
// leaves the booted slot alone whether it was active or on trial.
func Abandon(path, booted string) error {
	return update(path, func(st State) (State, error) {
		if !ValidSlot(booted) {
			return st, fmt.Errorf("abandon slot %q: want a or b", booted)
		}
		return State{Active: Other(booted)}, nil
	})
}
