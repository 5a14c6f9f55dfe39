// Package vuln_test is the end-to-end test of the starter vulnerability
// checks, as a person meets them: the real platformd, and a box (the real
// netmgrd and scannerd, the starter database of src/scan/sigdb/starter
// given to scannerd as a package signed with the test's release key) on a
// LAN routed to the services of src/testkit/svcbench. The person activates
// the box and launches a scan job of the bench in the platform's web UI;
// scannerd runs it and uploads hosts and findings; the person reads them
// back from the job's findings JSON export and from the job page. Every
// check must be found on its positive case and not on its negative one.
//
// The expectations table below is written from the advisories and the bench's
// setup (what each port runs, with which version and setting), not from the
// matcher's output; docs/starter-checks.md is the same table for people.
package vuln_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/sigdb"
	"picket.dev/picket/src/scan/sigdb/starter"
	"picket.dev/picket/src/testkit/svcbench"
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

// TestStarterChecksThroughThePlatform: two jobs launched in the web UI,
// one over every case of the table (TCP and UDP, both bench hosts), one
// with the HTTP, UDP and version check classes ticked off in the job form
// (platformapi.Job.ChecksOff). While the first runs, a newer signature
// database is published and rolled out (update_test.go): scannerd does
// not restart, the first job's findings all come from the database it
// started with, the second job runs on the new one, and the next
// heartbeat reports it.
func TestStarterChecksThroughThePlatform(t *testing.T) {
	began := time.Now()
	b := svcbench.Start(t)
	t.Logf("bench up in %v", time.Since(began).Round(time.Millisecond))
	x := startBox(t, b)
	x.activate()
	t.Logf("box activated in the web UI %v after the start", time.Since(began).Round(time.Millisecond))
	targets := svcbench.ServerAddr.String() + " " + svcbench.ServerAddr2.String()
	// The bench's silent port besides the table's: service detection
	// waits out its timeouts there, so the job lasts past the box's next
	// poll, which brings the update when the box polled between the two
	// forms (updateSignaturesDuring).
	allPorts := scannedPorts() + fmt.Sprintf(",T:%d", svcbench.Silent)
	all, revised, scannerStart := x.updateSignaturesDuring(targets, allPorts)
	t.Logf("signatures %s installed %v after the start", revised.Version(), time.Since(began).Round(time.Millisecond))
	// Launched after the install: the box runs it after the first, on
	// the revised database.
	off := []result.CheckClass{result.ClassHTTP, result.ClassUDP, result.ClassVersion}
	offPorts := fmt.Sprintf("%d,%d,%d,%d,U:%d", svcbench.HTTPApache, svcbench.HTTPIndex, svcbench.HTTPApacheOld, svcbench.SSHOld, svcbench.SNMP)
	someOff := x.launchJob(svcbench.ServerAddr.String(), offPorts, string(off[0]), string(off[1]), string(off[2]))

	exp := x.waitDone(all, 3*time.Minute)
	t.Logf("job %s (ports %s) done %v after the start", all, allPorts, time.Since(began).Round(time.Millisecond))
	var hosts []netip.Addr
	for _, h := range exp.Hosts {
		hosts = append(hosts, h.Addr)
	}
	slices.SortFunc(hosts, netip.Addr.Compare) // the export's order is the upload's
	if !slices.Equal(hosts, []netip.Addr{svcbench.ServerAddr, svcbench.ServerAddr2}) {
		t.Errorf("the export has hosts %v, want %s and %s", hosts, svcbench.ServerAddr, svcbench.ServerAddr2)
	}
	// A SYN scan: the connect scan (scannerd without raw sockets) has no
	// UDP, and the UDP checks would go unseen.
	if s := exp.Summary; s == nil || s.Method != "syn" || s.Signatures != x.sigs.Version() {
		t.Errorf("summary %+v, want a syn scan on the signatures %s", s, x.sigs.Version())
	}

	// The findings export, as the person downloads it.
	var fx findingsExport
	x.get(x.page+"/jobs/"+all+".findings.json", &fx)
	if fx.Job != all || fx.State != platformapi.JobDone || fx.Signatures != x.sigs.Version() {
		t.Errorf("findings export of job %q state %q signatures %q; want %s done on %s", fx.Job, fx.State, fx.Signatures, all, x.sigs.Version())
	}
	found := map[string]map[where]result.Finding{}
	counts := map[result.Severity]int{}
	for _, f := range fx.Findings {
		// The job started before the install: every finding is the old
		// database's.
		if strings.HasSuffix(f.Title, revisedMark) {
			t.Errorf("job %s started on signatures %s, but its finding %s on %s %d/%s is the revised database's: %q", all, x.sigs.Version(), f.ID, f.Host, f.Port, f.Proto, f.Title)
		}
		a, err := netip.ParseAddr(f.Host)
		if err != nil {
			t.Errorf("finding %s on host %q: %v", f.ID, f.Host, err)
			continue
		}
		if found[f.ID] == nil {
			found[f.ID] = map[where]result.Finding{}
		}
		found[f.ID][where{a, f.Proto, f.Port}] = f.Finding
		counts[f.Severity]++
	}
	if !maps(counts, fx.Counts) {
		t.Errorf("the export's counts %v, its findings %v", fx.Counts, counts)
	}
	// The job page, as the person reads it: its findings table's rows by
	// check, host and port ("8082/tcp").
	rows, sigs, _, page := x.jobPage(all)
	onPage := map[string]map[string]string{} // id -> "host port" -> severity
	for _, r := range rows {
		if onPage[r.id] == nil {
			onPage[r.id] = map[string]string{}
		}
		onPage[r.id][r.host+" "+r.port] = r.severity
	}
	if sigs != x.sigs.Version() {
		t.Errorf("the job page names the signature database %q, want %q", sigs, x.sigs.Version())
	}
	if len(rows) != len(fx.Findings) {
		t.Errorf("the job page lists %d findings, the export %d", len(rows), len(fx.Findings))
	}
	cell := func(w where) string { return fmt.Sprintf("%s %d/%s", w.addr, w.port, w.proto) }
	for _, e := range expectations {
		if f, ok := found[e.id][e.pos]; !ok {
			t.Errorf("%s not in the findings export on its positive case %s (%s); found on %v", e.id, e.pos, e.why, keys(found[e.id]))
		} else {
			t.Logf("%s on %s: %s [%s %.1f] %s", e.id, e.pos, f.Title, f.Severity, f.CVSS, f.Evidence)
			if f.Evidence == "" || f.Remediation == "" || f.Severity != result.SeverityOf(f.CVSS) {
				t.Errorf("%s on %s: finding %+v lacks evidence or remediation, or its severity disagrees with its score", e.id, e.pos, f)
			}
			if sev, ok := onPage[e.id][cell(e.pos)]; !ok || sev != string(f.Severity) {
				t.Errorf("%s on %s: the job page's findings table has no row for it (%q; the check's rows: %v)", e.id, e.pos, sev, onPage[e.id])
			}
		}
		if f, ok := found[e.id][e.neg]; ok {
			t.Errorf("%s in the findings export on its negative case %s (%s): %s", e.id, e.neg, e.why, f.Evidence)
		}
		if _, ok := onPage[e.id][cell(e.neg)]; ok {
			t.Errorf("%s on the job page on its negative case %s (%s)", e.id, e.neg, e.why)
		}
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
	t.Logf("%d findings, %v by severity; also found: %s", len(fx.Findings), counts, strings.Join(others, ", "))
	if t.Failed() {
		for _, h := range exp.Hosts {
			for _, p := range h.Ports {
				js, _ := json.Marshal(p)
				t.Logf("%s port %s", h.Addr, js)
			}
		}
		t.Logf("job page:\n%s\nscannerd:\n%s", page, x.scannerd.Output())
	}

	// The heartbeat after the install said the revised version.
	x.waitHeartbeat(revised.Version())

	// The job with classes switched off: their findings go, the others
	// stay; the job page says which are off. It ran on the revised
	// database.
	exp = x.waitDone(someOff, 2*time.Minute)
	t.Logf("job %s (ports %s, checks off %v) done %v after the start", someOff, offPorts, off, time.Since(began).Round(time.Millisecond))
	if s := exp.Summary; s == nil || s.Signatures != revised.Version() {
		t.Errorf("summary of job %s %+v, want the signatures %s", someOff, s, revised.Version())
	}
	x.get(x.page+"/jobs/"+someOff+".findings.json", &fx)
	if fx.Signatures != revised.Version() {
		t.Errorf("findings export of job %s: signatures %q, want %s", someOff, fx.Signatures, revised.Version())
	}
	var left []string
	for _, f := range fx.Findings {
		if slices.Contains(off, f.Class) {
			t.Errorf("checks off %v: %s (class %s) found on %s %d/%s", off, f.ID, f.Class, f.Host, f.Port, f.Proto)
		}
		if !strings.HasSuffix(f.Title, revisedMark) {
			t.Errorf("job %s ran on signatures %s, but its finding %s on %s %d/%s is not that database's: %q", someOff, revised.Version(), f.ID, f.Host, f.Port, f.Proto, f.Title)
		}
		left = append(left, f.ID)
	}
	if !slices.Contains(left, "PKT-SSH-0010") || !slices.Contains(left, "PKT-SSH-0014") {
		t.Errorf("checks off %v: findings %v, want the ssh class's PKT-SSH-0010 and PKT-SSH-0014 still", off, left)
	}
	rows, sigs, checksOff, _ := x.jobPage(someOff)
	shown := strings.Split(checksOff, ", ")
	slices.Sort(shown)
	if !slices.Equal(shown, []string{"http", "udp", "version"}) || len(rows) != len(fx.Findings) {
		t.Errorf("the job page of %s says checks off %q and lists %d findings; want http, udp and version, and the export's %d", someOff, checksOff, len(rows), len(fx.Findings))
	}
	if sigs != revised.Version() {
		t.Errorf("the job page of %s names the signature database %q, want %q", someOff, sigs, revised.Version())
	}
	// No restart: the same scannerd process from the start to the end.
	select {
	case <-x.scannerd.Exited():
		t.Errorf("scannerd exited: %v", x.scannerd.Err())
	default:
		if s := procStart(x.scannerd.Pid()); s != scannerStart {
			t.Errorf("scannerd's process started at tick %s, now %s: restarted", scannerStart, s)
		}
	}
	t.Logf("suite run %v", time.Since(began).Round(time.Millisecond))
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
