package lcdfront

import (
	"context"
	"io"
	"strings"
	"testing"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/vt100input"
)

func encode(t *testing.T, script string) []byte {
	t.Helper()
	evs, err := keyevent.ParseScript(script)
	if err != nil {
		t.Fatal(err)
	}
	return vt100input.Encode(evs)
}

func vlan(t *testing.T, m netapi.Manager) int {
	t.Helper()
	v, err := m.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v.Config.VLAN
}

// A person at the terminal enables VLAN 20 with the keys of the seed
// guide, and the network manager behind the socket ends up with it.
func TestTerminalEnablesVLAN(t *testing.T) {
	for _, tt := range []struct{ board, display string }{
		{"virtual", DisplayAuto},       // no panel: the terminal is the board's
		{"appliance", DisplayTerminal}, // serial module, but the development fallback asked for
		{"armv7", DisplayTerminal},     // asked for, whatever the board has
	} {
		t.Run(tt.board+"/"+tt.display, func(t *testing.T) {
			mem := newMemory(t)
			sock := socketPath(t)
			serve(t, mem, sock)
			client := netapi.Dial(sock)
			t.Cleanup(func() { client.Close() })
			keysIn, typing := io.Pipe()
			t.Cleanup(func() { typing.Close() })
			out := newScreen()
			r := start(t, Options{
				Board: lookupBoard(t, tt.board), Display: tt.display,
				Manager: client, Power: &power{}, Version: "test",
				Log: testLog(t), Clock: newFakeClock(t),
				Stdin: keysIn, Stdout: out,
			})

			// Wait for the idle screen, as a person would, before typing.
			waitUntil(t, "the idle screen", out.changed,
				func() bool { return strings.Contains(out.String(), "CONTACTING") }, out.String)
			if _, err := typing.Write(encode(t, `ENTER DOWN ENTER CLEAR "20" ENTER`)); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "VLAN 20 in the network manager", out.changed,
				func() bool { return vlan(t, mem) == 20 }, out.String)
			r.stop(t)

			shown := out.String()
			for _, want := range []string{
				"+----------------+", // the LCD's frame, 16 columns wide
				"|SETUP NETWORK",     // a menu line inside it
				"S1 [ ]  S2 [ ]",     // the LEDs beside it
			} {
				if !strings.Contains(shown, want) {
					t.Errorf("stdout lacks %q:\n%s", want, shown)
				}
			}
			if strings.Contains(shown, "\x1b[") {
				t.Errorf("stdout is not a terminal but got ANSI sequences:\n%q", shown)
			}
		})
	}
}

// While the network manager is not there, the panel says the scanner is
// starting up and retries on the clock; it serves the menu once the
// manager appears.
func TestWaitsForTheNetworkManager(t *testing.T) {
	sock := socketPath(t)
	client := netapi.Dial(sock)
	t.Cleanup(func() { client.Close() })
	clock := newFakeClock(t)
	out := newScreen()
	keysIn, typing := io.Pipe()
	t.Cleanup(func() { typing.Close() })
	r := start(t, Options{
		Board: lookupBoard(t, "virtual"), Manager: client, Power: &power{},
		Version: "test", Log: testLog(t), Clock: clock,
		Stdin: keysIn, Stdout: out,
	})

	// Two failed attempts: the panel shows it is starting up and waits
	// on its clock.
	for attempt := range 3 {
		clock.WaitTimers(1)
		if s := out.String(); !strings.Contains(s, "Picket scanner") || strings.Contains(s, "CONTACTING") {
			t.Fatalf("while waiting, stdout is:\n%s", s)
		}
		if attempt < 2 {
			clock.Fire()
		}
	}
	// The manager appears; the next attempt finds it.
	serve(t, newMemory(t), sock)
	clock.Fire()
	waitUntil(t, "the idle screen", out.changed,
		func() bool { return strings.Contains(out.String(), "CONTACTING") }, out.String)
	stopBeforeServer(t, r, client)
}

// A network manager that goes away while the panel runs (netmgrd
// restarting) sends the panel back to the starting-up screen until it is
// back, instead of ending lcdd.
func TestReconnectsWhenTheNetworkManagerRestarts(t *testing.T) {
	sock := socketPath(t)
	l, err := netapi.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stopServer := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- netapi.Serve(ctx, l, newMemory(t)) }()
	t.Cleanup(stopServer)

	client := netapi.Dial(sock)
	t.Cleanup(func() { client.Close() })
	clock := newFakeClock(t)
	out := newScreen()
	r := start(t, Options{
		Board: lookupBoard(t, "virtual"), Manager: client, Power: &power{},
		Version: "test", Log: testLog(t), Clock: clock, Stdout: out,
	})
	waitUntil(t, "the idle screen", out.changed,
		func() bool { return strings.Contains(out.String(), "CONTACTING") }, out.String)

	stopServer()
	<-served
	clock.WaitTimers(1) // Run waits to reconnect
	s := out.String()
	if i := strings.LastIndex(s, "CONTACTING"); !strings.Contains(s[i:], "Picket scanner") {
		t.Errorf("the panel does not say it is starting up again:\n%s", s)
	}
	mark := len(s)
	serve(t, newMemory(t), sock)
	clock.Fire()
	waitUntil(t, "the idle screen again", out.changed,
		func() bool { return strings.Contains(out.String()[mark:], "CONTACTING") }, out.String)
	stopBeforeServer(t, r, client)
}
