package manifest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"picket.dev/picket/src/base/strictjson"
)

// SignedManifest is the on-disk form of a signed manifest (a
// "<image>.manifest" file): the manifest's exact bytes, the id of the key
// that signed them and the detached ed25519 signature.
type SignedManifest struct {
	Format    int    `json:"format"`
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
	Manifest  []byte `json:"manifest"`
}

// MaxSignedSize bounds what Verify reads: a manifest is a few hundred
// bytes, and an attacker's file should not cost more than that.
const MaxSignedSize = 64 << 10

// signingContext prefixes the signed message so that a signature made for
// a manifest cannot be replayed as a signature over anything else made with
// the same key.
const signingContext = "picket rootfs manifest v1\n"

func message(manifest []byte) []byte {
	return append([]byte(signingContext), manifest...)
}

// KeyID names a public key: the hex of the first 8 bytes of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Sign signs m's canonical encoding with priv.
func Sign(m Manifest, priv ed25519.PrivateKey) (SignedManifest, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return SignedManifest{}, fmt.Errorf("sign manifest: private key is %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	b, err := m.Marshal()
	if err != nil {
		return SignedManifest{}, fmt.Errorf("sign manifest: %w", err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	return SignedManifest{
		Format:    FormatVersion,
		KeyID:     KeyID(pub),
		Signature: ed25519.Sign(priv, message(b)),
		Manifest:  b,
	}, nil
}

// Encode returns the file form of s, ending in a newline.
func (s SignedManifest) Encode() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return nil, fmt.Errorf("encode signed manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ErrSignature is wrapped by Verify's errors when the signature does not
// check out: wrong key, altered manifest, altered signature.
var ErrSignature = errors.New("manifest signature not valid")

// Verify checks a signed manifest file against the trusted public keys and
// returns the manifest it carries. The signature is checked over the raw
// manifest bytes before they are parsed.
func Verify(signed []byte, trusted []ed25519.PublicKey) (Manifest, error) {
	m, _, err := VerifyKey(signed, trusted)
	return m, err
}

// VerifyKey is Verify that also returns which trusted key signed.
func VerifyKey(signed []byte, trusted []ed25519.PublicKey) (Manifest, ed25519.PublicKey, error) {
	if len(trusted) == 0 {
		return Manifest{}, nil, errors.New("verify manifest: no trusted public keys given")
	}
	if len(signed) > MaxSignedSize {
		return Manifest{}, nil, fmt.Errorf("verify manifest: file is %d bytes, at most %d allowed", len(signed), MaxSignedSize)
	}
	// Strictly one document: a json.Decoder's More let a trailing '}' or
	// ']' through, so two different files verified as the same.
	var s SignedManifest
	if err := strictjson.Unmarshal(signed, &s); err != nil {
		return Manifest{}, nil, fmt.Errorf("verify manifest: not a signed manifest file: %w", err)
	}
	if s.Format != FormatVersion {
		return Manifest{}, nil, fmt.Errorf("verify manifest: signed manifest format %d, only %d is supported", s.Format, FormatVersion)
	}
	var key ed25519.PublicKey
	var ids []string
	for _, pub := range trusted {
		if len(pub) != ed25519.PublicKeySize {
			return Manifest{}, nil, fmt.Errorf("verify manifest: trusted key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
		}
		id := KeyID(pub)
		ids = append(ids, id)
		if id == s.KeyID {
			key = pub
		}
	}
	if key == nil {
		return Manifest{}, nil, fmt.Errorf("verify manifest: %w: signed by key %q, which is not among the trusted keys (%s)", ErrSignature, s.KeyID, strings.Join(ids, ", "))
	}
	if len(s.Signature) != ed25519.SignatureSize || !ed25519.Verify(key, message(s.Manifest), s.Signature) {
		return Manifest{}, nil, fmt.Errorf("verify manifest: %w: signature by key %s does not match the manifest (altered manifest or signature)", ErrSignature, s.KeyID)
	}
	m, err := parse(s.Manifest)
	if err != nil {
		// Signed by a release key yet not valid: a tool bug, not tampering.
		return Manifest{}, nil, fmt.Errorf("verify manifest: signed manifest is malformed: %w", err)
	}
	return m, key, nil
}
