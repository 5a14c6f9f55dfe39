// Package localapi is the transport of the box's local APIs (scanner.sock,
// updater.sock, init.sock): HTTP/1.1 with JSON bodies over a unix socket
// under /run/picket, whose callers are told apart by their peer
// credentials (SO_PEERCRED, which a caller cannot forge). It holds what
// every such API needs and nothing of any one API: Listen (mode 0660,
// replacing a stale socket a previous run left), a Server that admits a
// set of uids and lets a route narrow it, the JSON answer and error body,
// Serve with a clean shutdown, and a Client whose Call turns an
// unreachable server into ErrUnavailable. netmgrd's netapi predates it and
// keeps its own copy (streaming, typed errors).
package localapi

import (
	"bytes"
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
	"strconv"
	"strings"
	"syscall"
	"time"
)

// SocketMode is every local API socket's mode: the owner and the daemons'
// group; the server checks each caller's uid as well.
const SocketMode fs.FileMode = 0o660

// MaxAnswer bounds an answer the Client reads.
const MaxAnswer = 1 << 20

// ErrorBody is the body of every answer but 200 OK.
type ErrorBody struct {
	Error string `json:"error"`
}

// Listen creates the unix socket at path with SocketMode, replacing a
// stale socket a previous run left (one no server answers on). Its errors
// start with name, the API's, as a Client's do.
func Listen(name, path string) (*net.UnixListener, error) {
	l, err := listen(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return l, nil
}

func listen(path string) (*net.UnixListener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("listen %s: exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("listen %s: another server answers on it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("listen %s: remove stale socket: %w", path, err)
		}
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	if err := os.Chmod(path, SocketMode); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen %s: chmod: %w", path, err)
	}
	return l, nil
}

// UIDs is a set of uids.
type UIDs map[uint32]bool

// NewUIDs returns the set of root, the process's own uid and uids.
func NewUIDs(uids ...uint32) UIDs {
	s := UIDs{0: true, uint32(os.Getuid()): true}
	for _, u := range uids {
		s[u] = true
	}
	return s
}

// Server serves the routes of one local API to the uids it admits.
type Server struct {
	name    string
	allowed UIDs
	log     *slog.Logger
	mux     *http.ServeMux
	hs      *http.Server
}

type peerKey struct{}

// NewServer returns a server named name (in its log lines) that admits
// the uids of allowed on every route; a route may narrow the set
// (HandleFor).
func NewServer(name string, log *slog.Logger, allowed UIDs) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{name: name, allowed: allowed, log: log, mux: http.NewServeMux()}
	s.hs = &http.Server{
		Handler:           s.checkPeer(s.mux),
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

// Handle serves pattern ("GET /v1/state") to every uid the server admits.
func (s *Server) Handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
}

// HandleFor serves pattern to the uids of only (which the server must
// admit as well); any other caller gets 403 with refusal as the error.
func (s *Server) HandleFor(pattern string, only UIDs, refusal string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		uid, _ := PeerUID(r)
		if !only[uid] {
			s.log.Warn(s.name+": route refused to caller", "uid", uid, "path", r.URL.Path)
			WriteError(w, http.StatusForbidden, refusal)
			return
		}
		h(w, r)
	})
}

// PeerUID is the uid of the caller of r, from SO_PEERCRED; false when it
// could not be read (the server has refused such a caller already).
func PeerUID(r *http.Request) (uint32, bool) {
	p, ok := r.Context().Value(peerKey{}).(peer)
	return p.uid, ok && p.err == nil
}

func (s *Server) checkPeer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := r.Context().Value(peerKey{}).(peer)
		if p.err != nil || !s.allowed[p.uid] {
			s.log.Warn(s.name+": caller refused", "uid", p.uid, "err", p.err, "path", r.URL.Path)
			WriteError(w, http.StatusForbidden, "caller not allowed")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// WriteJSON answers with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// WriteError answers with status and an ErrorBody saying msg.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, ErrorBody{Error: msg})
}

// Serve serves on l until ctx ends, then shuts down, giving requests in
// flight 5 s.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.hs.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("%s: serve: %w", s.name, err)
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

// peer is the caller's uid from SO_PEERCRED.
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

// ErrUnavailable is a server that cannot be reached (not running).
var ErrUnavailable = errors.New("not reachable")

// Client calls one local API.
type Client struct {
	name string
	path string
	tr   *http.Transport
	hc   *http.Client
}

// Dial returns a client named name (its errors start with it) for the
// socket at path; it connects at the first call.
func Dial(name, path string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConnsPerHost: 2,
		DisableCompression:  true,
	}
	return &Client{name: name, path: path, tr: tr, hc: &http.Client{Transport: tr}}
}

// Path is the socket's path.
func (c *Client) Path() string { return c.path }

// Close releases idle connections.
func (c *Client) Close() error {
	c.tr.CloseIdleConnections()
	return nil
}

// Call sends body (nil: none) to path and decodes a 200 answer into out
// (nil: ignored). Another status is an error carrying the server's reason;
// no server on the socket is ErrUnavailable.
func (c *Client) Call(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://local"+path, rd)
	if err != nil {
		return fmt.Errorf("%s: %s %s: %w", c.name, method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() == nil && (errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)) {
			return fmt.Errorf("%s: %s on %s: %w: %v", c.name, path, c.path, ErrUnavailable, err)
		}
		return fmt.Errorf("%s: %s on %s: %w", c.name, path, c.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	if err != nil {
		return fmt.Errorf("%s: %s: read answer: %w", c.name, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var er ErrorBody
		if json.Unmarshal(raw, &er) == nil && er.Error != "" {
			return &StatusError{Status: resp.StatusCode, err: fmt.Errorf("%s: %s: HTTP %d: %s", c.name, path, resp.StatusCode, er.Error)}
		}
		return &StatusError{Status: resp.StatusCode, err: fmt.Errorf("%s: %s: HTTP %d", c.name, path, resp.StatusCode)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: %s: answer is not valid JSON: %w", c.name, path, err)
	}
	return nil
}

// StatusError is a server's answer other than 200 OK.
type StatusError struct {
	Status int
	err    error
}

func (e *StatusError) Error() string { return e.err.Error() }

// ParseUIDs reads a comma-separated list of uids ("104,105"), the form
// the daemons' flags take them in; "" is none.
func ParseUIDs(s string) ([]uint32, error) {
	var uids []uint32
	if s == "" {
		return nil, nil
	}
	for _, f := range strings.Split(s, ",") {
		u, err := strconv.ParseUint(strings.TrimSpace(f), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("uid list %q: %q is not a uid", s, f)
		}
		uids = append(uids, uint32(u))
	}
	return uids, nil
}
