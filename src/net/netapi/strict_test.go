package netapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/netstore"
)

// rawPost sends body to path on s's socket as a plain HTTP client would,
// and returns the status code and the API error, if any.
func rawPost(t *testing.T, s *served, path, body string) (int, *netapi.Error) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", s.path)
	}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Post("http://netmgr"+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var er struct {
		Error *netapi.Error `json:"error"`
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(raw, &er); err != nil {
			t.Fatalf("HTTP %d with a body that is not an API error: %q", resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, er.Error
}

// TestStrictRequests: a request body is one JSON document of the route's
// shape. Trailing bytes and unknown fields were accepted (issue 12: a
// misspelt field was dropped and the change applied without it), and an
// error repeated the value it refused, however long.
func TestStrictRequests(t *testing.T) {
	long := strings.Repeat("Q", 9000)
	static := `{"config":{"lan":{"method":"static","address":"192.168.77.10/24","gateway":"192.168.77.1","dns1":"192.168.77.1"}}}`
	tests := []struct {
		name, path, body string
		want             string // in the error message
	}{
		{"trailing object", "/v1/apply", static + `{"config":{}}`, "trailing data"},
		{"trailing brace", "/v1/apply", static + `}`, "trailing data"},
		{"trailing bracket", "/v1/apply", static + `]`, "trailing data"},
		{"trailing garbage", "/v1/mode", `{"mode":"ipv6-only"} x`, "trailing data"},
		{"unknown top-level field", "/v1/apply", `{"config":{},"force":true}`, `unknown field "force"`},
		{"unknown nested field", "/v1/apply", `{"config":{"lan":{"method":"static","adress":"192.168.77.10/24"}}}`, `unknown field "adress"`},
		{"unknown platform field", "/v1/platform", `{"scan_vlans":[],"evil":1}`, `unknown field "evil"`},
		{"unknown link field", "/v1/link", `{"state":"ok","x":1}`, `unknown field`},
		{"huge unknown field", "/v1/apply", `{"` + long + `":1}`, "unknown field"},
		{"huge bad address", "/v1/apply", `{"config":{"lan":{"method":"static","address":"` + long + `"}}}`, `field "config.lan.address"`},
		{"huge bad mode", "/v1/mode", `{"mode":"` + long + `"}`, `field "mode": netcfg: unknown mode`},
		{"huge bad vlan address", "/v1/platform", `{"scan_vlans":[{"id":7,"name":"n","address":"` + long + `"}]}`, `field "scan_vlans[0].address"`},
		{"huge malformed", "/v1/apply", `{"config":"` + long, "no complete JSON"},
		{"9000-character VLAN name", "/v1/platform", `{"scan_vlans":[{"id":7,"name":"` + long + `","address":"10.7.0.2/24"}]}`, "platform.scan_vlans[0].name: 9000 bytes; at most 32 characters allowed"},
	}
	store, dir := newStore(t)
	s := serve(t, newManager(t, store, nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, apiErr := rawPost(t, s, tt.path, tt.body)
			if code != http.StatusBadRequest || apiErr == nil {
				t.Fatalf("HTTP %d %+v, want 400 with an error", code, apiErr)
			}
			if !strings.Contains(apiErr.Message, tt.want) {
				t.Errorf("error %q does not say %q", apiErr.Message, tt.want)
			}
			if strings.Contains(apiErr.Message, strings.Repeat("Q", 100)) || len(apiErr.Message) > 400 {
				t.Errorf("error echoes the request (%d bytes): %.300q", len(apiErr.Message), apiErr.Message)
			}
		})
	}
	if fileExists(filepath.Join(dir, netstore.ConfigFile)) {
		t.Error("a refused request changed the stored configuration")
	}
	c := s.dial(t)
	if cv, err := c.Config(t.Context()); err != nil || cv.Config.Mode != netcfg.ModeDual || cv.Config.LAN.Method != netcfg.IPv4DHCP || len(cv.Config.Platform.ScanVLANs) != 0 {
		t.Errorf("configuration in force after refused requests: %+v (%v)", cv.Config, err)
	}
	// The same requests, well formed, go through.
	if code, apiErr := rawPost(t, s, "/v1/apply", static); code != http.StatusOK {
		t.Errorf("well-formed apply: HTTP %d %+v", code, apiErr)
	}
	if code, apiErr := rawPost(t, s, "/v1/platform", `{"scan_vlans":[{"id":7,"name":"`+strings.Repeat("v", netcfg.MaxNameLen)+`","address":"10.7.0.2/24"}]}`); code != http.StatusOK {
		t.Errorf("platform with a 64-byte name: HTTP %d %+v", code, apiErr)
	}
}

// TestStalledBodyTimesOut: a request whose body stops arriving (slow
// loris) was held open for ever (issue 12). It is now answered or closed
// within the read timeout, changes nothing, and the server goes on serving
// others meanwhile.
func TestStalledBodyTimesOut(t *testing.T) {
	const readTimeout = 500 * time.Millisecond
	store, dir := newStore(t)
	s := serve(t, newManager(t, store, nil), netapi.WithTimeouts(0, readTimeout, 0))
	conn, err := net.Dial("unix", s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"config":{"lan":{"method":"static","address":"192.168.77.10/24","gateway":"192.168.77.1","dns1":"192.168.77.1"}}}`
	// Everything but the last byte: the JSON is complete but for its
	// closing brace, and the length promises one more byte.
	fmt.Fprintf(conn, "POST /v1/apply HTTP/1.1\r\nHost: netmgr\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:len(body)-1])
	start := time.Now()
	// Another caller is served while the stalled one waits.
	if _, err := s.dial(t).Status(t.Context()); err != nil {
		t.Fatalf("status while a body stalls: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a hang guard
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	waited := time.Since(start)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatalf("stalled request answered HTTP %d", resp.StatusCode)
		}
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("stalled request still open after %v", waited)
	}
	if waited > readTimeout+5*time.Second {
		t.Errorf("stalled request ended after %v; read timeout %v", waited, readTimeout)
	}
	if fileExists(filepath.Join(dir, netstore.ConfigFile)) {
		t.Error("the stalled request changed the stored configuration")
	}
}

// TestReadTimeoutSparesLongCalls: the read timeout bounds how long a
// request takes to arrive, not how long it runs: an Apply held up by the
// scan-cancel hook (which watches its context), and a subscription, must
// outlive it. (net/http lifts the read deadline once a body is read; a
// request context canceled at the deadline would refuse the change.)
func TestReadTimeoutSparesLongCalls(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	store, _ := newStore(t)
	canc := &ctxCanceler{released: make(chan struct{})}
	s := serve(t, newManager(t, store, canc), netapi.WithTimeouts(readTimeout, readTimeout, readTimeout))
	c := s.dial(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sub, err := c.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := recv(t, sub)
	done := make(chan error, 1)
	go func() {
		_, err := c.Apply(t.Context(), staticLAN(), netapi.ApplyOptions{})
		done <- err
	}()
	time.Sleep(4 * readTimeout) // the Apply waits in the hook past the timeout
	close(canc.released)
	if err := <-done; err != nil {
		t.Fatalf("apply that ran past the read timeout: %v", err)
	}
	for st := recv(t, sub); ; st = recv(t, sub) {
		if st.Seq > first.Seq && st.Interfaces[0].IPv4.Method == netapi.MethodStatic {
			break
		}
	}
}

// ctxCanceler is a ScanCanceler that holds a change until released, or
// fails it when the request's context ends first.
type ctxCanceler struct{ released chan struct{} }

func (c *ctxCanceler) CancelScan(ctx context.Context, _ string) (bool, error) {
	select {
	case <-c.released:
		return false, nil
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
}
