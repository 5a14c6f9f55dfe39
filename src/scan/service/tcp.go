package service

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"picket.dev/picket/src/scan/result"
)

// tcpProbe is a question sent to a TCP port that did not speak first.
type tcpProbe struct {
	name string
	// payload is what is sent.
	payload func(t *target) []byte
	// complete says the answer so far is enough to judge.
	complete func(b []byte) bool
	// identify reads a service out of the answer, or nil.
	identify func(ctx context.Context, t *target, b []byte) *result.Service
}

// tcpProbes are every TCP probe, in the order tried when the port number suggests
// none of them.
var tcpProbes = []tcpProbe{
	{name: "tls", payload: func(t *target) []byte {
		r := make([]byte, 32)
		io.ReadFull(t.d.o.Rand, r)
		return buildClientHello(verTLS12, r)
	}, complete: func(b []byte) bool { return len(b) >= 5 }, identify: identifyTLS},
	{name: "http", payload: func(t *target) []byte { return httpGet("/", t.hostHeader(t.port, false)) },
		complete: func([]byte) bool { return false }, identify: identifyHTTP},
	{name: "rdp", payload: func(*target) []byte { return rdpConnRequest },
		complete: func(b []byte) bool { _, _, err := parseRDPConfirm(b); return !errors.Is(err, errShort) },
		identify: identifyRDP},
	{name: "smb", payload: func(t *target) []byte {
		g := make([]byte, 16)
		io.ReadFull(t.d.o.Rand, g)
		return smbNegotiate(g)
	}, complete: func(b []byte) bool { _, err := parseSMBNegotiate(b); return !errors.Is(err, errShort) },
		identify: identifySMB},
	{name: "ldap", payload: func(*target) []byte { return ldapRootDSESearch(1) },
		complete: func(b []byte) bool { _, err := parseLDAPAnswer(b); return !errors.Is(err, errShort) },
		identify: identifyLDAP},
	{name: "redis", payload: func(*target) []byte { return redisPing },
		complete: func(b []byte) bool { return strings.Contains(string(b), "\n") }, identify: identifyRedis},
	{name: "postgresql", payload: func(*target) []byte { return pgSSLRequest },
		complete: func(b []byte) bool { return len(b) >= 1 }, identify: identifyPostgres},
	{name: "dns", payload: func(t *target) []byte {
		q := dnsVersionQuery(t.queryID())
		return append(binary.BigEndian.AppendUint16(nil, uint16(len(q))), q...)
	}, complete: func(b []byte) bool { return len(b) >= 2 && len(b) >= 2+int(binary.BigEndian.Uint16(b)) },
		identify: identifyDNSTCP},
}

// probeHints are the probes a port number suggests, tried first.
var probeHints = map[uint16]string{
	443: "tls", 465: "tls", 636: "tls", 853: "tls", 993: "tls", 995: "tls", 4443: "tls", 8443: "tls", 9443: "tls",
	80: "http", 81: "http", 591: "http", 8000: "http", 8008: "http", 8080: "http", 8888: "http", 9000: "http",
	3389: "rdp", 139: "smb", 445: "smb", 389: "ldap", 3268: "ldap", 6379: "redis", 5432: "postgresql", 53: "dns",
}

// probeOrder is the probes for port: the hinted one first, then the rest.
func probeOrder(port uint16) []tcpProbe {
	hint := probeHints[port]
	out := make([]tcpProbe, 0, len(tcpProbes))
	for _, p := range tcpProbes {
		if p.name == hint {
			out = append(out, p)
		}
	}
	for _, p := range tcpProbes {
		if p.name != hint {
			out = append(out, p)
		}
	}
	return out
}

func (t *target) queryID() uint16 {
	var b [2]byte
	io.ReadFull(t.d.o.Rand, b[:])
	return binary.BigEndian.Uint16(b[:])
}

func (t *target) detectTCP(ctx context.Context) *result.Service {
	c, err := t.dial(ctx, "tcp")
	if err != nil {
		return nil
	}
	order := probeOrder(t.port)
	if _, hinted := probeHints[t.port]; !hinted {
		// Give the port the chance to speak first.
		b, _ := readSome(c, t.d.o.BannerWait, 16<<10)
		if len(b) > 0 {
			if s := t.fromGreeting(ctx, b, c); s != nil {
				return s
			}
			c.Close()
			return &result.Service{Name: "unknown", Banner: printable(firstPart(b)), Method: "banner"}
		}
	}
	for _, p := range order {
		if ctx.Err() != nil {
			if c != nil {
				c.Close()
			}
			return nil
		}
		if c == nil {
			if c, err = t.dial(ctx, "tcp"); err != nil {
				return nil
			}
		}
		c.SetWriteDeadline(time.Now().Add(t.d.o.ReadTimeout))
		_, werr := c.Write(p.payload(t))
		var b []byte
		if werr == nil {
			b, _ = readUntil(c, t.d.o.ReadTimeout, 256<<10, p.complete)
		}
		c.Close()
		c = nil
		if len(b) == 0 {
			continue
		}
		// A greeting comes first whatever was sent (an SSH server on port 443).
		if s := t.fromGreeting(ctx, b, nil); s != nil {
			return s
		}
		if s := p.identify(ctx, t, b); s != nil {
			return s
		}
	}
	return nil
}

func firstPart(b []byte) string {
	if l, ok := firstLine(b); ok {
		return l
	}
	return string(b)
}

// fromGreeting recognises what a server said first. c is the connection that
// greeting came on, with nothing sent yet, for the enrichment to go on with (nil:
// it dials anew); fromGreeting closes it.
func (t *target) fromGreeting(ctx context.Context, b []byte, c net.Conn) *result.Service {
	closeC := func() {
		if c != nil {
			c.Close()
		}
	}
	if s, ok := sshGreeting(b); ok {
		t.sshEnrich(ctx, s, c)
		return s
	}
	if isTelnet(b) {
		s := &result.Service{Name: "telnet", Method: "banner"}
		if c != nil {
			s.Banner = t.telnetNegotiate(c, b)
			c.Close()
		}
		return s
	}
	if s, ok := parseMySQLGreeting(b); ok {
		closeC()
		return s
	}
	if s, ok := vncGreeting(b); ok {
		closeC()
		return s
	}
	if s, ok := pop3Greeting(b); ok {
		t.pop3Enrich(ctx, s, c)
		return s
	}
	if s, ok := imapGreeting(b); ok {
		t.imapEnrich(ctx, s, c)
		return s
	}
	if s, ambiguous, ok := codeGreeting(b); ok {
		if ambiguous {
			// Neither word said it: an SMTP server accepts EHLO, an FTP one
			// does not know it.
			s.Name = "ftp"
			if c != nil {
				ss := t.session(c)
				if ss.send(ehlo) == nil {
					if code, _, err := ss.codeReply(); err == nil && code == 250 {
						s.Name = "smtp"
					}
				}
				c.Close()
				c = nil
			}
		}
		switch s.Name {
		case "smtp":
			t.smtpEnrich(ctx, s, c)
		case "ftp":
			t.ftpEnrich(ctx, s, c)
		}
		return s
	}
	return nil
}

func identifyHTTP(ctx context.Context, t *target, b []byte) *result.Service {
	a, err := parseHTTPResponse(b)
	if err != nil {
		return nil
	}
	return t.httpService(ctx, a, false, "probe:http")
}

func identifyTLS(ctx context.Context, t *target, b []byte) *result.Service {
	if len(b) < 5 || (b[0] != 22 && b[0] != 21) || b[1] != 3 {
		return nil
	}
	open := func(ctx context.Context) (net.Conn, error) { return t.dial(ctx, "tcp") }
	facts := t.tlsFacts(ctx, open)
	s := t.innerTLS(ctx, open)
	s.TLS = facts
	return s
}

// innerTLS finds the protocol spoken inside TLS: a greeting, else HTTP, else LDAP.
func (t *target) innerTLS(ctx context.Context, open opener) *result.Service {
	s := &result.Service{Name: "ssl", Method: "probe:tls"}
	tc, err := t.tlsHandshake(ctx, open)
	if err != nil {
		return s
	}
	b, _ := readSome(tc, t.d.o.BannerWait/2, 16<<10)
	tc.Close()
	var inner *result.Service
	if len(b) > 0 {
		inner = t.fromGreeting(ctx, b, nil)
	} else {
		inner = t.innerProbe(ctx, open, httpGet("/", t.hostHeader(t.port, true)), func(b []byte) *result.Service {
			a, err := parseHTTPResponse(b)
			if err != nil {
				return nil
			}
			return t.httpService(ctx, a, true, "probe:tls+http")
		})
		if inner == nil {
			inner = t.innerProbe(ctx, open, ldapRootDSESearch(1), func(b []byte) *result.Service {
				return identifyLDAP(ctx, t, b)
			})
		}
	}
	if inner == nil {
		return s
	}
	switch inner.Name {
	case "https":
	case "http":
		inner.Name = "https"
	case "imap", "pop3", "smtp", "ftp", "ldap":
		inner.Name += "s"
	default:
		inner.Name = "ssl/" + inner.Name
	}
	if !strings.HasPrefix(inner.Method, "probe:tls") {
		inner.Method = "probe:tls+" + strings.TrimPrefix(inner.Method, "probe:")
	}
	return inner
}

func (t *target) innerProbe(ctx context.Context, open opener, req []byte, identify func([]byte) *result.Service) *result.Service {
	tc, err := t.tlsHandshake(ctx, open)
	if err != nil {
		return nil
	}
	defer tc.Close()
	b, _ := t.exchange(tc, req, 256<<10)
	if len(b) == 0 {
		return nil
	}
	return identify(b)
}

func identifyRDP(_ context.Context, _ *target, b []byte) *result.Service {
	sel, fail, err := parseRDPConfirm(b)
	if err != nil {
		return nil
	}
	s := &result.Service{Name: "ms-wbt-server", Method: "probe:rdp"}
	if sel != "" {
		setFact(s, "rdp.protocol", sel)
	} else {
		setFact(s, "rdp.failure", itoa(int(fail)))
	}
	return s
}

func identifySMB(_ context.Context, _ *target, b []byte) *result.Service {
	a, err := parseSMBNegotiate(b)
	if err != nil {
		return nil
	}
	s := &result.Service{Name: "microsoft-ds", Method: "probe:smb"}
	if a.SMB1 {
		setFact(s, "smb.dialect", "NT LM 0.12")
		return s
	}
	setFact(s, "smb.dialect", smbDialectName(a.Dialect))
	setFact(s, "smb.signing", a.Signing)
	return s
}

func identifyLDAP(_ context.Context, _ *target, b []byte) *result.Service {
	a, err := parseLDAPAnswer(b)
	if err != nil || a.ResultCode < 0 && len(a.Attrs) == 0 {
		return nil
	}
	return ldapService(a)
}

func identifyRedis(ctx context.Context, t *target, b []byte) *result.Service {
	s, ok := parseRedisPing(b)
	if !ok {
		return nil
	}
	if s.Facts["redis.auth_required"] == "false" {
		if c, err := t.dial(ctx, "tcp"); err == nil {
			ib, _ := t.exchangeUntil(c, redisInfo, func(b []byte) bool {
				l, ok := firstLine(b)
				if !ok || !strings.HasPrefix(l, "$") {
					return ok
				}
				n := 0
				for _, ch := range l[1:] {
					n = n*10 + int(ch-'0')
				}
				return len(b) >= len(l)+2+n
			})
			c.Close()
			if kv, err := parseRedisInfo(ib); err == nil {
				s.Version = kv["redis_version"]
				for _, k := range []string{"redis_mode", "os"} {
					if v := kv[k]; v != "" {
						setFact(s, "redis."+strings.TrimPrefix(k, "redis_"), printable(v))
					}
				}
				if strings.HasPrefix(kv["os"], "Linux") {
					s.OS = "Linux"
				}
			}
		}
	}
	return s
}

func (t *target) exchangeUntil(c net.Conn, req []byte, done func([]byte) bool) ([]byte, error) {
	c.SetWriteDeadline(time.Now().Add(t.d.o.ReadTimeout))
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	return readUntil(c, t.d.o.ReadTimeout, 256<<10, done)
}

func identifyPostgres(ctx context.Context, t *target, b []byte) *result.Service {
	if len(b) != 1 || (b[0] != 'S' && b[0] != 'N') {
		return nil
	}
	// One byte is thin evidence: the startup message must be answered the
	// PostgreSQL way too.
	c, err := t.dial(ctx, "tcp")
	if err != nil {
		return nil
	}
	ab, _ := t.exchangeUntil(c, pgStartup(), func(b []byte) bool {
		_, _, err := parsePgStartupAnswer(b)
		return !errors.Is(err, errShort)
	})
	c.Close()
	fields, auth, err := parsePgStartupAnswer(ab)
	if err != nil {
		return nil
	}
	s := &result.Service{Name: "postgresql", Product: "PostgreSQL", Method: "probe:postgresql"}
	setFact(s, "postgresql.ssl", map[byte]string{'S': "true", 'N': "false"}[b[0]])
	if fields != nil {
		setFact(s, "postgresql.error", printable(fields['C']+" "+fields['M']))
		s.Banner = printable(fields['M'])
	} else {
		setFact(s, "postgresql.auth", itoa(int(auth)))
	}
	if b[0] == 'S' {
		s.TLS = t.tlsFacts(ctx, func(ctx context.Context) (net.Conn, error) {
			c, err := t.dial(ctx, "tcp")
			if err != nil {
				return nil, err
			}
			r, err := t.exchangeUntil(c, pgSSLRequest, func(b []byte) bool { return len(b) >= 1 })
			if err != nil || len(r) != 1 || r[0] != 'S' {
				c.Close()
				return nil, errors.New("postgresql: SSLRequest refused")
			}
			c.SetDeadline(time.Time{})
			return c, nil
		})
		if s.TLS != nil {
			s.TLS.STARTTLS = "postgresql"
		}
	}
	return s
}

func identifyDNSTCP(_ context.Context, _ *target, b []byte) *result.Service {
	if len(b) < 2 {
		return nil
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return nil
	}
	a, err := parseDNSResponse(b[2 : 2+n])
	if err != nil {
		return nil
	}
	return dnsService(a, "probe:dns-tcp")
}

// telnetNegotiate refuses every option the server asks for, round after round
// (inetutils' telnetd negotiates in three before it prints its banner and
// login's prompt), until a prompt ends the text, the server stops sending or
// BannerWait has passed, and returns the text seen.
func (t *target) telnetNegotiate(c net.Conn, first []byte) string {
	end := time.Now().Add(t.d.o.BannerWait)
	var text []string
	b := first
	for round := 0; round < 8 && len(b) > 0; round++ {
		ans, tx := telnetRefuse(b)
		if tx != "" {
			text = append(text, tx)
		}
		if strings.HasSuffix(tx, ":") {
			break // a prompt (login:, Password:) waits for us
		}
		if len(ans) > 0 {
			c.SetWriteDeadline(time.Now().Add(t.d.o.ReadTimeout))
			if _, err := c.Write(ans); err != nil {
				break
			}
		}
		wait := time.Until(end)
		if wait <= 0 {
			break
		}
		b, _ = readSome(c, wait, 16<<10)
	}
	return printable(strings.Join(text, " "))
}
