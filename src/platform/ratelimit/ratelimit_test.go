package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// TestForget: a bucket that has refilled is dropped at the next
// sweep, so the buckets held are those of boxes that sent requests in the
// last Burst×Every, not every key ever seen.
func TestForget(t *testing.T) {
	var bs Buckets
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	for i := range 1000 {
		if _, ok := bs.Take(fmt.Sprint("key", i), now, 2, time.Second); !ok {
			t.Fatalf("key %d: first request refused", i)
		}
	}
	if _, ok := bs.Take("key0", now, 2, time.Second); !ok {
		t.Fatal("key0: second request (burst 2) refused")
	}
	if wait, ok := bs.Take("key0", now, 2, time.Second); ok || wait != time.Second {
		t.Fatalf("key0: third request: %v, wait %s; want refused, 1s", ok, wait)
	}
	if n := bs.Len(); n != 1000 {
		t.Fatalf("%d buckets, want 1000", n)
	}
	now = now.Add(3 * time.Second)
	if _, ok := bs.Take("key0", now, 2, time.Second); !ok {
		t.Fatal("key0 after refilling: refused")
	}
	if n := bs.Len(); n != 1 {
		t.Errorf("%d buckets after the others refilled, want 1", n)
	}
}
