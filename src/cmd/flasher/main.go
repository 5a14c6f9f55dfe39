// Command flasher writes a signed image to a block device or a file:
//
//	flasher -image disk.img [-manifest disk.img.manifest] -pub release.pub -target /dev/sdX|FILE [-force]
//
// It verifies the manifest's signature and the image against it before
// touching the target, refuses a target that is mounted (or has a mounted
// partition) or holds the running system, asks the operator to type the
// device name unless -force, and reads the written image back to check it.
// See package flash for the checks.
package main

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"strings"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/system/flash"
	"picket.dev/picket/src/system/manifest"
)

func main() {
	os.Exit(run(os.Args[1:], flash.System(os.Stdin, os.Stdout), os.Stderr))
}

// run runs the flasher and returns the exit status: 0 written and
// verified, 1 refused or failed, 2 called wrongly.
func run(args []string, env flash.Env, stderr io.Writer) int {
	p := command.NewWith("flasher", env.Stdout, stderr)
	fs := p.Flags
	image := fs.String("image", "", "disk image to write")
	man := fs.String("manifest", "", "its signed manifest (default IMAGE.manifest)")
	var pubs command.Strings
	fs.Var(&pubs, "pub", "trusted release public key (PEM); may be given several times")
	target := fs.String("target", "", "block device (/dev/sdX, /dev/disk/by-id/...) or file to write")
	force := fs.Bool("force", false, "do not ask for confirmation (the safety checks still apply)")
	// No signal context: an interrupted flash should stop at once.
	if status, done := p.Parse(args); done {
		return status
	}
	var missing []string
	if *image == "" {
		missing = append(missing, "-image")
	}
	if len(pubs) == 0 {
		missing = append(missing, "-pub")
	}
	if *target == "" {
		missing = append(missing, "-target")
	}
	if len(missing) > 0 {
		fmt.Fprintf(stderr, "flasher: missing %s\n", strings.Join(missing, ", "))
		fs.Usage()
		return 2
	}
	if *man == "" {
		*man = *image + ".manifest"
	}
	var trusted []ed25519.PublicKey
	for _, p := range pubs {
		k, err := manifest.LoadPublicKey(p)
		if err != nil {
			fmt.Fprintf(stderr, "flasher: %v\n", err)
			return 1
		}
		trusted = append(trusted, k)
	}
	err := env.Flash(flash.Request{Image: *image, Manifest: *man, Trusted: trusted, Target: *target, Force: *force})
	if err != nil {
		fmt.Fprintf(stderr, "flasher: %v\n", err)
		return 1
	}
	return 0
}
