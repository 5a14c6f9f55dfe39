package sigpkg

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/system/manifest"
)

// testKey is a release key from a fixed seed, so runs agree.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("sigpkg test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

var created = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

// source is a tiny database source: testCompile reads its first line.
func source(version string) []byte {
	return []byte("picket-signatures " + version + "\nsig ssh-old product=openssh version<9.3\n")
}

// testCompile is a real compile step of our own: it parses the version
// line and refuses anything else, as the signature compiler refuses a
// source that does not parse. Its compiled form is the version it read.
func testCompile(src []byte) (string, error) {
	line, _, _ := strings.Cut(string(src), "\n")
	v, ok := strings.CutPrefix(line, "picket-signatures ")
	if !ok || v == "" {
		return "", fmt.Errorf("line 1: want \"picket-signatures VERSION\", got %.40q", line)
	}
	return v, nil
}

func pack(t testing.TB, version string, priv ed25519.PrivateKey) []byte {
	t.Helper()
	b, err := Pack(version, created, source(version), priv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawPackage lays out a package by hand, following the layout in the
// package's documentation (not Pack): any header bytes, signed by priv,
// with the key id of idKey.
func rawPackage(header, payload []byte, priv ed25519.PrivateKey, idKey ed25519.PublicKey) []byte {
	var b bytes.Buffer
	b.WriteString("PICKETPK")
	binary.Write(&b, binary.BigEndian, uint32(len(header)))
	id := sha256.Sum256(idKey)
	b.Write(id[:8])
	b.Write(ed25519.Sign(priv, append([]byte("picket package v1\n"), header...)))
	b.Write(header)
	b.Write(payload)
	return b.Bytes()
}

func headerJSON(kind, version string, payload []byte, size int64, key ed25519.PublicKey) []byte {
	sum := sha256.Sum256(payload)
	id := sha256.Sum256(key)
	return fmt.Appendf(nil, `{"format":1,"kind":%q,"version":%q,"created":"2026-11-30T08:00:00Z","size":%d,"sha256":%q,"key_id":%q}`,
		kind, version, size, hex.EncodeToString(sum[:]), hex.EncodeToString(id[:8]))
}

func TestHandMadePackageVerifies(t *testing.T) {
	k := testKey("release")
	payload := source("2.2.245-2")
	b := rawPackage(headerJSON("signatures", "2.2.245-2", payload, int64(len(payload)), pub(k)), payload, k, pub(k))
	p, err := VerifyBytes(b, []ed25519.PublicKey{pub(testKey("other")), pub(k)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Header.Version != "2.2.245-2" || !p.Header.Created.Equal(created) || !bytes.Equal(p.Payload, payload) {
		t.Fatalf("verified %+v", p.Header)
	}
	if p.Header.KeyID != manifest.KeyID(pub(k)) {
		t.Errorf("key id %s, manifest.KeyID says %s", p.Header.KeyID, manifest.KeyID(pub(k)))
	}
	// Pack writes the same bytes as the documented layout.
	if got := pack(t, "2.2.245-2", k); !bytes.Equal(got, b) {
		t.Errorf("Pack differs from the documented layout:\n%q\n%q", got, b)
	}
}

// TestReleaseKeyFiles: a package signed with a key written by the
// manifest's key handling (imgtool keygen's files) verifies with its
// public half read the way the initramfs reads release.pub.
func TestReleaseKeyFiles(t *testing.T) {
	pubPEM, privPEM, err := manifest.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := manifest.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := manifest.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyBytes(pack(t, "1.0", priv), []ed25519.PublicKey{pk}); err != nil {
		t.Fatal(err)
	}
}

// TestManifestSignatureIsNotAHeaderSignature: the same key signs rootfs
// manifests; a manifest's signature over the same bytes must not verify as
// a package header's.
func TestManifestSignatureIsNotAHeaderSignature(t *testing.T) {
	k := testKey("release")
	payload := source("1.0")
	hdr := headerJSON("signatures", "1.0", payload, int64(len(payload)), pub(k))
	b := rawPackage(hdr, payload, k, pub(k))
	sigAt := 8 + 4 + 8
	copy(b[sigAt:], ed25519.Sign(k, append([]byte("picket rootfs manifest v1\n"), hdr...)))
	if _, err := VerifyBytes(b, []ed25519.PublicKey{pub(k)}); !errors.Is(err, ErrSignature) {
		t.Fatalf("manifest-context signature: err %v, want ErrSignature", err)
	}
}

type refusal struct {
	name string
	pkg  []byte
	err  error
	msg  string // a part of the message
}

func refusals(t *testing.T) []refusal {
	k, other := testKey("release"), testKey("attacker")
	good := pack(t, "2.0-1", k)
	hdrLen := int(binary.BigEndian.Uint32(good[8:12]))
	hdrAt, payAt := prefixLen, prefixLen+hdrLen
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x01
		return b
	}
	payload := source("2.0-1")
	big := headerJSON("signatures", "2.0-1", payload, MaxPayload+1, pub(k))
	hugeHeader := bytes.Clone(good)
	binary.BigEndian.PutUint32(hugeHeader[8:], MaxHeader+1)
	forgedID := rawPackage(headerJSON("signatures", "2.0-1", payload, int64(len(payload)), pub(k)), payload, other, pub(k))
	return []refusal{
		{"tampered header", flip(hdrAt + 20), ErrSignature, "altered header or signature"},
		{"tampered signature", flip(prefixLen - 1), ErrSignature, "altered header or signature"},
		{"tampered payload", flip(payAt + 3), ErrPayload, "altered payload"},
		{"truncated in the prefix", good[:30], ErrTruncated, "shorter than the"},
		{"truncated in the header", good[:hdrAt+10], ErrTruncated, "header is 10 of its"},
		{"truncated in the payload", good[:len(good)-5], ErrTruncated, fmt.Sprintf("payload is %d of its %d bytes", len(payload)-5, len(payload))},
		{"empty", nil, ErrTruncated, "0 bytes"},
		{"trailing data", append(bytes.Clone(good), 'x'), ErrPayload, "data after the"},
		{"wrong key", pack(t, "2.0-1", other), ErrUntrusted, "signed by key " + manifest.KeyID(pub(other))},
		{"trusted key id, other key's signature", forgedID, ErrSignature, "does not match the header"},
		{"wrong kind", rawPackage(headerJSON("software", "2.0-1", payload, int64(len(payload)), pub(k)), payload, k, pub(k)), ErrKind, `kind "software"`},
		{"oversize payload in the signed header", rawPackage(big, payload, k, pub(k)), ErrOversize, "at most 33554432 allowed"},
		{"oversize header length", hugeHeader, ErrOversize, "header of 4097 bytes"},
		{"oversize package", append(bytes.Clone(good), make([]byte, MaxPackage)...), ErrOversize, "at most"},
		{"not a package", []byte("picket-signatures 9.9\n" + strings.Repeat("x", 200)), ErrMalformed, `not "PICKETPK"`},
		{"bad version", rawPackage(headerJSON("signatures", "v2", payload, int64(len(payload)), pub(k)), payload, k, pub(k)), ErrMalformed, "want a digit"},
		{"header not canonical", rawPackage(append(headerJSON("signatures", "2.0-1", payload, int64(len(payload)), pub(k)), ' '), payload, k, pub(k)), ErrMalformed, "canonical"},
		{"older version", pack(t, "1.9-9", k), ErrOlder, "version 1.9-9 is older than 2.0 in force"},
		{"same version, other content", mustPack(t, "2.0", append(source("2.0"), '#'), k), ErrSameVersion, "already in force"},
		{"does not compile", mustPack(t, "3.0", []byte("garbage\n"), k), ErrCompile, "line 1"},
	}
}

func mustPack(t *testing.T, version string, payload []byte, k ed25519.PrivateKey) []byte {
	b, err := Pack(version, created, payload, k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newStore(t testing.TB, data atomicfile.FS, image string) *Store[string] {
	t.Helper()
	s, err := New(Config[string]{Trusted: []ed25519.PublicKey{pub(testKey("release"))}, Compile: testCompile, Data: data, Dir: "signatures", Image: image})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestInstallRefusals: every refusal names its reason, and the database
// in force (2.0) stays in force and on disk, byte for byte.
func TestInstallRefusals(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, atomicfile.Dir(dir), "")
	inForce := pack(t, "2.0", testKey("release"))
	if _, err := s.Install(inForce); err != nil {
		t.Fatal(err)
	}
	for _, r := range refusals(t) {
		t.Run(r.name, func(t *testing.T) {
			_, err := s.Install(r.pkg)
			if !errors.Is(err, r.err) {
				t.Fatalf("err %v, want %v", err, r.err)
			}
			if !strings.Contains(err.Error(), r.msg) {
				t.Errorf("err %q does not say %q", err, r.msg)
			}
			if db := s.Current(); db == nil || db.Header.Version != "2.0" || db.Compiled != "2.0" {
				t.Fatalf("in force after the refusal: %+v", db)
			}
			b, err := os.ReadFile(filepath.Join(dir, "signatures", CurrentFile))
			if err != nil || !bytes.Equal(b, inForce) {
				t.Fatalf("current.pkg changed by a refused install (%v)", err)
			}
		})
	}
}

func TestInstallNewerKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, atomicfile.Dir(dir), "")
	if s.Current() != nil || s.Version() != "" {
		t.Fatal("a new store has a database in force")
	}
	k := testKey("release")
	for _, v := range []string{"2.2.245-2", "2.2.245-10", "2.2.246~rc1-1", "2.2.246-1"} {
		h, err := s.Install(pack(t, v, k))
		if err != nil {
			t.Fatalf("install %s: %v", v, err)
		}
		if h.Version != v || s.Version() != v || s.Current().Compiled != v || s.Current().Source != SourceData {
			t.Fatalf("after install %s: %+v", v, s.Current())
		}
	}
	// The same package again is no change and no error.
	if h, err := s.Install(pack(t, "2.2.246-1", k)); err != nil || h.Version != "2.2.246-1" {
		t.Fatalf("reinstall: %+v, %v", h, err)
	}
	prev, err := VerifyBytes(must(os.ReadFile(filepath.Join(dir, "signatures", PreviousFile))), []ed25519.PublicKey{pub(k)})
	if err != nil || prev.Header.Version != "2.2.246~rc1-1" {
		t.Fatalf("previous.pkg: %+v, %v", prev.Header, err)
	}
	// A restart loads what was installed.
	s2 := newStore(t, atomicfile.Dir(dir), "")
	if err := s2.Load(); err != nil || s2.Version() != "2.2.246-1" {
		t.Fatalf("load after restart: %q, %v", s2.Version(), err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestLoadChooses: the newest package that verifies and compiles wins
// among the data partition's two and the image's default.
func TestLoadChooses(t *testing.T) {
	k := testKey("release")
	bad := flipLast(pack(t, "9.0", k))
	noCompile := mustPack(t, "8.0", []byte("nonsense"), k)
	tests := []struct {
		name                    string
		current, previous, img  []byte
		wantVersion, wantSource string
		wantErr                 bool
	}{
		{name: "nothing", wantErr: true},
		{name: "image only", img: pack(t, "1.0", k), wantVersion: "1.0", wantSource: SourceImage},
		{name: "data newer than the image", current: pack(t, "1.2", k), img: pack(t, "1.0", k), wantVersion: "1.2", wantSource: SourceData},
		{name: "image newer than the data", current: pack(t, "1.2", k), img: pack(t, "1.10", k), wantVersion: "1.10", wantSource: SourceImage},
		{name: "only a bad one on the data partition", current: bad, img: pack(t, "1.0", k), wantVersion: "1.0", wantSource: SourceImage},
		{name: "current bad, previous good", current: bad, previous: pack(t, "1.5", k), img: pack(t, "1.0", k), wantVersion: "1.5", wantSource: SourceData},
		{name: "newest does not compile", current: noCompile, previous: pack(t, "1.5", k), wantVersion: "1.5", wantSource: SourceData},
		{name: "everything bad", current: bad, img: pack(t, "1.0", testKey("attacker")), wantErr: true},
		{name: "truncated current", current: pack(t, "1.3", k)[:100], previous: pack(t, "1.2", k), wantVersion: "1.2", wantSource: SourceData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			img := ""
			if tc.img != nil {
				img = filepath.Join(dir, "image.pkg")
				os.WriteFile(img, tc.img, 0o644)
			}
			os.MkdirAll(filepath.Join(dir, "data", "signatures"), 0o755)
			for name, b := range map[string][]byte{CurrentFile: tc.current, PreviousFile: tc.previous} {
				if b != nil {
					os.WriteFile(filepath.Join(dir, "data", "signatures", name), b, 0o644)
				}
			}
			s := newStore(t, atomicfile.Dir(filepath.Join(dir, "data")), img)
			err := s.Load()
			if tc.wantErr {
				if err == nil || s.Current() != nil {
					t.Fatalf("Load: %v, in force %+v; want an error and none", err, s.Current())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if db := s.Current(); db.Header.Version != tc.wantVersion || db.Source != tc.wantSource || db.Compiled != tc.wantVersion {
				t.Fatalf("in force %s from %s (compiled %q), want %s from %s", db.Header.Version, db.Source, db.Compiled, tc.wantVersion, tc.wantSource)
			}
		})
	}
}

func flipLast(b []byte) []byte {
	b = bytes.Clone(b)
	b[len(b)-1] ^= 0xff
	return b
}

func TestAgeAndMaxAge(t *testing.T) {
	if n := AgeDays(created, created.Add(9*24*time.Hour+time.Hour)); n != 9 {
		t.Errorf("age %d, want 9", n)
	}
	if n := AgeDays(created, created.Add(-time.Hour)); n != 0 {
		t.Errorf("age with the clock behind: %d, want 0", n)
	}
	s := newStore(t, atomicfile.Dir(t.TempDir()), "")
	if s.MaxAgeDays() != DefaultMaxAgeDays {
		t.Errorf("default max age %d", s.MaxAgeDays())
	}
	s.SetMaxAgeDays(30)
	if s.MaxAgeDays() != 30 {
		t.Errorf("max age %d after SetMaxAgeDays(30)", s.MaxAgeDays())
	}
	s.SetMaxAgeDays(0)
	if s.MaxAgeDays() != DefaultMaxAgeDays {
		t.Errorf("max age %d after SetMaxAgeDays(0), want the default", s.MaxAgeDays())
	}
}

func TestPackRefuses(t *testing.T) {
	k := testKey("release")
	for _, v := range []string{"", "v1", "1 0", strings.Repeat("1", 65), "1:2.0"} {
		if _, err := Pack(v, created, nil, k); err == nil {
			t.Errorf("Pack(%q) accepted", v)
		}
	}
	if _, err := Pack("1.0", created, make([]byte, MaxPayload+1), k); !errors.Is(err, ErrOversize) {
		t.Errorf("oversize payload: %v", err)
	}
}

// TestVersionMismatch: with VersionOf set (as scannerd sets it), a package
// signed as one version whose database states another is refused on
// install and on load, so a box never reports a version other than the
// one of the checks it runs.
func TestVersionMismatch(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config[string]{Trusted: []ed25519.PublicKey{pub(testKey("release"))}, Compile: testCompile,
		VersionOf: func(v string) string { return v }, Data: atomicfile.Dir(dir), Dir: "signatures"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Install(pack(t, "2.0-1", testKey("release"))); err != nil {
		t.Fatal(err)
	}
	lying, err := Pack("2.1-1", created, source("2.0-9"), testKey("release"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Install(lying)
	if !errors.Is(err, ErrCompile) || !strings.Contains(err.Error(), `signed as version 2.1-1 but its database says "2.0-9"`) {
		t.Errorf("install of a package signed as 2.1-1 holding 2.0-9: %v", err)
	}
	if v := s.Version(); v != "2.0-1" {
		t.Errorf("in force after the refusal: %s, want 2.0-1", v)
	}
}
