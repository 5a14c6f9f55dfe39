package sigdb

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"picket.dev/picket/src/scan/result"
)

// fuzzHost has a port of each kind the matchers look at.
func fuzzHost(product, version, extra, banner, fact string) *result.Host {
	return &result.Host{Addr: netip.MustParseAddr("192.0.2.1"), Up: true, Ports: []result.Port{
		{Proto: result.TCP, Port: 22, State: result.Open, Service: &result.Service{Name: "ssh", Product: product, Version: version, Extra: extra, Banner: banner,
			SSH: &result.SSHFacts{Kex: []string{version, "diffie-hellman-group1-sha1"}, Ciphers: []string{banner}, MACs: []string{extra}}}},
		{Proto: result.TCP, Port: 443, State: result.Open, Service: &result.Service{Name: "https", Product: product, Version: version,
			TLS: &result.TLSFacts{Versions: []string{"TLSv1.0", extra}, Expired: true, Chain: []result.Cert{{KeyType: product, KeyBits: len(banner), SigAlg: extra}}}}},
		{Proto: result.UDP, Port: 161, State: result.Open, Service: &result.Service{Name: "snmp", Facts: map[string]string{fact: banner, "snmp.community": extra}}},
		{Proto: result.TCP, Port: 23, State: result.Open},
		{Proto: result.TCP, Port: 80, State: result.Closed},
	}}
}

// echoDoer answers every request with its own method and path.
type echoDoer struct{}

func (echoDoer) Do(_ context.Context, _ *result.Host, _ *result.Port, r HTTPRequest) (HTTPResponse, error) {
	return HTTPResponse{Status: 200, Header: map[string][]string{"Server": {r.Path}}, Body: []byte(r.Method + " " + r.Path)}, nil
}

// FuzzParse: any bytes either compile or are refused with line-numbered
// errors; a database that compiles matches without panicking, and its
// findings are well formed.
func FuzzParse(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte(header))
	f.Add([]byte(sig1("service: ssh\n")))
	f.Add([]byte(header + "id: A-1\n continued\n\n\n# c\nid: A-2\n"))
	f.Add([]byte("format: picket-signatures/1\r\n"))
	f.Add([]byte(sig1("service: ssh\nssh: cipher chacha20-poly1305@openssh.com || mac *-etm@openssh.com\nssh: not kex kex-strict-s-v00@openssh.com\n")))
	f.Add([]byte(sig1("tls: version TLSv1.0\ntls: not self-signed\ntls: not key RSA < 2048\n")))
	f.Fuzz(func(t *testing.T, src []byte) {
		db, err := Compile(src)
		if err != nil {
			l, ok := err.(ErrorList)
			if !ok || len(l) == 0 || len(l) > maxErrors {
				t.Fatalf("error %T %v", err, err)
			}
			for _, e := range l {
				if e.Line < 0 || e.Reason == "" {
					t.Fatalf("bad error %+v", e)
				}
			}
			return
		}
		checkFindings(t, db, fuzzHost("OpenSSH", "9.2p1", "Debian 2+deb12u2", "SSH-2.0-OpenSSH_9.2p1", "ftp.anonymous"))
	})
}

func checkFindings(t *testing.T, db *DB, h *result.Host) {
	t.Helper()
	fs, err := db.Check(context.Background(), h, CheckOptions{HTTP: echoDoer{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.ID == "" || len(f.Evidence) > maxEvidenceBytes || f.Severity != result.SeverityOf(f.CVSS) || !strings.HasPrefix(f.Vector, "CVSS:3.1/") {
			t.Fatalf("finding %+v", f)
		}
	}
	if m := db.Match(h, nil); len(m) > len(fs) {
		t.Fatalf("Match found %d, Check %d", len(m), len(fs))
	}
}

// FuzzCompileMatch puts fuzzed matcher values into a well-formed
// signature and fuzzed facts into a host: compile and match never panic,
// and the indexed matcher agrees with a linear one over every signature.
func FuzzCompileMatch(f *testing.F) {
	f.Add("OpenSSH", "< 9.3p2", "1:9.2p1-2+deb12u3", "^SSH-2\\.0", "snmp.community = public", "OpenSSH", "9.2p1", "Debian 2+deb12u2", "SSH-2.0-OpenSSH_9.2p1", "snmp.community")
	f.Add("nginx, Apache httpd", ">= 2.4.0, < 2.4.58 || = 1.0", "2.4.57-2", "(?i)apache", "ftp.anonymous exists", "apache HTTPD", "2.4.57", "Debian 2", "", "ftp.anonymous")
	f.Add("x", "!= 0", "0-0", ".*", "a.b !~ x", "X", "", "", "\x00\xff", "a.b")
	f.Add("SHA1-RSA", "< 1", "kex-strict-s-v00@openssh.com", "chacha20-poly1305@openssh.com", "a.b exists", "RSA", "7.4", "hmac-sha2-256-etm@openssh.com", "chacha20-poly1305@openssh.com", "a.b")
	f.Add("SHA1-RSA", "< 1", "diffie-hellman-group1-sha1", "aes*", "a.b exists", "RSA", "7.4", "SHA1-RSA", "aes128-ctr", "a.b")
	f.Fuzz(func(t *testing.T, product, rng, fixed, banner, fact, hProduct, hVersion, hExtra, hBanner, hFact string) {
		clean := func(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }
		src := header + "id: PKT-F-1\ntitle: f\nclass: version\ncvss: 7.5 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N\nremediation: r\n" +
			"product: " + clean(product) + "\nversion: " + clean(rng) + "\nfixed-debian: " + clean(fixed) + "\n" +
			"\nid: PKT-F-2\ntitle: f\nclass: banner\ncvss: 0.0 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N\nremediation: r\n" +
			"banner: " + clean(banner) + "\nfact: " + clean(fact) + "\nevidence: {matched} {fact:" + "snmp.community}\n" +
			"\nid: PKT-F-3\ntitle: f\nclass: ssh\ncvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N\nremediation: r\n" +
			"ssh: kex " + clean(banner) + "\ntls: version TLSv1.0\n" +
			"\nid: PKT-F-4\ntitle: f\nclass: http\ncvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N\nremediation: r\n" +
			"http: GET /" + strings.ReplaceAll(clean(product), " ", "") + "\nhttp-body: " + clean(banner) + "\n" +
			// Negated conditions and || alternatives (docs/signatures.md).
			"\nid: PKT-F-5\ntitle: f\nclass: ssh\ncvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N\nremediation: r\n" +
			"service: ssh\nssh: cipher " + clean(banner) + " || mac *-etm@openssh.com\nssh: not kex " + clean(fixed) + "\n" +
			"\nid: PKT-F-6\ntitle: f\nclass: tls\ncvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N\nremediation: r\n" +
			"tls: version TLSv1.0\ntls: not sig-alg " + clean(product) + "\ntls: not self-signed\n"
		db, err := Compile([]byte(src))
		if err != nil {
			return
		}
		h := fuzzHost(hProduct, hVersion, hExtra, hBanner, hFact)
		checkFindings(t, db, h)
		indexed := db.Match(h, nil)
		linear := db.MatchLinear(h)
		if len(indexed) != len(linear) {
			t.Fatalf("indexed %v, linear %v", ids(indexed), ids(linear))
		}
		for i := range indexed {
			if indexed[i].ID != linear[i].ID || indexed[i].Port != linear[i].Port {
				t.Fatalf("indexed %v, linear %v", ids(indexed), ids(linear))
			}
		}
	})
}
