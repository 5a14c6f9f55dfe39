package menu

import (
	"fmt"
	"net/netip"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/fieldedit"
)

// field is one editor of a procedure: make builds it pre-filled from the
// working copy, take stores what it yielded back into the working copy.
type field struct {
	label string
	// paths are the netcfg fields this editor sets: a Validate problem on
	// one of them brings the operator back here.
	paths []string
	make  func(w *netcfg.Config) fieldedit.Editor
	take  func(ed fieldedit.Editor, w *netcfg.Config)
}

func (f field) owns(path string) bool {
	for _, p := range f.paths {
		if pathHas(path, p) {
			return true
		}
	}
	return false
}

// proc is one procedure of the tree: an optional intro prompt, fields, a
// REALLY ...? prompt and the request it makes.
type proc struct {
	intro  []string // nil: no intro prompt
	fields []field
	really func(w netcfg.Config) []string
	// w is the working copy: the config in force when the procedure
	// started, with the values entered so far (and pre-filled ones).
	w netcfg.Config
	// build makes the request from the config in force at the commit and
	// the working copy, so that what changed meanwhile (a platform push)
	// is not undone by a stale copy.
	build  func(cur, w netcfg.Config) Request
	follow []string // the follow-up notice
	back   func(m *Menu)
	done   func(m *Menu) // after a commit, instead of the notice (link settings)
}

func (p *proc) candidate(m *Menu) netcfg.Config {
	return p.build(m.st.Config.Clone(), p.w).Config
}

func (p *proc) commit(m *Menu) *Request {
	req := m.commit(p.build(m.st.Config.Clone(), p.w), p.follow)
	if req != nil && p.done != nil {
		p.done(m)
	}
	return req
}

func words(s ...string) func(netcfg.Config) []string {
	return func(netcfg.Config) []string { return s }
}

func applying() []string { return []string{"APPLYING NETWORK SETTINGS"} }

// newConfirm makes a procedure that is only a REALLY ...? prompt.
func newConfirm(really []string, build func(cur netcfg.Config) Request, follow []string) *proc {
	return &proc{
		really: words(really...),
		build:  func(cur, _ netcfg.Config) Request { return build(cur) },
		follow: follow,
		back:   (*Menu).toSetup,
	}
}

func apply(c netcfg.Config) Request { return Request{Action: ActionApply, Config: c} }

// mainItems is the main menu: SETUP NETWORK, the network items under it,
// then the box's items. It is one list because the guide's procedures
// walk it as one ("Go to the SETUP NETWORK menu option. Press the Down
// arrow until ENABLE PROXY appears"; "press ENTER when the name and IP
// address are displayed ... press the Down arrow ... When SYSTEM REBOOT
// appears"). ENTER on SETUP NETWORK stays there: the guide's "Go to the
// SETUP NETWORK menu option and press ENTER to continue. Press the Down
// arrow one time. When ENABLE VLAN ON LAN appears" needs it to.
func (m *Menu) mainItems() []item {
	its := []item{{"setup", "SETUP NETWORK", func(*Menu) *Request { return nil }}}
	its = append(its, m.setupItems()...)
	return append(its, []item{
		{"status", "SHOW STATUS", func(m *Menu) *Request { m.scr = &statusScreen{}; return nil }},
		{"test", "TEST CONNECTIVITY", func(m *Menu) *Request {
			return m.commit(Request{Action: ActionTest}, nil)
		}},
		{"reboot", "SYSTEM REBOOT", func(m *Menu) *Request {
			p := newConfirm([]string{"REALLY REBOOT SYSTEM?"}, func(netcfg.Config) Request { return Request{Action: ActionReboot} }, nil)
			p.back = func(m *Menu) { m.scr = &listScreen{kind: listMain, sel: "reboot"} }
			m.startProc(p)
			return nil
		}},
		{"shutdown", "SYSTEM SHUTDOWN", func(m *Menu) *Request {
			p := newConfirm([]string{"REALLY SHUTDOWN SYSTEM?"}, func(netcfg.Config) Request { return Request{Action: ActionShutdown} }, nil)
			p.back = func(m *Menu) { m.scr = &listScreen{kind: listMain, sel: "shutdown"} }
			m.startProc(p)
			return nil
		}},
		{"exit", "EXIT THIS MENU", func(m *Menu) *Request { m.toIdle(); return nil }},
	}...)
}

// setupItems are the items under SETUP NETWORK for the config in force: names follow what
// is enabled, and items that do not apply to the mode are left out.
func (m *Menu) setupItems() []item {
	c := m.st.Config
	var its []item
	add := func(id, label string, open func(m *Menu)) {
		its = append(its, item{id, label, func(m *Menu) *Request { open(m); return nil }})
	}
	vlan := "ENABLE VLAN ON LAN"
	if c.VLAN != 0 {
		vlan = "CHANGE VLAN ON LAN"
	}
	add("vlan", vlan, func(m *Menu) { m.startProc(m.vlanProc()) })
	if c.Mode == netcfg.ModeIPv6Only {
		static := "ENABLE STATIC IPv6 ON LAN?"
		auto := "RENEW AUTO IPv6 ON LAN?"
		if c.LANv6.Method == netcfg.IPv6Static {
			static = "CHANGE STATIC IPv6 ON LAN?"
			auto = "ENABLE AUTO IPv6 ON LAN?"
		}
		add("static6", static, func(m *Menu) { m.startProc(m.static6Proc()) })
		add("auto6", auto, func(m *Menu) { m.startProc(m.auto6Proc()) })
	} else {
		if c.LAN.Method == netcfg.IPv4DHCP {
			add("dhcp", "RENEW DHCP ON LAN", func(m *Menu) {
				m.startProc(newConfirm([]string{"REALLY RENEW DHCP ON LAN?"},
					func(netcfg.Config) Request { return Request{Action: ActionRenewLAN} }, []string{"RENEWING DHCP ON LAN"}))
			})
			add("static", "ENABLE STATIC IP ON LAN", func(m *Menu) { m.startProc(m.staticProc("LAN")) })
		} else {
			add("dhcp", "ENABLE DHCP ON LAN", func(m *Menu) {
				m.startProc(newConfirm([]string{"REALLY ENABLE DHCP ON LAN?"}, func(cur netcfg.Config) Request {
					cur.LAN = netcfg.LAN{Method: netcfg.IPv4DHCP}
					return apply(cur)
				}, applying()))
			})
			add("static", "CHANGE STATIC IP ON LAN", func(m *Menu) { m.startProc(m.staticProc("LAN")) })
		}
	}
	if c.Proxy.Enabled() {
		add("proxy", "CHANGE PROXY PARAMS", func(m *Menu) { m.startProc(m.proxyProc()) })
		add("noproxy", "DISABLE PROXY", func(m *Menu) {
			m.startProc(newConfirm([]string{"REALLY DISABLE PROXY?"}, func(cur netcfg.Config) Request {
				cur.Proxy = netcfg.Proxy{}
				return apply(cur)
			}, applying()))
		})
	} else {
		add("proxy", "ENABLE PROXY", func(m *Menu) { m.startProc(m.proxyProc()) })
	}
	if c.Mode != netcfg.ModeIPv6Only {
		switch c.WAN.Method {
		case netcfg.WANOff:
			add("wan", "ENABLE WAN INTERFACE", func(m *Menu) { m.scr = &listScreen{kind: listWAN, sel: "wandhcp"} })
		case netcfg.WANDHCP:
			add("wan", "RENEW DHCP ON WAN", func(m *Menu) {
				m.startProc(newConfirm([]string{"REALLY RENEW DHCP ON WAN?"},
					func(netcfg.Config) Request { return Request{Action: ActionRenewWAN} }, []string{"RENEWING DHCP ON WAN"}))
			})
		default:
			add("wan", "CHANGE STATIC IP ON WAN", func(m *Menu) { m.startProc(m.staticProc("WAN")) })
		}
		if c.WAN.Split() {
			add("nowan", "DISABLE WAN INTERFACE", func(m *Menu) {
				m.startProc(newConfirm([]string{"REALLY DISABLE WAN INTERFACE?"}, func(cur netcfg.Config) Request {
					cur.WAN = netcfg.WAN{}
					cur.Link.WAN = netcfg.LinkAuto
					return apply(cur)
				}, applying()))
			})
		}
	}
	add("ethernet", "ETHERNET PORT SETTINGS", func(m *Menu) { m.scr = newLinkScreen(m.st.Config, false) })
	add("reset", "RESET NETWORK SETTINGS", func(m *Menu) { m.scr = &listScreen{kind: listReset, sel: "resetall"} })
	return its
}

func (m *Menu) wanItems() []item {
	return []item{
		{"wandhcp", "ENABLE DHCP ON WAN", func(m *Menu) *Request {
			m.startProc(newConfirm([]string{"REALLY ENABLE DHCP ON WAN?"}, func(cur netcfg.Config) Request {
				cur.WAN = netcfg.WAN{Method: netcfg.WANDHCP}
				return apply(cur)
			}, applying()))
			return nil
		}},
		{"wanstatic", "ENABLE STATIC IP ON WAN", func(m *Menu) *Request { m.startProc(m.staticProc("WAN")); return nil }},
	}
}

// resetItems are the prompts under RESET NETWORK SETTINGS: each is itself
// the confirmation, so ENTER commits and UP backs out.
func (m *Menu) resetItems() []item {
	other, otherLabel := netcfg.ModeIPv6Only, "RESET TO IPv6 ONLY MODE?"
	if m.st.Config.Mode == netcfg.ModeIPv6Only {
		other, otherLabel = netcfg.ModeDual, "RESET TO IPv4+v6 MODE?"
	}
	return []item{
		{"resetall", "REALLY RESET ALL SETTINGS?", func(m *Menu) *Request {
			return m.commit(Request{Action: ActionReset, Config: m.st.Config.Reset()}, []string{"RESETTING NETWORK SETTINGS"})
		}},
		{"switch", otherLabel, func(m *Menu) *Request {
			return m.commit(Request{Action: ActionSwitchMode, Config: m.st.Config.SwitchMode(other)}, []string{"RESETTING NETWORK SETTINGS"})
		}},
	}
}

// confirmLink asks REALLY SET LAN/WAN TO <value>? for a link mode picked
// on the port link screen, and returns there afterwards.
func (m *Menu) confirmLink(wan bool, value string) {
	port := "LAN"
	if wan {
		port = "WAN"
	}
	var mode netcfg.LinkMode
	for _, lm := range netcfg.LinkModes() {
		if lm.String() == value {
			mode = lm
		}
	}
	p := newConfirm([]string{
		fmt.Sprintf("REALLY SET %s TO %s?", port, value),
		// The guide's own wording, which fits a 16x2 panel.
		fmt.Sprintf("REALLY SET %s TO %s", port, value),
		fmt.Sprintf("REALLY SET %s %s?", port, value),
	}, func(cur netcfg.Config) Request {
		if wan {
			cur.Link.WAN = mode
		} else {
			cur.Link.LAN = mode
		}
		return apply(cur)
	}, nil)
	p.done = func(m *Menu) {
		c := m.st.Config
		if wan {
			c.Link.WAN = mode
		} else {
			c.Link.LAN = mode
		}
		m.scr = newLinkScreen(c, wan)
	}
	m.startProc(p)
}

// vlanProc is ENABLE/CHANGE VLAN ON LAN.
func (m *Menu) vlanProc() *proc {
	return &proc{
		w: m.st.Config.Clone(),
		fields: []field{{
			label: "VLAN",
			paths: []string{"vlan", "platform.scan_vlans"},
			make:  func(w *netcfg.Config) fieldedit.Editor { return fieldedit.NewVLAN(w.VLAN) },
			take:  func(ed fieldedit.Editor, w *netcfg.Config) { w.VLAN = ed.(*fieldedit.Number).Value() },
		}},
		// No REALLY ...? prompt: the guide's procedures end at the VLAN
		// field's ENTER ("Specify the VLAN ID, and then press ENTER";
		// "enter the VLAN ID 0000 and press ENTER"), and the spec's tree
		// has none for it.
		build: func(cur, w netcfg.Config) Request {
			cur.VLAN = w.VLAN
			return apply(cur)
		},
		follow: applying(),
		back:   (*Menu).toSetup,
	}
}

// ipv4Field is an IPv4 address field of a static port setting.
func ipv4Field(label string, paths []string, ptr func(w *netcfg.Config) *netip.Addr, opt func(w *netcfg.Config) fieldedit.IPv4Options) field {
	return field{
		label: label,
		paths: paths,
		make: func(w *netcfg.Config) fieldedit.Editor {
			return fieldedit.NewIPv4(label, *ptr(w), opt(w))
		},
		take: func(ed fieldedit.Editor, w *netcfg.Config) { *ptr(w) = ed.(*fieldedit.IPv4).Value() },
	}
}

func noOpt(*netcfg.Config) fieldedit.IPv4Options       { return fieldedit.IPv4Options{} }
func optionalOpt(*netcfg.Config) fieldedit.IPv4Options { return fieldedit.IPv4Options{Optional: true} }

// v4Port is the part of the config a static IPv4 procedure edits: the LAN
// or the WAN port, which have the same address fields.
type v4Port struct {
	addr           func(w *netcfg.Config) *netip.Prefix
	gw, dns1, dns2 func(w *netcfg.Config) *netip.Addr
	wins1, wins2   func(w *netcfg.Config) *netip.Addr
	domain         func(w *netcfg.Config) *string
	path           string
	otherAddrPath  string // the other port's address: a same-subnet clash is corrected here
	install        func(cur *netcfg.Config, w netcfg.Config)
}

func lanPort() v4Port {
	return v4Port{
		addr:          func(w *netcfg.Config) *netip.Prefix { return &w.LAN.Address },
		gw:            func(w *netcfg.Config) *netip.Addr { return &w.LAN.Gateway },
		dns1:          func(w *netcfg.Config) *netip.Addr { return &w.LAN.DNS1 },
		dns2:          func(w *netcfg.Config) *netip.Addr { return &w.LAN.DNS2 },
		wins1:         func(w *netcfg.Config) *netip.Addr { return &w.LAN.WINS1 },
		wins2:         func(w *netcfg.Config) *netip.Addr { return &w.LAN.WINS2 },
		domain:        func(w *netcfg.Config) *string { return &w.LAN.Domain },
		path:          "lan",
		otherAddrPath: "wan.address",
		install: func(cur *netcfg.Config, w netcfg.Config) {
			cur.LAN = w.LAN
			cur.LAN.Method = netcfg.IPv4Static
		},
	}
}

func wanPort() v4Port {
	return v4Port{
		addr:          func(w *netcfg.Config) *netip.Prefix { return &w.WAN.Address },
		gw:            func(w *netcfg.Config) *netip.Addr { return &w.WAN.Gateway },
		dns1:          func(w *netcfg.Config) *netip.Addr { return &w.WAN.DNS1 },
		dns2:          func(w *netcfg.Config) *netip.Addr { return &w.WAN.DNS2 },
		path:          "wan",
		otherAddrPath: "lan.address",
		install: func(cur *netcfg.Config, w netcfg.Config) {
			cur.WAN = w.WAN
			cur.WAN.Method = netcfg.WANStatic
		},
	}
}

// staticProc is ENABLE/CHANGE STATIC IP ON LAN or ON WAN: the intro, the
// address fields pre-filled with the static values in force or, under
// DHCP, the lease's, and REALLY SET <port> STATIC NETWORK?.
func (m *Menu) staticProc(port string) *proc {
	c := m.st.Config.Clone()
	pt, st := lanPort(), m.st.Status.LAN
	static := c.LAN.Method == netcfg.IPv4Static
	if port == "WAN" {
		pt, st = wanPort(), m.st.Status.WAN
		static = c.WAN.Method == netcfg.WANStatic
	}
	w := c.Clone()
	if !static {
		// The values in force come from the lease.
		*pt.addr(&w), *pt.gw(&w), *pt.dns1(&w), *pt.dns2(&w) = st.Address, st.Gateway, st.DNS1, st.DNS2
		if port == "LAN" {
			*pt.wins1(&w), *pt.wins2(&w), *pt.domain(&w) = st.WINS1, st.WINS2, st.Domain
		}
	}
	addrOf := func(w *netcfg.Config) netip.Addr { return pt.addr(w).Addr() }
	bitsOf := func(w *netcfg.Config) int {
		if b := pt.addr(w).Bits(); b >= fieldedit.MinNetmaskBits && b <= fieldedit.MaxNetmaskBits {
			return b
		}
		return fieldedit.DefaultNetmaskBits
	}
	fields := []field{
		{
			label: port + " IP ADDR",
			paths: []string{pt.path + ".address", pt.path + ".method", pt.otherAddrPath},
			make: func(w *netcfg.Config) fieldedit.Editor {
				return fieldedit.NewIPv4(port+" IP ADDR", addrOf(w), fieldedit.IPv4Options{})
			},
			take: func(ed fieldedit.Editor, w *netcfg.Config) {
				*pt.addr(w) = netip.PrefixFrom(ed.(*fieldedit.IPv4).Value(), bitsOf(w))
			},
		},
		{
			label: port + " NETMASK",
			make: func(w *netcfg.Config) fieldedit.Editor {
				return fieldedit.NewNetmask(port+" NETMASK", bitsOf(w), addrOf(w))
			},
			take: func(ed fieldedit.Editor, w *netcfg.Config) {
				*pt.addr(w) = netip.PrefixFrom(addrOf(w), ed.(*fieldedit.Netmask).Value())
			},
		},
		ipv4Field(port+" GATEWAY", []string{pt.path + ".gateway"}, pt.gw, func(w *netcfg.Config) fieldedit.IPv4Options {
			return fieldedit.IPv4Options{Subnet: *pt.addr(w), Self: addrOf(w)}
		}),
		ipv4Field(port+" DNS1", []string{pt.path + ".dns1"}, pt.dns1, noOpt),
		ipv4Field(port+" DNS2", []string{pt.path + ".dns2"}, pt.dns2, optionalOpt),
	}
	if port == "LAN" {
		fields = append(fields,
			ipv4Field("LAN WINS1", []string{"lan.wins1"}, pt.wins1, optionalOpt),
			ipv4Field("LAN WINS2", []string{"lan.wins2"}, pt.wins2, optionalOpt),
			field{
				label: "DOMAIN NAME",
				paths: []string{"lan.domain", "lan"},
				make:  func(w *netcfg.Config) fieldedit.Editor { return fieldedit.NewDomainName(w.LAN.Domain) },
				take:  func(ed fieldedit.Editor, w *netcfg.Config) { w.LAN.Domain = ed.(*fieldedit.Text).Value() },
			})
	} else {
		fields[0].paths = append(fields[0].paths, "wan", "link.wan")
	}
	return &proc{
		intro:  []string{fmt.Sprintf("CFG %s STATIC NETWORK PARAMS?", port)},
		fields: fields,
		really: words(fmt.Sprintf("REALLY SET %s STATIC NETWORK?", port)),
		w:      w,
		build: func(cur, w netcfg.Config) Request {
			pt.install(&cur, w)
			return apply(cur)
		},
		follow: applying(),
		back:   (*Menu).toSetup,
	}
}

// proxyProc is ENABLE PROXY and CHANGE PROXY PARAMS.
func (m *Menu) proxyProc() *proc {
	c := m.st.Config.Clone()
	v6 := c.Mode == netcfg.ModeIPv6Only
	w := c.Clone()
	if !w.Proxy.Enabled() {
		// PROXY HOST defaults to the gateway in force.
		var gw netip.Addr
		switch {
		case v6 && c.LANv6.Method == netcfg.IPv6Static:
			gw = c.LANv6.Gateway
		case v6:
			gw = m.st.Status.LAN6.Gateway
		case c.LAN.Method == netcfg.IPv4Static:
			gw = c.LAN.Gateway
		default:
			gw = m.st.Status.LAN.Gateway
		}
		w.Proxy = netcfg.Proxy{Port: netcfg.DefaultProxyPort}
		if gw.IsValid() && gw.Is6() == v6 {
			w.Proxy.Host = gw.String()
		}
	}
	return &proc{
		intro: []string{"CONFIG PROXY PARAMETERS"},
		fields: []field{
			{
				label: "PROXY HOST",
				paths: []string{"proxy.host", "proxy.scheme"},
				make:  func(w *netcfg.Config) fieldedit.Editor { return fieldedit.NewProxyHost(w.Proxy.Host, v6) },
				take:  func(ed fieldedit.Editor, w *netcfg.Config) { w.Proxy.Host = ed.(*fieldedit.Text).Value() },
			},
			{
				label: "PROXY PORT",
				paths: []string{"proxy.port"},
				make:  func(w *netcfg.Config) fieldedit.Editor { return fieldedit.NewPort("PROXY PORT", w.Proxy.Port) },
				take:  func(ed fieldedit.Editor, w *netcfg.Config) { w.Proxy.Port = ed.(*fieldedit.Number).Value() },
			},
			{
				label: "PROXY USER",
				paths: []string{"proxy.user"},
				make:  func(w *netcfg.Config) fieldedit.Editor { return fieldedit.NewProxyUser(w.Proxy.User) },
				take:  func(ed fieldedit.Editor, w *netcfg.Config) { w.Proxy.User = ed.(*fieldedit.Text).Value() },
			},
			{
				label: "PROXY PASSW",
				paths: []string{"proxy.password", "proxy"},
				make: func(w *netcfg.Config) fieldedit.Editor {
					return fieldedit.NewPassword("PROXY PASSW", !w.Proxy.Password.IsZero())
				},
				take: func(ed fieldedit.Editor, w *netcfg.Config) {
					if s, keep := ed.(*fieldedit.Password).Value(); !keep {
						w.Proxy.Password = netcfg.NewSecret(s)
					}
				},
			},
		},
		really: words("REALLY ENABLE PROXY?"),
		w:      w,
		build: func(cur, w netcfg.Config) Request {
			cur.Proxy = w.Proxy
			return apply(cur)
		},
		follow: []string{"ENABLING PROXY SUPPORT"},
		back:   (*Menu).toSetup,
	}
}

// ipv6Field is an IPv6 address field of the LAN in IPv6-only mode.
func ipv6Field(label string, paths []string, ptr func(w *netcfg.Config) *netip.Addr, opt fieldedit.IPv6Options) field {
	return field{
		label: label,
		paths: paths,
		make:  func(w *netcfg.Config) fieldedit.Editor { return fieldedit.NewIPv6(label, *ptr(w), opt) },
		take:  func(ed fieldedit.Editor, w *netcfg.Config) { *ptr(w) = ed.(*fieldedit.IPv6).Value() },
	}
}

// static6Proc is ENABLE/CHANGE STATIC IPv6 ON LAN? (IPv6-only mode).
func (m *Menu) static6Proc() *proc {
	c := m.st.Config.Clone()
	w := c.Clone()
	if c.LANv6.Method != netcfg.IPv6Static {
		st := m.st.Status.LAN6
		w.LANv6 = netcfg.LANv6{Method: netcfg.IPv6Static, Address: st.Address, Gateway: st.Gateway, DNS1: st.DNS1, DNS2: st.DNS2}
		if c.LANv6.DNS1.IsValid() {
			// Manual resolvers in force take precedence over learned ones.
			w.LANv6.DNS1, w.LANv6.DNS2 = c.LANv6.DNS1, c.LANv6.DNS2
		}
	}
	bitsOf := func(w *netcfg.Config) int {
		if b := w.LANv6.Address.Bits(); b >= fieldedit.MinPrefixLen {
			return b
		}
		return fieldedit.DefaultPrefixLen
	}
	return &proc{
		fields: []field{
			{
				label: "IPv6 ADDR",
				paths: []string{"lan_v6.address", "lan_v6.method"},
				make: func(w *netcfg.Config) fieldedit.Editor {
					return fieldedit.NewIPv6("IPv6 ADDR", w.LANv6.Address.Addr(), fieldedit.IPv6Options{Global: true})
				},
				take: func(ed fieldedit.Editor, w *netcfg.Config) {
					w.LANv6.Address = netip.PrefixFrom(ed.(*fieldedit.IPv6).Value(), bitsOf(w))
				},
			},
			{
				label: "IPv6 PREFLEN",
				make: func(w *netcfg.Config) fieldedit.Editor {
					return fieldedit.NewPrefixLen("IPv6 PREFLEN", bitsOf(w), false)
				},
				take: func(ed fieldedit.Editor, w *netcfg.Config) {
					w.LANv6.Address = netip.PrefixFrom(w.LANv6.Address.Addr(), ed.(*fieldedit.PrefixLen).Value())
				},
			},
			ipv6Field("IPv6 GW", []string{"lan_v6.gateway"}, func(w *netcfg.Config) *netip.Addr { return &w.LANv6.Gateway }, fieldedit.IPv6Options{}),
			ipv6Field("IPv6 DNS1", []string{"lan_v6.dns1"}, func(w *netcfg.Config) *netip.Addr { return &w.LANv6.DNS1 }, fieldedit.IPv6Options{Global: true}),
			ipv6Field("IPv6 DNS2", []string{"lan_v6.dns2", "lan_v6"}, func(w *netcfg.Config) *netip.Addr { return &w.LANv6.DNS2 }, fieldedit.IPv6Options{Optional: true, Global: true}),
		},
		really: words("REALLY SETUP STATIC LAN IPV6?"),
		w:      w,
		build: func(cur, w netcfg.Config) Request {
			cur.LANv6 = w.LANv6
			cur.LANv6.Method = netcfg.IPv6Static
			return apply(cur)
		},
		follow: applying(),
		back:   (*Menu).toSetup,
	}
}

// auto6Proc is RENEW (or ENABLE) AUTO IPv6 ON LAN?: the learned address
// and prefix length shown read-only, then the optional gateway override
// and manual resolvers.
func (m *Menu) auto6Proc() *proc {
	c := m.st.Config.Clone()
	st := m.st.Status.LAN6
	w := c.Clone()
	if c.LANv6.Method != netcfg.IPv6Auto {
		// Leaving static: the static gateway is no override of the
		// router's, but manual resolvers stay manual.
		w.LANv6 = netcfg.LANv6{DNS1: c.LANv6.DNS1, DNS2: c.LANv6.DNS2}
	}
	return &proc{
		fields: []field{
			{
				label: "Auto v6 ADDR",
				make: func(*netcfg.Config) fieldedit.Editor {
					return fieldedit.NewIPv6("Auto v6 ADDR", st.Address.Addr(), fieldedit.IPv6Options{ReadOnly: true})
				},
				take: func(fieldedit.Editor, *netcfg.Config) {},
			},
			{
				label: "Auto PREFLEN",
				make: func(*netcfg.Config) fieldedit.Editor {
					return fieldedit.NewPrefixLen("Auto PREFLEN", st.Address.Bits(), true)
				},
				take: func(fieldedit.Editor, *netcfg.Config) {},
			},
			ipv6Field("Auto GATEWAY", []string{"lan_v6.gateway", "lan_v6.address", "lan_v6.method"}, func(w *netcfg.Config) *netip.Addr { return &w.LANv6.Gateway }, fieldedit.IPv6Options{Optional: true}),
			ipv6Field("Manual DNS1", []string{"lan_v6.dns1"}, func(w *netcfg.Config) *netip.Addr { return &w.LANv6.DNS1 }, fieldedit.IPv6Options{Optional: true, Global: true}),
			ipv6Field("Manual DNS2", []string{"lan_v6.dns2", "lan_v6"}, func(w *netcfg.Config) *netip.Addr { return &w.LANv6.DNS2 }, fieldedit.IPv6Options{Optional: true, Global: true}),
		},
		really: words("REALLY SETUP AUTO LAN IPV6?"),
		w:      w,
		build: func(cur, w netcfg.Config) Request {
			cur.LANv6 = netcfg.LANv6{Method: netcfg.IPv6Auto, Gateway: w.LANv6.Gateway, DNS1: w.LANv6.DNS1, DNS2: w.LANv6.DNS2}
			return apply(cur)
		},
		follow: applying(),
		back:   (*Menu).toSetup,
	}
}
