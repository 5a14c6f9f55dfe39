package menu

import (
	"strings"
	"testing"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// onTrial is st with a change made at the panel on trial, left seconds
// before the network manager reverts it.
func onTrial(st State, left int) State {
	st.Status.Revert = Revert{Pending: true, Left: left, Reason: "GATEWAY UNREACHABLE"}
	return st
}

// committedVLAN commits VLAN 0042 from the idle screen of a DHCP box (the
// VLAN field's ENTER applies it) and returns the menu.
func committedVLAN(t *testing.T, g frame.Geometry) *Menu {
	t.Helper()
	m := New(g, dhcpState())
	openItem(t, m, "ENABLE VLAN ON LAN")
	var req *Request
	for _, ev := range parseKeys(t, "RIGHT RIGHT UP UP UP UP RIGHT UP UP ENTER") {
		if r := m.Handle(ev).Request; r != nil {
			req = r
		}
	}
	if req == nil || req.Action != ActionApply || req.Config.VLAN != 42 {
		t.Fatalf("the VLAN procedure committed %+v", req)
	}
	return m
}

// TestRevertPrompt: after a change made at the panel cut the box off, the
// menu shows REVERT? with the time left over the failed step, on both
// panels; ENTER asks for the revert, DOWN ENTER keeps it, UP goes back.
func TestRevertPrompt(t *testing.T) {
	for _, g := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
		m := committedVLAN(t, g)
		m.Update(onTrial(dhcpState(), 119))
		f := m.Render()
		if got := screenText(f); !strings.HasPrefix(got, "REVERT? 1:59") || !strings.Contains(got, "GATEWAY") {
			t.Fatalf("%v: after the trial began: %q", g, got)
		}
		if n := navOf(f); !n.Down || !n.Enter || n.Up {
			t.Errorf("%v: REVERT? indicators %+v, want DOWN and ENTER", g, n)
		}
		if got := strings.TrimRight(f.Line(0), " "); len([]rune(f.Line(0))) != g.Cols {
			t.Errorf("%v: first line %q is not %d cells", g, got, g.Cols)
		}
		// The countdown moves without ending the screen.
		m.Update(onTrial(dhcpState(), 61))
		if got := screenText(m.Render()); !strings.HasPrefix(got, "REVERT? 1:01") {
			t.Errorf("%v: a minute later: %q", g, got)
		}
		// Keys that are no decision do nothing but DOWN/UP.
		for _, k := range []keyevent.Key{keyevent.Left, keyevent.Right} {
			if r := m.Handle(keyevent.Press(k)); r.Request != nil {
				t.Errorf("%v: %v asked for %v", g, k, r.Request.Action)
			}
		}
		m.Handle(keyevent.Press(keyevent.Down))
		f = m.Render()
		if got := screenText(f); !strings.HasPrefix(got, "KEEP? 1:01") {
			t.Errorf("%v: DOWN shows %q, want KEEP?", g, got)
		}
		if n := navOf(f); !n.Up || !n.Enter || n.Down {
			t.Errorf("%v: KEEP? indicators %+v, want UP and ENTER", g, n)
		}
		m.Handle(keyevent.Press(keyevent.Up))
		if got := screenText(m.Render()); !strings.HasPrefix(got, "REVERT?") {
			t.Errorf("%v: UP from KEEP? shows %q", g, got)
		}
		m.Handle(keyevent.Press(keyevent.Down))
		r := m.Handle(keyevent.Press(keyevent.Enter))
		if r.Request == nil || r.Request.Action != ActionKeep {
			t.Fatalf("%v: ENTER on KEEP? asked for %+v, want keep", g, r.Request)
		}
		if got := screenText(m.Render()); !strings.Contains(got, "KEEPING") {
			t.Errorf("%v: after KEEP: %q", g, got)
		}
		// The manager ends the trial: the idle screen again.
		m.Update(dhcpState())
		if got := screenText(m.Render()); strings.Contains(got, "REVERT") || strings.Contains(got, "KEEP") {
			t.Errorf("%v: after the trial ended: %q", g, got)
		}

		m = committedVLAN(t, g)
		m.Update(onTrial(dhcpState(), 100))
		r = m.Handle(keyevent.Press(keyevent.Enter))
		if r.Request == nil || r.Request.Action != ActionRevert {
			t.Fatalf("%v: ENTER on REVERT? asked for %+v, want revert", g, r.Request)
		}
		if got := screenText(m.Render()); !strings.Contains(got, "REVERTING") {
			t.Errorf("%v: after REVERT: %q", g, got)
		}
	}
}

// TestRevertTimeout: the operator does nothing; when the network manager
// reverted the change by itself the prompt goes, and no key is needed.
func TestRevertTimeout(t *testing.T) {
	m := committedVLAN(t, frame.LCD16x2())
	m.Update(onTrial(dhcpState(), 1))
	m.Handle(keyevent.Press(keyevent.Down)) // at KEEP?, undecided
	m.Update(dhcpState())
	if got := screenText(m.Render()); strings.Contains(got, "KEEP") || strings.Contains(got, "REVERT") {
		t.Fatalf("after the time ran out: %q", got)
	}
	// ENTER opens the menu again, as on any idle screen.
	m.Handle(keyevent.Press(keyevent.Enter))
	if got := screenText(m.Render()); !strings.Contains(got, "SETUP NETWORK") {
		t.Errorf("ENTER after the revert: %q", got)
	}
	// A front end started during a trial shows the prompt first.
	if got := screenText(New(frame.LCD16x2(), onTrial(dhcpState(), 30)).Render()); !strings.HasPrefix(got, "REVERT? 0:30") {
		t.Errorf("a new menu during a trial: %q", got)
	}
}
