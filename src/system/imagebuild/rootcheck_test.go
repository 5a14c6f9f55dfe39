package imagebuild

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRootfsRefusesShells: a shell by name, by its banner under another
// name, or a setuid or setgid file stops the image build.
func TestRootfsRefusesShells(t *testing.T) {
	ok := []File{{Name: "sbin/init", Data: []byte("init"), Exec: true}, {Name: "usr/bin/netmgrd", Data: []byte("netmgrd"), Exec: true}}
	for _, tt := range []struct {
		name string
		file File
		want string
	}{
		{"sh", File{Name: "bin/sh", Data: []byte("ELF"), Exec: true}, "bin/sh: no shell"},
		{"busybox", File{Name: "usr/bin/busybox", Data: []byte("ELF"), Exec: true}, "no shell"},
		{"python3", File{Name: "usr/bin/python3", Data: []byte("ELF"), Exec: true}, "interpreter"},
		{"renamed busybox", File{Name: "usr/bin/tool", Data: []byte("\x7fELF...BusyBox v1.36.1 (2023-06-10)..."), Exec: true}, `holds "BusyBox v"`},
		{"renamed bash", File{Name: "usr/bin/tool", Data: []byte("GNU bash, version 5.2"), Exec: true}, "a shell's banner"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := BuildSquashfs(context.Background(), filepath.Join(t.TempDir(), "r.sqfs"), append(append([]File{}, ok...), tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	// Stage makes only 0755 and 0644 files; a setuid file put in the tree
	// otherwise is refused.
	for _, bit := range []os.FileMode{os.ModeSetuid, os.ModeSetgid} {
		dir := t.TempDir()
		if err := Stage(dir, ok); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, "usr/bin/netmgrd"), 0o755|bit); err != nil {
			t.Fatal(err)
		}
		if err := CheckRootfs(dir); err == nil || !strings.Contains(err.Error(), "no setuid or setgid file") {
			t.Errorf("%v: err = %v", bit, err)
		}
	}
	if err := BuildSquashfs(context.Background(), filepath.Join(t.TempDir(), "r.sqfs"), ok); err != nil {
		t.Fatalf("a rootfs of daemons: %v", err)
	}
}
