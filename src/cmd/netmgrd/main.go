// Command netmgrd: the network manager, the only process that configures
// links, addresses, routes and DHCP.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/vishvananda/netlink"

	"picket.dev/picket/src/placeholder"
	"picket.dev/picket/src/version"
)

func main() {
	os.Exit(placeholder.Main(placeholder.Program{
		Name:  "netmgrd",
		Role:  "network manager: applies LAN, WAN, VLAN, IPv6 and proxy settings, runs DHCP",
		Issue: 4,
		Extra: reportLinks,
	}, os.Args[1:], os.Stdout, os.Stderr))
}

// reportLinks says whether the board's LAN and WAN interfaces exist here,
// read over netlink: the first thing the real network manager will need.
func reportLinks(w io.Writer, info version.Info) error {
	b, err := info.Hardware()
	if err != nil {
		return err
	}
	for _, l := range []struct{ role, name string }{{"LAN", b.LAN}, {"WAN", b.WAN}} {
		link, err := netlink.LinkByName(l.name)
		if err != nil {
			fmt.Fprintf(w, "%s %s: not present (%v)\n", l.role, l.name, err)
			continue
		}
		a := link.Attrs()
		fmt.Fprintf(w, "%s %s: present, mac %s, state %s\n", l.role, l.name, a.HardwareAddr, a.OperState)
	}
	return nil
}
