package main

import (
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"os"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/verity"
)

// runVerify checks a signed manifest against trusted public keys, then the
// image against the manifest.
func runVerify(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var pubs command.Strings
	fs.Var(&pubs, "pub", "trusted release public key (PEM); may be given several times")
	image := fs.String("image", "", "the image to check")
	man := fs.String("manifest", "", "its signed manifest (default IMAGE.manifest)")
	if err := command.ParseFlags(fs, args, "pub", "image"); err != nil {
		return err
	}
	if *man == "" {
		*man = *image + ".manifest"
	}
	m, keyID, err := verify(pubs, *image, *man)
	if err != nil {
		return err
	}
	tree := "no hash tree"
	if m.HasHashTree() {
		tree = "hash tree verified, dm-verity root " + m.HashTreeRoot
	}
	fmt.Fprintf(stdout, "OK: %s matches %s, signed by key %s: board %s, version %s, %d bytes, sha256 %s, %s\n",
		*image, *man, keyID, m.Board, m.Version, m.Size, m.SHA256, tree)
	return nil
}

func verify(pubPaths []string, image, man string) (manifest.Manifest, string, error) {
	var trusted []ed25519.PublicKey
	for _, p := range pubPaths {
		k, err := manifest.LoadPublicKey(p)
		if err != nil {
			return manifest.Manifest{}, "", err
		}
		trusted = append(trusted, k)
	}
	f, err := os.Open(man)
	if err != nil {
		return manifest.Manifest{}, "", fmt.Errorf("read manifest: %w", err)
	}
	signed, err := io.ReadAll(io.LimitReader(f, manifest.MaxSignedSize+1))
	f.Close()
	if err != nil {
		return manifest.Manifest{}, "", fmt.Errorf("read manifest %s: %w", man, err)
	}
	m, key, err := manifest.VerifyKey(signed, trusted)
	if err != nil {
		return manifest.Manifest{}, "", fmt.Errorf("%s: %w", man, err)
	}
	img, err := os.Open(image)
	if err != nil {
		return manifest.Manifest{}, "", fmt.Errorf("open image: %w", err)
	}
	defer img.Close()
	if err := manifest.VerifyImage(img, m); err != nil {
		return manifest.Manifest{}, "", fmt.Errorf("%s: %w", image, err)
	}
	// The hash tree too, as the kernel will check it block by block: a
	// tree that does not match its data (or a root that does not match
	// the tree) would only show on the box.
	if m.HasHashTree() {
		t, err := verity.FromManifest(m)
		if err != nil {
			return manifest.Manifest{}, "", fmt.Errorf("%s: %w", man, err)
		}
		if err := verity.Check(img, t); err != nil {
			return manifest.Manifest{}, "", fmt.Errorf("%s: %w", image, err)
		}
	}
	return m, manifest.KeyID(key), nil
}
