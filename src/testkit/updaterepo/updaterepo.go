// Package updaterepo is a real update repository for the box's tests: built
// and signed with package release (throwaway ed25519 keys for the four TUF
// roles, the targets key being the release key that also signs the slot
// manifests and signature packages), served read-only over TLS on
// loopback at the platform's paths the way platformd serves it, with a
// hook between the box and the files for a broken network or an attacker,
// and a count of the bytes each request was sent. The updater's core tests
// and the updaterd SIGKILL suite share it, and tuf's attack bench builds
// on it (forging metadata as an attacker holding keys would stays in its
// tests); package tufrepo is the platform side's (unsigned shapes).
package updaterepo

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/update/chunks"
	"picket.dev/picket/src/update/release"
	"picket.dev/picket/src/update/tuf"
)

// Hook stands between the box and the repository: it sees every request
// and either answers it itself or passes it to next (the files).
type Hook func(w http.ResponseWriter, r *http.Request, next http.Handler)

// Repo is a signed repository served on loopback.
type Repo struct {
	t testing.TB
	// Now is the time the metadata was signed at (expiry counts from it).
	Now  time.Time
	Repo release.Repo
	// Keys are the roles' private keys; Keys[release.Targets][0] is the
	// release key (ReleaseKey).
	Keys map[string][]ed25519.PrivateKey
	Srv  *httptest.Server

	mu     sync.Mutex
	hook   Hook
	served map[string]int64 // URL path -> body bytes sent
}

// GenKey is a new ed25519 key.
func GenKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Pubs are the public halves of ks.
func Pubs(ks ...ed25519.PrivateKey) []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for _, k := range ks {
		out = append(out, k.Public().(ed25519.PublicKey))
	}
	return out
}

// New publishes root 1 (root 2 of 3 keys, one key each for targets,
// snapshot and timestamp) with no targets, signed at now, and serves it
// over TLS on 127.0.0.1 until the test ends.
func New(t testing.TB, now time.Time) *Repo { return NewWith(t, now, Options{}) }

// Options change the repository New publishes.
type Options struct {
	// TargetsKeys is how many keys the targets role has (0: one), of
	// which TargetsThreshold (0: one) must sign; the first
	// TargetsThreshold sign targets version 1, all of them later ones.
	TargetsKeys, TargetsThreshold int
}

// NewWith is New with the roles o describes.
func NewWith(t testing.TB, now time.Time, o Options) *Repo {
	t.Helper()
	o.TargetsKeys, o.TargetsThreshold = max(o.TargetsKeys, 1), max(o.TargetsThreshold, 1)
	r := &Repo{t: t, Now: now, Repo: release.Repo{Dir: t.TempDir()}, Keys: map[string][]ed25519.PrivateKey{}, served: map[string]int64{}}
	r.Keys[release.Root] = []ed25519.PrivateKey{GenKey(t), GenKey(t), GenKey(t)}
	for range o.TargetsKeys {
		r.Keys[release.Targets] = append(r.Keys[release.Targets], GenKey(t))
	}
	for _, role := range []string{release.Snapshot, release.Timestamp} {
		r.Keys[role] = []ed25519.PrivateKey{GenKey(t)}
	}
	err := r.Repo.Init(release.Keys{
		Root:      release.RoleKeys{Keys: Pubs(r.Keys[release.Root]...), Threshold: 2},
		Targets:   release.RoleKeys{Keys: Pubs(r.Keys[release.Targets]...), Threshold: o.TargetsThreshold},
		Snapshot:  release.RoleKeys{Keys: Pubs(r.Keys[release.Snapshot]...), Threshold: 1},
		Timestamp: release.RoleKeys{Keys: Pubs(r.Keys[release.Timestamp]...), Threshold: 1},
	}, release.Expiry{}, now)
	if err != nil {
		t.Fatal(err)
	}
	r.Sign(release.Root, r.Keys[release.Root][:2]...)
	r.Sign(release.Targets, r.Keys[release.Targets][:o.TargetsThreshold]...)
	r.Publish()

	files := func(prefix, dir string) http.Handler {
		return http.StripPrefix(prefix, http.FileServer(http.Dir(filepath.Join(r.Repo.Dir, dir))))
	}
	meta, targets := files(platformapi.PathUpdateMetadata, release.MetadataDir), files(platformapi.PathUpdateTargets, release.TargetsDir)
	next := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case strings.HasPrefix(req.URL.Path, platformapi.PathUpdateMetadata):
			meta.ServeHTTP(w, req)
		case strings.HasPrefix(req.URL.Path, platformapi.PathUpdateTargets):
			targets.ServeHTTP(w, req)
		default:
			http.NotFound(w, req)
		}
	})
	r.Srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		cw := &countingWriter{ResponseWriter: w, count: func(n int) {
			r.mu.Lock()
			r.served[req.URL.Path] += int64(n)
			r.mu.Unlock()
		}}
		r.mu.Lock()
		h := r.hook
		r.mu.Unlock()
		if h != nil {
			h(cw, req, next)
			return
		}
		next.ServeHTTP(cw, req)
	}))
	t.Cleanup(r.Srv.Close)
	return r
}

// countingWriter counts body bytes as they are written, so a count taken
// while a handler is held includes what it sent before.
type countingWriter struct {
	http.ResponseWriter
	count func(n int)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.count(n)
	return n, err
}

// Flush passes a handler's flush on (a trickling hook needs it).
func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Sign adds keys' signatures to the staged role (release.Repo.Sign).
func (r *Repo) Sign(role string, keys ...ed25519.PrivateKey) {
	r.t.Helper()
	for _, k := range keys {
		if _, err := r.Repo.Sign(role, k); err != nil {
			r.t.Fatal(err)
		}
	}
}

// Publish publishes what is staged with a new snapshot and timestamp
// signed by the keys in Keys, at Now.
func (r *Repo) Publish() release.Published {
	r.t.Helper()
	p, err := r.Repo.Publish(r.Keys[release.Snapshot], r.Keys[release.Timestamp], release.Expiry{}, r.Now)
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// ReleaseKey is the targets role's key, the release key.
func (r *Repo) ReleaseKey() ed25519.PrivateKey { return r.Keys[release.Targets][0] }

// ReleasePub is the release public key.
func (r *Repo) ReleasePub() ed25519.PublicKey {
	return r.ReleaseKey().Public().(ed25519.PublicKey)
}

// ReleasePubPEM is the release public key as a PEM file holds it (the
// box's /etc/picket/release.pub).
func (r *Repo) ReleasePubPEM() []byte {
	r.t.Helper()
	der, err := x509.MarshalPKIXPublicKey(r.ReleasePub())
	if err != nil {
		r.t.Fatal(err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	if _, err := manifest.ParsePublicKey(b); err != nil {
		r.t.Fatalf("release public key PEM does not parse as the box reads it: %v", err)
	}
	return b
}

// Root is root version 1, the trust anchor an image ships
// (/etc/picket/tuf/root.json).
func (r *Repo) Root() []byte {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.Repo.Dir, release.MetadataDir, "1.root.json"))
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// URL is the platform's base URL (https://127.0.0.1:port).
func (r *Repo) URL() string { return r.Srv.URL }

// CAPEM is the PEM of the server's certificate, the platform CA a box
// pins.
func (r *Repo) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.Srv.Certificate().Raw})
}

// CertPool holds only the server's certificate.
func (r *Repo) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(r.Srv.Certificate())
	return p
}

// SetHook puts h between the box and the files (nil: none).
func (r *Repo) SetHook(h Hook) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hook = h
}

// Served is how many body bytes were sent for URL paths containing part.
func (r *Repo) Served(part string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for p, b := range r.served {
		if strings.Contains(p, part) {
			n += b
		}
	}
	return n
}

// Release is one software release as published.
type Release struct {
	Board, Version string
	Image          []byte
	Manifest       []byte // signed, the slot-X.manifest bytes
	Chunks         []byte // chunk index
	SHA256         [32]byte
}

// Path is the TUF target path of one of the release's files.
func (s Release) Path(file string) string { return tuf.SoftwarePath(s.Board, s.Version, file) }

// URLPath is the URL path the repository serves file of the release at
// (consistent snapshots: the file's hash before its name).
func (s Release) URLPath(file string) string {
	var b []byte
	switch file {
	case tuf.FileImage:
		b = s.Image
	case tuf.FileManifest:
		b = s.Manifest
	case tuf.FileChunks:
		b = s.Chunks
	}
	sum := sha256.Sum256(b)
	return platformapi.PathUpdateTargets + tuf.SoftwarePath(s.Board, s.Version, "") + "/" + hex.EncodeToString(sum[:]) + "." + file
}

func (r *Repo) writeTemp(dir, name string, data []byte) string {
	r.t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		r.t.Fatal(err)
	}
	return p
}

// AddSoftware publishes img as board's version: its manifest signed with
// the release key, its chunk index, an SBOM; the targets re-signed and a
// new snapshot and timestamp published, as a release manager does.
func (r *Repo) AddSoftware(board, version string, img []byte) Release {
	r.t.Helper()
	m, err := manifest.Describe(bytes.NewReader(img), board, version)
	if err != nil {
		r.t.Fatal(err)
	}
	sm, err := manifest.Sign(m, r.ReleaseKey())
	if err != nil {
		r.t.Fatal(err)
	}
	enc, err := sm.Encode()
	if err != nil {
		r.t.Fatal(err)
	}
	ix, err := chunks.Build(bytes.NewReader(img))
	if err != nil {
		r.t.Fatal(err)
	}
	rel := Release{Board: board, Version: version, Image: img, Manifest: enc, Chunks: ix.Marshal(), SHA256: sha256.Sum256(img)}
	dir := r.t.TempDir()
	_, err = r.Repo.AddSoftware(release.Software{
		Board: board, Version: version,
		Image:    r.writeTemp(dir, tuf.FileImage, img),
		Manifest: r.writeTemp(dir, tuf.FileManifest, enc),
		Chunks:   r.writeTemp(dir, tuf.FileChunks, rel.Chunks),
		SBOM:     r.writeTemp(dir, tuf.FileSBOM, []byte(`{"spdxVersion":"SPDX-2.3","packages":[{"name":"picket-`+board+`"}]}`)),
	}, release.Expiry{}, r.Now)
	if err != nil {
		r.t.Fatal(err)
	}
	r.Sign(release.Targets, r.Keys[release.Targets]...)
	r.Publish()
	return rel
}

// AddSignatures packs payload as signature package version (signed with
// the release key, created at Now), publishes it and returns the package.
func (r *Repo) AddSignatures(version string, payload []byte) []byte {
	r.t.Helper()
	pkg, err := sigpkg.Pack(version, r.Now, payload, r.ReleaseKey())
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.Repo.AddSignatures(r.writeTemp(r.t.TempDir(), tuf.FileSignatures, pkg), release.Expiry{}, r.Now); err != nil {
		r.t.Fatal(err)
	}
	r.Sign(release.Targets, r.Keys[release.Targets]...)
	r.Publish()
	return pkg
}

// Image is n bytes of an image that does not compress or repeat (seeded:
// the same seed, the same bytes), a stand-in for a squashfs.
func Image(n int, seed uint64) []byte {
	b := make([]byte, n)
	x := seed*0x9e3779b97f4a7c15 + 1
	for i := 0; i+8 <= n; i += 8 {
		// xorshift64*
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		v := x * 0x2545f4914f6cdd1d
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// Change returns a copy of img with len(stretches) stretches of 64 KiB
// rewritten, at the given offsets: a release that changes a few files.
func Change(img []byte, tag string, offsets ...int) []byte {
	out := bytes.Clone(img)
	for _, off := range offsets {
		copy(out[off:min(off+64<<10, len(out))], bytes.Repeat([]byte(tag+" "), 64<<10/(len(tag)+1)+1))
	}
	return out
}
