package main

import (
	"slices"
	"strings"
	"testing"
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

// TestProgramsAreTheDaemons: the binary holds init and every daemon the
// image links to it (rootfs/products.bzl MULTICALL_PROGRAMS).
func TestProgramsAreTheDaemons(t *testing.T) {
	want := []string{"consoled", "init", "lcdd", "netmgrd"}
	if got := names(programs()); got != strings.Join(want, ", ") {
		t.Errorf("programs %s, want %s", got, strings.Join(want, ", "))
	}
}
