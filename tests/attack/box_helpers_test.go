package attack_test

// Helpers of the box-side attack tests (box_*_test.go): the real netmgrd
// (the in-memory stand-in backend, which needs no namespace) and consoled
// on a real pty, built or found by testinput.

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/testkit/syncbuf"
	"picket.dev/picket/src/testkit/testinput"
)

// boxStart runs a daemon until the test ends and returns its output,
// shown in the test log on failure (testinput.Daemon).
func boxStart(t *testing.T, path string, args ...string) *syncbuf.Buffer {
	t.Helper()
	return testinput.Daemon(t, path, args...)
}

// boxNetmgrd starts netmgrd with the in-memory backend and returns its
// socket, once it answers.
func boxNetmgrd(t *testing.T) (socket string, log *syncbuf.Buffer) {
	t.Helper()
	dir := t.TempDir()
	socket = filepath.Join(dir, "netmgr.sock")
	log = boxStart(t, testinput.Command(t, "netmgrd"), "-backend", "memory", "-socket", socket,
		"-data", filepath.Join(dir, "data"), "-resolv", "")
	c := netapi.Dial(socket)
	defer c.Close()
	guard := time.Now().Add(60 * time.Second) // a hang guard
	for {
		if _, err := c.Status(context.Background()); err == nil {
			return socket, log
		} else if time.Now().After(guard) {
			t.Fatalf("netmgrd does not answer on %s: %v", socket, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// boxConfigJSON is the configuration in force, as JSON, to compare.
func boxConfigJSON(t *testing.T, socket string) string {
	t.Helper()
	c := netapi.Dial(socket)
	defer c.Close()
	cv, err := c.Config(context.Background())
	if err != nil {
		t.Fatalf("read the configuration: %v", err)
	}
	b, err := json.Marshal(cv.Config)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// boxTerminal is the operator's side of a pty: everything the console
// sent, and a way to wait for a text in it.
type boxTerminal struct {
	mu   sync.Mutex
	seen bytes.Buffer
	more chan struct{}
}

func (term *boxTerminal) write(p []byte) {
	term.mu.Lock()
	term.seen.Write(p)
	term.mu.Unlock()
	select {
	case term.more <- struct{}{}:
	default:
	}
}

func (term *boxTerminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.seen.String()
}

// waitFor waits until text appears in the console output after offset
// from, and returns the offset after it.
func (term *boxTerminal) waitFor(t *testing.T, from int, text string, guard time.Duration) int {
	t.Helper()
	deadline := time.After(guard) // a hang guard, not a timing assertion
	for {
		out := term.output()
		if i := strings.Index(out[min(from, len(out)):], text); i >= 0 {
			return from + i + len(text)
		}
		select {
		case <-term.more:
		case <-deadline:
			t.Fatalf("console never showed %q; it sent:\n%.3000q", text, out[min(from, len(out)):])
		}
	}
}
