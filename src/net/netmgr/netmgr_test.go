package netmgr_test

// These tests run the network manager's core on the simulated kernel and
// network of package simnet: everything above the kernel edge is real
// (netcfg validation, netapply, the DHCP clients, conncheck, netstore on a
// temporary directory). The expectations come from the network spec
// (network.md, "Applying a change" and "Reset") and the manager's
// contract in netapi, and the simulated network's layout (simnet.Default:
// LAN 192.168.77.0/24, DHCP, router and DNS at .1).

import (
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netapply"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/netmgr"
	"picket.dev/picket/src/net/netstore"
	"picket.dev/picket/src/net/simnet"
)

// snapshot is what the box has at a stage of a change: what a restart
// would load, the last-known-good copy, the LAN addresses in the kernel
// and the LAN port's link mode.
type snapshot struct {
	stage    netmgr.Stage
	restart  netip.Prefix // LAN address of the configuration a restart loads (invalid: DHCP)
	lkg      netip.Prefix // LAN address of last-known-good (invalid: DHCP or none)
	kernel4  []netip.Prefix
	linkMode netcfg.LinkMode
}

type rig struct {
	t     *testing.T
	m     *netmgr.Manager
	sn    *simnet.Net
	store *netstore.Store
	dir   string
	canc  *canceler

	mu    sync.Mutex
	snaps []snapshot

	opt  netmgr.Options // what m was made with, for a restart
	stop func()         // stops m and waits for it
}

// canceler stands in for the scanner's cancel hook (there is no scanner
// yet): it records the kernel's LAN addresses when it is called.
type canceler struct {
	err    error
	k      *simnet.Kernel
	mu     sync.Mutex
	calls  []string
	kernel [][]netip.Prefix
}

func (c *canceler) CancelScan(_ context.Context, reason string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, reason)
	c.kernel = append(c.kernel, lanAddrs(c.k))
	return true, c.err
}

type rigOptions struct {
	network   func(*simnet.Config)
	beforeRun func(*rig)
	canceler  *canceler
	// options, when set, changes the manager's options (a clock, the
	// trials' grace periods).
	options func(*netmgr.Options)
	// onStage is called after the rig's own stage hook.
	onStage func(op string, s netmgr.Stage)
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	cfg := simnet.Default(rand.Reader)
	if o.network != nil {
		o.network(&cfg)
	}
	sn, err := simnet.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := &rig{t: t, sn: sn, dir: dir, store: netstore.New(netstore.DirFS(dir), rand.Reader), canc: o.canceler}
	if o.beforeRun != nil {
		o.beforeRun(r)
	}
	opt := netmgr.Options{
		Ports:       netapply.Ports{LAN: cfg.LAN, WAN: cfg.WAN},
		Store:       r.store,
		Kernel:      sn.Kernel(),
		LinkModes:   sn.NICs(),
		DHCP4:       sn.DHCP4,
		DHCP6:       sn.DHCP6,
		Network:     sn.Sockets(),
		Platform:    sn.Platform(),
		RootCAs:     sn.PlatformCA(),
		LeaseWait:   2 * time.Second,
		StepTimeout: 300 * time.Millisecond,
		OnStage: func(op string, s netmgr.Stage) {
			r.onStage(op, s)
			if o.onStage != nil {
				o.onStage(op, s)
			}
		},
	}
	if r.canc != nil {
		r.canc.k = sn.Kernel()
		opt.Canceler = r.canc
	}
	if o.options != nil {
		o.options(&opt)
	}
	r.opt = opt
	r.start()
	return r
}

// start runs a manager made with r.opt on r's store and simulated
// network, and waits for it to boot.
func (r *rig) start() {
	t := r.t
	t.Helper()
	m, err := netmgr.New(r.opt)
	if err != nil {
		t.Fatal(err)
	}
	r.m = m
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var once sync.Once
	r.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(r.stop)
	select {
	case <-m.Booted():
	case <-time.After(time.Minute):
		t.Fatal("the manager did not boot within a minute")
	}
}

func (r *rig) onStage(_ string, s netmgr.Stage) {
	snap := snapshot{stage: s, kernel4: lanAddrs(r.sn.Kernel()), linkMode: r.sn.NICs().Mode("eth0")}
	// What a restart after a power cut would load: a fresh store on the
	// same directory.
	ld := netstore.New(netstore.DirFS(r.dir), rand.Reader).Load()
	snap.restart = ld.Config.LAN.Address
	if b, err := os.ReadFile(filepath.Join(r.dir, netstore.LastKnownGoodFile)); err == nil {
		snap.lkg = lkgAddress(r.t, b)
	}
	r.mu.Lock()
	r.snaps = append(r.snaps, snap)
	r.mu.Unlock()
}

// lkgAddress is the LAN address in a last-known-good file: loaded as the
// only copy a store has.
func lkgAddress(t *testing.T, b []byte) netip.Prefix {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	// The sealing key lives beside it; without it the proxy password is
	// lost, which the address does not care about.
	if err := os.WriteFile(filepath.Join(dir, netstore.LastKnownGoodFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	ld := netstore.New(netstore.DirFS(dir), rand.Reader).Load()
	return ld.Config.LAN.Address
}

func (r *rig) stages() []netmgr.Stage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []netmgr.Stage
	for _, s := range r.snaps {
		out = append(out, s.stage)
	}
	return out
}

func (r *rig) snapshotAt(s netmgr.Stage) snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.snaps {
		if x.stage == s {
			return x
		}
	}
	r.t.Fatalf("the change never reached stage %q (stages: %v)", s, r.snaps)
	return snapshot{}
}

func (r *rig) kernelState() netapply.State {
	r.t.Helper()
	s, err := r.sn.Kernel().State()
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

func (r *rig) files() map[string]string {
	out := map[string]string{}
	for _, f := range []string{netstore.ConfigFile, netstore.LastKnownGoodFile} {
		b, _ := os.ReadFile(filepath.Join(r.dir, f))
		out[f] = string(b)
	}
	return out
}

// lanAddrs are the IPv4 addresses on eth0 and its VLANs.
func lanAddrs(k *simnet.Kernel) []netip.Prefix {
	as, _ := k.Addrs()
	var out []netip.Prefix
	for _, a := range as {
		if (a.Link == "eth0" || strings.HasPrefix(a.Link, "eth0.")) && a.Prefix.Addr().Is4() {
			out = append(out, a.Prefix)
		}
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return out
}

var (
	leased   = netip.MustParsePrefix("192.168.77.100/24") // the first lease of simnet.Default's LAN
	staticIP = netip.MustParsePrefix("192.168.77.10/24")
	router   = netip.MustParseAddr("192.168.77.1")
)

func static(addr netip.Prefix, gw netip.Addr) netcfg.Config {
	c := netcfg.Default()
	c.LAN = netcfg.LAN{Method: netcfg.IPv4Static, Address: addr, Gateway: gw, DNS1: router}
	return c
}

func kindOf(err error) netapi.Kind { return netapi.KindOf(err) }

// A change goes through the spec's stages in order, and at each stage the
// box is where the spec puts it: the scan is cancelled before anything is
// applied; the kernel has the new state before the test; the new
// configuration is stored only after the test, so a power cut before that
// brings the previous one back; last-known-good follows the passed test.
func TestChangeStagesInOrder(t *testing.T) {
	r := newRig(t, rigOptions{canceler: &canceler{}})
	ctx := t.Context()
	if got := lanAddrs(r.sn.Kernel()); !reflect.DeepEqual(got, []netip.Prefix{leased}) {
		t.Fatalf("after boot on the defaults the LAN has %v, want the lease %s", got, leased)
	}
	next := static(staticIP, router)
	next.Link.LAN = netcfg.Link100Full
	res, err := r.m.Apply(ctx, next, netapi.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []netmgr.Stage{netmgr.StageValidated, netmgr.StageScanCancel, netmgr.StageLinkModes, netmgr.StageApplied,
		netmgr.StageLeases, netmgr.StageTested, netmgr.StageStored, netmgr.StageMarkedGood}
	if got := r.stages(); !reflect.DeepEqual(got, want) {
		t.Fatalf("stages %v, want %v", got, want)
	}
	if !res.ScanCanceled || len(res.Changes) == 0 || res.Test == nil || !res.Test.OK {
		t.Fatalf("result %+v, want changes, the scan cancelled and a passed test", res)
	}
	if len(r.canc.calls) != 1 || !strings.Contains(r.canc.calls[0], "apply") {
		t.Errorf("cancel hook calls %q, want one for the apply", r.canc.calls)
	}
	if !reflect.DeepEqual(r.canc.kernel[0], []netip.Prefix{leased}) {
		t.Errorf("the kernel had %v when the scan was cancelled, want the previous state %s", r.canc.kernel[0], leased)
	}
	if s := r.snapshotAt(netmgr.StageScanCancel); s.linkMode != netcfg.LinkAuto {
		t.Errorf("link mode %s when the scan was cancelled, want the previous AUTO", s.linkMode)
	}
	if s := r.snapshotAt(netmgr.StageLinkModes); s.linkMode != netcfg.Link100Full || !reflect.DeepEqual(s.kernel4, []netip.Prefix{leased}) {
		t.Errorf("at %q: mode %s, kernel %v; want 100baseT/Full set before the kernel changes", s.stage, s.linkMode, s.kernel4)
	}
	for _, st := range []netmgr.Stage{netmgr.StageApplied, netmgr.StageLeases, netmgr.StageTested} {
		s := r.snapshotAt(st)
		if !reflect.DeepEqual(s.kernel4, []netip.Prefix{staticIP}) {
			t.Errorf("at %q the kernel has %v, want %s", st, s.kernel4, staticIP)
		}
		if s.restart.IsValid() {
			t.Errorf("at %q a restart would load %s; the change is not stored before its test", st, s.restart)
		}
	}
	if s := r.snapshotAt(netmgr.StageStored); s.restart != staticIP || s.lkg.IsValid() {
		t.Errorf("once stored: a restart loads %s, last-known-good %s; want %s and still the defaults", s.restart, s.lkg, staticIP)
	}
	if s := r.snapshotAt(netmgr.StageMarkedGood); s.lkg != staticIP {
		t.Errorf("last-known-good is %s after the passed test, want %s", s.lkg, staticIP)
	}
	st, err := r.m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lan := st.Interfaces[0]
	if lan.Link != (netapi.LinkState{Up: true, Mode: netcfg.Link100Full, SpeedMbps: 100, FullDuplex: true}) {
		t.Errorf("LAN link %+v, want up at 100 Mb/s full duplex", lan.Link)
	}
	if st.LastTest == nil || !st.LastTest.OK {
		t.Errorf("status's last test %+v, want the change's passed test", st.LastTest)
	}
}

// An invalid configuration is refused whole: nothing is cancelled,
// applied or stored (network.md, "Applying a change", step 1).
func TestInvalidChangeRefused(t *testing.T) {
	r := newRig(t, rigOptions{canceler: &canceler{}})
	kernel, files := r.kernelState(), r.files()
	bad := static(staticIP, netip.MustParseAddr("10.9.9.9")) // gateway outside the subnet
	bad.VLAN = 5000
	_, err := r.m.Apply(t.Context(), bad, netapi.ApplyOptions{})
	if kindOf(err) != netapi.KindInvalidConfig || len(netcfg.Problems(err)) != 2 {
		t.Fatalf("error %v (kind %s), want invalid_config with the gateway and VLAN problems", err, kindOf(err))
	}
	if len(r.canc.calls) != 0 || len(r.stages()) != 0 {
		t.Errorf("cancel hook calls %q, stages %v; want none", r.canc.calls, r.stages())
	}
	if got := r.kernelState(); !reflect.DeepEqual(got, kernel) {
		t.Errorf("kernel changed:\n%+v\nwas\n%+v", got, kernel)
	}
	if got := r.files(); !reflect.DeepEqual(got, files) {
		t.Error("store written for a refused change")
	}
	if view, _ := r.m.Config(t.Context()); !netcfg.Equal(view.Config, netcfg.Default()) {
		t.Errorf("config in force changed: %v", netcfg.Diff(netcfg.Default(), view.Config))
	}
}

// A scan that cannot be cancelled refuses the change before anything is
// applied.
func TestScanCancelFailureChangesNothing(t *testing.T) {
	r := newRig(t, rigOptions{canceler: &canceler{err: errors.New("scanner busy")}})
	kernel, files := r.kernelState(), r.files()
	_, err := r.m.Apply(t.Context(), static(staticIP, router), netapi.ApplyOptions{})
	if kindOf(err) != netapi.KindScanCancel || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("error %v, want scan_cancel saying nothing was changed", err)
	}
	if got := r.stages(); !reflect.DeepEqual(got, []netmgr.Stage{netmgr.StageValidated}) {
		t.Errorf("stages %v, want only %q", got, netmgr.StageValidated)
	}
	if !reflect.DeepEqual(r.kernelState(), kernel) || !reflect.DeepEqual(r.files(), files) {
		t.Error("kernel or store changed")
	}
}

// A link mode the NIC does not support fails the change; the previous
// configuration stays in force, in the kernel and in the store.
func TestUnsupportedLinkModeKeepsPrevious(t *testing.T) {
	r := newRig(t, rigOptions{network: func(c *simnet.Config) {
		c.Supported = map[string][]netcfg.LinkMode{"eth0": {netcfg.LinkAuto, netcfg.Link1000Full, netcfg.Link100Full}}
	}})
	kernel, files := r.kernelState(), r.files()
	next := static(staticIP, router)
	next.Link.LAN = netcfg.Link10Half
	_, err := r.m.Apply(t.Context(), next, netapi.ApplyOptions{})
	if kindOf(err) != netapi.KindApplyFailed || !strings.Contains(err.Error(), "10baseT/Half") || !strings.Contains(err.Error(), "previous configuration stays in force") {
		t.Fatalf("error %v, want apply_failed naming the mode", err)
	}
	if m := r.sn.NICs().Mode("eth0"); m != netcfg.LinkAuto {
		t.Errorf("LAN link mode %s, want AUTO kept", m)
	}
	if !reflect.DeepEqual(r.kernelState(), kernel) || !reflect.DeepEqual(r.files(), files) {
		t.Error("kernel or store changed")
	}
}

// A kernel that refuses part of the new state gets the previous state back
// whole: addresses, routes, link modes (network.md: a failure restores
// the previous state).
func TestKernelRefusalRollsBack(t *testing.T) {
	r := newRig(t, rigOptions{})
	kernel, files := r.kernelState(), r.files()
	r.sn.Kernel().Refuse(func(op string, arg any) error {
		if a, ok := arg.(netapply.Addr); ok && op == "AddAddr" && a.Prefix == staticIP {
			return errors.New("no buffer space available")
		}
		return nil
	})
	next := static(staticIP, router)
	next.Link.LAN = netcfg.Link100Half
	_, err := r.m.Apply(t.Context(), next, netapi.ApplyOptions{})
	if kindOf(err) != netapi.KindApplyFailed || !strings.Contains(err.Error(), "no buffer space available") {
		t.Fatalf("error %v, want apply_failed with the kernel's reason", err)
	}
	r.sn.Kernel().Refuse(nil)
	if got := r.kernelState(); !reflect.DeepEqual(got, kernel) {
		t.Errorf("kernel after the refusal:\n%+v\nwant the previous\n%+v", got, kernel)
	}
	if m := r.sn.NICs().Mode("eth0"); m != netcfg.LinkAuto {
		t.Errorf("LAN link mode %s, want AUTO restored", m)
	}
	if sets := r.sn.NICs().Sets(); !reflect.DeepEqual(sets, []string{"eth0 100baseT/Half", "eth0 AUTO"}) {
		t.Errorf("link mode changes %q, want the new mode then the old one back", sets)
	}
	if !reflect.DeepEqual(r.files(), files) {
		t.Error("store written for a failed change")
	}
	if got, want := r.stages(), []netmgr.Stage{netmgr.StageValidated, netmgr.StageScanCancel, netmgr.StageLinkModes}; !reflect.DeepEqual(got, want) {
		t.Errorf("stages %v, want %v", got, want)
	}
	// The manager still works: the same change goes through once the
	// kernel takes it.
	if res, err := r.m.Apply(t.Context(), next, netapi.ApplyOptions{}); err != nil || !res.Test.OK {
		t.Errorf("apply after the refusal: %v %+v", err, res.Test)
	}
}

// A change whose test fails is in force and stored but not last-known-good
// (netapi.Result: "A failed test does not undo the change").
func TestFailedTestStoresButNotLastKnownGood(t *testing.T) {
	r := newRig(t, rigOptions{})
	good := static(staticIP, router)
	if res, err := r.m.Apply(t.Context(), good, netapi.ApplyOptions{}); err != nil || !res.Test.OK {
		t.Fatalf("apply good: %v %+v", err, res.Test)
	}
	bad := static(netip.MustParsePrefix("192.168.77.11/24"), netip.MustParseAddr("192.168.77.254")) // no router there
	res, err := r.m.Apply(t.Context(), bad, netapi.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Test == nil || res.Test.OK || res.Test.Reason() != "GATEWAY UNREACHABLE" {
		t.Fatalf("test %+v, want GATEWAY UNREACHABLE", res.Test)
	}
	if ld := r.store.Load(); ld.Source != netstore.FromStored || ld.Config.LAN.Address != bad.LAN.Address {
		t.Errorf("stored %+v, want the new configuration", ld.Config.LAN)
	}
	if got := lkgAddress(t, []byte(r.files()[netstore.LastKnownGoodFile])); got != staticIP {
		t.Errorf("last-known-good %s, want %s kept", got, staticIP)
	}
	if got := r.stages(); slices.Contains(got, netmgr.StageMarkedGood) && got[len(got)-1] == netmgr.StageMarkedGood {
		t.Errorf("stages %v end in last-known-good after a failed test", got)
	}
}

// A configuration that cannot be stored is not in force: the kernel gets
// the previous one back (spec: a restart would bring that one back).
func TestStoreFailureRestoresPrevious(t *testing.T) {
	r := newRig(t, rigOptions{})
	kernel := r.kernelState()
	// A directory where the file goes: the store's rename onto it fails.
	if err := os.MkdirAll(filepath.Join(r.dir, netstore.ConfigFile, "blocked"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := r.m.Apply(t.Context(), static(staticIP, router), netapi.ApplyOptions{})
	if kindOf(err) != netapi.KindInternal || !strings.Contains(err.Error(), "store the configuration") {
		t.Fatalf("error %v, want internal: store the configuration", err)
	}
	if got := r.kernelState(); !reflect.DeepEqual(got, kernel) {
		t.Errorf("kernel after the failed store:\n%+v\nwant the previous\n%+v", got, kernel)
	}
	if view, _ := r.m.Config(t.Context()); !netcfg.Equal(view.Config, netcfg.Default()) {
		t.Errorf("config in force %v, want the previous (defaults)", netcfg.Diff(netcfg.Default(), view.Config))
	}
}

// RESET NETWORK SETTINGS returns to the mode's defaults and removes static
// addresses, the proxy with its password and forced link modes; switching
// mode is a reset into the other mode's defaults (network.md, "Reset").
func TestResetAndSwitchMode(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := t.Context()
	c := static(staticIP, router)
	c.Link.LAN = netcfg.Link100Full
	c.Proxy = netcfg.Proxy{Host: "proxy.example.com", Port: 3128, User: "u", Password: netcfg.NewSecret("pw")}
	if _, err := r.m.Apply(ctx, c, netapi.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.m.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	ld := r.store.Load()
	if ld.Config.LAN.Method != netcfg.IPv4DHCP || ld.Config.Proxy.Enabled() || !ld.Config.Proxy.Password.IsZero() || ld.Config.Link.LAN != netcfg.LinkAuto {
		t.Errorf("stored after reset: %+v", ld.Config)
	}
	if m := r.sn.NICs().Mode("eth0"); m != netcfg.LinkAuto {
		t.Errorf("link mode %s after reset, want AUTO", m)
	}
	if got := lanAddrs(r.sn.Kernel()); len(got) != 1 || !got[0].Masked().Contains(router) || got[0] == staticIP {
		t.Errorf("LAN addresses after reset %v, want one lease from the network's DHCP", got)
	}
	if _, err := r.m.SwitchMode(ctx, netcfg.ModeIPv6Only); err != nil {
		t.Fatal(err)
	}
	if got := lanAddrs(r.sn.Kernel()); len(got) != 0 {
		t.Errorf("IPv4 addresses in IPv6-only mode: %v", got)
	}
	// The resolver comes from DHCPv6, which the client asks after a random
	// delay of up to a second (RFC 8415 INF_MAX_DELAY).
	var st netapi.Status
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if st, _ = r.m.Status(ctx); len(st.DNS) > 0 {
			break
		}
	}
	if want := []netip.Addr{netip.MustParseAddr("fd77::1")}; !reflect.DeepEqual(st.DNS, want) {
		t.Errorf("DNS %v in IPv6-only mode, want %v from DHCPv6", st.DNS, want)
	}
	lan := st.Interfaces[0]
	if st.Mode != netcfg.ModeIPv6Only || lan.IPv6.Method != netapi.MethodAuto || len(lan.IPv6.Addresses) != 1 ||
		!netip.MustParsePrefix("fd77::/64").Contains(lan.IPv6.Addresses[0].Addr()) {
		t.Errorf("IPv6-only status %+v, want an automatic address in the advertised fd77::/64", lan.IPv6)
	}
	if ct, err := r.m.TestConnectivity(ctx); err != nil || !ct.OK {
		t.Errorf("test in IPv6-only mode %+v (%v), want passed over IPv6", ct, err)
	}
}

// At boot, a stored configuration the kernel refuses is replaced by the
// defaults of its mode, and the health says why.
func TestBootFallsBackWhenTheKernelRefuses(t *testing.T) {
	r := newRig(t, rigOptions{beforeRun: func(r *rig) {
		c := netcfg.Default()
		c.VLAN = 30
		if err := r.store.Save(c); err != nil {
			t.Fatal(err)
		}
		r.sn.Kernel().Refuse(func(op string, _ any) error {
			if op == "AddVLAN" {
				return netapply.ErrNoVLANSupport
			}
			return nil
		})
	}})
	st, err := r.m.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Health.State != netapi.HealthDegraded || !strings.Contains(st.Health.Reason, "running the defaults") {
		t.Errorf("health %+v, want degraded: running the defaults", st.Health)
	}
	if view, _ := r.m.Config(t.Context()); view.Config.VLAN != 0 {
		t.Errorf("VLAN %d in force, want the defaults' none", view.Config.VLAN)
	}
	if got := lanAddrs(r.sn.Kernel()); !reflect.DeepEqual(got, []netip.Prefix{leased}) {
		t.Errorf("LAN addresses %v, want the defaults' lease %s", got, leased)
	}
}

// The management path is the route management traffic takes in the
// configuration in force: LAN and its lease's resolver by default, WAN's
// address and resolver with split networking (network spec: split
// networking carries management out of WAN), and the proxy with the
// password the store keeps sealed, which no other answer carries.
func TestManagementPath(t *testing.T) {
	const stored, changed = "Pw-sealed-st0re", "Pw-changed-ap1"
	proxy := netcfg.Proxy{Host: "proxy.example.com", Port: 3128, User: `LAB\scan`}
	r := newRig(t, rigOptions{beforeRun: func(r *rig) {
		c := netcfg.Default()
		c.Proxy = proxy
		c.Proxy.Password = netcfg.NewSecret(stored)
		if err := r.store.Save(c); err != nil {
			t.Fatal(err)
		}
	}})
	ctx := t.Context()
	if b := r.files()[netstore.ConfigFile]; !strings.Contains(b, "sealed") || strings.Contains(b, stored) {
		t.Fatalf("the store file does not hold the password sealed:\n%s", b)
	}
	mp, err := r.m.ManagementPath(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := proxy
	want.Password = netcfg.NewSecret(stored)
	if mp.Interface != netapi.LAN || mp.Device != "eth0" || mp.Source.IsValid() ||
		!reflect.DeepEqual(mp.DNS, []netip.Addr{router}) || mp.Proxy != want {
		t.Fatalf("management path at boot %+v (password %q), want LAN eth0, no source, DNS %s, the stored proxy with its password",
			mp, mp.Proxy.Password.Reveal(), router)
	}
	if view, _ := r.m.Config(ctx); !view.Config.Proxy.Password.IsZero() || !view.ProxyPasswordSet {
		t.Errorf("Config carries the password or does not say one is set: %+v", view)
	}

	// Split networking: WAN takes a lease on its own network (simnet's WAN:
	// 198.51.100.0/24, router and DNS at .1); the password is kept.
	split := netcfg.Default()
	split.WAN = netcfg.WAN{Method: netcfg.WANDHCP}
	split.Proxy = proxy
	if _, err := r.m.Apply(ctx, split, netapi.ApplyOptions{KeepProxyPassword: true}); err != nil {
		t.Fatal(err)
	}
	mp, err = r.m.ManagementPath(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wanNet, wanDNS := netip.MustParsePrefix("198.51.100.0/24"), netip.MustParseAddr("198.51.100.1")
	if mp.Interface != netapi.WAN || mp.Device != "eth1" || !wanNet.Contains(mp.Source) || mp.Source == wanDNS ||
		!reflect.DeepEqual(mp.DNS, []netip.Addr{wanDNS}) || mp.Proxy.Password.Reveal() != stored {
		t.Fatalf("management path with split networking %+v, want WAN eth1 from a lease in %s, DNS %s, the password kept", mp, wanNet, wanDNS)
	}
	if st, _ := r.m.Status(ctx); st.ManagementSource != mp.Source || !reflect.DeepEqual(st.DNS, mp.DNS) {
		t.Errorf("status says source %s DNS %v, the management path %s %v", st.ManagementSource, st.DNS, mp.Source, mp.DNS)
	}

	split.Proxy.Password = netcfg.NewSecret(changed)
	if _, err := r.m.Apply(ctx, split, netapi.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if mp, _ = r.m.ManagementPath(ctx); mp.Proxy.Password.Reveal() != changed {
		t.Errorf("after a change of password the path has %q, want %q", mp.Proxy.Password.Reveal(), changed)
	}
	if _, err := r.m.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if mp, _ = r.m.ManagementPath(ctx); mp.Proxy != (netcfg.Proxy{}) || mp.Interface != netapi.LAN {
		t.Errorf("after a reset the path is %+v, want LAN with no proxy", mp)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.m.ManagementPath(done); kindOf(err) != netapi.KindCanceled {
		t.Errorf("management path with a done context: %v, want %s", err, netapi.KindCanceled)
	}
}

// The status names each scanning VLAN the platform pushed with the
// device netapply made for it (802.1Q on the LAN port, not on a panel
// VLAN), whether it is up, and its address: what a scan job on the VLAN
// sends through.
func TestStatusScanVLANs(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := t.Context()
	c := static(staticIP, router)
	c.VLAN = 30 // the panel's VLAN: LAN's addresses move to eth0.30
	if _, err := r.m.Apply(ctx, c, netapi.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if st, _ := r.m.Status(ctx); len(st.ScanVLANs) != 0 {
		t.Fatalf("no VLAN pushed, status lists %+v", st.ScanVLANs)
	}
	v20 := netip.MustParsePrefix("10.20.0.5/24")
	v21 := netip.MustParsePrefix("fd00:21::5/64")
	if _, err := r.m.ApplyPlatform(ctx, netcfg.Platform{
		ScanVLANs: []netcfg.ScanVLAN{{ID: 20, Name: "lab", Address: v20}, {ID: 21, Address: v21}},
		ScanIPv6:  netcfg.ScanIPv6{Method: netcfg.ScanIPv6Auto},
	}); err != nil {
		t.Fatal(err)
	}
	st, err := r.m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []netapi.ScanVLAN{
		{ID: 20, Name: "lab", Device: "eth0.20", Up: true, Addresses: []netip.Prefix{v20}},
		{ID: 21, Device: "eth0.21", Up: true, Addresses: []netip.Prefix{v21}},
	}
	if !reflect.DeepEqual(st.ScanVLANs, want) {
		t.Fatalf("scan VLANs in status\n%+v\nwant\n%+v", st.ScanVLANs, want)
	}
	if lan := st.Interfaces[0]; lan.Device != "eth0.30" {
		t.Errorf("LAN device %s, want the panel VLAN's eth0.30", lan.Device)
	}
}
