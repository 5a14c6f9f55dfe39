package console

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/serial"
	"picket.dev/picket/src/panel/vt100input"
	"picket.dev/picket/src/testkit/netstatus"
	"picket.dev/picket/src/testkit/vt100term"
)

// revertAfter is netmgrd's -panel-revert here: long enough for the
// keys, short enough to wait out (the product's is 2 minutes).
const revertAfter = 4 * time.Second

// revertOnTheConsole: a static LAN address set from the real
// consoled cuts the box off (on the simulated network of netmgrd's
// stand-in its gateway does not answer: the path test after it fails where
// it passed before), and the console shows REVERT? with the time left.
// KEEP? (DOWN ENTER) keeps the change; ENTER on REVERT? restores DHCP,
// in force before; left alone, the prompt goes by itself once netmgrd
// reverted the change.
//
// It runs among the guide's procedures (TestGuideProceduresOnTheConsole),
// so that its waits overlap theirs rather than add to the suite's time.
func revertOnTheConsole(t *testing.T, netmgrd, consoled string) {
	dir := t.TempDir()
	socket := filepath.Join(dir, "netmgr.sock")
	start(t, netmgrd, "-backend", "memory", "-socket", socket, "-data", filepath.Join(dir, "data"),
		"-resolv", "", "-scanner", "", "-panel-revert", revertAfter.String(), "-trial-retest", "1s")
	mgr := netapi.Dial(socket)
	t.Cleanup(func() { mgr.Close() })
	ctx := context.Background()
	passed := func(st netapi.Status) bool { return st.LastTest != nil && st.LastTest.OK }
	netstatus.Wait(t, mgr, "the boot's test to pass", 60*time.Second, passed)

	master, slave, err := serial.OpenPTY("/dev")
	if err != nil {
		t.Fatalf("open a pty: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	scr := &screenTerm{term: vt100term.New(), changed: make(chan struct{}, 1)}
	go scr.read(master)
	start(t, consoled, "-device", slave, "-netmgr", socket, "-power", "log")
	send := func(keys string) {
		t.Helper()
		evs, err := keyevent.ParseScript(keys)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := master.Write(vt100input.Encode(evs)); err != nil {
			t.Fatalf("type into the console: %v", err)
		}
	}
	// shows waits for a panel text beginning with text, shown after the
	// first mark texts; it returns how many were shown by then.
	shows := func(mark int, text string, d time.Duration) int {
		t.Helper()
		if got, ok := scr.seen(mark, d, func(p string) bool { return strings.HasPrefix(p, text) }); !ok {
			_, whole, err := scr.state()
			t.Fatalf("the console never showed %q; it shows %q (terminal error %v):\n%s", text, got, err, whole)
		}
		_, n := scr.current()
		return n
	}
	for guard := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, whole, _ := scr.state(); strings.Contains(whole, "Press ENTER") {
			break
		}
		if time.Now().After(guard) {
			t.Fatal("the console never asked for ENTER")
		}
	}
	send("ENTER")
	mark := shows(0, "", 10*time.Second)

	static := func() bool {
		t.Helper()
		v, err := mgr.Config(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v.Config.LAN.Method == netcfg.IPv4Static
	}
	// setStatic is ENABLE STATIC IP ON LAN, 10.1.2.3/16 via 10.1.0.1,
	// pasted (as in TestStaticLANFromTheConsole).
	setStatic := func() {
		send(`ENTER DOWN*3 ENTER ENTER CLEAR "10.1.2.3" ENTER DOWN*8 ENTER ` +
			`CLEAR "10.1.0.1" ENTER CLEAR "10.1.0.2" ENTER ENTER ENTER ENTER "corp.example" ENTER ENTER`)
	}

	// KEEP?
	setStatic()
	mark = shows(mark, "REVERT? 0:0", 20*time.Second)
	st := netstatus.Wait(t, mgr, "the VLAN on trial", 10*time.Second, func(st netapi.Status) bool { return st.Trial != nil })
	if st.Trial.Source != netapi.SourcePanel || st.Trial.Reason != "GATEWAY UNREACHABLE" || !static() {
		t.Fatalf("trial %+v, static LAN in force %v", *st.Trial, static())
	}
	send("DOWN")
	mark = shows(mark, "KEEP? 0:0", 10*time.Second)
	send("ENTER")
	netstatus.Wait(t, mgr, "the trial kept", 10*time.Second, func(st netapi.Status) bool { return st.Trial == nil })
	if st, _ := mgr.Status(ctx); st.Rollback != nil || !static() {
		t.Fatalf("after KEEP: static LAN %v, rollback %+v", static(), st.Rollback)
	}

	// Reaching the platform again (DHCP), then ENTER on REVERT?.
	if _, err := mgr.Apply(ctx, netcfg.Default(), netapi.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	netstatus.Wait(t, mgr, "the test to pass on DHCP", 20*time.Second, passed)
	setStatic()
	mark = shows(mark, "REVERT? 0:0", 20*time.Second)
	send("ENTER")
	st = netstatus.Wait(t, mgr, "the change reverted", 20*time.Second, func(st netapi.Status) bool { return st.Rollback != nil && st.Trial == nil })
	if static() || !strings.Contains(st.Rollback.Reason, "reverted by the operator") {
		t.Fatalf("after REVERT: static LAN %v, rollback %+v", static(), *st.Rollback)
	}

	// Left alone: netmgrd reverts it and the prompt goes.
	netstatus.Wait(t, mgr, "the test to pass after the revert", 20*time.Second, passed)
	setStatic()
	mark = shows(mark, "REVERT? 0:0", 20*time.Second)
	began := time.Now()
	first := st.Rollback.ID
	st = netstatus.Wait(t, mgr, "netmgrd to revert by itself", 3*revertAfter, func(st netapi.Status) bool {
		return st.Rollback != nil && st.Rollback.ID != first
	})
	if waited := time.Since(began); waited > revertAfter+3*time.Second {
		t.Errorf("reverted %s after REVERT? appeared, want within %s", waited, revertAfter)
	}
	if static() || !strings.Contains(st.Rollback.Reason, "did not reach the platform") {
		t.Fatalf("after the time ran out: static LAN %v, rollback %+v", static(), *st.Rollback)
	}
	// The console leaves the prompt by itself: ENTER opens the menu.
	_, mark = scr.current()
	time.Sleep(500 * time.Millisecond)
	send("ENTER")
	shows(mark, "SETUP NETWORK", 10*time.Second)
}
