// Package placeholder is the body of a daemon or tool whose real
// implementation has not landed yet: it reports what the binary is, which
// board it was built for, and which issue delivers the real thing, then
// exits. It keeps every binary of every board buildable and versioned from
// the first day.
package placeholder

import (
	"flag"
	"fmt"
	"io"

	"picket.dev/picket/src/base/version"
)

// Program describes one placeholder binary.
type Program struct {
	Name string
	// Role is what the real program does, in one line.
	Role string
	// Issue is the issue that delivers it; 0 when none is filed yet.
	Issue int
	// Extra, when set, prints further facts after the summary (for
	// example what hardware the binary can see). Its error is reported
	// but does not fail the run: a placeholder must not fail on a dev host.
	Extra func(w io.Writer, info version.Info) error
}

// Main runs p with the command-line arguments args (without the program
// name) and returns the process exit code.
func Main(p Program, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(p.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version line and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q; the only flag is -version\n", p.Name, fs.Arg(0))
		return 2
	}
	info := version.Get(p.Name)
	if err := info.Fprint(stdout); err != nil {
		return 1
	}
	if *showVersion {
		return 0
	}
	b, err := info.Hardware()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", p.Name, err)
		return 1
	}
	fmt.Fprintf(stdout, "board: %s\n", b.Description)
	fmt.Fprintf(stdout, "role: %s\n", p.Role)
	when := "a later issue"
	if p.Issue > 0 {
		when = fmt.Sprintf("issue #%d", p.Issue)
	}
	fmt.Fprintf(stdout, "status: placeholder; the real %s arrives with %s. Exiting.\n", p.Name, when)
	if p.Extra != nil {
		if err := p.Extra(stdout, info); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", p.Name, err)
		}
	}
	return 0
}
