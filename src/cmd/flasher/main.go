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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"picket.dev/picket/src/base/version"
	"picket.dev/picket/src/system/flash"
	"picket.dev/picket/src/system/manifest"
)

func main() {
	os.Exit(run(os.Args[1:], flash.System(os.Stdin, os.Stdout), os.Stderr))
}

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// run runs the flasher and returns the exit status: 0 written and
// verified, 1 refused or failed, 2 called wrongly.
func run(args []string, env flash.Env, stderr io.Writer) int {
	fs := flag.NewFlagSet("flasher", flag.ContinueOnError)
	fs.SetOutput(stderr)
	image := fs.String("image", "", "disk image to write")
	man := fs.String("manifest", "", "its signed manifest (default IMAGE.manifest)")
	var pubs stringList
	fs.Var(&pubs, "pub", "trusted release public key (PEM); may be given several times")
	target := fs.String("target", "", "block device (/dev/sdX, /dev/disk/by-id/...) or file to write")
	force := fs.Bool("force", false, "do not ask for confirmation (the safety checks still apply)")
	showVersion := fs.Bool("version", false, "print the version line and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		if err := version.Get("flasher").Fprint(env.Stdout); err != nil {
			return 1
		}
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "flasher: unexpected argument %q (all inputs are flags)\n", fs.Arg(0))
		return 2
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
