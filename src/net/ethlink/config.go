package ethlink

import (
	"fmt"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// A NIC's link setting has two parts: its configuration (auto-negotiation
// on and the modes advertised, or off and the forced speed and duplex) and
// its run-time state (the speed and duplex negotiated or in force while
// the link is up). ETHTOOL_GLINKSETTINGS mixes them: with auto-negotiation
// on, speed and duplex are the negotiated ones, unknown while the link is
// down or renegotiating; with it off, some drivers (e1000) report the
// forced speed and duplex only while the link is up, and an unknown speed
// while it is down, though the forced values are still configured. Putting
// a previous setting back and checking that it is in force is about the
// configuration, so it works on a raw whose speed and duplex are the
// configured ones (see configured) and compares with sameConfig.

// memory remembers, per interface, the configuration last seen or set,
// for the drivers that withhold their forced speed and duplex while the
// link is down: without it a refused mode could not be undone there.
type memory struct {
	mu sync.Mutex
	m  map[ifKey]raw
}

// ifKey names one interface of one network namespace; the index tells a
// device deleted and recreated under the same name from the old one.
type ifKey struct {
	netnsDev, netnsIno uint64
	index              int
	name               string
}

func newMemory() *memory { return &memory{m: map[ifKey]raw{}} }

func (m *memory) get(k ifKey) (raw, bool) {
	if m == nil {
		return raw{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.m[k]
	return r, ok
}

// put remembers r's configuration if it is a complete one.
func (m *memory) put(k ifKey, r raw) {
	if m == nil || !complete(r) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[k] = r.clone()
}

func (m *memory) forget(k ifKey) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, k)
}

// netnsID identifies the calling thread's network namespace; zero if
// /proc is not mounted (interfaces are then told apart by index and name).
func netnsID() (dev, ino uint64) {
	fi, err := os.Stat("/proc/thread-self/ns/net")
	if err != nil {
		return 0, 0
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return uint64(st.Dev), st.Ino
}

// key is ifname's memory key; its index is 0 when the socket cannot tell
// it (a Conn without a socket, in tests).
func (c *Conn) key(ifname string) ifKey {
	k := ifKey{netnsDev: c.netnsDev, netnsIno: c.netnsIno, name: ifname}
	if c.fd >= 0 {
		if ifr, err := unix.NewIfreq(ifname); err == nil && unix.IoctlIfreq(c.fd, unix.SIOCGIFINDEX, ifr) == nil {
			k.index = int(ifr.Uint32())
		}
	}
	return k
}

// speedKnown reports whether r carries a speed and duplex.
func speedKnown(r raw) bool {
	sp := r.speed()
	return sp != speedUnknown && sp != 0 && r.duplex() != duplexUnknown
}

// complete reports whether r says all of its configuration: always with
// auto-negotiation on (speed and duplex are not part of it), and with it
// off only if the forced speed and duplex are known.
func complete(r raw) bool { return r.autoneg() || speedKnown(r) }

// configured is the configuration cur stands for: cur itself if complete,
// else (forced, speed or duplex withheld) cur with the forced speed and
// duplex last remembered for the interface, if the memory has a forced
// configuration for it. ok is false when the forced values are unknown.
func configured(cur raw, mem raw, haveMem bool) (cfg raw, ok bool) {
	if complete(cur) {
		return cur, true
	}
	if !haveMem || mem.autoneg() || !speedKnown(mem) {
		return cur, false
	}
	cfg = cur.clone()
	cfg.setSpeedDuplex(mem.speed(), mem.duplex())
	return cfg, true
}

// sameConfig reports whether now (read from the driver) shows the
// configuration cfg: the same auto-negotiation, the same advertised modes
// when it is on, and when it is off the same forced speed and duplex, or
// an unknown one (a driver withholding them while the link is down).
// Negotiated speeds are not compared: they are unknown while the link
// renegotiates and depend on the link partner.
func sameConfig(now, cfg raw) bool {
	if now.autoneg() != cfg.autoneg() {
		return false
	}
	if now.autoneg() {
		return masksEqual(now.advertising(), cfg.advertising())
	}
	if !speedKnown(now) || !speedKnown(cfg) {
		return true
	}
	return now.speed() == cfg.speed() && now.duplex() == cfg.duplex()
}

func masksEqual(a, b []uint32) bool {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y uint32
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return false
		}
	}
	return true
}

// errForcedUnknown is restore's error when the previous setting was forced
// but the driver withheld its speed and duplex and nothing remembers them.
func errForcedUnknown(ifname string) error {
	return fmt.Errorf("ethlink: restore previous link settings of %s: they were a forced speed and duplex that the driver does not report while the link is down, and that this process did not set, so they cannot be sent back; set the link mode again", ifname)
}
