package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse", Default)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", h)
	}
	h2, _ := HashPassword("correct horse", Default)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse", true}, {"correct hors", false}, {"", false}} {
		if ok, err := CheckPassword(h, tc.pw); ok != tc.want || err != nil {
			t.Errorf("check %q: %v %v, want %v", tc.pw, ok, err, tc.want)
		}
	}
	for _, bad := range []string{"", "$bcrypt$x", "$argon2id$v=18$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA"} {
		if _, err := CheckPassword(bad, "x"); err == nil {
			t.Errorf("hash %q accepted", bad)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(func() time.Time { return now })
	for i := range 4 {
		l.Fail("alice")
		if locked, _ := l.Locked("alice"); locked {
			t.Fatalf("locked after %d failures", i+1)
		}
	}
	l.Fail("alice")
	if locked, until := l.Locked("alice"); !locked || !until.Equal(now.Add(time.Minute)) {
		t.Fatalf("after 5 failures: %v until %v", locked, until)
	}
	if locked, _ := l.Locked("bob"); locked {
		t.Error("another key locked")
	}
	now = now.Add(time.Minute)
	if locked, _ := l.Locked("alice"); locked {
		t.Error("still locked after the lock time")
	}
	l.Fail("alice") // counting starts over after a lock
	if locked, _ := l.Locked("alice"); locked {
		t.Error("locked again by one failure")
	}
	for range 4 {
		l.Fail("bob")
	}
	l.Succeed("bob")
	l.Fail("bob")
	if locked, _ := l.Locked("bob"); locked {
		t.Error("success did not reset the count")
	}
}

func TestToken(t *testing.T) {
	a, _ := Token()
	b, _ := Token()
	if a == b || len(a) != 43 {
		t.Errorf("tokens %q %q: want distinct, 43 base64url characters (256 bits)", a, b)
	}
	if TokenID(a) == a || len(TokenID(a)) != 64 {
		t.Errorf("token id %q", TokenID(a))
	}
}
