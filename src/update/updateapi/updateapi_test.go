package updateapi_test

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/update/updateapi"
)

type fakeUpdater struct {
	mu  sync.Mutex
	got []updateapi.Link
	st  updateapi.State
}

func (f *fakeUpdater) State() updateapi.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

func (f *fakeUpdater) Handover(_ context.Context, l updateapi.Link) (updateapi.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, l)
	f.st.Phase = updateapi.PhaseChecking
	return f.st, nil
}

func serve(t *testing.T, f updateapi.Updater, a updateapi.Access) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "updater.sock")
	ln, err := updateapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- updateapi.NewServer(f, nil, a).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return path
}

// TestHandoverCarriesThePassword: the proxy password reaches the updater
// (netcfg would refuse to marshal it by itself), and the state answered
// holds none.
func TestHandoverCarriesThePassword(t *testing.T) {
	f := &fakeUpdater{st: updateapi.State{Phase: updateapi.PhaseIdle, Software: "1.0.0", Slot: "a", Signatures: "none"}}
	c := updateapi.Dial(serve(t, f, updateapi.Access{Link: -1}))
	defer c.Close()
	ctx := context.Background()
	at := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	l := updateapi.Link{
		Path: netapi.ManagementPath{Interface: netapi.WAN, Device: "eth1", Source: netip.MustParseAddr("192.0.2.7"),
			DNS:   []netip.Addr{netip.MustParseAddr("192.0.2.53")},
			Proxy: netcfg.Proxy{Host: "proxy.example", Port: 3128, User: "box", Password: netcfg.NewSecret("s3cret pass")}},
		Platform: "https://platform.example", PlatformTime: at, PolledAt: at.Add(-time.Second),
		Updates: []platformapi.UpdateNotice{{Kind: platformapi.UpdateSoftware, Version: "1.1.0", Target: "software/virtual/1.1.0/rootfs.img", Force: true}},
	}
	st, err := c.Handover(ctx, l)
	if err != nil || st.Phase != updateapi.PhaseChecking {
		t.Fatalf("Handover = %+v, %v", st, err)
	}
	if len(f.got) != 1 {
		t.Fatalf("updater got %d hand-overs", len(f.got))
	}
	g := f.got[0]
	if g.Path.Proxy.Password.Reveal() != "s3cret pass" || g.Path.Proxy.Host != "proxy.example" || g.Path.Source != l.Path.Source ||
		g.Path.Interface != netapi.WAN || len(g.Path.DNS) != 1 || !g.PlatformTime.Equal(at) || len(g.Updates) != 1 || g.Updates[0] != l.Updates[0] {
		t.Fatalf("hand-over arrived as %#v", g)
	}
	got, err := c.State(ctx)
	if err != nil || got.Software != "1.0.0" || got.Slot != "a" {
		t.Fatalf("State = %+v, %v", got, err)
	}
}

// TestLinkRefusedToPanelUID: a panel daemon's uid reads the state but may
// not hand over a management path, as a real process of that uid meets it.
func TestLinkRefusedToPanelUID(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("needs root, to call as another uid (setpriv)")
	}
	const panel, link = 65534, 65533
	f := &fakeUpdater{st: updateapi.State{Phase: updateapi.PhaseIdle}}
	path := serve(t, f, updateapi.Access{Link: link, Readers: []uint32{panel}})
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	body := `{"path":{"interface":"lan","proxy":{"host":"","port":0,"user":""}},"platform":"https://p.example","platform_time":"2027-01-01T00:00:00Z","polled_at":"2027-01-01T00:00:00Z","scan_running":false}`
	curl := func(uid int, args ...string) string {
		t.Helper()
		cmd := exec.Command("setpriv", append([]string{"--reuid", strconv.Itoa(uid), "--regid", strconv.Itoa(uid), "--clear-groups",
			"curl", "-sS", "--unix-socket", path, "-w", " %{http_code}"}, args...)...)
		cmd.Stdin = strings.NewReader(body)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := curl(panel, "http://u/v1/state"); !strings.HasSuffix(out, " 200") || !strings.Contains(out, `"phase":"idle"`) {
		t.Fatalf("state as the panel uid: %s", out)
	}
	post := []string{"-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@-", "http://u/v1/link"}
	if out := curl(panel, post...); !strings.HasSuffix(out, " 403") || !strings.Contains(out, "the link hand-over is for root and the platform link's user") {
		t.Fatalf("link as the panel uid: %s", out)
	}
	if out := curl(12345, "http://u/v1/state"); !strings.HasSuffix(out, " 403") {
		t.Fatalf("state as an unknown uid: %s", out)
	}
	if len(f.got) != 0 {
		t.Fatalf("a refused hand-over reached the updater: %+v", f.got)
	}
	if out := curl(link, post...); !strings.HasSuffix(out, " 200") {
		t.Fatalf("link as the link uid: %s", out)
	}
	if len(f.got) != 1 || f.got[0].Platform != "https://p.example" {
		t.Fatalf("hand-over from the link uid: %+v", f.got)
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		st   updateapi.State
		want string
	}{
		{updateapi.State{}, "idle"},
		{updateapi.State{Phase: updateapi.PhaseDownloading, Pending: "1.4.0", Percent: 41}, "downloading 1.4.0 41%"},
		{updateapi.State{Phase: updateapi.PhaseFailed, Error: "did not reach the platform"}, "failed: did not reach the platform"},
		{updateapi.State{Phase: updateapi.PhaseTrying, Pending: "1.4.0"}, "trying 1.4.0"},
	} {
		if got := tc.st.Summary(); got != tc.want {
			t.Errorf("%+v.Summary() = %q, want %q", tc.st, got, tc.want)
		}
	}
}
