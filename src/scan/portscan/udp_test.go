package portscan

import (
	"bufio"
	"bytes"
	"encoding/asn1"
	"net/http"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// The payloads are checked against independent parsers (x/net's DNS
// message parser, encoding/asn1, net/http) and bytes derived from the
// RFCs by hand.

func question(t *testing.T, b []byte) (dnsmessage.Header, dnsmessage.Question) {
	t.Helper()
	var p dnsmessage.Parser
	h, err := p.Start(b)
	if err != nil {
		t.Fatalf("parse header: %v", err)
	}
	q, err := p.Question()
	if err != nil {
		t.Fatalf("parse question: %v", err)
	}
	if _, err := p.Question(); err != dnsmessage.ErrSectionDone {
		t.Fatalf("more than one question: %v", err)
	}
	return h, q
}

func TestDNSPayload(t *testing.T) {
	h, q := question(t, UDPPayloads(53)[0])
	if h.Response || h.RecursionDesired || h.OpCode != 0 {
		t.Errorf("header %+v: want a plain iterative query", h)
	}
	if q.Name.String() != "." || q.Type != dnsmessage.TypeNS || q.Class != dnsmessage.ClassINET {
		t.Errorf("question %v", q)
	}
}

func TestMDNSPayload(t *testing.T) {
	_, q := question(t, UDPPayloads(5353)[0])
	if q.Name.String() != "_services._dns-sd._udp.local." || q.Type != dnsmessage.TypePTR || q.Class != 0x8001 {
		t.Errorf("question %v: want the DNS-SD service list, PTR, IN with the unicast-response bit", q)
	}
}

func TestNetBIOSPayload(t *testing.T) {
	// NetBIOS name service messages are DNS-shaped (RFC 1002 4.2.1).
	_, q := question(t, UDPPayloads(137)[0])
	// "*" padded with NULs, first-level encoded (RFC 1001 14.1): '*' is
	// 0x2A -> 'C' 'K', each NUL -> 'A' 'A'.
	if want := "CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA."; q.Name.String() != want || q.Type != 0x21 || q.Class != dnsmessage.ClassINET {
		t.Errorf("question %v: want %s NBSTAT IN", q, want)
	}
}

func TestSNMPPayloads(t *testing.T) {
	ps := UDPPayloads(161)
	if len(ps) != 2 {
		t.Fatalf("%d SNMP payloads, want v2c and v1", len(ps))
	}
	for i, wantVersion := range []int{1, 0} { // RFC 3416 / RFC 1157 version numbers
		var msg struct {
			Version   int
			Community []byte
			PDU       asn1.RawValue
		}
		rest, err := asn1.Unmarshal(ps[i], &msg)
		if err != nil || len(rest) != 0 {
			t.Fatalf("payload %d: %v (rest %d)", i, err, len(rest))
		}
		if msg.Version != wantVersion || string(msg.Community) != "public" {
			t.Errorf("payload %d: version %d community %q", i, msg.Version, msg.Community)
		}
		if msg.PDU.Class != asn1.ClassContextSpecific || msg.PDU.Tag != 0 || !msg.PDU.IsCompound {
			t.Errorf("payload %d: PDU class %d tag %d: want GetRequest [0]", i, msg.PDU.Class, msg.PDU.Tag)
		}
		var reqID, errStatus, errIndex int
		var binds []struct {
			Name  asn1.ObjectIdentifier
			Value asn1.RawValue
		}
		b := msg.PDU.Bytes
		for _, v := range []any{&reqID, &errStatus, &errIndex, &binds} {
			if b, err = asn1.Unmarshal(b, v); err != nil {
				t.Fatalf("payload %d: PDU field: %v", i, err)
			}
		}
		if len(binds) != 1 || !binds[0].Name.Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 2, 1, 1, 1, 0}) || binds[0].Value.Tag != asn1.TagNull {
			t.Errorf("payload %d: bindings %+v: want sysDescr.0 = NULL", i, binds)
		}
	}
}

func TestNTPPayload(t *testing.T) {
	b := UDPPayloads(123)[0]
	// RFC 5905 figure 8: LI (2 bits) 0, VN (3) 4, Mode (3) 3 client:
	// 00 100 011 = 0x23; 48 bytes; transmit timestamp at 40.
	if len(b) != 48 || b[0] != 0x23 {
		t.Errorf("NTP request %x", b)
	}
	if bytes.Equal(b[40:48], make([]byte, 8)) {
		t.Error("transmit timestamp is zero")
	}
}

func TestTFTPPayload(t *testing.T) {
	// RFC 1350 figure 5-1: opcode 1 (RRQ), filename, 0, mode, 0.
	want := []byte("\x00\x01picket-probe\x00octet\x00")
	if got := UDPPayloads(69)[0]; !bytes.Equal(got, want) {
		t.Errorf("TFTP RRQ %q, want %q", got, want)
	}
}

func TestSSDPPayload(t *testing.T) {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(UDPPayloads(1900)[0])))
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "M-SEARCH" || req.RequestURI != "*" || req.Host != "239.255.255.250:1900" ||
		req.Header.Get("MAN") != `"ssdp:discover"` || req.Header.Get("ST") != "ssdp:all" || req.Header.Get("MX") != "1" {
		t.Errorf("M-SEARCH %+v", req)
	}
}

func TestOtherPortsGetAnEmptyDatagram(t *testing.T) {
	if ps := UDPPayloads(40125); len(ps) != 1 || len(ps[0]) != 0 {
		t.Errorf("payloads %q", ps)
	}
}
