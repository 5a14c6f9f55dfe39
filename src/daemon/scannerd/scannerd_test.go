package scannerd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/scan/scanner"
	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/system/manifest"
)

type noUploads struct{}

func (noUploads) Enqueue(platformapi.JobUpdate) error { return nil }

// TestInstallSignaturesCommand: scannerd -install-signatures against a
// running scanner.sock with the store scannerd builds: the image's default
// in force first, then the installed package; a tampered one refused.
func TestInstallSignaturesCommand(t *testing.T) {
	dir := t.TempDir()
	pubPEM, privPEM, err := manifest.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{3}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := manifest.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(dir, "release.pub")
	os.WriteFile(pubPath, pubPEM, 0o644)
	created := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	pkg := func(v string) []byte {
		b, err := sigpkg.Pack(v, created, []byte("format: picket-signatures/1\nversion: "+v+"\ndate: 2026-12-01\n"), priv)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	image := filepath.Join(dir, "signatures.pkg")
	os.WriteFile(image, pkg("1.0-1"), 0o644)
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	log := slog.New(slog.DiscardHandler)
	sigs, err := loadSignatures(pubPath, filepath.Join(dir, "data"), image, log)
	if err != nil || sigs.Version() != "1.0-1" || sigs.Current().Source != sigpkg.SourceImage {
		t.Fatalf("load: %v, %+v", err, sigs)
	}
	r, err := scanner.NewRunner(scanner.RunnerConfig{Uploader: noUploads{}, Signatures: sigs,
		Env: func(context.Context, int) (scanner.Env, error) { return scanner.Env{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "scanner.sock")
	ln, err := scanapi.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go scanapi.NewServer(r, log, scanapi.Access{}).Serve(ctx, ln)

	newPkg := filepath.Join(dir, "new.pkg")
	os.WriteFile(newPkg, pkg("1.1-1"), 0o644)
	var out bytes.Buffer
	if err := installSignatures(ctx, sock, newPkg, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "signatures 1.1-1 in force (created 2026-12-01, from the data partition)\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	bad := pkg("1.2-1")
	bad[len(bad)-2] ^= 1
	os.WriteFile(newPkg, bad, 0o644)
	err = installSignatures(ctx, sock, newPkg, &out)
	if err == nil || !strings.Contains(err.Error(), "altered payload") {
		t.Fatalf("tampered package: %v", err)
	}
	// A restart finds the installed one, newer than the image's.
	again, err := loadSignatures(pubPath, filepath.Join(dir, "data"), image, log)
	if err != nil || again.Version() != "1.1-1" {
		t.Fatalf("after restart: %v, %q", err, again.Version())
	}
	// No key file: no store, no error.
	if s, err := loadSignatures(filepath.Join(dir, "none.pub"), dir, image, log); s != nil || err != nil {
		t.Fatalf("without a key: %v, %v", s, err)
	}
	// A key file that is not a key: an error.
	der, _ := x509.MarshalPKIXPublicKey(ed25519.PublicKey(make([]byte, 31)))
	os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	if _, err := loadSignatures(pubPath, dir, image, log); err == nil {
		t.Fatal("a bad key file was accepted")
	}
}
