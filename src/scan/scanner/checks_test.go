package scanner

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"testing"

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
