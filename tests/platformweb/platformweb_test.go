// Package platformweb_test drives the platform's web UI in a real browser
// (Debian's headless chromium, through chromedp) against a platform server
// running in this process on a loopback HTTPS port, with a box simulated
// by the test (signed polls over loopback): log in, activate the box by
// its code, add two scanning VLANs, and see the box online with the
// settings it received.
//
// The server's certificate comes from a throwaway CA the test makes; the
// browser is told to ignore certificate errors (only here), the box client
// trusts that CA.
package platformweb_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/server"
	"picket.dev/picket/src/platform/store"
)

const chromium = "/usr/bin/chromium"

// throwawayTLS returns a server certificate for 127.0.0.1 and the pool of
// the CA that signed it.
func throwawayTLS(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "platformweb test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// password is the manager alice's.
const password = "correct horse battery"

// platform is platformd's core on a store under a test's directory,
// served over TLS on 127.0.0.1 with a throwaway certificate, with the
// manager alice of account acme.
type platform struct {
	st   *store.Bolt
	srv  *server.Server
	addr string // 127.0.0.1:port
	base string // https://addr
	pool *x509.CertPool
}

// startPlatform starts a platform with its data in dir/data; setup, if
// given, runs on the server before anything else (UseRepository, say).
func startPlatform(t *testing.T, dir string, setup func(s *server.Server, log *slog.Logger)) *platform {
	t.Helper()
	st, err := server.OpenStore(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p := server.New(st, time.Now, log)
	t.Cleanup(func() { p.Close() })
	if setup != nil {
		setup(p, log)
	}
	if err := server.CreateUser(st, server.NewUser{Name: "alice", Role: store.RoleManager, Account: "acme", Password: password}, time.Now()); err != nil {
		t.Fatal(err)
	}
	cert, pool := throwawayTLS(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: p.Handler(), TLSConfig: server.TLSConfig(cert), ReadHeaderTimeout: 10 * time.Second}
	go hs.ServeTLS(ln, "", "")
	t.Cleanup(func() { hs.Close() })
	addr := ln.Addr().String()
	return &platform{st: st, srv: p, addr: addr, base: "https://" + addr, pool: pool}
}

// newBox is a box with a key of its own that talks to the platform.
func (pf *platform) newBox() *box {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	return &box{key: key, base: pf.base, client: pf.client()}
}

// client is an HTTP client that trusts the platform's certificate.
func (pf *platform) client() *http.Client {
	return &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pf.pool, MinVersion: tls.VersionTLS13}}}
}

// box is the simulated box: it signs its polls with its own key.
type box struct {
	key    ed25519.PrivateKey
	client *http.Client
	base   string
}

func (b *box) poll(t *testing.T, req platformapi.PollRequest) platformapi.PollResponse {
	t.Helper()
	body, _ := json.Marshal(req)
	r, err := http.NewRequest(http.MethodPost, b.base+platformapi.PathPoll, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := platformapi.Sign(r, body, b.key, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := b.client.Do(r)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("poll: %s: %s", resp.Status, raw)
	}
	var pr platformapi.PollResponse
	if err := json.Unmarshal(raw, &pr); err != nil {
		t.Fatalf("poll response %q: %v", raw, err)
	}
	return pr
}

func TestActivateAndConfigureInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("this test needs Debian's chromium at %s (apt-get install chromium): %v", chromium, err)
	}
	dir := t.TempDir()
	pf := startPlatform(t, dir, nil)
	base := pf.base
	bx := pf.newBox()
	key := bx.key
	first := bx.poll(t, platformapi.PollRequest{Board: "virtual", Versions: platformapi.Versions{Scanner: "0.1.0", Signatures: "2026.11.27"},
		LANv4: []string{"10.0.0.5/24"}, Capacity: platformapi.Capacity{CPUs: 2, MemoryMB: 1024, MaxScans: 1}})
	if first.State != platformapi.StateUnactivated {
		t.Fatalf("first poll: state %q", first.State)
	}
	code := platformapi.ActivationCode(key.Public().(ed25519.PublicKey))
	boxID := store.BoxID(key.Public().(ed25519.PublicKey))

	bctx := startChrome(t, chromium, 90*time.Second)
	c := css
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		chromeDo(t, bctx, what, steps...)
	}
	text := func(sel string) string {
		t.Helper()
		return chromeText(t, bctx, sel)
	}
	do("log in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(c("#username")),
		chromedp.SendKeys(c("#username"), "alice"),
		chromedp.SendKeys(c("#password"), password),
		chromedp.Click(c("#login")),
		chromedp.WaitVisible(c("#whoami")),
	)
	if got := text("#whoami"); !strings.Contains(got, "alice") {
		t.Errorf("logged in as %q", got)
	}
	// A mistyped code first: the page says what is wrong.
	do("activate with an unknown code",
		chromedp.Click(c("#nav-activate")),
		chromedp.WaitVisible(c("#code")),
		chromedp.SendKeys(c("#code"), "0000-0000-000"),
		chromedp.Click(c("#activate")),
		chromedp.WaitVisible(c("#error")),
	)
	if got := text("#error"); !strings.Contains(got, "no box is waiting with code 0000-0000-000") {
		t.Errorf("unknown code: error %q", got)
	}
	// Typed in lower case without dashes, as a person might.
	do("activate",
		chromedp.SetValue(c("#code"), strings.ToLower(strings.ReplaceAll(code, "-", ""))),
		chromedp.Click(c("#activate")),
		chromedp.WaitVisible(c("#settings-form")),
	)
	if got := text("#box-id"); got != boxID {
		t.Fatalf("activated box %q, want %q", got, boxID)
	}
	// A bad VLAN line is refused with a message on that field.
	do("save a bad VLAN",
		chromedp.SetValue(c("#vlans"), "5000 10.100.0.5/24"),
		chromedp.Click(c("#save")),
		chromedp.WaitVisible(c(".ferr")),
	)
	if got := text(".ferr"); !strings.Contains(got, "line 1") || !strings.Contains(got, "1-4094") {
		t.Errorf("bad VLAN: field error %q", got)
	}
	do("save two VLANs",
		chromedp.Clear(c("#vlans")),
		chromedp.SendKeys(c("#vlans"), "100 10.100.0.5/24 lab\n200 10.200.0.5/24 office\n"),
		chromedp.Click(c("#save")),
		chromedp.WaitVisible(c("#notice")),
	)
	if got := text("#settings-state"); !strings.Contains(got, "version 2; the box applied version 0") {
		t.Errorf("settings state %q", got)
	}

	// The box polls: it gets its name and the settings with both VLANs,
	// applies them and says so in its next poll.
	resp := bx.poll(t, platformapi.PollRequest{Board: "virtual", LANv4: []string{"10.0.0.5/24"}})
	if resp.State != platformapi.StateActive || resp.Name != "pk_alice" || resp.Settings == nil {
		t.Fatalf("poll after activation: %+v", resp)
	}
	if v := resp.Settings.ScanVLANs; len(v) != 2 || v[0].ID != 100 || v[0].Name != "lab" || v[1].ID != 200 || v[1].Address.String() != "10.200.0.5/24" {
		t.Fatalf("settings VLANs %+v", v)
	}
	again := bx.poll(t, platformapi.PollRequest{Board: "virtual", LANv4: []string{"10.0.0.5/24"}, SettingsVersion: resp.Settings.Version,
		Versions: platformapi.Versions{Scanner: "0.1.0", Signatures: "2026.11.27"}})
	if again.Settings != nil {
		t.Errorf("settings resent after the box applied them: %+v", again.Settings)
	}

	sel := fmt.Sprintf("#box-%s", boxID)
	do("appliances list",
		chromedp.Click(c("#nav-appliances")),
		chromedp.WaitVisible(c(sel)),
	)
	status, name, scanner := text(sel+" td.status"), text(sel+" td.name"), text(sel+" td.scanner")
	if status != "online" || name != "pk_alice" || scanner != "0.1.0" {
		t.Errorf("appliances row: status %q name %q scanner %q; want online, pk_alice, 0.1.0", status, name, scanner)
	}
	do("box page",
		chromedp.Click(c(sel+" td.name a")),
		chromedp.WaitVisible(c("#settings-state")),
	)
	if got := text("#settings-state"); !strings.Contains(got, "version 2; the box applied version 2") {
		t.Errorf("settings state after the box applied them: %q", got)
	}
	do("log out",
		chromedp.Click(c("#logout")),
		chromedp.WaitVisible(c("#login-form")),
		chromedp.Navigate(base+"/appliances"),
		chromedp.WaitVisible(c("#login-form")),
	)
}
