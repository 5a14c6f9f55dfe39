// Command guestinit is the init (PID 1) of the qemu guest that
// tests/vmnet boots to test what the build machine's kernel cannot: 802.1Q
// VLANs and ethtool link settings on a real NIC driver (e1000).
//
// It mounts /proc, /sys and /dev, loads the kernel modules listed in
// /etc/modules (in order, from /lib/modules), brings lo up, and then serves
// the host on the second serial port (/dev/ttyS1): one JSON request per
// line, {"cmd": "...", "args": {...}}, answered by one JSON line,
// {"result": ...} or {"error": "..."}. The commands are in agent.go. It
// announces itself with {"ready": true, ...} when it starts serving.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// agentPort is the serial port the host talks to; ttyS0 is the console.
const agentPort = "/dev/ttyS1"

func main() {
	start := time.Now()
	if err := run(start); err != nil {
		fmt.Fprintf(os.Stderr, "guestinit: %v\n", err)
	}
	// PID 1 must not exit (the kernel panics; with panic=-1 and
	// -no-reboot qemu then quits, which the host sees as the end).
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

func run(start time.Time) error {
	if err := mountAll(); err != nil {
		return err
	}
	mods, err := loadModules("/etc/modules", "/lib/modules")
	if err != nil {
		return err
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find lo: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	port, err := openRaw(agentPort)
	if err != nil {
		return err
	}
	defer port.Close()
	fmt.Fprintf(os.Stderr, "guestinit: serving on %s\n", agentPort)
	a := newAgent()
	return a.serve(bufio.NewReaderSize(port, 1<<20), port, map[string]any{
		"ready": true, "modules": mods, "init_ms": time.Since(start).Milliseconds(),
	})
}

func mountAll() error {
	for _, m := range []struct{ dir, fstype string }{
		{"/proc", "proc"}, {"/sys", "sysfs"}, {"/dev", "devtmpfs"},
	} {
		if err := os.MkdirAll(m.dir, 0o755); err != nil {
			return fmt.Errorf("mkdir %s: %w", m.dir, err)
		}
		if err := unix.Mount(m.fstype, m.dir, m.fstype, 0, ""); err != nil && !errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.dir, err)
		}
	}
	return nil
}

// loadModules loads the modules named in list (one file name a line, in
// dependency order) from dir. A module already in the kernel is fine.
func loadModules(list, dir string) ([]string, error) {
	b, err := os.ReadFile(list)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read module list: %w", err)
	}
	var loaded []string
	for _, name := range strings.Fields(string(b)) {
		f, err := os.Open(dir + "/" + name)
		if err != nil {
			return loaded, fmt.Errorf("load module: %w", err)
		}
		err = unix.FinitModule(int(f.Fd()), "", 0)
		f.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return loaded, fmt.Errorf("load module %s: %w", name, err)
		}
		loaded = append(loaded, name)
	}
	return loaded, nil
}

// openRaw opens a serial port in raw mode: no echo, no line editing (whose
// 4 KiB line limit a large request would overflow), no CR/LF translation.
func openRaw(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("open agent port: %w", err)
	}
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("agent port %s: read termios: %w", path, err)
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CRTSCTS
	t.Cflag |= unix.CS8 | unix.CLOCAL | unix.CREAD
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t); err != nil {
		f.Close()
		return nil, fmt.Errorf("agent port %s: set raw mode: %w", path, err)
	}
	return f, nil
}

// request is one line from the host.
type request struct {
	Cmd  string          `json:"cmd"`
	Args json.RawMessage `json:"args"`
}

// response is one line to the host.
type response struct {
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
	// Unsupported is set with Error when errors.Is(err,
	// errors.ErrUnsupported): a link mode the NIC does not support.
	Unsupported bool `json:"unsupported,omitempty"`
}
