package pid1

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/testkit/fakeclock"
	"picket.dev/picket/src/testkit/syncbuf"
)

// The test binary doubles as the fake daemons: with PID1_FAKE set it
// behaves as that kind of daemon instead of running tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("PID1_FAKE"); mode != "" {
		fakeDaemon(mode)
		return
	}
	os.Exit(m.Run())
}

func fakeDaemon(mode string) {
	switch mode {
	case "exit":
		fmt.Println("hello from fake")
		os.Exit(3)
	case "panel":
		// A panel daemon (lcdd): told of the power off, then of the halt.
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGUSR2)
		fmt.Println("up")
		for s := range c {
			switch s {
			case syscall.SIGUSR2:
				fmt.Println("powering off")
			case syscall.SIGUSR1:
				fmt.Println("halted")
				os.Exit(0)
			default:
				fmt.Println("bye")
				os.Exit(0)
			}
		}
	case "ready":
		// A daemon that serves PID1_SOCKET once told (SIGUSR1) that its
		// start-up work is done.
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM, syscall.SIGUSR1)
		fmt.Println("up")
		for s := range c {
			if s == syscall.SIGTERM {
				os.Exit(0)
			}
			l, err := net.Listen("unix", os.Getenv("PID1_SOCKET"))
			if err != nil {
				fmt.Println(err)
				os.Exit(4)
			}
			defer l.Close()
			fmt.Println("listening")
		}
	case "run", "stubborn":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("up")
		for range c {
			if mode == "run" {
				fmt.Println("bye")
				os.Exit(0)
			}
			fmt.Println("ignoring SIGTERM")
		}
	}
	os.Exit(99)
}

type harness struct {
	t      *testing.T
	clock  *fakeclock.Clock
	log    *syncbuf.Buffer
	events chan Event
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when Run returned
	err    error
	marks  chan struct{}
	s      *Supervisor
}

func fake(name, mode string) Service {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return Service{Name: name, Path: exe, Env: []string{"PID1_FAKE=" + mode}}
}

func startSupervisor(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clock: fakeclock.New(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), log: &syncbuf.Buffer{}, events: make(chan Event, 1000), done: make(chan struct{}), marks: make(chan struct{}, 10)}
	cfg.Clock, cfg.Log = h.clock, h.log
	observe := cfg.Observe
	cfg.Observe = func(e Event) {
		if observe != nil {
			observe(e)
		}
		h.events <- e
	}
	if cfg.MarkGood == nil {
		cfg.MarkGood = func() error { h.marks <- struct{}{}; return nil }
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	h.cancel, h.s = cancel, s
	go func() { h.err = s.Run(ctx); close(h.done) }()
	t.Cleanup(func() {
		cancel(nil)
		// Let stubborn daemons be killed if a test failed half way.
		for {
			select {
			case <-h.done:
				return
			case <-time.After(10 * time.Millisecond):
				h.clock.Advance(time.Hour)
			}
		}
	})
	return h
}

// next returns the next event; the timeout only prevents a hang.
func (h *harness) next() Event {
	h.t.Helper()
	select {
	case e := <-h.events:
		return e
	case <-time.After(time.Minute):
		h.t.Fatalf("no event; log:\n%s", h.log.String())
	}
	return Event{}
}

func (h *harness) expect(kind EventKind, service string) Event {
	h.t.Helper()
	e := h.next()
	if e.Kind != kind || e.Service != service {
		h.t.Fatalf("event %v, want %s %v; log:\n%s", e, service, kind, h.log.String())
	}
	return e
}

func (h *harness) stop() {
	h.t.Helper()
	h.cancel(nil)
	select {
	case <-h.done:
		if h.err != nil {
			h.t.Fatal(h.err)
		}
	case <-time.After(time.Minute):
		h.t.Fatal("Run did not return")
	}
}

func TestRestartBackoff(t *testing.T) {
	for _, reap := range []bool{false, true} {
		t.Run(fmt.Sprintf("reapOrphans=%v", reap), func(t *testing.T) {
			h := startSupervisor(t, Config{
				Services:    []Service{fake("crashy", "exit")},
				MinBackoff:  time.Second,
				MaxBackoff:  4 * time.Second,
				ReapOrphans: reap,
			})
			var delays []time.Duration
			for i := 0; i < 5; i++ {
				h.expect(Started, "crashy")
				e := h.expect(Exited, "crashy")
				if !e.Status.Exited() || e.Status.ExitStatus() != 3 {
					t.Fatalf("status %v, want exit status 3", describeStatus(e.Status))
				}
				delays = append(delays, e.Delay)
				h.clock.Advance(e.Delay)
			}
			want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
			if fmt.Sprint(delays) != fmt.Sprint(want) {
				t.Fatalf("backoff delays %v, want %v", delays, want)
			}
			h.log.WaitFor(t, "crashy: hello from fake", time.Minute)
			h.stop()
		})
	}
}

func TestStartFailed(t *testing.T) {
	h := startSupervisor(t, Config{Services: []Service{{Name: "missing", Path: "/nonexistent/daemon"}}})
	e := h.expect(StartFailed, "missing")
	if e.Delay != time.Second || !strings.Contains(e.Err.Error(), "/nonexistent/daemon") {
		t.Fatalf("event %v: want the path in the error and a 1s backoff", e)
	}
	h.clock.Advance(time.Second)
	if e := h.expect(StartFailed, "missing"); e.Delay != 2*time.Second {
		t.Fatalf("second failure: %v, want a 2s backoff", e)
	}
	h.stop()
}

// TestMarkGood: the slot is marked good only once every daemon has been
// up for the stable period at the same time, and only once; a daemon that
// ran for the stable period before dying restarts at the minimum backoff.
func TestMarkGood(t *testing.T) {
	h := startSupervisor(t, Config{
		Services:     []Service{fake("a", "run"), fake("b", "run")},
		StablePeriod: 30 * time.Second,
	})
	a := h.expect(Started, "a")
	h.expect(Started, "b")
	h.log.WaitFor(t, "a: up", time.Minute)
	h.clock.Advance(29 * time.Second)
	// a dies before the period is over: not marked yet (the next event is
	// the exit, not a mark), and a restarts after the minimum backoff.
	syscall.Kill(a.PID, syscall.SIGKILL)
	if e := h.expect(Exited, "a"); e.Delay != time.Second {
		t.Fatalf("a: %v, want a 1s backoff", e)
	}
	h.clock.Advance(time.Second)
	a = h.expect(Started, "a")
	h.clock.Advance(29 * time.Second)
	h.clock.Advance(time.Second)
	h.expect(MarkedGood, "")
	if len(h.marks) != 1 {
		t.Fatalf("MarkGood called %d times, want once", len(h.marks))
	}
	// a has now been up 30s: its next death restarts at the minimum
	// delay again, and the slot is not marked a second time.
	syscall.Kill(a.PID, syscall.SIGKILL)
	if e := h.expect(Exited, "a"); e.Delay != time.Second {
		t.Fatalf("a after a stable run: %v, want the 1s minimum backoff", e)
	}
	h.clock.Advance(time.Second)
	h.expect(Started, "a")
	h.clock.Advance(time.Minute)
	h.stop()
	if len(h.marks) != 1 {
		t.Fatalf("MarkGood called %d times, want once", len(h.marks))
	}
}

func TestMarkGoodError(t *testing.T) {
	h := startSupervisor(t, Config{
		Services:     []Service{fake("a", "run")},
		StablePeriod: time.Second,
		MarkGood:     func() error { return fmt.Errorf("grubenv is read-only") },
	})
	h.expect(Started, "a")
	h.clock.Advance(time.Second)
	if e := h.expect(MarkGoodFailed, ""); !strings.Contains(e.Err.Error(), "read-only") {
		t.Fatalf("event %v", e)
	}
	h.log.WaitFor(t, "mark good failed: grubenv is read-only", time.Minute)
	h.stop()
}

// TestStopOrder: daemons stop last-started first, each after the one
// before it has exited, with their goodbye in the log.
func TestStopOrder(t *testing.T) {
	h := startSupervisor(t, Config{Services: []Service{fake("one", "run"), fake("two", "run"), fake("three", "run")}})
	for _, n := range []string{"one", "two", "three"} {
		h.expect(Started, n)
		h.log.WaitFor(t, n+": up", time.Minute)
	}
	h.cancel(nil)
	for _, n := range []string{"three", "two", "one"} {
		h.expect(Stopping, n)
		if e := h.expect(Stopped, n); !e.Status.Exited() || e.Status.ExitStatus() != 0 {
			t.Fatalf("%s: %v, want a clean exit on SIGTERM", n, e)
		}
	}
	h.stop()
	for _, n := range []string{"one", "two", "three"} {
		h.log.WaitFor(t, n+": bye", time.Minute)
	}
}

// TestPowerOffOrder: on a power off the panel daemon (StopLast), started
// between the others, is told first, stays up while the others stop (last
// started first) and while BeforeHalt runs (init unmounts the data
// partition there), and is then told the box is halted, which ends it. On
// a reboot it is stopped in its place (TestRebootStopsPanelInPlace).
func TestPowerOffOrder(t *testing.T) {
	var mu sync.Mutex
	var order []string
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	panel := fake("panel", "panel")
	panel.StopLast = true
	var h *harness
	h = startSupervisor(t, Config{
		Services: []Service{fake("net", "run"), panel, fake("console", "run")},
		Observe: func(e Event) {
			if e.Kind != Started {
				note(e.Kind.String() + " " + e.Service)
			}
		},
		BeforeHalt: func() {
			// The panel has been told and is still running; the others
			// are gone.
			h.log.WaitFor(t, "panel: powering off", time.Minute)
			if strings.Contains(h.log.String(), "panel: halted") {
				t.Error("the panel was told of the halt before BeforeHalt")
			}
			note("before halt")
		},
	})
	for _, n := range []string{"net", "panel", "console"} {
		h.expect(Started, n)
		h.log.WaitFor(t, n+": up", time.Minute)
	}
	h.cancel(ErrPowerOff)
	select {
	case <-h.done:
	case <-time.After(time.Minute):
		t.Fatalf("Run did not return; log:\n%s", h.log.String())
	}
	if h.err != nil {
		t.Fatal(h.err)
	}
	want := []string{
		"told the box is powering off panel",
		"stopping console", "stopped console",
		"stopping net", "stopped net",
		"before halt",
		"told the box is halted panel", "stopped panel",
	}
	mu.Lock()
	got := strings.Join(order, "\n")
	mu.Unlock()
	if got != strings.Join(want, "\n") {
		t.Fatalf("power off:\n%s\nwant:\n%s\nlog:\n%s", got, strings.Join(want, "\n"), h.log.String())
	}
	h.log.WaitFor(t, "panel: halted", time.Minute)
	if strings.Contains(h.log.String(), "panel: bye") {
		t.Errorf("the panel got SIGTERM at a power off:\n%s", h.log.String())
	}
}

// TestRebootStopsPanelInPlace: a reboot stops every daemon in reverse
// order with SIGTERM, StopLast or not, and does not call BeforeHalt.
func TestRebootStopsPanelInPlace(t *testing.T) {
	panel := fake("panel", "panel")
	panel.StopLast = true
	h := startSupervisor(t, Config{
		Services:   []Service{fake("net", "run"), panel},
		BeforeHalt: func() { t.Error("BeforeHalt called on a reboot") },
	})
	for _, n := range []string{"net", "panel"} {
		h.expect(Started, n)
		h.log.WaitFor(t, n+": up", time.Minute)
	}
	h.cancel(nil)
	for _, n := range []string{"panel", "net"} {
		h.expect(Stopping, n)
		h.expect(Stopped, n)
	}
	h.stop()
	h.log.WaitFor(t, "panel: bye", time.Minute)
	if strings.Contains(h.log.String(), "powering off") {
		t.Errorf("the panel was told of a power off at a reboot:\n%s", h.log.String())
	}
}

// TestStopKill: a daemon ignoring SIGTERM is killed after the stop timeout.
func TestStopKill(t *testing.T) {
	h := startSupervisor(t, Config{Services: []Service{fake("stubborn", "stubborn")}, StopTimeout: 10 * time.Second})
	h.expect(Started, "stubborn")
	h.log.WaitFor(t, "stubborn: up", time.Minute)
	h.cancel(nil)
	h.expect(Stopping, "stubborn")
	h.log.WaitFor(t, "stubborn: ignoring SIGTERM", time.Minute)
	h.clock.Advance(10 * time.Second)
	h.expect(Killed, "stubborn")
	if e := h.expect(Stopped, "stubborn"); !e.Status.Signaled() || e.Status.Signal() != syscall.SIGKILL {
		t.Fatalf("%v, want killed by SIGKILL", e)
	}
	h.stop()
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no clock", Config{}, "no clock"},
		{"no path", Config{Clock: clock.System{}, Services: []Service{{Name: "x"}}}, "want a name and a program path"},
		{"twice", Config{Clock: clock.System{}, Services: []Service{{Name: "x", Path: "/x"}, {Name: "x", Path: "/y"}}}, "listed twice"},
		{"after unknown", Config{Clock: clock.System{}, Services: []Service{{Name: "x", Path: "/x", After: []string{"y"}}}}, `service "x" after "y": not a service listed before it`},
		{"after twice", Config{Clock: clock.System{}, Services: []Service{{Name: "y", Path: "/y", ReadySocket: "/y.sock"}, {Name: "x", Path: "/x", After: []string{"y", "y"}}}}, `service "x" after "y" twice`},
		{"after not ready", Config{Clock: clock.System{}, Services: []Service{{Name: "y", Path: "/y"}, {Name: "x", Path: "/x", After: []string{"y"}}}}, `"y" has no ready socket`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// quiet checks that nothing happens for a moment (the supervisor had the
// time to act on what the clock fired).
func (h *harness) quiet() {
	h.t.Helper()
	time.Sleep(200 * time.Millisecond)
	select {
	case e := <-h.events:
		h.t.Fatalf("unexpected event %v; log:\n%s", e, h.log.String())
	default:
	}
}

// TestMarkGoodAwaitsVerdict: with good_by "updater" on a slot on trial,
// the stable period alone does not mark the slot good; the updater's
// verdict alone does not either; both do, and a daemon dying after the
// verdict makes the mark wait for a new stable period.
func TestMarkGoodAwaitsVerdict(t *testing.T) {
	t.Run("stable first", func(t *testing.T) {
		h := startSupervisor(t, Config{Services: []Service{fake("a", "run")}, StablePeriod: 30 * time.Second, AwaitVerdict: true})
		h.expect(Started, "a")
		h.log.WaitFor(t, "a: up", time.Minute)
		h.clock.Advance(time.Hour)
		h.quiet()
		h.s.Verdict()
		h.expect(Verdict, "")
		h.expect(MarkedGood, "")
		h.s.Verdict() // a second verdict changes nothing
		h.quiet()
		h.stop()
	})
	t.Run("verdict first, then a death", func(t *testing.T) {
		h := startSupervisor(t, Config{Services: []Service{fake("a", "run")}, StablePeriod: 30 * time.Second, AwaitVerdict: true})
		a := h.expect(Started, "a")
		h.log.WaitFor(t, "a: up", time.Minute)
		h.s.Verdict()
		h.expect(Verdict, "")
		h.clock.Advance(20 * time.Second)
		syscall.Kill(a.PID, syscall.SIGKILL)
		h.expect(Exited, "a")
		h.clock.Advance(time.Second)
		h.expect(Started, "a")
		h.clock.Advance(29 * time.Second)
		h.quiet()
		h.clock.Advance(time.Second)
		h.expect(MarkedGood, "")
		h.stop()
	})
	t.Run("no verdict awaited", func(t *testing.T) {
		h := startSupervisor(t, Config{Services: []Service{fake("a", "run")}, StablePeriod: 30 * time.Second})
		h.expect(Started, "a")
		h.clock.Advance(30 * time.Second)
		h.expect(MarkedGood, "")
		h.s.Verdict()
		h.quiet()
		h.stop()
	})
}

// TestNice: a daemon with a nice value runs with it, and so does its
// session's autogroup (proc(5): /proc/PID/autogroup reads
// "/autogroup-N nice V"; stat's 19th field is the nice value).
func TestNice(t *testing.T) {
	svc := fake("panel", "run")
	svc.Nice = 7
	h := startSupervisor(t, Config{Services: []Service{svc, fake("other", "run")}, Proc: "/proc"})
	for started := 0; started < 2; {
		e := h.next()
		if e.Kind != Started {
			continue // the rights read from /proc
		}
		started++
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", e.PID))
		if err != nil {
			t.Fatal(err)
		}
		// The fields after the command name in parentheses.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		want := map[string]string{"panel": "7", "other": "0"}[e.Service]
		if f[16] != want {
			t.Errorf("%s: nice %s, want %s", e.Service, f[16], want)
		}
		ag, err := os.ReadFile(fmt.Sprintf("/proc/%d/autogroup", e.PID))
		if err != nil {
			t.Fatalf("%s: %v (a kernel with autogroups: Debian's)", e.Service, err)
		}
		if !strings.HasSuffix(strings.TrimSpace(string(ag)), " nice "+want) {
			t.Errorf("%s: autogroup %q, want nice %s", e.Service, ag, want)
		}
	}
	h.stop()
}

// TestStartAfterReady: a service After another starts only once that one
// accepts a connection on its ready socket; a service After none starts
// at once.
func TestStartAfterReady(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "netmgr.sock")
	netmgr := fake("netmgrd", "ready")
	netmgr.Env = append(netmgr.Env, "PID1_SOCKET="+sock)
	netmgr.ReadySocket = sock
	scanner := fake("scannerd", "run")
	scanner.After = []string{"netmgrd"}
	h := startSupervisor(t, Config{Services: []Service{netmgr, fake("consoled", "run"), scanner}})
	pid := h.expect(Started, "netmgrd").PID
	h.expect(Started, "consoled")
	h.log.WaitFor(t, "netmgrd: up", time.Minute)
	// Polls that find nothing listening: scannerd waits.
	for i := 0; i < 8; i++ {
		h.clock.Advance(readyPoll)
	}
	h.quiet()
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	h.log.WaitFor(t, "netmgrd: listening", time.Minute)
	var e Event
	for e.Kind != Ready {
		h.clock.Advance(readyPoll)
		select {
		case e = <-h.events:
		case <-time.After(50 * time.Millisecond):
		}
	}
	if e.Service != "netmgrd" || e.Err != nil || !strings.Contains(e.Detail, sock+" answers") {
		t.Fatalf("event %v, want netmgrd ready at %s", e, sock)
	}
	h.expect(Started, "scannerd")
	h.stop()
}

// TestStartAfterNeverReady: a service After one that never answers
// starts after Config.ReadyWait all the same, and says why.
func TestStartAfterNeverReady(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "netmgr.sock")
	netmgr := fake("netmgrd", "run")
	netmgr.ReadySocket = sock
	updater := fake("updaterd", "run")
	updater.After = []string{"netmgrd"}
	h := startSupervisor(t, Config{Services: []Service{netmgr, updater}, ReadyWait: 5 * time.Second})
	h.expect(Started, "netmgrd")
	h.log.WaitFor(t, "netmgrd: up", time.Minute)
	h.clock.Advance(4 * time.Second)
	h.quiet()
	h.clock.Advance(time.Second)
	e := h.expect(Ready, "netmgrd")
	if e.Err == nil || !strings.Contains(e.Err.Error(), "not answering after 5s") {
		t.Fatalf("event %v, want netmgrd not ready after 5s", e)
	}
	h.expect(Started, "updaterd")
	h.stop()
}

// cpu stands in for /proc/stat: each read is one more window of
// idleWindow of CPU time, idle for the share the test set.
type cpu struct {
	mu          sync.Mutex
	idle, total time.Duration
	share       int // percent idle of the next windows
}

func (c *cpu) times() (time.Duration, time.Duration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += idleWindow
	c.idle += idleWindow * time.Duration(c.share) / 100
	return c.idle, c.total, nil
}

func (c *cpu) set(share int) {
	c.mu.Lock()
	c.share = share
	c.mu.Unlock()
}

// turn advances the clock a window at a time until an event comes.
func (h *harness) turn() Event {
	h.t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		h.clock.Advance(idleWindow)
		select {
		case e := <-h.events:
			return e
		case <-time.After(20 * time.Millisecond):
		}
	}
	h.t.Fatalf("no event; log:\n%s", h.log.String())
	return Event{}
}

// TestWhenIdleWaitsForTheCPU: the batch daemons start once the CPU is
// half idle over a window, one per idle window, in the list's order;
// while it is busy they wait, and a daemon not WhenIdle starts at once.
func TestWhenIdleWaitsForTheCPU(t *testing.T) {
	c := &cpu{share: 40}
	scanner, updater := fake("scannerd", "run"), fake("updaterd", "run")
	scanner.WhenIdle, updater.WhenIdle = true, true
	h := startSupervisor(t, Config{Services: []Service{fake("netmgrd", "run"), scanner, updater}, CPUTimes: c.times})
	h.expect(Started, "netmgrd")
	// 40% idle: not enough, however long (within IdleWait).
	for i := 0; i < 20; i++ {
		h.clock.Advance(idleWindow)
	}
	h.quiet()
	c.set(70)
	e := h.turn()
	if e.Kind != Turn || e.Service != "scannerd" || e.Err != nil || !strings.Contains(e.Detail, "the CPU 70% idle over 100ms") {
		t.Fatalf("event %v, want scannerd's turn with the CPU 70%% idle", e)
	}
	h.expect(Started, "scannerd")
	h.quiet()
	if e := h.turn(); e.Kind != Turn || e.Service != "updaterd" || e.Err != nil {
		t.Fatalf("event %v, want updaterd's turn", e)
	}
	h.expect(Started, "updaterd")
	h.stop()
}

// TestWhenIdleBusyStartsAnyway: a CPU never idle enough starts the
// service after IdleWait, and says so; one After another waits for that
// first, then for the CPU.
func TestWhenIdleBusyStartsAnyway(t *testing.T) {
	c := &cpu{share: 10}
	sock := filepath.Join(t.TempDir(), "netmgr.sock")
	netmgr := fake("netmgrd", "ready")
	netmgr.Env = append(netmgr.Env, "PID1_SOCKET="+sock)
	netmgr.ReadySocket = sock
	updater := fake("updaterd", "run")
	updater.After, updater.WhenIdle = []string{"netmgrd"}, true
	h := startSupervisor(t, Config{Services: []Service{netmgr, updater}, CPUTimes: c.times, IdleWait: 2 * time.Second})
	pid := h.expect(Started, "netmgrd").PID
	h.log.WaitFor(t, "netmgrd: up", time.Minute)
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	h.log.WaitFor(t, "netmgrd: listening", time.Minute)
	if e := h.turn(); e.Kind != Ready || e.Service != "netmgrd" {
		t.Fatalf("event %v, want netmgrd ready", e)
	}
	h.quiet()
	var e Event
	for i := 0; i < 5 && e.Kind != Turn; i++ {
		h.clock.Advance(time.Second)
		select {
		case e = <-h.events:
		case <-time.After(100 * time.Millisecond):
		}
	}
	if e.Kind != Turn || e.Service != "updaterd" || e.Err == nil || !strings.Contains(e.Err.Error(), "the CPU not half idle within 2s: starting it anyway") {
		t.Fatalf("event %v, want updaterd's turn for want of an idle CPU", e)
	}
	h.expect(Started, "updaterd")
	h.stop()
}
