package platformlink

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/link/boxid"
	"picket.dev/picket/src/link/mgmthttp"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/update/updateapi"
)

// Backoff after failed polls.
const (
	BackoffMin = 5 * time.Second
	BackoffMax = 10 * time.Minute
	// MinPollInterval is the shortest interval the link accepts from the
	// platform (which enforces platformapi.MinPollInterval itself).
	MinPollInterval = time.Second
	// Jitter is the ± fraction applied to every wait.
	Jitter = 0.1
)

// SignaturesNone is the signatures version reported while the box has no
// signature database in force (or no scanner).
const SignaturesNone = "none"

// ScannerUnavailable is the error of the job updates sent while the box has
// no scan engine.
const ScannerUnavailable = "scanner not available"

// Interrupted is the error of a job that was running when the scanner
// stopped (a power cut, a crash, a restart): the hosts uploaded before
// stand; the job is not run again, since a rerun's batches would reuse
// the upload ids of the first run's and be taken for duplicates.
const Interrupted = "the scanner stopped while this job ran (restart or power cut); the results uploaded before stand — launch the job again for the rest"

// Config is what a Link needs.
type Config struct {
	// Platform is the platform's base URL, https://host[:port].
	Platform string
	// RootCAs holds only the pinned platform CA.
	RootCAs *x509.CertPool
	// Identity signs the requests.
	Identity *boxid.Identity
	// Manager is the network manager (netapi.Dial in scannerd). The link
	// asks it for the management path, proxy password included, so its
	// uid must be in the server's secret set (netmgrd -link-uid).
	Manager netapi.Manager
	// DataDir is where the link's state is kept (the data partition).
	DataDir string
	// Board and Version are reported to the platform.
	Board, Version string
	// Clock: nil means the real time.
	Clock clock.Clock
	// Rand returns a number in [0,1) for jitter; nil means math/rand/v2.
	Rand func() float64
	// Log: nil discards.
	Log *slog.Logger
	// MemInfo is the meminfo file; empty means /proc/meminfo.
	MemInfo string
	// RequestTimeout bounds one request; 0 means 30 s.
	RequestTimeout time.Duration
	// Dial opens the connections (platform, proxy, DNS); nil means the
	// kernel's sockets in the current network namespace.
	Dial DialFunc
	// Jobs runs the platform's scan jobs (the scan engine's job runner);
	// nil means there is no scanner: every job is answered "scanner not
	// available".
	Jobs JobRunner
	// Signatures is the signature database in force (scannerd's
	// sigpkg.Store): its version goes in every heartbeat, and the
	// platform's age limit is handed to it. nil: none (SignaturesNone).
	Signatures Signatures
	// Updater is updaterd (updateapi.Dial in scannerd): after each
	// successful poll the link hands it the management path, the
	// platform's time and the update notices; a failure is logged, never
	// fatal. Its state goes in the next heartbeat (Versions.Update). nil:
	// no updater (notices are logged once each).
	Updater Updater
}

// Updater takes the platform link's hand-over (updateapi.Client).
type Updater interface {
	Handover(ctx context.Context, l updateapi.Link) (updateapi.State, error)
}

// Signatures is the signature database as the link sees it.
type Signatures interface {
	// Version is the version in force, "" when there is none.
	Version() string
	// SetMaxAgeDays sets the age past which the database is stale (the
	// platform's setting; 0 or less: the default).
	SetMaxAgeDays(days int)
}

// JobRunner runs scan jobs. The link hands it the jobs the platform
// sends, tells it the jobs a person canceled, and reports its capacity
// in the heartbeat; the runner sends its job updates through
// Link.Enqueue.
type JobRunner interface {
	// Offer hands over a job the box has not answered yet. It returns
	// false when the runner is full: the job stays unanswered and the
	// platform sends it again with a later poll.
	Offer(j platformapi.Job) bool
	// Cancel stops a job the platform says was canceled.
	Cancel(jobID string)
	// Capacity is how many jobs the runner takes at once and how many
	// run now.
	Capacity() (max, running int)
}

// Link is the box's link to the platform. Run drives it.
type Link struct {
	cfg     Config
	base    *url.URL
	host    string
	clock   clock.Clock
	rand    func() float64
	log     *slog.Logger
	timeout time.Duration

	mu       sync.Mutex
	st       state
	client   *http.Client
	clientOf netapi.ManagementPath // the path client was built for
	path     netapi.ManagementPath // the last path the manager gave
	havePath bool
	lastNet  netapi.Status
	// stMu guards st against Enqueue, called from the job runner's
	// goroutines; the rest of st is written by Run's goroutine only.
	stMu sync.Mutex
	// kick asks Run to upload the pending job updates now.
	kick     chan struct{}
	failures int
	interval time.Duration
	link     netapi.PlatformLink
	updates  map[string]bool // update notices already logged
	// updState is the updater's state the last hand-over answered, for
	// the heartbeat; "" until one did.
	updState string
}

// New checks cfg and loads the link's state from the data partition.
func New(cfg Config) (*Link, error) {
	u, err := url.Parse(cfg.Platform)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("platform address %q: want https://host[:port]", cfg.Platform)
	}
	u.Path = ""
	if cfg.RootCAs == nil {
		return nil, errors.New("platform link: no platform CA given; it is the only root trusted for the platform")
	}
	if cfg.Identity == nil || cfg.Manager == nil || cfg.DataDir == "" {
		return nil, errors.New("platform link: identity, network manager and data directory are required")
	}
	l := &Link{
		cfg: cfg, base: u, host: u.Hostname(), clock: cfg.Clock, rand: cfg.Rand, log: cfg.Log,
		timeout: cfg.RequestTimeout, interval: platformapi.DefaultPollInterval,
		updates: map[string]bool{}, kick: make(chan struct{}, 1),
	}
	if l.clock == nil {
		l.clock = clock.System{}
	}
	if l.rand == nil {
		l.rand = mrand.Float64
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.timeout == 0 {
		l.timeout = 30 * time.Second
	}
	if l.cfg.Dial == nil {
		l.cfg.Dial = mgmthttp.NetDial
	}
	if l.cfg.MemInfo == "" {
		l.cfg.MemInfo = "/proc/meminfo"
	}
	l.st, err = loadState(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if s := l.st.PollIntervalSeconds; s > 0 {
		l.interval = clampInterval(s)
	}
	if ids := l.st.interrupted(); len(ids) > 0 {
		for _, id := range ids {
			l.log.Warn("job interrupted by a restart; reported failed", "job", id)
			l.st.Pending = append(l.st.Pending, platformapi.JobUpdate{
				UploadID: id + "/" + platformapi.JobFailed, JobID: id, State: platformapi.JobFailed, Error: Interrupted})
		}
		if err := saveState(cfg.DataDir, l.st); err != nil {
			return nil, err
		}
	}
	if cfg.Signatures != nil {
		cfg.Signatures.SetMaxAgeDays(platformapi.SignaturesMaxAge(l.st.SignaturesMaxAgeDays))
	}
	l.link = netapi.PlatformLink{State: netapi.LinkContacting}
	return l, nil
}

// Run polls until ctx is done. It returns nil when ctx is done.
func (l *Link) Run(ctx context.Context) error {
	l.report(ctx)
	for {
		wait := l.cycle(ctx)
		next := l.clock.After(wait)
	waiting:
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-next:
				break waiting
			case <-l.kick:
				// A job update was queued: upload it now rather than
				// at the next poll, once a poll has given the path.
				if l.havePath {
					l.flushJobs(ctx)
				}
			}
		}
	}
}

// Enqueue queues a job update for upload and stores the queue before it
// returns, so the update survives a restart; it is uploaded at once (and
// retried every round until the platform acknowledges it). A progress
// update (running, no hosts, no summary) replaces the job's earlier one
// still waiting, so a link that is down does not pile them up.
func (l *Link) Enqueue(u platformapi.JobUpdate) error {
	if u.UploadID == "" || u.JobID == "" {
		return errors.New("job update: upload id and job id are required")
	}
	l.stMu.Lock()
	if l.st.known(u.UploadID) {
		l.stMu.Unlock()
		return nil
	}
	if progressOnly(u) {
		l.st.Pending = slices.DeleteFunc(l.st.Pending, func(p platformapi.JobUpdate) bool {
			return p.JobID == u.JobID && progressOnly(p)
		})
	}
	l.st.Pending = append(l.st.Pending, u)
	err := saveState(l.cfg.DataDir, l.st)
	l.stMu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
	return err
}

func progressOnly(u platformapi.JobUpdate) bool {
	return u.State == platformapi.JobRunning && len(u.Hosts) == 0 && u.Summary == nil && len(u.Result) == 0
}

// cycle is one round: poll, apply, queue and upload job updates, report.
// It returns how long to wait before the next round.
func (l *Link) cycle(ctx context.Context) time.Duration {
	resp, err := l.poll(ctx)
	if err != nil {
		l.failures++
		l.link.State = netapi.LinkCommFailure
		l.link.LastError = err.Error()
		l.log.Warn("poll failed", "failures", l.failures, "err", err)
		l.report(ctx)
		wait := l.backoff()
		var rl *rateLimited
		if errors.As(err, &rl) && rl.wait > wait {
			// The platform asked for more time (its per-box rate limit, or
			// its pending cap): at least that, within BackoffMax.
			wait = min(rl.wait, BackoffMax)
		}
		return wait
	}
	l.failures = 0
	l.link.LastPoll = l.clock.Now()
	l.link.LastError = ""
	switch resp.State {
	case platformapi.StateActive:
		l.link.State, l.link.Name, l.link.ActivationCode = netapi.LinkReady, resp.Name, ""
	default:
		l.link.State, l.link.Name, l.link.ActivationCode = netapi.LinkActivation, "", l.cfg.Identity.Code()
	}
	l.report(ctx)
	if resp.Settings != nil {
		l.applySettings(ctx, *resp.Settings)
	}
	switch {
	case resp.PollIntervalSeconds > 0:
		l.interval = clampInterval(resp.PollIntervalSeconds)
	case l.st.PollIntervalSeconds > 0:
		l.interval = clampInterval(l.st.PollIntervalSeconds)
	}
	for _, j := range resp.Jobs {
		l.queueJob(j)
	}
	l.handover(ctx, resp)
	l.flushJobs(ctx)
	return l.jitter(l.interval)
}

// handover gives the updater what this poll learnt: the path it went out
// by (proxy password included), the platform's time, the notices, and
// that this slot reached the platform. It is sent after every successful
// poll (it is small), so the updater's view is never older than a poll.
func (l *Link) handover(ctx context.Context, resp *platformapi.PollResponse) {
	if l.cfg.Updater == nil {
		for _, n := range resp.Updates {
			if !l.updates[n.Kind+"/"+n.Version] {
				l.updates[n.Kind+"/"+n.Version] = true
				l.log.Info("update notice not handed over: no updater configured", "kind", n.Kind, "version", n.Version)
			}
		}
		return
	}
	h := updateapi.Link{
		Path: l.path, Platform: l.base.String(), PlatformTime: resp.Time, PolledAt: l.clock.Now(),
		Updates: resp.Updates,
	}
	if l.cfg.Jobs != nil {
		_, running := l.cfg.Jobs.Capacity()
		h.ScanRunning = running > 0
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := l.cfg.Updater.Handover(ctx, h)
	if err != nil {
		l.log.Warn("hand-over to the updater", "err", err)
		return
	}
	l.updState = st.Summary()
}

func clampInterval(s int) time.Duration {
	d := time.Duration(s) * time.Second
	return min(max(d, MinPollInterval), platformapi.MaxPollInterval)
}

func (l *Link) jitter(d time.Duration) time.Duration {
	f := 1 - Jitter + 2*Jitter*l.rand()
	return time.Duration(float64(d) * f)
}

// backoff is the wait after l.failures failed polls in a row.
func (l *Link) backoff() time.Duration {
	ceil := min(BackoffMax, l.interval)
	d := ceil
	if n := l.failures - 1; n < 30 {
		d = min(time.Duration(float64(BackoffMin)*math.Pow(2, float64(n))), ceil)
	}
	return l.jitter(d)
}

// report tells the network manager the link's state, for the panel. A
// failure is logged only: the link works without the panel.
func (l *Link) report(ctx context.Context) {
	rep := l.link
	rep.Reported = l.clock.Now()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := l.cfg.Manager.ReportPlatform(ctx, rep); err != nil {
		l.log.Warn("report platform link state to the network manager", "err", err)
	}
}

// poll sends one signed poll and returns the platform's answer.
func (l *Link) poll(ctx context.Context) (*platformapi.PollResponse, error) {
	path, err := l.mgmtPath(ctx)
	if err != nil {
		return nil, err
	}
	st := l.netStatus(ctx)
	l.noteRollback(st)
	req := l.pollRequest(st)
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode poll: %w", err)
	}
	var resp platformapi.PollResponse
	if err := l.post(ctx, path, platformapi.PathPoll, body, &resp); err != nil {
		return nil, err
	}
	switch resp.State {
	case platformapi.StateActive, platformapi.StateUnactivated:
	default:
		return nil, fmt.Errorf("poll: platform answered state %q; want %q or %q", resp.State, platformapi.StateActive, platformapi.StateUnactivated)
	}
	return &resp, nil
}

// mgmtPath asks the network manager, before each poll, for the path
// management traffic takes (source, resolvers, proxy with its password),
// so a changed password is used from the next poll on. When the manager
// cannot be reached the last path it gave is used; a refusal (the link's
// uid is not in netmgrd's secret set) is an error the poll reports.
func (l *Link) mgmtPath(ctx context.Context) (netapi.ManagementPath, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := l.cfg.Manager.ManagementPath(ctx)
	if err == nil {
		l.path, l.havePath = p, true
		return p, nil
	}
	if !l.havePath || netapi.KindOf(err) == netapi.KindPermissionDenied {
		return netapi.ManagementPath{}, fmt.Errorf("management path from the network manager: %w", err)
	}
	l.log.Warn("management path from the network manager; using the last one", "err", err)
	return l.path, nil
}

// netStatus returns the network manager's status, or the last one known
// when it cannot be asked (the poll still goes out the way it went).
func (l *Link) netStatus(ctx context.Context) netapi.Status {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := l.cfg.Manager.Status(ctx)
	if err != nil {
		l.log.Warn("network status", "err", err)
		return l.lastNet
	}
	l.lastNet = st
	return st
}

// signaturesVersion is the heartbeat's signatures version.
func (l *Link) signaturesVersion() string {
	if l.cfg.Signatures == nil {
		return SignaturesNone
	}
	if v := l.cfg.Signatures.Version(); v != "" {
		return platformapi.ClipText(v, platformapi.MaxReportLen)
	}
	return SignaturesNone
}

func (l *Link) pollRequest(st netapi.Status) platformapi.PollRequest {
	req := platformapi.PollRequest{
		Board:           l.cfg.Board,
		Versions:        platformapi.Versions{Scanner: l.cfg.Version, Signatures: l.signaturesVersion(), Update: l.updState},
		Capacity:        platformapi.Capacity{CPUs: runtime.NumCPU(), MemoryMB: memoryMB(l.cfg.MemInfo)},
		SettingsVersion: l.st.SettingsVersion,
		SettingsError:   l.st.SettingsError,
		Rollback:        l.st.Rollback,
	}
	if l.cfg.Jobs != nil {
		req.Capacity.MaxScans, req.Capacity.RunningScans = l.cfg.Jobs.Capacity()
		req.Capacity.ScannerOnline = true
	}
	if l.failures > 0 {
		// The platform hears the request even when the box cannot use
		// the answer: it shows the box as failing, and why.
		req.PollFailures, req.PollError = l.failures, platformapi.ClipText(l.link.LastError, platformapi.MaxReportLen)
	}
	for _, ifc := range st.Interfaces {
		if ifc.Name != netapi.LAN {
			continue
		}
		for _, p := range ifc.IPv4.Addresses {
			req.LANv4 = append(req.LANv4, p.Addr().String())
		}
		for _, p := range ifc.IPv6.Addresses {
			req.LANv6 = append(req.LANv6, p.Addr().String())
		}
	}
	return req
}

// memoryMB reads MemTotal from meminfo; 0 when it cannot.
func memoryMB(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.Atoi(fields[1])
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}

// post sends a signed POST of body to path and decodes a 200 answer into
// out; any other answer is a *platformapi.Error when the platform said why.
func (l *Link) post(ctx context.Context, mp netapi.ManagementPath, path string, body []byte, out any) error {
	client := l.httpClient(mp)
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	u := l.base.JoinPath(path).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("request %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := platformapi.Sign(req, body, l.cfg.Identity.PrivateKey(), l.clock.Now()); err != nil {
		return fmt.Errorf("sign %s: %w", path, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", path, via(mp), unwrapURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, platformapi.MaxBody+1))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", path, err)
	}
	if len(data) > platformapi.MaxBody {
		return fmt.Errorf("%s: answer larger than %d bytes", path, platformapi.MaxBody)
	}
	if resp.StatusCode != http.StatusOK {
		var pe platformapi.Error
		err := fmt.Errorf("%s: platform answered HTTP %d", path, resp.StatusCode)
		if json.Unmarshal(data, &pe) == nil && pe.Code != "" {
			err = fmt.Errorf("%s: HTTP %d: %w", path, resp.StatusCode, &pe)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			err = &rateLimited{err: err, wait: retryAfter(resp.Header.Get("Retry-After"), l.clock.Now())}
		}
		return &statusError{resp.StatusCode, err}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: answer is not valid JSON: %w", path, err)
	}
	return nil
}

// statusError is an answer of the platform other than 200 OK.
type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// refusedForGood reports whether err is the platform's refusal of a job
// update that no retry can change: the job is not this box's (403), not
// there (404: a person deleted it) or already final (409). Such an update
// is dropped; retrying it would hold every later update behind it.
func refusedForGood(err error) bool {
	var se *statusError
	return errors.As(err, &se) && (se.status == http.StatusForbidden || se.status == http.StatusNotFound || se.status == http.StatusConflict)
}

func via(mp netapi.ManagementPath) string {
	if mp.Proxy.Enabled() {
		return "via proxy " + net.JoinHostPort(mp.Proxy.Host, strconv.Itoa(mp.Proxy.Port))
	}
	return "direct"
}

// unwrapURL drops *url.Error's "Post \"https://...\"" prefix, which the
// caller already says better.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// httpClient returns the client for the management path mp, building a
// new one when the source, the resolvers or the proxy (its password
// included) changed.
func (l *Link) httpClient(mp netapi.ManagementPath) *http.Client {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client != nil && mgmthttp.SamePath(mp, l.clientOf) {
		return l.client
	}
	if l.client != nil {
		l.client.CloseIdleConnections()
	}
	l.client = mgmthttp.New(mp, mgmthttp.Options{RootCAs: l.cfg.RootCAs, ServerName: l.host, Dial: l.cfg.Dial})
	l.clientOf = mp
	return l.client
}

// applySettings hands a newer settings version to the network manager.
func (l *Link) applySettings(ctx context.Context, s platformapi.Settings) {
	if s.Version <= l.st.SettingsVersion || s.Version == l.st.RefusedVersion {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, err := l.cfg.Manager.ApplyPlatform(ctx, s.Platform())
	if err != nil {
		switch netapi.KindOf(err) {
		case netapi.KindInvalidConfig, netapi.KindInvalidRequest, netapi.KindApplyFailed, netapi.KindNotApplicable:
			// Refused: retrying the same version would fail the same way.
			l.stMu.Lock()
			l.st.RefusedVersion, l.st.SettingsError = s.Version, fmt.Sprintf("settings version %d refused: %v", s.Version, err)
			l.stMu.Unlock()
			l.log.Warn("platform settings refused by the network manager", "version", s.Version, "err", err)
			l.persist()
		default:
			l.log.Warn("platform settings not applied; will retry", "version", s.Version, "err", err)
		}
		return
	}
	l.stMu.Lock()
	l.st.PrevSettingsVersion = l.st.SettingsVersion
	l.st.SettingsVersion, l.st.RefusedVersion, l.st.SettingsError = s.Version, 0, ""
	l.st.PollIntervalSeconds = s.PollIntervalSeconds
	l.st.SignaturesMaxAgeDays = s.SignaturesMaxAgeDays
	l.stMu.Unlock()
	if l.cfg.Signatures != nil {
		l.cfg.Signatures.SetMaxAgeDays(platformapi.SignaturesMaxAge(s.SignaturesMaxAgeDays))
	}
	l.log.Info("platform settings applied", "version", s.Version)
	l.persist()
}

// noteRollback takes in a rollback the network manager reports that the
// link has not seen: every poll reports it from then on, and when it
// undid the platform's settings, the version applied last is reported
// refused (with why) and not taken again, and the one before it applied.
// The settings that were applied with it and are not the network's (the
// name, the poll interval) stay.
func (l *Link) noteRollback(st netapi.Status) {
	rb := st.Rollback
	if rb == nil || rb.ID == l.st.SeenRollback {
		return
	}
	nr := &platformapi.NetworkRollback{At: rb.At, Source: rb.Source, Reason: platformapi.ClipText(rb.Reason, platformapi.MaxRollbackReason)}
	l.stMu.Lock()
	l.st.SeenRollback = rb.ID
	if rb.Source == netapi.SourcePlatform && l.st.SettingsVersion > 0 {
		v := l.st.SettingsVersion
		nr.SettingsVersion = v
		l.st.RefusedVersion, l.st.SettingsVersion = v, l.st.PrevSettingsVersion
		l.st.SettingsError = fmt.Sprintf("settings version %d rolled back by the box: %s", v, rb.Reason)
	}
	l.st.Rollback = nr
	l.stMu.Unlock()
	l.log.Warn("the network manager rolled back a network change; reporting it to the platform", "source", rb.Source, "settings_version", nr.SettingsVersion, "reason", rb.Reason)
	l.persist()
}

func (l *Link) persist() {
	l.stMu.Lock()
	defer l.stMu.Unlock()
	if err := saveState(l.cfg.DataDir, l.st); err != nil {
		l.log.Error("persist platform link state", "err", err)
	}
}

// AcceptedUploadID is the upload id of a job's first update from a job
// runner, "accepted": a job whose accepted update is queued or was
// acknowledged is not offered to the runner again.
func AcceptedUploadID(jobID string) string { return jobID + "/" + platformapi.JobAccepted }

// queueJob hands a job the box has not answered yet to the job runner;
// with none, the job fails at once.
func (l *Link) queueJob(j platformapi.Job) {
	if j.ID == "" {
		return
	}
	l.stMu.Lock()
	seen := l.st.known(AcceptedUploadID(j.ID)) || l.st.known(j.ID+"/"+platformapi.JobFailed)
	l.stMu.Unlock()
	if seen {
		return
	}
	if l.cfg.Jobs != nil {
		if !l.cfg.Jobs.Offer(j) {
			l.log.Info("job waits: the scanner is busy", "job", j.ID)
		}
		return
	}
	u := platformapi.JobUpdate{UploadID: j.ID + "/" + platformapi.JobFailed, JobID: j.ID, State: platformapi.JobFailed, Error: ScannerUnavailable}
	l.stMu.Lock()
	l.st.Pending = append(l.st.Pending, u)
	l.stMu.Unlock()
	l.log.Info("job refused: scanner not available", "job", j.ID)
	l.persist()
}

// flushJobs uploads the pending job updates in order, stopping at the
// first failure; they are retried next round.
func (l *Link) flushJobs(ctx context.Context) {
	for {
		l.stMu.Lock()
		if len(l.st.Pending) == 0 {
			l.stMu.Unlock()
			return
		}
		u := l.st.Pending[0]
		l.stMu.Unlock()
		body, err := json.Marshal(u)
		if err != nil {
			l.log.Error("encode job update", "upload", u.UploadID, "err", err)
			return
		}
		var resp platformapi.JobUpdateResponse
		err = l.post(ctx, l.path, platformapi.PathJobUpdate, body, &resp)
		switch {
		case refusedForGood(err):
			l.log.Warn("job update refused by the platform for good; dropped", "upload", u.UploadID, "err", err)
		case err != nil:
			l.log.Warn("job update upload failed; will retry", "upload", u.UploadID, "err", err)
			return
		case resp.Canceled:
			l.log.Info("job canceled on the platform; update not recorded", "upload", u.UploadID, "job", u.JobID)
			if l.cfg.Jobs != nil {
				l.cfg.Jobs.Cancel(u.JobID)
			}
			// The platform records nothing more of the job: its other
			// updates waiting are dropped.
			l.stMu.Lock()
			l.st.Pending = slices.DeleteFunc(l.st.Pending, func(p platformapi.JobUpdate) bool {
				return p.JobID == u.JobID && p.UploadID != u.UploadID
			})
			l.stMu.Unlock()
		default:
			l.log.Debug("job update uploaded", "upload", u.UploadID, "duplicate", resp.Duplicate)
		}
		l.stMu.Lock()
		l.st.ack(u.UploadID)
		l.stMu.Unlock()
		l.persist()
	}
}

// rateLimited is a 429 answer: the platform asks the box to wait.
type rateLimited struct {
	err  error
	wait time.Duration // from Retry-After; 0 when it gave none
}

func (e *rateLimited) Error() string { return e.err.Error() }
func (e *rateLimited) Unwrap() error { return e.err }

// retryAfter reads a Retry-After header (RFC 9110 section 10.2.3:
// delay-seconds or an HTTP date) at now; 0 when absent or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		switch {
		case s < 0:
			return 0
		case s > int64(platformapi.MaxPollInterval/time.Second):
			return platformapi.MaxPollInterval // the caller caps it lower; no overflow
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// DialFunc opens a connection from local (nil: the kernel's choice) to
// addr; tests inject one that dials inside a network namespace.
type DialFunc = mgmthttp.DialFunc
