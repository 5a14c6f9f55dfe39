package main

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/system/manifest"
)

// TestSigpack: imgtool sigpack signs a database source with a release key
// from imgtool keygen, with the version and date of the source's header;
// the package verifies with its release.pub (as scannerd reads the
// image's), is reproducible, and a source that does not compile is not
// signed.
func TestSigpack(t *testing.T) {
	dir := t.TempDir()
	if code, out := imgtool("keygen", "-out", dir); code != 0 {
		t.Fatalf("keygen: %d %s", code, out)
	}
	key := filepath.Join(dir, "release.key")
	src := filepath.Join(dir, "starter.sigs")
	const source = "format: picket-signatures/1\nversion: 2.2.245-2\ndate: 2026-12-01\n"
	os.WriteFile(src, []byte(source), 0o644)
	out := filepath.Join(dir, "signatures.pkg")
	args := []string{"sigpack", "-key", key, "-in", src, "-out", out}
	code, msg := imgtool(args...)
	if code != 0 || !strings.Contains(msg, "signatures 2.2.245-2, created 2026-12-01T00:00:00Z") {
		t.Fatalf("sigpack: %d %s", code, msg)
	}
	first, _ := os.ReadFile(out)
	if code, msg := imgtool(args...); code != 0 {
		t.Fatalf("sigpack again: %d %s", code, msg)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(first, again) {
		t.Fatal("packing the same source twice gave different packages")
	}
	pub, err := manifest.LoadPublicKey(filepath.Join(dir, "release.pub"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := sigpkg.VerifyBytes(first, []ed25519.PublicKey{pub})
	if err != nil || p.Header.Version != "2.2.245-2" || !p.Header.Created.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) ||
		string(p.Payload) != source {
		t.Fatalf("package: %+v, %v", p.Header, err)
	}
	bad := filepath.Join(dir, "bad.sigs")
	os.WriteFile(bad, []byte("format: picket-signatures/1\nversion: v2\ndate: 2026-12-01\n"), 0o644)
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sigpack", "-key", key, "-in", bad, "-out", out}, 1, "line 2: version"},
		{[]string{"sigpack", "-key", key, "-in", src}, 2, "missing -out"},
	} {
		if code, msg := imgtool(tc.args...); code != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("imgtool %v = %d %q, want %d and %q", tc.args, code, msg, tc.code, tc.want)
		}
	}
}
