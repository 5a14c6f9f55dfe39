package service

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"picket.dev/picket/src/scan/result"
)

// The answer parsers read whatever a scanned host sends: they must never panic,
// never loop, and keep what they report printable and bounded. Seeds are the
// captured answers of testdata/ and the RFC-derived ones of parsers_test.go.

func seed(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func checkService(t *testing.T, s *result.Service) {
	if s == nil {
		return
	}
	for _, v := range []string{s.Banner, s.Product, s.Version, s.Extra} {
		if len(v) > 4096 || !utf8.ValidString(v) && v == s.Banner {
			t.Fatalf("unbounded or invalid field %q", v)
		}
	}
	if len(s.Banner) > 256 {
		t.Fatalf("banner of %d bytes", len(s.Banner))
	}
}

func FuzzBanner(f *testing.F) {
	seed(f, "ssh-ident.bin", "ssh-kexinit.bin", "ftp-vsftpd-greeting.bin")
	for _, s := range bannerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, _ := sshGreeting(b)
		checkService(t, s)
		s, _, _ = codeGreeting(b)
		checkService(t, s)
		s, _ = pop3Greeting(b)
		checkService(t, s)
		s, _ = imapGreeting(b)
		checkService(t, s)
		s, _ = parseMySQLGreeting(b)
		checkService(t, s)
		s, _ = vncGreeting(b)
		checkService(t, s)
		s, _ = parseRedisPing(b)
		checkService(t, s)
		parseRedisInfo(b)
		ans, text := telnetRefuse(b)
		if len(ans) > 3*len(b) || len(text) > 256 {
			t.Fatalf("telnet: answer %d text %d for %d bytes", len(ans), len(text), len(b))
		}
	})
}

func FuzzKexinit(f *testing.F) {
	b, err := os.ReadFile("testdata/ssh-kexinit.bin")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(kexinitPacket(b))
	f.Fuzz(func(t *testing.T, b []byte) {
		facts, n, err := parseKexinit(b)
		if err == nil && (facts == nil || n > len(b) || n < 5) {
			t.Fatalf("parseKexinit: %v facts, n %d of %d", facts, n, len(b))
		}
	})
}

func FuzzDNS(f *testing.F) {
	seed(f, "dns-dnsmasq-version.bin")
	f.Add(rfcDNSAnswer)
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseDNSResponse(b)
		if err == nil {
			checkService(t, dnsService(a, "probe:dns"))
		}
		if len(b) >= 2 {
			identifyDNSTCP(nil, nil, append([]byte{byte(len(b) >> 8), byte(len(b))}, b...))
		}
	})
}

func FuzzSNMP(f *testing.F) {
	seed(f, "snmp-netsnmp-response.bin")
	f.Add(rfcSNMPResponse)
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseSNMPResponse(b)
		if err == nil {
			checkService(t, snmpService(a, "v2c"))
		}
		parseLDAPAnswer(b)
	})
}

func FuzzTLS(f *testing.F) {
	seed(f, "tls-nginx-tls10-flight.bin", "tls-nginx-tls10-refused.bin")
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := parseServerFlight(b)
		if err == nil && !fl.Done && !fl.Alert {
			t.Fatal("complete flight without ServerHelloDone or alert")
		}
		if fl != nil {
			total := 0
			for _, c := range fl.Certs {
				total += len(c)
			}
			if total > len(b) {
				t.Fatalf("certificates of %d bytes out of %d", total, len(b))
			}
		}
	})
}

func FuzzHTTP(f *testing.F) {
	seed(f, "http-nginx-200.bin", "http-nginx-301.bin")
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseHTTPResponse(b)
		if err != nil {
			return
		}
		if len(a.Title) > 256 || len(a.Server) > 256 {
			t.Fatalf("title %d server %d bytes", len(a.Title), len(a.Server))
		}
		s := &result.Service{}
		serverProduct(s, a.Server)
		checkService(t, s)
	})
}

func FuzzBinary(f *testing.F) {
	f.Add(rfcSMBResponse)
	f.Add(rdpConfirmExample)
	f.Add(pgErrorExample)
	f.Add(rfcNTPReply)
	f.Add(ntpControlExample)
	f.Fuzz(func(t *testing.T, b []byte) {
		parseSMBNegotiate(b)
		parseRDPConfirm(b)
		parsePgStartupAnswer(b)
		parseNTPReply(b)
		parseNTPControl(b)
		if len(b) > 0 {
			berOIDString(b)
		}
	})
}

// FuzzNTPMonlist: the mode 7 monitor-list answer. An answer taken must
// account for the entries it claims (no error: nitems × itemsize fits).
func FuzzNTPMonlist(f *testing.F) {
	f.Add(ntpMonlistAnswer)
	f.Add(ntpMonlistEmpty)
	f.Add(ntpMonlistRefused)
	f.Add(ntpMonlistRequest())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseNTPMonlist(b)
		if err != nil {
			return
		}
		if m.Items < 0 || m.Items > 0xfff || m.Err == 0 && m.Items*m.ItemSize > len(b)-8 {
			t.Fatalf("%+v from %d bytes", m, len(b))
		}
	})
}

// FuzzMySQLHandshake: the Initial Handshake with its capability flags. A
// greeting taken either says nothing about TLS or says true or false.
func FuzzMySQLHandshake(f *testing.F) {
	seed(f, "mysql-mariadb-greeting.bin")
	f.Add(mysqlDocHandshake)
	withSSL := bytes.Clone(mysqlDocHandshake)
	withSSL[bytes.IndexByte(withSSL[5:], 0)+5+1+4+8+1+1] = 0xff
	f.Add(withSSL)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := parseMySQLGreeting(b)
		if !ok {
			return
		}
		checkService(t, s)
		if v, set := s.Facts["mysql.ssl"]; set && v != "true" && v != "false" {
			t.Fatalf("mysql.ssl %q", v)
		}
	})
}
