package platformapi

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/scan/result"
)

// Limits of what the platform accepts from a person and sends to a box.
// A box reads at most MaxBody of an answer; these limits are chosen so
// that a poll answer with every field at its limit still encodes within
// it (MaxPollResponse, checked at compile time below and by encoding such
// an answer in the tests). A box can therefore never be locked out by
// what a person set for it: issue 12 had a 180,000-character VLAN name,
// and four jobs with 300 kB port lists, make every poll fail.
//
// The limits of the network settings themselves (VLANs, routes, their
// names) are netcfg's: the box validates them with the same rules.
const (
	// MaxNameLen bounds a box's name, in bytes of printable UTF-8.
	MaxNameLen = 64
	// MaxPendingJobs bounds the jobs of one box not yet acknowledged: the
	// jobs a poll answer carries.
	MaxPendingJobs = 8
	// MaxJobTargets bounds the number of targets of one job.
	MaxJobTargets = 4096
	// MaxTargetLen bounds one target: a host name's longest form (an
	// address or a network is shorter).
	MaxTargetLen = 253
	// MaxJobTargetsLen bounds the sum of a job's target lengths.
	MaxJobTargetsLen = 32 << 10
	// MaxPortsLen bounds a job's port list ("22,80,443", "1-1024",
	// "22,U:53,161": UDP after U:).
	MaxPortsLen = 2048
	// MaxJobIDLen bounds a job id (the platform makes them, "job-" and
	// 16 hexadecimal digits).
	MaxJobIDLen = 64
	// MaxVLANID bounds a job's VLAN: 0 is the LAN, 1 to MaxVLANID an
	// 802.1Q id (4095 is reserved).
	MaxVLANID = 4094
	// MaxReportLen bounds a text a box reports (an error, a version), in
	// bytes; the platform cuts longer ones.
	MaxReportLen = 200
	// Update notices (made by the platform, not typed).
	MaxUpdateKindLen    = 16
	MaxUpdateVersionLen = 64
	MaxUpdateTargetLen  = 256
	// DefaultSignaturesMaxAgeDays is the signatures' age limit of a box
	// the platform sets none for (Settings.SignaturesMaxAgeDays 0), and
	// MaxSignaturesMaxAgeDays the largest the platform may set.
	DefaultSignaturesMaxAgeDays = 7
	MaxSignaturesMaxAgeDays     = 365
)

// Upper bounds of the encoded size of each part of a poll answer whose
// fields are within the limits. JSON text escapes at most 6 bytes for one
// (encoding/json writes "<" as \u003c); texts of a known alphabet with no
// character to escape (netcfg names, targets, ports, addresses) count
// one. Addresses are written without zone (netcfg refuses zones).
const (
	escapedMax    = 6 // bytes of JSON for one byte of text, at most
	maxIntText    = len("-9223372036854775808")
	maxTimeText   = len(`"2006-01-02T15:04:05.999999999-07:00"`)
	maxAddrText   = len("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
	maxPrefixText = maxAddrText + len("/128")
	maxNameJSON   = 2 + escapedMax*MaxNameLen

	maxVLANJSON     = len(`{"id":4094,"name":"","address":""},`) + netcfg.MaxNameLen + maxPrefixText
	maxRouteJSON    = len(`{"name":"","destination":"","gateway":""},`) + netcfg.MaxNameLen + maxPrefixText + maxAddrText
	maxScanIPv6JSON = len(`{"method":"static","address":"","gateway":""}`) + maxPrefixText + maxAddrText
	maxSettingsJSON = len(`{"version":,"name":,"poll_interval_seconds":,"scan_vlans":[],"routes":[],"scan_ipv6":,"signatures_max_age_days":}`) +
		3*maxIntText + maxNameJSON + netcfg.MaxScanVLANs*maxVLANJSON + netcfg.MaxRoutes*maxRouteJSON + maxScanIPv6JSON
	maxJobJSON = len(`{"id":"","targets":[],"ports":"","vlan":4094,"checks_off":[],"created":},`) + escapedMax*MaxJobIDLen +
		MaxJobTargets*len(`"",`) + MaxJobTargetsLen + MaxPortsLen + maxTimeText + maxChecksOffJSON
	maxChecksOffJSON = len(result.CheckClasses) * len(`"exposed",`)
	maxUpdateJSON    = len(`{"kind":"","version":"","target":"","force":true},`) +
		escapedMax*(MaxUpdateKindLen+MaxUpdateVersionLen+MaxUpdateTargetLen)

	// MaxPollResponse bounds the encoded size of a PollResponse (with the
	// encoder's final newline) whose fields are within the limits.
	MaxPollResponse = len(`{"state":"unactivated","name":,"poll_interval_seconds":,"settings":,"jobs":[],"updates":[],"time":}`+"\n") +
		maxNameJSON + maxIntText + maxSettingsJSON + MaxPendingJobs*maxJobJSON + MaxUpdates*maxUpdateJSON + maxTimeText
)

// The limits fit what the box reads: this fails to compile otherwise.
const _ = uint(MaxBody - MaxPollResponse)

// CheckName checks a box's name: 1 to MaxNameLen bytes of valid UTF-8,
// printable characters only (no control or format characters, which
// could hide or reorder what a person reads).
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("required")
	case !utf8.ValidString(name):
		return fmt.Errorf("not valid UTF-8 text")
	case len(name) > MaxNameLen:
		return fmt.Errorf("%d bytes; at most %d allowed", len(name), MaxNameLen)
	}
	for i, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("character %+q at position %d is not allowed; control, format and space characters other than the space are not", r, i+1)
		}
	}
	return nil
}

// CheckJob checks a job against the limits and the alphabet of its
// fields: what the platform checks before it sends one.
func CheckJob(j Job) error {
	if j.ID == "" || len(j.ID) > MaxJobIDLen || !utf8.ValidString(j.ID) {
		return fmt.Errorf("job id: 1 to %d bytes of UTF-8 text", MaxJobIDLen)
	}
	if len(j.Targets) == 0 || len(j.Targets) > MaxJobTargets {
		return fmt.Errorf("job %s: %d targets; 1 to %d allowed", j.ID, len(j.Targets), MaxJobTargets)
	}
	total := 0
	for i, t := range j.Targets {
		if err := CheckTarget(t); err != nil {
			return fmt.Errorf("job %s: target %d: %w", j.ID, i+1, err)
		}
		total += len(t)
	}
	if total > MaxJobTargetsLen {
		return fmt.Errorf("job %s: targets of %d characters in all; at most %d allowed", j.ID, total, MaxJobTargetsLen)
	}
	if len(j.Ports) == 0 || len(j.Ports) > MaxPortsLen || strings.Trim(j.Ports, "0123456789,-TUtu:") != "" {
		return fmt.Errorf("job %s: ports: 1 to %d characters of digits, ',', '-' and the protocol prefixes T: and U:", j.ID, MaxPortsLen)
	}
	if j.VLAN < 0 || j.VLAN > MaxVLANID {
		return fmt.Errorf("job %s: VLAN %d: 0 (the LAN) or a scanning VLAN's id, 1-%d", j.ID, j.VLAN, MaxVLANID)
	}
	if len(j.ChecksOff) > len(result.CheckClasses) {
		return fmt.Errorf("job %s: %d check classes off; there are %d", j.ID, len(j.ChecksOff), len(result.CheckClasses))
	}
	for _, c := range j.ChecksOff {
		if !slices.Contains(result.CheckClasses[:], result.CheckClass(c)) {
			return fmt.Errorf("job %s: check class %.32q: not one of %v", j.ID, c, result.CheckClasses)
		}
	}
	return nil
}

// CheckSignaturesMaxAgeDays checks the signatures' age limit the
// platform sets: 0 (the box's default) or 1 to MaxSignaturesMaxAgeDays.
func CheckSignaturesMaxAgeDays(n int) error {
	if n < 0 || n > MaxSignaturesMaxAgeDays {
		return fmt.Errorf("signatures max age %d days: 1 to %d, or 0 for the default (%d)", n, MaxSignaturesMaxAgeDays, DefaultSignaturesMaxAgeDays)
	}
	return nil
}

// SignaturesMaxAge is the limit a box applies for the platform's setting
// n: n itself when valid and set, else the default.
func SignaturesMaxAge(n int) int {
	if n <= 0 || CheckSignaturesMaxAgeDays(n) != nil {
		return DefaultSignaturesMaxAgeDays
	}
	return n
}

// CheckTarget checks one scan target: an address or a network (CIDR)
// without zone, or a host name (RFC 1123 labels).
func CheckTarget(t string) error {
	if len(t) > MaxTargetLen {
		return fmt.Errorf("%d characters; at most %d allowed", len(t), MaxTargetLen)
	}
	if a, err := netip.ParseAddr(t); err == nil {
		if a.Zone() != "" {
			return fmt.Errorf("an address with a zone (%%%s); give it without one", clipText(a.Zone(), 20))
		}
		return nil
	}
	if _, err := netip.ParsePrefix(t); err == nil {
		return nil
	}
	if !hostName(t) {
		return fmt.Errorf("%q is not an address, a network (CIDR) or a host name", clipText(t, 40))
	}
	return nil
}

func hostName(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// CheckUpdate checks an update notice against the limits.
func CheckUpdate(n UpdateNotice) error {
	for _, f := range []struct {
		what, v string
		max     int
	}{{"kind", n.Kind, MaxUpdateKindLen}, {"version", n.Version, MaxUpdateVersionLen}, {"target", n.Target, MaxUpdateTargetLen}} {
		if len(f.v) > f.max || !utf8.ValidString(f.v) {
			return fmt.Errorf("update notice %s: at most %d bytes of UTF-8 text", f.what, f.max)
		}
	}
	return nil
}

// ClipText cuts s to at most max bytes at a character boundary, and
// replaces invalid UTF-8: what a platform keeps of a text a box reports.
func ClipText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// clipText is ClipText for a message: valid UTF-8, with "…" when cut.
func clipText(s string, max int) string {
	c := ClipText(s, max)
	if len(c) < len(strings.ToValidUTF8(s, "\uFFFD")) {
		return c + "…"
	}
	return c
}
