package service

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The hand-built ClientHello of the legacy-version tests. crypto/tls offers neither
// SSLv3 nor, without configuration, the suites old servers need, so each of SSLv3,
// TLS 1.0, 1.1 and 1.2 is tested with a hello of its own (RFC 6101 section 5.6.1.2,
// RFC 2246/4346/5246 section 7.4.1.2) and read up to the server's ServerHelloDone or
// alert.

// Protocol version numbers on the wire.
const (
	verSSL30 uint16 = 0x0300
	verTLS10 uint16 = 0x0301
	verTLS11 uint16 = 0x0302
	verTLS12 uint16 = 0x0303
	verTLS13 uint16 = 0x0304
)

// versionName names a protocol version as result.TLSFacts.Versions does.
func versionName(v uint16) string {
	switch v {
	case verSSL30:
		return "SSLv3"
	case verTLS10:
		return "TLSv1.0"
	case verTLS11:
		return "TLSv1.1"
	case verTLS12:
		return "TLSv1.2"
	case verTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

// legacySuites are the cipher suites of the hand-built hellos (IANA TLS Cipher Suites
// registry): modern AEAD suites first, then CBC, 3DES and RC4 ones old servers may be
// limited to, then the renegotiation SCSV (RFC 5746).
var legacySuites = [...]uint16{
	0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0x009e, 0x009f, 0xccaa,
	0xc023, 0xc027, 0xc024, 0xc028, 0xc009, 0xc013, 0xc00a, 0xc014,
	0x0067, 0x006b, 0x0033, 0x0039, 0x009c, 0x009d, 0x003c, 0x003d, 0x002f, 0x0035,
	0x0041, 0x0084, 0x0096, 0xc012, 0x0016, 0x000a, 0xc011, 0x0005, 0x0004,
	0x00ff,
}

// buildClientHello encodes a TLS record holding a ClientHello that offers exactly
// version v. random must be 32 bytes. SSLv3 hellos carry no extensions (RFC 6101
// has none); TLS ones carry supported_groups and ec_point_formats (RFC 8422), and
// TLS 1.2 ones signature_algorithms (RFC 5246 section 7.4.1.4.1).
func buildClientHello(v uint16, random []byte) []byte {
	var body []byte
	body = binary.BigEndian.AppendUint16(body, v)
	body = append(body, random[:32]...)
	body = append(body, 0) // no session id
	body = binary.BigEndian.AppendUint16(body, uint16(2*len(legacySuites)))
	for _, s := range legacySuites {
		body = binary.BigEndian.AppendUint16(body, s)
	}
	body = append(body, 1, 0) // compression: null only
	if v >= verTLS10 {
		var ext []byte
		// supported_groups: x25519, secp256r1, secp384r1, secp521r1.
		groups := []uint16{0x001d, 0x0017, 0x0018, 0x0019}
		ext = binary.BigEndian.AppendUint16(ext, 10)
		ext = binary.BigEndian.AppendUint16(ext, uint16(2+2*len(groups)))
		ext = binary.BigEndian.AppendUint16(ext, uint16(2*len(groups)))
		for _, g := range groups {
			ext = binary.BigEndian.AppendUint16(ext, g)
		}
		// ec_point_formats: uncompressed.
		ext = append(ext, 0, 11, 0, 2, 1, 0)
		if v == verTLS12 {
			algs := []uint16{0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0203}
			ext = binary.BigEndian.AppendUint16(ext, 13)
			ext = binary.BigEndian.AppendUint16(ext, uint16(2+2*len(algs)))
			ext = binary.BigEndian.AppendUint16(ext, uint16(2*len(algs)))
			for _, a := range algs {
				ext = binary.BigEndian.AppendUint16(ext, a)
			}
		}
		body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
		body = append(body, ext...)
	}
	hs := []byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	hs = append(hs, body...)
	// The record layer version of a hello: SSLv3 for SSLv3, TLS 1.0 otherwise
	// (RFC 5246 appendix E.1: what servers of every age accept).
	rv := verTLS10
	if v == verSSL30 {
		rv = verSSL30
	}
	rec := []byte{22, byte(rv >> 8), byte(rv), byte(len(hs) >> 8), byte(len(hs))}
	return append(rec, hs...)
}

// serverFlight is what a server answered a hello with, as far as it was read.
type serverFlight struct {
	// HelloSeen: a ServerHello came, with Version and Suite.
	HelloSeen bool
	Version   uint16
	Suite     uint16
	// Certs are the DER certificates of the Certificate message, leaf first.
	Certs [][]byte
	// Done: the ServerHelloDone came (the server's flight is complete).
	Done bool
	// Alert is set when the server sent an alert record.
	Alert     bool
	AlertDesc byte
}

// errShort means the bytes end inside a record or message: read more.
var errShort = errors.New("tls: truncated")

// parseServerFlight reads the records a server sent in answer to a ClientHello
// (RFC 5246 sections 6.2.1, 7.2 and 7.4). It returns errShort while the flight is
// incomplete (no alert, no ServerHelloDone yet), and an error for bytes that are
// not TLS.
func parseServerFlight(b []byte) (*serverFlight, error) {
	f := &serverFlight{}
	var hs []byte // handshake bytes, across records
	for len(b) > 0 {
		if len(b) < 5 {
			return f, errShort
		}
		typ, major, n := b[0], b[1], int(binary.BigEndian.Uint16(b[3:5]))
		if major != 3 || n > 1<<14+2048 {
			return f, fmt.Errorf("tls: not a TLS record (type %d, version %d.%d)", typ, b[1], b[2])
		}
		if len(b) < 5+n {
			return f, errShort
		}
		frag := b[5 : 5+n]
		b = b[5+n:]
		switch typ {
		case 21: // alert
			if n < 2 {
				return f, errors.New("tls: short alert")
			}
			f.Alert, f.AlertDesc = true, frag[1]
			return f, nil
		case 22: // handshake
			hs = append(hs, frag...)
		default:
			return f, fmt.Errorf("tls: unexpected record type %d before ServerHelloDone", typ)
		}
		for len(hs) >= 4 {
			mt, ml := hs[0], int(hs[1])<<16|int(hs[2])<<8|int(hs[3])
			if len(hs) < 4+ml {
				break
			}
			msg := hs[4 : 4+ml]
			hs = hs[4+ml:]
			switch mt {
			case 2:
				if err := f.parseServerHello(msg); err != nil {
					return f, err
				}
			case 11:
				if !f.HelloSeen {
					return f, errors.New("tls: Certificate before ServerHello")
				}
				if err := f.parseCertificate(msg); err != nil {
					return f, err
				}
			case 14:
				if !f.HelloSeen {
					return f, errors.New("tls: ServerHelloDone before ServerHello")
				}
				f.Done = true
				return f, nil
			}
		}
	}
	return f, errShort
}

func (f *serverFlight) parseServerHello(m []byte) error {
	// version(2) random(32) session_id<0..32> cipher_suite(2) compression(1) ...
	if len(m) < 35 {
		return errors.New("tls: short ServerHello")
	}
	sid := int(m[34])
	if sid > 32 || len(m) < 35+sid+3 {
		return errors.New("tls: bad ServerHello session id")
	}
	f.HelloSeen = true
	f.Version = binary.BigEndian.Uint16(m[0:2])
	f.Suite = binary.BigEndian.Uint16(m[35+sid:])
	// A TLS 1.3 server names its version in supported_versions (RFC 8446 4.2.1).
	rest := m[35+sid+3:]
	if len(rest) >= 2 {
		el := int(binary.BigEndian.Uint16(rest))
		ext := rest[2:]
		if el <= len(ext) {
			ext = ext[:el]
			for len(ext) >= 4 {
				et, l := binary.BigEndian.Uint16(ext), int(binary.BigEndian.Uint16(ext[2:]))
				if len(ext) < 4+l {
					break
				}
				if et == 43 && l == 2 {
					f.Version = binary.BigEndian.Uint16(ext[4:])
				}
				ext = ext[4+l:]
			}
		}
	}
	return nil
}

func (f *serverFlight) parseCertificate(m []byte) error {
	if len(m) < 3 {
		return errors.New("tls: short Certificate")
	}
	total := int(m[0])<<16 | int(m[1])<<8 | int(m[2])
	if total != len(m)-3 {
		return errors.New("tls: Certificate length mismatch")
	}
	m = m[3:]
	for len(m) > 0 {
		if len(m) < 3 {
			return errors.New("tls: short certificate entry")
		}
		l := int(m[0])<<16 | int(m[1])<<8 | int(m[2])
		if len(m) < 3+l {
			return errors.New("tls: certificate entry overruns its message")
		}
		f.Certs = append(f.Certs, m[3:3+l])
		m = m[3+l:]
	}
	return nil
}
