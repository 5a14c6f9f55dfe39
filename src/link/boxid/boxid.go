// Package boxid is the box's identity towards the platform: an ed25519 key
// pair kept on the data partition. The public key is what the platform
// binds to an account at activation (the activation code is derived from
// it), and the private key signs every request the box sends.
//
// The key is made once, at first boot, and loaded at every later boot. A
// key file that exists but cannot be read or parsed is an error, never a
// reason to make a new key: a new key is a new box to the platform, and the
// activation (the account binding, the box's name and history) would be
// orphaned without anyone being told. Recovery from a corrupt key is a
// deliberate factory reset (delete the file) followed by a new activation,
// or the init's repair of a data partition that could not be mounted
// (package datapart), which looks for the key where e2fsck put what it
// saved (Parse) before it gives the identity up and tells the operator.
package boxid

import (
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/link/platformapi"
)

// KeyFile is the key's path under the data partition.
const KeyFile = "identity/box.key"

// pemType labels the PEM block holding the ed25519 seed.
const pemType = "PICKET BOX ED25519 SEED"

// Identity is the box's key pair. Its String never shows the private key.
type Identity struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

// Public returns the public key.
func (id *Identity) Public() ed25519.PublicKey { return id.pub }

// PrivateKey returns the private key, for signing requests. Callers must
// never log it.
func (id *Identity) PrivateKey() ed25519.PrivateKey { return id.priv }

// Code returns the activation code the operator types into the platform.
func (id *Identity) Code() string { return platformapi.ActivationCode(id.pub) }

// String shows the public key only.
func (id *Identity) String() string {
	return "box " + platformapi.EncodeKey(id.pub) + " (" + id.Code() + ")"
}

// GoString keeps %#v from printing the private key.
func (id *Identity) GoString() string { return id.String() }

// ErrCorrupt is a key file that exists but holds no key.
var ErrCorrupt = errors.New("box identity is corrupt")

// Load loads the identity under dataDir without ever making one: an error
// wrapping fs.ErrNotExist when there is no key file, ErrCorrupt when it
// holds no key.
func Load(dataDir string) (*Identity, error) {
	path := filepath.Join(dataDir, KeyFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read box identity %s: %w", path, err)
	}
	id, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	return id, nil
}

// LoadOrCreate loads the identity under dataDir, creating it first if no
// key file exists. created says a new key was made. rand is the entropy
// source (crypto/rand.Reader in production).
func LoadOrCreate(dataDir string, rand io.Reader) (id *Identity, created bool, err error) {
	path := filepath.Join(dataDir, KeyFile)
	id, err = Load(dataDir)
	switch {
	case err == nil:
		return id, false, nil
	case errors.Is(err, ErrCorrupt):
		return nil, false, fmt.Errorf("%w; refusing to make a new one, which would orphan the box's activation (a factory reset deletes it deliberately)", err)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, false, fmt.Errorf("generate box identity: %w", err)
	}
	block := pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: seed})
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("store box identity: %w", err)
	}
	// WriteNew: a power cut leaves no file or the whole one, and an
	// identity is never replaced, even by a racing second start.
	if err := atomicfile.WriteNew(path, block, 0o600); err != nil {
		return nil, false, fmt.Errorf("store box identity %s: %w", path, err)
	}
	id, err = Parse(block)
	if err != nil {
		return nil, false, err
	}
	return id, true, nil
}

// Parse reads a key file's contents: one PEM block of the box key's type
// holding an ed25519 seed, and nothing else.
func Parse(data []byte) (*Identity, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if block.Type != pemType {
		return nil, fmt.Errorf("PEM block %q, want %q", block.Type, pemType)
	}
	if len(block.Bytes) != ed25519.SeedSize {
		return nil, fmt.Errorf("seed has %d bytes, want %d", len(block.Bytes), ed25519.SeedSize)
	}
	if len(trimSpace(rest)) != 0 {
		return nil, errors.New("unexpected data after the PEM block")
	}
	priv := ed25519.NewKeyFromSeed(block.Bytes)
	return &Identity{pub: priv.Public().(ed25519.PublicKey), priv: priv}, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == '\n' || b[0] == '\r' || b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
