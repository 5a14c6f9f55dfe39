// Package pid1 is the init of a Picket box: it supervises the daemons
// (start, restart with backoff, output into a ring log), marks the booted
// slot good once every daemon has stayed up for a while, and does the
// mounts, module loading and the clean reboot/poweroff sequence. The
// system calls only PID 1 may make (mount, reboot, sethostname,
// finit_module) go through the System interface so the rest is tested as
// an ordinary process; src/daemon/initd is the program around it.
package pid1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/privdrop"
)

// Service is one daemon the init runs.
type Service struct {
	Name string
	Path string
	// Args are the arguments after the program name.
	Args []string
	// Env is the daemon's environment; nil means DefaultEnv.
	Env []string
	// Console, when set, is a terminal device (e.g. /dev/ttyS0) the daemon
	// runs on as its controlling terminal, for stdin, stdout and stderr;
	// its output then goes to the terminal, not the log.
	Console string
	// StopLast marks a panel daemon (lcdd): on a power off it is told
	// first (initapi.PowerOffNotice), stopped after every other daemon
	// and after Config.BeforeHalt (init's unmount of the data
	// partition), and stopped with initapi.HaltedNotice instead of
	// SIGTERM, so that what the panel shows last is true. It must not
	// hold a file on the data partition open. On a reboot it is stopped
	// in its place like the others.
	StopLast bool
	// Creds are the uid, gid, groups and capabilities it runs with (and
	// no_new_privs; package privdrop); nil: root's, all of them.
	Creds *privdrop.Creds
	// Devices are given to Creds' uid before each start (and again
	// whenever the node is found to be someone else's: a USB adapter
	// plugged in late, or again).
	Devices []DeviceConfig
	// Nice, when not 0, is the daemon's nice value (-20 to 19), set as
	// it starts, for the process and for its session's autogroup (the
	// daemons run in sessions of their own, and with autogroups the
	// kernel shares the CPU between sessions first). The panel daemons
	// run at a negative one: the operator's screen and keys answer while
	// the others start, or while a scan keeps the CPU busy.
	Nice int
	// ReadySocket, if set, is a unix socket the daemon serves once it is
	// ready (listening after its start-up work); a service After it
	// starts then.
	ReadySocket string
	// After names earlier services with a ReadySocket: at boot this one
	// starts once each of them answers there (or was not ready within
	// Config.ReadyWait). On one slow CPU the daemons that need the
	// network (the platform link, the updater) would otherwise take the
	// network manager's start time, and the menu the operator opens
	// waits for the network manager. Restarts are not held back.
	After []string
	// WhenIdle: at boot, once the services it is After are ready, this
	// one waits for the CPU to have time to spare (half of it idle over
	// idleWindow, by Config.CPUTimes) before it starts, at most
	// Config.IdleWait; such services take their turns in the list's
	// order, one per idle moment. The daemons of the box's batch work
	// (scans, updates) take a second or more of CPU to start on a slow
	// one, and that second is the operator's: the console's first
	// menu and the network manager's first answers come first. Restarts
	// are not held back.
	WhenIdle bool
}

// DefaultEnv is the environment of a Service without its own.
var DefaultEnv = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}

// Config configures a Supervisor. Zero durations take the defaults below.
type Config struct {
	Services []Service
	Clock    clock.Clock
	// Log receives each output line of each daemon as
	// "<time> <name>: <line>\n", and the supervisor's own messages.
	Log io.Writer
	// MinBackoff is the delay before restarting a daemon that died;
	// each further death in a row doubles it, up to MaxBackoff. A daemon
	// that ran at least StablePeriod before dying starts again at
	// MinBackoff. Defaults 1 s and 60 s.
	MinBackoff, MaxBackoff time.Duration
	// StablePeriod is how long every daemon must have been running before
	// MarkGood is called (once). Default 30 s.
	StablePeriod time.Duration
	// StopTimeout is how long a daemon gets after SIGTERM before SIGKILL.
	// Default 10 s.
	StopTimeout time.Duration
	// MarkGood is called once all daemons have been up StablePeriod (and,
	// with AwaitVerdict, the verdict has come); nil means nothing to mark.
	MarkGood func() error
	// AwaitVerdict makes marking good wait for the updater's verdict
	// (Supervisor.Verdict) as well as the stable period: a slot on trial
	// with good_by "updater" is good only once it has reached the
	// platform, not merely because its daemons stay up.
	AwaitVerdict bool
	// ReapOrphans makes the supervisor reap every child of the process,
	// not only its daemons: PID 1 inherits all orphans and must wait for
	// them or they stay zombies. Leave it off in a process that has other
	// children (tests).
	ReapOrphans bool
	// Observe, if set, is told about each event (for tests and the
	// console).
	Observe func(Event)
	// BeforeHalt, if set, is called during a power off (Run's context
	// cancelled with ErrPowerOff as its cause) once every daemon but the
	// StopLast ones has stopped, and before those are told the box is
	// halted: init closes its log on the data partition, syncs and
	// unmounts it there.
	BeforeHalt func()
	// Proc, if set (/proc), is where each daemon's rights are read back
	// right after it started: a Rights event with the lines of its
	// status file (uid, gid, groups, capability sets, no_new_privs).
	Proc string
	// SlotDevice finds a DeviceConfig's slot partition (SlotDevices);
	// nil: a service that names a slot gets nothing.
	SlotDevice func(which string) (string, error)
	// Regrant is how often the devices of running daemons are checked
	// and given again if need be. Default 5 s.
	Regrant time.Duration
	// ReadyWait bounds how long a service After another waits for it: a
	// daemon that never gets ready (it fails, or its socket moved) does
	// not keep the others down. Default 20 s.
	ReadyWait time.Duration
	// CPUTimes returns the CPU time spent idle and in all since boot,
	// over every CPU (/proc/stat's first line: linuxsys.CPUTimes), for
	// WhenIdle services; nil: they start as if the CPU were idle.
	CPUTimes func() (idle, total time.Duration, err error)
	// IdleWait bounds a WhenIdle service's wait for the CPU to be idle:
	// a box kept busy still starts it. Default 10 s.
	IdleWait time.Duration
}

// ErrPowerOff, as the cause of the cancellation of Run's context
// (context.WithCancelCause), makes the stop a power off: the StopLast
// daemons are stopped last, after Config.BeforeHalt.
var ErrPowerOff = errors.New("power off")

// EventKind says what happened.
type EventKind int

const (
	Started EventKind = iota
	StartFailed
	Exited
	MarkedGood
	MarkGoodFailed
	Stopping
	Killed
	Stopped
	// Verdict is the updater's verdict that the slot is good; with
	// Config.AwaitVerdict the slot is then marked once it is stable.
	Verdict
	// Notified is a StopLast daemon told that the box is powering off
	// (initapi.PowerOffNotice).
	Notified
	// Halting is a StopLast daemon told that the box is halted
	// (initapi.HaltedNotice), the power off's Stopping.
	Halting
	// Rights are a started daemon's rights as /proc shows them
	// (Detail: privdrop.ReadStatus's lines joined by "; ").
	Rights
	// Granted is a device node given to a daemon (Detail), or not (Err).
	Granted
	// Ready is a daemon with a ReadySocket answering there for the
	// first time (Detail: how long after the supervisor's start), or not
	// within Config.ReadyWait (Err); the services After it start then.
	Ready
	// Turn is a WhenIdle service's turn to start: the CPU was idle
	// (Detail), or not within Config.IdleWait (Err).
	Turn
)

var eventNames = [...]string{"started", "start failed", "exited", "marked good", "mark good failed", "stopping", "killed", "stopped", "good verdict", "told the box is powering off", "told the box is halted", "rights", "device", "ready", "starts"}

func (k EventKind) String() string { return eventNames[k] }

// Event is one thing the supervisor did or saw.
type Event struct {
	Kind    EventKind
	Service string
	PID     int
	// Status is the exit status (Exited, Stopped).
	Status syscall.WaitStatus
	// Delay is the backoff before the next start (Exited, StartFailed).
	Delay time.Duration
	Err   error
	// Detail says more (Rights, Granted).
	Detail string
}

func (e Event) String() string {
	s := e.Kind.String()
	if e.Service != "" {
		s = e.Service + " " + s
	}
	if e.PID != 0 {
		s += fmt.Sprintf(" (pid %d)", e.PID)
	}
	if e.Kind == Exited || e.Kind == Stopped {
		s += ": " + describeStatus(e.Status)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Delay > 0 {
		s += fmt.Sprintf(", restarting in %v", e.Delay)
	}
	return s
}

func describeStatus(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("killed by %v", ws.Signal())
	}
	return fmt.Sprintf("wait status %#x", int(ws))
}

// Supervisor runs the daemons of a Config.
type Supervisor struct {
	cfg     Config
	sp      spawner
	verdict chan struct{}

	logMu sync.Mutex
}

// New checks cfg and fills in defaults.
func New(cfg Config) (*Supervisor, error) {
	if cfg.Clock == nil {
		return nil, errors.New("supervisor: no clock given")
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	seen := map[string]bool{}
	for _, s := range cfg.Services {
		if s.Name == "" || s.Path == "" {
			return nil, fmt.Errorf("supervisor: service %q at %q: want a name and a program path", s.Name, s.Path)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("supervisor: service %q listed twice", s.Name)
		}
		seen[s.Name] = true
	}
	if err := checkAfter(cfg.Services); err != nil {
		return nil, fmt.Errorf("supervisor: %w", err)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.MinBackoff, time.Second)
	def(&cfg.MaxBackoff, time.Minute)
	def(&cfg.StablePeriod, 30*time.Second)
	def(&cfg.StopTimeout, 10*time.Second)
	def(&cfg.Regrant, 5*time.Second)
	def(&cfg.ReadyWait, 20*time.Second)
	def(&cfg.IdleWait, 10*time.Second)
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	return &Supervisor{cfg: cfg, verdict: make(chan struct{}, 1)}, nil
}

// checkAfter checks that each service is After only services listed
// before it (so no two wait for each other) that have a ReadySocket,
// each once (Run counts the ready events a service still waits for).
func checkAfter(services []Service) error {
	for i, s := range services {
		for k, a := range s.After {
			j := slices.IndexFunc(services[:i], func(x Service) bool { return x.Name == a })
			switch {
			case slices.Contains(s.After[:k], a):
				return fmt.Errorf("service %q after %q twice", s.Name, a)
			case j < 0:
				return fmt.Errorf("service %q after %q: not a service listed before it", s.Name, a)
			case services[j].ReadySocket == "":
				return fmt.Errorf("service %q after %q: %q has no ready socket", s.Name, a, a)
			}
		}
	}
	return nil
}

// Verdict records the updater's verdict that the booted slot is good; it
// does not block. Without Config.AwaitVerdict it changes nothing.
func (s *Supervisor) Verdict() {
	select {
	case s.verdict <- struct{}{}:
	default:
	}
}

type svcState struct {
	pid      int
	started  time.Time
	failures int
	exited   <-chan syscall.WaitStatus
}

type exit struct {
	idx    int
	pid    int
	status syscall.WaitStatus
}

func (s *Supervisor) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.cfg.Log, "%s init: %s\n", s.cfg.Clock.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
}

func (s *Supervisor) event(e Event) {
	s.logf("%v", e)
	if s.cfg.Observe != nil {
		s.cfg.Observe(e)
	}
}

// backoff is the delay before start number failures+1 after failures
// deaths in a row.
func (s *Supervisor) backoff(failures int) time.Duration {
	d := s.cfg.MinBackoff
	for i := 1; i < failures && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxBackoff)
}

// Run starts every daemon and keeps them running until ctx is done; it
// then stops them in reverse order (SIGTERM to each daemon's process
// group, SIGKILL after StopTimeout) and returns once all have exited. When
// ctx's cause is ErrPowerOff the StopLast daemons are told first and
// stopped last (Service.StopLast).
func (s *Supervisor) Run(ctx context.Context) error {
	done := make(chan struct{})
	defer close(done)
	if s.cfg.ReapOrphans {
		r := newReaper(s.event)
		defer r.stop()
		s.sp = r
	} else {
		s.sp = perPID{}
	}

	exits := make(chan exit)
	restarts := make(chan int)
	stable := make(chan int)
	st := make([]svcState, len(s.cfg.Services))
	marked := s.cfg.MarkGood == nil
	stableGen := 0
	// stableNow: every daemon has been up StablePeriod since the last
	// start or death; verdict: the updater's verdict came (or none is
	// awaited).
	stableNow, verdict := false, !s.cfg.AwaitVerdict
	mark := func() {
		if marked || !stableNow || !verdict {
			return
		}
		marked = true
		if err := s.cfg.MarkGood(); err != nil {
			s.event(Event{Kind: MarkGoodFailed, Err: err})
		} else {
			s.event(Event{Kind: MarkedGood})
		}
	}

	after := func(d time.Duration, send func()) {
		c := s.cfg.Clock.After(d)
		go func() {
			select {
			case <-c:
				send()
			case <-done:
			}
		}()
	}
	scheduleRestart := func(i int) time.Duration {
		d := s.backoff(st[i].failures)
		after(d, func() {
			select {
			case restarts <- i:
			case <-done:
			}
		})
		return d
	}
	start := func(i int) {
		svc := s.cfg.Services[i]
		s.grant(svc, true)
		pid, exited, err := s.start(svc)
		if err != nil {
			st[i].failures++
			d := scheduleRestart(i)
			s.event(Event{Kind: StartFailed, Service: svc.Name, Err: err, Delay: d})
			return
		}
		st[i].pid, st[i].started, st[i].exited = pid, s.cfg.Clock.Now(), exited
		if svc.Nice != 0 {
			if err := renice(s.cfg.Proc, pid, svc.Nice); err != nil {
				s.logf("%s: %v", svc.Name, err)
			}
		}
		go func() {
			ws := <-exited
			select {
			case exits <- exit{i, pid, ws}:
			case <-done:
			}
		}()
		s.event(Event{Kind: Started, Service: svc.Name, PID: pid})
		if s.cfg.Proc != "" {
			// Once the daemon runs its own program (not while its
			// execve commits the credentials), without holding up the
			// next start.
			go func() {
				werr := privdrop.WaitRunning(s.cfg.Clock, s.cfg.Proc, pid, rightsWait)
				lines, err := privdrop.ReadStatus(s.cfg.Proc, pid)
				if err == nil {
					err = werr
				}
				s.event(Event{Kind: Rights, Service: svc.Name, PID: pid, Detail: strings.Join(lines, "; "), Err: err})
			}()
		}
	}
	var regrant <-chan time.Time
	scheduleRegrant := func() {
		for _, svc := range s.cfg.Services {
			if svc.Creds != nil && len(svc.Devices) > 0 {
				regrant = s.cfg.Clock.After(s.cfg.Regrant)
				return
			}
		}
	}
	scheduleStable := func() {
		stableGen++
		stableNow = false
		if marked {
			return
		}
		var latest time.Time
		for _, x := range st {
			if x.pid == 0 {
				return
			}
			if x.started.After(latest) {
				latest = x.started
			}
		}
		gen := stableGen
		after(latest.Add(s.cfg.StablePeriod).Sub(s.cfg.Clock.Now()), func() {
			select {
			case stable <- gen:
			case <-done:
			}
		})
	}

	// The first starts: a service After others waits for them (waiting
	// counts the ready events it still needs), the rest start now, in
	// order; a WhenIdle one then waits its turn in idleQueue, whose
	// first is watched for by awaitIdle.
	waiting := make([]int, len(s.cfg.Services))
	readyEvents := make(chan Event)
	var idleQueue []int
	turns := make(chan Event)
	launch := func(i int) {
		if !s.cfg.Services[i].WhenIdle || s.cfg.CPUTimes == nil {
			start(i)
			return
		}
		if idleQueue = append(idleQueue, i); len(idleQueue) == 1 {
			go s.awaitIdle(s.cfg.Services[i], done, turns)
		}
	}
	for i, svc := range s.cfg.Services {
		waiting[i] = len(svc.After)
		if waiting[i] == 0 {
			launch(i)
		}
		if svc.ReadySocket != "" && slices.ContainsFunc(s.cfg.Services, func(x Service) bool { return slices.Contains(x.After, svc.Name) }) {
			go s.awaitReady(svc, done, readyEvents)
		}
	}
	scheduleStable()
	scheduleRegrant()
	for {
		select {
		case e := <-readyEvents:
			s.event(e)
			for i, svc := range s.cfg.Services {
				if waiting[i] > 0 && slices.Contains(svc.After, e.Service) {
					if waiting[i]--; waiting[i] == 0 {
						launch(i)
						scheduleStable()
					}
				}
			}
		case e := <-turns:
			s.event(e)
			i := idleQueue[0]
			idleQueue = idleQueue[1:]
			start(i)
			scheduleStable()
			if len(idleQueue) > 0 {
				go s.awaitIdle(s.cfg.Services[idleQueue[0]], done, turns)
			}
		case <-regrant:
			for i, svc := range s.cfg.Services {
				if st[i].pid != 0 {
					s.grant(svc, false)
				}
			}
			scheduleRegrant()
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), ErrPowerOff) {
				s.powerOff(st, exits)
			} else {
				s.stopAll(st, exits, func(int) bool { return true }, syscall.SIGTERM, Stopping)
			}
			return nil
		case e := <-exits:
			x := &st[e.idx]
			if x.pid != e.pid {
				continue
			}
			if s.cfg.Clock.Now().Sub(x.started) >= s.cfg.StablePeriod {
				x.failures = 0
			}
			x.failures++
			x.pid = 0
			d := scheduleRestart(e.idx)
			s.event(Event{Kind: Exited, Service: s.cfg.Services[e.idx].Name, PID: e.pid, Status: e.status, Delay: d})
			scheduleStable()
		case i := <-restarts:
			if st[i].pid == 0 {
				start(i)
				scheduleStable()
			}
		case gen := <-stable:
			if gen != stableGen || marked {
				continue
			}
			stableNow = true
			mark()
		case <-s.verdict:
			if verdict {
				continue
			}
			verdict = true
			s.event(Event{Kind: Verdict})
			mark()
		}
	}
}

// powerOff stops the daemons for a power off: the StopLast ones are told
// the box is powering off, the others are stopped as for a reboot, then
// BeforeHalt runs, then the StopLast ones are told the box is halted and
// waited for (killed after StopTimeout, as any daemon).
func (s *Supervisor) powerOff(st []svcState, exits <-chan exit) {
	last := func(i int) bool { return s.cfg.Services[i].StopLast }
	for i := len(st) - 1; i >= 0; i-- {
		if x := &st[i]; x.pid != 0 && last(i) {
			s.event(Event{Kind: Notified, Service: s.cfg.Services[i].Name, PID: x.pid})
			syscall.Kill(-x.pid, initapi.PowerOffNotice)
		}
	}
	s.stopAll(st, exits, func(i int) bool { return !last(i) }, syscall.SIGTERM, Stopping)
	if s.cfg.BeforeHalt != nil {
		s.cfg.BeforeHalt()
	}
	s.stopAll(st, exits, last, initapi.HaltedNotice, Halting)
}

// stopAll stops the running daemons which, with sig (announced as an
// event of kind), last started service first, one at a time so a daemon can still use the ones it depends on
// while it shuts down.
func (s *Supervisor) stopAll(st []svcState, exits <-chan exit, which func(int) bool, sig syscall.Signal, kind EventKind) {
	for i := len(st) - 1; i >= 0; i-- {
		x := &st[i]
		if x.pid == 0 || !which(i) {
			continue
		}
		name := s.cfg.Services[i].Name
		s.event(Event{Kind: kind, Service: name, PID: x.pid})
		syscall.Kill(-x.pid, sig)
		timeout := s.cfg.Clock.After(s.cfg.StopTimeout)
	wait:
		for {
			select {
			case e := <-exits:
				// Any daemon may exit now; note it so it is not stopped again.
				if st[e.idx].pid == e.pid {
					st[e.idx].pid = 0
					if e.idx != i {
						s.event(Event{Kind: Exited, Service: s.cfg.Services[e.idx].Name, PID: e.pid, Status: e.status})
					} else {
						s.event(Event{Kind: Stopped, Service: name, PID: e.pid, Status: e.status})
					}
				}
				if x.pid == 0 {
					break wait
				}
			case <-timeout:
				s.event(Event{Kind: Killed, Service: name, PID: x.pid})
				syscall.Kill(-x.pid, syscall.SIGKILL)
				timeout = nil
			}
		}
	}
}

// readyPoll is how often a ReadySocket is tried: a connect on a unix
// socket costs microseconds, and a wait of 25 ms more is not seen.
const readyPoll = 25 * time.Millisecond

// awaitReady tries svc's ReadySocket until a connection is accepted there
// or Config.ReadyWait has passed, and sends the Ready event.
func (s *Supervisor) awaitReady(svc Service, done <-chan struct{}, out chan<- Event) {
	var last error
	s.poll(Event{Kind: Ready, Service: svc.Name}, readyPoll, s.cfg.ReadyWait, func(e *Event, since time.Duration) bool {
		c, err := net.DialTimeout("unix", svc.ReadySocket, time.Second)
		if err != nil {
			last = err
			return false
		}
		c.Close()
		e.Detail = fmt.Sprintf("%s answers, %v after the start", svc.ReadySocket, since.Round(time.Millisecond))
		return true
	}, func() error {
		return fmt.Errorf("%s not answering after %v (%w): starting the services after it anyway", svc.ReadySocket, s.cfg.ReadyWait, last)
	}, done, out)
}

// idleWindow is how long the CPU is watched for time to spare: a few of
// /proc/stat's 10 ms ticks, and short beside a daemon's start.
const idleWindow = 100 * time.Millisecond

// awaitIdle watches the CPU, a window at a time, until it was idle at
// least half of one or Config.IdleWait has passed, and sends svc's Turn.
func (s *Supervisor) awaitIdle(svc Service, done <-chan struct{}, out chan<- Event) {
	var idle0, total0 time.Duration
	first := true
	s.poll(Event{Kind: Turn, Service: svc.Name}, idleWindow, s.cfg.IdleWait, func(e *Event, since time.Duration) bool {
		idle, total, err := s.cfg.CPUTimes()
		if err != nil {
			e.Err = fmt.Errorf("CPU times: %w: starting it now", err)
			return true
		}
		window := total - total0
		if !first && window > 0 && 2*(idle-idle0) >= window {
			e.Detail = fmt.Sprintf("the CPU %d%% idle over %v, %v after its turn came", 100*(idle-idle0)/window, idleWindow, since.Round(time.Millisecond))
			return true
		}
		first, idle0, total0 = false, idle, total
		return false
	}, func() error {
		return fmt.Errorf("the CPU not half idle within %v: starting it anyway", s.cfg.IdleWait)
	}, done, out)
}

// poll calls try at once and then every `every` until it says it is
// done, having filled in e (it is given the time since the first call),
// or until wait has passed (e.Err is then timeout's), and sends e; it
// returns without sending once done is closed.
func (s *Supervisor) poll(e Event, every, wait time.Duration, try func(e *Event, since time.Duration) bool, timeout func() error, done <-chan struct{}, out chan<- Event) {
	t0 := s.cfg.Clock.Now()
	deadline := s.cfg.Clock.After(wait)
	for !try(&e, s.cfg.Clock.Now().Sub(t0)) {
		select {
		case <-s.cfg.Clock.After(every):
			continue
		case <-deadline:
			e.Err = timeout()
		case <-done:
			return
		}
		break
	}
	select {
	case out <- e:
	case <-done:
	}
}

// rightsWait bounds the wait for a started daemon to run its program
// before its rights are read (privdrop.WaitRunning): under emulation a
// large daemon paged in from the compressed root file system takes
// seconds to reach its runtime's second thread.
const rightsWait = 30 * time.Second

// grant gives svc its devices; at a start every outcome is told (a
// Granted event), later only a change or an error other than a node that
// is not there.
func (s *Supervisor) grant(svc Service, starting bool) {
	if svc.Creds == nil {
		return
	}
	for _, d := range svc.Devices {
		path, err := d.Path, error(nil)
		if d.Slot != "" {
			if s.cfg.SlotDevice == nil {
				err = errors.New("no slot partitions on this system")
			} else {
				path, err = s.cfg.SlotDevice(d.Slot)
			}
		}
		changed := false
		if err == nil {
			changed, err = privdrop.Grant(path, svc.Creds.UID, svc.Creds.GID, d.Write)
		}
		if starting || changed || err != nil && !errors.Is(err, fs.ErrNotExist) {
			e := Event{Kind: Granted, Service: svc.Name, Detail: d.String(), Err: err}
			if err == nil {
				e.Detail = fmt.Sprintf("%s: %s, owner %d:%d", d.String(), path, svc.Creds.UID, svc.Creds.GID)
			}
			s.event(e)
		}
	}
}

// start forks svc. Every daemon gets its own session (so its process
// group can be signalled as a whole); output goes through a pipe into the
// log unless it runs on a console.
func (s *Supervisor) start(svc Service) (int, <-chan syscall.WaitStatus, error) {
	env := svc.Env
	if env == nil {
		env = DefaultEnv
	}
	attr := &syscall.ProcAttr{Env: env, Sys: &syscall.SysProcAttr{Setsid: true}}
	if svc.Console != "" {
		tty, err := os.OpenFile(svc.Console, os.O_RDWR|syscall.O_NOCTTY, 0)
		if err != nil {
			return 0, nil, fmt.Errorf("open console: %w", err)
		}
		defer tty.Close()
		attr.Files = []uintptr{tty.Fd(), tty.Fd(), tty.Fd()}
		attr.Sys.Setctty = true
		attr.Sys.Ctty = 0
		return s.sp.spawn(svc.Path, append([]string{svc.Path}, svc.Args...), attr, svc.Creds)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, nil, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return 0, nil, fmt.Errorf("output pipe: %w", err)
	}
	attr.Files = []uintptr{null.Fd(), w.Fd(), w.Fd()}
	pid, exited, err := s.sp.spawn(svc.Path, append([]string{svc.Path}, svc.Args...), attr, svc.Creds)
	w.Close()
	if err != nil {
		r.Close()
		return 0, nil, err
	}
	go s.copyOutput(svc.Name, r)
	return pid, exited, nil
}

// maxLine bounds one logged line; longer lines are split.
const maxLine = 4096

func (s *Supervisor) copyOutput(name string, r *os.File) {
	defer r.Close()
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			s.logMu.Lock()
			fmt.Fprintf(s.cfg.Log, "%s %s: %s\n", s.cfg.Clock.Now().UTC().Format(time.RFC3339), name, line)
			s.logMu.Unlock()
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// spawner forks a program with creds (privdrop.Start) and reports its
// exit.
type spawner interface {
	spawn(path string, argv []string, attr *syscall.ProcAttr, creds *privdrop.Creds) (int, <-chan syscall.WaitStatus, error)
}

// perPID waits for each daemon by its pid: right for a process that has
// other children it must not reap.
type perPID struct{}

func (perPID) spawn(path string, argv []string, attr *syscall.ProcAttr, creds *privdrop.Creds) (int, <-chan syscall.WaitStatus, error) {
	pid, err := privdrop.Start(path, argv, attr, creds)
	if err != nil {
		return 0, nil, fmt.Errorf("start %s: %w", path, err)
	}
	ch := make(chan syscall.WaitStatus, 1)
	go func() {
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(pid, &ws, 0, nil)
			if err != syscall.EINTR {
				break
			}
		}
		ch <- ws
	}()
	return pid, ch, nil
}

// reaper reaps every child on SIGCHLD (PID 1's duty) and hands the
// daemons' exit statuses to their waiters. spawn registers a pid under
// the same lock the reaper takes to look it up, so a daemon that dies at
// once is not mistaken for an orphan.
type reaper struct {
	mu      sync.Mutex
	waiting map[int]chan syscall.WaitStatus
	sig     chan os.Signal
	done    chan struct{}
	wg      sync.WaitGroup
}

func newReaper(event func(Event)) *reaper {
	r := &reaper{waiting: map[int]chan syscall.WaitStatus{}, sig: make(chan os.Signal, 1), done: make(chan struct{})}
	signal.Notify(r.sig, syscall.SIGCHLD)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			r.reapAll()
			select {
			case <-r.sig:
			case <-r.done:
				return
			}
		}
	}()
	return r
}

func (r *reaper) reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 {
			return
		}
		r.mu.Lock()
		ch := r.waiting[pid]
		delete(r.waiting, pid)
		r.mu.Unlock()
		if ch != nil {
			ch <- ws
		}
	}
}

func (r *reaper) spawn(path string, argv []string, attr *syscall.ProcAttr, creds *privdrop.Creds) (int, <-chan syscall.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := privdrop.Start(path, argv, attr, creds)
	if err != nil {
		return 0, nil, fmt.Errorf("start %s: %w", path, err)
	}
	ch := make(chan syscall.WaitStatus, 1)
	r.waiting[pid] = ch
	// The child may already have exited and its SIGCHLD been consumed
	// while we held the lock; make the reaper look again.
	select {
	case r.sig <- syscall.SIGCHLD:
	default:
	}
	return pid, ch, nil
}

func (r *reaper) stop() {
	signal.Stop(r.sig)
	close(r.done)
	r.wg.Wait()
}

// renice sets pid's nice value and, when procDir is set, its autogroup's
// (procDir/<pid>/autogroup; absent from a kernel without autogroups).
func renice(procDir string, pid, nice int) error {
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, pid, nice); err != nil {
		return fmt.Errorf("nice %d: %w", nice, err)
	}
	if procDir == "" {
		return nil
	}
	err := os.WriteFile(filepath.Join(procDir, strconv.Itoa(pid), "autogroup"), []byte(strconv.Itoa(nice)), 0)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("autogroup nice %d: %w", nice, err)
	}
	return nil
}
