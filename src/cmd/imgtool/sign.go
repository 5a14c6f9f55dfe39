package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/system/manifest"
)

// runSign describes an image and writes its signed manifest. The output
// depends only on the image, the flags and the key, so rebuilding an image
// bit for bit rebuilds its manifest bit for bit.
func runSign(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	keyPath := fs.String("key", "", "release private key (PEM, from imgtool keygen)")
	board := fs.String("board", "", "board the image is for")
	ver := fs.String("version", "", "release version of the image")
	image := fs.String("image", "", "the image to sign")
	out := fs.String("out", "", "signed manifest to write (default IMAGE.manifest)")
	seal := fs.Bool("seal", false, "append the image's dm-verity hash tree to it first (a squashfs as mksquashfs wrote it), so the box verifies it block by block as it reads it; without it the box hashes the image whole at each boot")
	if err := command.ParseFlags(fs, args, "key", "board", "version", "image"); err != nil {
		return err
	}
	if *out == "" {
		*out = *image + ".manifest"
	}
	priv, err := manifest.LoadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	var m manifest.Manifest
	if *seal {
		m, err = imagebuild.Seal(*image, *board, *ver)
	} else {
		m, err = describe(*image, *board, *ver)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", *image, err)
	}
	s, err := manifest.Sign(m, priv)
	if err != nil {
		return err
	}
	b, err := s.Encode()
	if err != nil {
		return err
	}
	if err := manifest.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	tree := "no hash tree"
	if m.HasHashTree() {
		tree = "dm-verity root " + m.HashTreeRoot
	}
	fmt.Fprintf(stdout, "signed %s (board %s, version %s, %d bytes, sha256 %s, %s) with key %s into %s\n",
		*image, m.Board, m.Version, m.Size, m.SHA256, tree, s.KeyID, *out)
	return nil
}

func describe(image, board, version string) (manifest.Manifest, error) {
	f, err := os.Open(image)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("open image: %w", err)
	}
	defer f.Close()
	return manifest.Describe(f, board, version)
}
