package fieldedit

import (
	"net/netip"
	"testing"

	"picket.dev/picket/src/panel/frame"
)

func TestIPv6WalkTyped(t *testing.T) {
	ed := NewIPv6("IPv6 ADDR", netip.Addr{}, IPv6Options{Global: true})
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|IPv6 ADDR     ↕↵|
|                |<
+^---------------+
`},
		{"ENTER", Refused, `
+----------------+
|NO ADDRESS    ↕↵|
|FIELD REQUIRED  |
+----------------+
`},
		{`"2001:470:8418:ffe:"`, Edited, `
+----------------+
|IPv6 ADDR    ↕←↵|
|1:470:8418:ffe: |<
+---------------^+
`},
		{`"250:56FF:FEB3:B89"`, Edited, `
+----------------+
|IPv6 ADDR    ↕←↵|
|0:56ff:feb3:b89 |<
+---------------^+
`},
		{`"g"`, Refused, `
+----------------+
|BAD CHARACTER↕←↵|
|USE 0-9 a-f :   |
+----------------+
`},
		{"LEFT*35", Edited, `
+----------------+
|IPv6 ADDR    ↕→↵|
|2001:470:8418:ff|<
+^---------------+
`},
		{"ENTER", Accepted, `
+----------------+
|IPv6 ADDR    ↕→↵|
|2001:470:8418:ff|<
+^---------------+
`},
	})
	if got := ed.Value(); got != netip.MustParseAddr("2001:470:8418:ffe:250:56ff:feb3:b89") {
		t.Errorf("value %v", got)
	}
}

func TestIPv6WalkScrolled(t *testing.T) {
	// With the five keys only: "fe80::1" from the ring
	// space a b c d e f 0 1 ... 9 :
	ed := NewIPv6("IPv6 GW", netip.Addr{}, IPv6Options{})
	walk(t, ed, frame.LCD16x2(), []step{
		{"UP*6", Edited, `
+----------------+
|IPv6 GW      ↕→↵|
|f               |<
+^---------------+
`},
		{"RIGHT UP*5", Edited, `
+----------------+
|IPv6 GW      ↕↔↵|
|fe              |<
+-^--------------+
`},
		{"RIGHT DOWN*3", Edited, `
+----------------+
|IPv6 GW      ↕↔↵|
|fe8             |<
+--^-------------+
`},
		{"RIGHT DOWN*11", Edited, `
+----------------+
|IPv6 GW      ↕↔↵|
|fe80            |<
+---^------------+
`},
		{"RIGHT DOWN RIGHT DOWN", Edited, `
+----------------+
|IPv6 GW      ↕↔↵|
|fe80::          |<
+-----^----------+
`},
		{"RIGHT UP*8", Edited, `
+----------------+
|IPv6 GW      ↕↔↵|
|fe80::1         |<
+------^---------+
`},
		{"ENTER", Accepted, `
+----------------+
|IPv6 GW      ↕↔↵|
|fe80::1         |<
+------^---------+
`},
	})
	if got := ed.Value(); got != netip.MustParseAddr("fe80::1") {
		t.Errorf("value %v", got)
	}
}

func TestIPv6ReadOnlyScroll(t *testing.T) {
	a := netip.MustParseAddr("2001:db8:3c4d:15:0:d234:3eee:1")
	ed := NewIPv6("Auto v6 ADDR", a, IPv6Options{ReadOnly: true})
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|Auto v6 ADDR  →↵|
|2001:db8:3c4d:15|
+----------------+
`},
		{"LEFT", Ignored, `
+----------------+
|Auto v6 ADDR  →↵|
|2001:db8:3c4d:15|
+----------------+
`},
		{"RIGHT", Edited, `
+----------------+
|Auto v6 ADDR  ↔↵|
|001:db8:3c4d:15:|
+----------------+
`},
		{"RIGHT*13", Edited, `
+----------------+
|Auto v6 ADDR  ←↵|
|15:0:d234:3eee:1|
+----------------+
`},
		{"RIGHT", Ignored, `
+----------------+
|Auto v6 ADDR  ←↵|
|15:0:d234:3eee:1|
+----------------+
`},
		{"UP", Refused, `
+----------------+
|READ ONLY     ←↵|
|LEFT/RIGHT,ENTER|
+----------------+
`},
		{`"1"`, Refused, `
+----------------+
|READ ONLY     ←↵|
|LEFT/RIGHT,ENTER|
+----------------+
`},
		{"LEFT*14", Edited, `
+----------------+
|Auto v6 ADDR  →↵|
|2001:db8:3c4d:15|
+----------------+
`},
		{"ENTER", Accepted, `
+----------------+
|Auto v6 ADDR  →↵|
|2001:db8:3c4d:15|
+----------------+
`},
	})
	if ed.Value() != a {
		t.Errorf("value %v", ed.Value())
	}
}

func TestIPv6Invalid(t *testing.T) {
	tests := []struct {
		name    string
		opt     IPv6Options
		initial string
		script  string
		want    string
		value   string
	}{
		{"compressed", IPv6Options{}, "", `"2001:db8:3c4d:15:0:d234:3eee::" ENTER`, "", "2001:db8:3c4d:15:0:d234:3eee:0"},
		{"expanded with zeros", IPv6Options{}, "", `"2001:0db8:0000:0000:0000:0000:0000:0001" ENTER`, "", "2001:db8::1"},
		{"prefilled compressed", IPv6Options{}, "2001:db8::1", `ENTER`, "", "2001:db8::1"},
		{"required empty", IPv6Options{}, "", `ENTER`, "NO ADDRESS / FIELD REQUIRED", ""},
		{"optional empty", IPv6Options{Optional: true}, "2001:db8::53", `CLEAR ENTER`, "", "invalid IP"},
		{"triple colon", IPv6Options{}, "", `"2001:::1" ENTER`, "BAD IPv6 ADDR / 8 GROUPS OR ::", ""},
		{"two double colons", IPv6Options{}, "", `"1::2::3" ENTER`, "BAD IPv6 ADDR / 8 GROUPS OR ::", ""},
		{"nine groups", IPv6Options{}, "", `"1:2:3:4:5:6:7:8:9" ENTER`, "BAD IPv6 ADDR / 8 GROUPS OR ::", ""},
		{"group too long", IPv6Options{}, "", `"12345::1" ENTER`, "BAD IPv6 ADDR / 8 GROUPS OR ::", ""},
		{"unspecified", IPv6Options{}, "", `"::" ENTER`, "NOT A HOST / :: UNSPECIFIED", ""},
		{"loopback", IPv6Options{}, "", `"::1" ENTER`, "NOT A HOST / ::1 LOOPBACK", ""},
		{"multicast", IPv6Options{}, "", `"ff02::1" ENTER`, "NOT A HOST / MULTICAST ADDR", ""},
		{"mapped", IPv6Options{}, "", `"::ffff:a00:1" ENTER`, "NOT A HOST / IPv4-MAPPED", ""},
		{"link-local own address", IPv6Options{Global: true}, "", `"fe80::5" ENTER`, "LINK-LOCAL / USE A GLOBAL IP", ""},
		{"link-local gateway", IPv6Options{}, "", `"fe80::5" ENTER`, "", "fe80::5"},
		{"dot", IPv6Options{}, "", `"."`, "BAD CHARACTER / USE 0-9 a-f :", ""},
		{"embedded space", IPv6Options{}, "", `"2001:db8:: 1" ENTER`, "SPACE INSIDE / NOT ALLOWED", ""},
		{"40th char", IPv6Options{}, "", `"2001:0db8:0000:0000:0000:0000:0000:0001" "1"`, "FIELD FULL / 39 CHARS MAX", ""},
		{"read-only empty", IPv6Options{ReadOnly: true}, "", `ENTER`, "", "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var init netip.Addr
			if tt.initial != "" {
				init = netip.MustParseAddr(tt.initial)
			}
			ed := NewIPv6("X", init, tt.opt)
			out := run(t, ed, tt.script)
			if tt.want != "" {
				if out.Status != Refused || msgText(out.Msg) != tt.want {
					t.Fatalf("outcome %v %q, want refused %q", out.Status, msgText(out.Msg), tt.want)
				}
				return
			}
			if out.Status != Accepted || ed.Value().String() != tt.value {
				t.Fatalf("outcome %v %q value %v, want accepted %s", out.Status, msgText(out.Msg), ed.Value(), tt.value)
			}
		})
	}
}
