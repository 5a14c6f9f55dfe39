package fakeclock_test

import (
	"context"
	"testing"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/testkit/fakeclock"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestTimers(t *testing.T) {
	c := fakeclock.New(t, epoch)
	a, b := c.NewTimer(3*time.Second), c.After(time.Second)
	stopped := c.NewTimer(2 * time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop of an armed timer is true, then false")
	}
	if got := c.WaitTimers(2); len(got) != 2 || got[0] != time.Second || got[1] != 3*time.Second {
		t.Fatalf("pending %v, want [1s 3s]", got)
	}
	if got := c.Fire(); got != time.Second {
		t.Errorf("Fire at %v, want 1s", got)
	}
	if at := <-b; !at.Equal(epoch.Add(time.Second)) {
		t.Errorf("After fired with %v", at)
	}
	c.Advance(time.Second)
	select {
	case <-a.C():
		t.Fatal("a 3 s timer fired at 2 s")
	default:
	}
	c.Advance(time.Second)
	if at := <-a.C(); !at.Equal(epoch.Add(3 * time.Second)) {
		t.Errorf("timer fired with %v, want its deadline", at)
	}
	if a.Stop() {
		t.Error("Stop of a fired timer reported true")
	}
	if now := <-c.After(0); !now.Equal(c.Now()) {
		t.Errorf("After(0) = %v, want now", now)
	}
}

// Ticks come at every period and Advance waits for each to be taken.
func TestTickerHandsOverEveryTick(t *testing.T) {
	c := fakeclock.New(t, epoch)
	tk := c.NewTicker(10 * time.Millisecond)
	got := make(chan time.Duration, 10)
	go func() {
		for at := range tk.C() {
			got <- at.Sub(epoch)
			if len(got) == 3 {
				tk.Stop()
				return
			}
		}
	}()
	c.Advance(35 * time.Millisecond)
	c.Advance(time.Second) // stopped: nothing more, and no hang
	close(got)
	var all []time.Duration
	for d := range got {
		all = append(all, d)
	}
	if len(all) != 3 || all[0] != 10*time.Millisecond || all[2] != 30*time.Millisecond {
		t.Errorf("ticks at %v, want 10ms 20ms 30ms", all)
	}
	if c.Elapsed() != 1035*time.Millisecond {
		t.Errorf("elapsed %v", c.Elapsed())
	}
}

func TestSleep(t *testing.T) {
	c := fakeclock.New(t, epoch)
	done := make(chan error)
	go func() { done <- clock.Sleep(context.Background(), c, time.Minute) }()
	if p := c.WaitTimers(1); p[0] != time.Minute {
		t.Fatalf("Sleep armed %v", p)
	}
	c.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := clock.Sleep(ctx, c, time.Hour); err != context.Canceled {
		t.Errorf("Sleep with a cancelled context: %v", err)
	}
	if p := c.Pending(); len(p) != 0 {
		t.Errorf("Sleep left timers armed: %v", p)
	}
}
