package sigdb

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/scan/result"
)

const header = "format: picket-signatures/1\nversion: 2.2.245-2\ndate: 2026-12-07\n\n"

// example is the complete example of docs/signatures.md.
const example = `# Picket signature database
format: picket-signatures/1
version: 2.2.245-2
date: 2026-12-07

id: PKT-SSH-0001
title: OpenSSH before 9.3p2: remote code execution through a forwarded ssh-agent
class: version
cvss: 9.8 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
cve: CVE-2023-38408
cwe: CWE-428
ref: https://www.openssh.com/txt/release-9.3p2
service: ssh
product: OpenSSH
version: < 9.3p2
fixed-debian: 1:9.2p1-2+deb12u3, 1:8.4p1-5+deb11u2
evidence: {product} {version} {extra} on {port}/{proto}
remediation: Upgrade OpenSSH to 9.3p2 or later, or install the
 distribution's fixed package (Debian 12: 1:9.2p1-2+deb12u3).

id: PKT-FTP-0001
title: vsftpd 2.3.4 backdoored release
class: banner
cvss: 10.0 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H
cve: CVE-2011-2523
service: ftp
banner: ^220 \(vsFTPd 2\.3\.4\)
evidence: banner {banner}
remediation: Replace the server with a current vsftpd from a trusted source.

id: PKT-TLS-0001
title: TLS 1.0 or 1.1 accepted
class: tls
cvss: 3.7 CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N
tls: version SSLv3, TLSv1.0, TLSv1.1
remediation: Accept TLS 1.2 and 1.3 only.

id: PKT-HTTP-0001
title: HTTP TRACE enabled
class: http
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
cwe: CWE-693
http: TRACE /
http-status: 200
http-body: ^TRACE / HTTP/1\.[01]
remediation: Switch TRACE off (Apache: TraceEnable off).

id: PKT-SNMP-0001
title: SNMP answers the community "public"
class: udp
cvss: 7.5 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N
cve: CVE-1999-0517
service: snmp
fact: snmp.community = public
evidence: community {fact:snmp.community}, {fact:snmp.sysdescr}
remediation: Change the community or switch SNMP v1/v2c off.
`

func TestDocExample(t *testing.T) {
	db, err := Compile([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if db.Version() != "2.2.245-2" || !db.Date().Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) || db.Len() != 5 {
		t.Fatalf("header: %q %v %d", db.Version(), db.Date(), db.Len())
	}
	want := []string{"PKT-FTP-0001", "PKT-HTTP-0001", "PKT-SNMP-0001", "PKT-SSH-0001", "PKT-TLS-0001"}
	if !slices.Equal(db.IDs(), want) {
		t.Fatalf("ids %v", db.IDs())
	}
}

// sig1 wraps signature lines in a header and the required fields.
func sig1(lines string) string {
	return header + "id: PKT-T-1\ntitle: t\nclass: version\ncvss: 7.5 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N\nremediation: r\n" + lines
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		src    string
		line   int
		reason string
	}{
		{"", 0, "empty source"},
		{"format: picket-signatures/2\nversion: 1\ndate: 2026-12-07\n", 1, "this parser reads"},
		{"format: picket-signatures/1\ndate: 2026-12-07\n", 1, "header: version missing"},
		{"format: picket-signatures/1\nversion: x1\ndate: 2026-12-07\n", 2, "version \"x1\""},
		{"format: picket-signatures/1\nversion: 1\ndate: 2026-13-07\n", 3, "not YYYY-MM-DD"},
		{"format: picket-signatures/1\nversion: 1\ndate: 2026-12-07\nverison: 2\n", 4, "header: unknown key \"verison\""},
		{header + "id: A-1\r\n", 5, "carriage return"},
		{header + "id: A-1\n\x01\n", 6, "control character"},
		{header + "id: A-1\n" + strings.Repeat("x", 5000) + "\n", 6, "more than 4096"},
		{header + "id: A-1\nTitle: x\n", 6, "not \"key: value\""},
		{header + " continued\n", 5, "continuation line with no field"},
		{sig1("verison: < 1.0\n"), 10, "unknown key \"verison\""},
		{sig1("title: again\n"), 10, "title given before, at line 6"},
		{sig1("service: ssh\nproduct: OpenSSH\nversion: << 9.3\n"), 12, "version: comparison \"<< 9.3\""},
		{sig1("service: ssh\nproduct: OpenSSH\nversion: < 9.3p2\nfixed-debian: 9.2p1\n"), 13, "has a revision"},
		{sig1("service: ssh\nversion: < 9.3p2\n"), 5, "version ranges without a product"},
		{sig1("product: OpenSSH\nfixed-debian: 1:9.2p1-2+deb12u3\n"), 5, "backported-fix list without a version range"},
		{sig1("cve: CVE-23-38408\nservice: ssh\n"), 10, "\"CVE-23-38408\" is not like CVE-"},
		{sig1("cwe: 428\nservice: ssh\n"), 10, "\"428\" is not like CWE-"},
		{sig1("ref: ftp://example.com/x\nservice: ssh\n"), 10, "one http:// or https:// URL"},
		{sig1("service: SSH\n"), 10, "lower case"},
		{sig1("port: 0\n"), 10, "a port 1-65535"},
		{sig1("port: 30-20\n"), 10, "a port 1-65535"},
		{sig1("proto: sctp\n"), 10, "tcp or udp"},
		{sig1("banner: ^220 (vsFTPd\n"), 10, "banner: regular expression: error parsing regexp"},
		{sig1("banner: " + strings.Repeat("a", 600) + "\n"), 10, "more than 512"},
		{sig1("banner: (((a{1,100}){1,100}){1,100})\n"), 10, "regular expression"},
		{sig1("banner: " + strings.Repeat("[a-z]{1000}", 5) + "\n"), 10, "more than 4096"},
		{sig1("fact: ftp.anonymous == true\n"), 10, "want KEY = VALUE"},
		{sig1("fact: Anonymous = true\n"), 10, "lower case dotted name"},
		{sig1("tls: version TLSv1\n"), 10, "one of [SSLv2"},
		{sig1("tls: key RSA 2048\n"), 10, "want TYPES < BITS"},
		{sig1("tls: weak\n"), 10, "one of version, expired"},
		{sig1("ssh: kexes diffie-hellman-group1-sha1\n"), 10, "one of kex, cipher"},
		{sig1("service: http\nhttp: GET /x\nhttp-status: 200\n"), 5, "its class must be http"},
		{strings.Replace(sig1("http: POST /login\nhttp-status: 200\n"), "class: version", "class: http", 1), 10, "method \"POST\" refused"},
		{strings.Replace(sig1("http: DELETE /x\nhttp-status: 200\n"), "class: version", "class: http", 1), 10, "method \"DELETE\" refused"},
		{strings.Replace(sig1("http: GET x\nhttp-status: 200\n"), "class: version", "class: http", 1), 10, "must start with /"},
		{strings.Replace(sig1("http: GET /a b\nhttp-status: 200\n"), "class: version", "class: http", 1), 10, "printable ASCII without spaces"},
		{strings.Replace(sig1("http: GET /"+strings.Repeat("a", 300)+"\nhttp-status: 200\n"), "class: version", "class: http", 1), 10, "at most 256"},
		{strings.Replace(sig1(strings.Repeat("http: GET /\nhttp-status: 200\n", 5)), "class: version", "class: http", 1), 18, "more than 4 requests"},
		{strings.Replace(sig1("http-status: 200\n"), "class: version", "class: http", 1), 10, "no http request line before it"},
		{strings.Replace(sig1("http: GET /\nhttp-status: 99\n"), "class: version", "class: http", 1), 11, "not an HTTP status"},
		{strings.Replace(sig1("http: GET /\n"), "class: version", "class: http", 1), 5, "has no http-status, http-header or http-body"},
		{strings.Replace(sig1("service: ssh\n"), "class: version", "class: http", 1), 5, "class http but no http request"},
		{strings.Replace(sig1("service: ssh\n"), "class: version", "class: vuln", 1), 7, "\"vuln\" is not one of"},
		{strings.Replace(sig1("service: ssh\n"), "7.5 CVSS", "9.1 CVSS", 1), 8, "cvss: score 9.1 does not match the vector (7.5)"},
		{strings.Replace(sig1("service: ssh\n"), "7.5 CVSS", "7.50 CVSS", 1), 8, "score to one decimal"},
		{strings.Replace(sig1("service: ssh\n"), "/A:N", "", 1), 8, "base metric A missing"},
		{strings.Replace(sig1("service: ssh\n"), "id: PKT-T-1", "id: pkt-1", 1), 5, "id: \"pkt-1\""},
		{strings.Replace(sig1("service: ssh\n"), "remediation: r\n", "", 1), 5, "remediation missing"},
		{sig1("evidence: {version\nservice: ssh\n"), 10, "'{' without '}'"},
		{sig1("evidence: {cve}\nservice: ssh\n"), 10, "unknown placeholder {cve}"},
		{sig1(""), 5, "no matcher"},
		// Negated conditions (docs/signatures.md, "Negated conditions").
		{sig1("ssh: not kex kex-strict-s-v00@openssh.com\n"), 10, "a negated condition (not) cannot be a signature's only matcher"},
		{sig1("proto: tcp\ntls: not version TLSv1.2, TLSv1.3\ntls: not expired\n"), 11, "a negated condition (not) cannot be a signature's only matcher"},
		{sig1("service: ssh\nssh: not kex a || mac b\n"), 11, "not with || alternatives"},
		{sig1("service: ssh\nssh: not\n"), 11, "\"not\": one of kex, cipher"},
		{sig1("service: ssh\nssh: not not kex a\n"), 11, "\"not\": one of kex, cipher"},
		{sig1("service: ssh\nssh: not kexes a\n"), 11, "\"kexes\": one of kex, cipher"},
		{sig1("service: ssh\nssh: not kex a b\n"), 11, "is not an algorithm name"},
		{sig1("service: ssh\nssh: cipher a ||\n"), 11, "\"\": one of kex, cipher"},
		{sig1("service: ssh\nssh: cipher a || mac\n"), 11, "mac: empty item"},
		{sig1("service: ssh\nssh: kex a || kex b || kex c || kex d || kex e || kex f\n"), 11, "6 alternatives, more than 5"},
		{sig1("service: https\ntls: not present\n"), 11, "not present: a negated condition needs the handshake"},
		{sig1("service: https\ntls: not not expired\n"), 11, "one not at most"},
		{sig1("service: https\ntls: not version TLSv9\n"), 11, "not: version \"TLSv9\""},
		{sig1("service: https\ntls: not\n"), 11, "\"not\": one of version"},
		{sig1("service: https\ntls: not key RSA\n"), 11, "not: key \"RSA\": want TYPES < BITS"},
		{sig1("service: ssh\n") + "\n" + strings.TrimPrefix(sig1("service: ftp\n"), header), 12, "id used before, at line 5"},
		{sig1("service: ssh\n") + "\nformat: picket-signatures/1\n", 12, "a second header"},
	}
	for _, c := range cases {
		_, err := Compile([]byte(c.src))
		var pe *ParseError
		if err == nil || !errors.As(err, &pe) {
			t.Errorf("source %.200q: error %v, want line %d %q", c.src, err, c.line, c.reason)
			continue
		}
		found := false
		for _, e := range err.(ErrorList) {
			if e.Line == c.line && strings.Contains(e.Reason, c.reason) {
				found = true
			}
		}
		if !found {
			t.Errorf("source %.120q:\n got  %v\n want line %d: %q", c.src, err, c.line, c.reason)
		}
	}
}

func TestErrorListShowsLines(t *testing.T) {
	_, err := Compile([]byte(header + "id: PKT-X-1\nbogus: 1\n\nid: PKT-X-2\nalso: 2\n"))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"sigdb: line 6: unknown key \"bogus\"", "line 9: unknown key \"also\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v: does not say %q", err, want)
		}
	}
	// At most 20 errors are reported.
	var b strings.Builder
	b.WriteString(header)
	for i := range 50 {
		fmt.Fprintf(&b, "id: PKT-X-%d\nbogus: 1\n\n", i)
	}
	_, err = Compile([]byte(b.String()))
	if l := err.(ErrorList); len(l) != 20 {
		t.Errorf("%d errors reported, want 20", len(l))
	}
}

// ssh builds an open SSH port as service detection fills it for the
// identification line "SSH-2.0-OpenSSH_<ver> <comment>".
func sshPort(port uint16, ver, extra string) result.Port {
	sv := &result.Service{Name: "ssh", Product: "OpenSSH", Version: ver, Extra: extra, Method: "banner",
		Banner: strings.TrimSpace("SSH-2.0-OpenSSH_" + ver + " " + strings.Replace(extra, " ", "-", 1))}
	return result.Port{Proto: result.TCP, Port: port, State: result.Open, Service: sv}
}

func hostWith(ports ...result.Port) *result.Host {
	return &result.Host{Addr: netip.MustParseAddr("192.0.2.10"), Up: true, Ports: ports}
}

func ids(fs []result.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s@%d", f.ID, f.Port))
	}
	return out
}

func TestMatchOpenSSHBackports(t *testing.T) {
	db, err := Compile([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ver, extra string
		flagged    bool
	}{
		{"9.2p1", "Debian 2+deb12u3", false}, // the fixed Debian 12 package
		{"9.2p1", "Debian 2+deb12u4", false}, // later
		{"9.2p1", "debian 2+deb12u5", false}, // case of the distribution name
		{"9.2p1", "Debian 2+deb12u2", true},  // before the fix
		{"9.2p1", "Debian 2", true},
		{"9.2p1", "", true},                  // no revision announced: the range decides
		{"9.2p1", "Ubuntu 2+deb12u3", true},  // Debian's list says nothing of Ubuntu
		{"8.4p1", "Debian 5+deb11u2", false}, // Debian 11's fix
		{"8.4p1", "Debian 5+deb11u1", true},
		{"7.9p1", "Debian 10+deb10u4", true}, // no fix listed for 7.9p1
		{"9.3p2", "", false},
		{"9.6p1", "Debian 1", false},
		{"9.3p1", "", true},
		{"", "", false}, // a version not read is never flagged
	}
	for _, c := range cases {
		h := hostWith(sshPort(22, c.ver, c.extra))
		fs := db.Match(h, nil)
		if got := slices.Contains(ids(fs), "PKT-SSH-0001@22"); got != c.flagged {
			t.Errorf("OpenSSH %q %q: flagged %v, want %v (%v)", c.ver, c.extra, got, c.flagged, fs)
		}
	}
	fs := db.Match(hostWith(sshPort(2222, "9.2p1", "Debian 2+deb12u2")), nil)
	if len(fs) != 1 {
		t.Fatalf("findings %v", fs)
	}
	f := fs[0]
	want := result.Finding{
		ID: "PKT-SSH-0001", Title: "OpenSSH before 9.3p2: remote code execution through a forwarded ssh-agent",
		Class: result.ClassVersion, Severity: result.Critical, CVSS: 9.8,
		Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", CVEs: []string{"CVE-2023-38408"}, CWEs: []string{"CWE-428"},
		Proto: result.TCP, Port: 2222, Evidence: "OpenSSH 9.2p1 Debian 2+deb12u2 on 2222/tcp",
		Remediation: "Upgrade OpenSSH to 9.3p2 or later, or install the distribution's fixed package (Debian 12: 1:9.2p1-2+deb12u3).",
		References:  []string{"https://www.openssh.com/txt/release-9.3p2"},
	}
	if fmt.Sprint(f) != fmt.Sprint(want) {
		t.Errorf("finding\n got  %+v\n want %+v", f, want)
	}
	// The class switched off: nothing.
	if fs := db.Match(hostWith(sshPort(22, "9.2p1", "")), []result.CheckClass{result.ClassVersion}); len(fs) != 0 {
		t.Errorf("class version off: %v", fs)
	}
}

func TestMatchConditions(t *testing.T) {
	src := header + `id: PKT-BAN-1
title: vsftpd backdoor
class: banner
cvss: 10.0 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H
service: ftp
banner: ^220 \(vsFTPd 2\.3\.4\)
remediation: r

id: PKT-FTP-1
title: anonymous FTP
class: ftp
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
fact: ftp.anonymous = true
remediation: r

id: PKT-TLS-1
title: old TLS
class: tls
cvss: 3.7 CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N
tls: version SSLv3, TLSv1.0, TLSv1.1
remediation: r

id: PKT-TLS-2
title: expired
class: tls
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N
tls: expired
remediation: r

id: PKT-TLS-3
title: self-signed
class: tls
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N
tls: self-signed
remediation: r

id: PKT-TLS-4
title: weak RSA key
class: tls
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N
tls: key RSA < 2048
remediation: r

id: PKT-TLS-5
title: SHA-1 signature
class: tls
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N
tls: sig-alg SHA1-RSA, MD5-RSA
remediation: r

id: PKT-SSH-1
title: weak ssh
class: ssh
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
ssh: kex diffie-hellman-group1-sha1, diffie-hellman-group-exchange-sha1
evidence: {matched}
remediation: r

id: PKT-SSH-2
title: cbc or md5
class: ssh
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
ssh: cipher *-cbc
ssh: mac hmac-md5*
remediation: r

id: PKT-TEL-1
title: telnet
class: exposed
cvss: 6.5 CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N
port: 23, 2323
proto: tcp
remediation: r

id: PKT-PG-1
title: postgres without tls
class: exposed
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
service: postgresql
fact: postgresql.ssl != true
evidence: PostgreSQL on {port} without TLS
remediation: r

id: PKT-DNS-1
title: open resolver
class: udp
cvss: 5.8 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:L
service: domain
proto: udp
fact: dns.recursion = true
remediation: r

id: PKT-NG-1
title: nginx range
class: version
cvss: 7.5 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N
product: nginx
version: >= 1.1.4, < 1.22.1 || >= 1.23.0, < 1.23.2
remediation: r
`
	db, err := Compile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	h := &result.Host{Addr: netip.MustParseAddr("192.0.2.7"), Up: true, Ports: []result.Port{
		{Proto: result.TCP, Port: 21, State: result.Open, Service: &result.Service{Name: "ftp", Product: "vsftpd", Version: "2.3.4",
			Banner: "220 (vsFTPd 2.3.4)", Facts: map[string]string{"ftp.anonymous": "true"}}},
		{Proto: result.TCP, Port: 2121, State: result.Open, Service: &result.Service{Name: "ftp", Product: "vsftpd", Version: "3.0.3",
			Banner: "220 (vsFTPd 3.0.3)", Facts: map[string]string{"ftp.anonymous": "false"}}},
		{Proto: result.TCP, Port: 22, State: result.Open, Service: &result.Service{Name: "ssh", SSH: &result.SSHFacts{
			Kex: []string{"curve25519-sha256", "diffie-hellman-group1-sha1"}, Ciphers: []string{"aes128-ctr", "aes256-cbc"},
			MACs: []string{"hmac-sha2-256", "hmac-md5-96"}}}},
		{Proto: result.TCP, Port: 2200, State: result.Open, Service: &result.Service{Name: "ssh", SSH: &result.SSHFacts{
			Kex: []string{"curve25519-sha256"}, Ciphers: []string{"aes256-cbc"}, MACs: []string{"hmac-sha2-256"}}}},
		{Proto: result.TCP, Port: 443, State: result.Open, Service: &result.Service{Name: "https", TLS: &result.TLSFacts{
			Versions: []string{"TLSv1.0", "TLSv1.2"}, Expired: true, SelfSigned: true,
			Chain: []result.Cert{{Subject: "CN=old", NotAfter: old, KeyType: "RSA", KeyBits: 1024, SigAlg: "SHA1-RSA"}}}}},
		{Proto: result.TCP, Port: 8443, State: result.Open, Service: &result.Service{Name: "https", TLS: &result.TLSFacts{
			Versions: []string{"TLSv1.2", "TLSv1.3"}, Chain: []result.Cert{{KeyType: "ECDSA", KeyBits: 256, SigAlg: "ECDSA-SHA256"}}}}},
		{Proto: result.TCP, Port: 23, State: result.Open, Service: &result.Service{Name: "telnet"}},
		{Proto: result.UDP, Port: 23, State: result.Open},
		{Proto: result.TCP, Port: 2323, State: result.Closed},
		{Proto: result.TCP, Port: 5432, State: result.Open, Service: &result.Service{Name: "postgresql", Facts: map[string]string{"postgresql.ssl": "false"}}},
		{Proto: result.TCP, Port: 5433, State: result.Open, Service: &result.Service{Name: "postgresql", Facts: map[string]string{"postgresql.ssl": "true"}}},
		{Proto: result.UDP, Port: 53, State: result.Open, Service: &result.Service{Name: "domain", Facts: map[string]string{"dns.recursion": "true"}}},
		{Proto: result.TCP, Port: 53, State: result.Open, Service: &result.Service{Name: "domain", Facts: map[string]string{"dns.recursion": "true"}}},
		{Proto: result.TCP, Port: 80, State: result.Open, Service: &result.Service{Name: "http", Product: "nginx", Version: "1.22.0"}},
		{Proto: result.TCP, Port: 81, State: result.Open, Service: &result.Service{Name: "http", Product: "NGINX", Version: "1.23.1"}},
		{Proto: result.TCP, Port: 82, State: result.Open, Service: &result.Service{Name: "http", Product: "nginx", Version: "1.22.1"}},
		{Proto: result.TCP, Port: 83, State: result.Open, Service: &result.Service{Name: "http", Product: "nginx", Version: "1.24.0"}},
	}}
	fs := db.Match(h, nil)
	want := []string{"PKT-BAN-1@21", "PKT-FTP-1@21", "PKT-SSH-1@22", "PKT-SSH-2@22",
		"PKT-TLS-1@443", "PKT-TLS-2@443", "PKT-TLS-3@443", "PKT-TLS-4@443", "PKT-TLS-5@443",
		"PKT-TEL-1@23", "PKT-PG-1@5432", "PKT-DNS-1@53", "PKT-NG-1@80", "PKT-NG-1@81"}
	if got := ids(fs); !slices.Equal(got, want) {
		t.Fatalf("findings\n got  %v\n want %v", got, want)
	}
	ev := map[string]string{}
	for _, f := range fs {
		ev[fmt.Sprintf("%s@%d", f.ID, f.Port)] = f.Evidence
	}
	for k, want := range map[string]string{
		"PKT-BAN-1@21":  "banner 220 (vsFTPd 2.3.4)",
		"PKT-FTP-1@21":  "ftp.anonymous true",
		"PKT-SSH-1@22":  "ssh kex diffie-hellman-group1-sha1",
		"PKT-SSH-2@22":  "ssh cipher aes256-cbc; ssh mac hmac-md5-96",
		"PKT-TLS-1@443": "tls versions TLSv1.0",
		"PKT-TLS-2@443": "certificate expired (not after 2020-01-01)",
		"PKT-TLS-3@443": "self-signed certificate (CN=old)",
		"PKT-TLS-4@443": "certificate key RSA 1024 bits",
		"PKT-TLS-5@443": "certificate signature SHA1-RSA",
		"PKT-PG-1@5432": "PostgreSQL on 5432 without TLS",
		"PKT-NG-1@81":   "version 1.23.1 in >= 1.1.4, < 1.22.1 || >= 1.23.0, < 1.23.2",
	} {
		if ev[k] != want {
			t.Errorf("%s evidence %q, want %q", k, ev[k], want)
		}
	}
	// Classes off.
	off := []result.CheckClass{result.ClassTLS, result.ClassSSH, result.ClassExposed}
	fs = db.Match(h, off)
	if got := ids(fs); !slices.Equal(got, []string{"PKT-BAN-1@21", "PKT-FTP-1@21", "PKT-DNS-1@53", "PKT-NG-1@80", "PKT-NG-1@81"}) {
		t.Errorf("with %v off: %v", off, got)
	}
}

// fakeDoer answers from a table and counts requests (the real doer is
// tested against net/http in src/scan/checks).
type fakeDoer struct {
	answers map[string]HTTPResponse
	calls   []string
}

func (d *fakeDoer) Do(_ context.Context, h *result.Host, p *result.Port, r HTTPRequest) (HTTPResponse, error) {
	key := fmt.Sprintf("%d %s %s tls=%v", p.Port, r.Method, r.Path, r.TLS)
	d.calls = append(d.calls, key)
	a, ok := d.answers[key]
	if !ok {
		return HTTPResponse{}, errors.New("connection refused")
	}
	return a, nil
}

func TestCheckHTTPDedup(t *testing.T) {
	src := header + `id: PKT-H-1
title: status page
class: http
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
http: GET /server-status
http-status: 200
http-body: Apache Server Status
remediation: r

id: PKT-H-2
title: status page on Apache
class: http
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
http: GET /server-status
http-status: 200
http-header: Server ~ ^Apache/2\.4
remediation: r

id: PKT-H-3
title: trace
class: http
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
http: TRACE /
http-status: 200
http: GET /server-status
http-header: X-Frame-Options absent
remediation: r

id: PKT-H-4
title: only on nginx
class: http
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
product: nginx
http: GET /nginx_status
http-status: 200
remediation: r
`
	db, err := Compile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	hdr := func(kv ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = append(m[kv[i]], kv[i+1])
		}
		return m
	}
	d := &fakeDoer{answers: map[string]HTTPResponse{
		"80 GET /server-status tls=false":   {Status: 200, Header: hdr("Server", "Apache/2.4.57 (Debian)"), Body: []byte("<h1>Apache Server Status for x</h1>")},
		"80 TRACE / tls=false":              {Status: 405},
		"443 GET /server-status tls=true":   {Status: 403, Header: hdr("Server", "Apache/2.4.57")},
		"443 TRACE / tls=true":              {Status: 200},
		"8080 GET /server-status tls=false": {Status: 200, Header: hdr("X-Frame-Options", "DENY")},
		"8080 TRACE / tls=false":            {Status: 200},
	}}
	h := hostWith(
		result.Port{Proto: result.TCP, Port: 80, State: result.Open, Service: &result.Service{Name: "http", Product: "Apache httpd"}},
		result.Port{Proto: result.TCP, Port: 443, State: result.Open, Service: &result.Service{Name: "https", TLS: &result.TLSFacts{}}},
		result.Port{Proto: result.TCP, Port: 8080, State: result.Open, Service: &result.Service{Name: "http-proxy", HTTP: &result.HTTPFacts{Status: 200}}},
		result.Port{Proto: result.TCP, Port: 22, State: result.Open, Service: &result.Service{Name: "ssh"}},
	)
	fs, err := db.Check(context.Background(), h, CheckOptions{HTTP: d})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(fs), []string{"PKT-H-1@80", "PKT-H-2@80", "PKT-H-3@443"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	// Each port's distinct requests once: GET /server-status shared by
	// three signatures, TRACE / by one; nothing to ssh; no /nginx_status
	// (its passive condition, product nginx, does not hold).
	slices.Sort(d.calls)
	wantCalls := []string{"443 GET /server-status tls=true", "443 TRACE / tls=true",
		"80 GET /server-status tls=false", "80 TRACE / tls=false",
		"8080 GET /server-status tls=false", "8080 TRACE / tls=false"}
	if !slices.Equal(d.calls, wantCalls) {
		t.Errorf("requests\n got  %v\n want %v", d.calls, wantCalls)
	}
	if fs[0].Evidence != "GET /server-status: 200" {
		t.Errorf("evidence %q", fs[0].Evidence)
	}
	// http off: no request at all.
	d.calls = nil
	if fs, _ := db.Check(context.Background(), h, CheckOptions{HTTP: d, Off: []result.CheckClass{result.ClassHTTP}}); len(fs) != 0 || len(d.calls) != 0 {
		t.Errorf("http off: %v, %v", fs, d.calls)
	}
	// Match (no doer) sends nothing and finds nothing of class http.
	if fs := db.Match(h, nil); len(fs) != 0 {
		t.Errorf("Match: %v", fs)
	}
}

func TestEvidenceClean(t *testing.T) {
	if got := cleanEvidence("a\x00b  c\n" + strings.Repeat("é", 400)); len(got) > 512 || !strings.HasPrefix(got, "a b c é") || !utf8ValidString(got) {
		t.Errorf("cleanEvidence: %q", got)
	}
}

func utf8ValidString(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, n string
		ok   bool
	}{
		{"*-cbc", "aes256-cbc", true}, {"*-cbc", "aes256-ctr", false}, {"hmac-md5*", "hmac-md5-96", true},
		{"hmac-md5*", "hmac-md5", true}, {"a*b*c", "abc", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "acb", false},
		{"*", "", true}, {"a*a", "a", false}, {"x", "x", true}, {"x", "xy", false},
	} {
		if glob(c.p, c.n) != c.ok {
			t.Errorf("glob(%q, %q) != %v", c.p, c.n, c.ok)
		}
	}
}

func TestCheckHTTPStopsOnADeadPort(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for i := range 5 {
		fmt.Fprintf(&b, "id: PKT-D-%d\ntitle: t\nclass: http\ncvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N\nhttp: GET /p%d\nhttp-status: 200\nremediation: r\n\n", i, i)
	}
	db, err := Compile([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDoer{answers: map[string]HTTPResponse{"81 GET /p1 tls=false": {Status: 200}}}
	h := hostWith(
		result.Port{Proto: result.TCP, Port: 80, State: result.Open, Service: &result.Service{Name: "http"}},
		result.Port{Proto: result.TCP, Port: 81, State: result.Open, Service: &result.Service{Name: "http"}},
	)
	// Port 80 answers nothing (every request fails): one request, then no
	// more. Port 81 answers every request (404, 200, 500: HTTP answers,
	// not failures), so all five go out and /p1's 200 matches.
	d.answers["81 GET /p0 tls=false"] = HTTPResponse{Status: 404}
	for i := 2; i < 5; i++ {
		d.answers[fmt.Sprintf("81 GET /p%d tls=false", i)] = HTTPResponse{Status: 500}
	}
	fs, err := db.Check(context.Background(), h, CheckOptions{HTTP: d})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(fs); !slices.Equal(got, []string{"PKT-D-1@81"}) {
		t.Errorf("findings %v", got)
	}
	want := []string{"80 GET /p0 tls=false", "81 GET /p0 tls=false", "81 GET /p1 tls=false", "81 GET /p2 tls=false", "81 GET /p3 tls=false", "81 GET /p4 tls=false"}
	if !slices.Equal(d.calls, want) {
		t.Errorf("requests\n got  %v\n want %v", d.calls, want)
	}
}

func TestMatchMoreConditions(t *testing.T) {
	src := header + `id: PKT-U-1
title: ubuntu backport
class: version
cvss: 7.5 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N
product: OpenSSH
version: < 9.3p2
fixed-ubuntu: 1:8.9p1-3ubuntu0.3
remediation: r

id: PKT-X-1
title: extra and proto
class: banner
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
extra: ^protocol 1\.99
proto: tcp
remediation: r

id: PKT-F-1
title: facts
class: exposed
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
fact: redis.mode exists
fact: redis.auth_required absent
fact: redis.os ~ ^Linux
fact: redis.version !~ ^7\.
remediation: r

id: PKT-W-1
title: wide port range
class: exposed
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
port: 6000-6100
proto: udp
remediation: r

id: PKT-P-1
title: any tls
class: tls
cvss: 0.0 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N
tls: present
port: 8443
remediation: r
`
	db, err := Compile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	redis := func(port uint16, f map[string]string) result.Port {
		return result.Port{Proto: result.TCP, Port: port, State: result.Open, Service: &result.Service{Name: "redis", Facts: f}}
	}
	h := hostWith(
		sshPort(22, "8.9p1", "Ubuntu 3ubuntu0.3"),
		sshPort(23, "8.9p1", "Ubuntu 3ubuntu0.1"),
		sshPort(24, "8.9p1", "Debian 3ubuntu0.1"), // a Debian revision is not checked against Ubuntu's list... and is below anyway
		result.Port{Proto: result.TCP, Port: 25, State: result.Open, Service: &result.Service{Name: "ssh", Extra: "protocol 1.99"}},
		result.Port{Proto: result.UDP, Port: 26, State: result.Open, Service: &result.Service{Name: "ssh", Extra: "protocol 1.99"}},
		redis(6379, map[string]string{"redis.mode": "standalone", "redis.os": "Linux 6.1", "redis.version": "6.0.16"}),
		redis(6380, map[string]string{"redis.mode": "standalone", "redis.os": "Linux 6.1", "redis.version": "7.0.15"}),
		redis(6381, map[string]string{"redis.mode": "standalone", "redis.os": "Linux 6.1", "redis.auth_required": "true"}),
		redis(6382, map[string]string{"redis.mode": "standalone", "redis.os": "FreeBSD"}),
		result.Port{Proto: result.UDP, Port: 6050, State: result.Open},
		result.Port{Proto: result.UDP, Port: 6051, State: result.OpenFiltered},
		result.Port{Proto: result.TCP, Port: 6052, State: result.Open},
		result.Port{Proto: result.TCP, Port: 8443, State: result.Open, Service: &result.Service{Name: "https", TLS: &result.TLSFacts{Versions: []string{"TLSv1.3"}}}},
		result.Port{Proto: result.TCP, Port: 8444, State: result.Open, Service: &result.Service{Name: "https", TLS: &result.TLSFacts{Versions: []string{"TLSv1.3"}}}},
	)
	want := []string{"PKT-U-1@23", "PKT-U-1@24", "PKT-X-1@25", "PKT-F-1@6379", "PKT-W-1@6050", "PKT-P-1@8443"}
	if got := ids(db.Match(h, nil)); !slices.Equal(got, want) {
		t.Errorf("findings\n got  %v\n want %v", got, want)
	}
	if got := ids(db.MatchLinear(h)); !slices.Equal(got, want) {
		t.Errorf("linear findings\n got  %v\n want %v", got, want)
	}
}

// TestNegatedConditions: "not" before a tls or ssh condition, and ||
// alternatives of an ssh condition, on hand-built hosts. The Terrapin
// rule (CVE-2023-48795; OpenSSH 9.6 release notes, terrapin-attack.com):
// the server offers chacha20-poly1305@openssh.com or an
// encrypt-then-MAC mode and does not offer kex-strict-s-v00@openssh.com.
func TestNegatedConditions(t *testing.T) {
	src := header + `id: PKT-N-1
title: terrapin
class: ssh
cvss: 5.9 CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N
service: ssh
ssh: cipher chacha20-poly1305@openssh.com || mac *-etm@openssh.com
ssh: not kex kex-strict-s-v00@openssh.com
remediation: r

id: PKT-N-2
title: no modern tls
class: tls
cvss: 3.7 CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N
tls: version TLSv1.0, TLSv1.1
tls: not version TLSv1.2, TLSv1.3
remediation: r

id: PKT-N-3
title: expired, not self-signed
class: tls
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
port: 443-450
tls: expired
tls: not self-signed
tls: not key any < 2048
tls: not sig-alg MD5-RSA
remediation: r

id: PKT-N-4
title: negated ssh on its own bucket
class: ssh
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
banner: ^SSH-2\.0-dropbear
ssh: not cipher aes*-gcm@openssh.com, chacha20-poly1305@openssh.com
remediation: r
`
	db, err := Compile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	strict := "kex-strict-s-v00@openssh.com"
	ssh := func(port uint16, banner string, kex, ciphers, macs []string) result.Port {
		return result.Port{Proto: result.TCP, Port: port, State: result.Open, Service: &result.Service{Name: "ssh", Banner: banner,
			SSH: &result.SSHFacts{Banner: banner, Kex: kex, Ciphers: ciphers, MACs: macs}}}
	}
	tls := func(port uint16, tf *result.TLSFacts) result.Port {
		return result.Port{Proto: result.TCP, Port: port, State: result.Open, Service: &result.Service{Name: "https", TLS: tf}}
	}
	cert := func(kt string, bits int, alg string) []result.Cert {
		return []result.Cert{{Subject: "CN=x", KeyType: kt, KeyBits: bits, SigAlg: alg}}
	}
	h := hostWith(
		// OpenSSH 7.4 as svcbench's listener: ChaCha20 and an EtM MAC, no strict kex.
		ssh(22, "SSH-2.0-OpenSSH_7.4", []string{"curve25519-sha256", "diffie-hellman-group14-sha1"},
			[]string{"chacha20-poly1305@openssh.com", "aes128-ctr"}, []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha1"}),
		// Debian 12's sshd after its Terrapin fix: the same offers, and strict kex.
		ssh(23, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", []string{"curve25519-sha256", "ext-info-s", strict},
			[]string{"chacha20-poly1305@openssh.com", "aes128-ctr"}, []string{"umac-128-etm@openssh.com"}),
		// A non-OpenSSH server with EtM only (no ChaCha20), no strict kex;
		// also PKT-N-4 (dropbear, neither GCM nor ChaCha20).
		ssh(24, "SSH-2.0-dropbear_2020.81", []string{"curve25519-sha256"},
			[]string{"aes128-ctr"}, []string{"hmac-sha2-256-etm@openssh.com"}),
		// Neither ChaCha20 nor EtM: not affected, strict kex or not.
		ssh(25, "SSH-2.0-dropbear_2020.81", []string{"curve25519-sha256"},
			[]string{"aes128-ctr", "aes256-gcm@openssh.com"}, []string{"hmac-sha2-256"}),
		// ChaCha20, but the KEXINIT's kex list was not read: unknown, not flagged.
		ssh(26, "SSH-2.0-OpenSSH_7.4", nil, []string{"chacha20-poly1305@openssh.com"}, nil),
		// An ssh service without SSH facts at all.
		result.Port{Proto: result.TCP, Port: 27, State: result.Open, Service: &result.Service{Name: "ssh", Banner: "SSH-2.0-OpenSSH_7.4"}},
		// The client's marker in a server's list is not the server's.
		ssh(28, "SSH-2.0-Go", []string{"curve25519-sha256", "kex-strict-c-v00@openssh.com"},
			[]string{"chacha20-poly1305@openssh.com"}, []string{"hmac-sha2-256"}),

		tls(443, &result.TLSFacts{Versions: []string{"TLSv1.0", "TLSv1.1"}, Expired: true, Chain: cert("RSA", 2048, "SHA256-RSA")}),
		tls(444, &result.TLSFacts{Versions: []string{"TLSv1.0", "TLSv1.2"}, Expired: true, SelfSigned: true, Chain: cert("RSA", 2048, "SHA256-RSA")}),
		// No chain: not known to be not self-signed (PKT-N-3 no), but the
		// versions were read (PKT-N-2 yes).
		tls(445, &result.TLSFacts{Versions: []string{"TLSv1.0"}, Expired: true}),
		tls(446, &result.TLSFacts{Versions: []string{"TLSv1.2"}, Expired: true, Chain: cert("RSA", 1024, "SHA256-RSA")}), // weak key
		tls(447, &result.TLSFacts{Versions: []string{"TLSv1.2"}, Expired: true, Chain: cert("RSA", 0, "SHA256-RSA")}),    // key size unknown
		tls(448, &result.TLSFacts{Versions: []string{"TLSv1.2"}, Expired: true, Chain: cert("RSA", 4096, "MD5-RSA")}),
		tls(449, &result.TLSFacts{Versions: []string{"TLSv1.2"}, Expired: true, Chain: cert("ECDSA", 256, "")}), // 256 < 2048 too
		tls(450, &result.TLSFacts{Versions: []string{"TLSv1.3"}, Expired: true, Chain: cert("Ed25519", 4096, "Ed25519")}),
		tls(451, &result.TLSFacts{Versions: []string{"TLSv1.0"}}), // outside PKT-N-3's ports

		// dropbear without AEAD ciphers; and one with GCM; and one whose
		// cipher list was not read.
		ssh(2222, "SSH-2.0-dropbear_2016.74", []string{"diffie-hellman-group14-sha1"}, []string{"aes128-ctr"}, []string{"hmac-sha1"}),
		ssh(2223, "SSH-2.0-dropbear_2022.83", []string{"curve25519-sha256"}, []string{"aes128-gcm@openssh.com"}, []string{"hmac-sha1"}),
		ssh(2224, "SSH-2.0-dropbear_2016.74", []string{"diffie-hellman-group14-sha1"}, nil, nil),
	)
	want := []string{"PKT-N-1@22", "PKT-N-1@24", "PKT-N-4@24", "PKT-N-1@28", "PKT-N-2@443", "PKT-N-3@443", "PKT-N-2@445", "PKT-N-3@450", "PKT-N-2@451", "PKT-N-4@2222"}
	fs := db.Match(h, nil)
	if got := ids(fs); !slices.Equal(got, want) {
		t.Errorf("findings\n got  %v\n want %v", got, want)
	}
	if got := ids(db.MatchLinear(h)); !slices.Equal(got, want) {
		t.Errorf("linear findings\n got  %v\n want %v", got, want)
	}
	ev := map[string]string{}
	for _, f := range fs {
		ev[fmt.Sprintf("%s@%d", f.ID, f.Port)] = f.Evidence
	}
	for k, want := range map[string]string{
		"PKT-N-1@22":   "ssh cipher chacha20-poly1305@openssh.com; ssh mac hmac-sha2-256-etm@openssh.com; ssh kex lacks kex-strict-s-v00@openssh.com",
		"PKT-N-1@24":   "ssh mac hmac-sha2-256-etm@openssh.com; ssh kex lacks kex-strict-s-v00@openssh.com",
		"PKT-N-2@443":  "tls versions TLSv1.0, TLSv1.1; tls not version TLSv1.2, TLSv1.3",
		"PKT-N-3@450":  "certificate expired (not after 0001-01-01); tls not self-signed; tls not key any < 2048; tls not sig-alg MD5-RSA",
		"PKT-N-4@2222": "banner SSH-2.0-dropbear_2016.74; ssh cipher lacks aes*-gcm@openssh.com, chacha20-poly1305@openssh.com",
	} {
		if ev[k] != want {
			t.Errorf("%s evidence\n got  %q\n want %q", k, ev[k], want)
		}
	}
	// A negated condition on facts that were not read never holds.
	c, err := parseTLS("not version TLSv1.3")
	if err != nil {
		t.Fatal(err)
	}
	if c.holds(&result.TLSFacts{}, nil) || !c.holds(&result.TLSFacts{Versions: []string{"TLSv1.2"}}, nil) || c.holds(&result.TLSFacts{Versions: []string{"TLSv1.3"}}, nil) {
		t.Error("not version TLSv1.3: wrong on no versions, [TLSv1.2] or [TLSv1.3]")
	}
}
