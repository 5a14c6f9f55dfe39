package linuxsys

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// recSystem records the calls a Shutdown or MountAll makes.
type recSystem struct {
	calls   []string
	busy    map[string]bool
	modules map[string]error
}

func (r *recSystem) Mount(source, target, fstype string, flags uintptr, data string) error {
	r.calls = append(r.calls, fmt.Sprintf("mount %s %s %s %#x", source, target, fstype, flags))
	return nil
}
func (r *recSystem) Unmount(target string, flags int) error {
	r.calls = append(r.calls, "umount "+target)
	if r.busy[target] {
		return unix.EBUSY
	}
	return nil
}
func (r *recSystem) Sync() { r.calls = append(r.calls, "sync") }
func (r *recSystem) Reboot(cmd int) error {
	r.calls = append(r.calls, fmt.Sprintf("reboot %#x", cmd))
	return nil
}
func (r *recSystem) Sethostname(string) error { return nil }
func (r *recSystem) LoadModule(path, params string) error {
	r.calls = append(r.calls, "insmod "+path)
	return r.modules[path]
}

func TestShutdown(t *testing.T) {
	mounted := []Mount{{Target: "/proc"}, {Target: "/data"}, {Target: "/run"}}
	tests := []struct {
		name    string
		action  Action
		busy    map[string]bool
		want    []string
		console string
	}{
		{"poweroff", PowerOff, nil, []string{"sync", "umount /run", "umount /data", "umount /proc", "sync", fmt.Sprintf("reboot %#x", unix.LINUX_REBOOT_CMD_POWER_OFF)}, SafeMessage + "\n"},
		{"reboot with busy data", Reboot, map[string]bool{"/data": true}, []string{"sync", "umount /run", "umount /data", fmt.Sprintf("mount  /data  %#x", unix.MS_REMOUNT|unix.MS_RDONLY), "umount /proc", "sync", fmt.Sprintf("reboot %#x", unix.LINUX_REBOOT_CMD_RESTART)}, "init: unmount /data: device or resource busy; remounted read-only\ninit: rebooting\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := &recSystem{busy: tt.busy}
			var console bytes.Buffer
			if err := Shutdown(sys, mounted, tt.action, &console); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(sys.calls, "\n"); got != strings.Join(tt.want, "\n") {
				t.Fatalf("calls:\n%s\nwant:\n%s", got, strings.Join(tt.want, "\n"))
			}
			if console.String() != tt.console {
				t.Fatalf("console %q, want %q", console.String(), tt.console)
			}
		})
	}
}

// TestUnmount: init unmounts the data partition before the panel daemons
// are told the box is halted; a busy one is remounted read-only and handed
// back, so that Shutdown tries it again once they are gone.
func TestUnmount(t *testing.T) {
	sys := &recSystem{busy: map[string]bool{"/data": true}}
	var console bytes.Buffer
	left := Unmount(sys, []Mount{{Target: "/data"}, {Target: "/data/x"}}, &console)
	want := []string{"sync", "umount /data/x", "umount /data", fmt.Sprintf("mount  /data  %#x", unix.MS_REMOUNT|unix.MS_RDONLY), "sync"}
	if got := strings.Join(sys.calls, "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if len(left) != 1 || left[0].Target != "/data" {
		t.Errorf("left mounted %v, want /data only", left)
	}
	if got := console.String(); !strings.Contains(got, "unmount /data: device or resource busy; remounted read-only") {
		t.Errorf("console %q", got)
	}
}

func TestMountAll(t *testing.T) {
	dir := t.TempDir()
	sys := &recSystem{}
	done, err := MountAll(sys, []Mount{{"proc", filepath.Join(dir, "proc"), "proc", 0, ""}, {"tmpfs", filepath.Join(dir, "run", "x"), "tmpfs", 0, ""}})
	if err != nil || len(done) != 2 {
		t.Fatalf("MountAll = %v, %v", done, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "x")); err != nil {
		t.Fatalf("target not created: %v", err)
	}
}

func TestCmdlineValue(t *testing.T) {
	tests := []struct {
		cmdline, key, want string
		ok                 bool
	}{
		{"console=ttyS0 picket.slot=b quiet\n", "picket.slot", "b", true},
		{"console=ttyS0 quiet", "picket.slot", "", false},
		{"xpicket.slot=a picket.slot=a", "picket.slot", "a", true},
	}
	for _, tt := range tests {
		got, ok := CmdlineValue(tt.cmdline, tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CmdlineValue(%q, %q) = %q, %v; want %q, %v", tt.cmdline, tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFindPartition(t *testing.T) {
	dir := t.TempDir()
	dev := func(name, uevent string) {
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		os.WriteFile(filepath.Join(dir, name, "uevent"), []byte(uevent), 0o644)
	}
	dev("vda", "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n")
	dev("vda2", "MAJOR=254\nMINOR=2\nDEVNAME=vda2\nDEVTYPE=partition\nPARTN=2\nPARTNAME=rootfs_a\n")
	dev("vda3", "DEVNAME=vda3\nPARTNAME=rootfs_b\n")
	dev("vdb3", "DEVNAME=vdb3\nPARTNAME=rootfs_b\n")
	tests := []struct{ name, want, wantErr string }{
		{"rootfs_a", "/dev/vda2", ""},
		{"data", "", "no block device"},
		{"rootfs_b", "", "refusing to guess"},
	}
	for _, tt := range tests {
		got, err := FindPartition(dir, tt.name)
		if got != tt.want || (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("FindPartition(%q) = %q, %v; want %q, error %q", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestCPUTimes: the first line of a stat file as proc(5) describes it
// (user nice system idle iowait irq softirq steal guest guest_nice, in
// USER_HZ); idle is idle + iowait, total the first eight.
func TestCPUTimes(t *testing.T) {
	dir := t.TempDir()
	stat := "cpu  4705 356 584 3699 23 23 0 0 0 0\ncpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0\nintr 1\n"
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644); err != nil {
		t.Fatal(err)
	}
	idle, total, err := CPUTimes(dir)
	if err != nil {
		t.Fatal(err)
	}
	if idle != 37220*time.Millisecond || total != 93900*time.Millisecond {
		t.Errorf("idle %v, total %v; want 37.22s and 1m33.9s", idle, total)
	}
	for _, bad := range []string{"", "intr 1\n", "cpu 1 2 3\n", "cpu 1 2 3 x 5 6 7 8\n"} {
		os.WriteFile(filepath.Join(dir, "stat"), []byte(bad), 0o644)
		if _, _, err := CPUTimes(dir); err == nil {
			t.Errorf("stat %q: no error", bad)
		}
	}
	if _, _, err := CPUTimes(filepath.Join(dir, "none")); err == nil {
		t.Error("no stat file: no error")
	}
}
