package platformweb_test

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/result"
)

func vuln(id string, sev result.Severity, cvss float64, port uint16, title string, cves ...string) result.Finding {
	return result.Finding{ID: id, Title: title, Class: result.ClassVersion, Severity: sev, CVSS: cvss, Proto: result.TCP, Port: port,
		CVEs: cves, Evidence: "evidence of " + id, Remediation: "remedy for " + id}
}

// The findings the simulated box reports. Scan 1: 10.0.0.5 three (high,
// medium, a low one with a hostile title), 10.0.0.9 two (critical, high).
// Scan 2 of the same targets: 10.0.0.5's high one is gone (fixed), the
// others stay, 10.0.0.9 has a new medium one.
var (
	vSSH     = vuln("PKT-SSH-0001", result.High, 8.1, 22, "OpenSSH regreSSHion", "CVE-2024-6387")
	vTLS     = vuln("PKT-TLS-0001", result.Medium, 5.9, 443, "TLS 1.0 accepted")
	vHostile = vuln("PKT-HTTP-0009", result.Low, 3.1, 443, `Title <img src=x id=pwned2>`)
	vFTP     = vuln("PKT-FTP-0001", result.Critical, 10, 21, "vsftpd 2.3.4 backdoor", "CVE-2011-2523")
	vTrace   = vuln("PKT-HTTP-0002", result.High, 7.5, 80, "HTTP TRACE enabled")
	vNew     = vuln("PKT-SNMP-0001", result.Medium, 5.3, 161, "SNMP public community")
)

// scan has the box take the job it gets at its next poll and report
// hosts in two updates, the last one done with the summary; it returns
// the job the box got.
func (sb *scanBench) scan(t *testing.T, batch1, batch2 []result.Host) platformapi.Job {
	t.Helper()
	resp := sb.bx.poll(t, boxPoll)
	if len(resp.Jobs) != 1 {
		t.Fatalf("the box got jobs %+v; want one", resp.Jobs)
	}
	job := resp.Jobs[0]
	sb.bx.update(t, platformapi.JobUpdate{UploadID: job.ID + "-acc", JobID: job.ID, State: platformapi.JobAccepted})
	sb.bx.update(t, platformapi.JobUpdate{UploadID: job.ID + "-1", JobID: job.ID, State: platformapi.JobRunning, Hosts: batch1,
		Progress: &platformapi.JobProgress{Phase: "services", TargetsTotal: 256, TargetsDone: 100, HostsUp: 1}})
	counts := map[result.Severity]int{}
	for _, h := range append(slices.Clone(batch1), batch2...) {
		for _, f := range h.Findings {
			counts[f.Severity]++
		}
	}
	now := time.Now().UTC()
	sb.bx.update(t, platformapi.JobUpdate{UploadID: job.ID + "-2", JobID: job.ID, State: platformapi.JobDone, Hosts: batch2,
		Progress: &platformapi.JobProgress{Phase: "done", TargetsTotal: 256, TargetsDone: 256, HostsUp: 2},
		Summary:  &platformapi.ScanSummary{Started: now.Add(-time.Minute), Finished: now, Method: "syn", TargetsTotal: 256, HostsUp: 2, Signatures: "2.2.245-2", Findings: counts}})
	return job
}

func host(addr string, fs ...result.Finding) result.Host {
	return result.Host{Addr: netip.MustParseAddr(addr), Up: true, Findings: fs}
}

// TestFindingsInBrowser: a job launched with a check class off reaches
// the box with it; the findings the box reports through the box API show
// on the job page with counts by severity, filter by severity with the
// page's form, and make a report whose SVG chart has one bar per
// severity, as long as its count's share of the largest, with the
// findings grouped by severity; a second scan of the same targets shows
// what is new and what is fixed.
func TestFindingsInBrowser(t *testing.T) {
	sb := newScanBench(t)
	bctx, c := sb.bctx, css
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		chromeDo(t, bctx, what, steps...)
	}
	text := func(sel string) string {
		t.Helper()
		return chromeText(t, bctx, sel)
	}
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return s
	}
	launch := func(what string, off ...string) {
		t.Helper()
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(sb.base + "/appliances/" + sb.boxID),
			chromedp.WaitVisible(c("#job-form")),
			chromedp.SetValue(c("#targets"), "10.0.0.0/24"),
			chromedp.SetValue(c("#ports"), "1-1024"),
		}
		for _, o := range off {
			steps = append(steps, chromedp.Click(c("#off-"+o)))
		}
		do(what, append(steps, chromedp.Click(c("#launch")), chromedp.WaitVisible(c("#notice")))...)
	}

	launch("launch scan 1 with UDP checks off", "udp")
	job1 := sb.scan(t, []result.Host{host("10.0.0.5", vSSH, vTLS, vHostile)}, []result.Host{host("10.0.0.9", vTrace, vFTP)})
	if !slices.Equal(job1.ChecksOff, []string{"udp"}) {
		t.Errorf("the box got checks off %q; want [udp]", job1.ChecksOff)
	}
	jobURL := sb.base + "/appliances/" + sb.boxID + "/jobs/" + job1.ID
	do("job page", chromedp.Navigate(jobURL), chromedp.WaitVisible(c("#findings")))
	for sev, n := range map[string]int{"critical": 1, "high": 2, "medium": 1, "low": 1, "info": 0, "all": 5} {
		if got := text("#count-" + sev); got != strconv.Itoa(n) {
			t.Errorf("count of %s: %q; want %d", sev, got, n)
		}
	}
	if got := text("#job-checks-off"); got != "udp" {
		t.Errorf("checks off shown: %q", got)
	}
	rows := func() []string {
		t.Helper()
		s := eval(`Array.from(document.querySelectorAll("#findings tr.finding")).map(r => r.querySelector(".severity").textContent.split(" ")[0] + " " + r.querySelector(".check").textContent + " " + r.querySelector(".host").textContent).join("\n")`)
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}
	all := []string{"critical PKT-FTP-0001 10.0.0.9", "high PKT-SSH-0001 10.0.0.5", "high PKT-HTTP-0002 10.0.0.9",
		"medium PKT-TLS-0001 10.0.0.5", "low PKT-HTTP-0009 10.0.0.5"}
	if got := rows(); !slices.Equal(got, all) {
		t.Errorf("findings rows %q; want %q", got, all)
	}
	if n := eval(`String(document.querySelectorAll("#pwned2, #findings img").length)`); n != "0" {
		t.Errorf("a finding's title made %s elements", n)
	}

	do("filter by severity", chromedp.Click(c("#sev-high")), chromedp.Click(c("#filter")), chromedp.WaitVisible(c("#filter-clear")))
	if got := rows(); !slices.Equal(got, all[1:3]) {
		t.Errorf("high only: rows %q; want %q", got, all[1:3])
	}
	if sev := eval(`new URLSearchParams(location.search).getAll("sev").join(",")`); sev != "high" {
		t.Errorf("severity filter in the address: %q; want high", sev)
	}

	do("open the report", chromedp.Click(c("#filter-clear")), chromedp.WaitNotPresent(c("#filter-clear")),
		chromedp.Click(c("#report-link")), chromedp.WaitVisible(c("#severity-chart")))
	// Per bar: severity, the count it says, the count shown next to it,
	// and its drawn width (getBBox: the geometry the browser laid out).
	bars := eval(`Array.from(document.querySelectorAll("#severity-chart g.chart-row")).map(g => g.dataset.severity + " " + g.dataset.count + " " + g.querySelector(".chart-count").textContent + " " + Math.round(g.querySelector("rect").getBBox().width)).join("\n")`)
	// Counts 1, 2, 1, 1, 0; the largest (2) is drawn 400 units long.
	want := "critical 1 1 200\nhigh 2 2 400\nmedium 1 1 200\nlow 1 1 200\ninfo 0 0 0"
	if bars != want {
		t.Errorf("chart bars:\n%s\nwant:\n%s", bars, want)
	}
	groups := eval(`Array.from(document.querySelectorAll("section.sev-group")).map(s => s.id + ":" + Array.from(s.querySelectorAll(".report-finding")).map(f => f.dataset.host + "/" + f.dataset.id).join(",")).join("\n")`)
	if want := "group-critical:10.0.0.9/PKT-FTP-0001\ngroup-high:10.0.0.5/PKT-SSH-0001,10.0.0.9/PKT-HTTP-0002\ngroup-medium:10.0.0.5/PKT-TLS-0001\ngroup-low:10.0.0.5/PKT-HTTP-0009"; groups != want {
		t.Errorf("report groups:\n%s\nwant:\n%s", groups, want)
	}
	if got := text("#group-critical"); !strings.Contains(got, "Remediation: remedy for PKT-FTP-0001") || !strings.Contains(got, "CVE-2011-2523") {
		t.Errorf("critical group: %q", got)
	}
	if n := eval(`String(document.querySelectorAll("#pwned2, main img, script").length)`); n != "0" {
		t.Errorf("the report has %s img/script elements", n)
	}
	if got := text("#report-signatures"); got != "2.2.245-2" {
		t.Errorf("signatures in the report: %q", got)
	}
	// Printed: the navigation goes, the chart stays.
	printed := func() string {
		t.Helper()
		return eval(`["header", "p.noprint", "#severity-chart", "#group-high"].map(s => s + ":" + getComputedStyle(document.querySelector(s)).display).join(",")`)
	}
	if got, want := printed(), "header:flex,p.noprint:block,#severity-chart:inline,#group-high:block"; got != want {
		t.Errorf("on screen: %s; want %s", got, want)
	}
	if _, err := chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatalf("emulate print: %v", err)
	}
	if got, want := printed(), "header:none,p.noprint:none,#severity-chart:inline,#group-high:block"; got != want {
		t.Errorf("printed: %s; want %s", got, want)
	}
	if _, err := chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatalf("stop emulating print: %v", err)
	}

	// Scan 2 of the same targets. Rows go by severity, then host.
	launch("launch scan 2")
	job2 := sb.scan(t, []result.Host{host("10.0.0.5", vTLS, vHostile)}, []result.Host{host("10.0.0.9", vTrace, vFTP, vNew)})
	do("job page of scan 2", chromedp.Navigate(sb.base+"/appliances/"+sb.boxID+"/jobs/"+job2.ID), chromedp.WaitVisible(c("#findings")))
	if got, want := text("#new-count")+" new, "+text("#fixed-count")+" fixed", "1 new, 1 fixed"; got != want {
		t.Errorf("scan 2: %q; want %q", got, want)
	}
	if got := text("#prev-scan"); got != job1.ID {
		t.Errorf("scan 2 compared with %q; want %s", got, job1.ID)
	}
	fixed := eval(`Array.from(document.querySelectorAll("#fixed tr.fixed")).map(r => r.dataset.host + "/" + r.dataset.id).join(",")`)
	if fixed != "10.0.0.5/PKT-SSH-0001" {
		t.Errorf("fixed: %q; want 10.0.0.5/PKT-SSH-0001", fixed)
	}
	seen := eval(`Array.from(document.querySelectorAll("#findings tr.finding")).map(r => r.dataset.id + ":" + (r.querySelector(".seen .new") ? "new" : r.querySelector(".seen").textContent.startsWith("since ") ? "known" : "?")).join(",")`)
	if want := "PKT-FTP-0001:known,PKT-HTTP-0002:known,PKT-TLS-0001:known,PKT-SNMP-0001:new,PKT-HTTP-0009:known"; seen != want {
		t.Errorf("scan 2 statuses %q; want %q", seen, want)
	}
	do("new only", chromedp.Click(c("#filter-new")), chromedp.Click(c("#filter")), chromedp.WaitVisible(c("#filter-clear")))
	if got := rows(); !slices.Equal(got, []string{"medium PKT-SNMP-0001 10.0.0.9"}) {
		t.Errorf("new only: %q", got)
	}
}
