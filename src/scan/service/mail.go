package service

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/src/scan/result"
)

// Line protocols: FTP (RFC 959), SMTP (RFC 5321), POP3 (RFC 1939) and IMAP
// (RFC 9051), their greetings, capability lists and STARTTLS (RFC 4217, 3207, 2595).

// session is a connection read line by line.
type session struct {
	t  *target
	c  net.Conn
	br *bufio.Reader
}

func (t *target) session(c net.Conn) *session {
	return &session{t: t, c: c, br: bufio.NewReader(c)}
}

func (s *session) send(line string) error {
	s.c.SetWriteDeadline(time.Now().Add(s.t.d.o.ReadTimeout))
	_, err := io.WriteString(s.c, line+"\r\n")
	return err
}

func (s *session) line() (string, error) {
	s.c.SetReadDeadline(time.Now().Add(s.t.d.o.ReadTimeout))
	l, err := s.br.ReadString('\n')
	if len(l) > 4096 {
		return "", errors.New("line too long")
	}
	return strings.TrimRight(l, "\r\n"), err
}

// codeReply reads an FTP or SMTP reply: "ddd-text" lines up to "ddd text".
func (s *session) codeReply() (int, []string, error) {
	var lines []string
	for i := 0; i < 200; i++ {
		l, err := s.line()
		if err != nil {
			return 0, lines, err
		}
		lines = append(lines, l)
		if code, last := replyCode(l); code != 0 && last {
			return code, lines, nil
		}
	}
	return 0, lines, errors.New("reply too long")
}

// replyCode parses the code of an FTP/SMTP reply line and whether the line ends the
// reply.
func replyCode(l string) (int, bool) {
	if len(l) < 3 {
		return 0, false
	}
	code, err := strconv.Atoi(l[:3])
	if err != nil || code < 100 || code > 599 {
		return 0, false
	}
	return code, len(l) == 3 || l[3] == ' '
}

// parseCodeReply parses bytes holding one complete FTP/SMTP reply.
func parseCodeReply(b []byte) (int, []string, bool) {
	var lines []string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if !strings.HasSuffix(l, "\n") {
			break
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		code, last := replyCode(l)
		if code == 0 {
			return 0, nil, false
		}
		if last {
			return code, lines, true
		}
	}
	return 0, nil, false
}

type productRule struct {
	re      *regexp.Regexp
	product string
	// os names the operating system when the rule matches.
	os string
}

// applyRules sets the product (version, extra, OS) of the first rule that matches
// text and says whether one did.
func applyRules(s *result.Service, text string, rules []productRule) bool {
	matched := false
	for _, r := range rules {
		m := r.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		s.Product = r.product
		if len(m) > 1 {
			s.Version = m[1]
		}
		if len(m) > 2 && m[2] != "" {
			s.Extra = m[2]
		}
		if r.os != "" {
			s.OS = r.os
		}
		matched = true
		break
	}
	if s.OS == "" {
		for _, os := range []string{"Debian", "Ubuntu", "Red Hat", "CentOS", "FreeBSD", "Windows"} {
			if strings.Contains(text, "("+os) || strings.Contains(text, os+"/") {
				s.OS = os
				break
			}
		}
	}
	return matched
}

var ftpRules = []productRule{
	{re: regexp.MustCompile(`\(vsFTPd (\d[\w.]*)\)`), product: "vsftpd"},
	{re: regexp.MustCompile(`ProFTPD (\d[\w.]*)`), product: "ProFTPD"},
	{re: regexp.MustCompile(`ProFTPD`), product: "ProFTPD"},
	{re: regexp.MustCompile(`Pure-FTPd`), product: "Pure-FTPd"},
	{re: regexp.MustCompile(`FileZilla Server(?: version)? (\d[\w.\-]*)`), product: "FileZilla ftpd", os: "Windows"},
	{re: regexp.MustCompile(`Microsoft FTP Service`), product: "Microsoft ftpd", os: "Windows"},
	{re: regexp.MustCompile(`\bbftpd (\d[\w.]*)`), product: "bftpd"},
}

var smtpRules = []productRule{
	{re: regexp.MustCompile(`ESMTP Exim (\d[\w.]*)`), product: "Exim"},
	{re: regexp.MustCompile(`ESMTP Postfix`), product: "Postfix"},
	{re: regexp.MustCompile(`Sendmail (\d[\w.]*)`), product: "Sendmail"},
	{re: regexp.MustCompile(`OpenSMTPD`), product: "OpenSMTPD"},
	{re: regexp.MustCompile(`Microsoft ESMTP MAIL Service(?:, Version: ([\d.]+))?`), product: "Microsoft Exchange smtpd", os: "Windows"},
	{re: regexp.MustCompile(`ESMTP Haraka (\d[\w.]*)`), product: "Haraka"},
}

var pop3Rules = []productRule{
	{re: regexp.MustCompile(`Dovecot`), product: "Dovecot"},
	{re: regexp.MustCompile(`Cyrus POP3 v?(\d[\w.\-]*)`), product: "Cyrus pop3d"},
	{re: regexp.MustCompile(`Courier`), product: "Courier pop3d"},
}

var imapRules = []productRule{
	{re: regexp.MustCompile(`Dovecot`), product: "Dovecot"},
	{re: regexp.MustCompile(`Cyrus IMAP v?(\d[\w.\-]*)`), product: "Cyrus imapd"},
	{re: regexp.MustCompile(`Courier-IMAP`), product: "Courier imapd"},
}

var (
	ftpWord  = regexp.MustCompile(`(?i)ftp`)
	smtpWord = regexp.MustCompile(`(?i)\b(e?smtp|mail)\b|postfix|exim|sendmail`)
)

// codeGreeting recognises a "220" greeting of FTP or SMTP. ambiguous is set when
// the text says neither (the caller asks with EHLO).
func codeGreeting(b []byte) (s *result.Service, ambiguous, ok bool) {
	code, lines, ok := parseCodeReply(b)
	if !ok || (code != 220 && code != 120 && code != 421 && code != 554) {
		return nil, false, false
	}
	text := strings.Join(lines, "\n")
	s = &result.Service{Banner: printable(lines[0]), Method: "banner"}
	// A product both names the protocol and wins over the words.
	if applyRules(s, text, ftpRules) {
		s.Name = "ftp"
		return s, false, true
	}
	if applyRules(s, text, smtpRules) {
		s.Name = "smtp"
		return s, false, true
	}
	switch {
	case smtpWord.MatchString(text) && !ftpWord.MatchString(text):
		s.Name = "smtp"
	case ftpWord.MatchString(text):
		s.Name = "ftp"
	default:
		return s, true, true
	}
	return s, false, true
}

// ftpEnrich tries anonymous login and AUTH TLS.
func (t *target) ftpEnrich(ctx context.Context, s *result.Service, c net.Conn) {
	ss, err := t.greeted(ctx, c, func(ss *session) error {
		code, _, err := ss.codeReply()
		if err == nil && code != 220 {
			err = fmt.Errorf("ftp greeting %d", code)
		}
		return err
	})
	if err != nil {
		return
	}
	defer ss.c.Close()
	if !t.d.o.NoLogin {
		if err := ss.send("USER anonymous"); err != nil {
			return
		}
		code, _, err := ss.codeReply()
		if err != nil {
			return
		}
		if code == 331 {
			if ss.send("PASS picket@example.invalid") != nil {
				return
			}
			code, _, err = ss.codeReply()
			if err != nil {
				return
			}
		}
		setFact(s, "ftp.anonymous", strconv.FormatBool(code == 230))
	}
	if ss.send("FEAT") != nil {
		return
	}
	code, lines, err := ss.codeReply()
	if err == nil && code == 211 {
		var feats []string
		for _, l := range lines[1 : len(lines)-1] {
			feats = append(feats, strings.TrimSpace(l))
		}
		setFact(s, "ftp.features", strings.Join(feats, ","))
		if containsFold(feats, "AUTH TLS") {
			ss.send("QUIT")
			s.TLS = t.tlsFacts(ctx, t.ftpAuthTLS)
			if s.TLS != nil {
				s.TLS.STARTTLS = "ftp"
			}
			return
		}
	}
	ss.send("QUIT")
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) || strings.HasPrefix(strings.ToUpper(x), strings.ToUpper(s)+" ") {
			return true
		}
	}
	return false
}

func (t *target) ftpAuthTLS(ctx context.Context) (net.Conn, error) {
	return t.startTLS(ctx, func(ss *session) error {
		if code, _, err := ss.codeReply(); err != nil || code != 220 {
			return fmt.Errorf("ftp greeting: %d %v", code, err)
		}
		if err := ss.send("AUTH TLS"); err != nil {
			return err
		}
		if code, _, err := ss.codeReply(); err != nil || code != 234 {
			return fmt.Errorf("AUTH TLS: %d %v", code, err)
		}
		return nil
	})
}

// greeted returns a session past the greeting: on c, whose greeting was read, or
// on a new connection whose greeting readGreeting reads.
func (t *target) greeted(ctx context.Context, c net.Conn, readGreeting func(*session) error) (*session, error) {
	if c != nil {
		return t.session(c), nil
	}
	c, err := t.dial(ctx, "tcp")
	if err != nil {
		return nil, err
	}
	ss := t.session(c)
	if err := readGreeting(ss); err != nil {
		c.Close()
		return nil, err
	}
	return ss, nil
}

// startTLS dials and runs the exchange before a STARTTLS upgrade; the connection it
// returns is ready for a ClientHello.
func (t *target) startTLS(ctx context.Context, exchange func(*session) error) (net.Conn, error) {
	c, err := t.dial(ctx, "tcp")
	if err != nil {
		return nil, err
	}
	ss := t.session(c)
	if err := exchange(ss); err != nil {
		c.Close()
		return nil, fmt.Errorf("starttls with %s: %w", t.hostport(), err)
	}
	if ss.br.Buffered() > 0 {
		c.Close()
		return nil, fmt.Errorf("starttls with %s: bytes after the go-ahead", t.hostport())
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

const ehlo = "EHLO picket.invalid"

// smtpEnrich reads the EHLO extensions and, with STARTTLS, the TLS facts.
func (t *target) smtpEnrich(ctx context.Context, s *result.Service, c net.Conn) {
	ss, err := t.greeted(ctx, c, smtpGreeting)
	if err != nil {
		return
	}
	defer ss.c.Close()
	if ss.send(ehlo) != nil {
		return
	}
	code, lines, err := ss.codeReply()
	if err != nil || code != 250 {
		return
	}
	var exts []string
	for _, l := range lines[1:] {
		if len(l) > 4 {
			exts = append(exts, l[4:])
		}
	}
	setFact(s, "smtp.extensions", strings.Join(exts, ","))
	ss.send("QUIT")
	if containsFold(exts, "STARTTLS") {
		s.TLS = t.tlsFacts(ctx, t.smtpStartTLS)
		if s.TLS != nil {
			s.TLS.STARTTLS = "smtp"
		}
	}
}

func smtpGreeting(ss *session) error {
	code, _, err := ss.codeReply()
	if err == nil && code != 220 {
		err = fmt.Errorf("smtp greeting %d", code)
	}
	return err
}

func (t *target) smtpStartTLS(ctx context.Context) (net.Conn, error) {
	return t.startTLS(ctx, func(ss *session) error {
		if err := smtpGreeting(ss); err != nil {
			return err
		}
		if err := ss.send(ehlo); err != nil {
			return err
		}
		if code, _, err := ss.codeReply(); err != nil || code != 250 {
			return fmt.Errorf("EHLO: %d %v", code, err)
		}
		if err := ss.send("STARTTLS"); err != nil {
			return err
		}
		if code, _, err := ss.codeReply(); err != nil || code != 220 {
			return fmt.Errorf("STARTTLS: %d %v", code, err)
		}
		return nil
	})
}

// pop3Greeting recognises "+OK text" (RFC 1939 section 4).
func pop3Greeting(b []byte) (*result.Service, bool) {
	l, ok := firstLine(b)
	if !ok || !strings.HasPrefix(l, "+OK") {
		return nil, false
	}
	s := &result.Service{Name: "pop3", Banner: printable(l), Method: "banner"}
	applyRules(s, l, pop3Rules)
	return s, true
}

// imapGreeting recognises "* OK", "* PREAUTH" or "* BYE" (RFC 9051 section 7.1).
func imapGreeting(b []byte) (*result.Service, bool) {
	l, ok := firstLine(b)
	if !ok {
		return nil, false
	}
	if !strings.HasPrefix(l, "* OK") && !strings.HasPrefix(l, "* PREAUTH") && !strings.HasPrefix(l, "* BYE") {
		return nil, false
	}
	s := &result.Service{Name: "imap", Banner: printable(l), Method: "banner"}
	applyRules(s, l, imapRules)
	return s, true
}

func firstLine(b []byte) (string, bool) {
	l, _, ok := strings.Cut(string(b), "\n")
	if !ok {
		return "", false
	}
	return strings.TrimRight(l, "\r"), true
}

func (t *target) pop3Enrich(ctx context.Context, s *result.Service, c net.Conn) {
	ss, err := t.greeted(ctx, c, pop3Ok)
	if err != nil {
		return
	}
	defer ss.c.Close()
	if ss.send("CAPA") != nil {
		return
	}
	if l, err := ss.line(); err != nil || !strings.HasPrefix(l, "+OK") {
		return
	}
	var caps []string
	for i := 0; i < 100; i++ {
		l, err := ss.line()
		if err != nil || l == "." {
			break
		}
		caps = append(caps, l)
	}
	setFact(s, "pop3.capabilities", strings.Join(caps, ","))
	ss.send("QUIT")
	if containsFold(caps, "STLS") {
		s.TLS = t.tlsFacts(ctx, func(ctx context.Context) (net.Conn, error) {
			return t.startTLS(ctx, func(ss *session) error {
				if err := pop3Ok(ss); err != nil {
					return err
				}
				if err := ss.send("STLS"); err != nil {
					return err
				}
				return pop3Ok(ss)
			})
		})
		if s.TLS != nil {
			s.TLS.STARTTLS = "pop3"
		}
	}
}

func pop3Ok(ss *session) error {
	l, err := ss.line()
	if err == nil && !strings.HasPrefix(l, "+OK") {
		err = fmt.Errorf("pop3: %q", printable(l))
	}
	return err
}

func (t *target) imapEnrich(ctx context.Context, s *result.Service, c net.Conn) {
	ss, err := t.greeted(ctx, c, imapOk)
	if err != nil {
		return
	}
	defer ss.c.Close()
	lines, err := imapCommand(ss, "a1", "CAPABILITY")
	if err != nil {
		return
	}
	var caps []string
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "* CAPABILITY "); ok {
			caps = append(caps, strings.Fields(rest)...)
		}
	}
	setFact(s, "imap.capabilities", strings.Join(caps, " "))
	imapCommand(ss, "a2", "LOGOUT")
	if containsFold(caps, "STARTTLS") {
		s.TLS = t.tlsFacts(ctx, func(ctx context.Context) (net.Conn, error) {
			return t.startTLS(ctx, func(ss *session) error {
				if err := imapOk(ss); err != nil {
					return err
				}
				_, err := imapCommand(ss, "a1", "STARTTLS")
				return err
			})
		})
		if s.TLS != nil {
			s.TLS.STARTTLS = "imap"
		}
	}
}

func imapOk(ss *session) error {
	l, err := ss.line()
	if err == nil && !strings.HasPrefix(l, "* OK") {
		err = fmt.Errorf("imap: %q", printable(l))
	}
	return err
}

// imapCommand sends tag command and reads the untagged lines up to the tagged OK.
func imapCommand(ss *session, tag, command string) ([]string, error) {
	if err := ss.send(tag + " " + command); err != nil {
		return nil, err
	}
	var lines []string
	for i := 0; i < 200; i++ {
		l, err := ss.line()
		if err != nil {
			return lines, err
		}
		if rest, ok := strings.CutPrefix(l, tag+" "); ok {
			if strings.HasPrefix(rest, "OK") {
				return lines, nil
			}
			return lines, fmt.Errorf("imap %s: %s", command, printable(rest))
		}
		lines = append(lines, l)
	}
	return lines, errors.New("imap: answer too long")
}
