package service_test

import (
	"context"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"picket.dev/picket/src/testkit/svcbench"
)

// BenchmarkCaptureFixtures writes the answers of the bench's real services to
// PICKET_CAPTURE_DIR (src/scan/service/testdata): the parser tests' fixtures.
// The requests are written out by hand from the protocols' specifications, and the
// TLS 1.0 ClientHello is openssl s_client's own, so no byte comes from the
// package under test.
//
//	PICKET_BENCH=1 PICKET_CAPTURE_DIR=$PWD/src/scan/service/testdata \
//	  go test -run '^$' -bench CaptureFixtures -benchtime 1x ./tests/bench/service
func BenchmarkCaptureFixtures(tb *testing.B) {
	if os.Getenv("PICKET_BENCH") != "1" {
		tb.Skip("runs only with PICKET_BENCH=1")
	}
	out := os.Getenv("PICKET_CAPTURE_DIR")
	if out == "" {
		tb.Fatal("PICKET_CAPTURE_DIR must name the directory to write the fixtures to")
	}
	b := svcbench.Start(tb)
	ask := func(name, network string, port int, req []byte, wait time.Duration) {
		c, err := b.DialContext(context.Background(), network, net.JoinHostPort(svcbench.ServerAddr.String(), strconv.Itoa(port)))
		if err != nil {
			tb.Fatal(err)
		}
		defer c.Close()
		if req != nil {
			c.Write(req)
		}
		var all []byte
		buf := make([]byte, 65536)
		c.SetReadDeadline(time.Now().Add(wait))
		for {
			n, err := c.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil || network == "udp" {
				break
			}
		}
		if len(all) == 0 {
			tb.Fatalf("%s: no answer", name)
		}
		if err := os.WriteFile(filepath.Join(out, name), all, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	ask("ssh-ident.bin", "tcp", svcbench.SSH, nil, 3*time.Second)
	ask("ssh-kexinit.bin", "tcp", svcbench.SSH, []byte("SSH-2.0-Capture_1.0\r\n"), 3*time.Second)
	ask("http-nginx-301.bin", "tcp", svcbench.HTTP, []byte("GET / HTTP/1.1\r\nHost: 10.77.0.2\r\nConnection: close\r\n\r\n"), 3*time.Second)
	ask("http-nginx-200.bin", "tcp", svcbench.HTTPAlt, []byte("GET / HTTP/1.1\r\nHost: 10.77.0.2:8081\r\nConnection: close\r\n\r\n"), 3*time.Second)
	ask("ftp-vsftpd-greeting.bin", "tcp", svcbench.FTP, nil, 3*time.Second)
	ask("redis-info.bin", "tcp", svcbench.Redis, []byte("INFO server\r\n"), 3*time.Second)
	// version.bind CH TXT, id 0x1234, RD (RFC 1035 4.1).
	q, _ := hex.DecodeString("1234010000010000000000000776657273696f6e0462696e640000100003")
	ask("dns-dnsmasq-version.bin", "udp", svcbench.DNS, q, 3*time.Second)
	// SNMPv2c GetRequest, community public, request id 0x01020304, sysDescr.0
	// and sysObjectID.0 (RFC 3416 3, BER by hand).
	s, _ := hex.DecodeString("303702010104067075626c6963a02a020401020304020100020100301c300c06082b060102010101000500300c06082b060102010102000500")
	ask("snmp-netsnmp-response.bin", "udp", svcbench.SNMP, s, 3*time.Second)
	ask("smtp-exim-greeting.bin", "tcp", svcbench.SMTP, nil, 2*time.Second)
	ask("smtp-exim-ehlo.bin", "tcp", svcbench.SMTP, []byte("EHLO capture.test\r\n"), 2*time.Second)
	ask("pop3-dovecot-capa.bin", "tcp", svcbench.POP3, []byte("CAPA\r\n"), 2*time.Second)
	ask("imap-dovecot-capability.bin", "tcp", svcbench.IMAP, []byte("a1 CAPABILITY\r\n"), 2*time.Second)
	ask("telnet-inetutils-first.bin", "tcp", svcbench.Telnet, nil, 2*time.Second)
	ask("mysql-mariadb-greeting.bin", "tcp", svcbench.MySQL, nil, 2*time.Second)
	// StartupMessage, protocol 3.0, user and database picket (PostgreSQL
	// protocol, "Message Formats").
	ask("postgresql-startup-refused.bin", "tcp", svcbench.PostgreSQL,
		[]byte("\x00\x00\x00\x25\x00\x03\x00\x00user\x00picket\x00database\x00picket\x00\x00"), 2*time.Second)
	// NTP client request, version 4, mode 3 (RFC 5905 7.3), and a mode 6
	// READVAR of the system variables, version 2, sequence 1 (RFC 9327 2.2).
	ask("ntp-ntpsec-reply.bin", "udp", svcbench.NTP, append([]byte{0x23}, make([]byte, 47)...), 2*time.Second)
	ask("ntp-ntpsec-readvar.bin", "udp", svcbench.NTP, []byte{0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 2*time.Second)
	// LDAP root DSE search (RFC 4511 4.5.1), message id 1, base "", scope base,
	// (objectClass=*), attributes namingContexts, supportedLDAPVersion and
	// objectClass, BER by hand.
	ldapQ, _ := hex.DecodeString("3058020101635304000a01000a0100020100020100010100870b6f626a656374436c6173733033" +
		"040e6e616d696e67436f6e74657874730414737570706f727465644c44415056657273696f6e040b6f626a656374436c617373")
	ask("ldap-slapd-rootdse.bin", "tcp", svcbench.LDAP, ldapQ, 2*time.Second)
	// openssl s_client's TLS 1.0 ClientHello, caught on a listener of ours.
	l := b.Client.Listen("tcp", "127.0.0.1:14433")
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		buf := make([]byte, 65536)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, _ := c.Read(buf)
		got <- buf[:n]
		c.Close()
	}()
	b.Client.Command("openssl", "s_client", "-connect", "127.0.0.1:14433", "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0").Run()
	ch := <-got
	ask("tls-nginx-tls10-flight.bin", "tcp", svcbench.HTTPSOld, ch, 3*time.Second)
	ask("tls-nginx-tls10-refused.bin", "tcp", svcbench.HTTPS, ch, 3*time.Second)
}
