package scan_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/testkit/scanbench"
	"picket.dev/picket/src/testkit/syncbuf"
	"picket.dev/picket/src/testkit/testinput"
)

// rate is the probes per second given to scan and masscan (nmap -T4
// paces itself).
const rate = "100000"

type run struct {
	tool  string
	wall  time.Duration
	sent  uint64
	found map[netip.AddrPort]bool
	rss   int64 // KiB, peak (scan only)
	// status is the open ports masscan's status line counted ("found=N"),
	// -1 for the others.
	status int
}

// BenchmarkScanners prints, for each bench, a row per scanner. It ignores
// b.N: run it with -benchtime 1x. Only with PICKET_BENCH=1.
func BenchmarkScanners(b *testing.B) {
	if os.Getenv("PICKET_BENCH") != "1" {
		b.Skip("the scan benchmark runs only with PICKET_BENCH=1 (tests/bench/scan.sh sets it)")
	}
	for _, tool := range []string{"nmap", "masscan", "tcpdump"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Fatalf("%s is needed (tools/fetch installs it): %v", tool, err)
		}
	}
	bin := testinput.Command(b, "scan")
	var table []string
	table = append(table, "| bench | scanner | wall time | frames sent | open ports found | recall |", "|---|---|---|---|---|---|")

	for _, bc := range []struct {
		name string
		opt  scanbench.Options
	}{
		{"50 hosts x 1024 ports", scanbench.Options{Targets: 50, Addrs: 1, Addrs6: 1, Net: 71}},
		{"1 host, 200 addresses x 1024 ports", scanbench.Options{Targets: 1, Addrs: 200, Addrs6: 1, Net: 72}},
	} {
		sb := scanbench.New(b, bc.opt)
		var addrs []string
		want := map[netip.AddrPort]bool{}
		for _, a := range sb.All4() {
			addrs = append(addrs, a.String())
			for _, p := range sb.Open(a) {
				if p.Proto == "tcp" && p.Port <= 1024 {
					want[netip.AddrPortFrom(a, p.Port)] = true
				}
			}
		}
		spec := strings.Join(addrs, ",")
		runs := []run{
			measure(b, sb, "scan", bin, "-targets", spec, "-ports", "1-1024", "-iface", "eth0", "-rate", rate),
			measure(b, sb, "nmap -sS -T4", "nmap", "-sS", "-T4", "-n", "-p1-1024", "-oG", "-", "-iL", "-", spec),
			measure(b, sb, "masscan", "masscan", "-p1-1024", "--rate", rate, "--wait", "1", "-oL", "-", "--interface", "eth0", spec),
		}
		for _, r := range runs {
			hit := 0
			for ap := range want {
				if r.found[ap] {
					hit++
				}
			}
			foundS := fmt.Sprint(len(r.found))
			if r.status >= 0 {
				foundS = fmt.Sprintf("%d printed, %d in its status line", len(r.found), r.status)
			}
			table = append(table, fmt.Sprintf("| %s | %s | %.2f s | %d | %s | %d/%d |", bc.name, r.tool, r.wall.Seconds(), r.sent, foundS, hit, len(want)))
		}
	}

	// Memory: a /16 of mostly silent addresses (the router has no route
	// for most of it), rate-capped.
	sb := scanbench.New(b, scanbench.Options{Targets: 1, Addrs: 20, Addrs6: 1, Net: 73})
	r := measure(b, sb, "scan", bin, "-targets", "10.73.0.0/16", "-ports", "1-1024", "-iface", "eth0", "-rate", rate, "-retries", "1")
	mem := fmt.Sprintf("scan of 10.73.0.0/16 (65536 targets, %d up), ports 1-1024, rate %s, 1 retry: %.1f s, %d frames, peak RSS %.1f MiB",
		len(hostsOf(r.found)), rate, r.wall.Seconds(), r.sent, float64(r.rss)/1024)
	fmt.Println(strings.Join(table, "\n"))
	fmt.Println(mem)
}

func hostsOf(m map[netip.AddrPort]bool) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	for ap := range m {
		out[ap.Addr()] = true
	}
	return out
}

// measure runs one scanner in the scanner namespace: wall time, frames
// the scanner's link sent, open ports it printed; for scan its peak
// resident size (VmHWM). nmap gets its targets on stdin (-iL -).
func measure(b *testing.B, sb *scanbench.Bench, tool, name string, args ...string) run {
	b.Helper()
	r := run{tool: tool, found: map[netip.AddrPort]bool{}}
	var stdin string
	if name == "nmap" {
		stdin = strings.ReplaceAll(args[len(args)-1], ",", "\n")
		args = args[:len(args)-1]
	}
	cmd := sb.Scanner.Command(append([]string{name}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout bytes.Buffer
	stderr := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	tx0 := sb.TxPackets()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	var end time.Time
	if tool == "scan" {
		// ip netns exec execs the scan: the pid is the scan's.
		tick := time.NewTicker(50 * time.Millisecond)
	poll:
		for {
			select {
			case err = <-done:
				break poll
			case <-tick.C:
				if kb := vmHWM(cmd.Process.Pid); kb > r.rss {
					r.rss = kb
				}
			}
		}
		tick.Stop()
	} else if tool == "masscan" {
		// masscan 1.3.2 in a namespace never ends after its --wait (its
		// status line counts the wait down below zero): the scan is over
		// when the wait has run out; an interrupt then makes it print
		// its results and exit.
		tick := time.NewTicker(20 * time.Millisecond)
	wait:
		for {
			select {
			case err = <-done:
				break wait
			case <-tick.C:
				if strings.Contains(stderr.String(), "waiting -1-secs") && end.IsZero() {
					end = time.Now()
					_ = cmd.Process.Signal(os.Interrupt)
				}
				// It may not heed the interrupt either (its receive thread
				// stuck): killed, its results are lost but for the count
				// its status line gives.
				if !end.IsZero() && time.Since(end) > 5*time.Second {
					_ = cmd.Process.Kill()
				}
			}
		}
		tick.Stop()
	} else {
		err = <-done
	}
	r.wall = time.Since(start)
	if !end.IsZero() {
		r.wall = end.Sub(start)
		err = nil
	}
	if err != nil {
		b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	r.sent = sb.TxPackets() - tx0
	r.status = -1
	if tool == "masscan" {
		if i := strings.LastIndex(stderr.String(), "found="); i >= 0 {
			fmt.Sscan(stderr.String()[i+len("found="):], &r.status)
		}
	}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Text()
		switch name {
		case "nmap": // Host: 10.71.1.10 ()	Ports: 222/open/tcp//...
			f := strings.Fields(line)
			if len(f) < 2 || f[0] != "Host:" {
				continue
			}
			a, err := netip.ParseAddr(f[1])
			if err != nil {
				continue
			}
			_, ports, ok := strings.Cut(line, "Ports: ")
			if !ok {
				continue
			}
			for _, p := range strings.Split(ports, ", ") {
				parts := strings.Split(p, "/")
				if len(parts) > 2 && parts[1] == "open" {
					n, _ := strconv.Atoi(strings.TrimSpace(parts[0]))
					r.found[netip.AddrPortFrom(a, uint16(n))] = true
				}
			}
		case "masscan": // open tcp 222 10.71.1.10 1700000000
			f := strings.Fields(line)
			if len(f) >= 4 && f[0] == "open" {
				a, err := netip.ParseAddr(f[3])
				n, _ := strconv.Atoi(f[2])
				if err == nil {
					r.found[netip.AddrPortFrom(a, uint16(n))] = true
				}
			}
		default:
			var h result.Host
			if json.Unmarshal([]byte(line), &h) != nil || !h.Addr.IsValid() {
				continue
			}
			for _, p := range h.Ports {
				if p.State == result.Open {
					r.found[netip.AddrPortFrom(h.Addr, p.Port)] = true
				}
			}
		}
	}
	b.Logf("%s: %.2fs, %d frames, %d open", tool, r.wall.Seconds(), r.sent, len(r.found))
	return r
}

func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			n, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return n
		}
	}
	return 0
}
