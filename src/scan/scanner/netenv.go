package scanner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/src/net/netapi"
)

// NetManager is what a job asks of the network manager: its status and
// the management path (netapi.Manager; scannerd's netapi.Client).
type NetManager interface {
	Status(ctx context.Context) (netapi.Status, error)
	ManagementPath(ctx context.Context) (netapi.ManagementPath, error)
}

// NetEnvOptions are what NetEnv needs besides the network manager.
type NetEnvOptions struct {
	// Iface overrides the LAN's device for jobs on the LAN (scannerd
	// -iface); a VLAN job always uses the device netmgrd made for it.
	Iface string
	// PlatformHost is the platform's host name or address: part of the
	// management path, never scanned unless it is a target.
	PlatformHost string
}

// NetEnv asks the network manager for what a job on vlan (0: the LAN)
// needs: the interface its packets leave through (the LAN's device, or
// the scanning VLAN's 802.1Q link, which tags them), the address it
// sends from, the subnets a VLAN job is confined to, the management
// path's addresses (never scanned unless targeted) and the resolvers
// names are looked up with. A VLAN the box was not given, or whose link
// is down or without an address, fails the job with an error naming it.
func NetEnv(ctx context.Context, mgr NetManager, o NetEnvOptions, vlan int) (Env, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := mgr.Status(ctx)
	if err != nil {
		return Env{}, fmt.Errorf("network status: %w", err)
	}
	mp, err := mgr.ManagementPath(ctx)
	if err != nil {
		return Env{}, fmt.Errorf("management path: %w", err)
	}
	env := Env{VLAN: vlan, Management: append([]netip.Addr(nil), mp.DNS...)}
	if vlan == 0 {
		env.Iface = o.Iface
		for _, ifc := range st.Interfaces {
			if ifc.Name != netapi.LAN {
				continue
			}
			if env.Iface == "" {
				env.Iface = ifc.Device
			}
			if ifc.IPv6.Method == netapi.MethodOff {
				env.NoIPv6 = "IPv6 scanning is off on this box (the platform's IPv6 setting)"
			}
			if ifc.IPv4.Method == netapi.MethodOff {
				env.NoIPv4 = "the box is in IPv6-only mode: no IPv4 on its LAN"
			}
		}
		if env.Iface == "" {
			return Env{}, errors.New("the network manager reports no LAN device; give scannerd -iface")
		}
	} else if err := vlanEnv(&env, st.ScanVLANs, vlan); err != nil {
		return Env{}, err
	}
	res := Resolver(mp.DNS)
	env.Resolver = res
	hosts := []string{o.PlatformHost}
	if mp.Proxy.Enabled() {
		hosts = append(hosts, mp.Proxy.Host)
	}
	for _, h := range hosts {
		if h == "" {
			continue
		}
		if a, err := netip.ParseAddr(h); err == nil {
			env.Management = append(env.Management, a.Unmap())
			continue
		}
		addrs, err := res.LookupNetIP(ctx, "ip", h)
		if err != nil {
			// Not knowing an address of the path does not stop the job;
			// the targets are what gets packets, and these are named.
			continue
		}
		for _, a := range addrs {
			env.Management = append(env.Management, a.Unmap())
		}
	}
	return env, nil
}

// vlanEnv fills env for a job on scanning VLAN id from the status's
// VLANs: its device, its address as the source, its subnets.
func vlanEnv(env *Env, vlans []netapi.ScanVLAN, id int) error {
	var have []string
	for _, v := range vlans {
		have = append(have, strconv.Itoa(v.ID))
		if v.ID != id {
			continue
		}
		what := fmt.Sprintf("VLAN %d", id)
		if v.Name != "" {
			what += " (" + v.Name + ")"
		}
		switch {
		case v.Device == "":
			return fmt.Errorf("%s: the network manager names no interface for it", what)
		case !v.Up:
			return fmt.Errorf("%s: its interface %s is not up on the box", what, v.Device)
		case len(v.Addresses) == 0:
			return fmt.Errorf("%s: its interface %s has no address yet", what, v.Device)
		}
		env.Iface = v.Device
		for _, p := range v.Addresses {
			env.Subnets = append(env.Subnets, p.Masked())
		}
		env.Source = v.Addresses[0].Addr()
		for _, p := range v.Addresses {
			if p.Addr().Is4() {
				env.Source = p.Addr()
				break
			}
		}
		return nil
	}
	if len(have) == 0 {
		return fmt.Errorf("VLAN %d is not a scanning VLAN of this box: it has none (the platform's settings may not be applied yet)", id)
	}
	return fmt.Errorf("VLAN %d is not a scanning VLAN of this box: it has VLANs %s (the platform's settings may not be applied yet)", id, strings.Join(have, ", "))
}

// Resolver asks the management resolvers (the LAN's DNS servers) for the
// names among a job's targets.
func Resolver(servers []netip.Addr) *net.Resolver {
	if len(servers) == 0 {
		return &net.Resolver{}
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		var err error
		for _, a := range servers {
			var c net.Conn
			if c, err = d.DialContext(ctx, network, netip.AddrPortFrom(a, 53).String()); err == nil {
				return c, nil
			}
		}
		return nil, err
	}}
}
