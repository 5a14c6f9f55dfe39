package tuf_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/testkit/updaterepo"
	"picket.dev/picket/src/update/tuf"
)

// bench is a repository built at test time with the release package and
// served over TLS on loopback the way platformd serves it
// (testkit/updaterepo), with per-path overrides for an attacker (or a
// broken network) between the box and the platform.
type bench struct {
	*updaterepo.Repo
	t *testing.T

	mu       sync.Mutex
	override map[string]http.HandlerFunc // URL path -> handler
}

// newBench publishes root 1 (root 2-of-3, targets threshold as given of
// nTargets keys, one snapshot and one timestamp key) and an empty targets.
func newBench(t *testing.T, nTargets, targetsThreshold int) *bench {
	t.Helper()
	b := &bench{
		Repo: updaterepo.NewWith(t, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
			updaterepo.Options{TargetsKeys: nTargets, TargetsThreshold: targetsThreshold}),
		t:        t,
		override: map[string]http.HandlerFunc{},
	}
	b.SetHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		b.mu.Lock()
		h := b.override[r.URL.Path]
		b.mu.Unlock()
		if h == nil {
			h = next.ServeHTTP
		}
		h(w, r)
	})
	return b
}

// addSoftware publishes a software release for board virtual whose image
// is img, its manifest signed by the first targets key.
func (b *bench) addSoftware(version string, img []byte) {
	b.t.Helper()
	b.AddSoftware("virtual", version, img)
}

func (b *bench) file(parts ...string) []byte {
	b.t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{b.Repo.Repo.Dir}, parts...)...))
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
		Platform: b.URL(), TrustedRoot: b.Root(), MetadataDir: dir,
		HTTP: b.Srv.Client(), Limits: limits,
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return c, dir
}

func (b *bench) refresh(c *tuf.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.Refresh(ctx, b.Now.Add(time.Hour))
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
