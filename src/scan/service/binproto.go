package service

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"picket.dev/picket/src/scan/result"
)

// MySQL and MariaDB (the server speaks first: the Initial Handshake packet of the
// client/server protocol, protocol version 10, or an ERR packet when the client's
// host is not allowed).

// parseMySQLGreeting reads a MySQL packet (3-byte length, sequence id 0) holding a
// HandshakeV10 or an ERR packet.
func parseMySQLGreeting(b []byte) (*result.Service, bool) {
	if len(b) < 5 {
		return nil, false
	}
	n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
	if b[3] != 0 || n < 1 || len(b) < 4+n || n > 1<<16 {
		return nil, false
	}
	p := b[4 : 4+n]
	s := &result.Service{Name: "mysql", Method: "banner"}
	switch p[0] {
	case 10:
		end := bytes.IndexByte(p[1:], 0)
		if end < 1 || len(p) < 1+end+1+4 {
			return nil, false
		}
		ver := string(p[1 : 1+end])
		if !printableASCII(ver) {
			return nil, false
		}
		s.Banner = ver
		s.Product, s.Version, s.Extra = mysqlVersion(ver)
		// After the version: connection id (4), auth-plugin-data part 1
		// (8), a filler (1), then the lower two bytes of the capability
		// flags, where CLIENT_SSL says the server can switch to TLS.
		if caps := 1 + end + 1 + 4 + 8 + 1; len(p) >= caps+2 {
			setFact(s, "mysql.ssl", fmt.Sprint(binary.LittleEndian.Uint16(p[caps:])&mysqlClientSSL != 0))
		}
		return s, true
	case 0xff:
		// ERR: code(2), then (protocol 4.1) "#" + 5-char sqlstate, then message.
		if len(p) < 3 {
			return nil, false
		}
		msg := string(p[3:])
		if strings.HasPrefix(msg, "#") && len(msg) >= 6 {
			msg = msg[6:]
		}
		if !printableASCII(msg) || !strings.Contains(msg, "MySQL") && !strings.Contains(msg, "MariaDB") && !strings.Contains(msg, "not allowed to connect") {
			return nil, false
		}
		s.Banner = printable(msg)
		switch {
		case strings.Contains(msg, "MariaDB"):
			s.Product = "MariaDB"
		case strings.Contains(msg, "MySQL"):
			s.Product = "MySQL"
		}
		setFact(s, "mysql.error", s.Banner)
		return s, true
	}
	return nil, false
}

// mysqlClientSSL is the CLIENT_SSL capability flag (0x800) of the client/server
// protocol: set in a server's handshake when it accepts an SSL request.
const mysqlClientSSL = 0x0800

var mysqlVer = regexp.MustCompile(`^(?:5\.5\.5-)?(\d+\.\d+\.\d+)(?:-(.*))?$`)

// mysqlVersion splits a server version string: "8.0.36-0ubuntu0.22.04.1",
// "10.11.6-MariaDB-0+deb12u1", "5.5.5-10.3.39-MariaDB-0+deb10u2" (MariaDB before 11
// sends the 5.5.5- prefix for old clients).
func mysqlVersion(v string) (product, version, extra string) {
	m := mysqlVer.FindStringSubmatch(v)
	if m == nil {
		return "MySQL", "", ""
	}
	product, version, extra = "MySQL", m[1], m[2]
	if rest, ok := strings.CutPrefix(extra, "MariaDB"); ok {
		product = "MariaDB"
		extra = strings.TrimPrefix(rest, "-")
	}
	return product, version, extra
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// printable keeps the printable ASCII of s (other bytes become '.'), at most 256.
func printable(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 256; i++ {
		c := s[i]
		switch {
		case c >= 0x20 && c <= 0x7e:
			b.WriteByte(c)
		case c == '\r' || c == '\n':
		default:
			b.WriteByte('.')
		}
	}
	return b.String()
}

// Telnet (RFC 854): servers open with option negotiation, IAC (255) followed by
// WILL, WONT, DO or DONT (251-254) and an option.

func isTelnet(b []byte) bool {
	return len(b) >= 3 && b[0] == 255 && b[1] >= 251 && b[1] <= 254
}

// telnetRefuse answers every DO with WONT and every WILL with DONT (we take no
// options), and returns the text the bytes carry with the negotiation stripped.
func telnetRefuse(b []byte) (answer []byte, text string) {
	var t []byte
	for i := 0; i < len(b); i++ {
		if b[i] != 255 {
			t = append(t, b[i])
			continue
		}
		if i+1 >= len(b) {
			break
		}
		switch cmd := b[i+1]; {
		case cmd >= 251 && cmd <= 254 && i+2 < len(b):
			opt := b[i+2]
			switch cmd {
			case 253: // DO
				answer = append(answer, 255, 252, opt)
			case 251: // WILL
				answer = append(answer, 255, 254, opt)
			}
			i += 2
		case cmd == 250: // SB ... IAC SE
			end := bytes.Index(b[i:], []byte{255, 240})
			if end < 0 {
				i = len(b)
			} else {
				i += end + 1
			}
		case cmd == 255:
			t = append(t, 255)
			i++
		default:
			i++
		}
	}
	// Lines become spaces: a banner and a prompt read as one line.
	return answer, strings.Join(strings.Fields(printable(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(t)))), " ")
}

// VNC (RFB, RFC 6143 section 7.1.1): "RFB 003.008\n".
var rfbVersion = regexp.MustCompile(`^RFB (\d{3})\.(\d{3})\n`)

func vncGreeting(b []byte) (*result.Service, bool) {
	m := rfbVersion.FindSubmatch(b)
	if m == nil {
		return nil, false
	}
	s := &result.Service{Name: "vnc", Banner: printable(string(b[:11])), Method: "banner"}
	setFact(s, "vnc.protocol", strings.TrimLeft(string(m[1]), "0")+"."+strings.TrimLeft(string(m[2]), "0"))
	return s, true
}

// Redis (RESP, redis.io/docs/reference/protocol-spec): PING answers "+PONG", or an
// error when a password is set or protected mode refuses remote clients.

var redisPing = []byte("PING\r\n")
var redisInfo = []byte("INFO server\r\n")

// parseRedisPing recognises the answer to PING.
func parseRedisPing(b []byte) (*result.Service, bool) {
	l, ok := firstLine(b)
	if !ok {
		return nil, false
	}
	s := &result.Service{Name: "redis", Method: "probe:redis", Banner: printable(l)}
	switch {
	case l == "+PONG":
		setFact(s, "redis.auth_required", "false")
	case strings.HasPrefix(l, "-NOAUTH"):
		setFact(s, "redis.auth_required", "true")
	case strings.HasPrefix(l, "-DENIED"):
		setFact(s, "redis.protected_mode", "true")
	default:
		return nil, false
	}
	s.Product = "Redis"
	return s, true
}

// parseRedisInfo reads the bulk string answer to INFO server: "$len\r\n" and
// "key:value" lines.
func parseRedisInfo(b []byte) (map[string]string, error) {
	l, ok := firstLine(b)
	if !ok || !strings.HasPrefix(l, "$") {
		return nil, errors.New("redis: INFO answer is not a bulk string")
	}
	kv := map[string]string{}
	nl := bytes.IndexByte(b, '\n')
	for _, line := range strings.Split(string(b[nl+1:]), "\n") {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if ok && !strings.HasPrefix(k, "#") {
			kv[k] = v
		}
	}
	if len(kv) == 0 {
		return nil, errors.New("redis: INFO answer has no fields")
	}
	return kv, nil
}

// PostgreSQL (frontend/backend protocol 3.0, postgresql.org/docs/current/protocol).

// pgSSLRequest is the SSLRequest message: length 8, code 80877103.
var pgSSLRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// pgStartup is a StartupMessage for protocol 3.0, user and database "picket".
func pgStartup() []byte {
	body := []byte{0, 3, 0, 0}
	for _, kv := range []string{"user", "picket", "database", "picket", "application_name", "picket-scan"} {
		body = append(body, kv...)
		body = append(body, 0)
	}
	body = append(body, 0)
	return append(binary.BigEndian.AppendUint32(nil, uint32(4+len(body))), body...)
}

// parsePgStartupAnswer recognises the server's answer to the startup message: an
// authentication request ('R') or an ErrorResponse ('E') with its fields.
func parsePgStartupAnswer(b []byte) (fields map[byte]string, auth int32, err error) {
	if len(b) < 5 {
		return nil, 0, errShort
	}
	n := int(binary.BigEndian.Uint32(b[1:]))
	if n < 4 || n > 1<<16 {
		return nil, 0, fmt.Errorf("postgresql: message length %d", n)
	}
	if len(b) < 1+n {
		return nil, 0, errShort
	}
	body := b[5 : 1+n]
	switch b[0] {
	case 'R':
		if len(body) < 4 {
			return nil, 0, errors.New("postgresql: short authentication request")
		}
		return nil, int32(binary.BigEndian.Uint32(body)), nil
	case 'E':
		fields = map[byte]string{}
		for len(body) > 0 && body[0] != 0 {
			end := bytes.IndexByte(body[1:], 0)
			if end < 0 {
				return nil, 0, errors.New("postgresql: unterminated error field")
			}
			fields[body[0]] = string(body[1 : 1+end])
			body = body[2+end:]
		}
		if fields['S'] == "" && fields['C'] == "" {
			return nil, 0, errors.New("postgresql: error without severity or code")
		}
		return fields, 0, nil
	}
	return nil, 0, fmt.Errorf("postgresql: message type %q", b[0])
}

// SMB2 NEGOTIATE over direct TCP (MS-SMB2 sections 2.2.1, 2.2.3, 2.2.4): dialects
// 2.0.2, 2.1, 3.0 and 3.0.2 (3.1.1 needs negotiate contexts, and servers that speak
// it answer these too).

func smbNegotiate(guid []byte) []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64) // StructureSize
	binary.LittleEndian.PutUint16(h[14:], 1) // CreditRequest
	dialects := []uint16{0x0202, 0x0210, 0x0300, 0x0302}
	req := make([]byte, 36)
	binary.LittleEndian.PutUint16(req[0:], 36)
	binary.LittleEndian.PutUint16(req[2:], uint16(len(dialects)))
	binary.LittleEndian.PutUint16(req[4:], 1) // SecurityMode: signing enabled
	copy(req[12:28], guid)
	for _, d := range dialects {
		req = binary.LittleEndian.AppendUint16(req, d)
	}
	msg := append(h, req...)
	return append([]byte{0, byte(len(msg) >> 16), byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// smbAnswer is what a NEGOTIATE response said.
type smbAnswer struct {
	SMB1       bool
	Dialect    uint16
	Signing    string // "required", "enabled"
	ServerGUID []byte
}

// parseSMBNegotiate reads a direct-TCP framed SMB2 NEGOTIATE response (or any SMB1
// answer, from servers that speak only SMB1).
func parseSMBNegotiate(b []byte) (*smbAnswer, error) {
	if len(b) < 4 {
		return nil, errShort
	}
	if b[0] != 0 {
		return nil, errors.New("smb: not a direct-TCP frame")
	}
	n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if len(b) < 4+n {
		return nil, errShort
	}
	m := b[4 : 4+n]
	if len(m) >= 4 && string(m[:4]) == "\xffSMB" {
		return &smbAnswer{SMB1: true}, nil
	}
	if len(m) < 64+65 || string(m[:4]) != "\xfeSMB" {
		return nil, errors.New("smb: not an SMB2 header")
	}
	if cmd := binary.LittleEndian.Uint16(m[12:]); cmd != 0 {
		return nil, fmt.Errorf("smb: answer to command %d", cmd)
	}
	if status := binary.LittleEndian.Uint32(m[8:]); status != 0 {
		return nil, fmt.Errorf("smb: NEGOTIATE status 0x%08x", status)
	}
	r := m[64:]
	if binary.LittleEndian.Uint16(r) != 65 {
		return nil, errors.New("smb: bad NEGOTIATE response size")
	}
	a := &smbAnswer{Dialect: binary.LittleEndian.Uint16(r[4:]), ServerGUID: r[8:24]}
	a.Signing = "enabled"
	if binary.LittleEndian.Uint16(r[2:])&2 != 0 {
		a.Signing = "required"
	}
	return a, nil
}

func smbDialectName(d uint16) string {
	switch d {
	case 0x0202:
		return "2.0.2"
	case 0x0210:
		return "2.1"
	case 0x0300:
		return "3.0"
	case 0x0302:
		return "3.0.2"
	case 0x0311:
		return "3.1.1"
	case 0x02ff:
		return "2.???"
	}
	return fmt.Sprintf("0x%04x", d)
}

// RDP: an X.224 Connection Request in a TPKT (ITU-T T.123, X.224) carrying an
// RDP Negotiation Request for TLS and CredSSP (MS-RDPBCGR 2.2.1.1).
var rdpConnRequest = []byte{
	3, 0, 0, 19, // TPKT: version 3, length 19
	14, 0xe0, 0, 0, 0, 0, 0, // X.224 CR TPDU
	1, 0, 8, 0, 3, 0, 0, 0, // RDP_NEG_REQ: PROTOCOL_SSL | PROTOCOL_HYBRID
}

// parseRDPConfirm reads the X.224 Connection Confirm (MS-RDPBCGR 2.2.1.2) and the
// negotiation response or failure in it. It returns the protocol the server chose
// ("rdp", "tls", "credssp", ...) or the failure code.
func parseRDPConfirm(b []byte) (selected string, failure uint32, err error) {
	if len(b) < 4 {
		return "", 0, errShort
	}
	if b[0] != 3 || b[1] != 0 {
		return "", 0, errors.New("rdp: not a TPKT")
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	if n < 11 {
		return "", 0, errors.New("rdp: TPKT too short for a Connection Confirm")
	}
	if len(b) < n {
		return "", 0, errShort
	}
	x := b[4:n]
	if x[1]&0xf0 != 0xd0 {
		return "", 0, fmt.Errorf("rdp: X.224 TPDU 0x%02x is not a Connection Confirm", x[1])
	}
	if int(x[0])+1 > len(x) {
		return "", 0, errors.New("rdp: X.224 length overruns the TPKT")
	}
	neg := x[7:]
	if len(neg) < 8 {
		return "rdp", 0, nil // an old server without negotiation: standard RDP security
	}
	v := binary.LittleEndian.Uint32(neg[4:])
	switch neg[0] {
	case 2:
		switch v {
		case 0:
			return "rdp", 0, nil
		case 1:
			return "tls", 0, nil
		case 2:
			return "credssp", 0, nil
		case 8:
			return "credssp-early", 0, nil
		}
		return fmt.Sprintf("0x%x", v), 0, nil
	case 3:
		return "", v, nil
	}
	return "", 0, fmt.Errorf("rdp: negotiation type %d", neg[0])
}
