package platformapi

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Request headers of a signed box request.
const (
	HeaderKey       = "Picket-Box-Key"       // the box's ed25519 public key, base64url (no padding)
	HeaderTime      = "Picket-Time"          // Unix time in milliseconds when signed
	HeaderNonce     = "Picket-Nonce"         // 32 hex digits, fresh per request
	HeaderSignature = "Picket-Box-Signature" // ed25519 over Canonical, base64url
)

// SkewWindow is how far a request's time may be from the platform's
// clock; a nonce is remembered for twice that, so a replay inside the
// window is caught by its nonce and one outside it by its time.
const SkewWindow = 5 * time.Minute

// Canonical is what a box signs: a domain-separation tag, the method, the
// path (with query), the time, the nonce and the SHA-256 of the body.
func Canonical(method, path string, unixMilli int64, nonce string, body []byte) []byte {
	sum := sha256.Sum256(body)
	var b bytes.Buffer
	b.WriteString("picket-box-request-v1\n")
	b.WriteString(method + "\n" + path + "\n")
	b.WriteString(strconv.FormatInt(unixMilli, 10) + "\n")
	b.WriteString(nonce + "\n")
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.Bytes()
}

// NewNonce returns a fresh nonce.
func NewNonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Sign sets the signature headers of req, whose body is body.
func Sign(req *http.Request, body []byte, key ed25519.PrivateKey, now time.Time) error {
	nonce, err := NewNonce()
	if err != nil {
		return err
	}
	ms := now.UnixMilli()
	sig := ed25519.Sign(key, Canonical(req.Method, req.URL.RequestURI(), ms, nonce, body))
	pub := key.Public().(ed25519.PublicKey)
	req.Header.Set(HeaderKey, EncodeKey(pub))
	req.Header.Set(HeaderTime, strconv.FormatInt(ms, 10))
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.RawURLEncoding.EncodeToString(sig))
	return nil
}

// EncodeKey is the text form of a box's public key.
func EncodeKey(pub ed25519.PublicKey) string { return base64.RawURLEncoding.EncodeToString(pub) }

// DecodeKey parses EncodeKey's form, and only it: strict base64, whose
// unused low bits of the last character must be zero, so that one key has
// one text (the nonce cache and the box indexes key on it; a second
// spelling of a key would be a second box, and was a replay the nonce
// cache did not know).
func DecodeKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("box key %q: want %d bytes, base64url without padding", s, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// Verification errors; each is wrapped in an *Error with its code.
var (
	errMissing = errors.New("missing signature header")
)

// Signed is what a verified request's signature vouches for.
type Signed struct {
	Key     ed25519.PublicKey
	KeyText string // Key in EncodeKey's form
	Nonce   string // 32 hex digits
	At      time.Time
}

// VerifySignature checks a signed request whose body (already read, at
// most MaxBody) is body: the key, the signature over Canonical and the
// time within SkewWindow of now. It does not look at the nonce's
// freshness: the caller records it (NonceCache.Add) once it decided to
// serve the request. It returns an *Error saying what was wrong.
func VerifySignature(r *http.Request, body []byte, now time.Time) (Signed, error) {
	keyS, msS, nonce, sigS := r.Header.Get(HeaderKey), r.Header.Get(HeaderTime), r.Header.Get(HeaderNonce), r.Header.Get(HeaderSignature)
	if keyS == "" || msS == "" || nonce == "" || sigS == "" {
		return Signed{}, &Error{Code: ErrBadSignature, Message: fmt.Sprintf("%v: %s, %s, %s and %s are required", errMissing, HeaderKey, HeaderTime, HeaderNonce, HeaderSignature)}
	}
	pub, err := DecodeKey(keyS)
	if err != nil {
		return Signed{}, &Error{Code: ErrBadSignature, Message: err.Error()}
	}
	ms, err := strconv.ParseInt(msS, 10, 64)
	if err != nil {
		return Signed{}, &Error{Code: ErrBadSignature, Message: fmt.Sprintf("%s %q is not a Unix time in milliseconds", HeaderTime, msS)}
	}
	if _, err := parseNonce(nonce); err != nil {
		return Signed{}, &Error{Code: ErrBadSignature, Message: err.Error()}
	}
	sig, err := base64.RawURLEncoding.DecodeString(sigS)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Signed{}, &Error{Code: ErrBadSignature, Message: fmt.Sprintf("%s is not a base64url ed25519 signature", HeaderSignature)}
	}
	if !ed25519.Verify(pub, Canonical(r.Method, r.URL.RequestURI(), ms, nonce, body), sig) {
		return Signed{}, &Error{Code: ErrBadSignature, Message: "the signature does not match the request"}
	}
	at := time.UnixMilli(ms)
	if d := now.Sub(at); d > SkewWindow || d < -SkewWindow {
		return Signed{}, &Error{Code: ErrClockSkew, Message: fmt.Sprintf("request signed at %s, platform time %s: more than %s apart", at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), SkewWindow)}
	}
	return Signed{Key: pub, KeyText: EncodeKey(pub), Nonce: nonce, At: at}, nil
}

// parseNonce reads a nonce: exactly 32 hex digits (either case).
func parseNonce(s string) ([16]byte, error) {
	var n [16]byte
	if len(s) != 32 {
		return n, fmt.Errorf("%s must be 32 hex digits", HeaderNonce)
	}
	if _, err := hex.Decode(n[:], []byte(s)); err != nil {
		return n, fmt.Errorf("%s must be 32 hex digits", HeaderNonce)
	}
	return n, nil
}

// Verify is VerifySignature and then nonces.Add (when nonces is not nil):
// a nonce seen before is a replay. It returns the box's public key.
func Verify(r *http.Request, body []byte, now time.Time, nonces *NonceCache) (ed25519.PublicKey, error) {
	sg, err := VerifySignature(r, body, now)
	if err != nil {
		return nil, err
	}
	if nonces != nil {
		if err := nonces.Add(sg, now); err != nil {
			return nil, err
		}
	}
	return sg.Key, nil
}

// Defaults of NonceCache's bounds.
const (
	// DefaultNoncesPerKey is more than a box polling every MinPollInterval
	// and uploading job updates sends in 2×SkewWindow.
	DefaultNoncesPerKey = 256
	// DefaultMaxNonces bounds the whole cache (24 bytes a nonce, besides
	// the per-key bookkeeping): 110,000 boxes polling every 3 minutes, the
	// platform's measured capacity, hold about 370,000.
	DefaultMaxNonces = 1 << 20
)

// NonceCache remembers the nonce of every request served until the
// request's time leaves the skew window (so that a replay inside the
// window is caught by its nonce and one outside it by its time), per box
// key. It is bounded: a key holds at most PerKey nonces and the cache Max
// in all. When a key's nonces (or the cache) are full it refuses new
// requests, with ErrRateLimited and the time until a place frees up,
// rather than forget a nonce whose replay would then pass. Its zero value
// is ready, with the default bounds.
type NonceCache struct {
	PerKey int // 0: DefaultNoncesPerKey
	Max    int // 0: DefaultMaxNonces

	mu        sync.Mutex
	keys      map[string]*keyNonces
	total     int
	lastSweep time.Time
}

// keyNonces are one key's nonces, unordered: at most PerKey, so a scan is
// cheaper than a map's overhead.
type keyNonces struct {
	list []nonceEntry
}

type nonceEntry struct {
	nonce   [16]byte
	expires int64 // Unix ms: the request's time + SkewWindow
}

// Len is the number of nonces held.
func (c *NonceCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// Add records the nonce of the verified request sg at now. It returns an
// *Error: ErrReplay when the key already sent that nonce, ErrRateLimited
// (with RetryAfterSeconds) when the key's nonces or the cache are full.
func (c *NonceCache) Add(sg Signed, now time.Time) error {
	nonce, err := parseNonce(sg.Nonce)
	if err != nil {
		return &Error{Code: ErrBadSignature, Message: err.Error()}
	}
	perKey, maxAll := c.PerKey, c.Max
	if perKey <= 0 {
		perKey = DefaultNoncesPerKey
	}
	if maxAll <= 0 {
		maxAll = DefaultMaxNonces
	}
	nowMs := now.UnixMilli()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = map[string]*keyNonces{}
	}
	// Sweep the keys that sent nothing lately every SkewWindow, or once
	// a second while the cache is full.
	if d := now.Sub(c.lastSweep); d > SkewWindow || c.total >= maxAll && d > time.Second {
		for k, kn := range c.keys {
			c.total -= kn.expire(nowMs)
			if len(kn.list) == 0 {
				delete(c.keys, k)
			}
		}
		c.lastSweep = now
	}
	kn := c.keys[sg.KeyText]
	if kn == nil {
		kn = &keyNonces{}
	} else {
		c.total -= kn.expire(nowMs)
	}
	for _, e := range kn.list {
		if e.nonce == nonce {
			return &Error{Code: ErrReplay, Message: "this request was already received (nonce reused)"}
		}
	}
	if len(kn.list) >= perKey {
		wait := kn.list[0].expires
		for _, e := range kn.list {
			wait = min(wait, e.expires)
		}
		return RateLimited(time.Duration(wait-nowMs)*time.Millisecond,
			"this box sent %d requests in the last %s, the most the platform remembers; slow down", len(kn.list), 2*SkewWindow)
	}
	if c.total >= maxAll {
		return RateLimited(time.Second, "the platform is receiving too many requests; try again later")
	}
	kn.list = append(kn.list, nonceEntry{nonce: nonce, expires: sg.At.Add(SkewWindow).UnixMilli()})
	c.keys[sg.KeyText] = kn
	c.total++
	return nil
}

// expire drops the nonces expired at nowMs and returns how many.
func (kn *keyNonces) expire(nowMs int64) int {
	kept := kn.list[:0]
	for _, e := range kn.list {
		if e.expires >= nowMs {
			kept = append(kept, e)
		}
	}
	n := len(kn.list) - len(kept)
	clear(kn.list[len(kept):])
	kn.list = kept
	if cap(kn.list) > 16 && len(kn.list) < cap(kn.list)/4 {
		kn.list = slices.Clip(slices.Clone(kn.list)) // give back a burst's memory
	}
	return n
}

// RateLimited is an ErrRateLimited *Error asking to retry after d,
// rounded up to whole seconds (at least one).
func RateLimited(d time.Duration, format string, args ...any) *Error {
	return &Error{Code: ErrRateLimited, Message: fmt.Sprintf(format, args...),
		RetryAfterSeconds: max(1, int((d+time.Second-1)/time.Second))}
}
