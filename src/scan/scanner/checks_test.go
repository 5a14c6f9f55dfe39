package scanner

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/sigdb"
	"picket.dev/picket/src/scan/targets"
)

const checksDB = `format: picket-signatures/1
version: 3.1.7-2
date: 2026-12-01

id: PKT-T-HTTP
title: TRACE echoed
class: http
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
http: TRACE /
http-status: 200
http-body: ^TRACE / HTTP/1\.1
remediation: r

id: PKT-T-EXP
title: web server exposed
class: exposed
cvss: 0.0 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N
service: http
evidence: {service} on {port}/{proto}
remediation: r
`

// TestScanRunsChecksAfterServiceDetection: a connect scan of a real HTTP
// server on loopback, service detection, then the checks (one HTTP check
// sending TRACE through the scanner's own doer, one passive): the
// findings land in the host and the summary counts them.
func TestScanRunsChecksAfterServiceDetection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "TRACE" {
			fmt.Fprintf(w, "TRACE %s %s\r\n", r.RequestURI, r.Proto)
			return
		}
		fmt.Fprint(w, "<title>hello</title>")
	}))
	defer srv.Close()
	port := netip.MustParseAddrPort(srv.Listener.Addr().String()).Port()
	db, err := sigdb.Compile([]byte(checksDB))
	if err != nil {
		t.Fatal(err)
	}
	set, err := targets.Parse(context.Background(), "127.0.0.1", targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pp, err := targets.ParsePorts(fmt.Sprint(port))
	if err != nil {
		t.Fatal(err)
	}
	sd, err := NewServices(ServiceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run := func(off []result.CheckClass) ([]result.Host, Summary) {
		var done []result.Host
		hosts, sum, err := Scan(context.Background(), Config{
			Targets: set, Ports: pp, Connect: true, Services: sd,
			Checks: db, ChecksOff: off, CheckHTTP: NewCheckHTTP(ServiceOptions{}),
			HostDone: func(h result.Host) { done = append(done, h) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(hosts) != 1 || len(done) != 1 || len(done[0].Findings) != len(hosts[0].Findings) {
			t.Fatalf("hosts %+v, handed on %+v", hosts, done)
		}
		return hosts, sum
	}
	hosts, sum := run(nil)
	var got []string
	for _, f := range hosts[0].Findings {
		got = append(got, fmt.Sprintf("%s %d %s %s", f.ID, f.Port, f.Severity, f.Evidence))
	}
	want := []string{
		fmt.Sprintf("PKT-T-EXP %d info http on %d/tcp", port, port),
		fmt.Sprintf("PKT-T-HTTP %d medium TRACE /: 200", port),
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n got  %q\n want %q", got, want)
	}
	if sum.Signatures != "3.1.7-2" || sum.Findings[result.Medium] != 1 || sum.Findings[result.Info] != 1 || len(sum.Findings) != 2 {
		t.Errorf("summary %+v", sum)
	}
	hosts, sum = run([]result.CheckClass{result.ClassHTTP})
	if len(hosts[0].Findings) != 1 || hosts[0].Findings[0].ID != "PKT-T-EXP" || sum.Findings[result.Medium] != 0 {
		t.Errorf("http off: %+v, %+v", hosts[0].Findings, sum)
	}
}

// TestRunnerTakesTheDatabaseOncePerJob: the job's checks-off classes and
// the database in force when the job starts reach the scan, and the
// summary uploaded names its version and the finding counts; a database
// swapped in while the scan runs waits for the next job.
func TestRunnerTakesTheDatabaseOncePerJob(t *testing.T) {
	store, pkg := sigStore(t)
	if _, err := store.Install(pkg("3.1.7-2")); err != nil {
		t.Fatal(err)
	}
	link := &fakeLink{}
	var got []string
	var offs, detectOffs [][]result.CheckClass
	r, err := NewRunner(RunnerConfig{
		Uploader: link, ProgressEvery: time.Hour, Signatures: store,
		Env: func(context.Context, int) (Env, error) { return Env{Iface: "eth0"}, nil },
		Services: func(_ Env, off []result.CheckClass) (ServiceDetector, error) {
			detectOffs = append(detectOffs, off)
			return nil, nil
		},
		Scan: func(ctx context.Context, cfg Config) ([]result.Host, Summary, error) {
			if len(got) == 0 { // swapped during the first scan
				if _, err := store.Install(pkg("3.1.8-1")); err != nil {
					t.Error(err)
				}
			}
			got = append(got, cfg.Checks.Version())
			offs = append(offs, cfg.ChecksOff)
			if cfg.CheckHTTP == nil {
				t.Error("no HTTP doer for the checks")
			}
			return nil, Summary{Method: "syn", Signatures: cfg.Checks.Version(), Findings: map[result.Severity]int{result.High: 2}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range []platformapi.Job{
		{ID: "job-1", Targets: []string{"10.0.0.1"}, Ports: "80", ChecksOff: []string{"http", "udp"}},
		{ID: "job-2", Targets: []string{"10.0.0.1"}, Ports: "80"},
	} {
		if !r.Offer(j) {
			t.Fatalf("%s refused", j.ID)
		}
		waitIdle(t, r)
	}
	if !slices.Equal(got, []string{"3.1.7-2", "3.1.8-1"}) {
		t.Errorf("databases the scans ran with: %v, want 3.1.7-2 then 3.1.8-1", got)
	}
	if !slices.Equal(offs[0], []result.CheckClass{result.ClassHTTP, result.ClassUDP}) || len(offs[1]) != 0 {
		t.Errorf("classes off %v", offs)
	}
	// Service detection gets them too: its anonymous FTP login and UDP
	// community/monlist/recursion probes are checks of those classes.
	if len(detectOffs) != 2 || !slices.Equal(detectOffs[0], offs[0]) || len(detectOffs[1]) != 0 {
		t.Errorf("classes off given to service detection %v, want %v", detectOffs, offs)
	}
	var sums []string
	for _, u := range link.all() {
		if u.Summary != nil {
			sums = append(sums, fmt.Sprintf("%s %s %v", u.JobID, u.Summary.Signatures, u.Summary.Findings))
		}
	}
	if want := []string{"job-1 3.1.7-2 map[high:2]", "job-2 3.1.8-1 map[high:2]"}; !slices.Equal(sums, want) {
		t.Errorf("summaries %q, want %q", sums, want)
	}

	// No database loaded: the summary says so.
	link2 := &fakeLink{}
	r2 := newRunner(t, link2, func(ctx context.Context, cfg Config) ([]result.Host, Summary, error) {
		if cfg.Checks != nil {
			t.Error("checks without a database")
		}
		return nil, Summary{Method: "syn"}, nil
	})
	r2.Offer(platformapi.Job{ID: "job-3", Targets: []string{"10.0.0.1"}, Ports: "80"})
	waitIdle(t, r2)
	ups := link2.all()
	if s := ups[len(ups)-1].Summary; s == nil || s.Signatures != "none" || s.Findings != nil {
		t.Errorf("summary without a database: %+v", s)
	}
}
