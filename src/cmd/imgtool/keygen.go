package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/system/manifest"
)

// runKeygen writes a new release key pair into a directory: release.key
// (private, mode 0600) and release.pub. It never replaces a key: losing a
// release key to a slip of the keyboard would orphan every box that trusts
// it.
func runKeygen(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	out := fs.String("out", "", "directory to write release.key and release.pub into (must exist)")
	if err := command.ParseFlags(fs, args, "out"); err != nil {
		return err
	}
	keyPath, pubPath := filepath.Join(*out, "release.key"), filepath.Join(*out, "release.pub")
	for _, p := range []string{keyPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s exists; refusing to overwrite a key (move it away first)", p)
		}
	}
	pubPEM, privPEM, err := manifest.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if err := manifest.WriteNewFile(keyPath, privPEM, 0o600); err != nil {
		return err
	}
	if err := manifest.WriteNewFile(pubPath, pubPEM, 0o644); err != nil {
		return err
	}
	pub, err := manifest.ParsePublicKey(pubPEM)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s (key id %s); keep release.key out of the repository\n", keyPath, pubPath, manifest.KeyID(pub))
	return nil
}
