// Package releases is the platform's side of the update repository (The
// Update Framework's metadata and targets, written by the release tool in
// a directory platformd is given with -updates): it serves the directory
// read-only to boxes (serve.go) and reads its current targets metadata to
// know which releases exist (Load), software per board and signature
// databases.
//
// The directory's layout: metadata/ holds the TUF metadata
// ("N.root.json", "timestamp.json", "N.snapshot.json", "N.targets.json"),
// targets/ the target files (consistent snapshots:
// "<dir>/<sha256>.<name>"). They are served at platformapi's
// PathUpdateMetadata and PathUpdateTargets.
//
// The platform does not verify the metadata's signatures: the directory is
// the operator's own, and the box verifies everything it fetches against
// its root of trust. What Load checks is that the files are what the
// release tool writes (types, versions, lengths and hashes along the chain
// timestamp → snapshot → targets), so that a half-published or
// hand-edited repository shows as an error rather than as releases the
// boxes would refuse.
package releases

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/vercmp"
)

// Size caps of the metadata files, as the box's TUF client has them.
const (
	MaxTimestamp = 16 << 10
	MaxSnapshot  = 2 << 20
	MaxTargets   = 2 << 20
)

// Directories of the repository.
const (
	MetadataDir = "metadata"
	TargetsDir  = "targets"
)

// Release is one release the targets metadata lists.
type Release struct {
	// Kind is platformapi.UpdateSoftware or UpdateSignatures.
	Kind string
	// Board is the software's board ("" for signatures).
	Board   string
	Version string
	// Target is the TUF target path (platformapi.UpdateNotice.Target).
	Target string
	Length int64
	SHA256 string
	// Manifest, Chunks and SBOM say whether the software's signed
	// manifest, chunk index and SBOM are listed beside the image.
	Manifest, Chunks, SBOM bool
}

// Channel is the release's channel name (store.Rollout.Channel):
// "software/<board>" or "signatures".
func (r Release) Channel() string {
	if r.Kind == platformapi.UpdateSoftware {
		return platformapi.UpdateSoftware + "/" + r.Board
	}
	return platformapi.UpdateSignatures
}

// Catalog is what one version of the targets metadata lists.
type Catalog struct {
	// Releases by channel, newest version first.
	Channels map[string][]Release
	// TargetsVersion is the targets metadata's version; Expires the
	// earliest expiry of the timestamp, snapshot and targets metadata
	// read (past it, boxes refuse the repository until it is
	// republished).
	TargetsVersion int
	Expires        time.Time
	// Problems are targets skipped because their path and custom
	// metadata disagree or lack what a box needs (a sha256): each says
	// which and why.
	Problems []string
}

// Release finds the release of channel with version.
func (c Catalog) Release(channel, version string) (Release, bool) {
	for _, r := range c.Channels[channel] {
		if r.Version == version {
			return r, true
		}
	}
	return Release{}, false
}

// Latest is channel's newest release.
func (c Catalog) Latest(channel string) (Release, bool) {
	l := c.Channels[channel]
	if len(l) == 0 {
		return Release{}, false
	}
	return l[0], true
}

// ChannelNames are the catalog's channels, sorted.
func (c Catalog) ChannelNames() []string {
	var out []string
	for k := range c.Channels {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The metadata shapes (TUF specification 1.0): only the fields read.
type envelope struct {
	Signed json.RawMessage `json:"signed"`
}

type fileMeta struct {
	Version int               `json:"version"`
	Length  *int64            `json:"length"`
	Hashes  map[string]string `json:"hashes"`
}

type common struct {
	Type    string `json:"_type"`
	Version int    `json:"version"`
	Expires string `json:"expires"`
}

type metaRole struct {
	common
	Meta map[string]fileMeta `json:"meta"`
}

type targetFile struct {
	Length int64             `json:"length"`
	Hashes map[string]string `json:"hashes"`
	Custom json.RawMessage   `json:"custom"`
}

type targetsRole struct {
	common
	Targets map[string]targetFile `json:"targets"`
}

type custom struct {
	Kind    string `json:"kind"`
	Board   string `json:"board"`
	Version string `json:"version"`
}

// ErrNoRepository: the metadata directory has no timestamp and no
// targets metadata (nothing published yet).
var ErrNoRepository = errors.New("no timestamp.json or N.targets.json: nothing is published")

// readFile reads name from the metadata directory, at most limit bytes.
func readFile(meta, name string, limit int64) ([]byte, error) {
	f, err := os.Open(filepath.Join(meta, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes, the box's limit", name, limit)
	}
	return b, nil
}

// decodeRole reads the signed part of a metadata file and checks its type
// and version (want 0: any) and its expiry's form.
func decodeRole(name string, b []byte, typ string, want int, v any) (time.Time, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return time.Time{}, fmt.Errorf("%s: not TUF metadata: %w", name, err)
	}
	if len(env.Signed) == 0 {
		return time.Time{}, fmt.Errorf("%s: no \"signed\" object", name)
	}
	var c common
	if err := json.Unmarshal(env.Signed, &c); err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", name, err)
	}
	if c.Type != typ {
		return time.Time{}, fmt.Errorf("%s: _type %q, want %q", name, c.Type, typ)
	}
	if c.Version < 1 || want != 0 && c.Version != want {
		return time.Time{}, fmt.Errorf("%s: version %d, want %d", name, c.Version, want)
	}
	exp, err := time.Parse(time.RFC3339, c.Expires)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: expires %q: %w", name, c.Expires, err)
	}
	if err := json.Unmarshal(env.Signed, v); err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", name, err)
	}
	return exp, nil
}

// checkMeta checks b against what its parent's meta says of it.
func checkMeta(name string, b []byte, m fileMeta) error {
	if m.Length != nil && int64(len(b)) != *m.Length {
		return fmt.Errorf("%s: %d bytes, its parent says %d", name, len(b), *m.Length)
	}
	for alg, want := range m.Hashes {
		var h hash.Hash
		switch alg {
		case "sha256":
			h = sha256.New()
		case "sha512":
			h = sha512.New()
		default:
			continue // one the box's client may know; the platform checks those it knows
		}
		h.Write(b)
		if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(want) {
			return fmt.Errorf("%s: %s %s, its parent says %s", name, alg, got, want)
		}
	}
	return nil
}

// readVersioned reads "<version>.<role>.json", or "<role>.json" when the
// repository does not use consistent snapshots.
func readVersioned(meta, role string, version int, limit int64) (string, []byte, error) {
	name := fmt.Sprintf("%d.%s.json", version, role)
	b, err := readFile(meta, name, limit)
	if errors.Is(err, os.ErrNotExist) {
		name = role + ".json"
		b, err = readFile(meta, name, limit)
	}
	if err != nil {
		return name, nil, fmt.Errorf("%s version %d: %w", role, version, err)
	}
	return name, b, nil
}

var versionedTargets = regexp.MustCompile(`^([1-9][0-9]{0,9})\.targets\.json$`)

// newestTargets is the highest N of the metadata directory's
// N.targets.json, 0 when there is none.
func newestTargets(meta string) (int, error) {
	ents, err := os.ReadDir(meta)
	if err != nil {
		return 0, fmt.Errorf("metadata directory: %w", err)
	}
	best := 0
	for _, e := range ents {
		if m := versionedTargets.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.Atoi(m[1])
			best = max(best, n)
		}
	}
	return best, nil
}

// Load reads the repository dir's current targets metadata: through
// timestamp.json → its snapshot → its targets (each file checked against
// the length and hashes its parent gives), or, without a timestamp, the
// newest N.targets.json. A target whose path and custom metadata
// disagree is listed in Problems, not as a release.
func Load(dir string) (Catalog, error) {
	meta := filepath.Join(dir, MetadataDir)
	var c Catalog
	var tb []byte
	tname := ""
	tsb, err := readFile(meta, "timestamp.json", MaxTimestamp)
	switch {
	case err == nil:
		var ts metaRole
		exp, err := decodeRole("timestamp.json", tsb, "timestamp", 0, &ts)
		if err != nil {
			return c, err
		}
		c.Expires = exp
		sm, ok := ts.Meta["snapshot.json"]
		if !ok || sm.Version < 1 {
			return c, errors.New("timestamp.json: no snapshot.json version in meta")
		}
		sname, sb, err := readVersioned(meta, "snapshot", sm.Version, MaxSnapshot)
		if err != nil {
			return c, err
		}
		if err := checkMeta(sname, sb, sm); err != nil {
			return c, err
		}
		var sn metaRole
		exp, err = decodeRole(sname, sb, "snapshot", sm.Version, &sn)
		if err != nil {
			return c, err
		}
		c.Expires = earliest(c.Expires, exp)
		tm, ok := sn.Meta["targets.json"]
		if !ok || tm.Version < 1 {
			return c, fmt.Errorf("%s: no targets.json version in meta", sname)
		}
		if tname, tb, err = readVersioned(meta, "targets", tm.Version, MaxTargets); err != nil {
			return c, err
		}
		if err := checkMeta(tname, tb, tm); err != nil {
			return c, err
		}
		c.TargetsVersion = tm.Version
	case errors.Is(err, os.ErrNotExist):
		n, err := newestTargets(meta)
		if err != nil {
			return c, err
		}
		if n == 0 {
			return c, ErrNoRepository
		}
		tname = fmt.Sprintf("%d.targets.json", n)
		if tb, err = readFile(meta, tname, MaxTargets); err != nil {
			return c, err
		}
		c.TargetsVersion = n
	default:
		return c, err
	}
	var tr targetsRole
	exp, err := decodeRole(tname, tb, "targets", c.TargetsVersion, &tr)
	if err != nil {
		return c, err
	}
	c.Expires = earliest(c.Expires, exp)
	c.Channels, c.Problems = list(tr.Targets)
	return c, nil
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// safeSegment: a board or version as it may appear in a target path (and
// so in a URL and a file name): no separators, no dot-only names.
var safeSegment = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+~_-]*$`)

// list turns the targets into releases by channel, newest first.
func list(targets map[string]targetFile) (map[string][]Release, []string) {
	chans := map[string][]Release{}
	var problems []string
	bad := func(p, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("target %s: %s", p, fmt.Sprintf(format, args...)))
	}
	paths := make([]string, 0, len(targets))
	for p := range targets {
		paths = append(paths, p)
	}
	slices.Sort(paths) // problems in a stable order
	for _, p := range paths {
		t := targets[p]
		parts := strings.Split(p, "/")
		var r Release
		switch {
		case len(parts) == 4 && parts[0] == platformapi.UpdateSoftware && parts[3] == "rootfs.img":
			r = Release{Kind: platformapi.UpdateSoftware, Board: parts[1], Version: parts[2]}
		case len(parts) == 3 && parts[0] == platformapi.UpdateSignatures && parts[2] == "signatures.pkg":
			r = Release{Kind: platformapi.UpdateSignatures, Version: parts[1]}
		default:
			continue // a release's other files (manifest, chunks, SBOM), or not ours
		}
		r.Target, r.Length, r.SHA256 = p, t.Length, strings.ToLower(t.Hashes["sha256"])
		var cu custom
		if len(t.Custom) == 0 || bytes.Equal(t.Custom, []byte("null")) {
			bad(p, "no custom metadata (kind, board, version)")
			continue
		}
		if err := json.Unmarshal(t.Custom, &cu); err != nil {
			bad(p, "custom metadata: %v", err)
			continue
		}
		switch {
		case cu.Kind != r.Kind:
			bad(p, "custom kind %q, the path says %q", cu.Kind, r.Kind)
		case cu.Board != r.Board:
			bad(p, "custom board %q, the path says %q", cu.Board, r.Board)
		case cu.Version != r.Version:
			bad(p, "custom version %q, the path says %q", cu.Version, r.Version)
		case r.Kind == platformapi.UpdateSoftware && !safeSegment.MatchString(r.Board):
			bad(p, "board %q: letters, digits and . + ~ _ - only", r.Board)
		case !safeSegment.MatchString(r.Version):
			bad(p, "version %q: letters, digits and . + ~ _ - only", r.Version)
		case len(r.SHA256) != 64:
			bad(p, "no sha256 hash (the box checks every target's length and sha256)")
		case t.Length <= 0:
			bad(p, "length %d", t.Length)
		default:
			if err := platformapi.CheckUpdate(platformapi.UpdateNotice{Kind: r.Kind, Version: r.Version, Target: r.Target}); err != nil {
				bad(p, "%v", err)
				break
			}
			if r.Kind == platformapi.UpdateSoftware {
				dir := strings.TrimSuffix(p, "rootfs.img")
				_, r.Manifest = targets[dir+"rootfs.manifest"]
				_, r.Chunks = targets[dir+"rootfs.chunks"]
				_, r.SBOM = targets[dir+"sbom.spdx.json"]
			}
			chans[r.Channel()] = append(chans[r.Channel()], r)
		}
	}
	for _, l := range chans {
		slices.SortFunc(l, func(a, b Release) int { return vercmp.Compare(b.Version, a.Version) })
	}
	return chans, problems
}
