// Package netstore keeps netmgrd's network configuration (a netcfg.Config)
// on the data partition so that it is never lost: every write is atomic
// (temporary file, fsync, rename, fsync of the directory), so a power cut
// at any instant leaves the old or the new configuration, never a broken
// one; a last-known-good copy (the last configuration that reached the
// platform) backs it up; and Load falls back from the stored file to the
// last-known-good copy to the defaults, saying which it used and why.
//
// The file is JSON with a version field; older versions are migrated when
// read (see FormatVersion). The proxy password is never written in clear:
// it is sealed with XChaCha20-Poly1305 under a per-box key kept in KeyFile,
// created on first use with mode 0600.
//
// The filesystem and the randomness are passed in (FS, io.Reader), so
// tests can cut the power at every step of a write.
package netstore

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/net/netcfg"
)

// Paths relative to the data partition (architecture: /data/config/...).
const (
	ConfigFile        = "config/network.json"
	LastKnownGoodFile = "config/network.json.lkg"
)

// Source says where a loaded configuration came from.
type Source int

const (
	FromStored        Source = iota // the stored configuration
	FromLastKnownGood               // the last-known-good copy: the stored one was unusable
	FromDefaults                    // the factory defaults: neither file was usable
)

func (s Source) String() string {
	switch s {
	case FromStored:
		return "stored configuration"
	case FromLastKnownGood:
		return "last-known-good configuration"
	case FromDefaults:
		return "default configuration"
	}
	return fmt.Sprintf("Source(%d)", int(s))
}

// Loaded is the result of Load.
type Loaded struct {
	Config netcfg.Config
	Source Source
	// Reason says why the stored configuration (and, for FromDefaults, the
	// last-known-good copy) was not used; nil for FromStored. netmgrd shows
	// it on its status API. It never contains the proxy password.
	Reason error
	// MigratedFrom is the format version the configuration was read from
	// when it was older than FormatVersion, else 0. The file is rewritten
	// in the current format at the next Save, not by Load: an older slot
	// that the box falls back to can still read it until then.
	MigratedFrom int
	// FirstBoot says neither file exists: the defaults are in force because
	// nothing was ever stored, not because something was lost.
	FirstBoot bool
}

// ErrNotStored is the reason for a file that does not exist (yet).
var ErrNotStored = errors.New("not stored yet")

// Store reads and writes the network configuration. Its methods are safe
// for concurrent use.
type Store struct {
	fsys FS
	rand io.Reader
	mu   sync.Mutex
}

// New returns a store on fsys, the data partition. rand is the source of
// the per-box key and of nonces (crypto/rand.Reader in production).
func New(fsys FS, rand io.Reader) *Store {
	return &Store{fsys: fsys, rand: rand}
}

// Load returns the configuration to run: the stored one if it is readable
// and valid, else the last-known-good copy, else the factory defaults.
// It does not fail: what it could not use is in Loaded.Reason.
func (s *Store) Load() Loaded {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, from, errStored := s.read(ConfigFile)
	if errStored == nil {
		return Loaded{Config: c, Source: FromStored, MigratedFrom: migrated(from)}
	}
	c, from, errLKG := s.read(LastKnownGoodFile)
	if errLKG == nil {
		return Loaded{Config: c, Source: FromLastKnownGood, Reason: errStored, MigratedFrom: migrated(from)}
	}
	return Loaded{
		Config:    netcfg.Default(),
		Source:    FromDefaults,
		Reason:    errors.Join(errStored, errLKG),
		FirstBoot: errors.Is(errStored, ErrNotStored) && errors.Is(errLKG, ErrNotStored),
	}
}

func migrated(from int) int {
	if from == FormatVersion {
		return 0
	}
	return from
}

func (s *Store) read(name string) (netcfg.Config, int, error) {
	data, err := readFile(s.fsys, name)
	if err != nil {
		if isNotExist(err) {
			return netcfg.Config{}, 0, fmt.Errorf("%s: %w", name, ErrNotStored)
		}
		return netcfg.Config{}, 0, fmt.Errorf("%s: %w", name, err)
	}
	c, from, err := decode(data, func(sealed string) (string, error) {
		key, err := loadKey(s.fsys, s.rand, false)
		if err != nil {
			return "", err
		}
		return open(key, sealed, passwordAAD)
	})
	if err != nil {
		return netcfg.Config{}, from, fmt.Errorf("%s: %w", name, err)
	}
	return c, from, nil
}

// Save validates c and makes it the stored configuration, atomically. An
// invalid c is refused and leaves the stored file untouched.
func (s *Store) Save(c netcfg.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.write(ConfigFile, c); err != nil {
		return fmt.Errorf("store config: %w", err)
	}
	return nil
}

// MarkGood records c as last-known-good: the last configuration that
// reached the platform. netmgrd calls it after a successful connectivity
// test.
func (s *Store) MarkGood(c netcfg.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.write(LastKnownGoodFile, c); err != nil {
		return fmt.Errorf("store last-known-good config: %w", err)
	}
	return nil
}

// Reset stores c, the result of RESET NETWORK SETTINGS or of a mode switch
// (old.Reset() or old.SwitchMode(m)), and drops the last-known-good copy:
// a reset removes the proxy's stored credentials, and a fallback must not
// bring back what the operator reset. The copy goes first: a power cut in
// between leaves the old configuration with no fallback copy, never the
// reset one with the old credentials still stored. The key is kept.
func (s *Store) Reset(c netcfg.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("reset config: invalid: %w", err)
	}
	// A reset is never on trial: the change on trial, whose fallback was
	// the copy, goes with it.
	for _, name := range []string{LastKnownGoodFile, TrialFile} {
		if err := removeDurably(s.fsys, name); err != nil {
			return fmt.Errorf("reset config: %w", err)
		}
	}
	if err := s.write(ConfigFile, c); err != nil {
		return fmt.Errorf("reset config: %w", err)
	}
	return nil
}

// FactoryReset erases the stored configuration, its last-known-good copy
// and the key for stored secrets; the next Load returns the defaults. (The
// full factory reset reformats the data partition; this is the store's
// share of it, and what a test or a partial reset can call.)
func (s *Store) FactoryReset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The configuration first: the key goes last, so no configuration that
	// needs it outlives it.
	tmp := atomicfile.TempName // what a write cut short leaves behind
	for _, name := range []string{tmp(TrialFile), TrialFile, tmp(RollbackFile), RollbackFile, tmp(ConfigFile), tmp(LastKnownGoodFile), LastKnownGoodFile, ConfigFile, tmp(KeyFile), KeyFile} {
		if err := removeDurably(s.fsys, name); err != nil {
			return fmt.Errorf("factory reset: %w", err)
		}
	}
	return nil
}

func (s *Store) write(name string, c netcfg.Config) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("invalid: %w", err)
	}
	data, err := encode(c, func(clear string) (string, error) {
		key, err := loadKey(s.fsys, s.rand, true)
		if err != nil {
			return "", err
		}
		return seal(key, s.rand, clear, passwordAAD)
	})
	if err != nil {
		return err
	}
	return writeAtomic(s.fsys, name, data, 0o600)
}
