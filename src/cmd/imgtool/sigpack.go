package main

import (
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/scan/sigdb"
	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/system/manifest"
)

// runSigpack writes a signed signature package (package sigpkg) of a
// signature database source, signed with the release key that signs the
// images. The source is compiled first (a database that does not compile
// is never signed), and its header gives the package's version and
// creation date, so the two cannot disagree. The output depends only on
// the source and the key.
func runSigpack(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	keyPath := fs.String("key", "", "release private key (PEM, from imgtool keygen)")
	src := fs.String("in", "", "the signature database source")
	out := fs.String("out", "", "package to write")
	if err := command.ParseFlags(fs, args, "key", "in", "out"); err != nil {
		return err
	}
	priv, err := manifest.LoadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	b, h, err := packSignatures(*src, priv)
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

// packSignatures reads and compiles a database source and returns its
// signed package, with the version and date the source's header states.
func packSignatures(src string, priv ed25519.PrivateKey) ([]byte, sigpkg.Header, error) {
	f, err := os.Open(src)
	if err != nil {
		return nil, sigpkg.Header{}, fmt.Errorf("signature source: %w", err)
	}
	defer f.Close()
	payload, err := io.ReadAll(io.LimitReader(f, sigpkg.MaxPayload+1))
	if err != nil {
		return nil, sigpkg.Header{}, fmt.Errorf("read %s: %w", src, err)
	}
	db, err := sigdb.Compile(payload)
	if err != nil {
		return nil, sigpkg.Header{}, fmt.Errorf("%s: %w", src, err)
	}
	b, err := sigpkg.Pack(db.Version(), db.Date(), payload, priv)
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
