package tuf_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"picket.dev/picket/src/testkit/updaterepo"
	"picket.dev/picket/src/update/release"
	"picket.dev/picket/src/update/tuf"
)

func sha256Of(b []byte) [32]byte { return sha256.Sum256(b) }

// attack is one row of the attack table: a TUF attack class (the TUF
// specification's "attacks and weaknesses" list), what the specification
// says a client must do, and the test that stages the attack against a
// repository built at test time. run returns the outcome it observed (the
// error the client gave) and fails the test when the client did not refuse.
type attack struct {
	name, want string
	run        func(t *testing.T) string
}

// TestAttackTable is the attack table: each TUF attack class against the
// box's client, one line per attack in the log (go test -v -run
// TestAttackTable ./src/update/tuf).
func TestAttackTable(t *testing.T) {
	var lines []string
	for _, a := range attacks() {
		t.Run(a.name, func(t *testing.T) {
			out := a.run(t)
			status := "REFUSED"
			if t.Failed() {
				status = "NOT REFUSED (test failed)"
			}
			lines = append(lines, fmt.Sprintf("| %s | %s | %s: %s |", a.name, a.want, status, out))
		})
	}
	t.Log("attack table:\n| attack | expected (TUF spec) | outcome |\n|---|---|---|\n" + strings.Join(lines, "\n"))
}

// expect checks err is one of wants and returns its text for the table.
func expect(t *testing.T, err error, wants ...error) string {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one of %v", wants)
	}
	for _, w := range wants {
		if errors.Is(err, w) {
			return err.Error()
		}
	}
	t.Fatalf("error %v, want one of %v", err, wants)
	return ""
}

var (
	errBadVersion = &metadata.ErrBadVersionNumber{}
	errExpired    = &metadata.ErrExpiredMetadata{}
	errUnsigned   = &metadata.ErrUnsignedMetadata{}
	errLengthHash = &metadata.ErrLengthOrHashMismatch{}
)

func img(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

func attacks() []attack {
	return []attack{
		{"arbitrary package: image bytes altered on the server", "target refused: its hash is not the signed one (spec 5.7.3)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			b.addSoftware("1.0.0", img(3<<20, 1))
			c, _ := b.client(tuf.Limits{})
			if err := b.refresh(c); err != nil {
				t.Fatal(err)
			}
			info, err := c.Target(tuf.SoftwarePath("virtual", "1.0.0", tuf.FileImage))
			if err != nil {
				t.Fatal(err)
			}
			evil := img(int(info.Length), 99)
			b.serveBytes(strings.TrimPrefix(c.TargetURL(info), b.Srv.URL), evil)
			h := sha256.New()
			n, err := c.Downloader().Fetch(context.Background(), c.TargetURL(info), 0, info.Length, h)
			if err != nil || n != info.Length {
				t.Fatalf("fetch: %d, %v", n, err)
			}
			if [32]byte(h.Sum(nil)) == info.SHA256 {
				t.Fatal("altered bytes hash to the signed SHA-256")
			}
			// The manifest target through ReadTarget, altered the same way.
			mi, err := c.Target(tuf.SoftwarePath("virtual", "1.0.0", tuf.FileManifest))
			if err != nil {
				t.Fatal(err)
			}
			evilManifest := b.file("targets", "software", "virtual", "1.0.0", mi.SHA256Hex()+".rootfs.manifest")
			evilManifest[len(evilManifest)/2] ^= 1
			b.serveBytes(strings.TrimPrefix(c.TargetURL(mi), b.Srv.URL), evilManifest)
			_, err = c.ReadTarget(context.Background(), mi)
			return "image: written bytes' SHA-256 differs from the signed one; manifest: " + expect(t, err, tuf.ErrHashMismatch)
		}},
		{"arbitrary package: targets metadata altered (hash of a target replaced)", "metadata refused: its hash is not the one snapshot names (5.6.2); re-signed it would fail the signature check (5.6.3)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			b.addSoftware("1.0.0", img(1<<20, 1))
			raw := b.file(release.MetadataDir, "2.targets.json")
			evil := forge(t, raw, func(m *metadata.Metadata[metadata.TargetsType]) {
				for _, tf := range m.Signed.Targets {
					s := sha256Of([]byte("evil"))
					tf.Hashes["sha256"] = s[:]
				}
			}, updaterepo.GenKey(t))
			// Keep the legit signatures: only the signed content changed.
			var legit, forged metadata.Metadata[metadata.TargetsType]
			if _, err := legit.FromBytes(raw); err != nil {
				t.Fatal(err)
			}
			if _, err := forged.FromBytes(evil); err != nil {
				t.Fatal(err)
			}
			forged.Signatures = legit.Signatures
			evil, _ = forged.ToBytes(true)
			b.serveBytes(b.metaPath("2.targets.json"), evil)
			c, _ := b.client(tuf.Limits{})
			return expect(t, b.refresh(c), errLengthHash, errUnsigned)
		}},
		{"rollback: older timestamp served after a newer one", "refused: version lower than the trusted one (5.4.3)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			old := b.file(release.MetadataDir, "timestamp.json")
			b.addSoftware("1.0.0", img(1<<20, 1))
			c, _ := b.client(tuf.Limits{})
			if err := b.refresh(c); err != nil {
				t.Fatal(err)
			}
			b.serveBytes(b.metaPath("timestamp.json"), old)
			err := b.refresh(c)
			if _, terr := c.Target(tuf.SoftwarePath("virtual", "1.0.0", tuf.FileImage)); !errors.Is(terr, tuf.ErrNotRefreshed) {
				t.Errorf("after a refused refresh, Target = %v, want ErrNotRefreshed", terr)
			}
			return expect(t, err, errBadVersion)
		}},
		{"rollback: timestamp (key compromised) names an older snapshot", "refused: snapshot version lower than trusted (5.4.3.2)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			b.addSoftware("1.0.0", img(1<<20, 1)) // snapshot 2
			b.addSoftware("1.0.1", img(1<<20, 2)) // snapshot 3
			c, _ := b.client(tuf.Limits{})
			if err := b.refresh(c); err != nil {
				t.Fatal(err)
			}
			snap1 := b.file(release.MetadataDir, "1.snapshot.json")
			ts := forge(t, b.file(release.MetadataDir, "timestamp.json"), func(m *metadata.Metadata[metadata.TimestampType]) {
				m.Signed.Version++
				m.Signed.Meta["snapshot.json"] = metaFileOf(1, snap1)
			}, b.Keys[release.Timestamp]...)
			b.serveBytes(b.metaPath("timestamp.json"), ts)
			return expect(t, b.refresh(c), errBadVersion)
		}},
		{"indefinite freeze: an expired timestamp served for ever", "refused: expired (5.4.4)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			c, _ := b.client(tuf.Limits{})
			if err := b.refresh(c); err != nil {
				t.Fatal(err)
			}
			// Two days on, the repository's day-long timestamp is what the
			// attacker keeps serving.
			err := c.Refresh(context.Background(), b.Now.Add(48*time.Hour))
			out := expect(t, err, errExpired)
			// A box with no trusted time does not check at all.
			out += "; zero time: " + expect(t, c.Refresh(context.Background(), time.Time{}), tuf.ErrNoTrustedTime)
			return out
		}},
		{"mix-and-match: older targets served under the version the snapshot names", "refused: length/hash/version differ from the snapshot's (5.6.2, 5.6.4)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			b.addSoftware("1.0.0", img(1<<20, 1))
			b.addSoftware("1.0.1", img(1<<20, 2))
			// targets 3 is what snapshot 3 names; serve targets 2 (validly
			// signed, older) in its place.
			b.serveBytes(b.metaPath("3.targets.json"), b.file(release.MetadataDir, "2.targets.json"))
			c, _ := b.client(tuf.Limits{})
			return expect(t, b.refresh(c), errLengthHash, errBadVersion, tuf.ErrTooLong)
		}},
		{"endless data: timestamp.json without end", "refused at the size cap", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			b.serve(b.metaPath("timestamp.json"), endless)
			c, _ := b.client(tuf.Limits{})
			return expect(t, b.refresh(c), tuf.ErrTooLong)
		}},
		{"endless data: a target longer than its signed length", "refused after the signed length (5.7.3)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			b.addSoftware("1.0.0", img(1<<20, 1))
			c, _ := b.client(tuf.Limits{})
			if err := b.refresh(c); err != nil {
				t.Fatal(err)
			}
			info, err := c.Target(tuf.SoftwarePath("virtual", "1.0.0", tuf.FileImage))
			if err != nil {
				t.Fatal(err)
			}
			b.serve(strings.TrimPrefix(c.TargetURL(info), b.Srv.URL), endless)
			var w countWriter
			n, err := c.Downloader().Fetch(context.Background(), c.TargetURL(info), 0, info.Length, &w)
			if n > info.Length || int64(w) > info.Length {
				t.Errorf("wrote %d (%d) bytes, more than the length %d", n, w, info.Length)
			}
			return expect(t, err, tuf.ErrTooLong)
		}},
		{"wrong key: timestamp signed by a key not in root", "refused: not signed by the role's keys (5.4.2)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			ts := forge(t, b.file(release.MetadataDir, "timestamp.json"), func(m *metadata.Metadata[metadata.TimestampType]) {
				m.Signed.Version++
			}, updaterepo.GenKey(t))
			b.serveBytes(b.metaPath("timestamp.json"), ts)
			c, _ := b.client(tuf.Limits{})
			return expect(t, b.refresh(c), errUnsigned)
		}},
		{"wrong key: targets signed by the snapshot key", "refused: not signed by the targets keys (5.6.3)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			b.addSoftware("1.0.0", img(1<<20, 1))
			tg := forge[metadata.TargetsType](t, b.file(release.MetadataDir, "2.targets.json"), nil, b.Keys[release.Snapshot]...)
			serveConsistent(t, b, 2, tg)
			c, _ := b.client(tuf.Limits{})
			return expect(t, b.refresh(c), errUnsigned)
		}},
		{"below threshold: targets 2-of-3 with one signature", "refused: threshold not met (5.6.3)", func(t *testing.T) string {
			b := newBench(t, 3, 2)
			b.addSoftware("1.0.0", img(1<<20, 1))
			// Snapshot and timestamp keys compromised: a new targets with
			// one targets signature, and snapshot/timestamp naming it.
			tg := forge(t, b.file(release.MetadataDir, "2.targets.json"), func(m *metadata.Metadata[metadata.TargetsType]) {
				m.Signed.Version = 3
			}, b.Keys[release.Targets][0])
			serveConsistent(t, b, 3, tg)
			c, _ := b.client(tuf.Limits{})
			return expect(t, b.refresh(c), errUnsigned)
		}},
		{"below threshold: root 2-of-3 rotated with one signature", "refused: new root needs the old and its own threshold (5.3.4, 5.3.5)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			r2 := forge(t, b.Root(), func(m *metadata.Metadata[metadata.RootType]) {
				m.Signed.Version = 2
			}, b.Keys[release.Root][0])
			b.serveBytes(b.metaPath("2.root.json"), r2)
			c, _ := b.client(tuf.Limits{})
			return expect(t, b.refresh(c), errUnsigned)
		}},
		{"fast-forward: timestamp version pushed to 1000, then the timestamp key rotated", "frozen until the rotation; after it the client recovers (5.3.11)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			c, _ := b.client(tuf.Limits{})
			ff := forge(t, b.file(release.MetadataDir, "timestamp.json"), func(m *metadata.Metadata[metadata.TimestampType]) {
				m.Signed.Version = 1000
			}, b.Keys[release.Timestamp]...)
			b.serveBytes(b.metaPath("timestamp.json"), ff)
			if err := b.refresh(c); err != nil {
				t.Fatal(err)
			}
			b.serve(b.metaPath("timestamp.json"), nil)
			b.addSoftware("1.0.0", img(1<<20, 1))
			frozen := expect(t, b.refresh(c), errBadVersion)
			// Recovery: a new timestamp key in root 2.
			nk := updaterepo.GenKey(t)
			if err := b.Repo.Repo.RotateRoot(release.Keys{Timestamp: release.RoleKeys{Keys: updaterepo.Pubs(nk), Threshold: 1}}, release.Expiry{}, b.Now); err != nil {
				t.Fatal(err)
			}
			b.Sign(release.Root, b.Keys[release.Root][:2]...)
			b.Keys[release.Timestamp] = []ed25519.PrivateKey{nk}
			b.Publish()
			if err := b.refresh(c); err != nil {
				t.Fatalf("after the rotation: %v", err)
			}
			if _, err := c.Target(tuf.SoftwarePath("virtual", "1.0.0", tuf.FileImage)); err != nil {
				t.Fatal(err)
			}
			return "before rotation: " + frozen + "; after: recovered, root " + strconv.FormatInt(c.State().Root, 10) + ", timestamp " + strconv.FormatInt(c.State().Timestamp, 10)
		}},
		{"fast-forward: targets version pushed to 1000, then targets and snapshot keys rotated", "frozen until the rotation; after it the client recovers (5.3.11)", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			c, _ := b.client(tuf.Limits{})
			tg := forge(t, b.file(release.MetadataDir, "1.targets.json"), func(m *metadata.Metadata[metadata.TargetsType]) {
				m.Signed.Version = 1000
			}, b.Keys[release.Targets]...)
			serveConsistent(t, b, 1000, tg)
			if err := b.refresh(c); err != nil {
				t.Fatal(err)
			}
			if c.State().Targets != 1000 {
				t.Fatalf("targets %d after the fast-forward", c.State().Targets)
			}
			for _, p := range []string{"timestamp.json", "2.snapshot.json", "1000.targets.json"} {
				b.serve(b.metaPath(p), nil)
			}
			// The repository goes on publishing (its timestamp overtakes the
			// forged one); its snapshot names targets 2 < 1000.
			b.addSoftware("1.0.0", img(1<<20, 1))
			b.Publish()
			frozen := expect(t, b.refresh(c), errBadVersion)
			nt, ns := updaterepo.GenKey(t), updaterepo.GenKey(t)
			if err := b.Repo.Repo.RotateRoot(release.Keys{
				Targets:  release.RoleKeys{Keys: updaterepo.Pubs(nt), Threshold: 1},
				Snapshot: release.RoleKeys{Keys: updaterepo.Pubs(ns), Threshold: 1},
			}, release.Expiry{}, b.Now); err != nil {
				t.Fatal(err)
			}
			b.Sign(release.Root, b.Keys[release.Root][:2]...)
			b.Sign(release.Targets, nt)
			b.Keys[release.Targets] = []ed25519.PrivateKey{nt}
			b.Keys[release.Snapshot] = []ed25519.PrivateKey{ns}
			b.Publish()
			if err := b.refresh(c); err != nil {
				t.Fatalf("after the rotation: %v", err)
			}
			if _, err := c.Target(tuf.SoftwarePath("virtual", "1.0.0", tuf.FileImage)); err != nil {
				t.Fatal(err)
			}
			return "before rotation: " + frozen + "; after: recovered, targets " + strconv.FormatInt(c.State().Targets, 10)
		}},
		{"slow retrieval: timestamp.json trickled one byte at a time", "refused within the bounded time, cache untouched", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			c, dir := b.client(tuf.Limits{Window: 200 * time.Millisecond, MinRate: 1000})
			if err := b.refresh(c); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(filepath.Join(dir, "timestamp.json"))
			b.serve(b.metaPath("timestamp.json"), trickle(b.file(release.MetadataDir, "timestamp.json"), 50*time.Millisecond))
			start := time.Now()
			err := b.refresh(c)
			took := time.Since(start)
			if took > 2*time.Second {
				t.Errorf("took %v, want about one 200 ms window", took)
			}
			after, _ := os.ReadFile(filepath.Join(dir, "timestamp.json"))
			if !bytes.Equal(before, after) {
				t.Error("the cached timestamp changed")
			}
			return fmt.Sprintf("%s (after %v)", expect(t, err, tuf.ErrStalled), took.Round(10*time.Millisecond))
		}},
		{"slow retrieval: an image trickled, and one that stops after the headers", "refused within the bounded time, nothing written to the slot", func(t *testing.T) string {
			b := newBench(t, 1, 1)
			b.addSoftware("1.0.0", img(2<<20, 1))
			lim := tuf.Limits{Window: 200 * time.Millisecond, MinRate: 64 << 10}
			c, _ := b.client(lim)
			if err := b.refresh(c); err != nil {
				t.Fatal(err)
			}
			info, err := c.Target(tuf.SoftwarePath("virtual", "1.0.0", tuf.FileImage))
			if err != nil {
				t.Fatal(err)
			}
			url := c.TargetURL(info)
			data := b.file("targets", "software", "virtual", "1.0.0", info.SHA256Hex()+".rootfs.img")
			var outs []string
			for _, h := range []http.HandlerFunc{trickle(data, 10*time.Millisecond), hang} {
				b.serve(strings.TrimPrefix(url, b.Srv.URL), h)
				var w countWriter
				start := time.Now()
				n, err := c.Downloader().Fetch(context.Background(), url, 0, info.Length, &w)
				took := time.Since(start)
				if n != 0 || w != 0 {
					t.Errorf("wrote %d (%d) bytes to the destination", n, w)
				}
				if took > 2*time.Second {
					t.Errorf("took %v", took)
				}
				outs = append(outs, fmt.Sprintf("%s (after %v, %d bytes written)", expect(t, err, tuf.ErrStalled), took.Round(10*time.Millisecond), w))
			}
			// A server fast enough for the rate but never done: the deadline.
			lim.MinRate, lim.FetchTimeout = 1000, 600*time.Millisecond
			d := &tuf.Downloader{HTTP: b.Srv.Client(), Limits: lim}
			b.serve(strings.TrimPrefix(url, b.Srv.URL), trickleChunks(data, 4096, 20*time.Millisecond))
			start := time.Now()
			_, err = d.Fetch(context.Background(), url, 0, info.Length, new(countWriter))
			outs = append(outs, fmt.Sprintf("%s (after %v)", expect(t, err, tuf.ErrDeadline), time.Since(start).Round(10*time.Millisecond)))
			return strings.Join(outs, "; ")
		}},
	}
}

// serveConsistent serves targets bytes tg as version n with a snapshot and
// timestamp forged with the (compromised) snapshot and timestamp keys that
// name it: an attacker who holds the online keys.
func serveConsistent(t *testing.T, b *bench, n int64, tg []byte) {
	t.Helper()
	b.serveBytes(b.metaPath(fmt.Sprintf("%d.targets.json", n)), tg)
	last := latestSnapshot(t, b)
	snap := forge(t, b.file(release.MetadataDir, fmt.Sprintf("%d.snapshot.json", last)), func(m *metadata.Metadata[metadata.SnapshotType]) {
		m.Signed.Version = last + 1
		m.Signed.Meta["targets.json"] = metaFileOf(n, tg)
	}, b.Keys[release.Snapshot]...)
	b.serveBytes(b.metaPath(fmt.Sprintf("%d.snapshot.json", last+1)), snap)
	ts := forge(t, b.file(release.MetadataDir, "timestamp.json"), func(m *metadata.Metadata[metadata.TimestampType]) {
		m.Signed.Version++
		m.Signed.Meta["snapshot.json"] = metaFileOf(last+1, snap)
	}, b.Keys[release.Timestamp]...)
	b.serveBytes(b.metaPath("timestamp.json"), ts)
}

func latestSnapshot(t *testing.T, b *bench) int64 {
	t.Helper()
	var ts metadata.Metadata[metadata.TimestampType]
	if _, err := ts.FromBytes(b.file(release.MetadataDir, "timestamp.json")); err != nil {
		t.Fatal(err)
	}
	return ts.Signed.Meta["snapshot.json"].Version
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// endless answers 200 with a body that never ends (no Content-Length).
func endless(w http.ResponseWriter, r *http.Request) {
	buf := bytes.Repeat([]byte("A"), 32<<10)
	for {
		if _, err := w.Write(buf); err != nil {
			return
		}
		if r.Context().Err() != nil {
			return
		}
	}
}

// hang sends the headers and then nothing.
func hang(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "1000000")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

// trickle sends data one byte per every.
func trickle(data []byte, every time.Duration) http.HandlerFunc {
	return trickleChunks(data, 1, every)
}

func trickleChunks(data []byte, size int, every time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		for i := 0; i < len(data); i += size {
			if _, err := w.Write(data[i:min(i+size, len(data))]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(every):
			}
		}
	}
}
