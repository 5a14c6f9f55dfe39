package fieldedit

import (
	"net/netip"
	"strings"
	"testing"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// decodeEvents turns fuzz input into key events: mostly the six keys, some
// typed characters (printable ASCII, controls and non-ASCII alike) and
// some events no driver would produce.
func decodeEvents(data []byte) []keyevent.Event {
	var evs []keyevent.Event
	for i := 0; i < len(data); i++ {
		switch b := data[i]; b % 10 {
		case 0:
			evs = append(evs, keyevent.Press(keyevent.Up))
		case 1:
			evs = append(evs, keyevent.Press(keyevent.Down))
		case 2:
			evs = append(evs, keyevent.Press(keyevent.Left))
		case 3:
			evs = append(evs, keyevent.Press(keyevent.Right))
		case 4:
			evs = append(evs, keyevent.Press(keyevent.Enter))
		case 5:
			evs = append(evs, keyevent.Press(keyevent.Clear))
		case 6, 7, 8:
			r := rune(' ')
			if i+1 < len(data) {
				i++
				r = rune(data[i])
				if b >= 250 {
					r += 0x100 // beyond Latin-1
				}
			}
			evs = append(evs, keyevent.Type(r))
		default:
			evs = append(evs, keyevent.Event{Key: keyevent.Key(b / 10), Rune: rune(b)})
		}
	}
	return evs
}

// fuzzEditor drives ed with the events in data and checks, after every
// key, the outcome's invariants and that the frame fits both panels;
// after every Accepted it calls valid, which checks the typed value.
func fuzzEditor(t *testing.T, data []byte, ed Editor, valid func(t *testing.T)) {
	for _, ev := range decodeEvents(data) {
		out := ed.Handle(ev)
		checkOutcome(t, ev, out)
		for _, g := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
			if f := ed.Render(g); !f.Fits(g) {
				t.Fatalf("after %v the frame does not fit %v:\n%s", ev, g, f)
			}
		}
		if out.Status == Accepted {
			valid(t)
		}
	}
}

// seeds adds key scripts (see parseKeys) to the corpus, encoded the way
// decodeEvents reads them.
func seeds(f *testing.F, scripts ...string) {
	for _, s := range scripts {
		var b []byte
		for _, ev := range parseKeys(f, s) {
			if ev.Key == keyevent.Char {
				b = append(b, 6, byte(ev.Rune))
			} else {
				b = append(b, byte(ev.Key-keyevent.Up))
			}
		}
		f.Add(b)
	}
}

func isHost4(a netip.Addr) bool {
	b := a.As4()
	return a.Is4() && b[0] != 0 && b[0] != 127 && b[0] < 224
}

func FuzzIPv4(f *testing.F) {
	seeds(f, "UP RIGHT UP ENTER", `"10.1" ENTER`, "CLEAR ENTER", `"192.168.1.1" ENTER`, "RIGHT*3 DOWN*2 ENTER")
	subnet := netip.MustParsePrefix("192.168.1.0/24")
	self := netip.MustParseAddr("192.168.1.10")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opt := range []IPv4Options{{}, {Optional: true}, {Subnet: subnet, Self: self}} {
			ed := NewIPv4("LAN GATEWAY", self, opt)
			fuzzEditor(t, data, ed, func(t *testing.T) {
				a := ed.Value()
				if !a.IsValid() {
					if !opt.Optional {
						t.Fatalf("required field accepted no address")
					}
					return
				}
				if !isHost4(a) {
					t.Fatalf("accepted %v", a)
				}
				if opt.Subnet.IsValid() {
					last := netip.MustParseAddr("192.168.1.255")
					if !subnet.Contains(a) || a == subnet.Addr() || a == last || a == self {
						t.Fatalf("accepted gateway %v", a)
					}
				}
			})
		}
	})
}

func FuzzNetmask(f *testing.F) {
	seeds(f, "DOWN*2 ENTER", "UP ENTER", "CLEAR ENTER")
	addr := netip.MustParseAddr("10.1.128.0")
	f.Fuzz(func(t *testing.T, data []byte) {
		ed := NewNetmask("LAN NETMASK", 24, addr)
		fuzzEditor(t, data, ed, func(t *testing.T) {
			b := ed.Value()
			if b < 1 || b > 30 {
				t.Fatalf("accepted /%d", b)
			}
			p := netip.PrefixFrom(addr, b).Masked()
			if p.Addr() == addr {
				t.Fatalf("accepted /%d: address is the network address", b)
			}
		})
	})
}

func FuzzNumber(f *testing.F) {
	seeds(f, "UP*4 ENTER", `"4095" ENTER`, "CLEAR ENTER", `"8080" ENTER`)
	f.Fuzz(func(t *testing.T, data []byte) {
		vlan, port := NewVLAN(0), NewPort("PROXY PORT", 443)
		fuzzEditor(t, data, vlan, func(t *testing.T) {
			if v := vlan.Value(); v < 0 || v > 4094 || len(vlan.Text()) != 4 {
				t.Fatalf("accepted VLAN %d (%q)", v, vlan.Text())
			}
		})
		fuzzEditor(t, data, port, func(t *testing.T) {
			if v := port.Value(); v < 1 || v > 65535 || len(port.Text()) != 5 {
				t.Fatalf("accepted port %d (%q)", v, port.Text())
			}
		})
	})
}

func FuzzPrefixLen(f *testing.F) {
	seeds(f, "UP ENTER", `"48" ENTER`, "DOWN*2 ENTER")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, ro := range []bool{false, true} {
			ed := NewPrefixLen("IPv6 PREFLEN", 64, ro)
			fuzzEditor(t, data, ed, func(t *testing.T) {
				if v := ed.Value(); v < 1 || v > 128 || (ro && v != 64) {
					t.Fatalf("accepted /%d (read-only %v)", v, ro)
				}
			})
		}
	})
}

func FuzzChoice(f *testing.F) {
	seeds(f, "RIGHT ENTER", "LEFT*2 ENTER")
	f.Fuzz(func(t *testing.T, data []byte) {
		ed := NewLinkMode("LAN PORT LINK", "AUTO")
		fuzzEditor(t, data, ed, func(t *testing.T) {
			for _, m := range LinkModes() {
				if m == ed.Value() {
					return
				}
			}
			t.Fatalf("accepted %q", ed.Value())
		})
	})
}

// onlyFrom reports whether every character of s is in set.
func onlyFrom(s string, set Charset) bool {
	ring := string(set.Ring())
	for _, r := range s {
		if r == ' ' || !strings.ContainsRune(ring, r) {
			return false
		}
	}
	return true
}

func FuzzDomainName(f *testing.F) {
	seeds(f, `"a.b" ENTER`, "DOWN ENTER", "UP RIGHT UP DOWN*2 ENTER ENTER")
	f.Fuzz(func(t *testing.T, data []byte) {
		ed := NewDomainName("EXAMPLE.COM")
		fuzzEditor(t, data, ed, func(t *testing.T) {
			v := ed.Value()
			if len(v) > MaxDomainName || !onlyFrom(v, DomainNameCharset()) {
				t.Fatalf("accepted %q", v)
			}
			if v != "" && (strings.HasPrefix(v, ".") || strings.HasSuffix(v, ".") || strings.Contains(v, "..")) {
				t.Fatalf("accepted %q", v)
			}
		})
	})
}

func FuzzProxyHost(f *testing.F) {
	seeds(f, "ENTER", `"p.l" ENTER`, `"::1" ENTER`, "DOWN ENTER UP RIGHT DOWN*2 ENTER")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v6 := range []bool{false, true} {
			ed := NewProxyHost("192.168.1.1", v6)
			fuzzEditor(t, data, ed, func(t *testing.T) {
				v := ed.Value()
				if v == "" || len(v) > MaxProxyHost {
					t.Fatalf("accepted %q", v)
				}
				if a, err := netip.ParseAddr(v); err == nil {
					if a.Is4() == v6 || a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() {
						t.Fatalf("accepted address %q (IPv6-only %v)", v, v6)
					}
					return
				}
				if !onlyFrom(v, ProxyHostCharset(false)) {
					t.Fatalf("accepted host %q", v)
				}
				for _, l := range strings.Split(v, ".") {
					if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
						t.Fatalf("accepted host %q", v)
					}
				}
				if strings.Trim(v, "0123456789.") == "" {
					t.Fatalf("accepted dotted digits %q that are not an IPv4 address", v)
				}
			})
		}
	})
}

func FuzzProxyUser(f *testing.F) {
	seeds(f, `"a\\b" ENTER`, `"a b" ENTER`, "UP RIGHT UP ENTER")
	f.Fuzz(func(t *testing.T, data []byte) {
		ed := NewProxyUser("")
		fuzzEditor(t, data, ed, func(t *testing.T) {
			v := ed.Value()
			if len(v) > MaxProxyUser || (v != "" && !onlyFrom(v, ProxyUserCharset())) || strings.Count(v, `\`) > 1 ||
				strings.HasPrefix(v, `\`) || strings.HasSuffix(v, `\`) {
				t.Fatalf("accepted %q", v)
			}
		})
	})
}

func FuzzIPv6(f *testing.F) {
	seeds(f, `"fe80::1" ENTER`, `"2::1" ENTER`, "ENTER", "UP*2 RIGHT DOWN ENTER")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opt := range []IPv6Options{{}, {Optional: true, Global: true}, {ReadOnly: true}} {
			init := netip.MustParseAddr("2001:db8::1")
			ed := NewIPv6("IPv6 ADDR", init, opt)
			fuzzEditor(t, data, ed, func(t *testing.T) {
				a := ed.Value()
				switch {
				case opt.ReadOnly:
					if a != init {
						t.Fatalf("read-only field accepted %v", a)
					}
				case !a.IsValid():
					if !opt.Optional {
						t.Fatal("required field accepted no address")
					}
				case !a.Is6() || a.Is4In6() || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() || (opt.Global && a.IsLinkLocalUnicast()):
					t.Fatalf("accepted %v", a)
				}
			})
		}
	})
}

func FuzzPassword(f *testing.F) {
	seeds(f, "UP RIGHT DOWN ENTER", `"a !" ENTER`, "CLEAR ENTER", `"abcdefghijklmnopq" ENTER`)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, has := range []bool{false, true} {
			ed := NewPassword("PROXY PASSW", has)
			ring := string(PasswordCharset().Ring())
			for _, ev := range decodeEvents(data) {
				out := ed.Handle(ev)
				checkOutcome(t, ev, out)
				for _, g := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
					fr := ed.Render(g)
					if !fr.Fits(g) {
						t.Fatalf("frame does not fit %v", g)
					}
					// At most the cursor cell shows a character in clear.
					if out.Msg == nil || g.Rows >= 4 {
						for c := 0; c < g.Cols; c++ {
							ch := fr.Text(1, c)
							if ch != '*' && ch != ' ' && !(fr.Cursor().Visible && fr.Cursor().Col == c) {
								t.Fatalf("password character %q shown at column %d", ch, c)
							}
						}
					}
				}
				if out.Status == Accepted {
					s, keep := ed.Value()
					if keep && (!has || s != "") {
						t.Fatalf("kept a password that was not there (%q)", s)
					}
					if len([]rune(s)) > MaxPassword {
						t.Fatalf("accepted %d characters", len([]rune(s)))
					}
					for _, r := range s {
						if !strings.ContainsRune(ring, r) {
							t.Fatalf("accepted character %q", r)
						}
					}
				}
			}
		}
	})
}
