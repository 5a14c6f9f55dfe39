package privdrop

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/src/base/clock"
)

// StatusFields are the lines of /proc/<pid>/status that say a process's
// rights, in the order ReadStatus returns them.
var StatusFields = []string{"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"}

// ReadStatus returns the StatusFields lines of process pid's status file
// under proc (/proc) as the kernel wrote them, each "Name: value" with
// the value's tabs turned into spaces: init prints them, a test reads
// them, and neither trusts this package's idea of what they should say.
func ReadStatus(proc string, pid int) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "status"))
	if err != nil {
		return nil, fmt.Errorf("rights of pid %d: %w", pid, err)
	}
	found := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		found[name] = strings.Join(strings.Fields(value), " ")
	}
	var lines []string
	for _, f := range StatusFields {
		v, ok := found[f]
		if !ok {
			return nil, fmt.Errorf("rights of pid %d: no %s line in its status", pid, f)
		}
		lines = append(lines, f+": "+v)
	}
	return lines, nil
}

// WaitRunning waits, checking now and then on c, until process
// pid under proc has a second thread, or timeout passes (then it returns
// an error and the caller may read anyway). The kernel closes the
// close-on-exec files of an execve, which is when syscall.ForkExec
// returns, a little before it commits the new program's credentials:
// read at once, /proc can show the state between the two (the child's
// uid, its permitted set not yet cut down to the ambient one). A second
// thread is made by the new program once it runs (the Go runtime of the
// daemons starts one at once), so after it the credentials are final.
func WaitRunning(c clock.Clock, proc string, pid int, timeout time.Duration) error {
	dir := filepath.Join(proc, strconv.Itoa(pid), "task")
	deadline := c.Now().Add(timeout)
	// Often at once; a daemon paged in slowly (emulation) is checked less
	// often, so that init does not busy itself while the box boots.
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		tasks, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("pid %d: %w", pid, err)
		}
		if len(tasks) > 1 {
			return nil
		}
		if !c.Now().Before(deadline) {
			return fmt.Errorf("pid %d: still one thread after %v: its rights may be read in the middle of its execve", pid, timeout)
		}
		clock.Sleep(context.Background(), c, wait)
	}
}
