// Package webui is a person's session on the platform server's web UI, for
// end-to-end tests: a cookie jar, the CSRF token of the last page, logging
// in, activating a box by its code and posting a form, as a browser
// without JavaScript does (the UI has none).
package webui

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Session is one person's session. Its methods fail the test on a transport
// error; what the server answered is for the caller to judge.
type Session struct {
	t    testing.TB
	base string
	web  *http.Client
	csrf string
}

// Dial opens a connection to the web UI's listener (a network namespace's
// dialer, say); the address a request names is not used.
type Dial func(ctx context.Context, network string) (net.Conn, error)

// New returns a session on the web UI served as https://serverName with a
// certificate from roots, reached through dial. Redirects are not
// followed: the caller sees the 303 and its Location.
func New(t testing.TB, serverName string, roots *x509.CertPool, dial Dial) *Session {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Session{t: t, base: "https://" + serverName, web: &http.Client{
		Jar: jar,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{ServerName: serverName, RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dial(ctx, network)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// Do sends a request; form, when not nil, is posted with the CSRF token of
// the last page. It returns the response (body closed) and its body.
func (s *Session) Do(method, path string, form url.Values) (*http.Response, string) {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("csrf", s.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.web.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	if m := csrfRE.FindSubmatch(b); m != nil {
		s.csrf = string(m[1])
	}
	return resp, string(b)
}

// Login logs in as user and then opens page (which gives the next form's
// CSRF token).
func (s *Session) Login(user, password, page string) {
	s.t.Helper()
	s.Do("GET", "/login", nil)
	if resp, body := s.Do("POST", "/login", url.Values{"username": {user}, "password": {password}}); resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("login as %s: HTTP %d\n%s", user, resp.StatusCode, body)
	}
	s.Do("GET", page, nil)
}

// Activate activates the box that shows code and returns the path of its
// page. The session must be on a page with a form (the CSRF token).
func (s *Session) Activate(code string) (string, error) {
	s.t.Helper()
	resp, body := s.Do("POST", "/activate", url.Values{"code": {code}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/appliances/") {
		return "", fmt.Errorf("activate %s: HTTP %d, Location %q (no pending box with that code?)\n%s", code, resp.StatusCode, loc, body)
	}
	return strings.SplitN(loc, "?", 2)[0], nil
}

// Post opens page (for its CSRF token) and posts form to path, which must
// answer 303 See Other as the UI does after a change it accepted.
func (s *Session) Post(page, path string, form url.Values) {
	s.t.Helper()
	s.Do("GET", page, nil)
	if resp, body := s.Do("POST", path, form); resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("POST %s: HTTP %d\n%s", path, resp.StatusCode, body)
	}
}

// jobRowRE is a job's row in a box page's job table.
var jobRowRE = regexp.MustCompile(`<tr id="(job-[0-9a-f]+)">`)

// LaunchJob posts the job form of the box page boxPage and returns the id
// of the job it made: the one row of the page's job table that was not
// there before.
func (s *Session) LaunchJob(boxPage string, form url.Values) string {
	s.t.Helper()
	_, before := s.Do("GET", boxPage, nil)
	s.Post(boxPage, boxPage+"/jobs", form)
	_, after := s.Do("GET", boxPage, nil)
	for _, m := range jobRowRE.FindAllStringSubmatch(after, -1) {
		if !strings.Contains(before, m[0]) {
			return m[1]
		}
	}
	s.t.Fatalf("no new job on the box's page after launching one:\n%s", after)
	return ""
}

// LimitSettings is the box settings form with every field at the limit
// the platform accepts (platformapi and netcfg's limits): a 64-byte name
// of the characters JSON escapes longest, 4094 scanning VLANs on IPv6
// /112 subnets written at full length, each with a 32-character name, 99
// static routes to /128 destinations through a gateway on one of those
// VLANs, and static IPv6 for scanning. Written out here, not taken from
// the limits' constants, so that a change of them shows in the tests.
func LimitSettings() url.Values {
	var vlans, routes strings.Builder
	for i := 1; i <= 4094; i++ {
		fmt.Fprintf(&vlans, "%d 2a01:fdb8:aaaa:%04x:ffff:ffff:ffff:fffe/112 v%031d\n", i, 0x1000+i, i)
	}
	for i := 1; i <= 99; i++ {
		fmt.Fprintf(&routes, "2a01:fdb8:bbbb:ffff:ffff:ffff:ffff:%04x/128 2a01:fdb8:aaaa:%04x:ffff:ffff:ffff:fffd r%031d\n", 0x1000+i, 0x1000+i, i)
	}
	return url.Values{
		"name":          {strings.Repeat("<&>", 21) + "x"},
		"poll_interval": {"10"},
		"vlans":         {vlans.String()},
		"routes":        {routes.String()},
		"ipv6_method":   {"static"},
		"ipv6_address":  {"2a01:fdb8:cccc:ffff:ffff:ffff:ffff:fffe/112"},
		"ipv6_gateway":  {"2a01:fdb8:cccc:ffff:ffff:ffff:ffff:fffd"},
	}
}

// LimitJob is the scan job form at the limits: 4096 targets of 8
// characters (32 KiB in all) and 2048 characters of ports. The platform
// takes at most 8 such jobs waiting for a box.
func LimitJob() url.Values {
	targets := make([]string, 4096)
	for i := range targets {
		targets[i] = fmt.Sprintf("10.0.%d.%d", i/256%10, i%10) // 8 characters
	}
	ports := strings.Repeat("1,", 1023) + "11"
	return url.Values{"targets": {strings.Join(targets, " ")}, "ports": {ports}}
}
