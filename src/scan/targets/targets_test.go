package targets

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

type mapResolver map[string][]netip.Addr

func (m mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := m[host]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("lookup %s: no such host", host)
}

func all(s *Set) []string {
	var out []string
	for i := uint64(0); i < s.Len(); i++ {
		out = append(out, s.At(i).String())
	}
	return out
}

func TestParseForms(t *testing.T) {
	res := mapResolver{"web.lan": {netip.MustParseAddr("10.0.0.80"), netip.MustParseAddr("fd00::80")}}
	for _, tc := range []struct {
		spec, exclude string
		want          string
	}{
		{"10.0.0.1", "", "10.0.0.1"},
		{"10.0.0.5-10.0.0.8", "", "10.0.0.5 10.0.0.6 10.0.0.7 10.0.0.8"},
		{"10.0.0.5-7", "", "10.0.0.5 10.0.0.6 10.0.0.7"},
		{"192.168.1.0/30", "", "192.168.1.0 192.168.1.1 192.168.1.2 192.168.1.3"},
		{"192.168.1.3/30", "", "192.168.1.0 192.168.1.1 192.168.1.2 192.168.1.3"}, // masked like nmap
		{"fd00::/126", "", "fd00:: fd00::1 fd00::2 fd00::3"},
		{"fd00::fe-fd00::101", "", "fd00::fe fd00::ff fd00::100 fd00::101"},
		{"10.0.0.0/29", "10.0.0.2,10.0.0.4-5", "10.0.0.0 10.0.0.1 10.0.0.3 10.0.0.6 10.0.0.7"},
		{"10.0.0.0/30 10.0.0.2-10.0.0.5", "", "10.0.0.0 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5"}, // overlap merged
		{"web.lan", "", "10.0.0.80 fd00::80"},
		{"web.lan,10.0.0.79-81", "fd00::/64", "10.0.0.79 10.0.0.80 10.0.0.81"},
		{"255.255.255.254/31", "", "255.255.255.254 255.255.255.255"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"::ffff:0:0/127,0.0.0.1-0.0.0.2", "", "0.0.0.0 0.0.0.1 0.0.0.2"}, // mapped is IPv4
		{"fd00::1,10.0.0.1", "", "10.0.0.1 fd00::1"},
		{"::a00:1,10.0.0.1", "", "10.0.0.1 ::a00:1"}, // same 32 low bits, other family
	} {
		s, err := Parse(context.Background(), tc.spec, Options{Resolver: res, Exclude: splitTokens(tc.exclude)})
		if err != nil {
			t.Errorf("Parse(%q, exclude %q): %v", tc.spec, tc.exclude, err)
			continue
		}
		if got := strings.Join(all(s), " "); got != tc.want {
			t.Errorf("Parse(%q, exclude %q) = %s, want %s", tc.spec, tc.exclude, got, tc.want)
		}
	}
}

func TestParseErrorsNameToken(t *testing.T) {
	for _, tc := range []struct{ spec, token string }{
		{"10.0.0.1,10.0.0.300", "10.0.0.300"},
		{"10.0.0.0/33", "10.0.0.0/33"},
		{"10.0.0.9-10.0.0.3", "10.0.0.9-10.0.0.3"},
		{"10.0.0.1-fd00::1", "10.0.0.1-fd00::1"},
		{"fe80::1%eth0", "fe80::1%eth0"},
		{"nosuch.lan", "nosuch.lan"},
		{"bad_$host", "bad_$host"},
		{"10.0.0.1-300", "10.0.0.1-300"},
		{"0.0.0.0/0,::/0", "0.0.0.0/0,::/0"}, // too many addresses
	} {
		_, err := Parse(context.Background(), tc.spec, Options{Resolver: mapResolver{}})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want an *Error", tc.spec, err)
			continue
		}
		if e.Token != tc.token || !strings.Contains(err.Error(), tc.token) {
			t.Errorf("Parse(%q): error %q names %q, want %q", tc.spec, err, e.Token, tc.token)
		}
	}
	if _, err := Parse(context.Background(), "host.lan", Options{}); err == nil || !strings.Contains(err.Error(), "no DNS resolver") {
		t.Errorf("hostname without resolver: %v", err)
	}
	if _, err := Parse(context.Background(), "10.0.0.1", Options{Exclude: []string{"10.0.0.x"}}); err == nil || !strings.Contains(err.Error(), `bad exclude "10.0.0.x"`) {
		t.Errorf("bad exclusion: %v", err)
	}
}

func TestIndexContains(t *testing.T) {
	s, err := Parse(context.Background(), "10.1.0.0/16,fd00::/120,172.16.5.5", Options{Exclude: []string{"10.1.7.0/24", "fd00::80-fd00::8f"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(65536 - 256 + 256 - 16 + 1); s.Len() != want {
		t.Fatalf("Len = %d, want %d", s.Len(), want)
	}
	for i := uint64(0); i < s.Len(); i += 97 {
		a := s.At(i)
		if j, ok := s.Index(a); !ok || j != i {
			t.Fatalf("Index(At(%d)=%s) = %d,%v", i, a, j, ok)
		}
	}
	for a, want := range map[string]bool{
		"10.1.0.0": true, "10.1.255.255": true, "10.1.7.1": false, "10.1.8.0": true, "10.2.0.0": false,
		"fd00::7f": true, "fd00::80": false, "fd00::90": true, "fd00::100": false, "172.16.5.5": true,
		"::ffff:10.1.0.1": true, // a mapped address is its IPv4 one
		"10.0.255.255":    false,
	} {
		if got := s.Contains(netip.MustParseAddr(a)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", a, got, want)
		}
	}
}

func TestPortsSpec(t *testing.T) {
	p, err := ParsePorts("1-5,U:53,161,T:80,22,U:53")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(p.TCP) != "[1 2 3 4 5 22 80]" || fmt.Sprint(p.UDP) != "[53 161]" {
		t.Errorf("ports = %v / %v", p.TCP, p.UDP)
	}
	if p, err := ParsePorts("65530-"); err != nil || len(p.TCP) != 6 {
		t.Errorf("open range: %v %v", p, err)
	}
	for spec, tok := range map[string]string{"1-1024,U:53,70000": "70000", "22,x": "x", "0": "0", "10-5": "10-5", "22,,23": "", "U:": "U:"} {
		_, err := ParsePorts(spec)
		var e *Error
		if !errors.As(err, &e) || e.Token != tok {
			t.Errorf("ParsePorts(%q) = %v, want an error naming %q", spec, err, tok)
		}
	}
}

func TestPermCoversEveryIndexOnce(t *testing.T) {
	key := [16]byte{1, 2, 3}
	for _, n := range []uint64{1, 2, 3, 4, 5, 7, 16, 17, 255, 256, 1000, 4097, 65536, 70001} {
		p := NewPerm(n, key)
		seen := make([]bool, n)
		fixed := 0
		for i := uint64(0); i < n; i++ {
			x := p.At(i)
			if x >= n || seen[x] {
				t.Fatalf("n=%d: At(%d)=%d repeats or is out of range", n, i, x)
			}
			seen[x] = true
			if x == i {
				fixed++
			}
		}
		if n >= 1000 && fixed > int(n/100) {
			t.Errorf("n=%d: %d fixed points: not a scrambled order", n, fixed)
		}
	}
	// Another key gives another order.
	a, b := NewPerm(1000, key), NewPerm(1000, [16]byte{9})
	same := 0
	for i := uint64(0); i < 1000; i++ {
		if a.At(i) == b.At(i) {
			same++
		}
	}
	if same > 20 {
		t.Errorf("two keys agree on %d of 1000 positions", same)
	}
}

func TestPermLargeIsCheap(t *testing.T) {
	p := NewPerm(1<<24*1024, [16]byte{7}) // a /8 times 1024 ports
	seen := map[uint64]bool{}
	for i := uint64(0); i < 10000; i++ {
		x := p.At(i)
		if x >= p.Len() || seen[x] {
			t.Fatalf("At(%d)=%d", i, x)
		}
		seen[x] = true
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"10.0.0.0/24", "10.0.0.5-40", "fd00::/120", "a-b.lan", "1.2.3.4-1.2.3.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := Parse(context.Background(), spec, Options{MaxAddrs: 1 << 20})
		if err != nil {
			return
		}
		for i := uint64(0); i < s.Len() && i < 50; i++ {
			if j, ok := s.Index(s.At(i)); !ok || j != i {
				t.Fatalf("%q: Index(At(%d)) = %d,%v", spec, i, j, ok)
			}
		}
	})
}

// Outside finds the lowest target a set of subnets does not cover (a
// scanning VLAN's job reaches only the VLAN's subnets).
func TestOutside(t *testing.T) {
	subnets := []netip.Prefix{netip.MustParsePrefix("10.20.0.5/24"), netip.MustParsePrefix("fd00:20::5/64")}
	for _, tc := range []struct {
		spec string
		want string // "" none outside
	}{
		{"10.20.0.0/24", ""},
		{"10.20.0.1-10.20.0.254,fd00:20::1-fd00:20::ff", ""},
		{"10.20.0.0/23", "10.20.1.0"},
		{"10.19.255.255-10.20.0.3", "10.19.255.255"},
		{"10.20.0.9,192.168.1.1", "192.168.1.1"},
		{"fd00:20:0:0:ffff:ffff:ffff:fff0-fd00:20:0:1::3", "fd00:20:0:1::"},
		{"10.20.0.7,fd00:21::1", "fd00:21::1"},
	} {
		s, err := Parse(context.Background(), tc.spec, Options{})
		if err != nil {
			t.Fatal(err)
		}
		a, ok := s.Outside(subnets)
		got := ""
		if ok {
			got = a.String()
		}
		if got != tc.want {
			t.Errorf("%s outside %v: %q, want %q", tc.spec, subnets, got, tc.want)
		}
	}
	s, _ := Parse(context.Background(), "10.20.0.1", Options{})
	if a, ok := s.Outside(nil); !ok || a.String() != "10.20.0.1" {
		t.Errorf("no subnet: %v %v, want 10.20.0.1 outside", a, ok)
	}
}

// TestFamilyOff: with IPv6 scanning off (the platform's setting), an
// IPv6 target is refused with the reason, a dual-stack name gives its
// IPv4 addresses only, and an IPv6-only name is refused; the same the
// other way round in IPv6-only mode.
func TestFamilyOff(t *testing.T) {
	res := mapResolver{
		"dual.lan": {netip.MustParseAddr("10.0.0.80"), netip.MustParseAddr("fd00::80")},
		"v6.lan":   {netip.MustParseAddr("fd00::6")},
	}
	off6 := Options{Resolver: res, NoIPv6: "IPv6 scanning is off on this box"}
	off4 := Options{Resolver: res, NoIPv4: "the box is in IPv6-only mode"}
	for _, tc := range []struct {
		spec    string
		opt     Options
		want    string // addresses, or the error's text
		wantErr bool
	}{
		{"10.0.0.1,dual.lan", off6, "10.0.0.1 10.0.0.80", false},
		{"dual.lan", off4, "fd00::80", false},
		{"10.0.0.1,fd00::1", off6, `target "fd00::1": IPv6 scanning is off on this box`, true},
		{"fd00::/120", off6, `target "fd00::/120": IPv6 scanning is off on this box`, true},
		{"fd00::1-fd00::5", off6, "IPv6 scanning is off", true},
		{"v6.lan", off6, `target "v6.lan": hostname has no address`, true},
		{"10.0.0.0/30", off4, `target "10.0.0.0/30": the box is in IPv6-only mode`, true},
		{"10.0.0.1", Options{NoIPv4: "a", NoIPv6: "b"}, "a", true},
		// Exclusions of an unscannable family are harmless.
		{"10.0.0.1", Options{NoIPv6: "off", Exclude: []string{"fd00::/64"}}, "10.0.0.1", false},
	} {
		s, err := Parse(context.Background(), tc.spec, tc.opt)
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q): %v, want an error with %q", tc.spec, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		if got := strings.Join(all(s), " "); got != tc.want {
			t.Errorf("Parse(%q) = %s, want %s", tc.spec, got, tc.want)
		}
	}
}
