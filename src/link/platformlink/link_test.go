package platformlink

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/testkit/netbench"
)

func TestActivationFlow(t *testing.T) {
	r := newRig(t)
	l := r.link(t)
	if got := r.mgr.link(t); got.State != "" {
		t.Fatalf("link reported %+v before Run", got)
	}
	run(t, l)
	d := r.clock.WaitTimers(1)[0]
	if d != 2*time.Second {
		t.Errorf("wait after a poll with interval 2 s and jitter factor 1: %v", d)
	}
	got := r.mgr.link(t)
	if got.State != netapi.LinkActivation || got.ActivationCode != r.id.Code() || got.LastPoll.IsZero() {
		t.Fatalf("unactivated: reported %+v, want activation with code %s", got, r.id.Code())
	}
	req, _, n := r.plat.lastPoll()
	if n != 1 {
		t.Fatalf("%d polls, want 1", n)
	}
	if req.Board != "virtual" || req.Versions.Scanner != "1.2.3" || req.Versions.Signatures != SignaturesNone ||
		req.Capacity.CPUs < 1 || req.Capacity.MemoryMB < 1 || req.Capacity.MaxScans != 0 || req.Capacity.ScannerOnline {
		t.Errorf("poll request %+v", req)
	}
	r.plat.set(func(p *fakePlatform) { p.active, p.name = true, "lab-box" })
	r.clock.Fire()
	r.clock.WaitTimers(1)
	got = r.mgr.link(t)
	if got.State != netapi.LinkReady || got.Name != "lab-box" || got.ActivationCode != "" {
		t.Fatalf("activated: reported %+v, want ready with name lab-box", got)
	}
}

func TestBackoff(t *testing.T) {
	r := newRig(t)
	r.plat.set(func(p *fakePlatform) { p.down, p.interval = true, 300 })
	l := r.link(t)
	// The default interval (180 s) caps the backoff before the first answer.
	want := []time.Duration{5, 10, 20, 40, 80, 160, 180, 180}
	for i, w := range want {
		if got := l.cycle(context.Background()); got != w*time.Second {
			t.Errorf("wait after failure %d: %v, want %v", i+1, got, w*time.Second)
		}
		got := r.mgr.link(t)
		if got.State != netapi.LinkCommFailure || !strings.Contains(got.LastError, "down for the test") {
			t.Fatalf("after failure %d: reported %+v, want comm_failure with the platform's reason", i+1, got)
		}
	}
	r.plat.set(func(p *fakePlatform) { p.down = false })
	if got := l.cycle(context.Background()); got != 300*time.Second {
		t.Errorf("wait after recovery: %v, want the platform's 300 s", got)
	}
	if got := r.mgr.link(t); got.State != netapi.LinkActivation || got.LastError != "" {
		t.Fatalf("after recovery: %+v", got)
	}
	// With a 10 min+ interval the cap is 10 min, and jitter stays within 10%.
	r.plat.set(func(p *fakePlatform) { p.down, p.interval = true, 3600 })
	l.interval = time.Hour
	l.failures = 20
	for _, rnd := range []float64{0, 0.5, 0.9999} {
		r.rand = rnd
		got := l.cycle(context.Background())
		if got < 9*time.Minute || got > 11*time.Minute {
			t.Errorf("rand %v: wait %v, want 10 min ±10%%", rnd, got)
		}
	}
}

// TestRetryAfter: a 429 answer's Retry-After (RFC 9110 section 10.2.3:
// delay-seconds or an HTTP date) is the least the link waits before its
// next request, capped at BackoffMax so that a platform cannot silence a
// box for long; without one, the usual backoff applies.
func TestRetryAfter(t *testing.T) {
	r := newRig(t)
	l := r.link(t)
	ctx := context.Background()
	date := r.clock.Now().Add(7 * time.Minute)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"120", 120 * time.Second}, // longer than the 5 s backoff: honoured
		{"2", 10 * time.Second},    // shorter than the backoff after two failures: the backoff
		{"86400", BackoffMax},      // a day: capped
		{"-", 40 * time.Second},    // none: the backoff
		{"soon", 80 * time.Second}, // unreadable: the backoff
		{"-5", 160 * time.Second},  // negative: the backoff
		{date.UTC().Format(http.TimeFormat), date.Truncate(time.Second).Sub(r.clock.Now())}, // a date, 7 min away, over the 180 s backoff
	} {
		r.plat.set(func(p *fakePlatform) { p.limited = tc.header })
		if got := l.cycle(ctx); got != tc.want {
			t.Errorf("Retry-After %q after %d failures: wait %v, want %v", tc.header, l.failures, got, tc.want)
		}
		if got := r.mgr.link(t); got.State != netapi.LinkCommFailure || !strings.Contains(got.LastError, "rate_limited") {
			t.Errorf("Retry-After %q: reported %+v", tc.header, got)
		}
	}
	r.plat.set(func(p *fakePlatform) { p.limited = "" })
	if got := l.cycle(ctx); got != 2*time.Second {
		t.Errorf("after the platform served again: wait %v, want its 2 s interval", got)
	}
}

func TestSettingsAppliedOnce(t *testing.T) {
	r := newRig(t)
	good := func(v int64, vlan int) *platformapi.Settings {
		return &platformapi.Settings{Version: v, Name: "lab-box", PollIntervalSeconds: 60,
			ScanVLANs: []netcfg.ScanVLAN{{ID: vlan, Address: netip.MustParsePrefix("10.9.0.2/24")}}}
	}
	r.plat.set(func(p *fakePlatform) { p.active, p.name, p.interval, p.settings = true, "lab-box", 0, good(3, 42) })
	l := r.link(t)
	ctx := context.Background()
	if got := l.cycle(ctx); got != 60*time.Second {
		t.Errorf("wait %v, want the settings' 60 s", got)
	}
	l.cycle(ctx)
	l.cycle(ctx)
	if n := r.mgr.applyCount(); n != 1 {
		t.Fatalf("settings version 3 handed to the network manager %d times, want 1", n)
	}
	cv, _ := r.mgr.Config(ctx)
	if len(cv.Config.Platform.ScanVLANs) != 1 || cv.Config.Platform.ScanVLANs[0].ID != 42 {
		t.Fatalf("network manager's platform settings %+v", cv.Config.Platform)
	}
	if req, _, _ := r.plat.lastPoll(); req.SettingsVersion != 3 || req.SettingsError != "" {
		t.Errorf("poll reports settings %d %q, want 3", req.SettingsVersion, req.SettingsError)
	}
	// A restart remembers the version: nothing is applied again.
	l = r.link(t)
	l.cycle(ctx)
	if n := r.mgr.applyCount(); n != 1 {
		t.Fatalf("after restart: applied %d times, want 1", n)
	}
	// A refused version is reported and not retried.
	r.plat.set(func(p *fakePlatform) { p.settings = good(4, 5000) })
	l.cycle(ctx)
	l.cycle(ctx)
	l.cycle(ctx)
	if n := r.mgr.applyCount(); n != 2 {
		t.Fatalf("refused version 4 tried %d times, want once", n-1)
	}
	req, _, _ := r.plat.lastPoll()
	if req.SettingsVersion != 3 || !strings.Contains(req.SettingsError, "version 4") {
		t.Fatalf("poll reports settings %d %q, want 3 with version 4's refusal", req.SettingsVersion, req.SettingsError)
	}
	// A newer version is tried and clears the error.
	r.plat.set(func(p *fakePlatform) { p.settings = good(5, 43) })
	l.cycle(ctx)
	l.cycle(ctx)
	if n := r.mgr.applyCount(); n != 3 {
		t.Fatalf("version 5: applied %d times in all, want 3", n)
	}
	if req, _, _ := r.plat.lastPoll(); req.SettingsVersion != 5 || req.SettingsError != "" {
		t.Fatalf("poll reports settings %d %q, want 5 and no error", req.SettingsVersion, req.SettingsError)
	}
}

func TestJobFailedOnceAcrossRestart(t *testing.T) {
	r := newRig(t)
	r.plat.set(func(p *fakePlatform) {
		p.active, p.name, p.jobsDown = true, "lab-box", true
		p.jobs = []platformapi.Job{{ID: "job-1", Targets: []string{"10.0.0.0/24"}, Ports: "1-1024"}}
		p.updates = []platformapi.UpdateNotice{{Kind: "software", Version: "2.0", Target: "software/virtual/2.0/rootfs.img"}}
	})
	ctx := context.Background()
	l := r.link(t)
	l.cycle(ctx)
	l.cycle(ctx)
	r.plat.mu.Lock()
	acked := r.plat.uploads["job-1/failed"]
	r.plat.mu.Unlock()
	if acked != 0 {
		t.Fatal("upload acknowledged while job updates are down")
	}
	// Restart: the pending update is resumed from the data directory.
	r.plat.set(func(p *fakePlatform) { p.jobsDown, p.down = false, true })
	l = r.link(t)
	l.cycle(ctx) // platform down: nothing happens
	r.plat.set(func(p *fakePlatform) { p.down, p.jobs = false, nil })
	l.cycle(ctx) // no jobs listed: the pending update still goes
	r.plat.set(func(p *fakePlatform) { p.jobs = []platformapi.Job{{ID: "job-1"}} })
	l.cycle(ctx)
	l = r.link(t)
	l.cycle(ctx)
	r.plat.mu.Lock()
	defer r.plat.mu.Unlock()
	if len(r.plat.uploads) != 1 || r.plat.uploads["job-1/failed"] != 1 {
		t.Fatalf("uploads %v, want job-1/failed once", r.plat.uploads)
	}
	u := r.plat.lastUpload["job-1/failed"]
	if u.JobID != "job-1" || u.State != platformapi.JobFailed || u.Error != ScannerUnavailable {
		t.Errorf("update %+v", u)
	}
	if n := strings.Count(r.log.String(), "update notice not handed over: no updater configured"); n < 1 {
		t.Errorf("update notice not logged")
	}
}

// TestJobInterruptedByRestart: a job the runner accepted but never
// finished when the scanner stopped (its accepted update and a batch of
// hosts queued or uploaded, no final one) is reported failed, once, at
// the next start, saying why; a job with its final update is left alone.
func TestJobInterruptedByRestart(t *testing.T) {
	r := newRig(t)
	st := state{
		Done: []string{"job-5/accepted", "job-6/accepted", "job-6/u1", "job-6/done"},
		Pending: []platformapi.JobUpdate{
			{UploadID: "job-7/accepted", JobID: "job-7", State: platformapi.JobAccepted},
			{UploadID: "job-7/u1", JobID: "job-7", State: platformapi.JobRunning},
		},
	}
	if err := saveState(r.dir, st); err != nil {
		t.Fatal(err)
	}
	r.plat.set(func(p *fakePlatform) { p.active, p.name = true, "lab-box" })
	ctx := context.Background()
	l := r.link(t)
	l.cycle(ctx)
	l = r.link(t) // a second start finds nothing more to report
	l.cycle(ctx)
	r.plat.mu.Lock()
	defer r.plat.mu.Unlock()
	want := map[string]int{"job-7/accepted": 1, "job-7/u1": 1, "job-5/failed": 1, "job-7/failed": 1}
	if !reflect.DeepEqual(r.plat.uploads, want) {
		t.Fatalf("uploads %v, want %v", r.plat.uploads, want)
	}
	for _, id := range []string{"job-5", "job-7"} {
		if u := r.plat.lastUpload[id+"/failed"]; u.JobID != id || u.State != platformapi.JobFailed || u.Error != Interrupted {
			t.Errorf("final update of %s: %+v", id, u)
		}
	}
}

// TestPollFailuresReported: a poll whose answer the box cannot use (here
// one larger than it reads) is reported in the next poll, which the
// platform hears even when its answers fail: the failures in a row and
// the last error. A good answer clears the report.
func TestPollFailuresReported(t *testing.T) {
	r := newRig(t)
	r.plat.set(func(p *fakePlatform) { p.active, p.name, p.oversize = true, "lab-box", true })
	l := r.link(t)
	ctx := context.Background()
	l.cycle(ctx)
	if req, _, _ := r.plat.lastPoll(); req.PollFailures != 0 || req.PollError != "" {
		t.Fatalf("first poll reports failures %d %q", req.PollFailures, req.PollError)
	}
	if got := r.mgr.link(t); got.State != netapi.LinkCommFailure {
		t.Fatalf("oversized answer: link %+v, want comm_failure", got)
	}
	l.cycle(ctx)
	l.cycle(ctx)
	req, _, _ := r.plat.lastPoll()
	if req.PollFailures != 2 || !strings.Contains(req.PollError, fmt.Sprintf("answer larger than %d bytes", platformapi.MaxBody)) {
		t.Fatalf("third poll reports failures %d %q; want 2 with the size error", req.PollFailures, req.PollError)
	}
	if len(req.PollError) > platformapi.MaxReportLen {
		t.Errorf("reported error of %d bytes; at most %d", len(req.PollError), platformapi.MaxReportLen)
	}
	r.plat.set(func(p *fakePlatform) { p.oversize = false })
	l.cycle(ctx)
	l.cycle(ctx)
	if req, _, _ := r.plat.lastPoll(); req.PollFailures != 0 || req.PollError != "" {
		t.Fatalf("after recovery the poll reports failures %d %q", req.PollFailures, req.PollError)
	}
}

// TestJobUpdateRefusedForGood: an update the platform refuses for good
// (404: a person deleted the job; 409: it is final) or answers
// "canceled" is dropped, not retried for ever ahead of later updates.
func TestJobUpdateRefusedForGood(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		canceled bool
		dropped  bool
	}{
		{"deleted", http.StatusNotFound, false, true},
		{"final", http.StatusConflict, false, true},
		{"canceled", 0, true, true},
		{"unavailable", http.StatusServiceUnavailable, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.plat.set(func(p *fakePlatform) {
				p.active, p.name, p.jobStatus, p.canceled = true, "lab-box", tc.status, tc.canceled
				p.jobs = []platformapi.Job{{ID: "job-1", Targets: []string{"10.0.0.0/24"}, Ports: "1-1024"}}
			})
			l := r.link(t)
			ctx := context.Background()
			l.cycle(ctx)
			l.cycle(ctx)
			r.plat.mu.Lock()
			sent := r.plat.uploads["job-1/failed"]
			r.plat.mu.Unlock()
			want := 1
			if !tc.dropped {
				want = 2 // retried
			}
			if sent != want {
				t.Fatalf("update sent %d times, want %d", sent, want)
			}
			if got := len(l.st.Pending); (got == 0) != tc.dropped {
				t.Fatalf("%d updates still pending; dropped: %v", got, tc.dropped)
			}
		})
	}
}

// TestSourceBinding: with split networking the link sends from the
// management source the network manager reports.
func TestSourceBinding(t *testing.T) {
	r := newRig(t)
	l := r.link(t)
	ctx := context.Background()
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		r.mgr.mu.Lock()
		r.mgr.src = netip.MustParseAddr(src)
		r.mgr.mu.Unlock()
		l.cycle(ctx)
		_, remote, _ := r.plat.lastPoll()
		host, _, _ := net.SplitHostPort(remote)
		if host != src {
			t.Errorf("poll came from %s, want the management source %s", remote, src)
		}
	}
}

// TestPinnedCA: a platform certificate from another CA is refused.
func TestPinnedCA(t *testing.T) {
	r := newRig(t)
	r.ca = netbench.NewCA(t)
	l := r.link(t)
	l.cycle(context.Background())
	got := r.mgr.link(t)
	if got.State != netapi.LinkCommFailure || !strings.Contains(got.LastError, "certificate") {
		t.Fatalf("platform with an unknown CA: reported %+v", got)
	}
	if n := len(r.plat.polls); n != 0 {
		t.Fatalf("%d polls reached the platform", n)
	}
}

// TestProxy: with a proxy configured the link tunnels through it with the
// password the network manager gives in the management path, over the
// local API's socket (the link has no other way to it: the manager keeps
// its store in a directory of its own), and never logs it.
func TestProxy(t *testing.T) {
	const user, password = "boxuser", "Pw-s3cret!leak"
	b := netbench.New(t)
	ns := b.NS("plink")
	ns.Run("ip", "addr", "add", "10.77.0.1/24", "dev", "lo")
	platAddr := "10.77.0.1:8443"
	netbench.Squid(ns, netbench.SquidOptions{
		Listen: netip.MustParseAddrPort("10.77.0.1:3128"), Basic: true, User: user, Password: password,
		ConnectPorts: []int{8443},
	})
	r := newRig(t)
	plat := newFakePlatform(t)
	r.plat = plat
	r.ca = serveTLS(t, ns.Listen("tcp", platAddr), plat, "10.77.0.1")
	r.url = "https://" + platAddr
	r.dial = func(ctx context.Context, network string, local net.Addr, addr string) (net.Conn, error) {
		return ns.DialContext(ctx, network, addr)
	}
	ctx := context.Background()
	cfg := netcfg.Default()
	// First a wrong password is stored: the proxy refuses it.
	cfg.Proxy = netcfg.Proxy{Host: "10.77.0.1", Port: 3128, User: user, Password: netcfg.NewSecret("wrong-Pw-leak")}
	if _, err := r.mgr.Apply(ctx, cfg, netapi.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	l := r.link(t)
	l.cycle(ctx)
	got := r.mgr.link(t)
	if got.State != netapi.LinkCommFailure || !strings.Contains(got.LastError, "via proxy 10.77.0.1:3128") || !strings.Contains(got.LastError, "refused the credentials") {
		t.Fatalf("wrong proxy password: reported %+v", got)
	}
	t.Logf("wrong password: %s", got.LastError)
	// The operator corrects only the password (the proxy in the status
	// stays the same): the next poll uses it.
	cfg.Proxy.Password = netcfg.NewSecret(password)
	if _, err := r.mgr.Apply(ctx, cfg, netapi.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	l.cycle(ctx)
	if got = r.mgr.link(t); got.State != netapi.LinkActivation {
		t.Fatalf("through the proxy: reported %+v", got)
	}
	if n := len(r.plat.polls); n != 1 {
		t.Fatalf("%d polls reached the platform through the proxy, want 1", n)
	}
	// The password came over the socket, asked by the link's uid.
	if want := fmt.Sprintf("path=/v1/management uid=%d", os.Getuid()); strings.Count(r.apiLog.String(), want) != 2 {
		t.Errorf("the local API did not serve the management path once per poll (%q):\n%s", want, r.apiLog)
	}
	for _, s := range []string{r.log.String(), got.LastError, r.apiLog.String()} {
		if strings.Contains(s, password) || strings.Contains(s, "wrong-Pw-leak") {
			t.Fatalf("a proxy password leaked: %s", s)
		}
	}
}

// TestManagementPathRefused: a link whose uid is not in the network
// manager's secret set gets no management path, so it sends nothing to
// the platform, and says why in the state the panel shows.
func TestManagementPathRefused(t *testing.T) {
	r := newRig(t)
	r.serve(t, netapi.WithSecretUIDs(uint32(os.Getuid())+4242))
	l := r.link(t)
	l.cycle(context.Background())
	got := r.mgr.link(t)
	if got.State != netapi.LinkCommFailure || !strings.Contains(got.LastError, "management path") || !strings.Contains(got.LastError, "proxy password") {
		t.Fatalf("refused management path: reported %+v, want comm_failure saying why", got)
	}
	if n := len(r.plat.polls); n != 0 {
		t.Fatalf("%d polls reached the platform without a management path", n)
	}
}

// TestManagementPathKeptWhileUnavailable: when the network manager cannot
// answer (it restarts), the link polls along the last path it was given;
// before it was given any, it cannot poll.
func TestManagementPathKeptWhileUnavailable(t *testing.T) {
	r := newRig(t)
	unavailable := &netapi.Error{Kind: netapi.KindUnavailable, Message: "netmgrd restarting for the test"}
	r.mgr.mu.Lock()
	r.mgr.pathErr = unavailable
	r.mgr.mu.Unlock()
	l := r.link(t)
	ctx := context.Background()
	l.cycle(ctx)
	if got := r.mgr.link(t); got.State != netapi.LinkCommFailure || !strings.Contains(got.LastError, "restarting for the test") {
		t.Fatalf("no management path yet: reported %+v, want comm_failure with the manager's error", got)
	}
	r.mgr.mu.Lock()
	r.mgr.pathErr = nil
	r.mgr.mu.Unlock()
	l.cycle(ctx)
	r.mgr.mu.Lock()
	r.mgr.pathErr = unavailable
	r.mgr.mu.Unlock()
	l.cycle(ctx)
	if _, _, n := r.plat.lastPoll(); n != 2 {
		t.Fatalf("%d polls reached the platform, want 2: with the path, then with the last one", n)
	}
	if got := r.mgr.link(t); got.State != netapi.LinkActivation {
		t.Fatalf("with the last path: reported %+v", got)
	}
	if !strings.Contains(r.log.String(), "using the last one") {
		t.Errorf("the fallback is not logged:\n%s", r.log)
	}
}

// TestTLS13Only: a platform that cannot speak TLS 1.3 is refused.
func TestTLS13Only(t *testing.T) {
	r := newRig(t)
	plat := newFakePlatform(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ca := netbench.NewCA(t)
	srv := &http.Server{Handler: plat, TLSConfig: &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "127.0.0.1")}, MaxVersion: tls.VersionTLS12}}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	r.plat, r.ca, r.url = plat, ca, "https://"+ln.Addr().String()
	l := r.link(t)
	l.cycle(context.Background())
	got := r.mgr.link(t)
	if got.State != netapi.LinkCommFailure || !strings.Contains(got.LastError, "version") {
		t.Fatalf("TLS 1.2 platform: reported %+v", got)
	}
	if len(plat.polls) != 0 {
		t.Fatal("a poll reached a TLS 1.2 platform")
	}
}

// TestRollbackReported: once the network manager rolled back the
// settings the link applied, the next poll reports the rollback and the
// version before them, says why in SettingsError, and the rolled-back
// version is not taken again; a newer one is.
func TestRollbackReported(t *testing.T) {
	r := newRig(t)
	settings := func(v int64, vlan int) *platformapi.Settings {
		return &platformapi.Settings{Version: v, Name: "lab-box", PollIntervalSeconds: 60,
			ScanVLANs: []netcfg.ScanVLAN{{ID: vlan, Address: netip.MustParsePrefix("10.9.0.2/24")}}}
	}
	r.plat.set(func(p *fakePlatform) { p.active, p.name, p.interval, p.settings = true, "lab-box", 0, settings(3, 42) })
	l := r.link(t)
	ctx := context.Background()
	l.cycle(ctx)
	r.plat.set(func(p *fakePlatform) { p.settings = settings(4, 43) })
	l.cycle(ctx)
	l.cycle(ctx)
	if req, _, _ := r.plat.lastPoll(); req.SettingsVersion != 4 || req.Rollback != nil {
		t.Fatalf("before the rollback: settings %d, rollback %+v", req.SettingsVersion, req.Rollback)
	}
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	r.mgr.setRollback(&netapi.Rollback{ID: "platform-1", Source: netapi.SourcePlatform, Op: "apply platform settings", At: at, Reason: "platform settings (platform.scan_vlans[0].id): cut off"})
	l.cycle(ctx)
	l.cycle(ctx)
	req, _, _ := r.plat.lastPoll()
	rb := req.Rollback
	if rb == nil || rb.Source != platformapi.RollbackPlatform || rb.SettingsVersion != 4 || !rb.At.Equal(at) || rb.Reason != "platform settings (platform.scan_vlans[0].id): cut off" {
		t.Fatalf("poll after the rollback reports %+v", rb)
	}
	if req.SettingsVersion != 3 || !strings.Contains(req.SettingsError, "settings version 4 rolled back by the box: platform settings") {
		t.Errorf("poll reports settings %d %q, want 3 and why 4 was rolled back", req.SettingsVersion, req.SettingsError)
	}
	if n := r.mgr.applyCount(); n != 2 {
		t.Errorf("settings handed over %d times, want 2: the rolled-back version is not taken again", n)
	}
	// A restart remembers it all.
	l = r.link(t)
	l.cycle(ctx)
	if req, _, _ := r.plat.lastPoll(); req.Rollback == nil || req.SettingsVersion != 3 || r.mgr.applyCount() != 2 {
		t.Errorf("after a restart: settings %d, rollback %+v, %d hand-overs", req.SettingsVersion, req.Rollback, r.mgr.applyCount())
	}
	r.plat.set(func(p *fakePlatform) { p.settings = settings(5, 44) })
	l.cycle(ctx)
	l.cycle(ctx)
	if req, _, _ := r.plat.lastPoll(); req.SettingsVersion != 5 || req.SettingsError != "" || req.Rollback == nil {
		t.Errorf("version 5: settings %d %q, rollback %+v (still the last one)", req.SettingsVersion, req.SettingsError, req.Rollback)
	}
}
