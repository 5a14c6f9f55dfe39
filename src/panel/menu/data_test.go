package menu

import (
	"fmt"
	"slices"
	"testing"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// idleTexts walks the idle screen's pages with RIGHT and returns each
// page's text.
func idleTexts(t *testing.T, m *Menu) []string {
	t.Helper()
	var pages []string
	for range 20 {
		f := m.Render()
		if !f.Fits(m.Geometry()) {
			t.Fatalf("page %q does not fit %v", screenText(f), m.Geometry())
		}
		pages = append(pages, screenText(f))
		if !navOf(f).Right {
			return pages
		}
		m.Handle(keyevent.Press(keyevent.Right))
	}
	t.Fatal("the idle pages do not end")
	return nil
}

// TestDataPartitionPages: what init did to the data partition heads the
// idle screen (docs/front-panel.md: DATA REPAIRED, DATA RESET, DATA ERROR
// and ACTIVATE AGAIN, before the platform's screen, which for a box with a
// new identity is its activation code), on a 16x2 panel and a 20x4, until
// the operator opens the main menu.
func TestDataPartitionPages(t *testing.T) {
	activation := func(st Status) Status {
		st.Platform, st.Name, st.ActivationCode = PlatformActivation, "", "K7QP-M2XD-9RT"
		return st
	}
	for _, c := range []struct {
		name        string
		data        DataEvent
		newIdentity bool
		platform    func(Status) Status
		want        []string // the first pages
	}{
		{"reset", DataReset, true, activation, []string{"DATA RESET DEFAULTS IN USE", "ACTIVATE AGAIN NEW BOX IDENTITY", "K7QP-M2XD-9RT ACTIVATION CODE"}},
		{"repaired, identity kept", DataRepaired, false, nil, []string{"DATA REPAIRED CHECK SETTINGS", "pk_jdoe- 192.168.1.50 *"}},
		{"repaired, identity gone", DataRepaired, true, activation, []string{"DATA REPAIRED CHECK SETTINGS", "ACTIVATE AGAIN NEW BOX IDENTITY", "K7QP-M2XD-9RT ACTIVATION CODE"}},
		{"unavailable", DataUnavailable, false, nil, []string{"DATA ERROR NOTHING IS SAVED", "pk_jdoe- 192.168.1.50 *"}},
		{"mounted", DataMounted, false, nil, []string{"pk_jdoe- 192.168.1.50 *"}},
	} {
		for _, g := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
			t.Run(fmt.Sprintf("%s/%dx%d", c.name, g.Cols, g.Rows), func(t *testing.T) {
				st := dhcpState()
				if c.platform != nil {
					st.Status = c.platform(st.Status)
				}
				st.Status.Data, st.Status.NewIdentity = c.data, c.newIdentity
				m := New(g, st)
				pages := idleTexts(t, m)
				if g == frame.LCD16x2() && len(pages) >= len(c.want) && !slices.Equal(pages[:len(c.want)], c.want) {
					t.Errorf("first pages %q, want %q", pages[:len(c.want)], c.want)
				}
				if g == frame.LCD20x4() && c.want[0] != pages[0] && c.data != DataMounted {
					// 20 columns fit the same words on the same rows.
					t.Errorf("first page %q, want %q", pages[0], c.want[0])
				}
				// The pages go once the operator opened the menu.
				openItem(t, m, "EXIT THIS MENU")
				after := idleTexts(t, m)
				if slices.ContainsFunc(after, func(p string) bool {
					return p == c.want[0] && c.data != DataMounted || p == "ACTIVATE AGAIN NEW BOX IDENTITY"
				}) {
					t.Errorf("after the menu the idle pages are %q; want no data partition page", after)
				}
				if want := c.want[len(c.want)-1]; g == frame.LCD16x2() && after[0] != want {
					t.Errorf("after the menu the first page is %q, want %q", after[0], want)
				}
			})
		}
	}
}
