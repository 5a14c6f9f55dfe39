package web

// The job page (a scan's progress and results) and its exports. What a
// box reported is shown through html/template's escaping like everything
// else; the CSV export defuses cells a spreadsheet would run as formulas.

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"picket.dev/picket/src/platform/fleet"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

const (
	// pageHosts is the most hosts the job page lists; the exports have
	// them all.
	pageHosts = 1000
	// exportChunk is how many hosts an export reads per transaction: a
	// slow client must not hold a read transaction open (bbolt cannot
	// grow its file under one).
	exportChunk = 500
	// jobRefresh is how often (seconds) the page of a job that has not
	// ended reloads itself (a meta refresh: no script).
	jobRefresh = 5
)

var errEnough = errors.New("enough hosts")

type jobData struct {
	BoxID string
	Job   store.Job
	Hosts []result.Host
	Ended bool
	// F are the job's findings under the page's filter; HostFindings
	// counts each listed host's findings (all of them).
	F            findingsView
	HostFindings map[netip.Addr]int
	Severities   []result.Severity
}

// loadJob reads the job of the request's box (if u may see it) and at
// most n of its hosts from the from-th; on failure it has answered.
func (s *Server) loadJob(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User, jobID string, from, n int) (store.Job, []result.Host, bool) {
	var j store.Job
	var hosts []result.Host
	err := fleet.ViewJob(s.Store, r.PathValue("id"), jobID, u, func(tx store.Tx, jj store.Job) error {
		j, hosts = jj, nil
		return tx.EachHost(j.ID, from, func(h result.Host) error {
			if len(hosts) == n {
				return errEnough
			}
			hosts = append(hosts, h)
			return nil
		})
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	var ue *fleet.UserError
	switch {
	case errors.As(err, &ue):
		s.fail(w, r, http.StatusNotFound, sess, &u, ue.Msg)
		return j, nil, false
	case err != nil:
		s.internal(w, r, err)
		return j, nil, false
	}
	return j, hosts, true
}

// job serves GET /appliances/{id}/jobs/{job}, {job}.json and {job}.csv
// (a path wildcard is a whole segment; job ids have no dot).
func (s *Server) job(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	id := r.PathValue("job")
	switch {
	case strings.HasSuffix(id, ".findings.json"):
		s.exportFindings(w, r, sess, u, strings.TrimSuffix(id, ".findings.json"), "json")
	case strings.HasSuffix(id, ".findings.csv"):
		s.exportFindings(w, r, sess, u, strings.TrimSuffix(id, ".findings.csv"), "csv")
	case strings.HasSuffix(id, ".json"):
		s.export(w, r, sess, u, strings.TrimSuffix(id, ".json"), jsonExport{})
	case strings.HasSuffix(id, ".csv"):
		s.export(w, r, sess, u, strings.TrimSuffix(id, ".csv"), &csvExport{})
	default:
		j, hosts, ok := s.loadJob(w, r, sess, u, id, 0, pageHosts)
		if !ok {
			return
		}
		_, fv, ok := s.loadFindings(w, r, sess, u, id, filterOf(r.URL.Query()), pageFindings)
		if !ok {
			return
		}
		d := jobData{BoxID: j.BoxID, Job: j, Hosts: hosts, Ended: fleet.Ended(j.State), F: fv,
			HostFindings: map[netip.Addr]int{}, Severities: result.Severities[:]}
		for _, h := range hosts {
			d.HostFindings[h.Addr] = len(h.Findings)
		}
		p := page{Title: "Scan job " + j.ID, User: &u, CSRF: sess.CSRF, Data: d}
		if !fleet.Ended(j.State) {
			p.Refresh = jobRefresh
		}
		s.render(w, http.StatusOK, "job", p)
	}
}

// exporter writes one export format.
type exporter interface {
	contentType() string
	ext() string
	head(w http.ResponseWriter, j store.Job) error
	host(w http.ResponseWriter, h result.Host, first bool) error
	tail(w http.ResponseWriter) error
}

func (s *Server) export(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User, jobID string, e exporter) {
	j, hosts, ok := s.loadJob(w, r, sess, u, jobID, 0, exportChunk)
	if !ok {
		return
	}
	headers(w)
	w.Header().Set("Content-Type", e.contentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, j.ID, e.ext()))
	err := e.head(w, j)
	for n := 0; err == nil && len(hosts) > 0; {
		for _, h := range hosts {
			if err = e.host(w, h, n == 0); err != nil {
				break
			}
			n++
		}
		if err != nil || len(hosts) < exportChunk {
			break
		}
		if _, hosts, ok = s.loadJob(w, r, sess, u, jobID, n, exportChunk); !ok {
			return // deleted meanwhile: the export stops short
		}
	}
	if err == nil {
		err = e.tail(w)
	}
	if err != nil {
		s.Log.Warn("web: export cut short", "job", j.ID, "err", err)
	}
}

// jsonExport writes {"job": ..., "progress": ..., "summary": ...,
// "hosts": [result.Host...]}.
type jsonExport struct{}

// jobHead is the job part of the JSON export.
type jobHead struct {
	ID        string   `json:"id"`
	BoxID     string   `json:"box_id"`
	Targets   []string `json:"targets"`
	Ports     string   `json:"ports"`
	VLAN      int      `json:"vlan,omitempty"`
	ChecksOff []string `json:"checks_off,omitempty"`
	State     string   `json:"state"`
	Error     string   `json:"error,omitempty"`
	Truncated string   `json:"truncated,omitempty"`
	Created   string   `json:"created"`
	Updated   string   `json:"updated"`
}

func (jsonExport) contentType() string { return "application/json" }
func (jsonExport) ext() string         { return "json" }

func (jsonExport) head(w http.ResponseWriter, j store.Job) error {
	head := jobHead{ID: j.ID, BoxID: j.BoxID, Targets: j.Targets, Ports: j.Ports, VLAN: j.VLAN, ChecksOff: j.ChecksOff, State: j.State, Error: j.Error,
		Truncated: j.Truncated, Created: j.Created.UTC().Format(timeJSON), Updated: j.Updated.UTC().Format(timeJSON)}
	var parts []string
	for _, kv := range []struct {
		k string
		v any
	}{{"job", head}, {"progress", j.Progress}, {"summary", j.Summary}} {
		b, err := json.Marshal(kv.v)
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%q:%s", kv.k, b))
	}
	_, err := fmt.Fprintf(w, "{%s,\"hosts\":[", strings.Join(parts, ","))
	return err
}

const timeJSON = "2006-01-02T15:04:05.999999999Z07:00"

func (jsonExport) host(w http.ResponseWriter, h result.Host, first bool) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if !first {
		b = append([]byte{',', '\n'}, b...)
	}
	_, err = w.Write(b)
	return err
}

func (jsonExport) tail(w http.ResponseWriter) error {
	_, err := fmt.Fprint(w, "]}\n")
	return err
}

// csvExport writes one row per host and port (a host without ports gets
// one row with its address only).
type csvExport struct{ cw *csv.Writer }

func (*csvExport) contentType() string { return "text/csv; charset=utf-8" }
func (*csvExport) ext() string         { return "csv" }

func (e *csvExport) head(w http.ResponseWriter, _ store.Job) error {
	e.cw = csv.NewWriter(w)
	return e.cw.Write([]string{"address", "port", "proto", "state", "service", "product", "version", "extra"})
}

func (e *csvExport) host(_ http.ResponseWriter, h result.Host, _ bool) error {
	addr := h.Addr.String()
	if len(h.Ports) == 0 {
		return e.cw.Write([]string{addr, "", "", "", "", "", "", ""})
	}
	for _, p := range h.Ports {
		row := []string{addr, strconv.Itoa(int(p.Port)), string(p.Proto), string(p.State), "", "", "", ""}
		if sv := p.Service; sv != nil {
			row[4], row[5], row[6], row[7] = sv.Name, sv.Product, sv.Version, sv.Extra
		}
		for i := range row {
			row[i] = CSVCell(row[i])
		}
		if err := e.cw.Write(row); err != nil {
			return err
		}
	}
	e.cw.Flush()
	return e.cw.Error()
}

func (e *csvExport) tail(http.ResponseWriter) error {
	e.cw.Flush()
	return e.cw.Error()
}

// CSVCell defuses a cell a spreadsheet would take for a formula (OWASP's
// CSV injection advice): one that starts with = + - @, a tab or a
// carriage return gets a leading apostrophe.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
