package vt100input

import (
	"reflect"
	"testing"

	"picket.dev/picket/src/panel/keyevent"
)

func TestEncodeRoundTrip(t *testing.T) {
	evs, err := keyevent.ParseScript(`ENTER UP DOWN LEFT RIGHT CLEAR "corp\\jdoe 10.1.2.3" ENTER ENTER`)
	if err != nil {
		t.Fatal(err)
	}
	b := Encode(evs)
	got := New().Feed(nil, b)
	if !reflect.DeepEqual(got, evs) {
		t.Fatalf("decode(encode(x)) = %v, want %v (bytes %q)", got, evs, b)
	}
}

func TestEncodeLeavesOutWhatATerminalCannotSend(t *testing.T) {
	b := Encode([]keyevent.Event{{}, keyevent.Type('é'), keyevent.Type('\t'), keyevent.Type('a')})
	if string(b) != "a" {
		t.Fatalf("Encode = %q, want %q", b, "a")
	}
}
