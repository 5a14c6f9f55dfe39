package loop

import (
	"testing"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/menu"
	"picket.dev/picket/src/system/initapi"
)

func TestPlatformState(t *testing.T) {
	failed := &netapi.ConnTest{Steps: []netapi.Step{{Name: netapi.StepDNS, Result: netapi.StepFailed, Panel: "DNS LOOKUP FAILED"}}}
	passed := &netapi.ConnTest{OK: true, Steps: []netapi.Step{{Name: netapi.StepDNS, Result: netapi.StepPassed}}}
	for _, tc := range []struct {
		name string
		link *netapi.PlatformLink
		test *netapi.ConnTest
		want menu.Platform
		code string
		box  string
	}{
		{"no report yet", nil, passed, menu.PlatformContacting, "", ""},
		{"no report, test failed", nil, failed, menu.PlatformConfigError, "", ""},
		{"activation", &netapi.PlatformLink{State: netapi.LinkActivation, ActivationCode: "ABCD-EFGH-JK1"}, passed, menu.PlatformActivation, "ABCD-EFGH-JK1", ""},
		{"ready", &netapi.PlatformLink{State: netapi.LinkReady, Name: "pk_alice"}, passed, menu.PlatformReady, "", "pk_alice"},
		{"ready beats an old failed test", &netapi.PlatformLink{State: netapi.LinkReady, Name: "pk_alice"}, failed, menu.PlatformReady, "", "pk_alice"},
		{"comm failure", &netapi.PlatformLink{State: netapi.LinkCommFailure}, passed, menu.PlatformCommFailure, "", ""},
		{"comm failure with a failed test says why", &netapi.PlatformLink{State: netapi.LinkCommFailure}, failed, menu.PlatformConfigError, "", ""},
		{"contacting", &netapi.PlatformLink{State: netapi.LinkContacting}, passed, menu.PlatformContacting, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Panel{st: netapi.Status{Platform: tc.link, LastTest: tc.test}}
			st := p.state().Status
			if st.Platform != tc.want || st.ActivationCode != tc.code || st.Name != tc.box {
				t.Errorf("platform %v code %q name %q; want %v %q %q", st.Platform, st.ActivationCode, st.Name, tc.want, tc.code, tc.box)
			}
		})
	}
}

// TestDataNotice: init's notice (initapi.DataNotice) becomes the menu's
// data partition pages; a kind this panel does not know shows none, and a
// new identity is said whatever the kind.
func TestDataNotice(t *testing.T) {
	for _, tc := range []struct {
		n           initapi.DataNotice
		want        menu.DataEvent
		newIdentity bool
	}{
		{initapi.DataNotice{}, menu.DataMounted, false},
		{initapi.DataNotice{Data: initapi.DataRepaired}, menu.DataRepaired, false},
		{initapi.DataNotice{Data: initapi.DataRepaired, NewIdentity: true}, menu.DataRepaired, true},
		{initapi.DataNotice{Data: initapi.DataReset, NewIdentity: true}, menu.DataReset, true},
		{initapi.DataNotice{Data: initapi.DataUnavailable}, menu.DataUnavailable, false},
		{initapi.DataNotice{Data: "shrunk", NewIdentity: true}, menu.DataMounted, true},
	} {
		p := &Panel{menu: menu.New(frame.LCD16x2(), menu.State{})}
		p.DataNotice(tc.n)
		if st := p.menu.State().Status; st.Data != tc.want || st.NewIdentity != tc.newIdentity {
			t.Errorf("%+v: menu has data %v, new identity %v; want %v, %v", tc.n, st.Data, st.NewIdentity, tc.want, tc.newIdentity)
		}
	}
}
