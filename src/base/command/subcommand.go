package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"picket.dev/picket/src/base/version"
)

// A host tool made of subcommands (release, imgtool) is run as
// "TOOL COMMAND [flags]":
//
//	func main() {
//		os.Exit(command.Tool{Name: "imgtool", Commands: []command.Subcommand{
//			{Name: "sign", Summary: "write the signed manifest of an image", Run: runSign},
//		}}.Run(os.Args[1:], os.Stdout, os.Stderr))
//	}
//
//	func runSign(fs *flag.FlagSet, args []string, stdout io.Writer) error {
//		key := fs.String("key", "", "release private key")
//		if err := command.ParseFlags(fs, args, "key"); err != nil {
//			return err
//		}
//		...
//	}

// ErrUsage marks an error in how a program was called (exit status 2).
// Subcommands wrap it: fmt.Errorf("%w: -board: %v", command.ErrUsage, err)
// prints as "usage: -board: ...". A UsageError is one too.
var ErrUsage = errors.New("usage")

// Subcommand is one subcommand of a Tool.
type Subcommand struct {
	// Name is the word that picks the subcommand.
	Name string
	// Summary is its line in the tool's usage.
	Summary string
	// Run runs the subcommand on the arguments after its name. fs is its
	// flag set, named "TOOL NAME", printing on the tool's standard error
	// and returning its errors; Run defines its flags on fs and parses
	// them with ParseFlags. It returns an error wrapping ErrUsage for bad
	// arguments and flag.ErrHelp after -h.
	Run func(fs *flag.FlagSet, args []string, stdout io.Writer) error
}

// Tool is a program made of subcommands.
type Tool struct {
	// Name is the program's name, used in messages and for version.Get.
	Name string
	// Commands are the subcommands, in the order the usage shows them.
	Commands []Subcommand
}

// Usage writes the tool's usage: one line per subcommand, then -version.
func (t Tool) Usage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s COMMAND [flags]    (%s COMMAND -h for its flags)\n", t.Name, t.Name)
	width := len("-version")
	for _, c := range t.Commands {
		width = max(width, len(c.Name))
	}
	for _, c := range t.Commands {
		fmt.Fprintf(w, "  %-*s %s\n", width, c.Name, c.Summary)
	}
	fmt.Fprintln(w, "  -version print the version line")
}

// Run runs the subcommand args name and returns the exit status: 0 done
// (or its -h, or the tool's -version and help), 1 failed, 2 called
// wrongly (no or an unknown subcommand, or an error wrapping ErrUsage).
// A subcommand's error is printed as "TOOL COMMAND: error".
func (t Tool) Run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		t.Usage(stderr)
		return 2
	}
	switch args[0] {
	case "-version", "--version", "version":
		if err := version.Get(t.Name).Fprint(stdout); err != nil {
			return 1
		}
		return 0
	case "-h", "-help", "--help", "help":
		t.Usage(stdout)
		return 0
	}
	for _, c := range t.Commands {
		if c.Name != args[0] {
			continue
		}
		fs := flag.NewFlagSet(t.Name+" "+c.Name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		err := c.Run(fs, args[1:], stdout)
		switch {
		case err == nil || errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, ErrUsage):
			fmt.Fprintf(stderr, "%s %s: %v\n", t.Name, c.Name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "%s %s: %v\n", t.Name, c.Name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "%s: unknown command %q\n", t.Name, args[0])
	t.Usage(stderr)
	return 2
}

// ParseFlags parses a subcommand's flags from args and checks that every
// flag named in required is set (not empty) and that nothing follows the
// flags. Its errors wrap ErrUsage, but flag.ErrHelp after -h, which it
// returns as it is.
func ParseFlags(fs *flag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (all inputs are flags)", ErrUsage, fs.Arg(0))
	}
	var missing []string
	for _, name := range required {
		if fs.Lookup(name).Value.String() == "" {
			missing = append(missing, "-"+name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s", ErrUsage, strings.Join(missing, ", "))
	}
	return nil
}
