package service

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"picket.dev/picket/src/scan/result"
)

// NTP (RFC 5905): a client-mode request; and the control-mode (mode 6) read of the
// system variables (RFC 1305 appendix B, RFC 9327), which ntpd answers with its
// version string.

// ntpClientRequest is a mode 3, version 4 request with transmit timestamp xmit.
func ntpClientRequest(xmit uint64) []byte {
	b := make([]byte, 48)
	b[0] = 4<<3 | 3
	binary.BigEndian.PutUint64(b[40:], xmit)
	return b
}

// ntpAnswer is a server-mode reply's header.
type ntpAnswer struct {
	Leap, Version, Mode, Stratum int
	RefID                        string
	Origin                       uint64
}

// parseNTPReply reads a mode 4 (server) or 2 (symmetric passive) reply.
func parseNTPReply(b []byte) (*ntpAnswer, error) {
	if len(b) < 48 {
		return nil, errors.New("ntp: reply shorter than 48 bytes")
	}
	a := &ntpAnswer{
		Leap: int(b[0] >> 6), Version: int(b[0] >> 3 & 7), Mode: int(b[0] & 7),
		Stratum: int(b[1]), Origin: binary.BigEndian.Uint64(b[24:]),
	}
	if a.Mode != 4 && a.Mode != 2 {
		return nil, fmt.Errorf("ntp: mode %d is not a server reply", a.Mode)
	}
	if a.Version < 1 || a.Version > 4 {
		return nil, fmt.Errorf("ntp: version %d", a.Version)
	}
	ref := b[12:16]
	if a.Stratum <= 1 {
		a.RefID = strings.TrimRight(printable(string(ref)), ".")
	} else {
		a.RefID = net.IP(ref).String()
	}
	return a, nil
}

// ntpReadVar is a mode 6 READVAR request for association 0 (the system variables).
func ntpReadVar(seq uint16) []byte {
	b := make([]byte, 12)
	b[0] = 2<<3 | 6
	b[1] = 2 // READVAR
	binary.BigEndian.PutUint16(b[2:], seq)
	return b
}

// parseNTPControl reads a mode 6 response's data ("name=value, ..." text).
func parseNTPControl(b []byte) (map[string]string, error) {
	if len(b) < 12 {
		return nil, errors.New("ntp control: shorter than its header")
	}
	if b[0]&7 != 6 || b[1]&0x80 == 0 {
		return nil, errors.New("ntp control: not a mode 6 response")
	}
	if b[1]&0x40 != 0 {
		return nil, errors.New("ntp control: error response")
	}
	n := int(binary.BigEndian.Uint16(b[10:]))
	if 12+n > len(b) {
		return nil, errors.New("ntp control: data overruns the packet")
	}
	vars := map[string]string{}
	for _, kv := range splitNTPVars(string(b[12 : 12+n])) {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			vars[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return vars, nil
}

// splitNTPVars splits at commas outside quotes.
func splitNTPVars(s string) []string {
	var out []string
	q := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			q = !q
		case ',':
			if !q {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

var ntpdVersion = []productRule{
	{re: regexp.MustCompile(`^ntpd ntpsec-(\d[\w.]*)`), product: "NTPsec"},
	{re: regexp.MustCompile(`^ntpd (\d[\w.]*)`), product: "ntpd"},
}

// ntpService describes an NTP server.
// A nil monlist (no mode 7 answer) and one with an error code or no entries
// both give ntp.monlist false.
func ntpService(a *ntpAnswer, vars map[string]string, monlist *ntpMonlist) *result.Service {
	s := &result.Service{Name: "ntp", Method: "probe:ntp"}
	setFact(s, "ntp.version", fmt.Sprint(a.Version))
	setFact(s, "ntp.stratum", fmt.Sprint(a.Stratum))
	setFact(s, "ntp.leap", fmt.Sprint(a.Leap))
	if a.RefID != "" {
		setFact(s, "ntp.refid", a.RefID)
	}
	if v := vars["version"]; v != "" {
		s.Banner = printable(v)
		setFact(s, "ntp.daemon", s.Banner)
		applyRules(s, v, ntpdVersion)
	}
	if v := vars["system"]; v != "" {
		setFact(s, "ntp.system", printable(v))
	}
	setFact(s, "ntp.monlist", fmt.Sprint(monlist != nil && monlist.Err == 0 && monlist.Items > 0))
	return s
}

// NTP mode 7 ("private" mode of the reference implementation, ntpd's
// ntp_request.h): the REQ_MON_GETLIST_1 request of implementation IMPL_XNTPD
// asks the server for its monitor list, the addresses that sent it traffic
// lately. It is a read-only query (ntpdc -c monlist); a server that answers it
// with entries can be made to reflect a 48-byte request as a reply of up to
// 100 datagrams of 440 bytes at a spoofed victim (CVE-2013-5211). ntpd 4.2.7p26
// and later, and NTPsec, do not answer it.
const (
	ntpModePrivate   = 7
	ntpImplXNTPD     = 3
	ntpReqMonGetlist = 42 // REQ_MON_GETLIST_1
)

// ntpMonlistRequest is the request: version 2, mode 7, sequence 0, no items,
// padded to 48 bytes (the size of the data area older servers insist on).
func ntpMonlistRequest() []byte {
	b := make([]byte, 48)
	b[0] = 2<<3 | ntpModePrivate
	b[2] = ntpImplXNTPD
	b[3] = ntpReqMonGetlist
	return b
}

// ntpMonlist is what a mode 7 answer to REQ_MON_GETLIST_1 carried.
type ntpMonlist struct {
	// Err is the answer's error code (0: none; 1 IMPL, 2 REQ, 3 FMT, 4 NODATA,
	// 7 AUTH in ntpd's INFO_ERR_ codes).
	Err      int
	Items    int // entries in this datagram
	ItemSize int
	More     bool // more datagrams follow
}

// parseNTPMonlist reads a mode 7 response to the monitor-list request:
// byte 0 response and more bits, version and mode; byte 1 the sequence;
// implementation and request code; then err<<12|nitems and mbz<<12|itemsize,
// and nitems entries of itemsize bytes.
func parseNTPMonlist(b []byte) (*ntpMonlist, error) {
	if len(b) < 8 {
		return nil, errors.New("ntp mode 7: shorter than its header")
	}
	if b[0]&7 != ntpModePrivate || b[0]&0x80 == 0 {
		return nil, errors.New("ntp mode 7: not a mode 7 response")
	}
	if b[2] != ntpImplXNTPD && b[2] != 2 || b[3] != ntpReqMonGetlist {
		return nil, fmt.Errorf("ntp mode 7: implementation %d request %d is not the monitor list", b[2], b[3])
	}
	en := binary.BigEndian.Uint16(b[4:])
	ms := binary.BigEndian.Uint16(b[6:])
	m := &ntpMonlist{Err: int(en >> 12), Items: int(en & 0xfff), ItemSize: int(ms & 0xfff), More: b[0]&0x40 != 0}
	if m.Err == 0 && m.Items*m.ItemSize > len(b)-8 {
		return nil, fmt.Errorf("ntp mode 7: %d items of %d bytes overrun the datagram", m.Items, m.ItemSize)
	}
	return m, nil
}
