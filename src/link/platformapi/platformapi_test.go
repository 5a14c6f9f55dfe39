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

func TestActivationCode(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		pub, _, _ := ed25519.GenerateKey(nil)
		c := ActivationCode(pub)
		if len(c) != 13 || c[4] != '-' || c[9] != '-' {
			t.Fatalf("code %q: want XXXX-XXXX-XXX", c)
		}
		if seen[c] {
			t.Fatalf("code %q twice in 2000 keys", c)
		}
		seen[c] = true
		n, err := NormalizeCode(strings.ToLower(strings.ReplaceAll(c, "-", " ")))
		if err != nil || n != c {
			t.Fatalf("normalize %q: %q, %v", c, n, err)
		}
		// Any single wrong character is caught by the check symbol.
		for pos := 0; pos < 13; pos++ {
			if c[pos] == '-' {
				continue
			}
			b := []byte(c)
			b[pos] = codeAlphabet[(strings.IndexByte(codeAlphabet, b[pos])+1)%32]
			if pos == 12 {
				b[pos] = checkSymbols[(strings.IndexByte(checkSymbols, c[pos])+1)%37]
			}
			if _, err := NormalizeCode(string(b)); err == nil && i < 50 {
				t.Fatalf("%q (one character changed from %q) was accepted", b, c)
			}
		}
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
