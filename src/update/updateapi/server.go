package updateapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"picket.dev/picket/src/base/localapi"
	"picket.dev/picket/src/base/strictjson"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
)

const (
	pathState = "/v1/state"
	pathLink  = "/v1/link"
	// maxLink bounds a Link on the wire: a management path and two
	// notices are well under it.
	maxLink = 64 << 10
)

// Updater is what the server serves: updaterd's core.
type Updater interface {
	// State is what the updater does now; it never holds a secret.
	State() State
	// Handover takes the platform link's hand-over after a successful
	// poll and returns the state then.
	Handover(ctx context.Context, l Link) (State, error)
}

// Access says which uids may call which route (root always may).
type Access struct {
	// Link is the platform link's uid (scannerd's), which may POST
	// /v1/link; -1: root only.
	Link int64
	// Readers may GET /v1/state besides root, the updater's own uid and
	// Link (the front panels' uids).
	Readers []uint32
}

// Server serves an Updater on updater.sock.
type Server struct {
	u  Updater
	ls *localapi.Server
}

// NewServer returns a server for u admitting the callers of a.
func NewServer(u Updater, log *slog.Logger, a Access) *Server {
	readers := append([]uint32(nil), a.Readers...)
	linkers := localapi.UIDs{0: true}
	if a.Link >= 0 {
		readers = append(readers, uint32(a.Link))
		linkers[uint32(a.Link)] = true
	}
	s := &Server{u: u, ls: localapi.NewServer("updateapi", log, localapi.NewUIDs(readers...))}
	s.ls.Handle("GET "+pathState, func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteJSON(w, http.StatusOK, s.u.State())
	})
	// The hand-over carries the proxy password and decides where the
	// updater downloads from: only the platform link (and root) sends it.
	s.ls.HandleFor("POST "+pathLink, linkers, "the link hand-over is for root and the platform link's user", func(w http.ResponseWriter, r *http.Request) {
		var l Link
		if err := strictjson.Decode(r.Body, maxLink, &l); err != nil {
			localapi.WriteError(w, http.StatusBadRequest, fmt.Sprintf("link: %v", err))
			return
		}
		if err := l.check(); err != nil {
			localapi.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		st, err := s.u.Handover(r.Context(), l)
		if err != nil {
			localapi.WriteError(w, http.StatusInternalServerError, err.Error())
			return
		}
		localapi.WriteJSON(w, http.StatusOK, st)
	})
	return s
}

// Serve serves on l until ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) error { return s.ls.Serve(ctx, l) }

// Listen creates updater.sock at path (mode 0660, a stale socket replaced).
func Listen(path string) (*net.UnixListener, error) { return localapi.Listen("updateapi", path) }

func (l Link) check() error {
	if len(l.Updates) > platformapi.MaxUpdates {
		return fmt.Errorf("link: %d update notices, at most %d", len(l.Updates), platformapi.MaxUpdates)
	}
	for _, n := range l.Updates {
		if err := platformapi.CheckUpdate(n); err != nil {
			return fmt.Errorf("link: %w", err)
		}
	}
	return nil
}

// linkWire is Link on the wire: the management path in netapi's wire
// form, which carries the proxy password beside the proxy.
type linkWire struct {
	Path         json.RawMessage            `json:"path"`
	Platform     string                     `json:"platform"`
	PlatformTime time.Time                  `json:"platform_time"`
	PolledAt     time.Time                  `json:"polled_at"`
	Updates      []platformapi.UpdateNotice `json:"updates,omitempty"`
	ScanRunning  bool                       `json:"scan_running"`
}

// MarshalJSON writes the Link with its proxy password (netcfg refuses to
// marshal a set Secret by itself).
func (l Link) MarshalJSON() ([]byte, error) {
	p, err := netapi.MarshalManagementPath(l.Path)
	if err != nil {
		return nil, err
	}
	return json.Marshal(linkWire{Path: p, Platform: l.Platform, PlatformTime: l.PlatformTime, PolledAt: l.PolledAt, Updates: l.Updates, ScanRunning: l.ScanRunning})
}

// UnmarshalJSON reads what MarshalJSON wrote, strictly.
func (l *Link) UnmarshalJSON(b []byte) error {
	var w linkWire
	if err := strictjson.Unmarshal(b, &w); err != nil {
		return err
	}
	if len(w.Path) == 0 {
		return errors.New("no management path")
	}
	p, err := netapi.UnmarshalManagementPath(w.Path)
	if err != nil {
		return err
	}
	*l = Link{Path: p, Platform: w.Platform, PlatformTime: w.PlatformTime, PolledAt: w.PolledAt, Updates: w.Updates, ScanRunning: w.ScanRunning}
	return nil
}

// Client calls updaterd's API.
type Client struct{ lc *localapi.Client }

// Dial returns a client for updater.sock at path; it connects at the
// first call.
func Dial(path string) *Client { return &Client{lc: localapi.Dial("updateapi", path)} }

// Close releases idle connections.
func (c *Client) Close() error { return c.lc.Close() }

// ErrUnavailable is an updater that cannot be reached (not running).
var ErrUnavailable = localapi.ErrUnavailable

// State returns what the updater does.
func (c *Client) State(ctx context.Context) (State, error) {
	var st State
	return st, c.lc.Call(ctx, http.MethodGet, pathState, "", nil, &st)
}

// Handover sends the platform link's hand-over and returns the updater's
// state.
func (c *Client) Handover(ctx context.Context, l Link) (State, error) {
	b, err := json.Marshal(l)
	if err != nil {
		return State{}, fmt.Errorf("updateapi: %w", err)
	}
	var st State
	return st, c.lc.Call(ctx, http.MethodPost, pathLink, "application/json", b, &st)
}
