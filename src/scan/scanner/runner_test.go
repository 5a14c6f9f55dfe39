package scanner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/result"
)

// fakeLink records the updates the runner queues, as platformlink's queue
// would receive them.
type fakeLink struct {
	mu      sync.Mutex
	updates []platformapi.JobUpdate
}

func (f *fakeLink) Enqueue(u platformapi.JobUpdate) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, u)
	return nil
}

func (f *fakeLink) all() []platformapi.JobUpdate {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]platformapi.JobUpdate(nil), f.updates...)
}

func host(a string, ports ...uint16) result.Host {
	h := result.Host{Addr: netip.MustParseAddr(a), Up: true, UpReason: result.ReasonEcho}
	for _, p := range ports {
		h.Ports = append(h.Ports, result.Port{Proto: result.TCP, Port: p, State: result.Open, Reason: result.ReasonSYNACK})
	}
	return h
}

func newRunner(t *testing.T, link *fakeLink, scan func(context.Context, Config) ([]result.Host, Summary, error)) *Runner {
	t.Helper()
	r, err := NewRunner(RunnerConfig{
		Uploader: link, ProgressEvery: 20 * time.Millisecond, Scan: scan,
		Env: func(context.Context, int) (Env, error) {
			return Env{Iface: "eth0", Management: []netip.Addr{netip.MustParseAddr("10.0.0.53")}}, nil
		},
		Services: func(Env, []result.CheckClass) (ServiceDetector, error) { return nil, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func waitIdle(t *testing.T, r *Runner) {
	t.Helper()
	done := make(chan struct{})
	go func() { r.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("job did not end")
	}
}

// checkUpdates checks what every update must be: its job, a unique upload
// id, within MaxJobUpdate; and returns the hosts uploaded, by address.
func checkUpdates(t *testing.T, ups []platformapi.JobUpdate, job string) map[netip.Addr]int {
	t.Helper()
	ids := map[string]bool{}
	hosts := map[netip.Addr]int{}
	for i, u := range ups {
		if u.JobID != job {
			t.Errorf("update %d: job %q, want %q", i, u.JobID, job)
		}
		if ids[u.UploadID] {
			t.Errorf("update %d: upload id %q used twice", i, u.UploadID)
		}
		ids[u.UploadID] = true
		b, _ := json.Marshal(u)
		if len(b) > platformapi.MaxJobUpdate {
			t.Errorf("update %d: %d bytes, more than %d", i, len(b), platformapi.MaxJobUpdate)
		}
		for _, h := range u.Hosts {
			hosts[h.Addr]++
		}
	}
	return hosts
}

func TestRunnerBadTargetsFailNamingTheToken(t *testing.T) {
	link := &fakeLink{}
	r := newRunner(t, link, func(context.Context, Config) ([]result.Host, Summary, error) {
		t.Error("a job with bad targets was scanned")
		return nil, Summary{}, nil
	})
	for _, j := range []platformapi.Job{
		{ID: "j1", Targets: []string{"10.0.0.1", "10.0.0.300"}, Ports: "22"},
		{ID: "j2", Targets: []string{"10.0.0.1"}, Ports: "22,70000"},
	} {
		if !r.Offer(j) {
			t.Fatal("idle runner refused a job")
		}
		waitIdle(t, r)
	}
	ups := link.all()
	var failed []string
	for _, u := range ups {
		if u.State == platformapi.JobFailed {
			failed = append(failed, u.Error)
		}
	}
	if len(failed) != 2 || !strings.Contains(failed[0], "10.0.0.300") || !strings.Contains(failed[1], "70000") {
		t.Fatalf("failed updates %q; want two naming 10.0.0.300 and 70000", failed)
	}
	if ups[0].State != platformapi.JobAccepted {
		t.Errorf("first update %q, want accepted", ups[0].State)
	}
}

func TestRunnerUploadsBatchesAndSummary(t *testing.T) {
	link := &fakeLink{}
	var sawMgmt, sawRate bool
	r := newRunner(t, link, func(ctx context.Context, cfg Config) ([]result.Host, Summary, error) {
		sawMgmt = cfg.Targets.IsManagement(netip.MustParseAddr("10.0.0.53"))
		sawRate = cfg.Rate == 10000
		hs := []result.Host{host("10.0.0.1", 22), host("10.0.0.2", 80, 443), host("10.0.0.3")}
		cfg.HostDone(hs[0])
		time.Sleep(150 * time.Millisecond) // progress ticks upload the first host
		cfg.HostDone(hs[1])
		return hs, Summary{Targets: cfg.Targets.Len(), Up: 3, Open: 3, Sent: 99, Method: "syn"}, nil
	})
	if !r.Offer(platformapi.Job{ID: "job-a", Targets: []string{"10.0.0.0/28"}, Ports: "22,80,443"}) {
		t.Fatal("refused")
	}
	if max, running := r.Capacity(); max != 1 || running != 1 {
		t.Errorf("capacity while running %d/%d, want 1/1", running, max)
	}
	if r.Offer(platformapi.Job{ID: "job-b", Targets: []string{"10.0.0.1"}, Ports: "22"}) {
		t.Error("a second job was taken while one runs")
	}
	waitIdle(t, r)
	ups := link.all()
	hosts := checkUpdates(t, ups, "job-a")
	for _, a := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		if hosts[netip.MustParseAddr(a)] != 1 {
			t.Errorf("host %s uploaded %d times, want once", a, hosts[netip.MustParseAddr(a)])
		}
	}
	// 10.0.0.1 went up in a running batch, before the end.
	early := false
	for _, u := range ups {
		if u.State == platformapi.JobRunning && len(u.Hosts) > 0 && u.Hosts[0].Addr == netip.MustParseAddr("10.0.0.1") {
			early = true
		}
	}
	if !early {
		t.Error("the first finished host was not uploaded while the scan ran")
	}
	last := ups[len(ups)-1]
	if last.State != platformapi.JobDone || last.Summary == nil || last.Summary.TargetsTotal != 16 || last.Summary.PacketsSent != 99 || last.Summary.Interface != "eth0" {
		t.Errorf("last update %+v summary %+v; want done, 16 targets, 99 packets, eth0", last, last.Summary)
	}
	if !sawMgmt || !sawRate {
		t.Errorf("scan config: management address known %v, rate cap set %v", sawMgmt, sawRate)
	}
	if _, running := r.Capacity(); running != 0 {
		t.Error("runner still busy after the job ended")
	}
}

// blockingScan finds one host, then waits for the cancel and returns it
// as Scan does.
func blockingScan(started chan<- struct{}) func(context.Context, Config) ([]result.Host, Summary, error) {
	return func(ctx context.Context, cfg Config) ([]result.Host, Summary, error) {
		hs := []result.Host{host("10.0.0.7", 22), host("10.0.0.8", 25)}
		cfg.HostDone(hs[0])
		close(started)
		<-ctx.Done()
		return hs, Summary{Up: 2, Open: 2, Method: "syn", Cancelled: true}, nil
	}
}

func TestRunnerCancelBeforeNetworkChangeKeepsPartialResults(t *testing.T) {
	link := &fakeLink{}
	started := make(chan struct{})
	r := newRunner(t, link, blockingScan(started))
	if st := r.State(); st.Running {
		t.Fatal("idle runner reports a job")
	}
	r.Offer(platformapi.Job{ID: "job-c", Targets: []string{"10.0.0.0/24"}, Ports: "1-1024"})
	<-started
	if st := r.State(); !st.Running || st.JobID != "job-c" || st.Progress == nil {
		t.Fatalf("state while running %+v", st)
	}
	c, err := r.CancelScan(context.Background(), "apply network settings")
	if !c || err != nil {
		t.Fatalf("CancelScan = %v, %v; want true, nil", c, err)
	}
	// CancelScan returns once the last update is queued.
	ups := link.all()
	last := ups[len(ups)-1]
	if last.State != platformapi.JobCanceled || !strings.Contains(last.Error, "apply network settings") || last.Summary == nil {
		t.Fatalf("last update %+v; want canceled with the reason and a summary", last)
	}
	hosts := checkUpdates(t, ups, "job-c")
	if hosts[netip.MustParseAddr("10.0.0.7")] != 1 || hosts[netip.MustParseAddr("10.0.0.8")] != 1 {
		t.Errorf("partial hosts uploaded %v; want 10.0.0.7 and 10.0.0.8 once each", hosts)
	}
	if c, err := r.CancelScan(context.Background(), "again"); c || err != nil {
		t.Errorf("CancelScan with nothing running = %v, %v", c, err)
	}
}

func TestRunnerPlatformCancelSendsNothingMore(t *testing.T) {
	link := &fakeLink{}
	started := make(chan struct{})
	r := newRunner(t, link, blockingScan(started))
	r.Offer(platformapi.Job{ID: "job-d", Targets: []string{"10.0.0.0/24"}, Ports: "22"})
	<-started
	r.Cancel("other-job")
	if _, running := r.Capacity(); running != 1 {
		t.Fatal("canceling another job stopped this one")
	}
	r.Cancel("job-d")
	waitIdle(t, r)
	for _, u := range link.all() {
		if u.State != platformapi.JobAccepted && u.State != platformapi.JobRunning {
			t.Errorf("update %s after a platform cancel; want none final", u.State)
		}
	}
}

func TestSplitHostsKeepsUpdatesWithinTheLimit(t *testing.T) {
	var hosts []result.Host
	for i := 0; i < 400; i++ {
		h := host(fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), 22, 80)
		h.Ports[0].Service = &result.Service{Name: "ssh", Banner: strings.Repeat("b", 4000)}
		hosts = append(hosts, h)
	}
	huge := host("10.9.9.9", 80)
	huge.Ports[0].Service = &result.Service{Name: "http", Product: "nginx", Banner: strings.Repeat("x", platformapi.MaxJobUpdate)}
	hosts = append(hosts, huge)
	batches := SplitHosts(hosts, platformapi.MaxJobUpdate)
	n := 0
	for i, b := range batches {
		u := platformapi.JobUpdate{UploadID: strings.Repeat("u", 128), JobID: strings.Repeat("j", platformapi.MaxJobIDLen), State: platformapi.JobDone,
			Error: strings.Repeat("e", platformapi.MaxReportLen), Progress: &platformapi.JobProgress{Phase: "done"}, Summary: &platformapi.ScanSummary{}, Hosts: b}
		data, _ := json.Marshal(u)
		if len(data) > platformapi.MaxJobUpdate {
			t.Errorf("batch %d: %d bytes, more than %d", i, len(data), platformapi.MaxJobUpdate)
		}
		n += len(b)
	}
	if n != len(hosts) || len(batches) < 3 {
		t.Fatalf("%d hosts in %d batches; want all %d in several", n, len(batches), len(hosts))
	}
	last := batches[len(batches)-1]
	if sv := last[len(last)-1].Ports[0].Service; sv == nil || sv.Product != "nginx" || sv.Banner != "" {
		t.Errorf("oversized host's service %+v; want it kept without its banner", sv)
	}
}
