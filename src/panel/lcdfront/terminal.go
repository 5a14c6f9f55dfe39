package lcdfront

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/lcd"
	"picket.dev/picket/src/panel/vt100input"
)

// ctrlC quits the daemon from a terminal in raw mode, where the kernel no
// longer turns it into SIGINT.
const ctrlC = 0x03

// openTerminal draws the panel on o.Stdout and reads keys from o.Stdin.
// The drawing is redrawn in place (ANSI) when Stdout is a terminal, and
// appended frame after frame otherwise, which is what a log or a test wants.
func openTerminal(o Options, geo frame.Geometry) (*front, error) {
	if o.Stdout == nil {
		return nil, errors.New("lcdfront: the terminal backend needs Stdout")
	}
	t := lcd.NewTerminal(o.Stdout, geo, lcd.TerminalOptions{ANSI: isTerminal(o.Stdout)})
	f := &front{
		name:    DisplayTerminal,
		disp:    &display{lcd: t, log: o.Log},
		closers: []func() error{t.Close},
	}
	if o.Stdin == nil {
		o.Log.Info("no key input; the panel only shows")
		return f, nil
	}
	raw := false
	if in, ok := o.Stdin.(*os.File); ok && isTerminal(in) {
		restore, err := makeRaw(in)
		if err != nil {
			return nil, errors.Join(err, f.close())
		}
		f.closers = append(f.closers, restore)
		raw = true
		o.Log.Info("keys: arrows, Enter, Ctrl-U = CLEAR, typed characters; Ctrl-C quits")
	}
	f.readers = append(f.readers, stdinReader(o.Stdin, raw))
	return f, nil
}

// stdinReader decodes what a VT100-like terminal sends into keys. In raw
// mode Ctrl-C ends the daemon (errQuit); otherwise the kernel (or whoever
// feeds the pipe) handles it. A read error other than EOF is returned;
// EOF is the end of the input, not a failure.
//
// A lone ESC is not flushed after a pause (stdin is a blocking file without
// read deadlines), so it swallows the byte typed after it; every key the
// panel needs is an arrow, Enter, Ctrl-U or a printable character.
func stdinReader(r io.Reader, raw bool) reader {
	return func(ctx context.Context, emit func(keyevent.Event)) error {
		dec := vt100input.New()
		buf := make([]byte, 256)
		var evs []keyevent.Event
		for ctx.Err() == nil {
			n, err := r.Read(buf)
			in := buf[:n]
			quit := false
			if i := bytes.IndexByte(in, ctrlC); raw && i >= 0 {
				in, quit = in[:i], true
			}
			evs = dec.Feed(evs[:0], in)
			for _, ev := range evs {
				emit(ev)
			}
			switch {
			case quit:
				return errQuit
			case errors.Is(err, io.EOF):
				return nil
			case err != nil:
				return fmt.Errorf("lcdfront: read keys from the terminal: %w", err)
			}
		}
		return nil
	}
}

// isTerminal reports whether v is a file open on a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	return control(f, func(fd int) error {
		_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		return err
	}) == nil
}

// control runs fn on f's descriptor without f.Fd, which would switch a
// pollable file to blocking mode for good.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// makeRaw switches the terminal's input to raw: every byte as typed, no
// echo, no line editing, no signals from Ctrl-C/Ctrl-Z, no CR to LF, no
// XON/XOFF. Output processing stays on, so that the log on stderr (the same
// terminal) keeps its line breaks. It returns the function that puts the
// terminal back as it was.
func makeRaw(f *os.File) (func() error, error) {
	var old *unix.Termios
	err := control(f, func(fd int) error {
		var err error
		old, err = unix.IoctlGetTermios(fd, unix.TCGETS)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lcdfront: read the terminal settings of %s: %w", f.Name(), err)
	}
	t := *old
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := control(f, func(fd int) error { return unix.IoctlSetTermios(fd, unix.TCSETS, &t) }); err != nil {
		return nil, fmt.Errorf("lcdfront: put %s in raw mode: %w", f.Name(), err)
	}
	return func() error {
		if err := control(f, func(fd int) error { return unix.IoctlSetTermios(fd, unix.TCSETS, old) }); err != nil {
			return fmt.Errorf("lcdfront: restore the terminal settings of %s: %w", f.Name(), err)
		}
		return nil
	}, nil
}
