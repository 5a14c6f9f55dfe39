package svcbench

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"time"

	"picket.dev/picket/src/testkit/netbench"
)

// The Debian servers that replaced Go listeners: Exim (SMTP), Dovecot (POP3 and
// IMAP), inetutils' telnetd, NTPsec, PostgreSQL, MariaDB and OpenLDAP's slapd,
// each with its configuration in the bench's directory. Their STARTTLS certificate is one of a netbench CA for MailCN.

// MailCN is the common name of the certificate Exim and Dovecot offer after
// STARTTLS/STLS.
const MailCN = "mail.svcbench.test"

// mailCert writes the STARTTLS certificate and key, readable by the daemons'
// unprivileged users (a test's throwaway key).
func (b *Bench) mailCert() (certPath, keyPath string) {
	ca := netbench.NewCA(b.t)
	cert := ca.Issue(b.t, MailCN)
	c, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		b.t.Fatal(err)
	}
	b.writePEM("mail.crt", c)
	b.writeKey("mail.key", cert.PrivateKey)
	if err := os.Chmod(b.path("mail.key"), 0o644); err != nil {
		b.t.Fatal(err)
	}
	return b.path("mail.crt"), b.path("mail.key")
}

// chownFile gives the file p to the named user and its primary group.
func (b *Bench) chownFile(p, name string) {
	u, err := user.Lookup(name)
	if err != nil {
		b.t.Fatalf("svcbench: user %s (made by its Debian package): %v", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(p, uid, gid); err != nil {
		b.t.Fatal(err)
	}
}

// chownTo makes dir (created if missing) belong to the named user and its
// primary group.
func (b *Bench) chownTo(dir, name string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	u, err := user.Lookup(name)
	if err != nil {
		b.t.Fatalf("svcbench: user %s (made by its Debian package): %v", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		b.t.Fatal(err)
	}
}

// startExim runs Debian's exim4-daemon-light in the foreground (-bdf) with a
// configuration of its own that accepts no mail (every RCPT is denied) and
// offers STARTTLS. Exim given a configuration file that is not in its trusted
// list gives up root before binding, so the server namespace lets unprivileged
// processes bind port 25 (net.ipv4.ip_unprivileged_port_start is per namespace).
func (b *Bench) startExim(cert, key string) {
	spool := b.path("exim")
	b.chownTo(spool, "Debian-exim")
	cfg := b.write("exim.conf", fmt.Sprintf(`primary_hostname = %s
spool_directory = %s
log_file_path = %s/%%slog
exim_user = Debian-exim
exim_group = Debian-exim
daemon_smtp_ports = %d
local_interfaces = %s
tls_advertise_hosts = *
tls_certificate = %s
tls_privatekey = %s
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_rcpt:
  deny
`, MailCN, spool, spool, SMTP, ServerAddr, cert, key), 0o644)
	b.Server.Start("exim", "exim4", "-C", cfg, "-bdf", "-oP", b.path("exim/exim.pid"))
}

// startDovecot runs Dovecot (dovecot-imapd, dovecot-pop3d) in the foreground
// (-F) with IMAP on 143 and POP3 on 110, STARTTLS/STLS and a static password
// database nobody logs in with.
func (b *Bench) startDovecot(cert, key string) {
	cfg := b.write("dovecot.conf", fmt.Sprintf(`base_dir = %[1]s/dovecot/run
state_dir = %[1]s/dovecot/state
log_path = /dev/stderr
protocols = imap pop3
listen = %[2]s
ssl = yes
ssl_cert = <%[3]s
ssl_key = <%[4]s
mail_location = maildir:%[1]s/dovecot/mail/%%u
passdb {
  driver = static
  args = password=svcbench-unused
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%[1]s/dovecot/mail/%%u
}
service imap-login {
  inet_listener imap {
    port = %[5]d
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = %[6]d
  }
  inet_listener pop3s {
    port = 0
  }
}
`, b.dir, ServerAddr, cert, key, IMAP, POP3), 0o644)
	b.Server.Start("dovecot", "dovecot", "-F", "-c", cfg)
}

// startTelnetd serves telnet with inetutils' telnetd, which has no listening
// mode of its own: as inetd would, an accept loop in the server namespace hands
// each connection to a telnetd as its standard input and output. telnetd runs
// /bin/login, whose prompt is what a client sees after the negotiation. The
// telnetds still running at cleanup are killed.
func (b *Bench) startTelnetd() {
	l := b.Server.Listen("tcp", netip.AddrPortFrom(ServerAddr, Telnet).String())
	var mu sync.Mutex
	running := map[*exec.Cmd]bool{}
	closed := false
	b.t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		closed = true
		for c := range running {
			c.Process.Kill()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f, err := c.(*net.TCPConn).File()
			c.Close()
			if err != nil {
				continue
			}
			cmd := exec.Command("/usr/sbin/telnetd")
			cmd.Stdin, cmd.Stdout = f, f
			mu.Lock()
			if closed {
				mu.Unlock()
				f.Close()
				return
			}
			err = cmd.Start()
			if err == nil {
				running[cmd] = true
			}
			mu.Unlock()
			f.Close()
			if err != nil {
				continue
			}
			go func() {
				cmd.Wait()
				mu.Lock()
				delete(running, cmd)
				mu.Unlock()
			}()
		}
	}()
}

// startNTPsec runs NTPsec's ntpd in the foreground (-n) with no time source:
// it answers clients as a server that has not synchronised yet, and mode 6
// READVAR queries (restrict default allows them; nomodify refuses writes).
// The clock is not namespaced, so ntpd runs without CAP_SYS_TIME (setpriv drops
// it from the bounding set): it can never adjust the machine's clock, and says
// "ntp_adjtime: Operation not permitted" when it tries.
func (b *Bench) startNTPsec() {
	cfg := b.write("ntp.conf", fmt.Sprintf(`driftfile %[1]s/ntp.drift
statsdir %[1]s/
disable kernel
restrict default
restrict 10.77.0.0 mask 255.255.255.0 nomodify
`, b.dir), 0o644)
	p := b.Server.Start("ntpd", "setpriv", "--bounding-set=-sys_time", "--", "ntpd", "-n", "-c", cfg)
	if err := p.WaitOutput("ntpd start", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "Listen normally on") && strings.Contains(s, ServerAddr.String()+":123")
	}); err != nil {
		b.t.Fatalf("svcbench: %v", err)
	}
}

// PostgreSQLBin is where Debian's postgresql package puts the server's programs.
const PostgreSQLBin = "/usr/lib/postgresql/15/bin"

// initPostgreSQL runs initdb (as the postgres user: the server refuses root)
// in the background; startPostgreSQL waits for it. Its pg_hba.conf lets no one
// in (-A reject): a client from the client namespace gets "no pg_hba.conf
// entry", as a scanner meets a server it has no account on.
func (b *Bench) initPostgreSQL() <-chan error {
	dir := b.path("pg")
	b.chownTo(dir, "postgres")
	done := make(chan error, 1)
	go func() {
		out, err := exec.Command("runuser", "-u", "postgres", "--", PostgreSQLBin+"/initdb", "-D", dir+"/data",
			"--no-sync", "-A", "reject", "-U", "postgres", "--no-instructions").CombinedOutput()
		if err != nil {
			err = fmt.Errorf("initdb: %v: %s", err, out)
		}
		done <- err
	}()
	return done
}

// startPostgreSQL runs the server in the foreground on ServerAddr, its Unix
// socket in the bench's directory, without SSL.
func (b *Bench) startPostgreSQL(initdb <-chan error) {
	if err := <-initdb; err != nil {
		b.t.Fatalf("svcbench: %v", err)
	}
	dir := b.path("pg")
	// The TLS twin starts from a copy of the fresh cluster (no second
	// initdb), its certificate and key the postgres user's own.
	if out, err := exec.Command("cp", "-a", dir+"/data", dir+"/data-tls").CombinedOutput(); err != nil {
		b.t.Fatalf("svcbench: copy the PostgreSQL cluster: %v: %s", err, out)
	}
	b.Server.Start("postgres", "runuser", "-u", "postgres", "--", PostgreSQLBin+"/postgres", "-D", dir+"/data",
		"-c", "listen_addresses="+ServerAddr.String(), "-p", fmt.Sprint(PostgreSQL),
		"-c", "unix_socket_directories="+dir, "-c", "ssl=off", "-c", "fsync=off")
	for _, f := range []string{"good.crt", "good.key"} {
		body, err := os.ReadFile(b.path(f))
		if err != nil {
			b.t.Fatal(err)
		}
		p := dir + "/data-tls/" + f
		if err := os.WriteFile(p, body, 0o600); err != nil {
			b.t.Fatal(err)
		}
		b.chownFile(p, "postgres")
	}
	b.Server.Start("postgres-tls", "runuser", "-u", "postgres", "--", PostgreSQLBin+"/postgres", "-D", dir+"/data-tls",
		"-c", "listen_addresses="+ServerAddr.String(), "-p", fmt.Sprint(PostgreSQLTLS),
		"-c", "unix_socket_directories="+dir, "-c", "ssl=on", "-c", "ssl_cert_file="+dir+"/data-tls/good.crt",
		"-c", "ssl_key_file="+dir+"/data-tls/good.key", "-c", "fsync=off")
}

// LDAPSuffix is the naming context of the bench's slapd.
const LDAPSuffix = "dc=svcbench,dc=test"

// startSlapd runs OpenLDAP's slapd in the foreground (-d 0) with a slapd.conf
// of its own: one empty mdb database for LDAPSuffix, anonymous reads of the
// root DSE as slapd allows them by default.
func (b *Bench) startSlapd() {
	db := b.path("ldap")
	if err := os.MkdirAll(db, 0o700); err != nil {
		b.t.Fatal(err)
	}
	cfg := b.write("slapd.conf", fmt.Sprintf(`include /etc/ldap/schema/core.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
database mdb
maxsize 10485760
suffix "%[2]s"
rootdn "cn=admin,%[2]s"
directory %[3]s
`, b.dir, LDAPSuffix, db), 0o644)
	b.Server.Start("slapd", "slapd", "-d", "0", "-f", cfg, "-h", fmt.Sprintf("ldap://%s:%d/", ServerAddr, LDAP))
}

// startMariaDB runs MariaDB's server (mariadb-server) in the foreground as
// the mysql user on an empty data directory: without grant tables
// (--skip-grant-tables) it needs no mariadb-install-db and listens within a
// second, and its greeting (the Initial Handshake) is what any client sees
// first. InnoDB's files are kept small.
func (b *Bench) startMariaDB() { b.mariaDB("mariadb", MySQL) }

// mariaDB runs one server on port in a data directory of its own; the
// second one (MySQLTLS) has a certificate, so its greeting offers TLS
// (CLIENT_SSL).
func (b *Bench) mariaDB(name string, port int) {
	dir := b.path(name)
	b.chownTo(dir, "mysql")
	b.chownTo(dir+"/data", "mysql")
	args := []string{"--no-defaults", "--user=mysql", "--datadir=" + dir + "/data",
		"--socket=" + dir + "/mysqld.sock", "--pid-file=" + dir + "/mysqld.pid",
		"--bind-address=" + ServerAddr.String(), fmt.Sprintf("--port=%d", port), "--skip-grant-tables", "--skip-log-bin",
		"--innodb-log-file-size=4M", "--innodb-buffer-pool-size=8M", "--innodb-data-file-path=ibdata1:4M:autoextend",
		"--innodb-undo-tablespaces=0", "--innodb-temp-data-file-path=ibtmp1:4M:autoextend"}
	if port == MySQLTLS {
		args = append(args, "--ssl-cert="+b.path("mail.crt"), "--ssl-key="+b.path("mail.key"))
	}
	b.Server.Start(name, append([]string{"mariadbd"}, args...)...)
}
