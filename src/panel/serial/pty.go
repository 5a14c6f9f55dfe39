package serial

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// OpenPTY creates a pseudo-terminal pair through devDir/ptmx (devDir is
// "/dev" on a running system) and returns the master side and the path of
// the slave, devDir/pts/N. The slave path is what the console daemon is
// given in place of a serial device; whatever is written on the master
// arrives there as if typed on a terminal, and the daemon's output can be
// read from the master. It is for tests and development.
func OpenPTY(devDir string) (master *os.File, slavePath string, err error) {
	ptmx := filepath.Join(devDir, "ptmx")
	// Non-blocking so the master, like a Port, is served by the poller
	// and its reads honour deadlines.
	fd, err := unix.Open(ptmx, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", &os.PathError{Op: "open", Path: ptmx, Err: err}
	}
	// posix_openpt is the open above. grantpt has nothing to do on Linux:
	// devpts creates the slave owned by the caller with a usable mode.
	// unlockpt is TIOCSPTLCK with 0; the slave cannot be opened before.
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		return nil, "", fmt.Errorf("serial: unlock pty: %w", err)
	}
	// ptsname is TIOCGPTN: the slave's number in devpts.
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(fd)
		return nil, "", fmt.Errorf("serial: pty number: %w", err)
	}
	return os.NewFile(uintptr(fd), ptmx), filepath.Join(devDir, "pts", fmt.Sprint(n)), nil
}
