package attack_test

// Issue 12, item 6: line noise on the serial console. A megabyte of random
// bytes on the console applied 1,407 changes (LAN VLAN 0 -> 3864): random
// bytes contain valid keys. Against the real consoled on a real pty, with
// the real netmgrd (in-memory backend) behind it: noise changes nothing,
// shows LINE NOISE, never confirms a REALLY ...? prompt, and a pasted
// keystroke file of the guide's procedure still applies in order after it.
//
// A pty has no UART, so framing and parity errors cannot be sent here;
// the guard's handling of the kernel's marks is unit-tested in
// src/panel/vt100input.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/serial"
	"picket.dev/picket/src/panel/vt100input"
	"picket.dev/picket/src/panel/vt100screen"
	"picket.dev/picket/src/testkit/testinput"
)

// boxConsole starts netmgrd and consoled on a new pty, presses ENTER
// through the start screens, and returns the terminal, the master side,
// the netmgrd socket, consoled's log and the output offset of the menu.
func boxConsole(t *testing.T) (*boxTerminal, *os.File, string, func() string, int) {
	t.Helper()
	socket, _ := boxNetmgrd(t)
	master, slave, err := serial.OpenPTY("/dev")
	if err != nil {
		t.Fatalf("open a pty: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	term := &boxTerminal{more: make(chan struct{}, 1)}
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := master.Read(buf)
			term.write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	log := boxStart(t, testinput.Command(t, "consoled"), "-device", slave, "-netmgr", socket)
	at := term.waitFor(t, 0, "Press ENTER to start", 60*time.Second)
	boxType(t, master, "ENTER")
	at = term.waitFor(t, at, "MAC address", 60*time.Second)
	boxType(t, master, "ENTER")
	at = term.waitFor(t, at, "LED S1", 60*time.Second)
	return term, master, socket, log.String, at
}

// boxType types a key script as a terminal sends it, in one write (a
// paste).
func boxType(t *testing.T, master *os.File, script string) {
	t.Helper()
	evs, err := keyevent.ParseScript(script)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := master.Write(vt100input.Encode(evs)); err != nil {
		t.Fatalf("type into the console: %v", err)
	}
}

// boxNoise writes n random bytes (first the given prefix) to the console
// and waits until it showed LINE NOISE and, the line quiet again, cleared
// it. It returns the output offset after the clearing.
func boxNoise(t *testing.T, term *boxTerminal, master *os.File, at int, prefix string, n int, seed uint64) int {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x1512))
	noise := []byte(prefix)
	for len(noise) < n {
		noise = append(noise, byte(rng.Uint32()))
	}
	t.Logf("writing %d bytes of noise (seed %d)", len(noise), seed)
	start := time.Now()
	if _, err := master.Write(noise); err != nil {
		t.Fatalf("write noise: %v", err)
	}
	t.Logf("noise written in %v", time.Since(start))
	at = term.waitFor(t, at, "LINE NOISE", 60*time.Second)
	// The notice row is rewritten empty when the noise is over.
	return term.waitFor(t, at, fmt.Sprintf("\x1b[%d;1H\x1b[K", vt100screen.NoticeRow), 60*time.Second)
}

func TestBoxConsoleLineNoise(t *testing.T) {
	term, master, socket, log, at := boxConsole(t)
	before := boxConfigJSON(t, socket)

	at = boxNoise(t, term, master, at, "", 1<<20, uint64(time.Now().UnixNano()))
	if after := boxConfigJSON(t, socket); after != before {
		t.Errorf("a megabyte of noise changed the configuration:\nbefore %s\nafter  %s", before, after)
	}
	if strings.Contains(log(), "operator request") {
		t.Errorf("noise made requests of the network manager:\n%s", log())
	}
	if !strings.Contains(log(), "line noise on the console") {
		t.Errorf("consoled did not log the noise:\n%s", log())
	}

	// The guide's procedure, pasted after the noise, applies in order.
	boxType(t, master, `ENTER DOWN*3 ENTER ENTER CLEAR "10.1.2.3" ENTER DOWN*8 ENTER `+
		`CLEAR "10.1.0.1" ENTER CLEAR "10.1.0.2" ENTER ENTER ENTER ENTER "corp.example" ENTER ENTER`)
	want := `"method":"static","address":"10.1.2.3/16","gateway":"10.1.0.1","dns1":"10.1.0.2"`
	guard := time.Now().Add(60 * time.Second) // a hang guard
	for got := boxConfigJSON(t, socket); !strings.Contains(got, want); got = boxConfigJSON(t, socket) {
		if time.Now().After(guard) {
			t.Fatalf("the pasted procedure was not applied: in force %s\nconsole output:\n%.3000q", got, term.output()[at:])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBoxConsoleNoiseNeverConfirms: an operator walks to a REALLY ...?
// prompt and leaves it; noise that starts with a CR arrives. Nothing is
// confirmed, and the ENTER a person presses after the noise does not
// confirm the prompt either: it is gone.
func TestBoxConsoleNoiseNeverConfirms(t *testing.T) {
	term, master, socket, log, at := boxConsole(t)
	// ENABLE WAN INTERFACE, ENABLE DHCP ON WAN, up to REALLY ENABLE DHCP
	// ON WAN?
	boxType(t, master, `ENTER DOWN*5 ENTER ENTER`)
	at = term.waitFor(t, at, "REALLY", 60*time.Second)
	at = boxNoise(t, term, master, at, "\r", 64<<10, uint64(time.Now().UnixNano()))
	boxType(t, master, "ENTER")
	term.waitFor(t, at, "SETUP NETWORK", 60*time.Second)
	c := netapi.Dial(socket)
	defer c.Close()
	cv, err := c.Config(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if cv.Config.WAN.Method != netcfg.WANOff || strings.Contains(log(), "operator request") {
		t.Errorf("WAN %v in force after noise at the REALLY prompt; consoled log:\n%s", cv.Config.WAN.Method, log())
	}
	if cv.Config.LAN.Method != netcfg.IPv4DHCP {
		t.Errorf("LAN changed: %+v", cv.Config.LAN)
	}
}
