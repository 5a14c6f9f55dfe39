package netstore

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/testkit/crashfs"
)

// bootConfig is what netmgr runs after a restart on s: the last-known-good
// copy when a change was on trial (netmgr's rollBackAtBoot), else what
// Load gives. It fails on a record or file that does not read back.
func bootConfig(s *Store) (netcfg.Config, error) {
	_, onTrial, err := s.LoadTrial()
	if err != nil {
		return netcfg.Config{}, err
	}
	if onTrial {
		return s.LastKnownGood()
	}
	l := s.Load()
	if l.Source != FromStored {
		return netcfg.Config{}, fmt.Errorf("loaded the %v: %v", l.Source, l.Reason)
	}
	return l.Config, nil
}

// TestTrialPowerCut cuts the power at every step of the writes of a change
// on trial and of its end, under every model of what survives: the
// configuration the box restarts on is always a whole one, and the
// last-known-good one (A) whenever the change (B) had not been confirmed.
func TestTrialPowerCut(t *testing.T) {
	tr := Trial{ID: "platform-1", Source: "platform", Op: "apply platform settings", Started: time.Unix(1000, 0), Deadline: time.Unix(1180, 0), Reason: "GATEWAY UNREACHABLE"}
	rb := Rollback{ID: tr.ID, Source: tr.Source, Op: tr.Op, At: time.Unix(1180, 0), Reason: "rolled back"}
	good := func(s *Store) error { return errors.Join(s.Save(cfgA()), s.MarkGood(cfgA())) }
	onTrial := func(s *Store) error { return errors.Join(good(s), s.SaveTrial(tr), s.Save(cfgB())) }
	tests := []struct {
		name  string
		setup func(*Store) error
		op    func(*Store) error
		// want is what the box restarts on, whatever the cut; after is
		// what it restarts on once op returned, when that differs.
		want, after string
	}{
		{"put on trial and store", good, func(s *Store) error { return errors.Join(s.SaveTrial(tr), s.Save(cfgB())) }, "A", "A"},
		{"roll back", onTrial, func(s *Store) error { return s.RollBack(cfgA(), rb) }, "A", "A"},
		{"confirm", onTrial, func(s *Store) error { return errors.Join(s.MarkGood(cfgB()), s.ClearTrial()) }, "A or B", "B"},
		{"kept by the operator", onTrial, func(s *Store) error { return s.ClearTrial() }, "A or B", "B"},
	}
	known := map[string]netcfg.Config{"A": cfgA(), "B": cfgB()}
	name := func(c netcfg.Config) string {
		for k, v := range known {
			if netcfg.Equal(c, v) {
				return k
			}
		}
		return fmt.Sprintf("unexpected %+v", c)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			powerCuts(t, tc.setup, tc.op, func(k, steps int, m *crashfs.FS, err error) {
				if k <= steps && !errors.Is(err, crashfs.ErrCrash) {
					t.Fatalf("cut at step %d: err = %v, want the cut", k, err)
				}
				for _, v := range crashfs.Variants {
					s2 := New(m.AfterPowerCut(v), testRand(2))
					c, err := bootConfig(s2)
					if err != nil {
						t.Errorf("cut at step %d of %d, %+v: %v", k, steps, v, err)
						continue
					}
					got := name(c)
					seen[got] = true
					want := tc.want
					if k > steps {
						want = tc.after
					}
					if got != want && !(want == "A or B" && (got == "A" || got == "B")) {
						t.Errorf("cut at step %d of %d, %+v: restarts on %s, want %s", k, steps, v, got, want)
					}
				}
			})
			if tc.want == "A or B" && !(seen["A"] && seen["B"]) {
				t.Errorf("outcomes %v: the cuts should reach both sides", seen)
			}
		})
	}
}

// TestTrialRecords: the records read back as written; none is none.
func TestTrialRecords(t *testing.T) {
	s := New(crashfs.New(), testRand(1))
	if _, ok, err := s.LoadTrial(); ok || err != nil {
		t.Fatalf("LoadTrial on an empty store: %v %v", ok, err)
	}
	if _, err := s.LastKnownGood(); !errors.Is(err, ErrNotStored) {
		t.Fatalf("LastKnownGood on an empty store: %v, want ErrNotStored", err)
	}
	tr := Trial{ID: "panel-7", Source: "panel", Op: "apply", Started: time.Unix(5, 0).UTC(), Deadline: time.Unix(125, 0).UTC(), Reason: "DNS LOOKUP FAILED", Changes: []string{"vlan"}}
	if err := s.SaveTrial(tr); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.LoadTrial()
	if err != nil || !ok || got.ID != tr.ID || !got.Deadline.Equal(tr.Deadline) || got.Changes[0] != "vlan" {
		t.Fatalf("LoadTrial = %+v %v %v", got, ok, err)
	}
	if err := errors.Join(s.Save(cfgA()), s.MarkGood(cfgA()), s.Reset(cfgA().Reset())); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.LoadTrial(); ok {
		t.Errorf("a reset kept the change on trial")
	}
}
