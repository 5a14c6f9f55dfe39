package netstore

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/testkit/crashfs"
)

func testRand(seed byte) *rand.ChaCha8 { return rand.NewChaCha8([32]byte{seed}) }

// Configurations the tests store. A and B both have a proxy password, so
// every write seals and the key's creation is part of the first write.
func cfgA() netcfg.Config {
	return netcfg.Config{
		LAN: netcfg.LAN{Method: netcfg.IPv4Static, Address: netip.MustParsePrefix("192.0.2.10/24"),
			Gateway: netip.MustParseAddr("192.0.2.1"), DNS1: netip.MustParseAddr("192.0.2.53")},
		VLAN:  20,
		Proxy: netcfg.Proxy{Host: "proxy.example.com", Port: 8080, User: `CORP\alice`, Password: netcfg.NewSecret("alpha pw 1")},
		Platform: netcfg.Platform{
			ScanVLANs: []netcfg.ScanVLAN{{ID: 30, Address: netip.MustParsePrefix("10.30.0.5/24")}},
			Routes:    []netcfg.Route{{Destination: netip.MustParsePrefix("10.40.0.0/16"), Gateway: netip.MustParseAddr("10.30.0.1")}},
		},
	}
}

func cfgB() netcfg.Config {
	return netcfg.Config{
		Mode:  netcfg.ModeIPv6Only,
		LANv6: netcfg.LANv6{Method: netcfg.IPv6Auto, DNS1: netip.MustParseAddr("2001:db8::53")},
		Proxy: netcfg.Proxy{Host: "2001:db8::8", Port: 3128, User: "bob", Password: netcfg.NewSecret("bravo#2")},
		Link:  netcfg.Links{LAN: netcfg.Link100Full},
	}
}

// fileState names what a file reads back as: "absent", one of the named
// configurations, or "BROKEN: ..." which no test allows.
func fileState(s *Store, name string, known map[string]netcfg.Config) string {
	c, _, err := s.read(name)
	if err != nil {
		if strings.HasSuffix(err.Error(), "not stored yet") {
			return "absent"
		}
		return "BROKEN: " + err.Error()
	}
	for k, v := range known {
		if netcfg.Equal(c, v) {
			return k
		}
	}
	return fmt.Sprintf("BROKEN: unexpected config %+v", c)
}

// TestPowerCut cuts the power at every step of every kind of write, under
// every model of what survives, and checks that each file then reads back
// as its old or its new content, never a broken or mixed one, and that
// Load picks the right one. A cut after the write returned must keep the
// new content (the write was durable).
func TestPowerCut(t *testing.T) {
	reset := cfgA().Reset()
	known := map[string]netcfg.Config{"A": cfgA(), "B": cfgB(), "R": reset}
	type state struct{ cur, lkg string }
	tests := []struct {
		name    string
		setup   func(*Store) error
		op      func(*Store) error
		prefix  string  // of every error op returns
		before  state   // the files before op
		after   state   // the files after op
		between []state // other allowed states, part way through
		never   []state // states that would break a promise
	}{
		{
			name:   "first save ever (creates the key)",
			setup:  func(*Store) error { return nil },
			op:     func(s *Store) error { return s.Save(cfgB()) },
			prefix: "store config: ",
			before: state{"absent", "absent"}, after: state{"B", "absent"},
		},
		{
			name:   "replace the stored config",
			setup:  func(s *Store) error { return s.Save(cfgA()) },
			op:     func(s *Store) error { return s.Save(cfgB()) },
			prefix: "store config: ",
			before: state{"A", "absent"}, after: state{"B", "absent"},
		},
		{
			name: "mark good",
			setup: func(s *Store) error {
				return errors.Join(s.Save(cfgB()), s.MarkGood(cfgA()))
			},
			op:     func(s *Store) error { return s.MarkGood(cfgB()) },
			prefix: "store last-known-good config: ",
			before: state{"B", "A"}, after: state{"B", "B"},
		},
		{
			name: "reset network settings",
			setup: func(s *Store) error {
				return errors.Join(s.Save(cfgA()), s.MarkGood(cfgA()))
			},
			op:      func(s *Store) error { return s.Reset(reset) },
			prefix:  "reset config: ",
			before:  state{"A", "A"},
			after:   state{"R", "absent"},
			between: []state{{"A", "absent"}},
			// The reset config with the old credentials still stored.
			never: []state{{"R", "A"}},
		},
		{
			name: "factory reset",
			setup: func(s *Store) error {
				return errors.Join(s.Save(cfgA()), s.MarkGood(cfgA()))
			},
			op:      func(s *Store) error { return s.FactoryReset() },
			prefix:  "factory reset: ",
			before:  state{"A", "A"},
			after:   state{"absent", "absent"},
			between: []state{{"A", "absent"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			allowed := append([]state{tc.before, tc.after}, tc.between...)
			seen := map[state]bool{}
			steps, clean := powerCuts(t, tc.setup, tc.op, func(k, steps int, m *crashfs.FS, err error) {
				if k <= steps {
					if !errors.Is(err, crashfs.ErrCrash) || !strings.HasPrefix(err.Error(), tc.prefix) {
						t.Fatalf("cut at step %d (%s): err = %v, want a %q error wrapping the cut", k, m.Log[len(m.Log)-1], err, tc.prefix)
					}
				} else if err != nil {
					t.Fatalf("op failed without a cut: %v", err)
				}
				for _, v := range crashfs.Variants {
					rec := m.AfterPowerCut(v)
					s2 := New(rec, testRand(2))
					got := state{fileState(s2, ConfigFile, known), fileState(s2, LastKnownGoodFile, known)}
					seen[got] = true
					where := fmt.Sprintf("cut after op returned, %+v, files %v", v, rec.Names())
					if k <= steps {
						where = fmt.Sprintf("cut at step %d of %d (%s), %+v, files %v", k, steps, m.Log[len(m.Log)-1], v, rec.Names())
					}
					if !slices.Contains(allowed, got) || slices.Contains(tc.never, got) {
						t.Errorf("%s: files read back as %+v; allowed %+v", where, got, allowed)
						continue
					}
					if k > steps && got != tc.after {
						t.Errorf("%s: files read back as %+v after op returned; want %+v (not durable)", where, got, tc.after)
					}
					checkLoad(t, where, s2.Load(), got, known)
					// The recovered store takes the next write as normal.
					if err := s2.Save(cfgA()); err != nil {
						t.Errorf("%s: save after recovery: %v", where, err)
					} else if l := s2.Load(); l.Source != FromStored || !netcfg.Equal(l.Config, cfgA()) {
						t.Errorf("%s: after recovery and save, Load = %v %v", where, l.Source, l.Reason)
					}
				}
			})
			if steps < 5 {
				t.Fatalf("op took %d steps (%v); the test would prove little", steps, clean)
			}
			if !seen[tc.before] || !seen[tc.after] {
				t.Errorf("outcomes %v do not include both the old %+v and the new %+v state", seen, tc.before, tc.after)
			}
		})
	}
}

// powerCuts runs op once on a store setup prepared, to count its
// file-system steps, then once more for every step with the power cut
// just before it, and once cut just after op returned (k = steps+1), each
// time on a fresh store prepared the same way, and hands each run to
// check with op's error. It returns the step count and the clean run's
// log of them.
func powerCuts(t *testing.T, setup, op func(*Store) error, check func(k, steps int, m *crashfs.FS, err error)) (int, []string) {
	t.Helper()
	m := crashfs.New()
	s := New(m, testRand(1))
	if err := setup(s); err != nil {
		t.Fatal(err)
	}
	start := m.Ops
	if err := op(s); err != nil {
		t.Fatal(err)
	}
	steps, clean := m.Ops-start, m.Log[start:]
	for k := 1; k <= steps+1; k++ {
		m := crashfs.New()
		s := New(m, testRand(1))
		if err := setup(s); err != nil {
			t.Fatal(err)
		}
		m.FailAt = m.Ops + k
		check(k, steps, m, op(s))
	}
	return steps, clean
}

// checkLoad checks that Load follows the fallback order for the files'
// states.
func checkLoad(t *testing.T, where string, l Loaded, st struct{ cur, lkg string }, known map[string]netcfg.Config) {
	t.Helper()
	var wantSrc Source
	var want netcfg.Config
	switch {
	case st.cur != "absent":
		wantSrc, want = FromStored, known[st.cur]
	case st.lkg != "absent":
		wantSrc, want = FromLastKnownGood, known[st.lkg]
	default:
		wantSrc, want = FromDefaults, netcfg.Default()
	}
	if l.Source != wantSrc || !netcfg.Equal(l.Config, want) {
		t.Errorf("%s: Load = %v (%v); want %v", where, l.Source, l.Reason, wantSrc)
	}
	if (l.Reason == nil) != (wantSrc == FromStored) {
		t.Errorf("%s: Load reason = %v for %v", where, l.Reason, l.Source)
	}
}
