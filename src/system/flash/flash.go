// Package flash writes a signed image to a block device or a file, safely:
// it verifies the image against its signed manifest before touching the
// target, refuses targets that are mounted or hold the running system,
// asks the operator to confirm, and reads the written bytes back to check
// them against the manifest.
//
// Everything the checks look at (mount tables, sysfs, the root device, the
// terminal) comes in through Env, so tests drive the refusals with fake
// trees and the real thing with loop devices.
package flash

import (
	"bufio"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/system/manifest"
)

// Request says what to flash where.
type Request struct {
	Image, Manifest string
	// Trusted are the release public keys the manifest may be signed by.
	Trusted []ed25519.PublicKey
	Target  string
	// Force skips the confirmation question (not the safety checks).
	Force bool
}

// Flash verifies req.Image against its signed manifest, checks the
// target, asks for confirmation unless forced, writes the image, syncs it
// and reads it back. Nothing is written before the image verified and the
// target passed Check.
func (e Env) Flash(req Request) error {
	m, err := e.verify(req)
	if err != nil {
		return err
	}
	t, err := e.Check(req.Target, req.Image)
	if err != nil {
		return fmt.Errorf("refusing to write %s: %w", req.Target, err)
	}
	if !req.Force {
		if err := e.confirm(t, m); err != nil {
			return err
		}
	}
	if err := e.write(t, req.Image, m); err != nil {
		return err
	}
	if err := readBack(t, m); err != nil {
		return err
	}
	fmt.Fprintf(e.out(), "wrote %d bytes to %s and read them back: sha256 %s matches the manifest\n", m.Size, t.Path, m.SHA256)
	return nil
}

func (e Env) verify(req Request) (manifest.Manifest, error) {
	f, err := os.Open(req.Manifest)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("read manifest: %w", err)
	}
	signed, err := io.ReadAll(io.LimitReader(f, manifest.MaxSignedSize+1))
	f.Close()
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("read manifest %s: %w", req.Manifest, err)
	}
	m, err := manifest.Verify(signed, req.Trusted)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("%s: %w", req.Manifest, err)
	}
	img, err := os.Open(req.Image)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("open image: %w", err)
	}
	defer img.Close()
	if err := manifest.VerifyImage(img, m); err != nil {
		return manifest.Manifest{}, fmt.Errorf("refusing to flash %s: %w", req.Image, err)
	}
	fmt.Fprintf(e.out(), "verified %s: board %s, version %s, %d bytes, sha256 %s\n", req.Image, m.Board, m.Version, m.Size, m.SHA256)
	return m, nil
}

// confirm asks the operator to type the target's name.
func (e Env) confirm(t Target, m manifest.Manifest) error {
	answers := []string{t.Path, t.Resolved}
	what, name := "file", t.Path
	if t.Block {
		what, name = "device", t.Name
		answers = append(answers, t.Name, "/dev/"+t.Name)
	}
	fmt.Fprintf(e.out(), "About to write %s %s (%d bytes) to %s %s; everything on it will be lost.\nType the %s name (%s) to confirm: ",
		m.Board, m.Version, m.Size, what, t.Path, what, name)
	if e.Stdin == nil {
		return fmt.Errorf("%w: no terminal to ask on; nothing written (use -force to skip the question)", ErrNotConfirmed)
	}
	line, err := bufio.NewReader(e.Stdin).ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		return fmt.Errorf("%w: no answer on the terminal (%v); nothing written (use -force to skip the question)", ErrNotConfirmed, err)
	}
	line = strings.TrimSpace(line)
	for _, a := range answers {
		if line == a {
			return nil
		}
	}
	return fmt.Errorf("%w: typed %q, want %q; nothing written", ErrNotConfirmed, line, name)
}

func (e Env) write(t Target, image string, m manifest.Manifest) error {
	img, err := os.Open(image)
	if err != nil {
		return fmt.Errorf("open image: %w", err)
	}
	defer img.Close()
	var out *os.File
	if t.Block {
		// O_EXCL on a block device makes the kernel refuse it while it is
		// mounted or otherwise claimed (swap, md, dm): a second line of
		// defence after Check, closing the race with a mount in between.
		out, err = os.OpenFile(t.Resolved, os.O_WRONLY|unix.O_EXCL, 0)
		if err != nil {
			return fmt.Errorf("open %s for writing: %w", t.Path, err)
		}
		size, err := out.Seek(0, io.SeekEnd)
		if err == nil {
			_, err = out.Seek(0, io.SeekStart)
		}
		if err != nil {
			out.Close()
			return fmt.Errorf("size of %s: %w", t.Path, err)
		}
		if size < m.Size {
			out.Close()
			return fmt.Errorf("%s holds %d bytes, the image needs %d", t.Path, size, m.Size)
		}
	} else {
		out, err = os.OpenFile(t.Resolved, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return fmt.Errorf("open %s for writing: %w", t.Path, err)
		}
	}
	defer out.Close()
	// The image verified a moment ago; hashing it again while copying
	// catches it changing in between.
	sum := manifest.NewSum()
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(io.MultiWriter(out, sum), io.LimitReader(img, m.Size+1), buf); err != nil {
		return fmt.Errorf("write %s: %w", t.Path, err)
	}
	if err := sum.Check(m); err != nil {
		return fmt.Errorf("image %s changed while it was written to %s: %w", image, t.Path, err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", t.Path, err)
	}
	// Drop the cached pages so the read back comes from the device.
	_ = unix.Fadvise(int(out.Fd()), 0, 0, unix.FADV_DONTNEED)
	if err := out.Close(); err != nil {
		return fmt.Errorf("close %s: %w", t.Path, err)
	}
	return nil
}

func readBack(t Target, m manifest.Manifest) error {
	f, err := os.Open(t.Resolved)
	if err != nil {
		return fmt.Errorf("read back %s: %w", t.Path, err)
	}
	defer f.Close()
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	var r io.Reader = io.LimitReader(f, m.Size)
	if !t.Block {
		r = f // a file must hold exactly the image
	}
	if err := manifest.VerifyImage(r, m); err != nil {
		return fmt.Errorf("read back %s: %w", filepath.Clean(t.Path), err)
	}
	return nil
}
