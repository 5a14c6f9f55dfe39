package service

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/big"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/scan/result"
)

// Fixtures: testdata/*.bin are answers captured from the Debian services of
// src/testkit/svcbench (OpenSSH 9.2p1, nginx 1.22.1 on OpenSSL 3.0, vsftpd 3.0.3,
// dnsmasq 2.90, net-snmp 5.9.3, Redis 7.0.15) by tests/service/capture_test.go; the
// hex ones below are laid out by hand from the specification each names (written
// with Python's struct module, not with this package's encoders).

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	// RFC 1035 4.1: BIND's answer to version.bind CH TXT, id 0xbeef, AA RD RA, the
	// answer's name a compression pointer to the question.
	rfcDNSAnswer = mustHex(`beef858000010001000000000776657273696f6e0462696e640000100003c00c0010000300000000001918392e31382e32382d317e646562313275322d44656269616e`)
	// RFC 1157 4.1.4: an SNMPv1 GetResponse, community public, request id 1, with
	// a Cisco IOS sysDescr.0 and sysObjectID.0 1.3.6.1.4.1.9.1.716.
	rfcSNMPResponse = mustHex(`3081a202010004067075626c6963a28194020101020100020100308188306f06082b060102010101000463436973636f20494f5320536f6674776172652c20433239363020536f667477617265202843323936302d4c414e424153454b392d4d292c2056657273696f6e2031352e30283229534531312c2052454c4541534520534f465457415245202866633329301506082b0601020101020006092b060104010901854c`)
	// MS-SMB2 2.2.4: a NEGOTIATE response, dialect 3.1.1, signing enabled and
	// required, in its direct-TCP frame.
	rfcSMBResponse = mustHex(`00000081fe534d4240000000000000000000010001000000000000000000000000000000fffe0000000000000000000000000000000000000000000000000000000000004100030011030000000102030405060708090a0b0c0d0e0f2f00000000008000000080000000800000000000000000000000000000000000800000000000000000`)
	// MS-RDPBCGR 4.1.2: the Server X.224 Connection Confirm PDU of the protocol
	// examples (PROTOCOL_RDP selected).
	rdpConfirmExample = mustHex(`030000130ed000001234000201080000000000`)
	// RFC 4511 4.5.2: a root DSE SearchResultEntry (389 Directory Server's vendor
	// attributes) and a successful SearchResultDone, message id 1.
	rfcLDAPAnswer = mustHex(`30819402010164818e04003081893025040e6e616d696e67436f6e74657874733113041164633d6578616d706c652c64633d636f6d301b0414737570706f727465644c44415056657273696f6e3103040133301b040a76656e646f724e616d65310d040b3338392050726f6a6563743026040d76656e646f7256657273696f6e311504133338392d4469726563746f72792f322e332e34300c02010165070a010004000400`)
	// PostgreSQL protocol 55.7: the ErrorResponse PostgreSQL 15 sends for a
	// database that does not exist.
	pgErrorExample = append(append([]byte{'E', 0, 0, 0, 0x5b}, []byte("SFATAL\x00VFATAL\x00C3D000\x00Mdatabase \"picket\" does not exist\x00Fpostinit.c\x00L885\x00RInitPostgres\x00")...), 0)
	// RFC 5905 7.3: a stratum 2 server reply, version 4, refid 192.168.1.1.
	rfcNTPReply = mustHex(`240203e900000b1e00000e2ac0a80101e9f0e1a2000000001122334455667788e9f0e1a310000000e9f0e1a310001000`)
	// RFC 9327 (mode 6): the READVAR answer of ntpd 4.2.8p15, sequence 7.
	ntpControlExample = mustHex(`16820007061500000000008976657273696f6e3d226e74706420342e322e3870313540312e333732382d6f20576564205365702032332031313a34363a333820555443203230323020283129222c2070726f636573736f723d227838365f3634222c2073797374656d3d224c696e75782f352e31302e302d32382d616d643634222c206c6561703d30302c207374726174756d3d32000000`)
	// ntpd's ntp_request.h: the answer of ntpd 4.2.6 to REQ_MON_GETLIST_1 —
	// response and more bits, version 2, mode 7 (0xd7); sequence 0;
	// implementation 3 (XNTPD); request 42; no error, 6 items of 72 bytes
	// (struct info_monitor_1); 432 bytes of entries, 440 in all. Each entry
	// here is a client 192.0.2.N:123, mode 3, version 4, count N.
	ntpMonlistAnswer = func() []byte {
		b := []byte{0xd7, 0x00, 0x03, 0x2a, 0x00, 0x06, 0x00, 0x48}
		for i := 1; i <= 6; i++ {
			e := make([]byte, 72)
			binary.BigEndian.PutUint32(e[12:], uint32(i)) // count
			copy(e[16:], []byte{192, 0, 2, byte(i)})      // addr
			copy(e[20:], []byte{198, 51, 100, 1})         // daddr
			binary.BigEndian.PutUint16(e[28:], 123)       // port
			e[30], e[31] = 3, 4                           // mode, version
			b = append(b, e...)
		}
		return b
	}()
	// The same server's answer when its monitor list is empty, and an
	// error answer (INFO_ERR_REQ: request not implemented, no items).
	ntpMonlistEmpty   = []byte{0x97, 0x00, 0x03, 0x2a, 0x00, 0x00, 0x00, 0x48}
	ntpMonlistRefused = []byte{0x97, 0x00, 0x03, 0x2a, 0x20, 0x00, 0x00, 0x00}
	// The MySQL internals manual's example Initial Handshake Packet (server
	// version "5.5.2-m2").
	mysqlDocHandshake = mustHex(`36 00 00 00 0a 35 2e 35 2e 32 2d 6d 32 00 0b 00 00 00 64 76 48 40 49 2d 43 4a 00 ff f7 08 02 00 00 00
		00 00 00 00 00 00 00 00 00 00 00 2a 34 64 7c 63 5a 77 6b 34 5e 5d 3a 00`)
)

// bannerSeeds are greetings as the RFCs' examples and well-known servers write them.
var bannerSeeds = []string{
	"SSH-2.0-billsSSH_3.6.3q3\r\n", // RFC 4253 4.2
	"SSH-1.99-OpenSSH_7.4\r\n",
	"SSH-2.0-dropbear_2022.83\r\n",
	"220 foo.com Simple Mail Transfer Service Ready\r\n", // RFC 5321 D.1
	"220 mail.example.org ESMTP Exim 4.96 Mon, 07 Dec 2026 10:00:00 +0000\r\n",
	"220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n",
	"220-ftp.example.org FTP server ready\r\n220 welcome\r\n",
	"220 ProFTPD Server (Debian) [::ffff:10.0.0.1]\r\n",
	"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n", // RFC 1939 7
	"+OK Dovecot (Debian) ready.\r\n",
	"* OK IMAP4rev2 server ready\r\n", // RFC 9051 8
	"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n",
	"RFB 003.008\n", // RFC 6143 7.1.1
	"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27", // RFC 854 DO TERMINAL-TYPE, ...
	"+PONG\r\n",
	"-NOAUTH Authentication required.\r\n",
	string(mysqlDocHandshake),
}

func TestSSHIdent(t *testing.T) {
	for _, c := range []struct {
		in, product, version, extra, os string
	}{
		// Captured from Debian's openssh-server.
		{strings.TrimRight(string(readTestdata(t, "ssh-ident.bin")), "\r\n"), "OpenSSH", "9.2p1", "Debian 2+deb12u10", "Debian"},
		{"SSH-2.0-billsSSH_3.6.3q3", "billsSSH", "3.6.3q3", "", ""}, // RFC 4253 4.2
		{"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", "OpenSSH", "8.9p1", "Ubuntu 3ubuntu0.6", "Ubuntu"},
		{"SSH-2.0-dropbear_2022.83", "Dropbear sshd", "2022.83", "", ""},
		{"SSH-2.0-OpenSSH_for_Windows_8.1", "OpenSSH for Windows", "8.1", "", ""},
		{"SSH-1.99-Cisco-1.25", "Cisco SSH", "1.25", "", ""},
		{"SSH-2.0-Go", "Go", "", "", ""},
	} {
		s, ok := parseSSHIdent(c.in + "\r\n")
		if !ok || s.Name != "ssh" || s.Product != c.product || s.Version != c.version || s.Extra != c.extra || s.OS != c.os {
			t.Errorf("%q: %+v", c.in, s)
		}
	}
	for _, bad := range []string{"SSH-", "SSH--x", "HTTP/1.1 400", ""} {
		if _, ok := parseSSHIdent(bad); ok {
			t.Errorf("%q taken for SSH", bad)
		}
	}
	// Lines before the identification are allowed (RFC 4253 4.2).
	if s, ok := sshGreeting([]byte("Welcome\r\nSSH-2.0-OpenSSH_9.6\r\n")); !ok || s.Version != "9.6" {
		t.Errorf("greeting after a line: %+v", s)
	}
}

// kexinitPacket drops the identification line the capture starts with.
func kexinitPacket(b []byte) []byte {
	_, after, _ := bytes.Cut(b, []byte("\n"))
	return after
}

func TestKexinit(t *testing.T) {
	p := kexinitPacket(readTestdata(t, "ssh-kexinit.bin"))
	f, n, err := parseKexinit(p)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(p) {
		t.Errorf("packet of %d bytes, capture has %d", n, len(p))
	}
	// What OpenSSH 9.2p1 offers with one ed25519 host key (sshd -T's defaults).
	if f.Kex[0] != "sntrup761x25519-sha512" || !slices.Contains(f.Kex, "curve25519-sha256") || f.Kex[len(f.Kex)-1] != "kex-strict-s-v00@openssh.com" {
		t.Errorf("kex %v", f.Kex)
	}
	if !slices.Equal(f.HostKeyAlgs, []string{"ssh-ed25519"}) {
		t.Errorf("host keys %v", f.HostKeyAlgs)
	}
	if !slices.Equal(f.Ciphers, []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"}) {
		t.Errorf("ciphers %v", f.Ciphers)
	}
	if f.MACs[0] != "umac-64-etm@openssh.com" || !slices.Equal(f.Compression, []string{"none", "zlib@openssh.com"}) {
		t.Errorf("macs %v compression %v", f.MACs, f.Compression)
	}
	for i := 0; i < len(p); i += 97 {
		if _, _, err := parseKexinit(p[:i]); !errors.Is(err, errShort) {
			t.Fatalf("cut at %d: %v, want errShort", i, err)
		}
	}
	bad := append([]byte{}, p...)
	bad[5] = 21 // NEWKEYS, not KEXINIT
	if _, _, err := parseKexinit(bad); err == nil {
		t.Error("a NEWKEYS packet parsed as KEXINIT")
	}
	bad = append([]byte{}, p...)
	bad[0], bad[1], bad[2], bad[3], bad[4] = 0, 0, 0, 100, 255 // padding longer than the packet
	if _, _, err := parseKexinit(bad); err == nil || errors.Is(err, errShort) {
		t.Errorf("overlong padding: %v", err)
	}
}

func TestHTTPCaptured(t *testing.T) {
	a, err := parseHTTPResponse(readTestdata(t, "http-nginx-301.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != 301 || a.Server != "nginx/1.22.1" || a.Location != "http://10.77.0.2/home/" || a.Title != "301 Moved Permanently" {
		t.Errorf("301: %+v", a)
	}
	a, err = parseHTTPResponse(readTestdata(t, "http-nginx-200.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != 200 || a.Title != "svcbench alt" {
		t.Errorf("200: %+v", a)
	}
	// RFC 9112 2.1 example form; title with entities and line breaks.
	a, err = parseHTTPResponse([]byte("HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Length: 60\r\n\r\n<html><TITLE>\n Caf&eacute; &amp;\n bar </TITLE></html>"))
	if err != nil || a.Title != "Caf. & bar" && a.Title != "Café & bar" {
		// printable keeps ASCII only: é becomes two dots.
		if a == nil || a.Title != "Caf.. & bar" {
			t.Errorf("entities: %+v %v", a, err)
		}
	}
	if _, err := parseHTTPResponse([]byte("SSH-2.0-x\r\n")); err == nil {
		t.Error("an SSH greeting parsed as HTTP")
	}
}

func TestServerProduct(t *testing.T) {
	for _, c := range []struct{ in, product, version, extra, os string }{
		{"nginx/1.22.1", "nginx", "1.22.1", "", ""},
		{"nginx", "nginx", "", "", ""},
		{"Apache/2.4.57 (Debian)", "Apache httpd", "2.4.57", "Debian", "Debian"},
		{"Apache/2.4.41 (Win64) OpenSSL/1.1.1c", "Apache httpd", "2.4.41", "Win64", "Windows"},
		{"Microsoft-IIS/10.0", "Microsoft IIS httpd", "10.0", "", ""},
		{"lighttpd/1.4.69", "lighttpd", "1.4.69", "", ""},
		{"Jetty(9.4.51.v20230217)", "Jetty", "9.4.51.v20230217", "", ""},
		{"gunicorn/20.1.0", "gunicorn", "20.1.0", "", ""},
	} {
		s := &result.Service{}
		serverProduct(s, c.in)
		if s.Product != c.product || s.Version != c.version || s.Extra != c.extra || s.OS != c.os {
			t.Errorf("%q: %+v", c.in, s)
		}
	}
}

func TestTLSFlightCaptured(t *testing.T) {
	// nginx's answer to openssl s_client -tls1 on the TLS 1.0 site.
	f, err := parseServerFlight(readTestdata(t, "tls-nginx-tls10-flight.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !f.HelloSeen || f.Version != verTLS10 || !f.Done || len(f.Certs) != 2 {
		t.Fatalf("flight: hello %v version %x done %v certs %d", f.HelloSeen, f.Version, f.Done, len(f.Certs))
	}
	leaf, err := x509.ParseCertificate(f.Certs[0])
	if err != nil || leaf.Subject.CommonName != "legacy.svcbench.test" {
		t.Errorf("leaf %v %v", leaf.Subject, err)
	}
	if name := tls.CipherSuiteName(f.Suite); !strings.HasPrefix(name, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA") && !strings.Contains(name, "CBC") {
		t.Errorf("suite %s", name)
	}
	for i := 0; i < len(readTestdata(t, "tls-nginx-tls10-flight.bin")); i += 101 {
		if _, err := parseServerFlight(readTestdata(t, "tls-nginx-tls10-flight.bin")[:i]); !errors.Is(err, errShort) {
			t.Fatalf("cut at %d: %v", i, err)
		}
	}
	// The TLS 1.2+ site refuses it: alert protocol_version (70), RFC 5246 7.2.
	f, err = parseServerFlight(readTestdata(t, "tls-nginx-tls10-refused.bin"))
	if err != nil || !f.Alert || f.AlertDesc != 70 || f.HelloSeen {
		t.Errorf("refusal: %+v %v", f, err)
	}
	if _, err := parseServerFlight([]byte("HTTP/1.1 400 Bad Request\r\n")); err == nil || errors.Is(err, errShort) {
		t.Errorf("HTTP answer: %v", err)
	}
}

// The hand-built hellos, as crypto/tls's server (an independent decoder) reads them.
func TestClientHelloGoServer(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	for _, c := range []struct {
		offer      uint16
		min, max   uint16
		wantHello  bool
		wantVer    uint16
		wantAlertD byte
	}{
		{verTLS12, tls.VersionTLS12, tls.VersionTLS13, true, verTLS12, 0},
		{verTLS10, tls.VersionTLS10, tls.VersionTLS12, true, verTLS10, 0},
		{verTLS11, tls.VersionTLS10, tls.VersionTLS12, true, verTLS11, 0},
		{verTLS10, tls.VersionTLS12, tls.VersionTLS13, false, 0, 70},
		{verSSL30, tls.VersionTLS10, tls.VersionTLS13, false, 0, 70},
	} {
		cl, sv := net.Pipe()
		go func() {
			s := tls.Server(sv, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: c.min, MaxVersion: c.max})
			s.Handshake()
			sv.Close()
		}()
		cl.SetDeadline(time.Now().Add(5 * time.Second))
		go cl.Write(buildClientHello(c.offer, make([]byte, 32)))
		var f *serverFlight
		b, _ := readUntil(cl, 5*time.Second, 1<<20, func(b []byte) bool {
			var err error
			f, err = parseServerFlight(b)
			return !errors.Is(err, errShort)
		})
		cl.Close()
		f, err := parseServerFlight(b)
		if err != nil && !errors.Is(err, errShort) {
			t.Errorf("offer %s: %v", versionName(c.offer), err)
			continue
		}
		if f.HelloSeen != c.wantHello || f.Version != c.wantVer || (!c.wantHello && (!f.Alert || f.AlertDesc != c.wantAlertD)) {
			t.Errorf("offer %s to a %s-%s server: %+v", versionName(c.offer), versionName(c.min), versionName(c.max), f)
		}
	}
}

func TestDNS(t *testing.T) {
	// dnsmasq 2.90's answer to version.bind (id 0x1234).
	a, err := parseDNSResponse(readTestdata(t, "dns-dnsmasq-version.bin"))
	if err != nil {
		t.Fatal(err)
	}
	s := dnsService(a, "probe:dns")
	if a.ID != 0x1234 || !slices.Equal(a.TXT, []string{"dnsmasq-2.90"}) || s.Product != "dnsmasq" || s.Version != "2.90" {
		t.Errorf("dnsmasq: %+v %+v", a, s)
	}
	a, err = parseDNSResponse(rfcDNSAnswer)
	if err != nil {
		t.Fatal(err)
	}
	s = dnsService(a, "probe:dns")
	if !a.RA || !a.AA || s.Product != "ISC BIND" || s.Version != "9.18.28" || s.Facts["dns.recursion"] != "true" {
		t.Errorf("bind: %+v %+v", a, s)
	}
	for _, c := range []struct{ txt, product, version string }{
		{"unbound 1.17.1", "Unbound", "1.17.1"},
		{"PowerDNS Recursor 4.8.4", "PowerDNS Recursor", "4.8.4"},
		{"Knot DNS 3.2.6", "Knot DNS", "3.2.6"},
		{"9.16.1-Ubuntu", "ISC BIND", "9.16.1"},
		{"none of your business", "", ""},
	} {
		s := dnsService(&dnsAnswer{TXT: []string{c.txt}}, "x")
		if s.Product != c.product || s.Version != c.version {
			t.Errorf("%q: %q %q", c.txt, s.Product, s.Version)
		}
	}
	for i := 0; i < len(rfcDNSAnswer); i++ {
		if _, err := parseDNSResponse(rfcDNSAnswer[:i]); err == nil {
			t.Fatalf("cut at %d parsed", i)
		}
	}
}

func TestSNMP(t *testing.T) {
	// net-snmp 5.9.3's answer (request id 0x01020304, v2c).
	a, err := parseSNMPResponse(readTestdata(t, "snmp-netsnmp-response.bin"))
	if err != nil {
		t.Fatal(err)
	}
	s := snmpService(a, "v2c")
	if a.Version != 1 || a.RequestID != 0x01020304 || a.Community != "public" || s.Product != "net-snmp" || s.OS != "Linux" ||
		s.Facts["snmp.sysobjectid"] != "1.3.6.1.4.1.8072.3.2.10" || !strings.HasPrefix(s.Facts["snmp.sysdescr"], "Linux ") {
		t.Errorf("net-snmp: %+v %+v", a, s)
	}
	a, err = parseSNMPResponse(rfcSNMPResponse)
	if err != nil {
		t.Fatal(err)
	}
	s = snmpService(a, "v1")
	if a.Version != 0 || a.RequestID != 1 || s.Product != "Cisco SNMP service" || s.OS != "IOS" || s.Facts["snmp.sysobjectid"] != "1.3.6.1.4.1.9.1.716" {
		t.Errorf("cisco: %+v %+v", a, s)
	}
	if _, err := parseSNMPResponse(rfcSNMPResponse[:50]); err == nil {
		t.Error("truncated message parsed")
	}
}

func TestBER(t *testing.T) {
	// X.690 8.19 example: 2.999.3 is 0x88 0x37 0x03; sysDescr.0 is well known.
	for _, c := range []struct{ hex, oid string }{{"883703", "2.999.3"}, {"2b06010201010100", "1.3.6.1.2.1.1.1.0"}, {"2b06010401bf0803020a", "1.3.6.1.4.1.8072.3.2.10"}} {
		got, err := berOIDString(mustHex(c.hex))
		if err != nil || got != c.oid {
			t.Errorf("%s: %q %v, want %s", c.hex, got, err, c.oid)
		}
	}
	if !bytes.Equal(berOID("1.3.6.1.2.1.1.1.0"), mustHex("06082b06010201010100")) {
		t.Errorf("berOID: %x", berOID("1.3.6.1.2.1.1.1.0"))
	}
	if v, err := berIntValue([]byte{0xff, 0x7f}); err != nil || v != -129 {
		t.Errorf("int: %d %v", v, err)
	}
}

func TestGreetings(t *testing.T) {
	for _, c := range []struct {
		in                     string
		name, product, version string
		ambiguous              bool
	}{
		{string(readTestdata(t, "ftp-vsftpd-greeting.bin")), "ftp", "vsftpd", "3.0.3", false},
		{"220 foo.com Simple Mail Transfer Service Ready\r\n", "smtp", "", "", false},
		{"220 mail.example.org ESMTP Exim 4.96 Mon, 07 Dec 2026 10:00:00 +0000\r\n", "smtp", "Exim", "4.96", false},
		{"220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n", "smtp", "Postfix", "", false},
		{"220-ftp.example.org FTP server ready\r\n220 welcome\r\n", "ftp", "", "", false},
		{"220 ProFTPD 1.3.8 Server (Debian) [::ffff:10.0.0.1]\r\n", "ftp", "ProFTPD", "1.3.8", false},
		{"220 Welcome\r\n", "", "", "", true},
	} {
		s, amb, ok := codeGreeting([]byte(c.in))
		if !ok || amb != c.ambiguous || s.Name != c.name || s.Product != c.product || s.Version != c.version {
			t.Errorf("%q: %+v ambiguous %v ok %v", c.in, s, amb, ok)
		}
	}
	if _, _, ok := codeGreeting([]byte("220-continued\r\n")); ok {
		t.Error("an unfinished reply taken as a greeting")
	}
	if s, ok := pop3Greeting([]byte("+OK Dovecot (Debian) ready.\r\n")); !ok || s.Product != "Dovecot" || s.OS != "Debian" {
		t.Errorf("pop3: %+v", s)
	}
	if s, ok := pop3Greeting([]byte("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")); !ok || s.Name != "pop3" {
		t.Errorf("pop3 RFC 1939: %+v", s)
	}
	if s, ok := imapGreeting([]byte("* OK IMAP4rev2 server ready\r\n")); !ok || s.Name != "imap" {
		t.Errorf("imap RFC 9051: %+v", s)
	}
	if s, ok := vncGreeting([]byte("RFB 003.008\n")); !ok || s.Facts["vnc.protocol"] != "3.8" {
		t.Errorf("vnc: %+v", s)
	}
	ans, text := telnetRefuse([]byte("\xff\xfd\x18\xff\xfb\x01\xff\xfa\x18\x01\xff\xf0Debian GNU/Linux 12\r\nlogin: "))
	if !bytes.Equal(ans, []byte{255, 252, 24, 255, 254, 1}) || text != "Debian GNU/Linux 12 login:" {
		t.Errorf("telnet: answer %x text %q", ans, text)
	}
}

func TestMySQL(t *testing.T) {
	s, ok := parseMySQLGreeting(mysqlDocHandshake)
	if !ok || s.Product != "MySQL" || s.Version != "5.5.2" || s.Extra != "m2" {
		t.Errorf("doc example: %+v", s)
	}
	// Its capability flags, 0xf7ff, lack CLIENT_SSL (0x0800); with the
	// flag set the same greeting says the server offers TLS.
	if s.Facts["mysql.ssl"] != "false" {
		t.Errorf("doc example: facts %v, want mysql.ssl false", s.Facts)
	}
	withSSL := bytes.Clone(mysqlDocHandshake)
	capsAt := bytes.IndexByte(withSSL[5:], 0) + 5 + 1 + 4 + 8 + 1
	if withSSL[capsAt] != 0xff || withSSL[capsAt+1] != 0xf7 {
		t.Fatalf("capability flags not at %d: % x", capsAt, withSSL[capsAt:capsAt+2])
	}
	withSSL[capsAt+1] = 0xff
	if s, ok := parseMySQLGreeting(withSSL); !ok || s.Facts["mysql.ssl"] != "true" {
		t.Errorf("CLIENT_SSL set: %v %+v", ok, s)
	}
	// A greeting cut before the capability flags says nothing about TLS.
	short := append([]byte{byte(capsAt - 4), 0, 0, 0}, mysqlDocHandshake[4:capsAt]...)
	if s, ok := parseMySQLGreeting(short); !ok || s.Facts["mysql.ssl"] != "" {
		t.Errorf("short greeting: %v %+v", ok, s)
	}
	for _, c := range []struct{ in, product, version, extra string }{
		{"10.11.6-MariaDB-0+deb12u1", "MariaDB", "10.11.6", "0+deb12u1"},
		{"5.5.5-10.3.39-MariaDB-0+deb10u2", "MariaDB", "10.3.39", "0+deb10u2"},
		{"8.0.36-0ubuntu0.22.04.1", "MySQL", "8.0.36", "0ubuntu0.22.04.1"},
	} {
		p, v, e := mysqlVersion(c.in)
		if p != c.product || v != c.version || e != c.extra {
			t.Errorf("%q: %q %q %q", c.in, p, v, e)
		}
	}
	// ERR packet 1130 of a host that may not connect (client/server protocol, ERR_Packet).
	msg := "Host '10.0.0.9' is not allowed to connect to this MariaDB server"
	p := append([]byte{0xff, 0x6a, 0x04}, msg...)
	pkt := append([]byte{byte(len(p)), 0, 0, 0}, p...)
	if s, ok := parseMySQLGreeting(pkt); !ok || s.Product != "MariaDB" {
		t.Errorf("ERR: %+v", s)
	}
}

func TestBinaryProtocols(t *testing.T) {
	a, err := parseSMBNegotiate(rfcSMBResponse)
	if err != nil || a.Dialect != 0x0311 || a.Signing != "required" || smbDialectName(a.Dialect) != "3.1.1" {
		t.Errorf("smb: %+v %v", a, err)
	}
	if _, err := parseSMBNegotiate(rfcSMBResponse[:40]); !errors.Is(err, errShort) {
		t.Errorf("smb cut: %v", err)
	}
	sel, _, err := parseRDPConfirm(mustHex("030000130ed000001234000201080000000000"))
	if err != nil || sel != "rdp" {
		t.Errorf("rdp example: %q %v", sel, err)
	}
	sel, _, err = parseRDPConfirm(mustHex("030000130ed000001234000200080002000000"))
	if err != nil || sel != "credssp" {
		t.Errorf("rdp credssp: %q %v", sel, err)
	}
	// RDP_NEG_FAILURE, SSL_NOT_ALLOWED_BY_SERVER (2) (MS-RDPBCGR 2.2.1.2.2).
	_, fail, err := parseRDPConfirm(mustHex("030000130ed000001234000300080002000000"))
	if err != nil || fail != 2 {
		t.Errorf("rdp failure: %d %v", fail, err)
	}
	la, err := parseLDAPAnswer(rfcLDAPAnswer)
	if err != nil {
		t.Fatal(err)
	}
	s := ldapService(la)
	if la.ResultCode != 0 || s.Product != "389 Project" || s.Version != "389-Directory/2.3.4" || s.Facts["ldap.namingcontexts"] != "dc=example,dc=com" {
		t.Errorf("ldap: %+v %+v", la, s)
	}
	if _, err := parseLDAPAnswer(rfcLDAPAnswer[:100]); !errors.Is(err, errShort) {
		t.Errorf("ldap cut: %v", err)
	}
	fields, _, err := parsePgStartupAnswer(pgErrorExample)
	if err != nil || fields['C'] != "3D000" || fields['M'] != `database "picket" does not exist` {
		t.Errorf("postgresql: %v %v", fields, err)
	}
	// AuthenticationSASL (R, code 10).
	if _, auth, err := parsePgStartupAnswer(mustHex("52000000170000000a53435241 4d2d5348412d3235360000")); err != nil || auth != 10 {
		t.Errorf("postgresql auth: %d %v", auth, err)
	}
	na, err := parseNTPReply(rfcNTPReply)
	if err != nil || na.Version != 4 || na.Mode != 4 || na.Stratum != 2 || na.RefID != "192.168.1.1" || na.Origin != 0x1122334455667788 {
		t.Errorf("ntp: %+v %v", na, err)
	}
	vars, err := parseNTPControl(ntpControlExample)
	if err != nil {
		t.Fatal(err)
	}
	ns := ntpService(na, vars, nil)
	if ns.Product != "ntpd" || ns.Version != "4.2.8p15@1.3728-o" && ns.Version != "4.2.8p15" || vars["system"] != "Linux/5.10.0-28-amd64" {
		t.Errorf("ntp control: %v %+v", vars, ns)
	}
	if ns.Facts["ntp.monlist"] != "false" {
		t.Errorf("ntp without a mode 7 answer: monlist %q", ns.Facts["ntp.monlist"])
	}
	kv, err := parseRedisInfo(readTestdata(t, "redis-info.bin"))
	if err != nil || kv["redis_version"] != "7.0.15" || kv["redis_mode"] != "standalone" {
		t.Errorf("redis INFO: %v %v", kv, err)
	}
}

func TestNTPMonlist(t *testing.T) {
	if len(ntpMonlistAnswer) != 440 {
		t.Fatalf("answer of %d bytes, want 440", len(ntpMonlistAnswer))
	}
	req := ntpMonlistRequest()
	// ntpdc's monlist request: 0x17 (version 2, mode 7), sequence 0,
	// implementation 3, request 42.
	if len(req) != 48 || !bytes.Equal(req[:8], []byte{0x17, 0, 3, 42, 0, 0, 0, 0}) {
		t.Errorf("request % x", req)
	}
	na, err := parseNTPReply(rfcNTPReply)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   []byte
		err  bool
		want string
	}{
		{"entries", ntpMonlistAnswer, false, "true"},
		{"empty list", ntpMonlistEmpty, false, "false"},
		{"error answer", ntpMonlistRefused, false, "false"},
		{"truncated entries", ntpMonlistAnswer[:400], true, ""},
		{"header only", ntpMonlistAnswer[:7], true, ""},
		{"request echoed", req, true, ""},
		{"other request code", append([]byte{0xd7, 0, 3, 1}, ntpMonlistAnswer[4:]...), true, ""},
		{"mode 6", ntpControlExample, true, ""},
	} {
		m, err := parseNTPMonlist(c.in)
		if (err != nil) != c.err {
			t.Errorf("%s: %+v %v, want error %v", c.name, m, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		if got := ntpService(na, nil, m).Facts["ntp.monlist"]; got != c.want {
			t.Errorf("%s: %+v gives ntp.monlist %q, want %q", c.name, m, got, c.want)
		}
	}
	if m, _ := parseNTPMonlist(ntpMonlistAnswer); m.Items != 6 || m.ItemSize != 72 || !m.More {
		t.Errorf("entries: %+v", m)
	}
}

func TestOpenResolver(t *testing.T) {
	q := dnsQuery(0xbeef, ResolverProbeName, 1)
	// RFC 1035 4.1: id, flags 0x0100 (RD), one question, example.com A IN.
	want := mustHex(`beef01000001000000000000076578616d706c6503636f6d0000010001`)
	if !bytes.Equal(q, want) {
		t.Fatalf("query % x, want % x", q, want)
	}
	answer := func(flags uint16, records int) []byte {
		b := binary.BigEndian.AppendUint16(nil, 0xbeef)
		b = binary.BigEndian.AppendUint16(b, flags)
		b = append(b, 0, 1, 0, byte(records), 0, 0, 0, 0)
		b = append(b, q[12:]...)
		for i := 0; i < records; i++ {
			// Name pointer to the question, A IN, TTL 300, 4 bytes.
			b = append(b, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, byte(i+1))
		}
		return b
	}
	for _, c := range []struct {
		name  string
		in    []byte
		open  bool
		count int
	}{
		{"recursed answer (QR RD RA)", answer(0x8180, 1), true, 1},
		{"two records", answer(0x8180, 2), true, 2},
		{"no recursion available", answer(0x8500, 1), false, 1},
		{"refused (rcode 5) with RA", answer(0x8185, 0), false, 0},
		{"servfail (rcode 2)", answer(0x8182, 0), false, 0},
		{"nxdomain", answer(0x8183, 0), false, 0},
		{"RA, no answer records", answer(0x8180, 0), false, 0},
	} {
		a, err := parseDNSResponse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if a.Answers != c.count || openResolver(a) != c.open {
			t.Errorf("%s: %d answers, open %v; want %d, %v", c.name, a.Answers, openResolver(a), c.count, c.open)
		}
	}
	// version.bind answers are counted too.
	if a, err := parseDNSResponse(rfcDNSAnswer); err != nil || a.Answers != 1 {
		t.Errorf("version.bind: %+v %v", a, err)
	}
}
