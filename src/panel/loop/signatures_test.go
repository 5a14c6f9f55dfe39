package loop

import (
	"context"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/testkit/fakeclock"
)

// TestSignaturesAgeFromScanner: the signature database scanner.sock
// reports reaches SHOW STATUS with its age counted on the panel's clock:
// 9 days old against the platform's 7-day limit is SIGS STALE 9d, and two
// days later SIGS STALE 11d.
func TestSignaturesAgeFromScanner(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := New(ctx, newMemory(t), &power{}, frame.LCD16x2(), "test", quiet())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
	clk := fakeclock.New(t, now)
	sc := &fakeScanner{st: scanapi.State{MaxJobs: 1, Signatures: &scanapi.Signatures{
		Version: "2.2.245-2", Created: now.Add(-9*24*time.Hour - time.Hour), Source: "data", MaxAgeDays: 7}}}
	p.WatchScanner(sc, clk)
	rec := recorder{frames: make(chan frame.Frame, 100)}
	keys := make(chan keyevent.Event)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, p, Inputs{Keys: keys}, rec) }()
	// waitFor reads frames until one satisfies ok.
	waitFor := func(what string, ok func(frame.Frame) bool) frame.Frame {
		t.Helper()
		guard := time.After(fakeclock.Guard) // a hang guard, not a timing assertion
		for {
			select {
			case f := <-rec.frames:
				if ok(f) {
					return f
				}
			case <-guard:
				t.Fatalf("never saw %s", what)
			}
		}
	}
	press := func(k keyevent.Key) {
		t.Helper()
		select {
		case keys <- keyevent.Event{Key: k}:
		case <-time.After(fakeclock.Guard):
			t.Fatal("the loop took no key")
		}
	}
	// The first frame, then the one after the first poll (at once).
	<-rec.frames
	<-rec.frames
	// SHOW STATUS: after SETUP NETWORK's seven items on a factory box.
	walk := []keyevent.Key{keyevent.Enter}
	for range 8 {
		walk = append(walk, keyevent.Down)
	}
	for _, k := range append(walk, keyevent.Enter) {
		press(k)
		<-rec.frames
	}
	for i := 0; ; i++ {
		f := <-rec.frames
		if strings.HasPrefix(f.Line(0), "SIGS AGE") {
			if got := strings.TrimSpace(f.Line(1)); got != "SIGS STALE 9d" {
				t.Fatalf("SIGS AGE says %q, want SIGS STALE 9d", got)
			}
			break
		}
		if i > 30 {
			t.Fatal("SHOW STATUS has no SIGS AGE")
		}
		press(keyevent.Down)
	}
	clk.Advance(2 * 24 * time.Hour)
	waitFor("SIGS STALE 11d", func(f frame.Frame) bool { return strings.TrimSpace(f.Line(1)) == "SIGS STALE 11d" })
	cancel()
	<-done
}
