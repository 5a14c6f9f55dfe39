// Package kmod resolves kernel module names to the .ko files to load,
// dependencies first, from a modules.dep, reads what each drives from its
// .modinfo, and decides which of an image's modules the devices present
// call for (Select, matching modaliases as modprobe does): the
// initramfs, the init and the qemu test guests load modules with
// finit_module(2) and have no modprobe or udev to do it for them.
package kmod

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Name is the kernel's name of a module file: "8021q" for
// kernel/net/8021q/8021q.ko, with '-' read as '_' (crc-t10dif is
// crc_t10dif).
func Name(path string) string {
	n := filepath.Base(path)
	if i := strings.Index(n, ".ko"); i >= 0 {
		n = n[:i]
	}
	return strings.ReplaceAll(n, "-", "_")
}

// DepFile returns the one lib/modules/<version>/modules.dep under
// kernelDir (an unpacked kernel package, as tools/fetch leaves it).
func DepFile(kernelDir string) (string, error) {
	deps, err := filepath.Glob(filepath.Join(kernelDir, "lib", "modules", "*", "modules.dep"))
	if err != nil || len(deps) != 1 {
		return "", fmt.Errorf("want exactly one lib/modules/*/modules.dep under %s, found %d", kernelDir, len(deps))
	}
	return deps[0], nil
}

// Resolve returns the .ko paths of names and of everything they depend
// on, each once, dependencies first, read from modules.dep under
// kernelDir. A module missing from it is an error naming who needed it.
func Resolve(kernelDir string, names []string) ([]string, error) {
	dep, err := DepFile(kernelDir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(dep)
	if err != nil {
		return nil, fmt.Errorf("resolve modules: %w", err)
	}
	base := filepath.Dir(dep)
	paths := map[string]string{}
	needs := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		mod, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if !strings.HasSuffix(mod, ".ko") {
			return nil, fmt.Errorf("module %s in %s is compressed; only plain .ko files are loaded (tools/fetch unpacks them so)", mod, dep)
		}
		n := Name(mod)
		paths[n] = filepath.Join(base, mod)
		for _, d := range strings.Fields(rest) {
			needs[n] = append(needs[n], Name(d))
		}
	}
	var out []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n, from string) error
	visit = func(n, from string) error {
		n = strings.ReplaceAll(n, "-", "_")
		switch state[n] {
		case 1:
			return fmt.Errorf("module dependency cycle at %s in %s", n, dep)
		case 2:
			return nil
		}
		p, ok := paths[n]
		if !ok {
			return fmt.Errorf("module %s%s is not in %s; add it to kmods in tools/fetch", n, from, dep)
		}
		state[n] = 1
		for _, d := range needs[n] {
			if err := visit(d, " (needed by "+n+")"); err != nil {
				return err
			}
		}
		state[n] = 2
		out = append(out, p)
		return nil
	}
	for _, n := range names {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if err := visit(n, ""); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Module is one kernel module of an image's list: its file, the modules
// it needs (loaded before it) and the device modaliases it drives, as
// the module's own .modinfo says (depends=, alias=).
type Module struct {
	// Path is the .ko file: in the kernel package at build time, in the
	// image (/lib/modules/<file>) in a parsed list.
	Path string
	// Needs are the names (Name) of the modules it depends on.
	Needs []string
	// Aliases are its device alias patterns (DeviceAlias), as
	// modules.alias has them: "pci:v00001AF4d00001001sv*sd*bc*sc*i*".
	Aliases []string
}

// Name is the module's name.
func (m Module) Name() string { return Name(m.Path) }

// Info reads the module at path (resolved by Resolve): its depends= and
// its device alias= entries from the ELF section .modinfo, where the
// kernel's build puts them and where depmod reads them.
func Info(path string) (Module, error) {
	f, err := elf.Open(path)
	if err != nil {
		return Module{}, fmt.Errorf("module %s: %w", path, err)
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return Module{}, fmt.Errorf("module %s: no .modinfo section", path)
	}
	b, err := sec.Data()
	if err != nil {
		return Module{}, fmt.Errorf("module %s: .modinfo: %w", path, err)
	}
	m := Module{Path: path}
	for _, kv := range strings.Split(string(b), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "depends" && v != "":
			for _, d := range strings.Split(v, ",") {
				m.Needs = append(m.Needs, strings.ReplaceAll(d, "-", "_"))
			}
		case k == "alias" && DeviceAlias(v):
			m.Aliases = append(m.Aliases, v)
		}
	}
	return m, nil
}

// DeviceAlias reports whether a module alias names devices (a bus's
// modalias: "pci:...", "virtio:...", "of:...", "scsi:t-0x00", "acpi*:..."),
// which a device present on the box matches, rather than something the
// kernel asks for by name ("fs-vfat", "crypto-sha256", "net-pf-17",
// "devname:mapper/control"): every bus modalias has a colon after the
// bus, and of the others only devname: does.
func DeviceAlias(a string) bool {
	bus, _, ok := strings.Cut(a, ":")
	return ok && bus != "devname"
}

// FormatList writes mods, dependencies first, as the list an image
// carries (/etc/picket/modules): one module a line, its path in the
// image (dir + the file's name), then "needs=NAME,..." and one
// "alias=PATTERN" per device alias. Modaliases hold no spaces (the
// kernel escapes them), so fields split on blanks.
func FormatList(mods []Module, dir string) []byte {
	var b strings.Builder
	for _, m := range mods {
		b.WriteString(filepath.Join(dir, filepath.Base(m.Path)))
		if len(m.Needs) > 0 {
			b.WriteString(" needs=" + strings.Join(m.Needs, ","))
		}
		for _, a := range m.Aliases {
			b.WriteString(" alias=" + a)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// ParseList reads a list FormatList wrote. A line of a path alone (the
// lists of earlier images) is a module loaded always.
func ParseList(b []byte) ([]Module, error) {
	var mods []Module
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		m := Module{Path: f[0]}
		for _, field := range f[1:] {
			k, v, _ := strings.Cut(field, "=")
			switch k {
			case "needs":
				m.Needs = append(m.Needs, strings.Split(v, ",")...)
			case "alias":
				m.Aliases = append(m.Aliases, v)
			default:
				return nil, fmt.Errorf("module list line %d: unknown field %q", i+1, field)
			}
		}
		mods = append(mods, m)
	}
	return mods, nil
}

// Select returns the modules of list (dependencies first, as the list
// is) to load now, given the modaliases of the devices present and the
// modules loaded already: every module that drives a present device
// (one of its Aliases matches), every module that drives no device and
// that no other module of the list needs (a file system, dm-verity,
// 802.1Q: asked for by name, so always loaded), and what those need.
// Libraries (needed by others, driving nothing) come only with a module
// that needs them, and drivers of absent devices not at all, so a board
// whose list covers many machines loads only its own hardware's.
func Select(list []Module, present []string, loaded map[string]bool) []Module {
	byName := map[string]Module{}
	for _, m := range list {
		byName[m.Name()] = m
	}
	named := map[string]bool{}
	for _, n := range Named(list) {
		named[n] = true
	}
	want := map[string]bool{}
	var add func(n string)
	add = func(n string) {
		if want[n] || loaded[n] {
			return
		}
		want[n] = true
		for _, d := range byName[n].Needs {
			add(d)
		}
	}
	for _, m := range list {
		n := m.Name()
		if len(m.Aliases) == 0 {
			if named[n] {
				add(n)
			}
			continue
		}
	match:
		for _, a := range m.Aliases {
			for _, p := range present {
				if Match(a, p) {
					add(n)
					break match
				}
			}
		}
	}
	var out []Module
	for _, m := range list {
		if want[m.Name()] {
			out = append(out, m)
		}
	}
	return out
}

// Named returns the names of the modules of list asked for by name: those
// that drive no device (no Aliases) and that no other module of the list
// needs (a file system, dm-verity, 802.1Q), in the list's order. Select
// always loads them; the libraries some driver needs come only with it.
func Named(list []Module) []string {
	needed := map[string]bool{}
	for _, m := range list {
		for _, n := range m.Needs {
			needed[n] = true
		}
	}
	var names []string
	for _, m := range list {
		if len(m.Aliases) == 0 && !needed[m.Name()] {
			names = append(names, m.Name())
		}
	}
	return names
}

// Closure returns names and every module of list they need, directly or
// through another, as a set.
func Closure(list []Module, names []string) map[string]bool {
	needs := map[string][]string{}
	for _, m := range list {
		needs[m.Name()] = m.Needs
	}
	set := map[string]bool{}
	var add func(n string)
	add = func(n string) {
		if set[n] {
			return
		}
		set[n] = true
		for _, d := range needs[n] {
			add(d)
		}
	}
	for _, n := range names {
		add(n)
	}
	return set
}

// Match reports whether modalias s matches the alias pattern, as
// modprobe matches them: fnmatch(3) without flags, so '*' and '?' match
// any character ('/' included) and [...] a set or range ('!' or '^'
// negates it), and '\' quotes the next character.
func Match(pattern, s string) bool {
	// Backtracking on the last '*' only: linear enough for patterns of
	// a few dozen characters with a handful of stars.
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				starP, starI = p, i
				p++
				continue
			case '?':
				p, i = p+1, i+1
				continue
			case '[':
				if ok, next, valid := matchClass(pattern, p, s[i]); valid {
					if ok {
						p, i = next, i+1
						continue
					}
				} else if s[i] == '[' { // an unclosed '[' is itself
					p, i = p+1, i+1
					continue
				}
			case '\\':
				if p+1 < len(pattern) && pattern[p+1] == s[i] {
					p, i = p+2, i+1
					continue
				}
			default:
				if c == s[i] {
					p, i = p+1, i+1
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP+1, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchClass matches c against the bracket expression at pattern[p]
// ('['): whether it matched, the index after the closing ']', and
// whether the expression is closed at all.
func matchClass(pattern string, p int, c byte) (ok bool, next int, valid bool) {
	i := p + 1
	negate := i < len(pattern) && (pattern[i] == '!' || pattern[i] == '^')
	if negate {
		i++
	}
	first := true
	for i < len(pattern) && (first || pattern[i] != ']') {
		first = false
		lo := pattern[i]
		if lo == '\\' && i+1 < len(pattern) {
			i++
			lo = pattern[i]
		}
		hi := lo
		if i+2 < len(pattern) && pattern[i+1] == '-' && pattern[i+2] != ']' {
			hi = pattern[i+2]
			i += 2
		}
		if lo <= c && c <= hi {
			ok = true
		}
		i++
	}
	if i >= len(pattern) {
		return false, 0, false
	}
	return ok != negate, i + 1, true
}
