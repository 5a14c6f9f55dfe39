package command_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"picket.dev/picket/src/base/command"
)

// tool is a Tool with a subcommand "copy" (-from and -to required) and a
// long-named one, to see the usage's column widen.
func tool(fail error) command.Tool {
	return command.Tool{Name: "testtool", Commands: []command.Subcommand{
		{Name: "copy", Summary: "copy a thing", Run: func(fs *flag.FlagSet, args []string, stdout io.Writer) error {
			from := fs.String("from", "", "source")
			to := fs.String("to", "", "destination")
			fs.Bool("n", false, "dry run")
			if err := command.ParseFlags(fs, args, "from", "to"); err != nil {
				return err
			}
			if fail != nil {
				return fail
			}
			fmt.Fprintf(stdout, "copied %s to %s\n", *from, *to)
			return nil
		}},
		{Name: "rotate-everything", Summary: "a long name", Run: func(*flag.FlagSet, []string, io.Writer) error { return nil }},
	}}
}

func TestToolUsage(t *testing.T) {
	var b bytes.Buffer
	tool(nil).Usage(&b)
	want := "usage: testtool COMMAND [flags]    (testtool COMMAND -h for its flags)\n" +
		"  copy              copy a thing\n" +
		"  rotate-everything a long name\n" +
		"  -version print the version line\n"
	if b.String() != want {
		t.Errorf("usage:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	command.Tool{Name: "t", Commands: []command.Subcommand{{Name: "ab", Summary: "s"}}}.Usage(&b)
	if want := "  ab       s\n  -version"; !strings.Contains(b.String(), want) {
		t.Errorf("short names: %q, want the column as wide as -version: %q", b.String(), want)
	}
}

func TestToolRun(t *testing.T) {
	for _, tc := range []struct {
		name           string
		args           []string
		fail           error
		status         int
		stdout, stderr string // substrings
	}{
		{"done", []string{"copy", "-from", "a", "-to", "b"}, nil, 0, "copied a to b", ""},
		{"no command", nil, nil, 2, "", "usage: testtool COMMAND"},
		{"unknown command", []string{"move"}, nil, 2, "", `testtool: unknown command "move"` + "\nusage: testtool COMMAND"},
		{"version", []string{"-version"}, nil, 0, "testtool ", ""},
		{"version word", []string{"version"}, nil, 0, "testtool ", ""},
		{"help", []string{"help"}, nil, 0, "  copy ", ""},
		{"subcommand help", []string{"copy", "-h"}, nil, 0, "", "-from string"},
		{"missing flags", []string{"copy", "-n"}, nil, 2, "", "testtool copy: usage: missing -from, -to\n"},
		{"one missing", []string{"copy", "-to", "b"}, nil, 2, "", "testtool copy: usage: missing -from\n"},
		{"empty is missing", []string{"copy", "-from", "", "-to", "b"}, nil, 2, "", "usage: missing -from"},
		{"stray argument", []string{"copy", "-from", "a", "-to", "b", "c"}, nil, 2, "", `testtool copy: usage: unexpected argument "c" (all inputs are flags)`},
		{"bad flag", []string{"copy", "-nope"}, nil, 2, "", "testtool copy: usage: flag provided but not defined: -nope"},
		{"failure", []string{"copy", "-from", "a", "-to", "b"}, errors.New("disk on fire"), 1, "", "testtool copy: disk on fire\n"},
		{"wrapped usage error", []string{"copy", "-from", "a", "-to", "b"}, fmt.Errorf("%w: -from and -to are the same", command.ErrUsage), 2, "", "testtool copy: usage: -from and -to are the same"},
		{"UsageError", []string{"copy", "-from", "a", "-to", "b"}, command.Usagef("same place"), 2, "", "testtool copy: same place"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			status := tool(tc.fail).Run(tc.args, &out, &errOut)
			if status != tc.status || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("status %d, stdout %q, stderr %q; want %d, %q, %q", status, out.String(), errOut.String(), tc.status, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestProgramErrUsage: a daemon's error wrapping ErrUsage is a usage error
// as a UsageError is.
func TestProgramErrUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	p := command.NewWith("testd", &out, &errOut)
	status := p.Run(nil, func(context.Context, *slog.Logger) error {
		return fmt.Errorf("%w: -socket: no such directory", command.ErrUsage)
	})
	if status != 2 || errOut.String() != "testd: usage: -socket: no such directory\n" {
		t.Errorf("status %d, stderr %q; want 2 and the message", status, errOut.String())
	}
	if !errors.Is(command.Usagef("x"), command.ErrUsage) {
		t.Error("a UsageError does not match ErrUsage")
	}
}
