package netmgr

import (
	"context"
	"fmt"
	"strings"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/netstore"
)

// Defaults of the changes on trial (Options).
const (
	// DefaultPlatformGrace is how long settings the platform pushed may
	// leave the box without the platform before the manager restores the
	// last-known-good configuration: a minute more than the poll
	// interval's default would not help (the manager tests the path
	// itself), and three minutes ride out a gateway or proxy that takes
	// its time after a VLAN appears.
	DefaultPlatformGrace = 3 * time.Minute
	// DefaultPanelGrace is how long REVERT? waits for the operator before
	// the manager reverts a change made at the panel: netplan try's two
	// minutes, time to read the screen and walk to KEEP?.
	DefaultPanelGrace = 2 * time.Minute
	// DefaultTrialRetest is how often the path is tested again while a
	// change is on trial: a change that reaches the platform after all
	// (a lease, a proxy that came up late) is confirmed at the next test.
	DefaultTrialRetest = 30 * time.Second
)

// maxReasonChanges bounds the fields a rollback's reason names.
const maxReasonChanges = 4

// The evidence that the configuration in force reaches the platform, and
// the change on trial, are kept in Manager under mu:
//
//	since    when the configuration in force was applied
//	reached  the latest evidence on it (a test, a poll reported) says the
//	         platform is reached
//	contact  the last successful poll the platform link reported after since
//	good     the last-known-good copy as stored (haveGood: there is one)
//	trial    the change on trial, nil when none
//
// A change is put on trial only when it took the box from reaching the
// platform to not reaching it: the configuration before it was the
// last-known-good one and the latest evidence on it was a success, and
// the test after it failed. A box that could not reach the platform before
// a change cannot have been cut off by it, and reverting would undo the
// operator's work towards a first contact (a static address, then a
// proxy).

// trialSource is who made a change, for the trial's grace period; "" for
// changes never put on trial (RESET, mode switches: the operator asked for
// the defaults, and the store drops the last-known-good copy with them).
func (m *Manager) grace(source string) time.Duration {
	switch source {
	case netapi.SourcePlatform:
		return m.opt.PlatformGrace
	case netapi.SourcePanel:
		return m.opt.PanelGrace
	}
	return 0
}

// beginChange notes that a change starts: the evidence of reaching the
// platform is about the configuration before it. It returns whether the
// change may be put on trial, and a function that puts the evidence back
// when the change does not happen.
func (m *Manager) beginChange(cur netcfg.Config) (onTrialAllowed bool, undo func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	onTrialAllowed = m.reached && m.haveGood && m.trial == nil && netcfg.Equal(cur, m.good)
	since, reached := m.since, m.reached
	m.since, m.reached = m.opt.Now(), false
	return onTrialAllowed, func() {
		m.mu.Lock()
		m.since, m.reached = since, reached
		m.mu.Unlock()
	}
}

// armTrial records a trial of the change from cur to next, whose test
// failed, before the change is stored. A failure to record it is logged:
// the change then goes on as before trials existed.
func (m *Manager) armTrial(source, op string, started time.Time, test netapi.ConnTest, changes []netcfg.Change) *netstore.Trial {
	g := m.grace(source)
	if g <= 0 {
		return nil
	}
	tr := &netstore.Trial{
		ID:       fmt.Sprintf("%s-%d", source, started.UnixNano()),
		Source:   source,
		Op:       op,
		Started:  started,
		Deadline: started.Add(g),
		Reason:   failure(test),
	}
	for _, c := range changes {
		tr.Changes = append(tr.Changes, c.Field)
	}
	if err := m.opt.Store.SaveTrial(*tr); err != nil {
		m.log.Error("recording the change on trial; it stays in force without a deadline", "op", op, "err", err)
		return nil
	}
	m.log.Warn("change on trial: the box reached the platform before it and does not after it",
		"op", op, "source", source, "reason", tr.Reason, "deadline", tr.Deadline.Format(time.RFC3339), "grace", g.String())
	return tr
}

// failure is the first failed step of a test, for the trial and the
// rollback's reason.
func failure(t netapi.ConnTest) string {
	f, ok := t.FirstFailure()
	if !ok {
		return ""
	}
	if f.Detail != "" {
		return f.Panel + " (" + f.Detail + ")"
	}
	return f.Panel
}

// kickTrials wakes the trial supervisor.
func (m *Manager) kickTrials() {
	select {
	case m.trialKick <- struct{}{}:
	default:
	}
}

// superviseTrials runs until ctx is done: it confirms the configuration
// in force as last-known-good when the platform link reports a poll that
// went through with it, and ends the change on trial, confirmed by such a
// poll or a passing test (tested again every TrialRetest), or rolled back
// at its deadline.
func (m *Manager) superviseTrials(ctx context.Context) {
	for {
		m.mu.Lock()
		tr := m.trial
		m.mu.Unlock()
		var wake <-chan time.Time
		stop := func() {}
		if tr != nil {
			d := min(tr.Deadline.Sub(m.opt.Now()), m.opt.TrialRetest)
			t := m.opt.Clock.NewTimer(max(d, 0))
			wake, stop = t.C(), func() { t.Stop() }
		}
		select {
		case <-ctx.Done():
			stop()
			return
		case <-m.trialKick:
		case <-wake:
		}
		stop()
		m.change.Lock()
		if ctx.Err() == nil {
			m.superviseStep(ctx)
		}
		m.change.Unlock()
	}
}

// superviseStep is one look at the trial. The caller holds m.change.
func (m *Manager) superviseStep(ctx context.Context) {
	m.mu.Lock()
	tr, contact, since := m.trial, m.contact, m.since
	m.mu.Unlock()
	if contact.After(since) && (tr == nil || contact.After(tr.Started)) {
		m.contacted("poll reported by the platform link")
		return
	}
	if tr == nil {
		return
	}
	test := m.check(ctx, "test during the trial")
	m.record("test during the trial", m.committed(), test)
	if test.OK || ctx.Err() != nil {
		return // record confirmed it
	}
	if now := m.opt.Now(); now.Before(tr.Deadline) {
		return
	}
	reason := fmt.Sprintf("%s: the box did not reach the platform in the %s after it (last test: %s); the configuration in force at the last contact with the platform (last-known-good) was restored",
		describe(tr), tr.Deadline.Sub(tr.Started).Round(time.Second), orNone(failure(test)))
	m.rollBack(ctx, tr, reason)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// describe names the change on trial and the fields it set.
func describe(tr *netstore.Trial) string {
	what := "a change made at the panel"
	if tr.Source == netapi.SourcePlatform {
		what = "platform settings"
	}
	if n := len(tr.Changes); n > 0 {
		fields := tr.Changes[:min(n, maxReasonChanges)]
		more := ""
		if n > maxReasonChanges {
			more = fmt.Sprintf(" and %d more", n-maxReasonChanges)
		}
		what += " (" + strings.Join(fields, ", ") + more + ")"
	}
	return what
}

// contacted makes the configuration in force last-known-good, the
// platform having been reached with it, and confirms the change on trial.
// The caller holds m.change.
func (m *Manager) contacted(how string) {
	cfg := m.committed()
	m.mu.Lock()
	m.reached = true
	same := m.haveGood && netcfg.Equal(cfg, m.good)
	m.mu.Unlock()
	if !same {
		if err := m.opt.Store.MarkGood(cfg); err != nil {
			m.log.Error("record last-known-good after a contact with the platform", "err", err)
			m.mu.Lock()
			m.lkgErr = fmt.Sprintf("record last-known-good: %v", err)
			m.mu.Unlock()
		} else {
			m.mu.Lock()
			m.good, m.haveGood, m.lkgErr = cfg.Clone(), true, ""
			m.mu.Unlock()
		}
	}
	m.confirm(how)
	m.publish()
}

// confirm ends the change on trial, if any, keeping it in force. The
// caller holds m.change.
func (m *Manager) confirm(how string) {
	m.mu.Lock()
	tr := m.trial
	m.mu.Unlock()
	if tr == nil {
		return
	}
	if err := m.opt.Store.ClearTrial(); err != nil {
		// The record outlives the trial: a restart would roll back a
		// change that reached the platform. Keep trying at the next look.
		m.log.Error("clear the change on trial after it was confirmed", "err", err)
		return
	}
	m.mu.Lock()
	m.trial = nil
	m.mu.Unlock()
	m.kickTrials()
	m.log.Info("change on trial confirmed", "op", tr.Op, "source", tr.Source, "by", how)
}

// rollBack restores the last-known-good configuration in place of the
// change on trial tr and records why. The caller holds m.change.
func (m *Manager) rollBack(ctx context.Context, tr *netstore.Trial, reason string) (netapi.Result, error) {
	m.mu.Lock()
	good, haveGood := m.good.Clone(), m.haveGood
	m.mu.Unlock()
	if !haveGood {
		// Cannot happen (a trial needs the copy); drop the trial.
		m.log.Error("no last-known-good configuration to roll back to; the change stays", "op", tr.Op)
		m.confirm("no last-known-good copy")
		return netapi.Result{}, &netapi.Error{Kind: netapi.KindInternal, Message: "roll back: no last-known-good configuration"}
	}
	now := m.opt.Now()
	rec := netstore.Rollback{ID: tr.ID, Source: tr.Source, Op: tr.Op, At: now, Reason: reason}
	if err := m.opt.Store.RollBack(good, rec); err != nil {
		m.log.Error("roll back to the last-known-good configuration", "op", tr.Op, "err", err)
		return netapi.Result{}, &netapi.Error{Kind: netapi.KindInternal, Message: fmt.Sprintf("roll back: %v", err), Err: err}
	}
	m.log.Warn("rolled back to the last-known-good configuration", "op", tr.Op, "source", tr.Source, "reason", reason)
	bg := context.WithoutCancel(ctx)
	if m.opt.Canceler != nil {
		if _, err := m.opt.Canceler.CancelScan(bg, "roll back network settings"); err != nil {
			// The rollback reconnects the box; it does not wait for a
			// scanner that does not answer.
			m.log.Warn("cancel the running scan before the rollback", "err", err)
		}
	}
	cur := m.committed()
	m.mu.Lock()
	m.since, m.reached = now, false
	m.mu.Unlock()
	if err := m.bring(bg, cur, good, false, nil); err != nil {
		// Stored already: the next start applies it.
		m.log.Error("applying the last-known-good configuration", "err", err)
	}
	m.mu.Lock()
	m.cfg, m.trial, m.rollback, m.fallback = good.Clone(), nil, &rec, ""
	m.mu.Unlock()
	m.waitAddress(bg)
	test := m.check(bg, "roll back")
	m.record("roll back", good, test)
	return netapi.Result{Changes: netcfg.Diff(cur, good), Test: &test}, nil
}

// rollBackAtBoot restores the last-known-good configuration when the
// manager stopped (a crash, a power cut) while a change was on trial: the
// change had cut the box off when it stopped. The caller holds m.change,
// before the configuration is applied.
func (m *Manager) rollBackAtBoot() {
	tr, ok, err := m.opt.Store.LoadTrial()
	if err != nil {
		m.log.Error("read the change on trial; it is dropped", "err", err)
		if err := m.opt.Store.ClearTrial(); err != nil {
			m.log.Error("clear the change on trial", "err", err)
		}
		return
	}
	if !ok {
		return
	}
	good, err := m.opt.Store.LastKnownGood()
	if err != nil {
		m.log.Error("a change was on trial but there is no last-known-good configuration to restore; it stays", "op", tr.Op, "err", err)
		if err := m.opt.Store.ClearTrial(); err != nil {
			m.log.Error("clear the change on trial", "err", err)
		}
		return
	}
	reason := fmt.Sprintf("%s: the network manager restarted during its trial (its test had failed: %s); the configuration in force at the last contact with the platform (last-known-good) was restored",
		describe(&tr), orNone(tr.Reason))
	rec := netstore.Rollback{ID: tr.ID, Source: tr.Source, Op: tr.Op, At: m.opt.Now(), Reason: reason}
	if err := m.opt.Store.RollBack(good, rec); err != nil {
		m.log.Error("roll back at start", "err", err)
		return
	}
	m.log.Warn("rolled back to the last-known-good configuration at start", "op", tr.Op, "source", tr.Source, "reason", reason)
	m.mu.Lock()
	m.cfg, m.kcfg, m.rollback = good.Clone(), good.Clone(), &rec
	m.good, m.haveGood = good.Clone(), true
	m.source = netapi.ConfigSource{Source: netapi.SourceLastKnownGood, Reason: reason}
	m.mu.Unlock()
}

// EndTrial implements netapi.Manager.
func (m *Manager) EndTrial(ctx context.Context, id string, keep bool) (netapi.Result, error) {
	if err := ctx.Err(); err != nil {
		return netapi.Result{}, netapi.Canceled("end trial", err)
	}
	m.change.Lock()
	defer m.change.Unlock()
	m.mu.Lock()
	tr := m.trial
	m.mu.Unlock()
	if tr == nil || (id != "" && id != tr.ID) {
		return netapi.Result{}, &netapi.Error{Kind: netapi.KindNotApplicable, Message: fmt.Sprintf("end trial: no change %q is on trial (it was kept, reverted or confirmed already)", id)}
	}
	if keep {
		if err := m.opt.Store.ClearTrial(); err != nil {
			return netapi.Result{}, &netapi.Error{Kind: netapi.KindInternal, Message: fmt.Sprintf("keep the change: %v", err), Err: err}
		}
		m.mu.Lock()
		m.trial = nil
		m.mu.Unlock()
		m.log.Info("change on trial kept by the operator", "op", tr.Op, "source", tr.Source)
		m.kickTrials()
		m.publish()
		return netapi.Result{}, nil
	}
	reason := fmt.Sprintf("%s: reverted by the operator at REVERT? (its test had failed: %s); the last-known-good configuration was restored",
		describe(tr), orNone(tr.Reason))
	return m.rollBack(ctx, tr, reason)
}

// trialView and rollbackView are the API's views of the records.
func trialView(tr *netstore.Trial) *netapi.Trial {
	if tr == nil {
		return nil
	}
	return &netapi.Trial{ID: tr.ID, Source: tr.Source, Op: tr.Op, Started: tr.Started, Deadline: tr.Deadline, Reason: panelWords(tr.Reason)}
}

// panelWords is the panel part of a failure ("GATEWAY UNREACHABLE" of
// "GATEWAY UNREACHABLE (no answer from 10.0.0.1)").
func panelWords(reason string) string {
	w, _, _ := strings.Cut(reason, " (")
	return w
}

func rollbackView(r *netstore.Rollback) *netapi.Rollback {
	if r == nil {
		return nil
	}
	return &netapi.Rollback{ID: r.ID, Source: r.Source, Op: r.Op, At: r.At, Reason: r.Reason}
}
