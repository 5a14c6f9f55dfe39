package qemuboot

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/testkit/testinput"
)

// Rights is a daemon's row of the daemons table of docs/privileges.md.
type Rights struct {
	Daemon   string
	UID, GID int
	Groups   []int
	// Caps are capability names (CAP_NET_RAW).
	Caps []string
	// Data is its data directory ("/data/netmgrd"), or "".
	Data string
}

// DeviceRight is a row of the devices table of docs/privileges.md.
type DeviceRight struct {
	Daemon string
	// Boards are the boards it applies to; "all" is every one.
	Boards []string
	// Device is a path, or "idle slot" / "booted slot".
	Device string
	Write  bool
}

// Privileges are the tables of docs/privileges.md.
type Privileges struct {
	Daemons map[string]Rights
	Devices []DeviceRight
}

// ReadPrivileges reads the tables of docs/privileges.md (under Bazel the
// file $PICKET_PRIVILEGES names, a data dependency; else the checkout's):
// what the booted box must show, from the documentation rather than from
// the build rules or the code that apply it.
func ReadPrivileges(t testing.TB) Privileges {
	t.Helper()
	path := testinput.Path(t, "PICKET_PRIVILEGES", func() string {
		return filepath.Join(testinput.ModuleRoot(t), "docs", "privileges.md")
	})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := Privileges{Daemons: map[string]Rights{}}
	atoi := func(s string) int {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("%s: %q is not a number", path, s)
		}
		return n
	}
	for _, row := range table(t, string(b), path, "daemons", 8) {
		r := Rights{Daemon: row[0], UID: atoi(row[1]), GID: atoi(row[2])}
		for _, g := range strings.Fields(row[3]) {
			r.Groups = append(r.Groups, atoi(g))
		}
		if row[4] != "none" {
			r.Caps = strings.Fields(strings.ReplaceAll(row[4], "`", ""))
		}
		if row[5] != "none" {
			r.Data = strings.Trim(row[5], "`")
		}
		p.Daemons[r.Daemon] = r
	}
	for _, row := range table(t, string(b), path, "devices", 4) {
		d := DeviceRight{Daemon: row[0], Device: strings.Trim(row[2], "`"), Write: row[3] == "read, write"}
		for _, b := range strings.Split(row[1], ",") {
			d.Boards = append(d.Boards, strings.TrimSpace(b))
		}
		if row[3] != "read" && row[3] != "read, write" {
			t.Fatalf("%s: devices: access %q: want read or read, write", path, row[3])
		}
		p.Devices = append(p.Devices, d)
	}
	if len(p.Daemons) == 0 || len(p.Devices) == 0 {
		t.Fatalf("%s: no daemons or no devices table", path)
	}
	return p
}

// table returns the rows (cells trimmed) of the markdown table after the
// marker <!-- privileges:name -->, which must have cols columns.
func table(t testing.TB, doc, path, name string, cols int) [][]string {
	t.Helper()
	marker := "<!-- privileges:" + name + " -->"
	i := strings.Index(doc, marker)
	if i < 0 {
		t.Fatalf("%s: no %s", path, marker)
	}
	var rows [][]string
	for n, line := range strings.Split(doc[i+len(marker):], "\n")[1:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		if n < 2 {
			continue // header and rule
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != cols {
			t.Fatalf("%s: %s: %d cells, want %d: %s", path, name, len(cells), cols, line)
		}
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		rows = append(rows, cells)
	}
	return rows
}

// capNumbers are the capabilities by name, from the kernel's numbers
// (x/sys/unix), not from the code under test.
var capNumbers = map[string]int{
	"CAP_CHOWN": unix.CAP_CHOWN, "CAP_DAC_OVERRIDE": unix.CAP_DAC_OVERRIDE, "CAP_DAC_READ_SEARCH": unix.CAP_DAC_READ_SEARCH,
	"CAP_FOWNER": unix.CAP_FOWNER, "CAP_FSETID": unix.CAP_FSETID, "CAP_KILL": unix.CAP_KILL, "CAP_SETGID": unix.CAP_SETGID,
	"CAP_SETUID": unix.CAP_SETUID, "CAP_SETPCAP": unix.CAP_SETPCAP, "CAP_NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE,
	"CAP_NET_BROADCAST": unix.CAP_NET_BROADCAST, "CAP_NET_ADMIN": unix.CAP_NET_ADMIN, "CAP_NET_RAW": unix.CAP_NET_RAW,
	"CAP_SYS_RAWIO": unix.CAP_SYS_RAWIO, "CAP_SYS_ADMIN": unix.CAP_SYS_ADMIN, "CAP_SYS_BOOT": unix.CAP_SYS_BOOT,
	"CAP_SYS_TIME": unix.CAP_SYS_TIME, "CAP_SYS_TTY_CONFIG": unix.CAP_SYS_TTY_CONFIG, "CAP_MKNOD": unix.CAP_MKNOD,
}

var rightsLine = regexp.MustCompile(`init: (\S+) rights \(pid \d+\): ([^\r\n]*)`)

// CheckRights checks what init printed on console (one boot's) for each
// of daemons against the documented tables p, on board: the rights read
// back from /proc after each start (uid, gid, groups, every capability
// set, no_new_privs), the data directory made the daemon's, and the
// device nodes given to it; slots maps "idle slot" and "booted slot" to
// the partitions they are on this boot (nil: those devices are not
// checked).
func CheckRights(t testing.TB, console string, p Privileges, board string, daemons []string, slots map[string]string) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range rightsLine.FindAllStringSubmatch(console, -1) {
		d := m[1]
		want, ok := p.Daemons[d]
		if !ok {
			t.Errorf("init started %s, which docs/privileges.md does not list: %s", d, m[0])
			continue
		}
		seen[d]++
		t.Logf("%s", m[0])
		got := map[string]string{}
		for _, f := range strings.Split(m[2], "; ") {
			if k, v, ok := strings.Cut(f, ": "); ok {
				got[k] = v
			}
		}
		var mask uint64
		for _, c := range want.Caps {
			n, ok := capNumbers[c]
			if !ok {
				t.Fatalf("docs/privileges.md: capability %s: not one this test knows", c)
			}
			mask |= 1 << n
		}
		var groups []string
		for _, g := range want.Groups {
			groups = append(groups, strconv.Itoa(g))
		}
		caps := fmt.Sprintf("%016x", mask)
		for k, v := range map[string]string{
			"Uid":    strings.TrimSpace(strings.Repeat(strconv.Itoa(want.UID)+" ", 4)),
			"Gid":    strings.TrimSpace(strings.Repeat(strconv.Itoa(want.GID)+" ", 4)),
			"Groups": strings.Join(groups, " "),
			"CapInh": caps, "CapPrm": caps, "CapEff": caps, "CapBnd": caps, "CapAmb": caps,
			"NoNewPrivs": "1",
		} {
			if got[k] != v {
				t.Errorf("%s on the box: %s %q, want %q (docs/privileges.md)\n%s", d, k, got[k], v, m[0])
			}
		}
	}
	for _, d := range daemons {
		if seen[d] == 0 {
			t.Errorf("init printed no rights for %s", d)
			continue
		}
		want := p.Daemons[d]
		if want.Data != "" {
			line := fmt.Sprintf("init: %s: %s's, owner %d:%d, mode 0700", want.Data, d, want.UID, want.GID)
			if !strings.Contains(console, line) {
				t.Errorf("no %q on the console", line)
			}
		}
		for _, dev := range p.Devices {
			if dev.Daemon != d || !slices.Contains(dev.Boards, board) && !slices.Contains(dev.Boards, "all") {
				continue
			}
			node := dev.Device
			if strings.HasSuffix(dev.Device, " slot") {
				s, ok := slots[dev.Device]
				if !ok {
					continue
				}
				node = s
			}
			access := "read"
			if dev.Write {
				access = "read, write"
			}
			line := fmt.Sprintf("init: %s device: %s (%s): %s, owner %d:%d", d, dev.Device, access, node, want.UID, want.GID)
			if !strings.Contains(console, line) {
				t.Errorf("no %q on the console", line)
			}
		}
	}
}
