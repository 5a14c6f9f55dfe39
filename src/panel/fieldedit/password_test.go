package fieldedit

import (
	"fmt"
	"strings"
	"testing"

	"picket.dev/picket/src/panel/frame"
)

func TestPasswordWalkLCD(t *testing.T) {
	ed := NewPassword("PROXY PASSW", false)
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|PROXY PASSW   ↕↵|
|                |<
+^---------------+
`},
		{"UP", Edited, `
+----------------+
|PROXY PASSW  ↕→↵|
|a               |<
+^---------------+
`},
		{"UP", Edited, `
+----------------+
|PROXY PASSW  ↕→↵|
|b               |<
+^---------------+
`},
		{"RIGHT", Edited, `
+----------------+
|PROXY PASSW  ↕←↵|
|*               |<
+-^--------------+
`},
		{"DOWN", Edited, `
+----------------+
|PROXY PASSW  ↕↔↵|
|*Z              |<
+-^--------------+
`},
		{"RIGHT DOWN*2", Edited, `
+----------------+
|PROXY PASSW  ↕↔↵|
|**Y             |<
+--^-------------+
`},
		{"LEFT", Edited, `
+----------------+
|PROXY PASSW  ↕↔↵|
|***             |<
+-^--------------+
`},
		{"RIGHT*2", Edited, `
+----------------+
|PROXY PASSW  ↕←↵|
|***             |<
+---^------------+
`},
		{"RIGHT", Ignored, `
+----------------+
|PROXY PASSW  ↕←↵|
|***             |<
+---^------------+
`},
		{"ENTER", Accepted, `
+----------------+
|PROXY PASSW  ↕←↵|
|***             |<
+---^------------+
`},
	})
	if s, keep := ed.Value(); s != "bZY" || keep {
		t.Errorf("value %q keep %v", s, keep)
	}
}

func TestPasswordWalkConsole(t *testing.T) {
	// A password in force is kept unless edited, and never shown.
	ed := NewPassword("PROXY PASSW", true)
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|PROXY PASSW   ↕↵|
|********        |
+----------------+
`},
		{"LEFT", Ignored, `
+----------------+
|PROXY PASSW   ↕↵|
|********        |
+----------------+
`},
		{"ENTER", Accepted, `
+----------------+
|PROXY PASSW   ↕↵|
|********        |
+----------------+
`},
		{`"s3cr:"`, Refused, `
+----------------+
|BAD CHARACTER↕←↵|
|ANY BUT ' AND : |
+----------------+
`},
		{`"p@ss w0rd|~"`, Edited, `
+----------------+
|PROXY PASSW  ↕←↵|
|*************** |<
+---------------^+
`},
		{`"^"`, Edited, `
+----------------+
|PROXY PASSW   ←↵|
|*************** |<
+---------------^+
`},
		{`"&"`, Refused, `
+----------------+
|FIELD FULL    ←↵|
|16 CHARS MAX    |
+----------------+
`},
		{"UP", Refused, `
+----------------+
|FIELD FULL    ←↵|
|16 CHARS MAX    |
+----------------+
`},
		{"ENTER", Accepted, `
+----------------+
|PROXY PASSW   ←↵|
|*************** |<
+---------------^+
`},
		{"LEFT*3 UP", Edited, `
+----------------+
|PROXY PASSW  ↕↔↵|
|*************~**|<
+-------------^--+
`},
		{"CLEAR", Edited, `
+----------------+
|PROXY PASSW   ↕↵|
|                |<
+^---------------+
`},
		{"ENTER", Accepted, `
+----------------+
|PROXY PASSW   ↕↵|
|                |<
+^---------------+
`},
	})
	if s, keep := ed.Value(); s != "" || keep {
		t.Errorf("value %q keep %v, want no password", s, keep)
	}
}

func TestPassword16Chars(t *testing.T) {
	ed := NewPassword("PROXY PASSW", true)
	run(t, ed, `"s3cr"`)
	out := run(t, ed, `"p@ss w0rd|~!?#$%^" ENTER`)
	if out.Status != Accepted {
		t.Fatalf("status %v %s", out.Status, msgText(out.Msg))
	}
	if s, keep := ed.Value(); s != "s3crp@ss w0rd|~!" || keep {
		t.Errorf("value %q keep %v", s, keep)
	}
	ed = NewPassword("PROXY PASSW", false)
	if out := run(t, ed, strings.Repeat("UP RIGHT ", 16)+"UP"); out.Status != Refused || msgText(out.Msg) != "FIELD FULL / 16 CHARS MAX" {
		t.Errorf("17th char by UP: %v %s", out.Status, msgText(out.Msg))
	}
	if out := run(t, ed, "ENTER"); out.Status != Accepted {
		t.Fatal(out.Status)
	}
	if s, _ := ed.Value(); s != strings.Repeat("a", 16) {
		t.Errorf("value %q", s)
	}
}

func TestPasswordNeverShown(t *testing.T) {
	const secret = "Tr0ub4dor&3xyz"
	ed := NewPassword("PROXY PASSW", false)
	for _, g := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
		for _, ev := range parseKeys(t, fmt.Sprintf("%q LEFT*3 RIGHT ENTER", secret)) {
			ed.Handle(ev)
			f := ed.Render(g)
			if line := f.Line(1); strings.Trim(line, "* ") != "" {
				t.Fatalf("after %v: value row %q shows password characters", ev, line)
			}
		}
	}
	for _, s := range []string{fmt.Sprint(ed), fmt.Sprintf("%v %+v %#v %s %q", ed, ed, ed, ed, ed)} {
		if strings.Contains(s, "Tr0") || strings.Contains(s, "xyz") {
			t.Errorf("formatting leaks the password: %s", s)
		}
	}
}

func TestPasswordKept(t *testing.T) {
	ed := NewPassword("PROXY PASSW", true)
	if out := run(t, ed, "RIGHT LEFT ENTER"); out.Status != Accepted {
		t.Fatal(out.Status)
	}
	if s, keep := ed.Value(); s != "" || !keep {
		t.Errorf("value %q keep %v, want kept", s, keep)
	}
	// The first editing key starts a new password.
	run(t, ed, "UP ENTER")
	if s, keep := ed.Value(); s != "a" || keep {
		t.Errorf("value %q keep %v, want new password \"a\"", s, keep)
	}
}
