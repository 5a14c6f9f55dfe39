package platformapi

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// crockford is Crockford's base32 alphabet and its check symbols, written
// out from the spec (https://www.crockford.com/base32.html) rather than
// taken from the package.
const (
	crockford      = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	crockfordCheck = crockford + "*~$=U"
)

// TestActivationCode checks 2000 generated keys' codes: form, uniqueness,
// a check symbol computed here from Crockford's definition (the digits'
// value mod 37), and that every single-character substitution is refused:
// each of the ten digits replaced by each of the 31 other code characters,
// and the check symbol by each of the 36 other check symbols.
func TestActivationCode(t *testing.T) {
	const keys = 2000
	seen := map[string]bool{}
	substitutions := 0
	for i := 0; i < keys; i++ {
		pub, _, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		c := ActivationCode(pub)
		if len(c) != 13 || c[4] != '-' || c[9] != '-' {
			t.Fatalf("code %q: want XXXX-XXXX-XXX", c)
		}
		if seen[c] {
			t.Fatalf("code %q twice in %d keys", c, keys)
		}
		seen[c] = true
		digits := c[:4] + c[5:9] + c[10:12]
		var mod int
		for _, d := range digits {
			v := strings.IndexRune(crockford, d)
			if v < 0 {
				t.Fatalf("code %q: %q is not a Crockford base32 digit", c, d)
			}
			mod = (mod*32 + v) % 37
		}
		if c[12] != crockfordCheck[mod] {
			t.Fatalf("code %q: check symbol %q, want %q (digits mod 37 = %d)", c, c[12], crockfordCheck[mod], mod)
		}
		n, err := NormalizeCode(strings.ToLower(strings.ReplaceAll(c, "-", " ")))
		if err != nil || n != c {
			t.Fatalf("normalize %q: %q, %v", c, n, err)
		}
		for pos := 0; pos < 13; pos++ {
			if c[pos] == '-' {
				continue
			}
			alphabet := crockford
			if pos == 12 {
				alphabet = crockfordCheck
			}
			for k := 0; k < len(alphabet); k++ {
				if alphabet[k] == c[pos] {
					continue
				}
				b := []byte(c)
				b[pos] = alphabet[k]
				substitutions++
				if got, err := NormalizeCode(string(b)); err == nil {
					t.Fatalf("%q (position %d changed from %q) was accepted as %q", b, pos, c, got)
				}
			}
		}
	}
	if want := keys * (10*31 + 36); substitutions != want {
		t.Fatalf("tried %d substitutions, want %d", substitutions, want)
	}
	for _, bad := range []string{"", "ABCD-EFGH", "ABCD-EFGH-JKMN", "ABCD-EFGH-J!0", "UUUU-UUUU-UU0"} {
		if _, err := NormalizeCode(bad); err == nil {
			t.Errorf("NormalizeCode(%q) accepted", bad)
		}
	}
}

func signed(t *testing.T, key ed25519.PrivateKey, body string, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest("POST", "https://platform.test"+PathPoll, strings.NewReader(body))
	if err := Sign(r, []byte(body), key, at); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerify(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	now := time.Unix(1_800_000_000, 0)
	body := `{"board":"virtual"}`
	code := func(err error) string {
		var e *Error
		if errors.As(err, &e) {
			return e.Code
		}
		return ""
	}
	var nc NonceCache
	r := signed(t, key, body, now)
	got, err := Verify(r, []byte(body), now, &nc)
	if err != nil || !bytes.Equal(got, pub) {
		t.Fatalf("good request: %v", err)
	}
	if _, err := Verify(r, []byte(body), now.Add(time.Second), &nc); code(err) != ErrReplay {
		t.Errorf("replay: %v, want %s", err, ErrReplay)
	}
	for name, tc := range map[string]struct {
		r    *http.Request
		body string
		at   time.Time
		want string
	}{
		"body changed": {signed(t, key, body, now), `{"board":"rpi4"}`, now, ErrBadSignature},
		"old":          {signed(t, key, body, now.Add(-6*time.Minute)), body, now, ErrClockSkew},
		"future":       {signed(t, key, body, now.Add(6*time.Minute)), body, now, ErrClockSkew},
		"no headers":   {httptest.NewRequest("POST", PathPoll, nil), body, now, ErrBadSignature},
		"key swapped": {func() *http.Request {
			r := signed(t, other, body, now)
			r.Header.Set(HeaderKey, EncodeKey(pub))
			return r
		}(), body, now, ErrBadSignature},
		"path changed": {func() *http.Request { r := signed(t, key, body, now); r.URL.Path = PathJobUpdate; return r }(), body, now, ErrBadSignature},
	} {
		if _, err := Verify(tc.r, []byte(tc.body), tc.at, &nc); code(err) != tc.want {
			t.Errorf("%s: %v, want %s", name, err, tc.want)
		}
	}
}

// TestKeySpelling: a box key has one text. Base64 leaves the low bits of
// the last character unused; a decoder that ignores them reads four
// spellings of one key, and the nonce cache, keyed on the text, took a
// replay with another spelling for a new request (found by FuzzVerify).
func TestKeySpelling(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	now := time.Unix(1_800_000_000, 0)
	body := `{"board":"virtual"}`
	r := signed(t, key, body, now)
	var nc NonceCache
	if _, err := Verify(r, []byte(body), now, &nc); err != nil {
		t.Fatal(err)
	}
	k := r.Header.Get(HeaderKey)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, k[len(k)-1])
	for low := 1; low < 4; low++ { // the two unused bits of the last character
		alt := k[:len(k)-1] + string(alphabet[last^low])
		if _, err := DecodeKey(alt); err == nil {
			t.Errorf("DecodeKey accepted %q, a second spelling of %q", alt, k)
		}
		r2 := r.Clone(r.Context())
		r2.Header.Set(HeaderKey, alt)
		if _, err := Verify(r2, []byte(body), now, &nc); err == nil {
			t.Errorf("replay with the key spelled %q accepted", alt)
		}
	}
}

// TestNonceCacheBounded: one key sending fresh nonces as fast as it can
// fills its share and is then refused (ErrRateLimited, with the time
// until its oldest nonce expires) while every nonce it sent is still
// refused as a replay; the cache's total is bounded too, and expired
// nonces free their places. Before, the cache kept every nonce for ten
// minutes, without bound.
func TestNonceCacheBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	nc := NonceCache{PerKey: 50, Max: 120}
	_, key, _ := ed25519.GenerateKey(nil)
	body := []byte("{}")
	var reqs []*http.Request
	refused := 0
	for i := range 1000 {
		r := signed(t, key, string(body), now.Add(time.Duration(i)*time.Millisecond))
		_, err := Verify(r, body, now.Add(time.Duration(i)*time.Millisecond), &nc)
		var e *Error
		switch {
		case err == nil:
			reqs = append(reqs, r)
		case errors.As(err, &e) && e.Code == ErrRateLimited && e.RetryAfterSeconds >= 1 && e.RetryAfterSeconds <= int(SkewWindow/time.Second)+1:
			refused++
		default:
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if len(reqs) != 50 || refused != 950 || nc.Len() != 50 {
		t.Fatalf("accepted %d, refused %d, cache holds %d; want 50, 950, 50", len(reqs), refused, nc.Len())
	}
	for i, r := range reqs {
		if _, err := Verify(r, body, now.Add(time.Minute), &nc); err == nil || !strings.Contains(err.Error(), ErrReplay) {
			t.Fatalf("replay %d while the key is full: %v, want %s", i, err, ErrReplay)
		}
	}
	// Other keys fill the cache to Max; then a new key is refused.
	for k := range 3 {
		_, other, _ := ed25519.GenerateKey(nil)
		for i := range 50 {
			_, err := Verify(signed(t, other, "{}", now), body, now, &nc)
			if want := k*50+i+50 < 120; (err == nil) != want {
				t.Fatalf("key %d request %d with %d held: %v", k, i, nc.Len(), err)
			}
		}
	}
	if nc.Len() != 120 {
		t.Fatalf("cache holds %d, want its Max 120", nc.Len())
	}
	// Once the requests' time has left the window, their nonces go: the
	// first key may send again, and its old requests are refused by their
	// time.
	later := now.Add(SkewWindow + 2*time.Second)
	if _, err := Verify(signed(t, key, "{}", later), body, later, &nc); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if _, err := Verify(reqs[0], body, later, &nc); err == nil || !strings.Contains(err.Error(), ErrClockSkew) {
		t.Fatalf("old request after the window: %v, want %s", err, ErrClockSkew)
	}
	if nc.Len() > 50 {
		t.Errorf("cache holds %d after the window, want the expired ones gone", nc.Len())
	}
}
