package main

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"time"

	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/system/manifest"
)

// runSigpack writes a signed signature package (package sigpkg) of a
// signature database source, signed with the release key that signs the
// images. The output depends only on the source, the flags and the key.
func runSigpack(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sigpack", stderr)
	keyPath := fs.String("key", "", "release private key (PEM, from imgtool keygen)")
	src := fs.String("in", "", "the signature database source")
	ver := fs.String("version", "", "the database's version (like 2.2.245-2)")
	created := fs.String("created", "", "the database's creation date, YYYY-MM-DD or RFC 3339 (UTC)")
	out := fs.String("out", "", "package to write")
	if err := parse(fs, args, "key", "in", "version", "created", "out"); err != nil {
		return err
	}
	priv, err := manifest.LoadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	b, h, err := packSignatures(*src, *ver, *created, priv)
	if err != nil {
		return err
	}
	if err := manifest.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "packed %s (signatures %s, created %s, %d bytes, sha256 %s) with key %s into %s\n",
		*src, h.Version, h.Created.Format(time.RFC3339), h.Size, h.SHA256, h.KeyID, *out)
	return nil
}

// packSignatures reads a database source and returns its signed package.
func packSignatures(src, version, created string, priv ed25519.PrivateKey) ([]byte, sigpkg.Header, error) {
	when, err := parseCreated(created)
	if err != nil {
		return nil, sigpkg.Header{}, err
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, sigpkg.Header{}, fmt.Errorf("signature source: %w", err)
	}
	defer f.Close()
	payload, err := io.ReadAll(io.LimitReader(f, sigpkg.MaxPayload+1))
	if err != nil {
		return nil, sigpkg.Header{}, fmt.Errorf("read %s: %w", src, err)
	}
	b, err := sigpkg.Pack(version, when, payload, priv)
	if err != nil {
		return nil, sigpkg.Header{}, fmt.Errorf("%s: %w", src, err)
	}
	// Read back as a box would: the package is what it says.
	p, err := sigpkg.VerifyBytes(b, []ed25519.PublicKey{priv.Public().(ed25519.PublicKey)})
	if err != nil {
		return nil, sigpkg.Header{}, err
	}
	return b, p.Header, nil
}

func parseCreated(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: -created %q: want YYYY-MM-DD or an RFC 3339 time", errUsage, s)
	}
	return t.UTC(), nil
}
