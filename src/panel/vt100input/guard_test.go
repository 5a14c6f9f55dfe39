package vt100input

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"picket.dev/picket/src/panel/keyevent"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// guardRun feeds a guard and collects what it released, as a console
// would: bytes at given times, Tick whenever the deadline passes before
// the next read.
type guardRun struct {
	g        *Guard
	now      time.Time
	keys     []keyevent.Event
	started  []Report
	ended    []Report
	dropped  int
	noiseNow bool
}

func newGuardRun(cfg GuardConfig) *guardRun { return &guardRun{g: NewGuard(cfg), now: t0} }

func (r *guardRun) take(rep Report) {
	r.keys = append(r.keys, rep.Keys...)
	if rep.NoiseStarted {
		r.started = append(r.started, rep)
	}
	if rep.NoiseEnded {
		r.ended = append(r.ended, rep)
	}
	r.dropped += rep.Dropped
	r.noiseNow = r.g.Noise()
}

// wait lets d pass with no byte, ticking at every deadline on the way.
func (r *guardRun) wait(d time.Duration) {
	end := r.now.Add(d)
	for {
		dl := r.g.Deadline()
		if dl.IsZero() || dl.After(end) {
			break
		}
		if dl.After(r.now) {
			r.now = dl
		}
		r.take(r.g.Tick(r.now))
	}
	r.now = end
}

// feed sends p in reads of at most chunk bytes, gap apart. A read returns
// as soon as bytes are there, so reads of one paste are a few
// milliseconds apart whatever their size.
func (r *guardRun) feed(p []byte, chunk int, gap time.Duration) {
	for len(p) > 0 {
		n := min(chunk, len(p))
		r.wait(gap)
		r.take(r.g.Feed(r.now, p[:n]))
		p = p[n:]
	}
}

func script(t *testing.T, s string) []keyevent.Event {
	t.Helper()
	evs, err := keyevent.ParseScript(s)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// Procedures of the seed guide as key scripts (the menu's walk tests check
// what they do): static LAN, VLAN, proxy, reboot.
const guideScripts = `ENTER ENTER DOWN DOWN ENTER ENTER CLEAR "10.1.2.3" ENTER DOWN*8 ENTER ` +
	`CLEAR "10.1.0.1" ENTER CLEAR "10.1.0.2" ENTER ENTER ENTER ENTER "corp.example" ENTER ENTER ENTER ` +
	`ENTER ENTER ENTER "0042" ENTER ENTER ` +
	`ENTER ENTER DOWN*3 ENTER ENTER CLEAR "proxy.example.com" ENTER CLEAR "3128" ENTER "dom\\user" ENTER "p@ss w0rd" ENTER ENTER ` +
	`ENTER UP UP LEFT RIGHT ENTER`

func TestGuardPasteAppliesInOrder(t *testing.T) {
	want := script(t, guideScripts)
	in := Encode(want)
	for _, cfg := range []GuardConfig{{}, {Marked: true}} {
		for _, chunk := range []int{1, 7, 256, len(in)} {
			r := newGuardRun(cfg)
			// At 9600 baud: about 1 ms a byte.
			r.feed(in, chunk, 2*time.Millisecond)
			if len(r.keys) != 0 {
				t.Errorf("chunk %d: %d keys released before the paste ended", chunk, len(r.keys))
			}
			r.wait(time.Second)
			if !slices.Equal(r.keys, want) {
				t.Errorf("marked %v, chunk %d: released %d keys, want the %d of the paste in order", cfg.Marked, chunk, len(r.keys), len(want))
			}
			if len(r.started) != 0 {
				t.Errorf("chunk %d: a clean paste taken for noise: %+v", chunk, r.started)
			}
		}
	}
}

func TestGuardPersonTyping(t *testing.T) {
	r := newGuardRun(GuardConfig{})
	keys := script(t, `ENTER DOWN "a" UP ENTER CLEAR LEFT RIGHT ENTER`)
	for i, ev := range keys {
		r.feed(Encode([]keyevent.Event{ev}), 3, 300*time.Millisecond)
		r.wait(DefaultPause)
		if len(r.keys) != i+1 || r.keys[i] != ev {
			t.Fatalf("after key %d (%v) released %v", i, ev, r.keys)
		}
	}
	// Keys a terminal sends that are no panel key do not make noise,
	// neither alone nor next to keys: Backspace, Tab, Delete, Home,
	// Ctrl-Up, Alt+x, a lone ESC, UTF-8 (a German keyboard's ä).
	r.feed([]byte("\b\t\x7f\x1b[H\x1b[1;5A\x1bx\x1b[Aä\r"), 64, time.Second)
	r.wait(time.Second)
	r.feed([]byte{0x1b}, 1, time.Second)
	r.wait(time.Second)
	if len(r.started) != 0 {
		t.Fatalf("a person's keys taken for noise: %+v", r.started)
	}
	if got := r.keys[len(keys):]; !slices.Equal(got, script(t, `UP ENTER`)) {
		t.Errorf("released %v, want UP ENTER", got)
	}
	// A lone Ctrl-C is junk, but with no key in its burst nothing is lost
	// and the next key counts.
	r.feed([]byte{0x03}, 1, time.Second)
	r.feed([]byte{'\r'}, 1, time.Second)
	r.wait(time.Second)
	if len(r.started) != 0 || r.keys[len(r.keys)-1] != keyevent.Press(keyevent.Enter) {
		t.Errorf("after a lone Ctrl-C: noise %+v, keys %v", r.started, r.keys)
	}
}

// TestGuardRandomNoise is the attack: a megabyte of random bytes
// (which applied 1,407 changes) releases no key, is reported as noise, and
// a paste after the noise applies whole.
func TestGuardRandomNoise(t *testing.T) {
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 12))
		noise := make([]byte, 1<<20)
		for i := range noise {
			noise[i] = byte(rng.Uint32())
		}
		for _, marked := range []bool{false, true} {
			r := newGuardRun(GuardConfig{Marked: marked})
			r.feed(noise, 256, 2*time.Millisecond)
			if len(r.keys) != 0 {
				t.Fatalf("seed %d: noise released %d keys: %v", seed, len(r.keys), r.keys[:min(len(r.keys), 20)])
			}
			if len(r.started) == 0 || !r.noiseNow {
				t.Fatalf("seed %d: noise not detected (started %v, now %v)", seed, r.started, r.noiseNow)
			}
			r.wait(DefaultHold - time.Millisecond)
			if !r.g.Noise() || len(r.ended) != 0 {
				t.Fatalf("seed %d: noise ended before the hold", seed)
			}
			r.wait(time.Millisecond)
			if r.g.Noise() || len(r.ended) != 1 || r.ended[0].Ignored == 0 {
				t.Fatalf("seed %d: noise did not end after the hold: %+v", seed, r.ended)
			}
			want := script(t, guideScripts)
			r.feed(Encode(want), 64, 2*time.Millisecond)
			r.wait(time.Second)
			if !slices.Equal(r.keys, want) {
				t.Fatalf("seed %d: paste after noise released %d keys, want %d", seed, len(r.keys), len(want))
			}
		}
	}
}

// TestGuardNoiseStartingWithEnter: a REALLY ...? prompt waits for ENTER;
// a burst of noise that starts with CR must not confirm it.
func TestGuardNoiseStartingWithEnter(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for range 1000 {
		r := newGuardRun(GuardConfig{})
		burst := []byte{'\r'}
		for range 200 {
			burst = append(burst, byte(rng.Uint32()))
		}
		r.wait(time.Second)
		r.feed(burst, 1+rng.IntN(64), time.Millisecond)
		r.wait(time.Minute)
		if len(r.keys) != 0 {
			t.Fatalf("noise starting with CR released %v", r.keys)
		}
		if len(r.started) != 1 || r.dropped == 0 {
			t.Fatalf("noise starting with CR: started %+v, dropped %d", r.started, r.dropped)
		}
	}
}

func TestGuardDirtyPasteRefusedWhole(t *testing.T) {
	keys := Encode(script(t, guideScripts))
	for _, junk := range [][]byte{{0x00}, {0x80}, {0x1b, '[', 0x01}, {0xc3, 'A'}, {0x1b, ']', 0xfe}} {
		for _, at := range []int{0, len(keys) / 2, len(keys)} {
			in := slices.Concat(keys[:at], junk, keys[at:])
			r := newGuardRun(GuardConfig{})
			r.feed(in, 32, 2*time.Millisecond)
			r.wait(time.Minute)
			if len(r.keys) != 0 {
				t.Errorf("junk %q at %d: released %d keys of a paste with junk in it", junk, at, len(r.keys))
			}
			if len(r.started) != 1 || r.started[0].Reason != ReasonJunkInBurst {
				t.Errorf("junk %q at %d: noise %+v", junk, at, r.started)
			}
		}
	}
}

func TestGuardLineErrors(t *testing.T) {
	for name, mark := range map[string][]byte{
		"framing error": {0xff, 0x00, 'A'},
		"break":         {0xff, 0x00, 0x00},
	} {
		r := newGuardRun(GuardConfig{Marked: true})
		r.feed([]byte("\r"), 1, time.Second)
		r.wait(time.Second)
		r.feed(mark, 3, time.Second)
		if len(r.started) != 1 || r.started[0].Reason != ReasonLineError || !r.noiseNow {
			t.Errorf("%s: noise %+v", name, r.started)
		}
		// Keys during the hold are ignored...
		r.feed([]byte("\r"), 1, time.Second)
		r.wait(DefaultHold)
		if len(r.keys) != 1 {
			t.Errorf("%s: released %v during noise", name, r.keys)
		}
		// ...and count again after it.
		r.feed([]byte("\r"), 1, time.Second)
		r.wait(time.Second)
		if len(r.keys) != 2 || len(r.ended) != 1 {
			t.Errorf("%s: after the hold released %v, ended %+v", name, r.keys, r.ended)
		}
	}
	// A real 0xff arrives doubled on a marking line: it is one junk byte,
	// not a line error. Unmarked, 0xff 0x00 'A' is two junk bytes and a
	// key: noise, but no line error.
	r := newGuardRun(GuardConfig{Marked: true})
	r.feed([]byte{0xff, 0xff}, 2, time.Second)
	r.wait(time.Second)
	if len(r.started) != 0 || r.g.dec.Junk() != 1 {
		t.Errorf("doubled 0xff: noise %+v, junk %d", r.started, r.g.dec.Junk())
	}
	r = newGuardRun(GuardConfig{})
	r.feed([]byte{0xff, 0x00, 'A'}, 3, time.Second)
	r.wait(time.Second)
	if len(r.started) != 1 || r.started[0].Reason != ReasonJunkInBurst || len(r.keys) != 0 {
		t.Errorf("unmarked line: noise %+v, keys %v", r.started, r.keys)
	}
}

func TestGuardJunkShare(t *testing.T) {
	r := newGuardRun(GuardConfig{})
	junk := slices.Repeat([]byte{0x80}, NoiseShare-1)
	r.feed(junk, len(junk), time.Second)
	if len(r.started) != 0 {
		t.Fatalf("%d junk bytes taken for noise", len(junk))
	}
	r.feed([]byte{0x80}, 1, time.Millisecond)
	if len(r.started) != 1 || r.started[0].Reason != ReasonJunkShare {
		t.Fatalf("%d junk bytes: noise %+v", NoiseShare, r.started)
	}
}

func TestGuardLongPaste(t *testing.T) {
	want := slices.Repeat(script(t, `DOWN "x" ENTER`), MaxHeld)
	r := newGuardRun(GuardConfig{})
	r.feed(Encode(want), 512, 2*time.Millisecond)
	if len(r.keys) == 0 || len(r.keys) > len(want)-MaxHeld/2 {
		t.Errorf("long paste: %d of %d keys released before its end", len(r.keys), len(want))
	}
	r.wait(time.Second)
	if !slices.Equal(r.keys, want) {
		t.Errorf("long paste: released %d keys, want %d in order", len(r.keys), len(want))
	}
}

func TestGuardEscapeSplitAcrossReads(t *testing.T) {
	r := newGuardRun(GuardConfig{})
	r.feed([]byte{0x1b}, 1, time.Second)
	r.feed([]byte{'['}, 1, 10*time.Millisecond)
	r.feed([]byte{'B'}, 1, 10*time.Millisecond)
	r.wait(time.Second)
	if !slices.Equal(r.keys, script(t, `DOWN`)) || len(r.started) != 0 {
		t.Errorf("split arrow: keys %v, noise %+v", r.keys, r.started)
	}
	if !r.g.Deadline().IsZero() {
		t.Errorf("deadline %v with nothing pending", r.g.Deadline())
	}
}
