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
}

// maxRounds bounds Scan's rescans: each round loads at least one module
// of a finite list, so the list's length would do, but a driver that
// keeps failing must not keep the boot scanning.
const maxRounds = 16

// Scan loads the modules the devices present call for, then scans
// again while the last round loaded any (their devices may bring up
// others), and returns the names of the modules it loaded. Errors of
// single modules are joined; the others are loaded regardless.
func (l *Loader) Scan() ([]string, error) {
	var done []string
	var errs []error
	for round := 0; round < maxRounds; round++ {
		present, err := Present(l.Sysfs)
		if err != nil {
			return done, err
		}
		n, err := l.load(present)
		done = append(done, n...)
		if err != nil {
			errs = append(errs, err)
		}
		if len(n) == 0 {
			break
		}
	}
	return done, errors.Join(errs...)
}

// Device loads what one new device calls for (its MODALIAS, from an
// "add" uevent), then scans for devices that brought up in turn.
func (l *Loader) Device(modalias string) ([]string, error) {
	n, err := l.load([]string{modalias})
	if len(n) == 0 {
		return n, err
	}
	more, err2 := l.Scan()
	return append(n, more...), errors.Join(err, err2)
}

func (l *Loader) load(present []string) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loaded == nil {
		l.loaded = map[string]bool{}
	}
	sel := kmod.Select(l.List, present, l.loaded)
	// Each module is loaded as soon as those it needs are, the others at
	// the same time: a driver's probe may wait on its hardware (a SATA
	// port's reset, a PHY), and the kernel loads modules concurrently as
	// udev asks it to.
	finished := map[string]chan struct{}{}
	for _, m := range sel {
		l.loaded[m.Name()] = true
		finished[m.Name()] = make(chan struct{})
	}
	errs := make([]error, len(sel))
	var wg sync.WaitGroup
	for i, m := range sel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(finished[m.Name()])
			for _, n := range m.Needs {
				if c, ok := finished[n]; ok {
					<-c
				}
			}
			if err := l.Load(m.Path); err != nil && !errors.Is(err, unix.EEXIST) {
				errs[i] = fmt.Errorf("load module %s: %w", m.Path, err)
			}
		}()
	}
	wg.Wait()
	var done []string
	for i, m := range sel {
		if errs[i] == nil {
			done = append(done, m.Name())
		}
	}
	return done, errors.Join(errs...)
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
