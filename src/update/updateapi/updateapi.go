// Package updateapi is updaterd's local API on updater.sock: HTTP/JSON
// over a unix socket whose callers are checked by their peer credentials
// (SO_PEERCRED). It answers what the updater is doing (State: the phase
// and progress the front panels show as LED S2 and UPDATING nn%, and the
// versions of SHOW STATUS), and takes the platform link's hand-over after
// each successful poll (Link: the management path with the proxy
// credentials, the platform's trusted time and its update notices), which
// only root and the platform link's uid may send.
package updateapi

import (
	"fmt"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
)

// DefaultSocket is where updaterd serves the API on a box.
const DefaultSocket = "/run/picket/updater.sock"

// Phases of the updater (State.Phase).
const (
	PhaseIdle        = "idle"        // nothing to do, or waiting for the next check
	PhaseChecking    = "checking"    // refreshing the signed metadata
	PhaseWaiting     = "waiting"     // an update is due but a scan runs (not forced)
	PhaseDownloading = "downloading" // fetching into the idle slot (Percent)
	PhaseVerifying   = "verifying"   // reading the written slot back against the signed hash
	PhaseInstalling  = "installing"  // manifest and slot state handed to init
	PhaseRebooting   = "rebooting"   // init asked to reboot into the new slot
	PhaseTrying      = "trying"      // this slot is on trial: not yet marked good
	PhaseFailed      = "failed"      // the last attempt failed (Error); retried later
)

// State is what the updater does now and what runs.
type State struct {
	Phase string `json:"phase"`
	// Percent is the progress of the phase in hand (downloading,
	// verifying), 0 to 100.
	Percent int `json:"percent"`
	// Kind is the channel being worked on (platformapi.UpdateSoftware or
	// UpdateSignatures), empty when idle.
	Kind string `json:"kind,omitempty"`
	// Pending is the version being installed, empty when idle.
	Pending string `json:"pending,omitempty"`
	// Software is the running slot's version; Slot its name ("a", "b").
	Software string `json:"software"`
	Slot     string `json:"slot"`
	// OtherSlotVersion is the version the other slot's signed manifest
	// names ("" when it holds none that verifies).
	OtherSlotVersion string `json:"other_slot_version,omitempty"`
	// Signatures is the signature database version in force ("none").
	Signatures string `json:"signatures"`
	// Error says why the last attempt failed (never a secret).
	Error string `json:"error,omitempty"`
	// LastCheck is when the metadata was last refreshed successfully.
	LastCheck time.Time `json:"last_check,omitzero"`
}

// Busy reports whether an update is in hand: the front panels light LED
// S2 and show UPDATING nn% while it is.
func (s State) Busy() bool {
	switch s.Phase {
	case PhaseDownloading, PhaseVerifying, PhaseInstalling, PhaseRebooting:
		return true
	}
	return false
}

// Link is the platform link's hand-over after each successful poll.
type Link struct {
	// Path is the management path the poll went out by, proxy password
	// included: the updater downloads the same way.
	Path netapi.ManagementPath `json:"path"`
	// Platform is the platform's base URL (https://host[:port]).
	Platform string `json:"platform"`
	// PlatformTime is the platform's clock in the answer
	// (platformapi.PollResponse.Time), PolledAt the box's clock when the
	// answer arrived: the updater's trusted time for metadata expiry.
	PlatformTime time.Time `json:"platform_time"`
	PolledAt     time.Time `json:"polled_at"`
	// Updates are the poll answer's update notices.
	Updates []platformapi.UpdateNotice `json:"updates,omitempty"`
	// ScanRunning: a scan job runs; a software update waits for it
	// unless the notice forces it.
	ScanRunning bool `json:"scan_running"`
}

// Summary is the state in a few words for the platform's heartbeat
// (platformapi.Versions.Update): "idle", "downloading 1.4.0 41%",
// "failed: <reason>".
func (s State) Summary() string {
	var t string
	switch {
	case s.Phase == "":
		t = PhaseIdle
	case s.Phase == PhaseFailed && s.Error != "":
		t = "failed: " + s.Error
	case s.Pending != "" && s.Busy():
		t = fmt.Sprintf("%s %s %d%%", s.Phase, s.Pending, s.Percent)
	case s.Pending != "":
		t = s.Phase + " " + s.Pending
	default:
		t = s.Phase
	}
	return platformapi.ClipText(t, platformapi.MaxReportLen)
}
