package menu

import (
	"fmt"
	"strings"
	"testing"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/testkit/procedures"
)

// startState is the menu's state for a procedure's start: the
// configuration, and the status a box in it reports once ready.
func startState(s procedures.Start) State {
	st := readyStatus()
	c := s.Config
	switch {
	case c.Mode == netcfg.ModeIPv6Only:
		st.LAN = IPv4Addrs{}
		st.LAN6 = IPv6Addrs{Address: prefix("2001:db8:10::1234/64"), Gateway: addr("fe80::1"), DNS1: addr("2001:db8:10::53")}
	case c.LAN.Method == netcfg.IPv4Static:
		st.LAN = IPv4Addrs{Address: c.LAN.Address, Gateway: c.LAN.Gateway, DNS1: c.LAN.DNS1}
	}
	if c.WAN.Method == netcfg.WANStatic {
		st.WAN = IPv4Addrs{Address: c.WAN.Address, Gateway: c.WAN.Gateway, DNS1: c.WAN.DNS1}
	}
	if s.NotActivated {
		st.Platform, st.Name, st.ActivationCode = PlatformActivation, "", "K7Q2-M4XP-9WRT"
	}
	return State{Config: c.Clone(), Status: st}
}

// TestGuideProcedures replays every procedure of the seed guide and the
// spec (package procedures, written from the guide) on the menu engine of
// a 16x2 panel: each step's keys, then the prompt the guide names, and
// at the end the requests the daemons get. The daemons' side is played
// as they do it: an applied configuration comes back in force.
func TestGuideProcedures(t *testing.T) {
	for _, p := range procedures.All() {
		t.Run(p.Name, func(t *testing.T) {
			st := startState(p.Start)
			mustValid(t, st.Config)
			env := procedures.Env{LANGateway: st.Status.LAN.Gateway}
			start := st.Config.Clone()
			m := New(frame.LCD16x2(), st)
			idle := screenText(m.Render())
			var reqs []*Request
			var log strings.Builder
			press := func(keys string) {
				for _, ev := range parseKeys(t, keys) {
					res := m.Handle(ev)
					fmt.Fprintf(&log, "  %v -> %s\n", ev, screenText(m.Render()))
					if r := res.Request; r != nil {
						reqs = append(reqs, r)
						if r.Action.HasConfig() {
							st.Config = r.Config.Clone()
							m.Update(st)
						}
					}
				}
			}
			shows := func(what string) bool {
				got := screenText(m.Render())
				if what == procedures.Idle {
					return got == idle
				}
				return procedures.Matches(got, what)
			}
			for i, s := range p.Steps {
				if s.Until != "" {
					n := 0
					for ; !shows(s.Until) && n < procedures.MaxRepeat; n++ {
						press(s.Keys)
					}
					if !shows(s.Until) {
						t.Fatalf("%s: step %d %q: %q never appeared after %d x %s; keys and screens:\n%s", p.Source, i+1, s.Says, s.Until, n, s.Keys, log.String())
					}
				} else if s.Keys != "" {
					press(s.Keys)
				}
				if s.Shows != "" && !shows(s.Shows) {
					t.Fatalf("%s: step %d %q: the screen shows %q, the guide says %q; keys and screens:\n%s", p.Source, i+1, s.Says, screenText(m.Render()), s.Shows, log.String())
				}
			}
			n := p.Want.Requests
			if n == 0 && p.Want.Action != "" {
				n = 1
			}
			if len(reqs) != n {
				t.Fatalf("%s: %d requests %v, want %d %q; keys and screens:\n%s", p.Source, len(reqs), reqs, n, p.Want.Action, log.String())
			}
			want := start.Clone()
			if p.Want.Change != nil {
				p.Want.Change(&want, env)
			}
			for _, r := range reqs {
				if r.Action.String() != p.Want.Action {
					t.Errorf("request %v, want %s", r.Action, p.Want.Action)
				}
			}
			if d := netcfg.Diff(want, st.Config); len(d) > 0 {
				t.Errorf("%s: the configuration in force differs from the guide's outcome: %v", p.Source, d)
			}
		})
	}
}
