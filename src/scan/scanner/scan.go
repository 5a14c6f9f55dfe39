// Package scanner runs scans: Scan takes one scan from its targets to the
// hosts found (discovery, then the port scan, then service detection
// through a hook), on the job's interface. The `scan` command runs it
// once; scannerd's job runner (the platform's jobs, progress, uploads)
// builds on it.
package scanner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/discover"
	"picket.dev/picket/src/scan/portscan"
	"picket.dev/picket/src/scan/rawsock"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/sigdb"
	"picket.dev/picket/src/scan/targets"
)

// ServiceDetector names the services on a host's open ports (filling
// Port.Service). Scan calls it once per host with open ports; nil: no
// service detection.
type ServiceDetector interface {
	Detect(ctx context.Context, h *result.Host) error
}

// Config is one scan.
type Config struct {
	Targets *targets.Set
	Ports   targets.Ports
	// Iface is the interface probes leave through (the LAN or a scanning
	// VLAN's).
	Iface string
	// Rate caps probes per second (default 10000).
	Rate int
	// Retries of unanswered probes (DefaultRetries is the command's
	// default).
	Retries int
	// Connect forces the TCP connect scan (no raw socket).
	Connect bool
	// AllUp treats every target as up (no discovery but ARP/NDP on link).
	AllUp bool
	// ReportAll lists every scanned port of an up host, not only the
	// open ones (the others are counted in Host.NotShown otherwise).
	ReportAll bool
	// Key is the scan's secret (cookies, order): random per scan.
	Key [16]byte
	// Root is the directory /proc is read under ("/" on a box).
	Root     string
	Clock    clock.Clock
	Log      *slog.Logger
	Services ServiceDetector
	// Checks is the signature database the vulnerability checks run with
	// after each host's service detection (one database for the whole
	// scan); nil: no checks.
	Checks *sigdb.DB
	// ChecksOff are check classes switched off for this scan
	// (platformapi.Job.ChecksOff).
	ChecksOff []result.CheckClass
	// CheckHTTP sends the requests of HTTP checks (NewCheckHTTP: bound
	// like service detection); nil: HTTP checks do not run.
	CheckHTTP sigdb.HTTPDoer
	// Progress, when set, is kept up to date while the scan runs (read
	// it with Snapshot from another goroutine).
	Progress *Progress
	// HostDone, when set, is called with each host once nothing more
	// will be added to it (after its service detection), from the
	// scan's goroutines one at a time, so a job can upload hosts in
	// batches while the scan goes on.
	HostDone func(result.Host)
}

// DefaultRetries is the retransmissions of an unanswered probe.
const DefaultRetries = 2

// Summary is what a scan did.
type Summary struct {
	Targets   uint64        `json:"targets"`
	Up        int           `json:"hosts_up"`
	Open      int           `json:"open_ports"`
	Sent      uint64        `json:"probes_sent"`
	Method    string        `json:"method"` // "syn" or "connect"
	Elapsed   time.Duration `json:"-"`
	ElapsedMS int64         `json:"elapsed_ms"`
	Cancelled bool          `json:"cancelled"`
	// Refused counts frames the target guard stopped (0 unless a bug).
	Refused uint64 `json:"guard_refused"`
	// Signatures is the version of the signature database the checks ran
	// with; empty without checks.
	Signatures string `json:"signatures,omitempty"`
	// Findings counts the findings of the hosts by severity.
	Findings map[result.Severity]int `json:"findings,omitempty"`
}

// Scan runs the scan. Cancelled, it returns at once the hosts found so
// far (those discovered up, with the ports found until then) and a
// Summary with Cancelled set; the error is then nil.
func Scan(ctx context.Context, cfg Config) ([]result.Host, Summary, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Root == "" {
		cfg.Root = "/"
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 10000
	}
	if cfg.Progress == nil {
		cfg.Progress = &Progress{}
	}
	cfg.Progress.set(func(p *ProgressSnapshot) { p.Phase, p.TargetsTotal = platformapi.PhaseDiscovery, cfg.Targets.Len() })
	start := cfg.Clock.Now()
	sum := Summary{Targets: cfg.Targets.Len(), Method: "syn"}
	var hosts []result.Host
	var err error
	if cfg.Connect {
		sum.Method = "connect"
		hosts, err = connectScan(ctx, cfg, &sum)
	} else {
		var sock *rawsock.Socket
		sock, err = rawsock.Open(cfg.Iface)
		if errors.Is(err, rawsock.ErrNotPermitted) {
			cfg.Log.Warn("raw sockets not permitted: falling back to a TCP connect scan (no discovery, no UDP)", "err", err)
			sum.Method = "connect"
			hosts, err = connectScan(ctx, cfg, &sum)
		} else if err == nil {
			defer sock.Close()
			hosts, err = rawScan(ctx, cfg, sock, &sum)
		}
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		sum.Cancelled, err = true, nil
	}
	cfg.Progress.set(func(p *ProgressSnapshot) { p.Phase = platformapi.PhaseDone; p.sent = nil; p.Sent = sum.Sent })
	sum.Elapsed = cfg.Clock.Now().Sub(start)
	sum.ElapsedMS = sum.Elapsed.Milliseconds()
	if cfg.Checks != nil {
		sum.Signatures = cfg.Checks.Version()
		sum.Findings = map[result.Severity]int{}
	}
	for _, h := range hosts {
		for _, f := range h.Findings {
			sum.Findings[f.Severity]++
		}
		if h.Up {
			sum.Up++
		}
		for _, p := range h.Ports {
			if p.State == result.Open {
				sum.Open++
			}
		}
	}
	return hosts, sum, err
}

// network builds the engine's view of the interface: addresses, routes,
// next-hop MACs.
type network struct {
	link   rawsock.Link
	routes []rawsock.Route
	mu     sync.Mutex
	macs   map[netip.Addr]net.HardwareAddr // gateways and discovered neighbours
}

func (n *network) onLink(dst netip.Addr) bool {
	gw, ok := rawsock.NextHop(n.routes, dst)
	return ok && !gw.IsValid() || dst.IsLinkLocalUnicast()
}

func (n *network) macFor(dst netip.Addr) (net.HardwareAddr, bool) {
	gw, ok := rawsock.NextHop(n.routes, dst)
	if !ok {
		return nil, false
	}
	if !gw.IsValid() {
		gw = dst
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	m, ok := n.macs[gw]
	return m, ok
}

func rawScan(ctx context.Context, cfg Config, sock *rawsock.Socket, sum *Summary) ([]result.Host, error) {
	link, err := rawsock.LinkByName(cfg.Iface)
	if err != nil {
		return nil, err
	}
	routes, err := rawsock.Routes(cfg.Root, cfg.Iface)
	if err != nil {
		return nil, err
	}
	nw := &network{link: link, routes: routes, macs: map[netip.Addr]net.HardwareAddr{}}
	// The gateways' MACs, from the kernel's table or asked for. This ARP
	// or neighbour solicitation is the one frame to a non-target a scan
	// sends: the next hop's link-layer address, as the kernel would ask.
	for _, r := range routes {
		gw := r.Gateway
		if !gw.IsValid() || nw.macs[gw] != nil || gw.Is4() && !cfg.Targets.Has4() || gw.Is6() && !cfg.Targets.Has6() {
			continue
		}
		if m, ok := rawsock.KernelNeighbor(cfg.Root, cfg.Iface, gw); ok {
			nw.macs[gw] = m
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		m, err := rawsock.Resolve(rctx, sock, link, gw)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			cfg.Log.Warn("gateway does not answer: targets behind it are unreachable", "gateway", gw, "err", err)
			continue
		}
		nw.macs[gw] = m
	}
	eng := portscan.Options{Rate: cfg.Rate, Retries: cfg.Retries, Key: cfg.Key, Guard: cfg.Targets.MaySend, Clock: cfg.Clock, Stats: &portscan.Stats{}}
	pn := portscan.Net{Conn: sock, Link: link, MACFor: nw.macFor, OnLink: nw.onLink, Drops: sock.Drops}
	cfg.Progress.set(func(p *ProgressSnapshot) { p.sent = &eng.Stats.Sent })
	defer func() {
		sum.Sent += eng.Stats.Sent.Load()
		sum.Refused += eng.Stats.Refused.Load()
	}()

	// Discovery.
	up, derr := discover.Discover(ctx, pn, cfg.Targets, discover.Options{AllUp: cfg.AllUp, Engine: eng})
	hostOf := map[netip.Addr]*result.Host{}
	var list portscan.List
	var hosts []result.Host
	for _, u := range up {
		h := result.Host{Addr: u.Addr, Names: cfg.Targets.Names(u.Addr), Up: true, UpReason: u.Reason, RTTMicros: u.RTT}
		if u.MAC == nil && nw.onLink(u.Addr) {
			// An on-link host whose MAC was known before (a gateway) may
			// answer a ping before its ARP or NDP answer.
			u.MAC = nw.macs[u.Addr]
		}
		if u.MAC != nil {
			nw.mu.Lock()
			nw.macs[u.Addr] = u.MAC
			nw.mu.Unlock()
			h.MAC, h.Vendor = u.MAC.String(), discover.Vendor(u.MAC)
		}
		hosts = append(hosts, h)
		list = append(list, u.Addr)
	}
	for i := range hosts {
		hostOf[hosts[i].Addr] = &hosts[i]
	}
	cfg.Log.Info("discovery done", "up", len(hosts), "targets", cfg.Targets.Len())
	cfg.Progress.set(func(p *ProgressSnapshot) { p.Phase, p.HostsUp = platformapi.PhasePortscan, len(hosts) })
	if derr != nil {
		return hosts, derr
	}

	// Port scan of the hosts up.
	eng.KeepAll = cfg.ReportAll
	found, perr := portscan.Scan(ctx, pn, list, cfg.Ports, eng)
	counts := map[netip.Addr]map[result.Proto]map[result.State]int{}
	for _, f := range found {
		h := hostOf[f.Addr]
		if h == nil {
			continue
		}
		h.Ports = f.Ports
		counts[f.Addr] = f.Counts
		if h.RTTMicros == 0 && f.RTT > 0 {
			h.RTTMicros = f.RTT.Microseconds()
		}
	}
	for i := range hosts {
		fill(&hosts[i], counts[hosts[i].Addr], cfg.Ports, cfg.ReportAll)
	}
	if perr != nil {
		return hosts, perr
	}
	return hosts, finish(ctx, cfg, hosts)
}

// fill completes a host's ports: the unanswered ones get their state
// (filtered for TCP, open|filtered for UDP), and unless ReportAll only
// open ports stay listed; the rest are counted in NotShown (counted: the
// answered ports the scan did not keep, by protocol and state).
func fill(h *result.Host, counted map[result.Proto]map[result.State]int, ports targets.Ports, all bool) {
	seen := map[uint32]bool{}
	for _, p := range h.Ports {
		seen[key(p.Proto, p.Port)] = true
	}
	if all {
		for _, p := range ports.TCP {
			if !seen[key(result.TCP, p)] {
				h.Ports = append(h.Ports, result.Port{Proto: result.TCP, Port: p, State: result.Filtered, Reason: result.ReasonNoResponse})
			}
		}
		for _, p := range ports.UDP {
			if !seen[key(result.UDP, p)] {
				h.Ports = append(h.Ports, result.Port{Proto: result.UDP, Port: p, State: result.OpenFiltered, Reason: result.ReasonNoResponse})
			}
		}
		portscan.SortPorts(h.Ports)
		return
	}
	counts := map[result.State]int{}
	answered := map[result.Proto]int{}
	kept := h.Ports[:0]
	for _, p := range h.Ports {
		answered[p.Proto]++
		if p.State == result.Open {
			kept = append(kept, p)
		} else {
			counts[p.State]++
		}
	}
	h.Ports = kept
	for proto, m := range counted {
		for s, n := range m {
			counts[s] += n
			answered[proto] += n
		}
	}
	counts[result.Filtered] += len(ports.TCP) - answered[result.TCP]
	counts[result.OpenFiltered] += len(ports.UDP) - answered[result.UDP]
	for s, n := range counts {
		if n > 0 {
			if h.NotShown == nil {
				h.NotShown = map[result.State]int{}
			}
			h.NotShown[s] = n
		}
	}
}

func key(p result.Proto, port uint16) uint32 {
	if p == result.UDP {
		return 1<<16 | uint32(port)
	}
	return uint32(port)
}

func countProto(seen map[uint32]bool, p result.Proto) int {
	n := 0
	for k := range seen {
		if (k>>16 == 1) == (p == result.UDP) {
			n++
		}
	}
	return n
}

// hostWorkers bounds the hosts whose services are detected at once (each
// host's ports are detected concurrently as well).
const hostWorkers = 8

// finish runs service detection on hosts with open ports, several hosts
// at once, and hands every host to HostDone once it is complete.
func finish(ctx context.Context, cfg Config, hosts []result.Host) error {
	open := 0
	for _, h := range hosts {
		for _, p := range h.Ports {
			if p.State == result.Open {
				open++
			}
		}
	}
	cfg.Progress.set(func(p *ProgressSnapshot) {
		p.Phase, p.HostsUp, p.OpenPorts = platformapi.PhaseServices, len(hosts), open
		// The targets not up are done; each host up is when finished.
		p.TargetsDone = p.TargetsTotal - min(p.TargetsTotal, uint64(len(hosts)))
	})
	var mu sync.Mutex // serialises HostDone and progress
	done := func(h *result.Host) {
		mu.Lock()
		defer mu.Unlock()
		cfg.Progress.set(func(p *ProgressSnapshot) { p.TargetsDone++ })
		if cfg.HostDone != nil {
			cfg.HostDone(*h)
		}
	}
	sem := make(chan struct{}, hostWorkers)
	var wg sync.WaitGroup
	for i := range hosts {
		h := &hosts[i]
		if (cfg.Services == nil && cfg.Checks == nil) || len(h.Ports) == 0 {
			done(h)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if cfg.Services != nil {
				if err := cfg.Services.Detect(ctx, h); err != nil {
					if ctx.Err() != nil {
						return
					}
					cfg.Log.Warn("service detection failed", "host", h.Addr, "err", err)
				}
			}
			if cfg.Checks != nil {
				fs, err := cfg.Checks.Check(ctx, h, sigdb.CheckOptions{Off: cfg.ChecksOff, HTTP: cfg.CheckHTTP})
				h.Findings = fs
				if err != nil {
					return // cancelled
				}
			}
			done(h)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

func connectScan(ctx context.Context, cfg Config, sum *Summary) ([]result.Host, error) {
	var ports []uint16 = cfg.Ports.TCP
	if len(cfg.Ports.UDP) > 0 {
		cfg.Log.Warn("the connect scan does not scan UDP ports", "udp_ports", len(cfg.Ports.UDP))
	}
	d := &net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		if cfg.Iface != "" {
			if err := c.Control(func(fd uintptr) { serr = bindToDevice(fd, cfg.Iface) }); err != nil {
				return err
			}
		}
		return serr
	}}
	cfg.Progress.set(func(p *ProgressSnapshot) { p.Phase = platformapi.PhasePortscan })
	found, err := portscan.ConnectScan(ctx, d, cfg.Targets, ports, portscan.ConnectOptions{
		Rate: cfg.Rate, Retries: 1, Key: cfg.Key, Guard: cfg.Targets.MaySend, Clock: cfg.Clock,
	})
	sum.Sent = cfg.Targets.Len() * uint64(len(ports)) // attempts, not frames
	var hosts []result.Host
	for _, f := range found {
		h := result.Host{Addr: f.Addr, Names: cfg.Targets.Names(f.Addr), Up: true, UpReason: f.Ports[0].Reason, RTTMicros: f.RTT.Microseconds(), Ports: f.Ports}
		fill(&h, nil, targets.Ports{TCP: ports}, cfg.ReportAll)
		hosts = append(hosts, h)
	}
	if err != nil {
		return hosts, err
	}
	return hosts, finish(ctx, cfg, hosts)
}

func bindToDevice(fd uintptr, iface string) error {
	if err := syscall.SetsockoptString(int(fd), syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, iface); err != nil {
		return fmt.Errorf("bind to %s: %w", iface, err)
	}
	return nil
}
