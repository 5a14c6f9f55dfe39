package flash

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Dev is a block device number.
type Dev struct{ Major, Minor uint32 }

func (d Dev) String() string { return fmt.Sprintf("%d:%d", d.Major, d.Minor) }

func parseDev(s string) (Dev, error) {
	maj, min, ok := strings.Cut(strings.TrimSpace(s), ":")
	a, err1 := strconv.ParseUint(maj, 10, 32)
	b, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return Dev{}, fmt.Errorf("device number %q: want MAJOR:MINOR", s)
	}
	return Dev{uint32(a), uint32(b)}, nil
}

// devOf returns the device number of a block device's stat.
func devOf(fi os.FileInfo) (Dev, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || fi.Mode()&os.ModeDevice == 0 || fi.Mode()&os.ModeCharDevice != 0 {
		return Dev{}, false
	}
	return Dev{unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev))}, true
}

// mount is one line of /proc/self/mountinfo, or of /proc/mounts (which
// has no device number: Dev is zero there).
type mount struct {
	Dev        Dev
	MountPoint string
	FSType     string
	Source     string
}

// unescape undoes the octal escapes (\040 for a space) the kernel writes
// in mount points and sources.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// readMountInfo parses a mountinfo file (proc(5)): "36 35 98:0 /mnt1
// /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue".
func readMountInfo(path string) ([]mount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read mount table: %w", err)
	}
	defer f.Close()
	var mounts []mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if len(fields) < 10 || sep < 0 || sep+2 >= len(fields) {
			return nil, fmt.Errorf("read mount table %s line %d: not in mountinfo format", path, line)
		}
		dev, err := parseDev(fields[2])
		if err != nil {
			return nil, fmt.Errorf("read mount table %s line %d: %w", path, line, err)
		}
		mounts = append(mounts, mount{Dev: dev, MountPoint: unescape(fields[4]), FSType: fields[sep+1], Source: unescape(fields[sep+2])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mount table %s: %w", path, err)
	}
	return mounts, nil
}

// readMounts parses an fstab-format mount list (/proc/mounts).
func readMounts(path string) ([]mount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read mount list: %w", err)
	}
	defer f.Close()
	var mounts []mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			return nil, fmt.Errorf("read mount list %s line %d: want \"source mountpoint fstype ...\"", path, line)
		}
		mounts = append(mounts, mount{Source: unescape(fields[0]), MountPoint: unescape(fields[1]), FSType: fields[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mount list %s: %w", path, err)
	}
	return mounts, nil
}

// ErrNoRootDevice is wrapped by RootDevice's error when "/" is not on a
// block device (overlay, tmpfs, a network file system): there is then no
// host disk to protect beyond what the mount check covers.
var ErrNoRootDevice = errors.New("the root file system is not on a block device")

// RootDevice returns the block device "/" is mounted from, per the given
// mountinfo file. File systems that report an anonymous device number
// (btrfs) are looked up by their source device instead.
func RootDevice(mountinfo string) (Dev, error) {
	mounts, err := readMountInfo(mountinfo)
	if err != nil {
		return Dev{}, fmt.Errorf("find the root device: %w", err)
	}
	var root *mount
	for i := range mounts {
		if mounts[i].MountPoint == "/" {
			root = &mounts[i] // the last one is on top
		}
	}
	if root == nil {
		return Dev{}, fmt.Errorf("find the root device: %s has no mount on /", mountinfo)
	}
	if root.Dev.Major != 0 {
		return root.Dev, nil
	}
	if strings.HasPrefix(root.Source, "/") {
		if fi, err := os.Stat(root.Source); err == nil {
			if d, ok := devOf(fi); ok {
				return d, nil
			}
		}
	}
	return Dev{}, fmt.Errorf("find the root device: %w: / is %s from %q (device %s)", ErrNoRootDevice, root.FSType, root.Source, root.Dev)
}
