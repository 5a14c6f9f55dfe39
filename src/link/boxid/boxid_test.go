package boxid

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"picket.dev/picket/src/link/platformapi"
)

func TestCreateThenLoad(t *testing.T) {
	dir := t.TempDir()
	id, created, err := LoadOrCreate(dir, rand.Reader)
	if err != nil || !created {
		t.Fatalf("first boot: created %v, %v", created, err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	again, created, err := LoadOrCreate(dir, rand.Reader)
	if err != nil || created {
		t.Fatalf("second boot: created %v, %v", created, err)
	}
	if !bytes.Equal(id.Public(), again.Public()) || id.Code() != again.Code() {
		t.Fatalf("second boot has another identity")
	}
	if id.Code() != platformapi.ActivationCode(id.Public()) {
		t.Errorf("Code %q", id.Code())
	}
	msg := []byte("hello")
	if !ed25519.Verify(again.Public(), msg, ed25519.Sign(again.PrivateKey(), msg)) {
		t.Error("loaded private key does not match the public key")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "identity"))
	if len(entries) != 1 {
		t.Errorf("identity dir holds %d entries, want only the key (no temp files)", len(entries))
	}
}

func TestCorruptIsAnError(t *testing.T) {
	for name, content := range map[string]string{
		"empty":     "",
		"garbage":   "not a key",
		"short":     "-----BEGIN PICKET BOX ED25519 SEED-----\nAAAA\n-----END PICKET BOX ED25519 SEED-----\n",
		"wrongtype": "-----BEGIN PRIVATE KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n-----END PRIVATE KEY-----\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, KeyFile)
			os.MkdirAll(filepath.Dir(path), 0o700)
			os.WriteFile(path, []byte(content), 0o600)
			_, _, err := LoadOrCreate(dir, rand.Reader)
			if err == nil || !strings.Contains(err.Error(), "corrupt") {
				t.Fatalf("err %v, want a corrupt-identity error", err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != content {
				t.Error("corrupt key file was replaced")
			}
		})
	}
}

func TestNoSecretInFormatting(t *testing.T) {
	id, _, err := LoadOrCreate(t.TempDir(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	seed := fmt.Sprintf("%x", id.PrivateKey().Seed())
	for _, s := range []string{fmt.Sprint(id), fmt.Sprintf("%v %+v %#v", id, id, id)} {
		if strings.Contains(s, seed) || strings.Contains(s, fmt.Sprintf("%v", []byte(id.PrivateKey()))) {
			t.Errorf("formatting shows the private key: %s", s)
		}
	}
}

// Load never makes a key, and tells a missing key file from a corrupt one.
func TestLoadMissingAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrCorrupt) {
		t.Errorf("Load with no key file: %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load made a key file: %v", err)
	}
	made, _, err := LoadOrCreate(dir, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir)
	if err != nil || !loaded.Public().Equal(made.Public()) {
		t.Fatalf("Load after LoadOrCreate: %v, %v; want the same key", loaded, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, KeyFile))
	if err := os.WriteFile(filepath.Join(dir, KeyFile), b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Load of half a key file: %v, want ErrCorrupt", err)
	}
}
