package web

// Findings on the job page, in their exports and in the printable report.
// The filters are plain GET query parameters (sev, host, q, new), so a
// filtered page is a link and works without JavaScript; the exports and
// the report take the same parameters. The report's severity chart is SVG
// made here (bars whose width is the count's share of the largest).

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/findings"
	"picket.dev/picket/src/platform/fleet"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

const (
	// pageFindings is the most findings the job page lists (the most
	// severe first); the exports and the report have them all.
	pageFindings = 500
	// pageFindingHosts is the most hosts the page's per-host table lists.
	pageFindingHosts = 200
	// maxFilterText bounds a filter's text.
	maxFilterText = 256
)

// filterOf reads the findings filter from the query: sev (repeated, any
// of them), host, q (text) and new=1.
func filterOf(q url.Values) findings.Filter {
	var f findings.Filter
	for _, s := range q["sev"] {
		if sev := result.Severity(s); slices.Contains(result.Severities[:], sev) && !slices.Contains(f.Severities, sev) {
			f.Severities = append(f.Severities, sev)
		}
	}
	f.Host = platformapi.ClipText(strings.TrimSpace(q.Get("host")), maxFilterText)
	f.Text = platformapi.ClipText(strings.TrimSpace(q.Get("q")), maxFilterText)
	f.New = q.Get("new") == "1"
	return f
}

// filterQuery is f as a query string ("" for no filter), for links.
func filterQuery(f findings.Filter) string {
	q := url.Values{}
	for _, s := range f.Severities {
		q.Add("sev", string(s))
	}
	if f.Host != "" {
		q.Set("host", f.Host)
	}
	if f.Text != "" {
		q.Set("q", f.Text)
	}
	if f.New {
		q.Set("new", "1")
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// findingRow is one finding of a host, with what tracking says of it.
type findingRow struct {
	Addr   string
	Names  []string
	F      result.Finding
	Status findings.Status
	host   result.Host
}

// sevCount is one severity's count.
type sevCount struct {
	Severity result.Severity
	Count    int
}

// hostFindings counts the findings of one host by severity (in
// result.Severities' order).
type hostFindings struct {
	Addr   string
	Names  []string
	Counts []int
	Total  int
	worst  int
}

// findingsView is what the job page, the exports and the report show of
// a job's findings under a filter.
type findingsView struct {
	Filter findings.Filter
	// Query is the filter as a query string, for the export links.
	Query string
	// Counts are the job's findings by severity (all of them).
	Counts []sevCount
	Total  int
	// Rows are the findings that pass the filter, most severe first, at
	// most the caller's limit of Matched.
	Rows    []findingRow
	Matched int
	// Matching counts Matched by severity.
	Matching []sevCount
	PerHost  []hostFindings
	// MoreHosts counts hosts left out of PerHost.
	MoreHosts int
	// Fixed are the findings the job shows fixed (that pass the filter).
	Fixed []findings.Entry
	// Tracked: first-seen data is known. Preview: the job is not done, so
	// its findings are compared with the last done scan and nothing is
	// fixed yet. Prev is the job compared with.
	Tracked   bool
	Preview   bool
	Prev      string
	New       int
	Untracked int
}

// baselineOf is the Status source of job j: its own record when done,
// else a preview against the previous done scan of its targets.
func baselineOf(tx store.Tx, j store.Job) (*findings.Baseline, int, error) {
	if j.State == platformapi.JobDone {
		t, err := tx.Tracking(j.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, 0, nil // ended before the platform tracked findings
		}
		if err != nil {
			return nil, 0, err
		}
		return t.Baseline(), t.Untracked, nil
	}
	prev, err := store.PreviousTracking(tx, j)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return findings.Preview(nil), 0, nil
	case err != nil:
		return nil, 0, err
	}
	return findings.Preview(&prev), 0, nil
}

// loadFindings reads job jobID of the request's box and its findings that
// pass f, keeping at most maxRows rows (0: all); on failure it has
// answered.
func (s *Server) loadFindings(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User, jobID string, f findings.Filter, maxRows int) (store.Job, findingsView, bool) {
	var j store.Job
	var v findingsView
	err := fleet.ViewJob(s.Store, r.PathValue("id"), jobID, u, func(tx store.Tx, jj store.Job) error {
		j, v = jj, findingsView{Filter: f, Query: filterQuery(f)}
		base, untracked, err := baselineOf(tx, j)
		if err != nil {
			return err
		}
		v.Tracked, v.Preview, v.Untracked = base != nil, base != nil && j.State != platformapi.JobDone, untracked
		if base != nil {
			v.Prev = base.Prev
			fixed := f
			fixed.New = false // "new only" is about the job's findings
			for _, e := range base.Fixed {
				if fixed.Match(result.Host{Addr: e.Addr}, result.Finding{ID: e.ID, Title: e.Title, Severity: e.Severity}, findings.Status{}) {
					v.Fixed = append(v.Fixed, e)
				}
			}
		}
		return tx.EachFindingHost(j.ID, 0, func(h result.Host) error {
			for _, fd := range h.Findings {
				st := base.Status(findings.KeyOf(h, fd))
				if st.New {
					v.New++
				}
				if f.Match(h, fd, st) {
					v.Rows = append(v.Rows, findingRow{Addr: h.Addr.String(), Names: h.Names, F: fd, Status: st, host: h})
				}
			}
			return nil
		})
	})
	var ue *fleet.UserError
	switch {
	case errors.As(err, &ue):
		s.fail(w, r, http.StatusNotFound, sess, &u, ue.Msg)
		return j, v, false
	case err != nil:
		s.internal(w, r, err)
		return j, v, false
	}
	slices.SortStableFunc(v.Rows, func(a, b findingRow) int {
		return findings.Compare(a.F.Severity, a.host.Addr, a.F.Proto, a.F.Port, a.F.ID, b.F.Severity, b.host.Addr, b.F.Proto, b.F.Port, b.F.ID)
	})
	v.Matched = len(v.Rows)
	v.Counts, v.Total = countsOf(j.Findings)
	matching := map[result.Severity]int{}
	hosts := map[string]*hostFindings{}
	var order []*hostFindings
	for _, row := range v.Rows {
		matching[row.F.Severity]++
		hf := hosts[row.Addr]
		if hf == nil {
			hf = &hostFindings{Addr: row.Addr, Names: row.Names, Counts: make([]int, len(result.Severities)), worst: len(result.Severities)}
			hosts[row.Addr] = hf
			order = append(order, hf)
		}
		if k := findings.Rank(row.F.Severity); k < len(result.Severities) {
			hf.Counts[k]++
			hf.worst = min(hf.worst, k)
		}
		hf.Total++
	}
	v.Matching, _ = countsOf(matching)
	// Hosts with the most severe findings first (the rows' order), then
	// by how many.
	slices.SortStableFunc(order, func(a, b *hostFindings) int {
		if a.worst != b.worst {
			return a.worst - b.worst
		}
		return b.Total - a.Total
	})
	for i, hf := range order {
		if i == pageFindingHosts {
			v.MoreHosts = len(order) - i
			break
		}
		v.PerHost = append(v.PerHost, *hf)
	}
	if maxRows > 0 && len(v.Rows) > maxRows {
		v.Rows = v.Rows[:maxRows]
	}
	return j, v, true
}

// countsOf lists counts by severity in result.Severities' order, and
// their sum.
func countsOf(m map[result.Severity]int) ([]sevCount, int) {
	out := make([]sevCount, 0, len(result.Severities))
	total := 0
	for _, sev := range result.Severities {
		out = append(out, sevCount{sev, m[sev]})
		total += m[sev]
	}
	return out, total
}

// findingExport is one row of the findings JSON export.
type findingExport struct {
	Host  string   `json:"host"`
	Names []string `json:"names,omitempty"`
	result.Finding
	// New and FirstSeen are the tracking status (absent when the job
	// has none).
	New       *bool  `json:"new,omitempty"`
	FirstSeen string `json:"first_seen,omitempty"`
}

// fixedExport is a fixed finding in the JSON export.
type fixedExport struct {
	Host      string          `json:"host"`
	Proto     result.Proto    `json:"proto,omitempty"`
	Port      uint16          `json:"port,omitempty"`
	ID        string          `json:"id"`
	Title     string          `json:"title"`
	Severity  result.Severity `json:"severity"`
	FirstSeen string          `json:"first_seen"`
	LastSeen  string          `json:"last_seen"`
}

// exportFindings serves {job}.findings.json and {job}.findings.csv: the
// findings that pass the query's filter, most severe first.
func (s *Server) exportFindings(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User, jobID, ext string) {
	j, v, ok := s.loadFindings(w, r, sess, u, jobID, filterOf(r.URL.Query()), 0)
	if !ok {
		return
	}
	headers(w)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-findings.%s"`, j.ID, ext))
	var err error
	if ext == "json" {
		w.Header().Set("Content-Type", "application/json")
		err = writeFindingsJSON(w, j, v)
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		err = writeFindingsCSV(w, v)
	}
	if err != nil {
		s.Log.Warn("web: findings export cut short", "job", j.ID, "err", err)
	}
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeJSON)
}

func writeFindingsJSON(w http.ResponseWriter, j store.Job, v findingsView) error {
	out := struct {
		Job        string                  `json:"job"`
		BoxID      string                  `json:"box_id"`
		State      string                  `json:"state"`
		Signatures string                  `json:"signatures,omitempty"`
		Counts     map[result.Severity]int `json:"counts"`
		Filter     string                  `json:"filter,omitempty"`
		Findings   []findingExport         `json:"findings"`
		Fixed      []fixedExport           `json:"fixed"`
		Previous   string                  `json:"previous_scan,omitempty"`
	}{Job: j.ID, BoxID: j.BoxID, State: j.State, Counts: map[result.Severity]int{}, Filter: strings.TrimPrefix(v.Query, "?"),
		Findings: []findingExport{}, Fixed: []fixedExport{}, Previous: v.Prev}
	if j.Summary != nil {
		out.Signatures = j.Summary.Signatures
	}
	for _, c := range v.Counts {
		out.Counts[c.Severity] = c.Count
	}
	for _, row := range v.Rows {
		fe := findingExport{Host: row.Addr, Names: row.Names, Finding: row.F}
		if row.Status.Known {
			isNew := row.Status.New
			fe.New, fe.FirstSeen = &isNew, timeOrEmpty(row.Status.FirstSeen)
		}
		out.Findings = append(out.Findings, fe)
	}
	for _, e := range v.Fixed {
		out.Fixed = append(out.Fixed, fixedExport{Host: e.Addr.String(), Proto: e.Proto, Port: e.Port, ID: e.ID, Title: e.Title,
			Severity: e.Severity, FirstSeen: timeOrEmpty(e.FirstSeen), LastSeen: timeOrEmpty(e.LastSeen)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(out)
}

func writeFindingsCSV(w http.ResponseWriter, v findingsView) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"severity", "cvss", "host", "names", "proto", "port", "id", "title", "class", "cves", "cwes",
		"status", "first_seen", "evidence", "remediation", "cvss_vector", "references"}); err != nil {
		return err
	}
	for _, row := range v.Rows {
		f := row.F
		status := ""
		if row.Status.Known {
			status = "seen before"
			if row.Status.New {
				status = "new"
			}
		}
		port := ""
		if f.Port != 0 {
			port = strconv.Itoa(int(f.Port))
		}
		rec := []string{string(f.Severity), strconv.FormatFloat(f.CVSS, 'f', 1, 64), row.Addr, strings.Join(row.Names, " "), string(f.Proto), port,
			f.ID, f.Title, string(f.Class), strings.Join(f.CVEs, " "), strings.Join(f.CWEs, " "), status, timeOrEmpty(row.Status.FirstSeen),
			f.Evidence, f.Remediation, f.Vector, strings.Join(f.References, " ")}
		for i := range rec {
			rec[i] = CSVCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// chartBar is one bar of the report's severity chart.
type chartBar struct {
	Severity result.Severity
	Count    int
	// Y is the bar's top, Width its length (a share of chartWidth).
	Y, Width int
}

// Geometry of the severity chart (SVG user units).
const (
	chartWidth  = 400 // the longest bar
	chartLabel  = 80  // the severity names left of the bars
	chartBarH   = 24
	chartBarGap = 8
)

// chart lays out one bar per severity, in result.Severities' order; the
// largest count gets the full width, a count of zero none.
func chart(counts []sevCount) []chartBar {
	top := 0
	for _, c := range counts {
		top = max(top, c.Count)
	}
	var bars []chartBar
	for i, c := range counts {
		b := chartBar{Severity: c.Severity, Count: c.Count, Y: i * (chartBarH + chartBarGap)}
		if top > 0 {
			b.Width = (c.Count*chartWidth + top/2) / top
			if c.Count > 0 {
				b.Width = max(b.Width, 2) // a bar one can see
			}
		}
		bars = append(bars, b)
	}
	return bars
}

// reportGroup is the report's findings of one severity, by host.
type reportGroup struct {
	Severity result.Severity
	Hosts    []reportHost
}

type reportHost struct {
	Addr  string
	Names []string
	Rows  []findingRow
}

type reportData struct {
	BoxID, BoxName string
	Job            store.Job
	V              findingsView
	Bars           []chartBar
	ChartH         int
	Groups         []reportGroup
	Generated      string
}

// report serves GET /appliances/{id}/jobs/{job}/report: a page to print.
func (s *Server) report(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	j, v, ok := s.loadFindings(w, r, sess, u, r.PathValue("job"), filterOf(r.URL.Query()), 0)
	if !ok {
		return
	}
	d := reportData{BoxID: j.BoxID, Job: j, V: v, Generated: fmtTime(s.Now())}
	var b store.Box
	if err := s.Store.View(func(tx store.Tx) error { var err error; b, err = tx.Box(j.BoxID); return err }); err == nil {
		d.BoxName = b.Name
	}
	d.Bars = chart(v.Matching)
	d.ChartH = len(d.Bars)*(chartBarH+chartBarGap) - chartBarGap
	for _, row := range v.Rows {
		if n := len(d.Groups); n == 0 || d.Groups[n-1].Severity != row.F.Severity {
			d.Groups = append(d.Groups, reportGroup{Severity: row.F.Severity})
		}
		g := &d.Groups[len(d.Groups)-1]
		if n := len(g.Hosts); n == 0 || g.Hosts[n-1].Addr != row.Addr {
			g.Hosts = append(g.Hosts, reportHost{Addr: row.Addr, Names: row.Names})
		}
		h := &g.Hosts[len(g.Hosts)-1]
		h.Rows = append(h.Rows, row)
	}
	s.render(w, http.StatusOK, "report", page{Title: "Vulnerability report: job " + j.ID, User: &u, CSRF: sess.CSRF, Data: d})
}
