package platformlink

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/link/boxid"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/standin"
	"picket.dev/picket/src/testkit/fakeclock"
	"picket.dev/picket/src/testkit/netbench"
	"picket.dev/picket/src/testkit/syncbuf"
)

func TestMain(m *testing.M) {
	netbench.RunHelperIfAsked()
	os.Exit(m.Run())
}

// fakePlatform is the platform side, minimally: it verifies every
// request's signature and answers polls from its fields.
type fakePlatform struct {
	t      *testing.T
	nonces platformapi.NonceCache

	mu         sync.Mutex
	down       bool   // answer 503
	limited    string // answer 429 with this Retry-After ("-": none)
	jobsDown   bool   // answer 503 to job updates
	oversize   bool   // answer polls with more than MaxBody bytes
	jobStatus  int    // when not 0, answer job updates with this status
	canceled   bool   // answer job updates "canceled"
	active     bool
	name       string
	interval   int
	settings   *platformapi.Settings
	jobs       []platformapi.Job
	updates    []platformapi.UpdateNotice
	time       time.Time // PollResponse.Time
	polls      []platformapi.PollRequest
	remotes    []string
	keys       map[string]bool
	uploads    map[string]int // acknowledged UploadID -> times received
	lastUpload map[string]platformapi.JobUpdate
}

func newFakePlatform(t *testing.T) *fakePlatform {
	return &fakePlatform{t: t, interval: 2, keys: map[string]bool{}, uploads: map[string]int{}, lastUpload: map[string]platformapi.JobUpdate{}}
}

func (p *fakePlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, platformapi.MaxBody))
	pub, err := platformapi.Verify(r, body, time.Now(), &p.nonces)
	if err != nil {
		p.t.Errorf("platform: unverified request to %s: %v", r.URL.Path, err)
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(err)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[platformapi.EncodeKey(pub)] = true
	if p.limited != "" {
		if p.limited != "-" {
			w.Header().Set("Retry-After", p.limited)
		}
		w.WriteHeader(http.StatusTooManyRequests)
		json.NewEncoder(w).Encode(platformapi.Error{Code: platformapi.ErrRateLimited, Message: "slow down for the test"})
		return
	}
	if p.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(platformapi.Error{Code: platformapi.ErrInternal, Message: "down for the test"})
		return
	}
	switch r.URL.Path {
	case platformapi.PathPoll:
		var req platformapi.PollRequest
		if err := json.Unmarshal(body, &req); err != nil {
			p.t.Errorf("platform: poll body: %v", err)
		}
		p.polls = append(p.polls, req)
		p.remotes = append(p.remotes, r.RemoteAddr)
		resp := platformapi.PollResponse{State: platformapi.StateUnactivated, PollIntervalSeconds: p.interval, Time: p.time}
		if p.active {
			resp.State, resp.Name, resp.Settings, resp.Jobs, resp.Updates = platformapi.StateActive, p.name, p.settings, p.jobs, p.updates
		}
		if p.oversize {
			resp.Name = strings.Repeat("x", platformapi.MaxBody)
		}
		json.NewEncoder(w).Encode(resp)
	case platformapi.PathJobUpdate:
		if p.jobsDown {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(platformapi.Error{Code: platformapi.ErrInternal, Message: "job updates down for the test"})
			return
		}
		var u platformapi.JobUpdate
		if err := json.Unmarshal(body, &u); err != nil {
			p.t.Errorf("platform: job update body: %v", err)
		}
		p.uploads[u.UploadID]++
		p.lastUpload[u.UploadID] = u
		if p.jobStatus != 0 {
			w.WriteHeader(p.jobStatus)
			json.NewEncoder(w).Encode(platformapi.Error{Code: platformapi.ErrBadRequest, Message: "refused for the test"})
			return
		}
		json.NewEncoder(w).Encode(platformapi.JobUpdateResponse{Duplicate: p.uploads[u.UploadID] > 1, Canceled: p.canceled})
	default:
		http.NotFound(w, r)
	}
}

func (p *fakePlatform) set(f func(p *fakePlatform)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *fakePlatform) lastPoll() (platformapi.PollRequest, string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.polls) == 0 {
		return platformapi.PollRequest{}, "", 0
	}
	return p.polls[len(p.polls)-1], p.remotes[len(p.remotes)-1], len(p.polls)
}

// serveTLS serves p over TLS 1.3 on addr with a certificate for names
// from a new CA; it returns the CA.
func serveTLS(t *testing.T, l net.Listener, h http.Handler, names ...string) *netbench.CA {
	ca := netbench.NewCA(t)
	ts := httptest.NewUnstartedServer(h)
	ts.Listener.Close()
	ts.Listener = l
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, names...)}, MinVersion: tls.VersionTLS13}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ca
}

// manager wraps the network manager's stand-in (the real core on a
// simulated network): it can give a management source of the test's
// choice (the simulated network's addresses are not the host's) and
// counts ApplyPlatform calls. The link reaches it through the local API's
// server and client on a unix socket, as scannerd reaches netmgrd.
type manager struct {
	netapi.Manager
	mu      sync.Mutex
	src     netip.Addr
	pathErr error // ManagementPath fails with it (the manager restarting)
	applied int
	// rollback, when set, is the last rollback Status reports: the
	// stand-in's simulated network cannot be cut off by settings.
	rollback *netapi.Rollback
}

func (m *manager) ManagementPath(ctx context.Context) (netapi.ManagementPath, error) {
	p, err := m.Manager.ManagementPath(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pathErr != nil {
		return netapi.ManagementPath{}, m.pathErr
	}
	if m.src.IsValid() {
		p.Source = m.src
	}
	return p, err
}

func (m *manager) ApplyPlatform(ctx context.Context, p netcfg.Platform) (netapi.Result, error) {
	m.mu.Lock()
	m.applied++
	m.mu.Unlock()
	return m.Manager.ApplyPlatform(ctx, p)
}

// setRollback makes Status report rb as the manager's last rollback.
func (m *manager) setRollback(rb *netapi.Rollback) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rollback = rb
}

func (m *manager) Status(ctx context.Context) (netapi.Status, error) {
	st, err := m.Manager.Status(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rollback != nil {
		st.Rollback = m.rollback
	}
	return st, err
}

func (m *manager) applyCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.applied
}

func (m *manager) link(t *testing.T) netapi.PlatformLink {
	t.Helper()
	st, err := m.Manager.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Platform == nil {
		return netapi.PlatformLink{}
	}
	return *st.Platform
}

// rig is a link, its data directory, its manager and its platform.
type rig struct {
	dir    string
	id     *boxid.Identity
	mgr    *manager
	sock   string          // where the manager is served
	apiLog *syncbuf.Buffer // the local API server's log
	plat   *fakePlatform
	url    string
	ca     *netbench.CA
	clock  *fakeclock.Clock
	log    *syncbuf.Buffer
	rand   float64
	dial   DialFunc
	sigs   Signatures // the link's Config.Signatures
	upd    Updater    // the link's Config.Updater
}

// newRig serves a fake platform on 127.0.0.1, and the network manager's
// stand-in on a unix socket with the local API's default uids. The
// manager keeps its configuration in a directory of its own, apart from
// the link's data directory.
func newRig(t *testing.T) *rig {
	dir := t.TempDir()
	id, _, err := boxid.LoadOrCreate(dir, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mem, err := standin.Start(standin.Options{Dir: t.TempDir(), Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Stop() })
	plat := newFakePlatform(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ca := serveTLS(t, l, plat, "127.0.0.1")
	r := &rig{dir: dir, id: id, mgr: &manager{Manager: mem}, plat: plat, url: "https://" + l.Addr().String(), ca: ca, clock: fakeclock.New(t, time.Now()), log: &syncbuf.Buffer{}, rand: 0.5}
	r.serve(t)
	return r
}

// serve serves the manager on a new socket with opts, which the links
// made from then on dial.
func (r *rig) serve(t *testing.T, opts ...netapi.Option) {
	t.Helper()
	r.sock = filepath.Join(t.TempDir(), "netmgr.sock")
	ln, err := netapi.Listen(r.sock)
	if err != nil {
		t.Fatal(err)
	}
	r.apiLog = &syncbuf.Buffer{}
	opts = append([]netapi.Option{netapi.WithLogger(slog.New(slog.NewTextHandler(r.apiLog, nil)))}, opts...)
	srv := netapi.NewServer(r.mgr, opts...)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
}

func (r *rig) link(t *testing.T) *Link {
	t.Helper()
	c := netapi.Dial(r.sock)
	t.Cleanup(func() { c.Close() })
	l, err := New(Config{
		Platform: r.url, RootCAs: r.ca.Pool, Identity: r.id, Manager: c, DataDir: r.dir,
		Board: "virtual", Version: "1.2.3", Clock: r.clock, Rand: func() float64 { return r.rand },
		Log: slog.New(slog.NewTextHandler(r.log, nil)), Dial: r.dial, RequestTimeout: 20 * time.Second,
		Signatures: r.sigs, Updater: r.upd,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// run starts l.Run and stops it at cleanup.
func run(t *testing.T, l *Link) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
