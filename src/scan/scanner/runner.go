package scanner

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/scan/sigdb"
	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/scan/targets"
)

// Uploader queues job updates for the platform durably (platformlink's
// Link.Enqueue).
type Uploader interface {
	Enqueue(u platformapi.JobUpdate) error
}

// Env is what a job needs of the box's network when it starts.
type Env struct {
	// VLAN is the job's scanning VLAN (0: the LAN).
	VLAN int
	// Iface is the interface the job's packets leave through: the LAN's
	// device, or the scanning VLAN's 802.1Q link, which tags them.
	Iface string
	// Source, when valid, is the address service detection binds to.
	Source netip.Addr
	// Subnets, on a scanning VLAN, are the VLAN's subnets: the platform
	// gives a scanning VLAN no gateway, so a target on none of them
	// cannot be reached through it and the job is refused.
	Subnets []netip.Prefix
	// Management are the management path's addresses (platform, proxy,
	// DNS): they get no packet unless they are targets.
	Management []netip.Addr
	// Resolver resolves hostname targets (the LAN's DNS servers).
	Resolver targets.Resolver
	// NoIPv4 and NoIPv6 say why that family is not scanned on the job's
	// interface ("" when it is): IPv6 scanning is the platform's setting,
	// IPv4 is off in IPv6-only mode. Targets of it are refused.
	NoIPv4, NoIPv6 string
}

// RunnerConfig is what a Runner needs.
type RunnerConfig struct {
	Uploader Uploader
	// Env describes the network at the start of each job, for the job's
	// VLAN (platformapi.Job.VLAN; 0 the LAN): NetEnv on a box.
	Env func(ctx context.Context, vlan int) (Env, error)
	// Rate caps each job's probes per second (default 10000).
	Rate int
	// ProgressEvery is how often a running job reports its progress and
	// the hosts finished since (default 10 s).
	ProgressEvery time.Duration
	// Connect forces TCP connect scans (no raw socket).
	Connect bool
	// Root is the directory /proc is read under ("/" on a box).
	Root  string
	Clock clock.Clock
	Log   *slog.Logger
	Rand  io.Reader
	// Scan runs one scan; nil means Scan. Tests simulate the engine.
	Scan func(ctx context.Context, cfg Config) ([]result.Host, Summary, error)
	// Services makes a job's service detection for its network and the
	// check classes it switched off; nil means NewServices.
	Services func(Env, []result.CheckClass) (ServiceDetector, error)
	// Signatures holds the signature database in force (nil: none, no
	// checks): a job takes it once at its start and runs on that one to
	// its end, while an install (scanapi) swaps in a newer one for the
	// next.
	Signatures *sigpkg.Store[*sigdb.DB]
}

// Runner runs the platform's scan jobs one at a time: it checks a job's
// targets and ports, scans, reports progress and uploads finished hosts
// in batches through the Uploader, and ends with a done, failed or
// canceled update carrying the rest and the summary. A job is canceled by
// the platform (Cancel) or before a network change (CancelScan, the
// network manager's hook through scanapi); the hosts found until then are
// uploaded. Its methods are safe for concurrent use.
type Runner struct {
	cfg RunnerConfig

	mu  sync.Mutex
	cur *job
	wg  sync.WaitGroup
}

type job struct {
	id       string
	cancel   context.CancelFunc
	done     chan struct{}
	progress Progress
	// byPlatform: a person canceled it on the platform, which records
	// nothing more of it.
	byPlatform bool
	reason     string
}

// NewRunner returns a runner.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	if cfg.Uploader == nil || cfg.Env == nil {
		return nil, errors.New("job runner: uploader and network environment are required")
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 10000
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 10 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Scan == nil {
		cfg.Scan = Scan
	}
	if cfg.Services == nil {
		cfg.Services = func(e Env, off []result.CheckClass) (ServiceDetector, error) {
			return NewServices(ServiceOptions{Iface: e.Iface, Source: e.Source, Clock: cfg.Clock, ChecksOff: off})
		}
	}
	return &Runner{cfg: cfg}, nil
}

// MaxJobs is how many jobs a Runner runs at once.
const MaxJobs = 1

// Capacity implements platformlink.JobRunner.
func (r *Runner) Capacity() (max, running int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil {
		running = 1
	}
	return MaxJobs, running
}

// State implements scanapi.Scanner.
func (r *Runner) State() scanapi.State {
	r.mu.Lock()
	cur := r.cur
	r.mu.Unlock()
	st := scanapi.State{MaxJobs: MaxJobs, Signatures: r.signatures()}
	if cur != nil {
		p := progressOf(cur.progress.Snapshot())
		st.Running, st.JobID, st.Progress = true, cur.id, &p
	}
	return st
}

func (r *Runner) signatures() *scanapi.Signatures {
	if r.cfg.Signatures == nil {
		return nil
	}
	db := r.cfg.Signatures.Current()
	if db == nil {
		return nil
	}
	return &scanapi.Signatures{Version: db.Header.Version, Created: db.Header.Created, Source: db.Source, MaxAgeDays: r.cfg.Signatures.MaxAgeDays()}
}

// InstallSignatures implements scanapi.SignatureInstaller: it verifies,
// compiles and puts in force a signed signature package (sigpkg.Store's
// Install); a running job keeps the database it started with.
func (r *Runner) InstallSignatures(pkg []byte) (scanapi.Signatures, error) {
	if r.cfg.Signatures == nil {
		return scanapi.Signatures{}, errors.New("install signatures: this scanner has no signature store")
	}
	if _, err := r.cfg.Signatures.Install(pkg); err != nil {
		return scanapi.Signatures{}, err
	}
	return *r.signatures(), nil
}

// Offer implements platformlink.JobRunner: it starts j unless a job runs.
// The job is accepted before Offer returns.
func (r *Runner) Offer(j platformapi.Job) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil {
		return false
	}
	// The one database this job runs on, whatever is installed meanwhile,
	// taken before Offer returns: the platform link hands the updater a
	// poll's notices after offering its jobs, so a job and a signature
	// update that come in one poll answer always run the job on the
	// database in force before the update.
	var db *sigdb.DB
	sigVersion := "none"
	if r.cfg.Signatures != nil {
		if sigs := r.cfg.Signatures.Current(); sigs != nil {
			db, sigVersion = sigs.Compiled, sigs.Header.Version
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cur := &job{id: j.ID, cancel: cancel, done: make(chan struct{})}
	r.cur = cur
	r.wg.Add(1)
	up := &uploads{r: r, job: cur}
	up.send(platformapi.JobUpdate{UploadID: j.ID + "/" + platformapi.JobAccepted, State: platformapi.JobAccepted})
	go func() {
		defer r.wg.Done()
		defer close(cur.done)
		defer cancel()
		r.run(ctx, j, cur, up, db, sigVersion)
		r.mu.Lock()
		r.cur = nil
		r.mu.Unlock()
	}()
	return true
}

// Cancel implements platformlink.JobRunner: the platform canceled jobID.
func (r *Runner) Cancel(jobID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil && r.cur.id == jobID {
		r.cur.byPlatform = true
		r.cur.cancel()
	}
}

// CancelScan implements scanapi.Scanner and netapi.ScanCanceler: it stops
// the running job, keeping its results for upload, and returns once the
// job has ended and its last update is queued.
func (r *Runner) CancelScan(ctx context.Context, reason string) (bool, error) {
	r.mu.Lock()
	cur := r.cur
	if cur != nil {
		cur.reason = reason
		cur.cancel()
	}
	r.mu.Unlock()
	if cur == nil {
		return false, nil
	}
	select {
	case <-cur.done:
		return true, nil
	case <-ctx.Done():
		return true, fmt.Errorf("scan %s still stopping: %w", cur.id, ctx.Err())
	}
}

// Wait waits for the running job to end (after its context is canceled
// by CancelScan or Cancel).
func (r *Runner) Wait() { r.wg.Wait() }

// run runs job j on the signature database db (nil: none) of version
// sigVersion.
func (r *Runner) run(ctx context.Context, j platformapi.Job, cur *job, up *uploads, db *sigdb.DB, sigVersion string) {
	log := r.cfg.Log.With("job", j.ID)
	started := r.cfg.Clock.Now()
	fail := func(err error) {
		log.Warn("job failed", "err", err)
		up.send(platformapi.JobUpdate{UploadID: j.ID + "/" + platformapi.JobFailed, State: platformapi.JobFailed, Error: platformapi.ClipText(err.Error(), platformapi.MaxReportLen)})
	}
	cur.progress.set(func(p *ProgressSnapshot) { p.Phase = platformapi.PhaseResolving })
	ports, err := targets.ParsePorts(j.Ports)
	if err != nil {
		fail(err)
		return
	}
	env, err := r.cfg.Env(ctx, j.VLAN)
	if err != nil {
		fail(fmt.Errorf("network: %w", err))
		return
	}
	set, err := targets.Parse(ctx, strings.Join(j.Targets, ","), targets.Options{Resolver: env.Resolver, Management: env.Management, NoIPv4: env.NoIPv4, NoIPv6: env.NoIPv6})
	if err != nil {
		fail(err)
		return
	}
	if env.VLAN != 0 {
		if a, ok := set.Outside(env.Subnets); ok {
			fail(fmt.Errorf("target %s is not on VLAN %d's subnet (%s): a scanning VLAN reaches only its own subnet", a, env.VLAN, prefixes(env.Subnets)))
			return
		}
	}
	off := make([]result.CheckClass, len(j.ChecksOff)) // platformapi.CheckJob validated them
	for i, c := range j.ChecksOff {
		off[i] = result.CheckClass(c)
	}
	sd, err := r.cfg.Services(env, off)
	if err != nil {
		fail(err)
		return
	}
	var key [16]byte
	if _, err := io.ReadFull(r.cfg.Rand, key[:]); err != nil {
		fail(fmt.Errorf("scan key: %w", err))
		return
	}
	log.Info("job started", "targets", set.Len(), "iface", env.Iface, "vlan", env.VLAN, "signatures", sigVersion)
	up.progress(cur.progress.Snapshot())

	// Finished hosts wait in batch until the next progress tick.
	var mu sync.Mutex
	var batch []result.Host
	sent := map[netip.Addr]bool{}
	tick := r.cfg.Clock.NewTicker(r.cfg.ProgressEvery)
	stopTick := make(chan struct{})
	tickDone := make(chan struct{})
	flush := func() {
		mu.Lock()
		b := batch
		batch = nil
		mu.Unlock()
		up.hosts(b, cur.progress.Snapshot(), platformapi.JobRunning, nil, "")
	}
	go func() {
		defer close(tickDone)
		for {
			select {
			case <-stopTick:
				return
			case <-tick.C():
				flush()
			}
		}
	}()
	hosts, sum, err := r.cfg.Scan(ctx, Config{
		Targets: set, Ports: ports, Iface: env.Iface, Rate: r.cfg.Rate, Retries: DefaultRetries,
		Connect: r.cfg.Connect, Key: key, Root: r.cfg.Root, Clock: r.cfg.Clock, Log: log,
		Services: sd, Progress: &cur.progress,
		Checks: db, ChecksOff: off, CheckHTTP: NewCheckHTTP(ServiceOptions{Iface: env.Iface, Source: env.Source}),
		HostDone: func(h result.Host) {
			mu.Lock()
			defer mu.Unlock()
			batch = append(batch, h)
			sent[h.Addr] = true
		},
	})
	close(stopTick)
	<-tickDone
	tick.Stop()
	r.mu.Lock()
	byPlatform, reason := cur.byPlatform, cur.reason
	r.mu.Unlock()
	if byPlatform {
		// The platform records nothing more of this job.
		log.Info("job canceled on the platform", "hosts_up", sum.Up)
		return
	}
	mu.Lock()
	rest := batch
	for _, h := range hosts {
		if h.Up && !sent[h.Addr] {
			rest = append(rest, h)
		}
	}
	mu.Unlock()
	state, msg := platformapi.JobDone, ""
	switch {
	case err != nil:
		state, msg = platformapi.JobFailed, platformapi.ClipText(err.Error(), platformapi.MaxReportLen)
	case sum.Cancelled:
		state, msg = platformapi.JobCanceled, platformapi.ClipText("canceled: "+reason, platformapi.MaxReportLen)
	}
	p := cur.progress.Snapshot()
	summary := &platformapi.ScanSummary{
		Started: started, Finished: r.cfg.Clock.Now(), Interface: env.Iface, Method: sum.Method,
		TargetsTotal: sum.Targets, HostsUp: sum.Up, OpenPorts: sum.Open, PacketsSent: sum.Sent,
		Signatures: sigVersion, Findings: sum.Findings,
	}
	log.Info("job ended", "state", state, "hosts_up", sum.Up, "open_ports", sum.Open, "err", err)
	up.hosts(rest, p, state, summary, msg)
}

func prefixes(ps []netip.Prefix) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, ", ")
}

func progressOf(s ProgressSnapshot) platformapi.JobProgress {
	return platformapi.JobProgress{
		Phase: s.Phase, TargetsTotal: s.TargetsTotal, TargetsDone: s.TargetsDone,
		HostsUp: s.HostsUp, OpenPorts: s.OpenPorts, PacketsSent: s.Sent,
	}
}

// uploads numbers a job's updates: each gets its own upload id, stable
// for its content, so a retried upload is recorded once.
type uploads struct {
	r   *Runner
	job *job
	mu  sync.Mutex
	seq int
}

func (u *uploads) send(up platformapi.JobUpdate) {
	up.JobID = u.job.id
	if up.UploadID == "" {
		u.mu.Lock()
		u.seq++
		up.UploadID = fmt.Sprintf("%s/u%d", u.job.id, u.seq)
		u.mu.Unlock()
	}
	if err := u.r.cfg.Uploader.Enqueue(up); err != nil {
		u.r.cfg.Log.Error("queue job update", "job", u.job.id, "upload", up.UploadID, "err", err)
	}
}

func (u *uploads) progress(s ProgressSnapshot) {
	p := progressOf(s)
	u.send(platformapi.JobUpdate{State: platformapi.JobRunning, Progress: &p})
}

// hosts sends hosts with progress, split over as many updates as keep
// each within platformapi.MaxJobUpdate; the last one has state (with
// summary and msg), the ones before it are running updates.
func (u *uploads) hosts(hosts []result.Host, s ProgressSnapshot, state string, summary *platformapi.ScanSummary, msg string) {
	p := progressOf(s)
	final := state != platformapi.JobRunning
	batches := SplitHosts(hosts, platformapi.MaxJobUpdate)
	for i, b := range batches {
		up := platformapi.JobUpdate{State: platformapi.JobRunning, Progress: &p, Hosts: b}
		if i == len(batches)-1 && final {
			up.State, up.Summary, up.Error = state, summary, msg
			up.UploadID = u.job.id + "/" + state
		}
		u.send(up)
	}
}

// envelope is room left in an update for everything but its hosts: ids,
// state, error, progress and summary.
const envelope = 8 << 10

// SplitHosts splits hosts into batches whose JobUpdate encodes within
// limit bytes; it returns at least one (maybe empty) batch. A host too
// large alone loses its services' banners and facts, then its services.
func SplitHosts(hosts []result.Host, limit int) [][]result.Host {
	room := limit - envelope
	var out [][]result.Host
	var cur []result.Host
	size := 0
	for _, h := range hosts {
		n := encodedSize(h)
		if n > room {
			h = shrink(h)
			n = encodedSize(h)
		}
		if len(cur) > 0 && size+n+1 > room {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, h)
		size += n + 1
	}
	return append(out, cur)
}

func encodedSize(h result.Host) int {
	b, err := json.Marshal(h)
	if err != nil {
		return 0
	}
	return len(b)
}

func shrink(h result.Host) result.Host {
	ports := make([]result.Port, len(h.Ports))
	copy(ports, h.Ports)
	for i := range ports {
		if sv := ports[i].Service; sv != nil {
			ports[i].Service = &result.Service{Name: sv.Name, Product: sv.Product, Version: sv.Version, Method: sv.Method}
		}
	}
	h.Ports = ports
	return h
}
