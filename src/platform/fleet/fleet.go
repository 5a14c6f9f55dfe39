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

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/platform/store"
)

// Visible reports whether u may see and manage b: active boxes of u's
// account; a unit manager with asset groups only those groups' boxes.
func Visible(u store.User, b store.Box) bool {
	if b.State != store.BoxActive || b.Account != u.Account {
		return false
	}
	if u.Role == store.RoleUnitManager && len(u.AssetGroups) > 0 {
		return slices.Contains(u.AssetGroups, b.AssetGroup)
	}
	return true
}

// UserError is a refusal to show the person as is (bad input, unknown
// code); other errors are internal.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

func userErr(format string, args ...any) error { return &UserError{fmt.Sprintf(format, args...)} }

// Activate binds the pending box whose code is typed to u's account, in
// asset group group, named pk_<user> (made unique with _2, _3...). Unit
// managers must give a group (one of theirs, if they have a list).
func Activate(st store.Store, typed string, u store.User, group string, now time.Time) (store.Box, error) {
	group = strings.TrimSpace(group)
	if len(group) > 64 {
		return store.Box{}, userErr("asset group: at most 64 characters")
	}
	if u.Role == store.RoleUnitManager {
		if group == "" {
			return store.Box{}, userErr("asset group: required; as a unit manager you must choose the asset group the box belongs to")
		}
		if len(u.AssetGroups) > 0 && !slices.Contains(u.AssetGroups, group) {
			return store.Box{}, userErr("asset group %q: not one of yours (%s)", group, strings.Join(u.AssetGroups, ", "))
		}
	}
	code, err := platformapi.NormalizeCode(typed)
	if err != nil {
		return store.Box{}, &UserError{err.Error()}
	}
	var b store.Box
	err = st.Update(func(tx store.Tx) error {
		var err error
		b, err = tx.BoxByCode(code)
		if errors.Is(err, store.ErrNotFound) {
			return userErr("no box is waiting with code %s: check the code on the box's screen", code)
		}
		if err != nil {
			return err
		}
		if b.State == store.BoxActive {
			// The key stays bound to its account: no takeover by a second
			// activation, whoever tries.
			return userErr("the box with code %s is already activated; a box is activated once (ask its account's manager)", code)
		}
		b.Name, err = uniqueName(tx, "pk_"+u.Name)
		if err != nil {
			return err
		}
		b.State, b.Account, b.AssetGroup, b.ActivatedBy, b.Activated = store.BoxActive, u.Account, group, u.Name, now
		b.PollIntervalSeconds = int(platformapi.DefaultPollInterval / time.Second)
		b.Settings = platformapi.Settings{Version: b.Settings.Version + 1, Name: b.Name, PollIntervalSeconds: b.PollIntervalSeconds}
		return tx.PutBox(b)
	})
	return b, err
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
// intervals, "offline" after OfflineAfter missed ones.
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

// Edit is a settings form as typed.
type Edit struct {
	Name         string
	PollInterval string // seconds
	VLANs        string // "id address/prefix [name]" per line
	Routes       string // "destination gateway [name]" per line
	IPv6Method   string // off, auto, static
	IPv6Address  string
	IPv6Gateway  string
}

// EditOf is the form of b's current settings.
func EditOf(b store.Box) Edit {
	s := b.Settings
	e := Edit{Name: b.Name, PollInterval: strconv.Itoa(b.PollIntervalSeconds), IPv6Method: s.ScanIPv6.Method.String()}
	if s.PollIntervalSeconds > 0 {
		e.PollInterval = strconv.Itoa(s.PollIntervalSeconds)
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

// FieldErrors maps a form field (name, poll_interval, vlans, routes,
// ipv6) to its problems.
type FieldErrors map[string][]string

func (f FieldErrors) add(field, format string, args ...any) {
	f[field] = append(f[field], fmt.Sprintf(format, args...))
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
			errs.add("vlans", "line %d: %q: want \"id address/prefix [name]\", e.g. \"100 10.100.0.5/24 lab\"", i+1, l)
			continue
		}
		id, err := strconv.Atoi(f[0])
		if err != nil {
			errs.add("vlans", "line %d: VLAN id %q is not a number; allowed: 1-4094", i+1, f[0])
			continue
		}
		addr, err := netip.ParsePrefix(f[1])
		if err != nil {
			errs.add("vlans", "line %d: %q is not an address with prefix length, e.g. 10.100.0.5/24", i+1, f[1])
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
			errs.add("routes", "line %d: %q: want \"destination gateway [name]\", e.g. \"10.20.0.0/16 10.0.0.1 branch\"", i+1, l)
			continue
		}
		dst, err := netip.ParsePrefix(f[0])
		if err != nil {
			errs.add("routes", "line %d: destination %q is not a network with prefix length, e.g. 10.20.0.0/16", i+1, f[0])
			continue
		}
		gw, err := netip.ParseAddr(f[1])
		if err != nil {
			errs.add("routes", "line %d: gateway %q is not an IP address", i+1, f[1])
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
	switch {
	case s.Name == "":
		errs.add("name", "required")
	case len(s.Name) > 64:
		errs.add("name", "at most 64 characters")
	case strings.ContainsFunc(s.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		errs.add("name", "control characters are not allowed")
	}
	iv, err := strconv.Atoi(strings.TrimSpace(e.PollInterval))
	min, max := int(platformapi.MinPollInterval/time.Second), int(platformapi.MaxPollInterval/time.Second)
	switch {
	case err != nil:
		errs.add("poll_interval", "%q is not a number of seconds; allowed: %d-%d", e.PollInterval, min, max)
	case iv < min || iv > max:
		errs.add("poll_interval", "%d seconds is out of range; allowed: %d (10 s) to %d (24 h)", iv, min, max)
	}
	s.PollIntervalSeconds = iv
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
		errs.add("ipv6", "method %q; allowed: off, auto, static", e.IPv6Method)
	}
	if a := strings.TrimSpace(e.IPv6Address); a != "" {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			errs.add("ipv6", "address %q is not an IPv6 address with prefix length, e.g. 2001:db8::10/64", a)
		}
		s.ScanIPv6.Address = p
	}
	if g := strings.TrimSpace(e.IPv6Gateway); g != "" {
		a, err := netip.ParseAddr(g)
		if err != nil {
			errs.add("ipv6", "gateway %q is not an IPv6 address", g)
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
func SaveSettings(st store.Store, boxID string, u store.User, e Edit) (store.Box, error) {
	s, err := e.Validate()
	if err != nil {
		return store.Box{}, err
	}
	var b store.Box
	err = st.Update(func(tx store.Tx) error {
		var err error
		b, err = tx.Box(boxID)
		if err != nil || !Visible(u, b) {
			return userErr("no appliance %q", boxID)
		}
		if s.Name != b.Name {
			if o, err := tx.BoxByName(s.Name); err == nil && o.ID != b.ID {
				return FieldErrors{"name": {fmt.Sprintf("%q is another appliance's name; names are unique", s.Name)}}
			}
		}
		s.Version = b.Settings.Version + 1
		b.Name, b.Settings = s.Name, s
		return tx.PutBox(b)
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

// MaxTargets bounds a job's target list.
const MaxTargets = 4096

// ParseJob checks a job's targets (addresses, CIDRs or host names,
// separated by spaces, commas or lines) and ports ("22,80,443", "1-1024").
func ParseJob(targets, ports string) ([]string, string, error) {
	errs := FieldErrors{}
	ts := strings.FieldsFunc(targets, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(ts) == 0 {
		errs.add("targets", "required: give addresses, networks (CIDR) or host names")
	}
	if len(ts) > MaxTargets {
		errs.add("targets", "%d targets; at most %d", len(ts), MaxTargets)
	}
	for _, t := range ts {
		if _, err := netip.ParseAddr(t); err == nil {
			continue
		}
		if _, err := netip.ParsePrefix(t); err == nil {
			continue
		}
		if !hostName(t) {
			errs.add("targets", "%q is not an address, a network (CIDR) or a host name", t)
		}
	}
	ports = strings.ReplaceAll(strings.TrimSpace(ports), " ", "")
	if ports == "" {
		errs.add("ports", "required, e.g. 22,80,443 or 1-1024")
	}
	for _, p := range strings.Split(ports, ",") {
		if ports == "" {
			break
		}
		lo, hi, isRange := strings.Cut(p, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 1 || b > 65535 || a > b {
			errs.add("ports", "%q: want a port or range within 1-65535, e.g. 443 or 1-1024", p)
		}
	}
	if len(errs) > 0 {
		return nil, "", errs
	}
	return ts, ports, nil
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

// LaunchJob records a new pending job on the box; the box gets it at its
// next poll.
func LaunchJob(st store.Store, boxID string, u store.User, targets, ports string, now time.Time) (store.Job, error) {
	ts, ps, err := ParseJob(targets, ports)
	if err != nil {
		return store.Job{}, err
	}
	id, err := NewJobID()
	if err != nil {
		return store.Job{}, err
	}
	j := store.Job{ID: id, BoxID: boxID, Targets: ts, Ports: ps, State: store.JobPending, CreatedBy: u.Name, Created: now, Updated: now}
	err = st.Update(func(tx store.Tx) error {
		b, err := tx.Box(boxID)
		if err != nil || !Visible(u, b) {
			return userErr("no appliance %q", boxID)
		}
		return tx.PutJob(j)
	})
	return j, err
}
