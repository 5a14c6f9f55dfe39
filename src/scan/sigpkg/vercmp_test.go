package sigpkg

import "testing"

// TestCompareVersions: orderings from Debian policy 5.6.12 and dpkg's own
// tests (dpkg --compare-versions gives the same answers), with the
// project's version form (2.2.245-2).
func TestCompareVersions(t *testing.T) {
	less := [][2]string{
		{"2.2.245-2", "2.2.245-10"},
		{"2.2.245-10", "2.2.246-1"},
		{"2.2.9", "2.2.10"},
		{"1.0~rc1", "1.0"},
		{"1.0~~", "1.0~"},
		{"1.0", "1.0-1"},
		{"1.0", "1.0a"},
		{"1.0a", "1.0b"},
		{"1.0b", "1.0+b1"},
		{"1.0", "1.0.0"},
		{"9.2", "9.2p1"},
		{"9.2p1", "9.3"},
		{"1.2-1", "1.2-1+deb12u1"},
		{"1.2-1+deb12u3", "1.2-1+deb12u10"},
		{"1.2-0", "1.2-1"},
		{"1.9-9", "2.0"},
	}
	for _, p := range less {
		if c := compareVersions(p[0], p[1]); c != -1 {
			t.Errorf("compare(%s, %s) = %d, want -1", p[0], p[1], c)
		}
		if c := compareVersions(p[1], p[0]); c != 1 {
			t.Errorf("compare(%s, %s) = %d, want 1", p[1], p[0], c)
		}
	}
	for _, p := range [][2]string{{"1.0", "1.0"}, {"1.01", "1.1"}, {"1.0", "1.0-0"}, {"2.2.245-2", "2.2.245-02"}} {
		if c := compareVersions(p[0], p[1]); c != 0 {
			t.Errorf("compare(%s, %s) = %d, want 0", p[0], p[1], c)
		}
	}
}
