package attack_test

// Helpers of the attacks on what a manager sets through platformd's web
// UI (issue 12, items 3, 7, 8, 9 and 11): the real platformd binary on a
// loopback port with a throwaway certificate, a person's session on its
// web UI (testkit/webui) and a box that signs its polls as a real one.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/testkit/platformproc"
	"picket.dev/picket/src/testkit/testinput"
	"picket.dev/picket/src/testkit/webui"
)

// fleetHost is the name platformd's certificate is for; connections go
// to its loopback port whatever the name.
const fleetHost = platformproc.Host

// fleetPassword is every account's password in these tests.
const fleetPassword = "attack-Fleet-pw-1"

// fleetPlatform is one running platformd.
type fleetPlatform struct {
	t    *testing.T
	addr string // 127.0.0.1:port
	pool *x509.CertPool
}

// fleetStart runs the real platformd (testkit/platformproc) on a free
// loopback port with a new data directory, after creating the accounts
// users (name → account).
func fleetStart(t *testing.T, users map[string]string) *fleetPlatform {
	t.Helper()
	bin := testinput.Command(t, "platformd")
	dir := filepath.Join(t.TempDir(), "data")
	for name, account := range users {
		if err := platformproc.CreateUser(bin, dir, name, account, fleetPassword); err != nil {
			t.Fatal(err)
		}
	}
	proc, err := platformproc.Start(bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		proc.Kill()
		if t.Failed() {
			t.Logf("platformd:\n%s", proc.Output())
		}
	})
	return &fleetPlatform{t: t, addr: proc.Addr, pool: proc.CA()}
}

// fleetSession logs user in on p's web UI and opens /appliances.
func (p *fleetPlatform) fleetSession(user string) *webui.Session {
	p.t.Helper()
	s := webui.New(p.t, fleetHost, p.pool, func(ctx context.Context, network string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, p.addr)
	})
	s.Login(user, fleetPassword, "/appliances")
	return s
}

// fleetBox is a box: its key and a client that trusts p's CA.
type fleetBox struct {
	p   *fleetPlatform
	key ed25519.PrivateKey
	c   *http.Client
}

func (p *fleetPlatform) fleetNewBox() *fleetBox {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	return &fleetBox{p: p, key: key, c: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{ServerName: fleetHost, RootCAs: p.pool, MinVersion: tls.VersionTLS13},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, p.addr)
		},
	}}}
}

// code is the box's activation code.
func (b *fleetBox) code() string {
	return platformapi.ActivationCode(b.key.Public().(ed25519.PublicKey))
}

// post sends a signed request as the box does and returns the status and
// the raw answer, read as the box reads it: at most MaxBody+1 bytes.
func (b *fleetBox) post(path string, v any) (int, []byte) {
	b.p.t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		b.p.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "https://"+fleetHost+path, bytes.NewReader(body))
	if err != nil {
		b.p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := platformapi.Sign(req, body, b.key, time.Now()); err != nil {
		b.p.t.Fatal(err)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.p.t.Fatalf("%s: %v", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, platformapi.MaxBody+1))
	if err != nil {
		b.p.t.Fatalf("%s: read: %v", path, err)
	}
	return resp.StatusCode, data
}

// poll polls and decodes the answer as the box does, failing the test
// when the box could not use it.
func (b *fleetBox) poll(req platformapi.PollRequest) (platformapi.PollResponse, int) {
	b.p.t.Helper()
	status, data := b.post(platformapi.PathPoll, req)
	if status != http.StatusOK {
		b.p.t.Fatalf("poll: HTTP %d: %s", status, data)
	}
	if len(data) > platformapi.MaxBody {
		b.p.t.Fatalf("poll answer larger than the %d bytes the box reads", platformapi.MaxBody)
	}
	var resp platformapi.PollResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		b.p.t.Fatalf("poll answer is not valid JSON: %v", err)
	}
	return resp, len(data)
}

// fleetActivate polls once (the platform learns the box) and activates it
// in s's account; it returns the box's page.
func fleetActivate(t *testing.T, s *webui.Session, b *fleetBox) string {
	t.Helper()
	b.poll(platformapi.PollRequest{Board: "virtual"})
	page, err := s.Activate(b.code())
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// fleetJobIDs returns the ids of the jobs listed on a box page, in order.
func fleetJobIDs(page string) []string {
	var ids []string
	for _, part := range strings.Split(page, `<tr id="job-`)[1:] {
		id, _, _ := strings.Cut(part, `"`)
		ids = append(ids, "job-"+id)
	}
	return ids
}
