package vmnet

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/net/netcfg"
)

// The tests share one guest, booted by the first test that needs it (so a
// run of only the unit tests boots none) and stopped by TestMain. They run
// in file order, each applying a whole configuration; the agent removes
// what the previous one put in force.
var shared struct {
	once sync.Once
	vm   *VM
	err  error
}

func TestMain(m *testing.M) {
	// Bazel runs tests with a minimal PATH; ip, tcpdump live in sbin.
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/sbin")
	code := m.Run()
	if shared.vm != nil {
		if err := shared.vm.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "vmnet: stop shared guest: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func guest(t *testing.T) *VM {
	t.Helper()
	shared.once.Do(func() { shared.vm, shared.err = Start(Options{Name: "t"}) })
	if shared.err != nil {
		t.Fatalf("vmnet: %v", shared.err)
	}
	return shared.vm
}

// LAN addressing of the tests: the guest is .10, the namespace side .1.
var (
	lanAddr = netip.MustParsePrefix("192.0.2.10/24")
	lanGW   = netip.MustParseAddr("192.0.2.1")
)

func staticLAN() netcfg.Config {
	return netcfg.Config{LAN: netcfg.LAN{Method: netcfg.IPv4Static, Address: lanAddr, Gateway: lanGW, DNS1: lanGW}}
}

type applyResult struct {
	Count   int      `json:"count"`
	Changes []string `json:"changes"`
	// ObserveRetries counts netlink dumps interrupted by concurrent
	// changes, read again by the agent.
	ObserveRetries int `json:"observe_retries"`
}

func apply(t *testing.T, vm *VM, cfg netcfg.Config) applyResult {
	t.Helper()
	var res applyResult
	if err := vm.CallInto("apply", map[string]any{"config": cfg, "lan": GuestNIC}, &res); err != nil {
		t.Fatalf("apply: %v\nconsole:\n%s", err, vm.Console())
	}
	if res.ObserveRetries > 0 {
		t.Logf("apply: netapply.Observe was interrupted by concurrent kernel changes %d times and read again", res.ObserveRetries)
	}
	return res
}

type guestLink struct {
	Name   string `json:"name"`
	Up     bool   `json:"up"`
	VLANID int    `json:"vlan_id"`
	Parent string `json:"parent"`
}

// vlans returns the guest's VLAN links: name -> "id@parent up".
func vlans(t *testing.T, vm *VM) map[string]string {
	t.Helper()
	var links []guestLink
	if err := vm.CallInto("links", nil, &links); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range links {
		if l.VLANID != 0 {
			out[l.Name] = fmt.Sprintf("%d@%s up=%v", l.VLANID, l.Parent, l.Up)
		}
	}
	return out
}

func addrs(t *testing.T, vm *VM) map[string]bool {
	t.Helper()
	var list []struct{ Link, Prefix string }
	if err := vm.CallInto("addrs", nil, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, a := range list {
		out[a.Prefix+" dev "+a.Link] = true
	}
	return out
}

func routes(t *testing.T, vm *VM) map[string]bool {
	t.Helper()
	var list []struct {
		Table        int
		Dst, Gateway string
		Link         string
	}
	if err := vm.CallInto("routes", nil, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range list {
		out[fmt.Sprintf("%s via %s dev %s table %d", r.Dst, r.Gateway, r.Link, r.Table)] = true
	}
	return out
}

// capture runs tcpdump on the tap in the guest's namespace until stop is
// called, which returns the lines it printed.
func capture(t *testing.T, vm *VM) (stop func() []string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", vm.NS, "tcpdump", "-i", TapName, "-e", "-nn", "-l", "-U")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start tcpdump: %v", err)
	}
	var once sync.Once
	kill := func() { once.Do(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) }
	t.Cleanup(kill)
	// tcpdump says "listening on" once the capture runs.
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errPipe)
		var seen []string
		for sc.Scan() {
			seen = append(seen, sc.Text())
			if strings.Contains(sc.Text(), "listening on") {
				ready <- ""
				break
			}
		}
		ready <- strings.Join(seen, "\n")
		for sc.Scan() {
		}
	}()
	select {
	case msg := <-ready:
		if msg != "" {
			t.Fatalf("tcpdump did not start: %s", msg)
		}
	case <-time.After(30 * time.Second):
		kill()
		t.Fatal("tcpdump did not start within 30s")
	}
	lines := make(chan []string, 1)
	go func() {
		var l []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l = append(l, sc.Text())
		}
		lines <- l
	}()
	return func() []string {
		kill()
		return <-lines
	}
}

// TestPanelVLAN applies a static LAN on panel VLAN 20 in the guest and
// checks on the wire, from the namespace, that the guest's traffic to the
// gateway carries the 802.1Q tag 20.
func TestPanelVLAN(t *testing.T) {
	vm := guest(t)
	cfg := staticLAN()
	cfg.VLAN = 20
	res := apply(t, vm, cfg)
	if !slices.Contains(res.Changes, "add vlan eth0.20 (id 20 on eth0)") {
		t.Errorf("apply changes %q; want the VLAN link created", res.Changes)
	}
	if got, want := vlans(t, vm), map[string]string{"eth0.20": "20@eth0 up=true"}; !mapsEqual(got, want) {
		t.Errorf("guest VLAN links %v, want %v", got, want)
	}
	if a := addrs(t, vm); !a["192.0.2.10/24 dev eth0.20"] {
		t.Errorf("guest addresses %v; want 192.0.2.10/24 on eth0.20", a)
	}
	if r := routes(t, vm); !r["0.0.0.0/0 via 192.0.2.1 dev eth0.20 table 254"] {
		t.Errorf("guest routes %v; want the default route via 192.0.2.1 on eth0.20", r)
	}

	waitCarrier(t, vm, "eth0.20")
	stop := capture(t, vm)
	var pr struct{ Sent, Replies int }
	if err := vm.CallInto("ping", map[string]any{"dev": "eth0.20", "dst": lanGW, "count": 3, "timeout_ms": 2000}, &pr); err != nil {
		t.Fatal(err)
	}
	lines := stop()
	// The namespace has no VLAN link (the host kernel has no 802.1Q), so
	// nothing answers: the guest's ARP requests for the gateway are what
	// shows on the wire. Every frame about 192.0.2.1 must be tagged 20.
	var tagged, untagged []string
	for _, l := range lines {
		if !strings.Contains(l, "192.0.2.1 ") && !strings.HasSuffix(l, "192.0.2.1") {
			continue
		}
		if strings.Contains(l, "ethertype 802.1Q (0x8100)") && strings.Contains(l, "vlan 20,") {
			tagged = append(tagged, l)
		} else {
			untagged = append(untagged, l)
		}
	}
	if len(tagged) == 0 || len(untagged) > 0 {
		t.Errorf("frames to 192.0.2.1: %d tagged vlan 20, %d not (want some, none); capture:\n%s", len(tagged), len(untagged), strings.Join(lines, "\n"))
	}
	t.Logf("ping %+v; first tagged frame: %s", pr, first(tagged))
}

// waitCarrier waits until link name is operationally up: frames sent
// before the e1000 has carrier are dropped. The bound only keeps a broken
// guest from hanging the test.
func waitCarrier(t *testing.T, vm *VM, name string) {
	t.Helper()
	var links []struct{ Name, Oper string }
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if err := vm.CallInto("links", nil, &links); err != nil {
			t.Fatal(err)
		}
		for _, l := range links {
			if l.Name == name && l.Oper == "up" {
				return
			}
		}
	}
	t.Fatalf("%s has no carrier after 30s: %+v", name, links)
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// scanConfig is a static LAN with scanning VLANs ids and n static routes.
func scanConfig(ids []int, n int) netcfg.Config {
	cfg := staticLAN()
	for _, id := range ids {
		cfg.Platform.ScanVLANs = append(cfg.Platform.ScanVLANs, netcfg.ScanVLAN{
			ID: id, Address: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(id >> 8), byte(id), 10}), 24),
		})
	}
	for i := range n {
		cfg.Platform.Routes = append(cfg.Platform.Routes, netcfg.Route{
			Destination: netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, byte(i), 0}), 24), Gateway: lanGW,
		})
	}
	return cfg
}

func idRange(from, to int) []int {
	var ids []int
	for id := from; id <= to; id++ {
		ids = append(ids, id)
	}
	return ids
}

var vlanNameRE = regexp.MustCompile(`\beth0\.(\d+)\b`)

// TestScanVLANs applies 50 scanning VLANs and 20 routes in one go, checks
// they are all in the guest, that applying again changes nothing, and that
// dropping 25 VLANs removes exactly those.
func TestScanVLANs(t *testing.T) {
	vm := guest(t)
	ids := idRange(100, 149)
	cfg := scanConfig(ids, 20)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test configuration: %v", err)
	}
	res := apply(t, vm, cfg)
	if res.Count == 0 {
		t.Fatal("first apply changed nothing")
	}
	want := map[string]string{}
	for _, id := range ids {
		want[fmt.Sprintf("eth0.%d", id)] = fmt.Sprintf("%d@eth0 up=true", id)
	}
	if got := vlans(t, vm); !mapsEqual(got, want) {
		t.Errorf("guest VLAN links %v\nwant %v", got, want)
	}
	a := addrs(t, vm)
	for _, sv := range cfg.Platform.ScanVLANs {
		if k := fmt.Sprintf("%s dev eth0.%d", sv.Address, sv.ID); !a[k] {
			t.Errorf("guest has no address %s", k)
		}
	}
	r := routes(t, vm)
	for _, rt := range cfg.Platform.Routes {
		if k := fmt.Sprintf("%s via %s dev eth0 table 254", rt.Destination, rt.Gateway); !r[k] {
			t.Errorf("guest has no route %s", k)
		}
	}

	if again := apply(t, vm, cfg); again.Count != 0 {
		t.Errorf("second apply of the same configuration made %d changes: %q", again.Count, again.Changes)
	}

	removed, kept := ids[:25], ids[25:]
	res = apply(t, vm, scanConfig(kept, 20))
	gone := map[string]bool{}
	for _, id := range removed {
		gone[fmt.Sprintf("eth0.%d", id)] = true
	}
	deleted := map[string]bool{}
	for _, c := range res.Changes {
		names := vlanNameRE.FindAllString(c, -1)
		if len(names) == 0 {
			t.Errorf("removing 25 VLANs made a change to something else: %q", c)
		}
		for _, n := range names {
			if !gone[n] {
				t.Errorf("removing 25 VLANs changed kept VLAN %s: %q", n, c)
			}
		}
		if strings.HasPrefix(c, "delete vlan ") {
			deleted[vlanNameRE.FindString(c)] = true
		}
	}
	if !mapsEqual(deleted, gone) {
		t.Errorf("VLAN links deleted %v, want %v", keys(deleted), keys(gone))
	}
	want = map[string]string{}
	for _, id := range kept {
		want[fmt.Sprintf("eth0.%d", id)] = fmt.Sprintf("%d@eth0 up=true", id)
	}
	if got := vlans(t, vm); !mapsEqual(got, want) {
		t.Errorf("guest VLAN links after removal %v\nwant %v", got, want)
	}
}

type ethSettings struct {
	Autoneg   bool   `json:"autoneg"`
	SpeedMbps int    `json:"speed_mbps"`
	Duplex    string `json:"duplex"`
	Mode      string `json:"mode"`
}

func ethGet(t *testing.T, vm *VM) ethSettings {
	t.Helper()
	var s ethSettings
	if err := vm.CallInto("ethtool-get", map[string]any{"ifname": GuestNIC}, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func ethSet(vm *VM, mode netcfg.LinkMode) error {
	_, err := vm.Call("ethtool-set", map[string]any{"ifname": GuestNIC, "mode": mode})
	return err
}

// e1000 device control register bits (Intel 8254x developer's manual,
// CTRL; Linux e1000_hw.h): what the driver programs for a forced mode.
const (
	e1000CtrlFD      = 1 << 0  // full duplex
	e1000CtrlSpeed   = 3 << 8  // 00 10 Mb/s, 01 100 Mb/s, 10 1000 Mb/s
	e1000CtrlSpd100  = 1 << 8  //
	e1000CtrlFrcSpd  = 1 << 11 // force speed
	e1000CtrlFrcDplx = 1 << 12 // force duplex
)

// e1000Ctrl reads the guest NIC's CTRL register, the first word of the
// e1000 driver's register dump (ethtool -d).
func e1000Ctrl(t *testing.T, vm *VM) uint32 {
	t.Helper()
	var regs []uint32
	if err := vm.CallInto("ethtool-regs", map[string]any{"ifname": GuestNIC}, &regs); err != nil {
		t.Fatal(err)
	}
	if len(regs) == 0 {
		t.Fatal("ethtool-regs: empty register dump")
	}
	return regs[0]
}

// checkForced checks that the NIC itself runs mode: the driver forced
// speed and duplex in CTRL to mode's.
func checkForced(t *testing.T, vm *VM, mode netcfg.LinkMode) {
	t.Helper()
	mbps, full, ok := mode.Forced()
	if !ok {
		t.Fatalf("%s is not a forced mode", mode)
	}
	ctrl := e1000Ctrl(t, vm)
	t.Logf("%s: e1000 CTRL %#08x", mode, ctrl)
	var wantSpeed uint32
	if mbps == 100 {
		wantSpeed = e1000CtrlSpd100
	}
	if ctrl&(e1000CtrlFrcSpd|e1000CtrlFrcDplx) != e1000CtrlFrcSpd|e1000CtrlFrcDplx || ctrl&e1000CtrlSpeed != wantSpeed || (ctrl&e1000CtrlFD != 0) != full {
		t.Errorf("after set %s the e1000's CTRL is %#08x: forced speed %v duplex %v, speed bits %#x, full duplex %v; want forced %d Mb/s, full duplex %v",
			mode, ctrl, ctrl&e1000CtrlFrcSpd != 0, ctrl&e1000CtrlFrcDplx != 0, (ctrl&e1000CtrlSpeed)>>8, ctrl&e1000CtrlFD != 0, mbps, full)
	}
}

func linkSet(t *testing.T, vm *VM, up bool) {
	t.Helper()
	if _, err := vm.Call("link-set", map[string]any{"name": GuestNIC, "up": up}); err != nil {
		t.Fatal(err)
	}
}

// TestEthtool sets each of the panel's link modes on the guest's e1000 NIC
// through ethlink and reads it back.
//
// qemu's e1000 reports 1000 Mb/s full duplex whenever its link is up,
// whatever the driver forces, so a forced mode can only be read back
// while the link has no carrier: the driver then reports auto-negotiation
// off and an unknown speed, which ethlink takes as the forced mode in
// force (a real NIC reports no speed either until the link comes up). So
// the forced modes are set with eth0 administratively down; AUTO is then
// also checked with the link up, negotiated at 1000 Mb/s full.
//
// The e1000 driver itself does not force 1000 Mb/s: asked for it, it
// auto-negotiates advertising 1000baseT/Full only, so ethlink reads back
// auto-negotiation on and reports the mode unsupported.
func TestEthtool(t *testing.T) {
	vm := guest(t)
	apply(t, vm, staticLAN())
	linkSet(t, vm, false)
	for _, mode := range netcfg.LinkModes()[2:] {
		t.Run(mode.String(), func(t *testing.T) {
			if err := ethSet(vm, mode); err != nil {
				t.Fatalf("set %s: %v", mode, err)
			}
			if got := ethGet(t, vm); got.Autoneg || got.SpeedMbps != 0 {
				t.Errorf("after set %s on a link without carrier, ethlink.Get reads %+v; want autoneg off, speed unknown", mode, got)
			}
			// The driver reads no speed back while the link is down, so
			// the NIC's own register says what it was told.
			checkForced(t, vm, mode)
		})
	}
	t.Run("1GbaseT/Full unsupported", func(t *testing.T) {
		err := ethSet(vm, netcfg.Link1000Full)
		if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "does not support link mode 1GbaseT/Full") ||
			!strings.Contains(err.Error(), "reads back autoneg on") {
			t.Fatalf("set 1GbaseT/Full: %v; want ethlink's unsupported error (the driver auto-negotiates instead)", err)
		}
		t.Logf("set 1GbaseT/Full: %v", err)
	})
	t.Run("AUTO", func(t *testing.T) {
		if err := ethSet(vm, netcfg.LinkAuto); err != nil {
			t.Fatalf("set AUTO: %v", err)
		}
		if got := ethGet(t, vm); !got.Autoneg || got.Mode != "AUTO" {
			t.Errorf("after set AUTO, ethlink.Get reads %+v; want autoneg on", got)
		}
		linkSet(t, vm, true)
		// Negotiation takes the driver's watchdog a moment: wait for it
		// (the bound only keeps a broken guest from hanging the test).
		var got ethSettings
		for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			if got = ethGet(t, vm); got.SpeedMbps != 0 {
				break
			}
		}
		if want := (ethSettings{Autoneg: true, SpeedMbps: 1000, Duplex: "full", Mode: "AUTO"}); got != want {
			t.Errorf("link up with AUTO: ethlink.Get reads %+v, want %+v", got, want)
		}
	})
}

// TestEthtoolRefusalKeepsSetting checks ethlink's promise that a refused
// link mode leaves the previous setting in force, from both states the
// panel can be in: a forced mode on a link without carrier, and
// auto-negotiation on a link that is up.
func TestEthtoolRefusalKeepsSetting(t *testing.T) {
	vm := guest(t)
	apply(t, vm, staticLAN())
	for _, tc := range []struct {
		name string
		up   bool
		prev netcfg.LinkMode
	}{
		{"forced 10baseT/Half, no carrier", false, netcfg.Link10Half},
		{"AUTO, link up", true, netcfg.LinkAuto},
	} {
		t.Run(tc.name, func(t *testing.T) {
			linkSet(t, vm, tc.up)
			if err := ethSet(vm, tc.prev); err != nil {
				t.Fatalf("set %s: %v", tc.prev, err)
			}
			if tc.up {
				waitCarrier(t, vm, GuestNIC)
			}
			before := ethGet(t, vm)
			err := ethSet(vm, netcfg.Link1000Full)
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("set 1GbaseT/Full: %v; want ethlink's unsupported error", err)
			}
			if strings.Contains(err.Error(), "may be lost") {
				t.Errorf("ethlink could not restore the previous setting (%+v) after the refusal: %v", before, err)
			}
			after := ethGet(t, vm)
			// A link that was up renegotiates after the refused set: wait
			// for it (the bound only keeps a broken guest from hanging).
			for end := time.Now().Add(30 * time.Second); tc.up && after.SpeedMbps == 0 && time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
				after = ethGet(t, vm)
			}
			if after != before {
				t.Errorf("after the refused 1GbaseT/Full, ethlink.Get reads %+v; before it, %+v", after, before)
			}
			if tc.prev != netcfg.LinkAuto {
				checkForced(t, vm, tc.prev)
			}
		})
	}
	linkSet(t, vm, true)
	if err := ethSet(vm, netcfg.LinkAuto); err != nil {
		t.Errorf("set AUTO at the end: %v", err)
	}
}

// TestBench applies the most the platform may push, 4094 scanning VLANs
// and 99 routes, and prints the time the guest took and its agent's
// memory, for the first apply and for applying it again (no change: what
// that costs is reading the state back, netapply.Observe). It runs only
// with PICKET_BENCH=1 (go test -timeout 90m), in a guest of its own with
// room for 4094 links. The times are the emulated guest's (TCG), many
// times slower than a real box's; compare them with each other.
func TestBench(t *testing.T) {
	if os.Getenv("PICKET_BENCH") != "1" {
		t.Skip("set PICKET_BENCH=1 to run the 4094-VLAN benchmark")
	}
	// Under TCG a full apply takes minutes; the bound only stops a hang.
	vm := Boot(t, Options{Name: "b", MemoryMB: 2048, CallTimeout: 45 * time.Minute})
	// PICKET_BENCH_VLANS=n applies n VLANs instead, to see how the cost
	// grows with their number.
	n := netcfg.MaxScanVLANs
	if v := os.Getenv("PICKET_BENCH_VLANS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > netcfg.MaxScanVLANs {
			t.Fatalf("PICKET_BENCH_VLANS=%q: want 1-%d", v, netcfg.MaxScanVLANs)
		}
	}
	cfg := scanConfig(idRange(1, n), netcfg.MaxRoutes)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("bench configuration: %v", err)
	}
	for _, run := range []string{"first", "again"} {
		var m struct {
			ElapsedMS int `json:"elapsed_ms"`
			RSSKB     int `json:"rss_kb"`
			HWMKB     int `json:"hwm_kb"`
			Result    applyResult
		}
		args := map[string]any{"cmd": "apply", "args": map[string]any{"config": cfg, "lan": GuestNIC, "quiet": true}}
		if err := vm.CallInto("measure", args, &m); err != nil {
			t.Fatalf("%s apply: %v\nconsole:\n%s", run, err, vm.Console())
		}
		fmt.Printf("BENCH vmnet apply-%d-vlans-%d-routes %s: changes=%d elapsed_ms=%d rss_kb=%d peak_rss_kb=%d\n",
			n, netcfg.MaxRoutes, run, m.Result.Count, m.ElapsedMS, m.RSSKB, m.HWMKB)
	}
	if got := len(vlans(t, vm)); got != n {
		t.Errorf("guest has %d VLAN links, want %d", got, n)
	}
}

func mapsEqual[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
