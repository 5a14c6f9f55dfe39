// Package auth holds the web UI's credentials logic: argon2id password
// hashes (salted, parameters in the hash string so they can be raised
// later), the bound on password checks running at once (each holds
// argon2id's memory) and random tokens for session ids and CSRF tokens.
// The login rate limits live in the store's Guard (store.Lockout), shared
// by every replica.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

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

// DefaultChecks is how many password checks a Checker runs at once by
// default: 4 × 19 MiB of argon2id memory with the Default parameters,
// about 80 logins a second on one core each.
const DefaultChecks = 4

// DefaultCheckQueue is how many checks may wait for a free slot by
// default; more are refused at once.
const DefaultCheckQueue = 32

// ErrBusy is Checker.Check's answer when no slot is free in time: the
// password was not checked, try again shortly.
var ErrBusy = errors.New("too many password checks at once; try again in a moment")

// Checker bounds the password checks running at once in the whole server,
// and so the memory they hold (argon2id allocates its whole memory
// parameter for each check): a flood of logins waits for a slot in a
// bounded queue, for as long as the caller's context allows, and is
// refused with ErrBusy beyond that, rather than each running its own
// check in parallel.
type Checker struct {
	slots chan struct{}
	queue chan struct{}
	// check is CheckPassword; tests replace it to watch the checks.
	check func(hash, password string) (bool, error)
}

// NewChecker returns a Checker running at most slots checks at once with
// at most queue more waiting.
func NewChecker(slots, queue int) *Checker {
	return &Checker{slots: make(chan struct{}, max(1, slots)), queue: make(chan struct{}, max(0, queue)), check: CheckPassword}
}

// Check is CheckPassword in one of the checker's slots (Acquire).
func (c *Checker) Check(ctx context.Context, hash, password string) (bool, error) {
	release, err := c.Acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return c.check(hash, password)
}

// Acquire takes a slot: at once when one is free, else after waiting in
// the queue while ctx lasts; ErrBusy when the queue is full or ctx ends
// first. The caller must call release once done.
func (c *Checker) Acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-c.slots }
	select {
	case c.slots <- struct{}{}:
		return release, nil
	default:
	}
	select {
	case c.queue <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	defer func() { <-c.queue }()
	select {
	case c.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, ErrBusy
	}
}
