// Package netbench builds throwaway network benches for tests: network
// namespaces joined by veth pairs and bridges, with real dnsmasq, squid,
// tcpdump and a TLS "platform host" running inside them. Everything a
// bench creates is torn down in t.Cleanup, also when the test fails or
// panics.
//
// It needs root and the ip tool (iproute2); without them New fails the
// test (it never skips). Children are started with PR_SET_PDEATHSIG, so
// they die with the test binary even when a test timeout kills it before
// the cleanups run; and New kills the processes and deletes the
// namespaces and directories left behind by test binaries that died that
// way (it records each bench's namespaces in RegistryDir), which also gets
// squid, whose parent-death signal is lost when it switches user.
//
// The parts:
//
//   - New(t) *Bench; Bench.NS(role) *NS makes picket-<role>-<suffix> with lo
//     up; Bench.Veth(a, aName, b, bName) joins two namespaces;
//     Bench.Switch(name) *Switch is a bridge in a namespace of its own and
//     Bench.Link(ns, ifname, sw) plugs a namespace into it.
//   - NS.Run / NS.Try run a command inside; NS.Start runs a long-lived one
//     (*Proc: Output, Stop, WaitOutput); NS.Do runs Go code on a thread
//     inside; NS.Listen, NS.Dial and NS.DialContext make sockets inside
//     (an *NS is a dialer for proxy.Dialer.Forward or net.Resolver.Dial).
//   - Dnsmasq(ns, DnsmasqOptions) *DnsmasqServer: DHCPv4, RA/SLAAC,
//     stateless DHCPv6, DNS host records; Log, WaitLog, Stop, Restart.
//   - Squid(ns, SquidOptions) *SquidServer: no auth, Basic, NTLM (ours);
//     AccessLog, WaitAccessLogLine, HelperLog, CacheLog, Stop.
//   - Capture(ns, iface, filter) *CaptureSession: tcpdump; Stop returns
//     the frames as "tcpdump -nn -e" lines.
//   - Echo(ns, addr, banner) *EchoServer; TLSServer(ns, addr, host,
//     handler) *TLSServerInfo with its throwaway CA (NewCA, CA.Issue).
//
// Typical use:
//
//	b := netbench.New(t)
//	box, srv := b.NS("box"), b.NS("srv")
//	b.Veth(box, "eth0", srv, "eth0")
//	srv.Run("ip", "addr", "add", "10.9.0.1/24", "dev", "eth0")
//	srv.Run("ip", "link", "set", "eth0", "up")
//	d := netbench.Dnsmasq(srv, netbench.DnsmasqOptions{Interface: "eth0", ...})
//
// NS.Do gotcha: code that opens sockets from goroutines of its own (the Go
// resolver's A and AAAA queries) escapes the namespace; give it
// NS.DialContext as its dialer. This kernel has no 802.1Q VLAN devices
// (ip link add ... type vlan fails), so the bench cannot tag frames.
//
// A test package that runs squid with NTLM must call RunHelperIfAsked
// first thing in its TestMain (see Squid).
package netbench

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"picket.dev/picket/src/testkit/syncbuf"
)

// RegistryDir holds one file per live bench: the test binary's pid on the
// first line, then the bench's namespaces, then "dir:" and the temporary
// directories it made outside the test's own. New removes those of benches
// whose process is gone.
const RegistryDir = "/run/picket-netbench"

// Bench is one test's set of namespaces and processes.
type Bench struct {
	t   testing.TB
	sfx string // random hex, part of every name the bench creates

	mu    sync.Mutex
	nsSeq int
	ifSeq int
	reg   string // registry file
	names []string
}

// New starts a bench for t. It fails t when not root or when ip is
// missing, and adds /usr/sbin and /sbin to PATH if they are not on it
// (Bazel runs tests with a minimal PATH).
func New(t testing.TB) *Bench {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("netbench: the test needs root to create network namespaces (run the tests as root)")
	}
	ensurePath()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("netbench: the ip tool (iproute2) is needed: %v", err)
	}
	sweepStale(t)
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	bench := &Bench{t: t, sfx: hex.EncodeToString(b)}
	if err := os.MkdirAll(RegistryDir, 0o755); err != nil {
		t.Fatalf("netbench: %v", err)
	}
	bench.reg = filepath.Join(RegistryDir, bench.sfx)
	bench.writeRegistry()
	t.Cleanup(func() { os.Remove(bench.reg) })
	return bench
}

// Suffix is the random part of the bench's names; use it to make names of
// your own unique.
func (b *Bench) Suffix() string { return b.sfx }

// T is the test the bench belongs to.
func (b *Bench) T() testing.TB { return b.t }

func ensurePath() {
	path := os.Getenv("PATH")
	parts := strings.Split(path, ":")
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		found := false
		for _, p := range parts {
			if p == d {
				found = true
			}
		}
		if !found {
			parts = append(parts, d)
		}
	}
	os.Setenv("PATH", strings.Trim(strings.Join(parts, ":"), ":"))
}

func (b *Bench) writeRegistry() {
	b.mu.Lock()
	defer b.mu.Unlock()
	body := strconv.Itoa(os.Getpid()) + "\n" + strings.Join(b.names, "\n") + "\n"
	if err := os.WriteFile(b.reg, []byte(body), 0o644); err != nil {
		b.t.Fatalf("netbench: record namespaces: %v", err)
	}
}

// sweepStale deletes the namespaces of benches whose test binary died
// without running its cleanups (killed by a test timeout).
func sweepStale(t testing.TB) {
	ents, err := os.ReadDir(RegistryDir)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(RegistryDir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		pid, err := strconv.Atoi(lines[0])
		if err != nil || syscall.Kill(pid, 0) == nil {
			continue // alive (or not ours to judge)
		}
		for _, ns := range lines[1:] {
			if dir, ok := strings.CutPrefix(ns, "dir:"); ok {
				os.RemoveAll(dir)
				continue
			}
			if ns != "" {
				killIn(ns)
				if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
					t.Logf("netbench: remove stale namespace %s: %v: %s", ns, err, bytes.TrimSpace(out))
				}
			}
		}
		os.Remove(p)
	}
}

// killIn kills every process left in namespace ns but the test binary:
// a child that changed its credentials (squid becoming nobody) lost its
// parent-death signal, and a test timeout skips the cleanups.
func killIn(ns string) {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// trackDir records a temporary directory for the sweep of a bench that
// died before its cleanups.
func (b *Bench) trackDir(dir string) {
	b.mu.Lock()
	b.names = append(b.names, "dir:"+dir)
	b.mu.Unlock()
	b.writeRegistry()
}

// NS is a network namespace of the bench.
type NS struct {
	b    *Bench
	Name string // picket-<role>-<suffix>
}

// NS creates the namespace picket-<role>-<suffix> with its loopback up. It
// is deleted at cleanup, which also deletes the interfaces inside it.
func (b *Bench) NS(role string) *NS {
	b.t.Helper()
	name := "picket-" + role + "-" + b.sfx
	b.mu.Lock()
	b.names = append(b.names, name)
	b.mu.Unlock()
	b.writeRegistry()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		b.t.Fatalf("netbench: ip netns add %s: %v: %s", name, err, bytes.TrimSpace(out))
	}
	b.t.Cleanup(func() {
		killIn(name)
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			b.t.Errorf("netbench cleanup: ip netns del %s: %v: %s", name, err, bytes.TrimSpace(out))
		}
	})
	ns := &NS{b: b, Name: name}
	ns.Run("ip", "link", "set", "lo", "up")
	return ns
}

// Bench is the bench the namespace belongs to.
func (n *NS) Bench() *Bench { return n.b }

// Command returns a command that runs args inside the namespace.
func (n *NS) Command(args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.Name}, args...)...)
}

// Run runs args inside the namespace and returns its combined output. It
// fails the test when the command fails.
func (n *NS) Run(args ...string) string {
	n.b.t.Helper()
	out, err := n.Command(args...).CombinedOutput()
	if err != nil {
		n.b.t.Fatalf("netbench: in %s: %s: %v\n%s", n.Name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Try is Run that returns the error instead of failing the test.
func (n *NS) Try(args ...string) (string, error) {
	out, err := n.Command(args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("in %s: %s: %w: %s", n.Name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// Do runs f on an OS thread switched into the namespace (see Enter).
func (n *NS) Do(f func() error) error { return Enter(n.Name, f) }

// Enter runs f on an OS thread switched into the named network namespace
// (one of a bench, or one a test made with ip netns add): sockets f opens
// (net.Listen, net.Dial...) belong to the namespace and keep belonging to
// it after Enter returns, and /proc/sys/net shows the namespace's
// settings. The thread is never switched back: when f returns, its
// goroutine ends locked and the Go runtime discards the thread, so no
// other goroutine ever runs in the wrong namespace. Enter returns f's
// error, or the error entering the namespace (or a panic of f, as an
// error). Libraries that open sockets from goroutines of their own
// (net.Resolver) escape the namespace: give them NS.DialContext as their
// dialer instead.
func Enter(name string, f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := netns.GetFromName(name)
		if err == nil {
			err = netns.Set(h)
			h.Close()
		}
		if err != nil {
			done <- fmt.Errorf("netbench: enter namespace %s: %w", name, err)
			return
		}
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("netbench: panic inside namespace %s: %v", name, r)
			}
		}()
		done <- f()
	}()
	return <-done
}

// Proc is a long-running process of the bench.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	out  *syncbuf.Buffer
	done chan struct{}
	err  error
	mu   sync.Mutex
	stop bool
}

// Start starts args inside the namespace and keeps it running until the
// test's cleanup (or Stop). Its stdout and stderr are captured; at cleanup
// of a failed test they are logged under name.
func (n *NS) Start(name string, args ...string) *Proc {
	n.b.t.Helper()
	p, err := startProc(n.Command(args...), name)
	if err != nil {
		n.b.t.Fatalf("netbench: start %s in %s: %v", name, n.Name, err)
	}
	n.b.t.Cleanup(func() {
		p.Stop()
		if n.b.t.Failed() {
			n.b.t.Logf("netbench: output of %s:\n%s", name, p.Output())
		}
	})
	return p
}

func startProc(cmd *exec.Cmd, name string) (*Proc, error) {
	p := &Proc{Name: name, cmd: cmd, out: &syncbuf.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	// Own process group so Stop reaches helpers the process forked.
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := spawn(cmd); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Output is everything the process wrote so far.
func (p *Proc) Output() string { return p.out.String() }

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.done }

// Err is how the process exited (nil before it has).
func (p *Proc) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Pid is the process id (of ip netns exec, which execs the command).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process group.
func (p *Proc) Signal(sig syscall.Signal) error {
	return syscall.Kill(-p.cmd.Process.Pid, sig)
}

// Stop sends SIGTERM to the process group, then SIGKILL if it has not
// exited after 10 seconds, and waits for it. It is safe to call twice.
func (p *Proc) Stop() {
	// The group may hold children (squid helpers) after the leader exits,
	// so it is killed in any case.
	defer func() { _ = p.Signal(syscall.SIGKILL) }()
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// WaitOutput waits until cond holds for the output, the process exits or
// timeout passes.
func (p *Proc) WaitOutput(what string, timeout time.Duration, cond func(string) bool) error {
	end := time.Now().Add(timeout)
	for !cond(p.Output()) {
		select {
		case <-p.done:
			if cond(p.Output()) {
				return nil
			}
			return fmt.Errorf("%s exited (%v) while waiting for %s; output:\n%s", p.Name, p.err, what, p.Output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(end) {
			return fmt.Errorf("%s: no %s within %v; output:\n%s", p.Name, what, timeout, p.Output())
		}
	}
	return nil
}

// spawner is the OS thread long-running children are forked from. The
// kernel sends PR_SET_PDEATHSIG when the forking *thread* exits, and the
// Go runtime ends threads (those of NS.Do), so children must come from a
// thread that lives as long as the process. It is process-wide by nature:
// one locked goroutine, started once, never switched to a namespace.
var spawner = sync.OnceValue(func() chan spawnJob {
	jobs := make(chan spawnJob)
	go func() {
		runtime.LockOSThread()
		for j := range jobs {
			j.done <- j.cmd.Start()
		}
	}()
	return jobs
})

type spawnJob struct {
	cmd  *exec.Cmd
	done chan error
}

func spawn(cmd *exec.Cmd) error {
	j := spawnJob{cmd: cmd, done: make(chan error, 1)}
	spawner() <- j
	return <-j.done
}

// Switch is a Linux bridge in a namespace of its own, to join several
// namespaces on one segment. It forwards 802.1Q-tagged frames unchanged
// (no VLAN filtering).
type Switch struct {
	NS     *NS
	Bridge string // "br0", inside NS
	b      *Bench
	ports  int
}

// Switch creates a bridge in namespace picket-sw<name>-<suffix>.
func (b *Bench) Switch(name string) *Switch {
	b.t.Helper()
	ns := b.NS("sw" + name)
	ns.Run("ip", "link", "add", "br0", "type", "bridge", "mcast_snooping", "0", "stp_state", "0", "forward_delay", "0")
	ns.Run("ip", "link", "set", "br0", "up")
	return &Switch{NS: ns, Bridge: "br0", b: b}
}

// Link connects ns to the switch with a veth pair whose end in ns is named
// ifname (at most 15 characters) and left down; the switch end is
// enslaved to the bridge and up. It returns the switch end's name.
func (b *Bench) Link(ns *NS, ifname string, sw *Switch) string {
	b.t.Helper()
	b.mu.Lock()
	sw.ports++
	port := fmt.Sprintf("p%d", sw.ports)
	b.mu.Unlock()
	b.Veth(ns, ifname, sw.NS, port)
	sw.NS.Run("ip", "link", "set", port, "master", sw.Bridge)
	sw.NS.Run("ip", "link", "set", port, "up")
	return port
}

// Veth creates a veth pair with end aName in a and bName in b, both left
// down. Deleting either namespace deletes the pair.
func (b *Bench) Veth(a *NS, aName string, bns *NS, bName string) {
	b.t.Helper()
	for _, n := range []string{aName, bName} {
		if len(n) > 15 || n == "" {
			b.t.Fatalf("netbench: interface name %q must be 1 to 15 characters", n)
		}
	}
	// Created directly in their namespaces, so the names need not be
	// unique in the namespace of the test binary.
	out, err := exec.Command("ip", "link", "add", aName, "netns", a.Name, "type", "veth",
		"peer", "name", bName, "netns", bns.Name).CombinedOutput()
	if err != nil {
		b.t.Fatalf("netbench: veth %s(%s)-%s(%s): %v: %s", aName, a.Name, bName, bns.Name, err, bytes.TrimSpace(out))
	}
}
