package findings

import (
	"net/netip"
	"testing"
	"time"

	"picket.dev/picket/src/scan/result"
)

// TestScanKey: spellings of the same targets, ports and interface share
// a key; a different network, port set or interface does not.
func TestScanKey(t *testing.T) {
	base := ScanKey([]string{"10.0.0.0/24", "host.example", "2001:db8::1"}, "22,80-443", 0)
	for name, k := range map[string]string{
		"order and host bits": ScanKey([]string{"2001:db8::1", "HOST.example.", "10.0.0.77/24"}, "80-443,22", 0),
		"duplicates":          ScanKey([]string{"10.0.0.0/24", "host.example", "2001:db8::1", "10.0.0.0/24"}, "22,80-100,101-443", 0),
		"mapped address":      ScanKey([]string{"10.0.0.0/24", "host.example", "2001:0db8:0::1"}, "22, 80-443", 0),
	} {
		if k != base {
			t.Errorf("%s: key %q; want %q", name, k, base)
		}
	}
	for name, k := range map[string]string{
		"other network": ScanKey([]string{"10.0.1.0/24", "host.example", "2001:db8::1"}, "22,80-443", 0),
		"other ports":   ScanKey([]string{"10.0.0.0/24", "host.example", "2001:db8::1"}, "22,80-444", 0),
		"other vlan":    ScanKey([]string{"10.0.0.0/24", "host.example", "2001:db8::1"}, "22,80-443", 100),
		"fewer targets": ScanKey([]string{"10.0.0.0/24", "host.example"}, "22,80-443", 0),
	} {
		if k == base {
			t.Errorf("%s: same key as the base %q", name, base)
		}
	}
}

var (
	t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	a1 = netip.MustParseAddr("10.0.0.1")
	a2 = netip.MustParseAddr("10.0.0.2")
)

func fd(id string, sev result.Severity, port uint16) result.Finding {
	return result.Finding{ID: id, Title: id + " title", Severity: sev, Class: result.ClassVersion, Proto: result.TCP, Port: port,
		CVEs: []string{"CVE-2024-6387"}, Evidence: "OpenSSH 9.2p1"}
}

// TestPreview: a job that is not done is compared with the last done
// scan's record: known findings keep their first-seen time, others are
// new, nothing is fixed; with no record every finding is new. A nil
// baseline knows nothing.
func TestPreview(t *testing.T) {
	tr := NewTracker(nil, "job-1", t0, nil)
	tr.Add(result.Host{Addr: a1, Up: true, Findings: []result.Finding{fd("X", result.High, 22)}})
	rec := tr.Done()
	p := Preview(&rec)
	h := result.Host{Addr: a1}
	if st := p.Status(KeyOf(h, fd("X", result.High, 22))); !st.Known || st.New || !st.FirstSeen.Equal(t0) {
		t.Errorf("known finding: %+v", st)
	}
	if st := p.Status(KeyOf(h, fd("X", result.High, 23))); !st.Known || !st.New {
		t.Errorf("same check on another port: %+v; want new", st)
	}
	if len(p.Fixed) != 0 || p.Prev != "job-1" {
		t.Errorf("preview: fixed %v, prev %q", p.Fixed, p.Prev)
	}
	if st := Preview(nil).Status(KeyOf(h, fd("X", result.High, 22))); !st.New {
		t.Errorf("no earlier scan: %+v; want new", st)
	}
	var none *Baseline
	if st := none.Status(KeyOf(h, fd("X", result.High, 22))); st.Known {
		t.Errorf("nil baseline: %+v", st)
	}
}

// TestTrackerLimit: findings past MaxTracked are counted, and while some
// are, nothing the job did not list can be called fixed.
func TestTrackerLimit(t *testing.T) {
	tr := NewTracker(nil, "job-1", t0, nil)
	tr.Add(result.Host{Addr: a1, Up: true, Findings: []result.Finding{fd("OLD", result.Low, 1)}})
	prev := tr.Done()
	tr = NewTracker(&prev, "job-2", t0.Add(time.Hour), nil)
	h := result.Host{Addr: a1, Up: true}
	for i := range MaxTracked + 5 {
		h.Findings = append(h.Findings, fd("N", result.Low, uint16(i%65535+1)))
	}
	h.Findings = append(h.Findings, fd("N", result.Low, 1)) // a duplicate of a tracked one: not counted again
	tr.Add(h)
	rec := tr.Done()
	if len(rec.Seen) != MaxTracked || rec.Untracked != 5 {
		t.Errorf("%d seen, %d untracked; want %d and 5", len(rec.Seen), rec.Untracked, MaxTracked)
	}
	if len(rec.Fixed) != 0 || len(rec.Carried) != 1 {
		t.Errorf("over the limit: %d fixed, %d carried; want the old finding carried", len(rec.Fixed), len(rec.Carried))
	}
}

// TestFilter: each part of the filter on its own and together.
func TestFilter(t *testing.T) {
	h1 := result.Host{Addr: a1, Names: []string{"Web.Example"}}
	h2 := result.Host{Addr: a2}
	high, low := fd("PKT-SSH-0001", result.High, 22), fd("PKT-TLS-0002", result.Low, 443)
	low.CVEs, low.Evidence = nil, "TLSv1.0 accepted"
	isNew, old := Status{Known: true, New: true}, Status{Known: true}
	for _, c := range []struct {
		name string
		f    Filter
		h    result.Host
		fd   result.Finding
		st   Status
		want bool
	}{
		{"none", Filter{}, h1, high, old, true},
		{"severity in", Filter{Severities: []result.Severity{result.Critical, result.High}}, h1, high, old, true},
		{"severity out", Filter{Severities: []result.Severity{result.Critical, result.High}}, h1, low, old, false},
		{"address", Filter{Host: "10.0.0.1"}, h1, high, old, true},
		{"other address", Filter{Host: "10.0.0.1"}, h2, high, old, false},
		{"network", Filter{Host: "10.0.0.0/30"}, h2, high, old, true},
		{"other network", Filter{Host: "10.0.1.0/24"}, h2, high, old, false},
		{"name text", Filter{Host: "web.ex"}, h1, high, old, true},
		{"address text", Filter{Host: "0.0.2"}, h2, high, old, true},
		{"name text, other host", Filter{Host: "web"}, h2, high, old, false},
		{"id", Filter{Text: "pkt-ssh"}, h1, high, old, true},
		{"cve", Filter{Text: "cve-2024-6387"}, h1, high, old, true},
		{"cve absent", Filter{Text: "cve-2024-6387"}, h1, low, old, false},
		{"evidence", Filter{Text: "tlsv1.0"}, h1, low, old, true},
		{"title", Filter{Text: "TLS-0002 TITLE"}, h1, low, old, true},
		{"new only", Filter{New: true}, h1, high, isNew, true},
		{"new only, old", Filter{New: true}, h1, high, old, false},
		{"all parts", Filter{Severities: []result.Severity{result.High}, Host: "10.0.0.0/24", Text: "ssh", New: true}, h1, high, isNew, true},
		{"all parts, one fails", Filter{Severities: []result.Severity{result.High}, Host: "10.0.0.2", Text: "ssh", New: true}, h1, high, isNew, false},
	} {
		if got := c.f.Match(c.h, c.fd, c.st); got != c.want {
			t.Errorf("%s: %v; want %v", c.name, got, c.want)
		}
	}
}
