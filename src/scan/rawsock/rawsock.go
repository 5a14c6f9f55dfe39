// Package rawsock is the scan engine's one user of raw sockets: an
// AF_PACKET socket on the job's interface that sends whole Ethernet frames
// and receives the answers (ARP, IPv4, IPv6; never its own frames), the
// frames themselves (built and parsed with gopacket's layers), and what a
// sender must know about the link: its addresses, the next hop of a
// target (the kernel's routing table) and that hop's MAC address (the
// kernel's neighbour table, or an ARP / neighbour solicitation of our own).
//
// The engine talks to the socket through Conn, so tests can put a wire of
// their own in its place.
package rawsock

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Sender puts one whole Ethernet frame on the wire.
type Sender interface {
	Send(frame []byte) error
}

// Receiver returns the next frame received into buf. It returns an error
// satisfying os.ErrDeadlineExceeded once the read deadline has passed,
// and net.ErrClosed after Close.
type Receiver interface {
	Recv(buf []byte) (int, error)
	SetReadDeadline(t time.Time) error
}

// Conn is a Sender and Receiver on one link.
type Conn interface {
	Sender
	Receiver
	Close() error
}

// ErrNotPermitted says the process may not open raw sockets (no
// CAP_NET_RAW); the engine falls back to a connect scan.
var ErrNotPermitted = errors.New("raw sockets not permitted")

// Socket is an AF_PACKET socket bound to one interface.
type Socket struct {
	c   *packet.Conn
	ifi *net.Interface
	dst packet.Addr
}

// Open opens a raw AF_PACKET socket on the interface. Its kernel filter
// passes ARP, IPv4 and IPv6 frames that the interface received (not the
// ones this host sent), so the receiver never sees its own probes.
func Open(ifname string) (*Socket, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("rawsock: interface %s: %w", ifname, err)
	}
	prog, err := bpf.Assemble(inboundFilter())
	if err != nil {
		return nil, fmt.Errorf("rawsock: assemble filter: %w", err)
	}
	c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, &packet.Config{Filter: prog})
	if err != nil {
		if errors.Is(err, os.ErrPermission) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("rawsock: open AF_PACKET socket on %s: %w (%v)", ifname, ErrNotPermitted, err)
		}
		return nil, fmt.Errorf("rawsock: open AF_PACKET socket on %s: %w", ifname, err)
	}
	// A burst of answers (a /24 of SYN-ACKs) must not overflow the
	// default receive buffer: ask for 8 MiB (the kernel caps it at
	// rmem_max unless we may force it).
	if rc, err := c.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20) != nil {
				_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
			}
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
		})
	}
	return &Socket{c: c, ifi: ifi, dst: packet.Addr{HardwareAddr: ifi.HardwareAddr}}, nil
}

// inboundFilter drops frames whose packet type is PACKET_OUTGOING and all
// but ARP, IPv4 and IPv6.
func inboundFilter() []bpf.Instruction {
	return []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipTrue: 5},
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_IP, SkipTrue: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_IPV6, SkipTrue: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_ARP, SkipFalse: 1},
		bpf.RetConstant{Val: 0x40000},
		bpf.RetConstant{Val: 0},
	}
}

// Interface is the interface the socket is bound to.
func (s *Socket) Interface() *net.Interface { return s.ifi }

// Send writes one Ethernet frame (destination MAC first).
func (s *Socket) Send(frame []byte) error {
	if len(frame) < 14 {
		return fmt.Errorf("rawsock: frame of %d bytes", len(frame))
	}
	addr := packet.Addr{HardwareAddr: net.HardwareAddr(frame[0:6])}
	for {
		_, err := s.c.WriteTo(frame, &addr)
		if errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EAGAIN) {
			// The device queue is full: wait for it rather than drop the
			// probe (a drop here would look like a filtered port).
			time.Sleep(200 * time.Microsecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("rawsock: send on %s: %w", s.ifi.Name, err)
		}
		return nil
	}
}

// Recv reads one frame.
func (s *Socket) Recv(buf []byte) (int, error) {
	n, _, err := s.c.ReadFrom(buf)
	return n, err
}

// SetReadDeadline sets the deadline of Recv.
func (s *Socket) SetReadDeadline(t time.Time) error { return s.c.SetReadDeadline(t) }

// Drops is the number of frames the kernel dropped because the receiver
// was too slow, since the last call.
func (s *Socket) Drops() uint32 {
	st, err := s.c.Stats()
	if err != nil {
		return 0
	}
	return st.Drops
}

// Close closes the socket; a blocked Recv returns.
func (s *Socket) Close() error { return s.c.Close() }
