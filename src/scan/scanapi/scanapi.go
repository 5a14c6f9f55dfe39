// Package scanapi is scannerd's local API on scanner.sock: HTTP/JSON over
// a unix socket whose callers are checked by their peer credentials
// (SO_PEERCRED), in the style of netmgrd's netapi. It answers two
// questions: what the scanner is doing (State: the running job and its
// progress, which lcdd and consoled read for LED S1), and Cancel, the
// network manager's ScanCanceler hook, which stops the running scan
// before a network change, keeping its partial results for upload. It
// also reports the signature database in force (version, creation date,
// the platform's age limit: the status screens' SIGNATURES line) and
// installs a signed signature package (POST /v1/signatures, the package's
// bytes; package sigpkg checks it) for root and scannerd's own uid.
package scanapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"picket.dev/picket/src/base/strictjson"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/sigpkg"
)

// DefaultSocket is where scannerd serves the API on a box.
const DefaultSocket = "/run/picket/scanner.sock"

// SocketMode is the socket's mode: the owner and the daemons' group; the
// server checks each caller's uid as well.
const SocketMode fs.FileMode = 0o660

const (
	pathState  = "/v1/state"
	pathCancel = "/v1/cancel"
	// PathSignatures takes a signed signature package (sigpkg) as the
	// body, at most sigpkg.MaxPackage bytes.
	PathSignatures = "/v1/signatures"
	maxBody        = 64 << 10
)

// State is what the scanner does now.
type State struct {
	// Running says a scan job runs (LED S1 lit).
	Running bool   `json:"running"`
	JobID   string `json:"job_id,omitempty"`
	// Progress is the running job's progress.
	Progress *platformapi.JobProgress `json:"progress,omitempty"`
	// MaxJobs is how many jobs the scanner runs at once.
	MaxJobs int `json:"max_jobs"`
	// Signatures is the signature database in force; nil: none.
	Signatures *Signatures `json:"signatures,omitempty"`
}

// Signatures describes the signature database in force.
type Signatures struct {
	Version string `json:"version"`
	// Created is when the database was made: its age is counted from it.
	Created time.Time `json:"created"`
	// Source is sigpkg.SourceData (installed) or sigpkg.SourceImage (the
	// image's default).
	Source string `json:"source"`
	// MaxAgeDays is the platform's limit: older, the database is stale
	// (the panel says SIGS STALE <n>d).
	MaxAgeDays int `json:"max_age_days"`
}

// SignatureInstaller installs signature packages. A Scanner that is one
// (scannerd's runner) serves PathSignatures.
type SignatureInstaller interface {
	// InstallSignatures verifies, compiles and puts in force a signed
	// package, or refuses it (keeping the database in force) with why.
	InstallSignatures(pkg []byte) (Signatures, error)
}

// Scanner is what the server serves: scannerd's job runner.
type Scanner interface {
	State() State
	// CancelScan stops the running scan, if any, keeping its partial
	// results, and returns once it has stopped (netapi.ScanCanceler).
	CancelScan(ctx context.Context, reason string) (canceled bool, err error)
}

// CancelRequest is the body of a cancel.
type CancelRequest struct {
	Reason string `json:"reason"`
}

// CancelResponse answers a cancel.
type CancelResponse struct {
	Canceled bool `json:"canceled"`
}

type errorResponse struct {
	Error string `json:"error"`
}

// Server serves a Scanner on a unix socket.
type Server struct {
	sc      Scanner
	allowed map[uint32]bool
	log     *slog.Logger
	hs      *http.Server
}

type peerKey struct{}

// NewServer returns a server for sc that admits the given uids, root and
// its own.
func NewServer(sc Scanner, log *slog.Logger, uids ...uint32) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{sc: sc, log: log, allowed: map[uint32]bool{0: true, uint32(os.Getuid()): true}}
	for _, u := range uids {
		s.allowed[u] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathState, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.sc.State())
	})
	mux.HandleFunc("POST "+pathCancel, s.cancel)
	mux.HandleFunc("POST "+PathSignatures, s.installSignatures)
	s.hs = &http.Server{
		Handler:           s.checkPeer(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       15 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, peerKey{}, peerUID(c))
		},
	}
	return s
}

func (s *Server) checkPeer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := r.Context().Value(peerKey{}).(peer)
		if p.err != nil || !s.allowed[p.uid] {
			s.log.Warn("scanapi: caller refused", "uid", p.uid, "err", p.err, "path", r.URL.Path)
			writeJSON(w, http.StatusForbidden, errorResponse{Error: "caller not allowed"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	var req CancelRequest
	if err := strictjson.Decode(r.Body, maxBody, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, errorResponse{Error: fmt.Sprintf("cancel: %v", err)})
		return
	}
	c, err := s.sc.CancelScan(r.Context(), req.Reason)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorResponse{Error: err.Error()})
		return
	}
	s.log.Info("scan cancel asked", "reason", req.Reason, "canceled", c)
	writeJSON(w, http.StatusOK, CancelResponse{Canceled: c})
}

// installSignatures takes a package from root or scannerd's own uid only:
// the package is checked against the release key whoever sends it, but
// the panel daemons' uids, which may read the state, have no business
// installing.
func (s *Server) installSignatures(w http.ResponseWriter, r *http.Request) {
	p, _ := r.Context().Value(peerKey{}).(peer)
	if p.uid != 0 && p.uid != uint32(os.Getuid()) {
		s.log.Warn("scanapi: signature install refused to caller", "uid", p.uid)
		writeJSON(w, http.StatusForbidden, errorResponse{Error: "installing signatures is for root and the scanner's own user"})
		return
	}
	in, ok := s.sc.(SignatureInstaller)
	if !ok {
		writeJSON(w, http.StatusNotImplemented, errorResponse{Error: "this scanner installs no signatures"})
		return
	}
	// One byte past the cap tells an oversize package from one at it,
	// without reading the rest.
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(sigpkg.MaxPackage)+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorResponse{Error: fmt.Sprintf("read package: %v", err)})
		return
	}
	if len(body) > sigpkg.MaxPackage {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorResponse{Error: fmt.Sprintf("install signatures: %v: more than %d bytes", sigpkg.ErrOversize, sigpkg.MaxPackage)})
		return
	}
	sig, err := in.InstallSignatures(body)
	if err != nil {
		s.log.Warn("signature package refused", "err", err)
		writeJSON(w, http.StatusUnprocessableEntity, errorResponse{Error: err.Error()})
		return
	}
	s.log.Info("signatures installed", "version", sig.Version)
	writeJSON(w, http.StatusOK, sig)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Serve serves on l until ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.hs.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("scanapi: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	serr := s.hs.Shutdown(sctx)
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return errors.Join(err, serr)
	}
	return serr
}

// Listen creates the unix socket at path with SocketMode, replacing a
// stale socket a previous run left (one no server answers on).
func Listen(path string) (*net.UnixListener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("scanapi: listen %s: exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("scanapi: listen %s: another server answers on it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("scanapi: remove stale socket: %w", err)
		}
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("scanapi: listen %s: %w", path, err)
	}
	if err := os.Chmod(path, SocketMode); err != nil {
		l.Close()
		return nil, fmt.Errorf("scanapi: chmod %s: %w", path, err)
	}
	return l, nil
}

// peer is the caller's uid from SO_PEERCRED, which it cannot forge.
type peer struct {
	uid uint32
	err error
}

func peerUID(c net.Conn) peer {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return peer{err: fmt.Errorf("peer credentials: %T is not a socket", c)}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return peer{err: fmt.Errorf("peer credentials: %w", err)}
	}
	var cred *syscall.Ucred
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		cred, gerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return peer{err: fmt.Errorf("peer credentials: %w", err)}
	}
	if gerr != nil || cred == nil {
		return peer{err: fmt.Errorf("peer credentials: SO_PEERCRED: %v", gerr)}
	}
	return peer{uid: cred.Uid}
}
