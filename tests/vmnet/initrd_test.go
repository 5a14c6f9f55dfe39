package vmnet

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"picket.dev/picket/src/system/cpio"
	"picket.dev/picket/src/system/kmod"
)

// fakeKernel lays out a kernel directory as tools/fetch does, with
// modules.dep and empty module files.
func fakeKernel(t *testing.T, dep string) string {
	t.Helper()
	dir := t.TempDir()
	base := filepath.Join(dir, "lib", "modules", "6.1.0-test")
	for _, line := range strings.Split(dep, "\n") {
		mod, _, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		p := filepath.Join(base, mod)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("module "+mod), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(base, "modules.dep"), []byte(dep), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const bookwormDep = `kernel/net/8021q/8021q.ko: kernel/net/802/mrp.ko kernel/net/802/garp.ko
kernel/drivers/net/ethernet/intel/e1000/e1000.ko:
kernel/net/802/garp.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko
kernel/net/llc/llc.ko:
kernel/net/802/mrp.ko:
kernel/net/802/stp.ko: kernel/net/llc/llc.ko
kernel/net/llc/p-8022.ko: kernel/net/llc/llc.ko
`

// TestResolveModules checks the bench modules resolve on a bookworm-like
// modules.dep (package kmod tests the general cases).
func TestResolveModules(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dep     string
		want    []string
		wantErr string
		modules []string
	}{
		{name: "bench modules, dependencies first", dep: bookwormDep, modules: DefaultModules,
			want: []string{"mrp.ko", "llc.ko", "stp.ko", "garp.ko", "8021q.ko", "e1000.ko"}},
		{name: "dash read as underscore", dep: bookwormDep, modules: []string{"p_8022"}, want: []string{"llc.ko", "p-8022.ko"}},
		{name: "shared dependency once", dep: bookwormDep, modules: []string{"stp", "garp"}, want: []string{"llc.ko", "stp.ko", "garp.ko"}},
		{name: "unknown module", dep: bookwormDep, modules: []string{"virtio_net"}, wantErr: "virtio_net is not in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := kmod.Resolve(fakeKernel(t, tc.dep), tc.modules)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range got {
				names = append(names, filepath.Base(p))
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("modules %v, want %v", names, tc.want)
			}
		})
	}
}

// TestWriteInitrd checks the initramfs layout the guest init relies on,
// and that it is the same bytes every time.
func TestWriteInitrd(t *testing.T) {
	kdir := fakeKernel(t, bookwormDep)
	initBin := []byte("\x7fELF fake init")
	out := t.TempDir()
	var images [2][]byte
	for i := range images {
		p := filepath.Join(out, "initrd.gz")
		if err := writeInitrd(p, initBin, kdir, DefaultModules); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		images[i] = b
	}
	if string(images[0]) != string(images[1]) {
		t.Error("two initramfs images of the same inputs differ")
	}
	f, err := os.Open(filepath.Join(out, "initrd.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := cpio.Read(zr)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]cpio.Entry{}
	for _, e := range entries {
		files[e.Name] = e
	}
	if e := files["dev/console"]; e.Mode != cpio.TypeChar|0o600 || e.RMajor != 5 || e.RMinor != 1 {
		t.Errorf("dev/console = %+v, want char device 5:1", e)
	}
	if e := files["init"]; e.Mode != cpio.TypeRegular|0o755 || string(e.Data) != "\x7fELF fake init" {
		t.Errorf("init = mode %o, %d bytes; want the executable", e.Mode, len(e.Data))
	}
	if got, want := string(files["etc/modules"].Data), "mrp.ko\nllc.ko\nstp.ko\ngarp.ko\n8021q.ko\ne1000.ko\n"; got != want {
		t.Errorf("etc/modules = %q, want %q", got, want)
	}
	for _, m := range []string{"mrp", "llc", "stp", "garp", "8021q", "e1000"} {
		if _, ok := files["lib/modules/"+m+".ko"]; !ok {
			t.Errorf("initramfs has no lib/modules/%s.ko", m)
		}
	}
}
