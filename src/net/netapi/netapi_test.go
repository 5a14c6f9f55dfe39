package netapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"picket.dev/picket/src/net/netapi"
	"reflect"
	"strings"
	"sync"
	"testing"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/netstore"
	"picket.dev/picket/src/net/standin"
)

// TestRoundTrip runs the same sequence of calls on a Memory directly and on
// an identical Memory through the socket, and requires the same answers:
// every method crosses the wire intact, errors with their kind, message and
// problems.
func TestRoundTrip(t *testing.T) {
	directStore, _ := newStore(t)
	direct := newManager(t, directStore, &fakeCanceler{running: true})
	remoteStore, _ := newStore(t)
	s := serve(t, newManager(t, remoteStore, &fakeCanceler{running: true}))
	remote := s.dial(t)
	ctx := t.Context()

	split := staticLAN()
	split.WAN = netcfg.WAN{Method: netcfg.WANStatic, Address: mustPrefix("198.51.100.10/24"), Gateway: mustAddr("198.51.100.1"), DNS1: mustAddr("198.51.100.1")}
	split.Link = netcfg.Links{LAN: netcfg.Link100Full, WAN: netcfg.Link10Half}
	split.Platform.Routes = []netcfg.Route{{Name: "lab", Destination: mustPrefix("10.20.0.0/16"), Gateway: mustAddr("192.168.77.254")}}
	v6 := netcfg.DefaultFor(netcfg.ModeIPv6Only)
	v6.LANv6 = netcfg.LANv6{Method: netcfg.IPv6Static, Address: mustPrefix("2001:db8::10/64"), Gateway: mustAddr("2001:db8::1"), DNS1: mustAddr("2001:db8::53")}

	steps := []struct {
		name string
		call func(netapi.Manager) (any, error)
		kind netapi.Kind // the error kind expected, "" for success
		// localMessage: the client refuses before sending, so only the
		// kind is the same.
		localMessage bool
	}{
		{"config at start", func(m netapi.Manager) (any, error) { return m.Config(ctx) }, "", false},
		{"status at start", func(m netapi.Manager) (any, error) { return m.Status(ctx) }, "", false},
		{"renew lan dhcp", func(m netapi.Manager) (any, error) { return nil, m.Renew(ctx, netapi.LAN) }, "", false},
		{"renew wan off", func(m netapi.Manager) (any, error) { return nil, m.Renew(ctx, netapi.WAN) }, netapi.KindNotApplicable, false},
		{"renew unknown", func(m netapi.Manager) (any, error) { return nil, m.Renew(ctx, "eth9") }, netapi.KindInvalidRequest, false},
		{"test on dhcp", func(m netapi.Manager) (any, error) { return m.TestConnectivity(ctx) }, "", false},
		{"apply static", func(m netapi.Manager) (any, error) { return m.Apply(ctx, staticLAN(), netapi.ApplyOptions{}) }, "", false},
		{"apply same again", func(m netapi.Manager) (any, error) { return m.Apply(ctx, staticLAN(), netapi.ApplyOptions{}) }, "", false},
		{"apply proxy", func(m netapi.Manager) (any, error) {
			return m.Apply(ctx, withProxy(staticLAN(), testPassword), netapi.ApplyOptions{})
		}, "", false},
		{"config with proxy", func(m netapi.Manager) (any, error) { return m.Config(ctx) }, "", false},
		{"management path with proxy", func(m netapi.Manager) (any, error) { return m.ManagementPath(ctx) }, "", false},
		{"keep the change on trial", func(m netapi.Manager) (any, error) { return m.EndTrial(ctx, "", true) }, "", false},
		{"end a trial that is not", func(m netapi.Manager) (any, error) { return m.EndTrial(ctx, "x", false) }, netapi.KindNotApplicable, false},
		{"apply split", func(m netapi.Manager) (any, error) { return m.Apply(ctx, split, netapi.ApplyOptions{}) }, "", false},
		{"status split", func(m netapi.Manager) (any, error) { return m.Status(ctx) }, "", false},
		{"management path split", func(m netapi.Manager) (any, error) { return m.ManagementPath(ctx) }, "", false},
		{"renew lan static", func(m netapi.Manager) (any, error) { return nil, m.Renew(ctx, netapi.LAN) }, netapi.KindNotApplicable, false},
		{"apply invalid", func(m netapi.Manager) (any, error) { return m.Apply(ctx, invalidCfg(), netapi.ApplyOptions{}) }, netapi.KindInvalidConfig, false},
		{"test", func(m netapi.Manager) (any, error) { return m.TestConnectivity(ctx) }, "", false},
		{"reset", func(m netapi.Manager) (any, error) { return m.Reset(ctx) }, "", false},
		{"switch mode", func(m netapi.Manager) (any, error) { return m.SwitchMode(ctx, netcfg.ModeIPv6Only) }, "", false},
		{"switch unknown mode", func(m netapi.Manager) (any, error) { return m.SwitchMode(ctx, netcfg.Mode(9)) }, netapi.KindInvalidRequest, true},
		{"renew v6 auto", func(m netapi.Manager) (any, error) { return nil, m.Renew(ctx, netapi.LAN) }, "", false},
		{"apply v6 static", func(m netapi.Manager) (any, error) { return m.Apply(ctx, v6, netapi.ApplyOptions{}) }, "", false},
		{"config at end", func(m netapi.Manager) (any, error) { return m.Config(ctx) }, "", false},
		{"status at end", func(m netapi.Manager) (any, error) { return m.Status(ctx) }, "", false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			want, werr := st.call(direct)
			got, gerr := st.call(remote)
			if k := netapi.KindOf(werr); k != st.kind {
				t.Fatalf("direct: error kind %q (%v), want %q", k, werr, st.kind)
			}
			if k := kindOf(t, gerr); k != st.kind {
				t.Fatalf("remote: error kind %q (%v), want %q", k, gerr, st.kind)
			}
			if werr != nil {
				if !st.localMessage && werr.Error() != gerr.Error() {
					t.Errorf("message:\nremote %q\ndirect %q", gerr, werr)
				}
				if w, g := netcfg.Problems(werr), netcfg.Problems(gerr); !reflect.DeepEqual(w, g) {
					t.Errorf("problems:\nremote %v\ndirect %v", g, w)
				}
				return
			}
			if !reflect.DeepEqual(settled(got), settled(want)) {
				t.Errorf("result differs:\nremote %+v\ndirect %+v", got, want)
			}
		})
	}
}

// TestApplyInvalidRefused checks that an invalid change is refused with
// every problem, nothing is cancelled or stored, and the previous
// configuration stays in force.
func TestApplyInvalidRefused(t *testing.T) {
	store, dir := newStore(t)
	canc := &fakeCanceler{running: true}
	mem := newManager(t, store, canc)
	c := serve(t, mem).dial(t)
	ctx := t.Context()
	before, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	files := func() map[string]string {
		out := map[string]string{}
		for _, f := range []string{netstore.ConfigFile, netstore.LastKnownGoodFile} {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			out[f] = string(b)
		}
		return out
	}
	stored := files()

	_, err = c.Apply(ctx, invalidCfg(), netapi.ApplyOptions{})
	if k := kindOf(t, err); k != netapi.KindInvalidConfig {
		t.Fatalf("kind %q (%v), want %q", k, err, netapi.KindInvalidConfig)
	}
	var fields []string
	for _, p := range netcfg.Problems(err) {
		fields = append(fields, p.Field)
		if !strings.Contains(err.Error(), p.Problem) {
			t.Errorf("message %q does not list problem %q", err, p.Problem)
		}
	}
	for _, want := range []string{"lan.gateway", "vlan", "proxy.port"} {
		if !strings.Contains(strings.Join(fields, " "), want) {
			t.Errorf("problems %v miss %s", fields, want)
		}
	}
	// The same list as netcfg's own.
	if want := netcfg.Problems(invalidCfg().Validate()); len(fields) != len(want) {
		t.Errorf("%d problems, netcfg finds %d", len(fields), len(want))
	}

	if n := canc.count(); n != 0 {
		t.Errorf("scan cancel hook called %d times for a refused change", n)
	}
	if now := files(); !reflect.DeepEqual(now, stored) {
		t.Errorf("store written for a refused change:\nbefore %q\nafter  %q", stored, now)
	}
	cv, err := c.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !netcfg.Equal(cv.Config, netcfg.Default()) {
		t.Errorf("config in force changed: %v", netcfg.Diff(netcfg.Default(), cv.Config))
	}
	after, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Seq != before.Seq {
		t.Errorf("status changed (seq %d -> %d) for a refused change", before.Seq, after.Seq)
	}
}

// TestApplyPersists checks the netstore side: Save on change, MarkGood
// after a passing test only, Reset dropping last-known-good.
func TestApplyPersists(t *testing.T) {
	store, _ := newStore(t)
	mem := newManager(t, store, nil)
	ctx := t.Context()

	// DHCP on a VLAN: the simulated network leases an address on it, the
	// test passes; stored and last-known-good.
	dhcpVLAN := netcfg.Default()
	dhcpVLAN.VLAN = 20
	res, err := mem.Apply(ctx, dhcpVLAN, netapi.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Test == nil || !res.Test.OK {
		t.Fatalf("test after DHCP change: %+v", res.Test)
	}
	if ld := store.Load(); ld.Source != netstore.FromStored || ld.Config.VLAN != 20 {
		t.Fatalf("stored: %+v", ld)
	}
	// Static with a proxy the simulated network does not know: the test
	// fails after a change from a configuration that passed, so the
	// change is on trial; kept, it is what a restart loads.
	res, err = mem.Apply(ctx, withProxy(staticLAN(), testPassword), netapi.ApplyOptions{})
	if err != nil || res.Trial == nil {
		t.Fatalf("apply: %v, trial %+v", err, res.Trial)
	}
	if _, err := mem.EndTrial(ctx, res.Trial.ID, true); err != nil {
		t.Fatal(err)
	}
	ld := store.Load()
	if ld.Config.Proxy.Password.Reveal() != testPassword {
		t.Error("password not stored")
	}
	// A fresh manager on the same store starts from what was stored.
	again := newManager(t, store, nil)
	cv, err := again.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !cv.ProxyPasswordSet || cv.Config.LAN != staticLAN().LAN {
		t.Errorf("restarted manager's config: %+v", cv)
	}
	st, _ := again.Status(ctx)
	if st.Config.Source != netapi.SourceStored || st.Health.State != netapi.HealthOK {
		t.Errorf("restarted manager's source/health: %+v %+v", st.Config, st.Health)
	}
	// Reset drops last-known-good and the proxy with its password.
	if _, err := mem.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	ld = store.Load()
	if ld.Config.Proxy.Enabled() || !ld.Config.Proxy.Password.IsZero() || ld.Config.LAN.Method != netcfg.IPv4DHCP {
		t.Errorf("after reset, stored %+v", ld.Config)
	}
}

// TestProxyPasswordKeep checks the set/not-set flag and the keep rule.
func TestProxyPasswordKeep(t *testing.T) {
	tests := []struct {
		name     string
		password string
		keep     bool
		proxy    bool // the new config keeps the proxy
		want     string
	}{
		{"empty with keep keeps", "", true, true, testPassword},
		{"empty without keep clears", "", false, true, ""},
		{"new password replaces", "other-pw", true, true, "other-pw"},
		{"proxy disabled drops it", "", true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, _ := newStore(t)
			c := serve(t, newManager(t, store, nil)).dial(t)
			ctx := t.Context()
			if _, err := c.Apply(ctx, withProxy(staticLAN(), testPassword), netapi.ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			cv, err := c.Config(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !cv.ProxyPasswordSet || !cv.Config.Proxy.Password.IsZero() {
				t.Fatalf("config view: set=%v, password present=%v", cv.ProxyPasswordSet, !cv.Config.Proxy.Password.IsZero())
			}
			next := cv.Config
			next.Proxy.Password = netcfg.NewSecret(tt.password)
			if !tt.proxy {
				next.Proxy = netcfg.Proxy{}
			}
			if _, err := c.Apply(ctx, next, netapi.ApplyOptions{KeepProxyPassword: tt.keep}); err != nil {
				t.Fatal(err)
			}
			if got := store.Load().Config.Proxy.Password.Reveal(); got != tt.want {
				t.Errorf("stored password %q, want %q", got, tt.want)
			}
			cv, err = c.Config(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cv.ProxyPasswordSet != (tt.want != "") {
				t.Errorf("ProxyPasswordSet %v, want %v", cv.ProxyPasswordSet, tt.want != "")
			}
		})
	}
}

// TestScanCancelHook checks that the hook runs before a change, not for a
// refused or empty one, and that its failure refuses the change.
func TestScanCancelHook(t *testing.T) {
	tests := []struct {
		name        string
		running     bool
		hookErr     error
		cfg         netcfg.Config
		wantCalls   int
		wantCancel  bool
		wantKind    netapi.Kind
		wantApplied bool
	}{
		{"scan running", true, nil, staticLAN(), 1, true, "", true},
		{"no scan", false, nil, staticLAN(), 1, false, "", true},
		{"hook fails", true, errors.New("scanner stuck"), staticLAN(), 1, false, netapi.KindScanCancel, false},
		{"invalid change", true, nil, invalidCfg(), 0, false, netapi.KindInvalidConfig, false},
		{"no change", true, nil, netcfg.Default(), 0, false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, dir := newStore(t)
			canc := &fakeCanceler{running: tt.running, err: tt.hookErr}
			c := serve(t, newManager(t, store, canc)).dial(t)
			res, err := c.Apply(t.Context(), tt.cfg, netapi.ApplyOptions{})
			if k := kindOf(t, err); k != tt.wantKind {
				t.Fatalf("kind %q (%v), want %q", k, err, tt.wantKind)
			}
			if n := canc.count(); n != tt.wantCalls {
				t.Errorf("hook called %d times, want %d", n, tt.wantCalls)
			}
			if res.ScanCanceled != tt.wantCancel {
				t.Errorf("ScanCanceled %v, want %v", res.ScanCanceled, tt.wantCancel)
			}
			if got := fileExists(filepath.Join(dir, netstore.ConfigFile)); got != tt.wantApplied {
				t.Errorf("stored %v, want %v", got, tt.wantApplied)
			}
			cv, _ := c.Config(t.Context())
			if applied := cv.Config.LAN.Method == netcfg.IPv4Static; applied != tt.wantApplied {
				t.Errorf("in force %v, want %v", applied, tt.wantApplied)
			}
			if tt.hookErr != nil && !strings.Contains(err.Error(), "scanner stuck") {
				t.Errorf("error %q does not say why", err)
			}
		})
	}
}

// TestStatusFollowsConfig checks the status and test against the
// configuration, on the stand-in's simulated network (simnet.Default: LAN
// 192.168.77.0/24 with DHCP, router and DNS at .1, IPv6 router
// advertising fd77::/64; WAN 198.51.100.0/24 with DHCP; no proxy).
func TestStatusFollowsConfig(t *testing.T) {
	v6auto := netcfg.DefaultFor(netcfg.ModeIPv6Only)
	v6auto.LANv6.DNS1 = mustAddr("fd77::1")
	splitDHCP := staticLAN()
	splitDHCP.WAN = netcfg.WAN{Method: netcfg.WANDHCP}
	proxied := withProxy(staticLAN(), testPassword)
	forced := staticLAN()
	forced.Link.LAN = netcfg.Link100Half
	forced.VLAN = 42

	tests := []struct {
		name       string
		cfg        netcfg.Config
		ifaces     int
		lan4       string // LAN IPv4 addresses, joined
		lanNote    string
		dns        string
		split      bool
		proxy      bool
		panel      string // the test's failure, "" for a pass
		link       netapi.LinkState
		vlan       int
		leaseState netapi.LeaseState
	}{
		{"dhcp", netcfg.Default(), 1, "192.168.77.100/24", "", "192.168.77.1", false, false, "", netapi.LinkState{true, netcfg.LinkAuto, 1000, true}, 0, netapi.LeaseBound},
		{"static", staticLAN(), 1, "192.168.77.10/24", "", "192.168.77.1 192.168.77.54", false, false, "", netapi.LinkState{true, netcfg.LinkAuto, 1000, true}, 0, ""},
		{"forced link vlan", forced, 1, "192.168.77.10/24", "", "192.168.77.1 192.168.77.54", false, false, "", netapi.LinkState{true, netcfg.Link100Half, 100, false}, 42, ""},
		{"split dhcp", splitDHCP, 2, "192.168.77.10/24", "", "198.51.100.1", true, false, "", netapi.LinkState{true, netcfg.LinkAuto, 1000, true}, 0, ""},
		// The simulated network has no proxy: its name does not resolve.
		{"proxy", proxied, 1, "192.168.77.10/24", "", "192.168.77.1 192.168.77.54", false, true, "DNS LOOKUP FAILED", netapi.LinkState{true, netcfg.LinkAuto, 1000, true}, 0, ""},
		{"ipv6 auto", v6auto, 1, "", "", "fd77::1", false, false, "", netapi.LinkState{true, netcfg.LinkAuto, 1000, true}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, _ := newStore(t)
			m := newManager(t, store, nil)
			ctx := t.Context()
			if _, err := m.Apply(ctx, tt.cfg, netapi.ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := m.TestConnectivity(ctx); err != nil {
				t.Fatal(err)
			}
			st, err := m.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Interfaces) != tt.ifaces || st.Interfaces[0].Name != netapi.LAN {
				t.Fatalf("interfaces %+v", st.Interfaces)
			}
			lan := st.Interfaces[0]
			if got := join(lan.IPv4.Addresses); got != tt.lan4 {
				t.Errorf("LAN IPv4 %q, want %q", got, tt.lan4)
			}
			if lan.IPv4.Note != tt.lanNote {
				t.Errorf("LAN note %q, want %q", lan.IPv4.Note, tt.lanNote)
			}
			if tt.leaseState != "" && (lan.IPv4.Lease == nil || lan.IPv4.Lease.State != tt.leaseState) {
				t.Errorf("LAN lease %+v, want state %s", lan.IPv4.Lease, tt.leaseState)
			}
			if got := join(st.DNS); got != tt.dns {
				t.Errorf("DNS %q, want %q", got, tt.dns)
			}
			if st.Split != tt.split || st.Proxy.Enabled != tt.proxy || lan.Link != tt.link || lan.VLAN != tt.vlan {
				t.Errorf("split %v proxy %v link %+v vlan %d", st.Split, st.Proxy.Enabled, lan.Link, lan.VLAN)
			}
			if st.Mode != tt.cfg.Mode || st.Backend != standin.Backend || lan.MAC == "" {
				t.Errorf("mode %v backend %q mac %q", st.Mode, st.Backend, lan.MAC)
			}
			if st.LastTest == nil {
				t.Fatal("no last test after a change")
			}
			if got := st.LastTest.Reason(); got != tt.panel {
				t.Errorf("test reason %q, want %q", got, tt.panel)
			}
			checkTestShape(t, *st.LastTest)
		})
	}
}

// checkTestShape checks the step list: every step in order, nothing run
// after the first failure, panel texts short.
func checkTestShape(t *testing.T, ct netapi.ConnTest) {
	t.Helper()
	order := []netapi.StepName{netapi.StepLink, netapi.StepAddress, netapi.StepGateway, netapi.StepDNS, netapi.StepProxy, netapi.StepTLS}
	if len(ct.Steps) != len(order) {
		t.Fatalf("steps %+v", ct.Steps)
	}
	failed := false
	for i, s := range ct.Steps {
		if s.Name != order[i] {
			t.Errorf("step %d is %s, want %s", i, s.Name, order[i])
		}
		if failed && s.Result != netapi.StepNotRun {
			t.Errorf("step %s %s after a failure", s.Name, s.Result)
		}
		if s.Result == netapi.StepFailed {
			failed = true
			if s.Panel == "" || len(s.Panel) > netapi.PanelReasonMax || strings.ToUpper(s.Panel) != s.Panel && !strings.Contains(s.Panel, "IPv6") {
				t.Errorf("panel text %q", s.Panel)
			}
		}
	}
	if ct.OK == failed {
		t.Errorf("OK %v with failure %v", ct.OK, failed)
	}
}

func join[T fmt.Stringer](xs []T) string {
	var s []string
	for _, x := range xs {
		s = append(s, x.String())
	}
	return strings.Join(s, " ")
}

// TestFallbackShownInStatus checks that a config loaded from a fallback is
// reported with its reason, and the first boot is not a fault.
func TestFallbackShownInStatus(t *testing.T) {
	tests := []struct {
		name       string
		corrupt    bool
		wantSource string
		wantHealth netapi.HealthState
	}{
		{"first boot", false, netapi.SourceDefaults, netapi.HealthOK},
		{"corrupt file", true, netapi.SourceDefaults, netapi.HealthDegraded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, dir := newStore(t)
			if tt.corrupt {
				if err := os.MkdirAll(filepath.Join(dir, "config"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, netstore.ConfigFile), []byte("{not json"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c := serve(t, newManager(t, store, nil)).dial(t)
			st, err := c.Status(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if st.Config.Source != tt.wantSource || st.Health.State != tt.wantHealth {
				t.Errorf("source %+v health %+v", st.Config, st.Health)
			}
			if tt.corrupt && (!strings.Contains(st.Config.Reason, netstore.ConfigFile) || st.Health.Reason == "") {
				t.Errorf("reason not given: %+v %+v", st.Config, st.Health)
			}
			// A stored change ends the fallback.
			if _, err := c.Apply(t.Context(), staticLAN(), netapi.ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			if st, _ = c.Status(t.Context()); st.Health.State != netapi.HealthOK {
				t.Errorf("health after a stored change: %+v", st.Health)
			}
		})
	}
}

// TestSubscribe checks, directly and over the socket, that a subscription
// starts with the current status, follows changes, and ends with its
// context.
func TestSubscribe(t *testing.T) {
	for _, remote := range []bool{false, true} {
		t.Run(fmt.Sprintf("remote=%v", remote), func(t *testing.T) {
			store, _ := newStore(t)
			var m netapi.Manager = newManager(t, store, nil)
			if remote {
				m = serve(t, m).dial(t)
			}
			ctx, cancel := context.WithCancel(t.Context())
			ch, err := m.Subscribe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			first := recv(t, ch)
			if first.Interfaces[0].IPv4.Method != netapi.MethodDHCP {
				t.Fatalf("first status %+v", first)
			}
			if _, err := m.Apply(t.Context(), staticLAN(), netapi.ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			// Statuses arrive in order; wait for the one after the change.
			for st := recv(t, ch); ; st = recv(t, ch) {
				if st.Seq <= first.Seq {
					t.Fatalf("seq went from %d to %d", first.Seq, st.Seq)
				}
				if st.Interfaces[0].IPv4.Method == netapi.MethodStatic {
					if join(st.Interfaces[0].IPv4.Addresses) != "192.168.77.10/24" || st.LastTest == nil {
						t.Errorf("status after apply %+v", st)
					}
					break
				}
			}
			if err := m.Renew(t.Context(), netapi.LAN); netapi.KindOf(err) != netapi.KindNotApplicable {
				t.Fatalf("renew on static: %v", err)
			}
			if _, err := m.TestConnectivity(t.Context()); err != nil {
				t.Fatal(err)
			}
			// A test with the same result changes no status, so none is
			// waited for.
			if st, err := m.Status(t.Context()); err != nil || st.LastTest == nil || !st.LastTest.OK {
				t.Errorf("status after test %+v (%v)", st.LastTest, err)
			}
			cancel()
			closed(t, ch)
			if _, err := m.Subscribe(ctx); netapi.KindOf(err) != netapi.KindCanceled {
				t.Errorf("subscribe with a done context: %v", err)
			}
		})
	}
}

// TestPeerCredentialsRejected serves with an allowed set that excludes the
// test's uid: every route is refused with KindPermissionDenied and the
// manager is not reached.
func TestPeerCredentialsRejected(t *testing.T) {
	store, dir := newStore(t)
	canc := &fakeCanceler{}
	other := uint32(os.Getuid()) + 4242
	s := serve(t, newManager(t, store, canc), netapi.WithAllowedUIDs(other))
	c := s.dial(t)
	ctx := t.Context()
	calls := []struct {
		name string
		call func() error
	}{
		{"config", func() error { _, err := c.Config(ctx); return err }},
		{"status", func() error { _, err := c.Status(ctx); return err }},
		{"apply", func() error { _, err := c.Apply(ctx, staticLAN(), netapi.ApplyOptions{}); return err }},
		{"renew", func() error { return c.Renew(ctx, netapi.LAN) }},
		{"reset", func() error { _, err := c.Reset(ctx); return err }},
		{"mode", func() error { _, err := c.SwitchMode(ctx, netcfg.ModeIPv6Only); return err }},
		{"test", func() error { _, err := c.TestConnectivity(ctx); return err }},
		{"subscribe", func() error { _, err := c.Subscribe(ctx); return err }},
		{"management path", func() error { _, err := c.ManagementPath(ctx); return err }},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if k := kindOf(t, err); k != netapi.KindPermissionDenied {
				t.Fatalf("kind %q (%v), want %q", k, err, netapi.KindPermissionDenied)
			}
			if want := fmt.Sprintf("uid %d", os.Getuid()); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name the caller's %s", err, want)
			}
		})
	}
	if canc.count() != 0 || fileExists(filepath.Join(dir, netstore.ConfigFile)) {
		t.Error("a refused caller reached the manager")
	}
	if !strings.Contains(s.log.String(), "permission_denied") {
		t.Errorf("refusals not logged:\n%s", s.log)
	}
}

// TestManagementPathSecretUIDs: the management path, the one answer with
// the proxy password, goes to a caller of the secret set (by default the
// server's own uid and root) intact, and an allowed caller outside that
// set is refused with KindPermissionDenied and the reason, while its other
// calls still work. The password shows in no log line and in no other
// answer, the status stream included.
func TestManagementPathSecretUIDs(t *testing.T) {
	store, _ := newStore(t)
	m := newManager(t, store, nil)
	ctx := t.Context()
	split := withProxy(staticLAN(), testPassword)
	split.WAN = netcfg.WAN{Method: netcfg.WANStatic, Address: mustPrefix("198.51.100.10/24"), Gateway: mustAddr("198.51.100.1"), DNS1: mustAddr("198.51.100.53")}
	if _, err := m.Apply(ctx, split, netapi.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	direct, err := m.ManagementPath(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// What the configuration says, independently of the manager's answer.
	want := netapi.ManagementPath{Interface: netapi.WAN, Device: "eth1", Source: mustAddr("198.51.100.10"),
		DNS: []netip.Addr{mustAddr("198.51.100.53")}, Proxy: split.Proxy}
	if !reflect.DeepEqual(direct, want) {
		t.Fatalf("manager's management path %+v, want %+v", direct, want)
	}

	t.Run("default secret set", func(t *testing.T) {
		s := serve(t, m)
		c := s.dial(t)
		var rec *recorder
		c.WrapTransport(func(base http.RoundTripper) http.RoundTripper { rec = &recorder{base: base}; return rec })
		sub, cancel := context.WithCancel(ctx)
		ch, err := c.Subscribe(sub)
		if err != nil {
			t.Fatal(err)
		}
		recv(t, ch)
		got, err := c.ManagementPath(ctx)
		if err != nil {
			t.Fatalf("the server's own uid %d: %v", os.Getuid(), err)
		}
		if !reflect.DeepEqual(got, want) || got.Proxy.Password.Reveal() != testPassword {
			t.Fatalf("through the socket %+v, want %+v", got, want)
		}
		// A status change while subscribed (the link's report) crosses the
		// stream too.
		if err := c.ReportPlatform(ctx, netapi.PlatformLink{State: netapi.LinkContacting}); err != nil {
			t.Fatal(err)
		}
		recv(t, ch)
		c.Status(ctx)
		c.Config(ctx)
		cancel()
		closed(t, ch)
		bodies := rec.bodies()
		withPW := 0
		for _, b := range bodies {
			if strings.Contains(b, testPassword) {
				withPW++
				if !strings.Contains(b, `"proxy_password"`) {
					t.Errorf("the password in an answer that is not the management path: %s", b)
				}
			}
		}
		if withPW != 1 {
			t.Errorf("%d of %d answers carry the password, want only the management path's", withPW, len(bodies))
		}
		if log := s.log.String(); strings.Contains(log, testPassword) || !strings.Contains(log, "/v1/management") {
			t.Errorf("server log carries the password or does not record the request:\n%s", log)
		}
	})

	t.Run("caller outside the set", func(t *testing.T) {
		s := serve(t, m, netapi.WithSecretUIDs(uint32(os.Getuid())+4242))
		c := s.dial(t)
		var rec *recorder
		c.WrapTransport(func(base http.RoundTripper) http.RoundTripper { rec = &recorder{base: base}; return rec })
		got, err := c.ManagementPath(ctx)
		if k := kindOf(t, err); k != netapi.KindPermissionDenied {
			t.Fatalf("management path: %+v, %v; want %s", got, err, netapi.KindPermissionDenied)
		}
		for _, want := range []string{fmt.Sprintf("uid %d", os.Getuid()), "proxy password"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if _, err := c.Status(ctx); err != nil {
			t.Errorf("the same caller's status: %v; it is allowed the rest of the API", err)
		}
		for _, b := range rec.bodies() {
			if strings.Contains(b, testPassword) {
				t.Errorf("a refused caller got the password: %s", b)
			}
		}
		if log := s.log.String(); strings.Contains(log, testPassword) || !strings.Contains(log, "permission_denied") {
			t.Errorf("server log carries the password or not the refusal:\n%s", log)
		}
	})

	t.Run("secret set without the API", func(t *testing.T) {
		// The secret set does not open the API: a uid must be allowed too.
		own := uint32(os.Getuid())
		s := serve(t, m, netapi.WithAllowedUIDs(own+1), netapi.WithSecretUIDs(own))
		if _, err := s.dial(t).ManagementPath(ctx); kindOf(t, err) != netapi.KindPermissionDenied {
			t.Fatalf("a uid of the secret set that is not allowed: %v, want %s", err, netapi.KindPermissionDenied)
		}
	})
}

// TestPasswordNeverLeaks drives every route with a proxy password set and
// checks every response body and the server log for it.
func TestPasswordNeverLeaks(t *testing.T) {
	store, _ := newStore(t)
	s := serve(t, newManager(t, store, &fakeCanceler{running: true}))
	c := s.dial(t)
	var rec *recorder
	c.WrapTransport(func(base http.RoundTripper) http.RoundTripper { rec = &recorder{base: base}; return rec })
	ctx := t.Context()

	subCtx, cancel := context.WithCancel(ctx)
	ch, err := c.Subscribe(subCtx)
	if err != nil {
		t.Fatal(err)
	}
	recv(t, ch)
	withPW := withProxy(staticLAN(), testPassword)
	if _, err := c.Apply(ctx, withPW, netapi.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	recv(t, ch)
	// A change of password only, and one kept.
	if _, err := c.Apply(ctx, withProxy(staticLAN(), testPassword+"2"), netapi.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	noPW := withProxy(staticLAN(), "")
	noPW.VLAN = 7
	if _, err := c.Apply(ctx, noPW, netapi.ApplyOptions{KeepProxyPassword: true}); err != nil {
		t.Fatal(err)
	}
	// A refused change that carries the password.
	bad := withPW
	bad.VLAN = 9999
	if _, err := c.Apply(ctx, bad, netapi.ApplyOptions{}); netapi.KindOf(err) != netapi.KindInvalidConfig {
		t.Fatalf("bad apply: %v", err)
	}
	c.Config(ctx)
	c.Status(ctx)
	c.TestConnectivity(ctx)
	c.Renew(ctx, netapi.LAN)
	// A malformed body that carries the password.
	raw := &http.Client{Transport: rec}
	resp, err := raw.Post("http://netmgr"+"/v1/apply", "application/json", strings.NewReader(`{"proxy_password":"`+testPassword+`", x}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed body: HTTP %d", resp.StatusCode)
	}
	c.Reset(ctx)
	c.SwitchMode(ctx, netcfg.ModeIPv6Only)
	cancel()
	closed(t, ch)

	if store.Load().Config.Proxy.Password.Reveal() != "" {
		t.Error("reset kept the password")
	}
	bodies := rec.bodies()
	if len(bodies) < 12 {
		t.Fatalf("only %d responses recorded", len(bodies))
	}
	for i, b := range bodies {
		if strings.Contains(b, testPassword) {
			t.Errorf("response %d carries the password: %s", i, b)
		}
	}
	log := s.log.String()
	if strings.Contains(log, testPassword) {
		t.Errorf("server log carries the password:\n%s", log)
	}
	if !strings.Contains(log, "proxy.password") || !strings.Contains(log, netcfg.Redacted) {
		t.Errorf("the log should name the password change, redacted:\n%s", log)
	}
}

// TestConcurrentClients runs several clients at once against one manager.
func TestConcurrentClients(t *testing.T) {
	store, _ := newStore(t)
	canc := &fakeCanceler{}
	s := serve(t, newManager(t, store, canc))
	const clients = 8
	ctx := t.Context()

	watcher := s.dial(t)
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := watcher.Subscribe(subCtx)
	if err != nil {
		t.Fatal(err)
	}
	recv(t, ch)

	var wg sync.WaitGroup
	errs := make(chan error, clients*4)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := netapi.Dial(s.path)
			defer c.Close()
			cfg := staticLAN()
			cfg.VLAN = 100 + i
			if _, err := c.Apply(ctx, cfg, netapi.ApplyOptions{}); err != nil {
				errs <- fmt.Errorf("client %d apply: %w", i, err)
			}
			if _, err := c.Status(ctx); err != nil {
				errs <- fmt.Errorf("client %d status: %w", i, err)
			}
			if _, err := c.Config(ctx); err != nil {
				errs <- fmt.Errorf("client %d config: %w", i, err)
			}
			if _, err := c.TestConnectivity(ctx); err != nil {
				errs <- fmt.Errorf("client %d test: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	cv, err := watcher.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v := cv.Config.VLAN; v < 100 || v >= 100+clients {
		t.Errorf("VLAN in force %d is none of the applied ones", v)
	}
	if ld := store.Load(); ld.Config.VLAN != cv.Config.VLAN {
		t.Errorf("stored VLAN %d, in force %d", ld.Config.VLAN, cv.Config.VLAN)
	}
	if n := canc.count(); n != clients {
		t.Errorf("cancel hook called %d times for %d changes", n, clients)
	}
	// The subscriber sees the final state eventually, in order.
	last := uint64(0)
	for st := recv(t, ch); ; st = recv(t, ch) {
		if st.Seq <= last {
			t.Fatalf("seq %d after %d", st.Seq, last)
		}
		last = st.Seq
		if st.Interfaces[0].VLAN == cv.Config.VLAN && st.LastTest != nil {
			if final, _ := watcher.Status(ctx); final.Seq == st.Seq {
				break
			}
		}
	}
}

// TestShutdownEndsSubscriptions checks that Shutdown ends every stream and
// returns, and that Serve then returns nil.
func TestShutdownEndsSubscriptions(t *testing.T) {
	store, _ := newStore(t)
	path := filepath.Join(t.TempDir(), "netmgr.sock")
	l, err := netapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := netapi.NewServer(newManager(t, store, nil))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()

	var chans []<-chan netapi.Status
	for range 3 {
		c := netapi.Dial(path)
		defer c.Close()
		ch, err := c.Subscribe(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		recv(t, ch)
		chans = append(chans, ch)
	}
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		closed(t, ch)
	}
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if _, err := netapi.Dial(path).Status(t.Context()); netapi.KindOf(err) != netapi.KindUnavailable {
		t.Errorf("status after shutdown: %v", err)
	}
}

// TestServeUntilContextDone checks the package-level Serve.
func TestServeUntilContextDone(t *testing.T) {
	store, _ := newStore(t)
	path := filepath.Join(t.TempDir(), "netmgr.sock")
	l, err := netapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- netapi.Serve(ctx, l, newManager(t, store, nil)) }()
	c := netapi.Dial(path)
	defer c.Close()
	ch, err := c.Subscribe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	recv(t, ch)
	cancel()
	closed(t, ch)
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

// TestListen checks the socket's mode and what Listen refuses.
func TestListen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "netmgr.sock")
	l, err := netapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != netapi.SocketMode {
		t.Errorf("socket mode %v, want %v", fi.Mode().Perm(), netapi.SocketMode)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if _, err := netapi.Listen(path); err == nil || !strings.Contains(err.Error(), "another server") {
		t.Errorf("listen on a live socket: %v", err)
	}
	// A stale socket (its listener gone, the file left) is replaced.
	l.SetUnlinkOnClose(false)
	l.Close()
	l2, err := netapi.Listen(path)
	if err != nil {
		t.Fatalf("listen over a stale socket: %v", err)
	}
	l2.Close()
	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := netapi.Listen(regular); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("listen over a regular file: %v", err)
	}
}

// TestWireErrors checks requests that are wrong at the HTTP level.
func TestWireErrors(t *testing.T) {
	store, _ := newStore(t)
	s := serve(t, newManager(t, store, nil))
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", s.path)
	}}}
	defer hc.CloseIdleConnections()
	tests := []struct {
		name, method, path, body string
		kind                     netapi.Kind
		code                     int
	}{
		{"unknown route", "GET", "/v1/nothing", "", netapi.KindInvalidRequest, 400},
		{"wrong version", "GET", "/v2/status", "", netapi.KindInvalidRequest, 400},
		{"malformed json", "POST", "/v1/apply", `{"config": [}`, netapi.KindInvalidRequest, 400},
		{"wrong type", "POST", "/v1/apply", `{"keep_proxy_password": "yes"}`, netapi.KindInvalidRequest, 400},
		{"unknown mode", "POST", "/v1/mode", `{"mode": "ipx"}`, netapi.KindInvalidRequest, 400},
		{"bad address", "POST", "/v1/apply", `{"config": {"lan": {"method": "static", "address": "300.1.1.1/24"}}}`, netapi.KindInvalidRequest, 400},
		{"invalid config", "POST", "/v1/apply", `{"config": {"vlan": 5000}}`, netapi.KindInvalidConfig, 400},
		{"renew static wan", "POST", "/v1/renew", `{"iface": "wan"}`, netapi.KindNotApplicable, 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, "http://netmgr"+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var er struct {
				Error *netapi.Error `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&er); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.code || er.Error == nil || er.Error.Kind != tt.kind {
				t.Errorf("HTTP %d %+v, want %d %s", resp.StatusCode, er.Error, tt.code, tt.kind)
			}
		})
	}
}

// TestUnavailable checks the client's error when nothing serves the path.
func TestUnavailable(t *testing.T) {
	c := netapi.Dial(filepath.Join(t.TempDir(), "absent.sock"))
	defer c.Close()
	_, err := c.Status(t.Context())
	if k := kindOf(t, err); k != netapi.KindUnavailable {
		t.Errorf("kind %q (%v)", k, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Config(ctx); netapi.KindOf(err) != netapi.KindCanceled {
		t.Errorf("done context: %v", err)
	}
}
