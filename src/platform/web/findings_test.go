package web_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/findings"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

// launch launches a job through the form and returns it.
func (b *bench) launch(t *testing.T, br *browser, token, boxID string, form url.Values) store.Job {
	t.Helper()
	form.Set("csrf", token)
	if resp, body := br.post("/appliances/"+boxID+"/jobs", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("launch %v: %s\n%s", form, resp.Status, body)
	}
	var j store.Job
	b.st.View(func(tx store.Tx) error { js, _ := tx.JobsOf(boxID); j = js[len(js)-1]; return nil })
	return j
}

// done stores hosts as the job's results, ends it done and makes its
// tracking record against the previous done scan of its targets, as the
// box API does.
func (b *bench) done(t *testing.T, jobID string, hosts ...result.Host) {
	t.Helper()
	err := b.st.Update(func(tx store.Tx) error {
		j, err := tx.AppendHosts(jobID, hosts)
		if err != nil {
			return err
		}
		j.State, j.Updated = platformapi.JobDone, b.clock.Now()
		j.Summary = &platformapi.ScanSummary{Started: b.clock.Now(), Finished: b.clock.Now(), Signatures: "2.2.245-2"}
		if err := tx.PutJob(j); err != nil {
			return err
		}
		var prev *findings.Tracking
		if p, err := store.PreviousTracking(tx, j); err == nil {
			prev = &p
		}
		tr := findings.NewTracker(prev, j.ID, j.Updated, j.ChecksOff)
		for _, h := range hosts {
			tr.Add(h)
		}
		return tx.PutTracking(tr.Done())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func webFinding(id string, sev result.Severity, cvss float64, port uint16, title, evidence, remediation string, cves ...string) result.Finding {
	return result.Finding{ID: id, Title: title, Class: result.ClassVersion, Severity: sev, CVSS: cvss, Proto: result.TCP, Port: port,
		CVEs: cves, Evidence: evidence, Remediation: remediation}
}

// The findings fed to the tests: 10.0.0.5 has a high, a medium and a
// hostile low one; 10.0.0.9 a critical and a second high; 10.0.0.7 is up
// with none.
var (
	fSSH     = webFinding("PKT-SSH-0001", result.High, 8.1, 22, "OpenSSH regreSSHion", "OpenSSH 9.2p1", "Upgrade OpenSSH", "CVE-2024-6387")
	fTLS     = webFinding("PKT-TLS-0001", result.Medium, 5.9, 443, "TLS 1.0 accepted", "TLSv1.0", "Disable TLS 1.0")
	fHostile = webFinding("PKT-HTTP-0009", result.Low, 3.1, 443, "Title "+hostile, "=cmd|' /C calc'!A0", "+SUM(1)", "@CVE")
	fVsftpd  = webFinding("PKT-FTP-0001", result.Critical, 10, 21, "vsftpd 2.3.4 backdoor", "220 (vsFTPd 2.3.4)", "Replace vsftpd", "CVE-2011-2523")
	fTrace   = webFinding("PKT-HTTP-0002", result.High, 7.5, 80, "HTTP TRACE enabled", "-TRACE 200", "Disable TRACE")
)

func findingHosts() []result.Host {
	return []result.Host{
		{Addr: netip.MustParseAddr("10.0.0.5"), Names: []string{"web.bench"}, Up: true, Findings: []result.Finding{fSSH, fTLS, fHostile}},
		{Addr: netip.MustParseAddr("10.0.0.7"), Up: true},
		{Addr: netip.MustParseAddr("10.0.0.9"), Up: true, Findings: []result.Finding{fTrace, fVsftpd}},
	}
}

var findingRowRE = regexp.MustCompile(`<tr class="finding sev-(\w+)" data-id="([^"]+)" data-host="([^"]+)">`)

// rowsOf lists the findings table's rows as "severity id host".
func rowsOf(page string) []string {
	var out []string
	for _, m := range findingRowRE.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1]+" "+m[2]+" "+m[3])
	}
	return out
}

// TestJobFindings: the job page counts the findings by severity, lists
// them most severe first with what the box sent escaped, and filters them
// by severity, host and text with plain GET parameters; the exports take
// the same filter, the CSV one with formula cells defused.
func TestJobFindings(t *testing.T) {
	b := newBench(t)
	br := b.browser(t)
	token := br.loggedIn("alice")
	box := b.activeBox(t, br, token)
	j := b.launch(t, br, token, box.ID, url.Values{"targets": {"10.0.0.0/24"}, "ports": {"1-1024"}})
	b.done(t, j.ID, findingHosts()...)
	jobURL := "/appliances/" + box.ID + "/jobs/" + j.ID

	_, page := br.get(jobURL)
	for sev, n := range map[string]int{"critical": 1, "high": 2, "medium": 1, "low": 1, "info": 0, "all": 5} {
		if want := `id="count-` + sev + `">` + strconv.Itoa(n) + `<`; !strings.Contains(page, want) {
			t.Errorf("job page lacks count %s", want)
		}
	}
	all := []string{"critical PKT-FTP-0001 10.0.0.9", "high PKT-SSH-0001 10.0.0.5", "high PKT-HTTP-0002 10.0.0.9",
		"medium PKT-TLS-0001 10.0.0.5", "low PKT-HTTP-0009 10.0.0.5"}
	if got := rowsOf(page); !slices.Equal(got, all) {
		t.Errorf("findings rows %q; want %q", got, all)
	}
	if strings.Contains(page, "<script") || !strings.Contains(page, "Title &lt;script&gt;") {
		t.Errorf("a finding's title reached the page unescaped")
	}
	for _, want := range []string{"CVE-2024-6387", "OpenSSH 9.2p1", "Upgrade OpenSSH", "2.2.245-2", `class="new">new<`, "The first completed scan of these targets"} {
		if !strings.Contains(page, want) {
			t.Errorf("job page lacks %q", want)
		}
	}
	if !strings.Contains(page, `<a class="host-findings" href="`+jobURL+`?host=10.0.0.5#findings-h">3 findings</a>`) {
		t.Errorf("the hosts table does not link 10.0.0.5's 3 findings")
	}

	for q, want := range map[string][]string{
		"sev=high":                   {all[1], all[2]},
		"sev=critical&sev=low":       {all[0], all[4]},
		"host=10.0.0.9":              {all[0], all[2]},
		"host=web.bench":             {all[1], all[3], all[4]},
		"host=10.0.0.8%2F29":         {all[0], all[2]},
		"q=cve-2024":                 {all[1]},
		"q=tls":                      {all[3]},
		"q=nothing-like-it":          nil,
		"sev=high&host=10.0.0.5":     {all[1]},
		"sev=bogus":                  all, // an unknown severity filters nothing
		"sev=medium&q=http&host=x.y": nil,
	} {
		_, page := br.get(jobURL + "?" + q)
		if got := rowsOf(page); !slices.Equal(got, want) {
			t.Errorf("?%s: rows %q; want %q", q, got, want)
		}
		if want == nil && !strings.Contains(page, "No findings match the filter") {
			t.Errorf("?%s: no rows and no word of it", q)
		}
	}
	_, page = br.get(jobURL + "?sev=high&host=10.0.0.9")
	for _, want := range []string{`id="sev-high" checked`, `id="filter-host" value="10.0.0.9"`,
		`href="` + jobURL + `.findings.csv?host=10.0.0.9&amp;sev=high"`, `href="` + jobURL + `/report?host=10.0.0.9&amp;sev=high"`} {
		if !strings.Contains(page, want) {
			t.Errorf("filtered page lacks %s", want)
		}
	}

	resp, body := br.get(jobURL + ".findings.csv")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("findings CSV: %v\n%s", err, body)
	}
	if len(rows) != 6 || strings.Join(rows[0][:8], ",") != "severity,cvss,host,names,proto,port,id,title" {
		t.Fatalf("findings CSV: %q", rows)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	last := rows[5]
	for name, want := range map[string]string{"severity": "low", "cvss": "3.1", "host": "10.0.0.5", "names": "web.bench", "port": "443",
		"id": "PKT-HTTP-0009", "title": "Title " + hostile, "evidence": `'=cmd|' /C calc'!A0`, "remediation": "'+SUM(1)", "cves": "'@CVE", "status": "new"} {
		if got := last[col[name]]; got != want {
			t.Errorf("CSV %s: %q; want %q", name, got, want)
		}
	}
	if got := rows[3][col["evidence"]]; got != "'-TRACE 200" {
		t.Errorf("CSV evidence starting with -: %q", got)
	}
	_, body = br.get(jobURL + ".findings.csv?sev=critical")
	if rows, _ := csv.NewReader(strings.NewReader(body)).ReadAll(); len(rows) != 2 || rows[1][col["id"]] != "PKT-FTP-0001" {
		t.Errorf("filtered CSV: %q", rows)
	}

	var exp struct {
		Job        string                  `json:"job"`
		Signatures string                  `json:"signatures"`
		Counts     map[result.Severity]int `json:"counts"`
		Findings   []struct {
			Host string `json:"host"`
			result.Finding
			New *bool `json:"new"`
		} `json:"findings"`
		Fixed []json.RawMessage `json:"fixed"`
	}
	_, body = br.get(jobURL + ".findings.json?host=10.0.0.5")
	if err := json.Unmarshal([]byte(body), &exp); err != nil {
		t.Fatalf("findings JSON: %v\n%s", err, body)
	}
	if exp.Job != j.ID || exp.Signatures != "2.2.245-2" || exp.Counts[result.High] != 2 || len(exp.Findings) != 3 ||
		exp.Findings[0].ID != fSSH.ID || exp.Findings[0].CVEs[0] != "CVE-2024-6387" || exp.Findings[0].New == nil || !*exp.Findings[0].New ||
		exp.Findings[2].Title != "Title "+hostile || exp.Fixed == nil {
		t.Errorf("findings JSON: %s", body)
	}

	// Another account sees none of it.
	b.addUser(t, store.User{Name: "eve", Role: store.RoleManager, Account: "other"})
	eve := b.browser(t)
	eve.loggedIn("eve")
	for _, p := range []string{".findings.json", ".findings.csv", "/report"} {
		if resp, body := eve.get(jobURL + p); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "PKT-") {
			t.Errorf("eve gets %s: %s", p, resp.Status)
		}
	}
}

var (
	barRE   = regexp.MustCompile(`<g class="chart-row" data-severity="(\w+)" data-count="(\d+)">\s*<text[^>]*>[^<]*</text>\s*<rect class="bar sev-(\w+)" x="\d+" y="\d+" width="(\d+)"`)
	groupRE = regexp.MustCompile(`<section class="sev-group" id="group-(\w+)">`)
	repRE   = regexp.MustCompile(`<div class="report-finding" data-id="([^"]+)" data-host="([^"]+)">`)
)

// TestReport: the report has a bar per severity whose width is its
// count's share of the largest (400 units), the findings by severity then
// host with their remediation, escaped; it takes the page's filter.
func TestReport(t *testing.T) {
	b := newBench(t)
	br := b.browser(t)
	token := br.loggedIn("alice")
	box := b.activeBox(t, br, token)
	j := b.launch(t, br, token, box.ID, url.Values{"targets": {"10.0.0.0/24"}, "ports": {"1-1024"}})
	b.done(t, j.ID, findingHosts()...)
	resp, page := br.get("/appliances/" + box.ID + "/jobs/" + j.ID + "/report")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report: %s", resp.Status)
	}
	// Counts 1, 2, 1, 1, 0: the two highs get the full 400.
	want := []string{"critical 1 200", "high 2 400", "medium 1 200", "low 1 200", "info 0 0"}
	var got []string
	for _, m := range barRE.FindAllStringSubmatch(page, -1) {
		if m[1] != m[3] {
			t.Errorf("bar of %s has the colour of %s", m[1], m[3])
		}
		got = append(got, m[1]+" "+m[2]+" "+m[4])
	}
	if !slices.Equal(got, want) {
		t.Errorf("chart bars %q; want %q", got, want)
	}
	var groups []string
	for _, m := range groupRE.FindAllStringSubmatch(page, -1) {
		groups = append(groups, m[1])
	}
	if want := []string{"critical", "high", "medium", "low"}; !slices.Equal(groups, want) {
		t.Errorf("report groups %q; want %q", groups, want)
	}
	var order []string
	for _, m := range repRE.FindAllStringSubmatch(page, -1) {
		order = append(order, m[2]+" "+m[1])
	}
	if want := []string{"10.0.0.9 PKT-FTP-0001", "10.0.0.5 PKT-SSH-0001", "10.0.0.9 PKT-HTTP-0002", "10.0.0.5 PKT-TLS-0001", "10.0.0.5 PKT-HTTP-0009"}; !slices.Equal(order, want) {
		t.Errorf("report findings %q; want %q", order, want)
	}
	for _, want := range []string{"Remediation: Replace vsftpd", "CVE-2011-2523", "@media print", "2.2.245-2"} {
		if want == "@media print" {
			_, css := br.get("/static/style.css")
			if !strings.Contains(css, want) {
				t.Errorf("style sheet has no print rules")
			}
			continue
		}
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Errorf("report has a script element (a finding's title unescaped?)")
	}

	_, page = br.get("/appliances/" + box.ID + "/jobs/" + j.ID + "/report?sev=high")
	got = nil
	for _, m := range barRE.FindAllStringSubmatch(page, -1) {
		got = append(got, m[1]+" "+m[2]+" "+m[4])
	}
	if want := []string{"critical 0 0", "high 2 400", "medium 0 0", "low 0 0", "info 0 0"}; !slices.Equal(got, want) {
		t.Errorf("filtered chart bars %q; want %q", got, want)
	}
	if !strings.Contains(page, `id="report-total">2 of 5<`) {
		t.Errorf("filtered report's total: want 2 of 5")
	}
}

// TestNewAndFixedOnPage: a second done scan of the same targets shows
// which findings are new, since when the others are known, and which
// are fixed; a scan still running is compared with the last done one.
func TestNewAndFixedOnPage(t *testing.T) {
	b := newBench(t)
	br := b.browser(t)
	token := br.loggedIn("alice")
	box := b.activeBox(t, br, token)
	j1 := b.launch(t, br, token, box.ID, url.Values{"targets": {"10.0.0.0/24"}, "ports": {"1-1024"}})
	b.done(t, j1.ID, findingHosts()...)
	t1 := b.clock.Now()
	b.clock.Advance(2 * time.Hour) // within the session's lifetime
	j2 := b.launch(t, br, token, box.ID, url.Values{"targets": {"10.0.0.0/24"}, "ports": {"1-1024"}})
	// The box still runs the scan: preview against scan 1.
	hosts := findingHosts()
	hosts[0].Findings = hosts[0].Findings[:1]                                                                     // 10.0.0.5: TLS and the low one fixed
	hosts[1].Findings = []result.Finding{webFinding("PKT-NEW-0001", result.Medium, 5, 8080, "New one", "x", "y")} // 10.0.0.7: a new one
	b.st.Update(func(tx store.Tx) error { _, err := tx.AppendHosts(j2.ID, hosts); return err })
	b.st.Update(func(tx store.Tx) error { j, _ := tx.Job(j2.ID); j.State = platformapi.JobRunning; return tx.PutJob(j) })
	jobURL := "/appliances/" + box.ID + "/jobs/" + j2.ID
	_, page := br.get(jobURL)
	if !strings.Contains(page, "The scan has not completed") || strings.Contains(page, `id="fixed"`) {
		t.Errorf("running scan: no preview note, or a fixed list")
	}
	_, page = br.get(jobURL + "?new=1")
	if got, want := rowsOf(page), []string{"medium PKT-NEW-0001 10.0.0.7"}; !slices.Equal(got, want) {
		t.Errorf("running scan, new only: %q; want %q", got, want)
	}
	// Done.
	b.st.Update(func(tx store.Tx) error {
		j, _ := tx.Job(j2.ID)
		j.State = platformapi.JobDone
		j.Updated = b.clock.Now()
		if err := tx.PutJob(j); err != nil {
			return err
		}
		p, err := store.PreviousTracking(tx, j)
		if err != nil {
			return err
		}
		tr := findings.NewTracker(&p, j.ID, j.Updated, nil)
		for _, h := range hosts {
			tr.Add(h)
		}
		return tx.PutTracking(tr.Done())
	})
	_, page = br.get(jobURL)
	fixedRE := regexp.MustCompile(`<tr class="fixed sev-(\w+)" data-id="([^"]+)" data-host="([^"]+)">`)
	var fixed []string
	for _, m := range fixedRE.FindAllStringSubmatch(page, -1) {
		fixed = append(fixed, m[1]+" "+m[2]+" "+m[3])
	}
	if want := []string{"medium PKT-TLS-0001 10.0.0.5", "low PKT-HTTP-0009 10.0.0.5"}; !slices.Equal(fixed, want) {
		t.Errorf("fixed %q; want %q", fixed, want)
	}
	if !strings.Contains(page, `id="new-count">1<`) || !strings.Contains(page, `id="fixed-count">2<`) || !strings.Contains(page, `href="/appliances/`+box.ID+`/jobs/`+j1.ID+`" id="prev-scan"`) {
		t.Errorf("tracking line wrong")
	}
	if since := "since " + t1.UTC().Format("2006-01-02 15:04:05 UTC"); strings.Count(page, since) != 3 {
		t.Errorf("want the 3 findings known from scan 1 %q; page has %d", since, strings.Count(page, since))
	}
	_, page = br.get(jobURL + "/report")
	if !strings.Contains(page, `id="report-tracking">1 new, 2 fixed`) || !strings.Contains(page, `<li class="fixed" data-id="PKT-TLS-0001" data-host="10.0.0.5">`) {
		t.Errorf("report lacks the tracking summary or the fixed list")
	}
}

// TestChecksOffForm: the job form's check classes are stored on the job
// (in result.CheckClasses' order) and shown; an unknown class is refused
// with the form kept.
func TestChecksOffForm(t *testing.T) {
	b := newBench(t)
	br := b.browser(t)
	token := br.loggedIn("alice")
	box := b.activeBox(t, br, token)
	_, page := br.get("/appliances/" + box.ID)
	for _, c := range result.CheckClasses {
		if !strings.Contains(page, `<input type="checkbox" name="checks_off" value="`+string(c)+`" id="off-`+string(c)+`">`) {
			t.Errorf("job form lacks a checkbox for %s", c)
		}
	}
	j := b.launch(t, br, token, box.ID, url.Values{"targets": {"10.0.0.1"}, "ports": {"22"}, "checks_off": {"udp", "http"}})
	if want := []string{"http", "udp"}; !slices.Equal(j.ChecksOff, want) {
		t.Errorf("checks off stored %q; want %q", j.ChecksOff, want)
	}
	if _, page := br.get("/appliances/" + box.ID + "/jobs/" + j.ID); !strings.Contains(page, `id="job-checks-off">http, udp<`) {
		t.Errorf("job page does not show the checks off")
	}
	resp, page := br.post("/appliances/"+box.ID+"/jobs", url.Values{"csrf": {token}, "targets": {"10.0.0.1"}, "ports": {"22"}, "checks_off": {"ftp", "exploit"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "&#34;exploit&#34; is not a check class") ||
		!strings.Contains(page, `id="off-ftp" checked`) {
		t.Errorf("unknown class: %s\n%s", resp.Status, page)
	}
}
