package release

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/update/chunks"
	"picket.dev/picket/src/update/tuf"
)

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// Software names the files of one software release of one board.
type Software struct {
	// Board and Version must be the manifest's; both empty: taken from
	// the manifest.
	Board, Version string
	Image          string // rootfs.img: the squashfs slot image
	Manifest       string // its signed manifest (imgtool sign)
	Chunks         string // the chunk index for delta downloads (release chunks)
	SBOM           string // SPDX 2.3 JSON (release sbom)
}

// Manifest reads a signed manifest and verifies it with the targets
// (release) keys of the root in force: the board and version of a
// release, as the image build signed them.
func (r Repo) Manifest(path string) (manifest.Manifest, error) {
	keys, err := r.targetKeys()
	if err != nil {
		return manifest.Manifest{}, err
	}
	mb, err := readCapped(path, tuf.MaxManifest)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("manifest: %w", err)
	}
	m, err := manifest.Verify(mb, keys)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("manifest %s is not signed by a targets (release) key of the root in force: %w", path, err)
	}
	return m, nil
}

// targetKeys are the targets role's keys of the root in force: the
// release keys manifests and signature packages must be signed with.
func (r Repo) targetKeys() ([]ed25519.PublicKey, error) {
	root, err := r.rootInForce()
	if err != nil {
		return nil, err
	}
	var keys []ed25519.PublicKey
	for _, id := range root.Signed.Roles[Targets].KeyIDs {
		k, err := edKey(root.Signed.Keys[id])
		if err != nil {
			return nil, fmt.Errorf("targets key %s: %w", id, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// AddSoftware copies a software release's four files into targets/ and
// adds them to the staged targets metadata (staging a new targets version
// when none is). It checks that the manifest is signed by a targets
// (release) key and describes this image, board and version, that the
// board exists, that the SBOM is SPDX 2.3 JSON, and every size cap. The
// staged targets' signatures are dropped: its content changed.
func (r Repo) AddSoftware(sw Software, exp Expiry, now time.Time) ([]tuf.Info, error) {
	if sw.Board == "" && sw.Version == "" {
		m, err := r.Manifest(sw.Manifest)
		if err != nil {
			return nil, fmt.Errorf("add-software: %w", err)
		}
		sw.Board, sw.Version = m.Board, m.Version
	}
	if _, err := board.Lookup(sw.Board); err != nil {
		return nil, fmt.Errorf("add-software: %w", err)
	}
	keys, err := r.targetKeys()
	if err != nil {
		return nil, fmt.Errorf("add-software: %w", err)
	}
	mb, err := readCapped(sw.Manifest, tuf.MaxManifest)
	if err != nil {
		return nil, fmt.Errorf("add-software: manifest: %w", err)
	}
	m, err := manifest.Verify(mb, keys)
	if err != nil {
		return nil, fmt.Errorf("add-software: manifest %s is not signed by a targets (release) key of the root in force: %w", sw.Manifest, err)
	}
	if m.Board != sw.Board || m.Version != sw.Version {
		return nil, fmt.Errorf("add-software: manifest %s is for board %q version %q, not board %q version %q", sw.Manifest, m.Board, m.Version, sw.Board, sw.Version)
	}
	img, err := hashFile(sw.Image, tuf.MaxImage)
	if err != nil {
		return nil, fmt.Errorf("add-software: image: %w", err)
	}
	if img.length != m.Size || hex.EncodeToString(img.sum[:]) != m.SHA256 {
		return nil, fmt.Errorf("add-software: image %s (%d bytes, sha256 %x) is not the image of manifest %s (%d bytes, sha256 %s)", sw.Image, img.length, img.sum, sw.Manifest, m.Size, m.SHA256)
	}
	sb, err := readCapped(sw.SBOM, tuf.MaxSBOM)
	if err != nil {
		return nil, fmt.Errorf("add-software: sbom: %w", err)
	}
	if err := checkSPDX(sb); err != nil {
		return nil, fmt.Errorf("add-software: sbom %s: %w", sw.SBOM, err)
	}
	cb, err := readCapped(sw.Chunks, tuf.MaxChunks)
	if err != nil {
		return nil, fmt.Errorf("add-software: chunks: %w", err)
	}
	ix, err := chunks.Parse(cb)
	if err == nil {
		err = ix.Check(img.length, img.sum)
	}
	if err != nil {
		return nil, fmt.Errorf("add-software: chunk index %s: %w", sw.Chunks, err)
	}
	custom := tuf.Custom{Kind: platformapi.UpdateSoftware, Board: sw.Board, Version: sw.Version}
	return r.addTargets(custom, []fileTarget{
		{tuf.SoftwarePath(sw.Board, sw.Version, tuf.FileImage), sw.Image},
		{tuf.SoftwarePath(sw.Board, sw.Version, tuf.FileManifest), sw.Manifest},
		{tuf.SoftwarePath(sw.Board, sw.Version, tuf.FileChunks), sw.Chunks},
		{tuf.SoftwarePath(sw.Board, sw.Version, tuf.FileSBOM), sw.SBOM},
	}, exp, now)
}

// AddSignatures adds a signature package (sigpkg format, signed by a
// targets key) as "signatures/<version>/signatures.pkg", the version being
// the one its signed header states; it returns the target.
func (r Repo) AddSignatures(pkgPath string, exp Expiry, now time.Time) (tuf.Info, error) {
	keys, err := r.targetKeys()
	if err != nil {
		return tuf.Info{}, fmt.Errorf("add-signatures: %w", err)
	}
	b, err := readCapped(pkgPath, tuf.MaxSignatures)
	if err != nil {
		return tuf.Info{}, fmt.Errorf("add-signatures: %w", err)
	}
	p, err := sigpkg.VerifyBytes(b, keys)
	if err != nil {
		return tuf.Info{}, fmt.Errorf("add-signatures: %s is not a package signed by a targets (release) key of the root in force: %w", pkgPath, err)
	}
	v := p.Header.Version
	infos, err := r.addTargets(tuf.Custom{Kind: platformapi.UpdateSignatures, Version: v},
		[]fileTarget{{tuf.SignaturesPath(v), pkgPath}}, exp, now)
	if err != nil {
		return tuf.Info{}, err
	}
	return infos[0], nil
}

type fileTarget struct{ target, src string }

type hashed struct {
	length int64
	sum    [32]byte
}

func hashFile(p string, max int64) (hashed, error) {
	f, err := os.Open(p)
	if err != nil {
		return hashed{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, max+1))
	if err != nil {
		return hashed{}, fmt.Errorf("read %s: %w", p, err)
	}
	if n > max {
		return hashed{}, fmt.Errorf("%s: more than the %d byte cap of %s", p, max, filepath.Base(p))
	}
	if n == 0 {
		return hashed{}, fmt.Errorf("%s: empty", p)
	}
	var out hashed
	out.length = n
	copy(out.sum[:], h.Sum(nil))
	return out, nil
}

// copyTarget copies src to targets/<dir>/<sha256>.<name> (a temporary file
// synced and renamed, so a served name only ever has its full bytes) and
// returns its length and hash, computed over the bytes copied.
func (r Repo) copyTarget(target, src string) (hashed, error) {
	max := tuf.MaxLength(target)
	in, err := os.Open(src)
	if err != nil {
		return hashed{}, err
	}
	defer in.Close()
	dir := r.path(TargetsDir, filepath.FromSlash(path.Dir(target)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return hashed{}, err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return hashed{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(in, max+1))
	if err != nil {
		return hashed{}, fmt.Errorf("copy %s: %w", src, err)
	}
	if n > max {
		return hashed{}, fmt.Errorf("%s: more than the %d byte cap of %s", src, max, path.Base(target))
	}
	if n == 0 {
		return hashed{}, fmt.Errorf("%s: empty", src)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return hashed{}, err
	}
	if err := tmp.Sync(); err != nil {
		return hashed{}, err
	}
	if err := tmp.Close(); err != nil {
		return hashed{}, err
	}
	var out hashed
	out.length = n
	copy(out.sum[:], h.Sum(nil))
	name := filepath.Join(dir, hex.EncodeToString(out.sum[:])+"."+path.Base(target))
	if err := os.Rename(tmp.Name(), name); err != nil {
		return hashed{}, err
	}
	return out, nil
}

func (r Repo) addTargets(custom tuf.Custom, files []fileTarget, exp Expiry, now time.Time) ([]tuf.Info, error) {
	t, err := r.stageTargets(exp, now)
	if err != nil {
		return nil, fmt.Errorf("add %s %s: %w", custom.Kind, custom.Version, err)
	}
	if t.Signed.Targets == nil {
		t.Signed.Targets = map[string]*metadata.TargetFiles{}
	}
	cj, err := customJSON(custom)
	if err != nil {
		return nil, err
	}
	var infos []tuf.Info
	for _, f := range files {
		h, err := r.copyTarget(f.target, f.src)
		if err != nil {
			return nil, fmt.Errorf("add %s: %w", f.target, err)
		}
		info := tuf.Info{Path: f.target, Length: h.length, SHA256: h.sum, Custom: custom}
		if err := info.Check(); err != nil {
			return nil, fmt.Errorf("add %s: %w", f.target, err)
		}
		if old, ok := t.Signed.Targets[f.target]; ok {
			if old.Length != h.length || !bytes.Equal(old.Hashes["sha256"], h.sum[:]) {
				return nil, fmt.Errorf("add %s: already released with other bytes (sha256 %x): a release is never replaced, give it a new version", f.target, []byte(old.Hashes["sha256"]))
			}
		}
		tf := metadata.TargetFile()
		tf.Path = f.target
		tf.Length = h.length
		tf.Hashes = metadata.Hashes{"sha256": h.sum[:]}
		tf.Custom = cj
		t.Signed.Targets[f.target] = tf
		infos = append(infos, info)
	}
	t.Signatures = nil
	t.Signed.Expires = now.Add(exp.withDefaults().Targets).UTC().Truncate(time.Second)
	if _, err := write(r.staged(Targets), t); err != nil {
		return nil, err
	}
	return infos, nil
}

func checkSPDX(b []byte) error {
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []json.RawMessage
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if doc.SPDXVersion != "SPDX-2.3" {
		return fmt.Errorf("spdxVersion %q, want SPDX-2.3", doc.SPDXVersion)
	}
	if len(doc.Packages) == 0 {
		return errors.New("no packages")
	}
	return nil
}
