package sigpkg

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/scan/vercmp"
)

// Compiler turns a verified payload (a signature database's source) into
// the form the scanner matches with. It is given only payloads whose
// signature, length and hash checked out.
type Compiler[T any] func(src []byte) (T, error)

// Where a database in force came from.
const (
	SourceData  = "data"  // installed on the data partition
	SourceImage = "image" // the default baked into the image
)

// Files of a store on the data partition, in Config.Dir: the package in
// force and the one before it (two generations: the one before stays
// until the new one is written and in force).
const (
	CurrentFile  = "current.pkg"
	PreviousFile = "previous.pkg"
)

// DefaultImagePath is where an image carries its default database.
const DefaultImagePath = "/usr/share/picket/signatures.pkg"

// DefaultMaxAgeDays is the age past which a database is stale until the
// platform sets its own limit (platformapi.Settings.SignaturesMaxAgeDays).
const DefaultMaxAgeDays = 7

// DB is a database in force: its verified header, where it came from, and
// its compiled form. A DB never changes; a new version is a new DB.
type DB[T any] struct {
	Header   Header
	Source   string
	Compiled T
}

// Config is what a Store needs.
type Config[T any] struct {
	// Trusted are the release public keys (the image's
	// /etc/picket/release.pub, the key its manifests are checked with).
	Trusted []ed25519.PublicKey
	// Compile compiles a verified payload.
	Compile Compiler[T]
	// VersionOf, when set, reads the version a compiled database states
	// itself: a package whose signed header says another is refused, so
	// the version a box reports is the one of the checks it runs.
	VersionOf func(T) string
	// Data is the data partition (atomicfile.Dir("/data") on a box) and
	// Dir the store's directory in it ("signatures").
	Data atomicfile.FS
	Dir  string
	// Image is the image's default package (DefaultImagePath); empty:
	// none.
	Image string
	// Log: nil discards.
	Log *slog.Logger
}

// Store holds the signature database in force behind an atomic pointer:
// a scan takes it once (Current) and keeps that one to its end, while
// Install swaps in a newer one. Installs are one at a time. Its methods
// are safe for concurrent use.
type Store[T any] struct {
	cfg    Config[T]
	cur    atomic.Pointer[DB[T]]
	maxAge atomic.Int64
	mu     sync.Mutex // one Load or Install at a time
}

// New returns a store with no database in force; Load puts the best one
// found in force.
func New[T any](cfg Config[T]) (*Store[T], error) {
	if len(cfg.Trusted) == 0 || cfg.Compile == nil || cfg.Data == nil || cfg.Dir == "" {
		return nil, errors.New("signature store: trusted keys, compiler, data partition and directory are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Store[T]{cfg: cfg}
	s.maxAge.Store(DefaultMaxAgeDays)
	return s, nil
}

// Current is the database in force, nil when there is none. Callers keep
// the pointer for as long as they need one consistent database.
func (s *Store[T]) Current() *DB[T] { return s.cur.Load() }

// Version is the version in force, "" when there is none.
func (s *Store[T]) Version() string {
	if db := s.cur.Load(); db != nil {
		return db.Header.Version
	}
	return ""
}

// SetMaxAgeDays sets the age in days past which the database is stale (the
// platform's setting); n <= 0 restores DefaultMaxAgeDays.
func (s *Store[T]) SetMaxAgeDays(n int) {
	if n <= 0 {
		n = DefaultMaxAgeDays
	}
	s.maxAge.Store(int64(n))
}

// MaxAgeDays is the age in days past which the database is stale.
func (s *Store[T]) MaxAgeDays() int { return int(s.maxAge.Load()) }

// AgeDays is how many whole days old a database created at created is at
// now; a creation date in the future (a wrong clock) is age 0.
func AgeDays(created, now time.Time) int {
	d := now.Sub(created)
	if d < 0 {
		return 0
	}
	return int(d / (24 * time.Hour))
}

func (s *Store[T]) path(name string) string { return s.cfg.Dir + "/" + name }

// candidate is a package found at start, verified.
type candidate struct {
	pkg    Package
	where  string
	source string
}

// Load puts in force the newest database that verifies and compiles among
// the data partition's current and previous packages and the image's
// default: a data partition with none, or only bad ones, falls back to
// the image's, and an image newer than what was installed wins. Each
// package refused is logged with why. It returns an error only when no
// database could be put in force (the scanner then runs without one).
func (s *Store[T]) Load() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []candidate
	var refused []error
	try := func(where, source string, read func() ([]byte, error)) {
		b, err := read()
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err == nil {
			var p Package
			if p, err = VerifyBytes(b, s.cfg.Trusted); err == nil {
				found = append(found, candidate{p, where, source})
				return
			}
		}
		err = fmt.Errorf("%s: %w", where, err)
		s.cfg.Log.Warn("signature package refused", "err", err)
		refused = append(refused, err)
	}
	for _, name := range []string{CurrentFile, PreviousFile} {
		try(s.path(name), SourceData, func() ([]byte, error) { return readCapped(s.cfg.Data, s.path(name)) })
	}
	if s.cfg.Image != "" {
		try(s.cfg.Image, SourceImage, func() ([]byte, error) { return readFileCapped(s.cfg.Image) })
	}
	// Newest first; for the same version the data partition's first.
	slices.SortStableFunc(found, func(a, b candidate) int {
		return vercmp.Compare(b.pkg.Header.Version, a.pkg.Header.Version)
	})
	for _, c := range found {
		compiled, err := s.compile(c.pkg)
		if err != nil {
			err = fmt.Errorf("%s: %w: version %s: %w", c.where, ErrCompile, c.pkg.Header.Version, err)
			s.cfg.Log.Warn("signature package refused", "err", err)
			refused = append(refused, err)
			continue
		}
		s.cur.Store(&DB[T]{Header: c.pkg.Header, Source: c.source, Compiled: compiled})
		s.cfg.Log.Info("signatures in force", "version", c.pkg.Header.Version, "created", c.pkg.Header.Created, "from", c.where)
		return nil
	}
	if len(refused) == 0 {
		return errors.New("no signature database: none installed and none in the image")
	}
	return fmt.Errorf("no signature database could be put in force: %w", errors.Join(refused...))
}

// Install verifies a package, compiles it and puts it in force: it is
// written to the data partition (the package in force until now kept as
// the previous one) before it replaces the database in force, so a power
// cut at any point leaves the old or the new one to load. A package that
// fails any check is refused with why, and the database in force stays.
// Installing the version in force again, with the same content, changes
// nothing and succeeds.
func (s *Store[T]) Install(b []byte) (Header, error) {
	p, err := VerifyBytes(b, s.cfg.Trusted)
	if err != nil {
		return Header{}, fmt.Errorf("install signatures: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := p.Header
	if cur := s.cur.Load(); cur != nil {
		switch c := vercmp.Compare(h.Version, cur.Header.Version); {
		case c < 0:
			return Header{}, fmt.Errorf("install signatures: %w: version %s is older than %s in force", ErrOlder, h.Version, cur.Header.Version)
		case c == 0 && h.SHA256 == cur.Header.SHA256:
			return cur.Header, nil
		case c == 0:
			return Header{}, fmt.Errorf("install signatures: %w: version %s is in force with payload sha256 %s, this one has %s", ErrSameVersion, h.Version, cur.Header.SHA256, h.SHA256)
		}
	}
	compiled, err := s.compile(p)
	if err != nil {
		return Header{}, fmt.Errorf("install signatures: %w: version %s: %w", ErrCompile, h.Version, err)
	}
	if err := s.persist(b); err != nil {
		return Header{}, fmt.Errorf("install signatures %s: %w", h.Version, err)
	}
	s.cur.Store(&DB[T]{Header: h, Source: SourceData, Compiled: compiled})
	s.cfg.Log.Info("signatures installed", "version", h.Version, "created", h.Created)
	return h, nil
}

// compile compiles a verified package's payload and checks that the
// database states the version its header does.
func (s *Store[T]) compile(p Package) (T, error) {
	compiled, err := s.cfg.Compile(p.Payload)
	if err != nil {
		return compiled, err
	}
	if s.cfg.VersionOf != nil {
		if v := s.cfg.VersionOf(compiled); v != p.Header.Version {
			var zero T
			return zero, fmt.Errorf("the package is signed as version %s but its database says %q", p.Header.Version, v)
		}
	}
	return compiled, nil
}

// persist writes b as the current package, the current one (if any)
// first copied to the previous one. Each write is atomic (atomicfile):
// current.pkg reads as the old or the new package at any instant.
func (s *Store[T]) persist(b []byte) error {
	if err := s.cfg.Data.MkdirAll(s.cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", s.cfg.Dir, err)
	}
	old, err := readCapped(s.cfg.Data, s.path(CurrentFile))
	switch {
	case err == nil:
		if !bytes.Equal(old, b) {
			if err := atomicfile.WriteFS(s.cfg.Data, s.path(PreviousFile), old, 0o644); err != nil {
				return err
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		// Unreadable, so nothing worth keeping: the new one replaces it.
		s.cfg.Log.Warn("signature package in force unreadable; not kept as the previous one", "err", err)
	}
	return atomicfile.WriteFS(s.cfg.Data, s.path(CurrentFile), b, 0o644)
}

// readCapped reads name from fsys, refusing more than MaxPackage bytes
// before it holds them.
func readCapped(fsys atomicfile.FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllCapped(f)
}

func readFileCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllCapped(f)
}

func readAllCapped(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(MaxPackage)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxPackage {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrOversize, MaxPackage)
	}
	return b, nil
}
