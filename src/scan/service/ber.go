package service

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A minimal BER (ITU-T X.690) encoder and reader for the SNMP and LDAP probes:
// definite lengths only, one-byte tags (all SNMP and LDAP need).

func berTLV(tag byte, content []byte) []byte {
	out := []byte{tag}
	switch n := len(content); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, content...)
}

func berInt(tag byte, v int64) []byte {
	var b []byte
	for {
		b = append([]byte{byte(v)}, b...)
		if (v >= -128 && v < 128) || len(b) >= 8 {
			break
		}
		v >>= 8
	}
	return berTLV(tag, b)
}

func berSeq(tag byte, parts ...[]byte) []byte {
	var c []byte
	for _, p := range parts {
		c = append(c, p...)
	}
	return berTLV(tag, c)
}

// berOID encodes a dotted OID's content octets.
func berOID(dotted string) []byte {
	parts := strings.Split(dotted, ".")
	var arcs []uint64
	for _, p := range parts {
		v, _ := strconv.ParseUint(p, 10, 32)
		arcs = append(arcs, v)
	}
	out := []byte{byte(arcs[0]*40 + arcs[1])}
	for _, a := range arcs[2:] {
		var enc []byte
		enc = append(enc, byte(a&0x7f))
		for a >>= 7; a > 0; a >>= 7 {
			enc = append([]byte{byte(a&0x7f) | 0x80}, enc...)
		}
		out = append(out, enc...)
	}
	return berTLV(0x06, out)
}

var errBER = errors.New("ber: malformed")

// berRead reads one element: its tag, its content and the bytes after it.
func berRead(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errShort
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, fmt.Errorf("%w: multi-byte tag", errBER)
	}
	n, hl := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			return 0, nil, nil, fmt.Errorf("%w: length of %d bytes", errBER, k)
		}
		if len(b) < 2+k {
			return 0, nil, nil, errShort
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		hl = 2 + k
	}
	if len(b) < hl+n {
		return 0, nil, nil, errShort
	}
	return tag, b[hl : hl+n], b[hl+n:], nil
}

// berExpect reads one element and checks its tag.
func berExpect(b []byte, want byte) (content, rest []byte, err error) {
	tag, c, r, err := berRead(b)
	if err != nil {
		return nil, nil, err
	}
	if tag != want {
		return nil, nil, fmt.Errorf("%w: tag 0x%02x, want 0x%02x", errBER, tag, want)
	}
	return c, r, nil
}

func berIntValue(c []byte) (int64, error) {
	if len(c) == 0 || len(c) > 8 {
		return 0, fmt.Errorf("%w: integer of %d bytes", errBER, len(c))
	}
	v := int64(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int64(x)
	}
	return v, nil
}

func berOIDString(c []byte) (string, error) {
	if len(c) == 0 {
		return "", fmt.Errorf("%w: empty OID", errBER)
	}
	// Subidentifiers in base 128 (X.690 8.19.2); the first packs two arcs.
	var subs []uint64
	var v uint64
	for i, x := range c {
		v = v<<7 | uint64(x&0x7f)
		if v > 1<<32 {
			return "", fmt.Errorf("%w: OID arc too large", errBER)
		}
		if x&0x80 == 0 {
			subs = append(subs, v)
			v = 0
		} else if i == len(c)-1 {
			return "", fmt.Errorf("%w: OID ends inside an arc", errBER)
		}
	}
	first := min(subs[0]/40, 2)
	parts := []string{strconv.FormatUint(first, 10), strconv.FormatUint(subs[0]-40*first, 10)}
	for _, s := range subs[1:] {
		parts = append(parts, strconv.FormatUint(s, 10))
	}
	return strings.Join(parts, "."), nil
}
