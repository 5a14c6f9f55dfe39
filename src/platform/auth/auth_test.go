package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(func() time.Time { return now })
	for i := range 5 {
		if ok, _ := l.Attempt("alice"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	// The fifth attempt locked the key, before its outcome was known.
	if ok, until := l.Attempt("alice"); ok || !until.Equal(now.Add(time.Minute)) {
		t.Fatalf("sixth attempt: %v until %v, want refused until %v", ok, until, now.Add(time.Minute))
	}
	if locked, until := l.Locked("alice"); !locked || !until.Equal(now.Add(time.Minute)) {
		t.Fatalf("after 5 attempts: %v until %v", locked, until)
	}
	if locked, _ := l.Locked("bob"); locked {
		t.Error("another key locked")
	}
	now = now.Add(time.Minute)
	if locked, _ := l.Locked("alice"); locked {
		t.Error("still locked after the lock time")
	}
	l.Attempt("alice") // counting starts over after a lock
	if locked, _ := l.Locked("alice"); locked {
		t.Error("locked again by one attempt")
	}
	for range 4 {
		l.Attempt("bob")
	}
	l.Succeed("bob")
	l.Attempt("bob")
	if locked, _ := l.Locked("bob"); locked {
		t.Error("success did not reset the count")
	}
}

// TestLimiterRefund: a refunded attempt does not count, and lifts the lock
// it set; refunds cannot take a key below no attempts.
func TestLimiterRefund(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(func() time.Time { return now })
	for range 4 {
		l.Attempt("alice")
	}
	l.Attempt("alice") // the fifth locks...
	l.Refund("alice")  // ...unless it is taken back
	if locked, _ := l.Locked("alice"); locked {
		t.Fatal("locked after the locking attempt was refunded")
	}
	if ok, _ := l.Attempt("alice"); !ok {
		t.Fatal("attempt after a refund refused")
	}
	if locked, _ := l.Locked("alice"); !locked {
		t.Fatal("five counted attempts did not lock")
	}
	l.Refund("nobody") // no entry: nothing happens
	l.Attempt("bob")
	l.Refund("bob")
	l.Refund("bob") // more refunds than attempts
	for range 4 {
		l.Attempt("bob")
	}
	if locked, _ := l.Locked("bob"); locked {
		t.Error("four attempts locked: a second refund counted below zero")
	}
}

// TestLimiterParallel: attempts that run at once are counted as they
// start, so no more than MaxFailures of them get through (the lock was
// checked before, and the failure recorded after, a 19 MiB password
// check: 120 parallel wrong logins were all checked).
func TestLimiterParallel(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(func() time.Time { return now })
	var passed atomic.Int32
	var wg sync.WaitGroup
	for range 120 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := l.Attempt("10.0.0.1"); ok {
				passed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := passed.Load(); n != int32(l.MaxFailures) {
		t.Errorf("%d of 120 parallel attempts passed, want %d", n, l.MaxFailures)
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
