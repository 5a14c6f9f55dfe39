package auth

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse", Default)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", h)
	}
	h2, _ := HashPassword("correct horse", Default)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse", true}, {"correct hors", false}, {"", false}} {
		if ok, err := CheckPassword(h, tc.pw); ok != tc.want || err != nil {
			t.Errorf("check %q: %v %v, want %v", tc.pw, ok, err, tc.want)
		}
	}
	for _, bad := range []string{"", "$bcrypt$x", "$argon2id$v=18$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA"} {
		if _, err := CheckPassword(bad, "x"); err == nil {
			t.Errorf("hash %q accepted", bad)
		}
	}
}

// TestChecker: at most slots checks run at once, at most queue wait, the
// rest are refused with ErrBusy without being checked, and a waiter whose
// context ends is refused too.
func TestChecker(t *testing.T) {
	const slots, queue = 2, 3
	c := NewChecker(slots, queue)
	release := make(chan struct{})
	var running, peak, checked atomic.Int32
	started := make(chan struct{}, 100)
	c.check = func(hash, pw string) (bool, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		checked.Add(1)
		started <- struct{}{}
		<-release
		running.Add(-1)
		return pw == "right", nil
	}
	type result struct {
		ok  bool
		err error
	}
	results := make(chan result, 100)
	for range 10 {
		go func() {
			ok, err := c.Check(context.Background(), "h", "wrong")
			results <- result{ok, err}
		}()
	}
	// Two run, three wait, five are refused at once.
	for range slots {
		<-started
	}
	for range 10 - slots - queue {
		if r := <-results; !errors.Is(r.err, ErrBusy) {
			t.Fatalf("check beyond slots and queue: %v %v, want ErrBusy", r.ok, r.err)
		}
	}
	// A waiter whose context ends gives up its place.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Check(ctx, "h", "right"); !errors.Is(err, ErrBusy) {
		t.Fatalf("check with the queue full: %v, want ErrBusy", err)
	}
	close(release)
	for range slots + queue {
		if r := <-results; r.err != nil || r.ok {
			t.Fatalf("queued check: %v %v, want checked and wrong", r.ok, r.err)
		}
	}
	if p, n := peak.Load(), checked.Load(); p > slots || n != slots+queue {
		t.Errorf("%d checks at once (want at most %d), %d checked (want %d)", p, slots, n, slots+queue)
	}
	if ok, err := c.Check(context.Background(), "h", "right"); !ok || err != nil {
		t.Errorf("check with free slots: %v %v", ok, err)
	}
}

func TestToken(t *testing.T) {
	a, _ := Token()
	b, _ := Token()
	if a == b || len(a) != 43 {
		t.Errorf("tokens %q %q: want distinct, 43 base64url characters (256 bits)", a, b)
	}
	if TokenID(a) == a || len(TokenID(a)) != 64 {
		t.Errorf("token id %q", TokenID(a))
	}
}

// TestCheckerWaits: a check waits in the queue for a slot and runs once
// one is free; a waiter whose context ends gives up, refused.
func TestCheckerWaits(t *testing.T) {
	c := NewChecker(1, 1)
	release, err := c.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Acquire(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("waiter with its context ended: %v, want ErrBusy", err)
	}
	done := make(chan error)
	go func() {
		r, err := c.Acquire(context.Background())
		if err == nil {
			r()
		}
		done <- err
	}()
	release()
	if err := <-done; err != nil {
		t.Fatalf("waiter after a slot was freed: %v", err)
	}
}
