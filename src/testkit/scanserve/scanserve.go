// Package scanserve serves a scanner state a test sets through the real
// scanapi server on a unix socket, for the tests of what reads
// scanner.sock: the panel's loop, lcdd and consoled. The server, the
// socket and the client are the product's; only the job runner behind
// them is the test's.
package scanserve

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"picket.dev/picket/src/scan/scanapi"
)

// Scanner is a job runner whose state the test sets. It cancels nothing.
type Scanner struct {
	mu sync.Mutex
	st scanapi.State
}

// New returns a Scanner reporting st.
func New(st scanapi.State) *Scanner { return &Scanner{st: st} }

// State implements scanapi.Scanner.
func (s *Scanner) State() scanapi.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// Set changes what the scanner reports from now on.
func (s *Scanner) Set(st scanapi.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = st
}

// CancelScan implements scanapi.Scanner: there is no scan to stop.
func (s *Scanner) CancelScan(context.Context, string) (bool, error) { return false, nil }

// Serve serves sc with the real scanapi server on a socket in a directory
// of the test until it ends, and returns the socket's path and a client of
// it, as lcdd and consoled dial scanner.sock. log may be nil.
func Serve(t testing.TB, sc scanapi.Scanner, log *slog.Logger) (string, *scanapi.Client) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scanner.sock")
	ln, err := scanapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- scanapi.NewServer(sc, log, scanapi.Access{}).Serve(ctx, ln) }()
	c := scanapi.Dial(path)
	t.Cleanup(func() {
		c.Close()
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("scanapi server: %v", err)
		}
	})
	return path, c
}
