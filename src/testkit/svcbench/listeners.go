package svcbench

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"time"
)

// The Go listeners: each speaks the opening exchange of its protocol as the
// specification has it, with greetings that name no product ("svcbench"), so a
// detector has to know the protocol, not a product's wording.

func (b *Bench) startListeners() {
	b.serve(SMB, smbSession)
	b.serve(RDP, rdpSession)
	b.serve(Silent, func(c net.Conn) { io.Copy(io.Discard, c) })
}

// serve accepts on ServerAddr:port in the server namespace, one goroutine per
// connection, until cleanup.
func (b *Bench) serve(port int, h func(net.Conn)) {
	l := b.Server.Listen("tcp", netip.AddrPortFrom(ServerAddr, uint16(port)).String())
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				h(c)
			}()
		}
	}()
}

// smbSession answers a NEGOTIATE (MS-SMB2 2.2.4): dialect 3.0.2 to an SMB2
// request, the wildcard 2.??? (0x02ff) to an SMB1 one, as Windows does.
func smbSession(c net.Conn) { smbNegotiateLoop(c, 1) }

// smbNegotiateLoop answers NEGOTIATEs with the SecurityMode mode (1: signing
// enabled, 3: enabled and required).
func smbNegotiateLoop(c net.Conn, mode uint16) {
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		n := int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
		if n > 1<<16 {
			return
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(c, msg); err != nil || n < 4 {
			return
		}
		dialect := uint16(0x0302)
		var msgID uint64
		switch string(msg[:4]) {
		case "\xffSMB":
			dialect = 0x02ff
		case "\xfeSMB":
			if n < 64 || binary.LittleEndian.Uint16(msg[12:]) != 0 {
				return
			}
			msgID = binary.LittleEndian.Uint64(msg[24:])
		default:
			return
		}
		h := make([]byte, 64)
		copy(h, "\xfeSMB")
		binary.LittleEndian.PutUint16(h[4:], 64)
		binary.LittleEndian.PutUint16(h[14:], 1) // credits granted
		binary.LittleEndian.PutUint32(h[16:], 1) // SMB2_FLAGS_SERVER_TO_REDIR
		binary.LittleEndian.PutUint64(h[24:], msgID)
		r := make([]byte, 65)
		binary.LittleEndian.PutUint16(r[0:], 65)
		binary.LittleEndian.PutUint16(r[2:], mode)
		binary.LittleEndian.PutUint16(r[4:], dialect)
		copy(r[8:24], "svcbench-guid-01")
		binary.LittleEndian.PutUint32(r[24:], 0x7f)  // capabilities
		binary.LittleEndian.PutUint32(r[28:], 8<<20) // max transact
		binary.LittleEndian.PutUint32(r[32:], 8<<20) // max read
		binary.LittleEndian.PutUint32(r[36:], 8<<20) // max write
		binary.LittleEndian.PutUint16(r[56:], 64+64) // security buffer offset
		out := append(h, r...)
		c.Write(append([]byte{0, byte(len(out) >> 16), byte(len(out) >> 8), byte(len(out))}, out...))
	}
}

// rdpSession answers an X.224 Connection Request with a Connection Confirm
// selecting TLS (MS-RDPBCGR 2.2.1.2), then closes.
func rdpSession(c net.Conn) {
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || buf[0] != 3 {
		return
	}
	rest := make([]byte, int(binary.BigEndian.Uint16(buf[2:]))-4)
	if _, err := io.ReadFull(c, rest); err != nil {
		return
	}
	c.Write([]byte{3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 1, 0, 0, 0})
}
