package targets

import (
	"encoding/binary"
	"math/bits"

	"github.com/dchest/siphash"
)

// Perm is a keyed pseudo-random permutation of [0, n): a balanced Feistel
// network over the smallest even-width power of two that holds n, walked
// until it lands inside [0, n) (cycle walking, as masscan's blackrock
// does). Probes sent in Perm order spread over hosts and ports, so no
// host or network gets a burst, and nothing is materialized: At costs a
// few SipHash calls whatever n is.
type Perm struct {
	n        uint64
	half     uint   // bits per half
	mask     uint64 // (1<<half)-1
	k0, k1   uint64
	identity bool
}

const feistelRounds = 4

// NewPerm returns the permutation of [0, n) chosen by key.
func NewPerm(n uint64, key [16]byte) *Perm {
	p := &Perm{n: n, k0: binary.LittleEndian.Uint64(key[:8]), k1: binary.LittleEndian.Uint64(key[8:])}
	if n <= 2 {
		p.identity = true
		return p
	}
	w := uint(bits.Len64(n - 1))
	if w%2 == 1 {
		w++
	}
	p.half = w / 2
	p.mask = (uint64(1) << p.half) - 1
	return p
}

// Len is n.
func (p *Perm) Len() uint64 { return p.n }

// At returns the i-th element of the permutation (i < Len).
func (p *Perm) At(i uint64) uint64 {
	if p.identity {
		return i
	}
	x := p.enc(i)
	for x >= p.n {
		x = p.enc(x)
	}
	return x
}

func (p *Perm) enc(x uint64) uint64 {
	l, r := x>>p.half, x&p.mask
	var buf [9]byte
	for round := 0; round < feistelRounds; round++ {
		binary.LittleEndian.PutUint64(buf[:8], r)
		buf[8] = byte(round)
		f := siphash.Hash(p.k0, p.k1, buf[:]) & p.mask
		l, r = r, l^f
	}
	return l<<p.half | r
}
