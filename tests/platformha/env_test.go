// Package platformha tests platformd replicas on one PostgreSQL database:
// side by side (a request replayed to another replica, a session and its
// CSRF token on every replica, failed logins counted across them, two
// replicas activating one code at once, a job accepted once), and behind a
// real load balancer, Debian's haproxy in TCP passthrough (boxes pin the
// platform's CA, so TLS ends at the replicas), with health checks: a
// replica killed under load, PostgreSQL restarted, results uploaded
// through any replica stored once. haproxy sends the PROXY protocol (v2)
// and the replicas trust it from its address (-proxy-protocol), so the
// limits per client address and the audit log see each client's own
// address, not the balancer's. The replicas are the real platformd
// binary (testkit/platformproc) on loopback ports, the database a
// throwaway cluster (testkit/pgtest); the boxes are simulated with the
// box's own request signing (platformapi.Sign).
package platformha

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/testkit/pgtest"
	"picket.dev/picket/src/testkit/platformproc"
	"picket.dev/picket/src/testkit/syncbuf"
	"picket.dev/picket/src/testkit/testinput"
)

// env is the replicas on one database, and haproxy in front of them once
// started (balance).
type env struct {
	t     *testing.T
	bin   string
	pg    *pgtest.Cluster
	db    string // connection string
	dir   string // the replicas' data directory (their shared certificate)
	reps  []*platformproc.Proc
	ca    *x509.CertPool
	lb    string // haproxy's host:port
	lbLog *syncbuf.Buffer
}

// balancerAddr is haproxy's address as the replicas see it: it binds
// 127.0.0.1 and connects to the replicas from there. The clients use
// other loopback addresses (platformproc.Loopback), never this one.
const balancerAddr = "127.0.0.1"

// newEnv starts a cluster and n replicas on one database. They share a
// data directory: the first makes the development CA and certificate,
// the others find them there, so every replica shows the one
// certificate boxes pin (with -db the directory holds nothing else).
// They take the PROXY protocol from balancerAddr only: the clients that
// reach them directly come from other addresses and send none.
func newEnv(t *testing.T, n int) *env {
	e := &env{t: t, bin: testinput.Command(t, "platformd"), pg: pgtest.Start(t), dir: t.TempDir()}
	e.db = e.pg.NewDB(t)
	for i := range n {
		p, err := platformproc.Start(e.bin, e.dir, "-db", e.db, "-proxy-protocol", balancerAddr+"/32")
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		t.Cleanup(func() {
			p.Kill()
			if t.Failed() {
				t.Logf("replica %d's log:\n%s", i, p.Output())
			}
		})
		e.reps = append(e.reps, p)
	}
	e.ca = e.reps[0].CA()
	return e
}

// balance starts haproxy in front of the replicas: TCP passthrough with
// a PROXY protocol v2 header first (send-proxy-v2; the health checks
// send one too, check-send-proxy, a LOCAL one), a connect check of each
// replica every 200 ms (down after one failure, up after one success),
// and a connection that could not reach its replica retried on another
// (redispatch), so that a replica's death costs only the requests it was
// serving.
func (e *env) balance() {
	t := e.t
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/haproxy"); err != nil {
			t.Fatalf("haproxy is not installed (%v): tools/fetch installs Debian's haproxy", err)
		}
	}
	ln, err := net.Listen("tcp", balancerAddr+":0")
	if err != nil {
		t.Fatal(err)
	}
	e.lb = ln.Addr().String()
	ln.Close()
	var servers strings.Builder
	for i, p := range e.reps {
		fmt.Fprintf(&servers, "\tserver r%d %s send-proxy-v2 check check-send-proxy inter 200ms fall 1 rise 1\n", i, p.Addr)
	}
	cfg := fmt.Sprintf(`global
	maxconn 2000
defaults
	mode tcp
	timeout connect 2s
	timeout client 30s
	timeout server 30s
	retries 3
	option redispatch 1
frontend platform
	bind %s
	default_backend replicas
backend replicas
	balance roundrobin
%s`, e.lb, servers.String())
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// -db: stay in the foreground, log to stderr; -W off.
	e.lbLog = testinput.Daemon(t, bin, "-db", "-f", path)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", e.lb); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy does not listen on %s:\n%s", e.lb, e.lbLog)
		}
	}
}

// client is an HTTPS client to addr (a replica's or haproxy's) from the
// loopback address src, trusting the platform's CA for its name,
// without keep-alive (a box polling every few minutes keeps no
// connection, and each request dials anew through the balancer).
func (e *env) client(addr string, src netip.Addr) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src.AsSlice()}, Timeout: 5 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: e.ca, ServerName: platformproc.Host},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       20 * time.Second,
	}
}

// box is a simulated box: its key.
type box struct {
	key  ed25519.PrivateKey
	code string
}

func newBox(t *testing.T) *box {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &box{key: key, code: platformapi.ActivationCode(pub)}
}

// signed is one signed box request, sendable (and replayable) to any
// replica: the signature covers the method, path, time, nonce and body,
// not the host.
type signed struct {
	path string
	body []byte
	hdr  http.Header
}

func (b *box) sign(t *testing.T, path string, v any) signed {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "https://"+platformproc.Host+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := platformapi.Sign(req, body, b.key, time.Now()); err != nil {
		t.Fatal(err)
	}
	return signed{path, body, req.Header}
}

// answer is a box API answer: status, the error body or out decoded.
type answer struct {
	status int
	err    platformapi.Error
	took   time.Duration
}

// send posts s with c and decodes a 200 answer into out.
func send(c *http.Client, s signed, out any) (answer, error) {
	req, err := http.NewRequest(http.MethodPost, "https://"+platformproc.Host+s.path, bytes.NewReader(s.body))
	if err != nil {
		return answer{}, err
	}
	req.Header = s.hdr.Clone()
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return answer{took: time.Since(start)}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, took: time.Since(start)}
	if err != nil {
		return a, err
	}
	if resp.StatusCode != http.StatusOK {
		json.Unmarshal(data, &a.err)
		return a, nil
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return a, fmt.Errorf("%s: %w", s.path, err)
		}
	}
	return a, nil
}

// poll polls once as b with c and fails the test unless it is answered.
func (b *box) poll(t *testing.T, c *http.Client) platformapi.PollResponse {
	t.Helper()
	var resp platformapi.PollResponse
	a, err := send(c, b.sign(t, platformapi.PathPoll, platformapi.PollRequest{Board: "ha", Versions: platformapi.Versions{Scanner: "ha"}}), &resp)
	if err != nil || a.status != http.StatusOK {
		t.Fatalf("poll: %v, HTTP %d %+v", err, a.status, a.err)
	}
	return resp
}

// person is a web UI session whose requests go to whichever replica (or
// the balancer) to names, from source address src: one cookie jar for
// all (the URL's host is the certificate's name, the same everywhere),
// a new connection per request.
type person struct {
	t    *testing.T
	e    *env
	jar  http.CookieJar
	to   string
	src  netip.Addr
	csrf string
}

func (e *env) person(to string, src netip.Addr) *person {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &person{t: e.t, e: e, jar: jar, to: to, src: src}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// do sends a request to p.to; a form is posted with the CSRF token of
// the last page read (on whichever replica).
func (p *person) do(method, path string, form url.Values) (int, http.Header, string) {
	p.t.Helper()
	c := p.e.client(p.to, p.src)
	c.Jar = p.jar
	var body io.Reader
	if form != nil {
		form.Set("csrf", p.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, "https://"+platformproc.Host+path, body)
	if err != nil {
		p.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s on %s: %v", method, path, p.to, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	if m := csrfRE.FindSubmatch(b); m != nil {
		p.csrf = string(m[1])
	}
	return resp.StatusCode, resp.Header, string(b)
}

// login logs in as the replicas' account (its form read from p.to).
func (p *person) login() {
	p.t.Helper()
	p.do("GET", "/login", nil)
	if st, _, body := p.do("POST", "/login", url.Values{"username": {platformproc.User}, "password": {platformproc.Password}}); st != http.StatusSeeOther {
		p.t.Fatalf("login on %s: HTTP %d\n%s", p.to, st, body)
	}
}

// activate activates the box showing code and returns its page's path.
func (p *person) activate(code string) string {
	p.t.Helper()
	p.do("GET", "/activate", nil)
	st, h, body := p.do("POST", "/activate", url.Values{"code": {code}})
	loc := h.Get("Location")
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/appliances/") {
		p.t.Fatalf("activate %s: HTTP %d, Location %q\n%s", code, st, loc, body)
	}
	return strings.SplitN(loc, "?", 2)[0]
}

var jobRowRE = regexp.MustCompile(`<tr id="(job-[0-9a-f]+)">`)

// launch launches a scan job on the box of page and returns its id.
func (p *person) launch(page, targets string) string {
	p.t.Helper()
	_, _, before := p.do("GET", page, nil)
	if st, _, body := p.do("POST", page+"/jobs", url.Values{"targets": {targets}, "ports": {"22,80"}}); st != http.StatusSeeOther {
		p.t.Fatalf("launch a job: HTTP %d\n%s", st, body)
	}
	_, _, after := p.do("GET", page, nil)
	for _, m := range jobRowRE.FindAllStringSubmatch(after, -1) {
		if !strings.Contains(before, m[0]) {
			return m[1]
		}
	}
	p.t.Fatalf("no new job on %s", page)
	return ""
}

// parallel runs fn(i) for i in [0, n) at once and waits for them all.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}
