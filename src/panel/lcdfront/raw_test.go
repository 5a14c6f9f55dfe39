package lcdfront

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/serial"
)

func termios(t *testing.T, f *os.File) unix.Termios {
	t.Helper()
	var tio *unix.Termios
	if err := control(f, func(fd int) (err error) {
		tio, err = unix.IoctlGetTermios(fd, unix.TCGETS)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return *tio
}

// On a terminal, stdin is raw while the panel runs (keys arrive one by one,
// unechoed, Ctrl-C as a byte), Ctrl-C ends Run cleanly, and the terminal
// is left as it was found.
func TestTerminalRawModeAndCtrlC(t *testing.T) {
	master, slavePath, err := serial.OpenPTY("/dev")
	if err != nil {
		t.Fatalf("no pseudo-terminal (the test needs /dev/ptmx): %v", err)
	}
	t.Cleanup(func() { master.Close() })
	tty, err := os.OpenFile(slavePath, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	before := termios(t, tty)
	if before.Lflag&unix.ICANON == 0 {
		t.Fatal("a new pty should start in canonical mode")
	}

	sock := socketPath(t)
	serve(t, newMemory(t), sock)
	client := netapi.Dial(sock)
	t.Cleanup(func() { client.Close() })
	out := newScreen()
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Options{
			Board: lookupBoard(t, "virtual"), Manager: client, Power: &power{},
			Version: "test", Log: testLog(t), Clock: newFakeClock(t),
			Stdin: tty, Stdout: out,
		})
	}()
	waitUntil(t, "the idle screen", out.changed,
		func() bool { return strings.Contains(out.String(), "CONTACTING") }, out.String)

	raw := termios(t, tty)
	if raw.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 || raw.Iflag&unix.ICRNL != 0 {
		t.Errorf("stdin is not raw while running: lflag %#x iflag %#x", raw.Lflag, raw.Iflag)
	}
	if _, err := master.Write(append(encode(t, `ENTER`), ctrlC)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after Ctrl-C = %v, want nil", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Ctrl-C did not end Run")
	}
	// The ENTER typed before Ctrl-C reached the menu.
	if !strings.Contains(out.String(), "SETUP NETWORK") {
		t.Errorf("ENTER before Ctrl-C did not open the main menu:\n%s", out.String())
	}
	if after := termios(t, tty); after != before {
		t.Errorf("terminal not restored:\nbefore %+v\nafter  %+v", before, after)
	}
}
