// Package console is the end-to-end test of the serial console: the real
// network manager and console daemons, a real pty standing in for the
// serial line, and an operator's keystrokes typed into it as a terminal
// sends them. It configures a static LAN address and checks the network
// manager has it in force, stored, and on the box's LAN interface: netmgrd
// runs in a network namespace the test creates, whose eth0 is one end of a
// veth pair.
//
// Under Bazel the daemons are data dependencies; under the go command the
// test builds them.
package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/serial"
	"picket.dev/picket/src/panel/vt100input"
	"picket.dev/picket/src/testkit/syncbuf"
	"picket.dev/picket/src/testkit/testinput"
)

// daemons returns the paths of the netmgrd and consoled binaries.
func daemons(t *testing.T) (netmgrd, consoled string) {
	t.Helper()
	return testinput.Command(t, "netmgrd"), testinput.Command(t, "consoled")
}

// start runs a daemon until the test ends (testinput.Daemon).
func start(t *testing.T, path string, args ...string) *syncbuf.Buffer {
	t.Helper()
	return testinput.Daemon(t, path, args...)
}

// terminal is the operator's side of the pty: what the console sent, and a
// way to wait for a text to appear in it.
type terminal struct {
	master *os.File
	mu     sync.Mutex
	seen   bytes.Buffer
	more   chan struct{}
}

func (term *terminal) read() {
	buf := make([]byte, 4096)
	for {
		n, err := term.master.Read(buf)
		if n > 0 {
			term.mu.Lock()
			term.seen.Write(buf[:n])
			term.mu.Unlock()
			select {
			case term.more <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// waitFor waits until text appears in the console output after offset
// from, and returns the offset after it.
func (term *terminal) waitFor(t *testing.T, from int, text string) int {
	t.Helper()
	guard := time.After(60 * time.Second) // a hang guard, not a timing assertion
	for {
		term.mu.Lock()
		out := term.seen.String()
		term.mu.Unlock()
		if i := strings.Index(out[min(from, len(out)):], text); i >= 0 {
			return from + i + len(text)
		}
		select {
		case <-term.more:
		case <-guard:
			t.Fatalf("console never showed %q; it sent:\n%q", text, out[min(from, len(out)):])
		}
	}
}

func (term *terminal) send(t *testing.T, script string) {
	t.Helper()
	evs, err := keyevent.ParseScript(script)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := term.master.Write(vt100input.Encode(evs)); err != nil {
		t.Fatalf("type into the console: %v", err)
	}
}

// boxNamespace creates a network namespace with an eth0 that has carrier
// (a veth pair whose other end is up in the same namespace) and returns
// its name; it is deleted when the test ends.
func boxNamespace(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test runs the network manager in a network namespace it creates: run it as root")
	}
	b := make([]byte, 4)
	rand.Read(b)
	ns := "picket-con-" + hex.EncodeToString(b)
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	ip("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	ip("-n", ns, "link", "set", "lo", "up")
	ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
	ip("-n", ns, "link", "set", "peer0", "up")
	return ns
}

func TestMain(m *testing.M) {
	// Bazel runs tests with a minimal PATH.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin:/usr/bin:/bin")
	// The guide's procedures replay on the console one operator each, in
	// parallel: they mostly wait for the console's screen, not the CPU.
	flag.Set("test.parallel", "8")
	os.Exit(m.Run())
}

func TestStaticLANFromTheConsole(t *testing.T) {
	netmgrd, consoled := daemons(t)
	ns := boxNamespace(t)
	dir := t.TempDir()
	socket := filepath.Join(dir, "netmgr.sock")
	data := filepath.Join(dir, "data")
	// No DHCP server answers on eth0: a short lease wait keeps the boot's
	// path test from holding the first change back.
	start(t, "ip", "netns", "exec", ns, netmgrd, "-socket", socket, "-data", data,
		"-lan", "eth0", "-wan", "", "-resolv", filepath.Join(dir, "resolv.conf"), "-lease-wait", "1s")

	master, slave, err := serial.OpenPTY("/dev")
	if err != nil {
		t.Fatalf("open a pty: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	term := &terminal{master: master, more: make(chan struct{}, 1)}
	go term.read()
	// consoled waits for the network manager by itself; no ordering needed.
	start(t, consoled, "-device", slave, "-netmgr", socket)

	// ENTER brings up the console: the MAC address and the idle screen.
	at := term.waitFor(t, 0, "Press ENTER to start")
	term.send(t, "ENTER")
	at = term.waitFor(t, at, "MAC address")
	at = term.waitFor(t, at, "CONTACTING")

	// The whole procedure at once, as a pasted keystroke file: every key
	// must be applied in order.
	term.send(t, `ENTER DOWN*3 ENTER ENTER CLEAR "10.1.2.3" ENTER DOWN*8 ENTER `+
		`CLEAR "10.1.0.1" ENTER CLEAR "10.1.0.2" ENTER ENTER ENTER ENTER "corp.example" ENTER ENTER`)

	mgr := netapi.Dial(socket)
	want := netcfg.LAN{
		Method:  netcfg.IPv4Static,
		Address: netip.MustParsePrefix("10.1.2.3/16"),
		Gateway: netip.MustParseAddr("10.1.0.1"),
		DNS1:    netip.MustParseAddr("10.1.0.2"),
		Domain:  "CORP.EXAMPLE",
	}
	ctx := context.Background()
	guard := time.Now().Add(60 * time.Second)
	var got netcfg.LAN
	for {
		view, err := mgr.Config(ctx)
		if err != nil {
			t.Fatalf("read config: %v", err)
		}
		if got = view.Config.LAN; fmt.Sprint(got) == fmt.Sprint(want) {
			break
		}
		if time.Now().After(guard) {
			term.mu.Lock()
			out := term.seen.String()
			term.mu.Unlock()
			t.Fatalf("LAN in force %+v, want %+v; console output:\n%q", got, want, out[at:])
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Stored on the data partition, not only held in memory.
	stored, err := os.ReadFile(filepath.Join(data, "config", "network.json"))
	if err != nil {
		t.Fatalf("read the stored config: %v", err)
	}
	if !strings.Contains(string(stored), "10.1.2.3") {
		t.Fatalf("stored config lacks the new address:\n%s", stored)
	}
	// And in force on the interface, with its default route.
	out, err := exec.Command("ip", "-n", ns, "-4", "addr", "show", "dev", "eth0").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "inet 10.1.2.3/16") {
		t.Fatalf("eth0 in the box namespace lacks 10.1.2.3/16 (%v):\n%s", err, out)
	}
	out, err = exec.Command("ip", "-n", ns, "-4", "route", "show", "default").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "via 10.1.0.1 dev eth0") {
		t.Fatalf("no default route via 10.1.0.1 in the box namespace (%v):\n%s", err, out)
	}
}
