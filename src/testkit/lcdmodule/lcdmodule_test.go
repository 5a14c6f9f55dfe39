package lcdmodule

import (
	"bytes"
	"encoding/hex"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// The packets here are written by hand from the data sheets' layouts; the
// CRC bytes come from LCDproc's table-driven get_crc (CFontz633io.c), run
// apart from this package.
func x(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The emulator answers byte for byte as the module does, skips noise and a
// corrupted command, and keeps what the commands set.
func TestAnswers(t *testing.T) {
	host, dev := net.Pipe()
	m := New(Config{})
	done := make(chan error, 1)
	go func() { done <- m.Serve(dev) }()
	defer func() {
		host.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	host.SetDeadline(time.Now().Add(10 * time.Second))
	ask := func(what, send, want string) {
		t.Helper()
		if _, err := host.Write(x(t, send)); err != nil {
			t.Fatal(err)
		}
		w := x(t, want)
		got := make([]byte, len(w))
		if _, err := io.ReadFull(host, got); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !bytes.Equal(got, w) {
			t.Errorf("%s: answer % x, want % x", what, got, w)
		}
	}
	ask("ping", "00 00 47 0f", "40 00 21 49")
	ask("version", "01 00 9f 16", "41 10 43 46 41 36 33 35 3a 68 31 2e 34 2c 75 31 76 32 03 ef") // "CFA635:h1.4,u1v2"
	// Noise and a ping with a corrupted CRC are skipped; the
	// good one after them is answered.
	ask("noise, bad CRC, backlight 0", "ff fe 55 00 02 ff ff c1 c2 0e 01 00 0f cf", "4e 00 31 d3")
	ask("contrast with two bytes: error", "0d 02 01 02 23 f8", "cd 00 95 75")
	ask("send HELLO at 0,0", "1f 07 00 00 48 45 4c 4c 4f 57 51", "5f 00 78 5f")
	ask("S1 LED on", "22 02 0b 64 c9 3e", "62 00 a2 59")

	if m.Backlight() != 0 {
		t.Errorf("backlight %d, want 0", m.Backlight())
	}
	if got := m.Text()[0]; got != "HELLO"+strings.Repeat(" ", 15) {
		t.Errorf("row 0 %q", got)
	}
	if m.GPIO(11) != 100 {
		t.Errorf("GPIO 11 = %d", m.GPIO(11))
	}
	if m.Dropped() == 0 {
		t.Error("no byte dropped, though noise and a bad packet were sent")
	}
	if n := len(m.Received()); n != 6 {
		t.Errorf("%d good packets received, want 6", n)
	}

	// Key reports, only for keys enabled by command 23.
	ask("key reporting: UP only", "17 02 01 01 b7 d5", "57 00 b8 91")
	go m.Press(KeyUp)
	got := make([]byte, 5)
	if _, err := io.ReadFull(host, got); err != nil || !bytes.Equal(got, x(t, "80 01 01 71 c2")) {
		t.Errorf("UP press report % x, %v; want 80 01 01 71 c2", got, err)
	}
	if sent, err := m.Press(KeyDown); sent || err != nil {
		t.Errorf("DOWN press with DOWN masked: sent %v, %v", sent, err)
	}
}

// Pictures replays what was drawn: each command that changed the display
// gives one picture, in order, from the display given as the start; a
// command that wrote what was there already gives none.
func TestPictures(t *testing.T) {
	m := New(Config{Model: "CFA633"})
	start := m.Codes()
	start[1][0] = 'x'
	pics := m.Pictures(start, []Packet{
		{Type: 31, Data: append([]byte{0, 0}, "HELLO"...)},
		{Type: 31, Data: append([]byte{0, 0}, "HELLO"...)}, // no change
		{Type: 11, Data: []byte{0, 0}},                     // not a display command
		{Type: 31, Data: append([]byte{14, 1}, "ok"...)},
		{Type: 6},
	})
	var got []string
	for _, p := range pics {
		got = append(got, strings.Join(p, "|"))
	}
	want := []string{
		"HELLO           |x               ",
		"HELLO           |x             ok",
		"                |                ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("pictures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m.Codes()[1][0] != ' ' {
		t.Error("Pictures changed the module's display")
	}
}
