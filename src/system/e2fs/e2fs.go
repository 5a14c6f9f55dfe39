// Package e2fs runs e2fsprogs on the data partition's ext4 file system:
// e2fsck to check and repair it, mke2fs to make it. The options a data
// partition is made with live here (FormatArgs), so that the image build
// (imagebuild.BuildExt4, with the build host's mke2fs) and a box that
// makes its data partition again (with the image's own mke2fs) make the
// same file system. The images carry Debian's e2fsck and mke2fs with the
// shared libraries they load, unpacked by tools/fetch from the pinned
// packages of third_party/inputs.lock (docs/architecture.md section 7).
package e2fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// The tools' paths in the image (Debian's).
const (
	E2fsck = "/sbin/e2fsck"
	Mke2fs = "/sbin/mke2fs"
)

// DataLabel is the data partition's file system label.
const DataLabel = "PICKETDATA"

// Features are the data partition's ext4 features, all of them: mke2fs
// starts from none (FormatArgs), so neither the build host's
// /etc/mke2fs.conf nor a newer mke2fs's defaults can add or drop one.
// They are Debian bookworm's ext4 defaults: a journal (a power cut leaves
// the file system consistent after replay) and metadata checksums (the
// kernel refuses to mount corrupted metadata instead of reading it).
const Features = "has_journal,ext_attr,resize_inode,dir_index,filetype,extent,64bit,flex_bg,sparse_super,large_file,huge_file,dir_nlink,extra_isize,metadata_csum"

// NoConfigEnv points mke2fs at a configuration file that does not exist:
// it then takes its built-in profile, not the host's /etc/mke2fs.conf
// (the image has none). FormatArgs gives every option that matters
// anyway; this keeps the rest (default mount options, reserved blocks)
// the same on both sides.
const NoConfigEnv = "MKE2FS_CONFIG=/nonexistent/mke2fs.conf"

// FormatArgs are mke2fs's arguments for a data partition labelled label,
// but the device: 4 KiB blocks, Features and nothing else, the root
// directory owned by root, the rest (inode size and count) from mke2fs's
// built-in profile for the partition's size (NoConfigEnv). extended
// are more -E options (the build's fixed hash seed and full inode
// tables, for reproducible bytes).
func FormatArgs(label string, extended ...string) []string {
	return []string{"-q", "-F", "-t", "ext4", "-T", "default", "-b", "4096", "-O", "none," + Features, "-L", label,
		"-E", strings.Join(append([]string{"root_owner=0:0"}, extended...), ",")}
}

// Mode is how e2fsck may repair.
type Mode int

const (
	// Preen (-p) repairs what is safe without a person and stops at
	// anything else (exit status 4).
	Preen Mode = iota
	// Yes (-y) answers yes to every question: it repairs what it can,
	// moving what it cannot place into lost+found.
	Yes
)

func (m Mode) flag() string {
	if m == Yes {
		return "-y"
	}
	return "-p"
}

// Result is e2fsck's exit status (e2fsck(8), EXIT CODE: a sum of bits)
// and what it printed.
type Result struct {
	Status int
	Output string
}

// The exit status bits.
const (
	corrected   = 1   // file system errors corrected
	reboot      = 2   // corrected, the system should be rebooted (a mounted root)
	uncorrected = 4   // errors left uncorrected
	operational = 8   // operational error: no valid superblock, device unreadable
	usage       = 16  // usage or syntax error
	cancelled   = 32  // cancelled by request
	library     = 128 // shared library error
)

// Consistent reports that the file system is consistent now: no errors,
// or all corrected.
func (r Result) Consistent() bool { return r.Status&^(corrected|reboot) == 0 }

// Changed reports that e2fsck corrected something.
func (r Result) Changed() bool { return r.Status&(corrected|reboot) != 0 }

// ErrorsLeft reports that e2fsck ran through and left errors (with
// Preen: errors it needs a person for).
func (r Result) ErrorsLeft() bool { return r.Status&uncorrected != 0 && !r.broken() }

// NoFileSystem reports the operational error e2fsck ends with when it
// finds no valid superblock on a device it could read: no copy left to
// repair from.
func (r Result) NoFileSystem() bool { return r.Status&operational != 0 && !r.broken() }

// broken is an e2fsck that did not do its work: a usage error (a bug
// here), a cancel, or a library that did not load (a bad image). Its
// verdict says nothing about the file system.
func (r Result) broken() bool { return r.Status&(usage|cancelled|library) != 0 }

// Tools runs the image's e2fsck and mke2fs; zero paths are E2fsck and
// Mke2fs.
type Tools struct {
	E2fsck, Mke2fs string
}

// Check runs e2fsck on dev in mode, forced (-f): it is asked about a file
// system the kernel would not mount, which may still be marked clean (a
// corruption the kernel found without recording it). The error is for an
// e2fsck that could not be run at all (missing from the image, killed);
// otherwise the exit status says what it found.
func (t Tools) Check(ctx context.Context, dev string, mode Mode) (Result, error) {
	cmd := exec.CommandContext(ctx, or(t.E2fsck, E2fsck), mode.flag(), "-f", dev)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	res := Result{Output: out.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		res.Status = exit.ExitCode()
	default:
		return res, fmt.Errorf("e2fsck %s -f %s: %w", mode.flag(), dev, err)
	}
	return res, nil
}

// Format makes a new data partition file system labelled label on dev
// (FormatArgs, with lazy inode table initialisation: the kernel zeroes
// the tables in the background after the mount, so a large disk does not
// hold up the boot). Everything on dev is lost. A device whose first
// blocks cannot be read is not formatted: e2fsck says "no valid
// superblock" of a device that fails to read too, and an I/O error is not
// a reason to wipe a disk.
func (t Tools) Format(ctx context.Context, dev, label string) error {
	if err := readable(dev); err != nil {
		return fmt.Errorf("mke2fs %s: not run: %w", dev, err)
	}
	cmd := exec.CommandContext(ctx, or(t.Mke2fs, Mke2fs), append(FormatArgs(label), dev)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NoConfigEnv}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mke2fs %s: %w: %s", dev, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// readable reads the first 64 KiB of dev (the superblock's region).
func readable(dev string) error {
	f, err := os.Open(dev)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.ReadFull(f, make([]byte, 64<<10)); err != nil {
		return fmt.Errorf("read %s: %w", dev, err)
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
