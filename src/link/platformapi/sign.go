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

// DecodeKey parses EncodeKey's form.
func DecodeKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("box key %q: want %d bytes, base64url without padding", s, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// Verification errors; each is wrapped in an *Error with its code.
var (
	errMissing = errors.New("missing signature header")
)

// Verify checks a signed request whose body (already read, at most
// MaxBody) is body: the key, the signature over Canonical, the time within
// SkewWindow of now and a nonce not seen before. It returns the box's
// public key, or an *Error saying what was wrong.
func Verify(r *http.Request, body []byte, now time.Time, nonces *NonceCache) (ed25519.PublicKey, error) {
	keyS, msS, nonce, sigS := r.Header.Get(HeaderKey), r.Header.Get(HeaderTime), r.Header.Get(HeaderNonce), r.Header.Get(HeaderSignature)
	if keyS == "" || msS == "" || nonce == "" || sigS == "" {
		return nil, &Error{Code: ErrBadSignature, Message: fmt.Sprintf("%v: %s, %s, %s and %s are required", errMissing, HeaderKey, HeaderTime, HeaderNonce, HeaderSignature)}
	}
	pub, err := DecodeKey(keyS)
	if err != nil {
		return nil, &Error{Code: ErrBadSignature, Message: err.Error()}
	}
	ms, err := strconv.ParseInt(msS, 10, 64)
	if err != nil {
		return nil, &Error{Code: ErrBadSignature, Message: fmt.Sprintf("%s %q is not a Unix time in milliseconds", HeaderTime, msS)}
	}
	if len(nonce) != 32 {
		return nil, &Error{Code: ErrBadSignature, Message: fmt.Sprintf("%s must be 32 hex digits", HeaderNonce)}
	}
	if _, err := hex.DecodeString(nonce); err != nil {
		return nil, &Error{Code: ErrBadSignature, Message: fmt.Sprintf("%s must be 32 hex digits", HeaderNonce)}
	}
	sig, err := base64.RawURLEncoding.DecodeString(sigS)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, &Error{Code: ErrBadSignature, Message: fmt.Sprintf("%s is not a base64url ed25519 signature", HeaderSignature)}
	}
	if !ed25519.Verify(pub, Canonical(r.Method, r.URL.RequestURI(), ms, nonce, body), sig) {
		return nil, &Error{Code: ErrBadSignature, Message: "the signature does not match the request"}
	}
	at := time.UnixMilli(ms)
	if d := now.Sub(at); d > SkewWindow || d < -SkewWindow {
		return nil, &Error{Code: ErrClockSkew, Message: fmt.Sprintf("request signed at %s, platform time %s: more than %s apart", at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), SkewWindow)}
	}
	if nonces != nil && !nonces.Add(keyS+"/"+nonce, now) {
		return nil, &Error{Code: ErrReplay, Message: "this request was already received (nonce reused)"}
	}
	return pub, nil
}

// NonceCache remembers nonces for 2×SkewWindow. Its zero value is ready.
type NonceCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
	last time.Time // last sweep
}

// Add records key; false if it was already there (a replay).
func (c *NonceCache) Add(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	if now.Sub(c.last) > SkewWindow {
		for k, t := range c.seen {
			if now.Sub(t) > 2*SkewWindow {
				delete(c.seen, k)
			}
		}
		c.last = now
	}
	if _, dup := c.seen[key]; dup {
		return false
	}
	c.seen[key] = now
	return true
}
