// Package ratelimit holds the platform's token buckets: each key (a box's
// public key for the box API, a client address for the update repository)
// gets Burst requests at once, then one per Every. It does no I/O; the
// caller passes the time.
package ratelimit

import (
	"sync"
	"time"
)

// Buckets are token buckets by key. Only keys that sent requests hold one;
// a bucket that has refilled is the same as none and is dropped at the
// next sweep, so what is held is bounded by the keys seen in the last
// Burst×Every. The zero value is ready to use.
type Buckets struct {
	mu        sync.Mutex
	m         map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// Take takes a token from key's bucket at now (burst tokens at most, one
// more per every); when there is none it returns false and how long until
// there is one. A burst or every of 0 or less means no limit.
func (bs *Buckets) Take(key string, now time.Time, burst int, every time.Duration) (time.Duration, bool) {
	if burst <= 0 || every <= 0 {
		return 0, true
	}
	full := time.Duration(burst) * every
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.m == nil {
		bs.m = map[string]*bucket{}
	}
	if now.Sub(bs.lastSweep) > full {
		for k, b := range bs.m {
			if now.Sub(b.at) >= full {
				delete(bs.m, k)
			}
		}
		bs.lastSweep = now
	}
	b := bs.m[key]
	if b == nil {
		b = &bucket{tokens: float64(burst), at: now}
		bs.m[key] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(float64(burst), b.tokens+float64(d)/float64(every))
		b.at = now
	}
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(every)), false
	}
	b.tokens--
	return 0, true
}

// Len is the number of buckets held.
func (bs *Buckets) Len() int {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return len(bs.m)
}
