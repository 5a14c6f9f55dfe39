package checks

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/sigdb"
)

const db = `format: picket-signatures/1
version: 1.0-1
date: 2026-12-07

id: PKT-HTTP-0001
title: HTTP TRACE enabled
class: http
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
http: TRACE /
http-status: 200
http-body: ^TRACE / HTTP/1\.[01]
remediation: Switch TRACE off.

id: PKT-HTTP-0002
title: Directory listing
class: http
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
http: GET /files/
http-status: 200
http-body: <title>Index of /files
evidence: {matched} on {port}
remediation: Switch autoindex off.

id: PKT-HTTP-0003
title: Status page without framing protection
class: http
cvss: 4.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:N
http: GET /files/
http-header: X-Frame-Options absent
http-header: Server ~ ^testsrv/
remediation: r

id: PKT-HTTP-0004
title: Marker beyond 64 KiB never seen
class: http
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
http: GET /big
http-body: END-MARKER
remediation: r

id: PKT-HTTP-0005
title: Marker within 64 KiB seen
class: http
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
http: GET /big
http-body: START-MARKER
http: HEAD /big
http-status: 200
remediation: r

id: PKT-HTTP-0006
title: OPTIONS lists TRACE
class: http
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
http: OPTIONS /
http-header: Allow ~ TRACE
remediation: r
`

// server is a real net/http server that records each request as it came
// off the wire.
type server struct {
	mu   sync.Mutex
	seen []string
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seen = append(s.seen, fmt.Sprintf("%s %s len=%d ua=%q", r.Method, r.RequestURI, r.ContentLength, r.UserAgent()))
	s.mu.Unlock()
	w.Header().Set("Server", "testsrv/1.0")
	switch {
	case r.Method == "TRACE":
		// What Apache does with TraceEnable on: echo the request.
		w.Header().Set("Content-Type", "message/http")
		fmt.Fprintf(w, "TRACE %s %s\r\nHost: %s\r\n", r.RequestURI, r.Proto, r.Host)
	case r.Method == "OPTIONS":
		w.Header().Set("Allow", "GET, HEAD, OPTIONS, TRACE")
	case r.URL.Path == "/files/":
		fmt.Fprint(w, "<html><head><title>Index of /files/</title></head><body><a href=\"a.txt\">a.txt</a></body></html>")
	case r.URL.Path == "/big":
		w.Header().Set("Content-Length", fmt.Sprint(len("START-MARKER")+1<<20+len("END-MARKER")))
		fmt.Fprint(w, "START-MARKER"+strings.Repeat("x", 1<<20)+"END-MARKER")
	default:
		http.NotFound(w, r)
	}
}

func portOf(t *testing.T, u string) uint16 {
	t.Helper()
	ap, err := netip.ParseAddrPort(strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://"))
	if err != nil {
		t.Fatal(err)
	}
	return ap.Port()
}

func TestHTTPChecksOnLoopback(t *testing.T) {
	d, err := sigdb.Compile([]byte(db))
	if err != nil {
		t.Fatal(err)
	}
	plain, tlsSrv := &server{}, &server{}
	hs := httptest.NewServer(plain)
	defer hs.Close()
	hts := httptest.NewTLSServer(tlsSrv)
	defer hts.Close()
	h := &result.Host{Addr: netip.MustParseAddr("127.0.0.1"), Up: true, Ports: []result.Port{
		{Proto: result.TCP, Port: portOf(t, hs.URL), State: result.Open, Service: &result.Service{Name: "http", HTTP: &result.HTTPFacts{Status: 404}}},
		{Proto: result.TCP, Port: portOf(t, hts.URL), State: result.Open, Service: &result.Service{Name: "https", TLS: &result.TLSFacts{Versions: []string{"TLSv1.3"}}}},
	}}
	doer := NewHTTP(&net.Dialer{}, 0)
	fs, err := d.Check(context.Background(), h, sigdb.CheckOptions{HTTP: doer})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s@%d %s", f.ID, f.Port, f.Evidence))
	}
	p1, p2 := h.Ports[0].Port, h.Ports[1].Port
	var want []string
	for _, p := range []uint16{p1, p2} {
		want = append(want,
			fmt.Sprintf("PKT-HTTP-0001@%d TRACE /: 200", p),
			fmt.Sprintf("PKT-HTTP-0002@%d GET /files/: 200 on %d", p, p),
			fmt.Sprintf("PKT-HTTP-0003@%d GET /files/: 200", p),
			fmt.Sprintf("PKT-HTTP-0005@%d GET /big: 200; HEAD /big: 200", p),
			fmt.Sprintf("PKT-HTTP-0006@%d OPTIONS /: 200", p))
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n got  %q\n want %q", got, want)
	}
	// Each distinct request once per port, no body, our User-Agent.
	for name, s := range map[string]*server{"http": plain, "https": tlsSrv} {
		slices.Sort(s.seen)
		ua := fmt.Sprintf("ua=%q", UserAgent)
		wantSeen := []string{"GET /big len=0 " + ua, "GET /files/ len=0 " + ua, "HEAD /big len=0 " + ua, "OPTIONS / len=0 " + ua, "TRACE / len=0 " + ua}
		if !slices.Equal(s.seen, wantSeen) {
			t.Errorf("%s server saw\n %q\n want %q", name, s.seen, wantSeen)
		}
	}
}

func TestHTTPRefusesUnsafe(t *testing.T) {
	doer := NewHTTP(&net.Dialer{}, 0)
	h := &result.Host{Addr: netip.MustParseAddr("127.0.0.1")}
	p := &result.Port{Proto: result.TCP, Port: 1, State: result.Open}
	for _, r := range []sigdb.HTTPRequest{{Method: "POST", Path: "/"}, {Method: "GET", Path: "x"}, {Method: "GET", Path: "/ HTTP/1.0\r\nX: y"}} {
		if _, err := doer.Do(context.Background(), h, p, r); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%+v: %v", r, err)
		}
	}
}

func TestHTTPDialFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	l.Close() // nothing listens there now
	doer := NewHTTP(&net.Dialer{}, 0)
	_, err = doer.Do(context.Background(), &result.Host{Addr: netip.MustParseAddr("127.0.0.1")},
		&result.Port{Proto: result.TCP, Port: port}, sigdb.HTTPRequest{Method: "GET", Path: "/"})
	if err == nil || !strings.Contains(err.Error(), "http check 127.0.0.1:") {
		t.Errorf("dial to a closed port: %v", err)
	}
}
