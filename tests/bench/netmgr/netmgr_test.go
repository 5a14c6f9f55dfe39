package netmgr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/testkit/netbench"
	"picket.dev/picket/src/testkit/testinput"
)

func TestMain(m *testing.M) {
	netbench.RunHelperIfAsked()
	os.Exit(m.Run())
}

// The bench: namespace "box" holds eth0, a veth into namespace "net",
// which is the LAN's gateway, DHCP and DNS server and platform host.
var (
	lanGW      = netip.MustParseAddr("10.50.0.1")
	staticAddr = netip.MustParsePrefix("10.50.0.20/24") // outside the DHCP range
)

const (
	platform = "platform.bench.test"
	// defaultRuns is how often each measure is repeated unless
	// PICKET_BENCH_RUNS says otherwise.
	defaultRuns = 10
	// connectTimeout bounds one measure, only so that a broken bench does
	// not hang: it is no assertion on the time.
	connectTimeout = 90 * time.Second
)

// BenchmarkApplyToConnected measures, PICKET_BENCH_RUNS times each (10 by
// default), the time to "connected" of netmgrd (cold start on the
// defaults, static LAN applied from DHCP, DHCP applied from static) and of
// the peer (ip commands for static, dhclient for DHCP, openssl s_client
// for the TLS handshake), and netmgrd's memory. It prints a table on
// stdout and ignores b.N: run it with -benchtime 1x. It does nothing
// unless PICKET_BENCH=1, so that "go test -bench . ./..." does not start a
// minutes-long namespace bench by accident.
func BenchmarkApplyToConnected(b *testing.B) {
	if os.Getenv("PICKET_BENCH") != "1" {
		b.Skip("the network manager benchmark runs only with PICKET_BENCH=1 (tests/bench/netmgr.sh sets it)")
	}
	runs := defaultRuns
	if s := os.Getenv("PICKET_BENCH_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("PICKET_BENCH_RUNS=%q: want a whole number of runs, 1 or more", s)
		}
		runs = n
	}
	e := newEnv(b)
	var r report
	acks := e.acks()
	e.benchNetmgrd(&r, runs)
	r.notes = append(r.notes, fmt.Sprintf("dnsmasq sent %d DHCPACKs during the netmgrd runs (%d cold starts, %d DHCP applies)", e.acks()-acks, runs, runs))
	acks = e.acks()
	e.benchPeer(&r, runs)
	r.notes = append(r.notes, fmt.Sprintf("dnsmasq sent %d DHCPACKs during the peer runs (%d cold starts, %d DHCP applies)", e.acks()-acks, runs, runs))
	r.print(os.Stdout)
	for _, m := range []struct{ name, unit string }{
		{"netmgrd static: Apply returned, test OK", "netmgrd-static-ms"},
		{"netmgrd DHCP: Apply returned, test OK", "netmgrd-dhcp-ms"},
		{"peer static: TLS handshake OK", "peer-static-ms"},
		{"peer DHCP: TLS handshake OK", "peer-dhcp-ms"},
	} {
		if s := r.series(m.name); s != nil {
			b.ReportMetric(ms(median(s.d)), m.unit)
		}
	}
}

// env is the bench with its files.
type env struct {
	b       *testing.B
	box     *netbench.NS
	net     *netbench.NS
	dir     string
	caFile  string
	netmgrd string // binary
	dhcp    *netbench.DnsmasqServer
}

func newEnv(b *testing.B) *env {
	b.Helper()
	bench := netbench.New(b)
	e := &env{b: b, dir: b.TempDir()}
	e.netmgrd = testinput.Command(b, "netmgrd")
	e.box, e.net = bench.NS("box"), bench.NS("net")
	bench.Veth(e.box, "eth0", e.net, "lan0")
	e.net.Run("ip", "addr", "add", lanGW.String()+"/24", "dev", "lan0")
	e.net.Run("ip", "link", "set", "lan0", "up")
	e.dhcp = netbench.Dnsmasq(e.net, netbench.DnsmasqOptions{
		Interface:  "lan0",
		Range4From: netip.MustParseAddr("10.50.0.100"), Range4To: netip.MustParseAddr("10.50.0.150"),
		LeaseTime:   time.Hour,
		Router:      lanGW,
		DNS:         []netip.Addr{lanGW},
		Domain:      "bench.test",
		DNSPort:     53,
		HostRecords: []netbench.HostRecord{{Name: platform, Addrs: []netip.Addr{lanGW}}},
	})
	srv := netbench.TLSServer(e.net, "0.0.0.0:443", platform, nil)
	e.caFile = filepath.Join(e.dir, "platform-ca.pem")
	if err := os.WriteFile(e.caFile, srv.CA.PEM, 0o644); err != nil {
		b.Fatal(err)
	}
	return e
}

// acks counts the DHCPACKs in dnsmasq's log: how many leases were
// granted (a client that reuses its lease without asking sends nothing).
func (e *env) acks() int { return strings.Count(e.dhcp.Log(), "DHCPACK(") }

// resetLink takes eth0 back to a box just powered on: down, no address,
// no route.
func (e *env) resetLink() {
	e.box.Run("ip", "addr", "flush", "dev", "eth0")
	e.box.Run("ip", "link", "set", "eth0", "down")
}

// daemon is one netmgrd process and its client.
type daemon struct {
	proc   *netbench.Proc
	mgr    *netapi.Client
	socket string
}

// startNetmgrd starts netmgrd on its factory defaults (an empty data
// directory: DHCP on the LAN).
func (e *env) startNetmgrd() *daemon {
	e.b.Helper()
	data := filepath.Join(e.dir, "data")
	socket := filepath.Join(e.dir, "netmgr.sock")
	for _, p := range []string{data, socket, filepath.Join(e.dir, "resolv.conf")} {
		if err := os.RemoveAll(p); err != nil {
			e.b.Fatal(err)
		}
	}
	p := e.box.Start("netmgrd", e.netmgrd,
		"-socket", socket, "-data", data, "-lan", "eth0", "-wan", "",
		"-platform", platform+":443", "-platform-ca", e.caFile,
		"-resolv", filepath.Join(e.dir, "resolv.conf"),
		"-lease-wait", "15s", "-dhcp-retry-min", "2s", "-dhcp-retry-max", "5s")
	return &daemon{proc: p, mgr: netapi.Dial(socket), socket: socket}
}

// waitStatus polls the status every 10 ms until cond holds and returns
// when it first did. Errors (the socket not there yet) are retried.
func (e *env) waitStatus(d *daemon, what string, cond func(netapi.Status) bool) time.Time {
	e.b.Helper()
	deadline := time.Now().Add(connectTimeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := d.mgr.Status(ctx)
		cancel()
		if err == nil && cond(st) {
			return time.Now()
		}
		last = err
		time.Sleep(10 * time.Millisecond)
	}
	e.b.Fatalf("netmgrd: no %s within %s (last error: %v); output:\n%s", what, connectTimeout, last, d.proc.Output())
	return time.Time{}
}

func lanIPv4(st netapi.Status) netapi.Family {
	if len(st.Interfaces) == 0 {
		return netapi.Family{}
	}
	return st.Interfaces[0].IPv4
}

// leased: the LAN has a bound DHCP lease and its address.
func leased(st netapi.Status) bool {
	f := lanIPv4(st)
	return f.Method == netapi.MethodDHCP && f.Lease != nil && f.Lease.State == netapi.LeaseBound &&
		len(f.Addresses) > 0 && !slices.Contains(f.Addresses, staticAddr)
}

// static: the LAN carries the static address.
func static(st netapi.Status) bool {
	f := lanIPv4(st)
	return f.Method == netapi.MethodStatic && slices.Contains(f.Addresses, staticAddr)
}

func testOK(st netapi.Status) bool { return st.LastTest != nil && st.LastTest.OK }

var staticCfg = netcfg.Config{LAN: netcfg.LAN{
	Method:  netcfg.IPv4Static,
	Address: staticAddr,
	Gateway: lanGW,
	DNS1:    lanGW,
}}

// benchNetmgrd measures cold starts, then applies static and DHCP in turn
// on the last daemon started, reading its memory before and after.
func (e *env) benchNetmgrd(r *report, runs int) {
	e.b.Helper()
	var d *daemon
	for i := range runs {
		if d != nil {
			d.proc.Stop()
			d.mgr.Close()
		}
		e.resetLink()
		t0 := time.Now()
		d = e.startNetmgrd()
		tAddr := e.waitStatus(d, "DHCP lease at start", leased)
		tOK := e.waitStatus(d, "passing test at start", func(st netapi.Status) bool { return leased(st) && testOK(st) })
		r.add("netmgrd cold start: address in Status", tAddr.Sub(t0))
		r.add("netmgrd cold start: test OK in Status", tOK.Sub(t0))
		e.b.Logf("netmgrd cold start %d: address %v, test OK %v", i+1, tAddr.Sub(t0), tOK.Sub(t0))
	}
	// Idle: the boot is done; let the loop settle before reading.
	time.Sleep(5 * time.Second)
	r.mem = append(r.mem, e.memory(d, "idle, 5 s after the start's test passed"))
	for i := range runs {
		addr, done := e.timeApply(d, staticCfg, static)
		r.add("netmgrd static: address in Status", addr)
		r.add("netmgrd static: Apply returned, test OK", done)
		addr, done = e.timeApply(d, netcfg.Config{}, leased)
		r.add("netmgrd DHCP: address in Status", addr)
		r.add("netmgrd DHCP: Apply returned, test OK", done)
		e.b.Logf("netmgrd applies %d done", i+1)
	}
	r.mem = append(r.mem, e.memory(d, fmt.Sprintf("right after the %d applies", 2*runs)))
	time.Sleep(5 * time.Second)
	r.mem = append(r.mem, e.memory(d, "5 s later"))
	d.proc.Stop()
	d.mgr.Close()
}

// timeApply applies cfg and returns how long until a status satisfying
// addr was published and until Apply returned (with a passing test).
func (e *env) timeApply(d *daemon, cfg netcfg.Config, addr func(netapi.Status) bool) (toAddr, toDone time.Duration) {
	e.b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	sub, err := d.mgr.Subscribe(ctx)
	if err != nil {
		e.b.Fatalf("netmgrd: subscribe: %v", err)
	}
	// The first status is the current one, from before the change.
	if _, ok := <-sub; !ok {
		e.b.Fatalf("netmgrd: subscription ended at once; output:\n%s", d.proc.Output())
	}
	seen := make(chan time.Time, 1)
	go func() {
		for st := range sub {
			if addr(st) {
				seen <- time.Now()
				return
			}
		}
		close(seen)
	}()
	t0 := time.Now()
	res, err := d.mgr.Apply(ctx, cfg, netapi.ApplyOptions{})
	tDone := time.Now()
	if err != nil {
		e.b.Fatalf("netmgrd: apply: %v\noutput:\n%s", err, d.proc.Output())
	}
	if res.Test == nil || !res.Test.OK {
		e.b.Fatalf("netmgrd: apply returned without a passing test: %+v\noutput:\n%s", res.Test, d.proc.Output())
	}
	tAddr, ok := <-seen
	if !ok {
		e.b.Fatalf("netmgrd: the subscription ended before the status showed the address")
	}
	return tAddr.Sub(t0), tDone.Sub(t0)
}

// memory reads the daemon's resident set now and at its peak.
func (e *env) memory(d *daemon, when string) memSample {
	e.b.Helper()
	// ip netns exec execs netmgrd: the pid is netmgrd's.
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.proc.Pid()))
	if err != nil {
		e.b.Fatalf("read netmgrd's memory: %v", err)
	}
	m := memSample{when: when}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch k {
		case "Name":
			m.name = strings.TrimSpace(v)
		case "VmRSS":
			m.rss = strings.TrimSpace(v)
		case "VmHWM":
			m.hwm = strings.TrimSpace(v)
		}
	}
	if m.name != "netmgrd" {
		e.b.Fatalf("pid %d is %q, not netmgrd", d.proc.Pid(), m.name)
	}
	return m
}

// dhclientScript is the peer's -sf script: what Debian's dhclient-script
// does for an IPv4 lease, minus its rename of /etc/resolv.conf, which
// fails on the file ip netns exec bind-mounts there.
const dhclientScript = `#!/bin/sh
case "$reason" in
PREINIT)
	ip link set dev "$interface" up ;;
BOUND|RENEW|REBIND|REBOOT)
	if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
		ip -4 addr flush dev "$interface"
	fi
	ip -4 addr replace "$new_ip_address/$new_subnet_mask" broadcast "$new_broadcast_address" \
		valid_lft "$new_dhcp_lease_time" preferred_lft "$new_dhcp_lease_time" dev "$interface"
	for r in $new_routers; do
		ip -4 route replace default via "$r" dev "$interface"
		break
	done
	{
		[ -n "$new_domain_name" ] && echo "search $new_domain_name"
		for s in $new_domain_name_servers; do echo "nameserver $s"; done
	} >/etc/resolv.conf ;;
EXPIRE|FAIL|RELEASE|STOP)
	ip -4 addr flush dev "$interface" ;;
esac
exit 0
`

// peer is the same changes made by hand: ip(8), dhclient, openssl.
type peer struct {
	e      *env
	script string
	pid    string // dhclient's pid file
	lease  string // dhclient's lease file
	resolv string // /etc/netns/<box>/resolv.conf
}

func (e *env) newPeer() *peer {
	e.b.Helper()
	for _, tool := range []string{"dhclient", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			e.b.Fatalf("the peer needs %s (apt-get install isc-dhcp-client openssl; tests/bench/netmgr.sh installs them): %v", tool, err)
		}
	}
	p := &peer{e: e,
		script: filepath.Join(e.dir, "dhclient-script"),
		pid:    filepath.Join(e.dir, "dhclient.pid"),
		lease:  filepath.Join(e.dir, "dhclient.leases"),
	}
	if err := os.WriteFile(p.script, []byte(dhclientScript), 0o755); err != nil {
		e.b.Fatal(err)
	}
	// ip netns exec bind-mounts /etc/netns/<ns>/resolv.conf on
	// /etc/resolv.conf: the peer's resolver configuration in the box.
	etc := filepath.Join("/etc/netns", e.box.Name)
	if err := os.MkdirAll(etc, 0o755); err != nil {
		e.b.Fatalf("make the box's resolver directory: %v", err)
	}
	e.b.Cleanup(func() {
		os.RemoveAll(etc)
		os.Remove(filepath.Dir(etc)) // only if empty: other namespaces may use it
	})
	p.resolv = filepath.Join(etc, "resolv.conf")
	p.clearResolv()
	return p
}

func (p *peer) clearResolv() {
	if err := os.WriteFile(p.resolv, []byte("# empty until the peer configures the box\n"), 0o644); err != nil {
		p.e.b.Fatalf("write the box's resolv.conf: %v", err)
	}
}

// dhclientCmd gets a lease once (-1); dhclient returns when it has gone
// to the background, that is after the script configured the lease.
func (p *peer) dhclientCmd() string {
	return fmt.Sprintf("dhclient -1 -pf %s -lf %s -sf %s eth0", p.pid, p.lease, p.script)
}

// stopDhclient ends the background dhclient, if any, without releasing.
func (p *peer) stopDhclient() {
	data, err := os.ReadFile(p.pid)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		p.e.b.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		p.e.b.Fatalf("dhclient pid file %s: %q", p.pid, data)
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for range 500 {
		if syscall.Kill(pid, 0) != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	os.Remove(p.pid)
}

// tlsLoop is the shell loop of the peer's connectivity check: a TLS
// handshake to the platform by name (the box's resolver), verified
// against the pinned CA only, retried every 10 ms for at most a minute
// and a half (only so that a broken bench does not hang).
const tlsLoop = `i=0
until out=$(openssl s_client -connect %[1]s:443 -servername %[1]s -verify_hostname %[1]s \
	-CAfile %[2]s -verify_return_error -brief </dev/null 2>&1) &&
	case "$out" in *"Verification: OK"*) true ;; *) false ;; esac; do
	i=$((i+1))
	if [ $i -ge 9000 ]; then echo "$out" >&2; exit 1; fi
	sleep 0.01
done
`

// measure runs change, then the TLS check, in one shell in the box (one
// namespace entry per measure, whose cost the "overhead" row shows), and
// returns when change was done and when the handshake succeeded.
func (p *peer) measure(change string) (t0, tChanged, tOK time.Time) {
	p.e.b.Helper()
	script := "set -e\n" + change + "\ndate +%s%N\n" + fmt.Sprintf(tlsLoop, platform, p.e.caFile) + "date +%s%N\n"
	cmd := p.e.box.Command("sh", "-c", script)
	t0 = time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.e.b.Fatalf("peer: %s: %v\n%s", change, err, out)
	}
	var stamps []time.Time
	for _, line := range strings.Split(string(out), "\n") {
		if ns, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64); err == nil && ns > 1e18 {
			stamps = append(stamps, time.Unix(0, ns))
		}
	}
	if len(stamps) != 2 {
		p.e.b.Fatalf("peer: %s: want two time stamps in the output, got:\n%s", change, out)
	}
	// Wall clock on both sides: t0 loses its monotonic reading.
	return t0.Round(0), stamps[0], stamps[1]
}

// benchPeer measures the peer: cold start (link up, dhclient), static from
// DHCP, and DHCP from static.
func (e *env) benchPeer(r *report, runs int) {
	e.b.Helper()
	p := e.newPeer()
	defer p.stopDhclient()
	// What each peer measure pays for entering the box namespace, which
	// a box running the commands natively would not.
	for range runs {
		t0 := time.Now()
		e.box.Run("true")
		r.add("peer overhead: one ip netns exec BOX true", time.Since(t0))
	}
	for i := range runs {
		p.stopDhclient()
		e.resetLink()
		os.Remove(p.lease)
		p.clearResolv()
		t0, tAddr, tOK := p.measure("ip link set eth0 up\n" + p.dhclientCmd())
		r.add("peer cold start: dhclient bound", tAddr.Sub(t0))
		r.add("peer cold start: TLS handshake OK", tOK.Sub(t0))
		e.b.Logf("peer cold start %d: bound %v, TLS %v", i+1, tAddr.Sub(t0), tOK.Sub(t0))
	}
	for i := range runs {
		// Static, from the DHCP lease: dhclient must not renew behind it.
		p.stopDhclient()
		t0, tAddr, tOK := p.measure(fmt.Sprintf("ip addr flush dev eth0\nip addr add %s dev eth0\nip route add default via %s dev eth0\necho 'nameserver %s' >/etc/resolv.conf",
			staticAddr, lanGW, lanGW))
		r.add("peer static: ip commands done", tAddr.Sub(t0))
		r.add("peer static: TLS handshake OK", tOK.Sub(t0))
		// DHCP, from static (the lease file is kept, as a box would).
		t0, tAddr, tOK = p.measure("ip addr flush dev eth0\n" + p.dhclientCmd())
		r.add("peer DHCP: dhclient bound", tAddr.Sub(t0))
		r.add("peer DHCP: TLS handshake OK", tOK.Sub(t0))
		e.b.Logf("peer applies %d done", i+1)
	}
}

// report collects the measures in the order they were first added.
type report struct {
	all   []*series
	mem   []memSample
	notes []string
}

type series struct {
	name string
	d    []time.Duration
}

type memSample struct {
	when, name, rss, hwm string
}

func (r *report) series(name string) *series {
	for _, s := range r.all {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (r *report) add(name string, d time.Duration) {
	s := r.series(name)
	if s == nil {
		s = &series{name: name}
		r.all = append(r.all, s)
	}
	s.d = append(s.d, d)
}

// print writes the report as Markdown tables.
func (r *report) print(w io.Writer) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| measure | runs | min | median | max |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, s := range r.all {
		fmt.Fprintf(w, "| %s | %d | %.1f ms | %.1f ms | %.1f ms |\n", s.name, len(s.d), ms(slices.Min(s.d)), ms(median(s.d)), ms(slices.Max(s.d)))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| netmgrd memory | VmRSS | VmHWM (peak) |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, m := range r.mem {
		fmt.Fprintf(w, "| %s | %s | %s |\n", m.when, m.rss, m.hwm)
	}
	fmt.Fprintln(w)
	for _, n := range r.notes {
		fmt.Fprintln(w, "- "+n)
	}
	fmt.Fprintln(w)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
