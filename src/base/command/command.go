// Package command is the start-up every Picket program shares, so that the
// mains in src/cmd stay thin and behave alike: a flag set with -version
// (the version line of version.Get), flag errors and stray arguments as
// exit status 2, a text logger on standard error, a context cancelled by
// SIGINT or SIGTERM, and errors printed as "NAME: error" with exit status
// 1 (2 for a usage error: a UsageError, or any error wrapping ErrUsage).
// Host tools made of subcommands ("release sign ...") share the same
// behaviour through Tool (subcommand.go).
//
// A daemon's main:
//
//	func main() {
//		p := command.New("lcdd")
//		socket := p.Flags.String("netmgr", "/run/picket/netmgr.sock", "...")
//		p.Main(func(ctx context.Context, log *slog.Logger) error {
//			return serve(ctx, *socket, p.Info, log)
//		})
//	}
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"picket.dev/picket/src/base/version"
)

// Program is one run of a command.
type Program struct {
	// Name is the program's name, used in messages and for version.Get.
	Name string
	// Info is the program's version and board (version.Get(Name)), the
	// version being the image's when it runs from one (Info.InImage).
	Info version.Info
	// Flags holds the program's flags; -version is there already. Flags
	// are parsed by Parse, Run and Main.
	Flags *flag.FlagSet
	// AllowArgs lets arguments follow the flags (Flags.Args()); by
	// default they are a usage error.
	AllowArgs bool
	// Stdout receives the version line; Stderr the messages and the log.
	Stdout, Stderr io.Writer

	version *bool
}

// New returns the Program name on the process's standard output and
// error.
func New(name string) *Program { return NewWith(name, os.Stdout, os.Stderr) }

// NewWith is New writing to stdout and stderr (tests, or a program that
// takes them from elsewhere).
func NewWith(name string, stdout, stderr io.Writer) *Program {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &Program{
		Name: name, Info: version.Get(name).InImage(os.ReadFile), Flags: fs, Stdout: stdout, Stderr: stderr,
		version: fs.Bool("version", false, "print the version line and exit"),
	}
}

// Parse parses args. When done is true the program ends now with status:
// after -h (0), -version (0, or 1 if the line could not be written), a
// flag error or a stray argument (2, said on Stderr).
func (p *Program) Parse(args []string) (status int, done bool) {
	if err := p.Flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true // the flag package said what is wrong
	}
	if *p.version {
		if err := p.Info.Fprint(p.Stdout); err != nil {
			return 1, true
		}
		return 0, true
	}
	if !p.AllowArgs && p.Flags.NArg() > 0 {
		fmt.Fprintf(p.Stderr, "%s: unexpected arguments %q (all inputs are flags)\n", p.Name, p.Flags.Args())
		return 2, true
	}
	return 0, false
}

// Logger is the program's log: text lines on Stderr.
func (p *Program) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(p.Stderr, nil)) }

// Run parses args and runs fn with a context that SIGINT or SIGTERM
// cancels, and the program's logger. It returns the exit status: 0 when fn
// returns nil or the context's cancellation; 2 for a usage error (one
// wrapping ErrUsage, as a UsageError does); 1 for any
// other error, printed as "NAME: error". Once the context is cancelled the
// signals' default action is back, so a second Ctrl-C ends a program that
// is slow to stop.
func (p *Program) Run(args []string, fn func(ctx context.Context, log *slog.Logger) error) int {
	if status, done := p.Parse(args); done {
		return status
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := fn(ctx, p.Logger())
	switch {
	case err == nil || errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return 0
	case errors.Is(err, ErrUsage):
		fmt.Fprintf(p.Stderr, "%s: %v\n", p.Name, err)
		return 2
	default:
		fmt.Fprintf(p.Stderr, "%s: %v\n", p.Name, err)
		return 1
	}
}

// Main runs the program on the process's arguments and exits with Run's
// status.
func (p *Program) Main(fn func(ctx context.Context, log *slog.Logger) error) {
	os.Exit(p.Run(os.Args[1:], fn))
}

// UsageError is an error in how the program was called (exit status 2).
type UsageError struct{ msg string }

func (e UsageError) Error() string { return e.msg }

// Is makes a UsageError match ErrUsage, so that one test (errors.Is(err,
// ErrUsage)) finds every usage error.
func (e UsageError) Is(target error) bool { return target == ErrUsage }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error { return UsageError{fmt.Sprintf(format, args...)} }

// Strings is a flag that may be given several times; each value is kept.
type Strings []string

// String implements flag.Value.
func (l *Strings) String() string { return strings.Join(*l, ",") }

// Set implements flag.Value.
func (l *Strings) Set(s string) error {
	*l = append(*l, s)
	return nil
}
