package manifest

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"picket.dev/picket/src/base/atomicfile"
)

// PEM block types of key files: PKCS#8 for private keys, PKIX for public
// keys, as openssl writes them ("openssl pkey -in release.key -pubout"
// reads and writes the same files).
const (
	privatePEMType = "PRIVATE KEY"
	publicPEMType  = "PUBLIC KEY"
)

// GenerateKey makes a release key pair from rand and returns both halves
// PEM encoded.
func GenerateKey(rand io.Reader) (pubPEM, privPEM []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, nil, fmt.Errorf("generate ed25519 key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("encode private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: publicPEMType, Bytes: pubDER}),
		pem.EncodeToMemory(&pem.Block{Type: privatePEMType, Bytes: privDER}), nil
}

func decodePEM(b []byte, want string) ([]byte, error) {
	block, rest := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("no PEM block found, want a %q block", want)
	}
	if block.Type != want {
		return nil, fmt.Errorf("PEM block is %q, want %q", block.Type, want)
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, fmt.Errorf("more than one PEM block, want exactly one %q block", want)
	}
	return block.Bytes, nil
}

// ParsePrivateKey decodes a PEM "PRIVATE KEY" (PKCS#8) ed25519 key.
func ParsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	der, err := decodePEM(b, privatePEMType)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse private key: key is %T, only ed25519 is allowed", k)
	}
	return priv, nil
}

// ParsePublicKey decodes a PEM "PUBLIC KEY" (PKIX) ed25519 key.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	der, err := decodePEM(b, publicPEMType)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("parse public key: key is %T, only ed25519 is allowed", k)
	}
	return pub, nil
}

// LoadPrivateKey reads a private key file.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	k, err := ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadPublicKey reads a public key file.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read public key: %w", err)
	}
	k, err := ParsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// WriteNewFile writes data to path with the given mode, atomically and
// without ever replacing an existing file (atomicfile.WriteNew): a reader
// never sees a partial key, and a key is never overwritten.
func WriteNewFile(path string, data []byte, mode os.FileMode) error {
	if err := atomicfile.WriteNew(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// KeyFiles is a key pair WriteKeyPair wrote.
type KeyFiles struct {
	// KeyPath and PubPath are the private key's file and the public key's.
	KeyPath, PubPath string
	// Public is the public key.
	Public ed25519.PublicKey
}

// WriteKeyPair makes a key pair from rand and writes it into dir, which
// must exist, as NAME.key (private, mode 0600) and NAME.pub (mode 0644):
// the one way the host tools (imgtool, release) create a key. It never
// replaces a key, and writes neither file when one of them exists: losing
// a release key to a slip of the keyboard would orphan every box that
// trusts it.
func WriteKeyPair(dir, name string, rand io.Reader) (KeyFiles, error) {
	f := KeyFiles{KeyPath: filepath.Join(dir, name+".key"), PubPath: filepath.Join(dir, name+".pub")}
	for _, p := range []string{f.KeyPath, f.PubPath} {
		if _, err := os.Lstat(p); err == nil {
			return KeyFiles{}, fmt.Errorf("%s exists; refusing to overwrite a key (move it away first)", p)
		}
	}
	pubPEM, privPEM, err := GenerateKey(rand)
	if err != nil {
		return KeyFiles{}, err
	}
	if err := WriteNewFile(f.KeyPath, privPEM, 0o600); err != nil {
		return KeyFiles{}, err
	}
	if err := WriteNewFile(f.PubPath, pubPEM, 0o644); err != nil {
		return KeyFiles{}, err
	}
	if f.Public, err = ParsePublicKey(pubPEM); err != nil {
		return KeyFiles{}, err
	}
	return f, nil
}

// WriteFile replaces path with data atomically (atomicfile.Write).
func WriteFile(path string, data []byte, mode os.FileMode) error {
	if err := atomicfile.Write(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
