// Package strictjson decodes JSON that must be exactly one document of a
// known shape: a request on a local API socket, a signed manifest, the
// init's boot configuration. encoding/json alone accepts more than that: a
// json.Decoder stops after the first value and leaves trailing bytes
// unread (and Decoder.More reports false for a trailing '}' or ']'), and
// unknown object fields are dropped silently. Here both are refused.
//
// The errors it returns never quote the input beyond a short excerpt, and
// say which field a value that did not decode belongs to: an input may be
// large, or carry a secret, and an error goes to logs and back to callers.
//
// Files that evolve by adding fields (the fallback rule of the data
// partition, the platform's answers) must stay lenient and do not use it.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// ErrTrailingData is returned for bytes other than white space after the
// JSON document.
var ErrTrailingData = errors.New("trailing data after the JSON document")

// MaxQuote is the most bytes of the input an error quotes (a field name or
// a value excerpt).
const MaxQuote = 64

// UnknownFieldError is an object member that the target type has no field
// for.
type UnknownFieldError struct {
	// Field is the member's name, cut to MaxQuote bytes.
	Field string
}

func (e *UnknownFieldError) Error() string {
	return fmt.Sprintf("unknown field %s", Quote(e.Field))
}

// FieldError is a value that the field's type refused (an address that
// does not parse, an unknown enumeration name).
type FieldError struct {
	// Field is the path to the value, like "config.lan.address" or
	// "scan_vlans[2].address", in the input's own member names.
	Field string
	// Err is the type's error. Its text may quote the value: use Reason
	// for a text safe to show.
	Err error
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %s: %s", Quote(e.Field), e.Reason()) }

func (e *FieldError) Unwrap() error { return e.Err }

// Reason is the type's error with every quoted string in it cut to a short
// excerpt, so a huge or secret value is not repeated.
func (e *FieldError) Reason() string { return ClipQuoted(e.Err.Error()) }

// Unmarshal decodes data into v, which must be a non-nil pointer, refusing
// unknown fields and trailing data. Its errors are *json.SyntaxError,
// *json.UnmarshalTypeError, *UnknownFieldError, *FieldError,
// ErrTrailingData, or what v's own decoding methods return at the top
// level.
func Unmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return explain(err, data, v)
	}
	// Token, not More: More reports false for a trailing ']' or '}'.
	if _, err := dec.Token(); err != io.EOF {
		return ErrTrailingData
	}
	return nil
}

// Decode reads r to its end (at most limit bytes; more is an error) and
// decodes it like Unmarshal.
func Decode(r io.Reader, limit int64, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return fmt.Errorf("read JSON: %w", err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("JSON document larger than %d bytes", limit)
	}
	return Unmarshal(data, v)
}

// explain turns encoding/json's error into one of this package's where
// encoding/json's own would quote the input or name no field.
func explain(err error, data []byte, v any) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn), errors.As(err, &typ):
		return err
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("no complete JSON document: %w", io.ErrUnexpectedEOF)
	}
	// encoding/json reports an unknown field only as text.
	if rest, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, uerr := strconv.Unquote(rest)
		if uerr != nil {
			name = rest
		}
		return &UnknownFieldError{Field: clip(name)}
	}
	// An UnmarshalText or UnmarshalJSON error ends decoding without saying
	// where: find the value that fails on its own.
	if t := reflect.TypeOf(v); t != nil && t.Kind() == reflect.Pointer {
		if path, ferr := locate(data, t.Elem(), ""); ferr != nil && path != "" {
			return &FieldError{Field: clip(path), Err: ferr}
		}
	}
	return errors.New(ClipQuoted(err.Error()))
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// locate walks data along type t and returns the path of the first value
// (in member name order) that does not decode by itself, and its error.
func locate(data []byte, t reflect.Type, path string) (string, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pt := reflect.PointerTo(t)
	leaf := pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler)
	switch {
	case !leaf && t.Kind() == reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			break
		}
		for _, key := range sortedKeys(obj) {
			f, ok := fieldByJSONName(t, key)
			if !ok {
				continue
			}
			if p, err := locate(obj[key], f.Type, join(path, key)); err != nil {
				return p, err
			}
		}
		return "", nil
	case !leaf && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() != reflect.Uint8:
		var arr []json.RawMessage
		if json.Unmarshal(data, &arr) != nil {
			break
		}
		for i, raw := range arr {
			if p, err := locate(raw, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return p, err
			}
		}
		return "", nil
	case !leaf && t.Kind() == reflect.Map:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			break
		}
		for _, key := range sortedKeys(obj) {
			if p, err := locate(obj[key], t.Elem(), join(path, key)); err != nil {
				return p, err
			}
		}
		return "", nil
	}
	if err := json.Unmarshal(data, reflect.New(t).Interface()); err != nil {
		return path, err
	}
	return "", nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldByJSONName finds the struct field encoding/json fills from member
// name: its tag name or Go name, matched without regard to case as
// encoding/json does, looking into embedded structs.
func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		tagName, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && tagName == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if sf, ok := fieldByJSONName(et, name); ok {
					return sf, true
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if tagName == "" {
			tagName = f.Name
		}
		if strings.EqualFold(tagName, name) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// Quote quotes s in Go syntax, cut to MaxQuote bytes first.
func Quote(s string) string { return strconv.Quote(clip(s)) }

func clip(s string) string { return clipN(s, MaxQuote) }

// clipN cuts s to at most n bytes on a rune boundary and says it was cut.
func clipN(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}

// ClipQuoted returns msg with every double-quoted string in it (Go or JSON
// quoting) cut to MaxQuote bytes, and msg itself cut to four times that.
func ClipQuoted(msg string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '"')
		if i < 0 {
			b.WriteString(msg)
			break
		}
		b.WriteString(msg[:i])
		j := endQuote(msg, i)
		if j < 0 {
			// An unterminated quote: keep an excerpt only.
			b.WriteString(clip(msg[i:]))
			break
		}
		inner := msg[i+1 : j]
		if len(inner) > MaxQuote {
			inner = clip(inner)
		}
		b.WriteByte('"')
		b.WriteString(inner)
		b.WriteByte('"')
		msg = msg[j+1:]
	}
	return clipN(b.String(), 4*MaxQuote)
}

// endQuote is the index of the quote closing the one at i, or -1.
func endQuote(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

// Canonical is the one encoding of a signed JSON document (a manifest, a
// package header): encoding/json's, without HTML escaping and without the
// encoder's final newline. Signing these bytes and refusing any other
// spelling on reading (UnmarshalCanonical) gives a document one signed
// form.
func Canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ErrNotCanonical is returned by UnmarshalCanonical for a document that
// decodes but is not spelled as Canonical spells it.
var ErrNotCanonical = errors.New("not in canonical encoding")

// UnmarshalCanonical decodes b strictly (Unmarshal) into v and refuses it
// unless re-encoding v gives b back byte for byte (Canonical): other
// white space, key order, escapes or number spellings are refused.
func UnmarshalCanonical(b []byte, v any) error {
	if err := Unmarshal(b, v); err != nil {
		return err
	}
	canon, err := Canonical(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(canon, b) {
		return ErrNotCanonical
	}
	return nil
}
