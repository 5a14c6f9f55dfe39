package web

// The people's pages: one's own password (everyone), and for managers the
// account's people, its asset groups and the audit log. The rules (who may
// do what, the last manager, temporary passwords) are package people's;
// these handlers read forms and render pages. Every action is appended to
// the audit log with the client's address (clientAddr) and the server's
// clock (s.Now).

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"picket.dev/picket/src/platform/auth"
	"picket.dev/picket/src/platform/fleet"
	"picket.dev/picket/src/platform/people"
	"picket.dev/picket/src/platform/store"
)

// actor is u acting through request r now.
func (s *Server) actor(r *http.Request, u store.User) people.Actor {
	return people.Actor{User: u, Addr: clientAddr(r), Now: s.Now()}
}

// record appends u's action to the audit log in a transaction of its
// own, for what is not a change to the store (logins, logouts): a
// failure is logged, and the person is let in or out all the same.
// Changes carry their entry in their own transaction (auditTx).
func (s *Server) record(r *http.Request, u store.User, action, object, detail string) {
	if err := people.Record(s.Store, s.actor(r, u), action, object, detail); err != nil {
		s.Log.Error("web: audit log", "user", u.Name, "action", action, "err", err)
	}
}

// auditTx appends u's action to the audit log in tx, the action's own
// transaction (package fleet's and rollout's hooks): the action and its
// entry are stored together or not at all.
func (s *Server) auditTx(tx store.Tx, r *http.Request, u store.User, action, object, detail string) error {
	return tx.AppendAudit(s.actor(r, u).Entry(action, object, detail))
}

func groupLabel(g string) string {
	if g == "" {
		return "no asset group"
	}
	return "asset group " + g
}

// peopleFail answers a refusal of package people: 404 for what is not
// there, 400 for the rest (the page again, with the message), or 500.
func (s *Server) peopleFail(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User, err error,
	again func(status int, msg string)) {
	var ue *people.UserError
	switch {
	case errors.As(err, &ue) && ue.NotFound:
		s.fail(w, r, http.StatusNotFound, sess, &u, ue.Msg)
	case errors.As(err, &ue):
		s.Log.Warn("web: refused", "user", u.Name, "path", r.URL.Path, "reason", ue.Msg)
		again(http.StatusBadRequest, ue.Msg)
	default:
		s.internal(w, r, err)
	}
}

func (s *Server) done(w http.ResponseWriter, r *http.Request, to, notice string) {
	headers(w)
	http.Redirect(w, r, to+"?notice="+notice, http.StatusSeeOther)
}

// Own password.

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.render(w, http.StatusOK, "password", page{Title: "Change your password", User: &u, CSRF: sess.CSRF, Data: u.MustChangePassword})
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	again := func(status int, msg string) {
		s.render(w, status, "password", page{Title: "Change your password", User: &u, CSRF: sess.CSRF, Error: msg, Data: u.MustChangePassword})
	}
	current, pw := r.PostFormValue("current"), r.PostFormValue("new")
	if pw != r.PostFormValue("repeat") {
		again(http.StatusBadRequest, "the new password and its repetition differ")
		return
	}
	if pw == current {
		again(http.StatusBadRequest, "the new password must differ from the current one")
		return
	}
	// The current password is checked as at login: bounded, and counted
	// per account first, so a stolen session cannot guess it quickly.
	ok, until, err := s.Accounts.Attempt(s.Store, u.Name, s.Now())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(until.Sub(s.Now()).Seconds()+0.999))))
		again(http.StatusTooManyRequests, "too many wrong passwords for this account: try again after "+fmtTime(until))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.CheckWait)
	ok, err = s.Passwords.Check(ctx, u.PasswordHash, current)
	cancel()
	switch {
	case errors.Is(err, auth.ErrBusy):
		w.Header().Set("Retry-After", "1")
		again(http.StatusTooManyRequests, "the server is busy checking other passwords: try again in a moment")
		return
	case err != nil || !ok:
		again(http.StatusBadRequest, "the current password is wrong")
		return
	}
	if err := s.Store.Succeed(s.Accounts.Kind, u.Name); err != nil {
		s.internal(w, r, err)
		return
	}
	err = people.SetOwnPassword(s.Store, s.actor(r, u), pw, s.HashParams)
	var ue *people.UserError
	switch {
	case errors.As(err, &ue):
		again(http.StatusBadRequest, ue.Msg)
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	// Every session of the person ended, this one too: a fresh one.
	if _, err := s.newSession(w, u.Name); err != nil {
		s.internal(w, r, err)
		return
	}
	s.Log.Info("web: password changed", "user", u.Name)
	s.done(w, r, "/appliances", "password")
}

// People.

// choice is what the groupsChoice template gets: the form's id prefix,
// the account's groups and those the person has (none: all).
type choice struct {
	ID     string
	Groups []people.Group
	Have   []string
	All    bool
}

func newChoice(id string, groups []people.Group, have []string) choice {
	return choice{ID: id, Groups: groups, Have: have, All: len(have) == 0}
}

type personRow struct {
	store.User
	Self bool
}

type peopleData struct {
	People []personRow
	Groups []people.Group
	Roles  []string
	// Form is the new-user form as typed when it was refused.
	Name string
	Form people.Form
}

func (s *Server) people(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.renderPeople(w, r, http.StatusOK, sess, u, peopleData{Form: people.Form{Role: store.RoleReader, AllGroups: true}}, "")
}

func (s *Server) renderPeople(w http.ResponseWriter, r *http.Request, status int, sess *store.Session, u store.User, d peopleData, msg string) {
	err := s.Store.View(func(tx store.Tx) error {
		users, err := tx.Users()
		if err != nil {
			return err
		}
		for _, o := range users {
			if o.Account == u.Account {
				d.People = append(d.People, personRow{User: o, Self: o.Name == u.Name})
			}
		}
		d.Groups, err = people.Groups(tx, u.Account)
		return err
	})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d.Roles = people.Roles
	s.render(w, status, "people", page{Title: "People", User: &u, CSRF: sess.CSRF, Error: msg, Notice: notice(r), Data: d})
}

// formOf reads a role and asset groups form: role, scope (all or some)
// and groups (repeated).
func formOf(r *http.Request) people.Form {
	return people.Form{Role: r.PostFormValue("role"), AllGroups: r.PostFormValue("scope") != "some", Groups: r.PostForm["groups"]}
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	name, f := strings.TrimSpace(r.PostFormValue("name")), formOf(r)
	_, err := people.Create(s.Store, s.actor(r, u), name, f, r.PostFormValue("password"), s.HashParams)
	if err != nil {
		s.peopleFail(w, r, sess, u, err, func(status int, msg string) {
			s.renderPeople(w, r, status, sess, u, peopleData{Name: name, Form: f}, "The account was not created: "+msg)
		})
		return
	}
	s.Log.Info("web: user created", "user", u.Name, "new", name, "role", f.Role)
	s.done(w, r, "/people", "user-created")
}

// personAction runs a change of the user the path names and goes back to
// the people page.
func (s *Server) personAction(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User, notice string,
	act func(a people.Actor, name string) error) {
	name := r.PathValue("name")
	if err := act(s.actor(r, u), name); err != nil {
		s.peopleFail(w, r, sess, u, err, func(status int, msg string) {
			s.renderPeople(w, r, status, sess, u, peopleData{Form: people.Form{Role: store.RoleReader, AllGroups: true}}, name+": "+msg)
		})
		return
	}
	s.Log.Info("web: "+notice, "user", u.Name, "target", name)
	s.done(w, r, "/people", notice)
}

func (s *Server) changeUser(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.personAction(w, r, sess, u, "user-changed", func(a people.Actor, name string) error {
		_, err := people.Change(s.Store, a, name, formOf(r))
		return err
	})
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.personAction(w, r, sess, u, "user-disabled", func(a people.Actor, name string) error {
		_, err := people.SetDisabled(s.Store, a, name, true)
		return err
	})
}

func (s *Server) enableUser(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.personAction(w, r, sess, u, "user-enabled", func(a people.Actor, name string) error {
		_, err := people.SetDisabled(s.Store, a, name, false)
		return err
	})
}

func (s *Server) resetUser(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.personAction(w, r, sess, u, "user-reset", func(a people.Actor, name string) error {
		_, err := people.Reset(s.Store, a, name, r.PostFormValue("password"), s.HashParams)
		return err
	})
}

// Asset groups.

type groupsData struct {
	Groups []people.Group
	Boxes  []store.Box
}

func (s *Server) groups(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.renderGroups(w, r, http.StatusOK, sess, u, "")
}

func (s *Server) renderGroups(w http.ResponseWriter, r *http.Request, status int, sess *store.Session, u store.User, msg string) {
	var d groupsData
	err := s.Store.View(func(tx store.Tx) error {
		boxes, err := tx.Boxes()
		if err != nil {
			return err
		}
		for _, b := range boxes {
			if fleet.Visible(u, b) {
				d.Boxes = append(d.Boxes, b)
			}
		}
		d.Groups, err = people.Groups(tx, u.Account)
		return err
	})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	slices.SortFunc(d.Boxes, func(a, b store.Box) int { return strings.Compare(a.Name, b.Name) })
	s.render(w, status, "groups", page{Title: "Asset groups", User: &u, CSRF: sess.CSRF, Error: msg, Notice: notice(r), Data: d})
}

// groupAction runs a change of the asset groups and goes back to their
// page.
func (s *Server) groupAction(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User, notice string, act func(a people.Actor) error) {
	if err := act(s.actor(r, u)); err != nil {
		s.peopleFail(w, r, sess, u, err, func(status int, msg string) { s.renderGroups(w, r, status, sess, u, msg) })
		return
	}
	s.Log.Info("web: "+notice, "user", u.Name)
	s.done(w, r, "/groups", notice)
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.groupAction(w, r, sess, u, "group-created", func(a people.Actor) error {
		return people.CreateGroup(s.Store, a, r.PostFormValue("name"))
	})
}

func (s *Server) renameGroup(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.groupAction(w, r, sess, u, "group-renamed", func(a people.Actor) error {
		return people.RenameGroup(s.Store, a, r.PostFormValue("group"), strings.TrimSpace(r.PostFormValue("name")))
	})
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.groupAction(w, r, sess, u, "group-deleted", func(a people.Actor) error {
		return people.DeleteGroup(s.Store, a, r.PostFormValue("group"))
	})
}

func (s *Server) moveBox(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.groupAction(w, r, sess, u, "box-moved", func(a people.Actor) error {
		_, err := people.MoveBox(s.Store, a, r.PostFormValue("box"), r.PostFormValue("group"))
		return err
	})
}

// The audit log.

const (
	// auditPageSize is the most entries a page of the log shows.
	auditPageSize = 50
	// auditScan bounds the entries one page reads looking for those that
	// pass its filter; past it the page ends early and links on.
	auditScan = 5000
	auditRead = 250
)

type auditData struct {
	Entries      []store.AuditEntry
	User, Action string
	Actions      []string
	// Older links to the next page ("" on the last).
	Older string
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	q := r.URL.Query()
	d := auditData{User: strings.TrimSpace(q.Get("user")), Action: q.Get("action"), Actions: people.Actions}
	before, _ := strconv.ParseUint(q.Get("before"), 10, 64)
	scanned, last, more := 0, before, true
	for more && len(d.Entries) < auditPageSize && scanned < auditScan {
		var es []store.AuditEntry
		err := s.Store.View(func(tx store.Tx) error {
			var err error
			es, err = tx.AuditLog(u.Account, last, auditRead)
			return err
		})
		if err != nil {
			s.internal(w, r, err)
			return
		}
		more = len(es) == auditRead
		for i, e := range es {
			scanned++
			last = e.Seq
			if (d.User == "" || e.User == d.User) && (d.Action == "" || e.Action == d.Action) {
				d.Entries = append(d.Entries, e)
				if len(d.Entries) == auditPageSize {
					more = more || i < len(es)-1
					break
				}
			}
		}
	}
	if more {
		v := url.Values{"before": {strconv.FormatUint(last, 10)}}
		if d.User != "" {
			v.Set("user", d.User)
		}
		if d.Action != "" {
			v.Set("action", d.Action)
		}
		d.Older = "/audit?" + v.Encode()
	}
	s.render(w, http.StatusOK, "audit", page{Title: "Audit log", User: &u, CSRF: sess.CSRF, Data: d})
}
