package platformlink_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/testkit/netbench"
	"picket.dev/picket/src/testkit/testinput"
)

// platformd is the real platform server in the LAN side namespace, and a
// browser session on its web UI.
type platformd struct {
	t    *testing.T
	e    *env
	dir  string
	args []string // platformd's serving flags
	proc *netbench.Proc
	web  *http.Client
	csrf string
}

const webUser, webPass = "admin", "e2e-Admin-pw-1"

func startPlatformd(t *testing.T, e *env) *platformd {
	t.Helper()
	p := &platformd{t: t, e: e, dir: filepath.Join(e.dir, "platform")}
	certFile, keyFile := filepath.Join(e.dir, "platform.pem"), filepath.Join(e.dir, "platform.key")
	var chain []byte
	for _, der := range e.cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(e.cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(e.dir, "admin.pw")
	for f, data := range map[string][]byte{certFile: chain, keyFile: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), pwFile: []byte(webPass + "\n")} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := e.net.Try(testinput.Command(t, "platformd"), "-data", p.dir, "-create-user", webUser, "-password-file", pwFile); err != nil {
		t.Fatalf("platformd -create-user: %v\n%s", err, out)
	}
	p.args = []string{"-data", p.dir, "-listen", lanGW.String() + ":443", "-cert", certFile, "-key", keyFile}
	p.start()
	jar, _ := cookiejar.New(nil)
	p.web = &http.Client{
		Jar: jar,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{ServerName: platHost, RootCAs: caPool(t, e)},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return e.net.DialContext(ctx, network, lanGW.String()+":443")
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	return p
}

func caPool(t *testing.T, e *env) *x509.CertPool {
	pemData, err := os.ReadFile(e.caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemData)
	return pool
}

// start runs platformd serving the box API and the web UI on the LAN
// side's port 443 (it keeps its database across restarts).
func (p *platformd) start() {
	p.t.Helper()
	p.proc = p.e.net.Start("platformd", append([]string{testinput.Command(p.t, "platformd")}, p.args...)...)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := p.e.net.Dial("tcp", lanGW.String()+":443")
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("platformd does not listen:\n%s", p.proc.Output())
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// do sends a web request; form, when not nil, is posted with the CSRF
// token of the last page.
func (p *platformd) do(method, path string, form url.Values) (*http.Response, string) {
	p.t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("csrf", p.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, "https://"+platHost+path, body)
	if err != nil {
		p.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := p.web.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(b); m != nil {
		p.csrf = string(m[1])
	}
	return resp, string(b)
}

func (p *platformd) login() {
	p.t.Helper()
	p.do("GET", "/login", nil)
	resp, body := p.do("POST", "/login", url.Values{"username": {webUser}, "password": {webPass}})
	if resp.StatusCode != http.StatusSeeOther {
		p.t.Fatalf("login: HTTP %d\n%s", resp.StatusCode, body)
	}
	p.do("GET", "/appliances", nil)
}

// activate activates the box by code and returns its page's path.
func (p *platformd) activate(code string) string {
	p.t.Helper()
	resp, body := p.do("POST", "/activate", url.Values{"code": {code}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/appliances/") {
		p.t.Fatalf("activate %s: HTTP %d %s\n%s", code, resp.StatusCode, loc, body)
	}
	return strings.SplitN(loc, "?", 2)[0]
}

func (p *platformd) post(path string, form url.Values) {
	p.t.Helper()
	p.do("GET", strings.TrimSuffix(strings.TrimSuffix(path, "/settings"), "/jobs"), nil)
	resp, body := p.do("POST", path, form)
	if resp.StatusCode != http.StatusSeeOther {
		p.t.Fatalf("POST %s: HTTP %d\n%s", path, resp.StatusCode, body)
	}
}

// TestRealPlatformd runs the box against the real platform server: the
// operator activates it by the code on its panel in the web UI, sets its
// name and a 10 s poll interval, launches a scan job (which the box,
// without a scan engine, fails), and the platform goes away and back.
// The first wait is the unactivated poll interval the platform gives
// (platformapi.ActivationPollInterval, 15 s).
func TestRealPlatformd(t *testing.T) {
	var pd *platformd
	e := newEnvWith(t, func(e *env) { pd = startPlatformd(t, e) })
	pd.login()
	st := e.waitFor("ACTIVATION CODE", 60*time.Second, linkState(netapi.LinkActivation))
	box := pd.activate(st.Platform.ActivationCode)
	pd.post(box+"/settings", url.Values{"name": {"lab-real"}, "poll_interval": {"10"}, "vlans": {""}, "routes": {""}, "ipv6_method": {"off"}})
	// Within one unactivated poll interval (15 s ±10%), with margin.
	st = e.waitFor("NAME-IP after activation", 45*time.Second, linkState(netapi.LinkReady))
	if st.Platform.Name != "lab-real" {
		t.Fatalf("ready as %q, want lab-real", st.Platform.Name)
	}
	pd.post(box+"/jobs", url.Values{"targets": {"10.50.0.1"}, "ports": {"1-1024"}})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, page := pd.do("GET", box, nil)
		if strings.Contains(page, "scanner not available") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job's failure never showed on the platform:\n%s\nscannerd:\n%s", page, e.scannerd.Output())
		}
		time.Sleep(time.Second)
	}
	if out := e.scannerd.Output(); !strings.Contains(out, "platform settings applied") {
		t.Errorf("scannerd did not apply the settings:\n%s", out)
	}

	pd.proc.Stop()
	e.waitFor("COMMUNICATION FAILURE with platformd stopped", 2*time.Minute, linkState(netapi.LinkCommFailure))
	pd.start()
	e.waitFor("recovery once platformd is back", 2*time.Minute, func(st netapi.Status) bool {
		return st.Platform != nil && st.Platform.State == netapi.LinkReady && st.Platform.Name == "lab-real"
	})
}
