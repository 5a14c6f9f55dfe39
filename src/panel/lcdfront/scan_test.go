package lcdfront

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/lcd"
	"picket.dev/picket/src/panel/loop"
	"picket.dev/picket/src/scan/scanapi"
)

// servedScanner is what the real scanapi server serves: a job runner's
// state as the test sets it.
type servedScanner struct {
	mu sync.Mutex
	st scanapi.State
}

func (s *servedScanner) State() scanapi.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

func (s *servedScanner) set(st scanapi.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = st
}

func (s *servedScanner) CancelScan(context.Context, string) (bool, error) { return false, nil }

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

	path := filepath.Join(t.TempDir(), "scanner.sock")
	ln, err := scanapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := &servedScanner{st: scanapi.State{MaxJobs: 1}}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- scanapi.NewServer(sc, testLog(t)).Serve(ctx, ln) }()
	scanner := scanapi.Dial(path)
	t.Cleanup(func() {
		scanner.Close()
		cancel()
		if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("scanapi server: %v", err)
		}
	})

	clock := newFakeClock(t)
	r := start(t, Options{
		Board: b, Manager: client, Power: &power{}, Version: "test", Scanner: scanner,
		Log: testLog(t), Clock: clock,
		Pins: func() (lcd.PinLookup, error) { return hw.lookup(b.LCD.E), nil },
		LCD:  lcd.Options{Sleep: func(time.Duration) {}},
	})
	s1, s2 := hw.pins[b.LEDs.S1], hw.pins[b.LEDs.S2]
	eventually := func(what string, cond func() bool) {
		t.Helper()
		limit := time.Now().Add(waitLimit) // a hang guard, not a pace
		for !cond() {
			if time.Now().After(limit) {
				t.Fatalf("never saw %s; LCD:\n%sS1 %v", what, hw.lcd.text(), s1.Read())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	eventually("NAME-IP, S1 low", func() bool {
		return strings.Contains(hw.lcd.text(), "pk_alice-") && s1.Read() == gpio.Low
	})
	sc.set(scanapi.State{Running: true, JobID: "job-7", MaxJobs: 1, Progress: &platformapi.JobProgress{
		Phase: "services", TargetsTotal: 254, TargetsDone: 107, HostsUp: 31}})
	clock.Advance(loop.ScanPollEvery)
	eventually("SCANNING 42% over SERVICES 107/254, S1 high", func() bool {
		return strings.Contains(hw.lcd.text(), "SCANNING 42%") && strings.Contains(hw.lcd.text(), "SERVICES 107/254") && s1.Read() == gpio.High
	})
	if l := s2.Read(); l != gpio.Low {
		t.Errorf("S2 = %v during a scan without an update, want Low", l)
	}
	sc.set(scanapi.State{MaxJobs: 1})
	clock.Advance(loop.ScanPollEvery)
	eventually("NAME-IP again, S1 low", func() bool {
		return strings.Contains(hw.lcd.text(), "pk_alice-") && s1.Read() == gpio.Low
	})
	r.stop(t)
}
