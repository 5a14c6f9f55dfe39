// Package people is the people's side of an account on the platform: who
// may do what (roles), the accounts managers create, disable, reset and
// change, the asset groups boxes are put in and people limited to, and
// the audit log of what each person did, from where and when. The web UI
// calls it; the rules live here so that they hold whatever calls them.
//
// Roles (a competitor's appliance guide has managers and unit managers
// activating boxes, a unit manager into one of their asset groups; the
// rest is this package's choice):
//
//   - manager: everything in their account, including people, asset
//     groups, releases and the audit log.
//   - unit manager: the boxes of their asset groups (all of the account's
//     when they have none): activates boxes into those groups, edits
//     their settings, launches, cancels and deletes scan jobs. They do not
//     manage people, not even readers: one role grants accounts, so who
//     sees what is decided in one place.
//   - reader: sees what a unit manager with the same groups sees, and
//     changes nothing (their own password aside).
//
// A user's asset groups are a list or "all groups" (the empty list); the
// form says which explicitly, so unticking the last group of a list is
// refused rather than widening the person to the whole account.
//
// Passwords a manager sets (a new account, a reset) are temporary: the
// person must choose their own at their next login (User.
// MustChangePassword), and a reset or a disable ends their sessions at
// once. An account keeps at least one enabled manager.
package people

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"picket.dev/picket/src/platform/auth"
	"picket.dev/picket/src/platform/store"
)

// Audit actions. Each is appended with who, the object and a short
// detail (never a secret), when and from which address.
const (
	ActLogin        = "login"
	ActLoginFailed  = "login.failed" // a known user's wrong password, or a disabled account
	ActLogout       = "logout"
	ActPassword     = "password.changed" // the person's own
	ActBoxActivated = "box.activated"
	ActBoxSettings  = "box.settings"
	ActBoxMoved     = "box.moved" // to another asset group
	ActJobLaunched  = "job.launched"
	ActJobCanceled  = "job.canceled"
	ActJobDeleted   = "job.deleted"
	ActRollout      = "rollout.changed"
	ActUserCreated  = "user.created"
	ActUserChanged  = "user.changed" // role or asset groups
	ActUserDisabled = "user.disabled"
	ActUserEnabled  = "user.enabled"
	ActUserReset    = "user.reset" // a manager set a temporary password
	ActGroupCreated = "group.created"
	ActGroupRenamed = "group.renamed"
	ActGroupDeleted = "group.deleted"
)

// Actions are the audit actions, for the log's filter.
var Actions = []string{ActLogin, ActLoginFailed, ActLogout, ActPassword, ActBoxActivated, ActBoxSettings, ActBoxMoved,
	ActJobLaunched, ActJobCanceled, ActJobDeleted, ActRollout, ActUserCreated, ActUserChanged, ActUserDisabled,
	ActUserEnabled, ActUserReset, ActGroupCreated, ActGroupRenamed, ActGroupDeleted}

// Roles lists the roles, for forms.
var Roles = []string{store.RoleManager, store.RoleUnitManager, store.RoleReader}

// MayChange reports whether u may change boxes and jobs (activate, edit
// settings, launch, cancel, delete): managers and unit managers.
func MayChange(u store.User) bool {
	return u.Role == store.RoleManager || u.Role == store.RoleUnitManager
}

// MayManage reports whether u may manage people, asset groups, releases
// and read the audit log: managers.
func MayManage(u store.User) bool { return u.Role == store.RoleManager }

// UserError is a refusal to show the person as is; NotFound marks one
// about a user, group or box that is not there (or not theirs to see).
type UserError struct {
	Msg      string
	NotFound bool
}

func (e *UserError) Error() string { return e.Msg }

func userErr(format string, args ...any) error { return &UserError{Msg: fmt.Sprintf(format, args...)} }

func notFound(format string, args ...any) error {
	return &UserError{Msg: fmt.Sprintf(format, args...), NotFound: true}
}

// Actor is who acts, from which client address, at what time (the
// server's clock, passed in).
type Actor struct {
	User store.User
	Addr string
	Now  time.Time
}

// MaxDetail bounds an audit entry's object and detail, in bytes.
const MaxDetail = 200

// Entry is the audit entry of a's action.
func (a Actor) Entry(action, object, detail string) store.AuditEntry {
	return store.AuditEntry{Account: a.User.Account, Time: a.Now, User: a.User.Name, Action: action,
		Object: clip(object), Detail: clip(detail), Addr: a.Addr}
}

func clip(s string) string {
	if len(s) <= MaxDetail {
		return s
	}
	for i := MaxDetail; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}

// Record appends a's action to the audit log in a transaction of its own,
// for what changes nothing else in the store (logins, logouts). The box,
// job and rollout changes of packages fleet and rollout append theirs in
// their own transaction (their audit hooks).
func Record(st store.Store, a Actor, action, object, detail string) error {
	if err := st.Update(func(tx store.Tx) error { return tx.AppendAudit(a.Entry(action, object, detail)) }); err != nil {
		return fmt.Errorf("audit %s by %s: %w", action, a.User.Name, err)
	}
	return nil
}

// CheckName checks a new user's name: 1-64 letters, digits, '_', '-'
// and '.'.
func CheckName(name string) error {
	if name == "" || len(name) > 64 || strings.ContainsFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
	}) {
		return fmt.Errorf("user name %q: 1-64 characters of letters, digits, '_', '-' and '.'", clip(name))
	}
	return nil
}

// CheckRole checks a role name.
func CheckRole(role string) error {
	if !slices.Contains(Roles, role) {
		return fmt.Errorf("role %q: allowed: %s", clip(role), strings.Join(Roles, ", "))
	}
	return nil
}

// CheckPassword checks a new password for user name: at least
// auth.MinPasswordLen characters, not the name.
func CheckPassword(name, pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < auth.MinPasswordLen:
		return fmt.Errorf("password: at least %d characters", auth.MinPasswordLen)
	case strings.EqualFold(pw, name):
		return errors.New("password: must not be the user name")
	}
	return nil
}

// CheckGroupName checks an asset group's name: 1-64 bytes of printable
// text.
func CheckGroupName(g string) error {
	switch {
	case g == "" || strings.TrimSpace(g) != g:
		return errors.New("asset group name: required, without leading or trailing spaces")
	case !utf8.ValidString(g) || len(g) > 64 || strings.ContainsFunc(g, func(r rune) bool { return !unicode.IsPrint(r) }):
		return fmt.Errorf("asset group name %q: at most 64 bytes of printable text", clip(g))
	}
	return nil
}

// Group is an asset group as the groups page shows it: defined (created
// on the page, or at an activation into it) or only named by a box or
// user (from before groups were records).
type Group struct {
	Name    string
	Defined bool
	Boxes   int
	Users   []string
}

// Groups lists account's asset groups, ordered by name.
func Groups(tx store.Tx, account string) ([]Group, error) {
	by := map[string]*Group{}
	get := func(name string) *Group {
		if by[name] == nil {
			by[name] = &Group{Name: name}
		}
		return by[name]
	}
	defined, err := tx.AssetGroups(account)
	if err != nil {
		return nil, fmt.Errorf("asset groups of %s: %w", account, err)
	}
	for _, g := range defined {
		get(g.Name).Defined = true
	}
	boxes, err := tx.Boxes()
	if err != nil {
		return nil, fmt.Errorf("asset groups of %s: %w", account, err)
	}
	for _, b := range boxes {
		if b.State == store.BoxActive && b.Account == account && b.AssetGroup != "" {
			get(b.AssetGroup).Boxes++
		}
	}
	users, err := tx.Users()
	if err != nil {
		return nil, fmt.Errorf("asset groups of %s: %w", account, err)
	}
	for _, u := range users {
		if u.Account != account {
			continue
		}
		for _, g := range u.AssetGroups {
			get(g).Users = append(get(g).Users, u.Name)
		}
	}
	var out []Group
	for _, g := range by {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// groupExists looks at the group records first: only a name no record
// has costs the walk of every box and user (Groups).
func groupExists(tx store.Tx, account, name string) (bool, error) {
	defined, err := tx.AssetGroups(account)
	if err != nil {
		return false, err
	}
	if slices.ContainsFunc(defined, func(g store.AssetGroup) bool { return g.Name == name }) {
		return true, nil
	}
	gs, err := Groups(tx, account)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(gs, func(g Group) bool { return g.Name == name }), nil
}

func mustManage(a Actor) error {
	if !MayManage(a.User) {
		return &UserError{Msg: "only managers manage people and asset groups"}
	}
	return nil
}

// Form is a user's role and asset groups as a manager chose them.
type Form struct {
	Role string
	// AllGroups: the person sees the whole account; else Groups (one at
	// least). Managers always see the whole account.
	AllGroups bool
	Groups    []string
}

// groupsOf checks f's groups against account's and returns the user's
// AssetGroups (nil: all).
func groupsOf(tx store.Tx, account string, f Form) ([]string, error) {
	if err := CheckRole(f.Role); err != nil {
		return nil, &UserError{Msg: err.Error()}
	}
	if f.Role == store.RoleManager || f.AllGroups {
		return nil, nil
	}
	var out []string
	for _, g := range f.Groups {
		if g = strings.TrimSpace(g); g == "" || slices.Contains(out, g) {
			continue
		}
		ok, err := groupExists(tx, account, g)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, userErr("asset group %q: no such group; create it on the Asset groups page first", clip(g))
		}
		out = append(out, g)
	}
	if len(out) == 0 {
		return nil, userErr("asset groups: tick at least one, or choose all groups")
	}
	slices.Sort(out)
	return out, nil
}

func describe(role string, groups []string) string {
	if role == store.RoleManager || len(groups) == 0 {
		return "role " + role + ", all groups"
	}
	return "role " + role + ", groups " + strings.Join(groups, ", ")
}

// newHash checks user name's new password pw (a *UserError says why it
// is refused) and hashes it with params.
func newHash(name, pw string, params auth.Params) (string, error) {
	if err := CheckPassword(name, pw); err != nil {
		return "", &UserError{Msg: err.Error()}
	}
	return auth.HashPassword(pw, params)
}

// Create adds user name to a's account with a temporary password pw
// (hashed with params) the person must change at their first login.
func Create(st store.Store, a Actor, name string, f Form, pw string, params auth.Params) (store.User, error) {
	if err := mustManage(a); err != nil {
		return store.User{}, err
	}
	if err := CheckName(name); err != nil {
		return store.User{}, &UserError{Msg: err.Error()}
	}
	hash, err := newHash(name, pw, params)
	if err != nil {
		return store.User{}, err
	}
	var u store.User
	err = st.Update(func(tx store.Tx) error {
		groups, err := groupsOf(tx, a.User.Account, f)
		if err != nil {
			return err
		}
		if _, err := tx.User(name); err == nil {
			return userErr("user %s already exists (user names are unique across the platform)", name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		u = store.User{Name: name, Role: f.Role, Account: a.User.Account, AssetGroups: groups, PasswordHash: hash,
			Created: a.Now, MustChangePassword: true}
		if err := tx.PutUser(u); err != nil {
			return err
		}
		return tx.AppendAudit(a.Entry(ActUserCreated, name, describe(u.Role, u.AssetGroups)))
	})
	return u, err
}

// target reads user name of a's account for a change.
func target(tx store.Tx, a Actor, name string) (store.User, error) {
	u, err := tx.User(name)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Account != a.User.Account {
		return store.User{}, notFound("no user %q in your account", clip(name))
	}
	return u, err
}

// keepsManager refuses a change that leaves u's account without an
// enabled manager (u as it would be after the change).
func keepsManager(tx store.Tx, u store.User) error {
	users, err := tx.Users()
	if err != nil {
		return err
	}
	for _, o := range users {
		if o.Name == u.Name {
			o = u
		}
		if o.Account == u.Account && o.Role == store.RoleManager && !o.Disabled {
			return nil
		}
	}
	return userErr("the account must keep at least one enabled manager: make someone else a manager first")
}

// Change sets user name's role and asset groups.
func Change(st store.Store, a Actor, name string, f Form) (store.User, error) {
	if err := mustManage(a); err != nil {
		return store.User{}, err
	}
	var u store.User
	err := st.Update(func(tx store.Tx) error {
		var err error
		if u, err = target(tx, a, name); err != nil {
			return err
		}
		groups, err := groupsOf(tx, a.User.Account, f)
		if err != nil {
			return err
		}
		before := describe(u.Role, u.AssetGroups)
		u.Role, u.AssetGroups = f.Role, groups
		if err := keepsManager(tx, u); err != nil {
			return err
		}
		if err := tx.PutUser(u); err != nil {
			return err
		}
		return tx.AppendAudit(a.Entry(ActUserChanged, name, before+" → "+describe(u.Role, u.AssetGroups)))
	})
	return u, err
}

// SetDisabled disables user name (who can no longer log in; their
// sessions end at once) or enables them again.
func SetDisabled(st store.Store, a Actor, name string, disabled bool) (store.User, error) {
	if err := mustManage(a); err != nil {
		return store.User{}, err
	}
	var u store.User
	err := st.Update(func(tx store.Tx) error {
		var err error
		if u, err = target(tx, a, name); err != nil {
			return err
		}
		u.Disabled = disabled
		if err := keepsManager(tx, u); err != nil {
			return err
		}
		if err := tx.PutUser(u); err != nil {
			return err
		}
		action := ActUserEnabled
		if disabled {
			action = ActUserDisabled
			if err := tx.DeleteUserSessions(name); err != nil {
				return err
			}
		}
		return tx.AppendAudit(a.Entry(action, name, ""))
	})
	return u, err
}

// Reset gives user name the temporary password pw: their sessions end and
// they must choose a new password at their next login.
func Reset(st store.Store, a Actor, name, pw string, params auth.Params) (store.User, error) {
	if err := mustManage(a); err != nil {
		return store.User{}, err
	}
	hash, err := newHash(name, pw, params)
	if err != nil {
		return store.User{}, err
	}
	var u store.User
	err = st.Update(func(tx store.Tx) error {
		var err error
		if u, err = target(tx, a, name); err != nil {
			return err
		}
		u.PasswordHash, u.MustChangePassword = hash, true
		if err := tx.PutUser(u); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(name); err != nil {
			return err
		}
		return tx.AppendAudit(a.Entry(ActUserReset, name, "temporary password set; must change at next login"))
	})
	return u, err
}

// SetOwnPassword stores a's new password (its current one checked by the
// caller) and ends all of a's sessions: the caller starts a fresh one.
func SetOwnPassword(st store.Store, a Actor, pw string, params auth.Params) error {
	hash, err := newHash(a.User.Name, pw, params)
	if err != nil {
		return err
	}
	return st.Update(func(tx store.Tx) error {
		u, err := tx.User(a.User.Name)
		if err != nil {
			return err
		}
		u.PasswordHash, u.MustChangePassword = hash, false
		if err := tx.PutUser(u); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(u.Name); err != nil {
			return err
		}
		return tx.AppendAudit(a.Entry(ActPassword, u.Name, ""))
	})
}

// CreateGroup adds an asset group to a's account.
func CreateGroup(st store.Store, a Actor, name string) error {
	if err := mustManage(a); err != nil {
		return err
	}
	if err := CheckGroupName(name); err != nil {
		return &UserError{Msg: err.Error()}
	}
	return st.Update(func(tx store.Tx) error {
		gs, err := tx.AssetGroups(a.User.Account)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(gs, func(g store.AssetGroup) bool { return g.Name == name }) {
			return userErr("asset group %q already exists", name)
		}
		if err := tx.PutAssetGroup(store.AssetGroup{Account: a.User.Account, Name: name, CreatedBy: a.User.Name, Created: a.Now}); err != nil {
			return err
		}
		return tx.AppendAudit(a.Entry(ActGroupCreated, name, ""))
	})
}

// RenameGroup renames an asset group everywhere it is named: its record,
// its boxes, the users limited to it and a rollout staged on it.
func RenameGroup(st store.Store, a Actor, old, name string) error {
	if err := mustManage(a); err != nil {
		return err
	}
	if err := CheckGroupName(name); err != nil {
		return &UserError{Msg: err.Error()}
	}
	acct := a.User.Account
	return st.Update(func(tx store.Tx) error {
		if ok, err := groupExists(tx, acct, old); err != nil {
			return err
		} else if !ok {
			return notFound("no asset group %q", clip(old))
		}
		if ok, err := groupExists(tx, acct, name); err != nil {
			return err
		} else if ok {
			return userErr("asset group %q already exists", name)
		}
		g := store.AssetGroup{Account: acct, Name: name, CreatedBy: a.User.Name, Created: a.Now}
		if gs, err := tx.AssetGroups(acct); err != nil {
			return err
		} else if i := slices.IndexFunc(gs, func(g store.AssetGroup) bool { return g.Name == old }); i >= 0 {
			g.Created, g.CreatedBy = gs[i].Created, gs[i].CreatedBy
			if err := tx.DeleteAssetGroup(acct, old); err != nil {
				return err
			}
		}
		if err := tx.PutAssetGroup(g); err != nil {
			return err
		}
		boxes, err := tx.Boxes()
		if err != nil {
			return err
		}
		for _, b := range boxes {
			if b.Account == acct && b.AssetGroup == old {
				b.AssetGroup = name
				if err := tx.PutBox(b); err != nil {
					return err
				}
			}
		}
		users, err := tx.Users()
		if err != nil {
			return err
		}
		for _, u := range users {
			if i := slices.Index(u.AssetGroups, old); u.Account == acct && i >= 0 {
				u.AssetGroups[i] = name
				slices.Sort(u.AssetGroups)
				if err := tx.PutUser(u); err != nil {
					return err
				}
			}
		}
		rs, err := tx.Rollouts(acct)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Group == old {
				r.Group = name
				if err := tx.PutRollout(r); err != nil {
					return err
				}
			}
		}
		return tx.AppendAudit(a.Entry(ActGroupRenamed, old, "renamed to "+name))
	})
}

// DeleteGroup removes an empty asset group: one no box is in and no user
// is limited to (removing it from a user's list could leave the list
// empty, which means the whole account).
func DeleteGroup(st store.Store, a Actor, name string) error {
	if err := mustManage(a); err != nil {
		return err
	}
	return st.Update(func(tx store.Tx) error {
		gs, err := Groups(tx, a.User.Account)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(gs, func(g Group) bool { return g.Name == name })
		if i < 0 {
			return notFound("no asset group %q", clip(name))
		}
		if g := gs[i]; g.Boxes > 0 || len(g.Users) > 0 {
			return userErr("asset group %q still has %d boxes and users %s: move the boxes and change the users first",
				name, g.Boxes, strings.Join(g.Users, ", "))
		}
		if err := tx.DeleteAssetGroup(a.User.Account, name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.AppendAudit(a.Entry(ActGroupDeleted, name, ""))
	})
}

// MoveBox puts a box of a's account in asset group group ("" for none).
func MoveBox(st store.Store, a Actor, boxID, group string) (store.Box, error) {
	if err := mustManage(a); err != nil {
		return store.Box{}, err
	}
	var b store.Box
	err := st.Update(func(tx store.Tx) error {
		var err error
		b, err = tx.Box(boxID)
		if errors.Is(err, store.ErrNotFound) || err == nil && (b.State != store.BoxActive || b.Account != a.User.Account) {
			return notFound("no appliance %q", clip(boxID))
		}
		if err != nil {
			return err
		}
		if group != "" {
			if ok, err := groupExists(tx, a.User.Account, group); err != nil {
				return err
			} else if !ok {
				return userErr("no asset group %q", clip(group))
			}
		}
		from := b.AssetGroup
		if from == group {
			return userErr("appliance %s is already in %s", b.Name, groupLabel(group))
		}
		b.AssetGroup = group
		if err := tx.PutBox(b); err != nil {
			return err
		}
		return tx.AppendAudit(a.Entry(ActBoxMoved, b.ID, fmt.Sprintf("%s: %s → %s", b.Name, groupLabel(from), groupLabel(group))))
	})
	return b, err
}

func groupLabel(g string) string {
	if g == "" {
		return "no group"
	}
	return "group " + g
}
