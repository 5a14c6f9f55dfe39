package vercmp

import (
	"errors"
	"os/exec"
	"testing"
)

// dpkgTable: every expectation was produced by dpkg 1.21.22 on Debian 12
// (`dpkg --compare-versions A lt|eq|gt B`); TestTableAgainstDpkg checks
// the table against the dpkg on the machine again.
var dpkgTable = []struct {
	a, b string
	want int
}{
	{"9.2p1", "9.3", -1},
	{"9.3", "9.3p1", -1},
	{"9.3p1", "9.3p2", -1},
	{"9.2p1", "9.3p2", -1},
	{"9.3p2", "9.3p2", 0},
	{"8.9p1", "9.0p1", -1},
	{"9.6p1", "9.10p1", -1},
	{"1.22.1", "1.22.0", 1},
	{"1.22.1", "1.24.0", -1},
	{"1.2.3", "1.22.1", -1},
	{"2.4.57", "2.4.58", -1},
	{"2.4.9", "2.4.57", -1},
	{"2.4.57", "2.4.57", 0},
	{"4.96", "4.97", -1},
	{"4.96", "4.96.1", -1},
	{"4.9", "4.96", -1},
	{"1.3.8b", "1.3.8", 1},
	{"1.3.8b", "1.3.8c", -1},
	{"1.3.8", "1.3.8a", -1},
	{"1.3.5e", "1.3.8", -1},
	{"3.0.3", "3.0.10", -1},
	{"3.0.3", "3.0.3", 0},
	{"2.3.4", "2.3.5", -1},
	{"2.3.4", "3.0.3", -1},
	{"1.0.2k", "1.0.2zf", -1},
	{"1.1.1t", "1.1.1w", -1},
	{"1.1.1", "1.1.1a", -1},
	{"3.0.2", "3.0.13", -1},
	{"1:9.2p1-2+deb12u3", "1:9.2p1-2+deb12u2", 1},
	{"1:9.2p1-2+deb12u3", "1:9.2p1-2", 1},
	{"1:9.2p1-2+deb12u3", "1:9.3p2-1", -1},
	{"1:9.2p1-2+deb12u3", "9.9p1-1", 1},
	{"1:8.4p1-5+deb11u2", "1:8.4p1-5+deb11u3", -1},
	{"1:8.4p1-5+deb11u3", "1:9.2p1-2", -1},
	{"0:1.0-1", "1.0-1", 0},
	{"1.0", "1.0-0", 0},
	{"1.0-1", "1.0", 1},
	{"1.0~rc1", "1.0", -1},
	{"1.0~rc1", "1.0~rc2", -1},
	{"1.0~~", "1.0~", -1},
	{"1.0~", "1.0", -1},
	{"1.0", "1.0+b1", -1},
	{"1.0+b1", "1.0.1", -1},
	{"1.0a", "1.0+", -1},
	{"1.0.", "1.0a", 1},
	{"1.0-1~bpo12+1", "1.0-1", -1},
	{"2.4.57-2", "2.4.57-2+deb12u1", -1},
	{"2.4.62-1~deb12u1", "2.4.62-1", -1},
	{"1.22.1-9", "1.22.1-9+deb12u1", -1},
	{"3.0.15-1~deb12u1", "3.0.14-1~deb12u2", 1},
	{"2:4.17.12+dfsg-0+deb12u1", "2:4.17.12+dfsg-0+deb12u1", 0},
	{"2:4.17.12+dfsg-0+deb12u1", "2:4.17.9+dfsg-0+deb12u3", 1},
	{"1.0010", "1.10", 0},
	{"1.01", "1.1", 0},
	{"010", "10", 0},
	{"1.2.3-1ubuntu0.1", "1.2.3-1", 1},
	{"1:7.4p1-10+deb9u7", "1:7.9p1-10+deb10u2", -1},
	{"4.96-15+deb12u4", "4.96-15+deb12u5", -1},
	{"1.3.8+dfsg-4+deb12u3", "1.3.8+dfsg-4+deb12u4", -1},
	{"2022.83", "2020.81", 1},
	{"0.10.4", "0.9.8", 1},
	{"1.3.8rc1", "1.3.8", 1},
	{"1.3.8~rc1", "1.3.8", -1},
	{"a", "1", 1},
	{"1", "a", -1},
}

func TestCompareTable(t *testing.T) {
	for _, c := range dpkgTable {
		if got := Compare(c.a, c.b); got != c.want {
			t.Errorf("Compare(%q, %q) = %d, dpkg says %d", c.a, c.b, got, c.want)
		}
		if got := Compare(c.b, c.a); got != -c.want {
			t.Errorf("Compare(%q, %q) = %d, dpkg says %d", c.b, c.a, got, -c.want)
		}
	}
}

// TestTableAgainstDpkg runs dpkg itself on every row: the table is an
// independent source only as long as it agrees with dpkg. dpkg is part of
// every Debian system the tests run on (CI included); its absence fails.
func TestTableAgainstDpkg(t *testing.T) {
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Fatalf("dpkg not found (it is on every Debian host and in CI): %v", err)
	}
	ops := map[int]string{-1: "lt", 0: "eq", 1: "gt"}
	for _, c := range dpkgTable {
		for want, op := range ops {
			err := exec.Command(dpkg, "--compare-versions", c.a, op, c.b).Run()
			var ee *exec.ExitError
			holds := err == nil
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("dpkg: %v", err)
			}
			if holds != (want == c.want) {
				t.Errorf("dpkg --compare-versions %s %s %s: %v, table says %d", c.a, op, c.b, holds, c.want)
			}
		}
	}
}

func TestParse(t *testing.T) {
	good := map[string]Version{
		"9.2p1":                    {0, "9.2p1", ""},
		"1:9.2p1-2+deb12u3":        {1, "9.2p1", "2+deb12u3"},
		"2:4.17.12+dfsg-0+deb12u1": {2, "4.17.12+dfsg", "0+deb12u1"},
		"1.2-3-4":                  {0, "1.2-3", "4"},
		"1.0~rc1":                  {0, "1.0~rc1", ""},
	}
	for s, want := range good {
		got, err := Parse(s)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("Parse(%q).String() = %q", s, got.String())
		}
	}
	for _, s := range []string{"", "a1", "x:1.0", "1.0-", "1.0 beta", "1.0-1_2", "-1", ":1", "1.0/2", "-1:1.0"} {
		if v, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", s, v)
		}
	}
}

func TestRange(t *testing.T) {
	cases := []struct {
		r    string
		in   []string
		out  []string
		norm string
	}{
		{"< 9.3p2", []string{"9.2p1", "9.3", "9.3p1", "8.4p1", "9.3p1"}, []string{"9.3p2", "9.4", "9.10p1"}, "< 9.3p2"},
		{">= 2.4.0, < 2.4.58", []string{"2.4.0", "2.4.9", "2.4.57"}, []string{"2.2.34", "2.4.58", "2.4.62"}, ">= 2.4.0, < 2.4.58"},
		{">=1.0,<1.0.2zf || >= 1.1.0, < 1.1.1t", []string{"1.0.2k", "1.1.1", "1.1.1s"}, []string{"1.0.2zf", "1.0.9", "1.1.1t", "3.0.2"}, ">= 1.0, < 1.0.2zf || >= 1.1.0, < 1.1.1t"},
		{"= 2.3.4", []string{"2.3.4"}, []string{"2.3.5", "2.3.4a", "2.3"}, "= 2.3.4"},
		{"!= 2.3.4", []string{"2.3.5"}, []string{"2.3.4"}, "!= 2.3.4"},
		{"<= 4.96, > 4.9", []string{"4.96", "4.92"}, []string{"4.97", "4.9", "4.96.1"}, "<= 4.96, > 4.9"},
	}
	for _, c := range cases {
		r, err := ParseRange(c.r)
		if err != nil {
			t.Fatalf("ParseRange(%q): %v", c.r, err)
		}
		if r.String() != c.norm {
			t.Errorf("ParseRange(%q).String() = %q", c.r, r.String())
		}
		for _, v := range c.in {
			if !r.Contains(Split(v)) {
				t.Errorf("%q should contain %q", c.r, v)
			}
		}
		for _, v := range c.out {
			if r.Contains(Split(v)) {
				t.Errorf("%q should not contain %q", c.r, v)
			}
		}
	}
	for _, bad := range []string{"", "9.3", "< ", "<< 9.3", "< 9.3,", "< 9.3 ||", "~ 1.0", "< a1", "=> 1.0"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("ParseRange(%q): no error", bad)
		}
	}
}

// FuzzVersionCompare checks the order's laws on any strings: no panic,
// reflexive, antisymmetric, and consistent with a third version.
func FuzzVersionCompare(f *testing.F) {
	for _, c := range dpkgTable {
		f.Add(c.a, c.b, "1.0")
	}
	f.Add("~~", "~", "")
	f.Add("1:", "-", ":")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		ab, ba := Compare(a, b), Compare(b, a)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("Compare(%q,%q)=%d, reverse %d", a, b, ab, ba)
		}
		if Compare(a, a) != 0 {
			t.Fatalf("Compare(%q,%q) != 0", a, a)
		}
		if ab <= 0 && Compare(b, c) <= 0 && Compare(a, c) > 0 {
			t.Fatalf("not transitive: %q <= %q <= %q but %q > %q", a, b, c, a, c)
		}
		if v, err := Parse(a); err == nil && CompareVersions(v, Split(a)) != 0 {
			t.Fatalf("Parse and Split disagree on %q", a)
		}
		if r, err := ParseRange(a); err == nil {
			_ = r.Contains(Split(b))
			if _, err := ParseRange(r.String()); err != nil {
				t.Fatalf("range %q prints as %q, which does not parse: %v", a, r.String(), err)
			}
		}
	})
}
