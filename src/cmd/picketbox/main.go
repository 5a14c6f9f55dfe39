// Command picketbox is the box's init and its boot daemons in one binary.
// The image has one file at /sbin/init and hard links to it at
// /usr/bin/netmgrd, consoled and lcdd; each runs the program its name says
// (argv[0]'s last element; package src/daemon/<name>, init's is initd).
// "picketbox PROGRAM ARGS..." runs one by name.
//
// Why one file: the initramfs reads the whole of /sbin/init through
// dm-verity before it switches root, so that a slot whose code does not
// match its signed hash tree is refused while the other slot can still be
// chosen. With one file that read covers every daemon's code too, and
// leaves it in the page cache: the daemons then start without reading,
// decompressing or hashing a block of their own, where separate binaries
// each paged in their own copy of the Go runtime and standard library
// (under emulation on one CPU, most of the time from init's start to the
// console's menu; docs/benchmarks.md).
//
// Which programs: those that start before the operator's menu answers,
// init, the network manager and the panels. scannerd and updaterd, the
// batch daemons init starts once the CPU is idle, stay binaries of their
// own: in this one their code (nearly half of it) would be read and
// hashed at every boot before the menu, for daemons that start after it.
//
// The rights are unchanged: init gives each daemon its user, capabilities
// and devices when it starts it, not the file (docs/privileges.md), and a
// program can only become another with the rights it already has.
package main

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"picket.dev/picket/src/daemon/consoled"
	"picket.dev/picket/src/daemon/initd"
	"picket.dev/picket/src/daemon/lcdd"
	"picket.dev/picket/src/daemon/netmgrd"
)

// self is the binary's own name, under which it takes the program's name
// as its first argument.
const self = "picketbox"

// programs are the programs the binary holds, by the name each is run as.
func programs() map[string]func() {
	return map[string]func(){
		"init":     initd.Main,
		"netmgrd":  netmgrd.Main,
		"consoled": consoled.Main,
		"lcdd":     lcdd.Main,
	}
}

// lookup finds the program args (a process's argv) asks for, and the argv
// it is to see: its own name first.
func lookup(progs map[string]func(), args []string) (func(), []string, error) {
	if len(args) == 0 {
		return nil, nil, fmt.Errorf("no program name: run it as one of %s, or as %s PROGRAM ARGS...", names(progs), self)
	}
	name := path.Base(args[0])
	if name == self {
		if len(args) < 2 {
			return nil, nil, fmt.Errorf("usage: %s PROGRAM ARGS...; programs: %s", self, names(progs))
		}
		args = args[1:]
		name = args[0]
	}
	run, ok := progs[name]
	if !ok {
		return nil, nil, fmt.Errorf("no program %q here: the programs are %s (run as a link of that name to this binary, or as %s PROGRAM ARGS...)", name, names(progs), self)
	}
	return run, args, nil
}

func names(progs map[string]func()) string {
	var n []string
	for k := range progs {
		n = append(n, k)
	}
	slices.Sort(n)
	return strings.Join(n, ", ")
}

func main() {
	run, args, err := lookup(programs(), os.Args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", self, err)
		os.Exit(2)
	}
	// The programs read their arguments from os.Args, as their own
	// commands do.
	os.Args = args
	run()
}
