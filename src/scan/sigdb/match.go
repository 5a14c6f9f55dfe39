package sigdb

import (
	"context"
	"fmt"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/vercmp"
)

// HTTPRequest is a request of an HTTP check: a method of the allowed four,
// a path, no body, no headers of its own (docs/signatures.md).
type HTTPRequest struct {
	Method, Path string
	// TLS: the port speaks TLS (its certificate is not to be verified).
	TLS bool
}

// HTTPResponse is what came back: the status, the headers (canonical
// names, as net/http gives them) and at most MaxBodyBytes of the body.
type HTTPResponse struct {
	Status int
	Header textproto.MIMEHeader
	Body   []byte
}

// HTTPDoer sends the requests of HTTP checks. The scanner supplies it
// (src/scan/checks), bound to the job's interface and source address.
type HTTPDoer interface {
	Do(ctx context.Context, host *result.Host, port *result.Port, req HTTPRequest) (HTTPResponse, error)
}

// CheckOptions are what Check needs besides the host.
type CheckOptions struct {
	// Off are check classes switched off (platformapi.Job.ChecksOff).
	Off []result.CheckClass
	// HTTP sends HTTP checks' requests; nil skips the HTTP checks.
	HTTP HTTPDoer
}

// Match runs the passive signatures (no class http) on h's open ports,
// minus the classes off. It does no I/O.
func (db *DB) Match(h *result.Host, off []result.CheckClass) []result.Finding {
	out, _ := db.Check(context.Background(), h, CheckOptions{Off: off})
	return out
}

// Check runs every signature on h's open ports: passive conditions first,
// then, for the HTTP checks whose passive conditions hold, their requests
// through o.HTTP, each distinct method and path once per port. Findings
// are ordered by port (as in h.Ports), then id. A request that fails makes
// its checks not match, and the port gets no further requests; the error
// is only ctx's, when it ends early.
func (db *DB) Check(ctx context.Context, h *result.Host, o CheckOptions) ([]result.Finding, error) {
	var off uint32
	for _, c := range o.Off {
		if k := slices.Index(result.CheckClasses[:], c); k >= 0 {
			off |= 1 << k
		}
	}
	var out []result.Finding
	var cand []int32
	var web []int32
	for pi := range h.Ports {
		p := &h.Ports[pi]
		if p.State != result.Open {
			continue
		}
		v := newView(p)
		cand = db.candidates(cand[:0], p)
		web = web[:0]
		start := len(out)
		for _, i := range cand {
			s := db.sigs[i]
			if off&s.bit != 0 || !s.passive(&v, nil) {
				continue
			}
			if s.http != nil {
				if o.HTTP != nil {
					web = append(web, i)
				}
				continue
			}
			out = append(out, s.finding(&v, s.evidenceOf(&v, nil)))
		}
		if len(web) > 0 {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			out = db.runHTTP(ctx, h, &v, web, o.HTTP, out)
		}
		slices.SortFunc(out[start:], func(a, b result.Finding) int { return strings.Compare(a.ID, b.ID) })
	}
	return out, ctx.Err()
}

func classBit(c result.CheckClass) uint32 {
	if k := slices.Index(result.CheckClasses[:], c); k >= 0 {
		return 1 << k
	}
	return 1 << 31
}

// runHTTP sends the distinct requests of the signatures web on one port
// and appends the findings whose expectations hold.
func (db *DB) runHTTP(ctx context.Context, h *result.Host, v *view, web []int32, doer HTTPDoer, out []result.Finding) []result.Finding {
	type answer struct {
		resp HTTPResponse
		ok   bool
	}
	answers := map[string]answer{}
	useTLS := v.sv != nil && (v.sv.TLS != nil || v.sv.Name == "https")
	// After one failed request (refused, reset, timed out) the port gets
	// no more: a port that holds connections open without answering
	// would otherwise cost the doer's timeout once per distinct request.
	dead := false
	for _, i := range web {
		s := db.sigs[i]
		var ev []string
		ok := true
		for _, hc := range s.http {
			key := hc.method + " " + hc.path
			a, done := answers[key]
			if !done && dead {
				ok = false
				break
			}
			if !done {
				if ctx.Err() != nil {
					return out
				}
				resp, err := doer.Do(ctx, h, v.p, HTTPRequest{Method: hc.method, Path: hc.path, TLS: useTLS})
				dead = err != nil
				if len(resp.Body) > MaxBodyBytes {
					resp.Body = resp.Body[:MaxBodyBytes]
				}
				a = answer{resp: resp, ok: err == nil}
				answers[key] = a
			}
			if !a.ok || !hc.holds(a.resp) {
				ok = false
				break
			}
			ev = append(ev, fmt.Sprintf("%s %s: %d", hc.method, hc.path, a.resp.Status))
		}
		if ok {
			out = append(out, s.finding(v, s.evidenceOf(v, ev)))
		}
	}
	return out
}

func (hc *httpCheck) holds(r HTTPResponse) bool {
	if hc.status != nil && !slices.Contains(hc.status, r.Status) {
		return false
	}
	for _, c := range hc.headers {
		vals := r.Header[c.name]
		switch c.op {
		case "exists":
			if len(vals) == 0 {
				return false
			}
		case "absent":
			if len(vals) != 0 {
				return false
			}
		case "~":
			if !slices.ContainsFunc(vals, c.re.MatchString) {
				return false
			}
		}
	}
	for _, re := range hc.body {
		if !re.Match(r.Body) {
			return false
		}
	}
	return true
}

// view is a port prepared for matching: its service's version split once.
type view struct {
	p        *result.Port
	sv       *result.Service
	ver      vercmp.Version
	hasVer   bool
	distro   string // lower case first word of Extra
	distroAs string // the same as Extra spells it
	revision string // second word of Extra
}

func newView(p *result.Port) view {
	v := view{p: p, sv: p.Service}
	if v.sv == nil {
		return v
	}
	if v.sv.Version != "" {
		v.ver, v.hasVer = vercmp.Split(v.sv.Version), true
	}
	if d, rest, ok := strings.Cut(v.sv.Extra, " "); ok {
		rev, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
		v.distro, v.distroAs, v.revision = lowerASCII(d), d, rev
	}
	return v
}

// passive reports whether every condition but the HTTP requests holds on
// the port. With ev non-nil it appends what each condition saw.
func (s *sig) passive(v *view, ev *[]string) bool {
	p, sv := v.p, v.sv
	if s.proto != "" && p.Proto != s.proto {
		return false
	}
	if s.ports != nil && !inSpans(s.ports, p.Port) {
		return false
	}
	if s.services != nil && (sv == nil || !slices.Contains(s.services, sv.Name)) {
		return false
	}
	if s.products != nil && (sv == nil || !slices.ContainsFunc(s.products, func(n string) bool { return strings.EqualFold(n, sv.Product) })) {
		return false
	}
	if s.ranges != nil {
		if !v.hasVer {
			return false
		}
		hit := -1
		for k := range s.ranges {
			if s.ranges[k].Contains(v.ver) {
				hit = k
				break
			}
		}
		if hit < 0 {
			return false
		}
		fixedRev, fixed := s.backported(v)
		if fixed {
			return false
		}
		if ev != nil {
			e := "version " + sv.Version + " in " + s.rangeText[hit]
			if fixedRev != "" {
				e += fmt.Sprintf(" (%s revision %s, fixed in %s)", v.distroAs, v.revision, fixedRev)
			}
			*ev = append(*ev, e)
		}
	}
	if s.banner != nil {
		if sv == nil || !s.banner.MatchString(sv.Banner) {
			return false
		}
		if ev != nil {
			*ev = append(*ev, "banner "+sv.Banner)
		}
	}
	if s.extra != nil && (sv == nil || !s.extra.MatchString(sv.Extra)) {
		return false
	}
	for _, f := range s.facts {
		if !f.holds(sv) {
			return false
		}
		if ev != nil && (f.op == "=" || f.op == "~") {
			*ev = append(*ev, f.key+" "+sv.Facts[f.key])
		}
	}
	for _, c := range s.tls {
		if sv == nil || sv.TLS == nil || !c.holds(sv.TLS, ev) {
			return false
		}
	}
	for _, c := range s.ssh {
		if sv == nil || sv.SSH == nil || !c.holds(sv.SSH, ev) {
			return false
		}
	}
	return true
}

// backported reports whether the service's distribution revision carries
// a listed fix (docs/signatures.md, "Backported fixes"). fixedRev is the
// listed fix of the service's upstream version, when there is one.
func (s *sig) backported(v *view) (fixedRev string, fixed bool) {
	if v.revision == "" || s.fixed == nil {
		return "", false
	}
	for _, fv := range s.fixed[v.distro] {
		if vercmp.CompareVersions(vercmp.Version{Upstream: fv.Upstream}, vercmp.Version{Upstream: v.ver.Upstream}) != 0 {
			continue
		}
		have := vercmp.Version{Upstream: v.ver.Upstream, Revision: v.revision}
		want := vercmp.Version{Upstream: fv.Upstream, Revision: fv.Revision}
		if vercmp.CompareVersions(have, want) >= 0 {
			return fv.String(), true
		}
		return fv.String(), false
	}
	return "", false
}

func inSpans(spans []portSpan, port uint16) bool {
	for _, sp := range spans {
		if port >= sp.lo && port <= sp.hi {
			return true
		}
	}
	return false
}

func (f *factCond) holds(sv *result.Service) bool {
	var val string
	present := false
	if sv != nil {
		val, present = sv.Facts[f.key]
	}
	switch f.op {
	case "exists":
		return present
	case "absent":
		return !present
	case "=":
		return present && val == f.val
	case "!=":
		return !present || val != f.val
	case "~":
		return present && f.re.MatchString(val)
	case "!~":
		return !present || !f.re.MatchString(val)
	}
	return false
}

func (c *tlsCond) holds(t *result.TLSFacts, ev *[]string) bool {
	var leaf *result.Cert
	if len(t.Chain) > 0 {
		leaf = &t.Chain[0]
	}
	if c.not {
		// What was not read is not known to be absent: a negated
		// condition never holds on it, as a version not read is never
		// flagged.
		if !c.known(t, leaf) || c.positive(t, leaf, nil) {
			return false
		}
		if ev != nil {
			*ev = append(*ev, "tls not "+c.text)
		}
		return true
	}
	return c.positive(t, leaf, ev)
}

// known reports whether the handshake showed what the condition reads:
// accepted versions, or a leaf certificate (with its key size, its
// signature algorithm).
func (c *tlsCond) known(t *result.TLSFacts, leaf *result.Cert) bool {
	switch c.kind {
	case "version":
		return len(t.Versions) > 0
	case "expired", "self-signed":
		return leaf != nil
	case "key":
		return leaf != nil && leaf.KeyBits > 0 && leaf.KeyType != ""
	case "sig-alg":
		return leaf != nil && leaf.SigAlg != ""
	}
	return false
}

// positive is the condition as written, without its not.
func (c *tlsCond) positive(t *result.TLSFacts, leaf *result.Cert, ev *[]string) bool {
	switch c.kind {
	case "present":
		if ev != nil {
			*ev = append(*ev, "tls "+strings.Join(t.Versions, ", "))
		}
		return true
	case "expired":
		if t.Expired && ev != nil {
			na := ""
			if leaf != nil {
				na = " (not after " + leaf.NotAfter.UTC().Format("2006-01-02") + ")"
			}
			*ev = append(*ev, "certificate expired"+na)
		}
		return t.Expired
	case "self-signed":
		if t.SelfSigned && ev != nil {
			sub := ""
			if leaf != nil {
				sub = " (" + leaf.Subject + ")"
			}
			*ev = append(*ev, "self-signed certificate"+sub)
		}
		return t.SelfSigned
	case "version":
		var hit []string
		for _, got := range t.Versions {
			if slices.Contains(c.names, got) {
				if ev == nil {
					return true
				}
				hit = append(hit, got)
			}
		}
		if hit != nil {
			*ev = append(*ev, "tls versions "+strings.Join(hit, ", "))
		}
		return hit != nil
	case "key":
		if leaf == nil || leaf.KeyBits <= 0 || leaf.KeyBits >= c.bits {
			return false
		}
		if !slices.Contains(c.names, "any") && !slices.Contains(c.names, strings.ToLower(leaf.KeyType)) {
			return false
		}
		if ev != nil {
			*ev = append(*ev, fmt.Sprintf("certificate key %s %d bits", leaf.KeyType, leaf.KeyBits))
		}
		return true
	case "sig-alg":
		if leaf == nil || !slices.ContainsFunc(c.names, func(n string) bool { return strings.EqualFold(n, leaf.SigAlg) }) {
			return false
		}
		if ev != nil {
			*ev = append(*ev, "certificate signature "+leaf.SigAlg)
		}
		return true
	}
	return false
}

func (c *sshCond) holds(f *result.SSHFacts, ev *[]string) bool {
	if c.not {
		a := &c.alts[0]
		// An empty list was not read (a KEXINIT always names at least
		// one algorithm of each list): the server is not known to lack
		// anything.
		if len(a.of(f)) == 0 || a.offered(f, nil) {
			return false
		}
		if ev != nil {
			*ev = append(*ev, "ssh "+a.list+" lacks "+strings.Join(a.names, ", "))
		}
		return true
	}
	hit := false
	for i := range c.alts {
		if c.alts[i].offered(f, ev) {
			if ev == nil {
				return true
			}
			hit = true
		}
	}
	return hit
}

// of is the server's list the alternative reads.
func (a *sshAlt) of(f *result.SSHFacts) []string {
	switch a.list {
	case "kex":
		return f.Kex
	case "cipher":
		return f.Ciphers
	case "mac":
		return f.MACs
	case "hostkey":
		return f.HostKeyAlgs
	case "compression":
		return f.Compression
	}
	return nil
}

// offered reports whether the server offers one of the names, and adds
// every one it offers to ev.
func (a *sshAlt) offered(f *result.SSHFacts, ev *[]string) bool {
	var hit []string
	for _, got := range a.of(f) {
		for _, n := range a.names {
			if glob(n, got) {
				if ev == nil {
					return true
				}
				hit = append(hit, got)
				break
			}
		}
	}
	if hit != nil {
		*ev = append(*ev, "ssh "+a.list+" "+strings.Join(hit, ", "))
	}
	return hit != nil
}

// glob matches name against a pattern whose only special character is
// '*' (any run of characters), in linear time for one star and
// O(len(pattern)*len(name)) in the worst case.
func glob(pattern, name string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == name
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(name, mid)
		if i < 0 {
			return false
		}
		name = name[i+len(mid):]
	}
	return len(name) >= len(last) && strings.HasSuffix(name, last)
}

// evidenceOf renders the signature's evidence template; extra is what the
// HTTP requests saw, appended to {matched}.
func (s *sig) evidenceOf(v *view, extra []string) string {
	var matched []string
	s.passive(v, &matched)
	matched = append(matched, extra...)
	tmpl := s.evidence
	if tmpl == nil {
		tmpl = []tmplPart{{kind: "matched"}}
	}
	sv := v.sv
	if sv == nil {
		sv = &result.Service{}
	}
	var b strings.Builder
	for _, t := range tmpl {
		switch t.kind {
		case "":
			b.WriteString(t.lit)
		case "matched":
			b.WriteString(strings.Join(matched, "; "))
		case "service":
			b.WriteString(sv.Name)
		case "product":
			b.WriteString(sv.Product)
		case "version":
			b.WriteString(sv.Version)
		case "extra":
			b.WriteString(sv.Extra)
		case "os":
			b.WriteString(sv.OS)
		case "banner":
			b.WriteString(sv.Banner)
		case "port":
			b.WriteString(strconv.Itoa(int(v.p.Port)))
		case "proto":
			b.WriteString(string(v.p.Proto))
		case "id":
			b.WriteString(s.id)
		case "fact":
			b.WriteString(sv.Facts[t.arg])
		}
	}
	return cleanEvidence(b.String())
}

// cleanEvidence keeps printable characters, collapses runs of spaces left
// by empty placeholders, and cuts at maxEvidenceBytes on a rune boundary.
func cleanEvidence(s string) string {
	var b strings.Builder
	space := true
	for _, r := range s {
		if !unicode.IsPrint(r) {
			r = ' '
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		if b.Len()+utf8.RuneLen(r) > maxEvidenceBytes {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

func (s *sig) finding(v *view, evidence string) result.Finding {
	return result.Finding{
		ID: s.id, Title: s.title, Class: s.class,
		Severity: result.SeverityOf(s.score), CVSS: s.score, Vector: s.vector,
		CVEs: slices.Clip(s.cves), CWEs: slices.Clip(s.cwes), Proto: v.p.Proto, Port: v.p.Port,
		Evidence: evidence, Remediation: s.remediation, References: slices.Clip(s.refs),
	}
}

// MatchLinear is the naive matcher: every passive signature against every
// open port, no index, the same findings as Match with no class off. The
// benchmark (tests/bench/sigmatch) compares the two; the fuzz test checks
// that they agree.
func (db *DB) MatchLinear(h *result.Host) []result.Finding {
	var out []result.Finding
	for pi := range h.Ports {
		p := &h.Ports[pi]
		if p.State != result.Open {
			continue
		}
		v := newView(p)
		for _, s := range db.sigs { // sorted by id
			if s.http == nil && s.passive(&v, nil) {
				out = append(out, s.finding(&v, s.evidenceOf(&v, nil)))
			}
		}
	}
	return out
}
