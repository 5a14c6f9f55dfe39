package manifest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
)

// fuzzKey is a fixed release key for the fuzz targets: derived from a
// constant seed, so every run and every seed in the corpus agree on it.
func fuzzKey() (ed25519.PublicKey, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte("picket manifest fuzz key"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return priv.Public().(ed25519.PublicKey), priv
}

func fuzzManifest() Manifest {
	return Manifest{Format: FormatVersion, Board: "virtual", Version: "1.2.3", Size: 3, SHA256: strings.Repeat("ab", 32)}
}

// FuzzVerify feeds arbitrary bytes to Verify as a signed manifest file (what
// the initramfs reads from the ESP, where anyone with the disk can write).
// Whatever it accepts must be a single JSON document in the file format,
// signed by the trusted key over the exact manifest bytes, and a manifest
// that is valid and canonical; nothing may panic.
func FuzzVerify(f *testing.F) {
	pub, priv := fuzzKey()
	s, err := Sign(fuzzManifest(), priv)
	if err != nil {
		f.Fatal(err)
	}
	good, err := s.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(bytes.TrimSpace(good))
	f.Add(append(bytes.Clone(good), '}'))
	f.Add(append(bytes.Clone(good), "{}"...))
	f.Add([]byte(`{"format":1,"key_id":"","signature":null,"manifest":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte{})
	trusted := []ed25519.PublicKey{pub}
	f.Fuzz(func(t *testing.T, signed []byte) {
		m, key, err := VerifyKey(signed, trusted)
		if err != nil {
			if m != (Manifest{}) || key != nil {
				t.Fatalf("refused (%v) but returned %+v, %x", err, m, key)
			}
			return
		}
		if !json.Valid(signed) {
			t.Fatalf("accepted a file that is not one JSON document: %q", signed)
		}
		if !key.Equal(pub) {
			t.Fatalf("accepted with key %x, not the trusted one", key)
		}
		var sm SignedManifest
		if err := json.Unmarshal(signed, &sm); err != nil {
			t.Fatalf("accepted a file that does not decode as a signed manifest: %v", err)
		}
		if !ed25519.Verify(pub, message(sm.Manifest), sm.Signature) {
			t.Fatal("accepted a manifest whose signature does not verify")
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted an invalid manifest: %v", err)
		}
		canon, err := m.Marshal()
		if err != nil || !bytes.Equal(canon, sm.Manifest) {
			t.Fatalf("accepted manifest bytes %q that are not the canonical %q (%v)", sm.Manifest, canon, err)
		}
	})
}

// FuzzParse feeds arbitrary bytes to the manifest parser that runs on
// signed bytes (a release tool's bug, not an attacker, can put anything
// there). A manifest it accepts is valid, and its canonical encoding is
// exactly the input: one manifest has one signed form.
func FuzzParse(f *testing.F) {
	good, err := fuzzManifest().Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(append(bytes.Clone(good), '\n'))
	f.Add(append(bytes.Clone(good), ']'))
	withRoot := fuzzManifest()
	withRoot.HashTreeRoot, withRoot.HashTreeOffset, withRoot.HashTreeSalt = strings.Repeat("0f", 32), 4096, strings.Repeat("1e", 32)
	if withRoot.Size <= 4096 {
		withRoot.Size = 3 * 4096
	}
	if b, err := withRoot.Marshal(); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"format":1}`))
	f.Add([]byte(`{"format":1,"board":"virtual","version":"1","size":-1,"sha256":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parse(b)
		if err != nil {
			if m != (Manifest{}) {
				t.Fatalf("refused (%v) but returned %+v", err, m)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("parsed an invalid manifest %q: %v", b, err)
		}
		canon, err := m.Marshal()
		if err != nil || !bytes.Equal(canon, b) {
			t.Fatalf("parsed %q, whose canonical form is %q (%v)", b, canon, err)
		}
	})
}
