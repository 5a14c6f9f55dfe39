package lcdfront

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/testkit/lcdmodule"
)

// modulePTY serves an emulated CFA-635 on the master side of a real pty;
// the panel opens the slave side as the appliance board's LCD device.
func modulePTY(t *testing.T) (*lcdmodule.Module, string) {
	t.Helper()
	pty, err := lcdmodule.OpenPTY("/dev")
	if err != nil {
		t.Fatalf("no pseudo-terminal (the test needs /dev/ptmx): %v", err)
	}
	emu := lcdmodule.New(lcdmodule.Config{})
	done := make(chan error, 1)
	go func() { done <- emu.Serve(pty.Master) }()
	t.Cleanup(func() {
		pty.Close()
		if err := <-done; err != nil {
			t.Errorf("emulated module: %v", err)
		}
	})
	return emu, pty.SlavePath
}

// waitModule waits until the module's top rows are want, a frame drawn
// in full (one Draw is several commands).
func waitModule(t *testing.T, emu *lcdmodule.Module, what string, want ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	shows := func() bool {
		rows := emu.Text()
		for i, w := range want {
			if strings.TrimRight(rows[i], " ") != w {
				return false
			}
		}
		return true
	}
	if err := emu.WaitFor(ctx, shows); err != nil {
		t.Fatalf("timed out waiting for %s; the module shows:\n%s", what, strings.Join(emu.Text(), "\n"))
	}
}

// The appliance board's panel is the serial module: lcdd opens it on the
// board's device (here a pty's slave) at 115200 8N1 without error marks,
// draws the idle screen in the board's 16x2, and a key pressed on the
// module reaches the menu.
func TestSerialModuleOnPTY(t *testing.T) {
	b := lookupBoard(t, "appliance")
	emu, slave := modulePTY(t)
	b.LCD.Device = slave
	mem := newMemory(t)
	sock := socketPath(t)
	serve(t, mem, sock)
	client := netapi.Dial(sock)
	t.Cleanup(func() { client.Close() })
	r := start(t, Options{
		Board: b, Manager: client, Power: &power{}, Version: "test",
		Log: testLog(t), Clock: newFakeClock(t),
	})

	waitModule(t, emu, "the idle screen on the module", "CONTACTING    **", "PLATFORM")
	idle := emu.Text()

	// The line as lcdd set it.
	fd, err := unix.Open(slave, unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	unix.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Cflag&unix.CBAUD != unix.B115200 || tio.Cflag&unix.CSIZE != unix.CS8 || tio.Cflag&(unix.CSTOPB|unix.PARENB) != 0 ||
		tio.Iflag&(unix.PARMRK|unix.IXON) != 0 || tio.Lflag&unix.ICANON != 0 {
		t.Errorf("the module's line: cflag %#o iflag %#o lflag %#o, want 115200 8N1 raw without error marks", tio.Cflag, tio.Iflag, tio.Lflag)
	}

	// ENTER on the module's keypad, pressed and let go: the main menu.
	for _, press := range []bool{true, false} {
		send := emu.Release
		if press {
			send = emu.Press
		}
		if sent, err := send(lcdmodule.KeyEnter); !sent || err != nil {
			t.Fatalf("ENTER report: sent %v, %v", sent, err)
		}
	}
	// The main menu, its DOWN and ENTER glyphs (custom characters, shown
	// as '*') at the right.
	waitModule(t, emu, "the main menu on the module", "SETUP NETWORK **", "")
	menu := emu.Text()
	t.Logf("module before ENTER:\n%s\nafter:\n%s", strings.Join(idle, "\n"), strings.Join(menu, "\n"))

	// The menu is in the board's 16x2, at the top left of the 20x4
	// module; the rest stays blank.
	for r, row := range menu {
		if r >= 2 && strings.TrimSpace(row) != "" || r < 2 && strings.TrimSpace(row[16:]) != "" {
			t.Errorf("module row %d = %q: drawn outside the board's 16x2", r, row)
		}
	}
	// Every byte lcdd sent was a good packet, and the LEDs (no scan, no
	// update) are off.
	if n := emu.Dropped(); n != 0 {
		t.Errorf("the module dropped %d bytes as not a packet", n)
	}
	for _, gpio := range []int{9, 11} {
		if v := emu.GPIO(gpio); v != 0 {
			t.Errorf("LED GPIO %d = %d, want off", gpio, v)
		}
	}
	var types []byte
	for _, p := range emu.Received()[:5] {
		types = append(types, p.Type)
	}
	if string(types) != string([]byte{0, 1, 23, 12, 6}) {
		t.Errorf("the first commands were %v, want ping, version, key reporting, cursor style, clear", types)
	}

	// Stopping lcdd leaves the last frame on the module.
	r.stop(t)
	if got := emu.Text(); strings.Join(got, "\n") != strings.Join(menu, "\n") {
		t.Errorf("after lcdd stopped the module shows\n%s\nwant the last frame", strings.Join(got, "\n"))
	}
}

// A module that does not answer is a clear error from Run, naming the
// device, not a silent terminal.
func TestSerialModuleSilent(t *testing.T) {
	b := lookupBoard(t, "appliance")
	pty, err := lcdmodule.OpenPTY("/dev")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pty.Close() })
	b.LCD.Device = pty.SlavePath // nobody serves the master
	clock := newFakeClock(t)
	client := netapi.Dial(socketPath(t)) // never reached: the panel fails first
	t.Cleanup(func() { client.Close() })
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Options{Board: b, Manager: client, Power: &power{}, Clock: clock, Log: testLog(t)})
	}()
	for range 2 * 3 { // the ping's three tries, the resync, three more
		clock.Fire()
	}
	err = <-done
	if err == nil || !strings.Contains(err.Error(), pty.SlavePath) || !strings.Contains(err.Error(), "no answer") {
		t.Errorf("Run = %v, want no answer from the module on %s", err, pty.SlavePath)
	}
	if errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v", err)
	}
}
