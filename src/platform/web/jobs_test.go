package web_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/platform/web"
	"picket.dev/picket/src/scan/result"
)

const hostile = `<script>alert("x")</script>`

// scanned records what a box would have reported of a job: progress
// and two hosts, one with a hostile banner and product.
func (b *bench) scanned(t *testing.T, jobID, state string) {
	t.Helper()
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hosts := []result.Host{
		{Addr: netip.MustParseAddr("10.0.0.5"), Up: true, MAC: "02:00:00:00:00:05", Ports: []result.Port{
			{Proto: result.TCP, Port: 22, State: result.Open, Service: &result.Service{Name: "ssh", Product: "OpenSSH", Version: "9.2p1", Extra: "Debian 2+deb12u3",
				Banner: "SSH-2.0-OpenSSH_9.2p1 " + hostile, SSH: &result.SSHFacts{Banner: "SSH-2.0-OpenSSH_9.2p1", Kex: []string{"curve25519-sha256"}}}},
			{Proto: result.TCP, Port: 443, State: result.Open, Service: &result.Service{Name: "https", Product: "nginx", Version: "1.22.1",
				TLS: &result.TLSFacts{Versions: []string{"TLSv1.0", "TLSv1.2"}, SelfSigned: true, Chain: []result.Cert{{Subject: "CN=bench.example", Issuer: "CN=bench.example",
					SANs: []string{"bench.example"}, NotBefore: nb, NotAfter: nb.AddDate(1, 0, 0), KeyType: "RSA", KeyBits: 2048}}},
				HTTP: &result.HTTPFacts{Status: 200, Server: "nginx/1.22.1", Title: "Welcome " + hostile}}},
		}},
		{Addr: netip.MustParseAddr("10.0.0.9"), Up: true, Ports: []result.Port{
			{Proto: result.UDP, Port: 161, State: result.Open, Service: &result.Service{Name: "snmp", Product: "=HYPERLINK(\"http://evil\")", Version: "+1", Extra: "@x",
				Facts: map[string]string{"snmp.sysdescr": "Linux bench " + hostile}}},
		}},
	}
	err := b.st.Update(func(tx store.Tx) error {
		j, err := tx.AppendHosts(jobID, hosts)
		if err != nil {
			return err
		}
		j.State = state
		j.Progress = &platformapi.JobProgress{Phase: "services", TargetsTotal: 256, TargetsDone: 200, HostsUp: 2, OpenPorts: 3, PacketsSent: 9000}
		return tx.PutJob(j)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestJobPage: the job page shows progress, hosts, ports, services and
// facts with what the box sent escaped, refreshes itself while the job
// runs, and is linked from the box's page; the JSON export has the hosts
// as result.Host, the CSV one row per host and port with formula cells
// defused; only people who may see the box see any of it.
func TestJobPage(t *testing.T) {
	b := newBench(t)
	br := b.browser(t)
	token := br.loggedIn("alice")
	box := b.activeBox(t, br, token)
	if resp, _ := br.post("/appliances/"+box.ID+"/jobs", url.Values{"csrf": {token}, "targets": {"10.0.0.0/24"}, "ports": {"1-1024"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("launch: %s", resp.Status)
	}
	var jobID string
	b.st.View(func(tx store.Tx) error { js, _ := tx.JobsOf(box.ID); jobID = js[0].ID; return nil })
	jobURL := "/appliances/" + box.ID + "/jobs/" + jobID
	if _, page := br.get("/appliances/" + box.ID); !strings.Contains(page, `href="`+jobURL+`"`) {
		t.Errorf("box page has no link to the job page")
	}
	resp, page := br.get(jobURL)
	if resp.StatusCode != 200 || !strings.Contains(page, "No hosts reported yet") || !strings.Contains(page, `http-equiv="refresh"`) {
		t.Errorf("page of a pending job: %s\n%s", resp.Status, page)
	}

	b.scanned(t, jobID, platformapi.JobRunning)
	_, page = br.get(jobURL)
	for _, want := range []string{"200 of 256", "2 hosts up, 3 open ports", `id="phase">services<`, "10.0.0.5", "02:00:00:00:00:05", "22/tcp",
		"OpenSSH", "9.2p1 Debian 2&#43;deb12u3", "443/tcp", "nginx", "TLSv1.0", "self-signed", "subject CN=bench.example", "RSA 2048 bits",
		"HTTP 200", "server nginx/1.22.1", "curve25519-sha256", "161/udp", "snmp.sysdescr: Linux bench", "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		`http-equiv="refresh"`} {
		if !strings.Contains(page, want) {
			t.Errorf("job page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Errorf("a box's text reached the page unescaped:\n%s", page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	b.st.Update(func(tx store.Tx) error { j, _ := tx.Job(jobID); j.State = platformapi.JobDone; return tx.PutJob(j) })
	if _, page = br.get(jobURL); strings.Contains(page, `http-equiv="refresh"`) {
		t.Errorf("the page of an ended job refreshes itself")
	}

	resp, body := br.get(jobURL + ".json")
	var exp struct {
		Job struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"job"`
		Progress *platformapi.JobProgress `json:"progress"`
		Hosts    []result.Host            `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(body), &exp); err != nil || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("JSON export (%s): %v\n%s", resp.Header.Get("Content-Type"), err, body)
	}
	if exp.Job.ID != jobID || exp.Job.State != "done" || exp.Progress == nil || exp.Progress.OpenPorts != 3 || len(exp.Hosts) != 2 ||
		exp.Hosts[0].Ports[1].Service.TLS.Chain[0].KeyBits != 2048 || exp.Hosts[1].Ports[0].Service.Facts["snmp.sysdescr"] != "Linux bench "+hostile {
		t.Errorf("JSON export: %+v", exp)
	}

	resp, body = br.get(jobURL + ".csv")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV export: %v\n%s", err, body)
	}
	want := [][]string{
		{"address", "port", "proto", "state", "service", "product", "version", "extra"},
		{"10.0.0.5", "22", "tcp", "open", "ssh", "OpenSSH", "9.2p1", "Debian 2+deb12u3"},
		{"10.0.0.5", "443", "tcp", "open", "https", "nginx", "1.22.1", ""},
		{"10.0.0.9", "161", "udp", "open", "snmp", `'=HYPERLINK("http://evil")`, "'+1", "'@x"},
	}
	if len(rows) != len(want) {
		t.Fatalf("CSV export: %q, want %q", rows, want)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("CSV row %d: %q, want %q", i, rows[i], want[i])
		}
	}

	// Others: another account, a unit manager outside the box's group
	// (it has none), nobody logged in.
	b.addUser(t, store.User{Name: "eve", Role: store.RoleManager, Account: "other"})
	for _, who := range []string{"eve", "uma"} {
		other := b.browser(t)
		other.loggedIn(who)
		for _, suffix := range []string{"", ".json", ".csv"} {
			if resp, body := other.get(jobURL + suffix); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "10.0.0.5") {
				t.Errorf("%s gets %s: %s", who, jobURL+suffix, resp.Status)
			}
		}
	}
	anon := b.browser(t)
	for _, suffix := range []string{"", ".json", ".csv"} {
		if resp, _ := anon.get(jobURL + suffix); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Errorf("anonymous %s: %s", suffix, resp.Status)
		}
	}
	if resp, _ := br.get("/appliances/" + box.ID + "/jobs/job-nope.json"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("no such job: %s", resp.Status)
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{"": "", "nginx": "nginx", "=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "1-2": "1-2"} {
		if got := web.CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}
