package sigpkg

import (
	"strings"
	"testing"

	"picket.dev/picket/src/testkit/crashfs"
)

// TestPowerCutDuringInstall cuts the power at every step of installing
// 2.0 over 1.0, under every model of what survives, and loads what the
// data partition then holds: always 1.0 or 2.0, never nothing and never a
// broken file in force; 2.0 once Install has returned.
func TestPowerCutDuringInstall(t *testing.T) {
	k := testKey("release")
	old, neu := pack(t, "1.0", k), pack(t, "2.0", k)
	for n := 1; ; n++ {
		m := crashfs.New()
		s := newStore(t, m, "")
		if _, err := s.Install(old); err != nil {
			t.Fatal(err)
		}
		m.FailAt = m.Ops + n
		_, err := s.Install(neu)
		done := err == nil
		if !done && s.Version() != "1.0" {
			t.Fatalf("cut at step %d: install failed (%v) yet %s is in force", n, err, s.Version())
		}
		for _, v := range crashfs.Variants {
			after := newStore(t, m.AfterPowerCut(v), "")
			if lerr := after.Load(); lerr != nil {
				t.Fatalf("cut at step %d (%s), %+v: nothing loads: %v", n, strings.Join(m.Log, ", "), v, lerr)
			}
			got := after.Version()
			if got != "1.0" && got != "2.0" || done && got != "2.0" {
				t.Fatalf("cut at step %d (%+v, install done %v): %s in force", n, v, done, got)
			}
		}
		if done {
			if n < 3 {
				t.Fatalf("install finished within %d steps: the test cut nothing", n)
			}
			return
		}
	}
}
