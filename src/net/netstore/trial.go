package netstore

import (
	"encoding/json"
	"fmt"
	"time"

	"picket.dev/picket/src/net/netcfg"
)

// Files of the change on trial and of the last rollback, beside the
// configuration.
const (
	TrialFile    = "config/trial.json"
	RollbackFile = "config/rollback.json"
)

// Trial is a change on trial: it took the box from reaching the platform
// to not reaching it, and is undone (the last-known-good configuration
// restored) unless the platform is reached again, or the operator keeps
// it, before Deadline. The manager writes it before it stores the change,
// so a power cut at any instant after the change was stored finds it at
// the next start, which restores the last-known-good configuration.
type Trial struct {
	ID       string    `json:"id"`
	Source   string    `json:"source"` // who made the change: "panel" or "platform"
	Op       string    `json:"op"`     // the change, as the manager names it
	Started  time.Time `json:"started"`
	Deadline time.Time `json:"deadline"`
	// Reason is why the change is on trial: the first failed step of the
	// path test after it.
	Reason string `json:"reason"`
	// Changes are the fields the change set (netcfg.Diff), for the
	// rollback's record.
	Changes []string `json:"changes,omitempty"`
}

// Rollback is the record of the last change the manager undid, kept until
// the next one replaces it so that the platform link can report it
// whenever the platform is reached again.
type Rollback struct {
	ID     string    `json:"id"` // the trial's
	Source string    `json:"source"`
	Op     string    `json:"op"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// LastKnownGood reads the last-known-good copy alone; an error wrapping
// ErrNotStored says there is none.
func (s *Store) LastKnownGood() (netcfg.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, _, err := s.read(LastKnownGoodFile)
	return c, err
}

// SaveTrial records t as the change on trial, atomically.
func (s *Store) SaveTrial(t Trial) error {
	return s.writeJSON(TrialFile, t)
}

// LoadTrial returns the change on trial; ok is false when there is none.
// A file that cannot be read is an error.
func (s *Store) LoadTrial() (t Trial, ok bool, err error) {
	ok, err = s.readJSON(TrialFile, &t)
	return t, ok, err
}

// ClearTrial removes the trial record, durably.
func (s *Store) ClearTrial() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := removeDurably(s.fsys, TrialFile); err != nil {
		return fmt.Errorf("clear the change on trial: %w", err)
	}
	return nil
}

// RollBack makes good, the last-known-good configuration, the stored one
// and then records r and drops the trial record, each step atomic: a power
// cut in between leaves the trial record, and the next start rolls back
// again (the same configuration, the same record).
func (s *Store) RollBack(good netcfg.Config, r Rollback) error {
	if err := s.Save(good); err != nil {
		return fmt.Errorf("roll back: %w", err)
	}
	if err := s.writeJSON(RollbackFile, r); err != nil {
		return fmt.Errorf("roll back: %w", err)
	}
	return s.ClearTrial()
}

// LoadRollback returns the record of the last rollback; ok is false when
// there was none.
func (s *Store) LoadRollback() (r Rollback, ok bool, err error) {
	ok, err = s.readJSON(RollbackFile, &r)
	return r, ok, err
}

func (s *Store) writeJSON(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := writeAtomic(s.fsys, name, data, 0o600); err != nil {
		return fmt.Errorf("store %s: %w", name, err)
	}
	return nil
}

func (s *Store) readJSON(name string, v any) (bool, error) {
	s.mu.Lock()
	data, err := readFile(s.fsys, name)
	s.mu.Unlock()
	switch {
	case isNotExist(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read %s: %w", name, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("%s is not valid JSON: %w", name, err)
	}
	return true, nil
}
