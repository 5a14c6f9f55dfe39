package service

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/src/scan/result"
)

// HTTP/1.1 (RFC 9110, 9112): GET / with Connection: close, the status, Server
// header and page title, following redirects that stay on the scanned host.

// hostHeader is the Host header for the target on port: the address literal, with
// the port when it is not the scheme's default.
func (t *target) hostHeader(port uint16, https bool) string {
	h := t.addr.String()
	if t.addr.Is6() {
		h = "[" + h + "]"
	}
	if (https && port == 443) || (!https && port == 80) {
		return h
	}
	return h + ":" + strconv.Itoa(int(port))
}

func httpGet(path, host string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nUser-Agent: Mozilla/5.0 (compatible; PicketScan/1.0)\r\nAccept: */*\r\nConnection: close\r\n\r\n")
}

// httpAnswer is what one response said.
type httpAnswer struct {
	Status   int
	Server   string
	Title    string
	Location string
	Headers  http.Header
}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// parseHTTPResponse reads a response, whose body may be cut short.
func parseHTTPResponse(b []byte) (*httpAnswer, error) {
	if !bytes.HasPrefix(b, []byte("HTTP/")) {
		return nil, errors.New("http: not a response")
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	a := &httpAnswer{
		Status:   resp.StatusCode,
		Server:   printable(resp.Header.Get("Server")),
		Location: resp.Header.Get("Location"),
		Headers:  resp.Header,
	}
	if m := titleRE.FindSubmatch(body); m != nil {
		a.Title = printable(strings.Join(strings.Fields(html.UnescapeString(string(m[1]))), " "))
	}
	return a, nil
}

var serverRules = []struct {
	re      *regexp.Regexp
	product string
}{
	{regexp.MustCompile(`^nginx(?:/(\d[\w.]*))?`), "nginx"},
	{regexp.MustCompile(`^openresty(?:/(\d[\w.]*))?`), "OpenResty"},
	{regexp.MustCompile(`^Apache(?:/(\d[\w.]*))?`), "Apache httpd"},
	{regexp.MustCompile(`^lighttpd(?:/(\d[\w.\-]*))?`), "lighttpd"},
	{regexp.MustCompile(`^Microsoft-IIS(?:/(\d[\w.]*))?`), "Microsoft IIS httpd"},
	{regexp.MustCompile(`^Microsoft-HTTPAPI(?:/(\d[\w.]*))?`), "Microsoft HTTPAPI httpd"},
	{regexp.MustCompile(`^Caddy`), "Caddy"},
	{regexp.MustCompile(`^Jetty\((\d[\w.\-]*)\)`), "Jetty"},
	{regexp.MustCompile(`^SimpleHTTP/(\d[\w.]*)`), "SimpleHTTPServer"},
	{regexp.MustCompile(`^Werkzeug/(\d[\w.]*)`), "Werkzeug httpd"},
	{regexp.MustCompile(`^mini_httpd/(\d[\w.]*)`), "mini_httpd"},
	{regexp.MustCompile(`^Boa/(\d[\w.]*)`), "Boa"},
}

var serverComment = regexp.MustCompile(`\(([^)]*)\)`)

// serverProduct reads product, version and extra out of a Server header.
func serverProduct(s *result.Service, server string) {
	if server == "" {
		return
	}
	for _, r := range serverRules {
		if m := r.re.FindStringSubmatch(server); m != nil {
			s.Product = r.product
			if len(m) > 1 {
				s.Version = m[1]
			}
			break
		}
	}
	if s.Product == "" {
		// product/version as RFC 9110 section 10.2.4 has it.
		tok := strings.Fields(server)[0]
		name, ver, _ := strings.Cut(tok, "/")
		s.Product, s.Version = name, ver
	}
	if m := serverComment.FindStringSubmatch(server); m != nil && m[1] != s.Version {
		s.Extra = m[1]
		for _, os := range []string{"Debian", "Ubuntu", "Red Hat", "CentOS", "FreeBSD", "Win32", "Win64"} {
			if strings.Contains(m[1], os) {
				s.OS = strings.TrimSuffix(strings.TrimSuffix(os, "32"), "64")
				if strings.HasPrefix(os, "Win") {
					s.OS = "Windows"
				}
				break
			}
		}
	}
}

// httpService describes a web server from its first answer and follows the
// redirects of that answer that stay on the host.
func (t *target) httpService(ctx context.Context, a *httpAnswer, https bool, method string) *result.Service {
	name := "http"
	if https {
		name = "https"
	}
	s := &result.Service{Name: name, Method: method, Banner: a.Server}
	serverProduct(s, a.Server)
	facts := &result.HTTPFacts{Status: a.Status, Server: a.Server, Title: a.Title}
	cur := &url.URL{Scheme: "http", Host: t.hostHeader(t.port, https), Path: "/"}
	if https {
		cur.Scheme = "https"
	}
	for i := 0; i < 5 && a.Status >= 300 && a.Status < 400 && a.Location != ""; i++ {
		next, err := cur.Parse(a.Location)
		if err != nil {
			break
		}
		facts.Redirects = append(facts.Redirects, a.Location)
		port, ok := t.sameHost(next)
		if !ok {
			break // another host: not ours to contact
		}
		na, err := t.fetch(ctx, next, port)
		if err != nil {
			break
		}
		a, cur = na, next
		facts.Status, facts.Title = a.Status, a.Title
		if a.Server != "" {
			facts.Server = a.Server
		}
	}
	s.HTTP = facts
	return s
}

// sameHost says whether u points at the scanned address, and on which port.
func (t *target) sameHost(u *url.URL) (uint16, bool) {
	if u.Scheme != "http" && u.Scheme != "https" {
		return 0, false
	}
	h := u.Hostname()
	ip, err := netip.ParseAddr(h)
	if err != nil || ip.Unmap() != t.addr.Unmap() {
		return 0, false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return 0, false
		}
		return uint16(n), true
	}
	if u.Scheme == "https" {
		return 443, true
	}
	return 80, true
}

// fetch GETs u (on the scanned address, at port).
func (t *target) fetch(ctx context.Context, u *url.URL, port uint16) (*httpAnswer, error) {
	c, err := t.dialPort(ctx, "tcp", port)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "https" {
		tc := tls.Client(c, t.goTLSConfig())
		tc.SetDeadline(time.Now().Add(t.d.o.ReadTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	defer c.Close()
	b, err := t.exchange(c, httpGet(u.RequestURI(), u.Host), 256<<10)
	if len(b) == 0 {
		return nil, err
	}
	return parseHTTPResponse(b)
}

// exchange writes req and reads the answer until the peer closes, the read timeout
// passes or max bytes came.
func (t *target) exchange(c net.Conn, req []byte, max int) ([]byte, error) {
	c.SetWriteDeadline(time.Now().Add(t.d.o.ReadTimeout))
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	return readUntil(c, t.d.o.ReadTimeout, max, func([]byte) bool { return false })
}
