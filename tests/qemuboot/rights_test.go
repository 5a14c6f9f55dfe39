package qemuboot

import (
	"strings"
	"testing"
)

// fakeTB records a check's failures instead of failing the test.
type fakeTB struct {
	testing.TB
	errs []string
}

func (f *fakeTB) Helper()             {}
func (f *fakeTB) Logf(string, ...any) {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errs = append(f.errs, format)
}

// TestCheckRights reads the repository's docs/privileges.md and checks a
// console as init prints it: the documented rights pass, a daemon with
// one capability too many, or none of its lines, fails.
func TestCheckRights(t *testing.T) {
	p := ReadPrivileges(t)
	if len(p.Daemons) != 5 || p.Daemons["netmgrd"].UID == 0 || p.Daemons["scannerd"].Data != "/data/scannerd" {
		t.Fatalf("tables: %+v", p)
	}
	console := strings.Join([]string{
		"init: /data/scannerd: scannerd's, owner 102:102, mode 0700; moved identity into it (a link left at each)",
		"init: scannerd rights (pid 300): Uid: 102 102 102 102; Gid: 102 102 102 102; Groups: 100; CapInh: 0000000000002000; CapPrm: 0000000000002000; CapEff: 0000000000002000; CapBnd: 0000000000002000; CapAmb: 0000000000002000; NoNewPrivs: 1",
		"init: consoled device: /dev/ttyS0 (read, write): /dev/ttyS0, owner 104:104",
		"init: consoled rights (pid 301): Uid: 104 104 104 104; Gid: 104 104 104 104; Groups: 100; CapInh: 0000000000000000; CapPrm: 0000000000000000; CapEff: 0000000000000000; CapBnd: 0000000000000000; CapAmb: 0000000000000000; NoNewPrivs: 1",
		"",
	}, "\r\n")
	f := &fakeTB{TB: t}
	CheckRights(f, console, p, "virtual", []string{"scannerd", "consoled"}, nil)
	if len(f.errs) != 0 {
		t.Fatalf("the documented rights: %q", f.errs)
	}
	for name, bad := range map[string]string{
		"a capability too many": strings.Replace(console, "CapBnd: 0000000000000000", "CapBnd: 0000000000001000", 1),
		"no no_new_privs":       strings.Replace(console, "NoNewPrivs: 1\r\ninit: consoled device", "NoNewPrivs: 0\r\ninit: consoled device", 1),
		"root":                  strings.Replace(console, "Uid: 104 104 104 104", "Uid: 0 0 0 0", 1),
		"no device":             strings.Replace(console, "init: consoled device", "init: consoled", 1),
	} {
		f := &fakeTB{TB: t}
		CheckRights(f, bad, p, "virtual", []string{"scannerd", "consoled"}, nil)
		if len(f.errs) == 0 {
			t.Errorf("%s: passed", name)
		}
	}
	f = &fakeTB{TB: t}
	CheckRights(f, console, p, "virtual", []string{"scannerd", "consoled", "updaterd"}, nil)
	if len(f.errs) == 0 {
		t.Error("updaterd without a line: passed")
	}
}
