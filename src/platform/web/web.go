// Package web is the platform's web UI for managers, unit managers and
// readers (package people has the roles): log in and out, change one's
// password, the appliances list, activating a box by its code,
// editing a box's settings, launching scan jobs and canceling or deleting
// them (with check classes switched off), a job's page (progress, hosts,
// ports, services and their facts, findings with severity counts, filters
// and new/fixed tracking) with its JSON and CSV exports, and a job's
// printable findings report with an SVG severity chart, and (managers)
// the update repository's releases with their rollouts (releases.go), the
// boxes' versions said latest or not, and (managers) the people of the
// account, its asset groups and the audit log of what each person did
// (people.go). Pages are rendered on the server (html/template), with no
// JavaScript.
//
// Authorization is server-side, per route (Register): every handler that
// changes something names the roles that may call it, and a reader (or a
// unit manager on a manager's route) is answered 403 whatever the page
// showed; what a person sees is limited to their asset groups on every
// page and export (fleet.Visible), another group's box or job being 404.
//
// Security: server-side sessions (random 256-bit cookie values, stored by
// hash, with expiry) in Secure, HttpOnly, SameSite=Strict cookies, created
// only by a successful login; a per-session CSRF token on every POST form
// and, on the login form, a signed double-submit token (a random login
// cookie and the form's MAC of it under a key of the process), so that a
// visitor who has not logged in costs no database write; login rate
// limiting per account and per client address, each attempt counted
// before its password is checked; password checks bounded for the whole
// server (auth.Checker), answered 429 with Retry-After when busy; wrong
// activation codes limited likewise per user and per address; notices
// shown only from a fixed set (the query names one, it never carries
// text); the Releases page and its rollout form for managers only; CSP
// default-src 'self', X-Frame-Options DENY and no-store on every page.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"picket.dev/picket/src/platform/auth"
	"picket.dev/picket/src/platform/fleet"
	"picket.dev/picket/src/platform/people"
	"picket.dev/picket/src/platform/releases"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

// CookieName is the session cookie. The __Host- prefix makes browsers
// insist on Secure, Path=/ and no Domain.
const CookieName = "__Host-picket-session"

// LoginCookieName is the login form's CSRF cookie (see loginToken).
const LoginCookieName = "__Host-picket-login"

// DefaultSessionTTL is how long a login lasts.
const DefaultSessionTTL = 12 * time.Hour

// loginFormTTL is how long a login form may be posted after it was
// served.
const loginFormTTL = time.Hour

// DefaultCheckWait is how long a login waits for a free password check
// slot before it is answered 429.
const DefaultCheckWait = 5 * time.Second

// Server serves the web UI.
type Server struct {
	Store      store.Store
	Now        func() time.Time
	Log        *slog.Logger
	SessionTTL time.Duration
	// Accounts and Addrs limit failed logins per account name and per
	// client address.
	Accounts Limit
	Addrs    Limit
	// CodeUsers and CodeAddrs limit wrong activation codes per user and
	// per client address (guessing a waiting box's code).
	CodeUsers Limit
	CodeAddrs Limit
	// Passwords bounds the password checks running at once (and their
	// memory); a login waits for one at most CheckWait.
	Passwords *auth.Checker
	CheckWait time.Duration
	// Fresh, when set, brings a box read from the store up to date with
	// what is not written yet (the box API's write-behind heartbeats).
	Fresh func(*store.Box)
	// Releases, when set, is the update repository's current catalog
	// (releases.Repo.Catalog); without it there is no repository and the
	// Releases page says so.
	Releases func() (releases.Catalog, error)
	// HashParams are the argon2id parameters of the passwords set on the
	// web UI (auth.Default; tests make them cheap).
	HashParams auth.Params

	tmpl map[string]*template.Template
	// loginKey signs login form tokens: the store's Guard secret, the
	// same for every replica on the database (a form served by one is
	// posted to another), read once.
	keyMu    sync.Mutex
	loginKey []byte
}

// Limit is one of the web UI's lockouts, kept in the store's Guard so
// that every replica counts the same attempts: MaxFailures attempts in a
// row without a success lock a key for Lock (store.Lockout).
type Limit struct {
	Kind        string
	MaxFailures int
	Lock        time.Duration
}

// Attempt counts an attempt of key (store.Guard.Attempt).
func (l Limit) Attempt(st store.Store, key string, now time.Time) (bool, time.Time, error) {
	ok, until, err := st.Attempt(l.Kind, key, now, l.MaxFailures, l.Lock)
	if err != nil {
		return false, until, fmt.Errorf("%s limit: %w", l.Kind, err)
	}
	return ok, until, nil
}

// Login limits: 5 attempts without success lock an account name, or a
// client address, for a minute.
const (
	MaxLoginFailures = 5
	LoginLock        = time.Minute
)

// Activation code limits: MaxCodeFailures wrong codes in a row lock the
// user, or the address, for CodeLock.
const (
	MaxCodeFailures = 10
	CodeLock        = time.Minute
)

// New returns a Server with the default session lifetime and login limits
// (5 attempts without success → 1 minute lock; auth.DefaultChecks password
// checks at once).
func New(st store.Store, now func() time.Time, log *slog.Logger) *Server {
	s := &Server{Store: st, Now: now, Log: log, SessionTTL: DefaultSessionTTL,
		Accounts:  Limit{"login-account", MaxLoginFailures, LoginLock},
		Addrs:     Limit{"login-addr", MaxLoginFailures, LoginLock},
		CodeUsers: Limit{"code-user", MaxCodeFailures, CodeLock},
		CodeAddrs: Limit{"code-addr", MaxCodeFailures, CodeLock},
		Passwords: auth.NewChecker(auth.DefaultChecks, auth.DefaultCheckQueue), CheckWait: DefaultCheckWait,
		tmpl: map[string]*template.Template{}, HashParams: auth.Default}
	funcs := template.FuncMap{"fmtTime": fmtTime, "ended": fleet.Ended, "rows": func(n int) int { return max(1, n) },
		"join": strings.Join, "has": slices.Contains[[]string], "hasSev": slices.Contains[[]result.Severity],
		"chartWidth": func() int { return chartLabel + chartWidth + 60 }, "chartLabel": func() int { return chartLabel },
		"add": func(a, b int) int { return a + b }, "mayChange": people.MayChange, "mayManage": people.MayManage, "choice": newChoice}
	for name, page := range map[string]string{"login": loginPage, "appliances": appliancesPage, "activate": activatePage, "releases": releasesPage,
		"box": boxPage, "job": jobPage, "report": reportPage, "error": errorPage,
		"people": peoplePage, "groups": groupsPage, "audit": auditPage, "password": passwordPage} {
		s.tmpl[name] = template.Must(template.Must(template.New(name).Funcs(funcs).Parse(layout + findingsPart + groupsChoice)).Parse(page))
	}
	return s
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// Register adds the UI's routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /static/style.css", func(w http.ResponseWriter, r *http.Request) {
		headers(w)
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "max-age=3600")
		fmt.Fprint(w, styleCSS)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/appliances", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.as(anyone, s.logout))
	mux.HandleFunc("GET /password", s.as(anyone, s.passwordForm))
	mux.HandleFunc("POST /password", s.as(anyone, s.changePassword))
	mux.HandleFunc("GET /appliances", s.as(anyone, s.appliances))
	mux.HandleFunc("GET /activate", s.as(operators, s.activateForm))
	mux.HandleFunc("POST /activate", s.as(operators, s.activate))
	mux.HandleFunc("GET /appliances/{id}", s.as(anyone, s.box))
	mux.HandleFunc("POST /appliances/{id}/settings", s.as(operators, s.saveSettings))
	mux.HandleFunc("POST /appliances/{id}/jobs", s.as(operators, s.launchJob))
	mux.HandleFunc("GET /appliances/{id}/jobs/{job}", s.as(anyone, s.job))
	mux.HandleFunc("GET /appliances/{id}/jobs/{job}/report", s.as(anyone, s.report))
	mux.HandleFunc("POST /appliances/{id}/jobs/{job}/cancel", s.as(operators, s.cancelJob))
	mux.HandleFunc("POST /appliances/{id}/jobs/{job}/delete", s.as(operators, s.deleteJob))
	mux.HandleFunc("GET /releases", s.as(managers, s.releases))
	mux.HandleFunc("POST /releases", s.as(managers, s.saveRollout))
	mux.HandleFunc("GET /people", s.as(managers, s.people))
	mux.HandleFunc("POST /people", s.as(managers, s.createUser))
	mux.HandleFunc("POST /people/{name}/change", s.as(managers, s.changeUser))
	mux.HandleFunc("POST /people/{name}/disable", s.as(managers, s.disableUser))
	mux.HandleFunc("POST /people/{name}/enable", s.as(managers, s.enableUser))
	mux.HandleFunc("POST /people/{name}/reset", s.as(managers, s.resetUser))
	mux.HandleFunc("GET /groups", s.as(managers, s.groups))
	mux.HandleFunc("POST /groups", s.as(managers, s.createGroup))
	mux.HandleFunc("POST /groups/rename", s.as(managers, s.renameGroup))
	mux.HandleFunc("POST /groups/delete", s.as(managers, s.deleteGroup))
	mux.HandleFunc("POST /groups/move", s.as(managers, s.moveBox))
	mux.HandleFunc("GET /audit", s.as(managers, s.audit))
}

// notices are the only messages a page shows from its query (?notice=
// names one): a link someone else made cannot put text on the page.
var notices = map[string]string{
	"activated": "Box activated. It gets its name and settings at its next poll.",
	"saved":     "Settings saved. The box applies them at its next poll.",
	"launched":  "Scan job launched. The box picks it up at its next poll.",
	"canceled":  "Scan job canceled. The box is told when it next reports on it.",
	"deleted":   "Scan job deleted.",

	"rollout-start":    "Rollout saved. Boxes in its stage are told at their next poll.",
	"rollout-pause":    "Rollout paused. No box is told of it until it is resumed.",
	"rollout-resume":   "Rollout resumed.",
	"rollout-everyone": "Rollout extended to every box of the account.",

	"password":      "Password changed.",
	"user-created":  "Account created. Give the person their temporary password: they choose their own at their first login.",
	"user-changed":  "Role and asset groups saved; they apply to the person's next page.",
	"user-disabled": "Account disabled: the person was logged out and cannot log in.",
	"user-enabled":  "Account enabled.",
	"user-reset":    "Temporary password set: the person was logged out and chooses a new password at their next login.",
	"group-created": "Asset group created.",
	"group-renamed": "Asset group renamed on its boxes, people and rollouts.",
	"group-deleted": "Asset group deleted.",
	"box-moved":     "Appliance moved.",
}

func notice(r *http.Request) string { return notices[r.URL.Query().Get("notice")] }

// Handler returns the UI alone.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Register(mux)
	return mux
}

func headers(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// page is what every template gets.
type page struct {
	Title  string
	User   *store.User
	CSRF   string
	Error  string
	Notice string
	// Refresh, when set, makes the page reload itself every Refresh
	// seconds (a meta refresh: the CSP allows no inline script).
	Refresh int
	Data    any
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p page) {
	headers(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	if err := s.tmpl[name].Execute(&b, p); err != nil {
		s.Log.Error("web: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, sess *store.Session, u *store.User, msg string) {
	s.Log.Warn("web: refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "status", status, "reason", msg)
	p := page{Title: http.StatusText(status), User: u, Error: msg}
	if sess != nil {
		p.CSRF = sess.CSRF
	}
	s.render(w, status, "error", p)
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrUnavailable) {
		s.Log.Error("web: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		headers(w)
		w.Header().Set("Retry-After", "5")
		http.Error(w, "the platform's database is unavailable; try again in a moment", http.StatusServiceUnavailable)
		return
	}
	s.Log.Error("web: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	headers(w)
	http.Error(w, "internal error; try again later", http.StatusInternalServerError)
}

// session returns the request's valid session, or nil.
func (s *Server) session(r *http.Request) *store.Session {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil
	}
	var sess store.Session
	err = s.Store.View(func(tx store.Tx) error {
		var err error
		sess, err = tx.Session(auth.TokenID(c.Value))
		return err
	})
	if err != nil || !s.Now().Before(sess.Expires) {
		return nil
	}
	return &sess
}

// newSession stores a session for user, who has just logged in, and sets
// its cookie. Expired sessions are removed on the way (by their expiry
// index: the cost is the number removed, not the number stored).
func (s *Server) newSession(w http.ResponseWriter, user string) (*store.Session, error) {
	token, err := auth.Token()
	if err != nil {
		return nil, err
	}
	csrf, err := auth.Token()
	if err != nil {
		return nil, err
	}
	now := s.Now()
	sess := store.Session{ID: auth.TokenID(token), User: user, CSRF: csrf, Created: now, Expires: now.Add(s.SessionTTL)}
	err = s.Store.Update(func(tx store.Tx) error {
		if err := tx.DeleteExpiredSessions(now); err != nil {
			return err
		}
		return tx.PutSession(sess)
	})
	if err != nil {
		return nil, fmt.Errorf("store session: %w", err)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", Expires: sess.Expires,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return &sess, nil
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// The login form's CSRF protection stores nothing: the login cookie holds
// an expiry and 128 random bits, and the form's token is the HMAC-SHA256
// of the cookie under loginKey. A POST /login must carry both, matching
// and unexpired. Another site can neither read the cookie nor compute the
// token, and the __Host- prefix keeps a neighbouring host from planting a
// cookie of its own.

// loginCookie returns the request's login cookie value when it is one of
// ours and unexpired, else "".
func (s *Server) loginCookie(r *http.Request) string {
	c, err := r.Cookie(LoginCookieName)
	if err != nil {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(raw) != 8+16 {
		return ""
	}
	if exp := time.Unix(int64(binary.BigEndian.Uint64(raw)), 0); !s.Now().Before(exp) {
		return ""
	}
	return c.Value
}

// loginSecret is the name of the login forms' key in the store's Guard.
const loginSecret = "web-login-csrf"

// loginToken is the form token that goes with login cookie value v.
func (s *Server) loginToken(v string) (string, error) {
	s.keyMu.Lock()
	if s.loginKey == nil {
		key, err := s.Store.Secret(loginSecret)
		if err != nil {
			s.keyMu.Unlock()
			return "", fmt.Errorf("login form key: %w", err)
		}
		s.loginKey = key
	}
	key := s.loginKey
	s.keyMu.Unlock()
	m := hmac.New(sha256.New, key)
	m.Write([]byte("picket-login-csrf\n" + v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// newLoginCookie sets a fresh login cookie and returns its form token.
func (s *Server) newLoginCookie(w http.ResponseWriter) (string, error) {
	raw := make([]byte, 8+16)
	exp := s.Now().Add(loginFormTTL).Truncate(time.Second)
	binary.BigEndian.PutUint64(raw, uint64(exp.Unix()))
	rand.Read(raw[8:]) // never fails (crypto/rand)
	v := base64.RawURLEncoding.EncodeToString(raw)
	token, err := s.loginToken(v)
	if err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{Name: LoginCookieName, Value: v, Path: "/", Expires: exp,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return token, nil
}

// maxForm bounds a form body (4094 VLAN lines fit easily).
const maxForm = 1 << 20

// checkCSRF parses the form and compares its token with the session's.
func (s *Server) checkCSRF(w http.ResponseWriter, r *http.Request, sess *store.Session) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return false
	}
	return sess != nil && auth.Equal(r.PostFormValue("csrf"), sess.CSRF)
}

const csrfMsg = "the form's security token is missing or wrong (the page may be stale): reload the page and try again"

type userHandler func(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User)

// access is who may call a route.
type access int

const (
	anyone    access = iota // any logged-in person
	operators               // those who may change boxes and jobs (people.MayChange)
	managers                // managers (people.MayManage)
)

func (a access) allows(u store.User) bool {
	switch a {
	case operators:
		return people.MayChange(u)
	case managers:
		return people.MayManage(u)
	}
	return true
}

// as wraps a handler that needs a logged-in user whose role a allows:
// GETs without a session go to the login page, POSTs are refused; POSTs
// must carry the CSRF token; a role a does not allow is answered 403,
// whatever the page showed. The user is read from the store on every
// request, so a disabled account's session (if one were left) ends at
// once, and a role change applies to the next page. A person who must
// change their password (people.Form's temporary ones) gets only the
// password page and logout.
func (s *Server) as(a access, h userHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := s.session(r)
		var u store.User
		err := errors.New("no session")
		if sess != nil && sess.User != "" {
			err = s.Store.View(func(tx store.Tx) error {
				var err error
				u, err = tx.User(sess.User)
				return err
			})
			if err == nil && u.Disabled {
				err = errors.New("account disabled")
				if derr := s.Store.Update(func(tx store.Tx) error { return tx.DeleteSession(sess.ID) }); derr != nil {
					s.Log.Error("web: delete a disabled user's session", "user", u.Name, "err", derr)
				}
			}
		}
		if r.Method == http.MethodPost {
			if !s.checkCSRF(w, r, sess) {
				s.fail(w, r, http.StatusForbidden, nil, nil, csrfMsg)
				return
			}
			if err != nil {
				s.fail(w, r, http.StatusForbidden, nil, nil, "you are not logged in (or your session expired): log in again")
				return
			}
		} else if err != nil {
			headers(w)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if u.MustChangePassword && r.URL.Path != "/password" && r.URL.Path != "/logout" {
			if r.Method == http.MethodPost {
				s.fail(w, r, http.StatusForbidden, sess, &u, "choose your own password first")
				return
			}
			headers(w)
			http.Redirect(w, r, "/password", http.StatusSeeOther)
			return
		}
		if !a.allows(u) {
			s.fail(w, r, http.StatusForbidden, sess, &u, fmt.Sprintf("your role (%s) may not do this", u.Role))
			return
		}
		h(w, r, sess, u)
	}
}

func (s *Server) fresh(b *store.Box) {
	if s.Fresh != nil {
		s.Fresh(b)
	}
}

// clientAddr is the address a request came from, for rate limits and the
// audit log: the one place that derives it. Behind a TCP load balancer
// RemoteAddr is already the client's: the listener took it from the
// balancer's PROXY protocol header (package proxyproto).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loginForm serves the login page. A visitor without a session costs no
// database access: the form's CSRF protection is the login cookie.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(CookieName); err == nil {
		if sess := s.session(r); sess != nil && sess.User != "" {
			headers(w)
			http.Redirect(w, r, "/appliances", http.StatusSeeOther)
			return
		}
	}
	var token string
	var err error
	if v := s.loginCookie(r); v != "" {
		token, err = s.loginToken(v) // another tab's form stays valid
	} else {
		token, err = s.newLoginCookie(w)
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "login", page{Title: "Log in", CSRF: token, Data: ""})
}

// dummyHash is checked for unknown user names so that a login takes as
// long whether or not the account exists.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword("no such user", auth.Default)
	return h
})

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	cookie := s.loginCookie(r)
	token := ""
	if cookie != "" {
		var err error
		if token, err = s.loginToken(cookie); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	if r.ParseForm() != nil || cookie == "" || !auth.Equal(r.PostFormValue("csrf"), token) {
		s.fail(w, r, http.StatusForbidden, nil, nil, csrfMsg)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	addr := clientAddr(r)
	again := func(status int, msg string) {
		s.render(w, status, "login", page{Title: "Log in", CSRF: token, Error: msg, Data: name})
	}
	// The attempt counts before the password is checked: attempts sent in
	// parallel cannot all pass the limit before the first one fails.
	for _, k := range []struct {
		l         Limit
		key, what string
	}{{s.Addrs, addr, "from your address"}, {s.Accounts, name, "for this account"}} {
		ok, until, err := k.l.Attempt(s.Store, k.key, s.Now())
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if !ok {
			s.Log.Warn("web: login refused: rate limited", "user", name, "remote", addr, "until", until)
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(until.Sub(s.Now()).Seconds()+0.999))))
			again(http.StatusTooManyRequests, fmt.Sprintf("too many failed logins %s: try again after %s", k.what, fmtTime(until)))
			return
		}
	}
	var u store.User
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		u, err = tx.User(name)
		return err
	})
	hash := u.PasswordHash
	if err != nil {
		hash = dummyHash()
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.CheckWait)
	ok, herr := s.Passwords.Check(ctx, hash, password)
	cancel()
	if errors.Is(herr, auth.ErrBusy) {
		s.Log.Warn("web: login refused: password checks busy", "user", name, "remote", addr)
		w.Header().Set("Retry-After", "1")
		again(http.StatusTooManyRequests, "the server is busy checking other logins: try again in a moment")
		return
	}
	if herr != nil {
		s.Log.Error("web: password hash unreadable", "user", name, "err", herr)
	}
	if err != nil || !ok {
		s.Log.Warn("web: login failed", "user", name, "remote", addr, "known_user", err == nil)
		if err == nil {
			// A known user's failure goes to their account's log; an
			// unknown name belongs to no account (the server log has it).
			s.record(r, u, people.ActLoginFailed, u.Name, "wrong password")
		}
		again(http.StatusUnauthorized, "wrong user name or password")
		return
	}
	if u.Disabled {
		// Said only to whoever knows the password.
		s.Log.Warn("web: login refused: account disabled", "user", name, "remote", addr)
		s.record(r, u, people.ActLoginFailed, u.Name, "account disabled")
		again(http.StatusForbidden, "this account is disabled: ask a manager of your account")
		return
	}
	for _, k := range []struct {
		l   Limit
		key string
	}{{s.Addrs, addr}, {s.Accounts, name}} {
		if err := s.Store.Succeed(k.l.Kind, k.key); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	// A session someone was logged in with on this browser ends: one
	// browser, one session. The new session id is fresh.
	if old := s.session(r); old != nil {
		if err := s.Store.Update(func(tx store.Tx) error { return tx.DeleteSession(old.ID) }); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	if _, err := s.newSession(w, u.Name); err != nil {
		s.internal(w, r, err)
		return
	}
	clearCookie(w, LoginCookieName)
	s.Log.Info("web: login", "user", u.Name, "remote", addr)
	s.record(r, u, people.ActLogin, u.Name, "")
	headers(w)
	to := "/appliances"
	if u.MustChangePassword {
		to = "/password"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	if err := s.Store.Update(func(tx store.Tx) error { return tx.DeleteSession(sess.ID) }); err != nil {
		s.internal(w, r, err)
		return
	}
	clearCookie(w, CookieName)
	s.Log.Info("web: logout", "user", u.Name)
	s.record(r, u, people.ActLogout, u.Name, "")
	headers(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// row is one line of the appliances list.
type row struct {
	store.Box
	Latest      boxVersions
	Interval    string
	LastPoll    string
	Status      string
	StatusClass string
	Capacity    string
}

func (s *Server) appliances(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	var boxes []store.Box
	if err := s.Store.View(func(tx store.Tx) error {
		var err error
		boxes, err = tx.Boxes()
		return err
	}); err != nil {
		s.internal(w, r, err)
		return
	}
	now := s.Now()
	cat, _ := s.catalog() // the last good catalog if the repository is unreadable (the Releases page says why)
	var rows []row
	for _, b := range boxes {
		if !fleet.Visible(u, b) {
			continue
		}
		s.fresh(&b)
		st := fleet.Status(b, now)
		class := st
		switch {
		case strings.HasPrefix(st, "heartbeat missed"):
			class = "missed"
		case st == fleet.StatusFailing:
			class = "failing"
		}
		c := b.Capacity
		capacity := fmt.Sprintf("%d/%d scans, %d CPUs, %d MB", c.RunningScans, c.MaxScans, c.CPUs, c.MemoryMB)
		if !c.ScannerOnline {
			capacity += ", scanner offline"
		}
		rows = append(rows, row{Box: b, Latest: versionsOf(cat, b), Interval: (time.Duration(b.PollIntervalSeconds) * time.Second).String(),
			LastPoll: fmtTime(b.LastPoll), Status: st, StatusClass: strings.ReplaceAll(class, " ", "-"), Capacity: capacity})
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.Name, b.Name) })
	s.render(w, http.StatusOK, "appliances", page{Title: "Appliances", User: &u, CSRF: sess.CSRF, Notice: notice(r), Data: rows})
}

type activateData struct {
	Code, Group   string
	Groups        []string
	GroupRequired bool
}

func (s *Server) activateForm(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.render(w, http.StatusOK, "activate", page{Title: "Activate a box", User: &u, CSRF: sess.CSRF,
		Data: activateData{Groups: u.AssetGroups, GroupRequired: u.Role == store.RoleUnitManager}})
}

func (s *Server) activate(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	d := activateData{Code: r.PostFormValue("code"), Group: r.PostFormValue("group"), Groups: u.AssetGroups, GroupRequired: u.Role == store.RoleUnitManager}
	addr := clientAddr(r)
	// Every try counts before the code is looked at (Attempt), in the
	// store's Guard, one atomic step per key on whichever replica: the
	// MaxCodeFailures-th in a row locks, so parallel guesses (to any
	// replicas) cannot all pass the check before the first failure
	// counts; a good code forgets them. Two people activating the same
	// code at once: fleet.Activate's transaction lets one win, and the
	// other hears that the box is already activated.
	for _, k := range []struct {
		l         Limit
		key, what string
	}{{s.CodeAddrs, addr, "from your address"}, {s.CodeUsers, u.Name, "for your account"}} {
		ok, until, err := k.l.Attempt(s.Store, k.key, s.Now())
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if !ok {
			s.Log.Warn("web: activation refused: rate limited", "user", u.Name, "remote", addr, "until", until)
			s.render(w, http.StatusTooManyRequests, "activate", page{Title: "Activate a box", User: &u, CSRF: sess.CSRF,
				Error: fmt.Sprintf("too many wrong activation codes %s: try again after %s", k.what, fmtTime(until)), Data: d})
			return
		}
	}
	b, err := fleet.Activate(s.Store, d.Code, u, d.Group, s.Now(), func(tx store.Tx, b store.Box) error {
		return s.auditTx(tx, r, u, people.ActBoxActivated, b.ID, fmt.Sprintf("named %s, %s", b.Name, groupLabel(b.AssetGroup)))
	})
	var ue *fleet.UserError
	switch {
	case errors.As(err, &ue) && !ue.Guess:
		// A form error found before the code was looked at (the asset
		// group) says nothing about the code, and the right code of a
		// box already activated is no wrong guess: neither counts.
		if rerr := errors.Join(s.Store.Refund(s.CodeAddrs.Kind, addr, s.CodeAddrs.MaxFailures),
			s.Store.Refund(s.CodeUsers.Kind, u.Name, s.CodeUsers.MaxFailures)); rerr != nil {
			s.Log.Error("web: activation: refund an attempt", "user", u.Name, "err", rerr)
		}
	case err == nil:
		if serr := s.Store.Succeed(s.CodeUsers.Kind, u.Name); serr != nil {
			s.Log.Error("web: activation: forget the user's wrong codes", "user", u.Name, "err", serr)
		}
	}
	if ue != nil {
		s.Log.Warn("web: activation refused", "user", u.Name, "remote", r.RemoteAddr, "reason", ue.Msg)
		s.render(w, http.StatusBadRequest, "activate", page{Title: "Activate a box", User: &u, CSRF: sess.CSRF, Error: ue.Msg, Data: d})
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.Log.Info("web: box activated", "user", u.Name, "box", b.ID, "name", b.Name, "asset_group", b.AssetGroup)
	headers(w)
	http.Redirect(w, r, "/appliances/"+b.ID+"?notice=activated", http.StatusSeeOther)
}

type boxData struct {
	Box                 store.Box
	Latest              boxVersions
	Status              string
	FirstSeen, LastPoll string
	Edit                fleet.Edit
	Errors              fleet.FieldErrors
	IPv6Methods         []string
	Jobs                []store.Job
	JobTargets          string
	JobPorts            string
	// JobVLAN is the job form's interface: "0" the LAN, else a scanning
	// VLAN's id (the box's settings list the choices).
	JobVLAN string
	// CheckClasses are the job form's check classes; JobChecksOff those
	// ticked off.
	CheckClasses []result.CheckClass
	JobChecksOff []string
}

func (s *Server) loadBox(r *http.Request, u store.User) (store.Box, []store.Job, error) {
	var b store.Box
	var jobs []store.Job
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		if b, err = tx.Box(r.PathValue("id")); err != nil {
			return err
		}
		if !fleet.Visible(u, b) {
			return store.ErrNotFound
		}
		jobs, err = tx.JobsOf(b.ID)
		return err
	})
	s.fresh(&b)
	slices.Reverse(jobs) // newest first
	return b, jobs, err
}

func (s *Server) renderBox(w http.ResponseWriter, r *http.Request, status int, sess *store.Session, u store.User, d boxData, msg string) {
	b, jobs, err := s.loadBox(r, u)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, sess, &u, fmt.Sprintf("no appliance %q", r.PathValue("id")))
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d.Box, d.Jobs = b, jobs
	cat, _ := s.catalog()
	d.Latest = versionsOf(cat, b)
	d.Status, d.FirstSeen, d.LastPoll = fleet.Status(b, s.Now()), fmtTime(b.FirstSeen), fmtTime(b.LastPoll)
	if d.Edit == (fleet.Edit{}) {
		d.Edit = fleet.EditOf(b)
	}
	if d.JobPorts == "" {
		d.JobPorts = "1-1024"
	}
	d.IPv6Methods = []string{"off", "auto", "static"}
	d.CheckClasses = result.CheckClasses[:]
	s.render(w, status, "box", page{Title: "Appliance " + b.Name, User: &u, CSRF: sess.CSRF, Error: msg, Notice: notice(r), Data: d})
}

func (s *Server) box(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.renderBox(w, r, http.StatusOK, sess, u, boxData{}, "")
}

func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	e := fleet.Edit{Name: r.PostFormValue("name"), PollInterval: r.PostFormValue("poll_interval"),
		VLANs: r.PostFormValue("vlans"), Routes: r.PostFormValue("routes"), IPv6Method: r.PostFormValue("ipv6_method"),
		IPv6Address: r.PostFormValue("ipv6_address"), IPv6Gateway: r.PostFormValue("ipv6_gateway"),
		SigsMaxAge: r.PostFormValue("sigs_max_age")}
	b, err := fleet.SaveSettings(s.Store, r.PathValue("id"), u, e, func(tx store.Tx, b store.Box) error {
		return s.auditTx(tx, r, u, people.ActBoxSettings, b.ID, fmt.Sprintf("%s: settings version %d", b.Name, b.Settings.Version))
	})
	var fe fleet.FieldErrors
	var ue *fleet.UserError
	switch {
	case errors.As(err, &fe):
		s.Log.Warn("web: settings refused", "user", u.Name, "box", r.PathValue("id"), "reason", fe.Error())
		s.renderBox(w, r, http.StatusBadRequest, sess, u, boxData{Edit: e, Errors: fe}, "The settings were not saved: correct the fields marked below.")
	case errors.As(err, &ue):
		s.fail(w, r, http.StatusNotFound, sess, &u, ue.Msg)
	case err != nil:
		s.internal(w, r, err)
	default:
		s.Log.Info("web: settings saved", "user", u.Name, "box", b.ID, "version", b.Settings.Version)
		headers(w)
		http.Redirect(w, r, "/appliances/"+b.ID+"?notice=saved", http.StatusSeeOther)
	}
}

func (s *Server) launchJob(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	targets, ports, vlan := r.PostFormValue("targets"), r.PostFormValue("ports"), r.PostFormValue("vlan")
	j, err := fleet.LaunchJob(s.Store, r.PathValue("id"), u, targets, ports, vlan, r.PostForm["checks_off"], s.Now(), func(tx store.Tx, j store.Job) error {
		return s.auditTx(tx, r, u, people.ActJobLaunched, j.ID, fmt.Sprintf("box %s: targets %s, ports %s", j.BoxID, strings.Join(j.Targets, " "), j.Ports))
	})
	var fe fleet.FieldErrors
	var ue *fleet.UserError
	switch {
	case errors.As(err, &fe):
		s.renderBox(w, r, http.StatusBadRequest, sess, u, boxData{Errors: fe, JobTargets: targets, JobPorts: ports, JobVLAN: vlan, JobChecksOff: r.PostForm["checks_off"]}, "The scan job was not launched: correct the fields marked below.")
	case errors.As(err, &ue):
		s.fail(w, r, http.StatusNotFound, sess, &u, ue.Msg)
	case err != nil:
		s.internal(w, r, err)
	default:
		s.Log.Info("web: job launched", "user", u.Name, "box", j.BoxID, "job", j.ID, "vlan", j.VLAN)
		headers(w)
		http.Redirect(w, r, "/appliances/"+j.BoxID+"?notice=launched", http.StatusSeeOther)
	}
}

// jobAction cancels or deletes a job (act, with the hook that audits
// action in its transaction) and goes back to the box's page.
func (s *Server) jobAction(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User, what, action string,
	act func(boxID, jobID string, audit fleet.Audit[store.Job]) (store.Job, error)) {
	j, err := act(r.PathValue("id"), r.PathValue("job"), func(tx store.Tx, j store.Job) error {
		return s.auditTx(tx, r, u, action, j.ID, "box "+j.BoxID)
	})
	var ue *fleet.UserError
	switch {
	case errors.As(err, &ue):
		s.Log.Warn("web: job "+what+" refused", "user", u.Name, "box", r.PathValue("id"), "job", r.PathValue("job"), "reason", ue.Msg)
		s.renderBox(w, r, http.StatusBadRequest, sess, u, boxData{}, ue.Msg)
	case err != nil:
		s.internal(w, r, err)
	default:
		s.Log.Info("web: job "+what, "user", u.Name, "box", j.BoxID, "job", j.ID)
		headers(w)
		http.Redirect(w, r, "/appliances/"+j.BoxID+"?notice="+what, http.StatusSeeOther)
	}
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.jobAction(w, r, sess, u, "canceled", people.ActJobCanceled, func(boxID, jobID string, audit fleet.Audit[store.Job]) (store.Job, error) {
		return fleet.CancelJob(s.Store, boxID, jobID, u, s.Now(), audit)
	})
}

func (s *Server) deleteJob(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) {
	s.jobAction(w, r, sess, u, "deleted", people.ActJobDeleted, func(boxID, jobID string, audit fleet.Audit[store.Job]) (store.Job, error) {
		return fleet.DeleteJob(s.Store, boxID, jobID, u, audit)
	})
}
