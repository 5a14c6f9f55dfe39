// Package scan_test is the end-to-end test of the `scan` command: the
// real binary, run in the scanner namespace of a scan bench
// (testkit/scanbench: 292 target addresses, IPv4 and IPv6, behind a
// router, with listeners, dropped and rejected ports), its JSON output
// checked against what the bench knows, and a capture of the scanner's
// link checked for frames to anything but the targets.
package scan_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/testkit/netbench"
	"picket.dev/picket/src/testkit/scanbench"
	"picket.dev/picket/src/testkit/syncbuf"
	"picket.dev/picket/src/testkit/testinput"
)

type summary struct {
	Targets   uint64 `json:"targets"`
	Up        int    `json:"hosts_up"`
	Open      int    `json:"open_ports"`
	Sent      uint64 `json:"probes_sent"`
	Method    string `json:"method"`
	Cancelled bool   `json:"cancelled"`
	Refused   uint64 `json:"guard_refused"`
}

// output is what a run printed: hosts by address, the summary.
type output struct {
	hosts map[netip.Addr]result.Host
	sum   summary
	seen  bool // a summary line came
}

func parse(t *testing.T, stdout []byte) output {
	t.Helper()
	o := output{hosts: map[netip.Addr]result.Host{}}
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte(`{"summary"`)) {
			var s struct {
				Summary summary `json:"summary"`
			}
			if err := json.Unmarshal(line, &s); err != nil {
				t.Fatalf("summary line %s: %v", line, err)
			}
			o.sum, o.seen = s.Summary, true
			continue
		}
		var h result.Host
		if err := json.Unmarshal(line, &h); err != nil {
			t.Fatalf("host line %s: %v", line, err)
		}
		if _, dup := o.hosts[h.Addr]; dup {
			t.Errorf("host %s printed twice", h.Addr)
		}
		o.hosts[h.Addr] = h
	}
	if !o.seen {
		t.Fatalf("no summary line in the output:\n%s", stdout)
	}
	return o
}

type env struct {
	b   *scanbench.Bench
	bin string
}

func (e *env) run(t *testing.T, args ...string) (output, string) {
	t.Helper()
	// The packet engine is what this suite checks: service detection has
	// tests/service, and scannerd's jobs run both (tests/platformlink). With
	// it, the bench's silent listeners cost seconds of probing each.
	args = append([]string{"-no-services"}, args...)
	cmd := e.b.Scanner.Command(append([]string{e.bin}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("scan %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	t.Logf("scan %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stderr of scan %s:\n%s", strings.Join(args, " "), stderr.String())
		}
	})
	return parse(t, stdout.Bytes()), stderr.String()
}

func portsOf(h result.Host, state result.State) []string {
	var out []string
	for _, p := range h.Ports {
		if p.State == state {
			out = append(out, fmt.Sprintf("%d/%s", p.Port, p.Proto))
		}
	}
	slices.Sort(out)
	return out
}

func want(ps []scanbench.Port, state string) []string {
	var out []string
	for _, p := range ps {
		if p.State == state {
			out = append(out, fmt.Sprintf("%d/%s", p.Port, p.Proto))
		}
	}
	slices.Sort(out)
	return out
}

func TestScan(t *testing.T) {
	e := &env{bin: testinput.Command(t, "scan")}
	e.b = scanbench.New(t, scanbench.Options{})
	all := append(e.b.All4(), e.b.All6()...)
	if len(all) < 250 {
		t.Fatalf("bench has %d target addresses, want at least 250", len(all))
	}
	ports := fmt.Sprintf("200-400,%d-%d,U:%d,%d,%d", scanbench.PortDrop, scanbench.PortClosedUD, scanbench.PortUDP, scanbench.PortDropUDP, scanbench.PortClosedUD)

	t.Run("EveryOpenPort", func(t *testing.T) {
		capture := e.b.CaptureScanner()
		tx0 := e.b.TxPackets()
		out, _ := e.run(t, "-targets", e.b.TargetSpec(), "-ports", ports, "-iface", "eth0", "-rate", "20000")
		lines := capture.Stop()
		tx := e.b.TxPackets() - tx0
		missing, extra := 0, 0
		for _, a := range all {
			h, ok := out.hosts[a]
			if !ok || !h.Up {
				t.Errorf("%s: not found up", a)
				missing++
				continue
			}
			got, exp := portsOf(h, result.Open), want(e.b.Open(a), "open")
			for _, p := range exp {
				if !slices.Contains(got, p) {
					t.Errorf("%s: open port %s not found (found %v)", a, p, got)
					missing++
				}
			}
			for _, p := range got {
				if !slices.Contains(exp, p) {
					t.Errorf("%s: port %s reported open, the bench has %v", a, p, exp)
					extra++
				}
			}
		}
		for a := range out.hosts {
			if !slices.Contains(all, a) {
				t.Errorf("host %s reported: not a target", a)
			}
		}
		if out.sum.Up != len(all) || out.sum.Refused != 0 || out.sum.Method != "syn" {
			t.Errorf("summary %+v: want %d up, syn scan, nothing refused", out.sum, len(all))
		}
		t.Logf("%d targets, %d open ports found, %d missing, %d extra; %d probes; %d frames captured", len(all), out.sum.Open, missing, extra, out.sum.Sent, len(lines))
		set := map[netip.Addr]bool{}
		for _, a := range all {
			set[a] = true
		}
		if bad := e.b.Outside(lines, func(a netip.Addr) bool { return set[a] }); len(bad) > 0 {
			t.Errorf("%d frames went outside the targets, e.g.:\n%s", len(bad), strings.Join(bad[:min(10, len(bad))], "\n"))
		}
		// Every frame the link sent is in the capture (the scan's probes
		// and the kernel's resets and neighbour traffic).
		if n, ok := capture.Dropped(); !ok || n > 0 {
			t.Errorf("tcpdump lost %d frames (reported: %v): the capture is no proof", n, ok)
		}
		if uint64(len(lines)) < out.sum.Sent || tx < out.sum.Sent {
			t.Errorf("capture holds %d frames, the link sent %d, the scan %d: the capture missed some", len(lines), tx, out.sum.Sent)
		}
	})

	t.Run("States", func(t *testing.T) {
		// One address of each kind: with a per-address listener, without,
		// IPv6; every port listed (-all).
		tg := e.b.Targets[0]
		addrs := []netip.Addr{tg.Addrs[0], tg.Addrs[1], tg.Addrs6[0], e.b.Targets[1].Addrs[3]}
		var spec []string
		for _, a := range addrs {
			spec = append(spec, a.String())
		}
		out, _ := e.run(t, "-targets", strings.Join(spec, ","), "-ports", ports, "-iface", "eth0", "-all")
		for _, a := range addrs {
			h := out.hosts[a]
			got := map[string]result.State{}
			for _, p := range h.Ports {
				got[fmt.Sprintf("%d/%s", p.Port, p.Proto)] = p.State
			}
			for _, p := range e.b.Expected(a) {
				k := fmt.Sprintf("%d/%s", p.Port, p.Proto)
				if string(got[k]) != p.State {
					t.Errorf("%s %s: %q, want %q", a, k, got[k], p.State)
				}
			}
			// Ports with nothing on them are closed (a reset, or for UDP an
			// ICMP port unreachable).
			for _, k := range []string{"200/tcp", "399/tcp"} {
				if got[k] != result.Closed && !slices.Contains(want(e.b.Open(a), "open"), k) {
					t.Errorf("%s %s: %q, want closed", a, k, got[k])
				}
			}
		}
	})

	// The scan command's checks: a signature source given with
	// -sigs-source is compiled and matched against every host; a class
	// given to -checks-off drops its signatures. The signature reads the
	// port only (service detection is off in this suite), and its CVSS
	// vector is one whose base score the v3.1 specification's calculator
	// gives as 5.3 (medium).
	t.Run("Checks", func(t *testing.T) {
		src := filepath.Join(t.TempDir(), "test.sigs")
		if err := os.WriteFile(src, []byte(fmt.Sprintf(`format: picket-signatures/1
version: 9.9.9-1
date: 2026-12-07

id: PKT-T-0001
title: the bench's open port
class: exposed
cvss: 5.3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N
proto: tcp
port: %d
evidence: open on {port}/{proto}
remediation: none: a test signature
`, scanbench.PortAll)), 0o644); err != nil {
			t.Fatal(err)
		}
		tg := e.b.Targets[0]
		spec := fmt.Sprintf("%s-%s", tg.Addrs[0], tg.Addrs[4])
		ports := fmt.Sprintf("%d,%d", scanbench.PortAll, scanbench.PortClosed)
		out, _ := e.run(t, "-targets", spec, "-ports", ports, "-iface", "eth0", "-sigs-source", src)
		if len(out.hosts) != 5 {
			t.Fatalf("%d hosts up, want 5", len(out.hosts))
		}
		for a, h := range out.hosts {
			if len(h.Findings) != 1 || h.Findings[0].ID != "PKT-T-0001" || h.Findings[0].Port != scanbench.PortAll ||
				h.Findings[0].Severity != result.Medium || h.Findings[0].Evidence != fmt.Sprintf("open on %d/tcp", scanbench.PortAll) {
				t.Errorf("%s: findings %+v; want PKT-T-0001 (medium) on %d/tcp", a, h.Findings, scanbench.PortAll)
			}
		}
		off, _ := e.run(t, "-targets", spec, "-ports", ports, "-iface", "eth0", "-sigs-source", src, "-checks-off", "exposed")
		for a, h := range off.hosts {
			if len(h.Findings) != 0 {
				t.Errorf("%s with exposed off: findings %+v", a, h.Findings)
			}
		}
		// A source that does not compile stops the command, naming the
		// line (exit 1, nothing scanned).
		bad := filepath.Join(t.TempDir(), "bad.sigs")
		os.WriteFile(bad, []byte("format: picket-signatures/1\nversion: 1\ndate: 2026-12-07\n\nid: X\ntitle: t\nclass: exposed\ncvss: 9.1 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N\nport: 1\nevidence: e\nremediation: r\n"), 0o644)
		cmd := e.b.Scanner.Command(e.bin, "-no-services", "-targets", spec, "-ports", ports, "-iface", "eth0", "-sigs-source", bad)
		msg, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(msg), "line 8: cvss: score 9.1 does not match the vector (7.5)") {
			t.Errorf("bad source: %v\n%s", err, msg)
		}
	})

	t.Run("Exclusions", func(t *testing.T) {
		tg := e.b.Targets[0]
		// The whole /24 (the router's address too) but the router and the
		// first 41 hosts.
		prefix := netip.PrefixFrom(tg.Gateway, 24).Masked()
		excl := fmt.Sprintf("%s,%s-%s", tg.Gateway, tg.Addrs[0], tg.Addrs[40])
		capture := e.b.CaptureScanner()
		out, _ := e.run(t, "-targets", prefix.String(), "-exclude", excl, "-ports", fmt.Sprintf("%d,%d", scanbench.PortAll, scanbench.PortClosed), "-iface", "eth0")
		lines := capture.Stop()
		excluded := func(a netip.Addr) bool {
			return a == tg.Gateway || !a.Less(tg.Addrs[0]) && !tg.Addrs[40].Less(a)
		}
		for a := range out.hosts {
			if excluded(a) || !prefix.Contains(a) {
				t.Errorf("excluded address %s reported", a)
			}
		}
		if len(out.hosts) != len(tg.Addrs)-41 {
			t.Errorf("%d hosts up, want %d", len(out.hosts), len(tg.Addrs)-41)
		}
		if bad := e.b.Outside(lines, func(a netip.Addr) bool { return prefix.Contains(a) && !excluded(a) }); len(bad) > 0 {
			t.Errorf("%d frames to excluded or outside addresses, e.g.:\n%s", len(bad), strings.Join(bad[:min(10, len(bad))], "\n"))
		}
	})

	t.Run("OnLink", func(t *testing.T) {
		// The router's addresses on the scanner's own segment: found by
		// ARP and NDP, with their MAC address.
		out, _ := e.run(t, "-targets", strings.Join([]string{e.b.OnLink.String(), e.b.OnLink6.String(), e.b.Gateway.String(), e.b.Gateway6.String()}, ","),
			"-ports", fmt.Sprint(scanbench.PortClosed), "-iface", "eth0", "-all")
		for _, a := range []netip.Addr{e.b.OnLink, e.b.OnLink6, e.b.Gateway, e.b.Gateway6} {
			h := out.hosts[a]
			// The gateways' MACs the scan learnt first (a ping may answer
			// before ARP or NDP); the others only ARP and NDP can find.
			reason := map[bool]result.Reason{true: result.ReasonARP, false: result.ReasonNDP}[a.Is4()]
			if !h.Up || h.MAC != e.b.RouterMAC || (a == e.b.OnLink || a == e.b.OnLink6) && h.UpReason != reason {
				t.Errorf("%s: up %v (%s) with MAC %q, want the router's %s (by %s)", a, h.Up, h.UpReason, h.MAC, e.b.RouterMAC, reason)
			}
			if len(h.Ports) != 1 || h.Ports[0].State != result.Closed {
				t.Errorf("%s: ports %+v, want %d/tcp closed (probes reach an on-link host)", a, h.Ports, scanbench.PortClosed)
			}
		}
	})

	t.Run("Hostname", func(t *testing.T) {
		// Resolved through the DNS server given (the LAN's), both families.
		tg := e.b.Targets[1]
		netbench.Dnsmasq(e.b.Router, netbench.DnsmasqOptions{Interface: "s0", DNSPort: 53,
			HostRecords: []netbench.HostRecord{{Name: "web.scan.test", Addrs: []netip.Addr{tg.Addrs[5], tg.Addrs6[5]}}}})
		out, _ := e.run(t, "-targets", "web.scan.test", "-dns", e.b.Gateway.String(), "-ports", fmt.Sprint(scanbench.PortAll), "-iface", "eth0")
		for _, a := range []netip.Addr{tg.Addrs[5], tg.Addrs6[5]} {
			h := out.hosts[a]
			if !slices.Equal(h.Names, []string{"web.scan.test"}) || !slices.Equal(portsOf(h, result.Open), []string{fmt.Sprintf("%d/tcp", scanbench.PortAll)}) {
				t.Errorf("%s: %+v, want web.scan.test with port %d open", a, h, scanbench.PortAll)
			}
		}
		if len(out.hosts) != 2 {
			t.Errorf("%d hosts, want the name's 2 addresses", len(out.hosts))
		}
	})

	t.Run("ConnectWithoutRawSockets", func(t *testing.T) {
		// Root without CAP_NET_RAW may not open an AF_PACKET socket: the
		// command falls back to connect().
		a := e.b.Targets[1].Addrs[0] // k=0: PortBase listener
		args := []string{"setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw", e.bin, "-no-services",
			"-targets", a.String(), "-ports", fmt.Sprintf("200-400,%d,%d,%d", scanbench.PortDrop, scanbench.PortReset, scanbench.PortClosed), "-iface", "eth0", "-all"}
		cmd := e.b.Scanner.Command(args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		out := parse(t, stdout.Bytes())
		if out.sum.Method != "connect" || !strings.Contains(stderr.String(), "raw sockets not permitted") {
			t.Errorf("method %q, stderr %s: want the connect fallback, said", out.sum.Method, stderr.String())
		}
		h := out.hosts[a]
		if got, exp := portsOf(h, result.Open), want(e.b.Open(a), "open"); !slices.Equal(got, removeUDP(exp)) {
			t.Errorf("open ports %v, want %v", got, removeUDP(exp))
		}
		if got := portsOf(h, result.Filtered); !slices.Equal(got, []string{fmt.Sprintf("%d/tcp", scanbench.PortDrop)}) {
			t.Errorf("filtered %v, want [%d/tcp]", got, scanbench.PortDrop)
		}
		if got := portsOf(h, result.Closed); !slices.Contains(got, fmt.Sprintf("%d/tcp", scanbench.PortReset)) {
			t.Errorf("closed %v, want %d/tcp among them", got, scanbench.PortReset)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		for _, tc := range []struct {
			args  []string
			token string
		}{
			{[]string{"-targets", "10.61.1.10,10.61.1.300"}, `"10.61.1.300"`},
			{[]string{"-targets", "10.61.1.0/24", "-exclude", "10.61.1.5-"}, `bad exclude "10.61.1.5-"`},
			{[]string{"-targets", "10.61.1.0/33"}, `bad target "10.61.1.0/33"`},
			{[]string{"-targets", "10.61.1.10", "-ports", "22,70000"}, `bad ports "70000"`},
			{[]string{"-targets", "10.61.1.10", "-ports", "U:"}, `bad ports "U:"`},
		} {
			cmd := e.b.Scanner.Command(append([]string{e.bin, "-iface", "eth0"}, tc.args...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errorsAs(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), tc.token) {
				t.Errorf("scan %v: %v, stderr %q: want exit 2 naming %s", tc.args, err, stderr.String(), tc.token)
			}
		}
	})

	t.Run("Interrupt", func(t *testing.T) {
		// A scan of a minute and more (every address, 1024 ports, at 2000
		// probes a second), interrupted after discovery.
		cmd := e.b.Scanner.Command(e.bin, "-no-services", "-targets", e.b.TargetSpec(), "-ports", "1-1024", "-iface", "eth0", "-rate", "2000")
		var stdout bytes.Buffer
		stderr := &syncbuf.Buffer{}
		cmd.Stdout, cmd.Stderr = &stdout, stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(stderr.String(), "discovery done") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(2 * time.Second)
		sent := time.Now()
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		took := time.Since(sent)
		var ee *exec.ExitError
		if !errorsAs(err, &ee) || ee.ExitCode() != 130 {
			t.Errorf("exit %v, want status 130 after SIGINT; stderr:\n%s", err, stderr.String())
		}
		if took > time.Second {
			t.Errorf("scan took %v to stop after SIGINT, want at once", took)
		}
		out := parse(t, stdout.Bytes())
		if !out.sum.Cancelled || len(out.hosts) != len(all) {
			t.Errorf("partial output: %d hosts, summary %+v; want the %d hosts discovered and cancelled", len(out.hosts), out.sum, len(all))
		}
		if out.sum.Sent >= uint64(len(all))*1024 {
			t.Errorf("%d probes sent: the scan was not interrupted", out.sum.Sent)
		}
		t.Logf("stopped %v after SIGINT with %d hosts, %d open ports, %d probes", took.Round(time.Millisecond), len(out.hosts), out.sum.Open, out.sum.Sent)
	})
}

func removeUDP(ps []string) []string {
	var out []string
	for _, p := range ps {
		if strings.HasSuffix(p, "/tcp") {
			out = append(out, p)
		}
	}
	return out
}
