// Package boxapi is the box-facing HTTPS API of the platform server
// (platformapi.PathPoll and PathJobUpdate). Every request's signature and
// time are verified (platformapi.VerifySignature); an unknown key becomes
// a pending box (rate-limited per client address, and capped on every
// request, so nobody can fill the database); each box's requests are
// rate-limited by a token bucket, and only then is the request's nonce
// recorded (bounded per box): what a box can make the platform remember
// is bounded by its bucket, and a replay of a request served is always
// refused. Buckets and nonces are the store's Guard, so that replicas
// on one database share them: a request replayed to another replica is
// refused as it is by the one that served it. A pending box hears "unactivated";
// an active one gets its name, poll interval, newer settings and
// unacknowledged jobs. A box can touch only its own jobs. Every refusal
// is logged with its reason and answered with a platformapi.Error body;
// a 429 carries Retry-After, which the box honours. A poll's report (versions, addresses, last
// seen) is written behind, once a second for all boxes (heartbeat.go), so
// a poll costs no synced write; job updates are written before the answer.
// A job update's scan results (progress, host batches, summary) are
// checked and cleaned (results.go) and stored with the update, once per
// upload id; a job's stored hosts are bounded by the store's Limits.
package boxapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/findings"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

// Defaults of Server's limits.
const (
	DefaultMaxPending = 1000
	// DefaultPendingTTL is how long a pending box that stopped polling is
	// kept once the pending cap is reached.
	DefaultPendingTTL = 24 * time.Hour
	// DefaultNewPerAddr is how many new pending boxes one client address
	// may register per DefaultNewWindow.
	DefaultNewPerAddr = 20
	DefaultNewWindow  = time.Minute
)

// Server serves the box API.
type Server struct {
	Store store.Store
	Now   func() time.Time
	Log   *slog.Logger
	// MaxPending caps the number of pending boxes.
	MaxPending int
	PendingTTL time.Duration
	// NewPerAddr new pending boxes per client address per NewWindow.
	NewPerAddr int
	NewWindow  time.Duration
	// Updates, when set, returns the update notices to send to an active
	// box (none: nil).
	Updates func(store.Box) []platformapi.UpdateNotice
	// Burst and Every are each box's token bucket: Burst requests at
	// once, then one per Every.
	Burst int
	Every time.Duration
	// NoncesPerKey bounds the nonces one box has remembered at once
	// (platformapi.DefaultNoncesPerKey); the bucket keeps a box well
	// below it.
	NoncesPerKey int

	mu sync.Mutex
	// lastPrune is when pending boxes were last pruned (by this
	// process: another replica's pruning only means less to prune).
	lastPrune time.Time

	// FlushEvery is how often heartbeats are written to the store.
	FlushEvery time.Duration
	hbMu       sync.Mutex
	hbs        map[string]heartbeat // box id → latest unwritten heartbeat
	flushing   map[string]heartbeat // those being written by Flush
	// flushed is the last batch Flush wrote: a page that read the store
	// just before that commit and asks Fresh after it finds it here.
	flushed   map[string]heartbeat
	flusher   sync.Once
	closeOnce sync.Once
	stop      chan struct{}
	stopped   chan struct{}
}

// Kinds of the box API's buckets in the store's Guard.
const (
	bucketBox    = "box"          // by box key: each box's requests
	bucketNewBox = "new-box-addr" // by client address: new pending boxes
)

// New returns a Server with the default limits.
func New(st store.Store, now func() time.Time, log *slog.Logger) *Server {
	return &Server{Store: st, Now: now, Log: log, MaxPending: DefaultMaxPending, PendingTTL: DefaultPendingTTL,
		NewPerAddr: DefaultNewPerAddr, NewWindow: DefaultNewWindow, FlushEvery: DefaultFlushEvery,
		Burst: DefaultBurst, Every: DefaultEvery,
		stop: make(chan struct{}), stopped: make(chan struct{})}
}

// Register adds the API's routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc(platformapi.PathPoll, s.poll)
	mux.HandleFunc(platformapi.PathJobUpdate, s.jobUpdate)
}

// Handler returns the API alone.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Register(mux)
	return mux
}

// apiError is a refusal: the HTTP status and the body.
type apiError struct {
	status int
	body   platformapi.Error
}

func (e *apiError) Error() string { return e.body.Error() }

func refuse(status int, code, format string, args ...any) *apiError {
	return &apiError{status, platformapi.Error{Code: code, Message: fmt.Sprintf(format, args...)}}
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, key string, err error) {
	var ae *apiError
	switch {
	case errors.Is(err, store.ErrUnavailable):
		// Nothing was done: the box tries again after its backoff.
		s.Log.Error("box api: database unavailable", "path", r.URL.Path, "remote", r.RemoteAddr, "box_key", key, "err", err)
		ae = &apiError{http.StatusServiceUnavailable, platformapi.Error{Code: platformapi.ErrInternal,
			Message: "the platform's database is unavailable; try again shortly"}}
	case !errors.As(err, &ae):
		s.Log.Error("box api: internal error", "path", r.URL.Path, "remote", r.RemoteAddr, "box_key", key, "err", err)
		ae = refuse(http.StatusInternalServerError, platformapi.ErrInternal, "internal error; try again later")
	default:
		s.Log.Warn("box api: refused", "path", r.URL.Path, "remote", r.RemoteAddr, "box_key", key,
			"status", ae.status, "code", ae.body.Code, "reason", ae.body.Message)
	}
	if ae.body.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.body.RetryAfterSeconds))
	}
	writeJSON(w, ae.status, ae.body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// authenticate reads the body (at most MaxBody), verifies the signature
// and the time, finds the key's box (creating a pending one when create is
// set and the limits allow; refusing an unknown key otherwise), takes a
// token from the box's bucket and only then records the nonce.
func (s *Server) authenticate(r *http.Request, create bool) (key string, b store.Box, body []byte, err error) {
	if r.Method != http.MethodPost {
		return "", b, nil, refuse(http.StatusMethodNotAllowed, platformapi.ErrBadRequest, "method %s; the box API takes POST only", r.Method)
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, platformapi.MaxBody+1))
	if err != nil {
		return "", b, nil, refuse(http.StatusBadRequest, platformapi.ErrBadRequest, "reading the body: %v", err)
	}
	if len(body) > platformapi.MaxBody {
		return "", b, nil, refuse(http.StatusRequestEntityTooLarge, platformapi.ErrBadRequest, "body larger than %d bytes", platformapi.MaxBody)
	}
	now := s.Now()
	sg, err := platformapi.VerifySignature(r, body, now)
	if err != nil {
		return "", b, nil, verifyError(err)
	}
	key = sg.KeyText
	if b, err = s.find(r, sg, create, now); err != nil {
		return key, b, nil, err
	}
	wait, ok, err := s.Store.Take(bucketBox, key, now, s.Burst, s.Every)
	if err != nil {
		return key, b, nil, fmt.Errorf("rate limit of box %s: %w", b.ID, err)
	}
	if !ok {
		return key, b, nil, &apiError{http.StatusTooManyRequests, *platformapi.RateLimited(wait,
			"more than %d requests at once or one per %s from this box; slow down", s.Burst, s.Every)}
	}
	// The nonce is remembered until the request's time leaves the skew
	// window: a replay inside it is caught by its nonce, one after it by
	// its time.
	err = s.Store.UseNonce(key, strings.ToLower(sg.Nonce), sg.At.Add(platformapi.SkewWindow), now, s.NoncesPerKey)
	switch {
	case errors.Is(err, store.ErrExists):
		return key, b, nil, &apiError{http.StatusUnauthorized, platformapi.Error{Code: platformapi.ErrReplay, Message: "this request was already received (nonce reused)"}}
	case errors.Is(err, store.ErrFull):
		return key, b, nil, &apiError{http.StatusTooManyRequests, *platformapi.RateLimited(s.Every,
			"this box sent more requests in the last %s than the platform remembers; slow down", 2*platformapi.SkewWindow)}
	case err != nil:
		return key, b, nil, fmt.Errorf("record the nonce of box %s: %w", b.ID, err)
	}
	return key, b, body, nil
}

// verifyError turns a platformapi refusal into its HTTP answer.
func verifyError(err error) error {
	var pe *platformapi.Error
	if !errors.As(err, &pe) {
		return refuse(http.StatusUnauthorized, platformapi.ErrBadSignature, "%v", err)
	}
	if pe.Code == platformapi.ErrRateLimited {
		return &apiError{http.StatusTooManyRequests, *pe}
	}
	return &apiError{http.StatusUnauthorized, *pe}
}

func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return refuse(http.StatusBadRequest, platformapi.ErrBadRequest, "body is not a valid JSON request: %v", err)
	}
	return nil
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// allowNew counts a new pending box from addr against its bucket:
// NewPerAddr at once, then NewPerAddr per NewWindow.
func (s *Server) allowNew(addr string, now time.Time) (bool, error) {
	per := max(1, s.NewPerAddr)
	_, ok, err := s.Store.Take(bucketNewBox, addr, now, per, s.NewWindow/time.Duration(per))
	if err != nil {
		return false, fmt.Errorf("new box rate limit of %s: %w", addr, err)
	}
	return ok, nil
}

// clip bounds what a box reports for display, at a character boundary
// (a cut in the middle of one would store invalid UTF-8).
func clip(s string) string { return platformapi.ClipText(s, platformapi.MaxReportLen) }

func clipList(l []string) []string {
	if len(l) > 16 {
		l = l[:16]
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = clip(s)
	}
	return out
}

func (s *Server) poll(w http.ResponseWriter, r *http.Request) {
	key, b, body, err := s.authenticate(r, true)
	if err != nil {
		s.fail(w, r, key, err)
		return
	}
	var req platformapi.PollRequest
	if err := decode(body, &req); err != nil {
		s.fail(w, r, key, err)
		return
	}
	now := s.Now()
	hb := heartbeat{LANv4: clipList(req.LANv4), LANv6: clipList(req.LANv6), Board: clip(req.Board),
		Versions: platformapi.Versions{Scanner: clip(req.Versions.Scanner), Signatures: clip(req.Versions.Signatures), Update: clip(req.Versions.Update)},
		Capacity: req.Capacity, SettingsVersion: req.SettingsVersion, SettingsError: clip(req.SettingsError),
		PollFailures: max(0, req.PollFailures), PollError: clip(req.PollError), RemoteAddr: clientAddr(r), At: now}
	if rb := req.Rollback; rb != nil {
		hb.Rollback = &platformapi.NetworkRollback{At: rb.At.UTC(), Source: clip(rb.Source), SettingsVersion: max(0, rb.SettingsVersion),
			Reason: platformapi.ClipText(rb.Reason, platformapi.MaxRollbackReason)}
	}
	if hb.PollFailures > 0 && hb.PollError == "" {
		hb.PollError = "(the box gave no reason)"
	}
	var jobs []store.Job
	if b.State == store.BoxActive {
		err = s.Store.View(func(tx store.Tx) error {
			var err error
			jobs, err = tx.JobsOf(b.ID)
			return err
		})
		if err != nil {
			s.fail(w, r, key, err)
			return
		}
	}
	// The heartbeat is written behind (see heartbeat.go): the answer
	// depends only on what the manager set and on this request.
	s.record(b.ID, hb)
	hb.applyTo(&b)
	resp := platformapi.PollResponse{State: platformapi.StateUnactivated, PollIntervalSeconds: int(platformapi.ActivationPollInterval / time.Second), Time: s.Now().UTC()}
	if b.State == store.BoxActive {
		resp.State = platformapi.StateActive
		resp.Name = b.Name
		if b.Settings.PollIntervalSeconds > 0 {
			resp.PollIntervalSeconds = b.Settings.PollIntervalSeconds
		}
		if b.Settings.Version > req.SettingsVersion {
			st := b.Settings
			resp.Settings = &st
		}
		for _, j := range jobs {
			if j.State == store.JobPending {
				resp.Jobs = append(resp.Jobs, platformapi.Job{ID: j.ID, Targets: j.Targets, Ports: j.Ports, VLAN: j.VLAN, ChecksOff: j.ChecksOff, Created: j.Created})
			}
		}
		if s.Updates != nil {
			resp.Updates = s.Updates(b)
		}
	}
	s.fit(b.ID, &resp)
	writeJSON(w, http.StatusOK, resp)
}

// fit keeps a poll answer within what the box reads. What the web UI
// stores is within platformapi's limits, under which an answer cannot be
// too large (platformapi.MaxPollResponse); this is the guard for what
// does not come from there (records written before the limits, an
// update notice): jobs beyond the limits are not sent, and an answer
// still too large loses its settings (within the limits they cannot make
// it so), then jobs, rather than lock the box out. Each cut is logged.
func (s *Server) fit(boxID string, resp *platformapi.PollResponse) {
	updates := resp.Updates[:0]
	for _, n := range resp.Updates {
		if err := platformapi.CheckUpdate(n); err != nil || len(updates) == platformapi.MaxUpdates {
			s.Log.Error("box api: update notice not sent", "box", boxID, "kind", platformapi.ClipText(n.Kind, 16), "err", err)
			continue
		}
		updates = append(updates, n)
	}
	resp.Updates = updates
	jobs := resp.Jobs[:0]
	for _, j := range resp.Jobs {
		if err := platformapi.CheckJob(j); err != nil {
			s.Log.Error("box api: job beyond the limits not sent", "box", boxID, "job", platformapi.ClipText(j.ID, 64), "err", err)
			continue
		}
		if len(jobs) == platformapi.MaxPendingJobs {
			break
		}
		jobs = append(jobs, j)
	}
	resp.Jobs = jobs
	for {
		data, err := json.Marshal(resp)
		if err == nil && len(data) < platformapi.MaxPollResponse {
			return
		}
		switch {
		case resp.Settings != nil:
			resp.Settings = nil
		case len(resp.Jobs) > 0:
			resp.Jobs = resp.Jobs[:len(resp.Jobs)-1]
		default:
			s.Log.Error("box api: poll answer too large even bare", "box", boxID, "bytes", len(data), "err", err)
			return
		}
		s.Log.Error("box api: poll answer over the box's limit; cut", "box", boxID, "bytes", len(data), "limit", platformapi.MaxPollResponse, "err", err)
	}
}

// find returns the box of the verified request sg. An unknown key is
// refused unless create is set; then it becomes a pending box when the
// client address's window and the pending cap allow.
func (s *Server) find(r *http.Request, sg platformapi.Signed, create bool, now time.Time) (store.Box, error) {
	var b store.Box
	key := sg.KeyText
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		b, err = tx.BoxByKey(key)
		return err
	})
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return b, err
	}
	if !create {
		return b, refuse(http.StatusForbidden, platformapi.ErrNotActivated, "this box is not activated; it has no jobs")
	}
	addr := clientAddr(r)
	if ok, err := s.allowNew(addr, now); err != nil {
		return b, err
	} else if !ok {
		return b, &apiError{http.StatusTooManyRequests, *platformapi.RateLimited(s.NewWindow,
			"too many new boxes from %s (at most %d per %s); poll again later", addr, s.NewPerAddr, s.NewWindow)}
	}
	err = s.Store.Update(func(tx store.Tx) error {
		var err error
		if b, err = tx.BoxByKey(key); err == nil {
			return nil // created meanwhile by a concurrent poll
		}
		// The cap holds on every request: pruning (at most once a
		// minute) may make room, but a request that finds the cap
		// reached and no room is refused whether or not it pruned.
		n, err := tx.PendingCount()
		if err != nil {
			return err
		}
		if n >= s.MaxPending && s.mayPrune(now) {
			if err := s.prunePending(tx, now); err != nil {
				return err
			}
			if n, err = tx.PendingCount(); err != nil {
				return err
			}
		}
		if n >= s.MaxPending {
			return &apiError{http.StatusTooManyRequests, *platformapi.RateLimited(platformapi.ActivationPollInterval,
				"the platform holds %d boxes waiting for activation, its limit; poll again later", n)}
		}
		b = store.Box{ID: store.BoxID(sg.Key), Key: key, Code: platformapi.ActivationCode(sg.Key), State: store.BoxPending,
			PollIntervalSeconds: int(platformapi.DefaultPollInterval / time.Second), FirstSeen: now, LastSeen: now}
		if err := tx.PutBox(b); err != nil {
			return fmt.Errorf("record pending box: %w", err)
		}
		s.Log.Info("box api: new pending box", "box", b.ID, "remote", addr)
		return nil
	})
	return b, err
}

// mayPrune allows one pass over all boxes per minute at most: pruning
// reads every box, and a flood of new keys at the cap must not make every
// request do that.
func (s *Server) mayPrune(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.lastPrune.IsZero() && now.Sub(s.lastPrune) < time.Minute {
		return false
	}
	s.lastPrune = now
	return true
}

// prunePending deletes pending boxes not seen for PendingTTL.
func (s *Server) prunePending(tx store.Tx, now time.Time) error {
	boxes, err := tx.Boxes()
	if err != nil {
		return err
	}
	for _, b := range boxes {
		if b.State == store.BoxPending && now.Sub(b.LastSeen) > s.PendingTTL {
			if err := tx.DeleteBox(b.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

var jobStates = map[string]bool{
	platformapi.JobAccepted: true, platformapi.JobRunning: true, platformapi.JobDone: true,
	platformapi.JobFailed: true, platformapi.JobCanceled: true,
}

// Final reports whether a job state is terminal.
func Final(state string) bool {
	return state == platformapi.JobDone || state == platformapi.JobFailed || state == platformapi.JobCanceled
}

func (s *Server) jobUpdate(w http.ResponseWriter, r *http.Request) {
	key, _, body, err := s.authenticate(r, false)
	if err != nil {
		s.fail(w, r, key, err)
		return
	}
	if len(body) > platformapi.MaxJobUpdate {
		s.fail(w, r, key, refuse(http.StatusRequestEntityTooLarge, platformapi.ErrBadRequest,
			"job update of %d bytes; at most %d (split the hosts over more updates)", len(body), platformapi.MaxJobUpdate))
		return
	}
	var u platformapi.JobUpdate
	if err := decode(body, &u); err != nil {
		s.fail(w, r, key, err)
		return
	}
	switch {
	case u.UploadID == "" || len(u.UploadID) > 128:
		err = refuse(http.StatusBadRequest, platformapi.ErrBadRequest, "upload_id is required, at most 128 characters")
	case u.JobID == "" || len(u.JobID) > platformapi.MaxJobIDLen:
		err = refuse(http.StatusBadRequest, platformapi.ErrBadRequest, "job_id is required, at most %d characters", platformapi.MaxJobIDLen)
	case !jobStates[u.State]:
		err = refuse(http.StatusBadRequest, platformapi.ErrBadRequest, "state %q; allowed: accepted, running, done, failed, canceled", clip(u.State))
	}
	var cut cuts
	if err == nil {
		cut, err = checkResults(&u)
	}
	if err != nil {
		s.fail(w, r, key, err)
		return
	}
	now := s.Now()
	var resp platformapi.JobUpdateResponse
	err = s.Store.Update(func(tx store.Tx) error {
		resp = platformapi.JobUpdateResponse{}
		b, err := tx.BoxByKey(key)
		if errors.Is(err, store.ErrNotFound) || err == nil && b.State != store.BoxActive {
			return refuse(http.StatusForbidden, platformapi.ErrNotActivated, "this box is not activated; it has no jobs")
		}
		if err != nil {
			return err
		}
		if up, err := tx.Upload(b.ID, u.UploadID); err == nil {
			if up.JobID != u.JobID {
				return refuse(http.StatusConflict, platformapi.ErrBadRequest, "upload id %q was already used for another job", u.UploadID)
			}
			resp.Duplicate = true
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		j, err := tx.Job(u.JobID)
		if errors.Is(err, store.ErrNotFound) {
			return refuse(http.StatusNotFound, platformapi.ErrBadRequest, "no job %q", u.JobID)
		}
		if err != nil {
			return err
		}
		if j.BoxID != b.ID {
			return refuse(http.StatusForbidden, platformapi.ErrForbidden, "job %q is not this box's", u.JobID)
		}
		if j.CanceledBy != "" {
			// A person canceled it: the box hears so and stops; what it
			// reports of the job is not recorded.
			resp.Canceled = true
			return nil
		}
		if Final(j.State) {
			return refuse(http.StatusConflict, platformapi.ErrBadRequest, "job %q is already %s; no further updates", j.ID, j.State)
		}
		if len(u.Hosts) > 0 {
			// Past the job's limits the hosts that fit are kept and the
			// job is marked truncated; the update is recorded all the
			// same (its state and summary matter, and a box that heard
			// an error would only retry the same batch).
			j, err = tx.AppendHosts(j.ID, u.Hosts)
			if errors.Is(err, store.ErrJobFull) {
				s.Log.Warn("box api: job results over the limit; hosts refused", "box", b.ID, "job", j.ID, "err", err)
			} else if err != nil {
				return err
			}
		}
		if u.Progress != nil {
			j.Progress = u.Progress
		}
		if u.Summary != nil {
			j.Summary = u.Summary
		}
		j.State, j.Error, j.Updated = u.State, clip(u.Error), now
		j.FindingsDropped += cut.dropped
		j.FindingTextsCut += cut.texts
		if len(u.Result) > 0 {
			j.Result = u.Result
		}
		if err := tx.PutJob(j); err != nil {
			return err
		}
		if u.State == platformapi.JobDone {
			if err := trackFindings(tx, j); err != nil {
				return err
			}
		}
		b.LastSeen = now
		if err := tx.PutBox(b); err != nil {
			return err
		}
		return tx.PutUpload(store.Upload{BoxID: b.ID, UploadID: u.UploadID, JobID: j.ID, State: u.State, Time: now})
	})
	if err != nil {
		s.fail(w, r, key, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// trackFindings makes the first-seen and fixed record of job j, just
// done, against the previous done job of the same targets (see package
// findings for the rules).
func trackFindings(tx store.Tx, j store.Job) error {
	var prev *findings.Tracking
	p, err := store.PreviousTracking(tx, j)
	switch {
	case err == nil:
		prev = &p
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("findings of job %s: %w", j.ID, err)
	}
	tr := findings.NewTracker(prev, j.ID, j.Updated, j.ChecksOff)
	if err := tx.EachHost(j.ID, 0, func(h result.Host) error { tr.Add(h); return nil }); err != nil {
		return fmt.Errorf("findings of job %s: %w", j.ID, err)
	}
	return tx.PutTracking(tr.Done())
}
