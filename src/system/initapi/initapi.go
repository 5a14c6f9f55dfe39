// Package initapi is init's local API on init.sock: HTTP/JSON over a unix
// socket (package localapi) whose callers init tells apart by their uid
// (SO_PEERCRED): each operation is open to root and to the uids an Access
// names for it (the daemons' users, docs/privileges.md). It tells the updater which slot booted and the A/B state in
// the bootloader environment, takes a new slot's signed manifest (init
// verifies it with the release key and the board before it writes it on
// the ESP), sets a slot to be tried, takes the updater's verdict that the
// booted slot on trial is good, and reboots or powers off.
package initapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"

	"picket.dev/picket/src/base/localapi"
	"picket.dev/picket/src/base/strictjson"
	"picket.dev/picket/src/system/slots"
)

// DefaultSocket is where init serves the API on a box.
const DefaultSocket = "/run/picket/init.sock"

// The signals init sends, on a power off, to the daemons it stops last
// (the panel daemons, "stop_last" in init.json), so that the panel tells
// the truth to the end, whoever asked for the power off:
//
//   - PowerOffNotice first, before it stops any daemon: the box is
//     powering off. The daemon shows it (SHUTTING DOWN SYSTEM), takes no
//     more keys, and no longer waits for the daemons that are about to go
//     (the network manager), but keeps running.
//   - HaltedNotice once every other daemon has stopped and the data
//     partition is unmounted: the box is halted. The daemon shows "It's
//     now safe to unplug the box", leaves it on the panel, and exits.
//
// A daemon that does not handle them is ended by them (their default
// action), so only daemons that do are marked stop_last. On a reboot they
// are stopped in their place with SIGTERM, like every other daemon.
const (
	PowerOffNotice = syscall.SIGUSR2
	HaltedNotice   = syscall.SIGUSR1
)

const (
	pathBoot     = "/v1/boot"
	pathManifest = "/v1/slot/manifest"
	pathTry      = "/v1/slot/try"
	pathGood     = "/v1/slot/good"
	pathReboot   = "/v1/reboot"
	pathPowerOff = "/v1/poweroff"
	// MaxManifest bounds a signed manifest (a few hundred bytes).
	MaxManifest = 4 << 10
	maxBody     = 16 << 10
)

// Boot is the booted slot and the bootloader's A/B state.
type Boot struct {
	// Slot is the slot the kernel was booted from ("a", "b").
	Slot   string `json:"slot"`
	Active string `json:"active"`
	Trying string `json:"trying,omitempty"`
	Tries  int    `json:"tries,omitempty"`
	// Good: init has marked the booted slot good in this boot (or it
	// was the active slot, not on trial).
	Good bool `json:"good"`
}

// OnTrial reports whether the booted slot is being tried.
func (b Boot) OnTrial() bool { return b.Trying != "" && b.Trying == b.Slot }

// State is the A/B part of b.
func (b Boot) State() slots.State {
	return slots.State{Active: b.Active, Trying: b.Trying, Tries: b.Tries}
}

// ErrRefused wraps a request init will not do (the booted slot named, a
// manifest that does not verify): asking again does not help.
var ErrRefused = errors.New("refused")

// Init is what init does for its callers.
type Init interface {
	Boot(ctx context.Context) (Boot, error)
	// WriteManifest verifies signed (release key, board) and writes it as
	// slot's manifest on the ESP, atomically; the booted slot is refused.
	WriteManifest(ctx context.Context, slot string, signed []byte) error
	// Try makes the bootloader try slot on the next boots; the booted
	// slot is refused.
	Try(ctx context.Context, slot string) error
	// Good is the updater's verdict that the booted slot on trial works.
	Good(ctx context.Context) error
	Reboot(ctx context.Context) error
	PowerOff(ctx context.Context) error
}

// SlotRequest names a slot.
type SlotRequest struct {
	Slot string `json:"slot"`
}

// ManifestRequest is a slot's signed manifest (the slot-X.manifest bytes).
type ManifestRequest struct {
	Slot     string `json:"slot"`
	Manifest []byte `json:"manifest"`
}

type empty struct{}

// The operations of init.sock, as an Access names them.
const (
	// OpBoot reads the boot state (GET /v1/boot).
	OpBoot = "boot"
	// OpSlot writes a slot's manifest and sets it to be tried (POST
	// /v1/slot/manifest, /v1/slot/try).
	OpSlot = "slot"
	// OpGood is the verdict that the slot on trial is good (POST
	// /v1/slot/good).
	OpGood = "good"
	// OpReboot and OpPowerOff stop the box (POST /v1/reboot,
	// /v1/poweroff).
	OpReboot   = "reboot"
	OpPowerOff = "poweroff"
)

// Ops are all the operations, in the order of the API.
var Ops = []string{OpBoot, OpSlot, OpGood, OpReboot, OpPowerOff}

// Access maps an operation (Op*) to the uids that may ask it besides
// root, which may ask every one.
type Access map[string][]uint32

// Server serves an Init on init.sock.
type Server struct {
	in Init
	ls *localapi.Server
}

// NewServer returns a server for in admitting root, its own uid, and
// each uid of a to the operations a names for it.
func NewServer(in Init, log *slog.Logger, a Access) *Server {
	var all []uint32
	for _, uids := range a {
		all = append(all, uids...)
	}
	s := &Server{in: in, ls: localapi.NewServer("initapi", log, localapi.NewUIDs(all...))}
	handle := func(op, pattern string, h http.HandlerFunc) {
		s.ls.HandleFor(pattern, localapi.NewUIDs(a[op]...), "init.sock: "+op+" is not for this caller's user", h)
	}
	handle(OpBoot, "GET "+pathBoot, func(w http.ResponseWriter, r *http.Request) {
		b, err := s.in.Boot(r.Context())
		if err != nil {
			writeErr(w, err)
			return
		}
		localapi.WriteJSON(w, http.StatusOK, b)
	})
	handle(OpSlot, "POST "+pathManifest, func(w http.ResponseWriter, r *http.Request) {
		var req ManifestRequest
		if !decode(w, r, &req) {
			return
		}
		if len(req.Manifest) > MaxManifest {
			localapi.WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("manifest of %d bytes: at most %d", len(req.Manifest), MaxManifest))
			return
		}
		done(w, s.in.WriteManifest(r.Context(), req.Slot, req.Manifest))
	})
	handle(OpSlot, "POST "+pathTry, func(w http.ResponseWriter, r *http.Request) {
		var req SlotRequest
		if !decode(w, r, &req) {
			return
		}
		done(w, s.in.Try(r.Context(), req.Slot))
	})
	handle(OpGood, "POST "+pathGood, func(w http.ResponseWriter, r *http.Request) { done(w, s.in.Good(r.Context())) })
	handle(OpReboot, "POST "+pathReboot, func(w http.ResponseWriter, r *http.Request) { done(w, s.in.Reboot(r.Context())) })
	handle(OpPowerOff, "POST "+pathPowerOff, func(w http.ResponseWriter, r *http.Request) { done(w, s.in.PowerOff(r.Context())) })
	return s
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := strictjson.Decode(r.Body, maxBody, v); err != nil {
		localapi.WriteError(w, http.StatusBadRequest, fmt.Sprintf("%s: %v", r.URL.Path, err))
		return false
	}
	return true
}

func writeErr(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrRefused) {
		localapi.WriteError(w, http.StatusConflict, err.Error())
		return
	}
	localapi.WriteError(w, http.StatusInternalServerError, err.Error())
}

func done(w http.ResponseWriter, err error) {
	if err != nil {
		writeErr(w, err)
		return
	}
	localapi.WriteJSON(w, http.StatusOK, empty{})
}

// Serve serves on l until ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) error { return s.ls.Serve(ctx, l) }

// Listen creates init.sock at path (mode 0660, a stale socket replaced).
func Listen(path string) (*net.UnixListener, error) { return localapi.Listen("initapi", path) }

// Client calls init's API; it implements Init. A refusal (HTTP 409)
// wraps ErrRefused.
type Client struct{ lc *localapi.Client }

// Dial returns a client for init.sock at path.
func Dial(path string) *Client { return &Client{lc: localapi.Dial("initapi", path)} }

// Close releases idle connections.
func (c *Client) Close() error { return c.lc.Close() }

// ErrUnavailable is an init that cannot be reached.
var ErrUnavailable = localapi.ErrUnavailable

func (c *Client) post(ctx context.Context, path string, req any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("initapi: %w", err)
	}
	err = c.lc.Call(ctx, http.MethodPost, path, "application/json", b, &empty{})
	var se *localapi.StatusError
	if errors.As(err, &se) && se.Status == http.StatusConflict {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return err
}

// Boot implements Init.
func (c *Client) Boot(ctx context.Context) (Boot, error) {
	var b Boot
	return b, c.lc.Call(ctx, http.MethodGet, pathBoot, "", nil, &b)
}

// WriteManifest implements Init.
func (c *Client) WriteManifest(ctx context.Context, slot string, signed []byte) error {
	return c.post(ctx, pathManifest, ManifestRequest{Slot: slot, Manifest: signed})
}

// Try implements Init.
func (c *Client) Try(ctx context.Context, slot string) error {
	return c.post(ctx, pathTry, SlotRequest{Slot: slot})
}

// Good implements Init.
func (c *Client) Good(ctx context.Context) error { return c.post(ctx, pathGood, empty{}) }

// Reboot implements Init.
func (c *Client) Reboot(ctx context.Context) error { return c.post(ctx, pathReboot, empty{}) }

// PowerOff implements Init.
func (c *Client) PowerOff(ctx context.Context) error { return c.post(ctx, pathPowerOff, empty{}) }
