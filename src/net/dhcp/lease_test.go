package dhcp

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

func TestParseLease(t *testing.T) {
	ips := func(s ...string) []net.IP {
		var out []net.IP
		for _, x := range s {
			out = append(out, net.ParseIP(x))
		}
		return out
	}
	full := []dhcpv4.Modifier{
		dhcpv4.WithOption(dhcpv4.OptRouter(ips("192.0.2.254", "192.0.2.253")...)),
		dhcpv4.WithOption(dhcpv4.OptDNS(ips("192.0.2.53", "198.51.100.53")...)),
		dhcpv4.WithOption(dhcpv4.OptDomainName("corp.example")),
		dhcpv4.WithOption(dhcpv4.OptNetBIOSNameServers(ips("192.0.2.44", "192.0.2.45")...)),
	}
	t1t2 := func(t1, t2 time.Duration) []dhcpv4.Modifier {
		return []dhcpv4.Modifier{
			dhcpv4.WithOption(dhcpv4.OptRenewTimeValue(t1)),
			dhcpv4.WithOption(dhcpv4.OptRebindingTimeValue(t2)),
		}
	}
	cases := []struct {
		name   string
		msg    func(t *testing.T) *dhcpv4.DHCPv4
		want   Lease // compared field by field; ack ignored
		errHas string
	}{{
		name: "all options, default T1/T2",
		msg: func(t *testing.T) *dhcpv4.DHCPv4 {
			return reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 3600, full...)
		},
		want: Lease{
			Address:  netip.MustParsePrefix("192.0.2.10/24"),
			Routers:  []netip.Addr{netip.MustParseAddr("192.0.2.254"), netip.MustParseAddr("192.0.2.253")},
			DNS:      []netip.Addr{netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("198.51.100.53")},
			WINS:     []netip.Addr{netip.MustParseAddr("192.0.2.44"), netip.MustParseAddr("192.0.2.45")},
			Domain:   "corp.example",
			ServerID: serverA, LeaseTime: time.Hour, T1: 30 * time.Minute, T2: 52*time.Minute + 30*time.Second,
		},
	}, {
		name: "server T1/T2",
		msg: func(t *testing.T) *dhcpv4.DHCPv4 {
			return reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 3600, t1t2(600*time.Second, 1200*time.Second)...)
		},
		want: Lease{Address: netip.MustParsePrefix("192.0.2.10/24"), ServerID: serverA, LeaseTime: time.Hour, T1: 10 * time.Minute, T2: 20 * time.Minute},
	}, {
		name: "T2 past the lease: both default",
		msg: func(t *testing.T) *dhcpv4.DHCPv4 {
			return reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 1000, t1t2(400*time.Second, 2000*time.Second)...)
		},
		want: Lease{Address: netip.MustParsePrefix("192.0.2.10/24"), ServerID: serverA, LeaseTime: 1000 * time.Second, T1: 400 * time.Second, T2: 875 * time.Second},
	}, {
		name: "T1 after T2: T1 defaults",
		msg: func(t *testing.T) *dhcpv4.DHCPv4 {
			return reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 1000, t1t2(900*time.Second, 800*time.Second)...)
		},
		want: Lease{Address: netip.MustParsePrefix("192.0.2.10/24"), ServerID: serverA, LeaseTime: 1000 * time.Second, T1: 500 * time.Second, T2: 800 * time.Second},
	}, {
		name: "short server T2: T1 is half of it",
		msg: func(t *testing.T) *dhcpv4.DHCPv4 {
			return reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 1000, dhcpv4.WithOption(dhcpv4.OptRebindingTimeValue(300*time.Second)))
		},
		want: Lease{Address: netip.MustParsePrefix("192.0.2.10/24"), ServerID: serverA, LeaseTime: 1000 * time.Second, T1: 150 * time.Second, T2: 300 * time.Second},
	}, {
		name: "no subnet mask: classful",
		msg: func(t *testing.T) *dhcpv4.DHCPv4 {
			m := reply(t, dhcpv4.MessageTypeAck, serverA, netip.MustParseAddr("10.1.2.3"), 120)
			m.Options.Del(dhcpv4.OptionSubnetMask)
			return m
		},
		want: Lease{Address: netip.MustParsePrefix("10.1.2.3/8"), ServerID: serverA, LeaseTime: 120 * time.Second, T1: 60 * time.Second, T2: 105 * time.Second},
	}, {
		name: "no option 54: siaddr",
		msg: func(t *testing.T) *dhcpv4.DHCPv4 {
			m := reply(t, dhcpv4.MessageTypeAck, serverB, addr1, 1000)
			m.Options.Del(dhcpv4.OptionServerIdentifier)
			return m
		},
		want: Lease{Address: netip.MustParsePrefix("192.0.2.10/24"), ServerID: serverB, LeaseTime: 1000 * time.Second, T1: 500 * time.Second, T2: 875 * time.Second},
	}, {
		name:   "not an ACK",
		msg:    func(t *testing.T) *dhcpv4.DHCPv4 { return reply(t, dhcpv4.MessageTypeOffer, serverA, addr1, 1000) },
		errHas: "OFFER, not ACK",
	}, {
		name:   "no lease time",
		msg:    func(t *testing.T) *dhcpv4.DHCPv4 { return reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 0) },
		errHas: "no lease time",
	}, {
		name: "no address",
		msg: func(t *testing.T) *dhcpv4.DHCPv4 {
			return reply(t, dhcpv4.MessageTypeAck, serverA, netip.IPv4Unspecified(), 1000)
		},
		errHas: "no usable address",
	}, {
		name: "no server at all",
		msg: func(t *testing.T) *dhcpv4.DHCPv4 {
			m := reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 1000)
			m.Options.Del(dhcpv4.OptionServerIdentifier)
			m.ServerIPAddr = net.IPv4zero
			return m
		},
		errHas: "no server identifier",
	}, {
		name: "non-contiguous mask",
		msg: func(t *testing.T) *dhcpv4.DHCPv4 {
			return reply(t, dhcpv4.MessageTypeAck, serverA, addr1, 1000, dhcpv4.WithNetmask(net.IPv4Mask(255, 0, 255, 0)))
		},
		errHas: "not a contiguous",
	}, {
		name:   "nil",
		msg:    func(t *testing.T) *dhcpv4.DHCPv4 { return nil },
		errHas: "no message",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := tc.msg(t)
			got, err := ParseLease(msg, epoch)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err %v, want one containing %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := tc.want
			if got.Address != w.Address || !slices.Equal(got.Routers, w.Routers) || !slices.Equal(got.DNS, w.DNS) ||
				!slices.Equal(got.WINS, w.WINS) || got.Domain != w.Domain || got.ServerID != w.ServerID ||
				got.LeaseTime != w.LeaseTime || got.T1 != w.T1 || got.T2 != w.T2 || !got.Obtained.Equal(epoch) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
			if got.ACK() != msg {
				t.Error("ACK() is not the parsed message")
			}
			if got.RenewAt() != epoch.Add(w.T1) || got.RebindAt() != epoch.Add(w.T2) || got.ExpiresAt() != epoch.Add(w.LeaseTime) {
				t.Errorf("times: %v %v %v", got.RenewAt(), got.RebindAt(), got.ExpiresAt())
			}
		})
	}
}

func TestNakErrorMessage(t *testing.T) {
	e := nakError(reply(t, dhcpv4.MessageTypeNak, serverA, netip.Addr{}, 0, dhcpv4.WithOption(dhcpv4.OptMessage("address in use"))))
	if got, want := e.Error(), "DHCPNAK from 192.0.2.1: address in use"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := (&NakError{}).Error(); got != "DHCPNAK" {
		t.Errorf("bare: %q", got)
	}
}

// TestUDP4 checks the headers srcConn puts on a renewal: addresses, ports,
// lengths and both checksums (a receiving kernel drops a frame with a bad one).
func TestUDP4(t *testing.T) {
	payload := []byte("picket dhcp renew") // odd length
	src, dst := netip.MustParseAddr("10.213.7.119"), netip.MustParseAddr("10.213.7.1")
	p := udp4(payload, src, 68, dst, 67)
	if len(p) != 28+len(payload) || p[0] != 0x45 || p[9] != 17 || int(p[2])<<8|int(p[3]) != len(p) {
		t.Fatalf("IPv4 header % x", p[:20])
	}
	if sum16(0, p[:20]) != 0xffff {
		t.Error("IPv4 header checksum does not verify")
	}
	if netip.AddrFrom4([4]byte(p[12:16])) != src || netip.AddrFrom4([4]byte(p[16:20])) != dst {
		t.Errorf("addresses % x", p[12:20])
	}
	u := p[20:]
	if int(u[0])<<8|int(u[1]) != 68 || int(u[2])<<8|int(u[3]) != 67 || int(u[4])<<8|int(u[5]) != len(u) {
		t.Errorf("UDP header % x", u[:8])
	}
	pseudo := uint32(sum16(0, p[12:20])) + 17 + uint32(len(u))
	if sum16(pseudo, u) != 0xffff {
		t.Error("UDP checksum does not verify")
	}
	if string(u[8:]) != string(payload) {
		t.Error("payload changed")
	}
}
