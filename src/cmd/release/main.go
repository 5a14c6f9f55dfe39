// Command release is the host tool that builds and signs the update
// repository platformd serves (-updates DIR) and boxes update from: The
// Update Framework's metadata over software releases (slot image, signed
// manifest, chunk index, SBOM per board) and signature packages.
//
//	release keygen -out DIR -name NAME
//	release init -repo DIR -root-key A.pub,B.pub,C.pub -root-threshold 2 -targets-key release.pub -snapshot-key snapshot.pub -timestamp-key timestamp.pub
//	release chunks -image rootfs.img -out rootfs.chunks
//	release add-software -repo DIR [-board B -version V] -image rootfs.img -manifest rootfs.manifest -chunks rootfs.chunks -sbom sbom.spdx.json
//	release add-signatures -repo DIR -pkg signatures.pkg
//	release sign -repo DIR -role root|targets -key HOLDER.key
//	release status -repo DIR
//	release snapshot -repo DIR -key snapshot.key
//	release timestamp -repo DIR -key timestamp.key
//	release publish -repo DIR -snapshot-key snapshot.key -timestamp-key timestamp.key
//	release rotate-root -repo DIR [-root-key ... -root-threshold N] [-targets-key ...] [-snapshot-key ...] [-timestamp-key ...]
//	release verify -repo DIR -root root.json [-time T] [-fetch]
//	release sbom (-board B -version V | -manifest rootfs.manifest -pub release.pub) -modules vendor/modules.txt -gosum go.sum -inputs third_party/inputs.lock -out sbom.spdx.json
//
// Private keys are PEM files (imgtool keygen's format) kept outside the
// repository; each command reads only the one or two it needs, so the
// holders of root and targets keys sign on their own machines and pass the
// staged file on (docs/updates.md, "Keys, roles and the release tool").
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"picket.dev/picket/src/base/version"
)

// subcommand is one subcommand. run gets the arguments after the
// subcommand's name; it returns errUsage (wrapped) for bad arguments.
type subcommand struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands, in the order usage shows them.
func commands() []subcommand {
	return []subcommand{
		{"keygen", "create an ed25519 key pair (NAME.key, NAME.pub)", runKeygen},
		{"init", "stage root version 1 and an empty targets in a new repository", runInit},
		{"chunks", "write a slot image's chunk index (for delta downloads)", runChunks},
		{"add-software", "add a board's software release to the staged targets", runAddSoftware},
		{"add-signatures", "add a signature package to the staged targets", runAddSignatures},
		{"sign", "add one holder's signature to staged root or targets", runSign},
		{"status", "show how far staged root and targets are signed", runStatus},
		{"snapshot", "publish what is staged and write a new snapshot", runSnapshot},
		{"timestamp", "write a new timestamp over the newest snapshot", runTimestamp},
		{"publish", "publish what is staged, then a new snapshot and timestamp", runPublish},
		{"rotate-root", "stage the next root version with some roles' keys replaced", runRotateRoot},
		{"verify", "run the box's client against the repository", runVerify},
		{"sbom", "write a release's SPDX 2.3 SBOM from the build's inputs", runSBOM},
	}
}

// errUsage marks errors in how release was called (exit status 2).
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: release COMMAND [flags]    (release COMMAND -h for its flags)")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  -version print the version line")
}

// run runs release with args and returns the exit status: 0 done, 1
// failed, 2 called wrongly.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-version", "--version", "version":
		if err := version.Get("release").Fprint(stdout); err != nil {
			return 1
		}
		return 0
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "release %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "release %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "release: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

// newFlags returns a flag set for a subcommand that reports its errors
// through the returned error rather than exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("release "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses args and checks that every flag named in required is set
// and nothing follows the flags.
func parse(fs *flag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (all inputs are flags)", errUsage, fs.Arg(0))
	}
	var missing []string
	for _, name := range required {
		if fs.Lookup(name).Value.String() == "" {
			missing = append(missing, "-"+name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s", errUsage, strings.Join(missing, ", "))
	}
	return nil
}
