package fieldedit

import (
	"strings"
	"testing"

	"picket.dev/picket/src/panel/frame"
)

func TestCharsetRings(t *testing.T) {
	tests := []struct {
		name string
		cs   Charset
		want string
	}{
		{"domain name", DomainNameCharset(), " 0123456789_.ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		{"proxy host", ProxyHostCharset(false), " 0123456789.-ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		{"proxy host v6", ProxyHostCharset(true), " 0123456789.-:ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		{"proxy user", ProxyUserCharset(), " abcdefghijklmnopqrstuvwxyz0123456789_-\\.@ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		{"password", PasswordCharset(), " abcdefghijklmnopqrstuvwxyz0123456789_-\\/|~!?@#$%^&*+=(){}[]<>;\"`,.ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		{"ipv6", IPv6Charset(), " abcdef0123456789:"},
	}
	for _, tt := range tests {
		if got := string(tt.cs.Ring()); got != tt.want {
			t.Errorf("%s ring\n%q\nwant\n%q", tt.name, got, tt.want)
		}
		if len(tt.cs.Describe) > MaxMessageLine2 {
			t.Errorf("%s: description %q too long", tt.name, tt.cs.Describe)
		}
		seen := map[rune]bool{}
		for _, r := range tt.cs.Ring() {
			if seen[r] {
				t.Errorf("%s: %q twice in the ring", tt.name, r)
			}
			seen[r] = true
		}
	}
	// The 30 password specials of the spec, in its order, after '_'.
	if n := len([]rune(passwordSpecials)) + 1; n != 30 {
		t.Errorf("%d password specials, want 30", n)
	}
}

func TestDomainNameWalk(t *testing.T) {
	ed := NewDomainName("")
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|DOMAIN NAME   ↕↵|
|                |<
+^---------------+
`},
		{"RIGHT", Ignored, `
+----------------+
|DOMAIN NAME   ↕↵|
|                |<
+^---------------+
`},
		// UP alone walks the ring here (DOWN opens the insert/delete
		// prompts): space 0-9 _ . A-Z, Z the 38th.
		{"UP*38", Edited, `
+----------------+
|DOMAIN NAME  ↕→↵|
|Z               |<
+^---------------+
`},
		{"UP*37", Edited, `
+----------------+
|DOMAIN NAME  ↕→↵|
|X               |<
+^---------------+
`},
		{"RIGHT UP", Edited, `
+----------------+
|DOMAIN NAME  ↕↔↵|
|X0              |<
+-^--------------+
`},
		{"UP*11", Edited, `
+----------------+
|DOMAIN NAME  ↕↔↵|
|X.              |<
+-^--------------+
`},
		{"UP", Edited, `
+----------------+
|DOMAIN NAME  ↕↔↵|
|XA              |<
+-^--------------+
`},
		{"RIGHT", Edited, `
+----------------+
|DOMAIN NAME  ↕←↵|
|XA              |<
+--^-------------+
`},
		{"RIGHT", Ignored, `
+----------------+
|DOMAIN NAME  ↕←↵|
|XA              |<
+--^-------------+
`},
		{`"example.com"`, Edited, `
+----------------+
|DOMAIN NAME  ↕←↵|
|XAEXAMPLE.COM   |<
+-------------^--+
`},
		{`"!"`, Refused, `
+----------------+
|BAD CHARACTER↕←↵|
|USE A-Z 0-9 _ . |
+----------------+
`},
		{`".x"`, Edited, `
+----------------+
|DOMAIN NAME  ↕←↵|
|XAEXAMPLE.COM.X |<
+---------------^+
`},
		{"LEFT*15", Edited, `
+----------------+
|DOMAIN NAME  ↕→↵|
|XAEXAMPLE.COM.X |<
+^---------------+
`},
		{"ENTER", Accepted, `
+----------------+
|DOMAIN NAME  ↕→↵|
|XAEXAMPLE.COM.X |<
+^---------------+
`},
	})
	if got := ed.Value(); got != "XAEXAMPLE.COM.X" {
		t.Errorf("value %q", got)
	}
}

func TestDomainNameScrollsAndMax(t *testing.T) {
	ed := NewDomainName("")
	walk(t, ed, frame.LCD16x2(), []step{
		{`"ABCDEFGHIJKLMNOP"`, Edited, `
+----------------+
|DOMAIN NAME  ↕←↵|
|BCDEFGHIJKLMNOP |<
+---------------^+
`},
		{`"Q"`, Edited, `
+----------------+
|DOMAIN NAME  ↕←↵|
|CDEFGHIJKLMNOPQ |<
+---------------^+
`},
		{`"RSTUVWXYZ.0123."`, Edited, `
+----------------+
|DOMAIN NAME   ←↵|
|RSTUVWXYZ.0123. |<
+---------------^+
`},
		{`"6"`, Refused, `
+----------------+
|FIELD FULL    ←↵|
|32 CHARS MAX    |
+----------------+
`},
		{"UP", Refused, `
+----------------+
|FIELD FULL    ←↵|
|32 CHARS MAX    |
+----------------+
`},
		{"LEFT*20", Edited, `
+----------------+
|DOMAIN NAME  ↕↔↵|
|ABCDEFGHIJKLMNOP|<
+------------^---+
`},
		{"CLEAR", Edited, `
+----------------+
|DOMAIN NAME   ↕↵|
|                |<
+^---------------+
`},
		{"ENTER", Accepted, `
+----------------+
|DOMAIN NAME   ↕↵|
|                |<
+^---------------+
`},
	})
	if got := ed.Value(); got != "" {
		t.Errorf("value %q, want empty", got)
	}
}

func TestDomainNameInsertDelete(t *testing.T) {
	ed := NewDomainName("acmee.cm")
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|DOMAIN NAME  ↕→↵|
|ACMEE.CM        |<
+^---------------+
`},
		// The guide: "press the Down arrow to activate insert/delete
		// mode"; Delete Previous? "does not appear for the first
		// character".
		{"DOWN", Edited, `
+----------------+
|Insert char?  ↕↵|
|ACMEE.CM        |<
+^---------------+
`},
		{"DOWN", Edited, `
+----------------+
|Done editing? ↕↵|
|ACMEE.CM        |<
+^---------------+
`},
		{"DOWN", Edited, `
+----------------+
|Insert char?  ↕↵|
|ACMEE.CM        |<
+^---------------+
`},
		{"UP", Edited, `
+----------------+
|DOMAIN NAME  ↕→↵|
|ACMEE.CM        |<
+^---------------+
`},
		{"RIGHT*5 DOWN", Edited, `
+----------------+
|Delete prev?  ↕↵|
|ACMEE.CM        |<
+-----^----------+
`},
		{"ENTER", Edited, `
+----------------+
|DOMAIN NAME  ↕↔↵|
|ACME.CM         |<
+----^-----------+
`},
		{"RIGHT*2 DOWN DOWN", Edited, `
+----------------+
|Insert char?  ↕↵|
|ACME.CM         |<
+------^---------+
`},
		{"ENTER", Edited, `
+----------------+
|DOMAIN NAME  ↕↔↵|
|ACME.C M        |<
+------^---------+
`},
		{"ENTER", Refused, `
+----------------+
|SPACE INSIDE ↕↔↵|
|NOT ALLOWED     |
+----------------+
`},
		// Space 0-9 _ . A-Z: O is the 27th.
		{"UP*27", Edited, `
+----------------+
|DOMAIN NAME  ↕↔↵|
|ACME.COM        |<
+------^---------+
`},
		{"DOWN*3", Edited, `
+----------------+
|Done editing? ↕↵|
|ACME.COM        |<
+------^---------+
`},
		{"ENTER", Accepted, `
+----------------+
|DOMAIN NAME  ↕↔↵|
|ACME.COM        |<
+------^---------+
`},
	})
	if got := ed.Value(); got != "ACME.COM" {
		t.Errorf("value %q", got)
	}
}

func TestProxyHostWalk(t *testing.T) {
	// Pre-filled with the gateway; the operator types a host name over it
	// and removes the leftovers with spaces.
	ed := NewProxyHost("192.168.1.1", false)
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|PROXY HOST   ↕→↵|
|192.168.1.1     |<
+^---------------+
`},
		{`"proxy.lan"`, Edited, `
+----------------+
|PROXY HOST   ↕↔↵|
|PROXY.LAN.1     |<
+---------^------+
`},
		{`" "`, Edited, `
+----------------+
|PROXY HOST   ↕↔↵|
|PROXY.LAN 1     |<
+----------^-----+
`},
		{"ENTER", Refused, `
+----------------+
|SPACE INSIDE ↕↔↵|
|NOT ALLOWED     |
+----------------+
`},
		{`" "`, Edited, `
+----------------+
|PROXY HOST   ↕←↵|
|PROXY.LAN       |<
+-----------^----+
`},
		{"ENTER", Accepted, `
+----------------+
|PROXY HOST   ↕←↵|
|PROXY.LAN       |<
+-----------^----+
`},
	})
	if got := ed.Value(); got != "PROXY.LAN" {
		t.Errorf("value %q", got)
	}
}

func TestProxyUserWalk(t *testing.T) {
	ed := NewProxyUser("")
	walk(t, ed, frame.LCD16x2(), []step{
		{"UP", Edited, `
+----------------+
|PROXY USER   ↕→↵|
|a               |<
+^---------------+
`},
		{"DOWN*2", Edited, `
+----------------+
|PROXY USER   ↕→↵|
|Z               |<
+^---------------+
`},
		{"RIGHT", Edited, `
+----------------+
|PROXY USER   ↕←↵|
|Z               |<
+-^--------------+
`},
		{"RIGHT", Ignored, `
+----------------+
|PROXY USER   ↕←↵|
|Z               |<
+-^--------------+
`},
		{`LEFT " "`, Edited, `
+----------------+
|PROXY USER   ↕←↵|
|                |<
+-^--------------+
`},
		{`CLEAR "corp\\john doe"`, Edited, `
+----------------+
|PROXY USER   ↕←↵|
|corp\john doe   |<
+-------------^--+
`},
		{"ENTER", Refused, `
+----------------+
|SPACE INSIDE ↕←↵|
|NOT ALLOWED     |
+----------------+
`},
		{`LEFT*4 "_"`, Edited, `
+----------------+
|PROXY USER   ↕↔↵|
|corp\john_doe   |<
+----------^-----+
`},
		{"ENTER", Accepted, `
+----------------+
|PROXY USER   ↕↔↵|
|corp\john_doe   |<
+----------^-----+
`},
	})
	if got := ed.Value(); got != `corp\john_doe` {
		t.Errorf("value %q", got)
	}
}

func TestTextInvalid(t *testing.T) {
	tests := []struct {
		name   string
		ed     *Text
		script string
		want   string
		value  string
	}{
		{"user embedded space", NewProxyUser(""), `"john doe" ENTER`, "SPACE INSIDE / NOT ALLOWED", ""},
		{"user leading/trailing spaces removed", NewProxyUser(""), `"  john  " ENTER`, "", "john"},
		{"user two backslashes", NewProxyUser(""), `"a\\b\\c" ENTER`, "TWO \\ IN NAME / USE DOMAIN\\USER", ""},
		{"user no domain", NewProxyUser(""), `"\\john" ENTER`, "NO DOMAIN / USE DOMAIN\\USER", ""},
		{"user no user", NewProxyUser(""), `"corp\\" ENTER`, "NO USER / USE DOMAIN\\USER", ""},
		{"user bad char", NewProxyUser(""), `"john!"`, "BAD CHARACTER / LETTERS 0-9_-\\.@", ""},
		{"user 33rd char", NewProxyUser(strings.Repeat("u", 32)), `RIGHT*40 "x"`, "FIELD FULL / 32 CHARS MAX", ""},
		{"user empty ok", NewProxyUser("old"), `CLEAR ENTER`, "", ""},
		{"user bad prefill", NewProxyUser("jo:hn"), `ENTER`, "BAD CHARACTER / LETTERS 0-9_-\\.@", ""},
		{"domain lower folded", NewDomainName(""), `"my_dom.com" ENTER`, "", "MY_DOM.COM"},
		{"domain empty label", NewDomainName(""), `"a..b" ENTER`, "EMPTY LABEL / CHECK THE DOTS", ""},
		{"domain leading dot", NewDomainName(""), `".a" ENTER`, "EMPTY LABEL / CHECK THE DOTS", ""},
		{"domain hyphen", NewDomainName(""), `"a-"`, "BAD CHARACTER / USE A-Z 0-9 _ .", ""},
		{"domain 33rd", NewDomainName(strings.Repeat("D", 32)), `RIGHT*32 "E"`, "FIELD FULL / 32 CHARS MAX", ""},
		{"host empty", NewProxyHost("", false), `ENTER`, "NO PROXY HOST / FIELD REQUIRED", ""},
		{"host zero-padded ipv4", NewProxyHost("", false), `"010.000.000.001" ENTER`, "", "10.0.0.1"},
		{"host octet 256", NewProxyHost("", false), `"10.0.0.256" ENTER`, "BAD IPv4 ADDR / USE N.N.N.N", ""},
		{"host three octets", NewProxyHost("", false), `"10.0.1" ENTER`, "BAD IPv4 ADDR / USE N.N.N.N", ""},
		{"host loopback", NewProxyHost("", false), `"127.0.0.1" ENTER`, "NOT A HOST / 127.X LOOPBACK", ""},
		{"host zero", NewProxyHost("", false), `"0.0.0.0" ENTER`, "NOT A HOST / 0.0.0.0", ""},
		{"host colon in v4 mode", NewProxyHost("", false), `"fe80:"`, "BAD CHARACTER / USE A-Z 0-9 . -", ""},
		{"host hyphen end", NewProxyHost("", false), `"proxy-.lan" ENTER`, "BAD HYPHEN / NOT AT LABEL END", ""},
		{"host long label", NewProxyHost("", false), `"` + strings.Repeat("a", 64) + `.lan" ENTER`, "LONG LABEL / 63 CHARS MAX", ""},
		{"host 63 label", NewProxyHost("", false), `"` + strings.Repeat("a", 63) + `.lan" ENTER`, "", strings.Repeat("A", 63) + ".LAN"},
		{"host 254th char", NewProxyHost(strings.Repeat("A.", 126)+"A", false), `RIGHT*253 "B"`, "FIELD FULL / 253 CHARS MAX", ""},
		{"host v6", NewProxyHost("", true), `"2001:DB8:0:0:0:0:0:1" ENTER`, "", "2001:db8::1"},
		{"host v6 bad", NewProxyHost("", true), `"2001:::1" ENTER`, "BAD IPv6 ADDR / 8 GROUPS OR ::", ""},
		{"host v6 multicast", NewProxyHost("", true), `"ff02::1" ENTER`, "NOT A HOST / MULTICAST ADDR", ""},
		{"host v4 in v6 mode", NewProxyHost("192.168.1.1", true), `ENTER`, "NO IPv4 HERE / IPv6-ONLY MODE", ""},
		{"host fqdn in v6 mode", NewProxyHost("", true), `"proxy.example" ENTER`, "", "PROXY.EXAMPLE"},
		{"host insert when full", NewProxyHost(strings.Repeat("A", 253), false), `DOWN ENTER`, "FIELD FULL / 253 CHARS MAX", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := run(t, tt.ed, tt.script)
			if tt.want != "" {
				if out.Status != Refused || msgText(out.Msg) != tt.want {
					t.Fatalf("outcome %v %q, want refused %q", out.Status, msgText(out.Msg), tt.want)
				}
				if tt.ed.Value() != "" {
					t.Errorf("refused entry set value %q", tt.ed.Value())
				}
				return
			}
			if out.Status != Accepted || tt.ed.Value() != tt.value {
				t.Fatalf("outcome %v %q value %q, want accepted %q", out.Status, msgText(out.Msg), tt.ed.Value(), tt.value)
			}
		})
	}
}

func TestTextWindow20Cols(t *testing.T) {
	// On a 20-column display the window is 20 wide.
	ed := NewDomainName("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	walk(t, ed, frame.LCD20x4(), []step{
		{"", Ignored, `
+--------------------+
|DOMAIN NAME      ↕→↵|
|ABCDEFGHIJKLMNOPQRST|<
|                    |
|                    |
+^-------------------+
`},
		{"RIGHT*21", Edited, `
+--------------------+
|DOMAIN NAME      ↕↔↵|
|CDEFGHIJKLMNOPQRSTUV|<
|                    |
|                    |
+-------------------^+
`},
	})
}
