package netcfg

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// Redacted is what a set Secret prints as.
const Redacted = "[redacted]"

// Secret holds a credential (the proxy password). It prints as Redacted
// with every fmt verb, in slog and inside any struct that contains it, so a
// Config can be logged or put in an error safely. Only Reveal returns the
// clear text, which makes every use of it easy to find.
//
// A set Secret refuses to be marshalled to JSON: the clear text must never
// reach a file or a local API response by accident. Whoever stores it seals
// it (package netstore) and clears the field first. Unmarshalling from a
// JSON string is allowed, because that is how a change arrives.
type Secret struct{ s string }

// NewSecret wraps a clear-text credential.
func NewSecret(clear string) Secret { return Secret{s: clear} }

// Reveal returns the clear text.
func (s Secret) Reveal() string { return s.s }

// IsZero reports whether no secret is set.
func (s Secret) IsZero() bool { return s.s == "" }

// Equal reports whether s and o hold the same clear text, in constant time
// (for equal lengths) so comparing does not leak it.
func (s Secret) Equal(o Secret) bool {
	return subtle.ConstantTimeCompare([]byte(s.s), []byte(o.s)) == 1
}

// String returns Redacted for a set secret and "" for an empty one.
func (s Secret) String() string {
	if s.s == "" {
		return ""
	}
	return Redacted
}

// GoString keeps %#v from printing the field.
func (s Secret) GoString() string { return fmt.Sprintf("netcfg.Secret(%q)", s.String()) }

// Format applies to every verb (%v %+v %s %q %x %d ...), so no verb can
// reach the clear text through reflection.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, s.GoString())
		return
	}
	io.WriteString(f, s.String())
}

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// ErrSecretMarshal is returned when a set Secret would be written as JSON.
var ErrSecretMarshal = errors.New("netcfg: a secret is never marshalled in clear; seal it and clear the field first")

// MarshalJSON writes an empty secret as "" and refuses a set one.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s.s != "" {
		return nil, ErrSecretMarshal
	}
	return []byte(`""`), nil
}

// UnmarshalJSON reads a JSON string.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		// Say what was wrong without echoing the input, which may be the
		// password itself.
		return errors.New("netcfg: a secret must be a JSON string")
	}
	s.s = v
	return nil
}
