package platformapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/scan/result"
)

// worstPollResponse is a poll answer with every field at its limit, each
// text made of the characters that encode longest in JSON where the
// field's alphabet allows them ("<" becomes \u003c).
func worstPollResponse() PollResponse {
	name := strings.Repeat("<", MaxNameLen)
	longV6 := netip.MustParsePrefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")
	longGW := netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")
	s := &Settings{Version: math.MinInt64, Name: name, PollIntervalSeconds: math.MinInt, SignaturesMaxAgeDays: math.MinInt, ScanIPv6: netcfg.ScanIPv6{
		Method: netcfg.ScanIPv6Static, Address: longV6, Gateway: longGW}}
	for i := 0; i < netcfg.MaxScanVLANs; i++ {
		s.ScanVLANs = append(s.ScanVLANs, netcfg.ScanVLAN{ID: 4094, Name: strings.Repeat("v", netcfg.MaxNameLen), Address: longV6})
	}
	for i := 0; i < netcfg.MaxRoutes; i++ {
		s.Routes = append(s.Routes, netcfg.Route{Name: strings.Repeat("r", netcfg.MaxNameLen), Destination: longV6, Gateway: longGW})
	}
	// As many targets as allowed, as long as the total allows: 4096 of 8
	// characters is 32 KiB.
	var targets []string
	for i := 0; i < MaxJobTargets; i++ {
		targets = append(targets, strings.Repeat("a", MaxJobTargetsLen/MaxJobTargets))
	}
	created := time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -(11*3600+59*60)))
	resp := PollResponse{State: StateUnactivated, Name: name, PollIntervalSeconds: math.MinInt, Settings: s, Time: created}
	for i := 0; i < MaxUpdates; i++ {
		resp.Updates = append(resp.Updates, UpdateNotice{Kind: strings.Repeat("<", MaxUpdateKindLen), Version: strings.Repeat("<", MaxUpdateVersionLen),
			Target: strings.Repeat("&", MaxUpdateTargetLen), Force: true})
	}
	var checksOff []string
	for _, c := range result.CheckClasses {
		checksOff = append(checksOff, string(c))
	}
	for i := 0; i < MaxPendingJobs; i++ {
		resp.Jobs = append(resp.Jobs, Job{ID: strings.Repeat("<", MaxJobIDLen), Targets: targets,
			Ports: strings.Repeat("1", MaxPortsLen), VLAN: MaxVLANID, ChecksOff: checksOff, Created: created})
	}
	return resp
}

// TestPollResponseBound encodes a poll answer at every limit as the
// platform does (json.Encoder) and checks it within MaxPollResponse,
// which is within MaxBody, what the box reads: a box whose settings and
// jobs are all at their limits still polls. It also checks that the
// answer is what the limits allow (so the bound is not met by a smaller
// answer than the platform accepts).
func TestPollResponseBound(t *testing.T) {
	resp := worstPollResponse()
	if err := CheckName(resp.Name); err != nil {
		t.Fatalf("name at the limit refused: %v", err)
	}
	for _, j := range resp.Jobs {
		if err := CheckJob(j); err != nil {
			t.Fatalf("job at the limits refused: %v", err)
		}
	}
	for _, n := range resp.Updates {
		if err := CheckUpdate(n); err != nil {
			t.Fatalf("update notice at the limits refused: %v", err)
		}
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(resp); err != nil {
		t.Fatal(err)
	}
	t.Logf("poll answer at every limit: %d bytes; bound %d; the box reads %d", buf.Len(), MaxPollResponse, MaxBody)
	if buf.Len() > MaxPollResponse {
		t.Errorf("encoded %d bytes, more than the computed bound %d", buf.Len(), MaxPollResponse)
	}
	if MaxPollResponse > MaxBody || buf.Len() > MaxBody {
		t.Errorf("bound %d or answer %d over what the box reads (%d)", MaxPollResponse, buf.Len(), MaxBody)
	}
	// The bound is not far off: the worst answer is within 5% of it.
	if float64(buf.Len()) < 0.95*float64(MaxPollResponse) {
		t.Errorf("the worst answer (%d bytes) is far under the bound %d: the bound or the test is wrong", buf.Len(), MaxPollResponse)
	}
	var back PollResponse
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || len(back.Jobs) != MaxPendingJobs || len(back.Settings.ScanVLANs) != netcfg.MaxScanVLANs {
		t.Fatalf("the answer does not decode whole: %v", err)
	}
}

func TestChecks(t *testing.T) {
	okJob := Job{ID: "job-0123456789abcdef", Targets: []string{"10.0.0.0/24", "2001:db8::1", "host.example.com"}, Ports: "22,80,1-1024", VLAN: 4094}
	for _, tc := range []struct {
		name string
		err  error
		want string // "" = accepted
	}{
		{"name", CheckName("lab <1> é"), ""},
		{"empty name", CheckName(""), "required"},
		{"long name", CheckName(strings.Repeat("é", 33)), "66 bytes; at most 64"},
		{"invalid UTF-8 name", CheckName("lab\xff"), "not valid UTF-8"},
		{"control character", CheckName("lab\x1b[2J"), `'\x1b' at position 4`},
		{"bidi override", CheckName("lab\u202egnp"), `'\u202e' at position 4`},
		{"tab", CheckName("a\tb"), `'\t'`},
		{"job", CheckJob(okJob), ""},
		{"no target", CheckJob(Job{ID: "j", Ports: "1"}), "0 targets"},
		{"zoned target", CheckTarget("fe80::1%eth0"), "zone"},
		// Found by FuzzParseJob: the zone was quoted as typed, invalid
		// UTF-8 and all.
		{"zone of invalid UTF-8", CheckTarget("::%\xdd"), "zone (%\ufffd)"},
		{"long target", CheckTarget(strings.Repeat("a", 254)), "254 characters"},
		{"odd target", CheckTarget("a_b"), `"a_b" is not`},
		{"ports", CheckJob(Job{ID: "j", Targets: []string{"h"}, Ports: strings.Repeat("1,", 1025)}), "ports: 1 to 2048"},
		{"ports alphabet", CheckJob(Job{ID: "j", Targets: []string{"h"}, Ports: "22;80"}), "ports"},
		{"udp ports", CheckJob(Job{ID: "j", Targets: []string{"h"}, Ports: "22,80,U:53,161,T:443"}), ""},
		{"targets total", CheckJob(Job{ID: "j", Targets: manyTargets(200, 200), Ports: "1"}), "40000 characters in all"},
		{"vlan", CheckJob(Job{ID: "j", Targets: []string{"h"}, Ports: "1", VLAN: 4095}), "VLAN 4095: 0 (the LAN) or a scanning VLAN's id, 1-4094"},
		{"negative vlan", CheckJob(Job{ID: "j", Targets: []string{"h"}, Ports: "1", VLAN: -1}), "VLAN -1"},
		{"check class", CheckJob(Job{ID: "j", Targets: []string{"h"}, Ports: "1", ChecksOff: []string{"exploit"}}), `check class "exploit": not one of`},
		{"check classes", CheckJob(Job{ID: "j", Targets: []string{"h"}, Ports: "1", ChecksOff: make([]string, 9)}), "9 check classes off"},
		{"job id", CheckJob(Job{ID: strings.Repeat("j", 65), Targets: []string{"h"}, Ports: "1"}), "job id"},
		{"update", CheckUpdate(UpdateNotice{Target: strings.Repeat("u", 257)}), "target"},
		{"signatures max age", CheckSignaturesMaxAgeDays(30), ""},
		{"signatures max age unset", CheckSignaturesMaxAgeDays(0), ""},
		{"signatures max age too long", CheckSignaturesMaxAgeDays(366), "signatures max age 366 days: 1 to 365, or 0 for the default (7)"},
		{"signatures max age negative", CheckSignaturesMaxAgeDays(-1), "signatures max age -1 days"},
	} {
		if tc.err != nil && !utf8.ValidString(tc.err.Error()) {
			t.Errorf("%s: message is not valid UTF-8: %q", tc.name, tc.err)
		}
		switch {
		case tc.want == "" && tc.err != nil:
			t.Errorf("%s: refused: %v", tc.name, tc.err)
		case tc.want != "" && (tc.err == nil || !strings.Contains(tc.err.Error(), tc.want)):
			t.Errorf("%s: error %v; want one containing %q", tc.name, tc.err, tc.want)
		}
	}
}

func TestSignaturesMaxAge(t *testing.T) {
	for in, want := range map[int]int{0: 7, -3: 7, 1: 1, 30: 30, 365: 365, 366: 7} {
		if got := SignaturesMaxAge(in); got != want {
			t.Errorf("SignaturesMaxAge(%d) = %d, want %d", in, got, want)
		}
	}
}

func manyTargets(n, size int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, strings.Repeat("h.", size/2-1)+"hh") // labels of one character
	}
	return out
}

func TestClipText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // never half a character
		{"a\xffb", 10, "a\uFFFDb"},
	} {
		if got := ClipText(tc.in, tc.max); got != tc.want {
			t.Errorf("ClipText(%q, %d) = %q; want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
