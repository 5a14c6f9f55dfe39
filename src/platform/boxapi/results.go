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
	"net/http"
	"slices"

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
)

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
	s.Interface, s.Method = clipN(s.Interface, 64), clipN(s.Method, 32)
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

// checkHosts validates and cleans the hosts of an update in place.
func checkHosts(hosts []result.Host) error {
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
	}
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

// checkResults checks an update's result fields (see the file comment).
func checkResults(u *platformapi.JobUpdate) error {
	if err := checkProgress(u.Progress); err != nil {
		return err
	}
	if err := checkSummary(u.Summary); err != nil {
		return err
	}
	if err := checkHosts(u.Hosts); err != nil {
		return fmt.Errorf("hosts: %w", err)
	}
	return nil
}
