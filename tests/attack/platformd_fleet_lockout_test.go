package attack_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/testkit/webui"
)

// TestFleetAttackBoxLockout replays issue 12's item 3 against the real
// platformd: settings and jobs that made every poll of a box fail (a
// 180,000-character VLAN name, jobs with 300 kB port lists) are refused;
// a box with every field at the limit, and the most jobs waiting, gets a
// poll answer it reads whole; a box that reports failing polls shows as
// failing; and a person cancels and deletes its jobs (with the CSRF
// token only).
func TestFleetAttackBoxLockout(t *testing.T) {
	p := fleetStart(t, map[string]string{"mgr": "acme", "eve": "evil"})
	s := p.fleetSession("mgr")
	box := p.fleetNewBox()
	page := fleetActivate(t, s, box)

	s.Do("GET", page, nil)
	resp, body := s.Do("POST", page+"/settings", url.Values{"name": {"lab"}, "poll_interval": {"60"}, "ipv6_method": {"off"},
		"vlans": {"100 10.1.0.5/24 " + strings.Repeat("v", 180000)}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "180000 bytes; at most 32") {
		t.Fatalf("180,000-character VLAN name: HTTP %d, want 400 naming the limit", resp.StatusCode)
	}
	for i := 0; i < 4; i++ {
		resp, body := s.Do("POST", page+"/jobs", url.Values{"targets": {"10.0.0.1"}, "ports": {strings.Repeat("80,", 100000)}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "300000 characters; at most 2048") {
			t.Fatalf("job %d with a 300 kB port list: HTTP %d, want 400", i+1, resp.StatusCode)
		}
	}

	// Everything at the limits is taken, and the box still reads it.
	s.Post(page, page+"/settings", webui.LimitSettings())
	for i := 0; i < platformapi.MaxPendingJobs; i++ {
		s.Post(page, page+"/jobs", webui.LimitJob())
	}
	s.Do("GET", page, nil)
	if resp, body := s.Do("POST", page+"/jobs", webui.LimitJob()); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "jobs it has not picked up") {
		t.Fatalf("job %d: HTTP %d, want 400: the box is sent at most %d", platformapi.MaxPendingJobs+1, resp.StatusCode, platformapi.MaxPendingJobs)
	}
	answer, size := box.poll(platformapi.PollRequest{Board: "virtual"})
	t.Logf("poll answer with every field at its limit: %d bytes; the box reads %d", size, platformapi.MaxBody)
	if answer.Settings == nil || len(answer.Settings.ScanVLANs) != 4094 || len(answer.Settings.Routes) != 99 || len(answer.Jobs) != platformapi.MaxPendingJobs {
		t.Fatalf("answer without everything: settings %v, %d jobs", answer.Settings != nil, len(answer.Jobs))
	}

	// A box whose answers fail says so in its next poll; the UI shows it.
	box.poll(platformapi.PollRequest{Board: "virtual", PollFailures: 3, PollError: "/api/v1/box/poll: answer larger than 1048576 bytes"})
	_, list := s.Do("GET", "/appliances", nil)
	if !strings.Contains(list, "status-failing\">polls failing<") {
		t.Errorf("appliances list does not show the failing box:\n%s", list)
	}
	_, boxPage := s.Do("GET", page, nil)
	if !strings.Contains(boxPage, "answer larger than 1048576 bytes") {
		t.Errorf("box page does not show the poll error")
	}

	// Cancel and delete, from the page's forms.
	ids := fleetJobIDs(boxPage)
	if len(ids) != platformapi.MaxPendingJobs {
		t.Fatalf("%d jobs listed, want %d", len(ids), platformapi.MaxPendingJobs)
	}
	if resp, _ := s.Do("POST", page+"/jobs/"+ids[0]+"/cancel", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cancel without the CSRF token: HTTP %d, want 403", resp.StatusCode)
	}
	eve := p.fleetSession("eve")
	for _, act := range []string{"cancel", "delete"} {
		if resp, _ := eve.Do("POST", page+"/jobs/"+ids[0]+"/"+act, url.Values{}); resp.StatusCode == http.StatusSeeOther {
			t.Errorf("another account's %s was accepted", act)
		}
	}
	s.Do("GET", page, nil)
	for _, id := range ids[:4] {
		s.Post(page, page+"/jobs/"+id+"/cancel", url.Values{})
	}
	for _, id := range ids[4:6] {
		s.Post(page, page+"/jobs/"+id+"/delete", url.Values{})
	}
	answer, _ = box.poll(platformapi.PollRequest{Board: "virtual"})
	if len(answer.Jobs) != 2 {
		t.Fatalf("after canceling 4 and deleting 2 of 8 jobs the box is sent %d", len(answer.Jobs))
	}
	// The box hears "canceled" for a canceled job, "no job" for a deleted
	// one: neither is retried for ever by a real box.
	status, data := box.post(platformapi.PathJobUpdate, platformapi.JobUpdate{UploadID: ids[0] + "/running", JobID: ids[0], State: platformapi.JobRunning})
	if status != http.StatusOK || !strings.Contains(string(data), `"canceled":true`) {
		t.Errorf("update of a canceled job: HTTP %d %s", status, data)
	}
	if status, _ := box.post(platformapi.PathJobUpdate, platformapi.JobUpdate{UploadID: ids[4] + "/running", JobID: ids[4], State: platformapi.JobRunning}); status != http.StatusNotFound {
		t.Errorf("update of a deleted job: HTTP %d, want 404", status)
	}
	_, boxPage = s.Do("GET", page, nil)
	if n := strings.Count(boxPage, "canceled by mgr"); n != 4 || strings.Contains(boxPage, ids[4]) {
		t.Errorf("page lists %d jobs canceled by mgr (want 4), deleted job listed: %v", n, strings.Contains(boxPage, ids[4]))
	}
}
