package manifest

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestFieldFormsMatchTheirGrammar: the hand-written checks accept exactly
// what these regular expressions (the fields' documented grammar) accept,
// on edge cases and on many random strings over each field's alphabet
// and a few characters outside it.
func TestFieldFormsMatchTheirGrammar(t *testing.T) {
	for _, tc := range []struct {
		name  string
		re    *regexp.Regexp
		check func(string) bool
		chars string // the field's own characters first, then others
		own   int
		max   int
	}{
		{"board", regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`), isBoard, "az09_-A.", 6, 66},
		{"version", regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$`), isVersion, "aZ9._+~-/ ", 8, 130},
		{"sha256", regexp.MustCompile(`^[0-9a-f]{64}$`), func(s string) bool { return isHex(s, 64, 64) }, "09afA", 4, 66},
		{"tree hex", regexp.MustCompile(`^([0-9a-f]{2}){16,64}$`), func(s string) bool { return isHex(s, 32, 128) }, "09afg", 4, 130},
	} {
		r := rand.New(rand.NewPCG(1, 2))
		try := func(s string) {
			if got, want := tc.check(s), tc.re.MatchString(s); got != want {
				t.Errorf("%s %q (%d chars): %v, want %v", tc.name, s, len(s), got, want)
			}
		}
		for n := 0; n <= tc.max; n++ {
			for i := range 50 {
				// Half of them of the field's own characters only.
				alphabet := tc.chars
				if i%2 == 0 {
					alphabet = tc.chars[:tc.own]
				}
				var b strings.Builder
				for range n {
					b.WriteByte(alphabet[r.IntN(len(alphabet))])
				}
				try(b.String())
			}
			try(strings.Repeat(tc.chars[:1], n))
		}
	}
}
