package flash

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"picket.dev/picket/src/system/manifest"
)

// signedImage writes an image of n bytes and its signed manifest into dir
// with a throwaway key, and returns the paths and the trusted key.
func signedImage(t *testing.T, dir string, n int) (image, man string, pub ed25519.PublicKey, data []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	data = make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	image, man = filepath.Join(dir, "disk.img"), filepath.Join(dir, "disk.img.manifest")
	if err := os.WriteFile(image, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Describe(bytes.NewReader(data), "virtual", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := manifest.Sign(m, priv)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(man, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return image, man, pub, data
}

func TestFlashFile(t *testing.T) {
	dir := t.TempDir()
	image, man, pub, data := signedImage(t, dir, 3<<20+123)
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	tampered := filepath.Join(dir, "tampered.img")
	bad := append([]byte{}, data...)
	bad[len(bad)-7] ^= 1
	if err := os.WriteFile(tampered, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	old := []byte(strings.Repeat("old contents ", 1<<19)) // longer than the image
	tests := []struct {
		name     string
		req      func(target string) Request
		existing bool   // target holds old before
		stdin    string // the operator's answer
		want     error  // nil: written
		wantText string
	}{
		{name: "new file, forced", req: func(tg string) Request { return Request{image, man, []ed25519.PublicKey{pub}, tg, true} }},
		{name: "existing longer file, forced", existing: true, req: func(tg string) Request { return Request{image, man, []ed25519.PublicKey{pub}, tg, true} }},
		{name: "confirmed by typing the path", existing: true, stdin: "TARGET\n", req: func(tg string) Request { return Request{image, man, []ed25519.PublicKey{pub}, tg, false} }},
		{name: "wrong answer", existing: true, stdin: "yes\n", want: ErrNotConfirmed, wantText: `typed "yes"`,
			req: func(tg string) Request { return Request{image, man, []ed25519.PublicKey{pub}, tg, false} }},
		{name: "no answer", existing: true, stdin: "", want: ErrNotConfirmed,
			req: func(tg string) Request { return Request{image, man, []ed25519.PublicKey{pub}, tg, false} }},
		{name: "tampered image", existing: true, want: manifest.ErrImageMismatch, wantText: "sha256 is",
			req: func(tg string) Request { return Request{tampered, man, []ed25519.PublicKey{pub}, tg, true} }},
		{name: "untrusted key", existing: true, want: manifest.ErrSignature,
			req: func(tg string) Request { return Request{image, man, []ed25519.PublicKey{otherPub}, tg, true} }},
		{name: "missing manifest", existing: true, wantText: "read manifest",
			req: func(tg string) Request { return Request{image, image + ".nope", []ed25519.PublicKey{pub}, tg, true} }},
		{name: "target is the image", want: ErrSameFile,
			req: func(string) Request { return Request{image, man, []ed25519.PublicKey{pub}, image, true} }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := filepath.Join(dir, "target"+string(rune('a'+i))+".img")
			if tc.existing {
				if err := os.WriteFile(target, old, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			env := System(strings.NewReader(strings.ReplaceAll(tc.stdin, "TARGET", target)), &out)
			req := tc.req(target)
			err := env.Flash(req)
			if tc.want == nil && tc.wantText == "" {
				if err != nil {
					t.Fatalf("Flash: %v\n%s", err, out.String())
				}
				got, err := os.ReadFile(target)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("target holds %d bytes, not the %d-byte image", len(got), len(data))
				}
				if !strings.Contains(out.String(), "read them back") {
					t.Fatalf("output does not report the read back:\n%s", out.String())
				}
				return
			}
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("Flash = %v, want %v %q", err, tc.want, tc.wantText)
			}
			if req.Target == image {
				target = image // the image must be untouched too
			}
			got, rerr := os.ReadFile(target)
			switch {
			case req.Target == image && !bytes.Equal(got, data):
				t.Fatal("the image was changed")
			case req.Target != image && tc.existing && !bytes.Equal(got, old):
				t.Fatal("the refused target was changed")
			case req.Target != image && !tc.existing && !errors.Is(rerr, os.ErrNotExist):
				t.Fatalf("the refused target was created (%v)", rerr)
			}
		})
	}
}
