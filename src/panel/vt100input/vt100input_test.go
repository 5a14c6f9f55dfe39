package vt100input

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"picket.dev/picket/src/panel/keyevent"
)

var (
	up    = keyevent.Press(keyevent.Up)
	down  = keyevent.Press(keyevent.Down)
	left  = keyevent.Press(keyevent.Left)
	right = keyevent.Press(keyevent.Right)
	enter = keyevent.Press(keyevent.Enter)
	clear = keyevent.Press(keyevent.Clear)
)

func typed(s string) []keyevent.Event {
	var evs []keyevent.Event
	for _, r := range s {
		evs = append(evs, keyevent.Type(r))
	}
	return evs
}

func cat(parts ...[]keyevent.Event) []keyevent.Event {
	var evs []keyevent.Event
	for _, p := range parts {
		evs = append(evs, p...)
	}
	return evs
}

func one(e keyevent.Event) []keyevent.Event { return []keyevent.Event{e} }

type decodeCase struct {
	name string
	in   string
	want []keyevent.Event
	// pending: a sequence is still open after the input.
	pending bool
}

var decodeCases = []decodeCase{
	// Arrows, both forms.
	{"csi up", "\x1b[A", one(up), false},
	{"csi down", "\x1b[B", one(down), false},
	{"csi right", "\x1b[C", one(right), false},
	{"csi left", "\x1b[D", one(left), false},
	{"ss3 up", "\x1bOA", one(up), false},
	{"ss3 down", "\x1bOB", one(down), false},
	{"ss3 right", "\x1bOC", one(right), false},
	{"ss3 left", "\x1bOD", one(left), false},
	{"mixed arrows", "\x1b[A\x1bOB\x1b[C\x1bOD", []keyevent.Event{up, down, right, left}, false},

	// ENTER in every line-ending form, each pair being one key.
	{"cr", "\r", one(enter), false},
	{"lf", "\n", one(enter), false},
	{"crlf", "\r\n", one(enter), false},
	{"cr cr", "\r\r", []keyevent.Event{enter, enter}, false},
	{"lf lf", "\n\n", []keyevent.Event{enter, enter}, false},
	{"lf cr", "\n\r", []keyevent.Event{enter, enter}, false},
	{"crlf crlf", "\r\n\r\n", []keyevent.Event{enter, enter}, false},
	{"cr lf lf", "\r\n\n", []keyevent.Event{enter, enter}, false},
	{"cr x lf", "\rx\n", cat(one(enter), typed("x"), one(enter)), false},
	{"cr esc lf", "\r\x1b\n", []keyevent.Event{enter, enter}, false},

	// CLEAR.
	{"ctrl-u", "\x15", one(clear), false},

	// Typed characters: all of printable ASCII.
	{"printable", printableASCII(), typed(printableASCII()), false},
	{"space", " ", typed(" "), false},

	// Other sequences are dropped, and what follows still decodes.
	{"csi with params", "\x1b[1;5A", nil, false},
	{"csi one param", "\x1b[2A", nil, false},
	{"csi private", "\x1b[?25hx", typed("x"), false},
	{"csi intermediate", "\x1b[ Ax", typed("x"), false},
	{"ss3 with params", "\x1bO5A", nil, false},
	{"function key F1", "\x1bOP", nil, false},
	{"function key F5", "\x1b[15~", nil, false},
	{"linux console F1-F5", "\x1b[[A\x1b[[Ex", typed("x"), false},
	{"linux F-key broken", "\x1b[[\r", one(enter), false},
	{"home end", "\x1b[H\x1b[F\x1b[1~\x1b[4~", nil, false},
	{"cursor report", "\x1b[24;80R", nil, false},
	{"device attributes", "\x1b[?1;2c", nil, false},
	{"two-byte escape", "\x1bcx", typed("x"), false},
	{"alt-letter", "\x1bA\x1bz", nil, false},
	{"charset select", "\x1b(B\x1b)0y", typed("y"), false},
	{"dcs string", "\x1bP1$r0m\x1b\\ok", typed("ok"), false},
	{"osc bel", "\x1b]0;title\x07ok", typed("ok"), false},
	{"osc st", "\x1b]2;\r\n\x15\x1b\\ok", typed("ok"), false},
	{"osc then esc sequence", "\x1b]xx\x1b[A", one(up), false},
	{"osc can", "\x1b]abc\x18z", typed("z"), false},
	{"apc pm sos", "\x1b_a\x1b\\\x1b^b\x1b\\\x1bXc\x1b\\", nil, false},

	// Broken sequences: the byte that breaks one is decoded afresh.
	{"esc esc arrow", "\x1b\x1b[A", one(up), false},
	{"csi broken by cr", "\x1b[\r", one(enter), false},
	{"csi params broken by ctrl-u", "\x1b[12\x15", one(clear), false},
	{"ss3 broken by lf", "\x1bO\n", one(enter), false},
	{"esc then cr", "\x1b\r", one(enter), false},
	{"csi broken by esc", "\x1b[1\x1b[B", one(down), false},
	{"csi cancelled", "\x1b[1\x18a", typed("a"), false},
	{"csi substituted", "\x1b[\x1ab", typed("b"), false},
	{"csi broken by high byte", "\x1b[\xc3a", typed("a"), false},
	{"esc inter broken", "\x1b(\rq", cat(one(enter), typed("q")), false},

	// Partial sequences stay open until more bytes or a flush.
	{"lone esc", "\x1b", nil, true},
	{"esc bracket", "\x1b[", nil, true},
	{"esc O", "\x1bO", nil, true},
	{"csi params open", "\x1b[1;5", nil, true},
	{"osc open", "\x1b]0;ti", nil, true},

	// Garbage.
	{"c0 controls", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x16\x17\x18\x19\x1a\x1c\x1d\x1e\x1f", nil, false},
	{"del", "\x7f", nil, false},
	{"c1 controls", "\x9b\x41\x8f", typed("A"), false},
	{"utf8 dropped", "é→x", typed("x"), false},
	{"invalid utf8", "\xff\xfe\xc3\x28\xe2\x82\x28\xf0\x90\x28", typed("((("), false},
	{"overlong nul", "\xc0\x80a", typed("a"), false},
	{"noise around keys", "\x00\xff\x1b[A\x80\x15\x7f\r\x11\n", []keyevent.Event{up, clear, enter, enter}, false},
}

func printableASCII() string {
	var b strings.Builder
	for c := byte(' '); c <= '~'; c++ {
		b.WriteByte(c)
	}
	return b.String()
}

func decodeAll(chunks ...[]byte) ([]keyevent.Event, *Decoder) {
	d := New()
	var evs []keyevent.Event
	for _, c := range chunks {
		evs = d.Feed(evs, c)
	}
	return evs, d
}

func TestDecode(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			got, d := decodeAll(in)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Feed(%q) = %v, want %v", tc.in, got, tc.want)
			}
			if d.Pending() != tc.pending {
				t.Errorf("Pending() = %v, want %v", d.Pending(), tc.pending)
			}
			// Every split into two reads, and one byte per read, give the
			// same events: the decoder is stateful across reads.
			for i := 0; i <= len(in); i++ {
				if got, _ := decodeAll(in[:i], in[i:]); !slices.Equal(got, tc.want) {
					t.Errorf("split at %d: %v, want %v", i, got, tc.want)
				}
			}
			var bytewise [][]byte
			for i := range in {
				bytewise = append(bytewise, in[i:i+1])
			}
			if got, _ := decodeAll(bytewise...); !slices.Equal(got, tc.want) {
				t.Errorf("byte by byte: %v, want %v", got, tc.want)
			}
			// Whatever comes before, a complete arrow and a typed character
			// after a flush decode normally: no input leaves the decoder
			// stuck.
			d.Flush()
			if got := d.Feed(nil, []byte("\x1b[Ax")); !slices.Equal(got, cat(one(up), typed("x"))) {
				t.Errorf("after flush: %v", got)
			}
		})
	}
}

func TestFlush(t *testing.T) {
	d := New()
	if d.Flush() {
		t.Error("Flush on a fresh decoder reported a dropped sequence")
	}
	if evs := d.Feed(nil, []byte("\x1b")); len(evs) != 0 || !d.Pending() {
		t.Fatalf("lone ESC: %v, pending %v", evs, d.Pending())
	}
	if !d.Flush() {
		t.Error("Flush did not report the lone ESC")
	}
	if d.Pending() {
		t.Error("still pending after Flush")
	}
	// The byte after a flushed ESC is a plain key, not part of a sequence.
	if got := d.Feed(nil, []byte("[A")); !slices.Equal(got, typed("[A")) {
		t.Errorf("after flushed ESC: %v", got)
	}
	// A flush between CR and LF (a pause) makes them two ENTERs.
	if got := d.Feed(nil, []byte("\r")); !slices.Equal(got, one(enter)) {
		t.Fatalf("cr: %v", got)
	}
	d.Flush()
	if got := d.Feed(nil, []byte("\n")); !slices.Equal(got, one(enter)) {
		t.Errorf("lf after pause: %v", got)
	}
	// An arrow split across reads without a flush still decodes.
	d.Feed(nil, []byte("\x1b"))
	d.Feed(nil, []byte("["))
	if got := d.Feed(nil, []byte("B")); !slices.Equal(got, one(down)) {
		t.Errorf("split arrow: %v", got)
	}
}

func TestReset(t *testing.T) {
	d := New()
	d.Feed(nil, []byte("\r\x1b["))
	d.Reset()
	if d.Pending() {
		t.Error("pending after Reset")
	}
	if got := d.Feed(nil, []byte("\nA")); !slices.Equal(got, cat(one(enter), typed("A"))) {
		t.Errorf("after Reset: %v", got)
	}
}

// TestPaste feeds a large pasted "keystroke file", in reads of awkward
// sizes, and checks that every key arrives, in order.
func TestPaste(t *testing.T) {
	unit := "\x1b[B\x1bOA\r\n192.168.001.010\r\x15PROXY_user@x\n\x1b[C\x1bOD"
	unitWant := cat(one(down), one(up), one(enter), typed("192.168.001.010"), one(enter),
		one(clear), typed("PROXY_user@x"), one(enter), one(right), one(left))
	const reps = 20000
	in := bytes.Repeat([]byte(unit), reps)
	var want []keyevent.Event
	for range reps {
		want = append(want, unitWant...)
	}
	d := New()
	var got []keyevent.Event
	for i, n := 0, 1; i < len(in); n = n%4093 + 7 {
		end := min(i+n, len(in))
		got = d.Feed(got, in[i:end])
		i = end
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paste of %d bytes gave %d events, want %d", len(in), len(got), len(want))
	}
}

func TestFeedAppends(t *testing.T) {
	d := New()
	dst := []keyevent.Event{enter}
	got := d.Feed(dst, []byte("a"))
	if !slices.Equal(got, []keyevent.Event{enter, keyevent.Type('a')}) {
		t.Errorf("Feed did not append: %v", got)
	}
}

// checkEvents asserts what the fuzz target and the garbage test rely on.
func checkEvents(t *testing.T, in []byte, evs []keyevent.Event) {
	t.Helper()
	if len(evs) > len(in) {
		t.Fatalf("%d events from %d bytes", len(evs), len(in))
	}
	for _, e := range evs {
		if !e.Valid() {
			t.Fatalf("invalid event %v from %q", e, in)
		}
		if e.Key == keyevent.Char && (e.Rune < ' ' || e.Rune > '~') {
			t.Fatalf("non-ASCII typed rune %v from %q", e, in)
		}
	}
}

func TestEveryByte(t *testing.T) {
	// Each single byte, alone and after each sequence introducer, decodes
	// to at most one valid event.
	for _, prefix := range []string{"", "\x1b", "\x1b[", "\x1b[[", "\x1bO", "\x1b[1", "\x1b(", "\x1b]", "\x1b]\x1b", "\r"} {
		for b := 0; b < 256; b++ {
			in := append([]byte(prefix), byte(b))
			d := New()
			evs := d.Feed(nil, in)
			checkEvents(t, in, evs)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.in), []byte{1, 2, 3})
	}
	f.Add([]byte("\x1b[A\x1bOB\r\n\x15abc\x1b]0;x\x07\xff"), []byte{0, 5, 255})
	f.Fuzz(func(t *testing.T, in, splits []byte) {
		whole, d := decodeAll(in)
		checkEvents(t, in, whole)
		pending := d.Pending()

		// Split the same input into reads whose sizes come from splits
		// (zero-length reads included): the events must be identical.
		var chunks [][]byte
		rest := in
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(splits) > 0 {
				n = min(int(splits[i%len(splits)]), len(rest))
			}
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
			if i > len(in)+len(splits) {
				chunks = append(chunks, rest)
				break
			}
		}
		split, ds := decodeAll(chunks...)
		if !slices.Equal(whole, split) {
			t.Fatalf("input %q: whole gives %v, split %v gives %v", in, whole, chunks, split)
		}
		if ds.Pending() != pending {
			t.Fatalf("input %q: pending %v whole, %v split", in, pending, ds.Pending())
		}
		// After a flush the decoder is back to normal.
		d.Flush()
		if got := d.Feed(nil, []byte("\x1b[Aq")); !slices.Equal(got, cat(one(up), typed("q"))) {
			t.Fatalf("input %q: after flush %v", in, got)
		}
	})
}
