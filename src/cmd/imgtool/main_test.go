package main

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"picket.dev/picket/src/system/manifest"
)

// imgtool runs the command in process and returns its exit status and
// output.
func imgtool(args ...string) (int, string) {
	var out bytes.Buffer
	code := run(args, &out, &out)
	return code, out.String()
}

func TestKeygenSignVerify(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, out := imgtool("keygen", "-out", keys); code != 0 {
		t.Fatalf("keygen: %d %s", code, out)
	}
	key, pub := filepath.Join(keys, "release.key"), filepath.Join(keys, "release.pub")
	st, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("release.key mode %v, want 0600", st.Mode().Perm())
	}
	keyBefore, _ := os.ReadFile(key)
	if code, out := imgtool("keygen", "-out", keys); code != 1 || !strings.Contains(out, "refusing to overwrite") {
		t.Fatalf("second keygen: %d %s, want refusal", code, out)
	}
	if after, _ := os.ReadFile(key); !bytes.Equal(keyBefore, after) {
		t.Fatal("second keygen changed release.key")
	}
	otherKeys := filepath.Join(dir, "other")
	os.Mkdir(otherKeys, 0o755)
	if code, out := imgtool("keygen", "-out", otherKeys); code != 0 {
		t.Fatalf("keygen: %d %s", code, out)
	}

	image := filepath.Join(dir, "rootfs.img")
	if err := os.WriteFile(image, bytes.Repeat([]byte("picket"), 100_000), 0o644); err != nil {
		t.Fatal(err)
	}
	man := image + ".manifest"
	sign := []string{"sign", "-key", key, "-board", "virtual", "-version", "1.0.0", "-image", image, "-out", man}
	if code, out := imgtool(sign...); code != 0 {
		t.Fatalf("sign: %d %s", code, out)
	}
	first, _ := os.ReadFile(man)
	if code, out := imgtool(sign...); code != 0 {
		t.Fatalf("sign again: %d %s", code, out)
	}
	if again, _ := os.ReadFile(man); !bytes.Equal(first, again) {
		t.Fatalf("signing the same image twice gave different manifests:\n%s\n%s", first, again)
	}

	// -seal appends the hash tree, and verify checks it: a data block
	// changed and the manifest signed again over the changed bytes (so
	// the sha256 matches) is still refused by the tree.
	sealed := filepath.Join(dir, "sealed.img")
	os.WriteFile(sealed, bytes.Repeat([]byte("picket"), 100_000), 0o644)
	if code, out := imgtool("sign", "-seal", "-key", key, "-board", "virtual", "-version", "1.0.0", "-image", sealed); code != 0 || !strings.Contains(out, "dm-verity root ") {
		t.Fatalf("sign -seal: %d %s", code, out)
	}
	if st, _ := os.Stat(sealed); st.Size() != 602112+3*4096 {
		t.Fatalf("sealed image is %d bytes, want the data padded to 147 blocks and a 3-block tree: 2 blocks of 147 digests, 1 over them (%d)", st.Size(), 602112+3*4096)
	}
	if code, out := imgtool("verify", "-pub", pub, "-image", sealed); code != 0 || !strings.Contains(out, "hash tree verified, dm-verity root ") {
		t.Fatalf("verify sealed: %d %s", code, out)
	}
	{
		pubKey, _ := manifest.LoadPublicKey(pub)
		privKey, _ := manifest.LoadPrivateKey(key)
		signedBytes, _ := os.ReadFile(sealed + ".manifest")
		m, err := manifest.Verify(signedBytes, []ed25519.PublicKey{pubKey})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(sealed)
		data[5000] ^= 1
		os.WriteFile(sealed, data, 0o644)
		d, _ := manifest.Describe(bytes.NewReader(data), m.Board, m.Version)
		m.Size, m.SHA256 = d.Size, d.SHA256
		resigned, err := manifest.Sign(m, privKey)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := resigned.Encode()
		os.WriteFile(sealed+".manifest", b, 0o644)
		if code, out := imgtool("verify", "-pub", pub, "-image", sealed); code != 1 || !strings.Contains(out, "does not match its hash tree") {
			t.Fatalf("verify of a changed data block under a re-signed sha256: %d %s", code, out)
		}
	}
	tampered := filepath.Join(dir, "tampered.img")
	data, _ := os.ReadFile(image)
	data[1000] ^= 1
	os.WriteFile(tampered, data, 0o644)

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"good", []string{"verify", "-pub", pub, "-image", image, "-manifest", man}, 0, "OK: "},
		{"default manifest path", []string{"verify", "-pub", pub, "-image", image}, 0, "OK: "},
		{"one of two keys", []string{"verify", "-pub", filepath.Join(otherKeys, "release.pub"), "-pub", pub, "-image", image}, 0, "OK: "},
		{"wrong key", []string{"verify", "-pub", filepath.Join(otherKeys, "release.pub"), "-image", image, "-manifest", man}, 1, "not among the trusted keys"},
		{"tampered image", []string{"verify", "-pub", pub, "-image", tampered, "-manifest", man}, 1, "sha256 is"},
		{"private key as public", []string{"verify", "-pub", key, "-image", image, "-manifest", man}, 1, `want "PUBLIC KEY"`},
		{"missing flags", []string{"verify", "-image", image}, 2, "missing -pub"},
		{"stray argument", []string{"verify", "-pub", pub, "-image", image, "extra"}, 2, "unexpected argument"},
		{"sign missing board", []string{"sign", "-key", key, "-version", "1", "-image", image}, 2, "missing -board"},
		{"sign bad board", []string{"sign", "-key", key, "-board", "No Such", "-version", "1", "-image", image, "-out", filepath.Join(dir, "x")}, 1, "board"},
		{"sign with public key", []string{"sign", "-key", pub, "-board", "virtual", "-version", "1", "-image", image, "-out", filepath.Join(dir, "x")}, 1, `want "PRIVATE KEY"`},
		{"build unknown board", []string{"build", "-board", "pi5", "-version", "1", "-kernel", image, "-initrd", image, "-rootfs-dir", dir, "-key", key, "-out", filepath.Join(dir, "x.img")}, 2, `unknown board "pi5"; known boards: appliance, armv7, rpi4, virtual`},
		{"build bad esp file", []string{"build", "-board", "rpi4", "-version", "1", "-kernel", image, "-initrd", image, "-rootfs-dir", dir, "-key", key, "-esp-file", "config.txt", "-out", filepath.Join(dir, "x.img")}, 2, `-esp-file "config.txt": want DEST=SRC`},
		{"keygen into missing dir", []string{"keygen", "-out", filepath.Join(dir, "nope")}, 1, "nope"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"no command", nil, 2, "usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := imgtool(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("imgtool %v = %d %q, want %d and %q", tc.args, code, out, tc.code, tc.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, out := imgtool("-version")
	if code != 0 || !strings.HasPrefix(out, "imgtool ") || strings.Count(out, "\n") != 1 {
		t.Fatalf("imgtool -version = %d %q, want the one version line", code, out)
	}
}
