package command_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"picket.dev/picket/src/base/command"
)

func run(t *testing.T, args []string, fn func(context.Context, *slog.Logger) error) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	p := command.NewWith("testd", &out, &errOut)
	name := p.Flags.String("name", "", "a flag")
	status := p.Run(args, func(ctx context.Context, log *slog.Logger) error {
		if *name == "" {
			return command.Usagef("-name is required")
		}
		return fn(ctx, log)
	})
	return status, out.String(), errOut.String()
}

func TestExitStatus(t *testing.T) {
	ok := func(context.Context, *slog.Logger) error { return nil }
	for _, tc := range []struct {
		name   string
		args   []string
		fn     func(context.Context, *slog.Logger) error
		status int
		stdout string // substring
		stderr string // substring
	}{
		{"done", []string{"-name", "x"}, ok, 0, "", ""},
		{"version", []string{"-version"}, nil, 0, "testd ", ""},
		{"help", []string{"-h"}, nil, 0, "", "-version"},
		{"bad flag", []string{"-nope"}, nil, 2, "", "flag provided but not defined: -nope"},
		{"stray argument", []string{"-name", "x", "serve"}, nil, 2, "", `testd: unexpected arguments ["serve"]`},
		{"usage error", nil, nil, 2, "", "testd: -name is required"},
		{"failure", []string{"-name", "x"}, func(context.Context, *slog.Logger) error {
			return errors.New("disk on fire")
		}, 1, "", "testd: disk on fire"},
		{"log on stderr", []string{"-name", "x"}, func(_ context.Context, log *slog.Logger) error {
			log.Info("starting", "k", "v")
			return nil
		}, 0, "", "level=INFO msg=starting k=v"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := tc.fn
			if fn == nil {
				fn = func(context.Context, *slog.Logger) error {
					t.Error("fn ran")
					return nil
				}
			}
			status, out, errOut := run(t, tc.args, fn)
			if status != tc.status || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("status %d, stdout %q, stderr %q; want %d, %q, %q", status, out, errOut, tc.status, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestSignal runs the test binary as a program that waits for its
// context; SIGTERM must cancel it and end it with status 0.
func TestSignal(t *testing.T) {
	if os.Getenv("COMMAND_TEST_CHILD") == "1" {
		p := command.New("testd")
		os.Exit(p.Run(nil, func(ctx context.Context, log *slog.Logger) error {
			fmt.Println("ready")
			<-ctx.Done()
			fmt.Println("cancelled")
			return ctx.Err()
		}))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignal$")
	cmd.Env = append(os.Environ(), "COMMAND_TEST_CHILD=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("child did not get ready: %q", lines.Text())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() || lines.Text() != "cancelled" {
		t.Errorf("the context was not cancelled: %q", lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v", err)
	}
}
