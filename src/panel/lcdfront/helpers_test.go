package lcdfront

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netstore"
	"picket.dev/picket/src/net/standin"
	"picket.dev/picket/src/testkit/fakeclock"
)

// waitLimit bounds every wait for the daemon: only a broken build gets
// near it, so it is a failure, not a pace.
const waitLimit = 10 * time.Second

func lookupBoard(t *testing.T, name string) board.Board {
	t.Helper()
	b, err := board.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// tWriter sends the daemon's log to the test's, so it shows on failure.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newMemory is a fresh in-memory network manager with its store in a
// temporary directory.
func newMemory(t *testing.T) *standin.StandIn {
	t.Helper()
	store := netstore.New(netstore.DirFS(t.TempDir()), rand.Reader)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	m, err := standin.Start(standin.Options{Store: store, Rand: rand.Reader, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Stop() })
	return m
}

// socketPath is where the test's network manager listens. Unix socket
// paths are short (108 bytes), so the directory is kept short too.
func socketPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "n.sock")
}

// serve serves m on a unix socket at path until the test ends.
func serve(t *testing.T, m netapi.Manager, path string) {
	t.Helper()
	l, err := netapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- netapi.Serve(ctx, l, m) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("serve: %v", err)
		}
	})
}

// newFakeClock is a clock that moves only when the test advances it or
// fires its timers (the retry waits).
func newFakeClock(t *testing.T) *fakeclock.Clock {
	return fakeclock.New(t, time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
}

type power struct {
	mu                 sync.Mutex
	reboots, shutdowns int
}

func (p *power) Reboot(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reboots++
	return nil
}

func (p *power) Shutdown(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shutdowns++
	return nil
}

// screen is the terminal backend's stdout: safe for the daemon to write
// while the test reads, and it wakes waiters on every write.
type screen struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newScreen() *screen { return &screen{changed: make(chan struct{}, 1)} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitUntil waits for cond, checked after every change signalled on
// changed, and fails the test after waitLimit.
func waitUntil(t *testing.T, what string, changed <-chan struct{}, cond func() bool, show func() string) {
	t.Helper()
	limit := time.After(waitLimit)
	for !cond() {
		select {
		case <-changed:
		case <-limit:
			t.Fatalf("timed out waiting for %s; display:\n%s", what, show())
		}
	}
}

// eventually polls cond every 5 ms, for what has no change signal (the
// LED pins are written beside the LCD, so a drawn frame alone does not say
// they are set), and fails the test after waitLimit with show's text.
func eventually(t *testing.T, what string, cond func() bool, show func() string) {
	t.Helper()
	limit := time.Now().Add(waitLimit) // a hang guard, not a pace
	for !cond() {
		if time.Now().After(limit) {
			t.Fatalf("never saw %s; %s", what, show())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// running is a Run in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, o Options) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- Run(ctx, o) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop ends Run as SIGTERM does and checks that it ended cleanly.
func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.done == nil {
		return
	}
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run = %v, want nil after the context ended", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after the context ended")
	}
	r.done = nil
}

// stopBeforeServer stops the panel and closes its client while the server
// still runs, for tests that started their server after the panel (whose
// cleanups would otherwise stop the server first). An idle connection the
// client keeps open would hold up the server's graceful shutdown.
func stopBeforeServer(t *testing.T, r *running, client *netapi.Client) {
	t.Helper()
	r.stop(t)
	client.Close()
}
