package strictjson_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"picket.dev/picket/src/base/strictjson"
)

type inner struct {
	Address netip.Prefix `json:"address"`
	Name    string       `json:"name,omitempty"`
}

type outer struct {
	ID    int     `json:"id"`
	Inner inner   `json:"inner"`
	List  []inner `json:"list"`
	Plain string
}

func TestUnmarshalAccepts(t *testing.T) {
	var v outer
	in := ` {"id": 3, "inner": {"address": "10.0.0.1/8"}, "list": [{"address": "192.0.2.1/24", "name": "x"}], "plain": "p"}` + "\n\t "
	if err := strictjson.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != 3 || v.Inner.Address != netip.MustParsePrefix("10.0.0.1/8") || len(v.List) != 1 || v.List[0].Name != "x" || v.Plain != "p" {
		t.Errorf("decoded %+v", v)
	}
}

func TestUnmarshalRefuses(t *testing.T) {
	long := strings.Repeat("A", 9000)
	tests := []struct {
		name, in string
		check    func(error) bool
		// want is in the message; none of the message may be longer than
		// a few excerpts.
		want string
	}{
		{"trailing brace", `{"id": 1}}`, func(e error) bool { return errors.Is(e, strictjson.ErrTrailingData) }, "trailing"},
		{"trailing bracket", `{"id": 1}]`, func(e error) bool { return errors.Is(e, strictjson.ErrTrailingData) }, "trailing"},
		{"second document", `{"id": 1} {"id": 2}`, func(e error) bool { return errors.Is(e, strictjson.ErrTrailingData) }, "trailing"},
		{"trailing garbage", `{"id": 1} x`, func(e error) bool { return errors.Is(e, strictjson.ErrTrailingData) }, "trailing"},
		{"unknown field", `{"id": 1, "evil": true}`, func(e error) bool {
			var u *strictjson.UnknownFieldError
			return errors.As(e, &u) && u.Field == "evil"
		}, `unknown field "evil"`},
		{"unknown nested field", `{"inner": {"address": "10.0.0.1/8", "x": 1}}`, func(e error) bool {
			var u *strictjson.UnknownFieldError
			return errors.As(e, &u) && u.Field == "x"
		}, `unknown field "x"`},
		{"long unknown field", `{"` + long + `": 1}`, func(e error) bool {
			var u *strictjson.UnknownFieldError
			return errors.As(e, &u) && len(u.Field) <= strictjson.MaxQuote+3
		}, "unknown field"},
		{"bad value names the field", `{"list": [{"address": "10.0.0.1/8"}, {"address": "` + long + `"}]}`, func(e error) bool {
			var f *strictjson.FieldError
			return errors.As(e, &f) && f.Field == "list[1].address"
		}, `field "list[1].address"`},
		{"bad value by Go name", `{"inner": {"ADDRESS": "nope"}}`, func(e error) bool {
			var f *strictjson.FieldError
			return errors.As(e, &f) && f.Field == "inner.ADDRESS"
		}, "inner.ADDRESS"},
		{"syntax", `{"id": }`, func(e error) bool {
			var s *json.SyntaxError
			return errors.As(e, &s)
		}, "invalid character"},
		{"type", `{"id": "one"}`, func(e error) bool {
			var s *json.UnmarshalTypeError
			return errors.As(e, &s) && s.Field == "id"
		}, "id"},
		{"empty", ``, func(e error) bool { return e != nil }, "no complete JSON"},
		{"cut short", `{"id": 1`, func(e error) bool { return e != nil }, "no complete JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v outer
			err := strictjson.Unmarshal([]byte(tt.in), &v)
			if err == nil || !tt.check(err) {
				t.Fatalf("error %v (%T), not the one expected", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			if strings.Contains(err.Error(), strings.Repeat("A", strictjson.MaxQuote+1)) || len(err.Error()) > 6*strictjson.MaxQuote {
				t.Errorf("error quotes too much of the input (%d bytes): %.300q", len(err.Error()), err)
			}
		})
	}
}

func TestDecodeLimit(t *testing.T) {
	var v outer
	if err := strictjson.Decode(strings.NewReader(`{"plain": "`+strings.Repeat("x", 100)+`"}`), 50, &v); err == nil || !strings.Contains(err.Error(), "larger than 50 bytes") {
		t.Errorf("over the limit: %v", err)
	}
	if err := strictjson.Decode(strings.NewReader(`{"id": 7}`), 50, &v); err != nil || v.ID != 7 {
		t.Errorf("under the limit: %v, %+v", err, v)
	}
}

func TestClipQuoted(t *testing.T) {
	long := strings.Repeat("é", 100)
	got := strictjson.ClipQuoted(`netip.ParsePrefix("` + long + `"): no '/'`)
	if !strings.HasSuffix(got, `..."): no '/'`) || len(got) > 100 {
		t.Errorf("ClipQuoted = %q", got)
	}
	if got := strictjson.ClipQuoted(`unknown mode "ipx"; allowed: a, b`); got != `unknown mode "ipx"; allowed: a, b` {
		t.Errorf("short quotes changed: %q", got)
	}
	if got := strictjson.ClipQuoted(`broken "` + long); len(got) > strictjson.MaxQuote+20 {
		t.Errorf("unterminated quote kept: %q", got)
	}
}

// TestCanonical: the canonical spelling is encoding/json's without HTML
// escapes and final newline; any other spelling of the same document
// (spaces, key order, escapes) is refused, the canonical one accepted.
func TestCanonical(t *testing.T) {
	type doc struct {
		A string `json:"a"`
		B int    `json:"b"`
	}
	b, err := strictjson.Canonical(doc{A: "<x>&", B: 7})
	if err != nil || string(b) != `{"a":"<x>&","b":7}` {
		t.Fatalf("Canonical = %s, %v", b, err)
	}
	var d doc
	if err := strictjson.UnmarshalCanonical(b, &d); err != nil || d.A != "<x>&" || d.B != 7 {
		t.Fatalf("canonical bytes refused: %+v %v", d, err)
	}
	for _, in := range []string{
		`{"a":"<x>&", "b":7}`,          // a space
		`{"b":7,"a":"<x>&"}`,           // key order
		`{"a":"\u003cx\u003e&","b":7}`, // escapes
		`{"a":"<x>&","b":7.0}`,         // a number's spelling
		`{"a":"<x>&","b":7}` + "\n",    // the encoder's newline
	} {
		if err := strictjson.UnmarshalCanonical([]byte(in), &d); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
}
