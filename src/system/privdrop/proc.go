package privdrop

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
