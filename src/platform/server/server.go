// Package server wires the platform server together: the store, the box
// API (with the update repository and its rollouts' notices) and the web
// UI on one HTTPS listener or two (TLS 1.3 only), and the creation of
// user accounts from the command line.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/auth"
	"picket.dev/picket/src/platform/boxapi"
	"picket.dev/picket/src/platform/people"
	"picket.dev/picket/src/platform/proxyproto"
	"picket.dev/picket/src/platform/releases"
	"picket.dev/picket/src/platform/rollout"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/platform/web"
)

// Server is the platform: box API and web UI over one store, and the
// update repository when it has one (UseRepository).
type Server struct {
	Store store.Store
	Box   *boxapi.Server
	Web   *web.Server
	Repo  *releases.Repo
	log   *slog.Logger
}

// New builds the platform over st with clock now.
func New(st store.Store, now func() time.Time, log *slog.Logger) *Server {
	s := &Server{Store: st, Box: boxapi.New(st, now, log), Web: web.New(st, now, log), log: log}
	s.Web.Fresh = s.Box.Fresh
	return s
}

// UseRepository serves the update repository r next to the box API, tells
// boxes of the releases their accounts roll out (package rollout) in their
// poll answers, and shows r's releases in the web UI.
func (s *Server) UseRepository(r *releases.Repo) {
	s.Repo = r
	s.Web.Releases = r.Catalog
	s.Box.Updates = func(b store.Box) []platformapi.UpdateNotice {
		cat, _ := r.Catalog() // on error, the last good catalog (the error is logged once)
		var rs []store.Rollout
		err := s.Store.View(func(tx store.Tx) error {
			var err error
			rs, err = tx.Rollouts(b.Account)
			return err
		})
		if err != nil {
			s.log.Error("platformd: rollouts unreadable; no update notices", "box", b.ID, "err", err)
			return nil
		}
		return rollout.Notices(rs, cat, b)
	}
}

// registerBox adds the box API's routes, and the update repository's, to mux.
func (s *Server) registerBox(mux *http.ServeMux) {
	s.Box.Register(mux)
	if s.Repo != nil {
		s.Repo.Register(mux)
	}
}

// Close writes what the box API holds back (heartbeats); call it before
// closing the store.
func (s *Server) Close() error { return s.Box.Close() }

// Handler serves the box API (under /api/v1/box/), the update repository
// (under /updates/v1/, when there is one) and the web UI.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.registerBox(mux)
	s.Web.Register(mux)
	return HSTS(mux)
}

// HSTSValue is the Strict-Transport-Security header of every answer:
// the platform is HTTPS only, and a browser that has been there once
// goes on HTTPS for a year even when a link or a typed address says
// http (no downgrade by someone on the path). Without includeSubDomains:
// the platform does not speak for other hosts of its domain.
const HSTSValue = "max-age=31536000"

// HSTS sets the Strict-Transport-Security header on every answer of h.
func HSTS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", HSTSValue)
		h.ServeHTTP(w, r)
	})
}

// TLSConfig is the listeners' TLS: version 1.3 only.
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
}

// Config is what platformd's flags set.
type Config struct {
	DataDir string
	// DB is the PostgreSQL connection string of the database; empty: the
	// embedded bbolt file in DataDir.
	DB        string
	Listen    string // box API (and web UI unless WebListen is set)
	WebListen string // web UI on its own listener; "" = on Listen
	CertFile  string
	KeyFile   string
	// MaxPending caps boxes waiting for activation.
	MaxPending int
	// UpdatesDir, when set, is the update repository served (package
	// releases).
	UpdatesDir string
	// ProxyProtocol, when set, are the load balancers' addresses:
	// connections from them must, and from no other address may, start
	// with a PROXY protocol header, whose client address stands for the
	// connection's in limits, logs and the audit log (package
	// proxyproto).
	ProxyProtocol []netip.Prefix
}

// DBFile is the bbolt file in the data directory.
const DBFile = "platform.db"

// OpenStore opens the database in dataDir, creating the directory.
func OpenStore(dataDir string) (*store.Bolt, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	return store.Open(filepath.Join(dataDir, DBFile))
}

// Run serves until ctx ends.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	if cfg.CertFile == "" || cfg.KeyFile == "" {
		return errors.New("a TLS certificate and key are required (-cert, -key): the box API and the web UI are HTTPS only")
	}
	cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return fmt.Errorf("load TLS certificate %s and key %s: %w", cfg.CertFile, cfg.KeyFile, err)
	}
	st, desc, err := OpenDB(ctx, cfg.DataDir, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("platformd: database", "store", desc)
	if b, ok := st.(*store.Bolt); ok {
		actx, cancel := context.WithCancel(ctx)
		wait, err := serveAdmin(actx, cfg.DataDir, b, log)
		if err != nil {
			cancel()
			return err
		}
		defer func() {
			cancel()
			if err := wait(); err != nil {
				log.Error("platformd: admin socket", "err", err)
			}
		}()
	}
	p := New(st, time.Now, log)
	if cfg.MaxPending > 0 {
		p.Box.MaxPending = cfg.MaxPending
	}
	if cfg.UpdatesDir != "" {
		repo := releases.New(cfg.UpdatesDir, time.Now, log)
		if _, err := repo.Catalog(); err != nil {
			// Served all the same: the operator may publish later.
			log.Warn("platformd: update repository has no readable release yet", "dir", cfg.UpdatesDir, "err", err)
		}
		p.UseRepository(repo)
	}
	type srv struct {
		addr string
		h    http.Handler
		what string
	}
	var srvs []srv
	if cfg.WebListen == "" || cfg.WebListen == cfg.Listen {
		srvs = []srv{{cfg.Listen, p.Handler(), "box API and web UI"}}
	} else {
		bm, wm := http.NewServeMux(), http.NewServeMux()
		p.registerBox(bm)
		p.Web.Register(wm)
		srvs = []srv{{cfg.Listen, HSTS(bm), "box API and update repository"}, {cfg.WebListen, HSTS(wm), "web UI"}}
	}
	pctx, stopPurge := context.WithCancel(ctx)
	purged := make(chan struct{})
	go func() {
		defer close(purged)
		purgeGuard(pctx, st, time.Now, PurgeEvery, log)
	}()
	defer func() {
		stopPurge()
		<-purged
	}()
	errc := make(chan error, len(srvs))
	var hs []*http.Server
	for _, s := range srvs {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			for _, h := range hs {
				h.Close()
			}
			return fmt.Errorf("listen on %s for the %s: %w", s.addr, s.what, err)
		}
		if len(cfg.ProxyProtocol) > 0 {
			ln = &proxyproto.Listener{Listener: ln, Trusted: cfg.ProxyProtocol}
			log.Info("platformd: PROXY protocol from the load balancers", "what", s.what, "trusted", fmt.Sprint(cfg.ProxyProtocol))
		}
		h := &http.Server{Handler: s.h, TLSConfig: TLSConfig(cert), ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		hs = append(hs, h)
		log.Info("platformd: serving", "what", s.what, "addr", ln.Addr().String())
		go func() { errc <- h.ServeTLS(ln, "", "") }()
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, h := range hs {
		h.Shutdown(sctx)
	}
	if cerr := p.Close(); cerr != nil {
		log.Error("platformd: write heartbeats at shutdown", "err", cerr)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// PurgeEvery is how often Run has the store forget the expired part of
// its Guard (nonces, refilled buckets, idle lockouts): a database shared
// by replicas keeps them in tables, and every replica purges (a purge
// that finds nothing costs an index probe).
const PurgeEvery = time.Minute

// purgeGuard purges st's Guard every every until ctx ends; a failure is
// logged and tried again at the next tick.
func purgeGuard(ctx context.Context, st store.Store, now func() time.Time, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := st.PurgeGuard(now()); err != nil {
				log.Error("platformd: purge expired nonces and limits", "err", err)
			}
		}
	}
}

// NewUser describes an account to create.
type NewUser struct {
	Name        string
	Role        string // store.RoleManager, store.RoleUnitManager or store.RoleReader
	Account     string
	AssetGroups []string
	Password    string
}

// CreateUser adds an account; an existing name is refused.
func CreateUser(st store.Store, nu NewUser, now time.Time) error {
	if err := people.CheckName(nu.Name); err != nil {
		return err
	}
	if err := people.CheckRole(nu.Role); err != nil {
		return err
	}
	if err := people.CheckPassword(nu.Name, nu.Password); err != nil {
		return err
	}
	if nu.Account == "" || strings.Contains(nu.Account, "\n") {
		return errors.New("account: required, without a newline")
	}
	groups := slices.DeleteFunc(slices.Clone(nu.AssetGroups), func(g string) bool { return strings.TrimSpace(g) == "" })
	if nu.Role == store.RoleManager {
		groups = nil // a manager sees the whole account
	}
	hash, err := auth.HashPassword(nu.Password, auth.Default)
	if err != nil {
		return err
	}
	return st.Update(func(tx store.Tx) error {
		if _, err := tx.User(nu.Name); err == nil {
			return fmt.Errorf("user %q already exists", nu.Name)
		}
		have, err := tx.AssetGroups(nu.Account)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if slices.ContainsFunc(have, func(h store.AssetGroup) bool { return h.Name == g }) {
				continue
			}
			if err := tx.PutAssetGroup(store.AssetGroup{Account: nu.Account, Name: g, CreatedBy: "platformd -create-user", Created: now}); err != nil {
				return err
			}
		}
		return tx.PutUser(store.User{Name: nu.Name, Role: nu.Role, Account: nu.Account, AssetGroups: groups, PasswordHash: hash, Created: now})
	})
}
