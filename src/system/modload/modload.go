// Package modload loads the kernel modules of an image's list that the
// box's devices call for, as udev's coldplug and modprobe would on a
// bigger system: at boot it reads the modalias of every device present
// in sysfs and loads the drivers that match (and what they need), again
// while that brings new devices up (a PCI virtio function, then its
// virtio disk; an AHCI port, then its SATA disk); after boot it is told
// of each hotplugged device (a USB NIC) by its uevent. A board's list
// covers every machine it may run on, so loading all of it cost the
// boot a second under emulation for drivers of absent hardware.
package modload

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/system/kmod"
)

// Loader loads modules of List. Its methods may be called from several
// goroutines (the boot's scan and the hotplug listener).
type Loader struct {
	// List is the image's modules, dependencies first (kmod.ParseList).
	List []kmod.Module
	// Sysfs is where sysfs is mounted ("/sys").
	Sysfs string
	// Load loads one module file (finit_module: linuxsys.System's
	// LoadModule); an already loaded or built-in module is not an error.
	Load func(path string) error
	// Enough, if set, says whether the devices the caller needs are up
	// (the initramfs: the boot disk's partitions). The drivers of the
	// devices present, and the libraries only drivers need, then load
	// one at a time in the list's order, and once Enough has said true
	// none is started any more: the boot needs one disk, and a machine
	// may have other controllers (q35's AHCI beside the virtio disk:
	// libata, scsi_mod and ahci cost ~0.15 s of CPU under emulation
	// and a probe of its ports). The modules asked for by name (file
	// systems, dm-verity) and what they need load beside them, all at
	// once. So a board lists its likeliest boot disk's drivers first.
	// Nil: every module called for loads, all at once, as soon as
	// what it needs has.
	Enough func() bool

	mu     sync.Mutex
	loaded map[string]bool // tried: loaded, or failed once (not tried again)
	// finished: closed when the module's load returned (either way).
	finished map[string]chan struct{}
	// first is closed once the first scan chose its modules; started
	// says it was.
	first   chan struct{}
	started bool
	// With Enough: the drivers' lane, waiting in the list's order (by
	// index); laneBusy says a goroutine works through it; enough
	// latches Enough's true (a library left out stays out, so a driver
	// needing it is never loaded without it); leftOut are the modules
	// left out for it.
	lane     []load
	laneBusy bool
	enough   bool
	index    map[string]int
	leftOut  map[string]bool
	// always are the modules that load beside the lane: those asked for
	// by name and what they need (nil without Enough: all do).
	always map[string]bool
}

// load is one module's load to run: when those it needs have returned,
// with its result sent to the scan that chose it.
type load struct {
	m       kmod.Module
	needs   []chan struct{}
	fin     chan struct{}
	results chan<- result
}

// lazyInit makes the maps; l.mu must be held.
func (l *Loader) lazyInit() {
	if l.loaded == nil {
		l.loaded, l.finished, l.first = map[string]bool{}, map[string]chan struct{}{}, make(chan struct{})
		l.index, l.leftOut = map[string]int{}, map[string]bool{}
		for i, m := range l.List {
			if _, ok := l.index[m.Name()]; !ok {
				l.index[m.Name()] = i
			}
		}
		if l.Enough != nil {
			l.always = kmod.Closure(l.List, kmod.Named(l.List))
		}
	}
}

// LeftOut returns the modules the devices present called for that were
// not loaded because Enough said the devices needed were up, in the
// list's order.
func (l *Loader) LeftOut() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, m := range l.List {
		if l.leftOut[m.Name()] {
			out = append(out, m.Name())
		}
	}
	return out
}

// Wait blocks until the named modules, if the first scan (or a later
// one) chose them, are loaded or failed; a module no scan chose is not
// waited for. It lets the initramfs mount the boot partition while a
// disk controller it does not boot from still probes: call it from
// another goroutine than Scan's.
func (l *Loader) Wait(names ...string) {
	l.mu.Lock()
	l.lazyInit()
	first := l.first
	l.mu.Unlock()
	<-first
	for _, n := range names {
		l.mu.Lock()
		c := l.finished[n]
		l.mu.Unlock()
		if c != nil {
			<-c
		}
	}
}

// Scan loads the modules the devices present call for, and looks at
// the devices again each time a driver's load returns (its devices may
// bring up others: a PCI virtio function its virtio disk, an xHCI
// controller its USB devices), so that a driver does not wait for
// another's slow probe; it returns when no load is left, with the names
// of the modules it loaded in the list's order. Errors of single modules
// are joined; the others are loaded regardless.
func (l *Loader) Scan() ([]string, error) { return l.scan(nil) }

// Device loads what one new device calls for (its MODALIAS, from an
// "add" uevent), then what the devices it brought up call for.
func (l *Loader) Device(modalias string) ([]string, error) { return l.scan([]string{modalias}) }

// result is one module's load.
type result struct {
	name    string
	err     error
	driver  bool // it drives devices (has aliases): look at the devices again
	leftOut bool // not loaded: Enough said the devices needed were up
	// seen, if set, is closed once the scan looked at the devices after
	// this result: the drivers' lane waits for it before its next load,
	// so a device this driver brought up gets its driver's load ahead
	// of the others waiting.
	seen chan struct{}
}

// scan loads what the modaliases first (nil: the devices in sysfs) call
// for, then rescans sysfs after each driver's load, until none is left
// loading.
func (l *Loader) scan(first []string) ([]string, error) {
	results := make(chan result, len(l.List))
	got := map[string]bool{}
	var errs []error
	inflight := 0
	present, look := first, true
	var seen chan struct{}
	for {
		if look {
			if present == nil {
				p, err := Present(l.Sysfs)
				if err != nil {
					errs = append(errs, err)
				}
				present = p
			}
			inflight += l.start(present, results)
			present, look = nil, false
		}
		if seen != nil {
			close(seen)
		}
		if inflight == 0 {
			break
		}
		r := <-results
		seen = r.seen
		inflight--
		switch {
		case r.err != nil:
			errs = append(errs, r.err)
		case !r.leftOut:
			got[r.name] = true
		}
		look = r.driver && !r.leftOut
	}
	var loaded []string
	for _, m := range l.List {
		if got[m.Name()] {
			loaded = append(loaded, m.Name())
			delete(got, m.Name()) // a name listed twice once
		}
	}
	return loaded, errors.Join(errs...)
}

// start chooses the modules present calls for that are not loaded or
// loading yet and starts their loads, each as soon as those it needs
// (chosen now or before, maybe still loading) are: a driver's probe may
// wait on its hardware (a SATA port's reset, a PHY), and the kernel
// loads modules concurrently as udev asks it to. With Enough, the
// drivers and their libraries queue in the drivers' lane instead. Each
// load's result goes to results; start returns how many it started.
func (l *Loader) start(present []string, results chan<- result) int {
	l.mu.Lock()
	l.lazyInit()
	if !l.started {
		// Loaded before this loader (the init finds the initramfs's):
		// finit_module would read and check the whole file's signature
		// again only to answer EEXIST. Looked up once: what loads
		// later is this loader's doing, and in l.loaded.
		for _, m := range l.List {
			if n := m.Name(); l.live(n) {
				l.loaded[n] = true
			}
		}
	}
	sel := kmod.Select(l.List, present, l.loaded)
	loads := make([]load, len(sel))
	for i, m := range sel {
		l.loaded[m.Name()] = true
		loads[i] = load{m: m, fin: make(chan struct{}), results: results}
		l.finished[m.Name()] = loads[i].fin
	}
	for i, m := range sel {
		for _, n := range m.Needs {
			if c, ok := l.finished[n]; ok {
				loads[i].needs = append(loads[i].needs, c)
			}
		}
	}
	if !l.started {
		l.started = true
		close(l.first)
	}
	var now []load
	queued := false
	for _, ld := range loads {
		if l.always == nil || l.always[ld.m.Name()] {
			now = append(now, ld)
			continue
		}
		l.lane = append(l.lane, ld)
		queued = true
	}
	if queued {
		slices.SortStableFunc(l.lane, func(a, b load) int { return l.index[a.m.Name()] - l.index[b.m.Name()] })
		if !l.laneBusy {
			l.laneBusy = true
			go l.drain()
		}
	}
	l.mu.Unlock()
	for _, ld := range now {
		go l.run(ld, nil)
	}
	return len(sel)
}

// run loads one module once those it needs have returned; seen goes
// with its result.
func (l *Loader) run(ld load, seen chan struct{}) {
	defer close(ld.fin)
	for _, c := range ld.needs {
		<-c
	}
	r := result{name: ld.m.Name(), driver: len(ld.m.Aliases) > 0, seen: seen}
	if err := l.Load(ld.m.Path); err != nil && !errors.Is(err, unix.EEXIST) {
		r.err = fmt.Errorf("load module %s: %w", ld.m.Path, err)
	}
	ld.results <- r
}

// drain works through the drivers' lane, one load at a time, first in
// the list first, until it is empty; once Enough says true, what is
// left (and what a rescan adds) is left out.
func (l *Loader) drain() {
	for {
		l.mu.Lock()
		if len(l.lane) == 0 {
			l.laneBusy = false
			l.mu.Unlock()
			return
		}
		ld := l.lane[0]
		l.lane = l.lane[1:]
		enough := l.enough
		l.mu.Unlock()
		if !enough && l.Enough() {
			enough = true
			l.mu.Lock()
			l.enough = true
			l.mu.Unlock()
		}
		if !enough {
			seen := make(chan struct{})
			l.run(ld, seen)
			<-seen
			continue
		}
		// Not tried: a later scan may choose it again (and leave it out
		// again); modules waiting for it are in this lane too.
		l.mu.Lock()
		delete(l.loaded, ld.m.Name())
		l.leftOut[ld.m.Name()] = true
		l.mu.Unlock()
		close(ld.fin)
		ld.results <- result{name: ld.m.Name(), driver: len(ld.m.Aliases) > 0, leftOut: true}
	}
}

// live reports whether module name is loaded: /sys/module/<name> has an
// initstate (a built-in module's directory has none).
func (l *Loader) live(name string) bool {
	_, err := os.Stat(filepath.Join(l.Sysfs, "module", name, "initstate"))
	return err == nil
}

// Present returns the modaliases of the devices in sysfs: every bus's
// devices' (/sys/bus/*/devices/*/modalias) and the CPU's (its features,
// /sys/devices/system/cpu/modalias).
func Present(sysfs string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(sysfs, "bus", "*", "devices", "*", "modalias"))
	if err != nil {
		return nil, fmt.Errorf("device modaliases: %w", err)
	}
	files = append(files, filepath.Join(sysfs, "devices", "system", "cpu", "modalias"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			// A device gone since the glob, or a bus without the file.
			continue
		}
		if s := strings.TrimSpace(string(b)); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}
