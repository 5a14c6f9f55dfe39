package svcbench

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"picket.dev/picket/src/testkit/netbench"
)

// The Go listeners: each speaks the opening exchange of its protocol as the
// specification has it, with greetings that name no product ("svcbench"), so a
// detector has to know the protocol, not a product's wording. MySQL is the
// exception: its greeting carries a server version by definition (ListenerMySQL).

// ListenerMySQLVersion is the server version the MySQL listener's handshake says.
const ListenerMySQLVersion = "8.0.36"

// ListenerCN is the common name of the certificate of the listeners' STARTTLS.
const ListenerCN = "mail.svcbench.test"

func (b *Bench) startListeners() {
	ca := netbench.NewCA(b.t)
	cert := ca.Issue(b.t, ListenerCN)
	tcfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	b.serve(SMTP, func(c net.Conn) { smtpSession(c, tcfg) })
	b.serve(POP3, func(c net.Conn) { pop3Session(c, tcfg) })
	b.serve(IMAP, func(c net.Conn) { imapSession(c, tcfg) })
	b.serve(Telnet, telnetSession)
	b.serve(MySQL, mysqlSession)
	b.serve(PostgreSQL, pgSession)
	b.serve(SMB, smbSession)
	b.serve(RDP, rdpSession)
	b.serve(LDAP, ldapSession)
	b.serve(Silent, func(c net.Conn) { io.Copy(io.Discard, c) })
	b.serveNTP()
}

// serve accepts on ServerAddr:port in the server namespace, one goroutine per
// connection, until cleanup.
func (b *Bench) serve(port int, h func(net.Conn)) {
	l := b.Server.Listen("tcp", netip.AddrPortFrom(ServerAddr, uint16(port)).String())
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				h(c)
			}()
		}
	}()
}

// lineConn reads CRLF lines and writes replies; STARTTLS swaps the connection.
type lineConn struct {
	c  net.Conn
	br *bufio.Reader
}

func newLineConn(c net.Conn) *lineConn { return &lineConn{c: c, br: bufio.NewReader(c)} }

func (l *lineConn) say(s string) bool {
	_, err := io.WriteString(l.c, s)
	return err == nil
}

func (l *lineConn) read() (string, bool) {
	s, err := l.br.ReadString('\n')
	if err != nil {
		return "", false
	}
	return strings.TrimRight(s, "\r\n"), true
}

func (l *lineConn) startTLS(cfg *tls.Config) bool {
	tc := tls.Server(l.c, cfg)
	if tc.Handshake() != nil {
		return false
	}
	l.c, l.br = tc, bufio.NewReader(tc)
	return true
}

// smtpSession: RFC 5321 greeting, EHLO with STARTTLS (RFC 3207), QUIT.
func smtpSession(c net.Conn, cfg *tls.Config) {
	l := newLineConn(c)
	l.say("220 svcbench.test ESMTP service ready\r\n")
	tlsOn := false
	for {
		cmd, ok := l.read()
		if !ok {
			return
		}
		verb := strings.ToUpper(strings.Fields(cmd + " x")[0])
		switch verb {
		case "EHLO":
			ext := "250-STARTTLS\r\n"
			if tlsOn {
				ext = ""
			}
			l.say("250-svcbench.test greets you\r\n250-PIPELINING\r\n" + ext + "250-SIZE 10240000\r\n250 8BITMIME\r\n")
		case "HELO":
			l.say("250 svcbench.test\r\n")
		case "STARTTLS":
			if tlsOn {
				l.say("503 5.5.1 TLS already active\r\n")
				continue
			}
			l.say("220 2.0.0 Ready to start TLS\r\n")
			if !l.startTLS(cfg) {
				return
			}
			tlsOn = true
		case "QUIT":
			l.say("221 2.0.0 Bye\r\n")
			return
		case "NOOP", "RSET":
			l.say("250 2.0.0 OK\r\n")
		default:
			l.say("502 5.5.2 Command not recognized\r\n")
		}
	}
}

// pop3Session: RFC 1939 greeting, CAPA (RFC 2449), STLS (RFC 2595), QUIT.
func pop3Session(c net.Conn, cfg *tls.Config) {
	l := newLineConn(c)
	l.say("+OK svcbench POP3 server ready\r\n")
	for {
		cmd, ok := l.read()
		if !ok {
			return
		}
		switch strings.ToUpper(strings.Fields(cmd + " x")[0]) {
		case "CAPA":
			l.say("+OK Capability list follows\r\nTOP\r\nUIDL\r\nSTLS\r\nUSER\r\n.\r\n")
		case "STLS":
			l.say("+OK Begin TLS negotiation\r\n")
			if !l.startTLS(cfg) {
				return
			}
		case "QUIT":
			l.say("+OK Bye\r\n")
			return
		default:
			l.say("-ERR Unknown command\r\n")
		}
	}
}

// imapSession: RFC 9051 greeting, CAPABILITY, STARTTLS, LOGOUT.
func imapSession(c net.Conn, cfg *tls.Config) {
	l := newLineConn(c)
	const caps = "IMAP4rev1 STARTTLS LOGINDISABLED"
	l.say("* OK [CAPABILITY " + caps + "] svcbench IMAP server ready\r\n")
	for {
		line, ok := l.read()
		if !ok {
			return
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			l.say("* BAD Missing command\r\n")
			continue
		}
		tag := f[0]
		switch strings.ToUpper(f[1]) {
		case "CAPABILITY":
			l.say("* CAPABILITY " + caps + "\r\n" + tag + " OK CAPABILITY completed\r\n")
		case "STARTTLS":
			l.say(tag + " OK Begin TLS negotiation now\r\n")
			if !l.startTLS(cfg) {
				return
			}
		case "LOGOUT":
			l.say("* BYE Logging out\r\n" + tag + " OK LOGOUT completed\r\n")
			return
		case "NOOP":
			l.say(tag + " OK NOOP completed\r\n")
		default:
			l.say(tag + " BAD Unknown command\r\n")
		}
	}
}

// telnetSession: option negotiation (RFC 854, 857, 858, 1091), then a login
// prompt.
func telnetSession(c net.Conn) {
	// IAC DO TERMINAL-TYPE, IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD.
	c.Write([]byte{255, 253, 24, 255, 251, 1, 255, 251, 3})
	buf := make([]byte, 512)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	c.Read(buf)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(c, "\r\nsvcbench login: ")
	io.Copy(io.Discard, c)
}

// mysqlSession: the Initial Handshake packet, protocol version 10 (MySQL client/
// server protocol, "Connection Phase").
func mysqlSession(c net.Conn) {
	p := []byte{10}
	p = append(p, ListenerMySQLVersion...)
	p = append(p, 0)
	p = binary.LittleEndian.AppendUint32(p, 42)     // connection id
	p = append(p, "abcdefgh"...)                    // auth-plugin-data part 1
	p = append(p, 0)                                // filler
	p = binary.LittleEndian.AppendUint16(p, 0xffff) // capabilities (lower)
	p = append(p, 0xff)                             // character set utf8mb4_0900_ai_ci
	p = binary.LittleEndian.AppendUint16(p, 2)      // status: autocommit
	p = binary.LittleEndian.AppendUint16(p, 0xdfff) // capabilities (upper)
	p = append(p, 21)                               // auth-plugin-data length
	p = append(p, make([]byte, 10)...)              // reserved
	p = append(p, "ijklmnopqrst"...)                // auth-plugin-data part 2
	p = append(p, 0)
	p = append(p, "caching_sha2_password"...)
	p = append(p, 0)
	hdr := []byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), 0}
	c.Write(append(hdr, p...))
	io.Copy(io.Discard, c)
}

// pgSession: SSLRequest answered 'N', a StartupMessage answered with the
// ErrorResponse a server without a matching pg_hba.conf entry sends.
func pgSession(c net.Conn) {
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(hdr[:]))
		if n < 8 || n > 10000 {
			return
		}
		body := make([]byte, n-4)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		code := binary.BigEndian.Uint32(body)
		if code == 80877103 { // SSLRequest
			c.Write([]byte{'N'})
			continue
		}
		var e []byte
		for _, f := range []string{"SFATAL", "VFATAL", "C28000", `Mno pg_hba.conf entry for host "10.77.0.1", user "picket", database "picket", no encryption`} {
			e = append(e, f...)
			e = append(e, 0)
		}
		e = append(e, 0)
		msg := append([]byte{'E'}, binary.BigEndian.AppendUint32(nil, uint32(4+len(e)))...)
		c.Write(append(msg, e...))
		return
	}
}

// smbSession answers a NEGOTIATE (MS-SMB2 2.2.4): dialect 3.0.2 to an SMB2
// request, the wildcard 2.??? (0x02ff) to an SMB1 one, as Windows does.
func smbSession(c net.Conn) {
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		n := int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
		if n > 1<<16 {
			return
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(c, msg); err != nil || n < 4 {
			return
		}
		dialect := uint16(0x0302)
		var msgID uint64
		switch string(msg[:4]) {
		case "\xffSMB":
			dialect = 0x02ff
		case "\xfeSMB":
			if n < 64 || binary.LittleEndian.Uint16(msg[12:]) != 0 {
				return
			}
			msgID = binary.LittleEndian.Uint64(msg[24:])
		default:
			return
		}
		h := make([]byte, 64)
		copy(h, "\xfeSMB")
		binary.LittleEndian.PutUint16(h[4:], 64)
		binary.LittleEndian.PutUint16(h[14:], 1) // credits granted
		binary.LittleEndian.PutUint32(h[16:], 1) // SMB2_FLAGS_SERVER_TO_REDIR
		binary.LittleEndian.PutUint64(h[24:], msgID)
		r := make([]byte, 65)
		binary.LittleEndian.PutUint16(r[0:], 65)
		binary.LittleEndian.PutUint16(r[2:], 1) // signing enabled, not required
		binary.LittleEndian.PutUint16(r[4:], dialect)
		copy(r[8:24], "svcbench-guid-01")
		binary.LittleEndian.PutUint32(r[24:], 0x7f)  // capabilities
		binary.LittleEndian.PutUint32(r[28:], 8<<20) // max transact
		binary.LittleEndian.PutUint32(r[32:], 8<<20) // max read
		binary.LittleEndian.PutUint32(r[36:], 8<<20) // max write
		binary.LittleEndian.PutUint16(r[56:], 64+64) // security buffer offset
		out := append(h, r...)
		c.Write(append([]byte{0, byte(len(out) >> 16), byte(len(out) >> 8), byte(len(out))}, out...))
	}
}

// rdpSession answers an X.224 Connection Request with a Connection Confirm
// selecting TLS (MS-RDPBCGR 2.2.1.2), then closes.
func rdpSession(c net.Conn) {
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || buf[0] != 3 {
		return
	}
	rest := make([]byte, int(binary.BigEndian.Uint16(buf[2:]))-4)
	if _, err := io.ReadFull(c, rest); err != nil {
		return
	}
	c.Write([]byte{3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 1, 0, 0, 0})
}

// ldapSession answers a search of the root DSE (RFC 4511 4.5.2, RFC 4512 5.1)
// with one entry and success, whatever the search; anything else is closed.
func ldapSession(c net.Conn) {
	for {
		hdr := make([]byte, 2)
		if _, err := io.ReadFull(c, hdr); err != nil || hdr[0] != 0x30 {
			return
		}
		n := int(hdr[1])
		if n&0x80 != 0 {
			k := n & 0x7f
			lb := make([]byte, k)
			if _, err := io.ReadFull(c, lb); err != nil || k > 2 {
				return
			}
			n = 0
			for _, x := range lb {
				n = n<<8 | int(x)
			}
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(c, body); err != nil || len(body) < 3 || body[0] != 2 {
			return
		}
		id := body[2 : 2+int(body[1])]
		if 2+int(body[1]) >= len(body) || body[2+int(body[1])] != 0x63 {
			return
		}
		attr := func(name string, vals ...string) []byte {
			var set []byte
			for _, v := range vals {
				set = append(set, tlv(0x04, []byte(v))...)
			}
			return tlv(0x30, append(tlv(0x04, []byte(name)), tlv(0x31, set)...))
		}
		attrs := append(attr("namingContexts", "dc=svcbench,dc=test"), attr("supportedLDAPVersion", "3")...)
		entry := tlv(0x64, append(tlv(0x04, nil), tlv(0x30, attrs)...))
		done := tlv(0x65, append(append(tlv(0x0a, []byte{0}), tlv(0x04, nil)...), tlv(0x04, nil)...))
		msgID := tlv(0x02, id)
		c.Write(append(tlv(0x30, append(append([]byte{}, msgID...), entry...)), tlv(0x30, append(append([]byte{}, msgID...), done...))...))
	}
}

func tlv(tag byte, v []byte) []byte {
	switch n := len(v); {
	case n < 0x80:
		return append([]byte{tag, byte(n)}, v...)
	case n < 0x100:
		return append([]byte{tag, 0x81, byte(n)}, v...)
	default:
		return append([]byte{tag, 0x82, byte(n >> 8), byte(n)}, v...)
	}
}

// serveNTP answers client requests (mode 3) as a stratum 2 server would (RFC 5905
// 7.3): version echoed, mode 4, the client's transmit time as origin.
func (b *Bench) serveNTP() {
	var pc net.PacketConn
	err := b.Server.Do(func() error {
		var err error
		pc, err = net.ListenPacket("udp", netip.AddrPortFrom(ServerAddr, NTP).String())
		return err
	})
	if err != nil {
		b.t.Fatalf("svcbench: ntp listener: %v", err)
	}
	b.t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1024)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 48 || buf[0]&7 != 3 {
				continue
			}
			r := make([]byte, 48)
			r[0] = buf[0]&0x38 | 4
			r[1] = 2    // stratum
			r[2] = 6    // poll
			r[3] = 0xec // precision
			copy(r[12:16], []byte{10, 77, 0, 254})
			copy(r[24:32], buf[40:48])
			now := uint64(time.Now().Unix()+2208988800) << 32
			binary.BigEndian.PutUint64(r[16:], now)
			binary.BigEndian.PutUint64(r[32:], now)
			binary.BigEndian.PutUint64(r[40:], now)
			pc.WriteTo(r, from)
		}
	}()
}
