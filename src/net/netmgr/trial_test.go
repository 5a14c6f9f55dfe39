package netmgr_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/netmgr"
	"picket.dev/picket/src/net/netstore"
	"picket.dev/picket/src/net/simnet"
	"picket.dev/picket/src/testkit/fakeclock"
)

// A change that cuts the box off, on the simulated network: a static
// address whose gateway does not exist (the path test stops at GATEWAY
// UNREACHABLE), after one that reaches the platform.
var cutOff = static(netip.MustParsePrefix("192.168.77.11/24"), netip.MustParseAddr("192.168.77.254"))

// trialRig is a rig on a fake clock that times the trials; the grace
// periods are the defaults.
func trialRig(t *testing.T, o rigOptions) (*rig, *fakeclock.Clock) {
	t.Helper()
	clk := fakeclock.New(t, time.Now())
	o.options = func(opt *netmgr.Options) { opt.Clock = clk }
	r := newRig(t, o)
	// A first change that reaches the platform: last-known-good.
	if res, err := r.m.Apply(t.Context(), static(staticIP, router), netapi.ApplyOptions{}); err != nil || !res.Test.OK || res.Trial != nil {
		t.Fatalf("apply the good configuration: %v %+v", err, res)
	}
	clk.Advance(time.Second)
	return r, clk
}

func (r *rig) status() netapi.Status {
	r.t.Helper()
	st, err := r.m.Status(r.t.Context())
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

func (r *rig) exists(name string) bool {
	_, err := os.Stat(filepath.Join(r.dir, name))
	return err == nil
}

// step fires the supervisor's next timer and waits until it armed the one
// after it or the trial ended; it returns how far the clock is from its
// start.
func (r *rig) step(clk *fakeclock.Clock) time.Duration {
	r.t.Helper()
	at := clk.Fire()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if len(clk.Pending()) > 0 || r.status().Trial == nil {
			return at
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.t.Fatalf("the supervisor neither armed a timer nor ended the trial after the timer at %s", at)
	return at
}

// checkRolledBack: the good configuration is in force, stored, in the
// kernel, with no trial left and the rollback recorded.
func (r *rig) checkRolledBack(source, reason string) netapi.Rollback {
	r.t.Helper()
	st := r.status()
	if st.Trial != nil || st.Rollback == nil {
		r.t.Fatalf("after the rollback: trial %+v, rollback %+v", st.Trial, st.Rollback)
	}
	if st.Rollback.Source != source || !strings.Contains(st.Rollback.Reason, reason) {
		r.t.Errorf("rollback %+v, want from the %s, saying %q", *st.Rollback, source, reason)
	}
	view, err := r.m.Config(r.t.Context())
	if err != nil || view.Config.LAN.Address != staticIP {
		r.t.Errorf("in force after the rollback: %v (%v), want %s", view.Config.LAN.Address, err, staticIP)
	}
	if ld := r.store.Load(); ld.Source != netstore.FromStored || ld.Config.LAN.Address != staticIP {
		r.t.Errorf("stored after the rollback: %v from %v", ld.Config.LAN.Address, ld.Source)
	}
	if r.exists(netstore.TrialFile) || !r.exists(netstore.RollbackFile) {
		r.t.Errorf("files after the rollback: trial %v (want none), rollback %v (want one)", r.exists(netstore.TrialFile), r.exists(netstore.RollbackFile))
	}
	if got := lanAddrs(r.sn.Kernel()); len(got) != 1 || got[0] != staticIP {
		r.t.Errorf("kernel LAN addresses %v, want [%s]", got, staticIP)
	}
	return *st.Rollback
}

// A change at the panel that cuts the box off is on trial for the panel's
// grace period, tested again every 30 s, and rolled back at its deadline,
// not before.
func TestPanelChangeThatCutsOffRevertsAtDeadline(t *testing.T) {
	r, clk := trialRig(t, rigOptions{})
	res, err := r.m.Apply(t.Context(), cutOff, netapi.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Trial
	if tr == nil || tr.Source != netapi.SourcePanel || tr.Reason != "GATEWAY UNREACHABLE" || tr.Deadline.Sub(tr.Started) != netmgr.DefaultPanelGrace {
		t.Fatalf("result trial %+v; want one from the panel for %s, GATEWAY UNREACHABLE", tr, netmgr.DefaultPanelGrace)
	}
	if st := r.status(); st.Trial == nil || st.Trial.ID != tr.ID {
		t.Fatalf("status trial %+v, want %s", st.Trial, tr.ID)
	}
	if !r.exists(netstore.TrialFile) {
		t.Fatal("no trial record on the data partition")
	}
	var at time.Duration
	for i := 0; r.status().Trial != nil; i++ {
		if i > 10 {
			t.Fatal("no rollback after 10 timers")
		}
		at = r.step(clk)
		if st := r.status(); st.Trial != nil && st.LastTest != nil && st.LastTest.OK {
			t.Fatalf("a retest passed on a configuration that cannot reach the platform")
		}
	}
	// The trial started a second after the clock's start.
	if want := time.Second + netmgr.DefaultPanelGrace; at != want {
		t.Errorf("rolled back at %s, want at the deadline %s", at, want)
	}
	rb := r.checkRolledBack(netapi.SourcePanel, "GATEWAY UNREACHABLE")
	if rb.ID != tr.ID || !strings.Contains(rb.Reason, "lan.address") {
		t.Errorf("rollback %+v, want trial %s naming lan.address", rb, tr.ID)
	}
	// Back on the good configuration, the box reaches the platform (the
	// trial ends before the test after the rollback does).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		st := r.status()
		if st.LastTest != nil && st.LastTest.OK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the test after the rollback: %+v", st.LastTest)
		}
	}
}

// REVERT? and KEEP? end the trial before the deadline; a change made
// while the box does not reach the platform is not put on trial.
func TestPanelTrialKeepAndRevert(t *testing.T) {
	r, clk := trialRig(t, rigOptions{})
	res, err := r.m.Apply(t.Context(), cutOff, netapi.ApplyOptions{})
	if err != nil || res.Trial == nil {
		t.Fatalf("apply: %v, trial %+v", err, res.Trial)
	}
	if _, err := r.m.EndTrial(t.Context(), "other", true); netapi.KindOf(err) != netapi.KindNotApplicable {
		t.Errorf("ending another trial: %v, want %s", err, netapi.KindNotApplicable)
	}
	if _, err := r.m.EndTrial(t.Context(), res.Trial.ID, true); err != nil {
		t.Fatalf("keep: %v", err)
	}
	if st := r.status(); st.Trial != nil || st.Rollback != nil || r.exists(netstore.TrialFile) {
		t.Fatalf("after KEEP: trial %+v, rollback %+v, record %v", st.Trial, st.Rollback, r.exists(netstore.TrialFile))
	}
	for deadline := time.Now().Add(5 * time.Second); len(clk.Pending()) != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timers %v after KEEP; the trial's should be gone", clk.Pending())
		}
	}
	if ld := r.store.Load(); ld.Config.LAN.Address != cutOff.LAN.Address {
		t.Errorf("stored after KEEP: %v", ld.Config.LAN.Address)
	}
	// Cut off already: the next change cannot be what cut it off.
	clk.Advance(time.Second)
	other := cutOff.Clone()
	other.LAN.Address = netip.MustParsePrefix("192.168.77.12/24")
	if res, err := r.m.Apply(t.Context(), other, netapi.ApplyOptions{}); err != nil || res.Trial != nil {
		t.Fatalf("a change while cut off: %v, trial %+v; want none", err, res.Trial)
	}

	// Reaching the platform again, then REVERT? at once.
	clk.Advance(time.Second)
	if res, err := r.m.Apply(t.Context(), static(staticIP, router), netapi.ApplyOptions{}); err != nil || !res.Test.OK {
		t.Fatalf("back to the good configuration: %v", err)
	}
	clk.Advance(time.Second)
	res, err = r.m.Apply(t.Context(), cutOff, netapi.ApplyOptions{})
	if err != nil || res.Trial == nil {
		t.Fatalf("apply: %v, trial %+v", err, res.Trial)
	}
	rev, err := r.m.EndTrial(t.Context(), res.Trial.ID, false)
	if err != nil || rev.Test == nil || !rev.Test.OK || len(rev.Changes) == 0 {
		t.Fatalf("revert: %v %+v", err, rev)
	}
	r.checkRolledBack(netapi.SourcePanel, "reverted by the operator")
	if _, err := r.m.EndTrial(t.Context(), res.Trial.ID, false); netapi.KindOf(err) != netapi.KindNotApplicable {
		t.Errorf("reverting twice: %v, want %s", err, netapi.KindNotApplicable)
	}
}

// Platform settings that cut the box off are rolled back after the
// platform's grace period; settings whose test fails but with which the
// platform link's poll goes through stay, and become last-known-good.
func TestPlatformSettingsTrial(t *testing.T) {
	var lan *simnet.Segment
	cut := false // pull the LAN cable once the platform's settings are applied
	var r *rig
	r, clk := trialRig(t, rigOptions{
		network: func(c *simnet.Config) { lan = c.LANNet },
		onStage: func(op string, s netmgr.Stage) {
			if cut && op == "apply platform settings" && s == netmgr.StageApplied {
				r.sn.Plug("eth0", nil)
			}
		},
	})
	cut = true
	routes := netcfg.Platform{Routes: []netcfg.Route{{Destination: netip.MustParsePrefix("10.9.0.0/16"), Gateway: router}}}
	res, err := r.m.ApplyPlatform(t.Context(), routes)
	if err != nil || res.Trial == nil || res.Trial.Source != netapi.SourcePlatform || res.Trial.Deadline.Sub(res.Trial.Started) != netmgr.DefaultPlatformGrace {
		t.Fatalf("apply platform settings: %v, trial %+v", err, res.Trial)
	}
	// The platform link's poll goes through (the cable is back): the
	// settings stay and are last-known-good.
	r.sn.Plug("eth0", lan)
	clk.Advance(time.Second)
	if err := r.m.ReportPlatform(t.Context(), netapi.PlatformLink{State: netapi.LinkReady, Name: "b", LastPoll: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.status().Trial != nil {
		if time.Now().After(deadline) {
			t.Fatal("a poll that went through did not end the trial")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st := r.status(); st.Rollback != nil {
		t.Fatalf("rolled back: %+v", st.Rollback)
	}
	good, err := r.store.LastKnownGood()
	if err != nil || len(good.Platform.Routes) != 1 {
		t.Fatalf("last-known-good after the poll: %+v (%v), want the route", good.Platform, err)
	}

	// Settings that keep it cut off are rolled back after 3 minutes.
	clk.Advance(time.Second)
	more := routes.Clone()
	more.Routes = append(more.Routes, netcfg.Route{Destination: netip.MustParsePrefix("10.8.0.0/16"), Gateway: router})
	res, err = r.m.ApplyPlatform(t.Context(), more)
	if err != nil || res.Trial == nil {
		t.Fatalf("apply platform settings: %v, trial %+v", err, res.Trial)
	}
	// A poll answered before the change does not count.
	if err := r.m.ReportPlatform(t.Context(), netapi.PlatformLink{State: netapi.LinkReady, Name: "b", LastPoll: clk.Now().Add(-2 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	var at time.Duration
	for r.status().Trial != nil {
		at = r.step(clk)
	}
	if want := 3*time.Second + netmgr.DefaultPlatformGrace; at != want {
		t.Errorf("rolled back at %s, want %s", at, want)
	}
	st := r.status()
	if st.Rollback == nil || st.Rollback.Source != netapi.SourcePlatform || !strings.Contains(st.Rollback.Reason, "platform settings (platform.routes[1])") || !strings.Contains(st.Rollback.Reason, "3m0s") {
		t.Fatalf("rollback %+v", st.Rollback)
	}
	view, _ := r.m.Config(t.Context())
	if len(view.Config.Platform.Routes) != 1 {
		t.Errorf("routes in force after the rollback: %v, want the first only", view.Config.Platform.Routes)
	}
}

// A manager stopped during a trial (a power cut, a crash) starts on the
// last-known-good configuration and says why.
func TestRestartDuringTrialRollsBack(t *testing.T) {
	r, _ := trialRig(t, rigOptions{})
	res, err := r.m.Apply(t.Context(), cutOff, netapi.ApplyOptions{})
	if err != nil || res.Trial == nil {
		t.Fatalf("apply: %v, trial %+v", err, res.Trial)
	}
	r.stop()
	r.start()
	rb := r.checkRolledBack(netapi.SourcePanel, "restarted during its trial")
	if rb.ID != res.Trial.ID {
		t.Errorf("rollback of %s, want %s", rb.ID, res.Trial.ID)
	}
	if st := r.status(); st.Config.Source != netapi.SourceLastKnownGood {
		t.Errorf("configuration source %+v, want last-known-good", st.Config)
	}
}
