package menu

import (
	"net/netip"
	"testing"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// fuzzState builds a state from the first bytes of the input: every mode
// and method, proxy and split networking on or off, a pushed scanning
// VLAN, every phase and platform state, a scan or update running.
func fuzzState(b []byte) State {
	get := func(i int) byte {
		if i < len(b) {
			return b[i]
		}
		return 0
	}
	var st State
	switch get(0) % 5 {
	case 0:
		st = dhcpState()
	case 1:
		st = staticState()
	case 2:
		st = v6State()
	case 3:
		st = v6State()
		st.Config.LANv6 = netcfg.LANv6{Method: netcfg.IPv6Static, Address: prefix("2001:db8::5/64"), Gateway: addr("fe80::1"), DNS1: addr("2001:db8::53")}
		st.Config.Proxy = netcfg.Proxy{Host: "2001:db8::8", Port: 8080, User: "u", Password: netcfg.NewSecret("p w")}
	default:
		st = dhcpState()
		st.Config.WAN.Method = netcfg.WANDHCP
		st.Config.Link.WAN = netcfg.Link10Half
		st.Status.WAN.Address = prefix("192.168.1.77/24") // same subnet as the lease
	}
	f := get(1)
	if f&1 != 0 {
		st.Config.Platform.ScanVLANs = []netcfg.ScanVLAN{{ID: 7, Address: prefix("10.7.0.5/24")}}
	}
	if f&2 != 0 {
		st.Status.ScanRunning = true
	}
	if f&4 != 0 {
		st.Status.UpdateRunning = true
		// Any phase (also ones that are not "running"), any percentage,
		// a version and an error too long for a row.
		st.Status.Update = UpdateState{Phase: UpdatePhase(get(5) % 12), Percent: int(int8(get(4))) * 2,
			Channel: UpdateChannel(get(3) % 4), Version: "6.8.0-1~really.long.version+build.20261210",
			Error: "download stalled: less than 1 KiB/s for 60s from the platform"}
	}
	if f&8 != 0 {
		st.Status.LAN = IPv4Addrs{Address: prefix("10.0.0.0/8"), Gateway: addr("224.0.0.1")} // nonsense lease
		st.Status.LAN6 = IPv6Addrs{Address: netip.PrefixFrom(addr("::1"), 200)}
	}
	st.Status.Platform = Platform(get(2) % 6)
	st.Status.Failure = Failure{Step: Step(get(3) % 9), Reason: "GATEWAY UNREACHABLE FROM THE LAN PORT"}
	st.Status.Test = TestReport{State: TestState(get(3) % 5), Failure: Failure{Step: Step(get(2) % 9)}}
	if get(4)%8 == 0 {
		st.Status.Phase = Phase(get(5) % 9)
	}
	return st
}

func fuzzEvent(b byte, next byte) keyevent.Event {
	switch b % 12 {
	case 0, 1:
		return keyevent.Press(keyevent.Down)
	case 2:
		return keyevent.Press(keyevent.Up)
	case 3:
		return keyevent.Press(keyevent.Left)
	case 4:
		return keyevent.Press(keyevent.Right)
	case 5, 6, 7:
		return keyevent.Press(keyevent.Enter)
	case 8:
		return keyevent.Press(keyevent.Clear)
	case 9, 10:
		return keyevent.Type(rune(next))
	}
	return keyevent.Event{Key: keyevent.Key(next % 10), Rune: rune(next)}
}

// FuzzMenu feeds random keys, and now and then a new state, to a menu on
// both panels: it never panics, every frame fits, and every request that
// carries a configuration carries one that passes Validate.
func FuzzMenu(f *testing.F) {
	seeds := []string{
		`ENTER DOWN*3 ENTER ENTER CLEAR "10.1.2.3" ENTER ENTER "10.1.2.1" ENTER "10.1.2.2" ENTER ENTER ENTER ENTER ENTER ENTER ENTER`,
		`ENTER DOWN*4 ENTER ENTER ENTER ENTER ENTER "jdoe" ENTER "pw" ENTER ENTER`,
		`ENTER DOWN*9 ENTER DOWN ENTER`,
		`ENTER DOWN*5 ENTER DOWN ENTER ENTER "172.16.5.10" ENTER ENTER "172.16.5.1" ENTER "172.16.5.2" ENTER ENTER ENTER`,
		`ENTER DOWN ENTER "7" ENTER ENTER`,
		`ENTER DOWN*8 ENTER DOWN RIGHT ENTER ENTER`,
		`ENTER DOWN ENTER DOWN*5 RIGHT RIGHT`,
	}
	for i, s := range seeds {
		b := []byte{byte(i), byte(i * 3), byte(i), byte(i), 1, 0}
		for _, ev := range parseKeys(f, s) {
			switch ev.Key {
			case keyevent.Down:
				b = append(b, 0)
			case keyevent.Up:
				b = append(b, 2)
			case keyevent.Left:
				b = append(b, 3)
			case keyevent.Right:
				b = append(b, 4)
			case keyevent.Enter:
				b = append(b, 5)
			case keyevent.Clear:
				b = append(b, 8)
			case keyevent.Char:
				b = append(b, 9, byte(ev.Rune))
			}
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, g := range []frame.Geometry{frame.LCD16x2(), frame.LCD20x4()} {
			st := fuzzState(data)
			m := New(g, st)
			for i := 6; i < len(data); i++ {
				b, next := data[i], byte(0)
				if i+1 < len(data) {
					next = data[i+1]
				}
				if b == 255 {
					// A new state from the daemons, built from what follows.
					m.Update(fuzzState(data[i+1:]))
					continue
				}
				ev := fuzzEvent(b, next)
				if ev.Key == keyevent.Char || b%12 == 11 {
					i++
				}
				res := m.Handle(ev)
				if fr := m.Render(); !fr.Fits(g) {
					t.Fatalf("frame does not fit %v after %v:\n%s", g, ev, fr)
				}
				if r := res.Request; r != nil {
					if r.Action == ActionNone || r.Action > ActionShutdown {
						t.Fatalf("request with action %v", r.Action)
					}
					if r.Action.HasConfig() {
						if err := r.Config.Validate(); err != nil {
							t.Fatalf("request %v carries an invalid config: %v", r.Action, err)
						}
					} else if !netcfg.Equal(r.Config, netcfg.Config{}) {
						t.Fatalf("request %v carries a config", r.Action)
					}
				}
			}
		}
	})
}
