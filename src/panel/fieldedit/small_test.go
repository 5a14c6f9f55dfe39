package fieldedit

import (
	"testing"

	"picket.dev/picket/src/panel/frame"
)

func TestPrefixLenWalk(t *testing.T) {
	ed := NewPrefixLen("IPv6 PREFLEN", 0, false)
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/64             |
+----------------+
`},
		{"UP", Edited, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/65             |
+----------------+
`},
		{"DOWN*65", Edited, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/128            |
+----------------+
`},
		{"DOWN", Edited, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/127            |
+----------------+
`},
		{"UP", Edited, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/128            |
+----------------+
`},
		{`"4"`, Edited, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/4              |
+----------------+
`},
		{`"8"`, Edited, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/48             |
+----------------+
`},
		{`"9"`, Refused, `
+----------------+
|OUT OF RANGE  ↕↵|
|ALLOWED 1-128   |
+----------------+
`},
		{"ENTER", Accepted, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/48             |
+----------------+
`},
		{`"0"`, Edited, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/0              |
+----------------+
`},
		{"ENTER", Refused, `
+----------------+
|OUT OF RANGE  ↕↵|
|ALLOWED 1-128   |
+----------------+
`},
		{"LEFT", Ignored, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/0              |
+----------------+
`},
		{"CLEAR", Edited, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/64             |
+----------------+
`},
		{"ENTER", Accepted, `
+----------------+
|IPv6 PREFLEN  ↕↵|
|/64             |
+----------------+
`},
	})
	if ed.Value() != 64 {
		t.Errorf("value %d", ed.Value())
	}
}

func TestPrefixLenReadOnly(t *testing.T) {
	ed := NewPrefixLen("Auto PREFLEN", 56, true)
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|Auto PREFLEN   ↵|
|/56             |
+----------------+
`},
		{"UP", Refused, `
+----------------+
|READ ONLY      ↵|
|PRESS ENTER     |
+----------------+
`},
		{"RIGHT", Ignored, `
+----------------+
|Auto PREFLEN   ↵|
|/56             |
+----------------+
`},
		{"ENTER", Accepted, `
+----------------+
|Auto PREFLEN   ↵|
|/56             |
+----------------+
`},
	})
	if ed.Value() != 56 {
		t.Errorf("value %d", ed.Value())
	}
	for _, s := range []string{`"1"`, "CLEAR", "DOWN"} {
		if out := run(t, ed, s); out.Status != Refused || msgText(out.Msg) != "READ ONLY / PRESS ENTER" {
			t.Errorf("%s: %v %s", s, out.Status, msgText(out.Msg))
		}
	}
}

func TestLinkModeWalk(t *testing.T) {
	ed := NewLinkMode("LAN PORT LINK", "10baseT/Half")
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|LAN PORT LINK ↔↵|
|10baseT/Half    |
+----------------+
`},
		{"RIGHT", Edited, `
+----------------+
|LAN PORT LINK ↔↵|
|AUTO            |
+----------------+
`},
		{"RIGHT", Edited, `
+----------------+
|LAN PORT LINK ↔↵|
|1GbaseT/Full    |
+----------------+
`},
		{"LEFT*2", Edited, `
+----------------+
|LAN PORT LINK ↔↵|
|10baseT/Half    |
+----------------+
`},
		{"UP", Ignored, `
+----------------+
|LAN PORT LINK ↔↵|
|10baseT/Half    |
+----------------+
`},
		{"DOWN", Ignored, `
+----------------+
|LAN PORT LINK ↔↵|
|10baseT/Half    |
+----------------+
`},
		{`"x"`, Refused, `
+----------------+
|PICK A VALUE  ↔↵|
|WITH LEFT/RIGHT |
+----------------+
`},
		{"ENTER", Accepted, `
+----------------+
|LAN PORT LINK ↔↵|
|10baseT/Half    |
+----------------+
`},
	})
	if ed.Value() != "10baseT/Half" {
		t.Errorf("value %q", ed.Value())
	}
	// The whole cycle, in the spec's order.
	ed = NewLinkMode("WAN PORT LINK", "nonsense")
	var seen []string
	for range LinkModes() {
		seen = append(seen, ed.Current())
		run(t, ed, "RIGHT")
	}
	want := []string{"AUTO", "1GbaseT/Full", "100baseT/Full", "100baseT/Half", "10baseT/Full", "10baseT/Half"}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("cycle %v, want %v", seen, want)
		}
	}
	if ed.Current() != "AUTO" || ed.Value() != "" {
		t.Errorf("after a full cycle: %q, value %q", ed.Current(), ed.Value())
	}
}
