package serial

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"picket.dev/picket/platforms/board"
)

// Config is a line setting: speed and character framing. Flow control is
// not configurable: the console never uses any.
type Config struct {
	Baud     int
	DataBits int    // 5 to 8
	Parity   string // "none", "even" or "odd"
	StopBits int    // 1 or 2
}

// Console is Picket's console line: 9600 baud, 8 data bits, no parity, 2
// stop bits.
func Console() Config { return Config{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 2} }

// FromBoard is the line setting a board declares for its console.
func FromBoard(c board.Console) Config {
	return Config{Baud: c.Baud, DataBits: c.DataBits, Parity: c.Parity, StopBits: c.StopBits}
}

// String gives the usual short form, such as "9600 8N2".
func (c Config) String() string {
	p := "?"
	switch c.Parity {
	case "none":
		p = "N"
	case "even":
		p = "E"
	case "odd":
		p = "O"
	}
	return fmt.Sprintf("%d %d%s%d", c.Baud, c.DataBits, p, c.StopBits)
}

// Settings is what the kernel reports for an open line after Open set it.
type Settings struct {
	Config
	// Raw is true when input and output pass unchanged: no canonical
	// mode, echo, signals, CR/LF translation or output processing.
	Raw bool
	// FlowControl is "none", "xon/xoff", "rts/cts" or both joined by "+".
	FlowControl string
	// MarksErrors is true when the kernel marks bytes received with a
	// framing or parity error, and breaks, in the input (PARMRK with
	// INPCK, no IGNPAR, IGNBRK, BRKINT or ISTRIP): a bad byte c reads as
	// 0xff 0x00 c, a break as 0xff 0x00 0x00, and a real 0xff as 0xff
	// 0xff. The console's noise guard (vt100input.Guard, Marked) undoes
	// the marks and takes a marked byte as line noise. A pseudo-terminal
	// has no UART: it never reports an error or a break, but doubles
	// 0xff all the same.
	MarksErrors bool
}

// String describes the settings for the log, such as
// "9600 8N2 raw, flow control none, line errors marked".
func (s Settings) String() string {
	mode := "raw"
	if !s.Raw {
		mode = "not raw"
	}
	marks := "line errors marked"
	if !s.MarksErrors {
		marks = "line errors not marked"
	}
	return fmt.Sprintf("%v %s, flow control %s, %s", s.Config, mode, s.FlowControl, marks)
}

// speedCode is the termios code of a supported rate. A console outside
// these would be a board description error.
func speedCode(baud int) (uint32, bool) {
	switch baud {
	case 1200:
		return unix.B1200, true
	case 2400:
		return unix.B2400, true
	case 4800:
		return unix.B4800, true
	case 9600:
		return unix.B9600, true
	case 19200:
		return unix.B19200, true
	case 38400:
		return unix.B38400, true
	case 57600:
		return unix.B57600, true
	case 115200:
		return unix.B115200, true
	}
	return 0, false
}

// baudOf is the rate of a termios speed code, 0 if not one of speedCode's.
func baudOf(code uint32) int {
	for _, b := range []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200} {
		if c, _ := speedCode(b); c == code {
			return b
		}
	}
	return 0
}

// sizeCode is the termios character size for 5 to 8 data bits.
func sizeCode(bits int) (uint32, bool) {
	switch bits {
	case 5:
		return unix.CS5, true
	case 6:
		return unix.CS6, true
	case 7:
		return unix.CS7, true
	case 8:
		return unix.CS8, true
	}
	return 0, false
}

// ErrSettings reports a line the kernel did not set as asked. Open wraps
// it with the device path.
var ErrSettings = errors.New("line settings not applied")

// Port is an open serial line. Reads and writes go straight to the
// device; the file is registered with Go's poller, so a blocked Read ends
// when Close is called or a deadline passes.
type Port struct {
	f        *os.File
	path     string
	settings Settings
}

// Open opens the tty at path and sets it to cfg, raw, with no flow
// control, and with framing and parity errors and breaks marked in the
// input (Settings.MarksErrors). It fails if path is not a terminal or if the kernel's settings
// read back differ from what was asked (ErrSettings).
func Open(path string, cfg Config) (*Port, error) { return open(path, cfg, true) }

// OpenBinary is Open for a line that carries a binary packet protocol with
// its own checksums (the serial LCD module, package lcdserial): the same
// raw line without flow control, but line errors are not marked
// (Settings.MarksErrors is false), so that a 0xff in a packet reads as one
// 0xff and not as the start of a mark. A byte received with a framing
// error reads as 0x00 and a break as one 0x00; the packet's CRC then fails
// and the packet is dropped, which is all the protocol needs to know.
func OpenBinary(path string, cfg Config) (*Port, error) { return open(path, cfg, false) }

func open(path string, cfg Config, marks bool) (*Port, error) {
	speed, ok := speedCode(cfg.Baud)
	size, ok2 := sizeCode(cfg.DataBits)
	if !ok || !ok2 || (cfg.StopBits != 1 && cfg.StopBits != 2) ||
		(cfg.Parity != "none" && cfg.Parity != "even" && cfg.Parity != "odd") {
		return nil, fmt.Errorf("serial: unsupported line setting %v", cfg)
	}
	// O_NONBLOCK: opening a UART without CLOCAL set yet would wait for
	// carrier detect, which a three-wire console cable never raises; and
	// a non-blocking descriptor lets os.File use the poller (deadlines,
	// Close interrupting Read). O_NOCTTY: the daemon must not acquire the
	// console as its controlling terminal, or a hangup would signal it.
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	settings, err := setup(fd, speed, size, cfg, marks)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("serial: %s: %w", path, err)
	}
	return &Port{f: os.NewFile(uintptr(fd), path), path: path, settings: settings}, nil
}

// setup writes the termios for cfg and reads it back.
func setup(fd int, speed, size uint32, cfg Config, marks bool) (Settings, error) {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return Settings{}, fmt.Errorf("not a terminal: %w", err)
	}
	// Raw input: no stripping to 7 bits, no CR/LF translation (the
	// decoder pairs CR LF itself), no XON/XOFF (nothing to pause on our
	// side, and a stray Ctrl-S from the terminal must not freeze the
	// console's output). Bytes received with a framing or parity error,
	// and breaks, are kept and marked (PARMRK, INPCK; not ignored with
	// IGNPAR or IGNBRK, no signal with BRKINT): a person's terminal never
	// causes them, line noise does, and the console's guard must see them.
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.ISTRIP | unix.INLCR |
		unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY | unix.IMAXBEL | unix.IGNPAR
	if marks {
		t.Iflag |= unix.PARMRK | unix.INPCK
	} else {
		t.Iflag &^= unix.PARMRK | unix.INPCK
	}
	// Raw output: the renderer's bytes go out exactly as written.
	t.Oflag &^= unix.OPOST
	// No line editing, echo or signals: Ctrl-C, Ctrl-Z and Ctrl-\ are
	// just bytes the decoder drops.
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ECHOE | unix.ECHOK | unix.ICANON | unix.ISIG | unix.IEXTEN
	// Framing and speed. CLOCAL: ignore modem lines (three-wire cable);
	// CREAD: enable the receiver. No RTS/CTS.
	t.Cflag &^= unix.CSIZE | unix.PARENB | unix.PARODD | unix.CSTOPB | unix.CRTSCTS | unix.CBAUD
	t.Cflag |= size | speed | unix.CLOCAL | unix.CREAD
	switch cfg.Parity {
	case "even":
		t.Cflag |= unix.PARENB
	case "odd":
		t.Cflag |= unix.PARENB | unix.PARODD
	}
	if cfg.StopBits == 2 {
		t.Cflag |= unix.CSTOPB
	}
	t.Ispeed, t.Ospeed = uint32(cfg.Baud), uint32(cfg.Baud)
	// A read returns as soon as one byte is there, with no inter-byte
	// timer: the caller handles pauses (escape sequence flush) itself.
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return Settings{}, fmt.Errorf("set termios: %w", err)
	}
	back, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return Settings{}, fmt.Errorf("read back termios: %w", err)
	}
	s := decode(back)
	if s.Config != cfg || !s.Raw || s.FlowControl != "none" || s.MarksErrors != marks {
		asked := Settings{Config: cfg, Raw: true, FlowControl: "none", MarksErrors: marks}
		return s, fmt.Errorf("%w: asked %v; have %v", ErrSettings, asked, s)
	}
	return s, nil
}

// decode turns a termios into Settings.
func decode(t *unix.Termios) Settings {
	var s Settings
	s.Baud = baudOf(t.Cflag & unix.CBAUD)
	for bits := 5; bits <= 8; bits++ {
		if code, _ := sizeCode(bits); t.Cflag&unix.CSIZE == code {
			s.DataBits = bits
		}
	}
	switch {
	case t.Cflag&unix.PARENB == 0:
		s.Parity = "none"
	case t.Cflag&unix.PARODD != 0:
		s.Parity = "odd"
	default:
		s.Parity = "even"
	}
	s.StopBits = 1
	if t.Cflag&unix.CSTOPB != 0 {
		s.StopBits = 2
	}
	s.MarksErrors = t.Iflag&(unix.PARMRK|unix.INPCK) == unix.PARMRK|unix.INPCK &&
		t.Iflag&(unix.IGNPAR|unix.IGNBRK|unix.BRKINT|unix.ISTRIP) == 0
	s.Raw = t.Iflag&(unix.BRKINT|unix.ISTRIP|unix.INLCR|unix.IGNCR|unix.ICRNL) == 0 &&
		t.Oflag&unix.OPOST == 0 &&
		t.Lflag&(unix.ECHO|unix.ECHONL|unix.ICANON|unix.ISIG|unix.IEXTEN) == 0 &&
		t.Cflag&unix.CREAD != 0 && t.Cc[unix.VMIN] == 1 && t.Cc[unix.VTIME] == 0
	xon := t.Iflag&(unix.IXON|unix.IXOFF) != 0
	rts := t.Cflag&unix.CRTSCTS != 0
	switch {
	case xon && rts:
		s.FlowControl = "rts/cts+xon/xoff"
	case xon:
		s.FlowControl = "xon/xoff"
	case rts:
		s.FlowControl = "rts/cts"
	default:
		s.FlowControl = "none"
	}
	return s
}

// Read reads bytes from the line. io.EOF means the tty was hung up (the
// device went away).
func (p *Port) Read(b []byte) (int, error) { return p.f.Read(b) }

// Write writes bytes to the line, waiting while the UART's buffer drains.
func (p *Port) Write(b []byte) (int, error) { return p.f.Write(b) }

// Close closes the line; a Read or Write blocked on it returns.
func (p *Port) Close() error { return p.f.Close() }

// Buffered is how many received bytes wait in the kernel to be read
// (TIOCINQ). The console asks before it takes a timed-out read for a quiet
// line: bytes may have queued while it was not running.
func (p *Port) Buffered() (int, error) {
	rc, err := p.f.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("serial: %s: %w", p.path, err)
	}
	var n int
	var ierr error
	if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.TIOCINQ) }); err != nil {
		return 0, fmt.Errorf("serial: %s: %w", p.path, err)
	}
	if ierr != nil {
		return 0, fmt.Errorf("serial: %s: bytes waiting (TIOCINQ): %w", p.path, ierr)
	}
	return n, nil
}

// SetReadDeadline makes a blocked Read return os.ErrDeadlineExceeded at t;
// the console uses it to notice a pause after a partial escape sequence.
func (p *Port) SetReadDeadline(t time.Time) error { return p.f.SetReadDeadline(t) }

// SetWriteDeadline bounds a Write, for a terminal that holds the line.
func (p *Port) SetWriteDeadline(t time.Time) error { return p.f.SetWriteDeadline(t) }

// Path is the device path the port was opened from.
func (p *Port) Path() string { return p.path }

// Settings are the line settings read back from the kernel after Open.
func (p *Port) Settings() Settings { return p.settings }

// Gone reports whether err from opening, reading or writing a tty means
// the device is not there (any more): hung up (EOF), I/O error, no such
// device or node. Such errors end a session and make a Reopener reopen.
func Gone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.EIO) || errors.Is(err, unix.ENXIO) ||
		errors.Is(err, unix.ENODEV) || errors.Is(err, io.EOF)
}
