package sigdb

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of a source file (docs/signatures.md, "Safety rules").
const (
	MaxSourceBytes = 16 << 20
	MaxLineBytes   = 4096
	MaxSignatures  = 100000
	maxErrors      = 20
)

// ParseError is one thing wrong with a source file: the line (1-based; 0
// for the file as a whole) and the reason.
type ParseError struct {
	Line   int
	Reason string
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return "sigdb: " + e.Reason
	}
	return fmt.Sprintf("sigdb: line %d: %s", e.Line, e.Reason)
}

// ErrorList is every error found in a source (at most 20). errors.As
// reaches each *ParseError.
type ErrorList []*ParseError

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteString("; ")
		}
		if i == 0 {
			b.WriteString(e.Error())
		} else {
			b.WriteString(strings.TrimPrefix(e.Error(), "sigdb: "))
		}
	}
	return b.String()
}

// Unwrap gives the errors to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// errs collects parse errors, stopping at maxErrors.
type errs struct {
	list ErrorList
}

func (e *errs) add(line int, format string, args ...any) {
	if len(e.list) < maxErrors {
		e.list = append(e.list, &ParseError{Line: line, Reason: fmt.Sprintf(format, args...)})
	}
}

func (e *errs) full() bool { return len(e.list) >= maxErrors }

func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	return e.list
}

// field is one "key: value" of a stanza, continuation lines joined.
type field struct {
	key, val string
	line     int
}

// stanza is a run of fields between blank lines.
type stanza struct {
	fields []field
	line   int // of its first field
}

// splitStanzas cuts a source into stanzas of fields (docs/signatures.md,
// "File layout").
func splitStanzas(src []byte, e *errs) []stanza {
	if len(src) > MaxSourceBytes {
		e.add(0, "source is %d bytes, more than %d", len(src), MaxSourceBytes)
		return nil
	}
	var out []stanza
	var cur *stanza
	lineNo := 0
	for len(src) > 0 && !e.full() {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			line, src = src, nil
		}
		if len(line) > MaxLineBytes {
			e.add(lineNo, "line is %d bytes, more than %d", len(line), MaxLineBytes)
			continue
		}
		if !utf8.Valid(line) {
			e.add(lineNo, "not valid UTF-8")
			continue
		}
		if bad := strings.IndexFunc(string(line), func(r rune) bool { return r != '\t' && unicode.IsControl(r) }); bad >= 0 {
			if line[bad] == '\r' {
				e.add(lineNo, "carriage return (lines end in \\n only)")
			} else {
				e.add(lineNo, "control character %q", line[bad])
			}
			continue
		}
		s := string(line)
		switch {
		case strings.TrimSpace(s) == "":
			cur = nil
		case s[0] == '#':
		case s[0] == ' ' || s[0] == '\t':
			if cur == nil || len(cur.fields) == 0 {
				e.add(lineNo, "continuation line with no field before it")
				continue
			}
			f := &cur.fields[len(cur.fields)-1]
			f.val = strings.TrimSpace(f.val + " " + strings.TrimSpace(s))
		default:
			key, val, ok := strings.Cut(s, ":")
			if !ok || !validKey(key) {
				e.add(lineNo, "not \"key: value\" (a key is lower case letters, digits and '-' at the start of the line)")
				continue
			}
			if cur == nil {
				out = append(out, stanza{line: lineNo})
				cur = &out[len(out)-1]
			}
			cur.fields = append(cur.fields, field{key: key, val: strings.TrimSpace(val), line: lineNo})
		}
	}
	return out
}

func validKey(k string) bool {
	if k == "" || len(k) > 32 {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Format is the format line every source starts with.
const Format = "picket-signatures/1"

// header is the first stanza.
type dbHeader struct {
	version, date, description string
}

// splitList splits a comma-separated list, trimming spaces; an empty item
// is an error.
func splitList(s string) ([]string, error) {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
		if parts[i] == "" {
			return nil, errors.New("empty item in a comma-separated list")
		}
	}
	return parts, nil
}
