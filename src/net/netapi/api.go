// Package netapi is the network manager's local API: the contract between
// netmgrd and its callers (lcdd, consoled, and later scannerd) and its
// transport over netmgrd's unix socket.
//
// It holds three things:
//
//   - Manager, the Go interface every caller programs against, and the types
//     it speaks (ConfigView, Status, ConnTest, Result, Error);
//   - the server adapter (Server, Serve, Listen): HTTP/1.1 with JSON bodies
//     under /v1/ on a unix socket created with mode 0660, which checks each
//     caller's uid with SO_PEERCRED against an allowed set, and against a
//     narrower secret set for the management path;
//   - the client (Dial), which implements Manager over that socket, with
//     Subscribe carried by a long-lived newline-delimited JSON response.
//
// The real manager is package netmgr; package standin runs it on a
// simulated kernel and network (netmgrd -backend=memory, tests).
//
// The proxy password crosses the socket in one response only: the
// management path (Manager.ManagementPath), which the server gives only to
// the uids of its secret set (WithSecretUIDs), the platform link's.
// ConfigView carries only whether a password is set, Status carries the
// proxy without it, and Apply keeps the stored one when asked to
// (ApplyOptions.KeepProxyPassword). Nothing in this package logs a request
// or response body, and errors never contain the password.
package netapi

import (
	"context"
	"net/netip"
	"time"

	"picket.dev/picket/src/net/netcfg"
)

// Manager is the network manager as its callers see it. The netmgrd core
// (netmgr, also behind the stand-in) and the socket client (Client)
// implement it, and Server serves any implementation.
//
// Every change (Apply, Reset, SwitchMode) follows the spec's order: the
// whole new configuration is validated (a refused change leaves the previous
// one in force and returns an *Error of KindInvalidConfig listing every
// problem); if it differs from the configuration in force, a running scan is
// cancelled through the ScanCanceler; the change is applied, the path to the
// platform is tested, and the configuration is persisted.
type Manager interface {
	// Config returns the configuration in force. The proxy password is never
	// included: Config.Proxy.Password is always empty, and ProxyPasswordSet
	// says whether one is stored.
	Config(ctx context.Context) (ConfigView, error)
	// Status returns the current network status.
	Status(ctx context.Context) (Status, error)
	// Apply validates cfg and, if valid and different from the configuration
	// in force, makes it the configuration in force. See ApplyOptions for how
	// the stored proxy password is kept.
	Apply(ctx context.Context, cfg netcfg.Config, opts ApplyOptions) (Result, error)
	// Renew renews the DHCP lease of iface (LAN or WAN) or, in IPv6-only
	// automatic mode, solicits routers again on LAN (RENEW AUTO IPv6). It is
	// not a configuration change, so it does not cancel a scan. It fails with
	// KindNotApplicable if iface takes no lease.
	Renew(ctx context.Context, iface Iface) error
	// Reset is RESET NETWORK SETTINGS: the defaults of the current mode,
	// keeping what the platform pushed (netcfg.Config.Reset).
	Reset(ctx context.Context) (Result, error)
	// SwitchMode is RESET TO IPv6 ONLY MODE / RESET TO IPv4+v6 MODE: a reset
	// into mode's defaults (netcfg.Config.SwitchMode).
	SwitchMode(ctx context.Context, mode netcfg.Mode) (Result, error)
	// TestConnectivity runs the step-by-step path test to the platform now
	// and returns its result, which also becomes Status.LastTest.
	TestConnectivity(ctx context.Context) (ConnTest, error)
	// ApplyPlatform replaces what the platform pushes (scanning VLANs,
	// static routes, IPv6 for scanning) in the configuration in force and
	// applies it like Apply; the operator's settings are kept as they are.
	ApplyPlatform(ctx context.Context, p netcfg.Platform) (Result, error)
	// ReportPlatform records the state of the link to the platform, as the
	// platform link (scannerd) sees it, for the front panel: it shows in
	// Status.Platform. It is not a configuration change.
	ReportPlatform(ctx context.Context, link PlatformLink) error
	// EndTrial ends the change on trial whose Trial.ID is id (Status.Trial)
	// before the manager does: keep makes it stay in force (it is not
	// last-known-good until the platform is reached with it), otherwise
	// the last-known-good configuration is restored now, as the deadline
	// would. It fails with KindNotApplicable when no change with that id
	// is on trial (it was kept, reverted or confirmed already).
	EndTrial(ctx context.Context, id string, keep bool) (Result, error)
	// ManagementPath returns the path management traffic (to the platform,
	// its proxy, and the DNS lookups for those) must take, proxy password
	// included: what the platform link needs to reach the platform. It is
	// the only answer of the API that carries the password, so the server
	// gives it only to the uids of its secret set (WithSecretUIDs: the
	// platform link's) and refuses every other caller with
	// KindPermissionDenied.
	ManagementPath(ctx context.Context) (ManagementPath, error)
	// Subscribe returns a channel that first carries the current status and
	// then each changed status. A slow reader is not queued for: it gets the
	// latest status (Status.Seq shows what it skipped). The channel is closed
	// when ctx is done or the manager goes away (a server shutting down); a
	// caller that wants more subscribes again.
	Subscribe(ctx context.Context) (<-chan Status, error)
}

// ScanCanceler is the scanner's cancel hook: the network manager calls it
// before it applies a change, so no scan runs across a network change. The
// scanner (scannerd, issue 5, through scanapi) implements it; a nil
// ScanCanceler means there is no scanner to cancel.
type ScanCanceler interface {
	// CancelScan cancels the running scan, if any, keeping its partial
	// results for upload, and returns once it has stopped. canceled reports
	// whether a scan was running. It returns an error only when a scan may
	// still be running (an unreachable scanner runs no scan, so that is not
	// an error); the change is then refused and nothing is applied.
	CancelScan(ctx context.Context, reason string) (canceled bool, err error)
}

// ConfigView is the configuration in force as a caller may see it.
type ConfigView struct {
	// Config is the configuration in force with the proxy password cleared.
	Config netcfg.Config `json:"config"`
	// ProxyPasswordSet says whether a proxy password is stored; the panel
	// shows it masked and sends it back empty with KeepProxyPassword.
	ProxyPasswordSet bool `json:"proxy_password_set"`
}

// ApplyOptions qualify an Apply.
type ApplyOptions struct {
	// KeepProxyPassword keeps the stored proxy password when the new
	// configuration's password is empty and its proxy still has a host and a
	// user (a password needs both). Without it an empty password means none.
	// A non-empty password always replaces the stored one.
	KeepProxyPassword bool `json:"keep_proxy_password"`
}

// Result says what a change did.
type Result struct {
	// Changes lists the fields that changed (netcfg.Diff; the password shows
	// as redacted). Empty means the configuration was already in force and
	// nothing was done: no scan cancelled, no test run, nothing stored.
	Changes []netcfg.Change `json:"changes,omitempty"`
	// ScanCanceled says a running scan was cancelled first (the panel shows
	// CANCELING THE ONGOING SCAN).
	ScanCanceled bool `json:"scan_canceled,omitempty"`
	// Test is the connectivity test run after the change; nil when nothing
	// changed. A failed test does not undo the change: the change is in
	// force and stored, but not marked last-known-good.
	Test *ConnTest `json:"test,omitempty"`
	// Trial is set when the change is on trial: the box reached the
	// platform before it and its test failed, so the manager restores the
	// last-known-good configuration at Trial.Deadline unless the platform
	// is reached again first (or the operator keeps it: EndTrial).
	Trial *Trial `json:"trial,omitempty"`
}

// Who made a change on trial (Trial.Source, Rollback.Source).
const (
	SourcePanel    = "panel"    // Apply: the front panel or console
	SourcePlatform = "platform" // ApplyPlatform: the platform link
)

// Trial is a change on trial (Result.Trial, Status.Trial).
type Trial struct {
	// ID names it for EndTrial and for the Rollback that may follow.
	ID string `json:"id"`
	// Source is SourcePanel or SourcePlatform, Op the change's name.
	Source string `json:"source"`
	Op     string `json:"op"`
	// Started is when the change was applied and Deadline when the
	// manager restores the last-known-good configuration, on its clock.
	Started  time.Time `json:"started"`
	Deadline time.Time `json:"deadline"`
	// Reason is the first failed step of the test after the change, in
	// the panel's words (Step.Panel).
	Reason string `json:"reason"`
}

// Rollback is the last change the manager undid (Status.Rollback): a
// change on trial whose deadline passed without reaching the platform,
// one the operator reverted, or one interrupted by a restart.
type Rollback struct {
	ID     string    `json:"id"` // the Trial's
	Source string    `json:"source"`
	Op     string    `json:"op"`
	At     time.Time `json:"at"`
	// Reason says why, in a sentence for the platform's page.
	Reason string `json:"reason"`
}

// Iface names a port of the box.
type Iface string

// The ports.
const (
	LAN Iface = "lan"
	WAN Iface = "wan" // split networking only
)

// Status is the network status of the box.
type Status struct {
	// Seq increases by one at each change of status; Updated is when it
	// changed.
	Seq     uint64    `json:"seq"`
	Updated time.Time `json:"updated,omitzero"`
	// Backend names the implementation serving the API, so SHOW STATUS and
	// a tester can tell the in-memory stand-in from the real manager.
	Backend string `json:"backend"`
	// Mode is the network mode in force.
	Mode netcfg.Mode `json:"mode"`
	// Split says split networking is on (WAN carries management traffic).
	Split bool `json:"split"`
	// Proxy is the proxy in force (never its password).
	Proxy ProxyStatus `json:"proxy"`
	// Interfaces lists LAN, then WAN when split networking is on.
	Interfaces []Interface `json:"interfaces"`
	// ScanVLANs are the scanning VLANs the platform pushed, as the kernel
	// has them: where a scan job on one of them sends its packets.
	ScanVLANs []ScanVLAN `json:"scan_vlans,omitempty"`
	// DNS lists the resolvers in use for management traffic, in order.
	DNS []netip.Addr `json:"dns,omitempty"`
	// Domain is the DNS search domain in force (static, or from the lease).
	Domain string `json:"domain,omitempty"`
	// WINS lists the NetBIOS name servers for scans (static, or DHCP
	// option 44).
	WINS []netip.Addr `json:"wins,omitempty"`
	// ManagementSource is the address management traffic (platform, proxy,
	// DNS for those) must be sent from: the WAN address with split
	// networking, which policy routing sends out of WAN. Invalid (omitted)
	// when the kernel's choice is right (no split networking).
	ManagementSource netip.Addr `json:"management_source,omitzero"`
	// LastTest is the last connectivity test; nil before the first.
	LastTest *ConnTest `json:"last_test,omitempty"`
	// Config says where the configuration in force was loaded from at
	// start (netstore.Load) and why a fallback was taken.
	Config ConfigSource `json:"config"`
	// Health is the manager's own health (not whether the platform is
	// reachable, which LastTest says).
	Health Health `json:"health"`
	// Platform is the link to the platform as scannerd last reported it;
	// nil until it reports.
	Platform *PlatformLink `json:"platform,omitempty"`
	// Trial is the change on trial, nil when none is.
	Trial *Trial `json:"trial,omitempty"`
	// Rollback is the last change the manager undid, kept across
	// restarts until the next one; nil when none ever was.
	Rollback *Rollback `json:"rollback,omitempty"`
}

// Platform link states as PlatformLink.State shows them; the panel's idle
// screen follows them.
const (
	LinkContacting  = "contacting"   // CONTACTING PLATFORM: no answer yet
	LinkActivation  = "activation"   // ACTIVATION CODE: reached, not activated
	LinkReady       = "ready"        // <NAME>-<IP>: activated, last poll answered
	LinkCommFailure = "comm_failure" // COMMUNICATION FAILURE: the last poll failed
)

// PlatformLink is the state of the link to the platform.
type PlatformLink struct {
	State string `json:"state"`
	// ActivationCode is shown until the box is activated.
	ActivationCode string `json:"activation_code,omitempty"`
	// Name is the box's name on the platform once activated.
	Name string `json:"name,omitempty"`
	// LastPoll is the last answered poll; LastError why the last one failed.
	LastPoll  time.Time `json:"last_poll,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	// Reported is when scannerd reported this state.
	Reported time.Time `json:"reported,omitzero"`
}

// Valid checks a reported link.
func (l PlatformLink) Valid() error {
	switch l.State {
	case LinkContacting, LinkActivation, LinkReady, LinkCommFailure:
		return nil
	}
	return &Error{Kind: KindInvalidRequest, Message: "report platform: unknown state " + strconvQuote(l.State) + "; allowed: contacting, activation, ready, comm_failure"}
}

// ManagementPath is how management traffic must leave the box, in the
// configuration the kernel is brought to: the same source and resolvers as
// the Status of that moment, and the proxy of that configuration with its
// password. It never crosses the socket as JSON itself (netcfg refuses to
// marshal a set password); the wire form carries the password beside it.
type ManagementPath struct {
	// Interface is the port management traffic leaves by: WAN with split
	// networking, else LAN; Device is its kernel name (the VLAN device for
	// LAN with a panel VLAN), empty when unknown.
	Interface Iface
	Device    string
	// Source is Status.ManagementSource: the address to send from, the
	// WAN address with split networking (policy routing sends it out of
	// WAN). Invalid when the kernel's choice is right.
	Source netip.Addr
	// DNS is Status.DNS: the resolvers for management lookups, in order.
	DNS []netip.Addr
	// Proxy is the proxy in force, with its password; a zero Proxy (not
	// Enabled) means management traffic goes direct. The password is a
	// netcfg.Secret: it prints redacted.
	Proxy netcfg.Proxy
}

// ProxyStatus is the proxy in force, without its password.
type ProxyStatus struct {
	Enabled bool   `json:"enabled"`
	Host    string `json:"host,omitempty"`
	Port    int    `json:"port,omitempty"`
	User    string `json:"user,omitempty"`
}

// Interface is the status of one port.
type Interface struct {
	Name Iface `json:"name"`
	// Device is the kernel's name for the port (eth0); empty when unknown.
	Device string `json:"device,omitempty"`
	// MAC is the port's hardware address, colon-separated lower-case hex.
	MAC  string    `json:"mac"`
	Link LinkState `json:"link"`
	// VLAN is the panel's 802.1Q VLAN on LAN (0: none).
	VLAN int    `json:"vlan,omitempty"`
	IPv4 Family `json:"ipv4"`
	IPv6 Family `json:"ipv6"`
}

// ScanVLAN is one of the platform's scanning VLANs on the box.
type ScanVLAN struct {
	// ID is the 802.1Q tag; Name the platform's name for it, if any.
	ID   int    `json:"id"`
	Name string `json:"name,omitempty"`
	// Device is the kernel's name for the VLAN's link (eth0.20), whose
	// frames leave the LAN port tagged with ID.
	Device string `json:"device"`
	// Up says the link exists and is up with carrier.
	Up bool `json:"up"`
	// Addresses are the link's usable global addresses (not tentative):
	// the VLAN's address once applied.
	Addresses []netip.Prefix `json:"addresses,omitempty"`
}

// LinkState is a port's Ethernet link.
type LinkState struct {
	Up bool `json:"up"`
	// Mode is the configured mode (AUTO or a forced one).
	Mode netcfg.LinkMode `json:"mode"`
	// SpeedMbps and FullDuplex are what the link runs at (0 when down).
	SpeedMbps  int  `json:"speed_mbps,omitempty"`
	FullDuplex bool `json:"full_duplex,omitempty"`
}

// Address methods as Family.Method shows them.
const (
	MethodOff    = "off"
	MethodDHCP   = "dhcp"
	MethodStatic = "static"
	MethodAuto   = "auto" // IPv6 router advertisement
)

// Family is one address family on a port.
type Family struct {
	// Method is MethodOff, MethodDHCP, MethodStatic or MethodAuto.
	Method    string         `json:"method"`
	Addresses []netip.Prefix `json:"addresses,omitempty"`
	Gateway   netip.Addr     `json:"gateway,omitzero"`
	// Lease is the DHCPv4 lease state (IPv4 with DHCP only).
	Lease *Lease `json:"lease,omitempty"`
	// Note says, in words, why there is no address yet ("no lease yet").
	Note string `json:"note,omitempty"`
}

// LeaseState is where a DHCP lease is in its life.
type LeaseState string

// Lease states.
const (
	LeaseNone      LeaseState = "none" // no lease yet
	LeaseBound     LeaseState = "bound"
	LeaseRenewing  LeaseState = "renewing"  // past T1
	LeaseRebinding LeaseState = "rebinding" // past T2
	LeaseExpired   LeaseState = "expired"
)

// Lease is a DHCPv4 lease.
type Lease struct {
	State   LeaseState   `json:"state"`
	Server  netip.Addr   `json:"server,omitzero"`
	Address netip.Prefix `json:"address,omitzero"`
	// Obtained is when the lease was bound; T1 (renew), T2 (rebind) and
	// Expiry are absolute times.
	Obtained time.Time `json:"obtained,omitzero"`
	T1       time.Time `json:"t1,omitzero"`
	T2       time.Time `json:"t2,omitzero"`
	Expiry   time.Time `json:"expiry,omitzero"`
	// Requested is when a lease was last asked for (start, RENEW).
	Requested time.Time `json:"requested,omitzero"`
}

// StepName names a step of the connectivity test, in the order they run.
type StepName string

// The steps of the path test to the platform.
const (
	StepLink    StepName = "link"    // carrier on the ports in use
	StepAddress StepName = "address" // an address (lease, static, RA) on them
	StepGateway StepName = "gateway" // the default gateway answers
	StepDNS     StepName = "dns"     // the platform host resolves
	StepProxy   StepName = "proxy"   // the proxy accepts CONNECT and the credentials
	StepTLS     StepName = "tls"     // TLS to the platform with the pinned CA
)

// StepResult is how a step ended.
type StepResult string

// Step results.
const (
	StepPassed  StepResult = "passed"
	StepFailed  StepResult = "failed"
	StepSkipped StepResult = "skipped" // does not apply (no proxy configured)
	StepNotRun  StepResult = "not_run" // an earlier step failed
)

// Step is one step of a connectivity test.
type Step struct {
	Name   StepName   `json:"name"`
	Result StepResult `json:"result"`
	// Detail says what was checked or what went wrong, for SHOW STATUS and
	// logs.
	Detail string `json:"detail,omitempty"`
	// Panel is the short upper-case reason of a failed step for the front
	// panel (GATEWAY UNREACHABLE); at most PanelReasonMax characters.
	Panel string `json:"panel,omitempty"`
}

// PanelReasonMax is the longest Step.Panel: two 16-column lines.
const PanelReasonMax = 32

// ConnTest is the result of a connectivity test.
type ConnTest struct {
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// Steps lists every step in order; after the first failure the rest
	// are StepNotRun.
	Steps []Step `json:"steps"`
	// OK says no step failed.
	OK bool `json:"ok"`
	// Simulated says some passed steps were assumed, not performed (the
	// in-memory stand-in reaches nothing).
	Simulated bool `json:"simulated,omitempty"`
}

// FirstFailure returns the first failed step, if any.
func (t ConnTest) FirstFailure() (Step, bool) {
	for _, s := range t.Steps {
		if s.Result == StepFailed {
			return s, true
		}
	}
	return Step{}, false
}

// Reason returns the panel text of the first failed step, or "" when the
// test passed.
func (t ConnTest) Reason() string {
	s, ok := t.FirstFailure()
	if !ok {
		return ""
	}
	return s.Panel
}

// Config sources as ConfigSource.Source shows them (netstore.Source).
const (
	SourceStored        = "stored"
	SourceLastKnownGood = "last-known-good"
	SourceDefaults      = "defaults"
)

// ConfigSource says where the configuration in force at start came from.
type ConfigSource struct {
	// Source is SourceStored, SourceLastKnownGood or SourceDefaults.
	Source string `json:"source"`
	// Reason says why the stored configuration was not used (netstore's
	// Loaded.Reason); empty for SourceStored.
	Reason string `json:"reason,omitempty"`
	// MigratedFrom is the older file format version it was read from, or 0.
	MigratedFrom int `json:"migrated_from,omitempty"`
}

// HealthState is the manager's health.
type HealthState string

// Health states.
const (
	HealthOK       HealthState = "ok"
	HealthDegraded HealthState = "degraded" // running, but something needs attention (Reason)
)

// Health is the manager's own health.
type Health struct {
	State  HealthState `json:"state"`
	Reason string      `json:"reason,omitempty"`
}
