package portscan

// UDP services answer only a request they understand, so a UDP probe to a
// well-known port carries a real one; an empty datagram goes elsewhere.
// The requests are built from their RFCs here (nmap's payload file is not
// copied: its licence forbids it) and checked in the tests against
// independent parsers.

// UDPPayloads returns the requests sent to UDP port: pass p of the scan
// sends payloads[p % len] (SNMP tries v2c, then v1). Ports without a
// known service get one empty datagram.
func UDPPayloads(port uint16) [][]byte {
	switch port {
	case 53:
		return [][]byte{dnsQuery}
	case 69:
		return [][]byte{tftpRRQ}
	case 123:
		return [][]byte{ntpClient()}
	case 137:
		return [][]byte{netbiosNodeStatus()}
	case 161:
		return [][]byte{snmpGet(1), snmpGet(0)}
	case 1900:
		return [][]byte{[]byte(ssdpSearch)}
	case 5353:
		return [][]byte{mdnsQuery()}
	}
	return [][]byte{{}}
}

// dnsQuery asks for the root's NS records (RFC 1035 section 4.1): ID
// 0x7069, no flags (an iterative query: a resolver and an authoritative
// server both answer, with data, a referral or REFUSED), one question.
var dnsQuery = []byte{
	0x70, 0x69, // ID
	0x00, 0x00, // flags: standard query, RD clear
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // QD=1 AN=NS=AR=0
	0x00,       // QNAME: the root
	0x00, 0x02, // QTYPE NS
	0x00, 0x01, // QCLASS IN
}

// tftpRRQ is a read request (RFC 1350 section 5) in octet mode for a file
// no server has: it answers with an ERROR packet, which shows it there.
var tftpRRQ = append(append([]byte{0x00, 0x01}, "picket-probe\x00"...), "octet\x00"...)

// ntpClient is an NTPv4 client request (RFC 5905 section 7.3): LI 0, VN
// 4, mode 3, the rest zero but a transmit timestamp, which servers echo as
// the origin and some require to be non-zero.
func ntpClient() []byte {
	b := make([]byte, 48)
	b[0] = 0<<6 | 4<<3 | 3
	copy(b[40:], []byte{0xe9, 0x00, 0x00, 0x00, 0x70, 0x69, 0x63, 0x6b})
	return b
}

// netbiosNodeStatus is a NODE STATUS REQUEST (RFC 1002 section 4.2.17)
// for the wildcard name "*": the name is first-level encoded (each nibble
// + 'A', 32 characters for 16 bytes: '*' and 15 NULs).
func netbiosNodeStatus() []byte {
	b := []byte{
		0x70, 0x69, // NAME_TRN_ID
		0x00, 0x00, // opcode query, no flags
		0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // QD=1
		0x20, // name length 32
	}
	name := [16]byte{'*'}
	for _, c := range name {
		b = append(b, 'A'+c>>4, 'A'+c&0x0f)
	}
	return append(b, 0x00, 0x00, 0x21, 0x00, 0x01) // end of name, NBSTAT, IN
}

// snmpGet is a GetRequest for sysDescr.0 (1.3.6.1.2.1.1.1.0) with the
// community "public" (RFC 1157 for version 0 = v1, RFC 3416 for version
// 1 = v2c), BER-encoded (X.690) by hand: it is short and fixed.
func snmpGet(version byte) []byte {
	return []byte{
		0x30, 0x29, // Message SEQUENCE, 41 bytes
		0x02, 0x01, version, // version
		0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c', // community
		0xa0, 0x1c, // GetRequest-PDU, 28 bytes
		0x02, 0x04, 0x70, 0x69, 0x63, 0x6b, // request-id
		0x02, 0x01, 0x00, // error-status
		0x02, 0x01, 0x00, // error-index
		0x30, 0x0e, // variable-bindings
		0x30, 0x0c, // VarBind
		0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, // OID 1.3.6.1.2.1.1.1.0
		0x05, 0x00, // NULL
	}
}

// ssdpSearch is a UPnP M-SEARCH (UPnP Device Architecture 2.0 section
// 1.3.2), sent unicast.
const ssdpSearch = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n"

// mdnsQuery asks for the DNS-SD service list (RFC 6763 section 9) with
// the unicast-response bit (RFC 6762 section 5.4), so the host answers
// the scanner directly.
func mdnsQuery() []byte {
	b := []byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}
	for _, l := range []string{"_services", "_dns-sd", "_udp", "local"} {
		b = append(append(b, byte(len(l))), l...)
	}
	return append(b, 0x00, 0x00, 0x0c, 0x80, 0x01) // root, PTR, QU|IN
}
