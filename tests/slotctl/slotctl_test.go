// Package slotctl_test runs the slotctl binary against real disk images
// (GPT written by imagebuild, FAT boot partition made and read with
// mtools), mounted boot partition directories and grubenv files.
package slotctl_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/testkit/testinput"
)

// result is one slotctl run.
type result struct {
	stdout, stderr string
	code           int
}

func runSlotctl(t *testing.T, bin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run slotctl %q: %v", args, err)
	}
	return r
}

// keys are two release key pairs: slot A's manifest is signed with the
// first, slot B's with the second.
type keys struct {
	pubFiles [2]string
	privs    [2]ed25519.PrivateKey
}

func makeKeys(t *testing.T, dir string) keys {
	t.Helper()
	var k keys
	for i := range k.privs {
		pubPEM, privPEM, err := manifest.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if k.privs[i], err = manifest.ParsePrivateKey(privPEM); err != nil {
			t.Fatal(err)
		}
		k.pubFiles[i] = filepath.Join(dir, "release"+strconv.Itoa(i)+".pub")
		if err := os.WriteFile(k.pubFiles[i], pubPEM, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// espFiles returns the boot partition's files: grubenv (slot A active)
// and a signed manifest per slot, describing rootfs.
func espFiles(t *testing.T, k keys, rootfs string) []imagebuild.File {
	t.Helper()
	env, err := imagebuild.GrubEnv("a", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	files := []imagebuild.File{{Name: "grubenv", Data: env}}
	for i, slot := range []string{"a", "b"} {
		f, err := os.Open(rootfs)
		if err != nil {
			t.Fatal(err)
		}
		m, err := manifest.Describe(f, "testboard", "1.2."+strconv.Itoa(i))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		s, err := manifest.Sign(m, k.privs[i])
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, imagebuild.File{Name: "slot-" + slot + ".manifest", Data: b})
	}
	return files
}

// disk is a small Picket-shaped disk image.
type disk struct {
	path   string
	fat    string // path@@offset of the boot partition, for mtools
	rootfs string // what both slots hold
}

// makeDisk writes a disk with a 2 MiB FAT boot partition, two 1 MiB slots
// and a data partition: a copy of the file data, or 1 MiB of zeros.
func makeDisk(t *testing.T, dir string, k keys, data string) disk {
	t.Helper()
	rootfs := filepath.Join(dir, "rootfs.img")
	if err := os.WriteFile(rootfs, bytes.Repeat([]byte("rootfs "), 10000), 0o644); err != nil {
		t.Fatal(err)
	}
	esp := filepath.Join(dir, "esp.img")
	if err := imagebuild.BuildFAT(context.Background(), esp, imagebuild.FAT{
		Size: 2 << 20, VolumeID: 0x12345678, Label: "PICKETBOOT", Files: espFiles(t, k, rootfs),
	}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "disk.img")
	l, err := imagebuild.Write(path, "slotctl-test", []imagebuild.Part{
		{Name: imagebuild.PartBoot, Type: imagebuild.TypeESP, Source: esp},
		{Name: imagebuild.PartRootfsA, Type: imagebuild.TypeLinux, Source: rootfs},
		{Name: imagebuild.PartRootfsB, Type: imagebuild.TypeLinux, Source: rootfs},
		{Name: imagebuild.PartData, Type: imagebuild.TypeLinux, Source: data, Size: dataSize(t, data)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return disk{path: path, fat: path + "@@" + strconv.FormatInt(l.Parts[0].First*imagebuild.SectorSize, 10), rootfs: rootfs}
}

// diskState reads the grubenv on the disk's boot partition with mtools.
func diskState(t *testing.T, d disk) slots.State {
	t.Helper()
	b, err := imagebuild.ReadFAT(context.Background(), d.fat, "grubenv")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != imagebuild.GrubEnvSize {
		t.Fatalf("grubenv on the disk is %d bytes, want %d", len(b), imagebuild.GrubEnvSize)
	}
	env, err := slots.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	st, err := slots.FromEnv(env)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// sha12 is the short sha256 show prints: its first 12 hex digits.
func sha12(t *testing.T, path string) string {
	t.Helper()
	s := fileSum(t, path)
	return hex.EncodeToString(s[:6])
}

// step is one slotctl run in a sequence on the same place, and what the
// slot state must be afterwards.
type step struct {
	args   []string
	code   int
	stdout string // exact, if not ""
	want   []string
	state  slots.State
}

func TestDisk(t *testing.T) {
	bin := testinput.Command(t, "slotctl")
	dir := t.TempDir()
	k := makeKeys(t, dir)
	d := makeDisk(t, dir, k, "")
	sum := sha12(t, d.rootfs)
	slotA := "slot a: board testboard version 1.2.0 sha256 " + sum
	slotB := "slot b: board testboard version 1.2.1 sha256 " + sum

	before := fileSum(t, d.path)
	r := runSlotctl(t, bin, "-disk", d.path, "show")
	want := "active a\ntrying none\n" + slotA + " (signature not checked; give -key PUB to check it)\n" +
		slotB + " (signature not checked; give -key PUB to check it)\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("show = %d %q, stderr %q; want 0 %q", r.code, r.stdout, r.stderr, want)
	}
	if fileSum(t, d.path) != before {
		t.Fatal("show changed the disk image")
	}

	steps := []step{
		{args: []string{"try", "b", "2"}, stdout: "active a\ntrying b (2 tries left)\n", state: slots.State{Active: "a", Trying: "b", Tries: 2}},
		{args: []string{"show"}, want: []string{"active a\ntrying b (2 tries left)\n"}, state: slots.State{Active: "a", Trying: "b", Tries: 2}},
		{args: []string{"try", "a"}, code: 1, want: []string{"already the active slot"}, state: slots.State{Active: "a", Trying: "b", Tries: 2}},
		{args: []string{"good", "b"}, stdout: "active b\ntrying none\n", state: slots.State{Active: "b"}},
		{args: []string{"try", "a"}, stdout: "active b\ntrying a (3 tries left)\n", state: slots.State{Active: "b", Trying: "a", Tries: 3}},
		{args: []string{"try", "a", "1"}, stdout: "active b\ntrying a (1 try left)\n", state: slots.State{Active: "b", Trying: "a", Tries: 1}},
		{args: []string{"giveup"}, stdout: "active b\ntrying none\n", state: slots.State{Active: "b"}},
		{args: []string{"good", "a"}, code: 1, want: []string{"mark slot a good", "neither active nor trying"}, state: slots.State{Active: "b"}},
		{args: []string{"good", "b"}, stdout: "active b\ntrying none\n", state: slots.State{Active: "b"}},
	}
	for _, s := range steps {
		r := runSlotctl(t, bin, append([]string{"-disk", d.path}, s.args...)...)
		checkRun(t, s, r)
		if got := diskState(t, d); got != s.state {
			t.Errorf("%q: grubenv on the disk says %+v, want %+v", s.args, got, s.state)
		}
	}
	// The other files of the boot partition are untouched.
	for _, name := range []string{"slot-a.manifest", "slot-b.manifest"} {
		if _, err := imagebuild.ReadFAT(context.Background(), d.fat, name); err != nil {
			t.Errorf("after the edits: %v", err)
		}
	}
}

func checkRun(t *testing.T, s step, r result) {
	t.Helper()
	if r.code != s.code {
		t.Errorf("%q: exit %d, want %d; stdout %q stderr %q", s.args, r.code, s.code, r.stdout, r.stderr)
	}
	if s.stdout != "" && r.stdout != s.stdout {
		t.Errorf("%q: stdout %q, want %q", s.args, r.stdout, s.stdout)
	}
	for _, w := range s.want {
		if !strings.Contains(r.stdout+r.stderr, w) {
			t.Errorf("%q: output does not say %q: stdout %q stderr %q", s.args, w, r.stdout, r.stderr)
		}
	}
}

func TestKey(t *testing.T) {
	bin := testinput.Command(t, "slotctl")
	dir := t.TempDir()
	k := makeKeys(t, dir)
	d := makeDisk(t, dir, k, "")
	tests := []struct {
		name string
		key  string
		code int
		want []string
	}{
		{"key of slot a", k.pubFiles[0], 1, []string{"slot a: board testboard version 1.2.0", ", signature ok\n",
			"slot b: board testboard version 1.2.1 sha256 ", "(unverified), signature BAD: ", "not among the trusted keys",
			"1 slot manifest(s) failed the signature check"}},
		{"key of slot b", k.pubFiles[1], 1, []string{"slot a: board testboard version 1.2.0 sha256 ", "(unverified), signature BAD",
			"slot b: board testboard version 1.2.1 sha256 ", ", signature ok\n"}},
		{"no such key", filepath.Join(dir, "nothing.pub"), 1, []string{"-key: read public key", "no such file"}},
		{"not a key", d.rootfs, 1, []string{"-key: ", "no PEM block"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSlotctl(t, bin, "-disk", d.path, "-key", tt.key, "show")
			checkRun(t, step{args: []string{"-key", tt.key}, code: tt.code, want: tt.want}, r)
			pub, _ := os.ReadFile(tt.key)
			if len(pub) > 0 && strings.Contains(r.stdout+r.stderr, strings.TrimSpace(string(pub))) {
				t.Errorf("output contains the key file's contents")
			}
		})
	}
}

func TestESPAndGrubenv(t *testing.T) {
	bin := testinput.Command(t, "slotctl")
	dir := t.TempDir()
	k := makeKeys(t, dir)
	rootfs := filepath.Join(dir, "rootfs.img")
	if err := os.WriteFile(rootfs, []byte("tiny rootfs"), 0o644); err != nil {
		t.Fatal(err)
	}
	esp := filepath.Join(dir, "esp")
	if err := os.Mkdir(esp, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range espFiles(t, k, rootfs) {
		if err := os.WriteFile(filepath.Join(esp, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bare := filepath.Join(dir, "bare")
	if err := os.Mkdir(bare, 0o755); err != nil {
		t.Fatal(err)
	}
	env, err := imagebuild.GrubEnv("b", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(bare, "grubenv"), filepath.Join(dir, "grubenv.file")} {
		if err := os.WriteFile(p, env, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name    string
		flag    []string
		grubenv string
		steps   []step
	}{
		{"esp", []string{"-esp", esp}, filepath.Join(esp, "grubenv"), []step{
			{args: []string{"show"}, want: []string{"active a\ntrying none\nslot a: board testboard version 1.2.0 sha256 ", "slot b: board testboard version 1.2.1"}, state: slots.State{Active: "a"}},
			{args: []string{"-key", k.pubFiles[0], "show"}, code: 1, want: []string{"slot a: board testboard version 1.2.0", "signature ok", "signature BAD"}, state: slots.State{Active: "a"}},
			{args: []string{"try", "b", "3"}, stdout: "active a\ntrying b (3 tries left)\n", state: slots.State{Active: "a", Trying: "b", Tries: 3}},
			{args: []string{"good", "b"}, stdout: "active b\ntrying none\n", state: slots.State{Active: "b"}},
		}},
		{"esp without manifests", []string{"-esp", bare}, filepath.Join(bare, "grubenv"), []step{
			{args: []string{"show"}, stdout: "active b\ntrying none\nslot a: no slot-a.manifest on the boot partition\nslot b: no slot-b.manifest on the boot partition\n", state: slots.State{Active: "b"}},
			{args: []string{"try", "a", "1"}, stdout: "active b\ntrying a (1 try left)\n", state: slots.State{Active: "b", Trying: "a", Tries: 1}},
			{args: []string{"giveup"}, stdout: "active b\ntrying none\n", state: slots.State{Active: "b"}},
		}},
		{"grubenv", []string{"-grubenv", filepath.Join(dir, "grubenv.file")}, filepath.Join(dir, "grubenv.file"), []step{
			{args: []string{"show"}, stdout: "active b\ntrying none\n", state: slots.State{Active: "b"}},
			{args: []string{"try", "a", "2"}, stdout: "active b\ntrying a (2 tries left)\n", state: slots.State{Active: "b", Trying: "a", Tries: 2}},
			{args: []string{"show"}, stdout: "active b\ntrying a (2 tries left)\n", state: slots.State{Active: "b", Trying: "a", Tries: 2}},
			{args: []string{"good", "a"}, stdout: "active a\ntrying none\n", state: slots.State{Active: "a"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range tt.steps {
				// -key goes with the flags, before the command.
				r := runSlotctl(t, bin, append(append([]string{}, tt.flag...), s.args...)...)
				checkRun(t, s, r)
				b, err := os.ReadFile(tt.grubenv)
				if err != nil {
					t.Fatal(err)
				}
				if len(b) != imagebuild.GrubEnvSize {
					t.Fatalf("%q: grubenv is %d bytes, want %d", s.args, len(b), imagebuild.GrubEnvSize)
				}
				st, err := slots.Read(tt.grubenv)
				if err != nil {
					t.Fatal(err)
				}
				if st != s.state {
					t.Errorf("%q: grubenv says %+v, want %+v", s.args, st, s.state)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	bin := testinput.Command(t, "slotctl")
	dir := t.TempDir()
	env, err := imagebuild.GrubEnv("a", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	g := filepath.Join(dir, "grubenv")
	if err := os.WriteFile(g, env, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", []string{"-grubenv", g}, "no command; want show, try, good or giveup"},
		{"nothing", nil, "no command"},
		{"two locations", []string{"-grubenv", g, "-esp", dir, "show"}, "-esp and -grubenv given together; give at most one of -disk, -esp, -grubenv"},
		{"three locations", []string{"-disk", g, "-grubenv", g, "-esp", dir, "show"}, "given together"},
		{"slot c", []string{"-grubenv", g, "try", "c"}, `try: slot "c"; want a or b`},
		{"tries 9", []string{"-grubenv", g, "try", "b", "9"}, "TRIES must be a number from 1 to 3"},
		{"tries 0", []string{"-grubenv", g, "try", "b", "0"}, "TRIES must be a number from 1 to 3"},
		{"tries -1", []string{"-grubenv", g, "try", "b", "-1"}, "TRIES must be a number from 1 to 3"},
		{"tries word", []string{"-grubenv", g, "try", "b", "many"}, "TRIES must be a number from 1 to 3"},
		{"try nothing", []string{"-grubenv", g, "try"}, "try takes SLOT [TRIES]"},
		{"good nothing", []string{"-grubenv", g, "good"}, "good takes one argument, the SLOT (a or b)"},
		{"good c", []string{"-grubenv", g, "good", "c"}, `good: slot "c"; want a or b`},
		{"show extra", []string{"-grubenv", g, "show", "a"}, "show takes no arguments"},
		{"unknown command", []string{"-grubenv", g, "flip"}, `unknown command "flip"; want show, try, good or giveup`},
		{"flag after command", []string{"show", "-grubenv", g}, "-grubenv after the command show; flags go before the command"},
		{"unknown flag", []string{"-device", g, "show"}, "flag provided but not defined: -device; the flags are -disk PATH, -esp DIR, -grubenv FILE and -key PUB"},
		{"empty flag", []string{"-disk", "", "show"}, "-disk is empty"},
		{"key with try", []string{"-grubenv", g, "-key", g, "try", "b"}, "-key only applies to show"},
		{"key with grubenv", []string{"-grubenv", g, "-key", g, "show"}, "-grubenv gives none; use -disk or -esp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSlotctl(t, bin, tt.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "usage: slotctl") {
				t.Errorf("exit %d, stderr %q; want 2 and a message saying %q, then the usage", r.code, r.stderr, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
	if b, _ := os.ReadFile(g); !bytes.Equal(b, env) {
		t.Error("a usage error changed the grubenv")
	}
	if r := runSlotctl(t, bin, "-h"); r.code != 0 || !strings.Contains(r.stdout, "usage: slotctl") {
		t.Errorf("-h: exit %d, stdout %q; want 0 and the usage", r.code, r.stdout)
	}
}

func TestErrors(t *testing.T) {
	bin := testinput.Command(t, "slotctl")
	dir := t.TempDir()
	notGPT := filepath.Join(dir, "not-gpt.img")
	if err := os.WriteFile(notGPT, bytes.Repeat([]byte("x"), 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	noBoot := filepath.Join(dir, "no-boot.img")
	if _, err := imagebuild.Write(noBoot, "seed", []imagebuild.Part{
		{Name: "rootfs_a", Type: imagebuild.TypeLinux, Size: imagebuild.Align},
	}); err != nil {
		t.Fatal(err)
	}
	// A GPT whose boot partition holds no FAT.
	noFAT := filepath.Join(dir, "no-fat.img")
	if _, err := imagebuild.Write(noFAT, "seed", []imagebuild.Part{
		{Name: "boot", Type: imagebuild.TypeESP, Size: imagebuild.Align},
	}); err != nil {
		t.Fatal(err)
	}
	badEnv := filepath.Join(dir, "bad-grubenv")
	if err := os.WriteFile(badEnv, []byte("picket_active=a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"disk not GPT", []string{"-disk", notGPT, "show"}, []string{"-disk " + notGPT + ": read GPT: no GPT", `not the signature "EFI PART"`}},
		{"disk missing", []string{"-disk", filepath.Join(dir, "nothing.img"), "show"}, []string{"no such file"}},
		{"disk is a directory", []string{"-disk", dir, "show"}, []string{"a directory; want a disk image or block device"}},
		{"disk without boot", []string{"-disk", noBoot, "try", "b"}, []string{`no partition named "boot" in the GPT (it has "rootfs_a")`}},
		{"boot without FAT", []string{"-disk", noFAT, "show"}, []string{"read /grubenv from the boot partition"}},
		{"esp not a directory", []string{"-esp", notGPT, "show"}, []string{"not a directory; want the directory the boot partition is mounted on"}},
		{"esp without grubenv", []string{"-esp", dir, "show"}, []string{"read grubenv", "no such file"}},
		{"grubenv missing", []string{"-grubenv", filepath.Join(dir, "nothing"), "giveup"}, []string{"read grubenv", "no such file"}},
		{"grubenv malformed", []string{"-grubenv", badEnv, "show"}, []string{"GRUB only accepts exactly 1024"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSlotctl(t, bin, tt.args...)
			checkRun(t, step{args: tt.args, code: 1, want: tt.want}, r)
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

// TestMounted attaches a disk image to loop devices and checks that
// slotctl edits an unmounted block device, and refuses a mounted one and
// an image file a mounted loop device reads. It needs root and loop
// devices (and ext4: the kernel here may lack vfat, so the ext4 data
// partition is what gets mounted); without them it fails, as the test
// command runs as root.
func TestMounted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to attach loop devices and mount: run the test as root")
	}
	var tools [3]string
	for i, name := range []string{"losetup", "mount", "umount"} {
		p, err := imagebuild.Tool(name)
		if err != nil {
			t.Fatalf("%s is needed: %v", name, err)
		}
		tools[i] = p
	}
	losetup, mount, umount := tools[0], tools[1], tools[2]
	bin := testinput.Command(t, "slotctl")
	dir := t.TempDir()
	k := makeKeys(t, dir)
	data := filepath.Join(dir, "data.img")
	if err := imagebuild.BuildExt4(context.Background(), data, 4<<20, "PICKETDATA", imagebuild.DeriveGUID("t", "data")); err != nil {
		t.Fatal(err)
	}
	d := makeDisk(t, dir, k, data)
	attach := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(losetup, append([]string{"-f", "--show"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("no loop device: losetup: %v: %s", err, out)
		}
		loop := strings.TrimSpace(string(out))
		t.Cleanup(func() {
			if out, err := exec.Command(losetup, "-d", loop).CombinedOutput(); err != nil {
				t.Errorf("losetup -d %s: %v: %s", loop, err, out)
			}
		})
		return loop
	}

	// The whole disk on a loop device, nothing mounted: slotctl edits it.
	whole := attach(d.path)
	args := []string{"-disk", whole, "try", "b", "2"}
	checkRun(t, step{args: args, stdout: "active a\ntrying b (2 tries left)\n"}, runSlotctl(t, bin, args...))
	want := slots.State{Active: "a", Trying: "b", Tries: 2}
	if got := diskState(t, d); got != want {
		t.Fatalf("after try on %s: the image's grubenv says %+v, want %+v", whole, got, want)
	}

	// The data partition on a second loop device, mounted.
	f, err := os.Open(d.path)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := imagebuild.ReadPartitions(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	dp := parts[len(parts)-1]
	part := attach("-o", strconv.FormatInt(dp.Offset(), 10), "--sizelimit", strconv.FormatInt(dp.Size(), 10), d.path)
	mnt := t.TempDir()
	if out, err := exec.Command(mount, "-t", "ext4", "-o", "ro", part, mnt).CombinedOutput(); err != nil {
		t.Fatalf("cannot mount %s: %v: %s", part, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(umount, mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	for _, target := range []string{part, d.path} {
		for _, cmd := range []string{"show", "giveup"} {
			args := []string{"-disk", target, cmd}
			checkRun(t, step{args: args, code: 1, want: []string{"target is in use", "is mounted on " + mnt, "unmount it first"}}, runSlotctl(t, bin, args...))
		}
	}
	if got := diskState(t, d); got != want {
		t.Errorf("after the refusals: grubenv says %+v, want %+v unchanged", got, want)
	}
}

// dataSize is the data partition's size: that of the file data, or 1 MiB.
func dataSize(t *testing.T, data string) int64 {
	t.Helper()
	if data == "" {
		return imagebuild.Align
	}
	fi, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
