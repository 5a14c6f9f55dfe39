// Package panel is the loop shared by the LCD and console daemons. It
// reads the configuration and status the network manager reports on its
// local API, feeds the operator's keys to the menu engine, hands every frame
// to a display, and carries each confirmed change back: network changes to
// the network manager, reboot and shutdown to the power control. It polls
// the scanner's state (scanner.sock) to light LED S1 and show the scan's
// progress (SCANNING nn%) while a scan runs, and to show the signature
// database's version and age (SIGS STALE <n>d past the platform's
// limit), and the updater's state (updater.sock) to light LED S2 and
// show UPDATING nn% while an update is in hand, and the running
// software's version and the update under way in SHOW STATUS. It shows
// what init had to do to the data partition at this boot (DataNotice).
//
// It owns the menu; the daemons own the devices.
package loop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/menu"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/update/updateapi"
)

// Display shows frames: the LCD, or the VT100 console.
type Display interface {
	Draw(frame.Frame) error
}

// Power reboots or powers off the box. On the box it is the init's path;
// on a development host, a logged no-op.
type Power interface {
	Reboot(ctx context.Context) error
	Shutdown(ctx context.Context) error
}

// Panel is one front end (LCD or console) on the menu. It is not safe for
// concurrent use: Run owns it.
type Panel struct {
	mgr     netapi.Manager
	power   Power
	log     *slog.Logger
	version string

	menu *menu.Menu
	view netapi.ConfigView
	st   netapi.Status
	test menu.TestReport

	scanner ScanSource
	clock   clock.Clock
	scan    scanView // what the scanner last said

	updater  UpdateSource
	updClock clock.Clock
	upd      updateView // what the updater last said

	// revClock times REVERT?'s countdown (SetClock).
	revClock    clock.Clock
	data        menu.DataEvent // what init did to the data partition
	newIdentity bool
}

// DataNotice shows what init had to do to the data partition at this
// boot (initapi.DataNoticePath, which the main reads): its pages head the
// idle screen until the operator opens the menu. A kind of notice this
// panel does not know (a newer init) shows no data page; a new identity is
// still said.
func (p *Panel) DataNotice(n initapi.DataNotice) {
	switch n.Data {
	case initapi.DataRepaired:
		p.data = menu.DataRepaired
	case initapi.DataReset:
		p.data = menu.DataReset
	case initapi.DataUnavailable:
		p.data = menu.DataUnavailable
	default:
		p.data = menu.DataMounted
	}
	p.newIdentity = n.NewIdentity
	p.menu.Update(p.state())
}

// RevertTick is how often the countdown of REVERT? is redrawn.
const RevertTick = time.Second

// SetClock sets the clock of REVERT?'s countdown (the time left before
// the network manager reverts a change made at the panel that cut the box
// off); the system clock until then.
func (p *Panel) SetClock(c clock.Clock) { p.revClock = c }

// scanView is what the screens show of the scanner's state: whether a job
// runs (LED S1) and how far it has come, and the signature database's
// version and age. It is comparable, so a poll hands it on only when it
// changed.
type scanView struct {
	running          bool
	progress         menu.ScanProgress // the running job's, zero without one
	sigs             string            // version in force, "" none
	ageDays, maxDays int
}

// viewOf is what st says at now; a scanner that does not answer runs no
// scan and has no signatures to show.
func viewOf(st scanapi.State, err error, now time.Time) scanView {
	if err != nil {
		return scanView{}
	}
	v := scanView{running: st.Running}
	if p := st.Progress; st.Running && p != nil {
		v.progress = menu.ScanProgress{Phase: scanPhase(p.Phase), Done: p.TargetsDone, Total: p.TargetsTotal, HostsUp: max(p.HostsUp, 0)}
	}
	if s := st.Signatures; s != nil {
		v.sigs, v.maxDays = s.Version, s.MaxAgeDays
		if d := now.Sub(s.Created); d > 0 {
			v.ageDays = int(d / (24 * time.Hour))
		}
	}
	return v
}

// scanPhase maps platformapi.JobProgress's phases; one this panel does
// not know (a newer scanner) is shown as no phase, the counts still are.
func scanPhase(p string) menu.ScanPhase {
	switch p {
	case platformapi.PhaseResolving:
		return menu.ScanPhaseResolving
	case platformapi.PhaseDiscovery:
		return menu.ScanPhaseDiscovery
	case platformapi.PhasePortscan:
		return menu.ScanPhasePortscan
	case platformapi.PhaseServices:
		return menu.ScanPhaseServices
	case platformapi.PhaseDone:
		return menu.ScanPhaseDone
	}
	return menu.ScanPhaseUnknown
}

// ScanSource is the scanner's state: scanapi.Client on scanner.sock.
type ScanSource interface {
	State(ctx context.Context) (scanapi.State, error)
}

// ScanPollEvery is how often Serve asks the scanner whether a job runs
// (and which signatures it holds).
// The API has no subscription; a second is what a person notices of a
// light.
const ScanPollEvery = time.Second

// WatchScanner makes Serve poll s every ScanPollEvery (timed by c, nil:
// the system clock) and light S1 while it says a job runs. A scanner that
// does not answer (scannerd not running, or not yet) runs no scan.
func (p *Panel) WatchScanner(s ScanSource, c clock.Clock) {
	if c == nil {
		c = clock.System{}
	}
	p.scanner, p.clock = s, c
}

// ScanRunning tells the panel whether a scan runs (LED S1).
func (p *Panel) ScanRunning(running bool) {
	v := p.scan
	v.running = running
	if !running {
		v.progress = menu.ScanProgress{}
	}
	p.scanView(v)
}

func (p *Panel) scanView(v scanView) {
	if p.scan == v {
		return
	}
	p.scan = v
	p.menu.Update(p.state())
}

// UpdateSource is the updater's state: updateapi's client on updater.sock.
type UpdateSource interface {
	State(ctx context.Context) (updateapi.State, error)
}

// UpdatePollEvery is how often Serve asks the updater what it does: as
// often as the scanner, for the same reason (no subscription; a light and
// a percentage a person watches).
const UpdatePollEvery = ScanPollEvery

// updateView is what the screens show of the updater's state. It is
// comparable, so a poll hands it on only when it changed.
type updateView struct {
	running  bool             // updateapi.State.Busy: LED S2, UPDATING nn%
	update   menu.UpdateState // for the idle screen and SHOW STATUS
	software string           // the running slot's version, "" unknown
}

// updateViewOf is what st says; an updater that does not answer (none
// installed yet, or not started) is the zero view: the panel is as
// without an updater.
func updateViewOf(st updateapi.State, err error) updateView {
	if err != nil {
		return updateView{}
	}
	u := menu.UpdateState{
		Phase:   updatePhase(st.Phase),
		Percent: min(max(st.Percent, 0), 100),
		Version: st.Pending,
		Error:   st.Error,
	}
	switch st.Kind {
	case platformapi.UpdateSoftware:
		u.Channel = menu.UpdateSoftware
	case platformapi.UpdateSignatures:
		u.Channel = menu.UpdateSignatures
	}
	return updateView{running: st.Busy(), update: u, software: st.Software}
}

// updatePhase maps updateapi's phases; one this panel does not know (a
// newer updater) reads as idle, and LED S2 still follows State.Busy.
func updatePhase(p string) menu.UpdatePhase {
	switch p {
	case updateapi.PhaseChecking:
		return menu.UpdateChecking
	case updateapi.PhaseWaiting:
		return menu.UpdateWaiting
	case updateapi.PhaseDownloading:
		return menu.UpdateDownloading
	case updateapi.PhaseVerifying:
		return menu.UpdateVerifying
	case updateapi.PhaseInstalling:
		return menu.UpdateInstalling
	case updateapi.PhaseRebooting:
		return menu.UpdateRebooting
	case updateapi.PhaseTrying:
		return menu.UpdateTrying
	case updateapi.PhaseFailed:
		return menu.UpdateFailed
	}
	return menu.UpdateIdle
}

// WatchUpdater makes Serve poll u every UpdatePollEvery (timed by c, nil:
// the system clock): LED S2 and UPDATING nn% while it says an update is in
// hand, its versions in SHOW STATUS. Without a call, or while the updater
// does not answer, the panel shows nothing of updates and SHOW STATUS the
// build's own version.
func (p *Panel) WatchUpdater(u UpdateSource, c clock.Clock) {
	if c == nil {
		c = clock.System{}
	}
	p.updater, p.updClock = u, c
}

func (p *Panel) updateView(v updateView) {
	if p.upd == v {
		return
	}
	p.upd = v
	p.menu.Update(p.state())
}

// New reads the configuration and status in force and returns a panel
// showing the idle screen for geometry g. version is the software version
// shown in SHOW STATUS.
func New(ctx context.Context, mgr netapi.Manager, power Power, g frame.Geometry, version string, log *slog.Logger) (*Panel, error) {
	view, err := mgr.Config(ctx)
	if err != nil {
		return nil, fmt.Errorf("read configuration from the network manager: %w", err)
	}
	st, err := mgr.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("read status from the network manager: %w", err)
	}
	p := &Panel{mgr: mgr, power: power, log: log, version: version, view: view, st: st, revClock: clock.System{}}
	p.test = testReport(st.LastTest)
	p.menu = menu.New(g, p.state())
	return p, nil
}

// TextEditing reports whether the operator is editing a text field, where
// held UP/DOWN keys auto-repeat.
func (p *Panel) TextEditing() bool { return p.menu.TextEditing() }

// Frame is what the display should show now.
func (p *Panel) Frame() frame.Frame { return p.menu.Render() }

// MAC is the MAC address of the port (netapi.LAN, netapi.WAN) in the last
// status the panel has; nil when that status does not list the port or
// its address does not parse. Not safe while Serve runs.
func (p *Panel) MAC(port netapi.Iface) net.HardwareAddr {
	for _, ifc := range p.st.Interfaces {
		if ifc.Name == port {
			mac, _ := net.ParseMAC(ifc.MAC)
			return mac
		}
	}
	return nil
}

// Status gives the panel a new status from the network manager.
func (p *Panel) Status(ctx context.Context, st netapi.Status) {
	if st.Seq < p.st.Seq {
		// Older than what the panel has: the subscription's statuses
		// queue while a request runs, and the request's own read after
		// it (refresh) is newer. Taken, a status from before a trial
		// would drop REVERT? for a moment and the operator's ENTER
		// meant for it would open the menu instead (tests/console saw
		// it under load).
		return
	}
	p.st = st
	if st.LastTest != nil {
		p.test = testReport(st.LastTest)
	}
	// A change made elsewhere (the other front end, the platform) shows up
	// as a new status: read the configuration it put in force.
	if view, err := p.mgr.Config(ctx); err == nil {
		p.view = view
	} else {
		p.log.Warn("read configuration", "err", err)
	}
	p.menu.Update(p.state())
}

// Abandon drops the procedure on screen and shows the idle screen
// (menu.Abandon), for input that could not be trusted.
func (p *Panel) Abandon() { p.menu.Abandon() }

// Key applies one key, and carries out the change it confirmed, if any.
func (p *Panel) Key(ctx context.Context, ev keyevent.Event) {
	p.key(ctx, ev, nil)
}

// key is Key; show, when set, is called after the menu took the key and
// before the change it confirmed is carried out, so that the message the
// menu shows for it is on the display first: ENABLING PROXY SUPPORT
// before the daemons' answer replaces it, however quickly; REBOOTING
// SYSTEM before init is asked, because on a reboot init stops this
// daemon right after the request and what it drew last is what the panel
// keeps (on a power off init tells the panel itself, Options.PowerOff of
// lcdfront).
func (p *Panel) key(ctx context.Context, ev keyevent.Event, show func()) {
	res := p.menu.Handle(ev)
	if res.Request == nil {
		return
	}
	if show != nil {
		show()
	}
	if err := p.perform(ctx, *res.Request); err != nil {
		p.log.Warn("request failed", "action", res.Request.Action.String(), "err", err)
		p.menu.Failed(shortReason(err))
		return
	}
	p.refresh(ctx)
}

func (p *Panel) perform(ctx context.Context, req menu.Request) error {
	p.log.Info("operator request", "action", req.Action.String())
	switch req.Action {
	case menu.ActionApply:
		cfg := req.Config
		// The panel never sees the stored proxy password; an empty one with
		// a proxy still configured means "keep what is stored".
		keep := cfg.Proxy.Password.Reveal() == "" && cfg.Proxy.Host != "" && cfg.Proxy.User != ""
		_, err := p.mgr.Apply(ctx, cfg, netapi.ApplyOptions{KeepProxyPassword: keep})
		return err
	case menu.ActionReset:
		_, err := p.mgr.Reset(ctx)
		return err
	case menu.ActionSwitchMode:
		_, err := p.mgr.SwitchMode(ctx, req.Config.Mode)
		return err
	case menu.ActionRenewLAN:
		return p.mgr.Renew(ctx, netapi.LAN)
	case menu.ActionRenewWAN:
		return p.mgr.Renew(ctx, netapi.WAN)
	case menu.ActionTest:
		p.test = menu.TestReport{State: menu.TestRunning}
		p.menu.Update(p.state())
		t, err := p.mgr.TestConnectivity(ctx)
		if err != nil {
			p.test = menu.TestReport{}
			return err
		}
		p.test = testReport(&t)
		return nil
	case menu.ActionRevert, menu.ActionKeep:
		tr := p.st.Trial
		if tr == nil {
			return errors.New("no change is on trial any more")
		}
		_, err := p.mgr.EndTrial(ctx, tr.ID, req.Action == menu.ActionKeep)
		return err
	case menu.ActionReboot:
		return p.power.Reboot(ctx)
	case menu.ActionShutdown:
		return p.power.Shutdown(ctx)
	}
	return fmt.Errorf("unknown request %v", req.Action)
}

// refresh reads back what the network manager put in force, so the menu's
// next candidate is built on it.
func (p *Panel) refresh(ctx context.Context) {
	if view, err := p.mgr.Config(ctx); err == nil {
		p.view = view
	} else {
		p.log.Warn("read configuration", "err", err)
	}
	if st, err := p.mgr.Status(ctx); err == nil {
		if st.Seq >= p.st.Seq {
			p.st = st
		}
	} else {
		p.log.Warn("read status", "err", err)
	}
	p.menu.Update(p.state())
}

// shortReason is the part of an error an operator can act on, for the
// REQUEST FAILED screen: the first problem of a refused configuration, or
// the error's own message.
func shortReason(err error) string {
	var apiErr *netapi.Error
	if errors.As(err, &apiErr) && len(apiErr.Problems) > 0 {
		return apiErr.Problems[0].Problem
	}
	return err.Error()
}

// Run shows the panel on d and serves it until ctx ends: keys from keyc,
// status changes from the network manager's subscription. It returns
// ctx's error, or the display's or the subscription's if they fail.
func Run(ctx context.Context, p *Panel, keyc <-chan keyevent.Event, d Display) error {
	return Serve(ctx, p, Inputs{Keys: keyc}, d)
}

// Inputs are what a front end feeds the panel.
type Inputs struct {
	Keys <-chan keyevent.Event
	// Abandon, when it delivers, drops the procedure on screen
	// (Panel.Abandon); nil for none. The console sends on it when line
	// noise reached it, after the last key it sent before.
	Abandon <-chan struct{}
}

// Serve is Run with every input.
func Serve(ctx context.Context, p *Panel, in Inputs, d Display) error {
	keyc := in.Keys
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The panel's screen first, from the status the panel has: the
	// subscription's first status is the current one, so a change made
	// since then is shown once it comes, and the operator does not wait
	// for another round trip to the network manager to see the menu.
	if err := d.Draw(p.Frame()); err != nil {
		return fmt.Errorf("draw: %w", err)
	}
	sub, err := p.mgr.Subscribe(ctx)
	if err != nil {
		return fmt.Errorf("subscribe to network status: %w", err)
	}
	var scanc chan scanView // nil without a scanner: never ready
	if p.scanner != nil {
		scanc = make(chan scanView)
		sc, c := p.scanner, p.clock
		go poll(ctx, c, ScanPollEvery, p.log, "scanner", "no scan shown as running", func(ctx context.Context) (scanView, error) {
			st, err := sc.State(ctx)
			return viewOf(st, err, c.Now()), err
		}, scanc)
	}
	var updc chan updateView // nil without an updater: never ready
	if p.updater != nil {
		updc = make(chan updateView)
		u := p.updater
		go poll(ctx, p.updClock, UpdatePollEvery, p.log, "updater", "no update shown", func(ctx context.Context) (updateView, error) {
			st, err := u.State(ctx)
			return updateViewOf(st, err), err
		}, updc)
	}
	revTick := p.revClock.NewTicker(RevertTick)
	defer revTick.Stop()
	for {
		select {
		case <-revTick.C():
			if !p.revertPending() {
				continue // nothing counts down: no redraw
			}
			p.menu.Update(p.state())
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-keyc:
			if !ok {
				return errors.New("key input closed")
			}
			var drawErr error
			p.key(ctx, ev, func() { drawErr = d.Draw(p.Frame()) })
			if drawErr != nil {
				return fmt.Errorf("draw: %w", drawErr)
			}
		case <-in.Abandon:
			p.Abandon()
		case v := <-scanc:
			p.scanView(v)
		case v := <-updc:
			p.updateView(v)
		case st, ok := <-sub:
			if !ok {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return errors.New("network manager closed the status subscription")
			}
			p.Status(ctx, st)
		}
		if err := d.Draw(p.Frame()); err != nil {
			return fmt.Errorf("draw: %w", err)
		}
	}
}

// poll sends on out what ask makes of a source's answer (the scanner's,
// the updater's), at once and then at each change, asking every period
// until ctx ends. It logs when the source becomes reachable or not; absent
// says what the screens show meanwhile.
func poll[V comparable](ctx context.Context, c clock.Clock, period time.Duration, log *slog.Logger, name, absent string, ask func(context.Context) (V, error), out chan<- V) {
	tick := c.NewTicker(period)
	defer tick.Stop()
	var last V
	reachable, first := true, true
	for {
		qctx, cancel := context.WithTimeout(ctx, period)
		v, err := ask(qctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if (err == nil) != reachable {
			reachable = err == nil
			if reachable {
				log.Info(name + " reachable")
			} else {
				log.Info(name+" not reachable: "+absent, "err", err)
			}
		}
		if first || v != last {
			select {
			case out <- v:
			case <-ctx.Done():
				return
			}
			first, last = false, v
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C():
		}
	}
}
