// Package sigdb is the signature database of the vulnerability checks: its
// text format (docs/signatures.md), the parser that refuses a bad database
// with the line and the reason, the compiler into an index by product,
// service, port and fact, and the matcher that turns a host's scan
// results into result.Findings in one pass over its ports.
//
// It does no I/O of its own: the HTTP requests of HTTP checks go through
// the HTTPDoer its caller gives (src/scan/checks has the real one).
package sigdb

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"picket.dev/picket/src/scan/result"
)

// DB is a compiled signature database. It is immutable once compiled, so
// one DB can serve concurrent scans and be swapped for a newer one
// without locking the matcher.
type DB struct {
	version, description string
	date                 time.Time
	sigs                 []*sig // sorted by id

	// The index: each signature sits in exactly one bucket, the most
	// selective its matchers allow, so a port gathers each candidate once.
	byProduct map[string][]int32 // lower-case product
	byService map[string][]int32
	byPort    map[uint16][]int32
	byFact    map[string][]int32 // a fact key the signature requires present
	withTLS   []int32            // needs TLS facts
	withSSH   []int32            // needs SSH facts
	webOnly   []int32            // HTTP checks with no other selector: web ports
	anyPort   []int32            // banner/extra only, or wide port ranges
}

// Version is the database version from its header (e.g. "2.2.245-2").
func (db *DB) Version() string { return db.version }

// Date is the database's build day from its header (UTC midnight).
func (db *DB) Date() time.Time { return db.date }

// Description is the header's description, if any.
func (db *DB) Description() string { return db.description }

// Len is the number of signatures.
func (db *DB) Len() int { return len(db.sigs) }

// IDs lists the signature ids, sorted.
func (db *DB) IDs() []string {
	out := make([]string, len(db.sigs))
	for i, s := range db.sigs {
		out[i] = s.id
	}
	return out
}

// maxIndexedPorts: a signature whose port list spans more ports than this
// goes to the any-port list instead of one bucket per port.
const maxIndexedPorts = 64

// Compile parses and checks a source file (docs/signatures.md) and builds
// its index. A source with any error is refused as a whole: the error is
// an ErrorList of *ParseError (line and reason, at most 20).
func Compile(src []byte) (*DB, error) {
	var e errs
	stanzas := splitStanzas(src, &e)
	if len(stanzas) == 0 {
		if len(e.list) == 0 {
			e.add(0, "empty source: no header")
		}
		return nil, e.err()
	}
	h := parseHeader(stanzas[0], &e)
	if len(stanzas)-1 > MaxSignatures {
		e.add(stanzas[MaxSignatures+1].line, "more than %d signatures", MaxSignatures)
		return nil, e.err()
	}
	db := &DB{
		version: h.version, description: h.description,
		byProduct: map[string][]int32{}, byService: map[string][]int32{},
		byPort: map[uint16][]int32{}, byFact: map[string][]int32{},
	}
	db.date, _ = time.Parse(time.DateOnly, h.date)
	ids := map[string]int{}
	for _, st := range stanzas[1:] {
		if e.full() {
			break
		}
		if st.fields[0].key == "format" {
			e.add(st.line, "a second header (format) in the middle of the file")
			continue
		}
		s := parseSig(st, &e)
		if s.id != "" {
			if prev, ok := ids[s.id]; ok {
				e.add(st.line, "signature %s: id used before, at line %d", s.id, prev)
			}
			ids[s.id] = st.line
		}
		db.sigs = append(db.sigs, s)
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	slices.SortFunc(db.sigs, func(a, b *sig) int { return strings.Compare(a.id, b.id) })
	for i, s := range db.sigs {
		db.index(int32(i), s)
	}
	return db, nil
}

// index puts signature i in its bucket: product, else service, else
// port, else a required fact, else TLS/SSH, else the HTTP default (web
// ports), else every port. A negated tls or ssh condition (not) still
// needs the port's TLS or SSH facts (it never holds where the handshake
// was not read), so "has TLS/SSH facts" selects it soundly; the parser
// refuses a signature whose only matchers are negated.
func (db *DB) index(i int32, s *sig) {
	s.bit = classBit(s.class)
	s.products = dedupe(s.products)
	s.services = dedupe(s.services)
	switch {
	case s.products != nil:
		for _, p := range s.products {
			db.byProduct[p] = append(db.byProduct[p], i)
		}
	case s.services != nil:
		for _, n := range s.services {
			db.byService[n] = append(db.byService[n], i)
		}
	case s.ports != nil && portCount(s.ports) <= maxIndexedPorts:
		for _, sp := range s.ports {
			for p := int(sp.lo); p <= int(sp.hi); p++ {
				db.byPort[uint16(p)] = append(db.byPort[uint16(p)], i)
			}
		}
	case requiredFact(s) != "":
		k := requiredFact(s)
		db.byFact[k] = append(db.byFact[k], i)
	case s.tls != nil:
		db.withTLS = append(db.withTLS, i)
	case s.ssh != nil:
		db.withSSH = append(db.withSSH, i)
	case s.http != nil && s.ports == nil:
		db.webOnly = append(db.webOnly, i)
	default:
		db.anyPort = append(db.anyPort, i)
	}
}

func portCount(spans []portSpan) int {
	n := 0
	for _, sp := range spans {
		n += int(sp.hi) - int(sp.lo) + 1
	}
	return n
}

// requiredFact is a fact key the signature needs present (=, ~, exists).
func requiredFact(s *sig) string {
	for _, f := range s.facts {
		if f.op == "=" || f.op == "~" || f.op == "exists" {
			return f.key
		}
	}
	return ""
}

// candidates appends the signatures that may match port p to out.
func (db *DB) candidates(out []int32, p *result.Port) []int32 {
	out = append(out, db.byPort[p.Port]...)
	out = append(out, db.anyPort...)
	sv := p.Service
	if sv == nil {
		return out
	}
	if sv.Product != "" {
		out = append(out, db.byProduct[lowerASCII(sv.Product)]...)
	}
	out = append(out, db.byService[sv.Name]...)
	for k := range sv.Facts {
		out = append(out, db.byFact[k]...)
	}
	if sv.TLS != nil {
		out = append(out, db.withTLS...)
	}
	if sv.SSH != nil {
		out = append(out, db.withSSH...)
	}
	if isWeb(sv) {
		out = append(out, db.webOnly...)
	}
	return out
}

// isWeb: the port's service speaks HTTP (the default target of HTTP
// checks that name no service or port).
func isWeb(sv *result.Service) bool {
	return sv != nil && (sv.Name == "http" || sv.Name == "https" || sv.HTTP != nil)
}

// lowerASCII lower-cases without allocating when already lower case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

func (s *sig) String() string { return fmt.Sprintf("%s (line %d)", s.id, s.line) }

// dedupe sorts a list of alternatives and drops repeats, so that a
// signature sits once in each bucket.
func dedupe(l []string) []string {
	if l == nil {
		return nil
	}
	slices.Sort(l)
	return slices.Compact(l)
}
