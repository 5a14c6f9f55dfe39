package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	"picket.dev/picket/src/net/ethlink"
	"picket.dev/picket/src/net/netapply"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/scanner"
	"picket.dev/picket/src/scan/targets"
)

// agent answers the host's requests. It remembers the state its last apply
// put in force, so the next apply also observes (and so removes) the links
// that state named, as netmgrd does.
type agent struct {
	// h reads the kernel for the test, independently of netapply; k is
	// netapply's handle, as netmgrd opens it.
	h    *netlink.Handle
	k    *netapply.Netlink
	prev netapply.State
	// eth is kept for the whole session, as netmgrd keeps one: it
	// remembers the modes it set, which a refused change must restore.
	eth *ethlink.Conn
}

func newAgent() *agent { return &agent{} }

func (a *agent) serve(r *bufio.Reader, w io.Writer, hello any) error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink handle: %w", err)
	}
	defer h.Close()
	a.h = h
	a.k = netapply.NewNetlink(h, "/proc/sys")
	eth, err := ethlink.Open()
	if err != nil {
		return fmt.Errorf("ethtool socket: %w", err)
	}
	defer eth.Close()
	a.eth = eth
	enc := json.NewEncoder(w)
	if err := enc.Encode(hello); err != nil {
		return fmt.Errorf("write hello: %w", err)
	}
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return fmt.Errorf("read request: %w", err)
		}
		var req request
		var resp response
		if err := json.Unmarshal(line, &req); err != nil {
			resp.Error = fmt.Sprintf("request is not JSON {\"cmd\":...,\"args\":...}: %v", err)
		} else {
			resp = a.do(req)
		}
		if err := enc.Encode(resp); err != nil {
			return fmt.Errorf("write response to %s: %w", req.Cmd, err)
		}
		if req.Cmd == "poweroff" && resp.Error == "" {
			unix.Sync()
			return unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
		}
	}
}

// do runs one request; an error becomes the response's error text.
func (a *agent) do(req request) response {
	res, err := a.dispatch(req.Cmd, req.Args)
	if err != nil {
		return response{Error: err.Error(), Unsupported: errors.Is(err, errors.ErrUnsupported)}
	}
	return response{Result: res}
}

func (a *agent) dispatch(cmd string, raw json.RawMessage) (any, error) {
	switch cmd {
	case "apply":
		var args applyArgs
		if err := decode(raw, &args); err != nil {
			return nil, err
		}
		return a.apply(args)
	case "links":
		return a.links()
	case "link-set":
		var args struct {
			Name string `json:"name"`
			Up   bool   `json:"up"`
		}
		if err := decode(raw, &args); err != nil {
			return nil, err
		}
		return struct{}{}, a.linkSet(args.Name, args.Up)
	case "addrs":
		return a.addrs()
	case "routes":
		return a.routes()
	case "ping":
		var args pingArgs
		if err := decode(raw, &args); err != nil {
			return nil, err
		}
		return ping(args)
	case "ethtool-get":
		var args struct{ Ifname string }
		if err := decode(raw, &args); err != nil {
			return nil, err
		}
		s, err := a.eth.Get(args.Ifname)
		if err != nil {
			return nil, err
		}
		return linkSettings(s), nil
	case "ethtool-regs":
		var args struct{ Ifname string }
		if err := decode(raw, &args); err != nil {
			return nil, err
		}
		return ethtoolRegs(args.Ifname)
	case "ethtool-set":
		var args struct {
			Ifname string
			Mode   netcfg.LinkMode
		}
		if err := decode(raw, &args); err != nil {
			return nil, err
		}
		return struct{}{}, a.eth.Set(args.Ifname, args.Mode)
	case "measure":
		var args struct {
			Cmd  string
			Args json.RawMessage
		}
		if err := decode(raw, &args); err != nil {
			return nil, err
		}
		if args.Cmd == "measure" || args.Cmd == "poweroff" {
			return nil, fmt.Errorf("measure %s: allowed inner commands are the others", args.Cmd)
		}
		start := time.Now()
		res, err := a.dispatch(args.Cmd, args.Args)
		elapsed := time.Since(start)
		if err != nil {
			return nil, fmt.Errorf("measure %s: %w", args.Cmd, err)
		}
		mem, err := memory()
		if err != nil {
			return nil, err
		}
		return map[string]any{"elapsed_ms": elapsed.Milliseconds(), "rss_kb": mem["VmRSS"], "hwm_kb": mem["VmHWM"], "result": res}, nil
	case "scan":
		var args scanArgs
		if err := decode(raw, &args); err != nil {
			return nil, err
		}
		return scan(args)
	case "poweroff":
		return struct{}{}, nil
	}
	return nil, fmt.Errorf("unknown command %q; allowed: apply, links, link-set, addrs, routes, ping, ethtool-get, ethtool-regs, ethtool-set, measure, scan, poweroff", cmd)
}

func decode(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("arguments: %w", err)
	}
	return nil
}

// maxObserveRetries bounds the re-reads of an interrupted netlink dump.
const maxObserveRetries = 20

type applyArgs struct {
	Config netcfg.Config `json:"config"`
	LAN    string        `json:"lan"`
	WAN    string        `json:"wan"`
	// Quiet leaves the list of changes out of the answer (thousands of
	// lines for a full 4094-VLAN apply), keeping only their number.
	Quiet bool `json:"quiet"`
}

// apply validates the configuration, derives the wanted state (static
// addresses only: no DHCP lease), observes the links of the previous and
// the wanted state, and applies the difference with VLANs.
func (a *agent) apply(args applyArgs) (any, error) {
	if err := args.Config.Validate(); err != nil {
		return nil, fmt.Errorf("apply: invalid configuration: %w", err)
	}
	want, err := netapply.Desired(args.Config, netapply.Ports{LAN: args.LAN, WAN: args.WAN}, netapply.Dynamic{})
	if err != nil {
		return nil, err
	}
	names := append(a.prev.LinkNames(), want.LinkNames()...)
	// A netlink dump that the kernel changes under it (new VLAN links
	// still getting their IPv6 link-local addresses, say) comes back
	// flagged interrupted; Observe passes that on, so it is read again.
	var cur netapply.State
	retries := 0
	for {
		cur, err = netapply.Observe(a.k, names)
		if !errors.Is(err, netlink.ErrDumpInterrupted) || retries == maxObserveRetries {
			break
		}
		retries++
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("after %d retries: %w", retries, err)
	}
	changes, err := netapply.Apply(a.k, cur, want, netapply.WithVLANs())
	if err != nil {
		return nil, err
	}
	a.prev = want
	out := map[string]any{"count": len(changes), "observe_retries": retries}
	if !args.Quiet {
		out["changes"] = changes
	}
	return out, nil
}

type linkInfo struct {
	Name   string `json:"name"`
	Index  int    `json:"index"`
	Type   string `json:"type"`
	Up     bool   `json:"up"`
	VLANID int    `json:"vlan_id,omitempty"`
	Parent string `json:"parent,omitempty"`
	MAC    string `json:"mac,omitempty"`
	// Oper is the operational state ("up" once the NIC has carrier).
	Oper string `json:"oper"`
}

// linkSet sets a link administratively up or down (ethtool tests work on
// a link without carrier, see tests/vmnet).
func (a *agent) linkSet(name string, up bool) error {
	l, err := a.h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("link-set %s: %w", name, err)
	}
	if up {
		err = a.h.LinkSetUp(l)
	} else {
		err = a.h.LinkSetDown(l)
	}
	if err != nil {
		return fmt.Errorf("link-set %s up=%v: %w", name, up, err)
	}
	return nil
}

func (a *agent) links() ([]linkInfo, error) {
	links, err := a.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	out := make([]linkInfo, 0, len(links))
	for _, l := range links {
		at := l.Attrs()
		li := linkInfo{Name: at.Name, Index: at.Index, Type: l.Type(), Up: at.Flags&net.FlagUp != 0, MAC: at.HardwareAddr.String(), Oper: at.OperState.String()}
		if v, ok := l.(*netlink.Vlan); ok {
			li.VLANID = v.VlanId
			li.Parent = names[at.ParentIndex]
		}
		out = append(out, li)
	}
	return out, nil
}

type addrInfo struct {
	Link   string `json:"link"`
	Prefix string `json:"prefix"`
}

func (a *agent) addrs() ([]addrInfo, error) {
	names, err := a.linkNames()
	if err != nil {
		return nil, err
	}
	list, err := a.h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	out := make([]addrInfo, 0, len(list))
	for _, ad := range list {
		out = append(out, addrInfo{Link: names[ad.LinkIndex], Prefix: ad.IPNet.String()})
	}
	return out, nil
}

type routeInfo struct {
	Table   int    `json:"table"`
	Dst     string `json:"dst"`
	Gateway string `json:"gateway,omitempty"`
	Link    string `json:"link,omitempty"`
	Proto   int    `json:"proto"`
	Metric  int    `json:"metric,omitempty"`
}

// routes lists the unicast routes of every table but local.
func (a *agent) routes() ([]routeInfo, error) {
	names, err := a.linkNames()
	if err != nil {
		return nil, err
	}
	list, err := a.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	var out []routeInfo
	for _, r := range list {
		if r.Table == unix.RT_TABLE_LOCAL || r.Type != unix.RTN_UNICAST {
			continue
		}
		ri := routeInfo{Table: r.Table, Link: names[r.LinkIndex], Proto: int(r.Protocol), Metric: r.Priority}
		switch {
		case r.Dst != nil:
			ri.Dst = r.Dst.String()
		case r.Family == unix.AF_INET6:
			ri.Dst = "::/0"
		default:
			ri.Dst = "0.0.0.0/0"
		}
		if r.Gw != nil {
			ri.Gateway = r.Gw.String()
		}
		out = append(out, ri)
	}
	return out, nil
}

func (a *agent) linkNames() (map[int]string, error) {
	links, err := a.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	return names, nil
}

type settingsInfo struct {
	Autoneg   bool     `json:"autoneg"`
	SpeedMbps int      `json:"speed_mbps"`
	Duplex    string   `json:"duplex"`
	Supported []string `json:"supported"`
	Mode      string   `json:"mode,omitempty"` // "" when none of the panel's
	Legacy    bool     `json:"legacy"`
}

func linkSettings(s ethlink.Settings) settingsInfo {
	si := settingsInfo{Autoneg: s.Autoneg, SpeedMbps: s.SpeedMbps, Duplex: s.Duplex.String(), Legacy: s.Legacy, Supported: []string{}}
	for _, m := range s.Supported {
		si.Supported = append(si.Supported, m.String())
	}
	if m, ok := s.Mode(); ok {
		si.Mode = m.String()
	}
	return si
}

type pingArgs struct {
	Dev       string     `json:"dev"`
	Dst       netip.Addr `json:"dst"`
	Count     int        `json:"count"`
	TimeoutMS int        `json:"timeout_ms"`
}

type pingResult struct {
	Sent       int      `json:"sent"`
	Replies    int      `json:"replies"`
	SendErrors []string `json:"send_errors,omitempty"`
}

// ping sends Count ICMP echo requests to Dst out of Dev (SO_BINDTODEVICE,
// so the frames leave by that VLAN even without a route) and counts the
// replies that arrive within the timeout. No reply is not an error: the
// bench's host side often has no address on the VLAN, and what is checked
// there is the tagged frames (the ARP requests and echoes) on the wire.
func ping(args pingArgs) (pingResult, error) {
	var res pingResult
	if !args.Dst.Is4() {
		return res, fmt.Errorf("ping: destination %s: only IPv4 is supported", args.Dst)
	}
	if args.Count <= 0 {
		args.Count = 1
	}
	if args.TimeoutMS <= 0 {
		args.TimeoutMS = 1000
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
	if err != nil {
		return res, fmt.Errorf("ping: raw ICMP socket: %w", err)
	}
	defer unix.Close(fd)
	if args.Dev != "" {
		if err := unix.BindToDevice(fd, args.Dev); err != nil {
			return res, fmt.Errorf("ping: bind to device %s: %w", args.Dev, err)
		}
	}
	id := uint16(os.Getpid())
	to := &unix.SockaddrInet4{Addr: args.Dst.As4()}
	for seq := 1; seq <= args.Count; seq++ {
		if err := unix.Sendto(fd, echo(id, uint16(seq)), 0, to); err != nil {
			res.SendErrors = append(res.SendErrors, err.Error())
			continue
		}
		res.Sent++
	}
	deadline := time.Now().Add(time.Duration(args.TimeoutMS) * time.Millisecond)
	buf := make([]byte, 1500)
	for res.Replies < res.Sent {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		tv := unix.NsecToTimeval(left.Nanoseconds())
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return res, fmt.Errorf("ping: set receive timeout: %w", err)
		}
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("ping: receive: %w", err)
		}
		if isReply(buf[:n], id) {
			if f, ok := from.(*unix.SockaddrInet4); ok && netip.AddrFrom4(f.Addr) == args.Dst {
				res.Replies++
			}
		}
	}
	return res, nil
}

// echo builds an ICMP echo request with a 32-byte payload.
func echo(id, seq uint16) []byte {
	b := make([]byte, 8+32)
	b[0] = 8 // echo request
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	copy(b[8:], "picket vmnet ping payload 012345")
	binary.BigEndian.PutUint16(b[2:], checksum(b))
	return b
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// isReply reports whether pkt (an IPv4 packet, as raw sockets deliver) is
// an echo reply with our identifier.
func isReply(pkt []byte, id uint16) bool {
	if len(pkt) < 20 {
		return false
	}
	ihl := int(pkt[0]&0x0f) * 4
	icmp := pkt[ihl:]
	return len(icmp) >= 8 && icmp[0] == 0 && binary.BigEndian.Uint16(icmp[4:]) == id
}

// memory reads the process's memory figures (kB) from /proc/self/status.
func memory() (map[string]int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, fmt.Errorf("read memory use: %w", err)
	}
	out := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(k, "Vm") {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 2 && f[1] == "kB" {
			if n, err := strconv.Atoi(f[0]); err == nil {
				out[k] = n
			}
		}
	}
	if _, ok := out["VmRSS"]; !ok {
		return nil, errors.New("read memory use: no VmRSS in /proc/self/status")
	}
	return out, nil
}

type scanArgs struct {
	Iface   string `json:"iface"`
	Targets string `json:"targets"`
	Ports   string `json:"ports"`
	Rate    int    `json:"rate"`
}

type scanResult struct {
	Hosts   []result.Host   `json:"hosts"`
	Summary scanner.Summary `json:"summary"`
}

// scan runs the scan engine as scannerd runs a job on a scanning VLAN:
// SYN probes over a raw socket on the VLAN's link, which tags them. No
// service detection: the far side is the test's frame responder, not a
// service.
func scan(args scanArgs) (scanResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	set, err := targets.Parse(ctx, args.Targets, targets.Options{})
	if err != nil {
		return scanResult{}, err
	}
	ports, err := targets.ParsePorts(args.Ports)
	if err != nil {
		return scanResult{}, err
	}
	cfg := scanner.Config{Targets: set, Ports: ports, Iface: args.Iface, Rate: args.Rate,
		Retries: scanner.DefaultRetries, ReportAll: true, Root: "/"}
	if _, err := rand.Read(cfg.Key[:]); err != nil {
		return scanResult{}, err
	}
	hosts, sum, err := scanner.Scan(ctx, cfg)
	if err != nil {
		return scanResult{}, fmt.Errorf("scan: %w", err)
	}
	return scanResult{Hosts: hosts, Summary: sum}, nil
}
