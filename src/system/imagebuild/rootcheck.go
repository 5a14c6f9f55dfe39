package imagebuild

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Shells are names no file of a rootfs may have: shells, multi-call
// binaries that carry one, and script interpreters. The box runs its own
// daemons and nothing else; a shell would hand whoever gets code running
// on it a general tool (docs/privileges.md).
var Shells = []string{
	"sh", "ash", "dash", "bash", "rbash", "zsh", "ksh", "ksh93", "mksh", "pdksh", "oksh", "yash", "posh", "csh", "tcsh", "fish",
	"busybox", "toybox",
	"python", "python3", "perl", "lua", "tclsh", "awk", "gawk", "mawk",
}

// shellMarks are strings found in shell binaries that may carry another
// name (a renamed BusyBox or bash).
var shellMarks = [][]byte{[]byte("BusyBox v"), []byte("GNU bash, version"), []byte("Toybox ")}

// CheckRootfs refuses a staged rootfs tree (under dir) that holds a shell
// (by name or by the banner compiled into BusyBox, Toybox, bash) or a
// file with the setuid or setgid bit: the image's daemons get their
// rights from init (docs/privileges.md), never from a file.
func CheckRootfs(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != 0 && !fi.IsDir() {
			return fmt.Errorf("rootfs: %s is %v: no setuid or setgid file may be in the image", rel, fi.Mode())
		}
		if slices.Contains(Shells, d.Name()) {
			return fmt.Errorf("rootfs: %s: no shell or interpreter may be in the image", rel)
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range shellMarks {
			if bytes.Contains(b, m) {
				return fmt.Errorf("rootfs: %s holds %q, a shell's banner: no shell may be in the image", rel, m)
			}
		}
		return nil
	})
}
