// Package keypad turns the five front-panel keys into key events: it samples
// the key lines (GPIO pins, or a pin group on the MCP23017 LCD plate),
// debounces them, reads LEFT and RIGHT pressed together as CLEAR, and
// auto-repeats UP and DOWN while held, but only when the menu says a text
// field is being edited (the spec: "holding UP/DOWN auto-repeats only in
// text fields"; elsewhere a held key would run through menus).
//
// Time is never read here: Poll takes the sample time, and Run takes a
// channel of ticks (a time.Ticker's on the box, a hand-fed channel in
// tests), so tests drive bounce, chords and repeat without sleeping.
package keypad

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3/gpio"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/panel/keyevent"
)

// Set is the set of keys held down, one bit per key.
type Set uint8

// The keys in sampling order; also the order of a key pin group.
const (
	Up Set = 1 << iota
	Down
	Left
	Right
	Enter
	all = Up | Down | Left | Right | Enter
)

// numKeys is the number of keys; key i is bit 1<<i of a Set.
const numKeys = 5

// keyAt is the event key of bit i (a function, not a table variable, so
// nothing can change the mapping).
func keyAt(i int) keyevent.Key {
	return [numKeys]keyevent.Key{keyevent.Up, keyevent.Down, keyevent.Left, keyevent.Right, keyevent.Enter}[i]
}

// Sampler reads all five key lines at once.
type Sampler interface {
	Sample() (Set, error)
}

// PinLookup resolves a board pin name to a pin (see lcd.PinLookup).
type PinLookup func(name string) (gpio.PinIO, error)

// pins samples one GPIO pin per key.
type pins struct {
	in        [numKeys]gpio.PinIn
	activeLow bool
}

// FromPins returns a Sampler over the board's five key pins, configured as
// inputs with the pull-up (active-low keys, which short to ground) or the
// pull-down (active-high keys) on, so an open key reads as released.
func FromPins(k board.Keys, lookup PinLookup) (Sampler, error) {
	p := &pins{activeLow: k.ActiveLow}
	pull := gpio.PullDown
	if k.ActiveLow {
		pull = gpio.PullUp
	}
	for i, name := range []string{k.Up, k.Down, k.Left, k.Right, k.Enter} {
		if name == "" {
			return nil, fmt.Errorf("keypad: no pin for %s", keyAt(i))
		}
		pin, err := lookup(name)
		if err != nil {
			return nil, fmt.Errorf("keypad: %s pin %s: %w", keyAt(i), name, err)
		}
		if err := pin.In(pull, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("keypad: %s pin %s: %w", keyAt(i), name, err)
		}
		p.in[i] = pin
	}
	return p, nil
}

func (p *pins) Sample() (Set, error) {
	var s Set
	for i, pin := range p.in {
		if (pin.Read() == gpio.High) != p.activeLow {
			s |= 1 << i
		}
	}
	return s, nil
}

// group samples a pin group in one read.
type group struct {
	g         gpio.Group
	activeLow bool
}

// FromGroup returns a Sampler over a group of five input pins ordered Up,
// Down, Left, Right, Enter, already configured as inputs (lcd.Plate's
// KeyGroup does that). On the plate this is one I2C read per sample
// instead of five.
func FromGroup(g gpio.Group, activeLow bool) (Sampler, error) {
	if n := len(g.Pins()); n != 5 {
		return nil, fmt.Errorf("keypad: a key group needs 5 pins, has %d", n)
	}
	return &group{g: g, activeLow: activeLow}, nil
}

func (g *group) Sample() (Set, error) {
	v, err := g.g.Read(gpio.GPIOValue(all))
	if err != nil {
		return 0, err
	}
	s := Set(v) & all
	if g.activeLow {
		s ^= all
	}
	return s, nil
}

// Config holds the timing of the key reader.
type Config struct {
	// Debounce is how long a line must read the same before a press or
	// release counts. Contacts bounce for a few milliseconds.
	Debounce time.Duration
	// Chord is how long a LEFT or RIGHT press waits for the other key
	// before it counts alone; two presses within it are CLEAR. People
	// pressing two keys "together" are tens of milliseconds apart.
	Chord time.Duration
	// RepeatDelay and RepeatEvery time auto-repeat of a held UP or DOWN.
	RepeatDelay, RepeatEvery time.Duration
}

// DefaultConfig is tuned for tact switches polled every PollEvery.
func DefaultConfig() Config {
	return Config{
		Debounce:    20 * time.Millisecond,
		Chord:       80 * time.Millisecond,
		RepeatDelay: 500 * time.Millisecond,
		RepeatEvery: 150 * time.Millisecond,
	}
}

// PollEvery is the sampling period lcdd should tick Run with: short
// against Debounce, and one I2C read per tick on the plate is cheap.
const PollEvery = 5 * time.Millisecond

// Keypad is the debounce, chord and repeat state machine over a Sampler.
// Poll and Run are for one goroutine; SetRepeat may be called from any.
type Keypad struct {
	s      Sampler
	cfg    Config
	repeat atomic.Bool

	started  bool
	raw      Set // last sample
	since    [numKeys]time.Time
	stable   Set // debounced state
	next     [numKeys]time.Time
	pending  Set // LEFT or RIGHT pressed, waiting for its partner
	pendedAt time.Time
	chord    bool // CLEAR sent; LEFT/RIGHT say nothing until both are up
}

// New returns a key reader over s. Zero fields of cfg take their
// DefaultConfig value.
func New(s Sampler, cfg Config) *Keypad {
	def := DefaultConfig()
	if cfg.Debounce <= 0 {
		cfg.Debounce = def.Debounce
	}
	if cfg.Chord <= 0 {
		cfg.Chord = def.Chord
	}
	if cfg.RepeatDelay <= 0 {
		cfg.RepeatDelay = def.RepeatDelay
	}
	if cfg.RepeatEvery <= 0 {
		cfg.RepeatEvery = def.RepeatEvery
	}
	return &Keypad{s: s, cfg: cfg}
}

// NewReported returns a Keypad for keys that a device debounces and
// reports itself, such as the serial LCD module, which sends a packet for
// every press and every release: there is no Sampler (Poll and Run are not
// for it) and no debounce. The caller hands it the keys held after each
// report with Feed, and the same set at least every PollEvery in between,
// so that a lone LEFT or RIGHT comes out when its chord window closes and
// a held UP or DOWN repeats. Chords and repeat work as for sampled keys.
func NewReported(cfg Config) *Keypad {
	k := New(nil, cfg)
	k.cfg.Debounce = 0 // a reported change counts at once
	return k
}

// Feed tells a Keypad from NewReported that the keys in held are down from
// time now on, and returns the events that completes, in key order. now
// must not go backwards.
func (k *Keypad) Feed(now time.Time, held Set) []keyevent.Event {
	return k.step(now, held&all)
}

// SetRepeat turns auto-repeat of UP and DOWN on (a text field is being
// edited) or off. A key already held starts repeating RepeatDelay after
// repeat is turned on, not at once.
func (k *Keypad) SetRepeat(on bool) { k.repeat.Store(on) }

// Poll samples the keys at time now and returns the events that sample
// completes, in key order. now must not go backwards.
func (k *Keypad) Poll(now time.Time) ([]keyevent.Event, error) {
	s, err := k.s.Sample()
	if err != nil {
		return nil, fmt.Errorf("keypad: sampling keys: %w", err)
	}
	return k.step(now, s), nil
}

func (k *Keypad) step(now time.Time, s Set) []keyevent.Event {
	if !k.started {
		k.started = true
		for i := range k.since {
			k.since[i] = now
		}
	}
	var ev []keyevent.Event
	emit := func(key keyevent.Key) { ev = append(ev, keyevent.Press(key)) }
	repeat := k.repeat.Load()
	for i := 0; i < numKeys; i++ {
		bit := Set(1) << i
		if s&bit != k.raw&bit {
			k.since[i] = now
		}
		if (s&bit == k.stable&bit) || now.Sub(k.since[i]) < k.cfg.Debounce {
			continue
		}
		k.stable ^= bit
		if k.stable&bit != 0 {
			k.pressed(i, bit, now, emit)
		} else {
			k.released(bit, emit)
		}
	}
	k.raw = s
	if k.pending != 0 && now.Sub(k.pendedAt) >= k.cfg.Chord {
		emit(keyOf(k.pending))
		k.pending = 0
	}
	for i, bit := range []Set{Up, Down} {
		if k.stable&bit == 0 {
			continue
		}
		if !repeat {
			k.next[i] = now.Add(k.cfg.RepeatDelay)
			continue
		}
		if !now.Before(k.next[i]) {
			emit(keyAt(i))
			k.next[i] = now.Add(k.cfg.RepeatEvery)
		}
	}
	return ev
}

func (k *Keypad) pressed(i int, bit Set, now time.Time, emit func(keyevent.Key)) {
	switch bit {
	case Left, Right:
		other := (Left | Right) &^ bit
		switch {
		case k.chord:
		case k.stable&other != 0:
			// The partner is down (waiting, or already sent alone because
			// it was pressed more than Chord earlier): CLEAR.
			k.pending = 0
			k.chord = true
			emit(keyevent.Clear)
		default:
			k.pending = bit
			k.pendedAt = now
		}
	default:
		emit(keyAt(i))
		k.next[i] = now.Add(k.cfg.RepeatDelay)
	}
}

func (k *Keypad) released(bit Set, emit func(keyevent.Key)) {
	if bit&(Left|Right) == 0 {
		return
	}
	if k.pending == bit {
		// A tap shorter than the chord window.
		emit(keyOf(bit))
		k.pending = 0
	}
	if k.stable&(Left|Right) == 0 {
		k.chord = false
	}
}

func keyOf(bit Set) keyevent.Key {
	for i := 0; i < numKeys; i++ {
		if Set(1)<<i == bit {
			return keyAt(i)
		}
	}
	return keyevent.None
}

// Run polls the keys at every tick and hands each event to emit, until ctx
// ends (it returns nil), ticks is closed (nil), or a sample fails (the
// error: the I2C expander or GPIO went away, which lcdd cannot fix by
// itself).
func (k *Keypad) Run(ctx context.Context, ticks <-chan time.Time, emit func(keyevent.Event)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case now, ok := <-ticks:
			if !ok {
				return nil
			}
			ev, err := k.Poll(now)
			if err != nil {
				return err
			}
			for _, e := range ev {
				emit(e)
			}
		}
	}
}

// ErrNoKeys is returned by FromBoard for a board without key pins.
var ErrNoKeys = errors.New("keypad: the board has no key pins")

// FromBoard is FromPins for a board, with ErrNoKeys when it names no key
// pins at all (the virtual and rack boards).
func FromBoard(b board.Board, lookup PinLookup) (Sampler, error) {
	k := b.Keys
	if k.Up == "" && k.Down == "" && k.Left == "" && k.Right == "" && k.Enter == "" {
		return nil, ErrNoKeys
	}
	return FromPins(k, lookup)
}
