package vmnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/testkit/netbench"
)

// farHost is a host the responder plays on the far side of the tap: it
// answers ARP for its address and TCP SYNs (SYN-ACK on open ports, RST on
// the others, nothing on silent ones).
type farHost struct {
	mac    net.HardwareAddr
	open   []uint16
	silent []uint16
}

// seenFrame is one frame the guest sent, as it was on the wire.
type seenFrame struct {
	tagged bool
	vid    uint16
	what   string     // "arp" (a request), "syn", "tcp" (other TCP), "ip" (other IPv4), "other"
	dst    netip.Addr // the ARP target or IPv4 destination
	port   uint16
}

func (f seenFrame) String() string {
	return fmt.Sprintf("tagged=%v vid=%d %s %s:%d", f.tagged, f.vid, f.what, f.dst, f.port)
}

// responder answers the guest's frames on the tap as hosts on VLAN vid
// would: only frames tagged vid, and its answers tagged vid. The host's
// kernel has no 802.1Q, so nothing else on this side speaks VLAN: what the
// guest's scan finds, it found through the tag. Every frame from the guest
// is recorded.
type responder struct {
	fd      int
	ifindex int
	vid     uint16
	hosts   map[netip.Addr]farHost
	mu      sync.Mutex
	seen    []seenFrame
	done    chan struct{}
}

func startResponder(t *testing.T, ns, tap string, vid uint16, hosts map[netip.Addr]farHost) *responder {
	t.Helper()
	r := &responder{vid: vid, hosts: hosts, done: make(chan struct{})}
	err := netbench.Enter(ns, func() error {
		ifc, err := net.InterfaceByName(tap)
		if err != nil {
			return err
		}
		r.ifindex = ifc.Index
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return fmt.Errorf("packet socket: %w", err)
		}
		r.fd = fd
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifc.Index}); err != nil {
			return fmt.Errorf("bind to %s: %w", tap, err)
		}
		// The kernel takes a received frame's 802.1Q tag out of the data
		// and hands it over as auxiliary data (as libpcap reads it).
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
			return fmt.Errorf("PACKET_AUXDATA: %w", err)
		}
		return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 200000})
	})
	if err != nil {
		if r.fd > 0 {
			unix.Close(r.fd)
		}
		t.Fatalf("responder: %v", err)
	}
	stop := make(chan struct{})
	go r.loop(stop)
	t.Cleanup(func() {
		close(stop)
		<-r.done
		unix.Close(r.fd)
	})
	return r
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (r *responder) frames() []seenFrame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

func (r *responder) loop(stop chan struct{}) {
	defer close(r.done)
	buf := make([]byte, 65536)
	oob := make([]byte, 256)
	for {
		select {
		case <-stop:
			return
		default:
		}
		n, oobn, _, from, err := unix.Recvmsg(r.fd, buf, oob, 0)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue // our own answers
		}
		tagged, vid := false, uint16(0)
		if cms, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for _, m := range cms {
				if m.Header.Level == unix.SOL_PACKET && m.Header.Type == unix.PACKET_AUXDATA && len(m.Data) >= int(unsafe.Sizeof(unix.TpacketAuxdata{})) {
					aux := (*unix.TpacketAuxdata)(unsafe.Pointer(&m.Data[0]))
					if aux.Status&unix.TP_STATUS_VLAN_VALID != 0 {
						tagged, vid = true, aux.Vlan_tci&0x0fff
					}
				}
			}
		}
		frame := slices.Clone(buf[:n])
		// A tag still in the data (no untagging on the way) counts too.
		if !tagged && n >= 18 && binary.BigEndian.Uint16(frame[12:]) == 0x8100 {
			tagged, vid = true, binary.BigEndian.Uint16(frame[14:])&0x0fff
			frame = append(frame[:12:12], frame[16:]...)
		}
		r.handle(frame, tagged, vid)
	}
}

// handle records an untagged-form frame that arrived with (or without)
// tag vid, and answers it when it is for one of the hosts on r's VLAN.
func (r *responder) handle(frame []byte, tagged bool, vid uint16) {
	pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.NoCopy)
	eth, _ := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	if eth == nil {
		return
	}
	sf := seenFrame{tagged: tagged, vid: vid, what: "other"}
	var reply []gopacket.SerializableLayer
	var from farHost
	if arp, ok := pkt.Layer(layers.LayerTypeARP).(*layers.ARP); ok && arp.Operation == layers.ARPRequest {
		sf.what = "arp"
		sf.dst, _ = netip.AddrFromSlice(arp.DstProtAddress)
		if h, ok := r.hosts[sf.dst]; ok {
			from = h
			reply = []gopacket.SerializableLayer{&layers.ARP{
				AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
				Operation: layers.ARPReply, SourceHwAddress: h.mac, SourceProtAddress: arp.DstProtAddress,
				DstHwAddress: arp.SourceHwAddress, DstProtAddress: arp.SourceProtAddress,
			}}
		}
	} else if ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
		sf.what = "ip"
		sf.dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
		if tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
			sf.what, sf.port = "tcp", uint16(tcp.DstPort)
			if tcp.SYN && !tcp.ACK {
				sf.what = "syn"
			}
			if h, ok := r.hosts[sf.dst]; ok && sf.what == "syn" && !slices.Contains(h.silent, sf.port) {
				from = h
				rip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: ip.DstIP, DstIP: ip.SrcIP}
				rtcp := &layers.TCP{SrcPort: tcp.DstPort, DstPort: tcp.SrcPort, Ack: tcp.Seq + 1, ACK: true, Window: 64240}
				if slices.Contains(h.open, sf.port) {
					rtcp.SYN, rtcp.Seq = true, 0x1000
				} else {
					rtcp.RST = true
				}
				if err := rtcp.SetNetworkLayerForChecksum(rip); err != nil {
					return
				}
				reply = []gopacket.SerializableLayer{rip, rtcp}
			}
		}
	}
	r.mu.Lock()
	r.seen = append(r.seen, sf)
	r.mu.Unlock()
	// Answer only what came tagged with this VLAN's id, tagged the same.
	if reply == nil || !tagged || vid != r.vid {
		return
	}
	typ := layers.EthernetTypeIPv4
	if sf.what == "arp" {
		typ = layers.EthernetTypeARP
	}
	out := gopacket.NewSerializeBuffer()
	ls := append([]gopacket.SerializableLayer{
		&layers.Ethernet{SrcMAC: from.mac, DstMAC: eth.SrcMAC, EthernetType: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: r.vid, Type: typ},
	}, reply...)
	if err := gopacket.SerializeLayers(out, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		return
	}
	_ = unix.Sendto(r.fd, out.Bytes(), 0, &unix.SockaddrLinklayer{Ifindex: r.ifindex})
}

// TestScanOnVLAN runs the scan engine in the guest as a job on scanning
// VLAN 120 runs: SYN probes over a raw socket on eth0.120. On the tap, a
// responder plays three hosts of VLAN 120 and answers only frames tagged
// 120, with frames tagged 120. The scan must find them as they are
// (open, closed, filtered), and every frame of the scan on the wire must
// carry tag 120 and go to a target.
func TestScanOnVLAN(t *testing.T) {
	vm := guest(t)
	const vid = 120
	cfg := scanConfig([]int{vid}, 0) // eth0.120 with 10.0.120.10/24
	apply(t, vm, cfg)
	waitCarrier(t, vm, fmt.Sprintf("eth0.%d", vid))

	ip := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	hosts := map[netip.Addr]farHost{
		ip("10.0.120.20"): {mac: net.HardwareAddr{0x02, 0, 0, 0, 0x78, 0x20}, open: []uint16{22, 80}},
		ip("10.0.120.21"): {mac: net.HardwareAddr{0x02, 0, 0, 0, 0x78, 0x21}, open: []uint16{443}},
		ip("10.0.120.22"): {mac: net.HardwareAddr{0x02, 0, 0, 0, 0x78, 0x22}, silent: []uint16{8080}},
	}
	resp := startResponder(t, vm.NS, TapName, vid, hosts)

	var res struct {
		Hosts   []result.Host `json:"hosts"`
		Summary struct {      // scanner.Summary's fields
			Targets uint64 `json:"targets"`
			Up      int    `json:"hosts_up"`
			Open    int    `json:"open_ports"`
			Method  string `json:"method"`
		} `json:"summary"`
	}
	if err := vm.CallInto("scan", map[string]any{
		"iface": fmt.Sprintf("eth0.%d", vid), "targets": "10.0.120.20-29", "ports": "22,80,443,8080", "rate": 2000,
	}, &res); err != nil {
		t.Fatalf("scan in the guest: %v\nconsole:\n%s", err, vm.Console())
	}
	frames := resp.frames()

	// What the scan found, port by port; the expectation is the
	// responder's hosts above.
	want := map[string]string{
		"10.0.120.20": "22/open 80/open 443/closed 8080/closed",
		"10.0.120.21": "22/closed 80/closed 443/open 8080/closed",
		"10.0.120.22": "22/closed 80/closed 443/closed 8080/filtered",
	}
	got := map[string]string{}
	for _, h := range res.Hosts {
		if !h.Up {
			continue
		}
		var ps []string
		for _, p := range h.Ports {
			ps = append(ps, fmt.Sprintf("%d/%s", p.Port, p.State))
		}
		slices.Sort(ps)
		got[h.Addr.String()] = strings.Join(sortPorts(ps), " ")
	}
	if !mapsEqual(got, want) {
		t.Errorf("scan found %v\nwant %v", got, want)
	}
	if s := res.Summary; s.Method != "syn" || s.Targets != 10 || s.Up != 3 || s.Open != 3 {
		t.Errorf("summary %+v; want a SYN scan of 10 targets, 3 up, 3 open ports", s)
	}

	// On the wire: the scan's frames (ARP for VLAN 120's addresses, TCP
	// to them) all tagged 120, and none to an address outside the
	// targets.
	targetsOK := func(a netip.Addr) bool {
		return a.Is4() && a.As4()[0] == 10 && a.As4()[2] == 120 && a.As4()[3] >= 20 && a.As4()[3] <= 29
	}
	var scanFrames, bad []string
	syns := 0
	for _, f := range frames {
		onVLAN := f.dst.IsValid() && f.dst.Is4() && f.dst.As4()[0] == 10 && f.dst.As4()[2] == vid
		if !onVLAN && !(f.tagged && f.vid == vid) {
			continue // the guest's LAN traffic, untagged
		}
		scanFrames = append(scanFrames, f.String())
		if f.what == "syn" {
			syns++
		}
		switch {
		case !f.tagged || f.vid != vid:
			bad = append(bad, "not tagged 120: "+f.String())
		case (f.what == "arp" || f.what == "syn" || f.what == "tcp") && !targetsOK(f.dst):
			bad = append(bad, "outside the targets: "+f.String())
		}
	}
	if syns == 0 || len(bad) > 0 {
		t.Errorf("%d SYNs on VLAN %d; frames wrong (want none):\n%s\nall the scan's frames:\n%s", syns, vid, strings.Join(bad, "\n"), strings.Join(scanFrames, "\n"))
	}
	t.Logf("%d frames on VLAN %d, %d SYNs, all tagged %d; results %v", len(scanFrames), vid, syns, vid, got)
}

// sortPorts orders "port/state" strings by port number.
func sortPorts(ps []string) []string {
	slices.SortFunc(ps, func(a, b string) int {
		var pa, pb int
		fmt.Sscanf(a, "%d/", &pa)
		fmt.Sscanf(b, "%d/", &pb)
		return pa - pb
	})
	return ps
}
