package kmod

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func kernel(t *testing.T, dep string) string {
	t.Helper()
	dir := t.TempDir()
	mdir := filepath.Join(dir, "lib", "modules", "6.1.0-test")
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mdir, "modules.dep"), []byte(dep), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestResolve(t *testing.T) {
	dep := `kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
kernel/fs/jbd2/jbd2.ko:
kernel/fs/mbcache.ko:
kernel/lib/crc16.ko:
kernel/lib/crc-t10dif.ko: kernel/crypto/crct10dif_common.ko
kernel/crypto/crct10dif_common.ko:
kernel/drivers/scsi/sd_mod.ko: kernel/lib/crc-t10dif.ko
`
	dir := kernel(t, dep)
	base := filepath.Join(dir, "lib", "modules", "6.1.0-test")
	for _, tc := range []struct {
		name    string
		in      []string
		want    []string
		wantErr string
	}{
		{name: "deps first, each once", in: []string{"ext4", "jbd2"},
			want: []string{"kernel/lib/crc16.ko", "kernel/fs/mbcache.ko", "kernel/fs/jbd2/jbd2.ko", "kernel/fs/ext4/ext4.ko"}},
		{name: "dash and underscore are one name", in: []string{"sd_mod", "crc_t10dif", " "},
			want: []string{"kernel/crypto/crct10dif_common.ko", "kernel/lib/crc-t10dif.ko", "kernel/drivers/scsi/sd_mod.ko"}},
		{name: "missing names the module", in: []string{"vfat"}, wantErr: "module vfat is not in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(dir, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, filepath.Join(base, w))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %v\nwant %v", got, want)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	for _, tc := range []struct{ name, dep, wantErr string }{
		{"missing dependency names who needs it", "kernel/a.ko: kernel/b.ko\n", "module b (needed by a) is not in"},
		{"cycle", "kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n", "cycle"},
		{"compressed", "kernel/a.ko.xz:\n", "compressed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(kernel(t, tc.dep), []string{"a"})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
		})
	}
	if _, err := Resolve(t.TempDir(), []string{"a"}); err == nil || !strings.Contains(err.Error(), "modules.dep") {
		t.Errorf("no modules.dep: err %v", err)
	}
}
