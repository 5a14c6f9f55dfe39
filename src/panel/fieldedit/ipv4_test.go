package fieldedit

import (
	"net/netip"
	"testing"

	"picket.dev/picket/src/panel/frame"
)

func TestIPv4WalkLCD(t *testing.T) {
	// 192.168.1.9 in force; the operator changes the last octet to 010
	// with the five keys.
	ed := NewIPv4("LAN IP ADDR", netip.MustParseAddr("192.168.1.9"), IPv4Options{})
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|LAN IP ADDR  ↕→↵|
|192.168.001.009 |<
+^---------------+
`},
		{"LEFT", Ignored, `
+----------------+
|LAN IP ADDR  ↕→↵|
|192.168.001.009 |<
+^---------------+
`},
		{"RIGHT", Edited, `
+----------------+
|LAN IP ADDR  ↕↔↵|
|192.168.001.009 |<
+-^--------------+
`},
		{"RIGHT*2", Edited, `
+----------------+
|LAN IP ADDR  ↕↔↵|
|192.168.001.009 |<
+----^-----------+
`},
		{"RIGHT*7", Edited, `
+----------------+
|LAN IP ADDR  ↕↔↵|
|192.168.001.009 |<
+-------------^--+
`},
		{"UP", Edited, `
+----------------+
|LAN IP ADDR  ↕↔↵|
|192.168.001.019 |<
+-------------^--+
`},
		{"RIGHT", Edited, `
+----------------+
|LAN IP ADDR  ↕←↵|
|192.168.001.019 |<
+--------------^-+
`},
		{"RIGHT", Ignored, `
+----------------+
|LAN IP ADDR  ↕←↵|
|192.168.001.019 |<
+--------------^-+
`},
		{"UP", Edited, `
+----------------+
|LAN IP ADDR  ↕←↵|
|192.168.001.010 |<
+--------------^-+
`},
		{"ENTER", Accepted, `
+----------------+
|LAN IP ADDR  ↕←↵|
|192.168.001.010 |<
+--------------^-+
`},
	})
	if got := ed.Value(); got != netip.MustParseAddr("192.168.1.10") {
		t.Errorf("value %v", got)
	}
}

func TestIPv4WalkOctetOver255(t *testing.T) {
	ed := NewIPv4("LAN IP ADDR", netip.Addr{}, IPv4Options{})
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|LAN IP ADDR  ↕→↵|
|000.000.000.000 |<
+^---------------+
`},
		{"UP*2 RIGHT UP*6 RIGHT UP*6", Edited, `
+----------------+
|LAN IP ADDR  ↕↔↵|
|266.000.000.000 |<
+--^-------------+
`},
		{"ENTER", Refused, `
+----------------+
|OCTET 1: 266 ↕↔↵|
|MAX IS 255      |
+----------------+
`},
		{"LEFT", Edited, `
+----------------+
|LAN IP ADDR  ↕↔↵|
|266.000.000.000 |<
+-^--------------+
`},
		{"DOWN*2", Edited, `
+----------------+
|LAN IP ADDR  ↕↔↵|
|246.000.000.000 |<
+-^--------------+
`},
		{"ENTER", Refused, `
+----------------+
|NOT A HOST   ↕↔↵|
|240.X RESERVED  |
+----------------+
`},
		{"LEFT DOWN", Edited, `
+----------------+
|LAN IP ADDR  ↕→↵|
|146.000.000.000 |<
+^---------------+
`},
		{"ENTER", Accepted, `
+----------------+
|LAN IP ADDR  ↕→↵|
|146.000.000.000 |<
+^---------------+
`},
	})
	if got := ed.Value(); got != netip.MustParseAddr("146.0.0.0") {
		t.Errorf("value %v", got)
	}
}

func TestIPv4WalkConsoleTyping(t *testing.T) {
	ed := NewIPv4("LAN DNS1", netip.MustParseAddr("192.168.1.1"), IPv4Options{})
	walk(t, ed, frame.LCD16x2(), []step{
		{`"10"`, Edited, `
+----------------+
|LAN DNS1     ↕↔↵|
|102.168.001.001 |<
+--^-------------+
`},
		{`"."`, Edited, `
+----------------+
|LAN DNS1     ↕↔↵|
|010.168.001.001 |<
+----^-----------+
`},
		{`"1.2"`, Edited, `
+----------------+
|LAN DNS1     ↕↔↵|
|010.001.201.001 |<
+---------^------+
`},
		{`"x"`, Refused, `
+----------------+
|NOT A DIGIT  ↕↔↵|
|USE 0-9 AND .   |
+----------------+
`},
		{`".3"`, Edited, `
+----------------+
|LAN DNS1     ↕↔↵|
|010.001.002.301 |<
+-------------^--+
`},
		{"ENTER", Accepted, `
+----------------+
|LAN DNS1     ↕←↵|
|010.001.002.003 |<
+--------------^-+
`},
		{`CLEAR "192168001010"`, Edited, `
+----------------+
|LAN DNS1     ↕←↵|
|192.168.001.010 |<
+--------------^-+
`},
		{`"1"`, Refused, `
+----------------+
|ADDRESS FULL ↕←↵|
|12 DIGITS MAX   |
+----------------+
`},
		{"ENTER", Accepted, `
+----------------+
|LAN DNS1     ↕←↵|
|192.168.001.010 |<
+--------------^-+
`},
	})
	if got := ed.Value(); got != netip.MustParseAddr("192.168.1.10") {
		t.Errorf("value %v", got)
	}
}

func TestIPv4WalkGateway(t *testing.T) {
	ed := NewIPv4("LAN GATEWAY", netip.MustParseAddr("192.168.1.10"), IPv4Options{
		Subnet: netip.MustParsePrefix("192.168.1.10/24"),
		Self:   netip.MustParseAddr("192.168.1.10"),
	})
	walk(t, ed, frame.LCD16x2(), []step{
		{"ENTER", Refused, `
+----------------+
|OWN ADDRESS  ↕→↵|
|USE ANOTHER IP  |
+----------------+
`},
		{"RIGHT*10 DOWN", Edited, `
+----------------+
|LAN GATEWAY  ↕↔↵|
|192.168.001.000 |<
+-------------^--+
`},
		{"ENTER", Refused, `
+----------------+
|NETWORK ADDR ↕↔↵|
|OF SUBNET /24   |
+----------------+
`},
		{"UP*5 LEFT UP*2 RIGHT*2 UP*5", Edited, `
+----------------+
|LAN GATEWAY  ↕←↵|
|192.168.001.255 |<
+--------------^-+
`},
		{"ENTER", Refused, `
+----------------+
|BROADCAST    ↕←↵|
|OF SUBNET /24   |
+----------------+
`},
		{"LEFT*4 UP", Edited, `
+----------------+
|LAN GATEWAY  ↕↔↵|
|192.168.011.255 |<
+---------^------+
`},
		{"ENTER", Refused, `
+----------------+
|NOT IN SUBNET↕↔↵|
|192.168.1.0/24  |
+----------------+
`},
		{"DOWN RIGHT*4 DOWN*4", Edited, `
+----------------+
|LAN GATEWAY  ↕←↵|
|192.168.001.251 |<
+--------------^-+
`},
		{"ENTER", Accepted, `
+----------------+
|LAN GATEWAY  ↕←↵|
|192.168.001.251 |<
+--------------^-+
`},
	})
	if got := ed.Value(); got != netip.MustParseAddr("192.168.1.251") {
		t.Errorf("value %v", got)
	}
}

func TestIPv4Walk20x4(t *testing.T) {
	// On four rows the message goes under the field, which stays visible.
	ed := NewIPv4("WAN IP ADDR", netip.MustParseAddr("127.0.0.1"), IPv4Options{})
	walk(t, ed, frame.LCD20x4(), []step{
		{"ENTER", Refused, `
+--------------------+
|WAN IP ADDR      ↕→↵|
|127.000.000.001     |<
|NOT A HOST          |
|127.X LOOPBACK      |
+^-------------------+
`},
		{"RIGHT", Edited, `
+--------------------+
|WAN IP ADDR      ↕↔↵|
|127.000.000.001     |<
|                    |
|                    |
+-^------------------+
`},
		{"CLEAR", Edited, `
+--------------------+
|WAN IP ADDR      ↕→↵|
|000.000.000.000     |<
|                    |
|                    |
+^-------------------+
`},
		{"ENTER", Refused, `
+--------------------+
|WAN IP ADDR      ↕→↵|
|000.000.000.000     |<
|NO ADDRESS          |
|FIELD REQUIRED      |
+^-------------------+
`},
	})
}

func TestIPv4Invalid(t *testing.T) {
	gw := IPv4Options{Subnet: netip.MustParsePrefix("10.0.0.5/8"), Self: netip.MustParseAddr("10.0.0.5")}
	tests := []struct {
		name    string
		opt     IPv4Options
		initial string
		script  string
		want    string // message, or "" for accepted
		value   string
	}{
		{"octet 256", IPv4Options{}, "", `"192.168.001.256" ENTER`, "OCTET 4: 256 / MAX IS 255", ""},
		{"octet 999", IPv4Options{}, "", `"999.1.1.1" ENTER`, "OCTET 1: 999 / MAX IS 255", ""},
		{"zero required", IPv4Options{}, "", `ENTER`, "NO ADDRESS / FIELD REQUIRED", ""},
		{"zero optional", IPv4Options{Optional: true}, "8.8.8.8", `CLEAR ENTER`, "", "invalid IP"},
		{"optional set", IPv4Options{Optional: true}, "", `"8.8.4.4" ENTER`, "", "8.8.4.4"},
		{"zero net", IPv4Options{}, "", `"0.1.2.3" ENTER`, "NOT A HOST / 0.X IS RESERVED", ""},
		{"loopback", IPv4Options{}, "", `"127.0.0.1" ENTER`, "NOT A HOST / 127.X LOOPBACK", ""},
		{"multicast", IPv4Options{}, "", `"224.0.0.1" ENTER`, "NOT A HOST / MULTICAST ADDR", ""},
		{"class e", IPv4Options{}, "", `"250.1.1.1" ENTER`, "NOT A HOST / 240.X RESERVED", ""},
		{"limited broadcast", IPv4Options{}, "", `"255.255.255.255" ENTER`, "NOT A HOST / BROADCAST ADDR", ""},
		{"gateway outside", gw, "", `"11.0.0.1" ENTER`, "NOT IN SUBNET / 10.0.0.0/8", ""},
		{"gateway network", gw, "", `"10.0.0.0" ENTER`, "NETWORK ADDR / OF SUBNET /8", ""},
		{"gateway broadcast", gw, "", `"10.255.255.255" ENTER`, "BROADCAST / OF SUBNET /8", ""},
		{"gateway self", gw, "", `"10.0.0.5" ENTER`, "OWN ADDRESS / USE ANOTHER IP", ""},
		{"gateway ok", gw, "", `"10.0.0.1" ENTER`, "", "10.0.0.1"},
		{"long subnet", IPv4Options{Subnet: netip.MustParsePrefix("192.168.100.100/30")}, "", `"192.168.100.200" ENTER`, "NOT IN SUBNET / OF THIS NETWORK", ""},
		{"dot in last octet", IPv4Options{}, "", `"1.2.3.4."`, "NO MORE DOTS / FORMAT N.N.N.N", ""},
		{"letter", IPv4Options{}, "", `"1a"`, "NOT A DIGIT / USE 0-9 AND .", ""},
		{"fifth octet", IPv4Options{}, "", `"1.2.3.456" "7"`, "ADDRESS FULL / 12 DIGITS MAX", ""},
		{"refused keeps entry", IPv4Options{}, "", `"1.2.3.456" ENTER LEFT*2 DOWN*3 ENTER`, "", "1.2.3.156"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var init netip.Addr
			if tt.initial != "" {
				init = netip.MustParseAddr(tt.initial)
			}
			ed := NewIPv4("X", init, tt.opt)
			before := ed.Value()
			out := run(t, ed, tt.script)
			if tt.want != "" {
				if out.Status != Refused || msgText(out.Msg) != tt.want {
					t.Fatalf("outcome %v %q, want refused %q", out.Status, msgText(out.Msg), tt.want)
				}
				if ed.Value() != before {
					t.Errorf("refused entry changed the value to %v", ed.Value())
				}
				return
			}
			if out.Status != Accepted {
				t.Fatalf("outcome %v %q, want accepted", out.Status, msgText(out.Msg))
			}
			if got := ed.Value().String(); got != tt.value {
				t.Errorf("value %s, want %s", got, tt.value)
			}
		})
	}
}
