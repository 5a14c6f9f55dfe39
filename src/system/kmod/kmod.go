// Package kmod resolves kernel module names to the .ko files to load,
// dependencies first, from a modules.dep: the initramfs, the init and the
// qemu test guests load modules with finit_module(2) and have no modprobe
// to do it for them.
package kmod

import (
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
