package cpio

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// build writes the test archive: every kind of entry an initramfs needs.
func build(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	steps := []error{
		w.Dir("dev", 0o755),
		w.CharDev("dev/console", 0o600, 5, 1),
		w.Dir("lib", 0o755),
		w.File("lib/a.ko", 0o644, []byte("12345")),
		w.File("init", 0o755, []byte("#!/bin/sh\n")),
		w.File("empty", 0o644, nil),
		w.Symlink("sbin", "lib"),
		w.Close(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	data := build(t)
	if len(data)%4 != 0 {
		t.Errorf("archive is %d bytes, want a multiple of 4", len(data))
	}
	got, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	want := []struct {
		name           string
		mode           uint32
		data           string
		rmajor, rminor uint32
	}{
		{"dev", TypeDir | 0o755, "", 0, 0},
		{"dev/console", TypeChar | 0o600, "", 5, 1},
		{"lib", TypeDir | 0o755, "", 0, 0},
		{"lib/a.ko", TypeRegular | 0o644, "12345", 0, 0},
		{"init", TypeRegular | 0o755, "#!/bin/sh\n", 0, 0},
		{"empty", TypeRegular | 0o644, "", 0, 0},
		{"sbin", TypeSymlink | 0o777, "lib", 0, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("Read gave %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.Mode != w.mode || string(g.Data) != w.data || g.RMajor != w.rmajor || g.RMinor != w.rminor {
			t.Errorf("entry %d = %q mode %o data %q dev %d:%d, want %q mode %o data %q dev %d:%d",
				i, g.Name, g.Mode, g.Data, g.RMajor, g.RMinor, w.name, w.mode, w.data, w.rmajor, w.rminor)
		}
		if g.Ino != uint32(i+1) || g.UID != 0 || g.GID != 0 || g.MTime != 0 || g.DevMajor != 0 || g.DevMinor != 0 {
			t.Errorf("entry %d %s: ino %d uid %d gid %d mtime %d dev %d:%d; want ino %d and zeros",
				i, g.Name, g.Ino, g.UID, g.GID, g.MTime, g.DevMajor, g.DevMinor, i+1)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b := build(t), build(t)
	if !bytes.Equal(a, b) {
		t.Fatal("two archives of the same entries differ")
	}
}

// TestGNUCpio lists the archive with GNU cpio, an independent reader
// (tools/fetch installs it: third_party/inputs.lock).
func TestGNUCpio(t *testing.T) {
	path, err := exec.LookPath("cpio")
	if err != nil {
		t.Fatalf("GNU cpio is needed as the independent reader of the archive (tools/fetch installs it): %v", err)
	}
	cmd := exec.Command(path, "-t", "--quiet")
	cmd.Stdin = bytes.NewReader(build(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -t: %v\n%s", err, out)
	}
	want := "dev\ndev/console\nlib\nlib/a.ko\ninit\nempty\nsbin\n"
	if string(out) != want {
		t.Errorf("cpio -t listed\n%s\nwant\n%s", out, want)
	}
}

func TestWriterRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  func(w *Writer) error
		want string
	}{
		{"absolute", func(w *Writer) error { return w.Dir("/dev", 0o755) }, "relative path"},
		{"trailing slash", func(w *Writer) error { return w.Dir("dev/", 0o755) }, "relative path"},
		{"dotdot", func(w *Writer) error { return w.File("a/../b", 0o644, nil) }, `".."`},
		{"trailer name", func(w *Writer) error { return w.File(Trailer, 0o644, nil) }, "reserved"},
		{"duplicate", func(w *Writer) error { _ = w.Dir("x", 0o755); return w.Dir("x", 0o755) }, "already in the archive"},
		{"empty symlink", func(w *Writer) error { return w.Symlink("x", "") }, "empty target"},
		{"after close", func(w *Writer) error { _ = w.Close(); return w.Dir("x", 0o755) }, "already closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.add(NewWriter(&bytes.Buffer{}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestReadRefusesGarbage(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"bad magic", append([]byte("070707"), make([]byte, 200)...)},
		{"truncated", build(t)[:50]},
		{"no trailer", build(t)[:len(build(t))-124]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Read(bytes.NewReader(tc.data)); !errors.Is(err, ErrFormat) {
				t.Errorf("Read: %v, want ErrFormat", err)
			}
		})
	}
}
