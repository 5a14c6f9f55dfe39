package manifest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// testKey makes a throwaway key pair through the PEM round trip.
func testKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pubPEM, privPEM, err := GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Fatal("public key does not belong to the private key")
	}
	return pub, priv
}

func testImage() []byte {
	img := make([]byte, 100_003)
	for i := range img {
		img[i] = byte(i * 7)
	}
	return img
}

func TestSignVerify(t *testing.T) {
	pub, priv := testKey(t)
	otherPub, _ := testKey(t)
	img := testImage()
	m, err := Describe(bytes.NewReader(img), "virtual", "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Sign(m, priv)
	if err != nil {
		t.Fatal(err)
	}
	good, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// Identical input gives an identical file.
	s2, _ := Sign(m, priv)
	again, _ := s2.Encode()
	if !bytes.Equal(good, again) {
		t.Fatalf("signing twice gave different files:\n%s\n%s", good, again)
	}

	// reSign re-encodes the file after f changed it, keeping the signature.
	reSign := func(f func(*SignedManifest)) []byte {
		var c SignedManifest
		if err := json.Unmarshal(good, &c); err != nil {
			t.Fatal(err)
		}
		f(&c)
		b, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name    string
		signed  []byte
		trusted []ed25519.PublicKey
		wantErr error  // errors.Is target, if any
		errText string // substring of the error, "" for success
	}{
		{"good", good, []ed25519.PublicKey{pub}, nil, ""},
		{"good among several keys", good, []ed25519.PublicKey{otherPub, pub}, nil, ""},
		{"wrong key", good, []ed25519.PublicKey{otherPub}, ErrSignature, "not among the trusted keys"},
		{"no keys", good, nil, nil, "no trusted public keys"},
		{"tampered size", reSign(func(c *SignedManifest) {
			c.Manifest = bytes.Replace(c.Manifest, []byte(`"size":100003`), []byte(`"size":100004`), 1)
		}), []ed25519.PublicKey{pub}, ErrSignature, "does not match"},
		{"tampered version", reSign(func(c *SignedManifest) {
			c.Manifest = bytes.Replace(c.Manifest, []byte(`1.2.3`), []byte(`1.2.4`), 1)
		}), []ed25519.PublicKey{pub}, ErrSignature, "does not match"},
		{"tampered signature", reSign(func(c *SignedManifest) { c.Signature[5] ^= 1 }), []ed25519.PublicKey{pub}, ErrSignature, "does not match"},
		{"short signature", reSign(func(c *SignedManifest) { c.Signature = c.Signature[:10] }), []ed25519.PublicKey{pub}, ErrSignature, "does not match"},
		{"key id swapped", reSign(func(c *SignedManifest) { c.KeyID = KeyID(otherPub) }), []ed25519.PublicKey{pub, otherPub}, ErrSignature, "does not match"},
		{"unknown format", reSign(func(c *SignedManifest) { c.Format = 2 }), []ed25519.PublicKey{pub}, nil, "format 2"},
		{"not json", []byte("hello"), []ed25519.PublicKey{pub}, nil, "not a signed manifest"},
		{"unknown field", bytes.Replace(good, []byte(`"format"`), []byte(`"extra": 1, "format"`), 1), []ed25519.PublicKey{pub}, nil, "unknown field"},
		{"trailing data", append(append([]byte{}, good...), "{}"...), []ed25519.PublicKey{pub}, nil, "trailing data"},
		{"too large", bytes.Repeat([]byte(" "), MaxSignedSize+1), []ed25519.PublicKey{pub}, nil, "at most"},
		{"empty", nil, []ed25519.PublicKey{pub}, nil, "not a signed manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Verify(tc.signed, tc.trusted)
			if tc.errText == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got != m {
					t.Fatalf("Verify = %+v, want %+v", got, m)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errText) {
				t.Fatalf("Verify error = %v, want one containing %q", err, tc.errText)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify error = %v, want errors.Is %v", err, tc.wantErr)
			}
		})
	}
}

// A manifest signed by a release key but not in canonical form (a tool
// bug) is still refused after the signature checks.
func TestVerifyRefusesNonCanonical(t *testing.T) {
	pub, priv := testKey(t)
	for name, body := range map[string]string{
		"spaces":        `{"format": 1, "board":"virtual","version":"1","size":3,"sha256":"` + strings.Repeat("a", 64) + `"}`,
		"unknown field": `{"format":1,"board":"virtual","version":"1","size":3,"sha256":"` + strings.Repeat("a", 64) + `","x":1}`,
		"bad board":     `{"format":1,"board":"Virtual Box","version":"1","size":3,"sha256":"` + strings.Repeat("a", 64) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			s := SignedManifest{Format: 1, KeyID: KeyID(pub), Manifest: []byte(body)}
			s.Signature = ed25519.Sign(priv, message(s.Manifest))
			b, _ := s.Encode()
			if _, err := Verify(b, []ed25519.PublicKey{pub}); err == nil || !strings.Contains(err.Error(), "malformed") {
				t.Fatalf("Verify error = %v, want malformed", err)
			}
		})
	}
}

func TestVerifyImage(t *testing.T) {
	img := testImage()
	m, err := Describe(bytes.NewReader(img), "virtual", "1")
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte{}, img...)
	flipped[len(flipped)/2] ^= 0x40
	tests := []struct {
		name    string
		image   []byte
		errText string
	}{
		{"good", img, ""},
		{"tampered", flipped, "sha256 is"},
		{"truncated", img[:len(img)-1], "image is 100002 bytes, manifest says 100003"},
		{"empty", nil, "image is 0 bytes"},
		{"appended", append(append([]byte{}, img...), 0), "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// OneByteReader: the check must not depend on read sizes.
			err := VerifyImage(iotest.OneByteReader(bytes.NewReader(tc.image)), m)
			if tc.errText == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errText) || !errors.Is(err, ErrImageMismatch) {
				t.Fatalf("VerifyImage error = %v, want ErrImageMismatch containing %q", err, tc.errText)
			}
		})
	}
	if err := VerifyImage(iotest.ErrReader(errors.New("disk on fire")), m); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("VerifyImage of a failing reader = %v", err)
	}
	sum := NewSum()
	sum.Write(img)
	if err := sum.Check(m); err != nil {
		t.Fatal(err)
	}
	sum.Write([]byte{1})
	if err := sum.Check(m); !errors.Is(err, ErrImageMismatch) {
		t.Fatalf("Sum.Check after extra byte = %v", err)
	}
}

// setTree gives m a valid hash tree: 2 data blocks and their tree.
func setTree(m *Manifest) {
	m.Size, m.HashTreeRoot, m.HashTreeOffset, m.HashTreeSalt = 3*4096, strings.Repeat("ab", 32), 2*4096, strings.Repeat("cd", 32)
}

func TestManifestValidate(t *testing.T) {
	good := Manifest{Format: 1, Board: "rpi4", Version: "2026.11.1+g1234", Size: 1, SHA256: strings.Repeat("0", 64)}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    func(*Manifest)
		want string
	}{
		{"format", func(m *Manifest) { m.Format = 0 }, "format"},
		{"empty board", func(m *Manifest) { m.Board = "" }, "board"},
		{"board with slash", func(m *Manifest) { m.Board = "a/b" }, "board"},
		{"empty version", func(m *Manifest) { m.Version = "" }, "version"},
		{"version with space", func(m *Manifest) { m.Version = "1 2" }, "version"},
		{"negative size", func(m *Manifest) { m.Size = -1 }, "size"},
		{"upper-case sha", func(m *Manifest) { m.SHA256 = strings.Repeat("A", 64) }, "sha256"},
		{"short sha", func(m *Manifest) { m.SHA256 = "00" }, "sha256"},
		{"odd hash tree root", func(m *Manifest) { m.HashTreeRoot = "abc" }, "hash_tree_root"},
		{"tree offset without root", func(m *Manifest) { m.HashTreeOffset = 4096 }, "no hash_tree_root"},
		{"tree salt without root", func(m *Manifest) { m.HashTreeSalt = "00" }, "no hash_tree_root"},
		{"tree without offset", func(m *Manifest) { setTree(m); m.HashTreeOffset = 0 }, "hash_tree_offset"},
		{"tree offset off a block", func(m *Manifest) { setTree(m); m.HashTreeOffset = 4097 }, "hash_tree_offset"},
		{"tree offset past the image", func(m *Manifest) { setTree(m); m.HashTreeOffset = m.Size + 4096 }, "hash_tree_offset"},
		{"tree without salt", func(m *Manifest) { setTree(m); m.HashTreeSalt = "" }, "hash_tree_salt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := good
			tc.f(&m)
			if err := m.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want error about %s", err, tc.want)
			}
			if _, err := m.Marshal(); err == nil {
				t.Fatal("Marshal accepted an invalid manifest")
			}
		})
	}
	b, err := good.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	withTree := good
	setTree(&withTree)
	if tb, err := withTree.Marshal(); err != nil || !strings.HasSuffix(string(tb), `,"hash_tree_root":"`+withTree.HashTreeRoot+`","hash_tree_offset":8192,"hash_tree_salt":"`+withTree.HashTreeSalt+`"}`) {
		t.Fatalf("a manifest with a tree: %s, %v", tb, err)
	}
	want := `{"format":1,"board":"rpi4","version":"2026.11.1+g1234","size":1,"sha256":"` + strings.Repeat("0", 64) + `"}`
	if string(b) != want {
		t.Fatalf("Marshal = %s, want %s", b, want)
	}
}

func TestKeyFiles(t *testing.T) {
	pubPEM, privPEM, err := GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		private bool
		want    string
	}{
		{"public ok", pubPEM, false, ""},
		{"private ok", privPEM, true, ""},
		{"public given private", privPEM, false, `PEM block is "PRIVATE KEY", want "PUBLIC KEY"`},
		{"private given public", pubPEM, true, `PEM block is "PUBLIC KEY", want "PRIVATE KEY"`},
		{"not PEM", []byte("ssh-ed25519 AAAA"), false, "no PEM block"},
		{"empty", nil, true, "no PEM block"},
		{"two blocks", append(append([]byte{}, pubPEM...), pubPEM...), false, "more than one PEM block"},
		{"garbage DER", []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), false, "parse public key"},
		{"ECDSA key", ecdsaPublicPEM(t), false, "only ed25519"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.private {
				_, err = ParsePrivateKey(tc.data)
			} else {
				_, err = ParsePublicKey(tc.data)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}

	dir := t.TempDir()
	keyPath := filepath.Join(dir, "release.key")
	if err := WriteNewFile(keyPath, privPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	if err := WriteNewFile(keyPath, []byte("other"), 0o600); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second WriteNewFile = %v, want refusal", err)
	}
	if _, err := LoadPrivateKey(keyPath); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the key (temporary files left behind?)", len(entries))
	}
	if _, err := LoadPublicKey(filepath.Join(dir, "missing.pub")); err == nil || !strings.Contains(err.Error(), "missing.pub") {
		t.Fatalf("LoadPublicKey of a missing file = %v", err)
	}
	if _, err := LoadPublicKey(keyPath); err == nil || !strings.Contains(err.Error(), keyPath) {
		t.Fatalf("LoadPublicKey of a private key file = %v, want error naming the file", err)
	}
}

// TestWriteKeyPair: both halves written with their modes and matching
// each other; an existing key file, either half, stops it before a byte
// is written.
func TestWriteKeyPair(t *testing.T) {
	dir := t.TempDir()
	k, err := WriteKeyPair(dir, "root-1", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if k.KeyPath != filepath.Join(dir, "root-1.key") || k.PubPath != filepath.Join(dir, "root-1.pub") {
		t.Fatalf("paths %s, %s", k.KeyPath, k.PubPath)
	}
	for path, mode := range map[string]os.FileMode{k.KeyPath: 0o600, k.PubPath: 0o644} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s mode %v, want %v", path, st.Mode().Perm(), mode)
		}
	}
	priv, err := LoadPrivateKey(k.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(k.PubPath)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(k.Public) || !priv.Public().(ed25519.PublicKey).Equal(k.Public) {
		t.Fatal("the written halves do not match each other and the returned public key")
	}
	keyBefore, _ := os.ReadFile(k.KeyPath)
	if _, err := WriteKeyPair(dir, "root-1", rand.Reader); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second WriteKeyPair = %v, want refusal", err)
	}
	if after, _ := os.ReadFile(k.KeyPath); !bytes.Equal(keyBefore, after) {
		t.Fatal("the second WriteKeyPair changed the key")
	}

	if err := os.WriteFile(filepath.Join(dir, "lone.pub"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteKeyPair(dir, "lone", rand.Reader); err == nil || !strings.Contains(err.Error(), "lone.pub exists") {
		t.Fatalf("WriteKeyPair beside a lone public key = %v, want refusal", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "lone.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lone.key written though lone.pub was there: %v", err)
	}
	if _, err := WriteKeyPair(filepath.Join(dir, "missing"), "k", rand.Reader); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("WriteKeyPair into a missing directory = %v", err)
	}
}

// ecdsaPublicPEM is a P-256 public key, to check keys other than ed25519
// are refused.
func ecdsaPublicPEM(t *testing.T) []byte {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// TestDescribeHashIsSHA256 checks Describe's size and digest against
// sources that share no code with it: the FIPS 180-2 test vectors, and
// GNU coreutils' sha256sum over the test image written to a file. It then
// checks that VerifyImage and Sum accept exactly that digest.
func TestDescribeHashIsSHA256(t *testing.T) {
	million := bytes.Repeat([]byte("a"), 1_000_000)
	img := testImage()
	path := filepath.Join(t.TempDir(), "image")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sha256sum", path).Output()
	if err != nil {
		t.Fatalf("sha256sum (coreutils) is needed as the independent hash: %v", err)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 || len(fields[0]) != 64 {
		t.Fatalf("sha256sum printed %q", out)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		// FIPS 180-2, appendix B.1 and B.3; the empty message from NIST's
		// example values.
		{"empty", nil, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", []byte("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"a million a", million, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
		{"test image (sha256sum)", img, fields[0]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One byte at a time: the digest must not depend on how the
			// reader splits the image.
			m, err := Describe(iotest.OneByteReader(bytes.NewReader(tc.data)), "virtual", "1")
			if err != nil {
				t.Fatal(err)
			}
			if m.SHA256 != tc.want || m.Size != int64(len(tc.data)) {
				t.Fatalf("Describe = size %d sha256 %s, want size %d sha256 %s", m.Size, m.SHA256, len(tc.data), tc.want)
			}
			if err := VerifyImage(bytes.NewReader(tc.data), m); err != nil {
				t.Fatalf("VerifyImage of the described image: %v", err)
			}
			sum := NewSum()
			sum.Write(tc.data)
			if err := sum.Check(m); err != nil {
				t.Fatalf("Sum.Check with the reference digest: %v", err)
			}
		})
	}
}
