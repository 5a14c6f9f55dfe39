package platformapi

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"strings"
)

// The activation code alphabet: Crockford's base32, which has no I, L, O
// or U, so a code read off a 16-character LCD cannot be mistyped between
// look-alikes; the check symbol uses Crockford's five extra symbols.
const (
	codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	checkSymbols = codeAlphabet + "*~$=U"
	codeDigits   = 10 // 50 bits of SHA-256(public key)
)

// ActivationCode returns the box's activation code: ten Crockford base32
// digits of the SHA-256 of its public key and a mod-37 check symbol, shown
// in groups as "XXXX-XXXX-XXC" (13 characters, fits the LCD).
func ActivationCode(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	var v uint64
	for _, b := range sum[:7] {
		v = v<<8 | uint64(b)
	}
	v >>= 56 - 5*codeDigits
	digits := make([]byte, codeDigits)
	for i := codeDigits - 1; i >= 0; i-- {
		digits[i] = codeAlphabet[v&31]
		v >>= 5
	}
	s := string(digits) + string(checkSymbol(string(digits)))
	return s[:4] + "-" + s[4:8] + "-" + s[8:]
}

func checkSymbol(digits string) byte {
	var m uint64
	for i := 0; i < len(digits); i++ {
		m = (m*32 + uint64(strings.IndexByte(codeAlphabet, digits[i]))) % 37
	}
	return checkSymbols[m]
}

// NormalizeCode reads a code as a person typed it: case, spaces and dashes
// do not matter, O reads as 0 and I and L as 1. It returns the code in
// ActivationCode's form, or an error saying what is wrong with it.
func NormalizeCode(typed string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		b.WriteRune(r)
	}
	s := b.String()
	if len(s) != codeDigits+1 {
		return "", fmt.Errorf("activation code %q: want %d characters (XXXX-XXXX-XXX), got %d", typed, codeDigits+1, len(s))
	}
	for i := 0; i < codeDigits; i++ {
		if strings.IndexByte(codeAlphabet, s[i]) < 0 {
			return "", fmt.Errorf("activation code %q: %q is not a code character (0-9 and A-Z without I, L, O, U)", typed, s[i])
		}
	}
	if checkSymbol(s[:codeDigits]) != s[codeDigits] {
		return "", fmt.Errorf("activation code %q: the last character does not match the others; check for a typing mistake", typed)
	}
	return s[:4] + "-" + s[4:8] + "-" + s[8:], nil
}
