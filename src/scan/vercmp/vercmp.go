// Package vercmp compares version strings the way dpkg does, and holds the
// version ranges of the signature database (docs/signatures.md).
//
// Real services announce upstream versions ("9.2p1", "1.22.1", "2.4.57",
// "4.96", "1.3.8b") and distributions full package versions
// ("1:9.2p1-2+deb12u3"); the dpkg algorithm (Debian Policy 5.6.12) orders
// both well, so there is one comparison for all of them. It does no I/O.
package vercmp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Version is a version split into its dpkg parts.
type Version struct {
	Epoch    int
	Upstream string
	Revision string
}

// Split splits v into epoch, upstream version and revision, leniently: any
// string gives a Version (an epoch that is not a number is taken as part
// of the upstream version). Versions read from a service go through here.
func Split(v string) Version {
	var out Version
	if i := strings.IndexByte(v, ':'); i > 0 {
		if e, err := strconv.Atoi(v[:i]); err == nil && e >= 0 {
			out.Epoch = e
			v = v[i+1:]
		}
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		out.Upstream, out.Revision = v[:i], v[i+1:]
	} else {
		out.Upstream = v
	}
	return out
}

// String writes the version back in dpkg form.
func (v Version) String() string {
	var b strings.Builder
	if v.Epoch != 0 {
		b.WriteString(strconv.Itoa(v.Epoch))
		b.WriteByte(':')
	}
	b.WriteString(v.Upstream)
	if v.Revision != "" {
		b.WriteByte('-')
		b.WriteString(v.Revision)
	}
	return b.String()
}

// Parse splits v strictly, as dpkg accepts a version: an optional numeric
// epoch, an upstream part that starts with a digit and holds only
// alphanumerics and ".+~-" (Policy 5.6.12), an optional revision of
// alphanumerics and "+.~".
// Versions written in a signature go through here.
func Parse(v string) (Version, error) {
	if v == "" {
		return Version{}, errors.New("empty version")
	}
	if len(v) > 128 {
		return Version{}, fmt.Errorf("version %.20q...: longer than 128 bytes", v)
	}
	var out Version
	rest := v
	if i := strings.IndexByte(v, ':'); i >= 0 {
		e, err := strconv.Atoi(v[:i])
		if err != nil || e < 0 || v[0] == '+' || v[0] == '-' {
			return Version{}, fmt.Errorf("version %q: epoch %q is not a number", v, v[:i])
		}
		out.Epoch, rest = e, v[i+1:]
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		out.Upstream, out.Revision = rest[:i], rest[i+1:]
		if out.Revision == "" {
			return Version{}, fmt.Errorf("version %q: empty revision after '-'", v)
		}
		for _, c := range []byte(out.Revision) {
			if !isAlnum(c) && !strings.ContainsRune("+.~", rune(c)) {
				return Version{}, fmt.Errorf("version %q: character %q in the revision", v, c)
			}
		}
	} else {
		out.Upstream = rest
	}
	if out.Upstream == "" {
		return Version{}, fmt.Errorf("version %q: empty upstream version", v)
	}
	if !isDigit(out.Upstream[0]) {
		return Version{}, fmt.Errorf("version %q: upstream version must start with a digit", v)
	}
	for _, c := range []byte(out.Upstream) {
		if !isAlnum(c) && !strings.ContainsRune(".+~-", rune(c)) {
			return Version{}, fmt.Errorf("version %q: character %q in the upstream version", v, c)
		}
	}
	return out, nil
}

// Compare orders a and b as dpkg --compare-versions does: -1, 0 or +1.
// Any strings may be compared (see Split).
func Compare(a, b string) int {
	return CompareVersions(Split(a), Split(b))
}

// CompareVersions orders two split versions: epoch, then upstream, then
// revision (an absent revision compares as "0", as dpkg does).
func CompareVersions(a, b Version) int {
	if a.Epoch != b.Epoch {
		if a.Epoch < b.Epoch {
			return -1
		}
		return 1
	}
	if c := comparePart(a.Upstream, b.Upstream); c != 0 {
		return c
	}
	ra, rb := a.Revision, b.Revision
	if ra == "" {
		ra = "0"
	}
	if rb == "" {
		rb = "0"
	}
	return comparePart(ra, rb)
}

// order is the weight of a character in a non-digit run (Policy 5.6.12):
// "~" before everything, even the end of the part; then the end; then
// letters; then every other character by its ASCII value.
func order(c int) int {
	switch {
	case c == -1: // end of the run
		return 0
	case c == '~':
		return -1
	case isDigit(byte(c)):
		return 0
	case isAlpha(byte(c)):
		return c
	default:
		return c + 256
	}
}

// comparePart compares upstream versions or revisions: alternating runs
// of non-digits (compared by order) and digits (compared as numbers).
func comparePart(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		// Non-digit run.
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ca, cb := -1, -1
			if i < len(a) && !isDigit(a[i]) {
				ca = int(a[i])
			} else if i < len(a) {
				ca = '0' // a digit ends this run: weight 0 like the end
			}
			if j < len(b) && !isDigit(b[j]) {
				cb = int(b[j])
			} else if j < len(b) {
				cb = '0'
			}
			oa, ob := order(ca), order(cb)
			if oa != ob {
				if oa < ob {
					return -1
				}
				return 1
			}
			if i < len(a) && !isDigit(a[i]) {
				i++
			}
			if j < len(b) && !isDigit(b[j]) {
				j++
			}
		}
		// Digit run: skip leading zeros, then the longer number is larger,
		// else the first differing digit decides.
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		si, sj := i, j
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		da, db := a[si:i], b[sj:j]
		if len(da) != len(db) {
			if len(da) < len(db) {
				return -1
			}
			return 1
		}
		if c := strings.Compare(da, db); c != 0 {
			return c
		}
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
