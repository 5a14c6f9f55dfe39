package platformapi

import (
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fuzzKey is the fuzz targets' box key: fixed, so that a corpus entry
// means the same request on every run.
var fuzzKey = ed25519.NewKeyFromSeed([]byte("picket-fuzz-box-key-seed-32bytes"))

var fuzzNow = time.Unix(1_800_000_000, 123_000_000)

// verifyCode is the *Error code of err ("" for nil); it fails t on an
// error of another type or with an unknown code.
func verifyCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *platformapi.Error", err)
	}
	switch e.Code {
	case ErrBadSignature, ErrClockSkew, ErrReplay, ErrRateLimited:
	default:
		t.Fatalf("error code %q (%v)", e.Code, err)
	}
	return e.Code
}

// FuzzVerify signs a request (body, path and signing time from the
// fuzzer) with the box key, verifies it, then changes one byte of one
// header (or of the body or path) and verifies the changed request
// against the same nonce cache. Properties: nothing panics; every
// refusal is an *Error with a known code; the unchanged request is
// accepted exactly when its time is within the skew window, and never
// twice; a changed request is never accepted once the original was,
// whatever the byte (a different value breaks the signature, an
// equivalent spelling is the same request, a replay).
func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"board":"virtual","versions":{"scanner":"1.0","signatures":"none"}}`), PathPoll, int64(0), uint8(0), uint16(42), byte('A'))
	f.Add([]byte(`{"upload_id":"u1","job_id":"j1","state":"done"}`), PathJobUpdate, int64(-299_000), uint8(1), uint16(0), byte('+'))
	f.Add([]byte(`{}`), PathPoll+"?x=1", int64(299_999), uint8(2), uint16(31), byte('F'))
	f.Add([]byte(``), PathPoll, int64(300_001), uint8(3), uint16(85), byte('_'))
	f.Add([]byte(`{"board":"rpi4"}`), PathPoll, int64(1), uint8(4), uint16(3), byte('}'))
	f.Add([]byte(`{"board":"rpi4"}`), PathPoll, int64(1), uint8(5), uint16(5), byte('V'))
	f.Add([]byte(`{"board":"rpi4"}`), PathPoll, int64(-5), uint8(1), uint16(0), byte('0'))
	f.Fuzz(func(t *testing.T, body []byte, path string, skewMs int64, which uint8, pos uint16, b byte) {
		if len(body) > MaxBody || !strings.HasPrefix(path, "/") {
			return
		}
		u, err := url.ParseRequestURI(path)
		if err != nil || u.Host != "" {
			return
		}
		at := fuzzNow.Add(time.Duration(skewMs) * time.Millisecond)
		req := func() *http.Request {
			return &http.Request{Method: http.MethodPost, URL: u, Header: http.Header{}, Host: "platform.test"}
		}
		r := req()
		if err := Sign(r, body, fuzzKey, at); err != nil {
			t.Fatal(err)
		}
		var nc NonceCache
		_, err = Verify(r, body, fuzzNow, &nc)
		inWindow := at.UnixMilli() >= fuzzNow.Add(-SkewWindow).UnixMilli() && fuzzNow.Sub(time.UnixMilli(at.UnixMilli())) <= SkewWindow &&
			time.UnixMilli(at.UnixMilli()).Sub(fuzzNow) <= SkewWindow
		switch c := verifyCode(t, err); {
		case inWindow && c != "":
			t.Fatalf("request signed %d ms from now refused: %v", skewMs, err)
		case !inWindow && c != ErrClockSkew:
			t.Fatalf("request signed %d ms from now: %v, want %s", skewMs, err, ErrClockSkew)
		}
		accepted := err == nil
		if accepted {
			if _, err := Verify(r, body, fuzzNow, &nc); verifyCode(t, err) != ErrReplay {
				t.Fatalf("the same request again: %v, want %s", err, ErrReplay)
			}
		}

		// One byte changed.
		r2 := req()
		r2.Header = r.Header.Clone()
		body2, uri2 := append([]byte(nil), body...), u.RequestURI()
		change := func(s string) string {
			if len(s) == 0 {
				return string([]byte{b})
			}
			bs := []byte(s)
			bs[int(pos)%len(bs)] = b
			return string(bs)
		}
		names := []string{HeaderKey, HeaderTime, HeaderNonce, HeaderSignature}
		switch w := int(which) % 6; {
		case w < 4:
			r2.Header.Set(names[w], change(r.Header.Get(names[w])))
		case w == 4:
			body2 = []byte(change(string(body)))
		default:
			uri2 = change(uri2)
			pu, err := url.ParseRequestURI(uri2)
			if err != nil || pu.Host != "" || !strings.HasPrefix(uri2, "/") {
				return
			}
			r2.URL = pu
		}
		_, err = Verify(r2, body2, fuzzNow, &nc)
		c := verifyCode(t, err)
		if accepted && c == "" {
			t.Fatalf("a changed request (part %d, byte %d → %q) was accepted after the original:\nkey %q time %q nonce %q sig %q uri %q",
				which%6, pos, b, r2.Header.Get(HeaderKey), r2.Header.Get(HeaderTime), r2.Header.Get(HeaderNonce), r2.Header.Get(HeaderSignature), r2.URL.RequestURI())
		}
	})
}

// FuzzHeaders feeds arbitrary header values and bodies to verification:
// nothing panics, every refusal is an *Error with a known code, and what
// is accepted is a request the box key really signed (which a fuzzer
// cannot forge, so nothing is).
func FuzzHeaders(f *testing.F) {
	r := httptest.NewRequest(http.MethodPost, "https://platform.test"+PathPoll, nil)
	body := []byte(`{"board":"virtual"}`)
	if err := Sign(r, body, fuzzKey, fuzzNow); err != nil {
		f.Fatal(err)
	}
	f.Add(r.Header.Get(HeaderKey), r.Header.Get(HeaderTime), r.Header.Get(HeaderNonce), r.Header.Get(HeaderSignature), body)
	f.Add("", "", "", "", []byte{})
	f.Add(r.Header.Get(HeaderKey), "-9223372036854775808", strings.Repeat("g", 32), "AAAA", body)
	f.Add(r.Header.Get(HeaderKey)+"=", "+1800000000123", strings.ToUpper(r.Header.Get(HeaderNonce)), r.Header.Get(HeaderSignature)+"=", body)
	f.Fuzz(func(t *testing.T, key, ms, nonce, sig string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "https://platform.test"+PathPoll, nil)
		for h, v := range map[string]string{HeaderKey: key, HeaderTime: ms, HeaderNonce: nonce, HeaderSignature: sig} {
			r.Header.Set(h, v)
		}
		var nc NonceCache
		pub, err := Verify(r, body, fuzzNow, &nc)
		if verifyCode(t, err) == "" {
			// Only the seed's own signature can pass: check it is one.
			if !pub.Equal(fuzzKey.Public()) {
				t.Fatalf("accepted a request of key %x that the fuzzer signed with no key", pub)
			}
			if _, err := Verify(r, body, fuzzNow, &nc); verifyCode(t, err) != ErrReplay {
				t.Fatalf("replay of an accepted request: %v", err)
			}
		}
	})
}

// FuzzNormalizeCode feeds typed activation codes. Properties: nothing
// panics; an accepted code is in ActivationCode's form, its check symbol
// matches (computed here from Crockford's definition) and normalizing it
// again gives it back.
func FuzzNormalizeCode(f *testing.F) {
	for _, seed := range []string{"ABCD-EFGH-JK", "abcd efgh jk7", "0000-0000-000", "OIL1-0000-00*", "ZZZZ-ZZZZ-ZZU", "", "----", "ı0000000000"} {
		f.Add(seed)
	}
	for i := range 8 {
		pub := ed25519.NewKeyFromSeed([]byte(strings.Repeat(string(rune('a'+i)), 32))).Public().(ed25519.PublicKey)
		c := ActivationCode(pub)
		f.Add(c)
		f.Add(strings.ToLower(strings.ReplaceAll(c, "-", " ")))
	}
	f.Fuzz(func(t *testing.T, typed string) {
		n, err := NormalizeCode(typed)
		if err != nil {
			return
		}
		if len(n) != 13 || n[4] != '-' || n[9] != '-' {
			t.Fatalf("NormalizeCode(%q) = %q: want XXXX-XXXX-XXX", typed, n)
		}
		digits := n[:4] + n[5:9] + n[10:12]
		mod := 0
		for _, d := range digits {
			v := strings.IndexRune(crockford, d)
			if v < 0 {
				t.Fatalf("NormalizeCode(%q) = %q: %q is not a Crockford digit", typed, n, d)
			}
			mod = (mod*32 + v) % 37
		}
		if n[12] != crockfordCheck[mod] {
			t.Fatalf("NormalizeCode(%q) = %q: check symbol %q, want %q", typed, n, n[12], crockfordCheck[mod])
		}
		if again, err := NormalizeCode(n); err != nil || again != n {
			t.Fatalf("NormalizeCode(%q) = %q, but again: %q, %v", typed, n, again, err)
		}
	})
}

// FuzzCodeTypo changes one character of a real code: the change is
// refused unless it reads as the same character (case, O for 0, I and L
// for 1).
func FuzzCodeTypo(f *testing.F) {
	f.Add([]byte("seed-0"), uint8(0), byte('X'))
	f.Add([]byte("seed-1"), uint8(12), byte('*'))
	f.Add([]byte("seed-2"), uint8(5), byte('o'))
	f.Fuzz(func(t *testing.T, seed []byte, pos uint8, b byte) {
		var s [32]byte
		copy(s[:], seed)
		c := ActivationCode(ed25519.NewKeyFromSeed(s[:]).Public().(ed25519.PublicKey))
		i := int(pos) % len(c)
		if c[i] == '-' {
			return
		}
		typed := c[:i] + string(rune(b)) + c[i+1:]
		n, err := NormalizeCode(typed)
		same := strings.EqualFold(string(rune(b)), c[i:i+1]) ||
			c[i] == '0' && (b == 'o' || b == 'O') || c[i] == '1' && strings.ContainsRune("iIlL", rune(b))
		switch {
		case same && (err != nil || n != c):
			t.Fatalf("code %s typed %q: %q, %v; want the code", c, typed, n, err)
		case !same && err == nil:
			t.Fatalf("code %s typed %q (one character changed): accepted as %q", c, typed, n)
		}
	})
}
