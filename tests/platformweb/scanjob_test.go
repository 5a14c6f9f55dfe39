package platformweb_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

// update sends a signed job update as the box would.
func (b *box) update(t *testing.T, u platformapi.JobUpdate) platformapi.JobUpdateResponse {
	t.Helper()
	body, _ := json.Marshal(u)
	r, err := http.NewRequest(http.MethodPost, b.base+platformapi.PathJobUpdate, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := platformapi.Sign(r, body, b.key, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := b.client.Do(r)
	if err != nil {
		t.Fatalf("job update: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("job update %s: %s: %s", u.UploadID, resp.Status, raw)
	}
	var ur platformapi.JobUpdateResponse
	if err := json.Unmarshal(raw, &ur); err != nil {
		t.Fatalf("job update response %q: %v", raw, err)
	}
	return ur
}

// hostileBanner would add an element to the page if it were not escaped.
const hostileBanner = `SSH-2.0-OpenSSH_9.2p1 <img src=x id=pwned>`

// scanBench is a platformd on a loopback HTTPS port with one manager,
// alice, a simulated box it knows (one poll), and a chromium logged in as
// alice that activated the box.
type scanBench struct {
	base  string
	bx    *box
	boxID string
	bctx  context.Context
}

var boxPoll = platformapi.PollRequest{Board: "virtual", Capacity: platformapi.Capacity{CPUs: 2, MaxScans: 1, ScannerOnline: true}}

func newScanBench(t *testing.T) *scanBench {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("this test needs Debian's chromium at %s (apt-get install chromium): %v", chromium, err)
	}
	dir := t.TempDir()
	pf := startPlatform(t, dir, nil)
	base := pf.base
	bx := pf.newBox()
	key := bx.key
	bx.poll(t, boxPoll)
	code := platformapi.ActivationCode(key.Public().(ed25519.PublicKey))

	bctx := startChrome(t, chromium, 120*time.Second)
	c := css
	chromeDo(t, bctx, "log in and activate",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(c("#username")),
		chromedp.SendKeys(c("#username"), "alice"),
		chromedp.SendKeys(c("#password"), password),
		chromedp.Click(c("#login")),
		chromedp.WaitVisible(c("#whoami")),
		chromedp.Click(c("#nav-activate")),
		chromedp.WaitVisible(c("#code")),
		chromedp.SendKeys(c("#code"), code),
		chromedp.Click(c("#activate")),
		chromedp.WaitVisible(c("#job-form")),
	)
	return &scanBench{base: base, bx: bx, boxID: store.BoxID(key.Public().(ed25519.PublicKey)), bctx: bctx}
}

// TestScanJobInBrowser: a job launched in the UI reaches the box at its
// poll; the box's updates (progress, host batches, the summary), sent as
// scannerd sends them, show on the job page as they come, hostile text
// escaped; the JSON and CSV exports, fetched by the logged-in browser,
// carry the hosts and ports.
func TestScanJobInBrowser(t *testing.T) {
	sb := newScanBench(t)
	base, bx, bctx := sb.base, sb.bx, sb.bctx
	c := css
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		chromeDo(t, bctx, what, steps...)
	}
	text := func(sel string) string {
		t.Helper()
		return chromeText(t, bctx, sel)
	}
	do("launch a scan",
		chromedp.SetValue(c("#targets"), "10.0.0.0/24"),
		chromedp.SetValue(c("#ports"), "1-9000"),
		chromedp.Click(c("#launch")),
		chromedp.WaitVisible(c("a.job-link")), // the activation's notice is on the page already
	)
	if got := text("#notice"); !strings.Contains(got, "Scan job launched") {
		t.Errorf("notice after launching: %q", got)
	}
	resp := bx.poll(t, boxPoll)
	if len(resp.Jobs) != 1 || resp.Jobs[0].Targets[0] != "10.0.0.0/24" {
		t.Fatalf("the box got jobs %+v; want the one launched", resp.Jobs)
	}
	job := resp.Jobs[0]
	bx.update(t, platformapi.JobUpdate{UploadID: job.ID + "-accepted", JobID: job.ID, State: platformapi.JobAccepted})
	batch1 := platformapi.JobUpdate{UploadID: job.ID + "-1", JobID: job.ID, State: platformapi.JobRunning,
		Progress: &platformapi.JobProgress{Phase: "services", TargetsTotal: 256, TargetsDone: 128, HostsUp: 1, OpenPorts: 2, PacketsSent: 70000},
		Hosts: []result.Host{{Addr: netip.MustParseAddr("10.0.0.7"), Up: true, UpReason: result.ReasonARP, MAC: "02:00:0a:00:00:07", Ports: []result.Port{
			{Proto: result.TCP, Port: 22, State: result.Open, Reason: result.ReasonSYNACK, Service: &result.Service{Name: "ssh", Product: "OpenSSH", Version: "9.2p1",
				Extra: "Debian 2+deb12u3", Banner: hostileBanner, Method: "banner", SSH: &result.SSHFacts{Banner: "SSH-2.0-OpenSSH_9.2p1", Kex: []string{"sntrup761x25519-sha512"}}}},
			{Proto: result.TCP, Port: 8443, State: result.Open, Reason: result.ReasonSYNACK, Service: &result.Service{Name: "https", Product: "nginx", Version: "1.22.1", Method: "probe:tls",
				TLS:  &result.TLSFacts{Versions: []string{"TLSv1.2", "TLSv1.3"}, SelfSigned: true, Chain: []result.Cert{{Subject: "CN=old.bench", Issuer: "CN=old.bench", KeyType: "RSA", KeyBits: 2048}}},
				HTTP: &result.HTTPFacts{Status: 200, Server: "nginx/1.22.1", Title: "Bench <b>page</b>"}}},
		}}}}
	bx.update(t, batch1)
	bx.update(t, batch1) // a retry: stored once

	do("job page while running",
		chromedp.Navigate(base+"/appliances/"+sb.boxID),
		chromedp.WaitVisible(c("a.job-link")),
		chromedp.Click(c("a.job-link")),
		chromedp.WaitVisible(c("#hosts")),
	)
	for sel, want := range map[string]string{"#job-state": "running", "#phase": "services", "#targets-done": "128 of 256", "#hosts-up": "1 hosts up, 2 open ports"} {
		if got := text(sel); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	table := text("#hosts")
	for _, want := range []string{"10.0.0.7", "22/tcp", "OpenSSH", "9.2p1 Debian 2+deb12u3", "8443/tcp", "nginx", "1.22.1", "TLSv1.2", "self-signed",
		"subject CN=old.bench", "server nginx/1.22.1", "Bench <b>page</b>", "sntrup761x25519-sha512", hostileBanner} {
		if !strings.Contains(table, want) {
			t.Errorf("hosts table lacks %q:\n%s", want, table)
		}
	}
	if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#pwned, #hosts b, #hosts img").length`)); err != nil || n != 0 {
		t.Errorf("the box's text made elements on the page: %d, %v", n, err)
	}
	if rows, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#hosts tr.host").length`)); err != nil || rows != 1 {
		t.Errorf("%d host rows after a retried batch, %v; want 1", rows, err)
	}

	// The last update: one more host, the summary. The page of a running
	// job refreshes itself: no navigation needed.
	now := time.Now().UTC()
	bx.update(t, platformapi.JobUpdate{UploadID: job.ID + "-2", JobID: job.ID, State: platformapi.JobDone,
		Progress: &platformapi.JobProgress{Phase: "done", TargetsTotal: 256, TargetsDone: 256, HostsUp: 2, OpenPorts: 3, PacketsSent: 140000},
		Summary:  &platformapi.ScanSummary{Started: now.Add(-time.Minute), Finished: now, Interface: "eth0", Method: "syn", TargetsTotal: 256, HostsUp: 2, OpenPorts: 3, PacketsSent: 140000},
		Hosts: []result.Host{{Addr: netip.MustParseAddr("10.0.0.9"), Up: true, Ports: []result.Port{
			{Proto: result.UDP, Port: 161, State: result.Open, Service: &result.Service{Name: "snmp", Product: "=cmd|' /C calc'!A0", Method: "probe:snmp",
				Facts: map[string]string{"snmp.sysdescr": "Linux bench 6.1"}}}}}}})
	do("job page after the last update",
		chromedp.WaitVisible(c("#summary")),
	)
	if got := text("#job-state"); got != "done" {
		t.Errorf("state after the last update: %q", got)
	}
	if got := text("#summary"); !strings.Contains(got, "interface eth0, syn scan: 256 targets, 2 hosts up, 3 open ports") {
		t.Errorf("summary %q", got)
	}
	if got := text("#hosts"); !strings.Contains(got, "161/udp") || !strings.Contains(got, "snmp.sysdescr: Linux bench 6.1") {
		t.Errorf("hosts table after the last update:\n%s", got)
	}

	fetch := func(suffix string) string {
		t.Helper()
		loc, _ := chromedp.Run(bctx, chromedp.Location())
		s, err := chromedp.Run(bctx, chromedp.Evaluate[string](`fetch("`+loc+suffix+`").then(r => r.ok ? r.text() : "status " + r.status)`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("fetch %s: %v", suffix, err)
		}
		return s
	}
	var exp struct {
		Summary *platformapi.ScanSummary `json:"summary"`
		Hosts   []result.Host            `json:"hosts"`
	}
	body := fetch(".json")
	if err := json.Unmarshal([]byte(body), &exp); err != nil {
		t.Fatalf("JSON export: %v\n%s", err, body)
	}
	if len(exp.Hosts) != 2 || exp.Hosts[0].Ports[0].Service.Banner != hostileBanner || exp.Hosts[1].Ports[0].Port != 161 ||
		exp.Summary == nil || exp.Summary.Interface != "eth0" || exp.Summary.OpenPorts != 3 {
		t.Errorf("JSON export: %s", body)
	}
	body = fetch(".csv")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV export: %v\n%s", err, body)
	}
	want := []string{
		"address,port,proto,state,service,product,version,extra",
		"10.0.0.7,22,tcp,open,ssh,OpenSSH,9.2p1,Debian 2+deb12u3",
		"10.0.0.7,8443,tcp,open,https,nginx,1.22.1,",
		"10.0.0.9,161,udp,open,snmp,'=cmd|' /C calc'!A0,,",
	}
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join(r, ","))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CSV export:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
