package linuxsys

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// System is what only PID 1 (or root) may do. Linux is the real one;
// tests pass a recorder.
type System interface {
	Mount(source, target, fstype string, flags uintptr, data string) error
	Unmount(target string, flags int) error
	Sync()
	// Reboot is reboot(2) with one of unix.LINUX_REBOOT_CMD_*.
	Reboot(cmd int) error
	Sethostname(name string) error
	// LoadModule loads a kernel module file (finit_module).
	LoadModule(path, params string) error
}

// Linux is System on the running kernel.
type Linux struct{}

func (Linux) Mount(source, target, fstype string, flags uintptr, data string) error {
	return unix.Mount(source, target, fstype, flags, data)
}
func (Linux) Unmount(target string, flags int) error { return unix.Unmount(target, flags) }
func (Linux) Sync()                                  { unix.Sync() }
func (Linux) Reboot(cmd int) error                   { return unix.Reboot(cmd) }
func (Linux) Sethostname(name string) error          { return unix.Sethostname([]byte(name)) }
func (Linux) LoadModule(path, params string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.FinitModule(int(f.Fd()), params, 0)
}

// Mount is one file system to mount.
type Mount struct {
	Source, Target, FSType string
	Flags                  uintptr
	Data                   string
}

// MountAll creates each target directory and mounts it, in order. It
// returns the mounts made (for Shutdown) with the first error.
func MountAll(sys System, mounts []Mount) ([]Mount, error) {
	var done []Mount
	for _, m := range mounts {
		if err := os.MkdirAll(m.Target, 0o755); err != nil {
			return done, fmt.Errorf("mount %s: %w", m.Target, err)
		}
		if err := sys.Mount(m.Source, m.Target, m.FSType, m.Flags, m.Data); err != nil {
			return done, fmt.Errorf("mount %s (%s) on %s: %w", m.Source, m.FSType, m.Target, err)
		}
		done = append(done, m)
	}
	return done, nil
}

// Action is what Shutdown ends with.
type Action int

const (
	Reboot Action = iota
	PowerOff
	Halt
)

// SafeMessage is printed on the console before powering off.
const SafeMessage = "It's now safe to unplug the box"

// Unmount syncs, unmounts mounted last first (a file system still busy is
// remounted read-only instead, and kept in the list it returns), and syncs
// again. It returns the mounts still mounted, read-only or not: init
// unmounts the data partition this way before the panel daemons are told
// the box is halted, and hands what is left to Shutdown.
func Unmount(sys System, mounted []Mount, console io.Writer) []Mount {
	sys.Sync()
	var left []Mount
	for i := len(mounted) - 1; i >= 0; i-- {
		t := mounted[i].Target
		if err := sys.Unmount(t, 0); err != nil {
			left = append([]Mount{mounted[i]}, left...)
			if err2 := sys.Mount("", t, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err2 != nil {
				fmt.Fprintf(console, "init: unmount %s: %v; remount read-only: %v\n", t, err, err2)
			} else {
				fmt.Fprintf(console, "init: unmount %s: %v; remounted read-only\n", t, err)
			}
		}
	}
	sys.Sync()
	return left
}

// Shutdown is the end of the init, after the daemons are stopped: Unmount
// what is still mounted, tell the console and reboot(2). It returns only
// if reboot(2) fails.
func Shutdown(sys System, mounted []Mount, action Action, console io.Writer) error {
	Unmount(sys, mounted, console)
	cmd := RebootCmd(unix.LINUX_REBOOT_CMD_RESTART)
	switch action {
	case PowerOff:
		fmt.Fprintln(console, SafeMessage)
		cmd = RebootCmd(unix.LINUX_REBOOT_CMD_POWER_OFF)
	case Halt:
		fmt.Fprintln(console, "init: halted")
		cmd = RebootCmd(unix.LINUX_REBOOT_CMD_HALT)
	default:
		fmt.Fprintln(console, "init: rebooting")
	}
	if err := sys.Reboot(cmd); err != nil {
		return fmt.Errorf("reboot(2): %w", err)
	}
	return nil
}

// RebootCmd turns a reboot(2) command (LINUX_REBOOT_CMD_*, a 32-bit
// magic) into the int unix.Reboot takes. On 32-bit boards (armv7) some
// commands (HALT is 0xCDEF0123) do not fit an int as constants; the
// conversion of a variable wraps, and the kernel reads the same 32 bits.
func RebootCmd(cmd uint32) int { return int(cmd) }

// CmdlineValue returns the value of key=value in a kernel command line
// (the contents of /proc/cmdline).
func CmdlineValue(cmdline, key string) (string, bool) {
	for _, f := range strings.Fields(cmdline) {
		if k, v, ok := strings.Cut(f, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// FindPartition returns the device node (/dev/<name>) of the partition
// whose GPT name is partName, looking at the uevent files under
// sysClassBlock (normally /sys/class/block). Exactly one match is
// required: two disks with the same partition names (an image file and
// the box's own disk on a host, say) must not be guessed between.
func FindPartition(sysClassBlock, partName string) (string, error) {
	ents, err := os.ReadDir(sysClassBlock)
	if err != nil {
		return "", fmt.Errorf("find partition %q: %w", partName, err)
	}
	var found []string
	for _, e := range ents {
		f, err := os.Open(filepath.Join(sysClassBlock, e.Name(), "uevent"))
		if err != nil {
			continue
		}
		var devname, pname string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), "=")
			switch k {
			case "DEVNAME":
				devname = v
			case "PARTNAME":
				pname = v
			}
		}
		f.Close()
		if pname == partName && devname != "" {
			found = append(found, "/dev/"+devname)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("find partition %q: no block device has that GPT partition name", partName)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("find partition %q: several block devices have that name (%s); refusing to guess", partName, strings.Join(found, ", "))
}

// userHZ is the unit of /proc/stat's CPU times (USER_HZ, 100 on every
// architecture Linux has today).
const userHZ = 100

// CPUTimes reads the CPU time spent idle (idle and iowait: the CPU had
// nothing to run) and in all (user, nice, system, idle, iowait, irq,
// softirq, steal; guest time is within user) since boot, over every
// CPU, from the first line of proc's stat file (proc: "/proc").
func CPUTimes(proc string) (idle, total time.Duration, err error) {
	b, err := os.ReadFile(filepath.Join(proc, "stat"))
	if err != nil {
		return 0, 0, fmt.Errorf("CPU times: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(first)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("CPU times: %s/stat begins %q, want \"cpu\" and 8 times", proc, first)
	}
	for i, s := range f[1:9] {
		n, err := strconv.ParseUint(s, 10, 63)
		if err != nil {
			return 0, 0, fmt.Errorf("CPU times: %s/stat: field %d: %w", proc, i+1, err)
		}
		d := time.Duration(n) * time.Second / userHZ
		total += d
		if i == 3 || i == 4 {
			idle += d
		}
	}
	return idle, total, nil
}
