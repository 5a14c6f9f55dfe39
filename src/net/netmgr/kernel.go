package netmgr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"picket.dev/picket/src/net/netapply"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/resolv"
)

// portModes lists each port's link mode in cfg, WAN only if the board has
// one.
func (m *Manager) portModes(cfg netcfg.Config) map[string]netcfg.LinkMode {
	pm := map[string]netcfg.LinkMode{m.opt.Ports.LAN: cfg.Link.LAN}
	if m.opt.Ports.WAN != "" {
		pm[m.opt.Ports.WAN] = cfg.Link.WAN
	}
	return pm
}

// setModes sets the link modes of next that differ from cur (at boot,
// every forced one: the kernel starts with auto-negotiation). On failure
// it restores the modes it had changed and returns the error.
func (m *Manager) setModes(cur, next netcfg.Config, boot bool) error {
	was, want := m.portModes(cur), m.portModes(next)
	var done []string
	for _, dev := range slices.Sorted(mapsKeys(want)) {
		if want[dev] == was[dev] && !(boot && want[dev] != netcfg.LinkAuto) {
			continue
		}
		if err := m.opt.LinkModes.Set(dev, want[dev]); err != nil {
			for _, d := range done {
				if rerr := m.opt.LinkModes.Set(d, was[d]); rerr != nil {
					err = errors.Join(err, fmt.Errorf("restore link mode %s on %s: %w", was[d], d, rerr))
				}
			}
			return fmt.Errorf("set link mode: %w", err)
		}
		m.log.Info("link mode set", "dev", dev, "mode", want[dev])
		done = append(done, dev)
	}
	return nil
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// bring moves the box from cur to next: link modes, DHCP clients, kernel
// state and resolver. If the kernel refuses next, cur's link modes, clients
// and kernel state (netapply rolls back) are restored and the error says
// what was refused. stage, if not nil, is told of the stages reached.
func (m *Manager) bring(ctx context.Context, cur, next netcfg.Config, boot bool, stage func(Stage)) error {
	if stage == nil {
		stage = func(Stage) {}
	}
	if err := m.setModes(cur, next, boot); err != nil {
		return err
	}
	stage(StageLinkModes)
	want := m.leases.wanted(next, m.opt.Ports)

	// The clients next does not want keep running until the kernel has
	// taken next: if it refuses, cur's leases are still held and the
	// rolled-back state is whole at once (stopping them first would drop
	// the lease, and its address and routes, until a new one came). next's
	// kernel state uses only the leases of clients it keeps.
	m.kmu.Lock()
	m.mu.Lock()
	m.kcfg = next.Clone()
	m.mu.Unlock()
	err := m.applyKernel(next, m.leases.dynamicFor(want))
	if err != nil {
		m.mu.Lock()
		m.kcfg = cur.Clone()
		m.mu.Unlock()
	}
	m.kmu.Unlock()
	if err != nil {
		if rerr := m.setModes(next, cur, false); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return err
	}
	m.leases.stopExcept(want)
	m.leases.ensure(m.runContext(), want, m.dhcpOptions())
	m.writeResolv()
	m.publish()
	stage(StageApplied)
	return nil
}

func (m *Manager) runContext() context.Context {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runCtx == nil {
		return context.Background()
	}
	return m.runCtx
}

// reconcile re-applies the kernel state after a lease changed.
func (m *Manager) reconcile() {
	m.kmu.Lock()
	err := m.applyKernel(m.current(), m.leases.dynamic())
	m.kmu.Unlock()
	m.mu.Lock()
	if err != nil {
		m.applyErr = "applying a lease change failed: " + err.Error()
	} else {
		m.applyErr = ""
	}
	m.mu.Unlock()
	if err != nil {
		m.log.Error("apply after a lease change", "err", err)
	}
	m.writeResolv()
	m.publish()
}

// applyKernel makes the kernel state what cfg and dyn ask for. The caller
// holds m.kmu.
func (m *Manager) applyKernel(cfg netcfg.Config, dyn netapply.Dynamic) error {
	want, err := netapply.Desired(cfg, m.opt.Ports, dyn)
	if err != nil {
		return err
	}
	names := append(m.applied.LinkNames(), want.LinkNames()...)
	// VLANs left on LAN by an earlier run (a crash, an older version) are
	// ours to remove too.
	names = append(names, m.lanVLANs()...)
	cur, err := netapply.Observe(m.nl, names)
	if err != nil {
		return fmt.Errorf("read the state in force: %w", err)
	}
	changes, err := netapply.Apply(m.nl, cur, want, netapply.WithVLANs())
	if err != nil {
		return err
	}
	m.applied = want
	for _, c := range changes {
		m.log.Info("applied", "change", c)
	}
	return nil
}

// lanVLANs lists the 802.1Q links whose parent is the LAN port.
func (m *Manager) lanVLANs() []string {
	links, err := m.nl.Links()
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range links {
		if l.VLAN != 0 && l.Parent == m.opt.Ports.LAN {
			out = append(out, l.Name)
		}
	}
	return out
}

// writeResolv writes the resolver configuration for management lookups.
func (m *Manager) writeResolv() {
	if m.opt.ResolvConf == "" {
		return
	}
	// Changes and lease events both write it; atomicfile takes one writer
	// per file at a time (its temporary name is fixed).
	m.rmu.Lock()
	defer m.rmu.Unlock()
	r := m.resolvers(m.current())
	data := resolv.Render(resolv.Config{Servers: r.dns, Search: r.search()})
	if err := os.MkdirAll(filepath.Dir(m.opt.ResolvConf), 0o755); err != nil {
		m.log.Error("resolver configuration", "err", err)
		return
	}
	changed, err := resolv.Write(m.opt.ResolvConf, data)
	if err != nil {
		m.log.Error("resolver configuration", "err", err)
		return
	}
	if changed {
		m.log.Info("resolver configuration written", "path", m.opt.ResolvConf, "servers", fmt.Sprint(r.dns), "search", strings.Join(r.search(), " "))
	}
}

// solicitRouters makes the kernel solicit routers again on LAN (RENEW
// AUTO IPv6): turning IPv6 off and on the device restarts its autoconf,
// which sends router solicitations at once.
func (m *Manager) solicitRouters(cfg netcfg.Config) error {
	dev := netapply.LANDevice(cfg, m.opt.Ports)
	key := "net/ipv6/conf/" + dev + "/disable_ipv6"
	if err := m.nl.WriteSysctl(key, "1"); err != nil {
		return fmt.Errorf("solicit routers on %s: %w", dev, err)
	}
	if err := m.nl.WriteSysctl(key, "0"); err != nil {
		return fmt.Errorf("solicit routers on %s: %w", dev, err)
	}
	// Static IPv6 addresses go with disable_ipv6; put them back.
	m.requestReconcile()
	return nil
}

func (m *Manager) requestReconcile() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}
