package fieldedit

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// parseKeys turns a script such as `RIGHT*3 UP ENTER "10.1" CLEAR` into
// events: key names, NAME*n for n presses, and double-quoted strings
// (Go syntax) typed on the console one rune at a time.
func parseKeys(t testing.TB, script string) []keyevent.Event {
	t.Helper()
	names := map[string]keyevent.Key{"UP": keyevent.Up, "DOWN": keyevent.Down, "LEFT": keyevent.Left, "RIGHT": keyevent.Right, "ENTER": keyevent.Enter, "CLEAR": keyevent.Clear}
	var evs []keyevent.Event
	s := strings.TrimSpace(script)
	for s != "" {
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				t.Fatalf("bad quoted string in %q: %v", s, err)
			}
			u, _ := strconv.Unquote(q)
			for _, r := range u {
				evs = append(evs, keyevent.Type(r))
			}
			s = strings.TrimSpace(s[len(q):])
			continue
		}
		word := s
		if i := strings.IndexByte(s, ' '); i >= 0 {
			word = s[:i]
		}
		s = strings.TrimSpace(s[len(word):])
		n := 1
		if i := strings.IndexByte(word, '*'); i >= 0 {
			var err error
			if n, err = strconv.Atoi(word[i+1:]); err != nil {
				t.Fatalf("bad repeat %q", word)
			}
			word = word[:i]
		}
		k, ok := names[word]
		if !ok {
			t.Fatalf("unknown key %q", word)
		}
		for ; n > 0; n-- {
			evs = append(evs, keyevent.Press(k))
		}
	}
	return evs
}

// step is one line of a keystroke walk: the keys pressed, the status of
// the last of them, and the screen after it.
type step struct {
	keys   string
	status Status
	screen string
}

// walk drives ed through steps on a display of geometry g. The first step
// may have empty keys, to check the screen before any key. Every key, not
// only the last of a step, must leave a frame that fits the display and a
// message that fits the screen.
func walk(t *testing.T, ed Editor, g frame.Geometry, steps []step) {
	t.Helper()
	for i, st := range steps {
		var out Outcome
		for _, ev := range parseKeys(t, st.keys) {
			out = ed.Handle(ev)
			checkOutcome(t, ev, out)
			if f := ed.Render(g); !f.Fits(g) {
				t.Fatalf("step %d (%s): frame does not fit %v:\n%s", i, st.keys, g, f)
			}
		}
		if st.keys != "" && out.Status != st.status {
			t.Errorf("step %d (%s): status %v, want %v (msg %v)", i, st.keys, out.Status, st.status, out.Msg)
		}
		got := ed.Render(g).String()
		want := strings.TrimPrefix(st.screen, "\n")
		if got != want {
			t.Fatalf("step %d (%s): screen\n%s\nwant\n%s", i, st.keys, got, want)
		}
	}
}

// checkOutcome checks the invariants of every outcome.
func checkOutcome(t testing.TB, ev keyevent.Event, out Outcome) {
	t.Helper()
	if (out.Status == Refused) != (out.Msg != nil) {
		t.Fatalf("%v: status %v with message %v", ev, out.Status, out.Msg)
	}
	if out.Status == Accepted && ev.Key != keyevent.Enter {
		t.Fatalf("%v accepted the field", ev)
	}
	if out.Msg != nil {
		checkMessage(t, *out.Msg)
	}
}

func checkMessage(t testing.TB, m Message) {
	t.Helper()
	if m.Line1 == "" || utf8.RuneCountInString(m.Line1) > MaxMessageLine1 || utf8.RuneCountInString(m.Line2) > MaxMessageLine2 {
		t.Fatalf("message %q / %q does not fit (%d/%d max)", m.Line1, m.Line2, MaxMessageLine1, MaxMessageLine2)
	}
	for _, r := range m.Line1 + m.Line2 {
		if r < ' ' || r > '~' {
			t.Fatalf("message %q / %q has a non-ASCII character", m.Line1, m.Line2)
		}
	}
}

// run applies a script and returns the last outcome.
func run(t testing.TB, ed Editor, script string) Outcome {
	t.Helper()
	var out Outcome
	for _, ev := range parseKeys(t, script) {
		out = ed.Handle(ev)
		checkOutcome(t, ev, out)
	}
	return out
}

// msgText is a message for comparisons.
func msgText(m *Message) string {
	if m == nil {
		return ""
	}
	return fmt.Sprintf("%s / %s", m.Line1, m.Line2)
}
