// Package platformproc runs the real platformd binary on loopback for the
// attack suite (tests/attack) and the attack benchmark (tests/bench): a
// data directory with one manager account and a throwaway certificate
// (platformd -dev-cert), the process, its memory figures from /proc, and
// clients that reach it from a chosen loopback address (127.0.0.0/8 is
// all local on Linux, so each address is another client to platformd's
// per-address limits): signed box polls and web logins. What is stored is
// read from the database once the process has stopped. It returns errors
// rather than failing a test, so that a benchmark's main can use it too.
// It is test-only.
package platformproc

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
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
	"strconv"
	"strings"
	"syscall"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/devcert"
	"picket.dev/picket/src/platform/server"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/testkit/syncbuf"
)

// The account Start creates.
const (
	User     = "admin"
	Password = "attack-Admin-pw-1"
)

// Proc is a running platformd.
type Proc struct {
	Dir  string // its data directory
	Addr string // host:port of its HTTPS listener (box API and web UI)
	cmd  *exec.Cmd
	out  *syncbuf.Buffer
	done chan error
	ca   *x509.CertPool
}

// Host is the name platformd's development certificate (-dev-cert) is
// for: clients connect to Addr and check the certificate against it.
const Host = "127.0.0.1"

// CreateUser adds the user name to account in the data directory dir with
// password, through platformd's own -create-user (before Start, or
// between runs).
func CreateUser(bin, dir, name, account, password string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	pw := filepath.Join(dir, name+".pw")
	if err := os.WriteFile(pw, []byte(password+"\n"), 0o600); err != nil {
		return err
	}
	if out, err := exec.Command(bin, "-data", dir, "-create-user", name, "-account", account, "-password-file", pw).CombinedOutput(); err != nil {
		return fmt.Errorf("platformd -create-user %s: %w\n%s", name, err, out)
	}
	return nil
}

// CA is the pool holding platformd's development CA, for clients.
func (p *Proc) CA() *x509.CertPool { return p.ca }

// Start creates the account (in the database args name with -db, if
// any; one there already, from an earlier run, is kept) and runs bin
// (platformd) on a free loopback port with -dev-cert and the extra flags
// args. It waits until the listener accepts connections.
func Start(bin, dir string, args ...string) (*Proc, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	pw := filepath.Join(dir, "admin.pw")
	if err := os.WriteFile(pw, []byte(Password+"\n"), 0o600); err != nil {
		return nil, err
	}
	create := []string{"-data", dir, "-create-user", User, "-password-file", pw}
	for i, a := range args {
		if a == "-db" && i+1 < len(args) {
			create = append(create, "-db", args[i+1])
		}
	}
	if out, err := exec.Command(bin, create...).CombinedOutput(); err != nil && !strings.Contains(string(out), "already exists") {
		return nil, fmt.Errorf("platformd -create-user: %w\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &Proc{Dir: dir, Addr: addr, out: &syncbuf.Buffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, append([]string{"-data", dir, "-listen", addr, "-dev-cert", Host}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start platformd: %w", err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	for deadline := time.Now().Add(30 * time.Second); ; {
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("platformd exited at start: %v\n%s", err, p.out)
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			p.Kill()
			return nil, fmt.Errorf("platformd does not listen on %s after 30 s\n%s", addr, p.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pemData, err := os.ReadFile(filepath.Join(dir, devcert.CAFile))
	if err != nil {
		p.Kill()
		return nil, fmt.Errorf("platformd's development CA: %w", err)
	}
	p.ca = x509.NewCertPool()
	if !p.ca.AppendCertsFromPEM(pemData) {
		p.Kill()
		return nil, errors.New("platformd's development CA holds no certificate")
	}
	return p, nil
}

// Output is what platformd wrote so far (its log). Read it after Stop.
func (p *Proc) Output() string { return p.out.String() }

// PID is the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Stop ends platformd with SIGTERM (it writes what it holds back and
// closes its database) and waits for it.
func (p *Proc) Stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop platformd: %w", err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			return fmt.Errorf("platformd exited: %w\n%s", err, p.out)
		}
		return nil
	case <-time.After(30 * time.Second):
		p.Kill()
		return fmt.Errorf("platformd did not stop within 30 s of SIGTERM")
	}
}

// Kill ends platformd at once (cleanup after a failure).
func (p *Proc) Kill() {
	p.cmd.Process.Kill()
}

// Memory returns platformd's resident set now (VmRSS) and its peak
// (VmHWM), in bytes.
func (p *Proc) Memory() (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID()))
	if err != nil {
		return 0, 0, fmt.Errorf("platformd memory: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[2] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			hwm = kb << 10
		}
	}
	if rss == 0 || hwm == 0 {
		return 0, 0, fmt.Errorf("platformd memory: no VmRSS or VmHWM in /proc/%d/status", p.PID())
	}
	return rss, hwm, nil
}

// Stored is what platformd's database holds.
type Stored struct {
	Pending  int // boxes waiting for activation
	Sessions int // web sessions, pre-login ones included
}

// Stored reads the database; platformd must be stopped (bbolt locks the
// file).
func (p *Proc) Stored() (Stored, error) {
	st, err := server.OpenStore(p.Dir)
	if err != nil {
		return Stored{}, err
	}
	defer st.Close()
	var s Stored
	err = st.View(func(tx store.Tx) error {
		var err error
		if s.Pending, err = tx.PendingCount(); err != nil {
			return err
		}
		s.Sessions, err = tx.SessionCount()
		return err
	})
	return s, err
}

// Client returns an HTTPS client that reaches platformd from the loopback
// address src, trusting its certificate, with a cookie jar, not following
// redirects. Connections are kept alive; conns bounds them.
func (p *Proc) Client(src netip.Addr, conns int) *http.Client {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src.AsSlice()}, Timeout: 10 * time.Second}
	return &http.Client{
		Jar: jar,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: p.ca, ServerName: Host},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, p.Addr)
			},
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       2 * time.Minute,
	}
}

// URL is the address of path on platformd.
func (p *Proc) URL(path string) string { return "https://" + p.Addr + path }

// Answer is an HTTP answer, its body read.
type Answer struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends a request and reads the whole answer.
func Do(c *http.Client, req *http.Request) (Answer, error) {
	resp, err := c.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Answer{}, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Path, err)
	}
	return Answer{resp.StatusCode, resp.Header, string(b)}, nil
}

// Get fetches path.
func (p *Proc) Get(c *http.Client, path string) (Answer, error) {
	req, err := http.NewRequest(http.MethodGet, p.URL(path), nil)
	if err != nil {
		return Answer{}, err
	}
	return Do(c, req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// LoginForm opens the login page with c (which keeps what cookies it
// sets) and returns the form's CSRF token.
func (p *Proc) LoginForm(c *http.Client) (string, error) {
	a, err := p.Get(c, "/login")
	if err != nil {
		return "", err
	}
	m := csrfRE.FindStringSubmatch(a.Body)
	if a.Status != http.StatusOK || m == nil {
		return "", fmt.Errorf("GET /login: HTTP %d, no CSRF token in the form", a.Status)
	}
	return m[1], nil
}

// Login posts the login form with c's cookies and token csrf (from
// LoginForm) and returns the answer: 303 logged in, 401 a wrong password
// checked, 429 refused unchecked.
func (p *Proc) Login(c *http.Client, csrf, user, password string) (Answer, error) {
	form := url.Values{"csrf": {csrf}, "username": {user}, "password": {password}}
	req, err := http.NewRequest(http.MethodPost, p.URL("/login"), strings.NewReader(form.Encode()))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return Do(c, req)
}

// Poll sends a poll signed by key, with a fresh nonce and the time now.
func (p *Proc) Poll(c *http.Client, key ed25519.PrivateKey, now time.Time) (Answer, error) {
	return p.Signed(c, key, platformapi.PathPoll, platformapi.PollRequest{Board: "attack", Versions: platformapi.Versions{Scanner: "attack"}}, now)
}

// Signed posts v (a platformapi request: PollRequest, JobUpdate) to path
// of the box API, signed by key with a fresh nonce and the time now.
func (p *Proc) Signed(c *http.Client, key ed25519.PrivateKey, path string, v any, now time.Time) (Answer, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return Answer{}, err
	}
	req, err := http.NewRequest(http.MethodPost, p.URL(path), bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := platformapi.Sign(req, body, key, now); err != nil {
		return Answer{}, err
	}
	return Do(c, req)
}

// Loopback is the n-th client address (n from 0 to 63,999):
// 127.10.n/250.n%250+1, never platformd's own 127.0.0.1.
func Loopback(n int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, 10, byte(n / 250), byte(n%250 + 1)})
}
