package tuf_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/update/chunks"
	"picket.dev/picket/src/update/release"
	"picket.dev/picket/src/update/tuf"
)

// bench is a repository built at test time with the release package,
// served read-only by an httptest server on loopback the way platformd
// serves it, with per-path overrides for an attacker (or a broken
// network) between the box and the platform.
type bench struct {
	t    *testing.T
	now  time.Time
	repo release.Repo
	keys map[string][]ed25519.PrivateKey // role -> keys in force
	srv  *httptest.Server

	mu       sync.Mutex
	override map[string]http.HandlerFunc // URL path -> handler
}

func genKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubs(ks []ed25519.PrivateKey) []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for _, k := range ks {
		out = append(out, k.Public().(ed25519.PublicKey))
	}
	return out
}

// newBench publishes root 1 (root 2-of-3, targets threshold as given of
// nTargets keys, one snapshot and one timestamp key) and an empty targets.
func newBench(t *testing.T, nTargets, targetsThreshold int) *bench {
	t.Helper()
	b := &bench{
		t:        t,
		now:      time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		repo:     release.Repo{Dir: t.TempDir()},
		keys:     map[string][]ed25519.PrivateKey{},
		override: map[string]http.HandlerFunc{},
	}
	b.keys[release.Root] = []ed25519.PrivateKey{genKey(t), genKey(t), genKey(t)}
	for i := 0; i < nTargets; i++ {
		b.keys[release.Targets] = append(b.keys[release.Targets], genKey(t))
	}
	b.keys[release.Snapshot] = []ed25519.PrivateKey{genKey(t)}
	b.keys[release.Timestamp] = []ed25519.PrivateKey{genKey(t)}
	err := b.repo.Init(release.Keys{
		Root:      release.RoleKeys{Keys: pubs(b.keys[release.Root]), Threshold: 2},
		Targets:   release.RoleKeys{Keys: pubs(b.keys[release.Targets]), Threshold: targetsThreshold},
		Snapshot:  release.RoleKeys{Keys: pubs(b.keys[release.Snapshot]), Threshold: 1},
		Timestamp: release.RoleKeys{Keys: pubs(b.keys[release.Timestamp]), Threshold: 1},
	}, release.Expiry{}, b.now)
	if err != nil {
		t.Fatal(err)
	}
	b.sign(release.Root, b.keys[release.Root][:2]...)
	b.sign(release.Targets, b.keys[release.Targets][:targetsThreshold]...)
	b.publish()

	mux := http.NewServeMux()
	files := func(prefix, dir string) http.Handler {
		return http.StripPrefix(prefix, http.FileServer(http.Dir(filepath.Join(b.repo.Dir, dir))))
	}
	meta, targets := files(platformapi.PathUpdateMetadata, release.MetadataDir), files(platformapi.PathUpdateTargets, release.TargetsDir)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		h := b.override[r.URL.Path]
		b.mu.Unlock()
		switch {
		case h != nil:
			h(w, r)
		case strings.HasPrefix(r.URL.Path, platformapi.PathUpdateMetadata):
			meta.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, platformapi.PathUpdateTargets):
			targets.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	return b
}

func (b *bench) sign(role string, keys ...ed25519.PrivateKey) {
	b.t.Helper()
	for _, k := range keys {
		if _, err := b.repo.Sign(role, k); err != nil {
			b.t.Fatal(err)
		}
	}
}

func (b *bench) publish() release.Published {
	b.t.Helper()
	p, err := b.repo.Publish(b.keys[release.Snapshot], b.keys[release.Timestamp], release.Expiry{}, b.now)
	if err != nil {
		b.t.Fatal(err)
	}
	return p
}

// addSoftware stages and publishes a software release for board virtual
// whose image is img, its manifest signed by the first targets key.
func (b *bench) addSoftware(version string, img []byte) {
	b.t.Helper()
	dir := b.t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.t.Fatal(err)
		}
		return p
	}
	m, err := manifest.Describe(bytes.NewReader(img), "virtual", version)
	if err != nil {
		b.t.Fatal(err)
	}
	sm, err := manifest.Sign(m, b.keys[release.Targets][0])
	if err != nil {
		b.t.Fatal(err)
	}
	enc, err := sm.Encode()
	if err != nil {
		b.t.Fatal(err)
	}
	_, err = b.repo.AddSoftware(release.Software{
		Board: "virtual", Version: version,
		Image:    write("rootfs.img", img),
		Manifest: write("rootfs.manifest", enc),
		Chunks:   write("rootfs.chunks", chunkIndex(b.t, img)),
		SBOM:     write("sbom.spdx.json", []byte(`{"spdxVersion":"SPDX-2.3","packages":[{"name":"x"}]}`)),
	}, release.Expiry{}, b.now)
	if err != nil {
		b.t.Fatal(err)
	}
	b.sign(release.Targets, b.keys[release.Targets]...)
	b.publish()
}

func (b *bench) root1() []byte {
	b.t.Helper()
	return b.file(release.MetadataDir, "1.root.json")
}

func (b *bench) file(parts ...string) []byte {
	b.t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{b.repo.Dir}, parts...)...))
	if err != nil {
		b.t.Fatal(err)
	}
	return data
}

// serve makes path answer with h (the attacker's or the broken network's
// answer) instead of the repository's file.
func (b *bench) serve(path string, h http.HandlerFunc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.override[path] = h
}

func (b *bench) serveBytes(path string, data []byte) {
	b.serve(path, func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	})
}

func (b *bench) metaPath(name string) string { return platformapi.PathUpdateMetadata + name }

// client is a box: the image's root 1, its own metadata cache.
func (b *bench) client(limits tuf.Limits) (*tuf.Client, string) {
	b.t.Helper()
	dir := b.t.TempDir()
	c, err := tuf.New(tuf.Config{
		Platform: b.srv.URL, TrustedRoot: b.root1(), MetadataDir: dir,
		HTTP: b.srv.Client(), Limits: limits,
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return c, dir
}

func (b *bench) refresh(c *tuf.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.Refresh(ctx, b.now.Add(time.Hour))
}

// forge re-signs metadata as an attacker holding keys would: it decodes
// data, lets change edit the signed part, and signs it with keys only.
func forge[T metadata.Roles](t *testing.T, data []byte, change func(*metadata.Metadata[T]), keys ...ed25519.PrivateKey) []byte {
	t.Helper()
	m, err := (&metadata.Metadata[T]{}).FromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(m)
	}
	m.Signatures = nil
	for _, k := range keys {
		s, err := signature.LoadED25519Signer(k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Sign(s); err != nil {
			t.Fatal(err)
		}
	}
	out, err := m.ToBytes(true)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func metaFileOf(version int64, data []byte) *metadata.MetaFiles {
	m := metadata.MetaFile(version)
	m.Length = int64(len(data))
	s := sha256Of(data)
	m.Hashes = metadata.Hashes{"sha256": s[:]}
	return m
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// chunkIndex is img's chunk index, as the release tool publishes it.
func chunkIndex(t testing.TB, img []byte) []byte {
	t.Helper()
	ix, err := chunks.Build(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	return ix.Marshal()
}
