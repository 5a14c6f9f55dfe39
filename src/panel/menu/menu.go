// Package menu is the front-panel menu engine of a Picket box: the screens
// and menu tree of the spec front-panel.md, shared by the LCD daemon and
// the serial console. It takes key events (package keyevent) and snapshots of
// the box's state (the network configuration in force and a Status from
// the daemons), and produces frames (package frame) and, when the operator
// confirms a REALLY ...? prompt, a change request for the daemons.
//
// The menu does no I/O, starts no goroutines and reads no clock: the panel
// loop feeds it keys and state and carries its requests to netmgrd and
// init. The field editors themselves are package fieldedit; this package
// walks them in the spec's order, pre-filled with the values in force, and
// turns what they yield into a complete candidate netcfg.Config.
//
// A request to apply a configuration (also reset and mode switch) always
// carries a configuration that passes netcfg's Validate. When the entries
// would not, the menu shows the first problem in two short lines naming the
// field and what is wrong, goes back to that field when the procedure has
// it, and emits nothing.
//
// # Behaviour the spec leaves open, as decided here
//
//   - The seed guide's procedures, typed as it words them, must end where
//     it says (spec "Fidelity to the seed's procedures"; the table in
//     src/testkit/procedures). Hence: ENTER or DOWN on an idle screen
//     opens the main menu, at SETUP NETWORK (the Quick Start's "press the
//     Down arrow until the SYSTEM REBOOT screen appears" starts on the
//     activation code). The main menu is one list, SETUP NETWORK, its
//     items, then SHOW STATUS ... EXIT THIS MENU, because the guide walks
//     it as one ("Go to the SETUP NETWORK menu option. Press the Down
//     arrow until ENABLE PROXY appears"); ENTER on SETUP NETWORK stays
//     there ("press ENTER to continue. Press the Down arrow one time. When
//     ENABLE VLAN ON LAN appears"). It does not wrap. UP on the first line
//     of ENABLE WAN INTERFACE's list goes back to that item.
//   - UP at a REALLY ...? prompt of a network change, at the intro prompts
//     (CFG LAN STATIC NETWORK PARAMS?, CONFIG PROXY PARAMETERS) and on LAN
//     PORT LINK goes back to the main menu at SETUP NETWORK (the guide's
//     "press the Up arrow two times to quit": the second UP is at the top
//     of the list). UP at REALLY REBOOT SYSTEM? and REALLY SHUTDOWN SYSTEM?
//     goes back to that item instead: they are not network changes.
//   - Field editors have no way out but ENTER (UP and DOWN change values);
//     a procedure is abandoned at its REALLY ...? prompt.
//   - Every network change is confirmed at a REALLY ...? prompt, except the
//     VLAN, which the field's ENTER applies: the guide's VLAN procedures end
//     there ("Specify the VLAN ID, and then press ENTER") and the spec's
//     tree has no prompt for it.
//   - WAN: with the WAN port off the item ENABLE WAN INTERFACE opens ENABLE
//     DHCP ON WAN and ENABLE STATIC IP ON WAN; with it on, the item is
//     CHANGE STATIC IP ON WAN or RENEW DHCP ON WAN, beside DISABLE WAN
//     INTERFACE (switching between DHCP and static goes through disable).
//     Disabling the WAN port also returns its link setting to AUTO, which
//     netcfg requires.
//   - In IPv6-only mode the automatic item is RENEW AUTO IPv6 ON LAN? while
//     automatic IPv6 is in force and ENABLE AUTO IPv6 ON LAN? otherwise;
//     the static item is ENABLE or CHANGE STATIC IPv6 ON LAN?. Auto GATEWAY
//     is pre-filled with the gateway override in force (empty: the router
//     the advertisements name); the read-only address and prefix length
//     come from Status.
//   - A static LAN or WAN procedure started while DHCP is in force is
//     pre-filled from the lease (Status), as the values in force.
//   - After a commit the screen shows a follow-up message: CANCELING THE
//     ONGOING SCAN when a scan runs, ENABLING PROXY SUPPORT for a proxy,
//     otherwise what is being done. It stays until a key is pressed or an
//     Update brings a Status different from the one at the commit; then
//     the idle screen shows the daemons' view again. Ethernet link changes
//     return to the port link screen, so the WAN port can be set next.
//   - After REALLY REBOOT/SHUTDOWN the menu shows REBOOTING SYSTEM or
//     SHUTTING DOWN SYSTEM and ignores keys, until Status says the box is
//     halted (safe to unplug) or the panel reports the request failed
//     (Failed).
//   - TEST CONNECTIVITY starts at ENTER without a prompt (it changes
//     nothing) and shows the step-by-step result when Status reports it.
//   - The platform indicator on the NAME-IP screen is a '*' in the
//     lower-right cell.
//   - While an update is in hand (Status.UpdateRunning) the idle screen is
//     UPDATING nn% over what the updater is doing (DOWNLOADING,
//     VERIFYING, INSTALLING, REBOOTING), ahead of the platform screens
//     (they follow it with RIGHT); a follow-up notice and CANCELING THE
//     ONGOING SCAN still come first, and ENTER opens the menu as on any
//     idle screen. The percentage is the updater's, of the phase in hand.
//     SHOW STATUS has an UPDATE entry after SOFTWARE only when an updater
//     reports, so without one the entries are those of a box without
//     updates.
//   - The idle screen is a row of pages that LEFT/RIGHT turn, without
//     wrapping (LEFT repeatedly comes back to the first): first UPDATING
//     nn% while an update is in hand, then the platform link's screen
//     (CONTACTING PLATFORM, ACTIVATION CODE, NAME-IP, COMMUNICATION
//     FAILURE, or each page of a configuration error, which LEFT/RIGHT
//     scroll as before), then SOFTWARE <version>, SIGNATURES <version>
//     <age> (or STALE), PLATFORM <link state> and SCAN IDLE. A page stays
//     until a key (the menu reads no clock). A follow-up notice and
//     CANCELING THE ONGOING SCAN are the only page while they show. A
//     status change that puts a different screen at the head of the
//     pages (the box activated, a poll failed, a scan started or ended, a
//     different configuration error) shows the first page again; one that
//     only moves a value (a percentage, an age) keeps the page. ENTER
//     opens the menu from any page.
//   - A running scan (LED S1) has a screen: SCANNING nn% over the phase
//     (RESOLVING, DISCOVERY, PORTSCAN, SERVICES, FINISHING) and the
//     targets finished of all, <done>/<total> (on 16x2 one row: both
//     when they fit, else the count during SERVICES and the phase
//     otherwise; 20x4 adds HOSTS DONE and <n> HOSTS UP). The percentage
//     is of the targets finished, rounded down, and absent until the
//     scanner counted them; scannerd finishes targets only in SERVICES,
//     so it reads 0% through discovery and the port scan. On a ready box
//     the scan screen is the first page, in place of NAME-IP, which
//     follows it; when the platform screen is a problem (COMMUNICATION
//     FAILURE, a configuration error, CONTACTING) or the activation code,
//     that stays first and the scan screen is the next page. The scan's
//     progress is not part of what ends a follow-up notice.
//   - ACTIVATION CODE stays whole beside the indicators: where the title
//     and the indicators do not fit one row (16 columns), the code takes
//     the top row and the title the second.
//   - SHOW STATUS has SCAN (IDLE, or RUNNING nn%, the phase, the targets
//     finished and the hosts up) and PLATFORM (CONNECTED <name>, NOT
//     ACTIVATED, COMMUNICATION FAILURE, CONTACTING, or CONFIG ERROR, <step>
//     FAILED) after SIGS AGE, before LAST POLL and LAST ERROR.
//   - A configuration error and long status values scroll a page at a time
//     with LEFT/RIGHT under a fixed first line.
//   - A change made at the panel that cut the box off (the network
//     manager's test failed after it, where the box reached the platform
//     before; Status.Revert) takes the screen at once: REVERT? with the
//     time left before the network manager reverts it by itself, over
//     the failed step. ENTER reverts now; DOWN shows KEEP?, whose ENTER
//     keeps the change, and UP goes back to REVERT?; LEFT/RIGHT scroll a
//     long reason. There is no way out but a decision or the time
//     running out (then the screen leaves by itself), so a change that
//     cut the box off is never left behind by a wandering key. The
//     screen takes no key of the seed's procedures: it appears only after
//     a change was committed.
//   - Screens are laid out for any geometry: text is word-wrapped beside
//     the navigation indicators, with shorter wordings for a 16x2 panel
//     where the full one does not fit.
package menu

import (
	"fmt"
	"net/netip"
	"time"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/fieldedit"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// State is what the menu shows and edits: the configuration in force and
// the status of the box.
type State struct {
	Config netcfg.Config
	Status Status
}

// Phase is where the box is in its life, for the boot and shutdown
// messages. The menu opens only in PhaseRunning.
type Phase uint8

const (
	PhaseWelcome      Phase = iota // Welcome to Picket
	PhaseStarting                  // Picket scanner is starting up...
	PhaseFsck                      // Filesystem check in progress...
	PhaseComingUp                  // Picket scanner is coming up...
	PhaseRunning                   // daemons up: the platform screens and the menu
	PhaseRebooting                 // REBOOTING SYSTEM
	PhaseShuttingDown              // SHUTTING DOWN SYSTEM
	PhaseHalted                    // It's now safe to unplug the box
)

// DataEvent is what init had to do at this boot to a data partition that
// did not mount (initapi.DataNotice): the zero value is nothing.
type DataEvent uint8

const (
	DataMounted     DataEvent = iota // mounted as it was: nothing to say
	DataRepaired                     // DATA REPAIRED, CHECK SETTINGS
	DataReset                        // DATA RESET, DEFAULTS IN USE
	DataUnavailable                  // DATA ERROR, NOTHING IS SAVED
)

// Platform is the state of the link to the Picket platform (scannerd).
type Platform uint8

const (
	PlatformContacting  Platform = iota // CONTACTING PLATFORM
	PlatformActivation                  // ACTIVATION CODE and Status.ActivationCode
	PlatformReady                       // <NAME>-<IP> with the platform indicator
	PlatformCommFailure                 // COMMUNICATION FAILURE after a failed poll
	PlatformConfigError                 // the path test failed: Status.Failure says where
)

// Step is a step of the connectivity test, in the order it runs them.
type Step uint8

const (
	StepLink Step = iota
	StepAddress
	StepGateway
	StepDNS
	StepProxy
	StepTLS
	StepPlatform
	numSteps
)

func (s Step) String() string {
	if s < numSteps {
		return [...]string{"LINK", "ADDRESS", "GATEWAY", "DNS", "PROXY", "TLS", "PLATFORM"}[s]
	}
	return fmt.Sprintf("STEP %d", uint8(s))
}

// Failure is the first failing step of the path test and why, in short
// upper-case words meant for the screen (NO DHCP LEASE ON LAN, GATEWAY
// UNREACHABLE, PROXY AUTH FAILED, TLS INTERCEPTED BY PROXY, ...).
type Failure struct {
	Step   Step
	Reason string
}

// TestState is the state of the last connectivity test asked for with
// TEST CONNECTIVITY.
type TestState uint8

const (
	TestNone    TestState = iota // none ran since start
	TestRunning                  // running now
	TestPassed                   // every step passed
	TestFailed                   // Test.Failure says where it stopped
)

// TestReport is the result of the last connectivity test.
type TestReport struct {
	State   TestState
	Failure Failure // when State is TestFailed
}

// IPv4Addrs are addresses a port has now (leased or static).
type IPv4Addrs struct {
	Address      netip.Prefix
	Gateway      netip.Addr
	DNS1, DNS2   netip.Addr
	WINS1, WINS2 netip.Addr // from the lease (option 44), informational
	Domain       string     // from the lease, informational
}

// IPv6Addrs are the LAN's IPv6 addresses now (IPv6-only mode).
type IPv6Addrs struct {
	Address    netip.Prefix
	Gateway    netip.Addr
	DNS1, DNS2 netip.Addr
}

// Status is what the daemons report that the screens need. It is
// comparable, so the menu can tell when it changed.
type Status struct {
	Phase          Phase
	Platform       Platform
	ActivationCode string  // PlatformActivation
	Name           string  // the box's name on the platform (PlatformReady)
	Failure        Failure // PlatformConfigError

	ScanRunning bool // LED S1
	// Scan is how far the running scan has come (scannerd's progress),
	// for the scan screen and SHOW STATUS's SCAN entry; the zero value
	// while none runs, or while the scanner reports no progress yet.
	Scan      ScanProgress
	Canceling bool // a network change is canceling the running scan
	// Data is what init had to do to the data partition at this boot,
	// and NewIdentity that the box lost its identity with it (ACTIVATE
	// AGAIN): their pages head the idle screen until the operator opens
	// the main menu.
	Data        DataEvent
	NewIdentity bool
	// UpdateRunning is an update in hand (downloading, verifying,
	// installing, rebooting into it): LED S2, and the idle screen says
	// UPDATING nn% with Update.Percent.
	UpdateRunning bool
	// Update is what the updater reports, for the idle screen while
	// UpdateRunning and SHOW STATUS's UPDATE entry; the zero value (no
	// updater answers) shows nothing of updates.
	Update UpdateState

	MAC  string    // the LAN port's MAC address
	LAN  IPv4Addrs // LAN IPv4 now (IPv4+v6 mode)
	WAN  IPv4Addrs // WAN IPv4 now (split networking)
	LAN6 IPv6Addrs // LAN IPv6 now (IPv6-only mode)

	Software   string // software version, for SHOW STATUS
	Signatures string // signature set version ("" none)
	// SignaturesAgeDays is how many whole days old the signature set
	// is, and SignaturesMaxAgeDays the platform's limit (0: none known):
	// older than it, the screens say SIGS STALE <n>d.
	SignaturesAgeDays    int
	SignaturesMaxAgeDays int
	LastPoll             time.Time // zero: never
	LastError            string    // last error talking to the platform, "" if none

	Test TestReport // the last TEST CONNECTIVITY

	// Revert is a change made at the panel that the network manager
	// reverts by itself unless the operator keeps it.
	Revert Revert
}

// Revert is a change made at the panel on trial: its test failed where
// the box reached the platform before (netapi.Status.Trial).
type Revert struct {
	Pending bool
	// Left is how many whole seconds remain before the network manager
	// reverts it (rounded up).
	Left int
	// Reason is the failed step in the panel's words.
	Reason string
}

// ScanPhase is the step a running scan is in, as scannerd names them.
type ScanPhase uint8

const (
	ScanPhaseUnknown   ScanPhase = iota // no progress reported (yet)
	ScanPhaseResolving                  // resolving the targets' names
	ScanPhaseDiscovery                  // finding the hosts that are up
	ScanPhasePortscan                   // scanning their ports
	ScanPhaseServices                   // identifying services and running checks
	ScanPhaseDone                       // over, the results being sent
)

// ScanProgress is how far the running scan has come.
type ScanProgress struct {
	Phase ScanPhase
	// Done of Total target addresses are finished: scannerd counts a
	// target done when its services are identified, so Done stays 0
	// through discovery and the port scan.
	Done, Total uint64
	HostsUp     int // hosts found up so far
}

// UpdatePhase is what the updater (updaterd) is doing.
type UpdatePhase uint8

const (
	UpdateNone        UpdatePhase = iota // no updater answers
	UpdateIdle                           // nothing to do, or waiting for the next check
	UpdateChecking                       // refreshing the signed metadata
	UpdateWaiting                        // an update is due but waits for the running scan
	UpdateDownloading                    // fetching the update
	UpdateVerifying                      // checking what was written against its signed hash
	UpdateInstalling                     // handing the new slot (or signatures) over
	UpdateRebooting                      // rebooting into the new slot
	UpdateTrying                         // the running slot is on trial, not yet marked good
	UpdateFailed                         // the last attempt failed (UpdateState.Error)
)

// UpdateChannel is what an update brings.
type UpdateChannel uint8

const (
	UpdateSoftware   UpdateChannel = iota + 1 // a new software image
	UpdateSignatures                          // a new signature database
)

// UpdateState is the updater's report, in the menu's terms.
type UpdateState struct {
	Phase   UpdatePhase
	Percent int           // progress of the phase in hand, 0 to 100
	Channel UpdateChannel // 0 when idle
	Version string        // the version being installed, "" when idle
	Error   string        // why the last attempt failed (UpdateFailed)
}

// Action is what a change request asks for.
type Action uint8

const (
	ActionNone       Action = iota
	ActionApply             // put Request.Config in force
	ActionRenewLAN          // renew the DHCP lease on LAN
	ActionRenewWAN          // renew the DHCP lease on WAN
	ActionReset             // RESET NETWORK SETTINGS: Request.Config is the reset configuration
	ActionSwitchMode        // reset into the other mode: Request.Config is its defaults
	ActionTest              // run the connectivity test
	ActionReboot            // SYSTEM REBOOT
	ActionShutdown          // SYSTEM SHUTDOWN
	ActionRevert            // REVERT?: revert the change on trial now
	ActionKeep              // KEEP?: keep the change on trial
)

func (a Action) String() string {
	names := [...]string{"none", "apply", "renew-lan", "renew-wan", "reset", "switch-mode", "test", "reboot", "shutdown", "revert", "keep"}
	if int(a) < len(names) {
		return names[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// HasConfig reports whether requests of this action carry a Config.
func (a Action) HasConfig() bool {
	return a == ActionApply || a == ActionReset || a == ActionSwitchMode
}

// Request is a change the operator confirmed.
type Request struct {
	Action Action
	// Config is the complete configuration to put in force, for the
	// actions where HasConfig is true; it has passed Validate. It is the
	// zero Config otherwise. The proxy password in it prints redacted.
	Config netcfg.Config
}

// Result is what a key did.
type Result struct {
	// Request is set when the key committed a change, nil otherwise.
	Request *Request
}

// Menu is the menu state machine. It is not safe for concurrent use; the
// panel loop owns it.
type Menu struct {
	geo frame.Geometry
	st  State
	scr screen

	// notice is the follow-up message after a commit, shown on the idle
	// screen until a key or an Update with a different Status.
	notice *notice
	// down is ActionReboot or ActionShutdown once one was committed; keys
	// are ignored until the panel reports failure.
	down Action
	// dataSeen: the operator opened the main menu, so the data
	// partition's pages (Status.Data, NewIdentity) were read.
	dataSeen bool
}

type notice struct {
	text  []string // the wordings, longest first
	since Status   // noticeKey of the Status at the commit
}

// noticeKey is the part of st whose change ends a follow-up notice: the
// daemons' answer to the commit. The updater's progress moves on its own
// every second and says nothing about the change, so it is left out.
func noticeKey(st Status) Status {
	st.UpdateRunning, st.Update = false, UpdateState{}
	// So does the scan's progress; the scan stopping (ScanRunning) is the
	// answer to CANCELING THE ONGOING SCAN, and stays in.
	st.Scan = ScanProgress{}
	// The countdown of REVERT? moves every second too.
	st.Revert.Left = 0
	return st
}

// New returns a menu for a display of geometry g (clamped to what frame
// supports), showing the idle screen for st.
func New(g frame.Geometry, st State) *Menu {
	m := &Menu{geo: g.Normalize(), st: cloneState(st)}
	m.scr = &idleScreen{}
	if st.Status.Revert.Pending && st.Status.Phase == PhaseRunning {
		m.scr = &revertScreen{} // a front end started during the trial
	}
	return m
}

func cloneState(st State) State {
	st.Config = st.Config.Clone()
	return st
}

// Geometry returns the display size the menu renders for.
func (m *Menu) Geometry() frame.Geometry { return m.geo }

// State returns the state the menu last received.
func (m *Menu) State() State { return cloneState(m.st) }

// Update gives the menu a new state from the daemons. Screens that list
// items are rebuilt from it (names and visibility follow the config in
// force); a procedure under way keeps what the operator entered, and its
// candidate is rebuilt on this state at the commit.
func (m *Menu) Update(st State) {
	before := m.idleKey()
	wasRevert := m.st.Status.Revert.Pending
	m.st = cloneState(st)
	if m.notice != nil && m.notice.since != noticeKey(st.Status) {
		m.notice = nil
	}
	switch st.Status.Phase {
	case PhaseRunning:
	case PhaseRebooting, PhaseShuttingDown, PhaseHalted:
		// The box is going down: whatever was on screen is abandoned.
		m.scr, m.notice = &idleScreen{}, nil
	default:
		m.scr, m.notice, m.down = &idleScreen{}, nil, ActionNone
	}
	if st.Status.Phase == PhaseRunning && m.down == ActionNone {
		_, onRevert := m.scr.(*revertScreen)
		switch r := st.Status.Revert.Pending; {
		case r && !wasRevert && !onRevert:
			m.scr, m.notice = &revertScreen{}, nil
		case !r && onRevert:
			// Reverted by the time limit, or kept or reverted elsewhere.
			m.scr = &idleScreen{}
		}
	}
	// A different screen at the head of the idle pages (the box activated,
	// a poll failed, a scan started) is shown from the first page.
	if s, ok := m.scr.(*idleScreen); ok && m.idleKey() != before {
		s.page = 0
	}
}

// Failed tells the menu that the daemon refused or failed the last
// request; reason is shown (cut to fit) until the next key. It also ends
// the wait after a reboot or shutdown request.
func (m *Menu) Failed(reason string) {
	m.down = ActionNone
	m.notice = nil
	m.scr = &messageScreen{lines: []string{"REQUEST FAILED", reason}, next: func(m *Menu) { m.scr = &idleScreen{} }}
}

// Abandon drops the procedure or prompt on screen, with whatever was
// entered, and shows the idle screen, as EXIT THIS MENU would. The console
// calls it when line noise reached it: a REALLY ...? prompt that noise may
// have walked to must not be there for the next ENTER to confirm. A
// reboot or shutdown under way, and the follow-up message of a commit,
// are kept.
func (m *Menu) Abandon() {
	m.scr = &idleScreen{}
}

// Handle applies one key and says whether it committed a change. Events
// no driver produces (None, unknown keys) are ignored.
func (m *Menu) Handle(ev keyevent.Event) Result {
	if ev.Key == keyevent.None || ev.Key > keyevent.Char {
		return Result{}
	}
	if m.st.Status.Phase != PhaseRunning || m.down != ActionNone {
		return Result{}
	}
	req := m.scr.handle(m, ev)
	if req == nil {
		return Result{}
	}
	return Result{Request: req}
}

// TextEditing reports whether a text field (a character ring: names,
// hosts, users, passwords) is being edited, the only place where held
// UP/DOWN keys should auto-repeat.
func (m *Menu) TextEditing() bool {
	s, ok := m.scr.(*procScreen)
	if !ok || s.msg != nil {
		return false
	}
	switch s.ed.(type) {
	case *fieldedit.Text, *fieldedit.Password:
		return true
	}
	return false
}

// Render draws the current screen, with the LEDs.
func (m *Menu) Render() frame.Frame {
	var f frame.Frame
	switch {
	case m.st.Status.Phase != PhaseRunning:
		f = m.phaseFrame()
	case m.down == ActionReboot:
		f = textFrame(m.geo, frame.Nav{}, "REBOOTING SYSTEM")
	case m.down == ActionShutdown:
		f = textFrame(m.geo, frame.Nav{}, "SHUTTING DOWN SYSTEM")
	default:
		f = m.scr.render(m)
	}
	f.SetLEDs(frame.LEDs{S1: m.st.Status.ScanRunning, S2: m.st.Status.UpdateRunning})
	return f
}

func (m *Menu) phaseFrame() frame.Frame {
	switch m.st.Status.Phase {
	case PhaseWelcome:
		return textFrame(m.geo, frame.Nav{}, "Welcome to Picket")
	case PhaseStarting:
		return textFrame(m.geo, frame.Nav{}, "Picket scanner is starting up...", "Picket scanner starting up...")
	case PhaseFsck:
		return textFrame(m.geo, frame.Nav{}, "Filesystem check in progress...")
	case PhaseComingUp:
		return textFrame(m.geo, frame.Nav{}, "Picket scanner is coming up...")
	case PhaseRebooting:
		return textFrame(m.geo, frame.Nav{}, "REBOOTING SYSTEM")
	case PhaseShuttingDown:
		return textFrame(m.geo, frame.Nav{}, "SHUTTING DOWN SYSTEM")
	case PhaseHalted:
		return textFrame(m.geo, frame.Nav{}, "It's now safe to unplug the box")
	}
	return textFrame(m.geo, frame.Nav{}, "Picket scanner is starting up...", "Picket scanner starting up...")
}

// screen is one kind of screen. handle returns a request when the key
// committed one.
type screen interface {
	handle(m *Menu, ev keyevent.Event) *Request
	render(m *Menu) frame.Frame
}

// commit checks a request and, when it is good, shows the follow-up
// screen. A configuration that does not pass Validate is not sent: the
// first problem is shown and the menu goes back to SETUP NETWORK.
func (m *Menu) commit(req Request, follow []string) *Request {
	if req.Action.HasConfig() {
		req.Config = req.Config.Clone()
		if err := req.Config.Validate(); err != nil {
			msg := problemMessage(err, "")
			m.scr = &messageScreen{lines: []string{msg.Line1, msg.Line2}, next: (*Menu).toSetup}
			return nil
		}
	} else {
		req.Config = netcfg.Config{}
	}
	switch req.Action {
	case ActionRevert, ActionKeep:
		m.notice = &notice{text: follow, since: noticeKey(m.st.Status)}
		m.scr = &idleScreen{}
	case ActionReboot, ActionShutdown:
		m.down = req.Action
		m.scr = &idleScreen{}
	case ActionTest:
		m.scr = &testScreen{before: m.st.Status.Test}
	default:
		if m.st.Status.ScanRunning {
			follow = []string{"CANCELING THE ONGOING SCAN"}
		}
		if follow != nil {
			m.notice = &notice{text: follow, since: noticeKey(m.st.Status)}
			m.scr = &idleScreen{}
		}
	}
	return &req
}

// toSetup goes back to the main menu at SETUP NETWORK.
func (m *Menu) toSetup() { m.scr, m.dataSeen = &listScreen{kind: listMain, sel: "setup"}, true }

// toIdle leaves the menu.
func (m *Menu) toIdle() { m.scr = &idleScreen{} }
