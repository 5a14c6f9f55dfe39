package netapi_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/testkit/testinput"
)

// TestAccessByRole serves the API as netmgrd does on a box (WithAccess,
// the panels' and the platform link's uids) and calls each route as each
// user (setpriv, curl: another uid, which the server tells by
// SO_PEERCRED). A POST carries a body that does not decode: an admitted
// caller gets 400 (the route ran), a refused one 403 before the body is
// read.
func TestAccessByRole(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it calls the API as other uids")
	}
	const panel, link, other = 4351, 4352, 4353
	store, _ := newStore(t)
	path := filepath.Join(testinput.SharedDir(t), "netmgr.sock")
	l, err := netapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	// On the box the socket's group is the daemons'; here the callers
	// reach it through the mode, and the server's uid check decides.
	os.Chmod(path, 0o666)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- netapi.Serve(ctx, l, newManager(t, store, nil), netapi.WithAccess(netapi.Access{Panels: []uint32{panel}, Link: []uint32{link}}))
	}()
	t.Cleanup(func() { cancel(); <-done })

	ask := func(uid int, method, route string) int {
		t.Helper()
		args := []string{"--reuid", strconv.Itoa(uid), "--regid", strconv.Itoa(uid), "--clear-groups",
			"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", path, "-X", method}
		if method == "POST" {
			args = append(args, "-H", "Content-Type: application/json", "--data", "{")
		}
		out, err := exec.Command("setpriv", append(args, "http://netmgr"+route)...).CombinedOutput()
		if err != nil {
			t.Fatalf("setpriv curl as %d: %v\n%s", uid, err, out)
		}
		code, _ := strconv.Atoi(string(out))
		return code
	}
	type route struct{ method, path string }
	config, status := route{"GET", "/v1/config"}, route{"GET", "/v1/status"}
	apply, renew, mode := route{"POST", "/v1/apply"}, route{"POST", "/v1/renew"}, route{"POST", "/v1/mode"}
	platform, linkState, mgmt := route{"POST", "/v1/platform"}, route{"POST", "/v1/link"}, route{"GET", "/v1/management"}
	for _, tt := range []struct {
		who              string
		uid              int
		allowed, refused []route
	}{
		{"a panel", panel, []route{config, status, apply, renew, mode}, []route{platform, linkState, mgmt}},
		{"the platform link", link, []route{config, status, platform, linkState, mgmt}, []route{apply, renew, mode}},
		{"another user", other, nil, []route{config, status, apply, platform, mgmt}},
	} {
		for _, r := range tt.allowed {
			if code := ask(tt.uid, r.method, r.path); code == 403 || code == 0 {
				t.Errorf("%s (uid %d) %s %s: HTTP %d, want the route to run", tt.who, tt.uid, r.method, r.path, code)
			}
		}
		for _, r := range tt.refused {
			if code := ask(tt.uid, r.method, r.path); code != 403 {
				t.Errorf("%s (uid %d) %s %s: HTTP %d, want 403", tt.who, tt.uid, r.method, r.path, code)
			}
		}
	}
}
