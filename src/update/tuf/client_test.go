package tuf_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"picket.dev/picket/src/testkit/updaterepo"
	"picket.dev/picket/src/update/release"
	"picket.dev/picket/src/update/tuf"
)

// TestRootRotationChain: root 1 → 2 → 3, each replacing every root key
// (so 3 shares no key with 1) and the online keys; a box whose image has
// root 1 walks the chain (spec 5.3: each new root signed by the previous
// root's threshold and its own), and a box that already followed to 2 goes
// on to 3.
func TestRootRotationChain(t *testing.T) {
	b := newBench(t, 1, 1)
	early, _ := b.client(tuf.Limits{})
	for v := 2; v <= 3; v++ {
		nr := []ed25519.PrivateKey{updaterepo.GenKey(t), updaterepo.GenKey(t), updaterepo.GenKey(t)}
		ns, nts := updaterepo.GenKey(t), updaterepo.GenKey(t)
		if err := b.Repo.Repo.RotateRoot(release.Keys{
			Root:      release.RoleKeys{Keys: updaterepo.Pubs(nr...), Threshold: 2},
			Snapshot:  release.RoleKeys{Keys: updaterepo.Pubs(ns), Threshold: 1},
			Timestamp: release.RoleKeys{Keys: updaterepo.Pubs(nts), Threshold: 1},
		}, release.Expiry{}, b.Now); err != nil {
			t.Fatal(err)
		}
		// Only the new keys: not enough (the old threshold is missing).
		b.Sign(release.Root, nr[:2]...)
		if _, err := b.Repo.Repo.Publish([]ed25519.PrivateKey{ns}, []ed25519.PrivateKey{nts}, release.Expiry{}, b.Now); err == nil {
			t.Fatalf("root %d published with the new keys' signatures only", v)
		}
		b.Sign(release.Root, b.Keys[release.Root][:2]...)
		b.Keys[release.Root] = nr
		b.Keys[release.Snapshot] = []ed25519.PrivateKey{ns}
		b.Keys[release.Timestamp] = []ed25519.PrivateKey{nts}
		b.Publish()
		if v == 2 {
			if err := b.refresh(early); err != nil {
				t.Fatal(err)
			}
			if got := early.State().Root; got != 2 {
				t.Fatalf("early box at root %d, want 2", got)
			}
		}
	}
	b.addSoftware("2.0.0", img(1<<20, 3))
	for name, c := range map[string]*tuf.Client{"box with root 1": first(b.client(tuf.Limits{})), "box at root 2": early} {
		if err := b.refresh(c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := c.State().Root; got != 3 {
			t.Errorf("%s: root %d, want 3", name, got)
		}
		if _, err := c.Target(tuf.SoftwarePath("virtual", "2.0.0", tuf.FileImage)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	t.Log("root rotation chain 1 → 2 → 3 (all root, snapshot and timestamp keys replaced each time): followed by a box with root 1 and by one at root 2")
}

func first[A, B any](a A, _ B) A { return a }

// TestSeedFromImage: the cache starts from the image's root; when the
// cache followed to a newer root it is kept over an older image root; an
// image that ships a newer root than the cache replaces it.
func TestSeedFromImage(t *testing.T) {
	b := newBench(t, 1, 1)
	c, dir := b.client(tuf.Limits{})
	if err := b.refresh(c); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "root.json")); !bytes.Equal(got, b.Root()) {
		t.Fatal("cache root.json is not the image's root")
	}
	// Rotate to root 2: the cache follows; a new client on the same cache
	// with the image's root 1 starts from 2 (no download of 2.root.json).
	if err := b.Repo.Repo.RotateRoot(release.Keys{}, release.Expiry{}, b.Now); err != nil {
		t.Fatal(err)
	}
	b.Sign(release.Root, b.Keys[release.Root][:2]...)
	b.Publish()
	if err := b.refresh(c); err != nil {
		t.Fatal(err)
	}
	root2 := b.file(release.MetadataDir, "2.root.json")
	b.serve(b.metaPath("2.root.json"), func(w http.ResponseWriter, r *http.Request) {
		t.Error("2.root.json fetched again: the cache's root was not used")
		http.NotFound(w, r)
	})
	c2, err := tuf.New(tuf.Config{Platform: b.Srv.URL, TrustedRoot: b.Root(), MetadataDir: dir, HTTP: b.Srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.refresh(c2); err != nil {
		t.Fatal(err)
	}
	if c2.State().Root != 2 {
		t.Errorf("root %d, want 2", c2.State().Root)
	}
	// An empty cache, an image with root 2: starts at 2 too.
	c3, err := tuf.New(tuf.Config{Platform: b.Srv.URL, TrustedRoot: root2, MetadataDir: t.TempDir(), HTTP: b.Srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.refresh(c3); err != nil || c3.State().Root != 2 {
		t.Errorf("image root 2, empty cache: %v, root %d", err, c3.State().Root)
	}
	// A cache whose root.json was tampered with (not self-signed) is not
	// trusted: the image's is.
	if err := os.WriteFile(filepath.Join(dir, "root.json"), forge[metadata.RootType](t, root2, nil, updaterepo.GenKey(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	b.serve(b.metaPath("2.root.json"), nil)
	if err := b.refresh(c2); err != nil || c2.State().Root != 2 {
		t.Errorf("tampered cache root: %v, root %d", err, c2.State().Root)
	}
}

// TestFetchRange: resume from an offset with HTTP Range; a server that
// answers a range with the whole file is told apart; blocks arrive whole.
func TestFetchRange(t *testing.T) {
	b := newBench(t, 1, 1)
	b.addSoftware("1.0.0", img(3<<20+12345, 5))
	c, _ := b.client(tuf.Limits{})
	if err := b.refresh(c); err != nil {
		t.Fatal(err)
	}
	info, err := c.Target(tuf.SoftwarePath("virtual", "1.0.0", tuf.FileImage))
	if err != nil {
		t.Fatal(err)
	}
	url := c.TargetURL(info)
	ctx := context.Background()
	var got bytes.Buffer
	n, err := c.Downloader().Fetch(ctx, url, 0, 1<<20+7, &got)
	if err != nil || n != 1<<20+7 {
		t.Fatalf("first part: %d, %v", n, err)
	}
	n, err = c.Downloader().Fetch(ctx, url, n, info.Length-n, &got)
	if err != nil {
		t.Fatalf("resume: %d, %v", n, err)
	}
	if sha256.Sum256(got.Bytes()) != info.SHA256 {
		t.Fatal("resumed download's hash is not the target's")
	}
	// A proxy that drops Range: a 200 for offset > 0 is refused.
	whole := got.Bytes()
	b.serve(strings.TrimPrefix(url, b.Srv.URL), func(w http.ResponseWriter, r *http.Request) {
		w.Write(whole)
	})
	if _, err := c.Downloader().Fetch(ctx, url, 10, 100, &bytes.Buffer{}); !errors.Is(err, tuf.ErrRangeIgnored) {
		t.Errorf("200 for a range from 10: %v, want ErrRangeIgnored", err)
	}
	// ... but accepted for the whole file from 0.
	var all bytes.Buffer
	if _, err := c.Downloader().Fetch(ctx, url, 0, info.Length, &all); err != nil || !bytes.Equal(all.Bytes(), whole) {
		t.Errorf("whole file by 200: %v", err)
	}
	// A 404 is go-tuf's HTTP error, with the status.
	b.serve(strings.TrimPrefix(url, b.Srv.URL), http.NotFound)
	var httpErr *metadata.ErrDownloadHTTP
	if _, err := c.Downloader().Fetch(ctx, url, 0, info.Length, &all); !errors.As(err, &httpErr) || httpErr.StatusCode != 404 {
		t.Errorf("404: %v", err)
	}
}

// TestInfoCheck: entries that do not fit the release layout are refused.
func TestInfoCheck(t *testing.T) {
	ok := tuf.Info{Path: "software/virtual/1.0/rootfs.img", Length: 10, Custom: tuf.Custom{Kind: "software", Board: "virtual", Version: "1.0"}}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	sig := tuf.Info{Path: "signatures/2.0/signatures.pkg", Length: 10, Custom: tuf.Custom{Kind: "signatures", Version: "2.0"}}
	if err := sig.Check(); err != nil {
		t.Fatal(err)
	}
	for name, i := range map[string]tuf.Info{
		"image over the slot size": {Path: ok.Path, Length: 512<<20 + 1, Custom: ok.Custom},
		"manifest over 4 KiB":      {Path: "software/virtual/1.0/rootfs.manifest", Length: 4097, Custom: ok.Custom},
		"unknown file":             {Path: "software/virtual/1.0/evil.sh", Length: 1, Custom: ok.Custom},
		"board differs":            {Path: ok.Path, Length: 1, Custom: tuf.Custom{Kind: "software", Board: "rpi4", Version: "1.0"}},
		"version differs":          {Path: ok.Path, Length: 1, Custom: tuf.Custom{Kind: "software", Board: "virtual", Version: "2.0"}},
		"signatures as software":   {Path: sig.Path, Length: 1, Custom: tuf.Custom{Kind: "software", Board: "virtual", Version: "2.0"}},
		"unknown kind":             {Path: ok.Path, Length: 1, Custom: tuf.Custom{Kind: "firmware", Board: "virtual", Version: "1.0"}},
		"negative length":          {Path: ok.Path, Length: -1, Custom: ok.Custom},
	} {
		if err := i.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestTornCache: a power cut while go-tuf rewrote its cache (it writes
// without fsync) leaves role files empty or cut short, and a temporary
// file behind. The next refresh drops what does not parse and fetches it
// again, where go-tuf alone failed on every refresh after ("unexpected end
// of JSON input", seen in tests/product's power cut).
func TestTornCache(t *testing.T) {
	b := newBench(t, 1, 1)
	c, dir := b.client(tuf.Limits{})
	if err := b.refresh(c); err != nil {
		t.Fatal(err)
	}
	want := c.State()
	for name, cut := range map[string]int{"timestamp.json": 0, "snapshot.json": 17, "targets.json": 1, "root.json": 40} {
		p := filepath.Join(dir, name)
		full, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "tuf_tmp123"), []byte(`{"sig`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.refresh(c); err != nil {
		t.Fatalf("refresh over a torn cache: %v", err)
	}
	if got := c.State(); got.Root != want.Root || got.Timestamp != want.Timestamp || got.Snapshot != want.Snapshot || got.Targets != want.Targets {
		t.Errorf("state %+v after the torn cache, want %+v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "tuf_tmp123")); !os.IsNotExist(err) {
		t.Errorf("the leftover temporary file is still there: %v", err)
	}
	for _, name := range []string{"root.json", "timestamp.json", "snapshot.json", "targets.json"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() < 100 {
			t.Errorf("%s not fetched again whole: %v", name, err)
		}
	}
}
