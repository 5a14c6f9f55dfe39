package lcdserial

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keypad"
	"picket.dev/picket/src/panel/lcd"
)

// Baud is the line speed of the appliance's module: the CFA-635's factory
// setting (LCDproc's model table), 8 data bits, no parity, 1 stop bit.
const Baud = 115200

// Defaults of Options.
const (
	DefaultTimeout = 250 * time.Millisecond
	DefaultTries   = 3
)

// ErrNoAnswer is returned (wrapped) when the module did not answer a
// command after every try: it is unplugged, off, or at another speed.
var ErrNoAnswer = errors.New("no answer from the LCD module")

// ErrRejected is returned (wrapped) when the module answered a command
// with an error response.
var ErrRejected = errors.New("the LCD module refused the command")

// Options configure a Module.
type Options struct {
	// Geometry is the size the menu is drawn in: the board's. It must fit
	// the module (16x2 up to 20x4).
	Geometry frame.Geometry
	// Clock times the answers and the key reports; nil is clock.System.
	Clock clock.Clock
	// Log receives resyncs and retries; nil discards them.
	Log *slog.Logger
	// Timeout is how long one try of a command waits for its answer;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// Tries is how many times a command is sent before ErrNoAnswer; zero
	// means DefaultTries.
	Tries int
	// Glyphs are the custom characters uploaded by Open; nil means
	// lcd.NavGlyphs.
	Glyphs lcd.Glyphs
	// Keys times chords and auto-repeat (its Debounce is not used: the
	// module debounces); the zero value is keypad.DefaultConfig.
	Keys keypad.Config
}

// model is what the driver knows of a module type.
type model struct {
	name string
	// rows and cols are the module's size; 0 when not known.
	rows, cols int
	// ks0073 is true for the CFA-635's character ROM, false for an
	// HD44780 ROM (see romCode).
	ks0073 bool
	// leds is true when GPIO 5-12 drive the four bicolour LEDs.
	leds bool
}

// modelOf reads the model from the version answer, "CFA635:h1.5,c1.0" or
// the like.
func modelOf(version string) model {
	name, _, _ := strings.Cut(version, ":")
	switch name {
	case "CFA635":
		return model{name: name, rows: 4, cols: 20, ks0073: true, leds: true}
	case "CFA533", "CFA633":
		return model{name: name, rows: 2, cols: 16}
	}
	return model{name: name}
}

// LED dies of the CFA-635 (GPIO numbers of command 34, from LCDproc's
// CFontzPacket.c): green top to bottom 11, 9, 7, 5; red 12, 10, 8, 6.
const (
	gpioS1       = 11 // top LED, green
	gpioS2       = 9  // second LED, green
	firstLEDGPIO = 5
	lastLEDGPIO  = 12
	ledOn        = 100 // command 34's state: 0 off to 100 fully on
)

// Key reporting masks of command 23 (the data sheets' KP_* bits).
const (
	kpUp     = 0x01
	kpEnter  = 0x02
	kpCancel = 0x04
	kpLeft   = 0x08
	kpRight  = 0x10
	kpDown   = 0x20
	// fiveKeys is every key but CANCEL (see the package doc).
	fiveKeys = kpUp | kpEnter | kpLeft | kpRight | kpDown
)

// Cursor styles of command 12.
const (
	cursorNone       = 0
	cursorUnderscore = 2
)

// unknown marks a cell whose content on the module is not known.
const unknown = -1

// Module is an open LCD module. Draw, DefineGlyphs, Backlight, SetLEDs and
// Close may be called from any goroutine (one command is on the line at a
// time); RunKeys runs in one goroutine.
type Module struct {
	rw      io.ReadWriteCloser
	clock   clock.Clock
	log     *slog.Logger
	timeout time.Duration
	tries   int
	geo     frame.Geometry
	model   model
	kp      *keypad.Keypad

	cmdMu sync.Mutex // held for a whole command: one on the line at a time

	// mu guards what the reader goroutine hands over.
	mu      sync.Mutex
	dec     decoder
	answers []packet      // responses and error responses not yet taken
	answerc chan struct{} // a token when answers grew or the reader ended
	keys    []keyReport   // key reports not yet taken by RunKeys
	keyc    chan struct{} // a token when keys grew or the reader ended
	readErr error         // why the reader ended
	done    chan struct{} // closed when the reader ended

	// dmu guards the display state; taken before cmdMu.
	dmu    sync.Mutex
	shown  []int // char code in each cell, unknown if not known
	slots  map[frame.Glyph]byte
	bs     int // code drawn for '\\' (a CGRAM slot on an HD44780 ROM)
	style  int // cursor style in force, unknown if not known
	curRow int
	curCol int
	curOK  bool // the module's cursor is at curRow, curCol
	leds   frame.LEDs
	closed bool
}

// keyReport is a key code from a report and when it came.
type keyReport struct {
	code byte
	at   time.Time
}

// Open starts the driver on rw and sets the module up (the sequence in the
// package doc). On failure rw is closed.
func Open(rw io.ReadWriteCloser, o Options) (*Module, error) {
	g := o.Geometry
	if !g.Valid() || g.Rows > 4 || g.Cols > 20 {
		rw.Close()
		return nil, fmt.Errorf("lcdserial: a %s panel does not fit a module (16x2 up to 20x4)", g)
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Tries <= 0 {
		o.Tries = DefaultTries
	}
	glyphs := o.Glyphs
	if glyphs == nil {
		glyphs = lcd.NavGlyphs()
	}
	if err := glyphs.Check(); err != nil {
		rw.Close()
		return nil, fmt.Errorf("lcdserial: %w", err)
	}
	m := &Module{
		rw: rw, clock: o.Clock, log: o.Log, timeout: o.Timeout, tries: o.Tries, geo: g,
		kp:      keypad.NewReported(o.Keys),
		answerc: make(chan struct{}, 1),
		keyc:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		shown:   make([]int, g.Rows*g.Cols),
		bs:      '\\',
		style:   unknown,
	}
	m.forget()
	go m.read()
	if err := m.init(glyphs); err != nil {
		m.shut()
		return nil, err
	}
	return m, nil
}

// resync is what Open sends when the module does not answer its first
// pings: bytes that can neither start a packet (0xFF's top bits say error
// response, which no host sends) nor be a packet's length (over maxData),
// as many as the longest packet (type, length, maxData data bytes, CRC).
// A module may hold a packet half received, whose header came from bytes
// on the line before lcdd (line noise, or the firmware's boot text when
// the module hangs on a port the firmware also writes to, as qemu's OVMF
// does on every serial port), and take the pings as the rest of it: these
// bytes complete whatever it holds (its CRC then fails, and the module
// drops it and looks again, so a ping in it still counts), and are then
// dropped one by one themselves.
var resync = bytes.Repeat([]byte{0xff}, 2+maxData+2)

// init is Open's sequence.
func (m *Module) init(glyphs lcd.Glyphs) error {
	if _, err := m.command(cmdPing, nil); errors.Is(err, ErrNoAnswer) {
		m.log.Warn("LCD module: no answer to the ping; flushing what it may hold half received, and trying again")
		if _, err := m.rw.Write(resync); err != nil {
			return fmt.Errorf("lcdserial: resync: write: %w", err)
		}
		if _, err := m.command(cmdPing, nil); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	v, err := m.command(cmdVersion, nil)
	if err != nil {
		return err
	}
	m.model = modelOf(string(bytes.TrimRight(v, "\x00 ")))
	if m.model.rows == 0 {
		m.log.Warn("unknown LCD module model; taking it for an HD44780 character set without LEDs", "version", string(v))
	} else if m.geo.Rows > m.model.rows || m.geo.Cols > m.model.cols {
		return fmt.Errorf("lcdserial: the board's panel is %s, the module (%s) is %dx%d", m.geo, m.model.name, m.model.cols, m.model.rows)
	}
	m.log.Info("LCD module", "version", string(v), "panel", m.geo.String())
	type step struct {
		cmd  byte
		data []byte
	}
	steps := []step{
		{cmdKeyReporting, []byte{fiveKeys, fiveKeys}},
		{cmdCursorStyle, []byte{cursorNone}},
		{cmdClear, nil},
	}
	if m.model.leds {
		for gpio := byte(firstLEDGPIO); gpio <= lastLEDGPIO; gpio++ {
			steps = append(steps, step{cmdSetGPIO, []byte{gpio, 0}})
		}
	}
	steps = append(steps, step{cmdBacklight, []byte{100}})
	for _, s := range steps {
		if _, err := m.command(s.cmd, s.data); err != nil {
			return err
		}
	}
	m.style = cursorNone
	for i := range m.shown {
		m.shown[i] = ' ' // what clear leaves
	}
	return m.upload(glyphs)
}

// read is the reader goroutine: it decodes what the module sends and hands
// answers to the command waiting and key reports to RunKeys.
func (m *Module) read() {
	defer close(m.done)
	buf := make([]byte, 256)
	var pk []packet
	for {
		n, err := m.rw.Read(buf)
		if n > 0 {
			m.mu.Lock()
			pk = m.dec.feed(buf[:n], pk[:0])
			m.dispatch(pk)
			m.mu.Unlock()
		}
		if err != nil {
			m.mu.Lock()
			m.readErr = err
			signal(m.answerc)
			signal(m.keyc)
			m.mu.Unlock()
			return
		}
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// dispatch hands packets over; m.mu is held.
func (m *Module) dispatch(pk []packet) {
	if m.dec.dropped > 0 {
		m.log.Debug("LCD module: bytes dropped while resyncing", "bytes", m.dec.dropped)
		m.dec.dropped = 0
	}
	for _, p := range pk {
		switch {
		case p.typ == reportKey && len(p.data) == 1:
			m.keys = append(m.keys, keyReport{code: p.data[0], at: m.clock.Now()})
			signal(m.keyc)
		case p.typ&classMask == classResponse || p.typ&classMask == classError:
			m.answers = append(m.answers, p)
			signal(m.answerc)
		default:
			m.log.Debug("LCD module: report ignored", "type", fmt.Sprintf("%#02x", p.typ), "len", len(p.data))
		}
	}
}

// takeAnswer removes and returns the answer to cmd, with every answer
// before it (stale: to an earlier try or command); m.mu is held.
func (m *Module) takeAnswer(cmd byte) (packet, bool) {
	for i, p := range m.answers {
		if p.typ&^classMask == cmd {
			m.answers = append(m.answers[:0], m.answers[i+1:]...)
			return p, true
		}
	}
	return packet{}, false
}

// command sends cmd with data and returns the data of its response,
// sending it again when no answer comes in time.
func (m *Module) command(cmd byte, data []byte) ([]byte, error) {
	m.cmdMu.Lock()
	defer m.cmdMu.Unlock()
	out := appendPacket(nil, cmd, data)
	m.mu.Lock()
	m.answers = m.answers[:0] // answers to earlier commands are stale
	m.mu.Unlock()
	for try := 1; try <= m.tries; try++ {
		if _, err := m.rw.Write(out); err != nil {
			return nil, fmt.Errorf("lcdserial: %s: write: %w", commandName(cmd), err)
		}
		p, ok, err := m.await(cmd)
		if err != nil {
			return nil, err
		}
		if !ok {
			m.log.Debug("LCD module: no answer; sending again", "command", commandName(cmd), "try", try)
			continue
		}
		if p.typ&classMask == classError {
			return nil, fmt.Errorf("lcdserial: %s % x: %w", commandName(cmd), data, ErrRejected)
		}
		if cmd == cmdPing && !bytes.Equal(p.data, data) {
			return nil, fmt.Errorf("lcdserial: ping echoed % x, sent % x", p.data, data)
		}
		return p.data, nil
	}
	return nil, fmt.Errorf("lcdserial: %s: %w after %d tries of %v", commandName(cmd), ErrNoAnswer, m.tries, m.timeout)
}

// await waits one timeout for the answer to cmd. ok is false when none
// came; err is set when the reader ended.
func (m *Module) await(cmd byte) (p packet, ok bool, err error) {
	t := m.clock.NewTimer(m.timeout)
	defer t.Stop()
	for {
		m.mu.Lock()
		p, ok = m.takeAnswer(cmd)
		rerr := m.readErr
		m.mu.Unlock()
		switch {
		case ok:
			return p, true, nil
		case rerr != nil:
			return packet{}, false, fmt.Errorf("lcdserial: %s: reading the module: %w", commandName(cmd), rerr)
		}
		select {
		case <-m.answerc:
		case <-t.C():
			// Overdue: perhaps a packet cut short holds the reader.
			m.mu.Lock()
			m.dispatch(m.dec.skip(nil))
			p, ok = m.takeAnswer(cmd)
			m.mu.Unlock()
			return p, ok, nil
		}
	}
}

// shut closes the line and waits for the reader to end.
func (m *Module) shut() error {
	err := m.rw.Close()
	<-m.done
	return err
}

// Close switches the LEDs off, leaves the last frame on the display, and
// closes the line.
func (m *Module) Close() error {
	m.dmu.Lock()
	defer m.dmu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	lerr := m.setLEDs(frame.LEDs{})
	if err := m.shut(); err != nil {
		return errors.Join(lerr, fmt.Errorf("lcdserial: close: %w", err))
	}
	return lerr
}
