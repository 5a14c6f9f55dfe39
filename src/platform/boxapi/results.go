package boxapi

// Validation of what a job update carries of a scan's results
// (platformapi.JobUpdate Progress, Hosts and Summary). What could not be
// shown or exported sensibly is refused (an address that is not one, a
// protocol or port state outside the model, a port 0, a phase nobody
// knows); text is made valid UTF-8 and cut to a length, and lists are cut
// to a count, so that one odd banner does not make a box's whole batch
// bounce forever. The update itself is bounded by platformapi.MaxJobUpdate
// and the job's total by the store's Limits.

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/result"
)

// Bounds of the texts and lists of a host, in bytes and entries.
const (
	maxHostNames  = 16
	maxHostPorts  = 2 * 65536 // every TCP and UDP port
	maxText       = 256       // product, version, banner, titles...
	maxLongText   = 1024      // a fact's value, a redirect
	maxFacts      = 64
	maxListItems  = 64 // algorithms, SANs, TLS versions, redirects
	maxChainCerts = 10

	// Findings: a host's count, and the texts of one (evidence at most
	// 512 bytes, as result.Finding says the box sends).
	maxHostFindings = 256
	maxFindingID    = 64
	maxEvidence     = 512
	maxRemediation  = 2048
	maxFindingRefs  = 16
	maxFindingIDs   = 64 // CVEs, CWEs
)

// cuts counts what cleaning left out of an update's findings (the job
// page says so).
type cuts struct{ dropped, texts int }

// clipMark is clipN that marks a cut text with "…" and counts it.
func (c *cuts) clipMark(s string, n int) string {
	v := clipN(s, n)
	if len(v) == len(strings.ToValidUTF8(s, "\uFFFD")) {
		return v
	}
	c.texts++
	return clipN(s, n-len("…")) + "…"
}

var phases = []string{"", "resolving", "discovery", "portscan", "services", "done"}

func badResult(format string, args ...any) error {
	return refuse(http.StatusBadRequest, platformapi.ErrBadRequest, format, args...)
}

// checkProgress refuses an unknown phase or negative counts.
func checkProgress(p *platformapi.JobProgress) error {
	if p == nil {
		return nil
	}
	if !slices.Contains(phases, p.Phase) {
		return badResult("progress: phase %q; allowed: resolving, discovery, portscan, services, done", clip(p.Phase))
	}
	if p.HostsUp < 0 || p.OpenPorts < 0 {
		return badResult("progress: negative hosts_up or open_ports")
	}
	return nil
}

// checkSummary refuses negative counts and cuts the texts.
func checkSummary(s *platformapi.ScanSummary) error {
	if s == nil {
		return nil
	}
	if s.HostsUp < 0 || s.OpenPorts < 0 {
		return badResult("summary: negative hosts_up or open_ports")
	}
	for sev, n := range s.Findings {
		if !slices.Contains(result.Severities[:], sev) || n < 0 {
			return badResult("summary: findings: %q: %d; want counts of critical, high, medium, low, info", clip(string(sev)), n)
		}
	}
	s.Interface, s.Method = clipN(s.Interface, 64), clipN(s.Method, 32)
	s.Signatures = clipN(s.Signatures, platformapi.MaxReportLen)
	return nil
}

func clipN(s string, n int) string { return platformapi.ClipText(s, n) }

func clipAll(l []string, items, n int) []string {
	if len(l) > items {
		l = l[:items]
	}
	for i := range l {
		l[i] = clipN(l[i], n)
	}
	return l
}

// checkHosts validates and cleans the hosts of an update in place,
// counting in c what it left out of their findings.
func checkHosts(hosts []result.Host, c *cuts) error {
	for i := range hosts {
		h := &hosts[i]
		if !h.Addr.IsValid() {
			return badResult("host %d: no valid address", i+1)
		}
		if len(h.Ports) > maxHostPorts {
			return badResult("host %s: %d ports; at most %d", h.Addr, len(h.Ports), maxHostPorts)
		}
		h.Names = clipAll(h.Names, maxHostNames, platformapi.MaxTargetLen)
		h.UpReason = result.Reason(clipN(string(h.UpReason), 32))
		h.MAC, h.Vendor = clipN(h.MAC, 64), clipN(h.Vendor, maxText)
		for k := range h.Ports {
			p := &h.Ports[k]
			if p.Proto != result.TCP && p.Proto != result.UDP {
				return badResult("host %s: port %d: protocol %q; allowed: tcp, udp", h.Addr, p.Port, clip(string(p.Proto)))
			}
			switch p.State {
			case result.Open, result.Closed, result.Filtered, result.OpenFiltered:
			default:
				return badResult("host %s: port %d/%s: state %q; allowed: open, closed, filtered, open|filtered", h.Addr, p.Port, p.Proto, clip(string(p.State)))
			}
			if p.Port == 0 {
				return badResult("host %s: port 0", h.Addr)
			}
			p.Reason = result.Reason(clipN(string(p.Reason), 32))
			if p.Service != nil {
				cleanService(p.Service)
			}
		}
		if len(h.Findings) > maxHostFindings {
			c.dropped += len(h.Findings) - maxHostFindings
			h.Findings = h.Findings[:maxHostFindings]
		}
		for k := range h.Findings {
			if err := cleanFinding(&h.Findings[k], c); err != nil {
				return badResult("host %s: finding %d: %v", h.Addr, k+1, err)
			}
		}
	}
	return nil
}

// cleanFinding refuses a finding the pages could not show or track (no
// id, a severity, class or protocol outside the model, a CVSS score
// outside 0-10) and cuts its texts and lists.
func cleanFinding(f *result.Finding, c *cuts) error {
	switch {
	case f.ID == "" || len(f.ID) > maxFindingID:
		return fmt.Errorf("id %q: required, at most %d bytes", clip(f.ID), maxFindingID)
	case !slices.Contains(result.Severities[:], f.Severity):
		return fmt.Errorf("%s: severity %q; allowed: critical, high, medium, low, info", clip(f.ID), clip(string(f.Severity)))
	case f.Class != "" && !slices.Contains(result.CheckClasses[:], f.Class):
		return fmt.Errorf("%s: check class %q; allowed: %v", clip(f.ID), clip(string(f.Class)), result.CheckClasses)
	case math.IsNaN(f.CVSS) || f.CVSS < 0 || f.CVSS > 10:
		return fmt.Errorf("%s: CVSS score %v; want 0.0 to 10.0", clip(f.ID), f.CVSS)
	case f.Proto != "" && f.Proto != result.TCP && f.Proto != result.UDP:
		return fmt.Errorf("%s: protocol %q; allowed: tcp, udp, or none with port 0 (the host)", clip(f.ID), clip(string(f.Proto)))
	case f.Proto == "" && f.Port != 0:
		return fmt.Errorf("%s: port %d without a protocol", clip(f.ID), f.Port)
	}
	f.ID = strings.ToValidUTF8(f.ID, "\uFFFD")
	f.Title = c.clipMark(f.Title, maxText)
	f.Vector = clipN(f.Vector, 128)
	f.Evidence = c.clipMark(f.Evidence, maxEvidence)
	f.Remediation = c.clipMark(f.Remediation, maxRemediation)
	f.CVEs = clipAll(f.CVEs, maxFindingIDs, 32)
	f.CWEs = clipAll(f.CWEs, maxFindingIDs, 16)
	f.References = clipAll(f.References, maxFindingRefs, maxLongText)
	return nil
}

func cleanService(s *result.Service) {
	for _, f := range []*string{&s.Name, &s.Product, &s.Version, &s.Extra, &s.OS, &s.Banner, &s.Method} {
		*f = clipN(*f, maxText)
	}
	if len(s.Facts) > 0 {
		facts := make(map[string]string, min(len(s.Facts), maxFacts))
		keys := make([]string, 0, len(s.Facts))
		for k := range s.Facts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys[:min(len(keys), maxFacts)] {
			facts[clipN(k, 64)] = clipN(s.Facts[k], maxLongText)
		}
		s.Facts = facts
	}
	if t := s.TLS; t != nil {
		t.Versions = clipAll(t.Versions, maxListItems, 16)
		t.CipherSuite, t.STARTTLS = clipN(t.CipherSuite, 128), clipN(t.STARTTLS, 16)
		if len(t.Chain) > maxChainCerts {
			t.Chain = t.Chain[:maxChainCerts]
		}
		for i := range t.Chain {
			c := &t.Chain[i]
			c.Subject, c.Issuer = clipN(c.Subject, maxLongText), clipN(c.Issuer, maxLongText)
			c.SANs = clipAll(c.SANs, maxListItems, platformapi.MaxTargetLen)
			c.KeyType, c.SigAlg, c.SHA256 = clipN(c.KeyType, 32), clipN(c.SigAlg, 64), clipN(c.SHA256, 64)
		}
	}
	if h := s.HTTP; h != nil {
		h.Server, h.Title = clipN(h.Server, maxText), clipN(h.Title, maxText)
		h.Redirects = clipAll(h.Redirects, maxListItems, maxLongText)
	}
	if h := s.SSH; h != nil {
		h.Banner = clipN(h.Banner, maxText)
		for _, l := range []*[]string{&h.Kex, &h.HostKeyAlgs, &h.Ciphers, &h.MACs, &h.Compression} {
			*l = clipAll(*l, maxListItems, 128)
		}
	}
}

// checkResults checks an update's result fields (see the file comment)
// and returns what it cut of the findings.
func checkResults(u *platformapi.JobUpdate) (cuts, error) {
	var c cuts
	if err := checkProgress(u.Progress); err != nil {
		return c, err
	}
	if err := checkSummary(u.Summary); err != nil {
		return c, err
	}
	if err := checkHosts(u.Hosts, &c); err != nil {
		return c, fmt.Errorf("hosts: %w", err)
	}
	return c, nil
}
