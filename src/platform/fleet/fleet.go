// Package fleet is what a manager does to boxes on the platform,
// independent of the web pages: activate a box by its code, edit its
// settings (validated with netcfg's rules), launch scan jobs, and the
// status shown in the appliances list. The web UI calls it; so can tests
// and tools.
package fleet

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

// Audit, given to an action, appends the action's audit entry (what
// was done: the box or job as stored) inside the action's own
// transaction, so that the two are stored together or not at all: a
// crash between them, or an audit write that fails, cannot leave an
// action nobody can trace (an audit error undoes the action). It may run
// more than once: a store runs a transaction again after a conflict.
// nil: no entry.
type Audit[T any] func(tx store.Tx, done T) error

// record runs a, if any, in tx.
func (a Audit[T]) record(tx store.Tx, done T) error {
	if a == nil {
		return nil
	}
	if err := a(tx, done); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// Visible reports whether u may see b: active boxes of u's account; a
// unit manager or reader with asset groups only those groups' boxes.
// Whether u may also change it is MayChange.
func Visible(u store.User, b store.Box) bool {
	if b.State != store.BoxActive || b.Account != u.Account {
		return false
	}
	if u.Role != store.RoleManager && len(u.AssetGroups) > 0 {
		return slices.Contains(u.AssetGroups, b.AssetGroup)
	}
	return true
}

// MayChange reports whether u's role may change boxes and jobs: managers
// and unit managers, not readers (package people has the roles). The
// web UI refuses readers before calling; the functions here check again.
func MayChange(u store.User) bool {
	return u.Role == store.RoleManager || u.Role == store.RoleUnitManager
}

var errReadOnly = &UserError{Msg: "your role (reader) may look but not change anything"}

// UserError is a refusal to show the person as is (bad input, unknown
// code); other errors are internal.
type UserError struct {
	Msg string
	// Guess marks a refused activation code (malformed, unknown, or not
	// the person's to see): what a rate limit on code guessing counts.
	// A refusal without it (the form, a box already activated) does not
	// count.
	Guess bool
}

func (e *UserError) Error() string { return e.Msg }

func userErr(format string, args ...any) error { return &UserError{Msg: fmt.Sprintf(format, args...)} }

// Activate binds the pending box whose code is typed to u's account, in
// asset group group, named pk_<user> (made unique with _2, _3...). Unit
// managers must give a group (one of theirs, if they have a list).
func Activate(st store.Store, typed string, u store.User, group string, now time.Time, audit Audit[store.Box]) (store.Box, error) {
	if !MayChange(u) {
		return store.Box{}, errReadOnly
	}
	group = strings.TrimSpace(group)
	if err := checkText(group, MaxGroupLen); err != nil {
		return store.Box{}, userErr("asset group: %v", err)
	}
	if u.Role == store.RoleUnitManager {
		if group == "" {
			return store.Box{}, userErr("asset group: required; as a unit manager you must choose the asset group the box belongs to")
		}
		if len(u.AssetGroups) > 0 && !slices.Contains(u.AssetGroups, group) {
			return store.Box{}, userErr("asset group %s: not one of yours (%s)", quoted(group), strings.Join(u.AssetGroups, ", "))
		}
	}
	if len(typed) > 64 {
		return store.Box{}, &UserError{Msg: "activation code: want 13 characters (XXXX-XXXX-XXX)", Guess: true}
	}
	code, err := platformapi.NormalizeCode(typed)
	if err != nil {
		return store.Box{}, &UserError{Msg: err.Error(), Guess: true}
	}
	var b store.Box
	err = st.Update(func(tx store.Tx) error {
		var err error
		b, err = tx.BoxByCode(code)
		notFound := &UserError{Msg: fmt.Sprintf("no box is waiting with code %s: check the code on the box's screen", code), Guess: true}
		if errors.Is(err, store.ErrNotFound) {
			return notFound
		}
		if err != nil {
			return err
		}
		if b.State == store.BoxActive {
			// The key stays bound to its account: no takeover by a second
			// activation, whoever tries. Only those who can see the box
			// hear that it exists; to anyone else a code in another
			// account (or asset group) is like no code at all.
			if !Visible(u, b) {
				return notFound
			}
			// The right code of a box already bound (two people
			// activating it at once: the loser hears this) is not a
			// guess and does not count towards the lockout; refunding
			// it gives an attacker who knows one such code no
			// free guesses either.
			return &UserError{Msg: fmt.Sprintf("the box with code %s is already activated (it is %s); a box is activated once", code, b.Name)}
		}
		b.Name, err = uniqueName(tx, defaultName(u.Name))
		if err != nil {
			return err
		}
		b.State, b.Account, b.AssetGroup, b.ActivatedBy, b.Activated = store.BoxActive, u.Account, group, u.Name, now
		b.PollIntervalSeconds = int(platformapi.DefaultPollInterval / time.Second)
		b.Settings = platformapi.Settings{Version: b.Settings.Version + 1, Name: b.Name, PollIntervalSeconds: b.PollIntervalSeconds}
		if err := recordGroup(tx, u, group, now); err != nil {
			return err
		}
		if err := tx.PutBox(b); err != nil {
			return err
		}
		return audit.record(tx, b)
	})
	return b, err
}

// recordGroup makes sure the asset group a box is activated into is one
// of the account's groups (the groups page lists it).
func recordGroup(tx store.Tx, u store.User, group string, now time.Time) error {
	if group == "" {
		return nil
	}
	gs, err := tx.AssetGroups(u.Account)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(gs, func(g store.AssetGroup) bool { return g.Name == group }) {
		return nil
	}
	return tx.PutAssetGroup(store.AssetGroup{Account: u.Account, Name: group, CreatedBy: u.Name, Created: now})
}

// MaxGroupLen bounds an asset group's name, in bytes.
const MaxGroupLen = 64

// checkText checks a one-line text a person typed: valid UTF-8, at most
// max bytes, printable characters only.
func checkText(s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return errors.New("not valid UTF-8 text")
	case len(s) > max:
		return fmt.Errorf("%d bytes; at most %d allowed", len(s), max)
	}
	for i, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("character %+q at position %d is not allowed", r, i+1)
		}
	}
	return nil
}

// defaultName is a new box's name, pk_<user>, cut so that uniqueName's
// suffix still fits platformapi.MaxNameLen.
func defaultName(user string) string {
	base := "pk_" + user
	if max := platformapi.MaxNameLen - len("_99999"); len(base) > max {
		base = platformapi.ClipText(base, max)
	}
	return base
}

func uniqueName(tx store.Tx, base string) (string, error) {
	for i := 1; i < 100000; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		_, err := tx.BoxByName(name)
		if errors.Is(err, store.ErrNotFound) {
			return name, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("no free name of the form %s_N", base)
}

// Status is the box's state in the appliances list: "online" when it
// polled within 1.5 intervals, "heartbeat missed N" for N missed
// intervals, "offline" after OfflineAfter missed ones. A box that polls
// but reports that it could not use the answers to its last polls (its
// PollFailures) is "polls failing" however recently it polled: it
// reaches the platform, but the platform does not reach it.
func Status(b store.Box, now time.Time) string {
	if b.LastPoll.IsZero() {
		return "never seen"
	}
	iv := time.Duration(b.PollIntervalSeconds) * time.Second
	if iv <= 0 {
		iv = platformapi.DefaultPollInterval
	}
	since := now.Sub(b.LastPoll)
	if since <= iv*3/2 {
		if b.PollFailures > 0 {
			return StatusFailing
		}
		return "online"
	}
	missed := int(since / iv)
	if missed >= OfflineAfter {
		return "offline"
	}
	return fmt.Sprintf("heartbeat missed %d", missed)
}

// OfflineAfter is the number of missed polls after which a box is offline.
const OfflineAfter = 5

// StatusFailing is the status of a box that polls but cannot use the
// answers.
const StatusFailing = "polls failing"

// Edit is a settings form as typed.
type Edit struct {
	Name         string
	PollInterval string // seconds
	VLANs        string // "id address/prefix [name]" per line
	Routes       string // "destination gateway [name]" per line
	IPv6Method   string // off, auto, static
	IPv6Address  string
	IPv6Gateway  string
	// SigsMaxAge is the signatures' age limit in days ("" or 0: the
	// box's default, platformapi.DefaultSignaturesMaxAgeDays).
	SigsMaxAge string
}

// EditOf is the form of b's current settings.
func EditOf(b store.Box) Edit {
	s := b.Settings
	e := Edit{Name: b.Name, PollInterval: strconv.Itoa(b.PollIntervalSeconds), IPv6Method: s.ScanIPv6.Method.String()}
	if s.PollIntervalSeconds > 0 {
		e.PollInterval = strconv.Itoa(s.PollIntervalSeconds)
	}
	if s.SignaturesMaxAgeDays > 0 {
		e.SigsMaxAge = strconv.Itoa(s.SignaturesMaxAgeDays)
	}
	var v, r strings.Builder
	for _, x := range s.ScanVLANs {
		fmt.Fprintf(&v, "%d %s %s\n", x.ID, x.Address, x.Name)
	}
	for _, x := range s.Routes {
		fmt.Fprintf(&r, "%s %s %s\n", x.Destination, x.Gateway, x.Name)
	}
	e.VLANs, e.Routes = strings.ReplaceAll(v.String(), " \n", "\n"), strings.ReplaceAll(r.String(), " \n", "\n")
	if s.ScanIPv6.Address.IsValid() {
		e.IPv6Address = s.ScanIPv6.Address.String()
	}
	if s.ScanIPv6.Gateway.IsValid() {
		e.IPv6Gateway = s.ScanIPv6.Gateway.String()
	}
	return e
}

// FieldErrors maps a form field (name, poll_interval, sigs_max_age,
// vlans, routes, ipv6) to its problems.
type FieldErrors map[string][]string

// maxFieldErrors bounds the messages kept per field: a form of 4,000
// bad lines gets the first ones and a count, not a page of megabytes.
const maxFieldErrors = 10

func (f FieldErrors) add(field, format string, args ...any) {
	switch n := len(f[field]); {
	case n < maxFieldErrors:
		f[field] = append(f[field], fmt.Sprintf(format, args...))
	case n == maxFieldErrors:
		f[field] = append(f[field], "and more problems: correct these first")
	}
}

// quoted is s for an error message: quoted, cut to a few dozen characters.
func quoted(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(platformapi.ClipText(s, max)) + "…"
	}
	return strconv.Quote(s)
}

func (f FieldErrors) Error() string {
	var parts []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range f {
			if !yield(k) {
				return
			}
		}
	}) {
		parts = append(parts, k+": "+strings.Join(f[k], "; "))
	}
	return "invalid settings: " + strings.Join(parts, "; ")
}

func lines(text string) []string {
	return strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
}

// ParseVLANs reads "id address/prefix [name]" lines; blank lines and
// lines starting with # are skipped. Line numbers in errors are 1-based.
func ParseVLANs(text string, errs FieldErrors) (out []netcfg.ScanVLAN, lineOf []int) {
	for i, l := range lines(text) {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) < 2 || len(f) > 3 {
			errs.add("vlans", "line %d: %s: want \"id address/prefix [name]\", e.g. \"100 10.100.0.5/24 lab\"", i+1, quoted(l))
			continue
		}
		id, err := strconv.Atoi(f[0])
		if err != nil {
			errs.add("vlans", "line %d: VLAN id %s is not a number; allowed: 1-4094", i+1, quoted(f[0]))
			continue
		}
		addr, err := netip.ParsePrefix(f[1])
		if err != nil {
			errs.add("vlans", "line %d: %s is not an address with prefix length, e.g. 10.100.0.5/24", i+1, quoted(f[1]))
			continue
		}
		v := netcfg.ScanVLAN{ID: id, Address: addr}
		if len(f) == 3 {
			v.Name = f[2]
		}
		out, lineOf = append(out, v), append(lineOf, i+1)
	}
	return out, lineOf
}

// ParseRoutes reads "destination gateway [name]" lines.
func ParseRoutes(text string, errs FieldErrors) (out []netcfg.Route, lineOf []int) {
	for i, l := range lines(text) {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) < 2 || len(f) > 3 {
			errs.add("routes", "line %d: %s: want \"destination gateway [name]\", e.g. \"10.20.0.0/16 10.0.0.1 branch\"", i+1, quoted(l))
			continue
		}
		dst, err := netip.ParsePrefix(f[0])
		if err != nil {
			errs.add("routes", "line %d: destination %s is not a network with prefix length, e.g. 10.20.0.0/16", i+1, quoted(f[0]))
			continue
		}
		gw, err := netip.ParseAddr(f[1])
		if err != nil {
			errs.add("routes", "line %d: gateway %s is not an IP address", i+1, quoted(f[1]))
			continue
		}
		r := netcfg.Route{Destination: dst, Gateway: gw}
		if len(f) == 3 {
			r.Name = f[2]
		}
		out, lineOf = append(out, r), append(lineOf, i+1)
	}
	return out, lineOf
}

// Validate parses e into the box's new settings (without version) or
// returns FieldErrors naming every problem.
func (e Edit) Validate() (platformapi.Settings, error) {
	errs := FieldErrors{}
	var s platformapi.Settings
	s.Name = strings.TrimSpace(e.Name)
	if err := platformapi.CheckName(s.Name); err != nil {
		errs.add("name", "%v", err)
	}
	iv, err := strconv.Atoi(strings.TrimSpace(e.PollInterval))
	min, max := int(platformapi.MinPollInterval/time.Second), int(platformapi.MaxPollInterval/time.Second)
	switch {
	case err != nil:
		errs.add("poll_interval", "%s is not a number of seconds; allowed: %d-%d", quoted(e.PollInterval), min, max)
	case iv < min || iv > max:
		errs.add("poll_interval", "%d seconds is out of range; allowed: %d (10 s) to %d (24 h)", iv, min, max)
	}
	s.PollIntervalSeconds = iv
	if a := strings.TrimSpace(e.SigsMaxAge); a != "" {
		n, err := strconv.Atoi(a)
		switch {
		case err != nil:
			errs.add("sigs_max_age", "%s is not a number of days; allowed: 1-%d, or empty for the default (%d)", quoted(e.SigsMaxAge), platformapi.MaxSignaturesMaxAgeDays, platformapi.DefaultSignaturesMaxAgeDays)
		case n < 1 || platformapi.CheckSignaturesMaxAgeDays(n) != nil:
			errs.add("sigs_max_age", "%d days is out of range; allowed: 1-%d, or empty for the default (%d)", n, platformapi.MaxSignaturesMaxAgeDays, platformapi.DefaultSignaturesMaxAgeDays)
		default:
			s.SignaturesMaxAgeDays = n
		}
	}
	var vlanLines, routeLines []int
	s.ScanVLANs, vlanLines = ParseVLANs(e.VLANs, errs)
	s.Routes, routeLines = ParseRoutes(e.Routes, errs)
	switch strings.TrimSpace(e.IPv6Method) {
	case "", "off":
		s.ScanIPv6.Method = netcfg.ScanIPv6Off
	case "auto":
		s.ScanIPv6.Method = netcfg.ScanIPv6Auto
	case "static":
		s.ScanIPv6.Method = netcfg.ScanIPv6Static
	default:
		errs.add("ipv6", "method %s; allowed: off, auto, static", quoted(e.IPv6Method))
	}
	if a := strings.TrimSpace(e.IPv6Address); a != "" {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			errs.add("ipv6", "address %s is not an IPv6 address with prefix length, e.g. 2001:db8::10/64", quoted(a))
		}
		s.ScanIPv6.Address = p
	}
	if g := strings.TrimSpace(e.IPv6Gateway); g != "" {
		a, err := netip.ParseAddr(g)
		if err != nil {
			errs.add("ipv6", "gateway %s is not an IPv6 address", quoted(g))
		}
		s.ScanIPv6.Gateway = a
	}
	if len(errs) == 0 {
		cfg := netcfg.Config{Platform: s.Platform()}
		for _, p := range netcfg.Problems(cfg.Validate()) {
			field, msg := formField(p.Field, vlanLines, routeLines)
			errs.add(field, "%s", msg+p.Problem)
		}
	}
	if len(errs) > 0 {
		return s, errs
	}
	return s, nil
}

// formField maps a netcfg field ("platform.scan_vlans[3].id") to the form
// field and a line prefix.
func formField(field string, vlanLines, routeLines []int) (string, string) {
	rest, ok := strings.CutPrefix(field, "platform.")
	if !ok {
		return "settings", field + ": "
	}
	for _, f := range []struct {
		prefix, form string
		lines        []int
	}{{"scan_vlans", "vlans", vlanLines}, {"routes", "routes", routeLines}} {
		r, ok := strings.CutPrefix(rest, f.prefix)
		if !ok {
			continue
		}
		if r, ok := strings.CutPrefix(r, "["); ok {
			n, after, _ := strings.Cut(r, "]")
			if i, err := strconv.Atoi(n); err == nil && i < len(f.lines) {
				if after = strings.TrimPrefix(after, "."); after != "" {
					return f.form, fmt.Sprintf("line %d (%s): ", f.lines[i], after)
				}
				return f.form, fmt.Sprintf("line %d: ", f.lines[i])
			}
		}
		return f.form, ""
	}
	if sub := strings.TrimPrefix(strings.TrimPrefix(rest, "scan_ipv6"), "."); sub != "" {
		return "ipv6", sub + ": "
	}
	return "ipv6", ""
}

// SaveSettings validates e and stores it as b's next settings version.
func SaveSettings(st store.Store, boxID string, u store.User, e Edit, audit Audit[store.Box]) (store.Box, error) {
	if !MayChange(u) {
		return store.Box{}, errReadOnly
	}
	s, err := e.Validate()
	if err != nil {
		return store.Box{}, err
	}
	var b store.Box
	err = st.Update(func(tx store.Tx) error {
		var err error
		b, err = tx.Box(boxID)
		if err != nil || !Visible(u, b) {
			return userErr("no appliance %s", quoted(boxID))
		}
		if s.Name != b.Name {
			if o, err := tx.BoxByName(s.Name); err == nil && o.ID != b.ID {
				return FieldErrors{"name": {fmt.Sprintf("%q is another appliance's name; names are unique", s.Name)}}
			}
		}
		s.Version = b.Settings.Version + 1
		b.Name, b.Settings = s.Name, s
		if err := tx.PutBox(b); err != nil {
			return err
		}
		return audit.record(tx, b)
	})
	return b, err
}

// NewJobID returns a random job id.
func NewJobID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("job id: %w", err)
	}
	return "job-" + hex.EncodeToString(b[:]), nil
}

// ParseJob checks a job's targets (addresses, CIDRs or host names,
// separated by spaces, commas or lines) and ports ("22,80,443",
// "1-1024"; "T:" and "U:" switch the protocol for the ports that follow,
// TCP until the first, as the scan engine reads them: "22,80,U:53,161")
// against platformapi's limits.
func ParseJob(targets, ports string) ([]string, string, error) {
	errs := FieldErrors{}
	ts := strings.FieldsFunc(targets, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(ts) == 0 {
		errs.add("targets", "required: give addresses, networks (CIDR) or host names")
	}
	if len(ts) > platformapi.MaxJobTargets {
		errs.add("targets", "%d targets; at most %d", len(ts), platformapi.MaxJobTargets)
	}
	total := 0
	for _, t := range ts {
		total += len(t)
		if err := platformapi.CheckTarget(t); err != nil {
			errs.add("targets", "%v", err)
		}
	}
	if total > platformapi.MaxJobTargetsLen {
		errs.add("targets", "%d characters of targets in all; at most %d (use networks, e.g. 10.1.0.0/16, rather than long lists)", total, platformapi.MaxJobTargetsLen)
	}
	ports = strings.ReplaceAll(strings.TrimSpace(ports), " ", "")
	switch {
	case ports == "":
		errs.add("ports", "required, e.g. 22,80,443 or 1-1024 (UDP after U:, e.g. 22,U:53,161)")
	case len(ports) > platformapi.MaxPortsLen:
		errs.add("ports", "%d characters; at most %d (use ranges, e.g. 1-1024)", len(ports), platformapi.MaxPortsLen)
		ports = ""
	}
	for _, p := range strings.Split(ports, ",") {
		if ports == "" {
			break
		}
		tok := p
		if len(p) >= 2 && (p[:2] == "T:" || p[:2] == "U:" || p[:2] == "t:" || p[:2] == "u:") {
			p = p[2:]
		}
		lo, hi, isRange := strings.Cut(p, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		// Digits only: Atoi takes a sign, which the port list does not.
		if err1 != nil || err2 != nil || strings.ContainsAny(p, "+") || strings.Count(p, "-") > 1 || a < 1 || b > 65535 || a > b {
			errs.add("ports", "%s: want a port or range within 1-65535, e.g. 443 or 1-1024, or U: and one for UDP", quoted(tok))
		}
	}
	if len(errs) > 0 {
		return nil, "", errs
	}
	return ts, ports, nil
}

// ParseJobVLAN reads the job form's interface: "" or "0" is the LAN,
// else a scanning VLAN's 802.1Q id, which must be one of those the box's
// settings give it (vlans).
func ParseJobVLAN(vlan string, vlans []netcfg.ScanVLAN) (int, error) {
	vlan = strings.TrimSpace(vlan)
	if vlan == "" || vlan == "0" {
		return 0, nil
	}
	id, err := strconv.Atoi(vlan)
	if err != nil || strings.ContainsAny(vlan, "+-") || id < 1 || id > platformapi.MaxVLANID {
		return 0, FieldErrors{"vlan": {fmt.Sprintf("%s: want the LAN or a scanning VLAN's id, 1-%d", quoted(vlan), platformapi.MaxVLANID)}}
	}
	var have []string
	for _, v := range vlans {
		if v.ID == id {
			return id, nil
		}
		have = append(have, strconv.Itoa(v.ID))
	}
	if len(have) == 0 {
		return 0, FieldErrors{"vlan": {fmt.Sprintf("VLAN %d is not one of this appliance's scanning VLANs: it has none; add it in the settings first, or scan on the LAN", id)}}
	}
	return 0, FieldErrors{"vlan": {fmt.Sprintf("VLAN %d is not one of this appliance's scanning VLANs (%s); add it in the settings first, or pick one of those", id, strings.Join(have, ", "))}}
}

// ParseChecksOff checks the check classes a job form switches off (each
// one of result.CheckClasses) and returns them in that list's order,
// without duplicates.
func ParseChecksOff(classes []string) ([]string, error) {
	var out []string
	for _, c := range classes {
		if !slices.Contains(result.CheckClasses[:], result.CheckClass(c)) {
			return nil, FieldErrors{"checks_off": {fmt.Sprintf("%s is not a check class; the classes are %v", quoted(c), result.CheckClasses)}}
		}
	}
	for _, c := range result.CheckClasses {
		if slices.Contains(classes, string(c)) {
			out = append(out, string(c))
		}
	}
	return out, nil
}

// LaunchJob records a new pending job on the box, to scan through vlan
// (the form's value: "" or "0" the LAN, else one of the box's scanning
// VLANs, ParseJobVLAN) with the check classes checksOff switched off
// (ParseChecksOff); the box gets it at its next poll. A box has at
// most platformapi.MaxPendingJobs jobs waiting.
func LaunchJob(st store.Store, boxID string, u store.User, targets, ports, vlan string, checksOff []string, now time.Time, audit Audit[store.Job]) (store.Job, error) {
	if !MayChange(u) {
		return store.Job{}, errReadOnly
	}
	ts, ps, err := ParseJob(targets, ports)
	if err != nil {
		return store.Job{}, err
	}
	off, err := ParseChecksOff(checksOff)
	if err != nil {
		return store.Job{}, err
	}
	id, err := NewJobID()
	if err != nil {
		return store.Job{}, err
	}
	j := store.Job{ID: id, BoxID: boxID, Targets: ts, Ports: ps, ChecksOff: off, State: store.JobPending, CreatedBy: u.Name, Created: now, Updated: now}
	err = st.Update(func(tx store.Tx) error {
		b, err := tx.Box(boxID)
		if err != nil || !Visible(u, b) {
			return userErr("no appliance %s", quoted(boxID))
		}
		if j.VLAN, err = ParseJobVLAN(vlan, b.Settings.ScanVLANs); err != nil {
			return err
		}
		jobs, err := tx.JobsOf(boxID)
		if err != nil {
			return err
		}
		waiting := 0
		for _, o := range jobs {
			if o.State == store.JobPending {
				waiting++
			}
		}
		if waiting >= platformapi.MaxPendingJobs {
			return FieldErrors{"targets": {fmt.Sprintf("the box already has %d jobs it has not picked up, the most it can be sent at once; wait for its next poll or cancel one", waiting)}}
		}
		if err := tx.PutJob(j); err != nil {
			return err
		}
		return audit.record(tx, j)
	})
	return j, err
}

// jobOf returns the job id of box boxID, if u may see the box.
func jobOf(tx store.Tx, u store.User, boxID, jobID string) (store.Job, error) {
	b, err := tx.Box(boxID)
	if err != nil || !Visible(u, b) {
		return store.Job{}, userErr("no appliance %s", quoted(boxID))
	}
	j, err := tx.Job(jobID)
	if err != nil || j.BoxID != b.ID {
		return store.Job{}, userErr("no job %s on this appliance", quoted(jobID))
	}
	return j, nil
}

// ViewJob runs fn in a read transaction with the job jobID of box boxID,
// if u may see the box (Visible); otherwise it returns a UserError, the
// same whether the box or job does not exist or is not u's to see.
func ViewJob(st store.Store, boxID, jobID string, u store.User, fn func(tx store.Tx, j store.Job) error) error {
	return st.View(func(tx store.Tx) error {
		j, err := jobOf(tx, u, boxID, jobID)
		if err != nil {
			return err
		}
		return fn(tx, j)
	})
}

// Ended reports whether a job in state has ended: done, failed or
// canceled.
func Ended(state string) bool {
	return state == platformapi.JobDone || state == platformapi.JobFailed || state == platformapi.JobCanceled
}

// CancelJob cancels a job that has not ended: a pending job is never
// sent; a box that already has it hears "canceled" at its next update of
// it (platformapi.JobUpdateResponse.Canceled).
func CancelJob(st store.Store, boxID, jobID string, u store.User, now time.Time, audit Audit[store.Job]) (store.Job, error) {
	if !MayChange(u) {
		return store.Job{}, errReadOnly
	}
	var j store.Job
	err := st.Update(func(tx store.Tx) error {
		var err error
		if j, err = jobOf(tx, u, boxID, jobID); err != nil {
			return err
		}
		if Ended(j.State) {
			return userErr("job %s has already ended (%s); nothing to cancel", j.ID, j.State)
		}
		j.State, j.CanceledBy, j.Updated = platformapi.JobCanceled, u.Name, now
		if err := tx.PutJob(j); err != nil {
			return err
		}
		return audit.record(tx, j)
	})
	return j, err
}

// DeleteJob removes a job and its result. A job that had not ended is
// never sent again; a box that has it hears "no such job" and drops its
// updates.
func DeleteJob(st store.Store, boxID, jobID string, u store.User, audit Audit[store.Job]) (store.Job, error) {
	if !MayChange(u) {
		return store.Job{}, errReadOnly
	}
	var j store.Job
	err := st.Update(func(tx store.Tx) error {
		var err error
		if j, err = jobOf(tx, u, boxID, jobID); err != nil {
			return err
		}
		if err := tx.DeleteJob(j.ID); err != nil {
			return err
		}
		return audit.record(tx, j)
	})
	return j, err
}
