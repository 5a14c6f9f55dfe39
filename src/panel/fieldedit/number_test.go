package fieldedit

import (
	"testing"

	"picket.dev/picket/src/panel/frame"
)

func TestVLANWalk(t *testing.T) {
	ed := NewVLAN(0)
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|VLAN 0-4094  ↕→↵|
|0000            |<
+^---------------+
`},
		{"LEFT", Ignored, `
+----------------+
|VLAN 0-4094  ↕→↵|
|0000            |<
+^---------------+
`},
		{"UP*4", Edited, `
+----------------+
|VLAN 0-4094  ↕→↵|
|4000            |<
+^---------------+
`},
		{"RIGHT DOWN", Edited, `
+----------------+
|VLAN 0-4094  ↕↔↵|
|4900            |<
+-^--------------+
`},
		{"UP RIGHT UP*9", Edited, `
+----------------+
|VLAN 0-4094  ↕↔↵|
|4090            |<
+--^-------------+
`},
		{"RIGHT UP*5", Edited, `
+----------------+
|VLAN 0-4094  ↕←↵|
|4095            |<
+---^------------+
`},
		{"RIGHT", Ignored, `
+----------------+
|VLAN 0-4094  ↕←↵|
|4095            |<
+---^------------+
`},
		{"ENTER", Refused, `
+----------------+
|OUT OF RANGE ↕←↵|
|ALLOWED 0-4094  |
+----------------+
`},
		{"DOWN", Edited, `
+----------------+
|VLAN 0-4094  ↕←↵|
|4094            |<
+---^------------+
`},
		{"ENTER", Accepted, `
+----------------+
|VLAN 0-4094  ↕←↵|
|4094            |<
+---^------------+
`},
		{"CLEAR", Edited, `
+----------------+
|VLAN 0-4094  ↕→↵|
|0000            |<
+^---------------+
`},
		{"ENTER", Accepted, `
+----------------+
|VLAN 0-4094  ↕→↵|
|0000            |<
+^---------------+
`},
	})
	if ed.Value() != 0 {
		t.Errorf("value %d, want 0 (disabled)", ed.Value())
	}
}

func TestPortWalkConsole(t *testing.T) {
	ed := NewPort("PROXY PORT", 0)
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|PROXY PORT   ↕→↵|
|00443           |<
+^---------------+
`},
		{`"8080"`, Edited, `
+----------------+
|PROXY PORT   ↕←↵|
|80803           |<
+----^-----------+
`},
		{"ENTER", Accepted, `
+----------------+
|PROXY PORT   ↕←↵|
|08080           |<
+----^-----------+
`},
		{`CLEAR "0"`, Edited, `
+----------------+
|PROXY PORT   ↕↔↵|
|00000           |<
+-^--------------+
`},
		{"ENTER", Refused, `
+----------------+
|OUT OF RANGE ↕←↵|
|ALLOWED 1-65535 |
+----------------+
`},
		{`"x"`, Refused, `
+----------------+
|NOT A DIGIT  ↕←↵|
|USE 0-9         |
+----------------+
`},
		{`CLEAR "65536"`, Edited, `
+----------------+
|PROXY PORT   ↕←↵|
|65536           |<
+----^-----------+
`},
		{`"1"`, Refused, `
+----------------+
|FIELD FULL   ↕←↵|
|5 DIGITS MAX    |
+----------------+
`},
		{"ENTER", Refused, `
+----------------+
|OUT OF RANGE ↕←↵|
|ALLOWED 1-65535 |
+----------------+
`},
		{"DOWN", Edited, `
+----------------+
|PROXY PORT   ↕←↵|
|65535           |<
+----^-----------+
`},
		{"ENTER", Accepted, `
+----------------+
|PROXY PORT   ↕←↵|
|65535           |<
+----^-----------+
`},
	})
	if ed.Value() != 65535 {
		t.Errorf("value %d", ed.Value())
	}
}

func TestNumberInvalid(t *testing.T) {
	tests := []struct {
		name   string
		ed     *Number
		script string
		want   string
		value  int
	}{
		{"vlan 4095", NewVLAN(0), `"4095" ENTER`, "OUT OF RANGE / ALLOWED 0-4094", 0},
		{"vlan 9999", NewVLAN(0), `"9999" ENTER`, "OUT OF RANGE / ALLOWED 0-4094", 0},
		{"vlan 4094", NewVLAN(0), `"4094" ENTER`, "", 4094},
		{"vlan typed short", NewVLAN(4000), `"12" ENTER`, "", 12},
		{"vlan initial kept", NewVLAN(100), `ENTER`, "", 100},
		{"vlan bad initial", NewVLAN(5000), `ENTER`, "", 0},
		{"vlan fifth digit", NewVLAN(0), `"12345"`, "FIELD FULL / 4 DIGITS MAX", 0},
		{"port 0", NewPort("PROXY PORT", 443), `CLEAR ENTER`, "OUT OF RANGE / ALLOWED 1-65535", 0},
		{"port 65536", NewPort("PROXY PORT", 443), `"65536" ENTER`, "OUT OF RANGE / ALLOWED 1-65535", 0},
		{"port 99999", NewPort("PROXY PORT", 443), `UP*9 ENTER`, "OUT OF RANGE / ALLOWED 1-65535", 0},
		{"port default", NewPort("PROXY PORT", 0), `ENTER`, "", 443},
		{"port 1", NewPort("PROXY PORT", 443), `"1" ENTER`, "", 1},
		{"port letter", NewPort("PROXY PORT", 443), `"8a"`, "NOT A DIGIT / USE 0-9", 0},
		{"typed mid-field not aligned", NewPort("PROXY PORT", 443), `RIGHT "9" ENTER`, "", 9443},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := run(t, tt.ed, tt.script)
			if tt.want != "" {
				if out.Status != Refused || msgText(out.Msg) != tt.want {
					t.Fatalf("outcome %v %q, want refused %q", out.Status, msgText(out.Msg), tt.want)
				}
				return
			}
			if out.Status != Accepted || tt.ed.Value() != tt.value {
				t.Fatalf("outcome %v %q value %d, want accepted %d", out.Status, msgText(out.Msg), tt.ed.Value(), tt.value)
			}
		})
	}
}

func TestNewNumberPanicsOnBadSpec(t *testing.T) {
	for _, c := range [][5]int{{0, 0, 9, 0, 0}, {2, 0, 100, 0, 0}, {3, 5, 4, 5, 5}, {3, 0, 9, 10, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewNumber%v did not panic", c)
				}
			}()
			NewNumber("X", c[0], c[1], c[2], c[3], c[4])
		}()
	}
}
