// Package tuf is the box's client of the update repository: The Update
// Framework's metadata (roles root, targets, snapshot, timestamp; ed25519
// keys with thresholds, expiry, consistent snapshots) verified by go-tuf's
// updater, and the downloads of the targets it describes.
//
// It is the only box package that imports go-tuf. go-tuf checks the
// metadata; this package brings what go-tuf leaves to its caller:
//
//   - its own fetcher (Downloader): every request goes through the
//     *http.Client the caller hands in (the box's management path: proxy,
//     split networking), with a deadline per file, a minimum rate over a
//     window against slow retrieval, and the maximum length enforced while
//     reading against endless data. go-tuf's default fetcher has no timeout
//     and its NewFetcherWithRoundTripper changes http.DefaultClient for the
//     whole process; neither is used.
//   - the trusted time: boards without a real-time clock boot in 1970, so the
//     caller passes the time expiry is checked against (Client.Refresh).
//   - streaming of targets: go-tuf's DownloadTarget holds a whole file in
//     memory and writes it non-atomically, so images are never fetched
//     through it. Client.Target gives a target's signed length, SHA-256 and
//     custom fields, Client.TargetURL its consistent-snapshot URL, and
//     Downloader.Fetch streams it (or a byte range of it, HTTP Range) into
//     the caller's writer. Fetch caps the bytes at the signed length; the
//     SHA-256 is the caller's to compute over what it wrote (the slot writer
//     hashes while it writes and keeps the hash state across a resume), and
//     the target is trusted only once that hash equals Info.SHA256.
//
// The trusted metadata cache (Config.MetadataDir, /data/updates/tuf on the
// box) lives on the data partition, so the versions it holds survive reboots
// and slot switches and keep rollback and freeze attacks out: with an empty
// cache TUF accepts any consistent set the root keys signed, however old.
// It is seeded from the image's root metadata (/etc/picket/tuf/root.json)
// when it is empty or holds an older root than the image's.
package tuf

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/link/platformapi"
)

// Size caps of metadata files (go-tuf's defaults, but targets: the
// design's 2 MB) and of targets by kind. A target's download is capped by
// the length its signed metadata gives; these caps bound what a target
// entry may claim in the first place (Info.Check).
const (
	MaxRoot      = 512000
	MaxTimestamp = 16384
	MaxSnapshot  = 2000000
	MaxTargets   = 2000000

	MaxImage      = 512 << 20 // rootfs.img: the slot size
	MaxManifest   = 4 << 10   // rootfs.manifest
	MaxChunks     = 8 << 20   // rootfs.chunks
	MaxSBOM       = 32 << 20  // sbom.spdx.json
	MaxSignatures = 32 << 20  // signatures.pkg
)

// Target file names inside a software release's directory
// ("software/<board>/<version>/").
const (
	FileImage    = "rootfs.img"
	FileManifest = "rootfs.manifest"
	FileChunks   = "rootfs.chunks"
	FileSBOM     = "sbom.spdx.json"
	// FileSignatures is the file of a signatures release
	// ("signatures/<version>/").
	FileSignatures = "signatures.pkg"
)

// SoftwarePath is the TUF target path of a file of a software release.
func SoftwarePath(board, version, file string) string {
	return path.Join(platformapi.UpdateSoftware, board, version, file)
}

// SignaturesPath is the TUF target path of a signature package.
func SignaturesPath(version string) string {
	return path.Join(platformapi.UpdateSignatures, version, FileSignatures)
}

// MaxLength is the size cap of a target by its file name (the last path
// element), 0 for a name no release has.
func MaxLength(targetPath string) int64 {
	switch path.Base(targetPath) {
	case FileImage:
		return MaxImage
	case FileManifest:
		return MaxManifest
	case FileChunks:
		return MaxChunks
	case FileSBOM:
		return MaxSBOM
	case FileSignatures:
		return MaxSignatures
	}
	return 0
}

// Custom is the custom JSON of a target entry in targets.json. Every file
// of a release carries it (the release tool writes it), so a target says
// what it is without its path being parsed.
type Custom struct {
	Kind    string `json:"kind"` // platformapi.UpdateSoftware or UpdateSignatures
	Board   string `json:"board,omitempty"`
	Version string `json:"version"`
}

// Info is what the signed targets metadata says about one target.
type Info struct {
	Path   string // target path, "software/<board>/<version>/rootfs.img"
	Length int64
	SHA256 [32]byte
	Custom Custom
}

// Errors of the client. The metadata checks' own errors are go-tuf's
// (metadata.ErrExpiredMetadata, ErrBadVersionNumber, ErrUnsignedMetadata,
// ErrLengthOrHashMismatch, ...), wrapped.
var (
	// ErrNoTrustedTime: Refresh got a zero reference time.
	ErrNoTrustedTime = errors.New("no trusted time: metadata expiry cannot be checked")
	// ErrNotRefreshed: Target before a successful Refresh.
	ErrNotRefreshed = errors.New("no verified metadata: Refresh has not succeeded")
	// ErrNotFound: the verified targets metadata has no such target.
	ErrNotFound = errors.New("target not in the signed targets metadata")
)

// Config is what a Client needs; Platform, TrustedRoot, MetadataDir and
// HTTP are required.
type Config struct {
	// Platform is the platform's base URL ("https://platform:8443");
	// metadata is under platformapi.PathUpdateMetadata, targets under
	// platformapi.PathUpdateTargets.
	Platform string
	// TrustedRoot is the image's root metadata, the trust anchor
	// (/etc/picket/tuf/root.json).
	TrustedRoot []byte
	// MetadataDir is the trusted metadata cache on the data partition
	// (/data/updates/tuf); created 0700 when missing.
	MetadataDir string
	// HTTP makes every request (the management path). Its Timeout, if
	// any, applies on top of Limits.
	HTTP *http.Client
	// Clock times the deadlines and the rate guard; nil is the system
	// clock.
	Clock clock.Clock
	// Limits of every download; zero fields take the defaults.
	Limits Limits
}

// Client verifies the update repository's metadata and looks targets up in
// it. It is safe for concurrent use; one Refresh runs at a time.
type Client struct {
	cfg  Config
	dl   *Downloader
	root *metadata.Metadata[metadata.RootType] // the image's

	mu      sync.Mutex
	targets map[string]*metadata.TargetFiles // of the last successful Refresh
	state   State
}

// State is what the last successful Refresh verified: the versions of the
// trusted metadata (for the updater's state and logs).
type State struct {
	Root, Timestamp, Snapshot, Targets int64
	// Expires is the earliest expiry of the four.
	Expires time.Time
	// RefTime is the trusted time Refresh checked expiry against.
	RefTime time.Time
}

// New checks cfg and parses the trusted root; it makes no request.
func New(cfg Config) (*Client, error) {
	if cfg.HTTP == nil {
		return nil, errors.New("tuf: no HTTP client")
	}
	if cfg.MetadataDir == "" {
		return nil, errors.New("tuf: no metadata directory")
	}
	u, err := url.Parse(cfg.Platform)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("tuf: platform URL %q: want http(s)://host[:port]", cfg.Platform)
	}
	cfg.Platform = strings.TrimSuffix(cfg.Platform, "/")
	root, err := parseRoot(cfg.TrustedRoot)
	if err != nil {
		return nil, fmt.Errorf("tuf: trusted root: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	return &Client{
		cfg:  cfg,
		dl:   &Downloader{HTTP: cfg.HTTP, Clock: cfg.Clock, Limits: cfg.Limits},
		root: root,
	}, nil
}

// Downloader is the client's downloader (its HTTP client, clock and
// limits), for fetching targets.
func (c *Client) Downloader() *Downloader { return c.dl }

func parseRoot(b []byte) (*metadata.Metadata[metadata.RootType], error) {
	if len(b) == 0 {
		return nil, errors.New("empty root metadata")
	}
	if len(b) > MaxRoot {
		return nil, fmt.Errorf("root metadata is %d bytes, more than the %d byte cap", len(b), MaxRoot)
	}
	r, err := metadata.Root().FromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("parse root metadata: %w", err)
	}
	// Self-signed by its own threshold, as go-tuf's trusted set demands of
	// its starting root.
	if err := r.VerifyDelegate(metadata.ROOT, r); err != nil {
		return nil, fmt.Errorf("root metadata version %d: %w", r.Signed.Version, err)
	}
	if !r.Signed.ConsistentSnapshot {
		return nil, fmt.Errorf("root metadata version %d does not use consistent snapshots", r.Signed.Version)
	}
	return r, nil
}

// startRoot is the root Refresh starts from: the cache's root.json when it
// is valid and not older than the image's, else the image's (an empty
// cache, or an image that ships a newer root than the cache followed).
func (c *Client) startRoot() []byte {
	b, err := os.ReadFile(filepath.Join(c.cfg.MetadataDir, "root.json"))
	if err != nil {
		return c.cfg.TrustedRoot
	}
	r, err := parseRoot(b)
	if err != nil || r.Signed.Version < c.root.Signed.Version {
		return c.cfg.TrustedRoot
	}
	if r.Signed.Version == c.root.Signed.Version && !bytes.Equal(b, c.cfg.TrustedRoot) {
		// Same version, other bytes: the image is the anchor.
		return c.cfg.TrustedRoot
	}
	return b
}

// cacheFiles are the files go-tuf keeps in the metadata directory, one
// per top-level role.
var cacheFiles = []string{"root.json", "timestamp.json", "snapshot.json", "targets.json"}

// parseCached parses a cached role file as its role's metadata: what
// tells a whole file from a torn one.
func parseCached(name string, b []byte) error {
	var err error
	switch name {
	case "root.json":
		_, err = metadata.Root().FromBytes(b)
	case "timestamp.json":
		_, err = metadata.Timestamp().FromBytes(b)
	case "snapshot.json":
		_, err = metadata.Snapshot().FromBytes(b)
	case "targets.json":
		_, err = metadata.Targets().FromBytes(b)
	default:
		err = fmt.Errorf("%s: not a role's file", name)
	}
	return err
}

// dropTorn removes what a power cut can leave of go-tuf's cache: it
// writes each file to a temporary file and renames it without an fsync,
// so after a cut a role's file can be empty or cut short, which go-tuf
// takes for an error of its own and gives up on every refresh after
// (found by tests/product's power cut). A file that does not parse as its
// role's metadata is dropped and fetched again, verified against the
// roles above it as on a first refresh; the root falls back to the
// image's (startRoot). Leftover temporary files go too.
func dropTorn(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), "tuf_tmp") {
			os.Remove(p)
			continue
		}
		if !slices.Contains(cacheFiles, e.Name()) {
			continue
		}
		if b, err := os.ReadFile(p); err != nil || parseCached(e.Name(), b) != nil {
			os.Remove(p)
		}
	}
}

// syncCache makes what go-tuf wrote durable: each role's file, then the
// directory (go-tuf's renames), so the metadata a refresh trusted is the
// metadata the next boot starts from, and rollback protection survives a
// power cut.
func syncCache(dir string) error {
	for _, name := range cacheFiles {
		f, err := os.Open(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("sync %s: %w", name, err)
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Refresh runs TUF's client workflow (root rotations, timestamp, snapshot,
// targets) against the platform, with expiry checked at refTime, the
// trusted time (the system clock, or the platform's when they differ by
// more than the updater tolerates; zero is refused: a box without a clock
// must wait for a first poll). Verified metadata is kept in MetadataDir.
// On error the targets of the previous successful Refresh are dropped:
// nothing stale is looked up.
func (c *Client) Refresh(ctx context.Context, refTime time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.targets = nil
	c.state = State{}
	if refTime.IsZero() {
		return fmt.Errorf("tuf: refresh: %w", ErrNoTrustedTime)
	}
	if err := os.MkdirAll(c.cfg.MetadataDir, 0o700); err != nil {
		return fmt.Errorf("tuf: refresh: %w", err)
	}
	dropTorn(c.cfg.MetadataDir)
	cfg := &config.UpdaterConfig{
		MaxRootRotations:   256,
		MaxDelegations:     32,
		RootMaxLength:      MaxRoot,
		TimestampMaxLength: MaxTimestamp,
		SnapshotMaxLength:  MaxSnapshot,
		TargetsMaxLength:   MaxTargets,
		Fetcher:            &fetcher{ctx: ctx, dl: c.dl},
		LocalTrustedRoot:   c.startRoot(),
		LocalMetadataDir:   c.cfg.MetadataDir,
		// Never written (targets are streamed, not DownloadTarget'ed), but
		// go-tuf creates it.
		LocalTargetsDir:       filepath.Join(c.cfg.MetadataDir, "targets"),
		RemoteMetadataURL:     c.cfg.Platform + platformapi.PathUpdateMetadata,
		RemoteTargetsURL:      c.cfg.Platform + platformapi.PathUpdateTargets,
		PrefixTargetsWithHash: true,
	}
	// A go-tuf Updater refreshes once in its life: one per Refresh, started
	// from what the cache holds.
	up, err := updater.New(cfg)
	if err != nil {
		return fmt.Errorf("tuf: refresh: load trusted root: %w", err)
	}
	up.UnsafeSetRefTime(refTime.UTC())
	if err := up.Refresh(); err != nil {
		return fmt.Errorf("tuf: refresh: %w", err)
	}
	if err := syncCache(c.cfg.MetadataDir); err != nil {
		return fmt.Errorf("tuf: refresh: %w", err)
	}
	set := up.GetTrustedMetadataSet()
	c.targets = up.GetTopLevelTargets()
	c.state = State{
		Root:      set.Root.Signed.Version,
		Timestamp: set.Timestamp.Signed.Version,
		Snapshot:  set.Snapshot.Signed.Version,
		Targets:   set.Targets[metadata.TARGETS].Signed.Version,
		RefTime:   refTime,
		Expires:   earliest(set.Root.Signed.Expires, set.Timestamp.Signed.Expires, set.Snapshot.Signed.Expires, set.Targets[metadata.TARGETS].Signed.Expires),
	}
	return nil
}

func earliest(ts ...time.Time) time.Time {
	e := ts[0]
	for _, t := range ts[1:] {
		if t.Before(e) {
			e = t
		}
	}
	return e
}

// State returns what the last successful Refresh verified (zero before).
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Target looks path up in the targets metadata of the last successful
// Refresh. The entry must have a SHA-256, a length within the cap of its
// file name (MaxLength) and custom JSON that names its kind and version
// (Info.Check).
func (c *Client) Target(targetPath string) (Info, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.targets == nil {
		return Info{}, fmt.Errorf("tuf: target %s: %w", targetPath, ErrNotRefreshed)
	}
	tf, ok := c.targets[targetPath]
	if !ok {
		return Info{}, fmt.Errorf("tuf: target %s: %w", targetPath, ErrNotFound)
	}
	info, err := infoOf(targetPath, tf)
	if err != nil {
		return Info{}, fmt.Errorf("tuf: target %s: %w", targetPath, err)
	}
	return info, nil
}

// Targets lists the paths of every target of the last successful Refresh.
func (c *Client) Targets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.targets))
	for p := range c.targets {
		out = append(out, p)
	}
	return out
}

func infoOf(targetPath string, tf *metadata.TargetFiles) (Info, error) {
	info := Info{Path: targetPath, Length: tf.Length}
	h, ok := tf.Hashes["sha256"]
	if !ok || len(h) != len(info.SHA256) {
		return Info{}, errors.New("no sha256 hash in its entry")
	}
	copy(info.SHA256[:], h)
	if tf.Custom == nil {
		return Info{}, errors.New("no custom fields (kind, version) in its entry")
	}
	if err := json.Unmarshal(*tf.Custom, &info.Custom); err != nil {
		return Info{}, fmt.Errorf("custom fields: %w", err)
	}
	if err := info.Check(); err != nil {
		return Info{}, err
	}
	return info, nil
}

// Check checks an entry against the layout of releases: a known file
// name, a length within its cap, custom fields that agree with the path.
// The release tool checks what it writes with it too.
func (i Info) Check() error {
	max := MaxLength(i.Path)
	if max == 0 {
		return fmt.Errorf("file name %q is not one of a release", path.Base(i.Path))
	}
	if i.Length < 0 || i.Length > max {
		return fmt.Errorf("length %d outside 0..%d, the cap of %s", i.Length, max, path.Base(i.Path))
	}
	parts := strings.Split(i.Path, "/")
	switch i.Custom.Kind {
	case platformapi.UpdateSoftware:
		if len(parts) != 4 || parts[0] != platformapi.UpdateSoftware || parts[1] != i.Custom.Board || parts[2] != i.Custom.Version || parts[3] == FileSignatures {
			return fmt.Errorf("custom fields (software, board %q, version %q) do not match the path", i.Custom.Board, i.Custom.Version)
		}
	case platformapi.UpdateSignatures:
		if len(parts) != 3 || parts[0] != platformapi.UpdateSignatures || parts[1] != i.Custom.Version || parts[2] != FileSignatures || i.Custom.Board != "" {
			return fmt.Errorf("custom fields (signatures, version %q) do not match the path", i.Custom.Version)
		}
	default:
		return fmt.Errorf("custom kind %q, want %q or %q", i.Custom.Kind, platformapi.UpdateSoftware, platformapi.UpdateSignatures)
	}
	if i.Custom.Version == "" {
		return errors.New("custom version is empty")
	}
	return nil
}

// SHA256Hex is the target's SHA-256 in hex.
func (i Info) SHA256Hex() string { return hex.EncodeToString(i.SHA256[:]) }

// TargetURL is where the target's bytes are: consistent snapshots name a
// target file "<dir>/<sha256>.<name>" under the platform's targets path,
// so a URL never serves other bytes than the hash it names.
func (c *Client) TargetURL(info Info) string {
	dir, name := path.Split(info.Path)
	return c.cfg.Platform + platformapi.PathUpdateTargets + dir + info.SHA256Hex() + "." + name
}
