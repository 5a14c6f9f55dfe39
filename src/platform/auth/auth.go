// Package auth holds the web UI's credentials logic: argon2id password
// hashes (salted, parameters in the hash string so they can be raised
// later), the login rate limiter (per account and per client address) and
// random tokens for session ids and CSRF tokens.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id parameters. Default follows the OWASP password
// storage recommendation (19 MiB, 2 passes, 1 lane).
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default is the parameter set new hashes use.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// MinPasswordLen is the shortest password accepted for a new account.
const MinPasswordLen = 10

// HashPassword returns the argon2id hash of password with a fresh salt, as
// "$argon2id$v=19$m=...,t=...,p=...$salt$hash" (base64 without padding).
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash (HashPassword's
// form), in time independent of where they differ.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("password hash: not an argon2id hash string")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("password hash: unsupported argon2 version %q", parts[2])
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("password hash: parameters %q: %w", parts[3], err)
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash: salt: %w", err)
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("password hash: key is not base64")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Token returns a random 256-bit token, base64url without padding.
func Token() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// TokenID is what is stored for a token (its SHA-256, hex): whoever reads
// the database learns no usable session cookie.
func TokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Equal compares two secrets in constant time.
func Equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Limiter locks a key (an account name or a client address) for Lock after
// MaxFailures failed logins in a row. Its clock is Now, for tests.
type Limiter struct {
	MaxFailures int
	Lock        time.Duration
	Now         func() time.Time

	mu   sync.Mutex
	keys map[string]*limitEntry
}

type limitEntry struct {
	failures int
	until    time.Time
	last     time.Time
}

// NewLimiter returns a limiter of 5 failures → 1 minute lock.
func NewLimiter(now func() time.Time) *Limiter {
	return &Limiter{MaxFailures: 5, Lock: time.Minute, Now: now}
}

// Locked reports whether key is locked and until when.
func (l *Limiter) Locked(key string) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e == nil {
		return false, time.Time{}
	}
	if l.Now().Before(e.until) {
		return true, e.until
	}
	return false, time.Time{}
}

// Fail records a failed login for key; the MaxFailures-th locks it.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	if l.keys == nil {
		l.keys = map[string]*limitEntry{}
	}
	l.sweep(now)
	e := l.keys[key]
	if e == nil {
		e = &limitEntry{}
		l.keys[key] = e
	}
	if !e.until.IsZero() && !now.Before(e.until) {
		e.failures, e.until = 0, time.Time{} // the lock ran out: start over
	}
	e.failures++
	e.last = now
	if e.failures >= l.MaxFailures {
		e.until = now.Add(l.Lock)
	}
}

// Succeed forgets key's failures.
func (l *Limiter) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// sweep drops entries idle for long, so a flood of addresses does not
// grow the map forever. Called with mu held.
func (l *Limiter) sweep(now time.Time) {
	if len(l.keys) < 10000 {
		return
	}
	for k, e := range l.keys {
		if now.Sub(e.last) > 10*l.Lock && now.After(e.until) {
			delete(l.keys, k)
		}
	}
}
