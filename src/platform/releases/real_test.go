package releases_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"picket.dev/picket/src/platform/releases"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/update/chunks"
	"picket.dev/picket/src/update/release"
)

// TestLoadReleaseToolRepository: a repository built and signed by the
// release tool's package (go-tuf's metadata writer, consistent
// snapshots, the release key as the targets role) reads as one software
// release of the virtual board with its manifest, chunk index and SBOM.
func TestLoadReleaseToolRepository(t *testing.T) {
	dir, src := t.TempDir(), t.TempDir()
	now := time.Now().UTC()
	key := func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	rootK, relK, snapK, tsK := key(), key(), key(), key()
	pub := func(k ed25519.PrivateKey) release.RoleKeys {
		return release.RoleKeys{Keys: []ed25519.PublicKey{k.Public().(ed25519.PublicKey)}, Threshold: 1}
	}
	r := release.Repo{Dir: dir}
	if err := r.Init(release.Keys{Root: pub(rootK), Targets: pub(relK), Snapshot: pub(snapK), Timestamp: pub(tsK)}, release.Expiry{}, now); err != nil {
		t.Fatal(err)
	}
	img := []byte("squashfs image of 1.2.0")
	sum := sha256.Sum256(img)
	sm, err := manifest.Sign(manifest.Manifest{Format: manifest.FormatVersion, Board: "virtual", Version: "1.2.0", Size: int64(len(img)), SHA256: hex.EncodeToString(sum[:])}, relK)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := sm.Encode()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"rootfs.img": img, "rootfs.manifest": mb, "rootfs.chunks": chunkIndex(t, img),
		"sbom.spdx.json": []byte(`{"spdxVersion":"SPDX-2.3","packages":[{"name":"picket"}]}`)}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(src, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.AddSoftware(release.Software{Board: "virtual", Version: "1.2.0", Image: filepath.Join(src, "rootfs.img"),
		Manifest: filepath.Join(src, "rootfs.manifest"), Chunks: filepath.Join(src, "rootfs.chunks"), SBOM: filepath.Join(src, "sbom.spdx.json")}, release.Expiry{}, now); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		role string
		k    ed25519.PrivateKey
	}{{release.Root, rootK}, {release.Targets, relK}} {
		if _, err := r.Sign(s.role, s.k); err != nil {
			t.Fatalf("sign %s: %v", s.role, err)
		}
	}
	if _, err := r.Publish([]ed25519.PrivateKey{snapK}, []ed25519.PrivateKey{tsK}, release.Expiry{}, now); err != nil {
		t.Fatal(err)
	}
	c, err := releases.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := c.Latest("software/virtual")
	want := releases.Release{Kind: "software", Board: "virtual", Version: "1.2.0", Target: "software/virtual/1.2.0/rootfs.img",
		Length: int64(len(img)), SHA256: hex.EncodeToString(sum[:]), Manifest: true, Chunks: true, SBOM: true}
	if !ok || got != want || len(c.Problems) != 0 || len(c.Channels) != 1 {
		t.Fatalf("catalog of the release tool's repository: %+v (problems %q)\nwant %+v", got, c.Problems, want)
	}
	// The expiry read is the earliest of the chain: the timestamp's day.
	if d := c.Expires.Sub(now); d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("expires %s, %s from now; want the timestamp's (a day)", c.Expires, d)
	}
	// The image is served under its consistent name.
	if _, err := os.Stat(filepath.Join(dir, "targets", "software", "virtual", "1.2.0", hex.EncodeToString(sum[:])+".rootfs.img")); err != nil {
		t.Errorf("consistent target file: %v", err)
	}
}

// chunkIndex is img's chunk index, as the release tool publishes it.
func chunkIndex(t *testing.T, img []byte) []byte {
	t.Helper()
	ix, err := chunks.Build(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	return ix.Marshal()
}
