// Package release builds and signs the update repository the platform
// serves and the boxes' tuf client reads: The Update Framework's metadata
// (root, targets, snapshot, timestamp; ed25519 keys; thresholds; expiry;
// consistent snapshots) written with go-tuf's metadata package, and the
// target files beside it.
//
// A repository directory holds:
//
//	metadata/N.root.json        every root version (the chain a box walks)
//	metadata/N.targets.json     consistent snapshots of the targets role
//	metadata/N.snapshot.json
//	metadata/timestamp.json     the one unversioned file
//	targets/<dir>/<sha256>.<name>   target files, named by their hash
//	staged/root.json            root and targets metadata being signed
//	staged/targets.json         (not served)
//
// platformd serves metadata/ at platformapi.PathUpdateMetadata and
// targets/ at platformapi.PathUpdateTargets, and never staged/.
//
// Root and targets are the offline roles: a change to them is staged
// (Init, AddSoftware, AddSignatures, RotateRoot), then each key holder adds
// one signature (Sign, threshold signing: the file goes from holder to
// holder), then Publish checks the thresholds, moves the staged files into
// metadata/ and writes a new snapshot and timestamp with the online keys it
// is given. The targets role's key is the release key: the ed25519 key of
// imgtool keygen that signs rootfs manifests and signature packages (PEM
// files as system/manifest reads them), so root metadata → targets (release
// key) → a target's length and SHA-256 and its signed manifest (same key)
// → the initramfs's check of the slot, one chain.
package release

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/update/tuf"
)

// Role names.
const (
	Root      = metadata.ROOT
	Targets   = metadata.TARGETS
	Snapshot  = metadata.SNAPSHOT
	Timestamp = metadata.TIMESTAMP
)

// Directories of a repository.
const (
	MetadataDir = "metadata"
	TargetsDir  = "targets"
	StagedDir   = "staged"
)

// Expiry is how long each role's metadata is valid from when it is made.
type Expiry struct {
	Root, Targets, Snapshot, Timestamp time.Duration
}

// DefaultExpiry: root a year, targets three months, snapshot a week,
// timestamp a day (the timestamp is re-signed daily: `release timestamp`).
var DefaultExpiry = Expiry{
	Root:      365 * 24 * time.Hour,
	Targets:   90 * 24 * time.Hour,
	Snapshot:  7 * 24 * time.Hour,
	Timestamp: 24 * time.Hour,
}

func (e Expiry) withDefaults() Expiry {
	if e.Root <= 0 {
		e.Root = DefaultExpiry.Root
	}
	if e.Targets <= 0 {
		e.Targets = DefaultExpiry.Targets
	}
	if e.Snapshot <= 0 {
		e.Snapshot = DefaultExpiry.Snapshot
	}
	if e.Timestamp <= 0 {
		e.Timestamp = DefaultExpiry.Timestamp
	}
	return e
}

// RoleKeys are the public keys of one role and how many of them must sign.
type RoleKeys struct {
	Keys      []ed25519.PublicKey
	Threshold int
}

func (r RoleKeys) check(role string) error {
	if len(r.Keys) == 0 {
		return fmt.Errorf("role %s: no keys", role)
	}
	if r.Threshold < 1 || r.Threshold > len(r.Keys) {
		return fmt.Errorf("role %s: threshold %d with %d keys: want 1..%d", role, r.Threshold, len(r.Keys), len(r.Keys))
	}
	seen := map[string]bool{}
	for _, k := range r.Keys {
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("role %s: key of %d bytes is not ed25519", role, len(k))
		}
		if seen[string(k)] {
			return fmt.Errorf("role %s: the same key twice", role)
		}
		seen[string(k)] = true
	}
	return nil
}

// Keys are the four roles' keys of a root.
type Keys struct {
	Root, Targets, Snapshot, Timestamp RoleKeys
}

func (k Keys) byRole() map[string]RoleKeys {
	return map[string]RoleKeys{Root: k.Root, Targets: k.Targets, Snapshot: k.Snapshot, Timestamp: k.Timestamp}
}

// KeyID is the TUF key id of an ed25519 public key (SHA-256 of its
// canonical JSON key object), as it appears in root metadata and
// signatures.
func KeyID(pub ed25519.PublicKey) (string, error) {
	k, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		return "", err
	}
	return k.ID()
}

// Repo is a repository directory.
type Repo struct {
	Dir string
}

func (r Repo) path(parts ...string) string {
	return filepath.Join(append([]string{r.Dir}, parts...)...)
}

// metaCap bounds what the tool reads back: the box's caps.
func metaCap(role string) int64 {
	switch role {
	case Root:
		return tuf.MaxRoot
	case Timestamp:
		return tuf.MaxTimestamp
	case Snapshot:
		return tuf.MaxSnapshot
	}
	return tuf.MaxTargets
}

func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d byte cap", path, st.Size(), max)
	}
	return os.ReadFile(path)
}

func load[T metadata.Roles](path, role string) (*metadata.Metadata[T], error) {
	b, err := readCapped(path, metaCap(role))
	if err != nil {
		return nil, err
	}
	m, err := (&metadata.Metadata[T]{}).FromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func write[T metadata.Roles](path string, m *metadata.Metadata[T]) ([]byte, error) {
	b, err := m.ToBytes(true)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(path, b, 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return b, nil
}

var versionedRE = regexp.MustCompile(`^([1-9][0-9]{0,17})\.(root|targets|snapshot)\.json$`)

// latest is the highest published version of a role's versioned metadata
// (0 when there is none).
func (r Repo) latest(role string) (int64, error) {
	ents, err := os.ReadDir(r.path(MetadataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var max int64
	for _, e := range ents {
		m := versionedRE.FindStringSubmatch(e.Name())
		if m == nil || m[2] != role {
			continue
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		max = max2(max, n)
	}
	return max, nil
}

func max2(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func (r Repo) versioned(role string, n int64) string {
	return r.path(MetadataDir, fmt.Sprintf("%d.%s.json", n, role))
}

func (r Repo) staged(role string) string { return r.path(StagedDir, role+".json") }

// PublishedRoot is the newest published root (nil, nil when none is).
func (r Repo) PublishedRoot() (*metadata.Metadata[metadata.RootType], error) {
	n, err := r.latest(Root)
	if err != nil || n == 0 {
		return nil, err
	}
	return load[metadata.RootType](r.versioned(Root, n), Root)
}

func (r Repo) publishedTargets() (*metadata.Metadata[metadata.TargetsType], error) {
	n, err := r.latest(Targets)
	if err != nil || n == 0 {
		return nil, err
	}
	return load[metadata.TargetsType](r.versioned(Targets, n), Targets)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Init stages version 1 of root (the four roles' keys and thresholds,
// consistent snapshots) and an empty targets version 1 in a new
// repository. Both need their holders' signatures (Sign) before Publish.
func (r Repo) Init(keys Keys, exp Expiry, now time.Time) error {
	exp = exp.withDefaults()
	for role, rk := range keys.byRole() {
		if err := rk.check(role); err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}
	if n, err := r.latest(Root); err != nil || n > 0 || exists(r.staged(Root)) {
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
		return fmt.Errorf("init: %s already has a root (published or staged)", r.Dir)
	}
	root := metadata.Root(now.Add(exp.Root).UTC().Truncate(time.Second))
	root.Signed.ConsistentSnapshot = true
	if err := setKeys(root, keys.byRole()); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	targets := metadata.Targets(now.Add(exp.Targets).UTC().Truncate(time.Second))
	for _, d := range []string{MetadataDir, TargetsDir, StagedDir} {
		if err := os.MkdirAll(r.path(d), 0o755); err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}
	if _, err := write(r.staged(Root), root); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if _, err := write(r.staged(Targets), targets); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	return nil
}

// setKeys replaces the keys of the roles given in root (threshold and key
// ids), dropping keys no role uses any more.
func setKeys(root *metadata.Metadata[metadata.RootType], roles map[string]RoleKeys) error {
	for role, rk := range roles {
		if len(rk.Keys) == 0 {
			continue
		}
		if err := rk.check(role); err != nil {
			return err
		}
		if old, ok := root.Signed.Roles[role]; ok {
			for _, id := range append([]string(nil), old.KeyIDs...) {
				if err := root.Signed.RevokeKey(id, role); err != nil {
					return fmt.Errorf("role %s: %w", role, err)
				}
			}
		}
		for _, pub := range rk.Keys {
			k, err := metadata.KeyFromPublicKey(pub)
			if err != nil {
				return fmt.Errorf("role %s: %w", role, err)
			}
			if err := root.Signed.AddKey(k, role); err != nil {
				return fmt.Errorf("role %s: %w", role, err)
			}
		}
		root.Signed.Roles[role].Threshold = rk.Threshold
	}
	return nil
}

// SignStatus is how far a staged role is signed.
type SignStatus struct {
	Role    string
	Version int64
	KeyID   string // the key that just signed
	// Have of Need valid signatures of the role's keys in the root in
	// force once published. For a new root version, also those of the
	// root before it (OldHave of OldNeed): a rotation needs both.
	Have, Need       int
	OldHave, OldNeed int
	Rotation         bool
}

// Done reports whether the thresholds are met.
func (s SignStatus) Done() bool {
	return s.Have >= s.Need && (!s.Rotation || s.OldHave >= s.OldNeed)
}

func (s SignStatus) String() string {
	out := fmt.Sprintf("%s version %d: %d of %d signatures", s.Role, s.Version, s.Have, s.Need)
	if s.Rotation {
		out += fmt.Sprintf(" (new root's keys), %d of %d of the previous root's keys", s.OldHave, s.OldNeed)
	}
	if s.Done() {
		return out + ": threshold met"
	}
	return out + ": more signatures needed"
}

// rootInForce is the root that will verify the staged targets: the
// staged root when there is one, else the published one.
func (r Repo) rootInForce() (*metadata.Metadata[metadata.RootType], error) {
	if exists(r.staged(Root)) {
		return load[metadata.RootType](r.staged(Root), Root)
	}
	root, err := r.PublishedRoot()
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, fmt.Errorf("%s has no root: run release init", r.Dir)
	}
	return root, nil
}

// countSigs counts the distinct keys of role in root whose signature over
// signed is valid.
func countSigs(root *metadata.Metadata[metadata.RootType], role string, signed any, sigs []metadata.Signature) (have, need int, err error) {
	rl, ok := root.Signed.Roles[role]
	if !ok {
		return 0, 0, fmt.Errorf("root has no role %s", role)
	}
	payload, err := cjson.EncodeCanonical(signed)
	if err != nil {
		return 0, 0, err
	}
	for _, id := range rl.KeyIDs {
		pub, err := edKey(root.Signed.Keys[id])
		if err != nil {
			return 0, 0, fmt.Errorf("role %s key %s: %w", role, id, err)
		}
		for _, s := range sigs {
			if s.KeyID == id && ed25519.Verify(pub, payload, s.Signature) {
				have++
				break
			}
		}
	}
	return have, rl.Threshold, nil
}

func edKey(k *metadata.Key) (ed25519.PublicKey, error) {
	if k == nil {
		return nil, errors.New("key missing from root")
	}
	p, err := k.ToPublicKey()
	if err != nil {
		return nil, err
	}
	pub, ok := p.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, only ed25519 is used", p)
	}
	return pub, nil
}

func hasKey(root *metadata.Metadata[metadata.RootType], role, id string) bool {
	if root == nil {
		return false
	}
	rl, ok := root.Signed.Roles[role]
	if !ok {
		return false
	}
	for _, k := range rl.KeyIDs {
		if k == id {
			return true
		}
	}
	return false
}

func signWith(signed any, sigs []metadata.Signature, priv ed25519.PrivateKey) ([]metadata.Signature, string, error) {
	id, err := KeyID(priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, "", err
	}
	for _, s := range sigs {
		if s.KeyID == id {
			return nil, id, fmt.Errorf("already signed by key %s", id)
		}
	}
	payload, err := cjson.EncodeCanonical(signed)
	if err != nil {
		return nil, id, err
	}
	return append(sigs, metadata.Signature{KeyID: id, Signature: ed25519.Sign(priv, payload)}), id, nil
}

// Sign adds one signature, with priv, to the staged metadata of role
// (root or targets): one key holder's part of threshold signing. The key
// must be one of the role's keys in the root in force (for a new root:
// of the new root or of the one before it). It returns how far the file is
// signed.
func (r Repo) Sign(role string, priv ed25519.PrivateKey) (SignStatus, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return SignStatus{}, errors.New("sign: not an ed25519 private key")
	}
	switch role {
	case Root:
		root, err := load[metadata.RootType](r.staged(Root), Root)
		if err != nil {
			return SignStatus{}, fmt.Errorf("sign root: nothing staged (release init or rotate-root first): %w", err)
		}
		prev, err := r.PublishedRoot()
		if err != nil {
			return SignStatus{}, fmt.Errorf("sign root: %w", err)
		}
		id, err := KeyID(priv.Public().(ed25519.PublicKey))
		if err != nil {
			return SignStatus{}, fmt.Errorf("sign root: %w", err)
		}
		if !hasKey(root, Root, id) && !hasKey(prev, Root, id) {
			return SignStatus{}, fmt.Errorf("sign root: key %s is not a root key of version %d nor of the root before it", id, root.Signed.Version)
		}
		sigs, _, err := signWith(root.Signed, root.Signatures, priv)
		if err != nil {
			return SignStatus{}, fmt.Errorf("sign root: %w", err)
		}
		root.Signatures = sigs
		if _, err := write(r.staged(Root), root); err != nil {
			return SignStatus{}, fmt.Errorf("sign root: %w", err)
		}
		st, err := r.rootStatus(root, prev)
		st.KeyID = id
		return st, err
	case Targets:
		t, err := load[metadata.TargetsType](r.staged(Targets), Targets)
		if err != nil {
			return SignStatus{}, fmt.Errorf("sign targets: nothing staged (add-software, add-signatures or rotate-root first): %w", err)
		}
		root, err := r.rootInForce()
		if err != nil {
			return SignStatus{}, fmt.Errorf("sign targets: %w", err)
		}
		id, err := KeyID(priv.Public().(ed25519.PublicKey))
		if err != nil {
			return SignStatus{}, fmt.Errorf("sign targets: %w", err)
		}
		if !hasKey(root, Targets, id) {
			return SignStatus{}, fmt.Errorf("sign targets: key %s is not a targets (release) key of root version %d", id, root.Signed.Version)
		}
		sigs, _, err := signWith(t.Signed, t.Signatures, priv)
		if err != nil {
			return SignStatus{}, fmt.Errorf("sign targets: %w", err)
		}
		t.Signatures = sigs
		if _, err := write(r.staged(Targets), t); err != nil {
			return SignStatus{}, fmt.Errorf("sign targets: %w", err)
		}
		have, need, err := countSigs(root, Targets, t.Signed, t.Signatures)
		return SignStatus{Role: Targets, Version: t.Signed.Version, KeyID: id, Have: have, Need: need}, err
	}
	return SignStatus{}, fmt.Errorf("sign: role %q: only root and targets are staged and signed by holders; snapshot and timestamp are signed by publish", role)
}

func (r Repo) rootStatus(root, prev *metadata.Metadata[metadata.RootType]) (SignStatus, error) {
	st := SignStatus{Role: Root, Version: root.Signed.Version}
	var err error
	st.Have, st.Need, err = countSigs(root, Root, root.Signed, root.Signatures)
	if err != nil {
		return st, err
	}
	if prev != nil {
		st.Rotation = true
		st.OldHave, st.OldNeed, err = countSigs(prev, Root, root.Signed, root.Signatures)
	}
	return st, err
}

// Status reports how far each staged role is signed (empty when nothing is
// staged).
func (r Repo) Status() ([]SignStatus, error) {
	var out []SignStatus
	if exists(r.staged(Root)) {
		root, err := load[metadata.RootType](r.staged(Root), Root)
		if err != nil {
			return nil, err
		}
		prev, err := r.PublishedRoot()
		if err != nil {
			return nil, err
		}
		st, err := r.rootStatus(root, prev)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	if exists(r.staged(Targets)) {
		t, err := load[metadata.TargetsType](r.staged(Targets), Targets)
		if err != nil {
			return nil, err
		}
		root, err := r.rootInForce()
		if err != nil {
			return nil, err
		}
		have, need, err := countSigs(root, Targets, t.Signed, t.Signatures)
		if err != nil {
			return nil, err
		}
		out = append(out, SignStatus{Role: Targets, Version: t.Signed.Version, Have: have, Need: need})
	}
	return out, nil
}

// stageTargets returns the staged targets, or a new version of the
// published one (expiry renewed) when none is staged. A staged file's
// signatures are dropped by the caller's change.
func (r Repo) stageTargets(exp Expiry, now time.Time) (*metadata.Metadata[metadata.TargetsType], error) {
	if exists(r.staged(Targets)) {
		return load[metadata.TargetsType](r.staged(Targets), Targets)
	}
	pub, err := r.publishedTargets()
	if err != nil {
		return nil, err
	}
	t := metadata.Targets(now.Add(exp.withDefaults().Targets).UTC().Truncate(time.Second))
	if pub != nil {
		t.Signed.Targets = pub.Signed.Targets
		t.Signed.Version = pub.Signed.Version + 1
	}
	return t, nil
}

// RootChange is what RotateRoot changes: the roles given non-empty keys get
// those keys and threshold; the others keep theirs.
type RootChange = Keys

// RotateRoot stages root version N+1 from the newest published root N,
// with the keys of the roles in change replaced and expiry renewed. It
// needs the signatures of N's root threshold and of N+1's (Sign with the
// old and the new root keys). When the targets keys change, a new targets
// version is staged too, to be signed with the new targets key (the old
// one no longer verifies under N+1); snapshot and timestamp keys take
// effect at the Publish that publishes N+1.
func (r Repo) RotateRoot(change RootChange, exp Expiry, now time.Time) error {
	exp = exp.withDefaults()
	if exists(r.staged(Root)) {
		return errors.New("rotate-root: a root version is already staged: sign and publish it, or remove staged/root.json")
	}
	prev, err := r.PublishedRoot()
	if err != nil {
		return fmt.Errorf("rotate-root: %w", err)
	}
	if prev == nil {
		return errors.New("rotate-root: no published root: use release init")
	}
	b, err := prev.ToBytes(false)
	if err != nil {
		return fmt.Errorf("rotate-root: %w", err)
	}
	next, err := metadata.Root().FromBytes(b)
	if err != nil {
		return fmt.Errorf("rotate-root: %w", err)
	}
	next.Signed.Version = prev.Signed.Version + 1
	next.Signed.Expires = now.Add(exp.Root).UTC().Truncate(time.Second)
	next.Signatures = nil
	if err := setKeys(next, change.byRole()); err != nil {
		return fmt.Errorf("rotate-root: %w", err)
	}
	if _, err := write(r.staged(Root), next); err != nil {
		return fmt.Errorf("rotate-root: %w", err)
	}
	if len(change.Targets.Keys) > 0 {
		t, err := r.stageTargets(exp, now)
		if err != nil {
			return fmt.Errorf("rotate-root: stage targets: %w", err)
		}
		t.Signatures = nil
		if _, err := write(r.staged(Targets), t); err != nil {
			return fmt.Errorf("rotate-root: %w", err)
		}
	}
	return nil
}

// Published is what a Publish (or Snapshot/Timestamp) wrote.
type Published struct {
	Root, Targets, Snapshot, Timestamp int64
}

func (p Published) String() string {
	return fmt.Sprintf("root %d, targets %d, snapshot %d, timestamp %d", p.Root, p.Targets, p.Snapshot, p.Timestamp)
}

// Promote moves staged root and targets into metadata/ once their
// thresholds are met (a new root: both its own and its predecessor's),
// root first. It is the first step of Publish.
func (r Repo) Promote() error {
	prev, err := r.PublishedRoot()
	if err != nil {
		return err
	}
	if exists(r.staged(Root)) {
		root, err := load[metadata.RootType](r.staged(Root), Root)
		if err != nil {
			return err
		}
		st, err := r.rootStatus(root, prev)
		if err != nil {
			return err
		}
		if !st.Done() {
			return fmt.Errorf("staged %s", st)
		}
		want := int64(1)
		if prev != nil {
			want = prev.Signed.Version + 1
		}
		if root.Signed.Version != want {
			return fmt.Errorf("staged root is version %d, the next is %d", root.Signed.Version, want)
		}
		if !root.Signed.ConsistentSnapshot {
			return errors.New("staged root does not use consistent snapshots")
		}
		if _, err := write(r.versioned(Root, root.Signed.Version), root); err != nil {
			return err
		}
		if err := os.Remove(r.staged(Root)); err != nil {
			return err
		}
		prev = root
	}
	if prev == nil {
		return fmt.Errorf("%s has no root: run release init, sign root, then publish", r.Dir)
	}
	if exists(r.staged(Targets)) {
		t, err := load[metadata.TargetsType](r.staged(Targets), Targets)
		if err != nil {
			return err
		}
		have, need, err := countSigs(prev, Targets, t.Signed, t.Signatures)
		if err != nil {
			return err
		}
		if have < need {
			return fmt.Errorf("staged targets version %d: %d of %d signatures: more needed (release sign -role targets)", t.Signed.Version, have, need)
		}
		n, err := r.latest(Targets)
		if err != nil {
			return err
		}
		if t.Signed.Version <= n {
			return fmt.Errorf("staged targets version %d is not newer than the published %d", t.Signed.Version, n)
		}
		if _, err := write(r.versioned(Targets, t.Signed.Version), t); err != nil {
			return err
		}
		if err := os.Remove(r.staged(Targets)); err != nil {
			return err
		}
	}
	return nil
}

// signOnline signs with each key and checks the role's threshold in root.
func signOnline(root *metadata.Metadata[metadata.RootType], role string, signed any, keys []ed25519.PrivateKey) ([]metadata.Signature, error) {
	var sigs []metadata.Signature
	for _, k := range keys {
		if len(k) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("%s key: not an ed25519 private key", role)
		}
		id, err := KeyID(k.Public().(ed25519.PublicKey))
		if err != nil {
			return nil, err
		}
		if !hasKey(root, role, id) {
			return nil, fmt.Errorf("key %s is not a %s key of root version %d", id, role, root.Signed.Version)
		}
		sigs, _, err = signWith(signed, sigs, k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", role, err)
		}
	}
	have, need, err := countSigs(root, role, signed, sigs)
	if err != nil {
		return nil, err
	}
	if have < need {
		return nil, fmt.Errorf("%s: %d of %d signatures: give more %s keys", role, have, need, role)
	}
	return sigs, nil
}

func metaFile(version int64, b []byte) *metadata.MetaFiles {
	m := metadata.MetaFile(version)
	m.Length = int64(len(b))
	m.Hashes = metadata.Hashes{"sha256": sha256Sum(b)}
	return m
}

// WriteSnapshot writes snapshot version N+1 over the newest targets,
// signed with keys (the snapshot role's threshold of the newest root).
// The newest targets must verify under the newest root: after a targets
// key rotation, a targets version signed with the new key must be
// published first.
func (r Repo) WriteSnapshot(keys []ed25519.PrivateKey, exp Expiry, now time.Time) (int64, error) {
	exp = exp.withDefaults()
	root, err := r.PublishedRoot()
	if err != nil || root == nil {
		return 0, fmt.Errorf("snapshot: no published root: %v", err)
	}
	tn, err := r.latest(Targets)
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	if tn == 0 {
		return 0, errors.New("snapshot: no published targets")
	}
	tb, err := readCapped(r.versioned(Targets, tn), tuf.MaxTargets)
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	t, err := metadata.Targets().FromBytes(tb)
	if err != nil {
		return 0, fmt.Errorf("snapshot: targets %d: %w", tn, err)
	}
	if err := root.VerifyDelegate(Targets, t); err != nil {
		return 0, fmt.Errorf("snapshot: targets version %d does not verify under root version %d (after a targets key rotation, sign and publish a new targets version): %w", tn, root.Signed.Version, err)
	}
	sn, err := r.latest(Snapshot)
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	s := metadata.Snapshot(now.Add(exp.Snapshot).UTC().Truncate(time.Second))
	s.Signed.Version = sn + 1
	s.Signed.Meta = map[string]*metadata.MetaFiles{"targets.json": metaFile(tn, tb)}
	if s.Signatures, err = signOnline(root, Snapshot, s.Signed, keys); err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	if _, err := write(r.versioned(Snapshot, s.Signed.Version), s); err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	return s.Signed.Version, nil
}

// WriteTimestamp writes timestamp.json version N+1 over the newest
// snapshot, signed with keys; it is the file that makes a new snapshot
// visible, and re-signing it before it expires keeps boxes from seeing a
// freeze (daily, by default).
func (r Repo) WriteTimestamp(keys []ed25519.PrivateKey, exp Expiry, now time.Time) (int64, error) {
	exp = exp.withDefaults()
	root, err := r.PublishedRoot()
	if err != nil || root == nil {
		return 0, fmt.Errorf("timestamp: no published root: %v", err)
	}
	sn, err := r.latest(Snapshot)
	if err != nil {
		return 0, fmt.Errorf("timestamp: %w", err)
	}
	if sn == 0 {
		return 0, errors.New("timestamp: no snapshot: run release snapshot (or publish)")
	}
	sb, err := readCapped(r.versioned(Snapshot, sn), tuf.MaxSnapshot)
	if err != nil {
		return 0, fmt.Errorf("timestamp: %w", err)
	}
	var version int64 = 1
	if old, err := load[metadata.TimestampType](r.path(MetadataDir, "timestamp.json"), Timestamp); err == nil {
		version = old.Signed.Version + 1
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("timestamp: %w", err)
	}
	ts := metadata.Timestamp(now.Add(exp.Timestamp).UTC().Truncate(time.Second))
	ts.Signed.Version = version
	ts.Signed.Meta = map[string]*metadata.MetaFiles{"snapshot.json": metaFile(sn, sb)}
	if ts.Signatures, err = signOnline(root, Timestamp, ts.Signed, keys); err != nil {
		return 0, fmt.Errorf("timestamp: %w", err)
	}
	if _, err := write(r.path(MetadataDir, "timestamp.json"), ts); err != nil {
		return 0, fmt.Errorf("timestamp: %w", err)
	}
	return version, nil
}

// Publish promotes what is staged (Promote), then writes a new snapshot
// and timestamp signed with the online keys. Files appear in the order a
// box reads them backwards (root, targets, snapshot, timestamp last), so
// a box that reads while Publish runs sees the old or the new set, never
// a timestamp naming files not yet there.
func (r Repo) Publish(snapshotKeys, timestampKeys []ed25519.PrivateKey, exp Expiry, now time.Time) (Published, error) {
	if err := r.Promote(); err != nil {
		return Published{}, fmt.Errorf("publish: %w", err)
	}
	var p Published
	var err error
	if p.Snapshot, err = r.WriteSnapshot(snapshotKeys, exp, now); err != nil {
		return p, fmt.Errorf("publish: %w", err)
	}
	if p.Timestamp, err = r.WriteTimestamp(timestampKeys, exp, now); err != nil {
		return p, fmt.Errorf("publish: %w", err)
	}
	p.Root, _ = r.latest(Root)
	p.Targets, _ = r.latest(Targets)
	return p, nil
}

// TargetPaths lists the targets of the newest published targets metadata,
// sorted.
func (r Repo) TargetPaths() ([]string, error) {
	t, err := r.publishedTargets()
	if err != nil || t == nil {
		return nil, err
	}
	out := make([]string, 0, len(t.Signed.Targets))
	for p := range t.Signed.Targets {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

func customJSON(c tuf.Custom) (*json.RawMessage, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	raw := json.RawMessage(b)
	return &raw, nil
}
