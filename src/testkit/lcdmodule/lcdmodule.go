// Package lcdmodule emulates the rack appliance's serial LCD module, a
// Crystalfontz packet-protocol module (CFA-635 by default; CFA-633 and
// CFA-533 too), for tests: the test double at the hardware edge of package
// lcdserial. It is test-only.
//
// A Module serves one byte stream (Serve): a pty's master side (OpenPTY),
// a unix socket a qemu chardev connects to, or one end of a pipe. It takes
// the host's bytes as the data sheets describe, finds packets (type,
// length, data, CRC-16/X-25 low byte first), checks every CRC, and
// answers each good command as the module does: 0x40|command with the
// data the command answers with (ping echoes, version gives the version
// string), or 0xC0|command when the command is malformed for the model
// (wrong length, a column or row off the display, text running past the end
// of a row, a GPIO or style out of range, an unknown command). It is
// stricter than a real module, which may clip or wrap: anything a real one
// might take differently is refused, so a driver bug shows.
//
// It keeps what a module keeps: the display (Rows x Cols character codes),
// the eight custom characters, cursor, backlight, key reporting masks and
// GPIO states (the CFA-635's LEDs), and a log of every good packet received,
// byte for byte, and of the bytes it had to drop. A test can press and
// release keys (reported only if the host enabled them, as the module
// does), send raw bytes (garbage, corrupted or truncated packets), leave
// the next commands unanswered, or put bytes before the next answer.
//
// Its parser is LCDproc's rule, as a module's firmware may have it: at a
// byte that cannot start a packet, or a packet whose CRC fails, drop one
// byte and look again. A corrupted packet whose remaining bytes look like
// the header of a longer one therefore holds the commands after it until
// enough bytes came, as it may on a real module; the driver's retries get
// past it.
//
// The CRC and the parser here are written independently of lcdserial's
// (a lookup table built at New rather than a bit loop), so that the two do
// not share a mistake; the byte-exact tests carry hand-checked packets.
package lcdmodule

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"

	"picket.dev/picket/src/panel/serial"
)

// Key is one of the module's six keys.
type Key int

// The keys, numbered as their press codes in report 0x80 (release codes
// are 6 more).
const (
	KeyUp Key = iota + 1
	KeyDown
	KeyLeft
	KeyRight
	KeyEnter
	KeyExit // the CANCEL key, marked X
)

// mask is the key's bit in command 23's masks (the data sheets' KP_*).
func (k Key) mask() byte {
	switch k {
	case KeyUp:
		return 0x01
	case KeyEnter:
		return 0x02
	case KeyExit:
		return 0x04
	case KeyLeft:
		return 0x08
	case KeyRight:
		return 0x10
	case KeyDown:
		return 0x20
	}
	return 0
}

// Config says which module to be. The zero value is a CFA-635.
type Config struct {
	// Model is "CFA635" (default), "CFA633" or "CFA533".
	Model string
	// Rows and Cols are the display's size; zero means the model's
	// (20x4 for the CFA-635, 16x2 for the others).
	Rows, Cols int
	// Version is the answer to command 1; empty means Model followed by
	// ":h1.4,u1v2" (16 bytes, the shape of a real answer).
	Version string
}

// Packet is one good packet the module received.
type Packet struct {
	Type byte
	Data []byte
	// Raw is the packet as it came: type, length, data, CRC.
	Raw []byte
}

// Module is the emulated module. Its methods are safe for concurrent use.
type Module struct {
	cfg   Config
	table [256]uint16

	wmu sync.Mutex // one writer on the line at a time
	w   io.Writer

	mu        sync.Mutex
	ddram     [][]byte
	cgram     [8][8]byte
	curRow    int
	curCol    int
	style     byte
	backlight int
	contrast  int
	pressMask byte
	relMask   byte
	gpio      [13]int
	received  []Packet
	dropped   int
	silence   int    // commands to leave unanswered
	prefix    []byte // bytes to send before the next answer
	changed   chan struct{}
}

// New returns a module in its power-on state: blank display, backlight
// full, every key reported, LEDs off.
func New(cfg Config) *Module {
	if cfg.Model == "" {
		cfg.Model = "CFA635"
	}
	if cfg.Rows == 0 || cfg.Cols == 0 {
		cfg.Rows, cfg.Cols = 2, 16
		if cfg.Model == "CFA635" {
			cfg.Rows, cfg.Cols = 4, 20
		}
	}
	if cfg.Version == "" {
		cfg.Version = cfg.Model + ":h1.4,u1v2"
	}
	m := &Module{cfg: cfg, backlight: 100, pressMask: 0x3f, relMask: 0x3f, changed: make(chan struct{}, 1)}
	// The table of the reflected CCITT polynomial, entry i being the CRC
	// register after shifting the byte i out of it.
	for i := range m.table {
		c := uint16(i)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ 0x8408
			} else {
				c >>= 1
			}
		}
		m.table[i] = c
	}
	m.ddram = make([][]byte, cfg.Rows)
	for r := range m.ddram {
		m.ddram[r] = []byte(strings.Repeat(" ", cfg.Cols))
	}
	return m
}

// crc is the packets' CRC-16/X-25 over b.
func (m *Module) crc(b []byte) uint16 {
	c := uint16(0xffff)
	for _, x := range b {
		c = c>>8 ^ m.table[byte(c)^x]
	}
	return ^c
}

// Encode returns the packet of type typ with data, CRC appended, as the
// module puts it on the line.
func (m *Module) Encode(typ byte, data []byte) []byte {
	b := append([]byte{typ, byte(len(data))}, data...)
	c := m.crc(b)
	return append(b, byte(c&0xff), byte(c>>8))
}

// Serve answers the commands read from rw until reading fails; it returns
// nil when rw is closed or hung up (EOF, a closed file or pipe, EIO from a
// pty master whose slave was closed), the error otherwise.
func (m *Module) Serve(rw io.ReadWriter) error {
	m.wmu.Lock()
	m.w = rw
	m.wmu.Unlock()
	var buf []byte
	rd := make([]byte, 256)
	for {
		n, err := rw.Read(rd)
		buf = append(buf, rd[:n]...)
		buf = m.take(buf)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) || errors.Is(err, io.ErrClosedPipe) ||
				errors.Is(err, syscall.EIO) {
				return nil
			}
			return fmt.Errorf("lcdmodule: read: %w", err)
		}
	}
}

// take handles every packet at the start of buf, dropping a byte at a
// time where none starts, and returns what is left (a packet not complete
// yet).
func (m *Module) take(buf []byte) []byte {
	for len(buf) >= 4 {
		typ, n := buf[0], int(buf[1])
		if typ > 35 || n > 22 {
			buf = m.drop(buf)
			continue
		}
		if len(buf) < n+4 {
			return buf
		}
		c := m.crc(buf[:n+2])
		if buf[n+2] != byte(c&0xff) || buf[n+3] != byte(c>>8) {
			buf = m.drop(buf)
			continue
		}
		p := Packet{Type: typ, Data: append([]byte(nil), buf[2:n+2]...), Raw: append([]byte(nil), buf[:n+4]...)}
		buf = buf[n+4:]
		m.handle(p)
	}
	return buf
}

func (m *Module) drop(buf []byte) []byte {
	m.mu.Lock()
	m.dropped++
	m.mu.Unlock()
	return buf[1:]
}

// handle carries out one command and answers it.
func (m *Module) handle(p Packet) {
	m.mu.Lock()
	m.received = append(m.received, p)
	answer, ok := m.execute(p.Type, p.Data)
	silent := m.silence > 0
	if silent {
		m.silence--
	}
	prefix := m.prefix
	m.prefix = nil
	m.mu.Unlock()
	defer m.signal()
	if silent {
		return
	}
	out := append([]byte(nil), prefix...)
	if ok {
		out = append(out, m.Encode(0x40|p.Type, answer)...)
	} else {
		out = append(out, m.Encode(0xc0|p.Type, nil)...)
	}
	m.send(out) // a failed write shows as a missing answer
}

// execute applies a command to the state; ok false is an error response.
// m.mu is held.
func (m *Module) execute(cmd byte, d []byte) (answer []byte, ok bool) {
	rows, cols := m.cfg.Rows, m.cfg.Cols
	switch cmd {
	case 0: // ping: the data comes back
		return d, len(d) <= 16
	case 1: // hardware and firmware version
		return []byte(m.cfg.Version), len(d) == 0
	case 6: // clear
		if len(d) != 0 {
			return nil, false
		}
		for r := range m.ddram {
			m.ddram[r] = []byte(strings.Repeat(" ", cols))
		}
		m.curRow, m.curCol = 0, 0
		return nil, true
	case 9: // custom character: index, 8 pixel rows
		if len(d) != 9 || d[0] > 7 {
			return nil, false
		}
		for i := range 8 {
			m.cgram[d[0]][i] = d[1+i] & 0x3f
		}
		return nil, true
	case 11: // cursor position: column, row
		if len(d) != 2 || int(d[0]) >= cols || int(d[1]) >= rows {
			return nil, false
		}
		m.curCol, m.curRow = int(d[0]), int(d[1])
		return nil, true
	case 12: // cursor style
		if len(d) != 1 || d[0] > 4 {
			return nil, false
		}
		m.style = d[0]
		return nil, true
	case 13: // contrast
		if len(d) != 1 {
			return nil, false
		}
		m.contrast = int(d[0])
		return nil, true
	case 14: // backlight (and on the CFA-635 optionally the keypad's)
		if len(d) < 1 || len(d) > 2 || d[0] > 100 || len(d) == 2 && d[1] > 100 {
			return nil, false
		}
		m.backlight = int(d[0])
		return nil, true
	case 23: // key reporting: press mask, release mask
		if len(d) != 2 || d[0] > 0x3f || d[1] > 0x3f {
			return nil, false
		}
		m.pressMask, m.relMask = d[0], d[1]
		return nil, true
	case 31: // send data: column, row, text
		if len(d) < 3 || int(d[0]) >= cols || int(d[1]) >= rows || int(d[0])+len(d)-2 > cols {
			return nil, false
		}
		copy(m.ddram[d[1]][d[0]:], d[2:])
		m.curCol, m.curRow = int(d[0])+len(d)-2, int(d[1])
		return nil, true
	case 34: // GPIO: index, state 0-100, optional drive mode (CFA-635 only)
		if m.cfg.Model != "CFA635" || len(d) < 2 || len(d) > 3 || d[0] > 12 || d[1] > 100 {
			return nil, false
		}
		m.gpio[d[0]] = int(d[1])
		return nil, true
	}
	return nil, false
}

func (m *Module) send(b []byte) error {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	if m.w == nil {
		return errors.New("lcdmodule: not serving yet")
	}
	_, err := m.w.Write(b)
	return err
}

func (m *Module) signal() {
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

// Press sends the press report of k, if the host enabled it (command 23),
// as the module does; it reports whether it sent one.
func (m *Module) Press(k Key) (bool, error) { return m.key(k, true) }

// Release sends the release report of k, if the host enabled it.
func (m *Module) Release(k Key) (bool, error) { return m.key(k, false) }

func (m *Module) key(k Key, press bool) (bool, error) {
	m.mu.Lock()
	mask, code := m.relMask, byte(k)+6
	if press {
		mask, code = m.pressMask, byte(k)
	}
	m.mu.Unlock()
	if mask&k.mask() == 0 {
		return false, nil
	}
	return true, m.Report(code)
}

// Report sends a key activity report (0x80) with code, enabled or not.
func (m *Module) Report(code byte) error { return m.send(m.Encode(0x80, []byte{code})) }

// Inject sends raw bytes to the host: garbage, a corrupted or truncated
// packet, anything.
func (m *Module) Inject(b []byte) error { return m.send(b) }

// Silence leaves the next n commands unanswered (they are still carried
// out): an answer lost on the line.
func (m *Module) Silence(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.silence = n
}

// BeforeNextAnswer puts b on the line right before the next answer.
func (m *Module) BeforeNextAnswer(b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prefix = append([]byte(nil), b...)
}

// Received is every good packet received so far, in order.
func (m *Module) Received() []Packet {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Packet(nil), m.received...)
}

// Dropped is how many bytes the module threw away while looking for a
// packet (bad CRC, impossible type or length).
func (m *Module) Dropped() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dropped
}

// Codes is the character code in every cell, row by row.
func (m *Module) Codes() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([][]byte, len(m.ddram))
	for r, row := range m.ddram {
		out[r] = append([]byte(nil), row...)
	}
	return out
}

// Text is the display as text, one string per row: codes read through the
// model's character ROM back to ASCII, custom characters (codes 0-7) as
// '*', anything else as '?'.
func (m *Module) Text() []string {
	out := []string{}
	for _, row := range m.Codes() {
		var b strings.Builder
		for _, c := range row {
			b.WriteRune(m.ascii(c))
		}
		out = append(out, b.String())
	}
	return out
}

// Pictures replays the display commands (6 clear, 31 send data) among
// packets, as Received returns them, on a display holding start (Codes at
// the first of them), and returns the display as Text shows it after each
// command that changed it: every picture the module showed, partial ones
// included (a frame is drawn in several commands), so that a test can tell
// which frames were drawn in between, not only the last.
func (m *Module) Pictures(start [][]byte, packets []Packet) [][]string {
	grid := make([][]byte, len(start))
	for r := range start {
		grid[r] = append([]byte(nil), start[r]...)
	}
	var out [][]string
	for _, p := range packets {
		changed := false
		switch {
		case p.Type == 6:
			for r := range grid {
				for c := range grid[r] {
					changed = changed || grid[r][c] != ' '
					grid[r][c] = ' '
				}
			}
		case p.Type == 31 && len(p.Data) > 2 && int(p.Data[1]) < len(grid) && int(p.Data[0])+len(p.Data)-2 <= len(grid[p.Data[1]]):
			row := grid[p.Data[1]][p.Data[0]:]
			changed = !bytes.Equal(row[:len(p.Data)-2], p.Data[2:])
			copy(row, p.Data[2:])
		}
		if !changed {
			continue
		}
		pic := make([]string, len(grid))
		for r, row := range grid {
			var b strings.Builder
			for _, c := range row {
				b.WriteRune(m.ascii(c))
			}
			pic[r] = b.String()
		}
		out = append(out, pic)
	}
	return out
}

// ascii reads a character code through the ROM.
func (m *Module) ascii(c byte) rune {
	if c < 8 {
		return '*'
	}
	if m.cfg.Model == "CFA635" {
		// The KS0073-type ROM of the CFA-635 (LCDproc CFontz-charmap.h).
		switch c {
		case 162:
			return '$'
		case 160:
			return '@'
		case 250:
			return '['
		case 251:
			return '\\'
		case 252:
			return ']'
		case 29:
			return '^'
		case 196:
			return '_'
		case 253:
			return '{'
		case 254:
			return '|'
		case 255:
			return '}'
		case 206:
			return '~'
		case '$', '@', '[', '\\', ']', '^', '_', '`', '{', '|', '}', '~':
			return '?' // other glyphs at these codes in this ROM
		}
	}
	if c >= ' ' && c <= '~' {
		return rune(c)
	}
	return '?'
}

// CGRAM is the bitmap of custom character slot (0-7).
func (m *Module) CGRAM(slot int) [8]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cgram[slot&7]
}

// Cursor is the cursor's position and style (command 12's numbers).
func (m *Module) Cursor() (row, col int, style byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.curRow, m.curCol, m.style
}

// Backlight is the backlight level, 0-100.
func (m *Module) Backlight() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.backlight
}

// GPIO is the state (0-100) of GPIO pin i; on the CFA-635 pins 5-12 are
// the LED dies (green 11, 9, 7, 5 and red 12, 10, 8, 6, top LED first).
func (m *Module) GPIO(i int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i < 0 || i >= len(m.gpio) {
		return 0
	}
	return m.gpio[i]
}

// KeyMasks are the press and release masks of command 23.
func (m *Module) KeyMasks() (press, release byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pressMask, m.relMask
}

// Changed gets a token after every packet handled.
func (m *Module) Changed() <-chan struct{} { return m.changed }

// WaitFor waits until cond holds, checking it after every packet handled,
// or until ctx ends (its error).
func (m *Module) WaitFor(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-m.changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// PTY is a pseudo-terminal for a module: the driver opens SlavePath as its
// serial port, Serve runs on Master.
type PTY struct {
	Master    *os.File
	SlavePath string
	// hold keeps the slave open: while no descriptor of it is open, the
	// master reads EIO (hang-up), which would end Serve before the driver
	// opened the port, or between two of its opens.
	hold *os.File
}

// OpenPTY makes a pty pair through devDir ("/dev") with serial.OpenPTY.
func OpenPTY(devDir string) (*PTY, error) {
	master, path, err := serial.OpenPTY(devDir)
	if err != nil {
		return nil, fmt.Errorf("lcdmodule: %w", err)
	}
	hold, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, fmt.Errorf("lcdmodule: hold the pty slave open: %w", err)
	}
	return &PTY{Master: master, SlavePath: path, hold: hold}, nil
}

// Close closes both sides; Serve on Master then returns.
func (p *PTY) Close() error {
	return errors.Join(p.hold.Close(), p.Master.Close())
}
