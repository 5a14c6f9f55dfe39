// Package vuln_test is the end-to-end test of the starter vulnerability
// checks: the `scan` command, given the starter database's source
// (src/scan/sigdb/starter, -sigs-source), scans the services of
// src/testkit/svcbench from the bench's client namespace, and every check
// must be found on its positive case and not on its negative one.
//
// The expectations table below is written from the advisories and the bench's
// setup (what each port runs, with which version and setting), not from the
// matcher's output; docs/starter-checks.md is the same table for people.
package vuln_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/sigdb"
	"picket.dev/picket/src/scan/sigdb/starter"
	"picket.dev/picket/src/testkit/svcbench"
	"picket.dev/picket/src/testkit/testinput"
)

// where is a bench port: address, protocol and number.
type where struct {
	addr  netip.Addr
	proto result.Proto
	port  uint16
}

func (w where) String() string { return fmt.Sprintf("%s %s/%d", w.addr, w.proto, w.port) }

// tcp and udp are ports of svcbench.ServerAddr, udp2 of ServerAddr2 (the
// bench's second host, where the UDP twins sit on their standard ports).
func tcp(p int) where  { return where{svcbench.ServerAddr, result.TCP, uint16(p)} }
func udp(p int) where  { return where{svcbench.ServerAddr, result.UDP, uint16(p)} }
func udp2(p int) where { return where{svcbench.ServerAddr2, result.UDP, uint16(p)} }

// expectation is one check's positive and negative bench case, and why.
type expectation struct {
	id       string
	pos, neg where
	why      string
}

// expectations: every starter check, its positive case (what an affected
// server says on the wire) and its negative case (the fixed release or the
// same service configured safely). Real Debian 12 services unless the port
// is one of svcbench's Go listeners for old releases (vulnlisteners.go).
var expectations = []expectation{
	// OpenSSH. Negative: Debian 12's sshd, OpenSSH 9.2p1 with Debian's
	// backported fixes (revision 2+deb12u3 or later carries those of
	// CVE-2024-6387, 2+deb12u2 of CVE-2023-48795, 2+deb12u1 of
	// CVE-2023-38408), offering only current algorithms.
	{"PKT-SSH-0001", tcp(svcbench.SSHRegre), tcp(svcbench.SSH), "9.6p1 is in 8.5p1..9.7p1"},
	{"PKT-SSH-0002", tcp(svcbench.SSHOld), tcp(svcbench.SSH), "7.4 offers chacha20-poly1305 and an EtM MAC without strict kex; Debian's sshd offers both and kex-strict-s-v00@openssh.com"},
	{"PKT-SSH-0003", tcp(svcbench.SSHOld), tcp(svcbench.SSH), "7.4 < 9.3p2"},
	{"PKT-SSH-0004", tcp(svcbench.SSHOld), tcp(svcbench.SSH), "7.4 < 7.8"},
	{"PKT-SSH-0005", tcp(svcbench.SSHOld), tcp(svcbench.SSH), "7.4 in 6.2..8.7"},
	{"PKT-SSH-0006", tcp(svcbench.SSHv1), tcp(svcbench.SSH), "3.9p1 < 7.3"},
	{"PKT-SSH-0007", tcp(svcbench.SSHv1), tcp(svcbench.SSH), "SSH-1.99 identification"},
	{"PKT-SSH-0010", tcp(svcbench.SSHOld), tcp(svcbench.SSH), "diffie-hellman-group1-sha1 offered"},
	{"PKT-SSH-0011", tcp(svcbench.SSHOld), tcp(svcbench.SSH), "aes128-cbc, 3des-cbc offered"},
	{"PKT-SSH-0012", tcp(svcbench.SSHOld), tcp(svcbench.SSH), "arcfour, 3des-cbc, blowfish-cbc offered"},
	{"PKT-SSH-0013", tcp(svcbench.SSHOld), tcp(svcbench.SSH), "hmac-md5, hmac-sha1-96 offered"},
	{"PKT-SSH-0014", tcp(svcbench.SSHOld), tcp(svcbench.SSH), "ssh-dss host key offered"},
	// FTP.
	{"PKT-FTP-0001", tcp(svcbench.FTPBackdoor), tcp(svcbench.FTP), "banner (vsFTPd 2.3.4) vs Debian's vsftpd 3.0.3"},
	{"PKT-FTP-0002", tcp(svcbench.FTPProOld), tcp(svcbench.FTPProNew), "ProFTPD 1.3.5 vs 1.3.8b"},
	{"PKT-FTP-0003", tcp(svcbench.FTPProOld), tcp(svcbench.FTPProNew), "ProFTPD 1.3.5 < 1.3.5e vs 1.3.8b"},
	{"PKT-FTP-0010", tcp(svcbench.FTP), tcp(svcbench.FTPNoAnon), "vsftpd anonymous_enable YES vs NO"},
	// Exim. Negative: Debian 12's Exim 4.96.
	{"PKT-SMTP-0001", tcp(svcbench.SMTPOld), tcp(svcbench.SMTP), "4.87 in 4.87..4.91"},
	{"PKT-SMTP-0002", tcp(svcbench.SMTPOld), tcp(svcbench.SMTP), "4.87 < 4.94.2"},
	{"PKT-SMTP-0003", tcp(svcbench.SMTPOld), tcp(svcbench.SMTP), "4.87 < 4.90.1"},
	{"PKT-SMTP-0004", tcp(svcbench.SMTPOld), tcp(svcbench.SMTP), "4.87 < 4.92.2"},
	// Apache httpd. Negative: Debian 12's Apache (2.4.62 or later).
	{"PKT-HTTPD-0001", tcp(svcbench.HTTPApacheOld), tcp(svcbench.HTTPApache), "Apache/2.4.49"},
	{"PKT-HTTPD-0002", tcp(svcbench.HTTPApacheOld), tcp(svcbench.HTTPApache), "Apache/2.4.49 in 2.4.49..2.4.50"},
	{"PKT-HTTPD-0003", tcp(svcbench.HTTPOpenSSLOld), tcp(svcbench.HTTPApache), "Apache/2.4.7 <= 2.4.48"},
	{"PKT-HTTPD-0004", tcp(svcbench.HTTPApacheOld), tcp(svcbench.HTTPApache), "2.4.49 <= 2.4.51"},
	{"PKT-HTTPD-0005", tcp(svcbench.HTTPApacheOld), tcp(svcbench.HTTPApache), "2.4.49 <= 2.4.55"},
	{"PKT-HTTPD-0006", tcp(svcbench.HTTPApacheOld), tcp(svcbench.HTTPApache), "2.4.49 <= 2.4.59"},
	// nginx. Negative: Debian 12's nginx 1.22.1 (the first fixed release of
	// the mp4 flaws: a boundary).
	{"PKT-NGINX-0001", tcp(svcbench.HTTPNginxOld), tcp(svcbench.HTTP), "nginx/1.16.1 in 0.6.18..1.20.0"},
	{"PKT-NGINX-0002", tcp(svcbench.HTTPNginxOld), tcp(svcbench.HTTP), "nginx/1.16.1 < 1.17.7"},
	{"PKT-NGINX-0003", tcp(svcbench.HTTPNginxOld), tcp(svcbench.HTTP), "nginx/1.16.1 < 1.22.1"},
	// OpenSSL by Server header. Negative: Debian's Apache with mod_ssl and
	// ServerTokens Full says OpenSSL/3.0.x.
	{"PKT-OPENSSL-0001", tcp(svcbench.HTTPOpenSSLOld), tcp(svcbench.HTTPApache), "OpenSSL/1.0.1f"},
	{"PKT-OPENSSL-0002", tcp(svcbench.HTTPOpenSSLOld), tcp(svcbench.HTTPApache), "OpenSSL/1.0.1f < 1.0.1h"},
	{"PKT-OPENSSL-0003", tcp(svcbench.HTTPOpenSSLOld), tcp(svcbench.HTTPApache), "OpenSSL/1.0.1f < 1.0.1t"},
	// TLS, all nginx sites but the SSLv3 listener.
	{"PKT-TLS-0001", tcp(svcbench.SSLv3Only), tcp(svcbench.HTTPS), "SSLv3 ServerHello vs TLS 1.2-1.3 only"},
	{"PKT-TLS-0002", tcp(svcbench.HTTPSOld), tcp(svcbench.HTTPS), "ssl_protocols TLSv1 TLSv1.1 TLSv1.2 vs TLSv1.2 TLSv1.3"},
	{"PKT-TLS-0003", tcp(svcbench.HTTPSOld), tcp(svcbench.HTTPS), "ssl_protocols TLSv1 TLSv1.1 TLSv1.2 vs TLSv1.2 TLSv1.3"},
	{"PKT-TLS-0004", tcp(svcbench.HTTPSExp), tcp(svcbench.HTTPSGood), "certificate expired a day ago vs valid"},
	{"PKT-TLS-0005", tcp(svcbench.HTTPS), tcp(svcbench.HTTPSGood), "self-signed vs issued by the bench CA"},
	{"PKT-TLS-0006", tcp(svcbench.HTTPSWeakKey), tcp(svcbench.HTTPSGood), "RSA 1024 vs RSA 2048"},
	{"PKT-TLS-0007", tcp(svcbench.HTTPSSHA1), tcp(svcbench.HTTPSGood), "ECDSA-SHA1 vs ECDSA-SHA384 signature"},
	// Exposed and misconfigured services.
	{"PKT-TELNET-0001", tcp(svcbench.Telnet), tcp(svcbench.SSH), "inetutils telnetd vs sshd"},
	{"PKT-SNMP-0001", udp(svcbench.SNMP), udp2(svcbench.SNMPPrivate), "snmpd rocommunity public vs a private one"},
	{"PKT-NTP-0001", udp2(svcbench.NTPMonlist), udp(svcbench.NTP), "ntpd 4.2.6p5 answering monlist vs NTPsec"},
	{"PKT-DNS-0001", udp2(svcbench.DNSOpen), udp(svcbench.DNS), "dnsmasq forwarding example.com vs no upstream"},
	{"PKT-REDIS-0001", tcp(svcbench.Redis), tcp(svcbench.RedisAuth), "redis-server without vs with requirepass"},
	{"PKT-PGSQL-0001", tcp(svcbench.PostgreSQL), tcp(svcbench.PostgreSQLTLS), "ssl=off vs ssl=on"},
	{"PKT-MYSQL-0001", tcp(svcbench.MySQL), tcp(svcbench.MySQLTLS), "MariaDB without vs with ssl-cert"},
	{"PKT-SMB-0001", tcp(svcbench.SMB), tcp(svcbench.SMBSigned), "SMB2 signing enabled vs required"},
	// HTTP checks of their own.
	{"PKT-HTTP-0001", tcp(svcbench.HTTPApache), tcp(svcbench.HTTP), "Apache TraceEnable on vs nginx (405)"},
	{"PKT-HTTP-0002", tcp(svcbench.HTTPIndex), tcp(svcbench.HTTPNoIndex), "nginx autoindex on vs off, same directory"},
}

// scannedPorts are the bench ports the scan covers: every case above (the
// bench's other ports add only time).
func scannedPorts() string {
	var t, u []int
	seen := map[where]bool{}
	for _, e := range expectations {
		for _, w := range []where{e.pos, e.neg} {
			w.addr = netip.Addr{} // the scan covers the same ports on both hosts
			if seen[w] {
				continue
			}
			seen[w] = true
			if w.proto == result.TCP {
				t = append(t, int(w.port))
			} else {
				u = append(u, int(w.port))
			}
		}
	}
	sort.Ints(t)
	sort.Ints(u)
	join := func(l []int) string {
		s := make([]string, len(l))
		for i, p := range l {
			s[i] = fmt.Sprint(p)
		}
		return strings.Join(s, ",")
	}
	return "T:" + join(t) + ",U:" + join(u)
}

// TestTableCoversTheDatabase: every starter check has a row, every row a
// check, so a check added without bench cases fails here.
func TestTableCoversTheDatabase(t *testing.T) {
	db, err := sigdb.Compile(starter.Source())
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, e := range expectations {
		if e.pos == e.neg {
			t.Errorf("%s: positive and negative case are both %s", e.id, e.pos)
		}
		rows = append(rows, e.id)
	}
	slices.Sort(rows)
	if c := slices.Compact(slices.Clone(rows)); len(c) != len(rows) {
		t.Errorf("an id has two rows: %v", rows)
	}
	if ids := db.IDs(); !slices.Equal(ids, rows) {
		t.Errorf("starter checks %v\ntable rows %v", ids, rows)
	}
}

func TestStarterChecksOnTheBench(t *testing.T) {
	bin := testinput.Command(t, "scan")
	start := time.Now()
	b := svcbench.Start(t)
	t.Logf("bench up in %v", time.Since(start).Round(time.Millisecond))
	src := filepath.Join(t.TempDir(), "starter.sigs")
	if err := os.WriteFile(src, starter.Source(), 0o644); err != nil {
		t.Fatal(err)
	}
	targets := svcbench.ServerAddr.String() + "," + svcbench.ServerAddr2.String()
	scanStart := time.Now()
	hosts, summary, stderr := runScan(t, b, bin, "-targets", targets, "-ports", scannedPorts(), "-sigs-source", src)
	t.Logf("scan of %s took %v", scannedPorts(), time.Since(scanStart).Round(time.Millisecond))
	if len(hosts) != 2 || hosts[0].Addr != svcbench.ServerAddr || hosts[1].Addr != svcbench.ServerAddr2 {
		t.Fatalf("hosts %+v, want %s and %s\nstderr:\n%s", hosts, svcbench.ServerAddr, svcbench.ServerAddr2, stderr)
	}
	db, err := sigdb.Compile(starter.Source())
	if err != nil {
		t.Fatal(err)
	}
	if summary.Summary.Signatures != db.Version() {
		t.Errorf("summary names signatures %q, want the starter's %q", summary.Summary.Signatures, db.Version())
	}

	found := map[string]map[where]result.Finding{}
	counts := map[result.Severity]int{}
	nFindings := 0
	for _, h := range hosts {
		for _, f := range h.Findings {
			if found[f.ID] == nil {
				found[f.ID] = map[where]result.Finding{}
			}
			found[f.ID][where{h.Addr, f.Proto, f.Port}] = f
			counts[f.Severity]++
			nFindings++
		}
	}
	for _, e := range expectations {
		if f, ok := found[e.id][e.pos]; !ok {
			t.Errorf("%s not found on its positive case %s (%s); found on %v", e.id, e.pos, e.why, keys(found[e.id]))
		} else {
			t.Logf("%s on %s: %s [%s %.1f] %s", e.id, e.pos, f.Title, f.Severity, f.CVSS, f.Evidence)
			if f.Evidence == "" || f.Remediation == "" || f.Severity != result.SeverityOf(f.CVSS) {
				t.Errorf("%s on %s: finding %+v lacks evidence or remediation, or its severity disagrees with its score", e.id, e.pos, f)
			}
		}
		if f, ok := found[e.id][e.neg]; ok {
			t.Errorf("%s found on its negative case %s (%s): %s", e.id, e.neg, e.why, f.Evidence)
		}
	}
	if !maps(counts, summary.Summary.Findings) {
		t.Errorf("summary counts %v, findings %v", summary.Summary.Findings, counts)
	}
	// What else was found, for the log (a check may rightly fire on other
	// bench ports too, e.g. the self-signed check on vsftpd's AUTH TLS).
	var others []string
	for id, ws := range found {
		for w := range ws {
			if !slices.ContainsFunc(expectations, func(e expectation) bool { return e.id == id && e.pos == w }) {
				others = append(others, id+" on "+w.String())
			}
		}
	}
	sort.Strings(others)
	t.Logf("%d findings, %v by severity; also found: %s", nFindings, counts, strings.Join(others, ", "))
	if t.Failed() {
		for _, h := range hosts {
			for _, p := range h.Ports {
				js, _ := json.Marshal(p)
				t.Logf("%s port %s", h.Addr, js)
			}
		}
		t.Logf("stderr:\n%s", stderr)
	}

	// A job's classes switched off: the same database, the HTTP, UDP and
	// version classes off. Their findings go; the others stay.
	off := []result.CheckClass{result.ClassHTTP, result.ClassUDP, result.ClassVersion}
	hosts, _, _ = runScan(t, b, bin, "-targets", svcbench.ServerAddr.String(), "-ports",
		fmt.Sprintf("T:%d,%d,%d,%d,U:%d", svcbench.HTTPApache, svcbench.HTTPIndex, svcbench.HTTPApacheOld, svcbench.SSHOld, svcbench.SNMP),
		"-sigs-source", src, "-checks-off", "http,udp,version")
	var left []string
	for _, h := range hosts {
		for _, f := range h.Findings {
			if slices.Contains(off, f.Class) {
				t.Errorf("-checks-off http,udp,version: %s (class %s) found on %d/%s", f.ID, f.Class, f.Port, f.Proto)
			}
			left = append(left, f.ID)
		}
	}
	if !slices.Contains(left, "PKT-SSH-0010") || !slices.Contains(left, "PKT-SSH-0014") {
		t.Errorf("-checks-off http,udp,version: findings %v, want the ssh class's PKT-SSH-0010 and PKT-SSH-0014 still", left)
	}
}

type summaryLine struct {
	Summary struct {
		Open       int                     `json:"open_ports"`
		Signatures string                  `json:"signatures"`
		Findings   map[result.Severity]int `json:"findings"`
	} `json:"summary"`
}

// runScan runs the scan command from the bench's client namespace (SYN scan
// on its eth0, JSON output) and returns the hosts, the summary and stderr.
func runScan(t *testing.T, b *svcbench.Bench, bin string, args ...string) ([]result.Host, summaryLine, string) {
	t.Helper()
	args = append([]string{bin, "-iface", "eth0", "-o", "json"}, args...)
	cmd := b.Client.Command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var hosts []result.Host
	var summary summaryLine
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte(`{"summary"`)) {
			if err := json.Unmarshal(line, &summary); err != nil {
				t.Fatalf("summary %s: %v", line, err)
			}
			continue
		}
		var h result.Host
		if err := json.Unmarshal(line, &h); err != nil {
			t.Fatalf("host line %s: %v", line, err)
		}
		hosts = append(hosts, h)
	}
	return hosts, summary, stderr.String()
}

func keys(m map[where]result.Finding) []string {
	var out []string
	for w := range m {
		out = append(out, w.String())
	}
	sort.Strings(out)
	return out
}

func maps(a, b map[result.Severity]int) bool {
	for _, s := range result.Severities {
		if a[s] != b[s] {
			return false
		}
	}
	return true
}
