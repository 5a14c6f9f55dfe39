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
