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

	mu     sync.Mutex
	loaded map[string]bool // tried: loaded, or failed once (not tried again)
	// finished: closed when the module's load returned (either way).
	finished map[string]chan struct{}
	// first is closed once the first scan chose its modules; started
	// says it was.
	first   chan struct{}
	started bool
}

// lazyInit makes the maps; l.mu must be held.
func (l *Loader) lazyInit() {
	if l.loaded == nil {
		l.loaded, l.finished, l.first = map[string]bool{}, map[string]chan struct{}{}, make(chan struct{})
	}
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
	name   string
	err    error
	driver bool // it drives devices (has aliases): look at the devices again
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
		if inflight == 0 {
			break
		}
		r := <-results
		inflight--
		if r.err != nil {
			errs = append(errs, r.err)
		} else {
			got[r.name] = true
		}
		look = r.driver
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
// loads modules concurrently as udev asks it to. Each load's result goes
// to results; start returns how many it started.
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
	fin := make([]chan struct{}, len(sel))
	needs := make([][]chan struct{}, len(sel))
	for i, m := range sel {
		l.loaded[m.Name()] = true
		fin[i] = make(chan struct{})
		l.finished[m.Name()] = fin[i]
	}
	for i, m := range sel {
		for _, n := range m.Needs {
			if c, ok := l.finished[n]; ok {
				needs[i] = append(needs[i], c)
			}
		}
	}
	if !l.started {
		l.started = true
		close(l.first)
	}
	l.mu.Unlock()
	for i, m := range sel {
		go func() {
			defer close(fin[i])
			for _, c := range needs[i] {
				<-c
			}
			r := result{name: m.Name(), driver: len(m.Aliases) > 0}
			if err := l.Load(m.Path); err != nil && !errors.Is(err, unix.EEXIST) {
				r.err = fmt.Errorf("load module %s: %w", m.Path, err)
			}
			results <- r
		}()
	}
	return len(sel)
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
