package lcdfront

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/lcd"
	"picket.dev/picket/src/panel/loop"
	"picket.dev/picket/src/update/updateapi"
)

// fakeUpdater is updater.sock's state as the test sets it.
type fakeUpdater struct {
	mu sync.Mutex
	st updateapi.State
}

func (f *fakeUpdater) State(context.Context) (updateapi.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st, nil
}

func (f *fakeUpdater) set(st updateapi.State) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st = st
}

// TestGPIOUpdateLightsS2: lcdd with an updater (Options.Updater) drives
// the board's S2 pin high and shows UPDATING 42% on the HD44780 while the
// updater downloads, and drives S2 low again once it is idle.
func TestGPIOUpdateLightsS2(t *testing.T) {
	b := lookupBoard(t, "armv7")
	hw := newArmv7Pins(b)
	mem := newMemory(t)
	sock := socketPath(t)
	serve(t, mem, sock)
	client := netapi.Dial(sock)
	t.Cleanup(func() { client.Close() })
	clock := newFakeClock(t)
	upd := &fakeUpdater{st: updateapi.State{Phase: updateapi.PhaseIdle, Software: "6.7.20-1"}}
	r := start(t, Options{
		Board: b, Manager: client, Power: &power{}, Version: "test", Updater: upd,
		Log: testLog(t), Clock: clock,
		Pins: func() (lcd.PinLookup, error) { return hw.lookup(b.LCD.E), nil },
		LCD:  lcd.Options{Sleep: func(time.Duration) {}},
	})
	s2 := hw.pins[b.LEDs.S2]
	show := func() string { return fmt.Sprintf("LCD:\n%sS2 %v", hw.lcd.text(), s2.Read()) }
	eventually(t, "the idle screen, S2 low", func() bool {
		return strings.Contains(hw.lcd.text(), "CONTACTING") && s2.Read() == gpio.Low
	}, show)
	upd.set(updateapi.State{Phase: updateapi.PhaseDownloading, Percent: 42, Kind: platformapi.UpdateSoftware, Pending: "6.8.0-1", Software: "6.7.20-1"})
	clock.Advance(loop.UpdatePollEvery)
	eventually(t, "UPDATING 42% and S2 high", func() bool {
		return strings.Contains(hw.lcd.text(), "UPDATING 42%") && strings.Contains(hw.lcd.text(), "DOWNLOADING") && s2.Read() == gpio.High
	}, show)
	if l := hw.pins[b.LEDs.S1].Read(); l != gpio.Low {
		t.Errorf("S1 = %v during an update without a scan, want Low", l)
	}
	upd.set(updateapi.State{Phase: updateapi.PhaseIdle, Software: "6.8.0-1"})
	clock.Advance(loop.UpdatePollEvery)
	eventually(t, "the idle screen again, S2 low", func() bool {
		return strings.Contains(hw.lcd.text(), "CONTACTING") && s2.Read() == gpio.Low
	}, show)
	r.stop(t)
}
