package serial

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/testkit/fakeclock"
)

// guard bounds every blocking step so a broken test fails instead of
// hanging; no assertion depends on it.
const guard = 10 * time.Second

func newPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	m, path, err := OpenPTY("/dev")
	if err != nil {
		t.Fatalf("no pseudo-terminal (the test needs /dev/ptmx): %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m, path
}

// readN reads exactly n bytes from r, failing after the guard time.
func readN(t *testing.T, f interface {
	io.Reader
	SetReadDeadline(time.Time) error
}, n int) []byte {
	t.Helper()
	if err := f.SetReadDeadline(time.Now().Add(guard)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(f, buf); err != nil {
		t.Fatalf("read %d bytes: %v (have %q)", n, err, buf)
	}
	return buf
}

func TestOpenSets8N2Raw(t *testing.T) {
	m, path := newPTY(t)
	cfg := FromBoard(board.Console{Device: path, Baud: 9600, DataBits: 8, Parity: "none", StopBits: 2})
	if cfg != Console() {
		t.Fatalf("FromBoard = %v, want %v", cfg, Console())
	}
	p, err := Open(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if got, want := p.Settings().String(), "9600 8N2 raw, flow control none, line errors marked"; got != want {
		t.Errorf("Settings() = %q, want %q", got, want)
	}
	if p.Path() != path {
		t.Errorf("Path() = %q", p.Path())
	}

	// Read the termios back through a descriptor of our own, not the
	// port's, and check the bits themselves.
	tio := termiosOf(t, path)
	checks := []struct {
		what string
		ok   bool
	}{
		{"CSTOPB set", tio.Cflag&unix.CSTOPB != 0},
		{"CSIZE is CS8", tio.Cflag&unix.CSIZE == unix.CS8},
		{"PARENB clear", tio.Cflag&unix.PARENB == 0},
		{"speed B9600", tio.Cflag&unix.CBAUD == unix.B9600},
		{"CRTSCTS clear", tio.Cflag&unix.CRTSCTS == 0},
		{"CREAD and CLOCAL set", tio.Cflag&(unix.CREAD|unix.CLOCAL) == unix.CREAD|unix.CLOCAL},
		{"ICANON clear", tio.Lflag&unix.ICANON == 0},
		{"ECHO clear", tio.Lflag&unix.ECHO == 0},
		{"ISIG clear", tio.Lflag&unix.ISIG == 0},
		{"IEXTEN clear", tio.Lflag&unix.IEXTEN == 0},
		{"OPOST clear", tio.Oflag&unix.OPOST == 0},
		{"IXON clear", tio.Iflag&unix.IXON == 0},
		{"IXOFF clear", tio.Iflag&unix.IXOFF == 0},
		{"ICRNL clear", tio.Iflag&unix.ICRNL == 0},
		{"ISTRIP clear", tio.Iflag&unix.ISTRIP == 0},
		{"VMIN 1", tio.Cc[unix.VMIN] == 1},
		// Line errors marked, not dropped or turned into signals: the
		// console's noise guard needs them (issue 12).
		{"PARMRK and INPCK set", tio.Iflag&(unix.PARMRK|unix.INPCK) == unix.PARMRK|unix.INPCK},
		{"IGNPAR, IGNBRK and BRKINT clear", tio.Iflag&(unix.IGNPAR|unix.IGNBRK|unix.BRKINT) == 0},
		{"VTIME 0", tio.Cc[unix.VTIME] == 0},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("termios read back: want %s (iflag %#o oflag %#o cflag %#o lflag %#o)",
				c.what, tio.Iflag, tio.Oflag, tio.Cflag, tio.Lflag)
		}
	}
	if s := decode(tio); s.Config != Console() || !s.Raw || s.FlowControl != "none" || !s.MarksErrors {
		t.Errorf("decode = %v", s)
	}

	// The line is raw both ways. Master to slave: CR, Ctrl-C, Ctrl-S,
	// Ctrl-Z, DEL and 8-bit bytes arrive unchanged (no ICRNL, no signal,
	// no XON/XOFF, no stripping), but for 0xff, which PARMRK doubles so
	// that it cannot be taken for the start of an error mark.
	in := []byte("a\r\n\x03\x13\x11\x1a\x7f\x1b[A\xff\x80z")
	want := bytes.ReplaceAll(in, []byte{0xff}, []byte{0xff, 0xff})
	if _, err := m.Write(in); err != nil {
		t.Fatal(err)
	}
	// The bytes are waiting for the reader.
	guard := time.Now().Add(10 * time.Second)
	for n, err := p.Buffered(); n != len(want); n, err = p.Buffered() {
		if err != nil || time.Now().After(guard) {
			t.Fatalf("Buffered() = %d, %v; want %d", n, err, len(want))
		}
		time.Sleep(time.Millisecond)
	}
	if got := readN(t, p, len(want)); !bytes.Equal(got, want) {
		t.Errorf("slave read %q, want %q", got, want)
	}
	if n, err := p.Buffered(); n != 0 || err != nil {
		t.Errorf("Buffered() after reading = %d, %v", n, err)
	}
	// Slave to master: LF stays LF (no OPOST/ONLCR), and nothing typed
	// was echoed before it (no ECHO).
	out := []byte("x\ny\x1b[2J")
	if _, err := p.Write(out); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, m, len(out)); !bytes.Equal(got, out) {
		t.Errorf("master read %q, want %q (echo or output processing?)", got, out)
	}
}

// OpenBinary sets the same raw line without error marks: a packet
// protocol's 0xff (in a CRC, say) arrives as one byte, both ways, and every
// other byte value passes unchanged.
func TestOpenBinaryPassesEveryByte(t *testing.T) {
	m, path := newPTY(t)
	cfg := Config{Baud: 115200, DataBits: 8, Parity: "none", StopBits: 1}
	p, err := OpenBinary(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if got, want := p.Settings().String(), "115200 8N1 raw, flow control none, line errors not marked"; got != want {
		t.Errorf("Settings() = %q, want %q", got, want)
	}
	tio := termiosOf(t, path)
	if tio.Iflag&(unix.PARMRK|unix.INPCK) != 0 || tio.Cflag&unix.CBAUD != unix.B115200 || tio.Cflag&unix.CSTOPB != 0 {
		t.Errorf("termios read back: iflag %#o cflag %#o, want PARMRK and INPCK clear, B115200, one stop bit", tio.Iflag, tio.Cflag)
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if _, err := m.Write(all); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, p, len(all)); !bytes.Equal(got, all) {
		t.Errorf("slave read %x, want every byte once: %x", got, all)
	}
	if _, err := p.Write(all); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, m, len(all)); !bytes.Equal(got, all) {
		t.Errorf("master read %x, want %x", got, all)
	}
}

func TestOpenErrors(t *testing.T) {
	_, path := newPTY(t)
	file := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file, Console()); err == nil || !strings.Contains(err.Error(), "not a terminal") {
		t.Errorf("Open(regular file) = %v, want not a terminal", err)
	}
	missing := filepath.Join(t.TempDir(), "ttyUSB0")
	if _, err := Open(missing, Console()); !errors.Is(err, os.ErrNotExist) || !Gone(err) {
		t.Errorf("Open(missing) = %v, want not exist and Gone", err)
	}
	for _, cfg := range []Config{
		{Baud: 9601, DataBits: 8, Parity: "none", StopBits: 2},
		{Baud: 9600, DataBits: 9, Parity: "none", StopBits: 2},
		{Baud: 9600, DataBits: 8, Parity: "mark", StopBits: 2},
		{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 3},
	} {
		if _, err := Open(path, cfg); err == nil {
			t.Errorf("Open with %v succeeded", cfg)
		}
	}
	// Linux ptys cannot do parity (the kernel forces CS8 and clears
	// PARENB): Open notices from the read-back instead of claiming 7E1.
	// Should a kernel honour it, the read-back must then say so.
	e71 := Config{Baud: 9600, DataBits: 7, Parity: "even", StopBits: 1}
	if p, err := Open(path, e71); err == nil {
		if p.Settings().Config != e71 {
			t.Errorf("Open 7E1 succeeded with %v", p.Settings())
		}
		p.Close()
	} else if !errors.Is(err, ErrSettings) {
		t.Errorf("Open 7E1 on a pty = %v, want ErrSettings", err)
	} else {
		t.Logf("as expected on a pty: %v", err)
	}
}

func TestConfigString(t *testing.T) {
	for cfg, want := range map[Config]string{
		Console(): "9600 8N2",
		{Baud: 115200, DataBits: 7, Parity: "even", StopBits: 1}: "115200 7E1",
		{Baud: 1200, DataBits: 5, Parity: "odd", StopBits: 1}:    "1200 5O1",
		{Baud: 1, DataBits: 8, Parity: "x", StopBits: 1}:         "1 8?1",
	} {
		if got := cfg.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", cfg, got, want)
		}
	}
}

func TestGone(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{io.EOF, true},
		{&os.PathError{Op: "read", Path: "/dev/ttyUSB0", Err: unix.EIO}, true},
		{&os.PathError{Op: "open", Path: "/dev/ttyUSB0", Err: unix.ENXIO}, true},
		{&os.PathError{Op: "open", Path: "/dev/ttyUSB0", Err: unix.ENODEV}, true},
		{&os.PathError{Op: "open", Path: "/dev/ttyUSB0", Err: unix.ENOENT}, true},
		{os.ErrDeadlineExceeded, false},
		{errors.New("other"), false},
		{nil, false},
	} {
		if got := Gone(tc.err); got != tc.want {
			t.Errorf("Gone(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// reopenHarness drives a Reopener: every Report is handed to the test,
// and its backoff waits on a fake clock the test fires.
type reopenHarness struct {
	events chan Event
	clk    *fakeclock.Clock

	mu   sync.Mutex
	path string // what Open opens; the test "plugs in" a new device by changing it
}

func newHarness(t *testing.T, path string) *reopenHarness {
	return &reopenHarness{
		events: make(chan Event, 16),
		clk:    fakeclock.New(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		path:   path,
	}
}

func (h *reopenHarness) setPath(p string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.path = p
}

func (h *reopenHarness) advance(d time.Duration) { h.clk.Advance(d) }

func (h *reopenHarness) reopener() *Reopener {
	return &Reopener{
		Open: func() (*Port, error) {
			h.mu.Lock()
			p := h.path
			h.mu.Unlock()
			return Open(p, Console())
		},
		Clock:    h.clk,
		MinDelay: time.Second,
		MaxDelay: 4 * time.Second,
		Report:   func(e Event) { h.events <- e },
	}
}

func (h *reopenHarness) event(t *testing.T, kind EventKind) Event {
	t.Helper()
	select {
	case e := <-h.events:
		if e.Kind != kind {
			t.Fatalf("event %v (%v), want %v", e.Kind, e.Err, kind)
		}
		return e
	case <-time.After(guard):
		t.Fatalf("no %v event", kind)
	}
	return Event{}
}

// sleep waits until the Reopener waits, and checks for how long.
func (h *reopenHarness) sleep(t *testing.T, want time.Duration) {
	t.Helper()
	if p := h.clk.WaitTimers(1); len(p) != 1 || p[0] != want {
		t.Fatalf("backoff waits %v, want one of %v", p, want)
	}
}

// release ends the wait.
func (h *reopenHarness) release(t *testing.T) {
	t.Helper()
	h.clk.Fire()
}

// echoSession greets with the port's path, then forwards what it reads
// to got, and returns the read error that ends it.
func echoSession(got chan<- string) func(ctx context.Context, p *Port) error {
	return func(ctx context.Context, p *Port) error {
		if _, err := p.Write([]byte("hello " + p.Path() + "\n")); err != nil {
			return err
		}
		buf := make([]byte, 64)
		for {
			n, err := p.Read(buf)
			if n > 0 {
				got <- string(buf[:n])
			}
			if err != nil {
				return err
			}
		}
	}
}

func expectGreeting(t *testing.T, m *os.File, path string) {
	t.Helper()
	want := "hello " + path + "\n"
	if got := readN(t, m, len(want)); string(got) != want {
		t.Fatalf("greeting %q, want %q", got, want)
	}
}

func expectData(t *testing.T, got <-chan string, want string) {
	t.Helper()
	var have string
	for have != want {
		select {
		case s := <-got:
			have += s
			if !strings.HasPrefix(want, have) {
				t.Fatalf("session read %q, want %q", have, want)
			}
		case <-time.After(guard):
			t.Fatalf("session read %q, want %q", have, want)
		}
	}
}

func TestReopenerSurvivesUnplug(t *testing.T) {
	m1, path1 := newPTY(t)
	h := newHarness(t, path1)
	got := make(chan string, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.reopener().Run(ctx, echoSession(got)) }()

	e := h.event(t, Opened)
	if e.Path != path1 || e.Settings.String() != "9600 8N2 raw, flow control none, line errors marked" {
		t.Errorf("opened %q with %v", e.Path, e.Settings)
	}
	expectGreeting(t, m1, path1)
	if _, err := m1.Write([]byte("\x1b[A\r")); err != nil {
		t.Fatal(err)
	}
	expectData(t, got, "\x1b[A\r")

	// Unplug: the other end disappears, the session's read fails, the
	// port is closed and a reopen is scheduled after the minimum delay.
	m1.Close()
	e = h.event(t, Lost)
	if !Gone(e.Err) || e.Path != path1 || e.Delay != time.Second {
		t.Errorf("lost event %+v, want a gone device and 1s", e)
	}
	t.Logf("session ended with %v", e.Err)
	h.setPath(filepath.Join(t.TempDir(), "ttyUSB0")) // the node is gone too
	h.sleep(t, time.Second)
	h.release(t)

	// Still unplugged: opening fails, the delay doubles, then is capped.
	e = h.event(t, OpenFailed)
	if !errors.Is(e.Err, os.ErrNotExist) || e.Delay != 2*time.Second {
		t.Errorf("open failed event %+v", e)
	}
	h.sleep(t, 2*time.Second)
	h.release(t)
	h.event(t, OpenFailed)
	h.sleep(t, 4*time.Second)
	h.release(t)
	h.event(t, OpenFailed)
	h.sleep(t, 4*time.Second)

	// Plug in a new device (a new pty, at its own path) and let the
	// retry happen: a new session runs on it.
	m2, path2 := newPTY(t)
	h.setPath(path2)
	h.release(t)
	e = h.event(t, Opened)
	if e.Path != path2 {
		t.Errorf("reopened %q, want %q", e.Path, path2)
	}
	expectGreeting(t, m2, path2)
	if _, err := m2.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	expectData(t, got, "after")

	// A session that ran longer than the maximum delay resets the
	// backoff: the next loss waits the minimum again.
	h.advance(time.Minute)
	m2.Close()
	e = h.event(t, Lost)
	if e.Delay != time.Second {
		t.Errorf("after a long session the delay is %v, want 1s", e.Delay)
	}
	h.sleep(t, time.Second)

	// Shutdown while sleeping ends Run with the context's error.
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(guard):
		t.Fatal("Run did not return after cancel")
	}
}

func TestReopenerCancelDuringSession(t *testing.T) {
	_, path := newPTY(t)
	h := newHarness(t, path)
	got := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	r := h.reopener()
	go func() { done <- r.Run(ctx, echoSession(got)) }()
	h.event(t, Opened)
	// The session is blocked in Read; cancelling closes the port under it.
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(guard):
		t.Fatal("Run did not return: the blocked Read was not interrupted")
	}
}

func TestReopenerSessionEnds(t *testing.T) {
	_, path := newPTY(t)
	h := newHarness(t, path)
	var port *Port
	err := h.reopener().Run(context.Background(), func(ctx context.Context, p *Port) error {
		port = p
		return nil
	})
	if err != nil {
		t.Fatalf("Run = %v, want nil when the session ends cleanly", err)
	}
	if _, err := port.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("port still open after Run: write gave %v", err)
	}
}

func TestReopenerNeedsClock(t *testing.T) {
	if err := (&Reopener{}).Run(context.Background(), nil); err == nil {
		t.Error("Run without Open and Clock succeeded")
	}
}

// termiosOf reads the line settings of the tty at path back through a
// descriptor of the test's own, not the port's.
func termiosOf(t *testing.T, path string) *unix.Termios {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio
}
