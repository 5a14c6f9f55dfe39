package fieldedit

import (
	"fmt"
	"net/netip"
	"testing"

	"picket.dev/picket/src/panel/frame"
)

func TestNetmaskRingOrder(t *testing.T) {
	// The spec: DOWN lowers the prefix /24 -> /23 -> ... -> /1 -> /30 ->
	// /29 ..., UP raises it /24 -> /25 -> ... -> /30 -> /1 -> ...
	var down, up []int
	for b := 23; b >= 1; b-- {
		down = append(down, b)
	}
	for b := 30; b >= 24; b-- {
		down = append(down, b)
	}
	for b := 25; b <= 30; b++ {
		up = append(up, b)
	}
	for b := 1; b <= 24; b++ {
		up = append(up, b)
	}
	for _, dir := range []struct {
		script string
		want   []int
	}{{"DOWN", down}, {"UP", up}} {
		ed := NewNetmask("LAN NETMASK", 0, netip.Addr{})
		if ed.Bits() != 24 {
			t.Fatalf("default %d, want 24", ed.Bits())
		}
		for i, w := range dir.want {
			run(t, ed, dir.script)
			if ed.Bits() != w {
				t.Fatalf("%s press %d: /%d, want /%d", dir.script, i+1, ed.Bits(), w)
			}
		}
	}
}

func TestMaskText(t *testing.T) {
	tests := map[int]string{
		1: "128.000.000.000", 4: "240.000.000.000", 8: "255.000.000.000", 9: "255.128.000.000",
		16: "255.255.000.000", 23: "255.255.254.000", 24: "255.255.255.000", 25: "255.255.255.128",
		30: "255.255.255.252", 0: "000.000.000.000", 32: "255.255.255.255", -3: "000.000.000.000", 40: "255.255.255.255",
	}
	for bits, want := range tests {
		if got := MaskText(bits); got != want {
			t.Errorf("MaskText(%d) = %s, want %s", bits, got, want)
		}
	}
}

func TestNetmaskWalk(t *testing.T) {
	ed := NewNetmask("LAN NETMASK", 23, netip.MustParseAddr("192.168.1.127"))
	walk(t, ed, frame.LCD16x2(), []step{
		{"", Ignored, `
+----------------+
|LAN NETMASK   ↕↵|
|255.255.254.000 |
+----------------+
`},
		{"LEFT", Ignored, `
+----------------+
|LAN NETMASK   ↕↵|
|255.255.254.000 |
+----------------+
`},
		{"DOWN*22", Edited, `
+----------------+
|LAN NETMASK   ↕↵|
|128.000.000.000 |
+----------------+
`},
		{"DOWN", Edited, `
+----------------+
|LAN NETMASK   ↕↵|
|255.255.255.252 |
+----------------+
`},
		{"UP", Edited, `
+----------------+
|LAN NETMASK   ↕↵|
|128.000.000.000 |
+----------------+
`},
		{"CLEAR", Edited, `
+----------------+
|LAN NETMASK   ↕↵|
|255.255.255.000 |
+----------------+
`},
		{"UP", Edited, `
+----------------+
|LAN NETMASK   ↕↵|
|255.255.255.128 |
+----------------+
`},
		{"ENTER", Refused, `
+----------------+
|BAD MASK /25  ↕↵|
|IP IS BROADCAST |
+----------------+
`},
		{`"2"`, Refused, `
+----------------+
|PICK A MASK   ↕↵|
|WITH UP AND DOWN|
+----------------+
`},
		{"DOWN", Edited, `
+----------------+
|LAN NETMASK   ↕↵|
|255.255.255.000 |
+----------------+
`},
		{"ENTER", Accepted, `
+----------------+
|LAN NETMASK   ↕↵|
|255.255.255.000 |
+----------------+
`},
	})
	if ed.Value() != 24 {
		t.Errorf("value /%d, want /24", ed.Value())
	}
}

func TestNetmaskWalk20x4(t *testing.T) {
	// A prefix outside the ring (here /31) starts at /24.
	ed := NewNetmask("WAN NETMASK", 31, netip.MustParseAddr("10.1.128.0"))
	walk(t, ed, frame.LCD20x4(), []step{
		{"", Ignored, `
+--------------------+
|WAN NETMASK       ↕↵|
|255.255.255.000 /24 |
|                    |
|                    |
+--------------------+
`},
		{"ENTER", Refused, `
+--------------------+
|WAN NETMASK       ↕↵|
|255.255.255.000 /24 |
|BAD MASK /24        |
|IP IS NETWORK       |
+--------------------+
`},
		{"DOWN*7", Edited, `
+--------------------+
|WAN NETMASK       ↕↵|
|255.255.128.000 /17 |
|                    |
|                    |
+--------------------+
`},
		{"ENTER", Refused, `
+--------------------+
|WAN NETMASK       ↕↵|
|255.255.128.000 /17 |
|BAD MASK /17        |
|IP IS NETWORK       |
+--------------------+
`},
		{"DOWN", Edited, `
+--------------------+
|WAN NETMASK       ↕↵|
|255.255.000.000 /16 |
|                    |
|                    |
+--------------------+
`},
		{"ENTER", Accepted, `
+--------------------+
|WAN NETMASK       ↕↵|
|255.255.000.000 /16 |
|                    |
|                    |
+--------------------+
`},
	})
	if ed.Value() != 16 {
		t.Errorf("value /%d, want /16", ed.Value())
	}
}

func TestNetmaskAddressChecks(t *testing.T) {
	for bits := MinNetmaskBits; bits <= MaxNetmaskBits; bits++ {
		for _, a := range []string{"10.20.30.40", "192.168.0.0", "172.16.255.255"} {
			addr := netip.MustParseAddr(a)
			ed := NewNetmask("M", bits, addr)
			out := run(t, ed, "ENTER")
			p := netip.PrefixFrom(addr, bits).Masked()
			bad := addr == p.Addr() || addr == broadcast(p)
			if bad != (out.Status == Refused) {
				t.Errorf("%s/%d: %v %s", a, bits, out.Status, msgText(out.Msg))
			}
			if bad && msgText(out.Msg)[:len(fmt.Sprintf("BAD MASK /%d", bits))] != fmt.Sprintf("BAD MASK /%d", bits) {
				t.Errorf("%s/%d: message %s", a, bits, msgText(out.Msg))
			}
		}
	}
}
