package releases_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/releases"
	"picket.dev/picket/src/testkit/fakeclock"
	"picket.dev/picket/src/testkit/tufrepo"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func hexsum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// TestLoadCatalog: the releases of the timestamp's snapshot's targets,
// per channel, newest first in Debian order (1.10.0 after 1.9.0, an
// ~rc before its release), with their length and hash; the software's
// other files are noted; targets whose custom metadata disagrees with
// their path are problems, not releases.
func TestLoadCatalog(t *testing.T) {
	dir := t.TempDir()
	repo := tufrepo.New(dir)
	img := []byte("image 1.10.0")
	bad := tufrepo.Software("virtual", "9.9.9", []byte("x"))
	bad.Custom["version"] = "1.0.0"
	noCustom := tufrepo.Software("rpi4", "2.0.0", []byte("y"))
	noCustom.Custom = nil
	err := repo.Publish(
		tufrepo.Software("virtual", "1.9.0", []byte("image 1.9.0")),
		tufrepo.Software("virtual", "1.10.0", img),
		tufrepo.Software("virtual", "1.10.0~rc1", []byte("rc")),
		tufrepo.Target{Path: "software/virtual/1.10.0/rootfs.manifest", Data: []byte("manifest")},
		tufrepo.Target{Path: "software/virtual/1.10.0/sbom.spdx.json", Data: []byte("{}")},
		tufrepo.Software("armv7", "1.9.0", []byte("arm")),
		tufrepo.Signatures("2026.12.01", []byte("sigs")),
		tufrepo.Signatures("2026.11.27", []byte("old sigs")),
		tufrepo.Target{Path: "README", Data: []byte("not a release")},
		bad, noCustom,
	)
	if err != nil {
		t.Fatal(err)
	}
	c, err := releases.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	versions := func(ch string) []string {
		var v []string
		for _, r := range c.Channels[ch] {
			v = append(v, r.Version)
		}
		return v
	}
	if got := strings.Join(versions("software/virtual"), " "); got != "1.10.0 1.10.0~rc1 1.9.0" {
		t.Errorf("software/virtual: %s", got)
	}
	if got := strings.Join(versions("signatures"), " "); got != "2026.12.01 2026.11.27" {
		t.Errorf("signatures: %s", got)
	}
	if got := strings.Join(c.ChannelNames(), " "); got != "signatures software/armv7 software/virtual" {
		t.Errorf("channels: %s", got)
	}
	r, ok := c.Latest("software/virtual")
	want := releases.Release{Kind: platformapi.UpdateSoftware, Board: "virtual", Version: "1.10.0", Target: "software/virtual/1.10.0/rootfs.img",
		Length: int64(len(img)), SHA256: hexsum(img), Manifest: true, SBOM: true}
	if !ok || r != want {
		t.Errorf("latest virtual software:\n got %+v\nwant %+v", r, want)
	}
	if c.TargetsVersion != 1 || !c.Expires.Equal(repo.Expires) {
		t.Errorf("targets version %d, expires %s", c.TargetsVersion, c.Expires)
	}
	if len(c.Problems) != 2 || !strings.Contains(c.Problems[0], "software/rpi4/2.0.0/rootfs.img: no custom metadata") ||
		!strings.Contains(c.Problems[1], `software/virtual/9.9.9/rootfs.img: custom version "1.0.0", the path says "9.9.9"`) {
		t.Errorf("problems: %q", c.Problems)
	}
}

// TestLoadBrokenChain: a snapshot or targets file that is not what its
// parent says (length, hash, version, type) is an error naming the file,
// and so is an empty repository.
func TestLoadBrokenChain(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(t *testing.T, meta string)
		want string
	}{
		"targets edited after publishing": {func(t *testing.T, meta string) {
			p := filepath.Join(meta, "1.targets.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte("2026.12.01"), []byte("2026.12.02"), -1), 0o644)
		}, "1.targets.json: sha256"},
		"snapshot missing": {func(t *testing.T, meta string) { os.Remove(filepath.Join(meta, "1.snapshot.json")) }, "snapshot version 1"},
		"wrong type": {func(t *testing.T, meta string) {
			p := filepath.Join(meta, "timestamp.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"timestamp"`), []byte(`"targets"`), 1), 0o644)
		}, `timestamp.json: _type "targets", want "timestamp"`},
		"huge timestamp": {func(t *testing.T, meta string) {
			os.WriteFile(filepath.Join(meta, "timestamp.json"), bytes.Repeat([]byte(" "), releases.MaxTimestamp+1), 0o644)
		}, "larger than 16384 bytes"},
		"nothing published": {func(t *testing.T, meta string) {
			os.RemoveAll(meta)
			os.Mkdir(meta, 0o755)
		}, "nothing is published"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tufrepo.New(dir).Publish(tufrepo.Signatures("2026.12.01", []byte("s"))); err != nil {
				t.Fatal(err)
			}
			tc.edit(t, filepath.Join(dir, "metadata"))
			_, err := releases.Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}

// TestLoadWithoutTimestamp: without timestamp.json the newest
// N.targets.json is read (2 before 10 by number, not by name).
func TestLoadWithoutTimestamp(t *testing.T) {
	dir := t.TempDir()
	meta := filepath.Join(dir, "metadata")
	os.MkdirAll(meta, 0o755)
	for _, n := range []string{"2", "10"} {
		b, _ := json.Marshal(map[string]any{"signed": map[string]any{"_type": "targets", "version": json.Number(n), "expires": "2099-01-01T00:00:00Z",
			"targets": map[string]any{"signatures/" + n + "/signatures.pkg": map[string]any{"length": 1, "hashes": map[string]string{"sha256": hexsum([]byte(n))},
				"custom": map[string]string{"kind": "signatures", "version": n}}}}})
		os.WriteFile(filepath.Join(meta, n+".targets.json"), b, 0o644)
	}
	c, err := releases.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := c.Latest("signatures"); !ok || r.Version != "10" || c.TargetsVersion != 10 {
		t.Fatalf("latest signatures %+v (targets version %d), want 10", r, c.TargetsVersion)
	}
}

// TestCatalogReloads: a new publication is seen at the next call; a
// broken one keeps the last good catalog, with the error.
func TestCatalogReloads(t *testing.T) {
	dir := t.TempDir()
	repo := tufrepo.New(dir)
	if err := repo.Publish(tufrepo.Signatures("1", []byte("a"))); err != nil {
		t.Fatal(err)
	}
	r := releases.New(dir, time.Now, discard())
	if c, err := r.Catalog(); err != nil || c.TargetsVersion != 1 {
		t.Fatalf("first catalog: version %d, %v", c.TargetsVersion, err)
	}
	if err := repo.Publish(tufrepo.Signatures("1", []byte("a")), tufrepo.Signatures("2", []byte("b"))); err != nil {
		t.Fatal(err)
	}
	c, err := r.Catalog()
	if l, _ := c.Latest("signatures"); err != nil || c.TargetsVersion != 2 || l.Version != "2" {
		t.Fatalf("after publishing 2: version %d latest %q, %v", c.TargetsVersion, l.Version, err)
	}
	os.Remove(filepath.Join(dir, "metadata", "2.snapshot.json"))
	os.WriteFile(filepath.Join(dir, "metadata", "timestamp.json"), []byte("{}"), 0o644)
	c, err = r.Catalog()
	if err == nil || c.TargetsVersion != 2 {
		t.Fatalf("broken repository: version %d, error %v; want the last good catalog (2) and an error", c.TargetsVersion, err)
	}
}

type served struct {
	srv   *httptest.Server
	dir   string
	clock *fakeclock.Clock
	repo  *releases.Repo
}

func serve(t *testing.T) *served {
	t.Helper()
	dir := t.TempDir()
	if err := tufrepo.New(dir).Publish(tufrepo.Software("virtual", "1.2.0", bytes.Repeat([]byte("0123456789"), 1000))); err != nil {
		t.Fatal(err)
	}
	c := fakeclock.New(t, time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC))
	r := releases.New(dir, c.Now, discard())
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	return &served{srv, dir, c, r}
}

// raw sends a raw request line (so that nothing on the client side cleans
// or re-encodes the path) and returns the status and body.
func (s *served) raw(t *testing.T, method, target string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	conn, err := net.Dial("tcp", s.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := method + " " + target + " HTTP/1.1\r\nHost: repo.test\r\nConnection: close\r\n"
	for _, h := range hdr {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func targetName(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "targets", "software", "virtual", "1.2.0", "*.rootfs.img"))
	if err != nil || len(m) != 1 {
		t.Fatalf("target file: %v %v", m, err)
	}
	return filepath.Base(m[0])
}

// TestServeFiles: metadata and targets are served with GET and HEAD,
// ranges work, metadata is not cached, hashed targets are immutable.
func TestServeFiles(t *testing.T) {
	s := serve(t)
	code, h, body := s.raw(t, "GET", platformapi.PathUpdateMetadata+"timestamp.json")
	want, _ := os.ReadFile(filepath.Join(s.dir, "metadata", "timestamp.json"))
	if code != 200 || body != string(want) || h.Get("Cache-Control") != "no-cache" || h.Get("Content-Type") != "application/json" {
		t.Errorf("timestamp.json: %d %q cache %q type %q", code, body, h.Get("Cache-Control"), h.Get("Content-Type"))
	}
	name := targetName(t, s.dir)
	target := platformapi.PathUpdateTargets + "software/virtual/1.2.0/" + name
	code, h, body = s.raw(t, "GET", target, "Range: bytes=9995-")
	if code != http.StatusPartialContent || body != "56789" || h.Get("Content-Range") != "bytes 9995-9999/10000" {
		t.Errorf("range: %d %q %q", code, body, h.Get("Content-Range"))
	}
	if cc := h.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("hashed target Cache-Control %q", cc)
	}
	code, h, body = s.raw(t, "HEAD", target)
	if code != 200 || body != "" || h.Get("Content-Length") != "10000" {
		t.Errorf("HEAD: %d %q length %q", code, body, h.Get("Content-Length"))
	}
	if code, h, _ := s.raw(t, "POST", target, "Content-Length: 0"); code != http.StatusMethodNotAllowed || h.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d allow %q", code, h.Get("Allow"))
	}
}

// TestServeRefusesEscapes: no file outside the directory, by "..",
// encoded slashes or dots, a symbolic link leading out, or a hidden file;
// no directory listing. Each is a 404 (405 for a method) and the secret
// never appears.
func TestServeRefusesEscapes(t *testing.T) {
	s := serve(t)
	secret := filepath.Join(filepath.Dir(s.dir), "secret.txt")
	os.WriteFile(secret, []byte("SECRET"), 0o644)
	t.Cleanup(func() { os.Remove(secret) })
	os.WriteFile(filepath.Join(s.dir, "secret-in-repo.txt"), []byte("SECRET"), 0o644)
	if err := os.Symlink(secret, filepath.Join(s.dir, "targets", "out.img")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../etc", filepath.Join(s.dir, "targets", "etc")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(s.dir, "targets", ".hidden"), []byte("SECRET"), 0o644)
	// A link that stays inside the directory is served.
	name := targetName(t, s.dir)
	if err := os.Symlink(filepath.Join("software", "virtual", "1.2.0", name), filepath.Join(s.dir, "targets", "inside.img")); err != nil {
		t.Fatal(err)
	}
	if code, _, body := s.raw(t, "GET", platformapi.PathUpdateTargets+"inside.img"); code != 200 || len(body) != 10000 {
		t.Errorf("link inside the directory: %d, %d bytes", code, len(body))
	}
	for _, p := range []string{
		platformapi.PathUpdateTargets + "../secret-in-repo.txt",
		platformapi.PathUpdateTargets + "..%2fsecret-in-repo.txt",
		platformapi.PathUpdateTargets + "software%2fvirtual%2f1.2.0%2f" + name,
		platformapi.PathUpdateTargets + "%2e%2e/secret-in-repo.txt",
		platformapi.PathUpdateTargets + "..\\secret-in-repo.txt",
		platformapi.PathUpdateMetadata + "../targets/software/virtual/1.2.0/" + name,
		platformapi.PathUpdateTargets + "out.img",
		platformapi.PathUpdateTargets + "etc/passwd",
		platformapi.PathUpdateTargets + ".hidden",
		platformapi.PathUpdateTargets,
		platformapi.PathUpdateTargets + "software/",
		platformapi.PathUpdateTargets + "software/virtual",
		platformapi.PathUpdateTargets + "software//virtual",
	} {
		code, _, body := s.raw(t, "GET", p)
		if strings.Contains(body, "SECRET") || strings.Contains(body, "root:") || code == 200 {
			t.Errorf("GET %s: %d %q; want refused", p, code, body)
		}
	}
	// The handler itself refuses "..", whatever cleaned the path before.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://repo.test/", nil)
	req.URL.Path = platformapi.PathUpdateTargets + "../secret-in-repo.txt"
	s.repo.Handler().ServeHTTP(rec, req)
	if rec.Code == 200 || strings.Contains(rec.Body.String(), "SECRET") {
		t.Errorf("handler with an uncleaned path: %d %q", rec.Code, rec.Body.String())
	}
}

// TestServeRateLimit: past its bucket a client address is answered 429
// with Retry-After, and served again once the bucket refilled.
func TestServeRateLimit(t *testing.T) {
	s := serve(t)
	s.repo.Burst, s.repo.Every = 3, time.Second
	p := platformapi.PathUpdateMetadata + "timestamp.json"
	for i := range 3 {
		if code, _, _ := s.raw(t, "GET", p); code != 200 {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	if code, h, _ := s.raw(t, "GET", p); code != http.StatusTooManyRequests || h.Get("Retry-After") != "1" {
		t.Fatalf("4th request: %d Retry-After %q; want 429, 1", code, h.Get("Retry-After"))
	}
	s.clock.Advance(time.Second)
	if code, _, _ := s.raw(t, "GET", p); code != 200 {
		t.Fatalf("after a second: %d", code)
	}
}
