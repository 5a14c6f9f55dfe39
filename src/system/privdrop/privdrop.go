// Package privdrop starts a program with only the rights it is given:
// its own uid and gid, a fixed list of supplementary groups (never the
// starter's), the capabilities named and no other (effective, permitted,
// inheritable and ambient sets all equal to them, the bounding set cut
// down to them as well), and no_new_privs, so that nothing it executes
// (a setuid file, file capabilities) can give it more. It is how init
// starts every daemon of the box (docs/privileges.md).
//
// The kernel keeps the bounding set, no_new_privs and the securebits per
// thread, and a forked child inherits them from the thread that forks.
// Start therefore narrows them on an OS thread of its own, forks and
// executes the program from that thread (syscall.ForkExec: setgroups,
// setgid, setuid with keep-caps, and the ambient capabilities raised in
// the child), and lets the thread end with its goroutine instead of
// handing it back to the Go scheduler: the starter (init) keeps all its
// rights on every other thread.
//
// It also holds what init does for the daemons' rights around the start:
// the owner and mode of the device nodes a daemon may use (Grant), each
// daemon's directory on the data partition (PrepareDir), and reading a
// process's rights back from /proc (ReadStatus).
package privdrop

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Cap is a Linux capability number (CAP_NET_RAW is 13).
type Cap uint

// capNames are the capabilities' names, by number (linux/capability.h).
var capNames = [...]string{
	unix.CAP_CHOWN:              "CAP_CHOWN",
	unix.CAP_DAC_OVERRIDE:       "CAP_DAC_OVERRIDE",
	unix.CAP_DAC_READ_SEARCH:    "CAP_DAC_READ_SEARCH",
	unix.CAP_FOWNER:             "CAP_FOWNER",
	unix.CAP_FSETID:             "CAP_FSETID",
	unix.CAP_KILL:               "CAP_KILL",
	unix.CAP_SETGID:             "CAP_SETGID",
	unix.CAP_SETUID:             "CAP_SETUID",
	unix.CAP_SETPCAP:            "CAP_SETPCAP",
	unix.CAP_LINUX_IMMUTABLE:    "CAP_LINUX_IMMUTABLE",
	unix.CAP_NET_BIND_SERVICE:   "CAP_NET_BIND_SERVICE",
	unix.CAP_NET_BROADCAST:      "CAP_NET_BROADCAST",
	unix.CAP_NET_ADMIN:          "CAP_NET_ADMIN",
	unix.CAP_NET_RAW:            "CAP_NET_RAW",
	unix.CAP_IPC_LOCK:           "CAP_IPC_LOCK",
	unix.CAP_IPC_OWNER:          "CAP_IPC_OWNER",
	unix.CAP_SYS_MODULE:         "CAP_SYS_MODULE",
	unix.CAP_SYS_RAWIO:          "CAP_SYS_RAWIO",
	unix.CAP_SYS_CHROOT:         "CAP_SYS_CHROOT",
	unix.CAP_SYS_PTRACE:         "CAP_SYS_PTRACE",
	unix.CAP_SYS_PACCT:          "CAP_SYS_PACCT",
	unix.CAP_SYS_ADMIN:          "CAP_SYS_ADMIN",
	unix.CAP_SYS_BOOT:           "CAP_SYS_BOOT",
	unix.CAP_SYS_NICE:           "CAP_SYS_NICE",
	unix.CAP_SYS_RESOURCE:       "CAP_SYS_RESOURCE",
	unix.CAP_SYS_TIME:           "CAP_SYS_TIME",
	unix.CAP_SYS_TTY_CONFIG:     "CAP_SYS_TTY_CONFIG",
	unix.CAP_MKNOD:              "CAP_MKNOD",
	unix.CAP_LEASE:              "CAP_LEASE",
	unix.CAP_AUDIT_WRITE:        "CAP_AUDIT_WRITE",
	unix.CAP_AUDIT_CONTROL:      "CAP_AUDIT_CONTROL",
	unix.CAP_SETFCAP:            "CAP_SETFCAP",
	unix.CAP_MAC_OVERRIDE:       "CAP_MAC_OVERRIDE",
	unix.CAP_MAC_ADMIN:          "CAP_MAC_ADMIN",
	unix.CAP_SYSLOG:             "CAP_SYSLOG",
	unix.CAP_WAKE_ALARM:         "CAP_WAKE_ALARM",
	unix.CAP_BLOCK_SUSPEND:      "CAP_BLOCK_SUSPEND",
	unix.CAP_AUDIT_READ:         "CAP_AUDIT_READ",
	unix.CAP_PERFMON:            "CAP_PERFMON",
	unix.CAP_BPF:                "CAP_BPF",
	unix.CAP_CHECKPOINT_RESTORE: "CAP_CHECKPOINT_RESTORE",
}

func (c Cap) String() string {
	if int(c) < len(capNames) {
		return capNames[c]
	}
	return fmt.Sprintf("CAP_%d", uint(c))
}

// ParseCap returns the capability named name ("CAP_NET_RAW").
func ParseCap(name string) (Cap, error) {
	if i := slices.Index(capNames[:], name); i >= 0 {
		return Cap(i), nil
	}
	return 0, fmt.Errorf("capability %q: unknown (want a name such as CAP_NET_RAW)", name)
}

// Mask is caps as the bit mask /proc/<pid>/status shows (CapEff etc.).
func Mask(caps []Cap) uint64 {
	var m uint64
	for _, c := range caps {
		m |= 1 << c
	}
	return m
}

// Creds are the rights a program is started with.
type Creds struct {
	UID, GID uint32
	// Groups are the supplementary groups; none is none (setgroups with
	// an empty list), never the starter's.
	Groups []uint32
	// Caps are the capabilities it holds (effective, permitted,
	// inheritable, ambient) and the only ones left in its bounding set.
	Caps []Cap
}

// Check refuses creds that would not drop root.
func (c *Creds) Check() error {
	if c.UID == 0 || c.GID == 0 {
		return fmt.Errorf("uid %d gid %d: a dropped daemon runs under a uid and gid of its own, not root's", c.UID, c.GID)
	}
	for _, g := range c.Groups {
		if g == 0 {
			return errors.New("supplementary group 0 (root's) is not given to a daemon")
		}
	}
	for _, cp := range c.Caps {
		if int(cp) >= len(capNames) {
			return fmt.Errorf("capability %d: unknown", uint(cp))
		}
	}
	return nil
}

func (c *Creds) String() string {
	var caps []string
	for _, cp := range c.Caps {
		caps = append(caps, cp.String())
	}
	if len(caps) == 0 {
		caps = []string{"no capabilities"}
	}
	return fmt.Sprintf("uid %d gid %d groups %v %s", c.UID, c.GID, c.Groups, strings.Join(caps, " "))
}

// The securebits (linux/securebits.h) set on the forking thread: a process
// that became uid 0 again would get no capabilities from executing a
// program (NOROOT), and the daemon cannot change either bit (the locks).
const (
	secbitNoRoot             = 1 << 0
	secbitNoRootLocked       = 1 << 1
	secbitNoSetuidFixupLockd = 1 << 3
	secureBits               = secbitNoRoot | secbitNoRootLocked | secbitNoSetuidFixupLockd
)

// Start forks and executes path (as syscall.ForkExec) with c's rights;
// nil c starts it with the caller's. attr.Sys may be set (Setsid, a
// controlling terminal); its Credential and AmbientCaps are Start's.
// The caller needs CAP_SETPCAP, CAP_SETUID and CAP_SETGID (root).
func Start(path string, argv []string, attr *syscall.ProcAttr, c *Creds) (int, error) {
	if c == nil {
		return syscall.ForkExec(path, argv, attr)
	}
	if err := c.Check(); err != nil {
		return 0, err
	}
	a := *attr
	sys := syscall.SysProcAttr{}
	if attr.Sys != nil {
		sys = *attr.Sys
	}
	groups := append([]uint32{}, c.Groups...)
	sys.Credential = &syscall.Credential{Uid: c.UID, Gid: c.GID, Groups: groups}
	sys.AmbientCaps = nil
	for _, cp := range c.Caps {
		sys.AmbientCaps = append(sys.AmbientCaps, uintptr(cp))
	}
	a.Sys = &sys
	type result struct {
		pid int
		err error
	}
	var r result
	onThreadOfItsOwn(func() {
		if err := narrowThread(c.Caps); err != nil {
			r.err = err
			return
		}
		r.pid, r.err = syscall.ForkExec(path, argv, &a)
	})
	return r.pid, r.err
}

// onThreadOfItsOwn runs f on an OS thread that ends when f returns: f may
// narrow the thread's rights for good. It is never the process's main
// thread, which Go parks for ever instead of ending (and whose rights
// /proc/<pid>/status shows): when the goroutine finds itself there, it
// holds the main thread while another goroutine, which then cannot run
// there, does the work.
func onThreadOfItsOwn(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			f()
			return // locked: the thread ends with the goroutine
		}
		onThreadOfItsOwn(f)
		runtime.UnlockOSThread()
	}()
	<-done
}

// narrowThread drops every capability but keep from the calling thread's
// bounding set, sets the securebits and no_new_privs on it.
func narrowThread(keep []Cap) error {
	for c := Cap(0); ; c++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if errors.Is(err, unix.EINVAL) {
			break // past the kernel's last capability
		}
		if err != nil {
			return fmt.Errorf("read bounding set: %w", err)
		}
		if in == 1 && !slices.Contains(keep, c) {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
				return fmt.Errorf("drop %v from the bounding set: %w", c, err)
			}
		}
	}
	if err := unix.Prctl(unix.PR_SET_SECUREBITS, secureBits, 0, 0, 0); err != nil {
		return fmt.Errorf("set securebits: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	return nil
}
