// Package uevent reads the kernel's device events (kobject uevents) from
// its netlink multicast group, as udev does: "change@/devices/...",
// then KEY=VALUE strings. Init listens for dm-verity's report of a
// corrupted block, which comes only this way.
package uevent

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// kernelGroup is the multicast group the kernel sends uevents to (udev
// re-sends them to group 2).
const kernelGroup = 1

// Event is one uevent.
type Event struct {
	// Action and DevPath come from the header "action@devpath".
	Action, DevPath string
	Env             map[string]string
}

// Conn receives uevents.
type Conn struct{ f *os.File }

// Listen opens a socket on the kernel's uevent group. Reads block until
// an event; Close ends a blocked Read.
func Listen() (*Conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, fmt.Errorf("uevent socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: kernelGroup}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("uevent socket: bind: %w", err)
	}
	// Non-blocking, so the runtime's poller serves it and Close wakes a
	// pending Read.
	return &Conn{f: os.NewFile(uintptr(fd), "uevent")}, nil
}

// Read returns the next event.
func (c *Conn) Read() (Event, error) {
	buf := make([]byte, 16<<10)
	for {
		n, err := c.f.Read(buf)
		if err != nil {
			return Event{}, fmt.Errorf("read uevent: %w", err)
		}
		e, err := Parse(buf[:n])
		if err == nil {
			return e, nil
		}
		// Anything but a kernel uevent (libudev's own format, which
		// nobody sends to the kernel's group) is skipped.
	}
}

// Close closes the socket.
func (c *Conn) Close() error { return c.f.Close() }

// Parse decodes one kernel uevent message: "action@devpath", then
// NUL-separated KEY=VALUE strings.
func Parse(b []byte) (Event, error) {
	parts := bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0})
	head := string(parts[0])
	action, path, ok := strings.Cut(head, "@")
	if !ok || action == "" || !strings.HasPrefix(path, "/") {
		return Event{}, errors.New("uevent: not a kernel uevent header: " + strings.ToValidUTF8(head, "?"))
	}
	e := Event{Action: action, DevPath: path, Env: map[string]string{}}
	for _, p := range parts[1:] {
		if k, v, ok := strings.Cut(string(p), "="); ok && k != "" {
			e.Env[k] = v
		}
	}
	return e, nil
}
