package service

import (
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"picket.dev/picket/src/scan/result"
)

// DNS (RFC 1035): the query "version.bind" class CHAOS type TXT, which BIND,
// dnsmasq, Unbound, Knot and PowerDNS answer with their version (or refuse).

// dnsVersionQuery encodes the query with id and recursion desired set (so the
// answer's RA bit says whether the server offers recursion).
func dnsVersionQuery(id uint16) []byte {
	q := binary.BigEndian.AppendUint16(nil, id)
	q = append(q, 0x01, 0x00) // RD
	q = append(q, 0, 1, 0, 0, 0, 0, 0, 0)
	q = append(q, 7)
	q = append(q, "version"...)
	q = append(q, 4)
	q = append(q, "bind"...)
	q = append(q, 0)
	return append(q, 0, 16, 0, 3) // TXT, CH
}

// ResolverProbeName is the name of the open-resolver question: a query for its
// A record with recursion desired. example.com is reserved by RFC 2606 and
// delegated on the Internet, and no server the scanner meets is authoritative
// for it, so an answer to it is one the server recursed (or forwarded) for.
const ResolverProbeName = "example.com"

// dnsQuery encodes a query for name (dotted, no trailing dot), type qtype,
// class IN, with recursion desired.
func dnsQuery(id uint16, name string, qtype uint16) []byte {
	q := binary.BigEndian.AppendUint16(nil, id)
	q = append(q, 0x01, 0x00) // RD
	q = append(q, 0, 1, 0, 0, 0, 0, 0, 0)
	for _, l := range strings.Split(name, ".") {
		q = append(q, byte(len(l)))
		q = append(q, l...)
	}
	q = append(q, 0)
	q = binary.BigEndian.AppendUint16(q, qtype)
	return append(q, 0, 1) // IN
}

// openResolver says whether a's answer to the ResolverProbeName question
// shows recursion for anyone: recursion available, no error, and at least one
// answer record.
func openResolver(a *dnsAnswer) bool {
	return a.RA && a.Rcode == 0 && a.Answers > 0
}

// dnsAnswer is what a DNS response said.
type dnsAnswer struct {
	ID    uint16
	RA    bool // recursion available
	AA    bool
	Rcode int
	TXT   []string
	// Answers is the number of records in the answer section.
	Answers int
}

// parseDNSResponse reads a DNS response message (RFC 1035 section 4.1) and the TXT
// records of its answer section.
func parseDNSResponse(b []byte) (*dnsAnswer, error) {
	if len(b) < 12 {
		return nil, errors.New("dns: shorter than a header")
	}
	flags := binary.BigEndian.Uint16(b[2:])
	if flags&0x8000 == 0 {
		return nil, errors.New("dns: not a response")
	}
	a := &dnsAnswer{
		ID:    binary.BigEndian.Uint16(b),
		AA:    flags&0x0400 != 0,
		RA:    flags&0x0080 != 0,
		Rcode: int(flags & 0xf),
	}
	qd, an := int(binary.BigEndian.Uint16(b[4:])), int(binary.BigEndian.Uint16(b[6:]))
	off := 12
	for i := 0; i < qd; i++ {
		var err error
		if off, err = skipName(b, off); err != nil {
			return nil, err
		}
		off += 4
		if off > len(b) {
			return nil, errors.New("dns: question overruns the message")
		}
	}
	for i := 0; i < an; i++ {
		var err error
		if off, err = skipName(b, off); err != nil {
			return nil, err
		}
		if off+10 > len(b) {
			return nil, errors.New("dns: answer overruns the message")
		}
		typ := binary.BigEndian.Uint16(b[off:])
		rdl := int(binary.BigEndian.Uint16(b[off+8:]))
		off += 10
		if off+rdl > len(b) {
			return nil, errors.New("dns: rdata overruns the message")
		}
		if typ == 16 {
			rd := b[off : off+rdl]
			var txt []byte
			for len(rd) > 0 {
				n := int(rd[0])
				if 1+n > len(rd) {
					return nil, errors.New("dns: TXT string overruns its rdata")
				}
				txt = append(txt, rd[1:1+n]...)
				rd = rd[1+n:]
			}
			a.TXT = append(a.TXT, string(txt))
		}
		off += rdl
		a.Answers++
	}
	return a, nil
}

// skipName steps over a domain name at off, compression pointers included.
func skipName(b []byte, off int) (int, error) {
	for hops := 0; hops < 128; hops++ {
		if off >= len(b) {
			return 0, errors.New("dns: name overruns the message")
		}
		l := int(b[off])
		switch {
		case l == 0:
			return off + 1, nil
		case l&0xc0 == 0xc0:
			if off+2 > len(b) {
				return 0, errors.New("dns: pointer overruns the message")
			}
			return off + 2, nil
		case l&0xc0 != 0:
			return 0, fmt.Errorf("dns: label type 0x%02x", l&0xc0)
		}
		off += 1 + l
	}
	return 0, errors.New("dns: name too long")
}

var dnsProducts = []productRule{
	{re: regexp.MustCompile(`^dnsmasq-(\d[\w.]*)`), product: "dnsmasq"},
	{re: regexp.MustCompile(`^(9\.\d+\.\d+[\w\-]*?)(?:-(\S*))?$`), product: "ISC BIND"},
	{re: regexp.MustCompile(`^unbound (\d[\w.]*)`), product: "Unbound"},
	{re: regexp.MustCompile(`^PowerDNS Recursor (\d[\w.]*)`), product: "PowerDNS Recursor"},
	{re: regexp.MustCompile(`^PowerDNS Authoritative Server (\d[\w.]*)`), product: "PowerDNS Authoritative Server"},
	{re: regexp.MustCompile(`^Knot DNS (\d[\w.]*)`), product: "Knot DNS"},
	{re: regexp.MustCompile(`^Knot Resolver (\d[\w.]*)`), product: "Knot Resolver"},
	{re: regexp.MustCompile(`^NSD (\d[\w.]*)`), product: "NSD"},
	{re: regexp.MustCompile(`^Microsoft DNS (\d[\d.]*)`), product: "Microsoft DNS", os: "Windows"},
}

// dnsService describes a DNS server from its answer to the version query.
func dnsService(a *dnsAnswer, method string) *result.Service {
	s := &result.Service{Name: "domain", Method: method}
	setFact(s, "dns.recursion", fmt.Sprint(a.RA))
	if len(a.TXT) > 0 {
		v := printable(a.TXT[0])
		setFact(s, "dns.version_bind", v)
		s.Banner = v
		applyRules(s, v, dnsProducts)
		if s.Product == "ISC BIND" {
			s.Extra = "" // the Debian suffix of "9.18.28-1~deb12u2-Debian" is not a version
		}
	} else {
		setFact(s, "dns.version_bind_rcode", fmt.Sprint(a.Rcode))
	}
	return s
}
