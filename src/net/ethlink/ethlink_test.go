package ethlink

// Tests of the mode <-> kernel mapping and of Set's decisions against a
// fake driver, for the paths this machine's kernel cannot produce (a NIC
// with a supported-mode mask, a driver without the link settings API, a
// driver that accepts a setting and does not apply it). netns_test.go runs
// the same code against the real kernel.

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/net/netcfg"
)

func TestModeMapping(t *testing.T) {
	tests := []struct {
		m      netcfg.LinkMode
		bit    int
		speed  uint32
		duplex uint8
		forced bool
	}{
		{netcfg.LinkAuto, bitAutoneg, 0, 0, false},
		{netcfg.Link1000Full, bit1000baseTFull, 1000, duplexFull, true},
		{netcfg.Link100Full, bit100baseTFull, 100, duplexFull, true},
		{netcfg.Link100Half, bit100baseTHalf, 100, duplexHalf, true},
		{netcfg.Link10Full, bit10baseTFull, 10, duplexFull, true},
		{netcfg.Link10Half, bit10baseTHalf, 10, duplexHalf, true},
	}
	if len(tests) != len(netcfg.LinkModes()) {
		t.Fatalf("table has %d modes, netcfg.LinkModes() %d", len(tests), len(netcfg.LinkModes()))
	}
	// The kernel's numbers (include/uapi/linux/ethtool.h), spelled out.
	if bit10baseTHalf != 0 || bit10baseTFull != 1 || bit100baseTHalf != 2 || bit100baseTFull != 3 ||
		bit1000baseTHalf != 4 || bit1000baseTFull != 5 || bitAutoneg != 6 {
		t.Errorf("link-mode bit numbers differ from the kernel's")
	}
	for _, tc := range tests {
		bit, ok := modeBit(tc.m)
		if !ok || bit != tc.bit {
			t.Errorf("modeBit(%v) = %d, %v; want %d", tc.m, bit, ok, tc.bit)
		}
		speed, duplex, forced := forcedFields(tc.m)
		if speed != tc.speed || duplex != tc.duplex || forced != tc.forced {
			t.Errorf("forcedFields(%v) = %d, %d, %v; want %d, %d, %v", tc.m, speed, duplex, forced, tc.speed, tc.duplex, tc.forced)
		}
	}
	if _, ok := modeBit(netcfg.LinkMode(99)); ok {
		t.Errorf("modeBit(99) ok; want not")
	}
}

func TestSupportedModes(t *testing.T) {
	bits := func(bs ...int) []uint32 {
		m := make([]uint32, 3)
		for _, b := range bs {
			m[b/32] |= 1 << (b % 32)
		}
		return m
	}
	tests := []struct {
		name string
		mask []uint32
		want []netcfg.LinkMode
	}{
		{"none (virtual device)", bits(), nil},
		{"e1000-like", bits(0, 1, 2, 3, 5, 6, 7), netcfg.LinkModes()},
		{"100 Mb/s only, no autoneg", bits(2, 3), []netcfg.LinkMode{netcfg.Link100Full, netcfg.Link100Half}},
		{"1000baseT half is not a panel mode", bits(4, 6), []netcfg.LinkMode{netcfg.LinkAuto}},
		{"10G and 1000baseX (bit 41) only", bits(12, 41), nil},
	}
	for _, tc := range tests {
		if got := supportedModes(tc.mask); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: supportedModes(%#x) = %v; want %v", tc.name, tc.mask, got, tc.want)
		}
	}
}

// linkSettings builds a struct ethtool_link_settings, as the kernel
// returns it, with nwords mask words.
func linkSettings(nwords int, autoneg bool, speed uint32, duplex uint8, sup, adv uint32) raw {
	r := raw{buf: make([]byte, lsHeader+12*nwords), nwords: nwords}
	ne.PutUint32(r.buf[lsCmd:], unix.ETHTOOL_GLINKSETTINGS)
	r.buf[lsNwords] = uint8(nwords)
	r.setAutoneg(autoneg)
	r.setSpeedDuplex(speed, duplex)
	ne.PutUint32(r.buf[lsHeader:], sup)
	r.setAdvertising([]uint32{adv})
	return r
}

// ethtoolCmd builds a legacy struct ethtool_cmd.
func ethtoolCmd(autoneg bool, speed uint32, duplex uint8, sup, adv uint32) raw {
	r := raw{legacy: true, buf: make([]byte, ecSize)}
	ne.PutUint32(r.buf[ecCmd:], unix.ETHTOOL_GSET)
	r.setAutoneg(autoneg)
	r.setSpeedDuplex(speed, duplex)
	ne.PutUint32(r.buf[ecSupported:], sup)
	r.setAdvertising([]uint32{adv})
	return r
}

func TestDecode(t *testing.T) {
	all := []netcfg.LinkMode(netcfg.LinkModes())
	tests := []struct {
		name string
		r    raw
		want Settings
		mode netcfg.LinkMode
		ok   bool
	}{
		{"autoneg at 1000 full", linkSettings(4, true, 1000, duplexFull, 0x6f, 0x6f),
			Settings{Autoneg: true, SpeedMbps: 1000, Duplex: DuplexFull, Supported: all}, netcfg.LinkAuto, true},
		{"forced 100 half", linkSettings(4, false, 100, duplexHalf, 0x6f, 0),
			Settings{SpeedMbps: 100, Duplex: DuplexHalf, Supported: all}, netcfg.Link100Half, true},
		{"link down", linkSettings(3, false, speedUnknown, duplexUnknown, 0, 0),
			Settings{}, 0, false},
		{"tap default 10G", linkSettings(4, false, 10000, duplexFull, 0, 0),
			Settings{SpeedMbps: 10000, Duplex: DuplexFull}, 0, false},
		{"legacy forced 10 full", ethtoolCmd(false, 10, duplexFull, 0x0f, 0x0f),
			Settings{SpeedMbps: 10, Duplex: DuplexFull, Supported: []netcfg.LinkMode{netcfg.Link100Full, netcfg.Link100Half, netcfg.Link10Full, netcfg.Link10Half}, Legacy: true}, netcfg.Link10Full, true},
		{"legacy speed_hi (100 Gb/s)", ethtoolCmd(false, 100000, duplexFull, 0, 0),
			Settings{SpeedMbps: 100000, Duplex: DuplexFull, Legacy: true}, 0, false},
		{"legacy unknown speed", ethtoolCmd(true, speedUnknown, duplexUnknown, 0x40, 0x40),
			Settings{Autoneg: true, Supported: []netcfg.LinkMode{netcfg.LinkAuto}, Legacy: true}, netcfg.LinkAuto, true},
	}
	for _, tc := range tests {
		got := decode(tc.r)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: decode = %+v; want %+v", tc.name, got, tc.want)
		}
		if m, ok := got.Mode(); m != tc.mode || ok != tc.ok {
			t.Errorf("%s: Mode() = %v, %v; want %v, %v", tc.name, m, ok, tc.mode, tc.ok)
		}
	}
	if got := ethtoolCmd(false, 100000, duplexFull, 0, 0); ne.Uint16(got.buf[ecSpeed:]) != 100000&0xffff || ne.Uint16(got.buf[ecSpeedHi:]) != 1 {
		t.Errorf("legacy speed 100000 split as %d/%d; want %d/1", ne.Uint16(got.buf[ecSpeed:]), ne.Uint16(got.buf[ecSpeedHi:]), 100000&0xffff)
	}
}

func TestRequest(t *testing.T) {
	for _, cur := range []raw{linkSettings(4, false, 10, duplexHalf, 0x6f, 0x03), ethtoolCmd(false, 10, duplexHalf, 0x6f, 0x03)} {
		if !cur.legacy {
			cur.buf[lsMasterSlaveCfg], cur.buf[lsMasterSlaveSt] = 1, 2
		}
		before := cur.clone()
		for _, m := range netcfg.LinkModes() {
			r := request(cur, m)
			if !reflect.DeepEqual(cur, before) {
				t.Fatalf("request modified the settings it was given")
			}
			wantCmd := uint32(unix.ETHTOOL_SLINKSETTINGS)
			if r.legacy {
				wantCmd = unix.ETHTOOL_SSET
			}
			if got := ne.Uint32(r.buf); got != wantCmd {
				t.Errorf("legacy=%v %v: cmd %#x; want %#x", r.legacy, m, got, wantCmd)
			}
			if !r.legacy && (r.buf[lsMasterSlaveCfg] != 0 || r.buf[lsMasterSlaveSt] != 0) {
				t.Errorf("%v: master/slave fields not cleared (the kernel refuses them)", m)
			}
			if speed, duplex, forced := forcedFields(m); forced {
				if r.autoneg() || r.speed() != speed || r.duplex() != duplex || r.advertising()[0] != 0x03 {
					t.Errorf("legacy=%v %v: request %s, advertising %#x", r.legacy, m, decode(r), r.advertising())
				}
			} else if !r.autoneg() || r.advertising()[0] != 0x6f || r.speed() != 10 {
				t.Errorf("legacy=%v AUTO: request %s, advertising %#x; want autoneg advertising 0x6f", r.legacy, decode(r), r.advertising())
			}
			if !taken(r, m) {
				t.Errorf("legacy=%v %v: taken(request) false", r.legacy, m)
			}
		}
	}
}

// fakeNIC is a driver behind ethtoolFunc: it keeps link settings and
// answers the requests as the kernel does, with knobs for misbehaviour.
type fakeNIC struct {
	name      string
	nwords    int
	legacy    bool // no ETHTOOL_[GS]LINKSETTINGS, as on an old kernel
	supported uint32
	autoneg   bool
	speed     uint32
	duplex    uint8
	adv       uint32

	refuse       error // a set fails with this
	changeAnyway bool  // ... after applying it, once
	ignore       bool  // a set succeeds and changes nothing
	wrongThenEIO bool  // a set applies 10 half; later ones fail with EIO
	sets         int   // set requests that reached the driver
	// staleReads: after a set, this many reads still show the settings
	// before it (a driver that resets the adapter to apply them).
	staleReads int
	stale      *fakeNIC

	// As e1000: speed and duplex read unknown while the link is down, and
	// after a set while the link renegotiates; forced 1000 full turns
	// into auto-negotiation advertising only it; a forced speed and
	// duplex that is none of 10/100 half/full is EINVAL.
	linkDown     bool
	renegotiates bool
	e1000        bool
}

// shown is the speed and duplex the fake reports.
func (f *fakeNIC) shown() (uint32, uint8) {
	if f.linkDown || (f.renegotiates && f.sets > 0) {
		return speedUnknown, duplexUnknown
	}
	return f.speed, f.duplex
}

func (f *fakeNIC) ethtool(ifname string, b []byte) error {
	if ifname != f.name {
		return unix.ENODEV
	}
	if cmd := ne.Uint32(b); f.stale != nil && (cmd == unix.ETHTOOL_GLINKSETTINGS || cmd == unix.ETHTOOL_GSET) {
		old := f.stale
		if f.staleReads--; f.staleReads <= 0 {
			f.stale = nil
		}
		return old.ethtool(ifname, b)
	}
	switch cmd := ne.Uint32(b); cmd {
	case unix.ETHTOOL_GLINKSETTINGS, unix.ETHTOOL_SLINKSETTINGS:
		if f.legacy {
			return unix.EOPNOTSUPP
		}
		if n := int(int8(b[lsNwords])); n != f.nwords {
			if cmd == unix.ETHTOOL_SLINKSETTINGS {
				return unix.EINVAL
			}
			clear(b[:lsHeader])
			ne.PutUint32(b, cmd)
			b[lsNwords] = uint8(int8(-f.nwords))
			return nil
		}
		if cmd == unix.ETHTOOL_SLINKSETTINGS {
			if b[lsMasterSlaveCfg] != 0 || b[lsMasterSlaveSt] != 0 {
				return unix.EINVAL
			}
			r := raw{buf: b, nwords: f.nwords}
			return f.set(r.autoneg(), r.speed(), r.duplex(), r.advertising()[0])
		}
		sp, dx := f.shown()
		r := linkSettings(f.nwords, f.autoneg, sp, dx, f.supported, f.adv)
		copy(b, r.buf)
	case unix.ETHTOOL_GSET:
		sp, dx := f.shown()
		copy(b, ethtoolCmd(f.autoneg, sp, dx, f.supported, f.adv).buf)
	case unix.ETHTOOL_SSET:
		r := raw{legacy: true, buf: b}
		return f.set(r.autoneg(), r.speed(), r.duplex(), r.advertising()[0])
	default:
		return unix.EOPNOTSUPP
	}
	return nil
}

func (f *fakeNIC) set(autoneg bool, speed uint32, duplex uint8, adv uint32) error {
	if f.staleReads > 0 {
		before := *f
		before.staleReads, before.stale = 0, nil
		f.stale = &before
	}
	f.sets++
	switch {
	case f.ignore:
		return nil
	case f.wrongThenEIO && f.sets > 1:
		return unix.EIO
	case f.wrongThenEIO:
		f.autoneg, f.speed, f.duplex = false, 10, duplexHalf
		return nil
	case f.refuse != nil && !f.changeAnyway:
		return f.refuse
	case f.e1000 && autoneg:
		f.autoneg, f.adv = true, adv|0xc0
		return nil
	case f.e1000 && speed == 1000 && duplex == duplexFull:
		f.autoneg, f.adv = true, 0xe0
		return nil
	case f.e1000 && (speed != 10 && speed != 100 || duplex > duplexFull):
		return unix.EINVAL
	case f.e1000:
		f.autoneg, f.speed, f.duplex, f.adv = false, speed, duplex, 0x80
		return nil
	}
	f.autoneg, f.speed, f.duplex, f.adv = autoneg, speed, duplex, adv
	err := f.refuse
	f.refuse, f.changeAnyway = nil, false
	return err
}

func (f *fakeNIC) state() [4]uint32 {
	an := uint32(0)
	if f.autoneg {
		an = 1
	}
	return [4]uint32{an, f.speed, uint32(f.duplex), f.adv}
}

// e1000 is a gigabit copper NIC auto-negotiating at 1000 Mb/s full.
func e1000() *fakeNIC {
	return &fakeNIC{name: "eth0", nwords: 3, supported: 0x2ef, autoneg: true, speed: 1000, duplex: duplexFull, adv: 0x2ef}
}

func TestSetFake(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		f := e1000()
		f.legacy = legacy
		c := &Conn{fd: -1, ethtool: f.ethtool}
		// What the driver must hold after each set, in the ethtool ABI's
		// values (include/uapi/linux/ethtool.h: AUTONEG_DISABLE 0,
		// AUTONEG_ENABLE 1, DUPLEX_HALF 0, DUPLEX_FULL 1, speed in Mb/s):
		// a forced mode is autoneg off with exactly its speed and duplex.
		held := map[netcfg.LinkMode][3]uint32{
			netcfg.Link100Half:  {0, 100, 0},
			netcfg.Link10Full:   {0, 10, 1},
			netcfg.Link1000Full: {0, 1000, 1},
		}
		for _, m := range []netcfg.LinkMode{netcfg.Link100Half, netcfg.Link10Full, netcfg.Link1000Full, netcfg.LinkAuto} {
			if err := c.Set("eth0", m); err != nil {
				t.Fatalf("legacy=%v: Set(%v): %v", legacy, m, err)
			}
			st := f.state()
			if want, forced := held[m]; forced && [3]uint32{st[0], st[1], st[2]} != want {
				t.Errorf("legacy=%v: after Set(%v) the driver holds autoneg %d, speed %d, duplex %d; want %v", legacy, m, st[0], st[1], st[2], want)
			}
			if m == netcfg.LinkAuto && (st[0] != 1 || st[3] != 0x2ef) {
				t.Errorf("legacy=%v: after Set(AUTO) the driver holds autoneg %d advertising %#x; want 1 advertising every supported mode %#x", legacy, st[0], st[3], 0x2ef)
			}
			s, err := c.Get("eth0")
			if err != nil {
				t.Fatalf("legacy=%v: Get: %v", legacy, err)
			}
			if got, ok := s.Mode(); !ok || got != m || s.Legacy != legacy {
				t.Errorf("legacy=%v: after Set(%v) Get = %+v", legacy, m, s)
			}
		}
		sets := f.sets
		if err := c.Set("eth0", netcfg.LinkAuto); err != nil || f.sets != sets {
			t.Errorf("legacy=%v: Set(AUTO) again: %v, %d set requests; want nil and none", legacy, err, f.sets-sets)
		}
	}
}

func TestSetFakeUnsupported(t *testing.T) {
	tests := []struct {
		name     string
		nic      func(*fakeNIC)
		mode     netcfg.LinkMode
		sets     int
		errno    error
		contains []string
	}{
		{"not in the supported mask", func(f *fakeNIC) { f.supported = 0x4c; f.adv = 0x4c; f.speed = 100 }, netcfg.Link10Half, 0, nil,
			[]string{"eth0 does not support link mode 10baseT/Half", "not among the link modes it reports", "it supports AUTO, 100baseT/Full, 100baseT/Half", "previous setting kept (autoneg on, 100 Mb/s, full duplex)"}},
		{"no autoneg in the mask", func(f *fakeNIC) { f.supported = 0x0f; f.autoneg = false; f.speed = 100 }, netcfg.LinkAuto, 0, nil,
			[]string{"does not support link mode AUTO", "it supports 100baseT/Full, 100baseT/Half, 10baseT/Full, 10baseT/Half"}},
		{"driver refuses forced gigabit", func(f *fakeNIC) { f.refuse = unix.EINVAL }, netcfg.Link1000Full, 1, unix.EINVAL,
			[]string{"does not support link mode 1GbaseT/Full: the driver refused it (invalid argument)", "previous setting kept (autoneg on, 1000 Mb/s, full duplex)"}},
		{"driver refuses but changed it", func(f *fakeNIC) { f.refuse = unix.EOPNOTSUPP; f.changeAnyway = true }, netcfg.Link100Full, 2, unix.EOPNOTSUPP,
			[]string{"the driver refused it (operation not supported)"}},
		{"driver ignores it", func(f *fakeNIC) { f.ignore = true }, netcfg.Link10Full, 2, nil,
			[]string{"the driver accepted it but reads back autoneg on, 1000 Mb/s, full duplex"}},
	}
	for _, tc := range tests {
		f := e1000()
		tc.nic(f)
		before := f.state()
		c := &Conn{fd: -1, ethtool: f.ethtool}
		err := c.Set("eth0", tc.mode)
		var ue *UnsupportedError
		if !errors.As(err, &ue) || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: Set(%v) = %v; want an *UnsupportedError", tc.name, tc.mode, err)
			continue
		}
		if ue.Interface != "eth0" || ue.Mode != tc.mode {
			t.Errorf("%s: error names %s, %v", tc.name, ue.Interface, ue.Mode)
		}
		if tc.errno != nil && !errors.Is(err, tc.errno) {
			t.Errorf("%s: error %v does not wrap %v", tc.name, err, tc.errno)
		}
		for _, s := range tc.contains {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not say %q", tc.name, err, s)
			}
		}
		if strings.Contains(err.Error(), "restore") {
			t.Errorf("%s: error %q reports a failed restore", tc.name, err)
		}
		if f.state() != before {
			t.Errorf("%s: NIC state %v after the failed Set; want the previous %v", tc.name, f.state(), before)
		}
		if f.sets != tc.sets {
			t.Errorf("%s: %d set requests reached the driver; want %d (the setting and the restore)", tc.name, f.sets, tc.sets)
		}
	}
}

func TestFakeErrors(t *testing.T) {
	f := e1000()
	c := &Conn{fd: -1, ethtool: f.ethtool}
	_, err := c.Get("eth9")
	if err == nil || !errors.Is(err, unix.ENODEV) || !strings.Contains(err.Error(), "eth9") {
		t.Errorf("Get(eth9) = %v; want ENODEV naming eth9", err)
	}
	if err := c.Set("eth9", netcfg.Link100Full); err == nil || errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "eth9") {
		t.Errorf("Set(eth9) = %v; want an error naming eth9, not 'unsupported'", err)
	}
	if err := c.Set("eth0", netcfg.LinkMode(42)); err == nil || !strings.Contains(err.Error(), "unknown link mode 42") {
		t.Errorf("Set(eth0, 42) = %v; want unknown link mode", err)
	}
	f.wrongThenEIO = true
	err = c.Set("eth0", netcfg.Link100Full)
	if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, unix.EIO) ||
		!strings.Contains(err.Error(), "reads back autoneg off, 10 Mb/s, half duplex") ||
		!strings.Contains(err.Error(), "previous setting (autoneg on, 1000 Mb/s, full duplex) may be lost") ||
		strings.Contains(err.Error(), "kept") ||
		!strings.Contains(err.Error(), "restore previous link settings of eth0 (autoneg on, 1000 Mb/s, full duplex): ETHTOOL_SLINKSETTINGS: input/output error") {
		t.Errorf("Set with a failing restore = %v; want both failures reported", err)
	}
	f = e1000()
	c = &Conn{fd: -1, ethtool: f.ethtool}
	f.refuse = unix.EPERM
	if err := c.Set("eth0", netcfg.Link100Full); !errors.Is(err, unix.EPERM) || errors.Is(err, errors.ErrUnsupported) ||
		!strings.Contains(err.Error(), "set eth0 to 100baseT/Full: ETHTOOL_SLINKSETTINGS") {
		t.Errorf("Set with EPERM = %v; want the EPERM, not 'unsupported'", err)
	}
}

// TestRefusalRestoresConfig runs Set against an e1000-like driver that
// reports no speed while the link is down or renegotiating, and turns a
// forced 1000 Mb/s into auto-negotiation: the previous configuration must
// come back, and be reported kept.
func TestRefusalRestoresConfig(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		// Forced 10 half, link down: the driver reads back no speed, so
		// only the Conn's memory of what it set can put it back.
		f := e1000()
		f.e1000, f.linkDown, f.legacy = true, true, legacy
		c := &Conn{fd: -1, ethtool: f.ethtool, mem: newMemory()}
		if err := c.Set("eth0", netcfg.Link10Half); err != nil {
			t.Fatalf("legacy=%v: Set(10baseT/Half): %v", legacy, err)
		}
		before := f.state()
		err := c.Set("eth0", netcfg.Link1000Full)
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.RestoreErr != nil ||
			!strings.Contains(err.Error(), "the driver accepted it but reads back autoneg on, speed unknown") ||
			!strings.HasSuffix(err.Error(), "; previous setting kept (autoneg off, 10 Mb/s, half duplex)") {
			t.Errorf("legacy=%v: link down, forced 10 half: Set(1GbaseT/Full) = %v; want unsupported, 10 half kept", legacy, err)
		}
		if f.state() != before {
			t.Errorf("legacy=%v: link down: NIC state %v after the refusal; want %v", legacy, f.state(), before)
		}

		// The same without memory (another process set 10 half): the
		// forced values cannot be sent back, and the error says so
		// rather than sending an unknown speed.
		sets := f.sets
		c = &Conn{fd: -1, ethtool: f.ethtool}
		err = c.Set("eth0", netcfg.Link1000Full)
		if !errors.As(err, &ue) || ue.RestoreErr == nil || f.sets != sets+1 ||
			!strings.Contains(err.Error(), "previous setting (autoneg off, speed unknown, unknown duplex) may be lost") ||
			!strings.Contains(err.Error(), "does not report while the link is down") {
			t.Errorf("legacy=%v: link down, no memory: Set(1GbaseT/Full) = %v, %d set requests; want the restore reported impossible, one request", legacy, err, f.sets-sets)
		}

		// AUTO on a link up, which renegotiates after each set: the
		// restore is checked on the configuration, not on the speed.
		f = e1000()
		f.e1000, f.renegotiates, f.legacy = true, true, legacy
		c = &Conn{fd: -1, ethtool: f.ethtool, mem: newMemory()}
		before = f.state()
		err = c.Set("eth0", netcfg.Link1000Full)
		if !errors.As(err, &ue) || ue.RestoreErr != nil || f.sets != 2 ||
			!strings.HasSuffix(err.Error(), "; previous setting kept (autoneg on, 1000 Mb/s, full duplex)") {
			t.Errorf("legacy=%v: AUTO, link up: Set(1GbaseT/Full) = %v, %d set requests; want unsupported, AUTO kept, restored by 1 request", legacy, err, f.sets-1)
		}
		if f.state() != before {
			t.Errorf("legacy=%v: AUTO: NIC state %v after the refusal; want %v", legacy, f.state(), before)
		}
	}
}

func TestSameConfig(t *testing.T) {
	unk := uint32(speedUnknown)
	tests := []struct {
		name     string
		now, cfg raw
		want     bool
	}{
		{"autoneg, renegotiating", linkSettings(3, true, unk, duplexUnknown, 0x2ef, 0xef), linkSettings(3, true, 1000, duplexFull, 0x2ef, 0xef), true},
		{"autoneg, other advertising", linkSettings(3, true, 1000, duplexFull, 0x2ef, 0xe0), linkSettings(3, true, 1000, duplexFull, 0x2ef, 0xef), false},
		{"forced, link down", linkSettings(3, false, unk, duplexUnknown, 0x2ef, 0x80), linkSettings(3, false, 10, duplexHalf, 0x2ef, 0x80), true},
		{"forced, other speed", linkSettings(3, false, 100, duplexHalf, 0x2ef, 0x80), linkSettings(3, false, 10, duplexHalf, 0x2ef, 0x80), false},
		{"forced, other duplex", ethtoolCmd(false, 10, duplexFull, 0x2ef, 0x80), ethtoolCmd(false, 10, duplexHalf, 0x2ef, 0x80), false},
		{"autoneg vs forced", linkSettings(3, true, 10, duplexHalf, 0x2ef, 0xef), linkSettings(3, false, 10, duplexHalf, 0x2ef, 0x80), false},
	}
	for _, tc := range tests {
		if got := sameConfig(tc.now, tc.cfg); got != tc.want {
			t.Errorf("%s: sameConfig = %v; want %v", tc.name, got, tc.want)
		}
	}
}

// TestSettle: a driver that shows the old settings for a moment after a
// change (e1000 resets the adapter) has the change taken once it shows
// it, within the Conn's settle time; with none, it counts as not taken.
func TestSettle(t *testing.T) {
	f := e1000()
	f.staleReads = 3
	c := &Conn{fd: -1, ethtool: f.ethtool, settle: time.Second, clock: clock.System{}}
	if err := c.Set("eth0", netcfg.Link100Full); err != nil {
		t.Fatalf("Set with 3 stale reads and 1 s to settle: %v", err)
	}
	if s, err := c.Get("eth0"); err != nil || s.SpeedMbps != 100 || s.Autoneg {
		t.Errorf("after Set: %+v (%v), want 100 Mb/s", s, err)
	}
	f = e1000()
	f.staleReads = 3
	c = &Conn{fd: -1, ethtool: f.ethtool}
	if err := c.Set("eth0", netcfg.Link100Full); !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "reads back") {
		t.Errorf("Set with 3 stale reads and no settle time: %v, want not taken", err)
	}
}
