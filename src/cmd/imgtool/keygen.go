package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"io"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/system/manifest"
)

// runKeygen writes a new release key pair into a directory: release.key
// (private, mode 0600) and release.pub. Like every key of the host tools it
// comes from manifest.WriteKeyPair, which never replaces a key.
func runKeygen(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	out := fs.String("out", "", "directory to write release.key and release.pub into (must exist)")
	if err := command.ParseFlags(fs, args, "out"); err != nil {
		return err
	}
	k, err := manifest.WriteKeyPair(*out, "release", rand.Reader)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s (key id %s); keep release.key out of the repository\n", k.KeyPath, k.PubPath, manifest.KeyID(k.Public))
	return nil
}
