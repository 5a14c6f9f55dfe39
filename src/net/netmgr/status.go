package netmgr

import (
	"net/netip"
	"slices"
	"strings"

	"picket.dev/picket/src/net/conncheck"
	"picket.dev/picket/src/net/dhcp"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/net/netapply"
	"picket.dev/picket/src/net/netcfg"
)

// resolverSet is the resolver configuration for management lookups.
type resolverSet struct {
	dns    []netip.Addr
	domain string
	wins   []netip.Addr
}

func (r resolverSet) search() []string {
	if r.domain == "" {
		return nil
	}
	return []string{r.domain}
}

// resolvers returns the resolvers management traffic uses: those of the
// port it leaves by (WAN with split networking), static or learned.
func (m *Manager) resolvers(cfg netcfg.Config) resolverSet {
	var r resolverSet
	switch {
	case cfg.Mode == netcfg.ModeIPv6Only:
		// Manual resolvers take precedence over those DHCPv6 tells.
		r.dns = valid(cfg.LANv6.DNS1, cfg.LANv6.DNS2)
		if info, ok := m.leases.info6(); ok {
			if len(r.dns) == 0 {
				r.dns = info.DNS
			}
			if len(info.Domains) > 0 {
				r.domain = info.Domains[0]
			}
		}
	case cfg.WAN.Method == netcfg.WANStatic:
		r.dns = valid(cfg.WAN.DNS1, cfg.WAN.DNS2)
	case cfg.WAN.Method == netcfg.WANDHCP:
		if l, _, _, _ := m.leases.lease4Of(netapi.WAN); l != nil {
			r.dns, r.domain = l.DNS, l.Domain
		}
	case cfg.LAN.Method == netcfg.IPv4Static:
		r.dns = valid(cfg.LAN.DNS1, cfg.LAN.DNS2)
		r.domain = cfg.LAN.Domain
	default:
		if l, _, _, _ := m.leases.lease4Of(netapi.LAN); l != nil {
			r.dns, r.domain = l.DNS, l.Domain
		}
	}
	// WINS serve scans, which leave by LAN.
	switch {
	case cfg.Mode == netcfg.ModeDual && cfg.LAN.Method == netcfg.IPv4Static:
		r.wins = valid(cfg.LAN.WINS1, cfg.LAN.WINS2)
		if cfg.WAN.Split() {
			r.domain = cfg.LAN.Domain
		}
	case cfg.Mode == netcfg.ModeDual:
		if l, _, _, _ := m.leases.lease4Of(netapi.LAN); l != nil {
			r.wins = l.WINS
		}
	}
	return r
}

func valid(as ...netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range as {
		if a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

// observeStatus builds the status from the kernel, the leases and the
// configuration in force.
func (m *Manager) observeStatus() netapi.Status {
	return m.observeStatusOf(m.current())
}

// observeStatusOf builds the status of cfg, the configuration the kernel
// is brought to, so that a caller that needs both sees them agree.
func (m *Manager) observeStatusOf(cfg netcfg.Config) netapi.Status {
	m.mu.Lock()
	st := netapi.Status{
		Backend: m.opt.Backend,
		Mode:    cfg.Mode,
		Split:   cfg.WAN.Split(),
		Proxy: netapi.ProxyStatus{
			Enabled: cfg.Proxy.Enabled(),
			Host:    cfg.Proxy.Host,
			Port:    cfg.Proxy.Port,
			User:    cfg.Proxy.User,
		},
		Config: m.source,
		Health: m.healthLocked(),
	}
	if m.lastTest != nil {
		t := netapi.CloneTest(*m.lastTest)
		st.LastTest = &t
	}
	if m.link != nil {
		l := *m.link
		st.Platform = &l
	}
	st.Trial, st.Rollback = trialView(m.trial), rollbackView(m.rollback)
	m.mu.Unlock()

	k := m.snapshot()
	ports := m.opt.Ports
	lanDev := netapply.LANDevice(cfg, ports)
	lan := m.iface(k, netapi.LAN, ports.LAN, lanDev, cfg.Link.LAN)
	lan.VLAN = cfg.VLAN
	if cfg.Mode == netcfg.ModeIPv6Only {
		lan.IPv4 = netapi.Family{Method: netapi.MethodOff}
		lan.IPv6 = k.family6(lanDev, cfg.LANv6.Method == netcfg.IPv6Static, cfg.LANv6.Gateway, true)
	} else {
		lan.IPv4 = m.family4(k, netapi.LAN, lanDev, cfg.LAN.Method == netcfg.IPv4Static, cfg.LAN.Gateway)
		switch cfg.Platform.ScanIPv6.Method {
		case netcfg.ScanIPv6Off:
			lan.IPv6 = netapi.Family{Method: netapi.MethodOff}
		default:
			lan.IPv6 = k.family6(lanDev, cfg.Platform.ScanIPv6.Method == netcfg.ScanIPv6Static, cfg.Platform.ScanIPv6.Gateway, false)
		}
	}
	st.Interfaces = []netapi.Interface{lan}
	for _, v := range cfg.Platform.ScanVLANs {
		dev := netapply.ScanVLANDevice(ports, v.ID)
		sv := netapi.ScanVLAN{ID: v.ID, Name: v.Name, Device: dev}
		if l, ok := k.links[dev]; ok {
			sv.Up = l.Carrier
		}
		sv.Addresses = append(k.addrs(dev, false), k.addrs(dev, true)...)
		st.ScanVLANs = append(st.ScanVLANs, sv)
	}
	if cfg.Mode == netcfg.ModeDual && cfg.WAN.Split() && ports.WAN != "" {
		wan := m.iface(k, netapi.WAN, ports.WAN, ports.WAN, cfg.Link.WAN)
		wan.IPv4 = m.family4(k, netapi.WAN, ports.WAN, cfg.WAN.Method == netcfg.WANStatic, cfg.WAN.Gateway)
		wan.IPv6 = netapi.Family{Method: netapi.MethodOff}
		st.Interfaces = append(st.Interfaces, wan)
		if len(wan.IPv4.Addresses) > 0 {
			st.ManagementSource = wan.IPv4.Addresses[0].Addr()
		}
	}
	r := m.resolvers(cfg)
	st.DNS, st.Domain, st.WINS = r.dns, r.domain, r.wins
	return st
}

func (m *Manager) healthLocked() netapi.Health {
	for _, reason := range []string{m.fallback, m.applyErr, m.lkgErr} {
		if reason != "" {
			return netapi.Health{State: netapi.HealthDegraded, Reason: reason}
		}
	}
	return netapi.Health{State: netapi.HealthOK}
}

// kernelView is the kernel's links, addresses and routes read once for
// a status; what could not be read is missing.
type kernelView struct {
	links    map[string]netapply.KernelLink
	addrList []netapply.KernelAddr
	routes   []netapply.KernelRoute
}

func (m *Manager) snapshot() kernelView {
	k := kernelView{links: map[string]netapply.KernelLink{}}
	if links, err := m.nl.Links(); err == nil {
		for _, l := range links {
			k.links[l.Name] = l
		}
	}
	k.addrList, _ = m.nl.Addrs()
	k.routes, _ = m.nl.Routes()
	return k
}

// iface reads a port's link from the kernel. dev is where its addresses
// live (the VLAN device for LAN with a panel VLAN).
func (m *Manager) iface(k kernelView, name netapi.Iface, port, dev string, mode netcfg.LinkMode) netapi.Interface {
	out := netapi.Interface{Name: name, Device: dev, Link: netapi.LinkState{Mode: mode}}
	l, ok := k.links[port]
	if !ok {
		return out
	}
	out.MAC = l.MAC
	out.Link.Up = l.Carrier
	if d, ok := k.links[dev]; ok && dev != port {
		out.Link.Up = out.Link.Up && d.Carrier
	}
	if out.Link.Up {
		if s, err := m.opt.LinkModes.Get(port); err == nil {
			out.Link.SpeedMbps = s.SpeedMbps
			out.Link.FullDuplex = s.Duplex.String() == "full"
		}
	}
	return out
}

// addrs lists dev's usable global addresses of a family: not link-local,
// not tentative.
func (k kernelView) addrs(dev string, v6 bool) []netip.Prefix {
	var out []netip.Prefix
	for _, a := range k.addrList {
		ip := a.Prefix.Addr()
		if a.Link != dev || ip.Is6() != v6 || ip.IsLinkLocalUnicast() || a.Tentative {
			continue
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), a.Prefix.Bits()))
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return out
}

func (m *Manager) family4(k kernelView, iface netapi.Iface, dev string, static bool, gw netip.Addr) netapi.Family {
	f := netapi.Family{Method: netapi.MethodStatic, Addresses: k.addrs(dev, false), Gateway: gw}
	if static {
		return f
	}
	f.Method, f.Gateway = netapi.MethodDHCP, netip.Addr{}
	lease, cst, running, note := m.leases.lease4Of(iface)
	if lease == nil {
		f.Note = note
		ls := &netapi.Lease{State: netapi.LeaseNone}
		// A lease that expired (or a server refused) stays expired while
		// the client looks for a new one, in every step of that search:
		// a discovery that no server answers lasts half a minute.
		looking := cst.State == dhcp.StateInit || cst.State == dhcp.StateSelecting || cst.State == dhcp.StateRequesting
		if running && looking && note != "" && !strings.HasPrefix(note, "no lease yet") {
			ls.State = netapi.LeaseExpired
		}
		f.Lease = ls
		return f
	}
	if len(lease.Routers) > 0 {
		f.Gateway = lease.Routers[0]
	}
	state := netapi.LeaseBound
	switch cst.State {
	case dhcp.StateRenewing:
		state = netapi.LeaseRenewing
	case dhcp.StateRebinding:
		state = netapi.LeaseRebinding
	}
	f.Lease = &netapi.Lease{
		State:    state,
		Server:   lease.ServerID,
		Address:  lease.Address,
		Obtained: lease.Obtained,
		T1:       lease.RenewAt(),
		T2:       lease.RebindAt(),
		Expiry:   lease.ExpiresAt(),
	}
	return f
}

// family6 is the IPv6 status of dev: static, or automatic with the router
// the advertisements named (unless gw overrides it).
func (k kernelView) family6(dev string, static bool, gw netip.Addr, management bool) netapi.Family {
	f := netapi.Family{Method: netapi.MethodStatic, Addresses: k.addrs(dev, true), Gateway: gw}
	if static {
		return f
	}
	f.Method = netapi.MethodAuto
	if !gw.IsValid() {
		f.Gateway = k.raRouter(dev)
	}
	if len(f.Addresses) == 0 {
		f.Note = "no router advertisement yet"
		if management {
			f.Note = "no IPv6 address from router advertisements yet"
		}
	}
	return f
}

// raRouter is the default router the kernel learned from advertisements.
func (k kernelView) raRouter(dev string) netip.Addr {
	for _, r := range k.routes {
		if r.Link == dev && r.Dst.Addr().Is6() && r.Dst.Bits() == 0 && r.Gateway.IsValid() {
			return r.Gateway
		}
	}
	return netip.Addr{}
}

// checkInput is the path test's view of the box now: the port management
// leaves by, its address, gateway and resolvers, and the proxy.
func (m *Manager) checkInput() conncheck.Input {
	cfg := m.current()
	st := m.observeStatusOf(cfg)
	port := managementPort(st)
	fam := port.IPv4
	if cfg.Mode == netcfg.ModeIPv6Only {
		fam = port.IPv6
	}
	in := conncheck.Input{
		Ports: []conncheck.Port{{
			Name:    string(port.Name),
			Device:  port.Device,
			Carrier: port.Link.Up,
			Addrs:   fam.Addresses,
			Method:  fam.Method, // netapi's method names are conncheck's
		}},
		IPv6Only:      cfg.Mode == netcfg.ModeIPv6Only,
		Gateway:       fam.Gateway,
		GatewayDevice: port.Device,
		Source:        st.ManagementSource,
		DNS:           st.DNS,
		Platform:      m.opt.Platform,
		RootCAs:       m.opt.RootCAs,
		Proxy:         cfg.Proxy,
		StepTimeout:   m.opt.StepTimeout,
	}
	return in
}

// managementPort is the port management traffic leaves by in st: WAN with
// split networking, else LAN.
func managementPort(st netapi.Status) netapi.Interface {
	if st.Split && len(st.Interfaces) > 1 {
		return st.Interfaces[1]
	}
	return st.Interfaces[0]
}

// managementPath is the management path of the configuration the kernel is
// brought to: the port, source and resolvers of its status, and its proxy
// with the password (kept unsealed in memory since netstore.Load or the
// Apply that set it).
func (m *Manager) managementPath() netapi.ManagementPath {
	cfg := m.current()
	st := m.observeStatusOf(cfg)
	port := managementPort(st)
	return netapi.ManagementPath{
		Interface: port.Name,
		Device:    port.Device,
		Source:    st.ManagementSource,
		DNS:       st.DNS,
		Proxy:     cfg.Proxy,
	}
}
