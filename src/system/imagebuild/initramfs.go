package imagebuild

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"picket.dev/picket/src/system/cpio"
)

// Initramfs returns a gzip'd newc initramfs around a Go PID 1: /init,
// /dev/console (the kernel opens it for init's output before devtmpfs is
// mounted), the mount points proc, sys, dev, mnt, and the given kernel
// modules as /lib/modules/<name>.ko with /etc/picket/modules listing their
// paths in the order given (dependencies first), one a line, which
// src/cmd/initramfs loads. Build appends the release key and board to it.
func Initramfs(initPath string, modules []string) ([]byte, error) {
	initData, err := os.ReadFile(initPath)
	if err != nil {
		return nil, fmt.Errorf("initramfs init: %w", err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	w := cpio.NewWriter(zw)
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
	var order []string
	for _, m := range modules {
		base := filepath.Base(m)
		if !strings.HasSuffix(base, ".ko") {
			return nil, fmt.Errorf("initramfs module %s: want an uncompressed .ko file", m)
		}
		data, err := os.ReadFile(m)
		if err != nil {
			return nil, fmt.Errorf("initramfs module: %w", err)
		}
		order = append(order, "/lib/modules/"+base)
		steps = append(steps, func() error { return w.File("lib/modules/"+base, 0o644, data) })
	}
	steps = append(steps,
		func() error { return w.Dir("etc/picket", 0o755) },
		func() error { return w.File(ModulesListPath, 0o644, []byte(strings.Join(order, "\n")+"\n")) },
		w.Close, zw.Close)
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("write initramfs: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// ModuleFiles returns the rootfs files for kernel modules the init loads:
// each .ko as lib/modules/<name>.ko and ModulesListPath listing their
// paths in the order given (dependencies first), one a line, as in the
// initramfs.
func ModuleFiles(modules []string) []File {
	var files []File
	var order []string
	for _, m := range modules {
		name := "lib/modules/" + filepath.Base(m)
		files = append(files, File{Name: name, Source: m})
		order = append(order, "/"+name)
	}
	return append(files, File{Name: ModulesListPath, Data: []byte(strings.Join(order, "\n") + "\n")})
}
