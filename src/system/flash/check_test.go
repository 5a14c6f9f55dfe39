package flash

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeInfo is a block device's stat, for paths that are plain files in a
// test's temporary directory.
type fakeInfo struct {
	name string
	dev  Dev
}

func (f fakeInfo) Name() string       { return f.name }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) Mode() fs.FileMode  { return fs.ModeDevice | 0o660 }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return false }
func (f fakeInfo) Sys() any {
	return &syscall.Stat_t{Rdev: unix.Mkdev(f.dev.Major, f.dev.Minor)}
}

// fakeSystem is a sysfs tree and a /dev directory of stand-in files:
//
//	sda 8:0 (sda1 8:1, sda2 8:2)  the root disk, / on sda2 unless a case says otherwise
//	sdb 8:16 (sdb1 8:17, sdb2 8:18)  a USB stick
//	sdc 8:32 (sdc1 8:33)  with dm-0 253:0 (crypt) on sdc1
//	sdd 8:48 (sdd1 8:49)  with dm-1 253:1 (LVM) on sdd1
//	loop0 7:0  backed by the image
//	loop1 7:1  backed by the file "busy.img"
//	loop2 7:2  backed by the device sda
type fakeSystem struct {
	dir, sys, dev, image string
	devs                 map[string]Dev // stand-in path → device number
}

func newFakeSystem(t *testing.T) *fakeSystem {
	t.Helper()
	dir := t.TempDir()
	fs := &fakeSystem{dir: dir, sys: filepath.Join(dir, "sys"), dev: filepath.Join(dir, "dev"), image: filepath.Join(dir, "disk.img"), devs: map[string]Dev{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(fs.sys, "dev", "block"), 0o755))
	must(os.MkdirAll(fs.dev, 0o755))
	must(os.WriteFile(fs.image, []byte("image"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "busy.img"), []byte("busy"), 0o644))
	dirs := map[string]string{}
	add := func(name, parent string, d Dev, partition bool) {
		t.Helper()
		p := filepath.Join(fs.sys, "devices", name)
		if parent != "" {
			p = filepath.Join(dirs[parent], name)
		}
		dirs[name] = p
		must(os.MkdirAll(filepath.Join(p, "holders"), 0o755))
		must(os.MkdirAll(filepath.Join(p, "slaves"), 0o755))
		must(os.WriteFile(filepath.Join(p, "dev"), []byte(d.String()+"\n"), 0o444))
		if partition {
			must(os.WriteFile(filepath.Join(p, "partition"), []byte("1\n"), 0o444))
		}
		must(os.Symlink(p, filepath.Join(fs.sys, "dev", "block", d.String())))
		if parent == "" {
			must(os.MkdirAll(filepath.Join(fs.sys, "block"), 0o755))
			must(os.Symlink(p, filepath.Join(fs.sys, "block", name)))
		}
		node := filepath.Join(fs.dev, name)
		must(os.WriteFile(node, nil, 0o644))
		fs.devs[node] = d
	}
	stack := func(upper, lower string) {
		must(os.Symlink(dirs[upper], filepath.Join(dirs[lower], "holders", upper)))
		must(os.Symlink(dirs[lower], filepath.Join(dirs[upper], "slaves", lower)))
	}
	loop := func(name, backing string) {
		must(os.MkdirAll(filepath.Join(dirs[name], "loop"), 0o755))
		must(os.WriteFile(filepath.Join(dirs[name], "loop", "backing_file"), []byte(backing+"\n"), 0o444))
	}
	add("sda", "", Dev{8, 0}, false)
	add("sda1", "sda", Dev{8, 1}, true)
	add("sda2", "sda", Dev{8, 2}, true)
	add("sdb", "", Dev{8, 16}, false)
	add("sdb1", "sdb", Dev{8, 17}, true)
	add("sdb2", "sdb", Dev{8, 18}, true)
	add("sdc", "", Dev{8, 32}, false)
	add("sdc1", "sdc", Dev{8, 33}, true)
	add("dm-0", "", Dev{253, 0}, false)
	stack("dm-0", "sdc1")
	add("sdd", "", Dev{8, 48}, false)
	add("sdd1", "sdd", Dev{8, 49}, true)
	add("dm-1", "", Dev{253, 1}, false)
	stack("dm-1", "sdd1")
	add("loop0", "", Dev{7, 0}, false)
	loop("loop0", fs.image)
	add("loop1", "", Dev{7, 1}, false)
	loop("loop1", filepath.Join(dir, "busy.img"))
	add("loop2", "", Dev{7, 2}, false)
	loop("loop2", filepath.Join(fs.dev, "sda"))
	must(os.MkdirAll(filepath.Join(dir, "by-id"), 0o755))
	must(os.Symlink("../dev/sdb", filepath.Join(dir, "by-id", "usb-Stick_1234-0:0")))
	must(os.Symlink("disk.img", filepath.Join(dir, "image-link")))
	must(os.Symlink("nowhere", filepath.Join(dir, "dangling")))
	return fs
}

func (fs *fakeSystem) stat(name string) (os.FileInfo, error) {
	if d, ok := fs.devs[name]; ok {
		return fakeInfo{filepath.Base(name), d}, nil
	}
	return os.Stat(name)
}

const rootMount = "21 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n" +
	"22 21 0:20 / /proc rw,relatime shared:2 - proc proc rw\n"

// env returns an Env over the fake system with the given extra mountinfo
// and /proc/mounts lines and root device lookup.
func (fs *fakeSystem) env(t *testing.T, mountinfo, mounts string, root func() (Dev, error)) (Env, *bytes.Buffer) {
	t.Helper()
	d := t.TempDir()
	mi, pm := filepath.Join(d, "mountinfo"), filepath.Join(d, "mounts")
	if err := os.WriteFile(mi, []byte(mountinfo), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pm, []byte(mounts), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	return Env{MountInfo: mi, Mounts: pm, Sys: fs.sys, Stdin: strings.NewReader(""), Stdout: &out, RootDevice: root, Stat: fs.stat}, &out
}

func TestCheck(t *testing.T) {
	fsys := newFakeSystem(t)
	rootOn := func(d Dev) func() (Dev, error) { return func() (Dev, error) { return d, nil } }
	sda2 := rootOn(Dev{8, 2})
	dev := func(name string) string { return filepath.Join(fsys.dev, name) }
	tests := []struct {
		name      string
		target    string
		mountinfo string // added to rootMount
		mounts    string
		root      func() (Dev, error)
		want      error  // nil for accepted
		wantText  string // in the error
		wantBlock string // kernel name of an accepted block device
	}{
		{name: "unmounted stick", target: dev("sdb"), root: sda2, wantBlock: "sdb"},
		{name: "partition of unmounted stick", target: dev("sdb1"), root: sda2, wantBlock: "sdb1"},
		{name: "stick via by-id symlink", target: filepath.Join(fsys.dir, "by-id", "usb-Stick_1234-0:0"), root: sda2, wantBlock: "sdb"},
		{name: "stick partition mounted (mountinfo)", target: dev("sdb"), root: sda2,
			mountinfo: `40 21 8:17 / /media/my\040stick rw - vfat /dev/sdb1 rw` + "\n",
			want:      ErrMounted, wantText: "/dev/sdb1 (8:17) is mounted on /media/my stick"},
		{name: "stick partition mounted (/proc/mounts only)", target: dev("sdb"), root: sda2,
			mounts: "/dev/sdb2 /mnt ext4 rw 0 0\n", want: ErrMounted, wantText: "/dev/sdb2 is mounted on /mnt"},
		{name: "mountinfo names the source only", target: dev("sdb"), root: sda2,
			mountinfo: "40 21 0:50 / /mnt rw - btrfs /dev/sdb2 rw\n", want: ErrMounted, wantText: "/dev/sdb2 is mounted on /mnt"},
		{name: "sibling partition mounted", target: dev("sdb1"), root: sda2,
			mountinfo: "40 21 8:18 / /mnt rw - ext4 /dev/sdb2 rw\n", want: ErrMounted, wantText: "sdb2"},
		{name: "by-id symlink, partition mounted", target: filepath.Join(fsys.dir, "by-id", "usb-Stick_1234-0:0"), root: sda2,
			mountinfo: "40 21 8:17 / /mnt rw - vfat /dev/sdb1 rw\n", want: ErrMounted},
		{name: "whole disk mounted", target: dev("sdb"), root: sda2,
			mountinfo: "40 21 8:16 / /mnt rw - iso9660 /dev/sdb ro\n", want: ErrMounted, wantText: "/dev/sdb (8:16)"},
		{name: "dm-crypt on partition mounted", target: dev("sdc"), root: sda2,
			mountinfo: "40 21 253:0 / /secret rw - ext4 /dev/mapper/secret rw\n", want: ErrMounted, wantText: "/dev/dm-0 (253:0) is mounted on /secret"},
		{name: "dm-crypt open but unmounted", target: dev("sdc"), root: sda2, wantBlock: "sdc"},
		{name: "root disk", target: dev("sda"), root: sda2, want: ErrRootDisk, wantText: "/ is mounted from /dev/sda2"},
		{name: "partition of the root disk", target: dev("sda1"), root: sda2, want: ErrRootDisk},
		{name: "root on LVM on sdd1", target: dev("sdd"), root: rootOn(Dev{253, 1}), want: ErrRootDisk, wantText: "/dev/dm-1"},
		{name: "root on LVM, other disk", target: dev("sdb"), root: rootOn(Dev{253, 1}), wantBlock: "sdb"},
		{name: "root on whole disk", target: dev("sdb"), root: rootOn(Dev{8, 16}), want: ErrRootDisk},
		{name: "no root device (overlay)", target: dev("sdb"),
			root: func() (Dev, error) { return Dev{}, fmt.Errorf("%w: overlay", ErrNoRootDevice) }, wantBlock: "sdb"},
		{name: "root device unknown", target: dev("sdb"),
			root: func() (Dev, error) { return Dev{}, errors.New("mountinfo unreadable") }, wantText: "cannot tell which disk"},
		{name: "loop backed by the image", target: dev("loop0"), root: sda2, want: ErrSameFile, wantText: "backing file"},
		{name: "loop backed by the root disk", target: dev("loop2"), root: sda2, want: ErrRootDisk},
		{name: "loop mounted", target: dev("loop1"), root: sda2,
			mountinfo: "40 21 7:1 / /mnt rw - ext4 /dev/loop1 rw\n", want: ErrMounted},
		{name: "image itself", target: fsys.image, root: sda2, want: ErrSameFile},
		{name: "symlink to the image", target: filepath.Join(fsys.dir, "image-link"), root: sda2, want: ErrSameFile},
		{name: "new file", target: filepath.Join(fsys.dir, "new.img"), root: sda2},
		{name: "existing file", target: filepath.Join(fsys.dir, "busy.img"), root: sda2},
		{name: "file backing a mounted loop", target: filepath.Join(fsys.dir, "busy.img"), root: sda2,
			mountinfo: "40 21 7:1 / /mnt rw - ext4 /dev/loop1 rw\n", want: ErrMounted, wantText: "backs /dev/loop1"},
		{name: "file in a missing directory", target: filepath.Join(fsys.dir, "nodir", "x.img"), root: sda2, wantText: "target directory"},
		{name: "dangling symlink", target: filepath.Join(fsys.dir, "dangling"), root: sda2, want: ErrBadTarget},
		{name: "directory", target: fsys.dir, root: sda2, want: ErrBadTarget, wantText: "directory"},
		{name: "character device", target: "/dev/null", root: sda2, want: ErrBadTarget, wantText: "character device"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := fsys.env(t, rootMount+tc.mountinfo, tc.mounts, tc.root)
			got, err := env.Check(tc.target, fsys.image)
			if tc.want == nil && tc.wantText == "" {
				if err != nil {
					t.Fatalf("Check(%s) = %v, want accepted", tc.target, err)
				}
				if got.Block != (tc.wantBlock != "") || got.Name != tc.wantBlock {
					t.Fatalf("Check(%s) = %+v, want block device %q", tc.target, got, tc.wantBlock)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check(%s) accepted it, want %v %q", tc.target, tc.want, tc.wantText)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Check(%s) = %v, want errors.Is %v", tc.target, err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("Check(%s) = %v, want it to contain %q", tc.target, err, tc.wantText)
			}
		})
	}
}

func TestCheckUnreadableMountTable(t *testing.T) {
	fsys := newFakeSystem(t)
	for _, which := range []string{"mountinfo", "mounts"} {
		t.Run(which, func(t *testing.T) {
			env, _ := fsys.env(t, rootMount, "", func() (Dev, error) { return Dev{8, 2}, nil })
			if which == "mountinfo" {
				env.MountInfo = filepath.Join(fsys.dir, "missing")
			} else {
				env.Mounts = filepath.Join(fsys.dir, "missing")
			}
			_, err := env.Check(filepath.Join(fsys.dev, "sdb"), fsys.image)
			if err == nil || !strings.Contains(err.Error(), "cannot tell whether") {
				t.Fatalf("Check = %v, want refusal", err)
			}
		})
	}
}

func TestRootDevice(t *testing.T) {
	tests := []struct {
		name, mountinfo string
		want            Dev
		wantErr         error
		wantText        string
	}{
		{name: "ext4", mountinfo: rootMount, want: Dev{8, 2}},
		{name: "virtio", mountinfo: "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n", want: Dev{254, 0}},
		{name: "stacked, last wins", mountinfo: rootMount + "30 21 259:3 / / rw - ext4 /dev/nvme0n1p3 rw\n", want: Dev{259, 3}},
		{name: "overlay", mountinfo: "500 400 0:45 / / rw,relatime - overlay overlay rw,lowerdir=/a\n", wantErr: ErrNoRootDevice, wantText: `overlay from "overlay" (device 0:45)`},
		{name: "btrfs source missing", mountinfo: "30 1 0:31 / / rw - btrfs /dev/no-such-disk rw\n", wantErr: ErrNoRootDevice},
		{name: "no root", mountinfo: "22 21 0:20 / /proc rw - proc proc rw\n", wantText: "no mount on /"},
		{name: "garbage", mountinfo: "not a mount table\n", wantText: "not in mountinfo format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "mountinfo")
			if err := os.WriteFile(p, []byte(tc.mountinfo), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := RootDevice(p)
			if tc.wantErr == nil && tc.wantText == "" {
				if err != nil || got != tc.want {
					t.Fatalf("RootDevice = %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("RootDevice = %v, %v; want error %v %q", got, err, tc.wantErr, tc.wantText)
			}
		})
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`/media/my\040stick`: "/media/my stick",
		`/a\011b\134c`:       "/a\tb\\c",
		`/plain`:             "/plain",
		`/trailing\04`:       `/trailing\04`,
	} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}
