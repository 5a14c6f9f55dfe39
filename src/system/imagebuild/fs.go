package imagebuild

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/src/system/e2fs"
)

// Epoch is the timestamp every file in the images gets (SOURCE_DATE_EPOCH
// for mtools, mtime of staged inputs): 2020-01-01 00:00:00 UTC. FAT cannot
// store times before 1980, so the Unix epoch is not an option.
const Epoch = 1577836800

// toolDirs are searched after PATH: Bazel actions run with a bare PATH and
// mkfs.vfat lives in /usr/sbin.
var toolDirs = []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"}

// Tool returns the path of a host tool, looking in PATH and then the
// system directories.
func Tool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range toolDirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("host tool %s not found in PATH or %s; install it (Debian: dosfstools, mtools, squashfs-tools, grub-efi-amd64-bin)", name, strings.Join(toolDirs, ", "))
}

// run runs a host tool with a fixed environment (C locale, SOURCE_DATE_EPOCH,
// TZ=UTC) so its output does not depend on the build machine's settings.
func run(ctx context.Context, name string, args ...string) error {
	path, err := Tool(name)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "TZ=UTC", "MTOOLS_SKIP_CHECK=1"}
	if name == "mkfs.ext4" {
		// mke2fs takes its timestamps from here, not SOURCE_DATE_EPOCH,
		// and its defaults from its built-in profile, not the host's.
		cmd.Env = append(cmd.Env, "E2FSPROGS_FAKE_TIME="+strconv.Itoa(Epoch), e2fs.NoConfigEnv)
	}
	if name != "mksquashfs" {
		// mksquashfs refuses SOURCE_DATE_EPOCH next to its own -all-time.
		cmd.Env = append(cmd.Env, "SOURCE_DATE_EPOCH="+strconv.Itoa(Epoch))
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// File is one file to put into a filesystem image: its path there
// ("EFI/BOOT/grub.cfg", "sbin/init") and either its bytes or the file to
// copy them from.
type File struct {
	Name   string
	Data   []byte
	Source string
	// Exec makes the file executable (mode 0755, else 0644); only
	// squashfs keeps modes.
	Exec bool
	// Dir makes an (empty) directory instead: mount points of a read-only
	// rootfs must exist in the image.
	Dir bool
	// Link makes the file a hard link to the file of that name, given
	// earlier in the list: one file under several names, which share one
	// inode and so, on the box, one copy in the page cache (the init and
	// daemons of the multi-call binary, src/cmd/picketbox). Only squashfs
	// keeps them.
	Link string
}

// Stage writes files under dir with normalised metadata: real copies (no
// symlinks, which Bazel inputs often are), modes 0755/0644, and every file
// and directory's mtime set to Epoch.
func Stage(dir string, files []File) error {
	dirs := map[string]bool{dir: true}
	staged := map[string]bool{} // regular files, by their Name
	for _, f := range files {
		clean := filepath.Clean("/" + f.Name)[1:]
		if clean == "" || clean != strings.TrimPrefix(f.Name, "/") {
			return fmt.Errorf("stage %q: want a clean relative path like EFI/BOOT/grub.cfg", f.Name)
		}
		dst := filepath.Join(dir, clean)
		for d := filepath.Dir(dst); !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
		if f.Dir {
			dirs[dst] = true
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if _, err := os.Lstat(dst); err == nil {
			return fmt.Errorf("stage %s: given twice", f.Name)
		}
		if f.Link != "" {
			target := strings.TrimPrefix(f.Link, "/")
			if !staged[target] {
				return fmt.Errorf("stage %s: a link to %q, which is not a file given before it", f.Name, f.Link)
			}
			if err := os.Link(filepath.Join(dir, target), dst); err != nil {
				return fmt.Errorf("stage %s: %w", f.Name, err)
			}
			continue
		}
		staged[clean] = true
		data := f.Data
		if f.Source != "" {
			b, err := os.ReadFile(f.Source)
			if err != nil {
				return fmt.Errorf("stage %s: %w", f.Name, err)
			}
			data = b
		}
		mode := os.FileMode(0o644)
		if f.Exec {
			mode = 0o755
		}
		if err := os.WriteFile(dst, data, mode); err != nil {
			return fmt.Errorf("stage %s: %w", f.Name, err)
		}
		if err := os.Chmod(dst, mode); err != nil { // umask-proof
			return err
		}
	}
	t := time.Unix(Epoch, 0)
	var all []string
	if err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		all = append(all, p)
		return err
	}); err != nil {
		return err
	}
	// Deepest first, so setting a file's time does not touch its parent's
	// after the parent was set.
	sort.Sort(sort.Reverse(sort.StringSlice(all)))
	for _, p := range all {
		if err := os.Chtimes(p, t, t); err != nil {
			return err
		}
		if dirs[p] {
			if err := os.Chmod(p, 0o755); err != nil {
				return err
			}
		}
	}
	return nil
}

// DirFiles lists the regular files under dir (following symlinks) as Files
// named by their path relative to dir, sorted; executables keep Exec.
func DirFiles(dir string) ([]File, error) {
	var files []File
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.Mode()&os.ModeSymlink != 0 {
			if info, err = os.Stat(p); err != nil {
				return err
			}
			if info.IsDir() {
				return fmt.Errorf("%s: symlink to a directory; give the directory itself", p)
			}
		}
		if info.IsDir() {
			return nil
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file; a rootfs holds files and directories only", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, File{Name: filepath.ToSlash(rel), Source: p, Exec: info.Mode()&0o111 != 0})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list rootfs %s: %w", dir, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// FAT describes a FAT filesystem image.
type FAT struct {
	Size     int64  // bytes, a multiple of 1 MiB
	VolumeID uint32 // fixed, for reproducibility
	Label    string // up to 11 characters
	FAT32    bool   // force FAT32 (the ESP); else mkfs.vfat picks
	Files    []File
}

// BuildExt4 makes an empty ext4 file system of size bytes at out, the
// data partition, with e2fs.FormatArgs: journalled, so a power cut in the
// middle of a write leaves it consistent after replay. UUID and directory hash seed come
// from uuid and the times from Epoch, inode tables are written in full
// (no lazy init), so the same arguments give the same bytes.
func BuildExt4(ctx context.Context, out string, size int64, label string, uuid GUID) error {
	if size <= 0 || size%Align != 0 {
		return fmt.Errorf("ext4 image %s: size %d; want a positive multiple of 1 MiB", out, size)
	}
	if len(label) > 16 {
		return fmt.Errorf("ext4 image %s: label %q is longer than 16 characters", out, label)
	}
	if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	id := uuid.String()
	// The options a box that makes its data partition again uses too
	// (e2fs.FormatArgs), with a fixed UUID and hash seed.
	args := e2fs.FormatArgs(label, "hash_seed="+id, "lazy_itable_init=0", "lazy_journal_init=0")
	return run(ctx, "mkfs.ext4", append(args, "-U", id, out)...)
}

// BuildFAT makes the FAT image out with mkfs.vfat (fixed volume id,
// --invariant) and copies files in with mcopy, all with the time Epoch, in
// sorted order: the same files give the same bytes.
func BuildFAT(ctx context.Context, out string, spec FAT) error {
	if spec.Size <= 0 || spec.Size%Align != 0 {
		return fmt.Errorf("FAT image %s: size %d; want a positive multiple of 1 MiB", out, spec.Size)
	}
	if len(spec.Label) > 11 {
		return fmt.Errorf("FAT image %s: label %q is longer than 11 characters", out, spec.Label)
	}
	stage, err := os.MkdirTemp("", "picket-fat-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	if err := Stage(stage, spec.Files); err != nil {
		return fmt.Errorf("FAT image %s: %w", out, err)
	}
	f, err := os.OpenFile(out, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create FAT image: %w", err)
	}
	if err := f.Truncate(spec.Size); err != nil {
		f.Close()
		return fmt.Errorf("size FAT image %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	args := []string{"--invariant", "-i", fmt.Sprintf("%08X", spec.VolumeID)}
	if spec.FAT32 {
		args = append(args, "-F", "32")
	}
	if spec.Label != "" {
		args = append(args, "-n", spec.Label)
	}
	if err := run(ctx, "mkfs.vfat", append(args, out)...); err != nil {
		return err
	}
	// Directories first (parents before children), then files, each in
	// sorted order, so the directory entries land in the same order.
	var dirs, files []string
	if err := filepath.Walk(stage, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == stage {
			return err
		}
		rel, _ := filepath.Rel(stage, p)
		if info.IsDir() {
			dirs = append(dirs, filepath.ToSlash(rel))
		} else {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	}); err != nil {
		return err
	}
	sort.Strings(dirs)
	sort.Strings(files)
	for _, d := range dirs {
		if err := run(ctx, "mmd", "-i", out, "::/"+d); err != nil {
			return err
		}
	}
	for _, name := range files {
		if err := run(ctx, "mcopy", "-i", out, "-m", "-o", filepath.Join(stage, name), "::/"+name); err != nil {
			return err
		}
	}
	return nil
}

// BuildSquashfs packs files into the squashfs image out, reproducibly:
// owners root, all times 0, no xattrs, mksquashfs's sorted order, one
// compressor thread layout independent of the machine. zstd rather than
// xz: the image is 5% larger (50.6 MB against 48.2 MB for the virtual
// board's at 0.428) and the box reads it far faster, every block of every
// binary it runs decompressed on the way (daemons started to the console
// menu: 2.3-3.6 s against 4.5-5.1 s under TCG, docs/benchmarks.md).
// A shell or a setuid/setgid file is refused (CheckRootfs).
func BuildSquashfs(ctx context.Context, out string, files []File) error {
	stage, err := os.MkdirTemp("", "picket-squashfs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	root := filepath.Join(stage, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return err
	}
	if err := Stage(root, files); err != nil {
		return fmt.Errorf("squashfs %s: %w", out, err)
	}
	if err := CheckRootfs(root); err != nil {
		return fmt.Errorf("squashfs %s: %w", out, err)
	}
	if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
		return err
	}
	return run(ctx, "mksquashfs", root, out, "-noappend", "-all-root", "-no-xattrs",
		"-mkfs-time", "0", "-all-time", "0", "-comp", "zstd", "-no-progress", "-quiet")
}

// ReadFAT returns a file's bytes from a FAT image (mtools, no mount).
func ReadFAT(ctx context.Context, image, name string) ([]byte, error) {
	tmp, err := os.CreateTemp("", "picket-mcopy-")
	if err != nil {
		return nil, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := run(ctx, "mcopy", "-i", image, "-n", "-o", "::/"+strings.TrimPrefix(name, "/"), tmp.Name()); err != nil {
		return nil, err
	}
	f, err := os.Open(tmp.Name())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
