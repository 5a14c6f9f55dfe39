package lcdfront

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/testkit/lcdmodule"
)

// pressKey presses and lets go of k on the module, as a person does.
func pressKey(t *testing.T, emu *lcdmodule.Module, k lcdmodule.Key) {
	t.Helper()
	for _, send := range []func(lcdmodule.Key) (bool, error){emu.Press, emu.Release} {
		if sent, err := send(k); !sent || err != nil {
			t.Fatalf("key %d report: sent %v, %v", k, sent, err)
		}
	}
}

// A power off as init tells lcdd of it, on the serial module chosen with
// -display serial-module on the virtual board (no panel of its own: the
// qemu test's wiring): the panel shows SHUTTING DOWN SYSTEM though nobody
// asked from it, drops keys, does not go back to "starting up" when the
// network manager is stopped, and once told the box is halted shows
// "It's now safe to unplug the box" (the spec's message after shutdown)
// and returns by itself, leaving it on the module with the LEDs off.
func TestSerialModulePowerOff(t *testing.T) {
	emu, slave := modulePTY(t)
	mem := newMemory(t)
	sock := socketPath(t)
	l, err := netapi.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, stopServer := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- netapi.Serve(srvCtx, l, mem) }()
	t.Cleanup(stopServer)
	client := netapi.Dial(sock)
	t.Cleanup(func() { client.Close() })
	poweroff, halted := make(chan struct{}), make(chan struct{})
	pw := &power{}
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Options{
			Board: lookupBoard(t, "virtual"), Display: DisplaySerialModule, Device: slave,
			Manager: client, Power: pw, Version: "test",
			Log: testLog(t), Clock: newFakeClock(t),
			PowerOff: poweroff, Halted: halted,
		})
	}()

	waitModule(t, emu, "the idle screen in 16x2", "CONTACTING    **", "PLATFORM")
	// The LEDs were switched off by lcdd (command 34 for S1 and S2's
	// dies, level 0), not merely never lit.
	set := map[byte]byte{}
	for _, p := range emu.Received() {
		if p.Type == 34 && len(p.Data) >= 2 {
			set[p.Data[0]] = p.Data[1]
		}
	}
	for _, gpio := range []byte{9, 11} {
		if v, ok := set[gpio]; !ok || v != 0 || emu.GPIO(int(gpio)) != 0 {
			t.Errorf("LED GPIO %d: set %v to %d, now %d; want set to 0 by lcdd", gpio, ok, v, emu.GPIO(int(gpio)))
		}
	}

	close(poweroff)
	waitModule(t, emu, "SHUTTING DOWN SYSTEM", "SHUTTING DOWN", "SYSTEM")
	shown, before := emu.Codes(), len(emu.Received())
	// init stops the network manager next; the panel must not go back
	// to "starting up", and keys do nothing any more.
	stopServer()
	if err := <-served; err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, net.ErrClosed) {
		t.Fatalf("serve: %v", err)
	}
	client.Close()
	pressKey(t, emu, lcdmodule.KeyEnter)
	pressKey(t, emu, lcdmodule.KeyDown)
	select {
	case err := <-done:
		t.Fatalf("Run returned before the halt: %v", err)
	case <-time.After(200 * time.Millisecond):
	}

	close(halted)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil once the box is halted", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after the halt")
	}
	rows := emu.Text()
	if got := strings.TrimRight(rows[0], " ") + " " + strings.TrimRight(rows[1], " "); got != "It's now safe to unplug the box" {
		t.Errorf("after the halt the module shows\n%s\nwant It's now safe to unplug the box", strings.Join(rows, "\n"))
	}
	// Every picture from SHUTTING DOWN SYSTEM on is on the way to the
	// halted message: no "starting up" when the network manager left, no
	// menu from the keys.
	for _, pic := range emu.Pictures(shown, emu.Received()[before:]) {
		if p := strings.Join(pic, "|"); strings.Contains(p, "starting") || strings.Contains(p, "SETUP") || strings.Contains(p, "CONTACTING") {
			t.Errorf("drawn after SHUTTING DOWN SYSTEM:\n%s", strings.Join(pic, "\n"))
		}
	}
	for _, gpio := range []int{9, 11} {
		if v := emu.GPIO(gpio); v != 0 {
			t.Errorf("LED GPIO %d = %d after the halt, want off", gpio, v)
		}
	}
	pw.mu.Lock()
	defer pw.mu.Unlock()
	if pw.reboots+pw.shutdowns != 0 {
		t.Errorf("the panel asked for %d reboots and %d shutdowns; the keys after the notice must do nothing", pw.reboots, pw.shutdowns)
	}
}

// Told the box is halted without the power-off notice first (lcdd
// restarted in between), the terminal panel still shows the message and
// Run returns.
func TestTerminalHalted(t *testing.T) {
	mem := newMemory(t)
	sock := socketPath(t)
	serve(t, mem, sock)
	client := netapi.Dial(sock)
	t.Cleanup(func() { client.Close() })
	out := newScreen()
	halted := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Options{
			Board: lookupBoard(t, "virtual"), Display: DisplayTerminal,
			Manager: client, Power: &power{}, Version: "test",
			Log: testLog(t), Clock: newFakeClock(t), Stdout: out, Halted: halted,
		})
	}()
	waitUntil(t, "the idle screen", out.changed, func() bool { return strings.Contains(out.String(), "CONTACTING") }, out.String)
	close(halted)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after the halt")
	}
	shown := out.String()
	last := shown[strings.LastIndex(shown, "+----------------+\n|"):]
	if !strings.Contains(last, "|It's now safe to|") || !strings.Contains(last, "|unplug the box  |") {
		t.Errorf("the last frame is\n%s\nwant It's now safe to unplug the box", last)
	}
}

func TestParseGeometry(t *testing.T) {
	for in, want := range map[string]frame.Geometry{"16x2": {Rows: 2, Cols: 16}, "20x4": {Rows: 4, Cols: 20}} {
		if g, err := ParseGeometry(in); err != nil || g != want {
			t.Errorf("ParseGeometry(%q) = %v, %v; want %v", in, g, err, want)
		}
	}
	for _, in := range []string{"", "16", "2x16x", "8x2", "16x1", "x2", "16x2 "} {
		if g, err := ParseGeometry(in); err == nil {
			t.Errorf("ParseGeometry(%q) = %v, want an error", in, g)
		}
	}
}

// A device is for the serial module: given with another board's panel it
// is a mistake, said at start.
func TestDeviceWithoutModule(t *testing.T) {
	client := netapi.Dial(socketPath(t))
	t.Cleanup(func() { client.Close() })
	err := Run(context.Background(), Options{Board: lookupBoard(t, "virtual"), Device: "/dev/ttyS1",
		Manager: client, Power: &power{}, Log: testLog(t), Clock: newFakeClock(t), Stdout: newScreen()})
	if err == nil || !strings.Contains(err.Error(), DisplaySerialModule) {
		t.Errorf("Run = %v, want an error naming -display %s", err, DisplaySerialModule)
	}
}
