// Package datapart mounts the box's data partition at boot and recovers
// one that cannot be mounted: it is checked (e2fsck -p, then -y when -p
// stops at errors it leaves for a person), mounted again, and only when
// e2fsck finds nothing it can repair from, made again (mke2fs with the
// image build's options, package e2fs). The box then starts on what is
// left, or on its defaults.
//
// The box identity (package boxid) is kept whenever e2fsck brought it
// back, in its place or in lost+found, where e2fsck puts what it could
// not place; it is given up only when it is truly gone (a new file
// system, or no valid key anywhere after the repair), and then the
// platform link makes a new one and the box must be activated again. The
// Result says which, for the panel (initapi.DataNotice). src/daemon/initd runs
// Mount before it starts the daemons.
package datapart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"picket.dev/picket/src/link/boxid"
	"picket.dev/picket/src/system/e2fs"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/linuxsys"
)

// Checker checks and makes the file system: e2fs.Tools on the box.
type Checker interface {
	Check(ctx context.Context, dev string, mode e2fs.Mode) (e2fs.Result, error)
	Format(ctx context.Context, dev, label string) error
}

// Config says where the data partition is and how it is mounted.
type Config struct {
	Sys   linuxsys.System
	Tools Checker
	// Blocks is /sys/class/block, where the partition is found by its
	// GPT name PartName ("data").
	Blocks, PartName string
	// Label is a new file system's label (e2fs.DataLabel).
	Label string
	// Target is the mount point (/data); Flags the mount flags.
	Target string
	Flags  uintptr
	// IdentityDir is the directory the platform link keeps the box
	// identity under (scannerd -data; boxid.KeyFile below it), inside
	// Target; "" is Target.
	IdentityDir string
	// IdentityDirs, when one of them exists once the partition is
	// mounted, take the place of IdentityDir, the first that exists:
	// the identity's directory moved (into the platform link's own data
	// directory) and a box not yet moved keeps it at IdentityDir.
	IdentityDirs []string
	// Log gets a line for each step ("init: ..."), for the console.
	Log io.Writer
}

// State is what became of the data partition.
type State int

const (
	// Mounted: mounted at the first try, as it was.
	Mounted State = iota
	// Repaired: mounted after e2fsck repaired it.
	Repaired
	// Reset: e2fsck could not repair it; it was made again, empty.
	Reset
	// Unavailable: nothing is mounted (no data partition, or it could not
	// be checked, made or mounted): the box runs and keeps nothing.
	Unavailable
)

var stateNames = [...]string{"mounted", "repaired", "reset", "unavailable"}

func (s State) String() string { return stateNames[s] }

// Identity is what became of the box identity.
type Identity int

const (
	// IdentityUnchecked: the partition mounted as it was; the platform
	// link loads the key itself.
	IdentityUnchecked Identity = iota
	// IdentityKept: in its place, valid, after the repair.
	IdentityKept
	// IdentityRecovered: e2fsck had put it in lost+found; it is back in
	// its place.
	IdentityRecovered
	// IdentityGone: none after the repair or on a new file system: the
	// platform link makes a new one, and the box must be activated again.
	IdentityGone
)

var identityNames = [...]string{"unchecked", "kept", "recovered from lost+found", "gone"}

func (i Identity) String() string { return identityNames[i] }

// Result is what Mount did.
type Result struct {
	State    State
	Identity Identity
	// Mounts is the data partition's mount, for the unmount at shutdown;
	// empty when State is Unavailable.
	Mounts []linuxsys.Mount
}

// Notice is what the panel should tell the operator; ok is false when the
// partition mounted as it was.
func (r Result) Notice() (n initapi.DataNotice, ok bool) {
	switch r.State {
	case Repaired:
		return initapi.DataNotice{Data: initapi.DataRepaired, NewIdentity: r.Identity == IdentityGone}, true
	case Reset:
		return initapi.DataNotice{Data: initapi.DataReset, NewIdentity: true}, true
	case Unavailable:
		return initapi.DataNotice{Data: initapi.DataUnavailable}, true
	}
	return initapi.DataNotice{}, false
}

// maxOutput bounds the lines of e2fsck's output copied to the console: a
// badly damaged file system makes thousands.
const maxOutput = 30

// Mount mounts the data partition, recovering it if it does not mount.
// It never fails: a partition it cannot mount is Unavailable, and the log
// says why. A partition is made again only on e2fsck's word that there is
// nothing to repair from (no valid superblock) or that it could not
// repair it; a file system e2fsck finds consistent that still does not
// mount (a kernel without ext4, say) and an e2fsck that could not run are
// left as they are.
func Mount(ctx context.Context, c Config) Result {
	logf := func(format string, args ...any) { fmt.Fprintf(c.Log, "init: "+format+"\n", args...) }
	dev, err := linuxsys.FindPartition(c.Blocks, c.PartName)
	if err != nil {
		logf("%v: no persistent data", err)
		return Result{State: Unavailable}
	}
	mount := func() ([]linuxsys.Mount, error) {
		return linuxsys.MountAll(c.Sys, []linuxsys.Mount{{Source: dev, Target: c.Target, FSType: "ext4", Flags: c.Flags}})
	}
	mounts, err := mount()
	if err == nil {
		return Result{State: Mounted, Mounts: mounts}
	}
	logf("%v: checking the data partition (e2fsck -p)", err)

	res, err := c.Tools.Check(ctx, dev, e2fs.Preen)
	if err != nil {
		logf("%v: the data partition is left as it is: no persistent data", err)
		return Result{State: Unavailable}
	}
	c.output("e2fsck -p", res)
	if res.ErrorsLeft() && !res.NoFileSystem() {
		logf("e2fsck -p left errors it does not repair alone (status %d): e2fsck -y", res.Status)
		if res, err = c.Tools.Check(ctx, dev, e2fs.Yes); err != nil {
			logf("%v: the data partition is left as it is: no persistent data", err)
			return Result{State: Unavailable}
		}
		c.output("e2fsck -y", res)
	}

	switch {
	case res.Consistent():
		if mounts, err = mount(); err != nil {
			logf("%v: e2fsck finds the file system consistent (status %d) but it does not mount; it is left as it is: no persistent data", err, res.Status)
			return Result{State: Unavailable}
		}
		logf("data partition repaired (e2fsck status %d) and mounted", res.Status)
		return Result{State: Repaired, Identity: c.identity(logf), Mounts: mounts}
	case res.NoFileSystem() || res.ErrorsLeft():
		logf("the data partition cannot be repaired (e2fsck status %d): making a new file system; the box starts on its defaults, with a new identity", res.Status)
		if err := c.Tools.Format(ctx, dev, c.Label); err != nil {
			logf("%v: no persistent data", err)
			return Result{State: Unavailable}
		}
		if mounts, err = mount(); err != nil {
			logf("%v: the new file system does not mount: no persistent data", err)
			return Result{State: Unavailable}
		}
		logf("new data partition made and mounted: the box has a new identity and must be activated again")
		return Result{State: Reset, Identity: IdentityGone, Mounts: mounts}
	}
	logf("e2fsck did not check the data partition (status %d): it is left as it is: no persistent data", res.Status)
	return Result{State: Unavailable}
}

// output copies e2fsck's output to the log, its last maxOutput lines.
func (c Config) output(what string, res e2fs.Result) {
	lines := strings.Split(strings.TrimSpace(res.Output), "\n")
	if len(lines) > maxOutput {
		fmt.Fprintf(c.Log, "init: %s: (%d lines before these)\n", what, len(lines)-maxOutput)
		lines = lines[len(lines)-maxOutput:]
	}
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			fmt.Fprintf(c.Log, "init: %s: %s\n", what, l)
		}
	}
	fmt.Fprintf(c.Log, "init: %s: exit status %d\n", what, res.Status)
}

// maxKeyFile bounds the files read in lost+found as key candidates (a key
// file is about 100 bytes), and maxLost the entries looked at.
const (
	maxKeyFile = 4 << 10
	maxLost    = 10000
)

// identity checks the box identity after a repair: in its place, or
// brought back from lost+found, or gone (a corrupt key file is removed, so
// that the platform link makes a new key instead of refusing to start).
func (c Config) identity(logf func(string, ...any)) Identity {
	dir := c.IdentityDir
	if dir == "" {
		dir = c.Target
	}
	for _, d := range c.IdentityDirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			dir = d
			break
		}
	}
	keyPath := filepath.Join(dir, boxid.KeyFile)
	_, err := boxid.Load(dir)
	if err == nil {
		logf("box identity kept")
		return IdentityKept
	}
	lost := filepath.Join(c.Target, "lost+found")
	if found, ferr := findKey(lost); ferr != nil {
		logf("box identity: %v; lost+found: %v", err, ferr)
	} else if found != "" {
		if rerr := restore(found, keyPath); rerr != nil {
			logf("box identity: %v; found in %s, but %v", err, found, rerr)
		} else {
			c.Sys.Sync()
			logf("box identity: %v; found in %s and put back: kept", err, found)
			return IdentityRecovered
		}
	}
	if errors.Is(err, boxid.ErrCorrupt) {
		if rerr := os.Remove(keyPath); rerr != nil {
			logf("box identity: remove the corrupt key file: %v", rerr)
		}
		c.Sys.Sync()
	}
	logf("box identity lost (%v): a new one will be made, and the box must be activated again", err)
	return IdentityGone
}

// findKey looks through lost+found for files holding a valid box key and
// returns one, or "" when there is none, or when they hold different keys
// (there is no knowing which was the box's).
func findKey(lost string) (string, error) {
	var found string
	var key []byte
	seen := 0
	err := filepath.WalkDir(lost, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == lost && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return nil // an unreadable entry of a damaged tree: skip it
		}
		if seen++; seen > maxLost {
			return fs.SkipAll
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > maxKeyFile {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		id, err := boxid.Parse(b)
		if err != nil {
			return nil
		}
		switch pub := []byte(id.Public()); {
		case key == nil:
			found, key = p, pub
		case !bytes.Equal(key, pub):
			found = ""
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return found, nil
}

// restore moves the key file at found to keyPath (replacing a corrupt
// one), keeping its owner and mode, and syncs the directories.
func restore(found, keyPath string) error {
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o700); err != nil {
		return err
	}
	if err := os.Rename(found, keyPath); err != nil {
		return err
	}
	for _, d := range []string{filepath.Dir(found), filepath.Dir(keyPath)} {
		f, err := os.Open(d)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
