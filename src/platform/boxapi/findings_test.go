package boxapi_test

import (
	"crypto/ed25519"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/findings"
	"picket.dev/picket/src/platform/fleet"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

// finding is a finding of signature id (class, severity) on port.
func finding(id string, class result.CheckClass, sev result.Severity, port uint16) result.Finding {
	return result.Finding{ID: id, Title: "title of " + id, Class: class, Severity: sev, CVSS: 5, Proto: result.TCP, Port: port,
		Evidence: "evidence of " + id, Remediation: "fix " + id}
}

func upHost(last byte, fs ...result.Finding) result.Host {
	h := scanHost(last, "")
	h.Findings = fs
	return h
}

// scanJob launches a job, has the box take it and report hosts, ending
// in state; the clock moves a day first, so each scan has its own time.
func (b *bench) scanJob(t *testing.T, key ed25519.PrivateKey, boxID, targets, ports string, off []string, state string, hosts ...result.Host) (store.Job, time.Time) {
	t.Helper()
	b.clock.Advance(24 * time.Hour)
	job, err := fleet.LaunchJob(b.st, boxID, alice, targets, ports, "", off, b.clock.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	k := key
	_, resp, _ := b.poll(t, k, platformapi.PollRequest{Board: "virtual"})
	var got *platformapi.Job
	for i := range resp.Jobs {
		if resp.Jobs[i].ID == job.ID {
			got = &resp.Jobs[i]
		}
	}
	if got == nil || !slices.Equal(got.ChecksOff, off) {
		t.Fatalf("the box got %+v; want job %s with checks off %v", resp.Jobs, job.ID, off)
	}
	b.clock.Advance(time.Minute)
	for i, u := range []platformapi.JobUpdate{
		{UploadID: job.ID + "-acc", JobID: job.ID, State: platformapi.JobAccepted},
		{UploadID: job.ID + "-end", JobID: job.ID, State: state, Hosts: hosts, Summary: &platformapi.ScanSummary{Signatures: "2.2.245-2"}},
	} {
		if code, _, e := b.update(t, k, u); code != http.StatusOK {
			t.Fatalf("job %s update %d: %d %+v", job.ID, i, code, e)
		}
	}
	j, _ := b.hostsOf(t, job.ID)
	return j, b.clock.Now()
}

func (b *bench) tracking(t *testing.T, jobID string) (findings.Tracking, error) {
	t.Helper()
	var tr findings.Tracking
	err := b.st.View(func(tx store.Tx) error { var err error; tr, err = tx.Tracking(jobID); return err })
	return tr, err
}

// entries lists what a tracking list holds, as "addr port id first-seen-day new?".
type seenAs struct {
	addr  string
	port  uint16
	id    string
	first time.Time
}

func keysOf(es []findings.Entry) []seenAs {
	var out []seenAs
	for _, e := range es {
		out = append(out, seenAs{e.Addr.String(), e.Port, e.ID, e.FirstSeen})
	}
	slices.SortFunc(out, func(a, b seenAs) int { return strings.Compare(a.addr+a.id, b.addr+b.id) })
	return out
}

// TestFindingsAcrossScans: three done scans of the same targets (the
// later ones spelled differently), with a canceled scan and a scan of
// other targets between them, through the box API into the store. What
// each scan shows new, known since when, and fixed follows the rules of
// package findings, worked out here by hand from the hosts sent:
//
//	scan 1: .1 A(ssh) B(version); .2 C(tls)          → all new
//	scan 2: .1 A; .2 not up; .3 D(http)              → A since 1, D new; B fixed; C carried (host down)
//	scan 3 (http off): .1 B; .2 C; .3 up, no findings → B new again, C since 1; A fixed; D carried (class off)
func TestFindingsAcrossScans(t *testing.T) {
	b := newBench(t)
	b.api.Burst = 1000
	key := newKey(t)
	box := b.activate(t, key, alice)
	A := finding("PKT-SSH-0001", result.ClassSSH, result.High, 22)
	B := finding("PKT-VER-0002", result.ClassVersion, result.Medium, 80)
	C := finding("PKT-TLS-0003", result.ClassTLS, result.Low, 80)
	D := finding("PKT-HTTP-0004", result.ClassHTTP, result.Critical, 80)

	j1, t1 := b.scanJob(t, key, box.ID, "10.0.0.0/24", "22,80", nil, platformapi.JobDone, upHost(1, A, B), upHost(2, C))
	if j1.Findings[result.High] != 1 || j1.Findings[result.Medium] != 1 || j1.Findings[result.Low] != 1 || len(j1.Findings) != 3 {
		t.Errorf("scan 1 counts %v; want one high, one medium, one low", j1.Findings)
	}
	tr1, err := b.tracking(t, j1.ID)
	if err != nil {
		t.Fatal(err)
	}
	want1 := []seenAs{{"10.0.0.1", 22, A.ID, t1}, {"10.0.0.1", 80, B.ID, t1}, {"10.0.0.2", 80, C.ID, t1}}
	if got := keysOf(tr1.Seen); !slices.Equal(got, want1) || tr1.Prev != "" || len(tr1.Fixed) != 0 {
		t.Errorf("scan 1: seen %v prev %q fixed %v; want %v, no previous, none fixed", got, tr1.Prev, tr1.Fixed, want1)
	}

	// Not previous scans: one canceled (partial: it fixes nothing) and
	// one of other targets.
	jc, _ := b.scanJob(t, key, box.ID, "10.0.0.0/24", "22,80", nil, platformapi.JobCanceled, upHost(1))
	if _, err := b.tracking(t, jc.ID); err == nil {
		t.Errorf("a canceled scan got a tracking record")
	}
	jo, _ := b.scanJob(t, key, box.ID, "10.0.1.0/24", "22,80", nil, platformapi.JobDone, upHost(1))

	j2, t2 := b.scanJob(t, key, box.ID, "10.0.0.9/24", "80,22", nil, platformapi.JobDone, upHost(1, A), upHost(3, D))
	tr2, err := b.tracking(t, j2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tr2.Prev != j1.ID {
		t.Errorf("scan 2 compared with %q; want scan 1 %s (not the canceled %s nor the other targets' %s)", tr2.Prev, j1.ID, jc.ID, jo.ID)
	}
	if got, want := keysOf(tr2.Seen), []seenAs{{"10.0.0.1", 22, A.ID, t1}, {"10.0.0.3", 80, D.ID, t2}}; !slices.Equal(got, want) {
		t.Errorf("scan 2 seen %v; want %v", got, want)
	}
	if got, want := keysOf(tr2.Fixed), []seenAs{{"10.0.0.1", 80, B.ID, t1}}; !slices.Equal(got, want) {
		t.Errorf("scan 2 fixed %v; want %v", got, want)
	}
	if got, want := keysOf(tr2.Carried), []seenAs{{"10.0.0.2", 80, C.ID, t1}}; !slices.Equal(got, want) {
		t.Errorf("scan 2 carried %v; want %v (its host was not up)", got, want)
	}

	j3, t3 := b.scanJob(t, key, box.ID, "10.0.0.0/24", "22,80", []string{"http"}, platformapi.JobDone, upHost(1, B), upHost(2, C), upHost(3))
	tr3, err := b.tracking(t, j3.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tr3.Prev != j2.ID {
		t.Errorf("scan 3 compared with %q; want scan 2 %s", tr3.Prev, j2.ID)
	}
	if got, want := keysOf(tr3.Seen), []seenAs{{"10.0.0.1", 80, B.ID, t3}, {"10.0.0.2", 80, C.ID, t1}}; !slices.Equal(got, want) {
		t.Errorf("scan 3 seen %v; want %v (B back: new again; C known since scan 1)", got, want)
	}
	if got, want := keysOf(tr3.Fixed), []seenAs{{"10.0.0.1", 22, A.ID, t1}}; !slices.Equal(got, want) {
		t.Errorf("scan 3 fixed %v; want %v", got, want)
	}
	if got, want := keysOf(tr3.Carried), []seenAs{{"10.0.0.3", 80, D.ID, t2}}; !slices.Equal(got, want) {
		t.Errorf("scan 3 carried %v; want %v (its check class was off)", got, want)
	}
	if tr3.Fixed[0].LastJob != j2.ID || !tr3.Fixed[0].LastSeen.Equal(t2) {
		t.Errorf("A fixed in scan 3: last seen %v in %s; want %v in scan 2", tr3.Fixed[0].LastSeen, tr3.Fixed[0].LastJob, t2)
	}

	// Deleting a job deletes its record.
	if _, err := fleet.DeleteJob(b.st, box.ID, j3.ID, alice, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.tracking(t, j3.ID); err == nil {
		t.Errorf("a deleted job's tracking record is still there")
	}
}

// TestFindingsChecked: findings outside the model are refused (400);
// long texts are cut with "…" and findings beyond a host's limit
// dropped, both counted on the job; the summary's signature version and
// counts are kept.
func TestFindingsChecked(t *testing.T) {
	b := newBench(t)
	b.api.Burst = 1000
	key := newKey(t)
	box := b.activate(t, key, alice)
	job, err := fleet.LaunchJob(b.st, box.ID, alice, "10.0.0.0/24", "1-1024", "", nil, b.clock.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := finding("PKT-OK-0001", result.ClassBanner, result.Info, 22)
	for name, f := range map[string]func(*result.Finding){
		"no id":          func(f *result.Finding) { f.ID = "" },
		"long id":        func(f *result.Finding) { f.ID = strings.Repeat("x", 65) },
		"severity":       func(f *result.Finding) { f.Severity = "apocalyptic" },
		"class":          func(f *result.Finding) { f.Class = "exploit" },
		"cvss":           func(f *result.Finding) { f.CVSS = 11 },
		"negative cvss":  func(f *result.Finding) { f.CVSS = -1 },
		"proto":          func(f *result.Finding) { f.Proto = "sctp" },
		"port, no proto": func(f *result.Finding) { f.Proto = "" },
	} {
		bad := ok
		f(&bad)
		u := platformapi.JobUpdate{UploadID: "bad-" + name, JobID: job.ID, State: platformapi.JobRunning, Hosts: []result.Host{upHost(1, bad)}}
		if code, _, e := b.update(t, key, u); code != http.StatusBadRequest {
			t.Errorf("%s: %d %+v; want 400", name, code, e)
		}
	}
	sum := &platformapi.ScanSummary{Signatures: "2.2.245-2", Findings: map[result.Severity]int{"bogus": 1}}
	if code, _, _ := b.update(t, key, platformapi.JobUpdate{UploadID: "bad-sum", JobID: job.ID, State: platformapi.JobRunning, Summary: sum}); code != http.StatusBadRequest {
		t.Errorf("summary with an unknown severity: %d; want 400", code)
	}

	long := ok
	long.Evidence, long.Remediation, long.Title = strings.Repeat("e", 5000), strings.Repeat("r", 5000), strings.Repeat("t", 5000)
	many := upHost(2)
	for i := range 300 {
		f := ok
		f.ID = "PKT-MANY-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		many.Findings = append(many.Findings, f)
	}
	host := upHost(1, long, result.Finding{ID: "PKT-HOST-0001", Severity: result.Info, Title: "host-wide"}) // port 0, no proto: the host
	sum = &platformapi.ScanSummary{Signatures: "2.2.245-2", Findings: map[result.Severity]int{result.Info: 302}}
	if code, _, e := b.update(t, key, platformapi.JobUpdate{UploadID: "u1", JobID: job.ID, State: platformapi.JobDone, Summary: sum, Hosts: []result.Host{host, many}}); code != http.StatusOK {
		t.Fatalf("update: %d %+v", code, e)
	}
	j, hosts := b.hostsOf(t, job.ID)
	f := hosts[0].Findings[0]
	if len(f.Evidence) > 512 || !strings.HasSuffix(f.Evidence, "…") || len(f.Remediation) > 2048 || !strings.HasSuffix(f.Remediation, "…") ||
		len(f.Title) > 256 || !strings.HasSuffix(f.Title, "…") {
		t.Errorf("long texts stored as %d, %d, %d bytes", len(f.Evidence), len(f.Remediation), len(f.Title))
	}
	if j.FindingTextsCut != 3 || j.FindingsDropped != 300-256 || len(hosts[1].Findings) != 256 {
		t.Errorf("job counts %d texts cut, %d findings dropped, host 2 has %d; want 3, 44, 256", j.FindingTextsCut, j.FindingsDropped, len(hosts[1].Findings))
	}
	if j.Findings[result.Info] != 2+256 {
		t.Errorf("stored finding counts %v; want %d info", j.Findings, 2+256)
	}
	if j.Summary == nil || j.Summary.Signatures != "2.2.245-2" || j.Summary.Findings[result.Info] != 302 {
		t.Errorf("summary %+v", j.Summary)
	}
	tr, err := b.tracking(t, job.ID)
	if err != nil || len(tr.Seen) != 2+256 {
		t.Errorf("tracking of the done job: %d seen, %v", len(tr.Seen), err)
	}
}
