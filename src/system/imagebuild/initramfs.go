package imagebuild

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"picket.dev/picket/src/system/cpio"
	"picket.dev/picket/src/system/kmod"
)

// Initramfs returns an uncompressed newc initramfs around a Go PID 1: /init,
// /dev/console (the kernel opens it for init's output before devtmpfs is
// mounted), the mount points proc, sys, dev, mnt, and the given kernel
// modules as /lib/modules/<name>.ko with /etc/picket/modules listing them
// in the order given (dependencies first, kmod.FormatList), from which
// src/cmd/initramfs loads those its devices call for. Build appends the release key and board to it.
//
// It is not compressed: under emulation the kernel took longer to gunzip
// it (4 MB of gzip, 9 MB of cpio) than the firmware takes to read 9 MB
// from the disk, about 1.5 s of the boot (docs/benchmarks.md, "Boot
// time"); on a board the read is a few milliseconds more either way.
func Initramfs(initPath string, modules []kmod.Module) ([]byte, error) {
	initData, err := os.ReadFile(initPath)
	if err != nil {
		return nil, fmt.Errorf("initramfs init: %w", err)
	}
	var buf bytes.Buffer
	w := cpio.NewWriter(&buf)
	steps := []func() error{
		func() error { return w.Dir("dev", 0o755) },
		func() error { return w.CharDev("dev/console", 0o600, 5, 1) },
		func() error { return w.Dir("proc", 0o755) },
		func() error { return w.Dir("sys", 0o755) },
		func() error { return w.Dir("mnt", 0o755) },
		func() error { return w.Dir("etc", 0o755) },
		func() error { return w.Dir("lib", 0o755) },
		func() error { return w.Dir("lib/modules", 0o755) },
		func() error { return w.File("init", 0o755, initData) },
	}
	for _, m := range modules {
		base := filepath.Base(m.Path)
		if !strings.HasSuffix(base, ".ko") {
			return nil, fmt.Errorf("initramfs module %s: want an uncompressed .ko file", m.Path)
		}
		data, err := os.ReadFile(m.Path)
		if err != nil {
			return nil, fmt.Errorf("initramfs module: %w", err)
		}
		steps = append(steps, func() error { return w.File("lib/modules/"+base, 0o644, data) })
	}
	steps = append(steps,
		func() error { return w.Dir("etc/picket", 0o755) },
		func() error { return w.File(ModulesListPath, 0o644, kmod.FormatList(modules, "/lib/modules")) },
		w.Close)
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("write initramfs: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// ModuleFiles returns the rootfs files for kernel modules the init loads:
// each .ko as lib/modules/<name>.ko and ModulesListPath listing them in
// the order given (dependencies first), as in the initramfs.
func ModuleFiles(modules []kmod.Module) []File {
	var files []File
	for _, m := range modules {
		files = append(files, File{Name: "lib/modules/" + filepath.Base(m.Path), Source: m.Path})
	}
	return append(files, File{Name: ModulesListPath, Data: kmod.FormatList(modules, "/lib/modules")})
}
