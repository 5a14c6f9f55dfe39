package boxapi

import (
	"sync"
	"time"
)

// Defaults of each box's token bucket: a box polls at most every
// platformapi.MinPollInterval (10 s) and uploads a few job updates after a
// poll; 20 at once and one every 3 s leave it ample room, while one key
// sending as fast as it can is held to 20 + 200 requests (and nonces) in
// the nonce cache's 10 minutes.
const (
	DefaultBurst = 20
	DefaultEvery = 3 * time.Second
)

// buckets are the boxes' token buckets, by box key. Only known boxes get
// one (an unknown key is refused, or becomes a pending box, before it
// takes a token), so there are at most as many as boxes; a bucket that
// has refilled is the same as none and is dropped at the next sweep.
type buckets struct {
	mu        sync.Mutex
	m         map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// take takes a token from key's bucket at now; when there is none it
// returns false and how long until there is one.
func (bs *buckets) take(key string, now time.Time, burst int, every time.Duration) (time.Duration, bool) {
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

// len is the number of buckets held (for tests).
func (bs *buckets) len() int {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return len(bs.m)
}
