package lcdfront

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/lcd"
	"picket.dev/picket/src/panel/loop"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/testkit/scanserve"
)

// TestGPIOScanLightsS1: lcdd with the scanner's socket (Options.Scanner,
// a scanapi client of the real scanapi server on a unix socket) drives
// the board's S1 pin high and shows the scan's progress on the HD44780
// while scanner.sock says a job runs (SCANNING 42%: 107 of 254 targets),
// and drives S1 low again once the job ended; S2 stays low throughout.
func TestGPIOScanLightsS1(t *testing.T) {
	b := lookupBoard(t, "armv7")
	hw := newArmv7Pins(b)
	mem := newMemory(t)
	if err := mem.ReportPlatform(context.Background(), netapi.PlatformLink{State: netapi.LinkReady, Name: "pk_alice"}); err != nil {
		t.Fatal(err)
	}
	sock := socketPath(t)
	serve(t, mem, sock)
	client := netapi.Dial(sock)
	t.Cleanup(func() { client.Close() })

	sc := scanserve.New(scanapi.State{MaxJobs: 1})
	_, scanner := scanserve.Serve(t, sc, testLog(t))

	clock := newFakeClock(t)
	r := start(t, Options{
		Board: b, Manager: client, Power: &power{}, Version: "test", Scanner: scanner,
		Log: testLog(t), Clock: clock,
		Pins: func() (lcd.PinLookup, error) { return hw.lookup(b.LCD.E), nil },
		LCD:  lcd.Options{Sleep: func(time.Duration) {}},
	})
	s1, s2 := hw.pins[b.LEDs.S1], hw.pins[b.LEDs.S2]
	show := func() string { return fmt.Sprintf("LCD:\n%sS1 %v", hw.lcd.text(), s1.Read()) }
	eventually(t, "NAME-IP, S1 low", func() bool {
		return strings.Contains(hw.lcd.text(), "pk_alice-") && s1.Read() == gpio.Low
	}, show)
	sc.Set(scanapi.State{Running: true, JobID: "job-7", MaxJobs: 1, Progress: &platformapi.JobProgress{
		Phase: "services", TargetsTotal: 254, TargetsDone: 107, HostsUp: 31}})
	clock.Advance(loop.ScanPollEvery)
	eventually(t, "SCANNING 42% over SERVICES 107/254, S1 high", func() bool {
		return strings.Contains(hw.lcd.text(), "SCANNING 42%") && strings.Contains(hw.lcd.text(), "SERVICES 107/254") && s1.Read() == gpio.High
	}, show)
	if l := s2.Read(); l != gpio.Low {
		t.Errorf("S2 = %v during a scan without an update, want Low", l)
	}
	sc.Set(scanapi.State{MaxJobs: 1})
	clock.Advance(loop.ScanPollEvery)
	eventually(t, "NAME-IP again, S1 low", func() bool {
		return strings.Contains(hw.lcd.text(), "pk_alice-") && s1.Read() == gpio.Low
	}, show)
	r.stop(t)
}
