package sigdb

import (
	"fmt"
	"net/textproto"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/vercmp"
)

// Safety limits the compiler enforces (docs/signatures.md, "Safety rules").
const (
	MaxRegexpBytes   = 512
	MaxRegexpInsts   = 4096
	MaxRequests      = 4
	MaxPathBytes     = 256
	MaxBodyBytes     = 64 << 10
	maxEvidenceBytes = 512
)

// AllowedMethods are the HTTP methods a check may send: none of them
// changes anything on a server that follows RFC 9110.
var allowedMethods = [...]string{"GET", "HEAD", "OPTIONS", "TRACE"}

// Distributions whose backported-fix lists a signature may give, by the
// key's suffix and the word Service.Extra starts with.
var fixedKeys = [...]struct{ key, distro string }{
	{"fixed-debian", "debian"},
	{"fixed-ubuntu", "ubuntu"},
}

// sig is one compiled signature.
type sig struct {
	id, title   string
	line        int
	class       result.CheckClass
	bit         uint32 // 1 << the class's index in result.CheckClasses
	score       float64
	vector      string
	cves, cwes  []string
	refs        []string
	remediation string
	evidence    []tmplPart

	services  []string
	products  []string // lower case
	ranges    []vercmp.Range
	rangeText []string                    // ranges[i].String(), for evidence
	fixed     map[string][]vercmp.Version // distro → fixed package versions
	ports     []portSpan
	proto     result.Proto
	banner    *pattern
	extra     *pattern
	facts     []factCond
	tls       []tlsCond
	ssh       []sshCond
	http      []httpCheck
}

type portSpan struct{ lo, hi uint16 }

// factCond is a `fact:` condition.
type factCond struct {
	key, op, val string
	re           *pattern
}

// tlsCond is a `tls:` condition.
type tlsCond struct {
	kind  string   // version, expired, self-signed, key, sig-alg, present
	names []string // versions, key types (lower case) or signature algorithms
	bits  int
	// not: the handshake showed what the condition reads, and the
	// condition does not hold (docs/signatures.md, "Negated conditions").
	not  bool
	text string // the condition as written after "not", for evidence
}

// sshCond is an `ssh:` condition: the server offers one of the names of
// one of the alternatives (OR); or, with not, the handshake's list was
// read and offers none of the names (then there is one alternative).
type sshCond struct {
	alts []sshAlt
	not  bool
}

// sshAlt is one list of a server's KEXINIT and the names looked for in it.
type sshAlt struct {
	list  string // kex, cipher, mac, hostkey, compression
	names []string
}

// httpCheck is an `http:` request and what its response must show.
type httpCheck struct {
	method, path string
	status       []int
	headers      []headerCond
	body         []*pattern
}

type headerCond struct {
	name string // canonical
	op   string // "~", "exists", "absent"
	re   *pattern
}

// tmplPart is a piece of an evidence template: literal text, or a
// placeholder (kind) with an argument (the fact key).
type tmplPart struct {
	lit, kind, arg string
}

var (
	idRE   = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`)
	cveRE  = regexp.MustCompile(`^CVE-(199[0-9]|20[0-9]{2})-[0-9]{4,7}$`)
	cweRE  = regexp.MustCompile(`^CWE-[1-9][0-9]{0,5}$`)
	dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	dbVer  = regexp.MustCompile(`^[0-9][0-9A-Za-z.+~-]{0,63}$`)
	score  = regexp.MustCompile(`^(10|[0-9])\.[0-9]$`)
)

// once lists the keys a signature may give once; repeatable keys are
// the other entries of sigKeys.
var sigKeys = map[string]bool{ // key → may repeat
	"id": false, "title": false, "class": false, "cvss": false, "cve": true, "cwe": true, "ref": true,
	"evidence": false, "remediation": false,
	"service": false, "product": false, "version": true, "fixed-debian": true, "fixed-ubuntu": true,
	"port": false, "proto": false, "banner": false, "extra": false, "fact": true, "tls": true, "ssh": true,
	"http": true, "http-status": true, "http-header": true, "http-body": true,
}

// parseHeader reads the header stanza.
func parseHeader(st stanza, e *errs) dbHeader {
	var h dbHeader
	seen := map[string]int{}
	for _, f := range st.fields {
		if prev, ok := seen[f.key]; ok {
			e.add(f.line, "header: %s given before, at line %d", f.key, prev)
			continue
		}
		seen[f.key] = f.line
		switch f.key {
		case "format":
			if f.val != Format {
				e.add(f.line, "format %.40q: this parser reads %q only", f.val, Format)
			}
		case "version":
			if !dbVer.MatchString(f.val) {
				e.add(f.line, "version %.70q: a digit, then digits, letters and .+~- (at most 64 bytes)", f.val)
			} else if _, err := vercmp.Parse(f.val); err != nil {
				e.add(f.line, "version: %v", err)
			}
			h.version = f.val
		case "date":
			if _, err := time.Parse(time.DateOnly, f.val); err != nil || !dateRE.MatchString(f.val) {
				e.add(f.line, "date %.40q: not YYYY-MM-DD", f.val)
			}
			h.date = f.val
		case "description":
			h.description = f.val
		default:
			e.add(f.line, "header: unknown key %.32q (format, version, date, description)", f.key)
		}
	}
	for _, k := range []string{"format", "version", "date"} {
		if _, ok := seen[k]; !ok {
			e.add(st.line, "header: %s missing (the first stanza is the header: format, version, date)", k)
		}
	}
	return h
}

// parseSig reads one signature stanza.
func parseSig(st stanza, e *errs) *sig {
	s := &sig{line: st.line}
	seen := map[string]int{}
	bad := func(f field, format string, args ...any) {
		e.add(f.line, "%s: "+format, append([]any{f.key}, args...)...)
	}
	var lastHTTP *httpCheck
	negLine := 0 // of the first negated tls or ssh condition
	for _, f := range st.fields {
		rep, known := sigKeys[f.key]
		if !known {
			e.add(f.line, "unknown key %.32q", f.key)
			continue
		}
		if prev, ok := seen[f.key]; ok && !rep {
			e.add(f.line, "%s given before, at line %d (it may appear once)", f.key, prev)
			continue
		}
		seen[f.key] = f.line
		if f.val == "" {
			bad(f, "empty value")
			continue
		}
		switch f.key {
		case "id":
			if len(f.val) > 32 || !idRE.MatchString(f.val) {
				bad(f, "%.40q: upper case letters and digits in dash-separated groups (PKT-SSH-0001), at most 32 bytes", f.val)
			}
			s.id = f.val
		case "title":
			if len(f.val) > 200 {
				bad(f, "%d bytes, more than 200", len(f.val))
			}
			s.title = f.val
		case "class":
			s.class = result.CheckClass(f.val)
			if !slices.Contains(result.CheckClasses[:], s.class) {
				bad(f, "%.20q is not one of %v", f.val, result.CheckClasses)
			}
		case "cvss":
			sc, vec, ok := strings.Cut(f.val, " ")
			vec = strings.TrimSpace(vec)
			if !ok || !score.MatchString(sc) {
				bad(f, "want \"SCORE VECTOR\" with the score to one decimal (7.5 CVSS:3.1/AV:N/...)")
				continue
			}
			want, _ := strconv.ParseFloat(sc, 64)
			got, err := BaseScore(vec)
			if err != nil {
				bad(f, "%v", err)
				continue
			}
			if want != got {
				bad(f, "score %s does not match the vector (%.1f)", sc, got)
			}
			s.score, s.vector = got, vec
		case "cve", "cwe":
			items, err := splitList(f.val)
			if err != nil {
				bad(f, "%v", err)
				continue
			}
			re, ex := cveRE, "CVE-2023-38408"
			if f.key == "cwe" {
				re, ex = cweRE, "CWE-428"
			}
			for _, it := range items {
				if !re.MatchString(it) {
					bad(f, "%.40q is not like %s", it, ex)
				} else if f.key == "cve" {
					s.cves = append(s.cves, it)
				} else {
					s.cwes = append(s.cwes, it)
				}
			}
		case "ref":
			if !(strings.HasPrefix(f.val, "https://") || strings.HasPrefix(f.val, "http://")) || strings.ContainsAny(f.val, " \t") || len(f.val) > 512 || len(f.val) < 12 {
				bad(f, "%.60q: one http:// or https:// URL, no spaces, at most 512 bytes", f.val)
			}
			s.refs = append(s.refs, f.val)
		case "evidence":
			t, err := parseTemplate(f.val)
			if err != nil {
				bad(f, "%v", err)
			}
			s.evidence = t
		case "remediation":
			s.remediation = f.val
		case "service":
			items, err := splitList(f.val)
			if err != nil {
				bad(f, "%v", err)
			}
			for _, it := range items {
				if it != strings.ToLower(it) || strings.ContainsAny(it, " \t") {
					bad(f, "%.40q: service names are lower case, without spaces", it)
				}
			}
			s.services = items
		case "product":
			items, err := splitList(f.val)
			if err != nil {
				bad(f, "%v", err)
			}
			for _, it := range items {
				s.products = append(s.products, strings.ToLower(it))
			}
		case "version":
			r, err := vercmp.ParseRange(f.val)
			if err != nil {
				bad(f, "%v", err)
			}
			s.ranges = append(s.ranges, r)
			s.rangeText = append(s.rangeText, r.String())
		case "fixed-debian", "fixed-ubuntu":
			items, err := splitList(f.val)
			if err != nil {
				bad(f, "%v", err)
			}
			distro := strings.TrimPrefix(f.key, "fixed-")
			for _, it := range items {
				v, err := vercmp.Parse(it)
				if err != nil {
					bad(f, "%v", err)
					continue
				}
				if v.Revision == "" {
					bad(f, "%q: a package version has a revision (1:9.2p1-2+deb12u3)", it)
					continue
				}
				if s.fixed == nil {
					s.fixed = map[string][]vercmp.Version{}
				}
				s.fixed[distro] = append(s.fixed[distro], v)
			}
		case "port":
			spans, err := parsePorts(f.val)
			if err != nil {
				bad(f, "%v", err)
			}
			s.ports = spans
		case "proto":
			if f.val != string(result.TCP) && f.val != string(result.UDP) {
				bad(f, "%.20q: tcp or udp", f.val)
			}
			s.proto = result.Proto(f.val)
		case "banner", "extra":
			re, err := compileRE(f.val)
			if err != nil {
				bad(f, "%v", err)
			}
			if f.key == "banner" {
				s.banner = re
			} else {
				s.extra = re
			}
		case "fact":
			c, err := parseFact(f.val)
			if err != nil {
				bad(f, "%v", err)
			}
			s.facts = append(s.facts, c)
		case "tls":
			c, err := parseTLS(f.val)
			if err != nil {
				bad(f, "%v", err)
			}
			if c.not && negLine == 0 {
				negLine = f.line
			}
			s.tls = append(s.tls, c)
		case "ssh":
			c, err := parseSSH(f.val)
			if err != nil {
				bad(f, "%v", err)
			}
			if c.not && negLine == 0 {
				negLine = f.line
			}
			s.ssh = append(s.ssh, c)
		case "http":
			h, err := parseRequest(f.val)
			if err != nil {
				bad(f, "%v", err)
			}
			if len(s.http) == MaxRequests {
				bad(f, "more than %d requests in one signature", MaxRequests)
				lastHTTP = nil
				continue
			}
			s.http = append(s.http, h)
			lastHTTP = &s.http[len(s.http)-1]
		case "http-status", "http-header", "http-body":
			if lastHTTP == nil {
				bad(f, "no http request line before it")
				continue
			}
			if err := parseExpect(lastHTTP, f.key, f.val); err != nil {
				bad(f, "%v", err)
			}
		}
	}
	for _, k := range []string{"id", "title", "class", "cvss", "remediation"} {
		if _, ok := seen[k]; !ok {
			e.add(st.line, "signature %s: %s missing", s.id, k)
		}
	}
	if s.services == nil && s.products == nil && s.ports == nil && s.banner == nil && s.extra == nil &&
		s.facts == nil && !s.positive() && s.http == nil && seen["id"] > 0 {
		if negLine > 0 {
			// A negated condition says what a port lacks; alone it would
			// flag every server of its kind (docs/signatures.md,
			// "Negated conditions").
			e.add(negLine, "signature %s: a negated condition (not) cannot be a signature's only matcher: add what the server must offer or be (service, product, port, banner, extra, fact, tls, ssh or http)", s.id)
		} else {
			e.add(st.line, "signature %s: no matcher (service, product, port, banner, extra, fact, tls, ssh or http): it would match every port", s.id)
		}
	}
	if (s.ranges != nil || s.fixed != nil) && s.products == nil {
		e.add(st.line, "signature %s: version ranges without a product", s.id)
	}
	if s.fixed != nil && s.ranges == nil {
		e.add(st.line, "signature %s: a backported-fix list without a version range", s.id)
	}
	if len(s.http) > 0 && s.class != result.ClassHTTP && s.class != "" {
		e.add(st.line, "signature %s: sends HTTP requests, so its class must be http (not %s)", s.id, s.class)
	}
	if len(s.http) == 0 && s.class == result.ClassHTTP {
		e.add(st.line, "signature %s: class http but no http request", s.id)
	}
	for _, h := range s.http {
		if h.status == nil && h.headers == nil && h.body == nil {
			e.add(st.line, "signature %s: request %s %s has no http-status, http-header or http-body to check", s.id, h.method, h.path)
		}
	}
	return s
}

// positive reports whether the signature has a tls or ssh condition that
// is not negated: only those select ports (a negated one is never a
// signature's only matcher).
func (s *sig) positive() bool {
	return slices.ContainsFunc(s.tls, func(c tlsCond) bool { return !c.not }) ||
		slices.ContainsFunc(s.ssh, func(c sshCond) bool { return !c.not })
}

// pattern is a compiled regular expression and, when it is anchored at
// the start, the literal text it starts with: most banner patterns are
// "^product/1\.2", and a prefix test rejects most services before the
// regexp machine starts.
type pattern struct {
	re     *regexp.Regexp
	prefix string
}

// MatchString reports whether the pattern matches somewhere in s.
func (p *pattern) MatchString(s string) bool {
	return strings.HasPrefix(s, p.prefix) && p.re.MatchString(s)
}

// Match is MatchString for bytes.
func (p *pattern) Match(b []byte) bool {
	return len(b) >= len(p.prefix) && string(b[:len(p.prefix)]) == p.prefix && p.re.Match(b)
}

// anchoredPrefix is the literal text a pattern anchored at the start of
// the text (^ without the m flag) must begin with; "" if none.
func anchoredPrefix(re *syntax.Regexp) string {
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
		return ""
	}
	var b strings.Builder
	for _, sub := range re.Sub[1:] {
		if sub.Op != syntax.OpLiteral || sub.Flags&syntax.FoldCase != 0 {
			break
		}
		b.WriteString(string(sub.Rune))
	}
	return b.String()
}

// compileRE compiles a pattern within the size bounds.
func compileRE(p string) (*pattern, error) {
	if len(p) > MaxRegexpBytes {
		return nil, fmt.Errorf("regular expression of %d bytes, more than %d", len(p), MaxRegexpBytes)
	}
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("regular expression: %w", err)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, fmt.Errorf("regular expression: %w", err)
	}
	if len(prog.Inst) > MaxRegexpInsts {
		return nil, fmt.Errorf("regular expression compiles to %d instructions, more than %d", len(prog.Inst), MaxRegexpInsts)
	}
	c, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("regular expression: %w", err)
	}
	return &pattern{re: c, prefix: anchoredPrefix(re)}, nil
}

func parsePorts(s string) ([]portSpan, error) {
	items, err := splitList(s)
	if err != nil {
		return nil, err
	}
	var out []portSpan
	for _, it := range items {
		lo, hi, isRange := strings.Cut(it, "-")
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.ParseUint(hi, 10, 16)
		}
		if err1 != nil || err2 != nil || a == 0 || b < a {
			return nil, fmt.Errorf("%.20q: a port 1-65535 or a range a-b", it)
		}
		out = append(out, portSpan{uint16(a), uint16(b)})
	}
	return out, nil
}

func parseFact(s string) (factCond, error) {
	key, rest, _ := strings.Cut(s, " ")
	rest = strings.TrimSpace(rest)
	if !validFactKey(key) {
		return factCond{}, fmt.Errorf("fact key %.40q: lower case dotted name (ftp.anonymous)", key)
	}
	if rest == "exists" || rest == "absent" {
		return factCond{key: key, op: rest}, nil
	}
	op, val, _ := strings.Cut(rest, " ")
	val = strings.TrimSpace(val)
	switch op {
	case "=", "!=":
		if val == "" {
			return factCond{}, fmt.Errorf("%s %s: no value", key, op)
		}
		return factCond{key: key, op: op, val: val}, nil
	case "~", "!~":
		re, err := compileRE(val)
		if err != nil {
			return factCond{}, err
		}
		return factCond{key: key, op: op, val: val, re: re}, nil
	}
	return factCond{}, fmt.Errorf("%.60q: want KEY = VALUE, KEY != VALUE, KEY ~ REGEX, KEY !~ REGEX, KEY exists or KEY absent", s)
}

func validFactKey(k string) bool {
	if k == "" || len(k) > 64 || !strings.Contains(k, ".") {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

var tlsVersions = [...]string{"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

// parseTLS reads a `tls:` condition; "not" before it negates it
// (docs/signatures.md, "Negated conditions").
func parseTLS(s string) (tlsCond, error) {
	if rest, ok := strings.CutPrefix(s, "not "); ok {
		rest = strings.TrimSpace(rest)
		if rest == "present" {
			return tlsCond{}, fmt.Errorf("not present: a negated condition needs the handshake it reads; a port without TLS is told by a fact (postgresql.ssl != true) or the absence of a tls condition")
		}
		if strings.HasPrefix(rest, "not ") || rest == "not" {
			return tlsCond{}, fmt.Errorf("not not: one not at most")
		}
		c, err := parseTLS(rest)
		if err != nil {
			return tlsCond{}, fmt.Errorf("not: %w", err)
		}
		c.not, c.text = true, rest
		return c, nil
	}
	kind, rest, _ := strings.Cut(s, " ")
	rest = strings.TrimSpace(rest)
	switch kind {
	case "expired", "self-signed", "present":
		if rest != "" {
			return tlsCond{}, fmt.Errorf("%s takes nothing after it", kind)
		}
		return tlsCond{kind: kind}, nil
	case "version":
		names, err := splitList(rest)
		if err != nil {
			return tlsCond{}, err
		}
		for _, n := range names {
			if !slices.Contains(tlsVersions[:], n) {
				return tlsCond{}, fmt.Errorf("version %.20q: one of %v", n, tlsVersions)
			}
		}
		return tlsCond{kind: kind, names: names}, nil
	case "sig-alg":
		names, err := splitList(rest)
		if err != nil {
			return tlsCond{}, err
		}
		return tlsCond{kind: kind, names: names}, nil
	case "key":
		types, bits, ok := strings.Cut(rest, "<")
		n, err := strconv.Atoi(strings.TrimSpace(bits))
		if !ok || err != nil || n <= 0 || n > 65536 {
			return tlsCond{}, fmt.Errorf("key %.40q: want TYPES < BITS (key RSA < 2048)", rest)
		}
		var names []string
		for _, t := range strings.FieldsFunc(types, func(r rune) bool { return r == ',' || r == ' ' }) {
			switch strings.ToLower(t) {
			case "rsa", "ecdsa", "ed25519", "dsa", "any":
				names = append(names, strings.ToLower(t))
			default:
				return tlsCond{}, fmt.Errorf("key type %.20q: RSA, ECDSA, Ed25519, DSA or any", t)
			}
		}
		if names == nil {
			return tlsCond{}, fmt.Errorf("key: no key type (RSA, ECDSA, Ed25519, DSA or any)")
		}
		return tlsCond{kind: kind, names: names, bits: n}, nil
	}
	return tlsCond{}, fmt.Errorf("%.30q: one of version, expired, self-signed, key, sig-alg, present", kind)
}

// maxSSHAlts bounds the alternatives of one `ssh:` condition: one per
// list of a KEXINIT is all a check needs.
const maxSSHAlts = 5

// parseSSH reads an `ssh:` condition: `[not] LIST NAMES`, or alternatives
// `LIST NAMES || LIST NAMES` (docs/signatures.md).
func parseSSH(s string) (sshCond, error) {
	var c sshCond
	if rest, ok := strings.CutPrefix(s, "not "); ok {
		c.not, s = true, strings.TrimSpace(rest)
	}
	parts := strings.Split(s, "||")
	if c.not && len(parts) > 1 {
		return sshCond{}, fmt.Errorf("not with || alternatives: write one negated condition per list, one a line (all must hold: offers none of these and none of those)")
	}
	if len(parts) > maxSSHAlts {
		return sshCond{}, fmt.Errorf("%d alternatives, more than %d", len(parts), maxSSHAlts)
	}
	for _, part := range parts {
		list, rest, _ := strings.Cut(strings.TrimSpace(part), " ")
		switch list {
		case "kex", "cipher", "mac", "hostkey", "compression":
		default:
			return sshCond{}, fmt.Errorf("%.30q: one of kex, cipher, mac, hostkey, compression (optionally after not)", list)
		}
		names, err := splitList(strings.TrimSpace(rest))
		if err != nil {
			return sshCond{}, fmt.Errorf("%s: %w", list, err)
		}
		for _, n := range names {
			if strings.ContainsAny(n, " \t") || len(n) > 128 {
				return sshCond{}, fmt.Errorf("%s: %.40q is not an algorithm name", list, n)
			}
		}
		c.alts = append(c.alts, sshAlt{list: list, names: names})
	}
	return c, nil
}

func parseRequest(s string) (httpCheck, error) {
	method, path, ok := strings.Cut(s, " ")
	path = strings.TrimSpace(path)
	if !ok {
		return httpCheck{}, fmt.Errorf("%.40q: want METHOD PATH (GET /server-status)", s)
	}
	if !slices.Contains(allowedMethods[:], method) {
		return httpCheck{}, fmt.Errorf("method %.20q refused: checks send only %v", method, allowedMethods)
	}
	if !strings.HasPrefix(path, "/") {
		return httpCheck{}, fmt.Errorf("path %.40q refused: it must start with /", path)
	}
	if len(path) > MaxPathBytes {
		return httpCheck{}, fmt.Errorf("path of %d bytes refused: at most %d", len(path), MaxPathBytes)
	}
	for _, c := range []byte(path) {
		if c <= ' ' || c >= 0x7f {
			return httpCheck{}, fmt.Errorf("path %.40q refused: printable ASCII without spaces only (a request body or headers cannot be given)", path)
		}
	}
	return httpCheck{method: method, path: path}, nil
}

func parseExpect(h *httpCheck, key, val string) error {
	switch key {
	case "http-status":
		items, err := splitList(val)
		if err != nil {
			return err
		}
		for _, it := range items {
			n, err := strconv.Atoi(it)
			if err != nil || n < 100 || n > 599 {
				return fmt.Errorf("%.20q is not an HTTP status (100-599)", it)
			}
			h.status = append(h.status, n)
		}
	case "http-header":
		name, rest, _ := strings.Cut(val, " ")
		rest = strings.TrimSpace(rest)
		if name == "" || strings.ContainsAny(name, ":()<>@,;\\\"/[]?={}") {
			return fmt.Errorf("header name %.40q", name)
		}
		c := headerCond{name: textproto.CanonicalMIMEHeaderKey(name)}
		switch {
		case rest == "exists" || rest == "absent":
			c.op = rest
		case strings.HasPrefix(rest, "~ "):
			re, err := compileRE(strings.TrimSpace(rest[2:]))
			if err != nil {
				return err
			}
			c.op, c.re = "~", re
		default:
			return fmt.Errorf("%.60q: want NAME ~ REGEX, NAME exists or NAME absent", val)
		}
		h.headers = append(h.headers, c)
	case "http-body":
		re, err := compileRE(val)
		if err != nil {
			return err
		}
		h.body = append(h.body, re)
	}
	return nil
}

// placeholders of evidence templates; "fact:" takes a key.
var placeholders = [...]string{"service", "product", "version", "extra", "os", "banner", "port", "proto", "matched", "id"}

func parseTemplate(s string) ([]tmplPart, error) {
	var out []tmplPart
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			if strings.Contains(s, "}") {
				return nil, fmt.Errorf("'}' without '{'")
			}
			out = append(out, tmplPart{lit: s})
			break
		}
		if i > 0 {
			if strings.Contains(s[:i], "}") {
				return nil, fmt.Errorf("'}' without '{'")
			}
			out = append(out, tmplPart{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("'{' without '}'")
		}
		name := s[i+1 : i+j]
		if k, ok := strings.CutPrefix(name, "fact:"); ok {
			if !validFactKey(k) {
				return nil, fmt.Errorf("placeholder {%.40s}: fact key must be a lower case dotted name", name)
			}
			out = append(out, tmplPart{kind: "fact", arg: k})
		} else if slices.Contains(placeholders[:], name) {
			out = append(out, tmplPart{kind: name})
		} else {
			return nil, fmt.Errorf("unknown placeholder {%.40s} (one of %v or fact:KEY)", name, placeholders)
		}
		s = s[i+j+1:]
	}
	return out, nil
}
