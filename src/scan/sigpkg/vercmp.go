package sigpkg

// compareVersions orders two database versions the way Debian orders
// package versions (deb-version(7): upstream-version and revision, no
// epoch, which CheckVersion refuses): -1, 0 or 1.
//
// MERGE NOTE: a private stand-in. src/scan/vercmp (issue 14's version
// comparison, written with the signature format) is the one comparison of
// the project; this function goes once that package lands, and its table
// test (vercmp_test.go) moves there or is dropped.
func compareVersions(a, b string) int {
	ua, ra := splitRevision(a)
	ub, rb := splitRevision(b)
	if c := compareFragment(ua, ub); c != 0 {
		return c
	}
	return compareFragment(ra, rb)
}

// splitRevision cuts at the last hyphen: "2.2.245-2" is upstream 2.2.245,
// revision 2; no hyphen is revision "" (which sorts as "0").
func splitRevision(v string) (upstream, revision string) {
	for i := len(v) - 1; i >= 0; i-- {
		if v[i] == '-' {
			return v[:i], v[i+1:]
		}
	}
	return v, ""
}

// compareFragment is dpkg's verrevcmp: alternating non-digit and digit
// runs; non-digits compare by order (letters before non-letters, '~'
// before everything, even the end), digits numerically.
func compareFragment(a, b string) int {
	for a != "" || b != "" {
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			ca, cb := order(a), order(b)
			if ca != cb {
				return sign(ca - cb)
			}
			a, b = a[1:], b[1:]
		}
		for a != "" && a[0] == '0' {
			a = a[1:]
		}
		for b != "" && b[0] == '0' {
			b = b[1:]
		}
		first := 0
		for a != "" && isDigit(a[0]) && b != "" && isDigit(b[0]) {
			if first == 0 {
				first = int(a[0]) - int(b[0])
			}
			a, b = a[1:], b[1:]
		}
		if a != "" && isDigit(a[0]) {
			return 1
		}
		if b != "" && isDigit(b[0]) {
			return -1
		}
		if first != 0 {
			return sign(first)
		}
	}
	return 0
}

// order is the weight of s's first character in a non-digit run; an
// empty s (or a digit: the run ended) weighs 0.
func order(s string) int {
	if s == "" {
		return 0
	}
	c := s[0]
	switch {
	case isDigit(c):
		return 0
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
