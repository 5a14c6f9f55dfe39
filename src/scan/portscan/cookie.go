package portscan

import (
	"encoding/binary"
	"net/netip"

	"github.com/dchest/siphash"
)

// cookies computes the keyed values a stateless scan puts into its probes
// and checks answers against: SipHash-2-4 of the 4-tuple under the job's
// secret key, so that an answer can only match a probe we sent (a spoofed
// or stray segment would have to guess 32 bits) and no per-probe state is
// kept.
type cookies struct{ k0, k1 uint64 }

func newCookies(key [16]byte) cookies {
	return cookies{binary.LittleEndian.Uint64(key[:8]), binary.LittleEndian.Uint64(key[8:])}
}

// tuple is SipHash(key, src || dst || sport || dport), the addresses as
// 16 bytes (IPv4-mapped for IPv4).
func (c cookies) tuple(src, dst netip.Addr, sport, dport uint16) uint64 {
	var b [36]byte
	s, d := src.As16(), dst.As16()
	copy(b[0:16], s[:])
	copy(b[16:32], d[:])
	binary.BigEndian.PutUint16(b[32:], sport)
	binary.BigEndian.PutUint16(b[34:], dport)
	return siphash.Hash(c.k0, c.k1, b[:])
}

// seq is the initial sequence number of a SYN (and the acknowledgement
// number of an ACK probe) from src:sport to dst:dport.
func (c cookies) seq(src, dst netip.Addr, sport, dport uint16) uint32 {
	return uint32(c.tuple(src, dst, sport, dport))
}
