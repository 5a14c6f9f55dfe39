package attack_test

// Issue 12, item 10: netmgrd's local API. Against the real netmgrd (the
// in-memory backend) on its unix socket: a stalled request body is timed
// out; trailing bytes after the JSON and unknown fields are refused; a
// 9,000-character scanning-VLAN name is refused; and no error echoes the
// request body.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
)

// boxPost posts body to path on the socket and returns the HTTP status
// and the API error message.
func boxPost(t *testing.T, socket, path, body string) (int, string) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socket)
	}}, Timeout: time.Minute}
	defer hc.CloseIdleConnections()
	resp, err := hc.Post("http://netmgr"+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, ""
	}
	var er struct {
		Error *netapi.Error `json:"error"`
	}
	if err := json.Unmarshal(raw, &er); err != nil || er.Error == nil {
		t.Fatalf("POST %s: HTTP %d without an API error: %.300q", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, er.Error.Message
}

func TestBoxNetapiRefusesMalformedBodies(t *testing.T) {
	socket, log := boxNetmgrd(t)
	before := boxConfigJSON(t, socket)
	long := strings.Repeat("Z", 9000)
	static := `{"config":{"lan":{"method":"static","address":"192.168.77.10/24","gateway":"192.168.77.1","dns1":"192.168.77.1"}}}`
	for _, tt := range []struct{ name, path, body, want string }{
		{"trailing JSON", "/v1/apply", static + `{"config":{}}`, "trailing data"},
		{"trailing brace", "/v1/apply", static + `}`, "trailing data"},
		{"trailing garbage", "/v1/mode", `{"mode":"ipv6-only"}` + long, "trailing data"},
		{"unknown field", "/v1/apply", `{"config":{"lan":{"method":"static","adress":"192.168.77.10/24"}}}`, `unknown field "adress"`},
		{"unknown top-level field", "/v1/platform", `{"scan_vlans":[],"` + long + `":true}`, "unknown field"},
		{"9,000-character scanning VLAN name", "/v1/platform", `{"scan_vlans":[{"id":7,"name":"` + long + `","address":"10.7.0.2/24"}]}`, "platform.scan_vlans[0].name"},
		{"bad value echoed", "/v1/apply", `{"config":{"lan":{"method":"static","address":"` + long + `"}}}`, `field "config.lan.address"`},
		{"bad enumeration echoed", "/v1/mode", `{"mode":"` + long + `"}`, `field "mode"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := boxPost(t, socket, tt.path, tt.body)
			if code != http.StatusBadRequest || !strings.Contains(msg, tt.want) {
				t.Errorf("HTTP %d %.300q; want 400 saying %q", code, msg, tt.want)
			}
			if strings.Contains(msg, strings.Repeat("Z", 100)) || len(msg) > 400 {
				t.Errorf("error echoes the request (%d bytes): %.300q", len(msg), msg)
			}
		})
	}
	if after := boxConfigJSON(t, socket); after != before {
		t.Errorf("refused requests changed the configuration:\nbefore %s\nafter  %s", before, after)
	}
	if strings.Contains(log.String(), strings.Repeat("Z", 100)) {
		t.Error("netmgrd logged a request body")
	}
	// Well-formed, the same change is applied.
	if code, msg := boxPost(t, socket, "/v1/apply", static); code != http.StatusOK {
		t.Errorf("well-formed apply: HTTP %d %s", code, msg)
	}
}

// TestBoxNetapiStalledBody: a request that sends its headers and part of
// its body, then nothing (slow loris), is ended by the server within its
// read timeout, while other callers are served.
func TestBoxNetapiStalledBody(t *testing.T) {
	socket, _ := boxNetmgrd(t)
	before := boxConfigJSON(t, socket)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	body := `{"config":{"vlan":42}}`
	for range 20 {
		c, err := net.Dial("unix", socket)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST /v1/apply HTTP/1.1\r\nHost: netmgr\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:len(body)-1])
	}
	start := time.Now()
	if before2 := boxConfigJSON(t, socket); before2 != before {
		t.Fatalf("configuration changed by a partial body: %s", before2)
	}
	for i, c := range conns {
		c.SetReadDeadline(start.Add(netapi.DefaultReadTimeout + 30*time.Second)) // a hang guard
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatalf("stalled request %d answered HTTP 200", i)
			}
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("stalled request %d still open after %v (read timeout %v)", i, time.Since(start), netapi.DefaultReadTimeout)
		}
	}
	if waited := time.Since(start); waited > netapi.DefaultReadTimeout+10*time.Second {
		t.Errorf("stalled requests ended after %v; read timeout %v", waited, netapi.DefaultReadTimeout)
	}
	if after := boxConfigJSON(t, socket); after != before {
		t.Errorf("stalled requests changed the configuration: %s", after)
	}
}
