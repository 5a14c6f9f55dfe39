package loop

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/netstore"
	"picket.dev/picket/src/net/standin"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/testkit/fakeclock"
)

func newMemory(t *testing.T) *standin.StandIn {
	t.Helper()
	store := netstore.New(netstore.DirFS(t.TempDir()), rand.Reader)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	m, err := standin.Start(standin.Options{Store: store, Rand: rand.Reader, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Stop() })
	return m
}

func script(t *testing.T, s string) []keyevent.Event {
	t.Helper()
	evs, err := keyevent.ParseScript(s)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

type power struct{ reboots, shutdowns int }

func (p *power) Reboot(context.Context) error   { p.reboots++; return nil }
func (p *power) Shutdown(context.Context) error { p.shutdowns++; return nil }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The operator's walk ends in the network manager: what the menu commits
// is what the manager then has in force.
func TestWalksReachTheManager(t *testing.T) {
	tests := []struct {
		name  string
		keys  string
		check func(t *testing.T, c netcfg.Config, pw *power)
	}{
		{
			name: "enable VLAN 20",
			keys: `ENTER DOWN ENTER CLEAR "20" ENTER`,
			check: func(t *testing.T, c netcfg.Config, _ *power) {
				if c.VLAN != 20 {
					t.Errorf("VLAN = %d, want 20", c.VLAN)
				}
			},
		},
		{
			name: "static LAN typed on the console",
			keys: `ENTER DOWN*3 ENTER ENTER CLEAR "10.1.2.3" ENTER DOWN*8 ENTER ` +
				`CLEAR "10.1.0.1" ENTER CLEAR "10.1.0.2" ENTER ENTER ENTER ENTER "corp.example" ENTER ENTER`,
			check: func(t *testing.T, c netcfg.Config, _ *power) {
				if c.LAN.Method != netcfg.IPv4Static || c.LAN.Address.Addr() != netip.MustParseAddr("10.1.2.3") ||
					c.LAN.Gateway != netip.MustParseAddr("10.1.0.1") || c.LAN.DNS1 != netip.MustParseAddr("10.1.0.2") {
					t.Errorf("LAN = %+v, want static 10.1.2.3 gw 10.1.0.1 dns 10.1.0.2", c.LAN)
				}
			},
		},
		{
			name: "backing out at REALLY changes nothing",
			keys: `ENTER DOWN*5 ENTER ENTER UP`, // REALLY ENABLE DHCP ON WAN?
			check: func(t *testing.T, c netcfg.Config, _ *power) {
				if !netcfg.Equal(c, netcfg.Default()) {
					t.Errorf("config changed: %v", netcfg.Diff(netcfg.Default(), c))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			mem := newMemory(t)
			pw := &power{}
			p, err := New(ctx, mem, pw, frame.LCD16x2(), "test", quiet())
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range script(t, tt.keys) {
				p.Key(ctx, ev)
				if f := p.Frame(); !f.Fits(frame.LCD16x2()) {
					t.Fatalf("frame does not fit 16x2:\n%s", f)
				}
			}
			view, err := mem.Config(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, view.Config, pw)
		})
	}
}

// failing refuses every change, as a network manager would refuse one it
// cannot apply.
type failing struct{ netapi.Manager }

func (f failing) Apply(context.Context, netcfg.Config, netapi.ApplyOptions) (netapi.Result, error) {
	return netapi.Result{}, &netapi.Error{Kind: netapi.KindInvalidConfig, Message: "refused",
		Problems: []netapi.Problem{{Field: "vlan", Problem: "VLAN 20 is used by the platform"}}}
}

func TestRefusedChangeIsShown(t *testing.T) {
	ctx := context.Background()
	p, err := New(ctx, failing{newMemory(t)}, &power{}, frame.LCD20x4(), "test", quiet())
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range script(t, `ENTER DOWN ENTER CLEAR "20" ENTER`) {
		p.Key(ctx, ev)
	}
	got := p.Frame().String()
	if !strings.Contains(got, "REQUEST FAILED") || !strings.Contains(got, "VLAN 20") {
		t.Fatalf("screen after a refused change:\n%s\nwant REQUEST FAILED and the problem", got)
	}
}

func TestRebootGoesToPowerControl(t *testing.T) {
	ctx := context.Background()
	pw := &power{}
	p, err := New(ctx, newMemory(t), pw, frame.LCD16x2(), "test", quiet())
	if err != nil {
		t.Fatal(err)
	}
	// Walk down the main menu to SYSTEM REBOOT whatever its position: the
	// menu shows it by name.
	p.Key(ctx, keyevent.Press(keyevent.Enter))
	for i := 0; i < 20 && !strings.Contains(p.Frame().String(), "REBOOT"); i++ {
		p.Key(ctx, keyevent.Press(keyevent.Down))
	}
	if !strings.Contains(p.Frame().String(), "REBOOT") {
		t.Fatalf("no REBOOT item in the main menu:\n%s", p.Frame())
	}
	p.Key(ctx, keyevent.Press(keyevent.Enter)) // REALLY REBOOT SYSTEM?
	p.Key(ctx, keyevent.Press(keyevent.Enter))
	if pw.reboots != 1 || pw.shutdowns != 0 {
		t.Fatalf("reboots %d shutdowns %d, want 1 and 0; screen:\n%s", pw.reboots, pw.shutdowns, p.Frame())
	}
}

type recorder struct{ frames chan frame.Frame }

// drawnPower is a power control that records what the display showed
// when it was asked to act.
type drawnPower struct {
	mu    sync.Mutex
	shown *[]string
	at    []string
}

func (d *drawnPower) last() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(*d.shown) == 0 {
		return ""
	}
	return (*d.shown)[len(*d.shown)-1]
}
func (d *drawnPower) Reboot(context.Context) error   { d.at = append(d.at, d.last()); return nil }
func (d *drawnPower) Shutdown(context.Context) error { d.at = append(d.at, d.last()); return nil }

type drawList struct {
	mu    *sync.Mutex
	shown *[]string
}

func (l drawList) Draw(f frame.Frame) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	*l.shown = append(*l.shown, f.String())
	return nil
}

// The panel daemons are the first init stops after they ask it to
// reboot or power off: SHUTTING DOWN SYSTEM (REBOOTING SYSTEM) must be on
// the display before the request, or the panel keeps the REALLY ...?
// prompt.
func TestPowerRequestDrawnFirst(t *testing.T) {
	for _, tt := range []struct{ item, shown string }{
		{"SHUTDOWN", "SHUTTING DOWN"},
		{"REBOOT", "REBOOTING"},
	} {
		t.Run(tt.item, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var shown []string
			pw := &drawnPower{shown: &shown}
			disp := drawList{mu: &pw.mu, shown: &shown}
			p, err := New(ctx, newMemory(t), pw, frame.LCD16x2(), "test", quiet())
			if err != nil {
				t.Fatal(err)
			}
			keyc := make(chan keyevent.Event)
			done := make(chan error, 1)
			go func() { done <- Run(ctx, p, keyc, disp) }()
			keyc <- keyevent.Press(keyevent.Enter)
			for i := 0; i < 20; i++ {
				keyc <- keyevent.Press(keyevent.Down)
				// Run draws after each key before it takes the next.
				keyc <- keyevent.Event{}
				if strings.Contains(pw.last(), tt.item) {
					break
				}
			}
			if !strings.Contains(pw.last(), tt.item) {
				t.Fatalf("no %s in the main menu; last frame:\n%s", tt.item, pw.last())
			}
			keyc <- keyevent.Press(keyevent.Enter) // REALLY ...?
			keyc <- keyevent.Press(keyevent.Enter)
			keyc <- keyevent.Event{}
			cancel()
			<-done
			if len(pw.at) != 1 || !strings.Contains(pw.at[0], tt.shown) {
				t.Fatalf("when the power control was asked the display showed %q, want %s", pw.at, tt.shown)
			}
		})
	}
}

func (r recorder) Draw(f frame.Frame) error { r.frames <- f; return nil }

// serveRecorded runs Serve for p on a recorder until ctx ends, and returns
// its key input, a wait for the first frame drawn that satisfies ok (with
// a hang guard, not a timing assertion), and Serve's result.
func serveRecorded(t *testing.T, ctx context.Context, p *Panel) (chan<- keyevent.Event, func(what string, ok func(frame.Frame) bool) frame.Frame, <-chan error) {
	rec := recorder{frames: make(chan frame.Frame, 1000)}
	keys := make(chan keyevent.Event)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, p, Inputs{Keys: keys}, rec) }()
	waitFor := func(what string, ok func(frame.Frame) bool) frame.Frame {
		t.Helper()
		guard := time.After(fakeclock.Guard)
		var last frame.Frame
		for {
			select {
			case f := <-rec.frames:
				if ok(f) {
					return f
				}
				last = f
			case <-guard:
				t.Fatalf("never saw %s; last frame:\n%s", what, last)
			}
		}
	}
	return keys, waitFor, done
}

// Run follows the status subscription: a change made by another front end
// reaches this one's screen.
func TestRunFollowsStatus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mem := newMemory(t)
	p, err := New(ctx, mem, &power{}, frame.LCD16x2(), "test", quiet())
	if err != nil {
		t.Fatal(err)
	}
	rec := recorder{frames: make(chan frame.Frame, 100)}
	keyc := make(chan keyevent.Event)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, p, keyc, rec) }()
	<-rec.frames // the first draw

	// Another front end sets VLAN 7; this panel's menu must now offer
	// CHANGE VLAN instead of ENABLE VLAN.
	c := netcfg.Default()
	c.VLAN = 7
	if _, err := mem.Apply(ctx, c, netapi.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	// Open the menu at its first network item. Whether the status arrives before or after the
	// keys, the list is built (or rebuilt) from the new configuration.
	keyc <- keyevent.Press(keyevent.Enter)
	keyc <- keyevent.Press(keyevent.Down)
	guard := time.After(30 * time.Second) // a hang guard, not a timing assertion
	var last frame.Frame
	for !strings.Contains(last.String(), "CHANGE VLAN") {
		select {
		case last = <-rec.frames:
		case <-guard:
			t.Fatalf("after another front end enabled a VLAN the menu shows:\n%s\nwant CHANGE VLAN", last)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

func TestPowerNamed(t *testing.T) {
	for _, name := range []string{"log", "kernel"} {
		if _, err := PowerNamed(name, quiet()); err != nil {
			t.Errorf("PowerNamed(%q): %v", name, err)
		}
	}
	if _, err := PowerNamed("halt", quiet()); err == nil || !strings.Contains(err.Error(), `"halt"`) || !strings.Contains(err.Error(), "kernel") {
		t.Errorf("PowerNamed(halt) = %v, want an error naming it and the choices", err)
	}
}

// TestServeAbandon: when the console reports line noise, a REALLY ...?
// prompt on screen is dropped, so the next ENTER cannot confirm what the
// noise may have walked to; keys sent before the abandon are applied
// first.
func TestServeAbandon(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mem := newMemory(t)
	p, err := New(ctx, mem, &power{}, frame.LCD16x2(), "test", quiet())
	if err != nil {
		t.Fatal(err)
	}
	rec := recorder{frames: make(chan frame.Frame, 1000)}
	keyc := make(chan keyevent.Event)
	abandon := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, p, Inputs{Keys: keyc, Abandon: abandon}, rec) }()
	guard := time.After(30 * time.Second) // a hang guard
	waitFrame := func(want func(string) bool, what string) {
		t.Helper()
		var last string
		for !want(last) {
			select {
			case f := <-rec.frames:
				last = f.String()
			case <-guard:
				t.Fatalf("never showed %s; last frame:\n%s", what, last)
			}
		}
	}
	// SETUP NETWORK, ENABLE WAN INTERFACE, ENABLE DHCP ON WAN: REALLY
	// ENABLE DHCP ON WAN?
	for _, ev := range script(t, `ENTER DOWN*5 ENTER ENTER`) {
		keyc <- ev
	}
	waitFrame(func(f string) bool { return strings.Contains(f, "REALLY") }, "the REALLY prompt")
	abandon <- struct{}{}
	waitFrame(func(f string) bool { return f != "" && !strings.Contains(f, "REALLY") }, "the idle screen")
	keyc <- keyevent.Press(keyevent.Enter) // from idle: the main menu, no commit
	waitFrame(func(f string) bool { return strings.Contains(f, "SETUP NETWORK") }, "the main menu")
	cv, err := mem.Config(ctx)
	if err != nil || cv.Config.VLAN != 0 {
		t.Errorf("VLAN in force %d (%v), want 0: the abandoned prompt was confirmed", cv.Config.VLAN, err)
	}
	cancel()
	<-done
}

// fakeScanner is scanner.sock's state as the test sets it.
type fakeScanner struct {
	mu  sync.Mutex
	st  scanapi.State
	err error
}

func (f *fakeScanner) State(context.Context) (scanapi.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st, f.err
}

func (f *fakeScanner) set(st scanapi.State, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st, f.err = st, err
}

// S1 is lit while the scanner says a job runs, and dark when it says
// none runs or does not answer (scannerd absent or gone).
func TestScanLightsS1(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := New(ctx, newMemory(t), &power{}, frame.LCD16x2(), "test", quiet())
	if err != nil {
		t.Fatal(err)
	}
	clk := fakeclock.New(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	sc := &fakeScanner{err: scanapi.ErrUnavailable}
	p.WatchScanner(sc, clk)
	rec := recorder{frames: make(chan frame.Frame, 100)}
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, p, Inputs{Keys: make(chan keyevent.Event)}, rec) }()
	if f := <-rec.frames; f.LEDs().S1 {
		t.Fatalf("S1 lit at the start with no scanner:\n%s", f)
	}
	running := scanapi.State{Running: true, JobID: "job-1", MaxJobs: 1}
	for _, step := range []struct {
		what string
		st   scanapi.State
		err  error
		s1   bool
	}{
		{"a job runs", running, nil, true},
		{"the job ended", scanapi.State{MaxJobs: 1}, nil, false},
		{"another job runs", running, nil, true},
		{"scannerd is gone", running, scanapi.ErrUnavailable, false},
	} {
		sc.set(step.st, step.err)
		clk.Advance(ScanPollEvery)
		guard := time.After(fakeclock.Guard) // a hang guard, not a timing assertion
		for {
			var f frame.Frame
			select {
			case f = <-rec.frames:
			case <-guard:
				t.Fatalf("%s: S1 never became %v", step.what, step.s1)
			}
			if f.LEDs().S1 == step.s1 {
				break
			}
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve = %v, want context.Canceled", err)
	}
}

// A status older than the panel's (Seq lower: the subscription's queue
// delivered after a request's own, newer read) is ignored. Taken, the one
// from before a trial dropped REVERT? for a moment, and the operator's
// ENTER meant for it opened the menu instead (tests/console, under load).
func TestStaleStatusIgnored(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	p, err := New(ctx, mem, &power{}, frame.LCD16x2(), "test", quiet())
	if err != nil {
		t.Fatal(err)
	}
	before, err := mem.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	trial := before
	trial.Seq = before.Seq + 2
	trial.Trial = &netapi.Trial{ID: "t1", Source: netapi.SourcePanel, Op: "apply", Reason: "GATEWAY UNREACHABLE",
		Started: time.Now(), Deadline: time.Now().Add(2 * time.Minute)}
	p.Status(ctx, trial)
	if f := p.Frame(); !strings.Contains(f.String(), "REVERT?") {
		t.Fatalf("a change made at the panel on trial: the panel shows\n%s\nwant REVERT?", f)
	}
	stale := before
	stale.Seq = before.Seq + 1
	p.Status(ctx, stale)
	if f := p.Frame(); !strings.Contains(f.String(), "REVERT?") {
		t.Fatalf("after a status older than the trial's the panel shows\n%s\nwant REVERT? still", f)
	}
	// A newer status without the trial (kept elsewhere) ends the prompt.
	ended := before
	ended.Seq = before.Seq + 3
	p.Status(ctx, ended)
	if f := p.Frame(); strings.Contains(f.String(), "REVERT?") {
		t.Fatalf("the trial ended: the panel still shows\n%s", f)
	}
}

// heldSubscribe holds Subscribe until release is closed, as a network
// manager busy with its first changes at boot answers late.
type heldSubscribe struct {
	netapi.Manager
	release chan struct{}
}

func (h heldSubscribe) Subscribe(ctx context.Context) (<-chan netapi.Status, error) {
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.Manager.Subscribe(ctx)
}

// Serve draws the panel's screen from the status the panel has before it
// waits for the subscription (a round trip to the network manager the
// operator would wait for at the console's first ENTER), and a change
// made meanwhile still reaches the screen: the subscription's first status
// is the current one (netapi.Manager Subscribe).
func TestServeDrawsBeforeSubscribing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mem := newMemory(t)
	held := heldSubscribe{Manager: mem, release: make(chan struct{})}
	p, err := New(ctx, held, &power{}, frame.LCD16x2(), "test", quiet())
	if err != nil {
		t.Fatal(err)
	}
	keys, waitFor, done := serveRecorded(t, ctx, p)
	waitFor("the first screen while Subscribe is held", func(frame.Frame) bool { return true })

	c := netcfg.Default()
	c.VLAN = 7
	if _, err := mem.Apply(ctx, c, netapi.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	close(held.release)
	keys <- keyevent.Press(keyevent.Enter)
	keys <- keyevent.Press(keyevent.Down)
	waitFor("CHANGE VLAN (the VLAN set while Subscribe was held)", func(f frame.Frame) bool { return strings.Contains(f.String(), "CHANGE VLAN") })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Serve: %v, want context.Canceled", err)
	}
}
