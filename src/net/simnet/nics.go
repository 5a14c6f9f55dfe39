package simnet

import (
	"fmt"
	"slices"
	"sync"

	"picket.dev/picket/src/net/ethlink"
	"picket.dev/picket/src/net/netcfg"
)

// NICs is the simulated ethtool of the ports (netmgr.LinkModes): each NIC
// supports the modes Config.Supported gives it, auto-negotiates 1000/full,
// and refuses a mode it does not support as ethlink.Conn does (an
// *ethlink.UnsupportedError, previous mode kept).
type NICs struct {
	n *Net

	mu        sync.Mutex
	supported map[string][]netcfg.LinkMode
	mode      map[string]netcfg.LinkMode
	sets      []string
}

func newNICs(n *Net, supported map[string][]netcfg.LinkMode) *NICs {
	c := &NICs{n: n, supported: map[string][]netcfg.LinkMode{}, mode: map[string]netcfg.LinkMode{}}
	for port, modes := range supported {
		c.supported[port] = slices.Clone(modes)
	}
	return c
}

func (c *NICs) modes(port string) []netcfg.LinkMode {
	if m, ok := c.supported[port]; ok {
		return m
	}
	return netcfg.LinkModes()
}

// port is the physical port ifname is; VLAN links have no NIC of their own.
func (c *NICs) port(ifname string) error {
	if ifname != c.n.cfg.LAN && (ifname != c.n.cfg.WAN || ifname == "") {
		return fmt.Errorf("ethlink: read link settings of %s: no such device", ifname)
	}
	return nil
}

func (c *NICs) settingsLocked(ifname string) ethlink.Settings {
	m := c.mode[ifname]
	s := ethlink.Settings{Autoneg: m == netcfg.LinkAuto, Supported: slices.Clone(c.modes(ifname))}
	if !c.carrier(ifname) {
		return s
	}
	s.SpeedMbps, s.Duplex = 1000, ethlink.DuplexFull
	if mbps, full, ok := m.Forced(); ok {
		s.SpeedMbps, s.Duplex = mbps, ethlink.DuplexHalf
		if full {
			s.Duplex = ethlink.DuplexFull
		}
	}
	return s
}

func (c *NICs) carrier(ifname string) bool {
	links, _ := c.n.kernel.Links()
	for _, l := range links {
		if l.Name == ifname {
			return l.Carrier
		}
	}
	return false
}

// Get reads a port's link settings: the speed and duplex it runs at while
// it has carrier, none without.
func (c *NICs) Get(ifname string) (ethlink.Settings, error) {
	if err := c.port(ifname); err != nil {
		return ethlink.Settings{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settingsLocked(ifname), nil
}

// Set sets a port's link mode.
func (c *NICs) Set(ifname string, mode netcfg.LinkMode) error {
	if err := c.port(ifname); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.modes(ifname), mode) {
		return &ethlink.UnsupportedError{Interface: ifname, Mode: mode, Supported: slices.Clone(c.modes(ifname)),
			Reason: "not among the link modes it reports", Kept: c.settingsLocked(ifname)}
	}
	if c.mode[ifname] != mode {
		c.mode[ifname] = mode
		c.sets = append(c.sets, ifname+" "+mode.String())
	}
	return nil
}

// Mode is the mode set on a port (LinkAuto until one is set).
func (c *NICs) Mode(ifname string) netcfg.LinkMode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mode[ifname]
}

// Sets lists every change of mode, "<port> <mode>", in order.
func (c *NICs) Sets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sets)
}
