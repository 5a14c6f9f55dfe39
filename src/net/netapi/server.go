package netapi

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
	"time"

	"picket.dev/picket/src/base/strictjson"
	"picket.dev/picket/src/net/netcfg"
)

// SocketMode is the mode of the socket Listen creates: the owner and the
// group that the daemons needing the API share; the server also checks
// each caller's uid.
const SocketMode fs.FileMode = 0o660

// shutdownGrace is how long Serve lets requests in flight finish after its
// context ends.
const shutdownGrace = 5 * time.Second

// Default time limits of a connection. Callers are local daemons that send
// a request (under maxBody) at once, so a request that takes longer to
// arrive is stalled or malicious and must not hold a connection and a
// goroutine for ever. Once a request has arrived, its handler runs without
// a read deadline (net/http lifts it): an Apply may run the connectivity
// test, and a Subscribe lasts as long as its caller wants.
const (
	// DefaultReadHeaderTimeout bounds the request line and headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds the whole request, body included.
	DefaultReadTimeout = 15 * time.Second
	// DefaultIdleTimeout closes a kept-alive connection with no request.
	// It is longer than the client's idle limit (clientIdleTimeout), so
	// the client, not the server, closes an idle connection and never
	// sends a request on one the server is closing.
	DefaultIdleTimeout = 2 * time.Minute
)

// Option configures a Server.
type Option func(*Server)

// WithAllowedUIDs sets the uids that may use the API. The default is the
// server's own uid and root.
func WithAllowedUIDs(uids ...uint32) Option {
	return func(s *Server) {
		s.allowed = make(map[uint32]bool, len(uids))
		for _, u := range uids {
			s.allowed[u] = true
		}
	}
}

// WithSecretUIDs sets the uids that may read the management path
// (Manager.ManagementPath), the one answer that carries the proxy
// password: the platform link's. The default is the server's own uid and
// root, which can read the stored password anyway. A uid given here must
// also be allowed (WithAllowedUIDs) to reach the API at all; an allowed
// caller outside this set is refused with KindPermissionDenied.
func WithSecretUIDs(uids ...uint32) Option {
	return func(s *Server) {
		s.secret = make(map[uint32]bool, len(uids))
		for _, u := range uids {
			s.secret[u] = true
		}
	}
}

// Access says which callers may use which routes, besides root and the
// server's own uid, which may use every one (netmgrd passes the daemons'
// uids, docs/privileges.md).
type Access struct {
	// Panels (lcdd, consoled) read the configuration and status,
	// subscribe to it, and change the configuration: apply, renew,
	// reset, switch mode, test the path.
	Panels []uint32
	// Link is the platform link (scannerd): it reads the configuration
	// and status, subscribes, and has the platform's routes: the
	// platform's settings, the link's state for the panel, and the
	// management path with the proxy password. It changes nothing else.
	Link []uint32
}

// WithAccess sets who may call what (Access); it takes the place of
// WithAllowedUIDs and WithSecretUIDs.
func WithAccess(a Access) Option {
	return func(s *Server) {
		base := func(more ...[]uint32) map[uint32]bool {
			m := map[uint32]bool{uint32(os.Getuid()): true, 0: true}
			for _, uids := range more {
				for _, u := range uids {
					m[u] = true
				}
			}
			return m
		}
		s.allowed = base(a.Panels, a.Link)
		s.change = base(a.Panels)
		s.linkOnly = base(a.Link)
		s.secret = base(a.Link)
	}
}

// WithTimeouts sets the connection time limits: for the headers, for the
// whole request, and for an idle kept-alive connection. Zero keeps a
// default (DefaultReadHeaderTimeout, DefaultReadTimeout,
// DefaultIdleTimeout). Tests shorten them.
func WithTimeouts(header, request, idle time.Duration) Option {
	return func(s *Server) {
		if header > 0 {
			s.hs.ReadHeaderTimeout = header
		}
		if request > 0 {
			s.hs.ReadTimeout = request
		}
		if idle > 0 {
			s.hs.IdleTimeout = idle
		}
	}
}

// WithLogger sets where the server logs each request (method, path, caller,
// outcome; never a body). The default logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) { s.log = l }
}

// Server serves a Manager over HTTP+JSON on a unix socket.
type Server struct {
	m       Manager
	allowed map[uint32]bool
	secret  map[uint32]bool // may read the management path
	// change may change the configuration, linkOnly may use the
	// platform link's routes; nil: every allowed uid.
	change, linkOnly map[uint32]bool
	log              *slog.Logger
	hs               *http.Server
	mux              *http.ServeMux
	// streams ends every Subscribe stream when the server shuts down:
	// http.Server.Shutdown waits for handlers, and a stream never ends by
	// itself.
	streams     context.Context
	stopStreams context.CancelFunc
}

type peerKey struct{}

// NewServer returns a server for m.
func NewServer(m Manager, opts ...Option) *Server {
	s := &Server{
		m:       m,
		allowed: map[uint32]bool{uint32(os.Getuid()): true, 0: true},
		secret:  map[uint32]bool{uint32(os.Getuid()): true, 0: true},
		log:     slog.New(slog.DiscardHandler),
		mux:     http.NewServeMux(),
	}
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		// No write timeout: Subscribe streams for as long as the caller
		// listens.
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, peerKey{}, peerCred(c))
		},
	}
	for _, o := range opts {
		o(s)
	}
	s.hs.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	s.streams, s.stopStreams = context.WithCancel(context.Background())
	s.routes()
	return s
}

// Serve accepts connections on l until Shutdown or Close; it returns nil
// after those, else the error that stopped it.
func (s *Server) Serve(l net.Listener) error {
	if err := s.hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("netapi: serve %s: %w", l.Addr(), err)
	}
	return nil
}

// Shutdown stops accepting, ends every Subscribe stream, and waits for the
// other requests to finish until ctx ends, when it closes what remains.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopStreams()
	if err := s.hs.Shutdown(ctx); err != nil {
		return errors.Join(fmt.Errorf("netapi: shutdown: %w", err), s.Close())
	}
	return nil
}

// Close closes the listener and every connection at once.
func (s *Server) Close() error {
	s.stopStreams()
	if err := s.hs.Close(); err != nil {
		return fmt.Errorf("netapi: close: %w", err)
	}
	return nil
}

// Serve serves m on l until ctx ends, then shuts down gracefully (Subscribe
// streams end at once; other requests get a few seconds to finish).
func Serve(ctx context.Context, l net.Listener, m Manager, opts ...Option) error {
	srv := NewServer(m, opts...)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	serr := srv.Shutdown(sctx)
	return errors.Join(<-errc, serr)
}

// Listen creates the unix socket at path with mode SocketMode. A stale
// socket left by a previous run is replaced; a socket some server still
// answers on, or a file that is not a socket, is an error.
func Listen(path string) (*net.UnixListener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("netapi: listen %s: exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("netapi: listen %s: another server answers on it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("netapi: listen %s: remove stale socket: %w", path, err)
		}
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("netapi: listen: %w", err)
	}
	// The socket is created under the process umask; until this chmod it
	// can only be narrower than SocketMode, never wider (a connect needs
	// write permission), and the uid check applies regardless.
	if err := os.Chmod(path, SocketMode); err != nil {
		l.Close()
		return nil, fmt.Errorf("netapi: listen %s: %w", path, err)
	}
	return l, nil
}

// ServeHTTP checks the caller's credentials, then routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := r.Context().Value(peerKey{}).(peer)
	switch {
	case !ok:
		p.err = errors.New("peer credentials: not a connection of this server")
		fallthrough
	case p.err != nil:
		s.fail(w, r, p, &Error{Kind: KindPermissionDenied, Message: "netapi: caller not identified: " + p.err.Error(), Err: p.err})
		return
	case !s.allowed[p.uid]:
		s.fail(w, r, p, &Error{Kind: KindPermissionDenied, Message: fmt.Sprintf("netapi: uid %d may not use the network manager API", p.uid)})
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	s.handle("GET", pathConfig, nil, func(r *http.Request, _ []byte) (any, error) {
		return s.m.Config(r.Context())
	})
	s.handle("GET", pathStatus, nil, func(r *http.Request, _ []byte) (any, error) {
		return s.m.Status(r.Context())
	})
	s.handle("POST", pathApply, s.change, func(r *http.Request, body []byte) (any, error) {
		var req applyRequest
		if err := decode(r, body, &req); err != nil {
			return nil, err
		}
		cfg := req.Config
		if req.ProxyPassword != "" {
			cfg.Proxy.Password = netcfg.NewSecret(req.ProxyPassword)
		}
		return s.m.Apply(r.Context(), cfg, ApplyOptions{KeepProxyPassword: req.KeepProxyPassword})
	})
	s.handle("POST", pathRenew, s.change, func(r *http.Request, body []byte) (any, error) {
		var req renewRequest
		if err := decode(r, body, &req); err != nil {
			return nil, err
		}
		return struct{}{}, s.m.Renew(r.Context(), req.Iface)
	})
	s.handle("POST", pathReset, s.change, func(r *http.Request, _ []byte) (any, error) {
		return s.m.Reset(r.Context())
	})
	s.handle("POST", pathMode, s.change, func(r *http.Request, body []byte) (any, error) {
		var req modeRequest
		if err := decode(r, body, &req); err != nil {
			return nil, err
		}
		return s.m.SwitchMode(r.Context(), req.Mode)
	})
	s.handle("POST", pathTest, s.change, func(r *http.Request, _ []byte) (any, error) {
		return s.m.TestConnectivity(r.Context())
	})
	s.handle("POST", pathPlatform, s.linkOnly, func(r *http.Request, body []byte) (any, error) {
		var p netcfg.Platform
		if err := decode(r, body, &p); err != nil {
			return nil, err
		}
		return s.m.ApplyPlatform(r.Context(), p)
	})
	s.handle("POST", pathLink, s.linkOnly, func(r *http.Request, body []byte) (any, error) {
		var l PlatformLink
		if err := decode(r, body, &l); err != nil {
			return nil, err
		}
		return struct{}{}, s.m.ReportPlatform(r.Context(), l)
	})
	s.handle("POST", pathTrial, s.change, func(r *http.Request, body []byte) (any, error) {
		var req trialRequest
		if err := decode(r, body, &req); err != nil {
			return nil, err
		}
		return s.m.EndTrial(r.Context(), req.ID, req.Keep)
	})
	s.handle("GET", pathManagement, s.linkOnly, func(r *http.Request, _ []byte) (any, error) {
		if p := peerOf(r); !s.secret[p.uid] {
			return nil, &Error{Kind: KindPermissionDenied, Message: fmt.Sprintf("netapi: management path: uid %d may use the network manager API but not read the proxy password; only the platform link's uid may", p.uid)}
		}
		mp, err := s.m.ManagementPath(r.Context())
		if err != nil {
			return nil, err
		}
		return toManagementResponse(mp), nil
	})
	s.mux.HandleFunc("GET "+pathSubscribe, s.subscribe)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, peerOf(r), &Error{Kind: KindInvalidRequest, Message: fmt.Sprintf("netapi: no route %s %s", r.Method, r.URL.Path)})
	})
}

func peerOf(r *http.Request) peer {
	p, _ := r.Context().Value(peerKey{}).(peer)
	return p
}

// handle routes method and path to h, which returns the response value or
// an error, for the uids of only (nil: every uid the server admits).
func (s *Server) handle(method, path string, only map[uint32]bool, h func(r *http.Request, body []byte) (any, error)) {
	s.mux.HandleFunc(method+" "+path, func(w http.ResponseWriter, r *http.Request) {
		if p := peerOf(r); only != nil && !only[p.uid] {
			s.fail(w, r, p, &Error{Kind: KindPermissionDenied, Message: fmt.Sprintf("netapi: %s %s: not for uid %d", method, path, p.uid)})
			return
		}
		in, err := readBody(w, r)
		if err != nil {
			s.fail(w, r, peerOf(r), err)
			return
		}
		v, err := h(r, in)
		if err != nil {
			s.fail(w, r, peerOf(r), err)
			return
		}
		// Marshal before writing, so a value that refuses to marshal (a set
		// netcfg.Secret that should have been cleared) is an error, not a
		// partial body.
		body, err := json.Marshal(v)
		if err != nil {
			s.fail(w, r, peerOf(r), &Error{Kind: KindInternal, Message: "netapi: encode response: " + err.Error(), Err: err})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(append(body, '\n'))
		attrs := []any{"method", r.Method, "path", r.URL.Path, "uid", peerOf(r).uid, "pid", peerOf(r).pid, "status", http.StatusOK}
		if res, ok := v.(Result); ok {
			changes := make([]string, len(res.Changes))
			for i, c := range res.Changes {
				changes[i] = c.String() // a secret shows as redacted
			}
			attrs = append(attrs, "changes", changes, "scan_canceled", res.ScanCanceled)
		}
		s.log.Info("netapi request", attrs...)
	})
}

// fail sends err as {"error": ...} and logs it (its message never holds a
// secret).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, p peer, err error) {
	we := toWire(err)
	code := httpStatus(we.Kind)
	body, merr := json.Marshal(errorResponse{Error: we})
	if merr != nil {
		body = []byte(`{"error":{"kind":"internal","message":"netapi: encode error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(body, '\n'))
	s.log.Warn("netapi request failed", "method", r.Method, "path", r.URL.Path, "uid", p.uid, "pid", p.pid,
		"status", code, "kind", string(we.Kind), "error", we.Message)
}

// readBody reads the whole request body (at most maxBody) within the
// server's ReadTimeout, before the handler runs. (Once the body is read,
// net/http lifts the read deadline for its background read, so a handler
// may run longer than ReadTimeout: TestReadTimeoutSparesLongCalls.)
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return nil, &Error{Kind: KindInvalidRequest, Message: fmt.Sprintf("netapi: %s request: body larger than %d bytes", r.URL.Path, big.Limit), Err: err}
		}
		// A stalled body ends at the read deadline; say so without
		// echoing anything that did arrive.
		return nil, &Error{Kind: KindInvalidRequest, Message: fmt.Sprintf("netapi: %s request: body not received in full: %s", r.URL.Path, readFailure(err)), Err: err}
	}
	return body, nil
}

// readFailure says why a body read failed, in words.
func readFailure(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed early"
	}
	return "read failed"
}

// decode decodes a JSON request body into v strictly: one JSON document,
// no unknown field (a misspelt field would otherwise be dropped silently,
// and a change applied without it).
func decode(r *http.Request, body []byte, v any) error {
	if err := strictjson.Unmarshal(body, v); err != nil {
		return &Error{Kind: KindInvalidRequest, Message: fmt.Sprintf("netapi: decode %s request: %s", r.URL.Path, describeJSONError(err)), Err: err}
	}
	return nil
}

// subscribe streams each status as one JSON line until the caller goes
// away, the manager closes the channel, or the server shuts down.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	ch, err := s.m.Subscribe(ctx)
	if err != nil {
		s.fail(w, r, peerOf(r), err)
		return
	}
	p := peerOf(r)
	s.log.Info("netapi subscription started", "uid", p.uid, "pid", p.pid)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", contentNDJSON)
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		s.log.Warn("netapi subscription: flush", "error", err.Error())
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for {
		select {
		case <-ctx.Done():
			s.log.Info("netapi subscription ended", "uid", p.uid, "pid", p.pid, "why", context.Cause(ctx).Error())
			return
		case st, ok := <-ch:
			if !ok {
				s.log.Info("netapi subscription ended", "uid", p.uid, "pid", p.pid, "why", "manager closed it")
				return
			}
			buf.Reset()
			if err := enc.Encode(st); err != nil {
				s.log.Warn("netapi subscription: encode status", "error", err.Error())
				return
			}
			if _, err := w.Write(buf.Bytes()); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}
