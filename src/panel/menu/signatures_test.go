package menu

import (
	"fmt"
	"strings"
	"testing"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// statusEntry walks SHOW STATUS down to the entry titled title and
// returns its frame.
func statusEntryFrame(t *testing.T, m *Menu, title string) frame.Frame {
	t.Helper()
	openItem(t, m, "SHOW STATUS")
	for i := 0; i < 40; i++ {
		f := m.Render()
		if strings.HasPrefix(f.Line(0), title+" ") {
			return f
		}
		m.Handle(keyevent.Event{Key: keyevent.Down})
	}
	t.Fatalf("SHOW STATUS has no entry %q", title)
	return frame.Frame{}
}

// TestSignaturesAge: SHOW STATUS shows the signature set's version and
// age, and SIGS STALE <n>d once it is older than the platform's limit
// (issue 14); the idle screen says it too where a row is free.
func TestSignaturesAge(t *testing.T) {
	var all strings.Builder
	for _, tc := range []struct {
		version  string
		age, max int
		want     string
	}{
		{"2.2.245-2", 9, 7, "SIGS STALE 9d"},
		{"2.2.245-2", 7, 7, "7d"},
		{"2.2.245-2", 0, 7, "0d"},
		{"2.2.245-2", 120, 30, "SIGS STALE 120d"},
		{"", 0, 7, "NONE"},
	} {
		for _, geo := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
			st := dhcpState()
			st.Status.Signatures, st.Status.SignaturesAgeDays, st.Status.SignaturesMaxAgeDays = tc.version, tc.age, tc.max
			f := statusEntryFrame(t, New(geo, st), "SIGS AGE")
			if !f.Fits(geo) {
				t.Fatalf("%v: frame does not fit", geo)
			}
			if got := strings.TrimSpace(f.Line(1)); got != tc.want {
				t.Errorf("%s age %d limit %d on %v: SIGS AGE says %q, want %q", tc.version, tc.age, tc.max, geo, got, tc.want)
			}
			fmt.Fprintf(&all, "== %s age %d limit %d, %v: SIGS AGE\n%s", tc.version, tc.age, tc.max, geo, f)
			v := statusEntryFrame(t, New(geo, st), "SIGNATURES")
			if want := orNone(tc.version); strings.TrimSpace(v.Line(1)) != want {
				t.Errorf("SIGNATURES says %q, want %q", v.Line(1), want)
			}
		}
	}
	// The idle screen: a free row says it (20x4 always; 16x2 when name
	// and address fit the top row), no row when the set is fresh.
	for _, tc := range []struct {
		name  string
		geo   frame.Geometry
		age   int
		boxID string
		shown bool
	}{
		{"20x4 stale", frame.LCD20x4(), 9, "pk_jdoe", true},
		{"20x4 fresh", frame.LCD20x4(), 3, "pk_jdoe", false},
		{"16x2 stale, short name", frame.LCD16x2(), 9, "p", true},
		{"16x2 stale, name and address on two rows", frame.LCD16x2(), 9, "pk_jdoe", false},
	} {
		st := dhcpState()
		st.Status.Name = tc.boxID
		st.Status.Signatures, st.Status.SignaturesAgeDays, st.Status.SignaturesMaxAgeDays = "2.2.245-2", tc.age, 7
		f := New(tc.geo, st).Render()
		if !f.Fits(tc.geo) {
			t.Fatalf("%s: frame does not fit", tc.name)
		}
		if got := strings.Contains(f.String(), "SIGS STALE 9d"); got != tc.shown {
			t.Errorf("%s: idle screen shows SIGS STALE 9d: %v, want %v:\n%s", tc.name, got, tc.shown, f)
		}
		fmt.Fprintf(&all, "== idle, %s\n%s", tc.name, f)
	}
	golden(t, "signatures_age", all.String())
}
