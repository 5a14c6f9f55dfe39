// Package scanapi is scannerd's local API on scanner.sock: HTTP/JSON over
// a unix socket whose callers are checked by their peer credentials
// (SO_PEERCRED), on the transport of package localapi. It answers two
// questions: what the scanner is doing (State: the running job and its
// progress, which lcdd and consoled read for LED S1), and Cancel, the
// network manager's ScanCanceler hook, which stops the running scan
// before a network change, keeping its partial results for upload. It
// also reports the signature database in force (version, creation date,
// the platform's age limit: the status screens' SIGNATURES line) and
// installs a signed signature package (POST /v1/signatures, the package's
// bytes; package sigpkg checks it). Each route is open to root,
// scannerd's own uid and the uids an Access names for it.
package scanapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"picket.dev/picket/src/base/localapi"
	"picket.dev/picket/src/base/strictjson"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/sigpkg"
)

// DefaultSocket is where scannerd serves the API on a box.
const DefaultSocket = "/run/picket/scanner.sock"

// SocketMode is the socket's mode: the owner and the daemons' group; the
// server checks each caller's uid as well.
const SocketMode = localapi.SocketMode

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

// Server serves a Scanner on a unix socket.
type Server struct {
	sc  Scanner
	log *slog.Logger
	ls  *localapi.Server
}

// Access says which uids may call which route besides root and the
// scanner's own uid (scannerd passes the daemons' uids,
// docs/privileges.md).
type Access struct {
	// Readers read the state (the front panels: LED S1, the signature
	// database's version).
	Readers []uint32
	// Cancelers cancel the running scan (the network manager, before a
	// change).
	Cancelers []uint32
	// Installers install signature packages and read the state (the
	// updater). The package is checked against the release key whoever
	// sends it, but the others have no business installing.
	Installers []uint32
}

// NewServer returns a server for sc admitting the callers of a.
func NewServer(sc Scanner, log *slog.Logger, a Access) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	all := append(append(append([]uint32(nil), a.Readers...), a.Cancelers...), a.Installers...)
	s := &Server{sc: sc, log: log, ls: localapi.NewServer("scanapi", log, localapi.NewUIDs(all...))}
	readers := append(append([]uint32(nil), a.Readers...), a.Installers...)
	s.ls.HandleFor("GET "+pathState, localapi.NewUIDs(readers...), "the scanner's state is not for this caller's user", func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteJSON(w, http.StatusOK, s.sc.State())
	})
	s.ls.HandleFor("POST "+pathCancel, localapi.NewUIDs(a.Cancelers...), "canceling a scan is for the network manager's user", s.cancel)
	s.ls.HandleFor("POST "+PathSignatures, localapi.NewUIDs(a.Installers...), "installing signatures is for root, the scanner's and the updater's users", s.installSignatures)
	return s
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	var req CancelRequest
	if err := strictjson.Decode(r.Body, maxBody, &req); err != nil {
		localapi.WriteError(w, http.StatusBadRequest, fmt.Sprintf("cancel: %v", err))
		return
	}
	c, err := s.sc.CancelScan(r.Context(), req.Reason)
	if err != nil {
		localapi.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.log.Info("scan cancel asked", "reason", req.Reason, "canceled", c)
	localapi.WriteJSON(w, http.StatusOK, CancelResponse{Canceled: c})
}

func (s *Server) installSignatures(w http.ResponseWriter, r *http.Request) {
	in, ok := s.sc.(SignatureInstaller)
	if !ok {
		localapi.WriteError(w, http.StatusNotImplemented, "this scanner installs no signatures")
		return
	}
	// One byte past the cap tells an oversize package from one at it,
	// without reading the rest.
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(sigpkg.MaxPackage)+1))
	if err != nil {
		localapi.WriteError(w, http.StatusBadRequest, fmt.Sprintf("read package: %v", err))
		return
	}
	if len(body) > sigpkg.MaxPackage {
		localapi.WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("install signatures: %v: more than %d bytes", sigpkg.ErrOversize, sigpkg.MaxPackage))
		return
	}
	sig, err := in.InstallSignatures(body)
	if err != nil {
		s.log.Warn("signature package refused", "err", err)
		localapi.WriteError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	s.log.Info("signatures installed", "version", sig.Version)
	localapi.WriteJSON(w, http.StatusOK, sig)
}

// Serve serves on l until ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	return s.ls.Serve(ctx, l)
}

// Listen creates the unix socket at path with SocketMode, replacing a
// stale socket a previous run left (one no server answers on).
func Listen(path string) (*net.UnixListener, error) { return localapi.Listen("scanapi", path) }
