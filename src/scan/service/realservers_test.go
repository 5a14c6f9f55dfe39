package service

import (
	"bytes"
	"strings"
	"testing"
)

// Answers of the Debian servers that replaced svcbench's Go listeners, captured
// by tests/bench/service's BenchmarkCaptureFixtures: Exim 4.96, Dovecot 2.3.19.1,
// inetutils telnetd 2.4, MariaDB 10.11, PostgreSQL 15, NTPsec 1.2.2 and OpenLDAP
// slapd 2.5 (Debian 12). The expected products and versions are read off the
// captured bytes by eye (the text is in each file), not from this package.

func TestEximGreeting(t *testing.T) {
	s, ambiguous, ok := codeGreeting(readTestdata(t, "smtp-exim-greeting.bin"))
	if !ok || ambiguous || s.Name != "smtp" || s.Product != "Exim" || s.Version != "4.96" {
		t.Errorf("exim: ok %v ambiguous %v %+v", ok, ambiguous, s)
	}
	// The EHLO answer after the greeting lists STARTTLS (RFC 3207).
	b := readTestdata(t, "smtp-exim-ehlo.bin")
	_, ehlo, _ := bytes.Cut(b, []byte("\r\n"))
	code, lines, ok := parseCodeReply(ehlo)
	if !ok || code != 250 || len(lines) != 9 || lines[6] != "250-STARTTLS" {
		t.Errorf("exim EHLO: %v %d %q", ok, code, lines)
	}
}

func TestDovecotGreetings(t *testing.T) {
	s, ok := pop3Greeting(readTestdata(t, "pop3-dovecot-capa.bin"))
	if !ok || s.Name != "pop3" || s.Product != "Dovecot" || s.Version != "" || s.OS != "Debian" {
		t.Errorf("dovecot pop3: %v %+v", ok, s)
	}
	s, ok = imapGreeting(readTestdata(t, "imap-dovecot-capability.bin"))
	if !ok || s.Name != "imap" || s.Product != "Dovecot" || s.Version != "" || s.OS != "Debian" {
		t.Errorf("dovecot imap: %v %+v", ok, s)
	}
}

func TestTelnetdNegotiation(t *testing.T) {
	b := readTestdata(t, "telnet-inetutils-first.bin")
	if !isTelnet(b) {
		t.Fatalf("inetutils telnetd's first bytes %x not taken for telnet", b)
	}
	// It says WILL AUTHENTICATION (37), WILL ENCRYPT (38), then DO TERMINAL-TYPE
	// (24), TSPEED (32), XDISPLOC (35), NEW-ENVIRON (39), ENVIRON (36); RFC 854's
	// refusals are DONT (254) to a WILL and WONT (252) to a DO.
	want := []byte{255, 254, 37, 255, 254, 38, 255, 252, 24, 255, 252, 32, 255, 252, 35, 255, 252, 39, 255, 252, 36}
	ans, text := telnetRefuse(b)
	if !bytes.Equal(ans, want) || text != "" {
		t.Errorf("refusal %v text %q, want %v and no text", ans, text, want)
	}
}

func TestMariaDBGreeting(t *testing.T) {
	s, ok := parseMySQLGreeting(readTestdata(t, "mysql-mariadb-greeting.bin"))
	if !ok || s.Name != "mysql" || s.Product != "MariaDB" || s.Version != "10.11.19" || s.Extra != "0+deb12u1" ||
		s.Banner != "5.5.5-10.11.19-MariaDB-0+deb12u1" || s.Facts["mysql.ssl"] != "false" {
		t.Errorf("mariadb: %v %+v", ok, s)
	}
}

func TestPostgreSQLRefusal(t *testing.T) {
	f, _, err := parsePgStartupAnswer(readTestdata(t, "postgresql-startup-refused.bin"))
	if err != nil || f['C'] != "28000" || f['S'] != "FATAL" || !strings.HasPrefix(f['M'], "no pg_hba.conf entry for host \"10.77.0.1\"") {
		t.Errorf("postgresql: %v %q", err, f)
	}
	// Nothing in it is a version: PostgreSQL says server_version only after
	// authentication (ParameterStatus).
	for k, v := range f {
		if strings.Contains(v, "15.") {
			t.Errorf("field %c %q looks like a version", k, v)
		}
	}
}

func TestNTPsecAnswers(t *testing.T) {
	a, err := parseNTPReply(readTestdata(t, "ntp-ntpsec-reply.bin"))
	if err != nil {
		t.Fatal(err)
	}
	// Not synchronised (RFC 5905 7.3/7.4): leap 3, stratum 0, kiss code INIT.
	if a.Version != 4 || a.Mode != 4 || a.Leap != 3 || a.Stratum != 0 || a.RefID != "INIT" {
		t.Errorf("ntpsec mode 4: %+v", a)
	}
	vars, err := parseNTPControl(readTestdata(t, "ntp-ntpsec-readvar.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if vars["version"] != "ntpd ntpsec-1.2.2" || vars["system"] != "Linux/6.18.44-fc-v1272" || vars["stratum"] != "16" {
		t.Errorf("ntpsec READVAR: %q", vars)
	}
	// NTPsec has no mode 7: the monitor list request goes unanswered.
	s := ntpService(a, vars, nil)
	if s.Name != "ntp" || s.Product != "NTPsec" || s.Version != "1.2.2" || s.Facts["ntp.refid"] != "INIT" || s.Facts["ntp.monlist"] != "false" {
		t.Errorf("ntpsec: %+v", s)
	}
	// Without the READVAR answer (chrony, or ntpd with noquery) only the
	// protocol is known.
	if s := ntpService(a, nil, nil); s.Product != "" || s.Version != "" || s.Facts["ntp.version"] != "4" {
		t.Errorf("ntp without READVAR: %+v", s)
	}
}

func TestSlapdRootDSE(t *testing.T) {
	a, err := parseLDAPAnswer(readTestdata(t, "ldap-slapd-rootdse.bin"))
	if err != nil {
		t.Fatal(err)
	}
	s := ldapService(a)
	if s.Product != "OpenLDAP" || s.Version != "" || s.Facts["ldap.namingcontexts"] != "dc=svcbench,dc=test" ||
		s.Facts["ldap.supportedldapversion"] != "3" || s.Facts["ldap.objectclass"] != "top;OpenLDAProotDSE" {
		t.Errorf("slapd: %+v", s)
	}
}
