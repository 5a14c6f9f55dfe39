package netstore

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// The crypto of stored secrets is kept in this one file, behind seal and
// open, so it can move to the planned shared package `secret` (which
// docs/architecture.md names as the home of the per-box key) without
// touching the rest of the store.

// KeyFile is where the per-box key for stored secrets lives, relative to
// the data partition. It is created on first use with mode 0600, kept by
// RESET NETWORK SETTINGS and erased by a factory reset.
const KeyFile = "keys/secret.key"

// keyVersion prefixes every sealed value, so a future key or algorithm
// change can tell old ciphertexts from new ones.
const keyVersion = "x1:"

// errNoKey means a sealed secret was found but the key file is missing:
// the secret cannot be recovered, so the configuration holding it is not
// usable as it stands.
var errNoKey = errors.New("the key for stored secrets is missing")

// loadKey reads the per-box key; create makes it first if it does not
// exist. A key file of the wrong size is an error, never replaced: that
// would make every sealed secret unreadable for good.
func loadKey(fsys FS, rand io.Reader, create bool) ([]byte, error) {
	key, err := readFile(fsys, KeyFile)
	switch {
	case err == nil:
		if len(key) != chacha20poly1305.KeySize {
			return nil, fmt.Errorf("key file %s has %d bytes, want %d", KeyFile, len(key), chacha20poly1305.KeySize)
		}
		return key, nil
	case !isNotExist(err):
		return nil, fmt.Errorf("read key: %w", err)
	case !create:
		return nil, errNoKey
	}
	key = make([]byte, chacha20poly1305.KeySize)
	if _, err := io.ReadFull(rand, key); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	// Atomic and durable before any file sealed with it is written: a
	// config must never point at a key that a power cut took away.
	if err := writeAtomic(fsys, KeyFile, key, 0o600); err != nil {
		return nil, fmt.Errorf("write key: %w", err)
	}
	return key, nil
}

// seal encrypts clear with XChaCha20-Poly1305 under key. Its random 24-byte
// nonce makes reuse negligible without a counter to persist. aad binds the
// ciphertext to its purpose, so it cannot be moved to another field.
func seal(key []byte, rand io.Reader, clear, aad string) (string, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(clear)+aead.Overhead())
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return "", fmt.Errorf("generate nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, []byte(clear), []byte(aad))
	return keyVersion + base64.StdEncoding.EncodeToString(out), nil
}

// open decrypts a value made by seal. Its errors never include the value.
func open(key []byte, sealed, aad string) (string, error) {
	if len(sealed) < len(keyVersion) || sealed[:len(keyVersion)] != keyVersion {
		return "", errors.New("sealed secret has an unknown format")
	}
	raw, err := base64.StdEncoding.DecodeString(sealed[len(keyVersion):])
	if err != nil {
		return "", errors.New("sealed secret is not valid base64")
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return "", err
	}
	if len(raw) < chacha20poly1305.NonceSizeX+aead.Overhead() {
		return "", errors.New("sealed secret is too short")
	}
	clear, err := aead.Open(nil, raw[:chacha20poly1305.NonceSizeX], raw[chacha20poly1305.NonceSizeX:], []byte(aad))
	if err != nil {
		return "", errors.New("sealed secret does not decrypt with this box's key (altered, or sealed by another box)")
	}
	return string(clear), nil
}
