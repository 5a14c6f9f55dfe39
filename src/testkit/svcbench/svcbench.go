// Package svcbench is a bench of real services for the service detection tests:
// Debian's openssh-server, nginx (plain HTTP, a self-signed, an expired and a
// TLS 1.0-enabled HTTPS site), vsftpd with anonymous login and AUTH TLS, snmpd
// (community public), dnsmasq answering version.bind and redis-server, each run
// in the foreground without systemd inside a server network namespace made with
// netbench, with its configuration in the test's temporary directory; Exim
// (SMTP), Dovecot (POP3, IMAP), inetutils' telnetd, NTPsec, PostgreSQL, MariaDB
// and OpenLDAP's slapd likewise (debian.go). SMB and RDP are still answered by
// small Go listeners of this package (listeners.go) that speak the first
// exchange of each protocol as its specification has it.
//
// For the vulnerability checks (tests/vuln) the bench also runs twins of
// those services with one setting changed, and Apache httpd (vulnsvc.go), and
// Go listeners that say what old releases said on the wire (vulnlisteners.go):
// each check has a positive and a negative port here. The UDP twins sit on
// their standard ports of a second address, ServerAddr2 (a UDP port scan
// finds a service only by the request its port number calls for); port 123
// of it is forwarded by an nftables DNAT rule to the NTP listener, since
// ntpd's wildcard socket holds 123 on every address.
//
// Services also run on non-standard ports (sshd on 2222, nginx on 8081) so that
// tests see detection by probing rather than by port number. A client namespace
// is joined to the server one by a veth pair; Dial dials from it.
//
// Everything is stopped and removed at the test's cleanup, also on failure. The
// Debian packages come from tools/fetch (third_party/inputs.lock); a missing one
// fails the test.
package svcbench

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/testkit/netbench"
)

// Addresses of the bench: the client (scanner) side and the server side.
var (
	ClientAddr = netip.MustParseAddr("10.77.0.1")
	ServerAddr = netip.MustParseAddr("10.77.0.2")
	// ServerAddr2 is a second host in the server namespace (a second
	// address of its eth0, vulnsvc.go): the UDP twins that must sit on
	// their standard ports, since a UDP port scan finds a service only by
	// the request its port number calls for (DNSOpen, SNMPPrivate,
	// NTPMonlist).
	ServerAddr2 = netip.MustParseAddr("10.77.0.3")
)

// Ports of the bench's services.
const (
	FTP        = 21
	SSH        = 22
	SSHAlt     = 2222 // the same sshd on a port no probe hints at
	Telnet     = 23
	SMTP       = 25
	DNS        = 53 // udp and tcp, dnsmasq
	HTTP       = 80
	HTTPAlt    = 8081
	POP3       = 110
	NTP        = 123 // udp
	IMAP       = 143
	SNMP       = 161 // udp
	LDAP       = 389
	HTTPS      = 443 // self-signed certificate, TLS 1.2 and 1.3
	SMB        = 445
	MySQL      = 3306
	RDP        = 3389
	PostgreSQL = 5432
	Redis      = 6379
	HTTPSOld   = 10443 // certificate issued by the bench CA, TLS 1.0, 1.1 and 1.2
	HTTPSExp   = 8443  // expired certificate issued by the bench CA
	Silent     = 7777  // accepts and says nothing
	// Second instances and extra sites of the Debian services, the negative
	// (or positive) twins of the ports above for the vulnerability checks
	// (vulnsvc.go).
	HTTPApache    = 8082  // Apache httpd, TraceEnable on, mod_ssl loaded, ServerTokens Full
	HTTPIndex     = 8084  // nginx, autoindex on over a directory without index
	HTTPNoIndex   = 8085  // nginx, autoindex off over the same directory
	HTTPSGood     = 9443  // nginx, ECDSA P-256 certificate of the bench CA, TLS 1.2 and 1.3
	HTTPSWeakKey  = 10445 // nginx, RSA 1024 certificate of the bench CA
	HTTPSSHA1     = 10446 // nginx, ECDSA P-256 certificate the bench CA signed with ECDSA-SHA1
	FTPNoAnon     = 2121  // vsftpd without anonymous login
	SNMPPrivate   = 161   // udp on ServerAddr2: snmpd answering a private community only
	DNSOpen       = 53    // udp and tcp on ServerAddr2: dnsmasq forwarding example.com, an open resolver
	NTPMonlist    = 123   // udp on ServerAddr2: ntpd 4.2.6p5 answering the monitor list (vulnlisteners.go)
	DNSUpstream   = 5301  // dnsmasq standing in for example.com's authoritative servers
	RedisAuth     = 6380  // redis-server with requirepass
	PostgreSQLTLS = 5433  // PostgreSQL with ssl=on
	MySQLTLS      = 3307  // MariaDB with a certificate (CLIENT_SSL)
)

// Page titles of the nginx sites: the index of port 80 redirects to /home/.
const (
	TitleHome  = "svcbench home"
	TitleAlt   = "svcbench alt"
	TitleTLS   = "svcbench tls"
	TitleOld   = "svcbench legacy tls"
	TitleExp   = "svcbench expired"
	RedirectTo = "/home/"
)

// Certificate subjects (common names) of the HTTPS sites and the bench CA.
const (
	CNSelfSigned = "selfsigned.svcbench.test"
	CNExpired    = "expired.svcbench.test"
	CNOld        = "legacy.svcbench.test"
	CNCA         = "svcbench CA"
	CNGood       = "good.svcbench.test"
	CNWeakKey    = "weakkey.svcbench.test"
	CNSHA1       = "sha1.svcbench.test"
)

// Bench is a running set of services.
type Bench struct {
	t      testing.TB
	NB     *netbench.Bench
	Client *netbench.NS // the scanner's side
	Server *netbench.NS // where the services listen on ServerAddr
	dir    string
	// Certs are the certificates served on the HTTPS ports (leaf first).
	Certs map[int][]*x509.Certificate
	// ExpiredAt is the NotAfter of the expired certificate.
	ExpiredAt time.Time
	// waits are run at the end of Start: readiness checks of daemons
	// started without waiting, so that they start side by side.
	waits []func()
}

// Start builds the namespaces and starts every service; it returns once all
// listen.
func Start(t testing.TB) *Bench {
	t.Helper()
	nb := netbench.New(t)
	// The daemons that drop privileges (sshd's privilege separation, Exim,
	// Dovecot, PostgreSQL, MariaDB) must reach their files as their own users,
	// so the bench's directory is a world-searchable one under /tmp rather than
	// t.TempDir(), whose parents (under Bazel, in root's home) may not be. It is
	// removed after every daemon has stopped (cleanups run last-in first-out).
	dir, err := os.MkdirTemp("/tmp", "svcbench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &Bench{t: t, NB: nb, Client: nb.NS("svcc"), Server: nb.NS("svcs"), dir: dir, Certs: map[int][]*x509.Certificate{}}
	nb.Veth(b.Client, "eth0", b.Server, "eth0")
	b.Client.Run("ip", "addr", "add", ClientAddr.String()+"/24", "dev", "eth0")
	b.Client.Run("ip", "link", "set", "eth0", "up")
	b.Server.Run("ip", "addr", "add", ServerAddr.String()+"/24", "dev", "eth0")
	b.Server.Run("ip", "link", "set", "eth0", "up")
	for _, tool := range []string{"/usr/sbin/sshd", "ssh-keygen", "nginx", "vsftpd", "snmpd", "dnsmasq", "redis-server",
		"exim4", "dovecot", "/usr/sbin/telnetd", "ntpd", "setpriv", PostgreSQLBin + "/postgres", "slapd", "mariadbd", "apache2", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("svcbench: %s is missing (tools/fetch installs its Debian package): %v", tool, err)
		}
	}
	pgInit := b.initPostgreSQL() // the slowest start: initdb runs meanwhile
	b.startSSHD()
	b.startNginx()
	b.startVsftpd()
	b.startSnmpd()
	b.startRedis()
	// Exim gives up root before it binds (startExim).
	b.Server.Run("sysctl", "-q", "-w", "net.ipv4.ip_unprivileged_port_start=0")
	cert, key := b.mailCert()
	b.startExim(cert, key)
	b.startDovecot(cert, key)
	b.startTelnetd()
	b.startNTPsec()
	b.startSlapd()
	b.startMariaDB()
	b.startVulnTwins()
	b.startPostgreSQL(pgInit)
	netbench.Dnsmasq(b.Server, netbench.DnsmasqOptions{Interface: "eth0", DNSPort: DNS,
		HostRecords: []netbench.HostRecord{{Name: "srv.svcbench.test", Addrs: []netip.Addr{ServerAddr}}}})
	b.startVulnServices()
	b.startListeners()
	b.startVulnListeners()
	for _, p := range []int{SSH, SSHAlt, HTTP, HTTPAlt, HTTPS, HTTPSOld, HTTPSExp, FTP, Redis, DNS, SMTP, POP3, IMAP, PostgreSQL, LDAP, MySQL,
		HTTPApache, HTTPIndex, HTTPNoIndex, HTTPSGood, HTTPSWeakKey, HTTPSSHA1, FTPNoAnon, DNSUpstream, RedisAuth, PostgreSQLTLS, MySQLTLS} {
		b.waitTCP(p)
	}
	b.waitTCPAt(ServerAddr2, DNSOpen)
	for _, w := range b.waits {
		w()
	}
	return b
}

// Dial dials from the client namespace; a *Bench is a service.Dialer.
func (b *Bench) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return b.Client.DialContext(ctx, network, addr)
}

func (b *Bench) path(name string) string { return filepath.Join(b.dir, name) }

func (b *Bench) write(name, body string, mode os.FileMode) string {
	p := b.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		b.t.Fatal(err)
	}
	return p
}

func (b *Bench) waitTCP(port int) { b.t.Helper(); b.waitTCPAt(ServerAddr, port) }

func (b *Bench) waitTCPAt(host netip.Addr, port int) {
	b.t.Helper()
	addr := netip.AddrPortFrom(host, uint16(port)).String()
	end := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := b.Client.DialContext(ctx, "tcp", addr)
		cancel()
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(end) {
			b.t.Fatalf("svcbench: nothing listens on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startSSHD runs Debian's sshd on ports 22 and 2222. Its privilege separation
// needs the sshd user (made by the package) and /run/sshd, made here if missing
// (an empty root-owned directory, as the package's service would make it).
func (b *Bench) startSSHD() {
	t := b.t
	if _, err := exec.Command("id", "sshd").Output(); err != nil {
		t.Fatal("svcbench: the sshd user is missing (made by the openssh-server package)")
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("svcbench: /run/sshd: %v", err)
	}
	key := b.path("ssh_host_ed25519_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("svcbench: ssh-keygen: %v: %s", err, out)
	}
	cfg := b.write("sshd_config", fmt.Sprintf(`Port %d
Port %d
ListenAddress %s
HostKey %s
PidFile %s
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
`, SSH, SSHAlt, ServerAddr, key, b.path("sshd.pid")), 0o644)
	// sshd must be started by its absolute path (it re-executes itself).
	b.Server.Start("sshd", "/usr/sbin/sshd", "-D", "-e", "-f", cfg)
}

// startNginx runs nginx with these sites and those of vulnsvc.go's ports: HTTP on 80 (redirecting / to /home/) and
// 8081, HTTPS on 443 (self-signed RSA certificate, TLS 1.2 and 1.3), 8443 (an
// expired ECDSA certificate of the bench CA) and 10443 (TLS 1.0 to 1.2, RSA
// certificate of the bench CA, security level 0 so OpenSSL 3 agrees to TLS 1.0).
func (b *Bench) startNginx() {
	now := time.Now()
	caKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: CNCA, Organization: []string{"Picket"}},
		NotBefore: now.Add(-72 * time.Hour), NotAfter: now.Add(72 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	ca := b.makeCert(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	self := b.makeCert(&x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: CNSelfSigned},
		Issuer:    pkix.Name{CommonName: CNSelfSigned},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		DNSNames: []string{CNSelfSigned}, IPAddresses: []net.IP{ServerAddr.AsSlice()},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, nil, &rsaKey.PublicKey, rsaKey)
	expKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b.ExpiredAt = now.Add(-24 * time.Hour).Truncate(time.Second)
	exp := b.makeCert(&x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: CNExpired},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: b.ExpiredAt,
		DNSNames: []string{CNExpired}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}, ca, &expKey.PublicKey, caKey)
	oldKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	old := b.makeCert(&x509.Certificate{
		SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: CNOld},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{CNOld}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}, ca, &oldKey.PublicKey, caKey)
	leaf := func(serial int64, cn string, pub any, sig x509.SignatureAlgorithm) *x509.Certificate {
		return b.makeCert(&x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour),
			DNSNames: []string{cn}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, SignatureAlgorithm: sig,
		}, ca, pub, caKey)
	}
	// ECDSA keys but for the weak one: RSA key generation is what makes
	// the bench's start slow.
	goodKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good := leaf(5, CNGood, &goodKey.PublicKey, 0)
	weakKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	weak := leaf(6, CNWeakKey, &weakKey.PublicKey, 0)
	sha1Key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sha1 := leaf(7, CNSHA1, &sha1Key.PublicKey, x509.ECDSAWithSHA1)
	b.Certs[HTTPSGood] = []*x509.Certificate{good, ca}
	b.Certs[HTTPSWeakKey] = []*x509.Certificate{weak, ca}
	b.Certs[HTTPSSHA1] = []*x509.Certificate{sha1, ca}
	b.writePEM("good.crt", good, ca)
	b.writeKey("good.key", goodKey)
	b.writePEM("weak.crt", weak, ca)
	b.writeKey("weak.key", weakKey)
	b.writePEM("sha1.crt", sha1, ca)
	b.writeKey("sha1.key", sha1Key)
	b.writePEM("ca.crt", ca)
	b.Certs[HTTPS] = []*x509.Certificate{self}
	b.Certs[HTTPSExp] = []*x509.Certificate{exp, ca}
	b.Certs[HTTPSOld] = []*x509.Certificate{old, ca}
	b.writePEM("self.crt", self)
	b.writeKey("self.key", rsaKey)
	b.writePEM("exp.crt", exp, ca)
	b.writeKey("exp.key", expKey)
	b.writePEM("old.crt", old, ca)
	b.writeKey("old.key", oldKey)

	for dir, title := range map[string]string{"www/home": TitleHome, "www/alt": TitleAlt, "www/tls": TitleTLS, "www/old": TitleOld, "www/exp": TitleExp} {
		b.write(dir+"/index.html", "<!doctype html>\n<html><head><title>"+title+"</title></head><body>svcbench</body></html>\n", 0o644)
	}
	// A directory without an index page, for the autoindex on/off pair.
	b.write("www/files/report-2026.txt", "svcbench\n", 0o644)
	b.write("www/files/backup/README", "svcbench\n", 0o644)
	site := func(port int, tlsLines, root, extra string) string {
		return fmt.Sprintf(`	server {
		listen %s:%d%s;
		root %s;
%s%s	}
`, ServerAddr, port, map[bool]string{true: " ssl", false: ""}[tlsLines != ""], b.path(root), tlsLines, extra)
	}
	tlsCfg := func(cert, key, protocols, ciphers string) string {
		return fmt.Sprintf("\t\tssl_certificate %s;\n\t\tssl_certificate_key %s;\n\t\tssl_protocols %s;\n\t\tssl_ciphers %s;\n",
			b.path(cert), b.path(key), protocols, ciphers)
	}
	conf := fmt.Sprintf(`user root;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr info;
daemon off;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %[1]s/tmp/body;
	proxy_temp_path %[1]s/tmp/proxy;
	fastcgi_temp_path %[1]s/tmp/fastcgi;
	uwsgi_temp_path %[1]s/tmp/uwsgi;
	scgi_temp_path %[1]s/tmp/scgi;
	default_type text/html;
`, b.dir) +
		site(HTTP, "", "www", "\t\tlocation = / { return 301 "+RedirectTo+"; }\n\t\tlocation /home/ { alias "+b.path("www/home")+"/; }\n") +
		site(HTTPAlt, "", "www/alt", "") +
		site(HTTPS, tlsCfg("self.crt", "self.key", "TLSv1.2 TLSv1.3", "HIGH:!aNULL"), "www/tls", "") +
		site(HTTPSExp, tlsCfg("exp.crt", "exp.key", "TLSv1.2 TLSv1.3", "HIGH:!aNULL"), "www/exp", "") +
		site(HTTPSOld, tlsCfg("old.crt", "old.key", "TLSv1 TLSv1.1 TLSv1.2", "DEFAULT:@SECLEVEL=0"), "www/old", "") +
		site(HTTPIndex, "", "www/files", "\t\tautoindex on;\n") +
		site(HTTPNoIndex, "", "www/files", "\t\tautoindex off;\n") +
		site(HTTPSGood, tlsCfg("good.crt", "good.key", "TLSv1.2 TLSv1.3", "HIGH:!aNULL"), "www/tls", "") +
		// OpenSSL's default security level refuses a 1024-bit key and a
		// SHA-1 signature in the served chain; level 0 lets nginx serve them.
		site(HTTPSWeakKey, tlsCfg("weak.crt", "weak.key", "TLSv1.2 TLSv1.3", "DEFAULT:@SECLEVEL=0"), "www/tls", "") +
		site(HTTPSSHA1, tlsCfg("sha1.crt", "sha1.key", "TLSv1.2 TLSv1.3", "DEFAULT:@SECLEVEL=0"), "www/tls", "") +
		"}\n"
	if err := os.MkdirAll(b.path("tmp"), 0o755); err != nil {
		b.t.Fatal(err)
	}
	cfg := b.write("nginx.conf", conf, 0o644)
	b.Server.Start("nginx", "nginx", "-c", cfg, "-p", b.dir, "-e", "stderr")
}

func (b *Bench) makeCert(tmpl, parent *x509.Certificate, pub, priv any) *x509.Certificate {
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
	if err != nil {
		b.t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

func (b *Bench) writePEM(name string, certs ...*x509.Certificate) {
	var buf bytes.Buffer
	for _, c := range certs {
		pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	b.write(name, buf.String(), 0o644)
}

func (b *Bench) writeKey(name string, key any) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		b.t.Fatal(err)
	}
	b.write(name, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), 0o600)
}

// startVsftpd runs vsftpd in the foreground (listen=YES, background=NO) with
// anonymous login into an empty root and AUTH TLS with the self-signed
// certificate.
func (b *Bench) startVsftpd() { b.vsftpd("vsftpd", FTP, true) }

// vsftpd runs one vsftpd on port, with anonymous login or without (then
// local users may log in, through PAM, as vsftpd refuses to run with
// neither; the bench has no passwords, so no login succeeds).
func (b *Bench) vsftpd(name string, port int, anon bool) {
	for _, d := range []string{"ftproot", "ftpempty"} {
		if err := os.MkdirAll(b.path(d), 0o555); err != nil {
			b.t.Fatal(err)
		}
		os.Chmod(b.path(d), 0o555)
	}
	b.write("ftproot/README", "svcbench\n", 0o644)
	cfg := b.write(name+".conf", fmt.Sprintf(`listen=YES
listen_ipv6=NO
background=NO
listen_address=%s
listen_port=%d
anonymous_enable=%s
anon_root=%s
no_anon_password=NO
local_enable=%s
write_enable=NO
secure_chroot_dir=%s
nopriv_user=nobody
ftp_username=ftp
seccomp_sandbox=NO
pam_service_name=vsftpd
xferlog_enable=NO
ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=NO
force_anon_data_ssl=NO
force_local_logins_ssl=NO
force_local_data_ssl=NO
require_ssl_reuse=NO
ssl_tlsv1=YES
rsa_cert_file=%s
rsa_private_key_file=%s
`, ServerAddr, port, map[bool]string{true: "YES", false: "NO"}[anon], b.path("ftproot"), map[bool]string{true: "NO", false: "YES"}[anon], b.path("ftpempty"), b.path("self.crt"), b.path("self.key")), 0o600)
	b.Server.Start(name, "vsftpd", cfg)
}

// startSnmpd runs net-snmp's agent in the foreground with community public
// (read-only) and no other configuration file.
func (b *Bench) startSnmpd() { b.snmpd("snmpd", ServerAddr, SNMP, "public") }

// snmpd runs one agent on udp addr:port with the one read-only community.
func (b *Bench) snmpd(name string, addr netip.Addr, port int, community string) {
	cfg := b.write(name+".conf", fmt.Sprintf("agentAddress udp:%s:%d\nrocommunity %s default\nsysLocation svcbench\nsysContact svcbench@example.invalid\nmaster no\n", addr, port, community), 0o600)
	p := b.Server.Start(name, "env", "SNMP_PERSISTENT_DIR="+b.path(name), "MIBS=", "snmpd", "-f", "-Lo", "-C", "-c", cfg, "-p", b.path(name+".pid"))
	b.waits = append(b.waits, func() {
		if err := p.WaitOutput(name+" start", 10*time.Second, func(s string) bool { return strings.Contains(s, "NET-SNMP version") }); err != nil {
			b.t.Fatalf("svcbench: %v", err)
		}
	})
}

// startRedis runs redis-server without persistence, reachable from the client.
func (b *Bench) startRedis() {
	b.Server.Start("redis", "redis-server", "--bind", ServerAddr.String(), "--port", fmt.Sprint(Redis),
		"--protected-mode", "no", "--save", "", "--appendonly", "no", "--daemonize", "no",
		"--dir", b.dir, "--logfile", "")
}
