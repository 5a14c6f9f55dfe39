// Package platformapi is the contract between a Picket box and the Picket
// platform: the HTTPS paths, the JSON bodies, the box's request signature
// (ed25519, with a timestamp window and a nonce against replay) and the
// activation code a box derives from its public key.
//
// The box only ever polls out (it accepts no connection): every request is
// a POST signed with the box's key, activated or not. The platform learns
// an unactivated box's public key from its first poll and computes the
// box's activation code from it; a manager who enters that code on the
// platform binds that key, and only that key, to the account. A second
// activation of the same code is refused, and no other key can present
// the same code without a SHA-256 collision on its first 50 bits.
package platformapi

import (
	"encoding/json"
	"time"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/scan/result"
)

// Paths of the box API, all POST with JSON bodies, all signed.
const (
	// PathPoll is the heartbeat and work fetch: PollRequest → PollResponse.
	PathPoll = "/api/v1/box/poll"
	// PathJobUpdate reports a job's state or result: JobUpdate → JobUpdateResponse.
	// Idempotent on JobUpdate.UploadID.
	PathJobUpdate = "/api/v1/box/job"
)

// Paths of the update repository (The Update Framework's metadata and
// targets), served by platformd with GET and HTTP Range, unsigned: the
// updater trusts nothing it fetches there beyond what the signed TUF
// metadata, chained from the root in the box's image, says of it.
const (
	// PathUpdateMetadata is the prefix of the TUF metadata files
	// ("1.root.json", "timestamp.json", "<n>.snapshot.json", ...).
	PathUpdateMetadata = "/updates/v1/metadata/"
	// PathUpdateTargets is the prefix of the target files (consistent
	// snapshots: "<dir>/<sha256>.<name>").
	PathUpdateTargets = "/updates/v1/targets/"
)

// Update channels (UpdateNotice.Kind) and their TUF target paths.
const (
	// UpdateSoftware: the slot image of one board, TUF target
	// "software/<board>/<version>/rootfs.img", with its signed manifest
	// ("rootfs.manifest"), chunk index ("rootfs.chunks") and SBOM
	// ("sbom.spdx.json") beside it.
	UpdateSoftware = "software"
	// UpdateSignatures: the signature package (docs/signature-package.md),
	// TUF target "signatures/<version>/signatures.pkg".
	UpdateSignatures = "signatures"
)

// Box states in PollResponse.State.
const (
	StateUnactivated = "unactivated" // show the activation code, poll again
	StateActive      = "active"      // bound to an account: Name is set
)

// DefaultPollInterval is the poll interval until the platform sets one.
const DefaultPollInterval = 180 * time.Second

// ActivationPollInterval is the poll interval of a box waiting for
// activation: short, so that it shows its name within seconds of a
// manager entering its code (the spec: "within one poll").
const ActivationPollInterval = 15 * time.Second

// Limits of the poll interval and of a body (more in limits.go).
const (
	MinPollInterval = 10 * time.Second
	MaxPollInterval = 24 * time.Hour
	// MaxBody is the largest request or response body either side reads.
	MaxBody = 1 << 20
)

// Versions are the box's software versions.
type Versions struct {
	Scanner    string `json:"scanner"`    // scanner software (the image's version)
	Signatures string `json:"signatures"` // vulnerability signatures
	// Update is the updater's state in a few words ("idle", "downloading
	// 41%", "installed 1.4.0, rebooting", "failed: <reason>"), for the
	// platform's appliance list; empty when the box has no updater.
	Update string `json:"update,omitempty"`
}

// Capacity is what the box can take on.
type Capacity struct {
	CPUs          int  `json:"cpus"`
	MemoryMB      int  `json:"memory_mb"`
	MaxScans      int  `json:"max_scans"`      // concurrent scan jobs it accepts
	RunningScans  int  `json:"running_scans"`  // scan jobs it runs now
	ScannerOnline bool `json:"scanner_online"` // false until the scan engine exists
}

// PollRequest is the body of a poll.
type PollRequest struct {
	// Board names the hardware (platforms/board).
	Board    string   `json:"board"`
	Versions Versions `json:"versions"`
	// LANv4 and LANv6 are the box's LAN addresses (CIDR), for the
	// appliances list.
	LANv4    []string `json:"lan_v4,omitempty"`
	LANv6    []string `json:"lan_v6,omitempty"`
	Capacity Capacity `json:"capacity"`
	// SettingsVersion is the version of the platform settings the box has
	// applied (0: none yet); the platform resends newer ones.
	SettingsVersion int64 `json:"settings_version"`
	// SettingsError says why the last settings could not be applied (the
	// network manager refused them), for the platform to show.
	SettingsError string `json:"settings_error,omitempty"`
	// PollFailures is the number of polls in a row before this one whose
	// answer the box could not use (no answer, an error status, an answer
	// too large or not valid), and PollError the last one's error: a
	// platform that hears a box at all learns that its answers fail, and
	// shows the box as failing rather than online.
	PollFailures int    `json:"poll_failures,omitempty"`
	PollError    string `json:"poll_error,omitempty"`
	// Rollback is the last network change the box undid by itself: a
	// change that left it unable to reach the platform (settings the
	// platform pushed, or a change made at its panel) and was rolled back
	// to the configuration in force at its last contact. The box sends it
	// with every poll until a newer one; nil when none ever was.
	Rollback *NetworkRollback `json:"rollback,omitempty"`
}

// Who made a change the box rolled back (NetworkRollback.Source).
const (
	RollbackPlatform = "platform" // settings the platform pushed
	RollbackPanel    = "panel"    // a change made at the box's panel or console
)

// MaxRollbackReason bounds NetworkRollback.Reason, a sentence naming the
// change, the failed step and the grace period.
const MaxRollbackReason = 2 * MaxReportLen

// NetworkRollback is a network change the box rolled back.
type NetworkRollback struct {
	At     time.Time `json:"at"`
	Source string    `json:"source"` // RollbackPlatform or RollbackPanel
	// SettingsVersion is the platform's settings version rolled back
	// (Source RollbackPlatform); the box reports the version before it as
	// applied and does not take this one again.
	SettingsVersion int64  `json:"settings_version,omitempty"`
	Reason          string `json:"reason"`
}

// PollResponse is the platform's answer to a poll.
type PollResponse struct {
	State string `json:"state"`
	// Name is the box's name once active (default "pk_<username>").
	Name string `json:"name,omitempty"`
	// PollIntervalSeconds is when to poll next (jittered by the box).
	PollIntervalSeconds int `json:"poll_interval_seconds"`
	// Settings are the platform's settings for the box, sent when newer
	// than PollRequest.SettingsVersion.
	Settings *Settings `json:"settings,omitempty"`
	// Jobs are scan jobs to run, not yet acknowledged by the box.
	Jobs []Job `json:"jobs,omitempty"`
	// Updates name the releases the platform wants the box on, at most one
	// per channel (UpdateSoftware, UpdateSignatures); the box's updater
	// looks each up in the signed metadata and installs it when it is newer
	// than what runs.
	Updates []UpdateNotice `json:"updates,omitempty"`
	// Time is the platform's clock when it answered. The answer comes over
	// TLS to the pinned platform CA, so a box without a real-time clock
	// takes it as the trusted time to check metadata expiry against.
	Time time.Time `json:"time,omitempty"`
}

// Settings are what the platform sets on a box (network spec: scanning
// VLANs, static routes, IPv6 for scanning), versioned.
type Settings struct {
	Version             int64             `json:"version"`
	Name                string            `json:"name"`
	PollIntervalSeconds int               `json:"poll_interval_seconds"`
	ScanVLANs           []netcfg.ScanVLAN `json:"scan_vlans,omitempty"`
	Routes              []netcfg.Route    `json:"routes,omitempty"`
	ScanIPv6            netcfg.ScanIPv6   `json:"scan_ipv6"`
	// SignaturesMaxAgeDays is the age in days past which the box shows
	// its signature database as stale (SIGS STALE <n>d); 0: the box's
	// default, DefaultSignaturesMaxAgeDays.
	SignaturesMaxAgeDays int `json:"signatures_max_age_days,omitempty"`
}

// Platform returns the network part of s, for the network manager.
func (s Settings) Platform() netcfg.Platform {
	return netcfg.Platform{ScanVLANs: s.ScanVLANs, Routes: s.Routes, ScanIPv6: s.ScanIPv6}
}

// Job is a scan job.
type Job struct {
	ID      string   `json:"id"`
	Targets []string `json:"targets"` // addresses, CIDRs or names
	Ports   string   `json:"ports"`   // "22,80,443", "1-1024", "22,U:53,161" (targets.ParsePorts)
	// VLAN is the interface the job's packets leave through: 0 for the
	// LAN, else the 802.1Q id of one of the scanning VLANs the platform
	// pushed to the box (Settings.ScanVLANs), whose interface sends them
	// tagged.
	VLAN int `json:"vlan,omitempty"`
	// ChecksOff are check classes (result.CheckClass) the platform
	// switched off for this job; every other class runs.
	ChecksOff []string  `json:"checks_off,omitempty"`
	Created   time.Time `json:"created"`
}

// Job states in JobUpdate.State.
const (
	JobAccepted = "accepted" // the box has it
	JobRunning  = "running"
	JobDone     = "done"
	JobFailed   = "failed"
	JobCanceled = "canceled"
)

// JobUpdate reports a job's progress or result. The platform applies each
// UploadID once: a box that retries after a failure sends the same
// UploadID and gets the same answer, so nothing is recorded twice.
//
// A scan's results travel in batches: each running update may carry the
// hosts finished since the one before (Hosts, under its own UploadID, so a
// batch is stored once however often it is retried), and its progress; the
// last update (done, failed or canceled) carries the rest and the Summary.
// The box keeps every update's encoded size within MaxJobUpdate, splitting
// hosts over more updates when needed.
type JobUpdate struct {
	UploadID string          `json:"upload_id"`
	JobID    string          `json:"job_id"`
	State    string          `json:"state"`
	Error    string          `json:"error,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
	// Progress is where a running job is; on the last update, where it
	// ended.
	Progress *JobProgress `json:"progress,omitempty"`
	// Hosts are hosts finished since the previous update (up hosts only,
	// with their open ports, services and facts).
	Hosts []result.Host `json:"hosts,omitempty"`
	// Summary comes with the last update.
	Summary *ScanSummary `json:"summary,omitempty"`
}

// MaxJobUpdate bounds a JobUpdate's encoded size, below MaxBody so that
// the signature headers and any growth of the envelope still fit.
const MaxJobUpdate = 768 << 10

// Phases of a scan, JobProgress.Phase: the scanner writes them, the
// platform and the box's panel read them.
const (
	PhaseResolving = "resolving"
	PhaseDiscovery = "discovery"
	PhasePortscan  = "portscan"
	PhaseServices  = "services"
	PhaseDone      = "done"
)

// JobProgress is how far a scan has come.
type JobProgress struct {
	// Phase is one of the Phase constants.
	Phase string `json:"phase"`
	// TargetsTotal is the number of target addresses after exclusions;
	// TargetsDone those whose scan has ended.
	TargetsTotal uint64 `json:"targets_total"`
	TargetsDone  uint64 `json:"targets_done"`
	HostsUp      int    `json:"hosts_up"`
	OpenPorts    int    `json:"open_ports"`
	// PacketsSent counts probe packets (and connection attempts).
	PacketsSent uint64 `json:"packets_sent"`
}

// ScanSummary ends a scan's results.
type ScanSummary struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Interface is the interface the scan's packets left through (the
	// LAN's, or a scanning VLAN's), and Method "syn" or "connect".
	Interface    string `json:"interface,omitempty"`
	Method       string `json:"method,omitempty"`
	TargetsTotal uint64 `json:"targets_total"`
	HostsUp      int    `json:"hosts_up"`
	OpenPorts    int    `json:"open_ports"`
	PacketsSent  uint64 `json:"packets_sent"`
	// Signatures is the version of the signature database the checks ran
	// with (one database for the whole scan), "none" when none was loaded.
	Signatures string `json:"signatures,omitempty"`
	// Findings counts the job's findings by severity.
	Findings map[result.Severity]int `json:"findings,omitempty"`
}

// JobUpdateResponse acknowledges a JobUpdate.
type JobUpdateResponse struct {
	// Duplicate says this UploadID was already recorded.
	Duplicate bool `json:"duplicate,omitempty"`
	// Canceled says a person canceled or deleted the job on the
	// platform: the update was not recorded, the box stops the job and
	// sends no more updates for it.
	Canceled bool `json:"canceled,omitempty"`
}

// UpdateNotice names the release the platform wants a box on in one
// channel. Nothing in it is trusted: the updater looks Target up in the
// TUF metadata, whose signatures, lengths and hashes decide.
type UpdateNotice struct {
	Kind    string `json:"kind"` // UpdateSoftware or UpdateSignatures
	Version string `json:"version"`
	// Target is the TUF target path of the release in that channel.
	Target string `json:"target"`
	// Force installs it even while a scan runs (which is then canceled);
	// without it the updater waits for the running scan to end.
	Force bool `json:"force,omitempty"`
}

// MaxUpdates is the most update notices in one poll answer: one per channel.
const MaxUpdates = 2

// Error is the body of every non-2xx answer of the box API.
type Error struct {
	Code    string `json:"code"` // machine-readable: see the Err* codes
	Message string `json:"message"`
	// RetryAfterSeconds, with ErrRateLimited (HTTP 429, whose Retry-After
	// header says the same), is how long to wait before the next request.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
}

// Error codes.
const (
	ErrBadSignature = "bad_signature"
	ErrReplay       = "replay"
	ErrClockSkew    = "clock_skew"
	ErrBadRequest   = "bad_request"
	ErrNotActivated = "not_activated"
	ErrForbidden    = "forbidden"
	ErrRateLimited  = "rate_limited"
	ErrInternal     = "internal"
)

func (e *Error) Error() string { return "platform: " + e.Code + ": " + e.Message }
