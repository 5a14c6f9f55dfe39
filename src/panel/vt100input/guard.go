package vt100input

import (
	"math/bits"
	"time"

	"picket.dev/picket/src/panel/keyevent"
)

// Guard sits between the serial line and the menu and keeps line noise
// from reaching it. Random bytes contain valid keys (about one in three
// is printable ASCII, one in 128 a CR or LF), so a megabyte of noise fed
// straight to the decoder walks the menu and confirms its REALLY ...?
// prompts. Noise is told from a person by what a person's terminal never
// sends:
//
//   - bytes the UART marked as received with a framing or parity error,
//     or a break, when the line marks them (termios PARMRK with INPCK:
//     a bad byte c arrives as 0xff 0x00 c, a break as 0xff 0x00 0x00, and
//     a real 0xff as 0xff 0xff). A pseudo-terminal has no UART and never
//     reports either, so on a pty only the next two signs apply;
//   - a byte that is junk (Decoder.Junk: no key, no sequence, not UTF-8)
//     in the same burst as a key. A burst is bytes with no pause of
//     Pause between them: one key press, or one paste;
//   - a high share of junk among the last 64 bytes (at least 16).
//
// Keys are held back until their burst ends (a pause) and released only
// if the burst was clean, so a paste is applied whole or not at all, and
// a burst of noise that happens to start with an ENTER confirms nothing.
// A paste longer than MaxHeld keys releases its oldest keys early (they
// have that many clean bytes after them). On any sign of noise the held
// keys are dropped and the line is in noise: every byte is ignored until
// no bad byte (junk or marked) arrived for Hold. The caller shows LINE
// NOISE meanwhile and abandons the procedure on screen, so no REALLY ...?
// prompt that noise may have reached is confirmed afterwards by anyone.
//
// A person typing keys one at a time sees each key Pause after pressing
// it. A Guard does no I/O and reads no clock: the caller passes the time
// of each read, and calls Tick when Deadline has passed and no byte is
// waiting on the line (a read that timed out is not enough: the reader
// may have been descheduled while bytes queued, and a burst of noise
// that began with a CR would end early). It is not safe for concurrent
// use.
type Guard struct {
	cfg GuardConfig
	dec Decoder

	// mark is where the guard is in a PARMRK mark: after 0xff, after
	// 0xff 0x00.
	mark uint8
	// window has a bit per byte of the last 64, set for a bad one.
	window uint64
	// burstBad is set once the current burst had a bad byte; burstKeys
	// once it had a key (held or released early).
	burstBad, burstKeys bool
	held                []keyevent.Event
	// last is when the last byte arrived; zero before the first.
	last time.Time

	noise bool
	// lastBad is when the last bad byte arrived during noise.
	lastBad time.Time
	// ignored counts the bytes ignored in the current noise.
	ignored int
}

// GuardConfig sets a Guard up. Zero durations take the defaults.
type GuardConfig struct {
	// Marked says the line marks errors with PARMRK (a UART opened by
	// package serial); on a line that does not, 0xff is an ordinary byte.
	Marked bool
	// Pause ends a burst: keys are released, and an open escape sequence
	// (a lone ESC) is dropped. At 9600 baud bytes of one paste arrive
	// about 1 ms apart; a person's key presses are 100 ms or more apart.
	Pause time.Duration
	// Hold is how long the line must be free of bad bytes before noise
	// ends.
	Hold time.Duration
}

// Defaults of GuardConfig, and the bounds of a Guard.
const (
	DefaultPause = 50 * time.Millisecond
	DefaultHold  = 2 * time.Second
	// NoiseShare: this many bad bytes among the last 64 is noise.
	NoiseShare = 16
	// MaxHeld is how many keys a burst holds back at most.
	MaxHeld = 4096
)

// Why noise was detected.
const (
	ReasonLineError   = "framing or parity error, or break, on the line"
	ReasonJunkInBurst = "bytes that are no key among keys"
	ReasonJunkShare   = "mostly bytes that are no key"
)

// Report is what a Feed or Tick did.
type Report struct {
	// Keys are released to the menu, in order.
	Keys []keyevent.Event
	// NoiseStarted is set when noise was detected; Reason says why.
	// Dropped is how many held keys it threw away.
	NoiseStarted bool
	Reason       string
	Dropped      int
	// NoiseEnded is set when the line has been free of bad bytes for
	// Hold; Ignored is how many bytes the noise lasted.
	NoiseEnded bool
	Ignored    int
}

// NewGuard returns a guard for a line set up as cfg says.
func NewGuard(cfg GuardConfig) *Guard {
	if cfg.Pause <= 0 {
		cfg.Pause = DefaultPause
	}
	if cfg.Hold <= 0 {
		cfg.Hold = DefaultHold
	}
	return &Guard{cfg: cfg}
}

// Noise reports whether the line is in noise now.
func (g *Guard) Noise() bool { return g.noise }

// Deadline is when Tick has something to do if no byte arrives before:
// release held keys or drop an open escape sequence after a pause, or end
// noise. It is zero when there is nothing to wait for.
func (g *Guard) Deadline() time.Time {
	switch {
	case g.noise:
		return g.lastBad.Add(g.cfg.Hold)
	case len(g.held) > 0 || g.dec.Pending() || g.burstBad || g.burstKeys || g.mark != 0:
		return g.last.Add(g.cfg.Pause)
	}
	return time.Time{}
}

// Tick advances the guard to now, a time at which no byte is waiting on
// the line: a burst whose pause has passed ends (its keys are released if
// it was clean), and noise whose hold has passed ends.
func (g *Guard) Tick(now time.Time) Report {
	var r Report
	g.tick(now, &r)
	return r
}

func (g *Guard) tick(now time.Time, r *Report) {
	if g.noise {
		if now.Sub(g.lastBad) >= g.cfg.Hold {
			r.NoiseEnded, r.Ignored = true, g.ignored
			g.noise, g.ignored = false, 0
			g.dec.Reset()
			g.mark, g.window, g.burstBad, g.burstKeys = 0, 0, false, false
		}
		return
	}
	if g.last.IsZero() || now.Sub(g.last) < g.cfg.Pause {
		return
	}
	// The burst is over.
	junk := g.dec.Junk()
	g.dec.Flush()
	if g.mark != 0 {
		g.mark = 0 // a mark cut short: an 0xff alone
		g.dec.junk++
	}
	if g.dec.Junk() != junk && len(g.held) > 0 {
		g.startNoise(now, ReasonJunkInBurst, r)
		return
	}
	r.Keys = append(r.Keys, g.held...)
	g.held = g.held[:0]
	g.burstBad, g.burstKeys = false, false
}

// Feed takes the bytes of one read at time now and returns what to do.
// It never ends a burst, however long since the last read: bytes may have
// waited in the kernel while the reader was not running, so only Tick,
// called when the line is known to be quiet, does.
func (g *Guard) Feed(now time.Time, p []byte) Report {
	var r Report
	for _, b := range p {
		g.byte(now, b, &r)
	}
	if len(p) > 0 {
		g.last = now
	}
	return r
}

// byte takes one byte off the line, undoing PARMRK's marks first.
func (g *Guard) byte(now time.Time, b byte, r *Report) {
	if g.cfg.Marked {
		switch g.mark {
		case 0:
			if b == 0xff {
				g.mark = 1
				return
			}
		case 1:
			g.mark = 0
			switch b {
			case 0xff: // a real 0xff
			case 0x00:
				g.mark = 2
				return
			default:
				// Not a mark the kernel makes: take the 0xff as a byte.
				g.decode(now, 0xff, false, r)
			}
		case 2:
			g.mark = 0
			g.decode(now, b, true, r) // b came with an error (0: a break)
			return
		}
	}
	g.decode(now, b, false, r)
}

// decode feeds one byte to the decoder and judges it; lineErr says the
// UART marked it.
func (g *Guard) decode(now time.Time, b byte, lineErr bool, r *Report) {
	junk := g.dec.Junk()
	var evs [1]keyevent.Event
	out := g.dec.step(evs[:0], b)
	bad := lineErr || g.dec.Junk() != junk
	g.window <<= 1
	if bad {
		g.window |= 1
	}
	if g.noise {
		g.ignored++
		if bad {
			g.lastBad = now
		}
		return
	}
	switch {
	case lineErr:
		g.startNoise(now, ReasonLineError, r)
		return
	case bad && g.burstKeys:
		g.startNoise(now, ReasonJunkInBurst, r)
		return
	case bad && bits.OnesCount64(g.window) >= NoiseShare:
		g.startNoise(now, ReasonJunkShare, r)
		return
	case bad:
		g.burstBad = true
	}
	if len(out) == 0 {
		return
	}
	if g.burstBad {
		g.startNoise(now, ReasonJunkInBurst, r)
		return
	}
	g.burstKeys = true
	g.held = append(g.held, out...)
	if len(g.held) >= MaxHeld {
		// A very long clean paste: release the older half, which has
		// MaxHeld/2 clean keys after it.
		half := len(g.held) / 2
		r.Keys = append(r.Keys, g.held[:half]...)
		g.held = append(g.held[:0], g.held[half:]...)
	}
}

func (g *Guard) startNoise(now time.Time, reason string, r *Report) {
	if !r.NoiseStarted {
		r.NoiseStarted, r.Reason = true, reason
	}
	r.Dropped += len(g.held)
	g.held = g.held[:0]
	g.noise, g.lastBad, g.ignored = true, now, 0
	g.burstBad, g.burstKeys = false, false
	g.dec.Reset()
}
