// Package cpio writes "newc" (SVR4, magic 070701) cpio archives, the format
// the Linux kernel unpacks as an initramfs. The qemu guest bench
// (tests/vmnet) builds its guest's initramfs with it, and the appliance
// image can build its own the same way.
//
// Output is deterministic: the archive depends only on the entries and
// their order, never on the build machine (mtimes are 0, owners root,
// inode numbers count up from 1 in the order entries are written, device
// numbers of the archive are 0). Compression is the caller's: wrap the
// destination in a gzip.Writer, which the kernel also unpacks.
package cpio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// Magic is the newc header magic.
const Magic = "070701"

// Trailer is the name of the entry that ends an archive.
const Trailer = "TRAILER!!!"

// Mode bits of the file types the writer knows (the S_IF* values).
const (
	TypeDir     = 0o040000
	TypeRegular = 0o100000
	TypeSymlink = 0o120000
	TypeChar    = 0o020000
	typeMask    = 0o170000
)

// headerLen is the size of a newc header: the magic and 13 fields of 8 hex
// digits.
const headerLen = 6 + 13*8

// Writer writes one archive. Call Close to write the trailer; the
// underlying writer is not closed.
type Writer struct {
	w      io.Writer
	ino    uint32
	names  map[string]bool
	closed bool
	err    error // first write error; every later call returns it
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, names: map[string]bool{}} }

// Dir adds a directory. perm holds the permission bits (0o755).
func (cw *Writer) Dir(name string, perm fs.FileMode) error {
	return cw.entry(name, TypeDir|uint32(perm.Perm()), 0, 0, nil)
}

// File adds a regular file with content data.
func (cw *Writer) File(name string, perm fs.FileMode, data []byte) error {
	return cw.entry(name, TypeRegular|uint32(perm.Perm()), 0, 0, data)
}

// Symlink adds a symbolic link name pointing to target.
func (cw *Writer) Symlink(name, target string) error {
	if target == "" {
		return fmt.Errorf("cpio: symlink %s: empty target", name)
	}
	return cw.entry(name, TypeSymlink|0o777, 0, 0, []byte(target))
}

// CharDev adds a character device node (such as dev/console, 5:1, which
// the kernel opens for init's stdin/stdout/stderr before any devtmpfs is
// mounted).
func (cw *Writer) CharDev(name string, perm fs.FileMode, major, minor uint32) error {
	return cw.entry(name, TypeChar|uint32(perm.Perm()), major, minor, nil)
}

// Close writes the trailer. It does not close the underlying writer.
func (cw *Writer) Close() error {
	if cw.closed {
		return cw.err
	}
	if cw.err == nil {
		cw.err = cw.write(Trailer, 0, 0, 0, 0, nil)
	}
	cw.closed = true
	return cw.err
}

// entry checks name and writes one entry.
func (cw *Writer) entry(name string, mode, rmajor, rminor uint32, data []byte) error {
	if cw.err != nil {
		return cw.err
	}
	if cw.closed {
		return fmt.Errorf("cpio: add %s: archive already closed", name)
	}
	if err := checkName(name); err != nil {
		return err
	}
	if cw.names[name] {
		return fmt.Errorf("cpio: add %s: name already in the archive", name)
	}
	if uint64(len(data)) > 0xffffffff {
		return fmt.Errorf("cpio: add %s: %d bytes; newc holds at most 4 GiB - 1 per file", name, len(data))
	}
	cw.names[name] = true
	cw.ino++
	cw.err = cw.write(name, cw.ino, mode, rmajor, rminor, data)
	return cw.err
}

// checkName refuses names the kernel would not unpack where meant: the
// archive's paths are relative to the root ("init", "dev/console").
func checkName(name string) error {
	switch {
	case name == "" || name == "." || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/"):
		return fmt.Errorf("cpio: name %q: want a relative path such as \"dev/console\", without leading or trailing /", name)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("cpio: name %q contains a NUL byte", name)
	case name == Trailer:
		return fmt.Errorf("cpio: name %q is reserved for the trailer", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("cpio: name %q: empty, \".\" or \"..\" path element", name)
		}
	}
	return nil
}

// write writes a header, the NUL-terminated name and data, each padded to
// a multiple of 4 bytes as newc requires.
func (cw *Writer) write(name string, ino, mode, rmajor, rminor uint32, data []byte) error {
	nlink := uint32(1)
	if mode&typeMask == TypeDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		Magic, ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmajor, rminor, len(name)+1, 0)
	buf := make([]byte, 0, headerLen+len(name)+4+len(data)+3)
	buf = append(buf, hdr...)
	buf = append(buf, name...)
	buf = append(buf, 0)
	buf = pad4(buf)
	buf = append(buf, data...)
	buf = pad4(buf)
	if _, err := cw.w.Write(buf); err != nil {
		return fmt.Errorf("cpio: write %s: %w", name, err)
	}
	return nil
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// Entry is one archive entry as Reader returns it.
type Entry struct {
	Name     string
	Ino      uint32
	Mode     uint32 // type and permission bits
	NLink    uint32
	RMajor   uint32 // device number of a device node
	RMinor   uint32
	Data     []byte // file content, or a symlink's target
	UID, GID uint32
	MTime    uint32
	DevMajor uint32
	DevMinor uint32
}

// ErrFormat is wrapped by Read's errors about a malformed archive.
var ErrFormat = errors.New("not a valid newc cpio archive")

// Read parses a whole newc archive up to its trailer. It exists to check
// written archives (tests, tools), so it reads everything into memory.
func Read(r io.Reader) ([]Entry, error) {
	var (
		entries []Entry
		off     int64
	)
	readN := func(n int) ([]byte, error) {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("cpio: at offset %d: %w: %w", off, ErrFormat, err)
		}
		off += int64(n)
		return b, nil
	}
	skipPad := func() error {
		if p := int((4 - off%4) % 4); p > 0 {
			_, err := readN(p)
			return err
		}
		return nil
	}
	for {
		hdr, err := readN(headerLen)
		if err != nil {
			return nil, err
		}
		if string(hdr[:6]) != Magic {
			return nil, fmt.Errorf("cpio: at offset %d: %w: magic %q, want %q", off-headerLen, ErrFormat, hdr[:6], Magic)
		}
		var f [13]uint32
		for i := range f {
			var v uint32
			if _, err := fmt.Sscanf(string(hdr[6+8*i:6+8*i+8]), "%08x", &v); err != nil {
				return nil, fmt.Errorf("cpio: at offset %d: %w: header field %d: %w", off-headerLen, ErrFormat, i, err)
			}
			f[i] = v
		}
		name, err := readN(int(f[11]))
		if err != nil {
			return nil, err
		}
		if len(name) == 0 || name[len(name)-1] != 0 {
			return nil, fmt.Errorf("cpio: at offset %d: %w: name is not NUL-terminated", off, ErrFormat)
		}
		if err := skipPad(); err != nil {
			return nil, err
		}
		data, err := readN(int(f[6]))
		if err != nil {
			return nil, err
		}
		if err := skipPad(); err != nil {
			return nil, err
		}
		e := Entry{
			Name: string(name[:len(name)-1]), Ino: f[0], Mode: f[1], UID: f[2], GID: f[3], NLink: f[4],
			MTime: f[5], Data: data, DevMajor: f[7], DevMinor: f[8], RMajor: f[9], RMinor: f[10],
		}
		if e.Name == Trailer {
			return entries, nil
		}
		entries = append(entries, e)
	}
}
