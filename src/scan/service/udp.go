package service

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"picket.dev/picket/src/scan/result"
)

// udpProbe is a question to a UDP port.
type udpProbe struct {
	name string
	run  func(t *target, ctx context.Context) (*result.Service, error)
}

var udpProbes = []udpProbe{
	{"dns", (*target).udpDNS},
	{"snmp", (*target).udpSNMP},
	{"ntp", (*target).udpNTP},
}

var udpHints = map[uint16]string{53: "dns", 5353: "dns", 161: "snmp", 162: "snmp", 123: "ntp"}

func (t *target) detectUDP(ctx context.Context) *result.Service {
	hint := udpHints[t.port]
	order := make([]udpProbe, 0, len(udpProbes))
	for _, p := range udpProbes {
		if p.name == hint {
			order = append(order, p)
		}
	}
	for _, p := range udpProbes {
		if p.name != hint {
			order = append(order, p)
		}
	}
	for _, p := range order {
		if ctx.Err() != nil {
			return nil
		}
		s, err := p.run(t, ctx)
		if s != nil {
			return s
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil // ICMP port unreachable: nothing listens
		}
	}
	return nil
}

// udpAsk sends req and returns the first datagram accept takes, sending req
// again once halfway through the read timeout (a lost datagram).
func (t *target) udpAsk(ctx context.Context, req []byte, accept func([]byte) bool) ([]byte, error) {
	c, err := t.dial(ctx, "udp")
	if err != nil {
		return nil, err
	}
	defer c.Close()
	end := time.Now().Add(t.d.o.ReadTimeout)
	buf := make([]byte, 65536)
	for try := 0; try < 2; try++ {
		if _, err := c.Write(req); err != nil {
			return nil, err
		}
		until := end
		if try == 0 {
			until = time.Now().Add(t.d.o.ReadTimeout / 2)
		}
		for {
			c.SetReadDeadline(until)
			n, err := c.Read(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				return nil, err
			}
			if accept(buf[:n]) {
				return append([]byte(nil), buf[:n]...), nil
			}
		}
	}
	return nil, nil
}

func (t *target) udpDNS(ctx context.Context) (*result.Service, error) {
	id := t.queryID()
	var a *dnsAnswer
	_, err := t.udpAsk(ctx, dnsVersionQuery(id), func(b []byte) bool {
		x, err := parseDNSResponse(b)
		if err != nil || x.ID != id {
			return false
		}
		a = x
		return true
	})
	if a == nil {
		return nil, err
	}
	s := dnsService(a, "probe:dns")
	if t.d.o.NoUDPChecks {
		return s, nil
	}
	// Does it recurse for us? Asked over UDP, where an open resolver is
	// the reflector of amplification attacks.
	rid := t.queryID()
	var r *dnsAnswer
	t.udpAsk(ctx, dnsQuery(rid, ResolverProbeName, 1), func(b []byte) bool {
		x, err := parseDNSResponse(b)
		if err != nil || x.ID != rid {
			return false
		}
		r = x
		return true
	})
	if r != nil {
		setFact(s, "dns.open_resolver", fmt.Sprint(openResolver(r)))
	}
	return s, nil
}

func (t *target) udpSNMP(ctx context.Context) (*result.Service, error) {
	if t.d.o.NoUDPChecks {
		return nil, nil
	}
	for _, v := range []struct {
		n    int64
		name string
	}{{1, "v2c"}, {0, "v1"}} {
		var b [4]byte
		io.ReadFull(t.d.o.Rand, b[:])
		id := int32(binary.BigEndian.Uint32(b[:]) & 0x7fffffff)
		var a *snmpAnswer
		_, err := t.udpAsk(ctx, snmpGet(v.n, "public", id), func(b []byte) bool {
			x, err := parseSNMPResponse(b)
			if err != nil || x.RequestID != id {
				return false
			}
			a = x
			return true
		})
		if a != nil {
			return snmpService(a, v.name), nil
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, err
		}
	}
	return nil, nil
}

func (t *target) udpNTP(ctx context.Context) (*result.Service, error) {
	var b [8]byte
	io.ReadFull(t.d.o.Rand, b[:])
	xmit := binary.BigEndian.Uint64(b[:])
	var a *ntpAnswer
	_, err := t.udpAsk(ctx, ntpClientRequest(xmit), func(b []byte) bool {
		x, err := parseNTPReply(b)
		if err != nil || x.Origin != xmit {
			return false
		}
		a = x
		return true
	})
	if a == nil {
		return nil, err
	}
	// ntpd answers READVAR and (before 4.2.7p26) the monitor list; a server
	// that answers neither costs one read timeout, not two.
	var mon *ntpMonlist
	done := make(chan struct{})
	go func() {
		defer close(done)
		if t.d.o.NoUDPChecks {
			return
		}
		t.udpAsk(ctx, ntpMonlistRequest(), func(b []byte) bool {
			m, err := parseNTPMonlist(b)
			if err != nil {
				return false
			}
			mon = m
			return true
		})
	}()
	seq := t.queryID()
	var vars map[string]string
	t.udpAsk(ctx, ntpReadVar(seq), func(b []byte) bool {
		v, err := parseNTPControl(b)
		if err != nil || binary.BigEndian.Uint16(b[2:]) != seq {
			return false
		}
		vars = v
		return true
	})
	<-done
	s := ntpService(a, vars, mon)
	if t.d.o.NoUDPChecks {
		delete(s.Facts, "ntp.monlist") // not asked: neither true nor false
	}
	return s, nil
}
