package boxapi_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/fleet"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

func scanHost(last byte, banner string) result.Host {
	return result.Host{Addr: netip.AddrFrom4([4]byte{10, 0, 0, last}), Up: true, UpReason: result.ReasonARP,
		Ports: []result.Port{{Proto: result.TCP, Port: 22, State: result.Open, Reason: result.ReasonSYNACK,
			Service: &result.Service{Name: "ssh", Product: "OpenSSH", Version: "9.2p1", Banner: banner, Method: "banner"}}}}
}

func (b *bench) hostsOf(t *testing.T, jobID string) (store.Job, []result.Host) {
	t.Helper()
	var j store.Job
	var hosts []result.Host
	err := b.st.View(func(tx store.Tx) error {
		var err error
		if j, err = tx.Job(jobID); err != nil {
			return err
		}
		return tx.EachHost(jobID, 0, func(h result.Host) error { hosts = append(hosts, h); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return j, hosts
}

// TestScanResults: progress, host batches and the summary are recorded;
// a batch retried under its upload id is stored once; results outside the
// model or over the size bounds are refused with 400 or 413, long texts
// cut; past the store's limits the job is marked truncated and the update
// still recorded.
func TestScanResults(t *testing.T) {
	b := newBench(t)
	b.api.Burst = 1000
	key := newKey(t)
	box := b.activate(t, key, alice)
	job, err := fleet.LaunchJob(b.st, box.ID, alice, "10.0.0.0/24", "1-1024", "", nil, b.clock.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	prog := &platformapi.JobProgress{Phase: "portscan", TargetsTotal: 256, TargetsDone: 100, HostsUp: 2, OpenPorts: 2, PacketsSent: 3000}
	batch1 := platformapi.JobUpdate{UploadID: "b1", JobID: job.ID, State: platformapi.JobRunning, Progress: prog,
		Hosts: []result.Host{scanHost(1, "SSH-2.0-OpenSSH_9.2p1"), scanHost(2, strings.Repeat("é", 400))}}
	for i := range 3 {
		if code, resp, e := b.update(t, key, batch1); code != http.StatusOK || resp.Duplicate != (i > 0) {
			t.Fatalf("batch 1, try %d: %d %+v %+v", i, code, resp, e)
		}
	}
	j, hosts := b.hostsOf(t, job.ID)
	if len(hosts) != 2 || j.Hosts != 2 || j.Progress == nil || *j.Progress != *prog || j.State != platformapi.JobRunning {
		t.Fatalf("after batch 1 (sent 3 times): job %+v, %d hosts; want 2 hosts and the progress", j, len(hosts))
	}
	if got := hosts[1].Ports[0].Service.Banner; len(got) > 256 || !strings.HasPrefix(got, "éé") {
		t.Errorf("an 800-byte banner stored as %d bytes (%q...)", len(got), got[:min(len(got), 8)])
	}

	for name, c := range map[string]struct {
		u    platformapi.JobUpdate
		want int
	}{
		"phase":      {platformapi.JobUpdate{Progress: &platformapi.JobProgress{Phase: "hacking"}}, 400},
		"negative":   {platformapi.JobUpdate{Progress: &platformapi.JobProgress{Phase: "done", HostsUp: -1}}, 400},
		"no address": {platformapi.JobUpdate{Hosts: []result.Host{{Up: true}}}, 400},
		"proto":      {platformapi.JobUpdate{Hosts: []result.Host{{Addr: netip.MustParseAddr("10.0.0.9"), Ports: []result.Port{{Proto: "sctp", Port: 1, State: result.Open}}}}}, 400},
		"state":      {platformapi.JobUpdate{Hosts: []result.Host{{Addr: netip.MustParseAddr("10.0.0.9"), Ports: []result.Port{{Proto: result.TCP, Port: 1, State: "pwned"}}}}}, 400},
		"port 0":     {platformapi.JobUpdate{Hosts: []result.Host{{Addr: netip.MustParseAddr("10.0.0.9"), Ports: []result.Port{{Proto: result.TCP, State: result.Open}}}}}, 400},
		"too large":  {platformapi.JobUpdate{Hosts: []result.Host{scanHost(9, strings.Repeat("x", platformapi.MaxJobUpdate))}}, 413},
	} {
		c.u.UploadID, c.u.JobID, c.u.State = "bad-"+name, job.ID, platformapi.JobRunning
		if code, _, e := b.update(t, key, c.u); code != c.want {
			t.Errorf("%s: %d %+v, want %d", name, code, e, c.want)
		}
	}
	if j, hosts := b.hostsOf(t, job.ID); len(hosts) != 2 || j.Hosts != 2 {
		t.Errorf("refused updates stored hosts: %d", len(hosts))
	}

	// The store's limits: 3 hosts per job.
	b.st.(*store.Bolt).Limits.JobHosts = 3
	sum := &platformapi.ScanSummary{Started: b.clock.Now(), Finished: b.clock.Now(), Method: "syn", TargetsTotal: 256, HostsUp: 4, OpenPorts: 4}
	final := platformapi.JobUpdate{UploadID: "b2", JobID: job.ID, State: platformapi.JobDone, Summary: sum,
		Progress: &platformapi.JobProgress{Phase: "done", TargetsTotal: 256, TargetsDone: 256, HostsUp: 4, OpenPorts: 4},
		Hosts:    []result.Host{scanHost(3, ""), scanHost(4, "")}}
	if code, resp, e := b.update(t, key, final); code != http.StatusOK || resp.Duplicate {
		t.Fatalf("final update past the limit: %d %+v %+v; want it recorded", code, resp, e)
	}
	j, hosts = b.hostsOf(t, job.ID)
	if j.State != platformapi.JobDone || j.Summary == nil || j.Summary.HostsUp != 4 || j.Progress.Phase != "done" {
		t.Errorf("final update not recorded: %+v", j)
	}
	if len(hosts) != 3 || j.Hosts != 3 || !strings.Contains(j.Truncated, "limit of 3 hosts") {
		t.Errorf("past the limit: %d hosts, job %+v; want 3 and truncated", len(hosts), j)
	}
	if !strings.Contains(b.log.String(), "over the limit") {
		t.Errorf("refused hosts not logged:\n%s", b.log)
	}
}
