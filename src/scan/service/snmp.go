package service

import (
	"fmt"
	"regexp"
	"strings"

	"picket.dev/picket/src/scan/result"
)

// SNMP v1/v2c (RFC 1157, RFC 3416): one GetRequest for sysDescr.0 and sysObjectID.0
// (RFC 3418) with community "public".

const (
	oidSysDescr    = "1.3.6.1.2.1.1.1.0"
	oidSysObjectID = "1.3.6.1.2.1.1.2.0"
)

// snmpGet encodes a GetRequest; version 0 is v1, 1 is v2c.
func snmpGet(version int64, community string, reqID int32) []byte {
	vb := func(oid string) []byte { return berSeq(0x30, berOID(oid), []byte{0x05, 0x00}) }
	pdu := berSeq(0xa0,
		berInt(0x02, int64(reqID)),
		berInt(0x02, 0), // error-status
		berInt(0x02, 0), // error-index
		berSeq(0x30, vb(oidSysDescr), vb(oidSysObjectID)),
	)
	return berSeq(0x30, berInt(0x02, version), berTLV(0x04, []byte(community)), pdu)
}

// snmpAnswer is a GetResponse's fields.
type snmpAnswer struct {
	Version     int64
	Community   string
	RequestID   int32
	ErrorStatus int64
	// Vars maps each OID to its value as text (OCTET STRING as is, OBJECT
	// IDENTIFIER dotted, INTEGER decimal).
	Vars map[string]string
}

// parseSNMPResponse reads an SNMP v1/v2c message holding a GetResponse PDU (0xa2).
func parseSNMPResponse(b []byte) (*snmpAnswer, error) {
	msg, _, err := berExpect(b, 0x30)
	if err != nil {
		return nil, err
	}
	vc, msg, err := berExpect(msg, 0x02)
	if err != nil {
		return nil, err
	}
	a := &snmpAnswer{Vars: map[string]string{}}
	if a.Version, err = berIntValue(vc); err != nil {
		return nil, err
	}
	cc, msg, err := berExpect(msg, 0x04)
	if err != nil {
		return nil, err
	}
	a.Community = string(cc)
	pdu, _, err := berExpect(msg, 0xa2)
	if err != nil {
		return nil, err
	}
	var fields [3]int64
	for i := range fields {
		var c []byte
		if c, pdu, err = berExpect(pdu, 0x02); err != nil {
			return nil, err
		}
		if fields[i], err = berIntValue(c); err != nil {
			return nil, err
		}
	}
	a.RequestID, a.ErrorStatus = int32(fields[0]), fields[1]
	list, _, err := berExpect(pdu, 0x30)
	if err != nil {
		return nil, err
	}
	for len(list) > 0 {
		var vb []byte
		if vb, list, err = berExpect(list, 0x30); err != nil {
			return nil, err
		}
		oc, rest, err := berExpect(vb, 0x06)
		if err != nil {
			return nil, err
		}
		oid, err := berOIDString(oc)
		if err != nil {
			return nil, err
		}
		tag, val, _, err := berRead(rest)
		if err != nil {
			return nil, err
		}
		switch tag {
		case 0x04:
			a.Vars[oid] = string(val)
		case 0x06:
			if s, err := berOIDString(val); err == nil {
				a.Vars[oid] = s
			}
		case 0x02:
			if v, err := berIntValue(val); err == nil {
				a.Vars[oid] = fmt.Sprint(v)
			}
		}
	}
	return a, nil
}

// snmpEnterprises names the agents of a few private enterprise numbers (IANA
// registry) a sysObjectID starts with 1.3.6.1.4.1.<n>.
var snmpEnterprises = map[string]string{
	"8072":  "net-snmp",
	"311":   "Microsoft Windows SNMP service",
	"9":     "Cisco SNMP service",
	"2636":  "Juniper SNMP agent",
	"14988": "MikroTik RouterOS SNMP",
	"11":    "HP SNMP agent",
	"6876":  "VMware SNMP service",
}

var snmpOS = []struct {
	re *regexp.Regexp
	os string
}{
	{regexp.MustCompile(`^Linux `), "Linux"},
	{regexp.MustCompile(`Windows`), "Windows"},
	{regexp.MustCompile(`Cisco IOS`), "IOS"},
	{regexp.MustCompile(`^FreeBSD `), "FreeBSD"},
	{regexp.MustCompile(`RouterOS`), "RouterOS"},
}

// snmpService describes an SNMP agent from its answer.
func snmpService(a *snmpAnswer, version string) *result.Service {
	s := &result.Service{Name: "snmp", Method: "probe:snmp-" + version}
	setFact(s, "snmp.version", version)
	setFact(s, "snmp.community", a.Community)
	if d, ok := a.Vars[oidSysDescr]; ok {
		setFact(s, "snmp.sysdescr", printable(d))
		s.Banner = printable(d)
		for _, o := range snmpOS {
			if o.re.MatchString(d) {
				s.OS = o.os
				break
			}
		}
	}
	if oid, ok := a.Vars[oidSysObjectID]; ok {
		setFact(s, "snmp.sysobjectid", oid)
		if rest, ok := strings.CutPrefix(oid, "1.3.6.1.4.1."); ok {
			ent, _, _ := strings.Cut(rest, ".")
			s.Product = snmpEnterprises[ent]
		}
	}
	return s
}
