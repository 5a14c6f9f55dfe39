package main

import (
	"picket.dev/picket/src/base/version"

	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"

	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/slots"
)

// errUsage marks errors in how slotctl was called (exit status 2).
var errUsage = errors.New("usage")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

const usageText = `usage: slotctl [-disk PATH | -esp DIR | -grubenv FILE] [-key PUB] COMMAND
commands:
  show              print the slot state and, from the boot partition, the
                    slots' manifests (board, version, sha256)
  try SLOT [TRIES]  boot SLOT (a or b) on trial next, at most TRIES times
                    (1 to %d, default %d) before falling back
  good SLOT         record that SLOT (a or b) booted well: a slot on trial
                    becomes the active slot
  giveup            end a trial; the active slot stays
where the slot state is (at most one; none means this box's own boot
partition, mounted for the moment, as root):
  -disk PATH        a disk image or block device, not mounted (host side)
  -esp DIR          a mounted boot partition (its DIR/grubenv)
  -grubenv FILE     a GRUB environment block file
  -key PUB          with show: check the manifests' signatures with this
                    release public key (PEM)
`

func usage(w io.Writer) {
	fmt.Fprintf(w, usageText, slots.MaxTries, slots.MaxTries)
}

// options is a parsed command line.
type options struct {
	disk, esp, grubenv string
	key                string
	cmd                string
	slot               string // try, good
	tries              int    // try
}

// parseArgs parses the command line; its errors wrap errUsage.
func parseArgs(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("slotctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.disk, "disk", "", "")
	fs.StringVar(&o.esp, "esp", "", "")
	fs.StringVar(&o.grubenv, "grubenv", "", "")
	fs.StringVar(&o.key, "key", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageErr("%v; the flags are -disk PATH, -esp DIR, -grubenv FILE and -key PUB", err)
	}
	var given []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "key" {
			given = append(given, "-"+f.Name)
		}
	})
	if len(given) > 1 {
		return o, usageErr("%s given together; give at most one of -disk, -esp, -grubenv (none: this box's boot partition)", strings.Join(given, " and "))
	}
	for _, v := range []struct{ name, val string }{{"disk", o.disk}, {"esp", o.esp}, {"grubenv", o.grubenv}, {"key", o.key}} {
		if isSet(fs, v.name) && v.val == "" {
			return o, usageErr("-%s is empty; give a path", v.name)
		}
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return o, usageErr("no command; want show, try, good or giveup")
	}
	o.cmd, rest = rest[0], rest[1:]
	for _, a := range rest {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			if _, err := strconv.Atoi(a); err != nil {
				return o, usageErr("%s after the command %s; flags go before the command", a, o.cmd)
			}
		}
	}
	switch o.cmd {
	case "show", "giveup":
		if len(rest) != 0 {
			return o, usageErr("%s takes no arguments, got %q", o.cmd, rest)
		}
	case "try":
		if len(rest) < 1 || len(rest) > 2 {
			return o, usageErr("try takes SLOT [TRIES], got %d arguments", len(rest))
		}
		o.slot, o.tries = rest[0], slots.MaxTries
		if len(rest) == 2 {
			n, err := strconv.Atoi(rest[1])
			if err != nil || n < 1 || n > slots.MaxTries {
				return o, usageErr("try %s %s: TRIES must be a number from 1 to %d", rest[0], rest[1], slots.MaxTries)
			}
			o.tries = n
		}
	case "good":
		if len(rest) != 1 {
			return o, usageErr("good takes one argument, the SLOT (a or b); got %d", len(rest))
		}
		o.slot = rest[0]
	default:
		return o, usageErr("unknown command %q; want show, try, good or giveup", o.cmd)
	}
	if (o.cmd == "try" || o.cmd == "good") && !slots.ValidSlot(o.slot) {
		return o, usageErr("%s: slot %q; want a or b", o.cmd, o.slot)
	}
	if o.key != "" {
		if o.cmd != "show" {
			return o, usageErr("-key only applies to show (it checks the slot manifests), not to %s", o.cmd)
		}
		if o.grubenv != "" {
			return o, usageErr("-key checks the slot manifests on the boot partition, and -grubenv gives none; use -disk or -esp")
		}
	}
	return o, nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// run runs slotctl with args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-version" || args[0] == "--version") {
		if err := version.Get("slotctl").Fprint(stdout); err != nil {
			return 1
		}
		return 0
	}
	o, err := parseArgs(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "slotctl: %s\n", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		usage(stderr)
		return 2
	}
	if err := execute(context.Background(), o, stdout); err != nil {
		fmt.Fprintf(stderr, "slotctl: %v\n", err)
		return 1
	}
	return 0
}

// execute runs a parsed command.
func execute(ctx context.Context, o options, stdout io.Writer) error {
	var pub ed25519.PublicKey
	if o.key != "" {
		k, err := manifest.LoadPublicKey(o.key)
		if err != nil {
			return fmt.Errorf("-key: %w", err)
		}
		pub = k
	}
	write := o.cmd != "show"
	s, err := open(ctx, o, write)
	if err != nil {
		return err
	}
	err = act(o, s, pub, stdout)
	if ferr := s.finish(err == nil && write); ferr != nil && err == nil {
		err = ferr
	}
	return err
}

// act does the command on an open session. Changes reach the disk only
// when the session is finished.
func act(o options, s *session, pub ed25519.PublicKey, stdout io.Writer) error {
	switch o.cmd {
	case "try":
		if err := slots.SetTrying(s.grubenv, o.slot, o.tries); err != nil {
			return fmt.Errorf("%s: %w", s.where, err)
		}
	case "good":
		if err := slots.MarkGood(s.grubenv, o.slot); err != nil {
			return fmt.Errorf("%s: %w", s.where, err)
		}
	case "giveup":
		if err := slots.GiveUp(s.grubenv); err != nil {
			return fmt.Errorf("%s: %w", s.where, err)
		}
	}
	st, err := slots.Read(s.grubenv)
	if err != nil {
		return fmt.Errorf("%s: %w", s.where, err)
	}
	fmt.Fprint(stdout, formatState(st))
	if o.cmd != "show" || s.readFile == nil {
		return nil
	}
	bad := 0
	for _, slot := range []string{"a", "b"} {
		name := "slot-" + slot + ".manifest"
		data, err := s.readFile(name)
		line, ok := manifestLine(slot, name, data, err, pub)
		fmt.Fprintln(stdout, line)
		if !ok {
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("%s: %d slot manifest(s) failed the signature check with -key %s", s.where, bad, o.key)
	}
	return nil
}

// formatState is show's state part: "active a\ntrying b (2 tries left)\n".
func formatState(st slots.State) string {
	trying := "none"
	if st.Trying != "" {
		left := strconv.Itoa(st.Tries) + " tries left"
		if st.Tries == 1 {
			left = "1 try left"
		}
		trying = st.Trying + " (" + left + ")"
	}
	return "active " + st.Active + "\ntrying " + trying + "\n"
}

// manifestLine summarizes one slot's signed manifest file. Without a key
// it says what the file claims and that nothing was checked; with one it
// says whether the signature holds. ok is false only for a signature
// that was checked and failed (a missing file is reported, not failed).
func manifestLine(slot, name string, data []byte, readErr error, pub ed25519.PublicKey) (line string, ok bool) {
	prefix := "slot " + slot + ": "
	if errors.Is(readErr, os.ErrNotExist) {
		return prefix + "no " + name + " on the boot partition", true
	}
	if readErr != nil {
		return prefix + "cannot read " + name + ": " + readErr.Error(), true
	}
	claimed, perr := peek(data)
	summary := ""
	if perr == nil {
		summary = describe(claimed)
	}
	if pub == nil {
		if perr != nil {
			return prefix + name + " is not a signed manifest: " + perr.Error(), true
		}
		return prefix + summary + " (signature not checked; give -key PUB to check it)", true
	}
	m, err := manifest.Verify(data, []ed25519.PublicKey{pub})
	if err != nil {
		if perr != nil {
			return prefix + "signature BAD: " + err.Error(), false
		}
		return prefix + summary + " (unverified), signature BAD: " + err.Error(), false
	}
	return prefix + describe(m) + ", signature ok", true
}

// peek decodes a signed manifest file without checking its signature,
// for display only.
func peek(data []byte) (manifest.Manifest, error) {
	var s manifest.SignedManifest
	if err := json.Unmarshal(data, &s); err != nil {
		return manifest.Manifest{}, fmt.Errorf("decode: %w", err)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(s.Manifest, &m); err != nil {
		return manifest.Manifest{}, fmt.Errorf("decode the manifest inside: %w", err)
	}
	return m, nil
}

func describe(m manifest.Manifest) string {
	sum := m.SHA256
	if len(sum) > 12 {
		sum = sum[:12]
	}
	return "board " + printable(m.Board) + " version " + printable(m.Version) + " sha256 " + printable(sum)
}

// printable quotes strings from the disk that would garble the terminal
// or look like more than one word.
func printable(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.IsSpace(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
