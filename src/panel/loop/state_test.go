package loop

import (
	"testing"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/menu"
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
