package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"picket.dev/picket/src/testkit/testinput"
)

func TestLookup(t *testing.T) {
	var ran string
	progs := map[string]func(){
		"init":    func() { ran = "init" },
		"netmgrd": func() { ran = "netmgrd" },
	}
	for _, c := range []struct {
		args     []string
		program  string
		wantArgs []string
		err      string
	}{
		// As the initramfs execs it, and as init starts a daemon: the
		// link's path is argv[0].
		{args: []string{"/sbin/init"}, program: "init", wantArgs: []string{"/sbin/init"}},
		{args: []string{"/usr/bin/netmgrd", "-data", "/data/netmgrd"}, program: "netmgrd", wantArgs: []string{"/usr/bin/netmgrd", "-data", "/data/netmgrd"}},
		{args: []string{"netmgrd"}, program: "netmgrd", wantArgs: []string{"netmgrd"}},
		// By its own name, the program's name first.
		{args: []string{"/usr/bin/picketbox", "netmgrd", "-version"}, program: "netmgrd", wantArgs: []string{"netmgrd", "-version"}},
		{args: []string{"picketbox"}, err: "usage: picketbox PROGRAM ARGS...; programs: init, netmgrd"},
		{args: []string{"/usr/bin/sh"}, err: `no program "sh" here: the programs are init, netmgrd`},
		{args: []string{"picketbox", "picketbox"}, err: `no program "picketbox" here`},
		{args: nil, err: "no program name"},
	} {
		ran = ""
		run, args, err := lookup(progs, c.args)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("lookup(%q): error %v, want one with %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("lookup(%q): %v", c.args, err)
			continue
		}
		run()
		if ran != c.program || !slices.Equal(args, c.wantArgs) {
			t.Errorf("lookup(%q): ran %q with %q, want %q with %q", c.args, ran, args, c.program, c.wantArgs)
		}
	}
}

// TestProgramsAreTheDaemons: the binary holds exactly the programs the
// images link to it (rootfs/products.bzl MULTICALL_PROGRAMS). A name the
// image links but the binary lacks would only show at boot, as a daemon
// that exits at once.
func TestProgramsAreTheDaemons(t *testing.T) {
	path := testinput.Path(t, "PICKET_PRODUCTS", func() string { return filepath.Join(testinput.ModuleRoot(t), "rootfs/products.bzl") })
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^MULTICALL_PROGRAMS = \[([^\]]*)\]`).FindSubmatch(src)
	if m == nil {
		t.Fatalf("%s: no MULTICALL_PROGRAMS = [...]", path)
	}
	var want []string
	for _, q := range regexp.MustCompile(`"([a-z0-9]+)"`).FindAllSubmatch(m[1], -1) {
		want = append(want, string(q[1]))
	}
	slices.Sort(want)
	if got := names(programs()); got != strings.Join(want, ", ") || len(want) == 0 {
		t.Errorf("programs %s; rootfs/products.bzl links %s", got, strings.Join(want, ", "))
	}
}
