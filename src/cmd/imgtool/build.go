package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/system/kmod"
	"picket.dev/picket/src/system/manifest"
)

// runBuild writes a whole disk image (see src/imagebuild): GPT, ESP with
// GRUB, kernel, initramfs (+ release public key) and signed slot
// manifests, the rootfs squashfs in slots A and B, and a data partition.
// Same inputs, same bytes.
func runBuild(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	boardName := fs.String("board", "", "board the image is for")
	ver := fs.String("version", "", "release version")
	kernel := fs.String("kernel", "", "the kernel (vmlinuz)")
	initrd := fs.String("initrd", "", "the initramfs (the release public key is appended to it)")
	initInit := fs.String("initramfs-init", "", "instead of -initrd: PID 1 binary to wrap in an initramfs")
	var initMods command.Strings
	fs.Var(&initMods, "initramfs-module", "with -initramfs-init: a .ko file for the initramfs, dependencies first; repeatable")
	kmodDir := fs.String("kernel-modules", "", "unpacked kernel package (lib/modules/*/modules.dep) to take modules from: the board's (platforms/board Modules) unless -initramfs-modules or -rootfs-modules name others")
	initModNames := fs.String("initramfs-modules", "", "with -initramfs-init and -kernel-modules: comma-separated module names for the initramfs (disk, squashfs, FAT); dependencies are added")
	rootfsModNames := fs.String("rootfs-modules", "", "with -kernel-modules: comma-separated module names the init loads (NICs, data file system); dependencies are added")
	rootfsDir := fs.String("rootfs-dir", "", "directory whose files make the rootfs")
	var rootfsFiles command.Strings
	fs.Var(&rootfsFiles, "rootfs-file", "DEST=SRC: put file SRC at DEST in the rootfs (executable if SRC is); repeatable")
	var rootfsData command.Strings
	fs.Var(&rootfsData, "rootfs-data", "DEST=SRC: like -rootfs-file, but never executable (mode 0644); repeatable")
	var rootfsLinks command.Strings
	fs.Var(&rootfsLinks, "rootfs-link", "DEST=TARGET: make DEST in the rootfs a hard link to TARGET, a -rootfs-file's DEST (one binary under several names); repeatable")
	grubDir := fs.String("grub-dir", "", "GRUB's modules for the board's EFI platform (default: the host's /usr/lib/grub/<platform>)")
	var espFiles command.Strings
	fs.Var(&espFiles, "esp-file", "DEST=SRC: put file SRC at DEST on the boot partition too (board firmware files); repeatable")
	keyPath := fs.String("key", "", "release private key (PEM, from imgtool keygen)")
	sigSrc := fs.String("signatures", "", "a signature database source: compiled, packed with its own version and date, signed with -key, as the image's default database (/"+sigpkg.DefaultImagePath[1:]+")")
	out := fs.String("out", "", "disk image to write")
	slotOut := fs.String("slot-out", "", "also write the slot's squashfs here (a release's rootfs.img)")
	manifestOut := fs.String("manifest-out", "", "also write the slot's signed manifest here (a release's rootfs.manifest)")
	espMiB := fs.Int64("esp-mib", imagebuild.DefaultESPSize>>20, "boot partition size in MiB")
	slotMiB := fs.Int64("slot-mib", imagebuild.DefaultSlotSize>>20, "size of each rootfs slot in MiB")
	dataMiB := fs.Int64("data-mib", imagebuild.DefaultDataSize>>20, "data partition size in MiB")
	if err := command.ParseFlags(fs, args, "board", "version", "kernel", "key", "out"); err != nil {
		return err
	}
	if (*initrd == "") == (*initInit == "") {
		return fmt.Errorf("%w: give the initramfs as either -initrd or -initramfs-init (not both, not neither)", command.ErrUsage)
	}
	if (*rootfsDir == "") == (len(rootfsFiles)+len(rootfsData) == 0) {
		return fmt.Errorf("%w: give the rootfs as either -rootfs-dir or -rootfs-file flags (not both, not neither)", command.ErrUsage)
	}
	for _, n := range []int64{*espMiB, *slotMiB, *dataMiB} {
		if n <= 0 {
			return fmt.Errorf("%w: partition size %d MiB; sizes must be positive", command.ErrUsage, n)
		}
	}
	b, err := board.Lookup(*boardName)
	if err != nil {
		return fmt.Errorf("%w: -board: %v", command.ErrUsage, err)
	}
	var esp []imagebuild.File
	for _, spec := range espFiles {
		dest, src, ok := strings.Cut(spec, "=")
		if !ok || dest == "" || src == "" {
			return fmt.Errorf("%w: -esp-file %q: want DEST=SRC", command.ErrUsage, spec)
		}
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("boot partition file %s: %w", dest, err)
		}
		esp = append(esp, imagebuild.File{Name: strings.TrimPrefix(dest, "/"), Source: src})
	}
	var files []imagebuild.File
	if *rootfsDir != "" {
		var err error
		if files, err = imagebuild.DirFiles(*rootfsDir); err != nil {
			return err
		}
	}
	for _, l := range []struct {
		flag  string
		specs []string
		data  bool
	}{{"-rootfs-file", rootfsFiles, false}, {"-rootfs-data", rootfsData, true}} {
		for _, spec := range l.specs {
			dest, src, ok := strings.Cut(spec, "=")
			if !ok || dest == "" || src == "" {
				return fmt.Errorf("%w: %s %q: want DEST=SRC", command.ErrUsage, l.flag, spec)
			}
			st, err := os.Stat(src)
			if err != nil {
				return fmt.Errorf("rootfs file %s: %w", dest, err)
			}
			files = append(files, imagebuild.File{Name: strings.TrimPrefix(dest, "/"), Source: src, Exec: !l.data && st.Mode()&0o111 != 0})
		}
	}
	// After the files they link to (imagebuild.Stage wants those first).
	for _, spec := range rootfsLinks {
		dest, target, ok := strings.Cut(spec, "=")
		if !ok || dest == "" || target == "" {
			return fmt.Errorf("%w: -rootfs-link %q: want DEST=TARGET", command.ErrUsage, spec)
		}
		files = append(files, imagebuild.File{Name: strings.TrimPrefix(dest, "/"), Link: target})
	}
	if (*initModNames != "" || *rootfsModNames != "") && *kmodDir == "" {
		return fmt.Errorf("%w: -initramfs-modules and -rootfs-modules need -kernel-modules", command.ErrUsage)
	}
	if *kmodDir != "" && *initModNames == "" && *rootfsModNames == "" {
		// The board's own lists (platforms/board); b was looked up above.
		if *initInit != "" {
			*initModNames = strings.Join(b.Modules.Boot, ",")
		}
		*rootfsModNames = strings.Join(b.Modules.Run, ",")
	}
	// The explicit .ko files first (dependencies first, as given), then
	// the named ones with theirs.
	var modules []kmod.Module
	for _, p := range initMods {
		m, err := kmod.Info(p)
		if err != nil {
			return fmt.Errorf("initramfs module: %w", err)
		}
		modules = append(modules, m)
	}
	if *initModNames != "" {
		if *initInit == "" {
			return fmt.Errorf("%w: -initramfs-modules needs -initramfs-init", command.ErrUsage)
		}
		mods, err := moduleInfo(*kmodDir, *initModNames)
		if err != nil {
			return fmt.Errorf("initramfs modules: %w", err)
		}
		modules = append(modules, mods...)
	}
	if *rootfsModNames != "" {
		mods, err := moduleInfo(*kmodDir, *rootfsModNames)
		if err != nil {
			return fmt.Errorf("rootfs modules: %w", err)
		}
		files = append(files, imagebuild.ModuleFiles(mods)...)
	}
	priv, err := manifest.LoadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	if *sigSrc != "" {
		pkg, _, err := packSignatures(*sigSrc, priv)
		if err != nil {
			return err
		}
		files = append(files, imagebuild.File{Name: sigpkg.DefaultImagePath[1:], Data: pkg})
	}
	start := time.Now()
	res, err := imagebuild.Build(context.Background(), *out, imagebuild.Config{
		Board: *boardName, GOARCH: b.GOARCH, GrubDir: *grubDir, ESPFiles: esp, Version: *ver, Kernel: *kernel, Initrd: *initrd, InitramfsInit: *initInit, InitramfsModules: modules, Rootfs: files, Key: priv,
		ESPSize: *espMiB << 20, SlotSize: *slotMiB << 20, DataSize: *dataMiB << 20,
		SlotOut: *slotOut, ManifestOut: *manifestOut,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "built %s: board %s (%s), version %s, %d MiB disk, rootfs %d bytes sha256 %s, in %s\n",
		*out, *boardName, b.GOARCH, *ver, res.Layout.Sectors*imagebuild.SectorSize>>20, res.Rootfs, res.Manifest.SHA256,
		time.Since(start).Round(time.Millisecond))
	return nil
}

// moduleInfo resolves the comma-separated module names with their
// dependencies (dependencies first) and reads what each drives, for the
// image's list: the box loads those its devices call for.
func moduleInfo(kmodDir, names string) ([]kmod.Module, error) {
	paths, err := kmod.Resolve(kmodDir, strings.Split(names, ","))
	if err != nil {
		return nil, err
	}
	mods := make([]kmod.Module, len(paths))
	for i, p := range paths {
		if mods[i], err = kmod.Info(p); err != nil {
			return nil, err
		}
	}
	return mods, nil
}
