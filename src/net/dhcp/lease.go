package dhcp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Default renewal (T1) and rebinding (T2) times as fractions of the lease
// time, used when the server sends no option 58/59 (RFC 2131 section 4.4.5)
// or sends inconsistent ones.
const (
	DefaultT1Fraction = 0.5
	DefaultT2Fraction = 0.875
)

// Lease is a DHCPv4 lease as the network manager applies it.
type Lease struct {
	// Address is the leased address with the prefix length from option 1
	// (or the address's classful mask when the server sent none).
	Address netip.Prefix
	// Routers, DNS and WINS (option 44, NetBIOS name servers) are in the
	// server's order; any may be empty.
	Routers []netip.Addr
	DNS     []netip.Addr
	WINS    []netip.Addr
	// Domain is option 15, or "".
	Domain string
	// ServerID is the server identifier (option 54) of the server that
	// granted or last extended the lease.
	ServerID netip.Addr
	// Obtained is when the request that this lease answers was sent, the
	// origin of LeaseTime, T1 and T2.
	Obtained  time.Time
	LeaseTime time.Duration
	T1        time.Duration
	T2        time.Duration

	ack *dhcpv4.DHCPv4
}

// RenewAt is when the client starts renewing with its server (T1).
func (l Lease) RenewAt() time.Time { return l.Obtained.Add(l.T1) }

// RebindAt is when the client starts broadcasting to any server (T2).
func (l Lease) RebindAt() time.Time { return l.Obtained.Add(l.T2) }

// ExpiresAt is when the address must no longer be used.
func (l Lease) ExpiresAt() time.Time { return l.Obtained.Add(l.LeaseTime) }

// ACK returns the DHCPACK the lease was parsed from (nil for a Lease built
// by hand).
func (l Lease) ACK() *dhcpv4.DHCPv4 { return l.ack }

// ParseLease reads a lease from a DHCPACK. obtained is when the request was
// sent. A missing option 58/59 defaults to 0.5/0.875 of the lease time, as do
// values that break 0 < T1 < T2 < lease time.
func ParseLease(ack *dhcpv4.DHCPv4, obtained time.Time) (Lease, error) {
	if ack == nil {
		return Lease{}, errors.New("dhcp: parse lease: no message")
	}
	if mt := ack.MessageType(); mt != dhcpv4.MessageTypeAck {
		return Lease{}, fmt.Errorf("dhcp: parse lease: message is %s, not ACK", mt)
	}
	addr, ok := addr4(ack.YourIPAddr)
	if !ok || addr.IsUnspecified() {
		return Lease{}, fmt.Errorf("dhcp: parse lease: no usable address in yiaddr (%v)", ack.YourIPAddr)
	}
	mask := ack.SubnetMask()
	if mask == nil {
		mask = ack.YourIPAddr.DefaultMask()
	}
	ones, bits := mask.Size()
	if bits != 32 {
		return Lease{}, fmt.Errorf("dhcp: parse lease: subnet mask %v is not a contiguous IPv4 mask", net.IP(mask))
	}
	server, ok := addr4(ack.ServerIdentifier())
	if !ok {
		// RFC 2131 requires option 54 in an ACK; fall back to siaddr.
		if server, ok = addr4(ack.ServerIPAddr); !ok || server.IsUnspecified() {
			return Lease{}, errors.New("dhcp: parse lease: ACK carries no server identifier (option 54)")
		}
	}
	leaseTime := ack.IPAddressLeaseTime(0)
	if leaseTime <= 0 {
		return Lease{}, errors.New("dhcp: parse lease: ACK carries no lease time (option 51)")
	}
	t1 := ack.IPAddressRenewalTime(0)
	t2 := ack.IPAddressRebindingTime(0)
	if t2 <= 0 || t2 >= leaseTime {
		t2 = time.Duration(float64(leaseTime) * DefaultT2Fraction)
	}
	if t1 <= 0 || t1 >= t2 {
		t1 = time.Duration(float64(leaseTime) * DefaultT1Fraction)
		if t1 >= t2 { // only when a server-sent T2 is below half the lease
			t1 = t2 / 2
		}
	}
	return Lease{
		Address:   netip.PrefixFrom(addr, ones),
		Routers:   addrs4(ack.Router()),
		DNS:       addrs4(ack.DNS()),
		WINS:      addrs4(ack.NetBIOSNameServers()),
		Domain:    ack.DomainName(),
		ServerID:  server,
		Obtained:  obtained,
		LeaseTime: leaseTime,
		T1:        t1,
		T2:        t2,
		ack:       ack,
	}, nil
}

func addr4(ip net.IP) (netip.Addr, bool) {
	ip4 := ip.To4()
	if ip4 == nil {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte(ip4)), true
}

func addrs4(ips []net.IP) []netip.Addr {
	var out []netip.Addr
	for _, ip := range ips {
		if a, ok := addr4(ip); ok {
			out = append(out, a)
		}
	}
	return out
}
