package datapart_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"picket.dev/picket/src/link/boxid"
	"picket.dev/picket/src/system/datapart"
	"picket.dev/picket/src/system/e2fs"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/linuxsys"
)

// fakeSys is the kernel's mount(2): each call takes the next error of
// mounts (nil: mounted), and is recorded.
type fakeSys struct {
	mounts []error
	calls  []linuxsys.Mount
	syncs  int
}

func (f *fakeSys) Mount(source, target, fstype string, flags uintptr, data string) error {
	f.calls = append(f.calls, linuxsys.Mount{Source: source, Target: target, FSType: fstype, Flags: flags, Data: data})
	if len(f.mounts) == 0 {
		return errors.New("fakeSys: more mounts than the case expects")
	}
	err := f.mounts[0]
	f.mounts = f.mounts[1:]
	return err
}
func (f *fakeSys) Unmount(string, int) error       { return errors.New("not expected") }
func (f *fakeSys) Sync()                           { f.syncs++ }
func (f *fakeSys) Reboot(int) error                { return errors.New("not expected") }
func (f *fakeSys) Sethostname(string) error        { return errors.New("not expected") }
func (f *fakeSys) LoadModule(string, string) error { return errors.New("not expected") }

// step is one answer of the fake e2fsprogs: e2fsck's exit status (or an
// error running it), and what it does to the files (a repair that moves
// what it cannot place into lost+found).
type step struct {
	status int
	err    error
	effect func()
}

// fakeTools is e2fsprogs: each Check takes the next step; Format fails
// with formatErr. It records what was run ("-p", "-y", "mkfs LABEL").
type fakeTools struct {
	checks    []step
	formatErr error
	runs      []string
	dev       string
}

func (f *fakeTools) Check(_ context.Context, dev string, mode e2fs.Mode) (e2fs.Result, error) {
	f.dev = dev
	f.runs = append(f.runs, map[e2fs.Mode]string{e2fs.Preen: "-p", e2fs.Yes: "-y"}[mode])
	if len(f.checks) == 0 {
		return e2fs.Result{}, errors.New("fakeTools: more checks than the case expects")
	}
	s := f.checks[0]
	f.checks = f.checks[1:]
	if s.effect != nil {
		s.effect()
	}
	return e2fs.Result{Status: s.status, Output: fmt.Sprintf("PICKETDATA: status %d\n", s.status)}, s.err
}

func (f *fakeTools) Format(_ context.Context, dev, label string) error {
	f.runs = append(f.runs, "mkfs "+label)
	return f.formatErr
}

// box is a data partition's world: /sys/class/block with the disk's
// partitions, and the directory the file system is "mounted" on, which
// holds what the file system holds.
type box struct {
	blocks, data string
}

func newBox(t *testing.T, partName string) box {
	t.Helper()
	dir := t.TempDir()
	b := box{blocks: filepath.Join(dir, "sys", "class", "block"), data: filepath.Join(dir, "data")}
	for _, p := range []struct{ dev, name string }{{"vda1", "boot"}, {"vda2", "rootfs_a"}, {"vda3", "rootfs_b"}, {"vda4", partName}} {
		d := filepath.Join(b.blocks, p.dev)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "uevent"), []byte("MAJOR=254\nDEVNAME="+p.dev+"\nDEVTYPE=partition\nPARTNAME="+p.name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(b.data, 0o755); err != nil {
		t.Fatal(err)
	}
	return b
}

// key puts a box identity in the data directory and returns its file's
// bytes.
func (b box) key(t *testing.T) []byte {
	t.Helper()
	if _, _, err := boxid.LoadOrCreate(b.data, rand.Reader); err != nil {
		t.Fatal(err)
	}
	k, err := os.ReadFile(filepath.Join(b.data, boxid.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (b box) write(t *testing.T, name string, data []byte) {
	t.Helper()
	p := filepath.Join(b.data, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (b box) move(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(b.data, to)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(b.data, from), filepath.Join(b.data, to)); err != nil {
		t.Fatal(err)
	}
}

const flags = syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC

func run(t *testing.T, b box, sys *fakeSys, tools *fakeTools) (datapart.Result, string) {
	t.Helper()
	var log bytes.Buffer
	res := datapart.Mount(context.Background(), datapart.Config{
		Sys: sys, Tools: tools, Blocks: b.blocks, PartName: "data", Label: e2fs.DataLabel,
		Target: b.data, Flags: flags, Log: &log,
	})
	t.Logf("log:\n%s", log.String())
	for _, c := range sys.calls {
		if want := (linuxsys.Mount{Source: "/dev/vda4", Target: b.data, FSType: "ext4", Flags: flags}); c != want {
			t.Errorf("mount %+v, want %+v", c, want)
		}
	}
	if tools.dev != "" && tools.dev != "/dev/vda4" {
		t.Errorf("e2fsck ran on %s, want /dev/vda4", tools.dev)
	}
	wantMounts := 0
	if res.State != datapart.Unavailable {
		wantMounts = 1
	}
	if len(res.Mounts) != wantMounts {
		t.Errorf("result has mounts %v in state %v", res.Mounts, res.State)
	}
	return res, log.String()
}

var (
	badFS    = errors.New("structure needs cleaning") // EUCLEAN, the kernel's word for corrupt metadata
	noDevice = syscall.ENODEV
)

func TestMountDecisions(t *testing.T) {
	for _, c := range []struct {
		name   string
		part   string // the data partition's GPT name ("data")
		mounts []error
		checks []step
		// formatErr fails mkfs.
		formatErr error
		// key: an identity in place before the boot.
		key bool
		// after is what e2fsck's repair did to the files.
		after func(t *testing.T, b box)

		wantRuns     []string
		wantState    datapart.State
		wantIdentity datapart.Identity
		wantNotice   *initapi.DataNotice
		// wantKey: the key file after Mount holds the key from before.
		wantKey bool
	}{
		{
			name: "mounts as it is", mounts: []error{nil}, key: true,
			wantState: datapart.Mounted, wantIdentity: datapart.IdentityUnchecked, wantKey: true,
		},
		{
			name: "preen repairs it, identity in place", mounts: []error{badFS, nil}, key: true,
			checks:   []step{{status: 1}},
			wantRuns: []string{"-p"}, wantState: datapart.Repaired, wantIdentity: datapart.IdentityKept, wantKey: true,
			wantNotice: &initapi.DataNotice{Data: initapi.DataRepaired},
		},
		{
			// e2fsck -p fixes a group descriptor checksum and exits 0.
			name: "preen finds nothing to report, the mount then works", mounts: []error{badFS, nil}, key: true,
			checks:   []step{{status: 0}},
			wantRuns: []string{"-p"}, wantState: datapart.Repaired, wantIdentity: datapart.IdentityKept, wantKey: true,
			wantNotice: &initapi.DataNotice{Data: initapi.DataRepaired},
		},
		{
			name: "preen stops, yes repairs and puts the identity directory in lost+found", mounts: []error{badFS, nil}, key: true,
			checks: []step{{status: 4}, {status: 1}},
			after: func(t *testing.T, b box) {
				b.move(t, "identity", "lost+found/#12")
				b.write(t, "lost+found/#13", []byte(`{"settings_version": 3}`))
			},
			wantRuns: []string{"-p", "-y"}, wantState: datapart.Repaired, wantIdentity: datapart.IdentityRecovered, wantKey: true,
			wantNotice: &initapi.DataNotice{Data: initapi.DataRepaired},
		},
		{
			name: "yes repairs, the key file itself in lost+found, a corrupt one in its place", mounts: []error{badFS, nil}, key: true,
			checks: []step{{status: 4}, {status: 3}},
			after: func(t *testing.T, b box) {
				b.move(t, boxid.KeyFile, "lost+found/#20")
				b.write(t, boxid.KeyFile, []byte("-----BEGIN PICKET BOX ED25519 SEED-----\nAAAA"))
			},
			wantRuns: []string{"-p", "-y"}, wantState: datapart.Repaired, wantIdentity: datapart.IdentityRecovered, wantKey: true,
			wantNotice: &initapi.DataNotice{Data: initapi.DataRepaired},
		},
		{
			name: "repaired, the identity gone", mounts: []error{badFS, nil}, key: true,
			checks: []step{{status: 4}, {status: 1}},
			after: func(t *testing.T, b box) {
				os.RemoveAll(filepath.Join(b.data, "identity"))
				b.write(t, "lost+found/#13", []byte("not a key"))
			},
			wantRuns: []string{"-p", "-y"}, wantState: datapart.Repaired, wantIdentity: datapart.IdentityGone,
			wantNotice: &initapi.DataNotice{Data: initapi.DataRepaired, NewIdentity: true},
		},
		{
			name: "repaired, the key file corrupt and nothing in lost+found", mounts: []error{badFS, nil}, key: true,
			checks: []step{{status: 1}},
			after: func(t *testing.T, b box) {
				b.write(t, boxid.KeyFile, make([]byte, 120))
			},
			wantRuns: []string{"-p"}, wantState: datapart.Repaired, wantIdentity: datapart.IdentityGone,
			wantNotice: &initapi.DataNotice{Data: initapi.DataRepaired, NewIdentity: true},
		},
		{
			name: "repaired, two different keys in lost+found", mounts: []error{badFS, nil}, key: true,
			checks: []step{{status: 4}, {status: 1}},
			after: func(t *testing.T, b box) {
				b.move(t, boxid.KeyFile, "lost+found/#20")
				other := t.TempDir()
				boxid.LoadOrCreate(other, rand.Reader)
				k, _ := os.ReadFile(filepath.Join(other, boxid.KeyFile))
				b.write(t, "lost+found/#21", k)
			},
			wantRuns: []string{"-p", "-y"}, wantState: datapart.Repaired, wantIdentity: datapart.IdentityGone,
			wantNotice: &initapi.DataNotice{Data: initapi.DataRepaired, NewIdentity: true},
		},
		{
			name: "no superblock left: a new file system", mounts: []error{badFS, nil}, key: true,
			checks:   []step{{status: 8}},
			wantRuns: []string{"-p", "mkfs PICKETDATA"}, wantState: datapart.Reset, wantIdentity: datapart.IdentityGone,
			wantNotice: &initapi.DataNotice{Data: initapi.DataReset, NewIdentity: true},
		},
		{
			name: "yes cannot repair it: a new file system", mounts: []error{badFS, nil},
			checks:   []step{{status: 4}, {status: 4}},
			wantRuns: []string{"-p", "-y", "mkfs PICKETDATA"}, wantState: datapart.Reset, wantIdentity: datapart.IdentityGone,
			wantNotice: &initapi.DataNotice{Data: initapi.DataReset, NewIdentity: true},
		},
		{
			name: "consistent but still does not mount: left alone", mounts: []error{noDevice, noDevice}, key: true,
			checks:   []step{{status: 0}},
			wantRuns: []string{"-p"}, wantState: datapart.Unavailable, wantKey: true,
			wantNotice: &initapi.DataNotice{Data: initapi.DataUnavailable},
		},
		{
			name: "e2fsck does not run: left alone", mounts: []error{badFS}, key: true,
			checks:   []step{{err: errors.New("exec: no such file")}},
			wantRuns: []string{"-p"}, wantState: datapart.Unavailable, wantKey: true,
			wantNotice: &initapi.DataNotice{Data: initapi.DataUnavailable},
		},
		{
			name: "e2fsck's libraries do not load: left alone", mounts: []error{badFS}, key: true,
			checks:   []step{{status: 128 | 8}},
			wantRuns: []string{"-p"}, wantState: datapart.Unavailable, wantKey: true,
			wantNotice: &initapi.DataNotice{Data: initapi.DataUnavailable},
		},
		{
			name: "mkfs fails", mounts: []error{badFS},
			checks: []step{{status: 8}}, formatErr: errors.New("mke2fs: not run: read /dev/vda4: input/output error"),
			wantRuns: []string{"-p", "mkfs PICKETDATA"}, wantState: datapart.Unavailable,
			wantNotice: &initapi.DataNotice{Data: initapi.DataUnavailable},
		},
		{
			name: "new file system does not mount", mounts: []error{badFS, badFS},
			checks:   []step{{status: 8}},
			wantRuns: []string{"-p", "mkfs PICKETDATA"}, wantState: datapart.Unavailable,
			wantNotice: &initapi.DataNotice{Data: initapi.DataUnavailable},
		},
		{
			name: "no data partition", part: "other",
			wantState:  datapart.Unavailable,
			wantNotice: &initapi.DataNotice{Data: initapi.DataUnavailable},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			part := c.part
			if part == "" {
				part = "data"
			}
			b := newBox(t, part)
			var key []byte
			if c.key {
				key = b.key(t)
			}
			// The fake e2fsck's last run does what the repair did to the
			// files.
			checks := slices.Clone(c.checks)
			if c.after != nil {
				checks[len(checks)-1].effect = func() { c.after(t, b) }
			}
			sys := &fakeSys{mounts: c.mounts}
			tools := &fakeTools{checks: checks, formatErr: c.formatErr}
			res, log := run(t, b, sys, tools)
			if res.State != c.wantState || res.Identity != c.wantIdentity {
				t.Errorf("state %v, identity %v; want %v, %v", res.State, res.Identity, c.wantState, c.wantIdentity)
			}
			if !slices.Equal(tools.runs, c.wantRuns) {
				t.Errorf("ran %q, want %q", tools.runs, c.wantRuns)
			}
			if len(sys.mounts) != 0 {
				t.Errorf("%d mount(2) calls fewer than expected", len(sys.mounts))
			}
			n, ok := res.Notice()
			switch {
			case c.wantNotice == nil && ok:
				t.Errorf("notice %+v, want none", n)
			case c.wantNotice != nil && (!ok || n != *c.wantNotice):
				t.Errorf("notice %+v (%v), want %+v", n, ok, *c.wantNotice)
			}
			got, err := os.ReadFile(filepath.Join(b.data, boxid.KeyFile))
			switch {
			case c.wantKey && (err != nil || !bytes.Equal(got, key)):
				t.Errorf("key file after Mount: %q, %v; want the key from before", got, err)
			case !c.wantKey && c.wantState == datapart.Repaired && err == nil:
				// A corrupt key is removed, so that the platform link
				// makes a new one instead of refusing to start.
				t.Errorf("key file after a repair that lost the identity: %q; want none", got)
			}
			if res.Identity == datapart.IdentityGone && !strings.Contains(log, "activated again") {
				t.Errorf("the log does not say the box must be activated again")
			}
			if c.wantState == datapart.Unavailable && !strings.Contains(log, "no persistent data") {
				t.Errorf("the log does not say there is no persistent data")
			}
		})
	}
}

// A recovered key keeps its mode, and the box loads it.
func TestRecoveredKeyLoads(t *testing.T) {
	b := newBox(t, "data")
	key := b.key(t)
	tools := &fakeTools{checks: []step{{status: 4}, {status: 1, effect: func() { b.move(t, "identity", "lost+found/#12") }}}}
	res, _ := run(t, b, &fakeSys{mounts: []error{badFS, nil}}, tools)
	if res.Identity != datapart.IdentityRecovered {
		t.Fatalf("identity %v, want recovered", res.Identity)
	}
	id, err := boxid.Load(b.data)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := boxid.Parse(key)
	if !id.Public().Equal(want.Public()) {
		t.Errorf("loaded %v, want %v", id, want)
	}
	st, err := os.Stat(filepath.Join(b.data, boxid.KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	if _, err := os.Stat(filepath.Join(b.data, "lost+found/#12/box.key")); err == nil {
		t.Error("the key is still in lost+found too")
	}
}

// The identity in the platform link's own data directory (IdentityDirs,
// docs/privileges.md) is the one checked after a repair; a box whose
// files were not moved there yet keeps it at IdentityDir.
func TestIdentityInDaemonDirectory(t *testing.T) {
	for _, moved := range []bool{true, false} {
		b := newBox(t, "data")
		b.key(t)
		if moved {
			b.move(t, "identity", "scannerd/identity")
		}
		var log bytes.Buffer
		res := datapart.Mount(context.Background(), datapart.Config{
			Sys: &fakeSys{mounts: []error{badFS, nil}}, Tools: &fakeTools{checks: []step{{status: 1}}}, Blocks: b.blocks,
			PartName: "data", Label: e2fs.DataLabel, Target: b.data, Flags: flags, Log: &log,
			IdentityDirs: []string{filepath.Join(b.data, "scannerd")},
		})
		if res.Identity != datapart.IdentityKept {
			t.Errorf("moved %v: identity %v, want kept\n%s", moved, res.Identity, log.String())
		}
	}
}
