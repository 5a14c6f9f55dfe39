// Package findings is the platform's view of the vulnerability findings
// boxes report (result.Finding, inside each result.Host): the scan key
// that says two jobs scanned the same targets, first-seen and fixed
// tracking across repeated scans of those targets, and the filters and
// order of the job page, its exports and its report. It does no I/O: the
// store keeps the Tracking records, the box API makes one when a job is
// done, the web UI shows them.
//
// Tracking rules. Two jobs scan the same targets when they have the same
// box, the same ScanKey (targets, ports and interface, normalized) and
// differ at most in the check classes switched off. A finding is
// identified across scans by its Key: host address, protocol, port and
// signature id. When a job is done, its findings are compared with what
// the previous done job of the same targets (by launch time) knew:
//   - a finding that job did not know is new; its first-seen time is this
//     job's;
//   - a finding it knew keeps its first-seen time;
//   - a finding it knew that this job does not report is fixed, when this
//     job reported the finding's host up and did not switch its check
//     class off; otherwise (the host was down or not stored, the check
//     was off) nothing can be said and it is carried over, still known
//     with its first-seen time, to be confirmed by a later scan.
//
// Only done jobs make Tracking records and serve as the previous scan: a
// failed or canceled scan is partial, so what it did not see is not
// fixed. A finding that was fixed and comes back is new again.
package findings

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/src/scan/result"
)

// MaxTracked bounds the entries of one Tracking record (seen, fixed and
// carried each), so that a record stays a bounded value in the store
// (about 300 bytes an entry). Findings beyond it are counted in
// Untracked and shown without a first-seen time.
const MaxTracked = 20000

// ScanKey normalizes a job's targets, ports and interface (VLAN, 0 for
// the LAN) into the string that two jobs of the same targets share:
// targets as canonical addresses and masked networks (host names in lower
// case without a final dot), sorted without duplicates; ports as merged
// sorted ranges. "10.0.0.9/24, 22,80-81,79" and "10.0.0.0/24, 79-81,22"
// give the same key.
func ScanKey(targets []string, ports string, vlan int) string {
	var ts []string
	for _, t := range targets {
		t = strings.TrimSpace(t)
		if p, err := netip.ParsePrefix(t); err == nil {
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			ts = append(ts, p.Masked().String())
		} else if a, err := netip.ParseAddr(t); err == nil {
			ts = append(ts, a.Unmap().WithZone("").String())
		} else {
			ts = append(ts, strings.TrimSuffix(strings.ToLower(t), "."))
		}
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	return fmt.Sprintf("vlan=%d ports=%s targets=%s", vlan, normPorts(ports), strings.Join(ts, ","))
}

// normPorts merges a port list ("22,80-81,79") into sorted ranges
// ("22,79-81"); what does not parse is kept as is (the platform checked
// it when the job was launched).
func normPorts(ports string) string {
	type rng struct{ lo, hi int }
	var rs []rng
	for _, p := range strings.Split(strings.ReplaceAll(ports, " ", ""), ",") {
		if p == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(p, "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a > b {
			return ports
		}
		rs = append(rs, rng{a, b})
	}
	slices.SortFunc(rs, func(x, y rng) int { return x.lo - y.lo })
	var out []string
	for i := 0; i < len(rs); {
		r := rs[i]
		for i++; i < len(rs) && rs[i].lo <= r.hi+1; i++ {
			r.hi = max(r.hi, rs[i].hi)
		}
		if r.lo == r.hi {
			out = append(out, strconv.Itoa(r.lo))
		} else {
			out = append(out, fmt.Sprintf("%d-%d", r.lo, r.hi))
		}
	}
	return strings.Join(out, ",")
}

// Key identifies a finding across scans of the same targets.
type Key struct {
	Addr  netip.Addr
	Proto result.Proto
	Port  uint16
	ID    string
}

// KeyOf is the key of finding f of host h.
func KeyOf(h result.Host, f result.Finding) Key {
	return Key{Addr: h.Addr, Proto: f.Proto, Port: f.Port, ID: f.ID}
}

// Entry is one tracked finding: its key, what a list of fixed findings
// shows of it, and when it was first and last seen.
type Entry struct {
	Addr     netip.Addr        `json:"addr"`
	Proto    result.Proto      `json:"proto,omitempty"`
	Port     uint16            `json:"port,omitempty"`
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	Severity result.Severity   `json:"severity"`
	Class    result.CheckClass `json:"class,omitempty"`
	// FirstSeen is the end of the first done scan that reported the
	// finding (of an unbroken series), FirstJob that scan's job.
	FirstSeen time.Time `json:"first_seen"`
	FirstJob  string    `json:"first_job"`
	// LastSeen is the end of the last done scan that reported it,
	// LastJob that scan's job.
	LastSeen time.Time `json:"last_seen"`
	LastJob  string    `json:"last_job"`
}

// Key is e's key.
func (e Entry) Key() Key { return Key{Addr: e.Addr, Proto: e.Proto, Port: e.Port, ID: e.ID} }

// Tracking is the first-seen and fixed record of one done job.
type Tracking struct {
	Job string    `json:"job"`
	At  time.Time `json:"at"`
	// Prev is the previous done job of the same targets compared with
	// ("" for the first).
	Prev string `json:"prev,omitempty"`
	// Seen are the job's findings, Fixed those Prev knew that the job
	// shows fixed, Carried those Prev knew that the job could not
	// confirm either way (see the package comment).
	Seen    []Entry `json:"seen,omitempty"`
	Fixed   []Entry `json:"fixed,omitempty"`
	Carried []Entry `json:"carried,omitempty"`
	// Untracked counts findings beyond MaxTracked.
	Untracked int `json:"untracked,omitempty"`
}

// Tracker makes the Tracking record of a done job from its hosts.
type Tracker struct {
	t       Tracking
	known   map[Key]Entry
	seen    map[Key]bool
	up      map[netip.Addr]bool
	off     []string
	ordered []Key // known keys in prev's order, for a stable record
}

// NewTracker starts the record of job jobID, done at at, which switched
// the check classes checksOff off; prev is the record of the previous
// done job of the same targets, nil if there is none.
func NewTracker(prev *Tracking, jobID string, at time.Time, checksOff []string) *Tracker {
	tr := &Tracker{t: Tracking{Job: jobID, At: at}, known: map[Key]Entry{}, seen: map[Key]bool{}, up: map[netip.Addr]bool{}, off: checksOff}
	if prev != nil {
		tr.t.Prev = prev.Job
		for _, l := range [][]Entry{prev.Seen, prev.Carried} {
			for _, e := range l {
				if _, dup := tr.known[e.Key()]; !dup {
					tr.known[e.Key()] = e
					tr.ordered = append(tr.ordered, e.Key())
				}
			}
		}
	}
	return tr
}

// Add records host h of the job (each host once).
func (tr *Tracker) Add(h result.Host) {
	if h.Up {
		tr.up[h.Addr] = true
	}
	for _, f := range h.Findings {
		k := KeyOf(h, f)
		if tr.seen[k] {
			continue
		}
		if len(tr.t.Seen) == MaxTracked {
			tr.t.Untracked++
			continue
		}
		tr.seen[k] = true
		e := Entry{Addr: h.Addr, Proto: f.Proto, Port: f.Port, ID: f.ID, Title: f.Title, Severity: f.Severity, Class: f.Class,
			FirstSeen: tr.t.At, FirstJob: tr.t.Job, LastSeen: tr.t.At, LastJob: tr.t.Job}
		if old, ok := tr.known[k]; ok {
			e.FirstSeen, e.FirstJob = old.FirstSeen, old.FirstJob
		}
		tr.t.Seen = append(tr.t.Seen, e)
	}
}

// Done returns the record.
func (tr *Tracker) Done() Tracking {
	for _, k := range tr.ordered {
		if tr.seen[k] {
			continue
		}
		e := tr.known[k]
		if tr.up[k.Addr] && !slices.Contains(tr.off, string(e.Class)) && tr.t.Untracked == 0 {
			if len(tr.t.Fixed) < MaxTracked {
				tr.t.Fixed = append(tr.t.Fixed, e)
			}
		} else if len(tr.t.Carried) < MaxTracked {
			tr.t.Carried = append(tr.t.Carried, e)
		}
	}
	Sort(tr.t.Fixed)
	return tr.t
}

// Sort orders entries as the pages list findings: most severe first,
// then by host, protocol, port and id.
func Sort(es []Entry) {
	slices.SortStableFunc(es, func(a, b Entry) int {
		return Compare(a.Severity, a.Addr, a.Proto, a.Port, a.ID, b.Severity, b.Addr, b.Proto, b.Port, b.ID)
	})
}

// Compare orders two findings: most severe first, then by host address,
// protocol, port and id.
func Compare(sa result.Severity, aa netip.Addr, pa result.Proto, na uint16, ia string,
	sb result.Severity, ab netip.Addr, pb result.Proto, nb uint16, ib string) int {
	if c := Rank(sa) - Rank(sb); c != 0 {
		return c
	}
	if c := aa.Compare(ab); c != 0 {
		return c
	}
	if c := strings.Compare(string(pa), string(pb)); c != 0 {
		return c
	}
	if c := int(na) - int(nb); c != 0 {
		return c
	}
	return strings.Compare(ia, ib)
}

// Rank is a severity's place in result.Severities (0 critical), or
// len(result.Severities) for one outside it.
func Rank(s result.Severity) int {
	if i := slices.Index(result.Severities[:], s); i >= 0 {
		return i
	}
	return len(result.Severities)
}

// Status is what tracking says of one finding of a job.
type Status struct {
	// Known: tracking has something to say (the job is done and has a
	// record, or it is not done and is compared with the last done scan).
	Known bool
	// New: no earlier done scan of the same targets reported it (the
	// last one did not, or there is none).
	New bool
	// FirstSeen is when it was first seen; zero for a new finding of a
	// job not done.
	FirstSeen time.Time
}

// Baseline answers Status for the findings of one job.
type Baseline struct {
	byKey map[Key]Entry
	own   string // the job whose record this is; "" for a preview
	// Fixed are the findings the job shows fixed (a done job's record
	// only); Prev the job compared with.
	Fixed []Entry
	Prev  string
}

// Baseline is the Status source of t's own job.
func (t *Tracking) Baseline() *Baseline {
	b := &Baseline{byKey: make(map[Key]Entry, len(t.Seen)), own: t.Job, Fixed: t.Fixed, Prev: t.Prev}
	for _, e := range t.Seen {
		b.byKey[e.Key()] = e
	}
	return b
}

// Preview is the Status source of a job that is not done, compared with
// prev, the record of the last done job of the same targets (nil: none,
// every finding is new). It shows nothing fixed: the scan is not
// complete.
func Preview(prev *Tracking) *Baseline {
	b := &Baseline{byKey: map[Key]Entry{}}
	if prev != nil {
		b.Prev = prev.Job
		for _, l := range [][]Entry{prev.Seen, prev.Carried} {
			for _, e := range l {
				b.byKey[e.Key()] = e
			}
		}
	}
	return b
}

// Status is what b says of the finding with key k; a nil b knows
// nothing.
func (b *Baseline) Status(k Key) Status {
	if b == nil {
		return Status{}
	}
	e, ok := b.byKey[k]
	switch {
	case b.own == "" && ok:
		return Status{Known: true, FirstSeen: e.FirstSeen}
	case b.own == "":
		return Status{Known: true, New: true}
	case ok:
		return Status{Known: true, New: e.FirstJob == b.own, FirstSeen: e.FirstSeen}
	}
	return Status{} // beyond MaxTracked
}

// Filter selects findings, as the job page's query parameters say.
type Filter struct {
	// Severities: any of these (none: all).
	Severities []result.Severity
	// Host: an address, a network (CIDR) holding the host, or text found
	// in its address or names (case-insensitive).
	Host string
	// Text: found in the id, title, CVEs, CWEs or evidence
	// (case-insensitive).
	Text string
	// New: only new findings.
	New bool
}

// Active reports whether f selects anything less than every finding.
func (f Filter) Active() bool {
	return len(f.Severities) > 0 || f.Host != "" || f.Text != "" || f.New
}

// MatchHost reports whether host h passes the host part of f.
func (f Filter) MatchHost(h result.Host) bool {
	q := strings.TrimSpace(f.Host)
	if q == "" {
		return true
	}
	if p, err := netip.ParsePrefix(q); err == nil {
		return p.Contains(h.Addr)
	}
	if a, err := netip.ParseAddr(q); err == nil {
		return a == h.Addr
	}
	q = strings.ToLower(q)
	if strings.Contains(h.Addr.String(), q) {
		return true
	}
	for _, n := range h.Names {
		if strings.Contains(strings.ToLower(n), q) {
			return true
		}
	}
	return false
}

// Match reports whether finding fd of host h, with status st, passes f.
func (f Filter) Match(h result.Host, fd result.Finding, st Status) bool {
	if len(f.Severities) > 0 && !slices.Contains(f.Severities, fd.Severity) {
		return false
	}
	if f.New && !st.New {
		return false
	}
	if !f.MatchHost(h) {
		return false
	}
	q := strings.ToLower(strings.TrimSpace(f.Text))
	if q == "" {
		return true
	}
	for _, s := range append([]string{fd.ID, fd.Title, fd.Evidence}, append(fd.CVEs, fd.CWEs...)...) {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}
