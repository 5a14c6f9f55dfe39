// Package service_test is the end-to-end test of service and version detection:
// src/scan/service's Detector against the real Debian services and the Go
// listeners of src/testkit/svcbench, in network namespaces. Products and versions
// are checked against what dpkg-query says is installed; certificate facts against
// the certificates the bench made; SNMP's sysDescr against uname.
package service_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/service"
	"picket.dev/picket/src/testkit/svcbench"
)

// debVersion is the installed version of a Debian package split as Debian policy
// 5.6.12 has it: [epoch:]upstream[-revision].
func debVersion(t *testing.T, pkg string) (upstream, revision string) {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", pkg).Output()
	if err != nil {
		t.Fatalf("dpkg-query %s: %v (tools/fetch installs it)", pkg, err)
	}
	v := strings.TrimSpace(string(out))
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	if i := strings.LastIndex(v, "-"); i > 0 {
		return v[:i], v[i+1:]
	}
	return v, ""
}

type port struct {
	proto result.Proto
	port  uint16
}

func TestServices(t *testing.T) {
	start := time.Now()
	b := svcbench.Start(t)
	t.Logf("bench up in %v", time.Since(start).Round(time.Millisecond))
	d, err := service.New(service.Options{Dialer: b, ReadTimeout: 2 * time.Second, BannerWait: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ports := []port{
		{result.TCP, svcbench.FTP}, {result.TCP, svcbench.SSH}, {result.TCP, svcbench.SSHAlt},
		{result.TCP, svcbench.Telnet}, {result.TCP, svcbench.SMTP}, {result.TCP, svcbench.DNS},
		{result.TCP, svcbench.HTTP}, {result.TCP, svcbench.HTTPAlt}, {result.TCP, svcbench.POP3},
		{result.TCP, svcbench.IMAP}, {result.TCP, svcbench.LDAP}, {result.TCP, svcbench.HTTPS},
		{result.TCP, svcbench.SMB}, {result.TCP, svcbench.MySQL}, {result.TCP, svcbench.RDP},
		{result.TCP, svcbench.PostgreSQL}, {result.TCP, svcbench.Redis}, {result.TCP, svcbench.HTTPSOld},
		{result.TCP, svcbench.HTTPSExp}, {result.TCP, svcbench.Silent},
		{result.UDP, svcbench.DNS}, {result.UDP, svcbench.NTP}, {result.UDP, svcbench.SNMP},
		{result.UDP, 9}, // closed: ICMP port unreachable
	}
	var targets []service.Target
	for _, p := range ports {
		targets = append(targets, service.Target{Addr: svcbench.ServerAddr, Proto: p.proto, Port: p.port})
	}
	detStart := time.Now()
	got := map[port]*result.Service{}
	for i, s := range d.DetectAll(context.Background(), targets) {
		got[ports[i]] = s
		js, _ := json.Marshal(s)
		t.Logf("%s/%d: %s", ports[i].proto, ports[i].port, js)
	}
	t.Logf("detection of %d ports took %v", len(ports), time.Since(detStart).Round(time.Millisecond))

	svc := func(proto result.Proto, p uint16) *result.Service {
		t.Helper()
		s := got[port{proto, p}]
		if s == nil {
			t.Errorf("%s/%d: no service found", proto, p)
			return &result.Service{}
		}
		return s
	}
	expect := func(s *result.Service, where, name, product, version string) {
		t.Helper()
		if s.Name != name || s.Product != product || s.Version != version {
			t.Errorf("%s: got name %q product %q version %q, want %q %q %q", where, s.Name, s.Product, s.Version, name, product, version)
		}
	}

	// SSH on its port and on 2222, where nothing but its greeting says SSH.
	sshUp, sshRev := debVersion(t, "openssh-server")
	for _, p := range []uint16{svcbench.SSH, svcbench.SSHAlt} {
		s := svc(result.TCP, p)
		where := fmt.Sprintf("ssh on %d", p)
		expect(s, where, "ssh", "OpenSSH", sshUp)
		if s.Extra != "Debian "+sshRev || s.OS != "Debian" {
			t.Errorf("%s: extra %q os %q, want %q, Debian", where, s.Extra, s.OS, "Debian "+sshRev)
		}
		if s.SSH == nil {
			t.Errorf("%s: no KEXINIT facts", where)
			continue
		}
		// The bench gave sshd one ed25519 host key; OpenSSH 9 offers these.
		if !slices.Contains(s.SSH.HostKeyAlgs, "ssh-ed25519") || slices.Contains(s.SSH.HostKeyAlgs, "ssh-rsa") {
			t.Errorf("%s: host key algorithms %v, want ssh-ed25519 only", where, s.SSH.HostKeyAlgs)
		}
		for _, want := range [][2]string{{"kex", "curve25519-sha256"}, {"cipher", "chacha20-poly1305@openssh.com"}, {"mac", "hmac-sha2-256-etm@openssh.com"}} {
			l := map[string][]string{"kex": s.SSH.Kex, "cipher": s.SSH.Ciphers, "mac": s.SSH.MACs}[want[0]]
			if !slices.Contains(l, want[1]) {
				t.Errorf("%s: %s list %v lacks %s", where, want[0], l, want[1])
			}
		}
		if !strings.HasPrefix(s.SSH.Banner, "SSH-2.0-OpenSSH_"+sshUp) {
			t.Errorf("%s: banner %q", where, s.SSH.Banner)
		}
	}

	// nginx: HTTP with a redirect, HTTP on an odd port, three HTTPS sites.
	ngUp, _ := debVersion(t, "nginx")
	s := svc(result.TCP, svcbench.HTTP)
	expect(s, "http", "http", "nginx", ngUp)
	if s.HTTP == nil || s.HTTP.Status != 200 || s.HTTP.Title != svcbench.TitleHome || len(s.HTTP.Redirects) != 1 ||
		!strings.HasSuffix(s.HTTP.Redirects[0], svcbench.RedirectTo) || s.HTTP.Server != "nginx/"+ngUp {
		t.Errorf("http facts: %+v", s.HTTP)
	}
	s = svc(result.TCP, svcbench.HTTPAlt)
	expect(s, "http on 8081", "http", "nginx", ngUp)
	if s.HTTP == nil || s.HTTP.Title != svcbench.TitleAlt || s.Method != "probe:http" {
		t.Errorf("http on 8081: method %q facts %+v", s.Method, s.HTTP)
	}
	type tlsWant struct {
		port     uint16
		title    string
		versions []string
		self     bool
		expired  bool
		keyType  string
		keyBits  int
		sigAlg   string
	}
	for _, w := range []tlsWant{
		{svcbench.HTTPS, svcbench.TitleTLS, []string{"TLSv1.2", "TLSv1.3"}, true, false, "RSA", 2048, "SHA256-RSA"},
		{svcbench.HTTPSExp, svcbench.TitleExp, []string{"TLSv1.2", "TLSv1.3"}, false, true, "ECDSA", 256, "ECDSA-SHA384"},
		{svcbench.HTTPSOld, svcbench.TitleOld, []string{"TLSv1.0", "TLSv1.1", "TLSv1.2"}, false, false, "RSA", 2048, "ECDSA-SHA384"},
	} {
		where := fmt.Sprintf("https on %d", w.port)
		s := svc(result.TCP, w.port)
		expect(s, where, "https", "nginx", ngUp)
		if s.HTTP == nil || s.HTTP.Title != w.title || s.HTTP.Status != 200 {
			t.Errorf("%s: http facts %+v", where, s.HTTP)
		}
		f := s.TLS
		if f == nil {
			t.Errorf("%s: no TLS facts", where)
			continue
		}
		if !slices.Equal(f.Versions, w.versions) {
			t.Errorf("%s: versions %v, want %v", where, f.Versions, w.versions)
		}
		if f.SelfSigned != w.self || f.Expired != w.expired {
			t.Errorf("%s: self-signed %v expired %v, want %v %v", where, f.SelfSigned, f.Expired, w.self, w.expired)
		}
		certs := b.Certs[int(w.port)]
		if len(f.Chain) != len(certs) {
			t.Errorf("%s: chain of %d, want %d", where, len(f.Chain), len(certs))
			continue
		}
		for i, c := range certs {
			sum := sha256.Sum256(c.Raw)
			g := f.Chain[i]
			if g.SHA256 != hex.EncodeToString(sum[:]) || g.Subject != c.Subject.String() || g.Issuer != c.Issuer.String() ||
				!g.NotAfter.Equal(c.NotAfter) || !g.NotBefore.Equal(c.NotBefore) {
				t.Errorf("%s: chain[%d] = %+v, want the bench's %s", where, i, g, c.Subject)
			}
		}
		leaf := f.Chain[0]
		if leaf.KeyType != w.keyType || leaf.KeyBits != w.keyBits || leaf.SigAlg != w.sigAlg {
			t.Errorf("%s: leaf key %s %d sig %s, want %s %d %s", where, leaf.KeyType, leaf.KeyBits, leaf.SigAlg, w.keyType, w.keyBits, w.sigAlg)
		}
		if w.port == svcbench.HTTPS && !slices.Equal(leaf.SANs, []string{svcbench.CNSelfSigned, svcbench.ServerAddr.String()}) {
			t.Errorf("%s: SANs %v", where, leaf.SANs)
		}
		if w.port == svcbench.HTTPSExp && !leaf.NotAfter.Equal(b.ExpiredAt) {
			t.Errorf("%s: not after %v, want %v", where, leaf.NotAfter, b.ExpiredAt)
		}
	}

	// vsftpd: anonymous login allowed, AUTH TLS.
	ftpUp, _ := debVersion(t, "vsftpd")
	s = svc(result.TCP, svcbench.FTP)
	expect(s, "ftp", "ftp", "vsftpd", ftpUp)
	if s.Facts["ftp.anonymous"] != "true" {
		t.Errorf("ftp: facts %v, want ftp.anonymous true", s.Facts)
	}
	if s.TLS == nil || s.TLS.STARTTLS != "ftp" || !slices.Contains(s.TLS.Versions, "TLSv1.2") || !s.TLS.SelfSigned {
		t.Errorf("ftp: AUTH TLS facts %+v", s.TLS)
	}

	// dnsmasq over UDP and TCP.
	dnsUp, _ := debVersion(t, "dnsmasq-base")
	for _, p := range []result.Proto{result.UDP, result.TCP} {
		s := svc(p, svcbench.DNS)
		expect(s, "dns/"+string(p), "domain", "dnsmasq", dnsUp)
		if s.Facts["dns.version_bind"] != "dnsmasq-"+dnsUp {
			t.Errorf("dns/%s: facts %v", p, s.Facts)
		}
		// Without an upstream it recurses for no one (the open-resolver
		// question is asked over UDP only).
		if p == result.UDP && s.Facts["dns.open_resolver"] != "false" {
			t.Errorf("dns/udp: facts %v, want dns.open_resolver false", s.Facts)
		}
	}

	// snmpd: sysDescr is what uname says (net-snmp builds it from uname).
	uname, err := exec.Command("uname", "-snrvm").Output()
	if err != nil {
		t.Fatal(err)
	}
	s = svc(result.UDP, svcbench.SNMP)
	expect(s, "snmp", "snmp", "net-snmp", "")
	if s.Facts["snmp.sysdescr"] != strings.TrimSpace(string(uname)) || s.Facts["snmp.community"] != "public" || s.Facts["snmp.version"] != "v2c" || s.OS != "Linux" {
		t.Errorf("snmp: facts %v os %q, want sysDescr %q", s.Facts, s.OS, strings.TrimSpace(string(uname)))
	}

	// redis-server.
	redisUp, _ := debVersion(t, "redis-server")
	s = svc(result.TCP, svcbench.Redis)
	expect(s, "redis", "redis", "Redis", redisUp)
	if s.Facts["redis.auth_required"] != "false" || s.Facts["redis.mode"] != "standalone" {
		t.Errorf("redis: facts %v", s.Facts)
	}

	// Exim, Dovecot (POP3 and IMAP) and inetutils' telnetd, with STARTTLS.
	eximUp, _ := debVersion(t, "exim4-daemon-light")
	for _, w := range []struct {
		p                uint16
		name, starttls   string
		product, version string
	}{
		{svcbench.SMTP, "smtp", "smtp", "Exim", eximUp},
		// Dovecot's greeting names it but not its version.
		{svcbench.POP3, "pop3", "pop3", "Dovecot", ""},
		{svcbench.IMAP, "imap", "imap", "Dovecot", ""},
	} {
		s := svc(result.TCP, w.p)
		expect(s, w.name, w.name, w.product, w.version)
		if s.TLS == nil || s.TLS.STARTTLS != w.starttls || len(s.TLS.Chain) != 1 || s.TLS.Chain[0].Subject != "CN="+svcbench.MailCN ||
			!slices.Contains(s.TLS.Versions, "TLSv1.2") {
			t.Errorf("%s: STARTTLS facts %+v", w.name, s.TLS)
		}
	}
	if s := svc(result.TCP, svcbench.POP3); s.OS != "Debian" {
		t.Errorf("pop3: os %q, want Debian (\"Dovecot (Debian) ready.\")", s.OS)
	}
	s = svc(result.TCP, svcbench.Telnet)
	if s.Name != "telnet" || !strings.Contains(s.Banner, "login:") {
		t.Errorf("telnet: %+v", s)
	}
	// The Go listeners.
	// MariaDB's greeting: "5.5.5-<version>-MariaDB-<Debian revision>".
	myUp, myRev := debVersion(t, "mariadb-server")
	s = svc(result.TCP, svcbench.MySQL)
	expect(s, "mysql", "mysql", "MariaDB", myUp)
	if s.Extra != myRev {
		t.Errorf("mysql: extra %q, want the Debian revision %q", s.Extra, myRev)
	}
	// The bench's MariaDB has no certificate: its handshake lacks CLIENT_SSL.
	if s.Facts["mysql.ssl"] != "false" {
		t.Errorf("mysql: facts %v, want mysql.ssl false", s.Facts)
	}
	// PostgreSQL says its version only after a login (ParameterStatus
	// server_version): a scanner without an account learns none.
	s = svc(result.TCP, svcbench.PostgreSQL)
	expect(s, "postgresql", "postgresql", "PostgreSQL", "")
	if s.Facts["postgresql.ssl"] != "false" || !strings.HasPrefix(s.Facts["postgresql.error"], "28000 no pg_hba.conf entry") {
		t.Errorf("postgresql: facts %v", s.Facts)
	}
	s = svc(result.TCP, svcbench.SMB)
	if s.Name != "microsoft-ds" || s.Facts["smb.dialect"] != "3.0.2" || s.Facts["smb.signing"] != "enabled" {
		t.Errorf("smb: %+v", s)
	}
	s = svc(result.TCP, svcbench.RDP)
	if s.Name != "ms-wbt-server" || s.Facts["rdp.protocol"] != "tls" {
		t.Errorf("rdp: %+v", s)
	}
	// slapd: its root DSE names it by its object class, not its version.
	s = svc(result.TCP, svcbench.LDAP)
	expect(s, "ldap", "ldap", "OpenLDAP", "")
	if s.Facts["ldap.namingcontexts"] != svcbench.LDAPSuffix || s.Facts["ldap.supportedldapversion"] != "3" {
		t.Errorf("ldap: facts %v", s.Facts)
	}
	// NTPsec without a time source: its mode 4 answer is that of a server not
	// yet synchronised (RFC 5905 7.3/7.4: leap 3, stratum 0, kiss code INIT);
	// its mode 6 READVAR names it. Debian's "+dfsg1" marks a repacked tarball,
	// not the upstream version.
	ntpUp, _ := debVersion(t, "ntpsec")
	ntpUp, _, _ = strings.Cut(ntpUp, "+")
	s = svc(result.UDP, svcbench.NTP)
	expect(s, "ntp", "ntp", "NTPsec", ntpUp)
	if s.Facts["ntp.version"] != "4" || s.Facts["ntp.leap"] != "3" || s.Facts["ntp.stratum"] != "0" || s.Facts["ntp.refid"] != "INIT" ||
		s.Facts["ntp.daemon"] != "ntpd ntpsec-"+ntpUp || s.Facts["ntp.monlist"] != "false" {
		t.Errorf("ntp: facts %v", s.Facts)
	}
	if s := got[port{result.TCP, svcbench.Silent}]; s != nil {
		t.Errorf("silent port: %+v, want nothing", s)
	}
	if s := got[port{result.UDP, 9}]; s != nil {
		t.Errorf("closed udp port: %+v, want nothing", s)
	}
	_ = netip.Addr{}
}
