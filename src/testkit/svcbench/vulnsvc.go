package svcbench

import (
	"fmt"
	"net/netip"
	"os"
)

// The Debian services' second instances and extra sites, each the twin of a
// first one with one setting changed, so that a vulnerability check has a
// real positive and a real negative case (tests/vuln): Apache httpd with TRACE
// on (nginx answers TRACE with 405), vsftpd without anonymous login, snmpd
// with a private community, a dnsmasq that forwards (an open resolver) and
// its upstream, redis-server with a password, PostgreSQL and MariaDB with TLS.
// The nginx sites (autoindex on/off, a good certificate, a 1024-bit key, a
// SHA-1 signature) are in startNginx; MariaDB and PostgreSQL's twins in
// debian.go.

// Community of the private snmpd (not guessable, not "public").
const SNMPPrivateCommunity = "svcbench-7d3f9a1c"

// RedisPassword is the password of the RedisAuth server.
const RedisPassword = "svcbench-redis-4e1b"

// ExampleAddr is the address the bench's stand-in for example.com's servers
// gives for it (RFC 5737 documentation range).
const ExampleAddr = "192.0.2.80"

// startVulnTwins starts the twins that need nothing of the others.
func (b *Bench) startVulnTwins() {
	b.startApache()
	b.vsftpd("vsftpd-noanon", FTPNoAnon, false)
	b.Server.Start("redis-auth", "redis-server", "--bind", ServerAddr.String(), "--port", fmt.Sprint(RedisAuth),
		"--protected-mode", "no", "--save", "", "--appendonly", "no", "--daemonize", "no",
		"--dir", b.dir, "--logfile", "", "--requirepass", RedisPassword)
	b.mariaDB("mariadb-tls", MySQLTLS)
}

// startVulnServices starts those of ServerAddr2 and the DNS pair, after the
// bench's first dnsmasq.
func (b *Bench) startVulnServices() {
	// The second address comes after the first dnsmasq bound its sockets
	// (--bind-interfaces binds the addresses eth0 has at start only), so
	// that dnsmasq-open can have port 53 of it. Port 123 of every address
	// is ntpd's (its wildcard socket, which NTPsec 1.2.2's interface rules
	// cannot leave out without leaving out eth0 too): udp ServerAddr2:123
	// is forwarded (DNAT) to the monlist listener on ServerAddr:1123.
	// dnsmasq binds when it has started, not when Start returns: wait
	// for its port 53, or it may bind the second address too and leave
	// dnsmasq-open "Address already in use" (seen in a CI run).
	b.waitTCP(DNS)
	b.Server.Run("ip", "addr", "add", ServerAddr2.String()+"/32", "dev", "eth0")
	b.Server.Run("nft", "add", "table", "ip", "svcbench")
	b.Server.Run("nft", "add", "chain", "ip", "svcbench", "pre", "{ type nat hook prerouting priority -100; }")
	b.Server.Run("nft", "add", "rule", "ip", "svcbench", "pre", "ip", "daddr", ServerAddr2.String(), "udp", "dport", fmt.Sprint(NTPMonlist),
		"dnat", "to", fmt.Sprintf("%s:%d", ServerAddr, ntpMonlistLocal))
	b.snmpd("snmpd-private", ServerAddr2, SNMPPrivate, SNMPPrivateCommunity)
	// The open resolver: a dnsmasq that forwards example.com to the
	// upstream one (the bench has no Internet); the bench's first dnsmasq
	// (port 53) has no upstream and is the negative case.
	dns := func(name string, addr netip.Addr, port int, extra ...string) {
		args := append([]string{"--conf-file=/dev/null", "--no-daemon", "--bind-interfaces",
			"--listen-address=" + addr.String(), fmt.Sprintf("--port=%d", port), "--no-resolv", "--no-hosts",
			"--user=root", "--group=root", "--log-facility=-", "--log-queries", "--pid-file=" + b.path(name+".pid")}, extra...)
		p := b.Server.Start(name, append([]string{"dnsmasq"}, args...)...)
		b.t.Cleanup(func() {
			if b.t.Failed() {
				b.t.Logf("%s: %s", name, p.Output())
			}
		})
	}
	dns("dnsmasq-upstream", ServerAddr, DNSUpstream, "--address=/example.com/"+ExampleAddr)
	dns("dnsmasq-open", ServerAddr2, DNSOpen, fmt.Sprintf("--server=/example.com/%s#%d", ServerAddr, DNSUpstream))
}

// startApache runs Debian's Apache httpd in the foreground on HTTPApache with
// a configuration of its own: TRACE on (the Apache default, which Debian's
// security.conf turns off), ServerTokens Full with mod_ssl loaded, so its
// Server header names the OpenSSL it is built with, as many servers' do.
func (b *Bench) startApache() {
	run := b.path("apache-run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		b.t.Fatal(err)
	}
	b.write("www/apache/index.html", "<!doctype html>\n<html><head><title>svcbench apache</title></head><body>svcbench</body></html>\n", 0o644)
	mods := "/usr/lib/apache2/modules"
	cfg := b.write("apache2.conf", fmt.Sprintf(`ServerRoot %[1]s
DefaultRuntimeDir %[1]s
PidFile %[1]s/apache2.pid
Mutex file:%[1]s default
LoadModule mpm_event_module %[2]s/mod_mpm_event.so
LoadModule authz_core_module %[2]s/mod_authz_core.so
LoadModule dir_module %[2]s/mod_dir.so
LoadModule mime_module %[2]s/mod_mime.so
LoadModule socache_shmcb_module %[2]s/mod_socache_shmcb.so
LoadModule ssl_module %[2]s/mod_ssl.so
User www-data
Group www-data
ServerName apache.svcbench.test
Listen %[3]s:%[4]d
ErrorLog /dev/stderr
LogLevel warn
ServerTokens Full
ServerSignature Off
TraceEnable on
TypesConfig /etc/mime.types
DocumentRoot %[5]s
DirectoryIndex index.html
<Directory />
	Require all granted
</Directory>
`, run, mods, ServerAddr, HTTPApache, b.path("www/apache")), 0o644)
	b.Server.Start("apache2", "apache2", "-f", cfg, "-DFOREGROUND")
}
