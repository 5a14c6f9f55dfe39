// Package sigpkg is the signed package the signature database ships in:
// a header (kind "signatures", database version, creation date, length
// and SHA-256 of the payload) signed with the release key that signs the
// software images' manifests (src/system/manifest: the same ed25519 keys,
// the same PEM files, the same key ids; no second key to manage), followed
// by the payload, the database's source.
//
// A package is checked before a byte of its payload is interpreted: the
// header's length is read and capped before anything is allocated, the
// signature is checked over the raw header bytes before they are parsed,
// and the payload's length and hash are checked against the signed header
// before the payload is handed to the compiler. Store keeps the compiled
// database in force on the data partition and swaps it under a running
// scanner (store.go).
//
// The file layout, all integers big-endian:
//
//	magic      8 bytes  "PICKETPK"
//	header_len 4 bytes  at most MaxHeader
//	key_id     8 bytes  the signing key's id (manifest.KeyID), to pick the key
//	signature 64 bytes  ed25519 over SigningContext || header
//	header     header_len bytes: canonical JSON (Header)
//	payload    Header.Size bytes, SHA-256 Header.SHA256
//
// The key id is outside the signature: it only picks which trusted key to
// check with (and names the signer in a refusal); a forged id just fails.
package sigpkg

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"picket.dev/picket/src/base/strictjson"
	"picket.dev/picket/src/system/manifest"
)

// Format is the header format this package writes and accepts.
const Format = 1

// KindSignatures is the kind of a signature database package.
const KindSignatures = "signatures"

// Magic starts every package.
const Magic = "PICKETPK"

// SigningContext prefixes the signed message, so that a signature made
// with the release key over a package header cannot pass as one over a
// rootfs manifest ("picket rootfs manifest v1"), or the reverse.
const SigningContext = "picket package v1\n"

// Size caps: a header is a few hundred bytes; a payload is a signature
// database's source (the generated 10,000-signature database is a
// few MB).
const (
	MaxHeader  = 4 << 10
	MaxPayload = 32 << 20
	// prefixLen is magic, header length, key id and signature.
	prefixLen = len(Magic) + 4 + keyIDLen + ed25519.SignatureSize
	keyIDLen  = 8
	// MaxPackage is the largest package: what a reader reads at most.
	MaxPackage = prefixLen + MaxHeader + MaxPayload
	// MaxVersionLen bounds a database version (platformapi's
	// MaxUpdateVersionLen, the heartbeat's and update notices' limit).
	MaxVersionLen = 64
)

// Header describes a package's payload. Its JSON encoding is canonical:
// fixed field order, no insignificant white space, so one header has one
// signed form.
type Header struct {
	Format int    `json:"format"`
	Kind   string `json:"kind"`
	// Version is the database's version, Debian-style ("2.2.245-2"):
	// packages are ordered by it, and an older one than the database in
	// force is refused.
	Version string `json:"version"`
	// Created is when the database was made (UTC, whole seconds): the
	// age the box shows and the platform limits.
	Created time.Time `json:"created"`
	// Size is the payload's length in bytes.
	Size int64 `json:"size"`
	// SHA256 is the lower-case hex SHA-256 of the payload.
	SHA256 string `json:"sha256"`
	// KeyID names the release key that signed (manifest.KeyID).
	KeyID string `json:"key_id"`
}

// Errors a refusal wraps, one per reason, so callers and tests can tell
// them apart; the message says the specifics.
var (
	ErrMalformed   = errors.New("not a valid signature package")
	ErrTruncated   = errors.New("signature package truncated")
	ErrOversize    = errors.New("signature package too large")
	ErrUntrusted   = errors.New("signature package not signed by a trusted release key")
	ErrSignature   = errors.New("signature package header signature not valid")
	ErrKind        = errors.New("not a signature database package")
	ErrPayload     = errors.New("signature package payload does not match its signed header")
	ErrOlder       = errors.New("signature database older than the one in force")
	ErrSameVersion = errors.New("signature database version already in force with other content")
	ErrCompile     = errors.New("signature database does not compile")
)

var (
	// Debian's upstream-version alphabet without the epoch: starts with a
	// digit, so that version order is what a person expects.
	versionRE = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~-]*$`)
	sha256RE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	keyIDRE   = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// CheckVersion checks a database version's syntax.
func CheckVersion(v string) error {
	if len(v) == 0 || len(v) > MaxVersionLen || !versionRE.MatchString(v) {
		return fmt.Errorf("version %.80q: want a digit, then letters, digits and . + ~ -, at most %d characters (like 2.2.245-2)", v, MaxVersionLen)
	}
	return nil
}

// Validate reports the first field that is not acceptable.
func (h Header) Validate() error {
	switch {
	case h.Format != Format:
		return fmt.Errorf("%w: header format %d, only %d is supported", ErrMalformed, h.Format, Format)
	case h.Kind != KindSignatures:
		return fmt.Errorf("%w: package kind %.40q, want %q", ErrKind, h.Kind, KindSignatures)
	case h.Size < 0:
		return fmt.Errorf("%w: payload size %d is negative", ErrMalformed, h.Size)
	case h.Size > MaxPayload:
		return fmt.Errorf("%w: payload of %d bytes, at most %d allowed", ErrOversize, h.Size, MaxPayload)
	case !sha256RE.MatchString(h.SHA256):
		return fmt.Errorf("%w: payload sha256 %.80q: want 64 lower-case hex digits", ErrMalformed, h.SHA256)
	case !keyIDRE.MatchString(h.KeyID):
		return fmt.Errorf("%w: key id %.40q: want 16 lower-case hex digits", ErrMalformed, h.KeyID)
	case h.Created.IsZero() || h.Created.Location() != time.UTC || h.Created.Nanosecond() != 0:
		return fmt.Errorf("%w: created %s: want a UTC time in whole seconds", ErrMalformed, h.Created)
	}
	if err := CheckVersion(h.Version); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// marshal returns the canonical encoding of a valid header.
func (h Header) marshal() ([]byte, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	b, err := strictjson.Canonical(h)
	if err != nil {
		return nil, fmt.Errorf("encode package header: %w", err)
	}
	return b, nil
}

// parseHeader decodes header bytes strictly (unknown fields, trailing
// data and any but the canonical encoding refused). Only called on bytes
// whose signature checked out.
func parseHeader(b []byte) (Header, error) {
	var h Header
	if err := strictjson.UnmarshalCanonical(b, &h); err != nil {
		return Header{}, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if err := h.Validate(); err != nil {
		return Header{}, err
	}
	return h, nil
}

func signedMessage(header []byte) []byte {
	return append([]byte(SigningContext), header...)
}

// Pack makes a signed package of payload: a database of the given version,
// created at created (cut to whole seconds, UTC), signed with the release
// key priv.
func Pack(version string, created time.Time, payload []byte, priv ed25519.PrivateKey) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("pack signatures: private key is %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	sum := sha256.Sum256(payload)
	pub := priv.Public().(ed25519.PublicKey)
	h := Header{
		Format: Format, Kind: KindSignatures, Version: version, Created: created.UTC().Truncate(time.Second),
		Size: int64(len(payload)), SHA256: hex.EncodeToString(sum[:]), KeyID: manifest.KeyID(pub),
	}
	hb, err := h.marshal()
	if err != nil {
		return nil, fmt.Errorf("pack signatures: %w", err)
	}
	if len(hb) > MaxHeader {
		return nil, fmt.Errorf("pack signatures: %w: header of %d bytes", ErrOversize, len(hb))
	}
	id, _ := hex.DecodeString(h.KeyID)
	var out bytes.Buffer
	out.Grow(prefixLen + len(hb) + len(payload))
	out.WriteString(Magic)
	binary.Write(&out, binary.BigEndian, uint32(len(hb)))
	out.Write(id)
	out.Write(ed25519.Sign(priv, signedMessage(hb)))
	out.Write(hb)
	out.Write(payload)
	return out.Bytes(), nil
}

// Package is a verified package: its signed header and its payload.
type Package struct {
	Header  Header
	Payload []byte
}

// Verify reads a package from r and checks it against the trusted release
// keys, in this order: the header's length (capped before allocation),
// the signature over the raw header bytes, then the header's fields (kind,
// size cap), then the payload's length and SHA-256. Nothing of the payload
// is interpreted here; it is returned only when every check passed. r is
// read to its end, at most MaxPackage+1 bytes.
func Verify(r io.Reader, trusted []ed25519.PublicKey) (Package, error) {
	if len(trusted) == 0 {
		return Package{}, errors.New("verify signature package: no trusted release keys given")
	}
	var prefix [prefixLen]byte
	if n, err := io.ReadFull(r, prefix[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if n >= len(Magic) && string(prefix[:len(Magic)]) != Magic {
				return Package{}, fmt.Errorf("%w: starts with %q, not %q", ErrMalformed, prefix[:len(Magic)], Magic)
			}
			return Package{}, fmt.Errorf("%w: %d bytes, shorter than the %d-byte signed prefix", ErrTruncated, n, prefixLen)
		}
		return Package{}, fmt.Errorf("read signature package: %w", err)
	}
	if string(prefix[:len(Magic)]) != Magic {
		return Package{}, fmt.Errorf("%w: starts with %q, not %q", ErrMalformed, prefix[:len(Magic)], Magic)
	}
	hlen := binary.BigEndian.Uint32(prefix[len(Magic):])
	if hlen == 0 {
		return Package{}, fmt.Errorf("%w: empty header", ErrMalformed)
	}
	if hlen > MaxHeader {
		return Package{}, fmt.Errorf("%w: header of %d bytes, at most %d allowed", ErrOversize, hlen, MaxHeader)
	}
	id := hex.EncodeToString(prefix[len(Magic)+4 : len(Magic)+4+keyIDLen])
	sig := prefix[len(Magic)+4+keyIDLen:]
	var key ed25519.PublicKey
	var ids []string
	for _, pub := range trusted {
		if len(pub) != ed25519.PublicKeySize {
			return Package{}, fmt.Errorf("verify signature package: trusted key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
		}
		kid := manifest.KeyID(pub)
		ids = append(ids, kid)
		if kid == id {
			key = pub
		}
	}
	if key == nil {
		return Package{}, fmt.Errorf("%w: signed by key %s; the trusted release keys are %s", ErrUntrusted, id, strings.Join(ids, ", "))
	}
	hb := make([]byte, hlen)
	if n, err := io.ReadFull(r, hb); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Package{}, fmt.Errorf("%w: header is %d of its %d bytes", ErrTruncated, n, hlen)
		}
		return Package{}, fmt.Errorf("read signature package header: %w", err)
	}
	if !ed25519.Verify(key, signedMessage(hb), sig) {
		return Package{}, fmt.Errorf("%w: the signature by key %s does not match the header (altered header or signature)", ErrSignature, id)
	}
	h, err := parseHeader(hb)
	if err != nil {
		// Signed by a release key yet not valid (or of another kind): a
		// tool's error or the wrong file, not tampering.
		return Package{}, fmt.Errorf("signed header refused: %w", err)
	}
	if h.KeyID != id {
		return Package{}, fmt.Errorf("%w: header names key %s, signed by %s", ErrMalformed, h.KeyID, id)
	}
	// Size is capped by Validate: ReadAll grows to at most Size+1 bytes.
	payload, err := io.ReadAll(io.LimitReader(r, h.Size+1))
	if err != nil {
		return Package{}, fmt.Errorf("read signature package payload: %w", err)
	}
	switch n := int64(len(payload)); {
	case n < h.Size:
		return Package{}, fmt.Errorf("%w: payload is %d of its %d bytes", ErrTruncated, n, h.Size)
	case n > h.Size:
		return Package{}, fmt.Errorf("%w: data after the %d-byte payload", ErrPayload, h.Size)
	}
	sum := sha256.Sum256(payload)
	if got := hex.EncodeToString(sum[:]); got != h.SHA256 {
		return Package{}, fmt.Errorf("%w: payload sha256 is %s, the header says %s (altered payload)", ErrPayload, got, h.SHA256)
	}
	return Package{Header: h, Payload: payload}, nil
}

// VerifyBytes is Verify of a package held in memory; a package over
// MaxPackage is refused before any check.
func VerifyBytes(b []byte, trusted []ed25519.PublicKey) (Package, error) {
	if len(b) > MaxPackage {
		return Package{}, fmt.Errorf("%w: %d bytes, at most %d allowed", ErrOversize, len(b), MaxPackage)
	}
	return Verify(bytes.NewReader(b), trusted)
}
