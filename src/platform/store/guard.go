package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/ratelimit"
)

// ErrFull is Guard.UseNonce's refusal when a key already holds as many
// unexpired nonces as it may.
var ErrFull = errors.New("full")

// Guard is what the platform remembers for a short while to hold boxes
// and people to its limits: the nonces of box requests served (a replay
// is refused), each box's token bucket, failed logins and wrong
// activation codes, and the secret of the login forms. Every platformd
// that serves one database must see the same, or a request replayed to
// another replica would pass and each replica would grant its own share
// of every limit: so it lives behind the Store. Each method is one atomic
// step by itself, outside any Tx, so that a database shared by replicas
// does it in one statement and concurrent steps on one key never both
// pass a check that only one of them may.
//
// The embedded store keeps it in memory (Bolt's guard): only one process
// can open the bbolt file, so its memory is what every request of the
// database sees, and a box poll costs no synced write.
type Guard interface {
	// UseNonce records that key sent nonce, remembered until expires. It
	// returns an error wrapping ErrExists when key sent that nonce
	// before (a replay) and one wrapping ErrFull when key already holds
	// perKey nonces that have not expired at now (nothing is forgotten
	// early: a forgotten nonce's replay would pass). perKey 0 or less is
	// platformapi.DefaultNoncesPerKey.
	UseNonce(key, nonce string, expires, now time.Time, perKey int) error
	// Take takes a token from the bucket of kind and key at now: burst
	// tokens at most, one more per every. Without one it returns false
	// and how long until there is one. A burst or every of 0 or less
	// means no limit.
	Take(kind, key string, now time.Time, burst int, every time.Duration) (wait time.Duration, ok bool, err error)
	// Attempt counts an attempt of kind and key at now, before its
	// outcome is known (see Lockout.Attempt): false, with the lock's end,
	// when key is locked.
	Attempt(kind, key string, now time.Time, maxFailures int, lock time.Duration) (ok bool, until time.Time, err error)
	// Refund takes back one attempt whose outcome said nothing about the
	// secret (Lockout.Refund).
	Refund(kind, key string, maxFailures int) error
	// Succeed forgets key's attempts.
	Succeed(kind, key string) error
	// Secret returns the secret of name: 32 random bytes made on the
	// first call, the same afterwards (and for every process on the
	// database).
	Secret(name string) ([]byte, error)
	// PurgeGuard forgets what has expired at now: nonces, buckets that
	// have refilled, attempts idle for long. The in-memory guard also
	// purges by itself; a database needs it called now and then (the
	// server does, every minute).
	PurgeGuard(now time.Time) error
	// GuardSize counts what the guard holds, expired or not.
	GuardSize() (GuardSize, error)
}

// GuardSize is what a Guard holds.
type GuardSize struct {
	Nonces, Buckets, Lockouts int
}

// Lockout is one key's failed attempts. An attempt counts before its
// outcome is known, so that attempts sent in parallel cannot all pass a
// check made before any of them failed; the MaxFailures-th in a row locks
// the key for Lock, whatever its outcome; a success forgets them (the
// record is deleted).
type Lockout struct {
	Failures int
	// Until is when the lock ends (zero: not locked).
	Until time.Time
	// Forget is when the record may be dropped: it has been idle for ten
	// locks and is not locked.
	Forget time.Time
}

// Attempt counts an attempt at now and reports whether it may go on:
// false, with Until, while the key is locked.
func (l *Lockout) Attempt(now time.Time, maxFailures int, lock time.Duration) (bool, time.Time) {
	if now.Before(l.Until) {
		return false, l.Until
	}
	if !l.Until.IsZero() {
		l.Failures, l.Until = 0, time.Time{} // the lock ran out: start over
	}
	l.Failures++
	if l.Failures >= maxFailures {
		l.Until = now.Add(lock)
	}
	l.Forget = now.Add(10 * lock)
	return true, time.Time{}
}

// Refund takes back one attempt: it no longer counts, and a lock that the
// count no longer reaches is lifted. Attempts of other requests may have
// come between (on other replicas): the count stays the number of
// attempts that do count, and locks exactly when that reaches
// maxFailures.
func (l *Lockout) Refund(maxFailures int) {
	if l.Failures == 0 {
		return
	}
	l.Failures--
	if l.Failures < maxFailures {
		l.Until = time.Time{}
	}
}

// Defaults of the in-memory guard's bounds.
const (
	// memMaxNonces bounds the nonces held in all (24 bytes each besides
	// the bookkeeping): 110,000 boxes polling every 3 minutes, the
	// embedded store's measured capacity, hold about 370,000.
	memMaxNonces = 1 << 20
	// memSweepLockouts is the count of lockout records above which each
	// attempt sweeps the idle ones.
	memSweepLockouts = 10000
)

// memGuard is the in-memory Guard of the embedded store.
type memGuard struct {
	buckets ratelimit.Buckets

	mu        sync.Mutex
	nonces    map[string]map[string]int64 // key → nonce → expiry (Unix ns)
	total     int
	lastSweep time.Time
	lockouts  map[string]*Lockout
	secrets   map[string][]byte
}

func guardKey(kind, key string) string { return kind + "\x00" + key }

func (g *memGuard) UseNonce(key, nonce string, expires, now time.Time, perKey int) error {
	if perKey <= 0 {
		perKey = platformapi.DefaultNoncesPerKey
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.nonces == nil {
		g.nonces = map[string]map[string]int64{}
	}
	nowNs := now.UnixNano()
	// Every SkewWindow-ish (a minute), or once a second while full, drop
	// what expired.
	if d := now.Sub(g.lastSweep); d > time.Minute || g.total >= memMaxNonces && d > time.Second {
		g.sweepNonces(nowNs)
		g.lastSweep = now
	}
	kn := g.nonces[key]
	if _, seen := kn[nonce]; seen {
		return fmt.Errorf("nonce %s of %s: %w", nonce, key, ErrExists)
	}
	if len(kn) >= perKey {
		g.total -= expire(kn, nowNs)
	}
	if len(kn) >= perKey {
		return fmt.Errorf("%d nonces of %s not expired: %w", len(kn), key, ErrFull)
	}
	if g.total >= memMaxNonces {
		return fmt.Errorf("%d nonces held in all: %w", g.total, ErrFull)
	}
	if kn == nil {
		kn = map[string]int64{}
		g.nonces[key] = kn
	}
	kn[nonce] = expires.UnixNano()
	g.total++
	return nil
}

// expire drops the nonces of kn expired at nowNs and returns how many.
func expire(kn map[string]int64, nowNs int64) int {
	n := 0
	for k, exp := range kn {
		if exp < nowNs {
			delete(kn, k)
			n++
		}
	}
	return n
}

func (g *memGuard) sweepNonces(nowNs int64) {
	for k, kn := range g.nonces {
		g.total -= expire(kn, nowNs)
		if len(kn) == 0 {
			delete(g.nonces, k)
		}
	}
}

func (g *memGuard) Take(kind, key string, now time.Time, burst int, every time.Duration) (time.Duration, bool, error) {
	wait, ok := g.buckets.Take(guardKey(kind, key), now, burst, every)
	return wait, ok, nil
}

func (g *memGuard) Attempt(kind, key string, now time.Time, maxFailures int, lock time.Duration) (bool, time.Time, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lockouts == nil {
		g.lockouts = map[string]*Lockout{}
	}
	if len(g.lockouts) >= memSweepLockouts {
		g.sweepLockouts(now)
	}
	k := guardKey(kind, key)
	l := g.lockouts[k]
	if l == nil {
		l = &Lockout{}
		g.lockouts[k] = l
	}
	ok, until := l.Attempt(now, maxFailures, lock)
	return ok, until, nil
}

func (g *memGuard) sweepLockouts(now time.Time) {
	for k, l := range g.lockouts {
		if now.After(l.Forget) {
			delete(g.lockouts, k)
		}
	}
}

func (g *memGuard) Refund(kind, key string, maxFailures int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if l := g.lockouts[guardKey(kind, key)]; l != nil {
		l.Refund(maxFailures)
	}
	return nil
}

func (g *memGuard) Succeed(kind, key string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.lockouts, guardKey(kind, key))
	return nil
}

// Secret makes the secret in memory: the process that holds the bbolt
// file is the only one that serves it, and the login forms it signed
// before a restart are simply served again.
func (g *memGuard) Secret(name string) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s, ok := g.secrets[name]; ok {
		return s, nil
	}
	s := make([]byte, 32)
	if _, err := rand.Read(s); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	if g.secrets == nil {
		g.secrets = map[string][]byte{}
	}
	g.secrets[name] = s
	return s, nil
}

func (g *memGuard) PurgeGuard(now time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweepNonces(now.UnixNano())
	g.lastSweep = now
	g.sweepLockouts(now)
	return nil
}

func (g *memGuard) GuardSize() (GuardSize, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return GuardSize{Nonces: g.total, Buckets: g.buckets.Len(), Lockouts: len(g.lockouts)}, nil
}
