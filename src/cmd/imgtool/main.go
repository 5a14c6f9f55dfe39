// Command imgtool is the host tool for release images: it creates release
// key pairs, signs and verifies rootfs image manifests, and packs signature
// databases into packages signed with the same key.
//
//	imgtool keygen -out DIR
//	imgtool sign -key release.key -board B -version V -image rootfs.img [-out rootfs.img.manifest]
//	imgtool verify -pub release.pub -image rootfs.img [-manifest rootfs.img.manifest]
//	imgtool build -board B -version V -kernel vmlinuz -initrd initrd.img -rootfs-dir DIR -key release.key -out disk.img
//	imgtool sigpack -key release.key -in SOURCE -out signatures.pkg
//	imgtool -version
//
// Each subcommand lives in its own file and is listed in commands; adding
// one (image building, say) is a new file and one line there.
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
		{"keygen", "create a release key pair (release.key, release.pub)", runKeygen},
		{"sign", "write the signed manifest of an image", runSign},
		{"verify", "check an image against its signed manifest", runVerify},
		{"build", "build a whole signed A/B disk image", runBuild},
		{"sigpack", "write the signed package of a signature database", runSigpack},
	}
}

// errUsage marks errors in how imgtool was called (exit status 2).
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: imgtool COMMAND [flags]    (imgtool COMMAND -h for its flags)")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  -version print the version line")
}

// run runs imgtool with args and returns the exit status: 0 done, 1
// failed, 2 called wrongly.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-version", "--version", "version":
		if err := version.Get("imgtool").Fprint(stdout); err != nil {
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
			fmt.Fprintf(stderr, "imgtool %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "imgtool %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "imgtool: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

// newFlags returns a flag set for a subcommand that reports its errors
// through the returned error rather than exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("imgtool "+name, flag.ContinueOnError)
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
