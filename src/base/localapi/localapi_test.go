package localapi_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"picket.dev/picket/src/base/localapi"
)

func TestListenServeCall(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.sock")
	c := localapi.Dial("xapi", path)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Call(ctx, http.MethodGet, "/v1/x", "", nil, nil); !errors.Is(err, localapi.ErrUnavailable) {
		t.Fatalf("no server: %v, want ErrUnavailable", err)
	}
	// A stale socket (its server gone) is replaced.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	ln, err := localapi.Listen("xapi", path)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != localapi.SocketMode {
		t.Fatalf("socket mode %v, %v", fi.Mode(), err)
	}
	s := localapi.NewServer("xapi", nil, localapi.NewUIDs())
	s.Handle("GET /v1/x", func(w http.ResponseWriter, r *http.Request) {
		uid, ok := localapi.PeerUID(r)
		localapi.WriteJSON(w, http.StatusOK, map[string]any{"uid": uid, "ok": ok})
	})
	s.HandleFor("POST /v1/y", localapi.UIDs{4242: true}, "only 4242", func(w http.ResponseWriter, r *http.Request) {
		t.Error("a refused caller reached the handler")
	})
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var got struct {
		UID uint32
		OK  bool
	}
	if err := c.Call(ctx, http.MethodGet, "/v1/x", "", nil, &got); err != nil || !got.OK || got.UID != uint32(os.Getuid()) {
		t.Fatalf("GET = %+v, %v", got, err)
	}
	err = c.Call(ctx, http.MethodPost, "/v1/y", "application/json", []byte("{}"), nil)
	var se *localapi.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusForbidden || !strings.Contains(err.Error(), "xapi: /v1/y: HTTP 403: only 4242") {
		t.Fatalf("POST as a uid outside the route's set: %v", err)
	}
	if _, err := localapi.Listen("xapi", path); err == nil || !strings.Contains(err.Error(), "another server answers") {
		t.Fatalf("second Listen: %v", err)
	} else if want := "xapi: listen " + path + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("second Listen: %q, want it to start with the API's name and the path, %q", err, want)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := localapi.Listen("xapi", filepath.Join(dir, "file")); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Listen over a file: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
