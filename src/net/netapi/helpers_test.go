package netapi_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/netstore"
	"picket.dev/picket/src/net/standin"
	"picket.dev/picket/src/testkit/syncbuf"
)

// testPassword is distinctive, so finding it anywhere is a leak.
const testPassword = "Zq7-x!PW#leak42"

func fixedClock() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }

// newManager starts the network manager on a simulated kernel and network
// (the stand-in), stopped when the test ends. canceler may be nil.
func newManager(t *testing.T, store *netstore.Store, canceler netapi.ScanCanceler) *standin.StandIn {
	t.Helper()
	opt := standin.Options{Store: store, Rand: rand.Reader, Now: fixedClock}
	if canceler != nil {
		opt.Canceler = canceler
	}
	s, err := standin.Start(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// settled is v with what depends on timing cleared: the status sequence
// number, the lease times the DHCP clients take from the real clock, and
// how the gateway answered (ping and neighbour table race).
func settled(v any) any {
	if r, ok := v.(netapi.Result); ok && r.Test != nil {
		ct := settled(*r.Test).(netapi.ConnTest)
		r.Test = &ct
		return r
	}
	if ct, ok := v.(netapi.ConnTest); ok {
		ct.Steps = slices.Clone(ct.Steps)
		for i, s := range ct.Steps {
			if before, _, ok := strings.Cut(s.Detail, " answered "); ok && s.Name == netapi.StepGateway {
				ct.Steps[i].Detail = before + " answered"
			}
		}
		return ct
	}
	st, ok := v.(netapi.Status)
	if !ok {
		return v
	}
	st.Seq = 0
	if st.LastTest != nil {
		ct := settled(*st.LastTest).(netapi.ConnTest)
		st.LastTest = &ct
	}
	st.Interfaces = slices.Clone(st.Interfaces)
	for i, ifc := range st.Interfaces {
		if l := ifc.IPv4.Lease; l != nil {
			cp := *l
			cp.Obtained, cp.T1, cp.T2, cp.Expiry, cp.Requested = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
			st.Interfaces[i].IPv4.Lease = &cp
		}
	}
	return st
}

func newStore(t *testing.T) (*netstore.Store, string) {
	t.Helper()
	dir := t.TempDir()
	return netstore.New(netstore.DirFS(dir), rand.Reader), dir
}

// fakeCanceler is a ScanCanceler that records its calls.
type fakeCanceler struct {
	mu       sync.Mutex
	calls    int
	running  bool
	err      error
	reasons  []string
	released chan struct{} // if not nil, CancelScan waits for it
}

func (f *fakeCanceler) CancelScan(ctx context.Context, reason string) (bool, error) {
	if f.released != nil {
		<-f.released
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.reasons = append(f.reasons, reason)
	if f.err != nil {
		return false, f.err
	}
	was := f.running
	f.running = false
	return was, nil
}

func (f *fakeCanceler) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// served is a manager behind a server on a real unix socket.
type served struct {
	path string
	srv  *netapi.Server
	log  *syncbuf.Buffer
	done chan error // Serve's result
}

// serve starts a server for m on a socket in a fresh temporary directory
// and shuts it down at the end of the test.
func serve(t *testing.T, m netapi.Manager, opts ...netapi.Option) *served {
	t.Helper()
	s := &served{path: filepath.Join(t.TempDir(), "netmgr.sock"), log: &syncbuf.Buffer{}, done: make(chan error, 1)}
	l, err := netapi.Listen(s.path)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.srv = netapi.NewServer(m, append([]netapi.Option{netapi.WithLogger(logger)}, opts...)...)
	go func() { s.done <- s.srv.Serve(l) }()
	t.Cleanup(func() {
		if err := s.srv.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-s.done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s
}

// dial returns a client of s, closed at the end of the test.
func (s *served) dial(t *testing.T) *netapi.Client {
	t.Helper()
	c := netapi.Dial(s.path)
	t.Cleanup(func() { c.Close() })
	return c
}

// recorder keeps a copy of every response body a client receives.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	all  []*syncbuf.Buffer
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	b := &syncbuf.Buffer{}
	r.mu.Lock()
	r.all = append(r.all, b)
	r.mu.Unlock()
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(resp.Body, b), resp.Body}
	return resp, nil
}

func (r *recorder) bodies() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.all {
		out = append(out, b.String())
	}
	return out
}

// recv returns the next status, failing the test if the channel closes.
// The guard against a hang is generous; it is not a timing assertion.
func recv(t *testing.T, ch <-chan netapi.Status) netapi.Status {
	t.Helper()
	select {
	case st, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed early")
		}
		return st
	case <-time.After(time.Minute):
		t.Fatal("no status within a minute")
	}
	return netapi.Status{}
}

// closed waits until ch is closed, draining it.
func closed(t *testing.T, ch <-chan netapi.Status) {
	t.Helper()
	guard := time.After(time.Minute)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-guard:
			t.Fatal("subscription not closed within a minute")
		}
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }

func staticLAN() netcfg.Config {
	c := netcfg.Default()
	c.LAN = netcfg.LAN{
		Method:  netcfg.IPv4Static,
		Address: mustPrefix("192.168.77.10/24"),
		Gateway: mustAddr("192.168.77.1"),
		DNS1:    mustAddr("192.168.77.1"),
		DNS2:    mustAddr("192.168.77.54"),
	}
	return c
}

func withProxy(c netcfg.Config, password string) netcfg.Config {
	c.Proxy = netcfg.Proxy{Host: "proxy.example.com", Port: 3128, User: "scan", Password: netcfg.NewSecret(password)}
	return c
}

// invalidConfig has three independent problems.
func invalidCfg() netcfg.Config {
	c := staticLAN()
	c.LAN.Gateway = mustAddr("198.51.100.1") // outside the subnet
	c.VLAN = 5000                            // out of range
	c.Proxy = netcfg.Proxy{Host: "proxy.example.com", Port: 0}
	return c
}

func kindOf(t *testing.T, err error) netapi.Kind {
	t.Helper()
	var e *netapi.Error
	if err != nil && !errors.As(err, &e) {
		t.Errorf("error %v (%T) is not an *Error", err, err)
	}
	return netapi.KindOf(err)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
