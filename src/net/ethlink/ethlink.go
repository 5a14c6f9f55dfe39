// Package ethlink reads and sets the Ethernet link mode of a network
// interface (auto-negotiation, or one of the panel's forced speed/duplex
// settings, netcfg.LinkMode) through the kernel's ethtool ioctl,
// SIOCETHTOOL. It uses ETHTOOL_GLINKSETTINGS/ETHTOOL_SLINKSETTINGS and falls
// back to the legacy ETHTOOL_GSET/ETHTOOL_SSET where those are missing.
//
// A mode the NIC does not support (absent from the modes it reports, refused
// by its driver, or not what it reads back after the change) is reported as
// an *UnsupportedError naming the interface, the requested mode and what the
// NIC supports, and the previous setting stays in force. "Setting" means
// configuration: auto-negotiation and the modes advertised, or the forced
// speed and duplex; some drivers (e1000) do not report the forced values
// while the link is down, so a Conn, and the package-level Get and Set
// within a process, remember the configuration last seen or set per
// interface in order to put it back.
//
// Everything happens in the network namespace the ethtool socket was opened
// in: Get and Set open it in the calling thread's namespace, as does Open. A
// caller working in another namespace locks its OS thread and enters that
// namespace first.
package ethlink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/net/netcfg"
)

// Duplex is a link's duplex as the driver reports it.
type Duplex uint8

const (
	DuplexUnknown Duplex = iota // link down, or the driver does not say
	DuplexHalf
	DuplexFull
)

func (d Duplex) String() string {
	switch d {
	case DuplexHalf:
		return "half"
	case DuplexFull:
		return "full"
	}
	return "unknown"
}

// Settings is an interface's link settings as the driver reports them.
type Settings struct {
	// Autoneg is true when the link auto-negotiates its speed and duplex.
	Autoneg bool
	// SpeedMbps is the speed in Mb/s: the negotiated one, or the forced
	// one; 0 when unknown (typically when the link is down).
	SpeedMbps int
	Duplex    Duplex
	// Supported lists the panel's link modes the NIC reports supporting,
	// in the panel's order (netcfg.LinkModes), LinkAuto first if it can
	// auto-negotiate. Empty when the driver reports no link modes at all,
	// as virtual devices (tap, veth) do; Set then lets the driver decide.
	Supported []netcfg.LinkMode
	// Legacy is true when the settings were read with ETHTOOL_GSET because
	// the kernel or driver lacks ETHTOOL_GLINKSETTINGS.
	Legacy bool
}

// Mode returns the panel link mode the settings amount to: LinkAuto when
// auto-negotiating, else the forced mode of that speed and duplex; ok is
// false for a forced setting that is none of the panel's (10 Gb/s, say).
func (s Settings) Mode() (m netcfg.LinkMode, ok bool) {
	if s.Autoneg {
		return netcfg.LinkAuto, true
	}
	for _, m := range netcfg.LinkModes() {
		mbps, full, forced := m.Forced()
		if forced && mbps == s.SpeedMbps && full == (s.Duplex == DuplexFull) && s.Duplex != DuplexUnknown {
			return m, true
		}
	}
	return 0, false
}

func (s Settings) String() string {
	an := "autoneg off"
	if s.Autoneg {
		an = "autoneg on"
	}
	speed := "speed unknown"
	if s.SpeedMbps > 0 {
		speed = fmt.Sprintf("%d Mb/s", s.SpeedMbps)
	}
	return fmt.Sprintf("%s, %s, %s duplex", an, speed, s.Duplex)
}

// UnsupportedError is Set's error for a link mode the NIC does not support.
// The previous setting is still in force unless RestoreErr says otherwise.
// errors.Is(err, errors.ErrUnsupported) is true for it.
type UnsupportedError struct {
	Interface string
	Mode      netcfg.LinkMode
	// Supported is what the NIC reports supporting (see Settings).
	Supported []netcfg.LinkMode
	// Reason says how the lack of support showed.
	Reason string
	// Kept is the setting left in force.
	Kept Settings
	// Err is the ioctl's error when the driver refused the setting.
	Err error
	// RestoreErr is why the previous setting could not be put back, when
	// the driver changed something and restoring it failed.
	RestoreErr error
}

func (e *UnsupportedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ethlink: %s does not support link mode %s: %s", e.Interface, e.Mode, e.Reason)
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	if len(e.Supported) == 0 {
		b.WriteString("; it reports no selectable link modes")
	} else {
		names := make([]string, len(e.Supported))
		for i, m := range e.Supported {
			names[i] = m.String()
		}
		fmt.Fprintf(&b, "; it supports %s", strings.Join(names, ", "))
	}
	if e.RestoreErr != nil {
		fmt.Fprintf(&b, "; and the previous setting (%s) may be lost: %v", e.Kept, e.RestoreErr)
	} else {
		fmt.Fprintf(&b, "; previous setting kept (%s)", e.Kept)
	}
	return b.String()
}

func (e *UnsupportedError) Unwrap() []error { return []error{e.Err, e.RestoreErr} }

// Is makes errors.Is(err, errors.ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == errors.ErrUnsupported }

// Conn is an ethtool socket, bound to the network namespace it was opened
// in. Its methods may be called from any thread. Two Sets on the same
// interface at once are not supported (each restores what it read).
type Conn struct {
	fd      int
	ethtool ethtoolFunc
	// mem remembers each interface's configuration, for drivers that do
	// not report a forced speed and duplex while the link is down; nil
	// remembers nothing.
	mem                *memory
	netnsDev, netnsIno uint64
	// settle is how long a read-back that still shows the previous
	// configuration after a mode was set is read again (clock times the
	// reads) before the mode counts as not taken: some drivers apply a
	// setting by resetting the adapter (e1000), and report the old one
	// for a moment. Zero: one read.
	settle time.Duration
	clock  clock.Clock
}

// settleTime is Open's settle: e1000 under qemu was seen reporting the
// previous mode right after a change under load.
const settleTime = time.Second

// Open opens an ethtool socket in the calling thread's network namespace.
func Open() (*Conn, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("ethlink: open ethtool socket: %w", err)
	}
	dev, ino := netnsID()
	return &Conn{fd: fd, ethtool: ioctlEthtool(fd), mem: newMemory(), netnsDev: dev, netnsIno: ino,
		settle: settleTime, clock: clock.System{}}, nil
}

// Close closes the socket.
func (c *Conn) Close() error {
	if c.fd < 0 {
		return nil
	}
	err := unix.Close(c.fd)
	c.fd = -1
	if err != nil {
		return fmt.Errorf("ethlink: close ethtool socket: %w", err)
	}
	return nil
}

// Get reads ifname's link settings in the calling thread's namespace.
func Get(ifname string) (Settings, error) {
	c, err := Open()
	if err != nil {
		return Settings{}, err
	}
	defer c.Close()
	return c.Get(ifname)
}

// Set sets ifname's link mode in the calling thread's namespace; see
// Conn.Set. It remembers nothing between calls: a caller that changes
// modes more than once keeps one Conn, which remembers what it set (some
// drivers hide a forced mode while the link is down, and a refused change
// must put it back).
func Set(ifname string, mode netcfg.LinkMode) error {
	c, err := Open()
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Set(ifname, mode)
}

// Get reads ifname's link settings, as the driver reports them (with
// auto-negotiation off and the link down, some drivers report no speed).
func (c *Conn) Get(ifname string) (Settings, error) {
	r, err := c.getRaw(ifname)
	if err != nil {
		return Settings{}, fmt.Errorf("ethlink: read link settings of %s: %w", ifname, err)
	}
	c.mem.put(c.key(ifname), r)
	return decode(r), nil
}

// Set puts ifname in link mode mode: auto-negotiation advertising every
// mode the NIC supports, or the forced speed and duplex. It reads the
// settings back; a mode the NIC does not report, a driver's refusal
// (EOPNOTSUPP, EINVAL) or a read-back that differs gives an
// *UnsupportedError, with the previous setting restored if it had changed.
// Setting the mode already in force changes nothing.
//
// A forced mode counts as taken if the driver reads back auto-negotiation
// off and that speed and duplex, or an unknown speed or duplex, which
// drivers report while the link is down.
//
// The previous setting restored and checked is the previous configuration
// (auto-negotiation and the modes advertised, or the forced speed and
// duplex), not the speed the link ran at: a link renegotiating after the
// refusal reads back no speed yet. Drivers that report no forced speed
// and duplex while the link is down (e1000) leave Set to restore the ones
// the Conn last saw or set on the interface; if it has seen none, a mode
// that needs undoing is reported with RestoreErr set.
func (c *Conn) Set(ifname string, mode netcfg.LinkMode) error {
	bit, ok := modeBit(mode)
	if !ok {
		return fmt.Errorf("ethlink: set %s: unknown link mode %d", ifname, uint8(mode))
	}
	prev, err := c.getRaw(ifname)
	if err != nil {
		return fmt.Errorf("ethlink: set %s to %s: read current settings: %w", ifname, mode, err)
	}
	key := c.key(ifname)
	mem, haveMem := c.mem.get(key)
	prevCfg, prevKnown := configured(prev, mem, haveMem)
	c.mem.put(key, prevCfg)
	unsupported := func(reason string, cause error) *UnsupportedError {
		s := decode(prevCfg)
		return &UnsupportedError{Interface: ifname, Mode: mode, Supported: s.Supported, Reason: reason, Kept: s, Err: cause}
	}
	restore := func() error {
		if !prevKnown {
			c.mem.forget(key)
			return errForcedUnknown(ifname)
		}
		err := c.restore(ifname, prevCfg)
		if err != nil {
			c.mem.forget(key)
		}
		return err
	}
	sup := prev.supported()
	if !maskEmpty(sup) && !maskHas(sup, bit) {
		return unsupported("not among the link modes it reports", nil)
	}
	if inForce(prev, mode) {
		return nil
	}

	req := request(prev, mode)
	if err := c.ethtool(ifname, req.buf); err != nil {
		if !refused(err) {
			return fmt.Errorf("ethlink: set %s to %s: %s: %w", ifname, mode, setName(req), err)
		}
		uerr := unsupported("the driver refused it", err)
		// A driver may apply part of a setting before refusing it.
		if now, err := c.getRaw(ifname); err != nil || !sameConfig(now, prevCfg) {
			uerr.RestoreErr = restore()
		}
		return uerr
	}
	got, err := c.getRaw(ifname)
	// Only a read-back that still shows the previous configuration is
	// read again: one that shows something else (e1000 turning a forced
	// 1000 full into auto-negotiation) is the driver's answer.
	for waited, step := time.Duration(0), 50*time.Millisecond; err == nil && !taken(got, mode) && sameConfig(got, prevCfg) && waited < c.settle; waited += step {
		clock.Sleep(context.Background(), c.clock, step)
		got, err = c.getRaw(ifname)
	}
	if err != nil {
		err = fmt.Errorf("ethlink: set %s to %s: read back: %w", ifname, mode, err)
		if rerr := restore(); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if !taken(got, mode) {
		uerr := unsupported(fmt.Sprintf("the driver accepted it but reads back %s", decode(got)), nil)
		uerr.RestoreErr = restore()
		return uerr
	}
	c.mem.put(key, req)
	return nil
}

// restore sends the configuration prev back and checks that it is in
// force (sameConfig: the link may still be renegotiating).
func (c *Conn) restore(ifname string, prev raw) error {
	req := prev.clone()
	req.setCommand()
	if err := c.ethtool(ifname, req.buf); err != nil {
		return fmt.Errorf("ethlink: restore previous link settings of %s (%s): %s: %w", ifname, decode(prev), setName(req), err)
	}
	now, err := c.getRaw(ifname)
	if err != nil {
		return fmt.Errorf("ethlink: restore previous link settings of %s: read back: %w", ifname, err)
	}
	if !sameConfig(now, prev) {
		return fmt.Errorf("ethlink: restore previous link settings of %s: reads back %s, want %s", ifname, decode(now), decode(prev))
	}
	return nil
}

// refused reports whether a set's error means the driver does not support
// the setting.
func refused(err error) bool {
	return errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL)
}

// getRaw reads ifname's settings with ETHTOOL_GLINKSETTINGS, or with
// ETHTOOL_GSET if the kernel or driver does not know the former.
func (c *Conn) getRaw(ifname string) (raw, error) {
	r, err := c.getLinkSettings(ifname)
	if err == nil || !refused(err) {
		return r, err
	}
	lr, lerr := c.getLegacy(ifname)
	if lerr != nil {
		return raw{}, fmt.Errorf("%w; legacy fallback: %w", err, lerr)
	}
	return lr, nil
}

// getLinkSettings does the ETHTOOL_GLINKSETTINGS handshake: a request with
// no mask words, answered with minus the number of words the kernel uses,
// then the real request with that many.
func (c *Conn) getLinkSettings(ifname string) (raw, error) {
	probe := make([]byte, lsHeader)
	ne.PutUint32(probe[lsCmd:], unix.ETHTOOL_GLINKSETTINGS)
	if err := c.ethtool(ifname, probe); err != nil {
		return raw{}, fmt.Errorf("ETHTOOL_GLINKSETTINGS: %w", err)
	}
	n := -int(int8(probe[lsNwords]))
	if n <= 0 || ne.Uint32(probe[lsCmd:]) != unix.ETHTOOL_GLINKSETTINGS {
		return raw{}, fmt.Errorf("ETHTOOL_GLINKSETTINGS: kernel answered the size handshake with %d mask words, want a negative count", -n)
	}
	buf := make([]byte, lsHeader+3*4*n)
	ne.PutUint32(buf[lsCmd:], unix.ETHTOOL_GLINKSETTINGS)
	buf[lsNwords] = uint8(int8(n))
	if err := c.ethtool(ifname, buf); err != nil {
		return raw{}, fmt.Errorf("ETHTOOL_GLINKSETTINGS: %w", err)
	}
	if got := int(int8(buf[lsNwords])); got != n {
		return raw{}, fmt.Errorf("ETHTOOL_GLINKSETTINGS: kernel answered with %d mask words after asking for %d", got, n)
	}
	return raw{buf: buf, nwords: n}, nil
}

func (c *Conn) getLegacy(ifname string) (raw, error) {
	buf := make([]byte, ecSize)
	ne.PutUint32(buf[ecCmd:], unix.ETHTOOL_GSET)
	if err := c.ethtool(ifname, buf); err != nil {
		return raw{}, fmt.Errorf("ETHTOOL_GSET: %w", err)
	}
	return raw{legacy: true, buf: buf}, nil
}

func setName(r raw) string {
	if r.legacy {
		return "ETHTOOL_SSET"
	}
	return "ETHTOOL_SLINKSETTINGS"
}

// modeBit is the kernel link-mode bit of a panel mode: that of the forced
// speed and duplex, or the Autoneg bit for LinkAuto.
func modeBit(m netcfg.LinkMode) (int, bool) {
	switch m {
	case netcfg.LinkAuto:
		return bitAutoneg, true
	case netcfg.Link1000Full:
		return bit1000baseTFull, true
	case netcfg.Link100Full:
		return bit100baseTFull, true
	case netcfg.Link100Half:
		return bit100baseTHalf, true
	case netcfg.Link10Full:
		return bit10baseTFull, true
	case netcfg.Link10Half:
		return bit10baseTHalf, true
	}
	return 0, false
}

// forcedFields is the kernel's speed and duplex for a forced mode.
func forcedFields(m netcfg.LinkMode) (speed uint32, duplex uint8, ok bool) {
	mbps, full, ok := m.Forced()
	if !ok {
		return 0, 0, false
	}
	duplex = duplexHalf
	if full {
		duplex = duplexFull
	}
	return uint32(mbps), duplex, true
}

// supportedModes lists the panel modes whose bits are in mask, in the
// panel's order.
func supportedModes(mask []uint32) []netcfg.LinkMode {
	var ms []netcfg.LinkMode
	for _, m := range netcfg.LinkModes() {
		if bit, ok := modeBit(m); ok && maskHas(mask, bit) {
			ms = append(ms, m)
		}
	}
	return ms
}

func decode(r raw) Settings {
	s := Settings{Autoneg: r.autoneg(), Supported: supportedModes(r.supported()), Legacy: r.legacy}
	if sp := r.speed(); sp != speedUnknown && sp <= 1<<31 {
		s.SpeedMbps = int(sp)
	}
	switch r.duplex() {
	case duplexHalf:
		s.Duplex = DuplexHalf
	case duplexFull:
		s.Duplex = DuplexFull
	}
	return s
}

// request is the set request for mode built from the current settings:
// auto-negotiation advertising everything supported, or auto-negotiation
// off with the forced speed and duplex; the rest as read.
func request(cur raw, mode netcfg.LinkMode) raw {
	r := cur.clone()
	r.setCommand()
	if speed, duplex, forced := forcedFields(mode); forced {
		r.setAutoneg(false)
		r.setSpeedDuplex(speed, duplex)
		return r
	}
	r.setAutoneg(true)
	if sup := r.supported(); !maskEmpty(sup) {
		r.setAdvertising(sup)
	}
	return r
}

// inForce reports whether r already is mode exactly, so that setting it
// would change nothing: the forced speed and duplex, or auto-negotiation
// advertising every supported BASE-T mode up to 1000 Mb/s.
func inForce(r raw, mode netcfg.LinkMode) bool {
	if speed, duplex, forced := forcedFields(mode); forced {
		return !r.autoneg() && r.speed() == speed && r.duplex() == duplex
	}
	if !r.autoneg() {
		return false
	}
	sup, adv := r.supported(), r.advertising()
	for bit := bit10baseTHalf; bit <= bit1000baseTFull; bit++ {
		if maskHas(sup, bit) && !maskHas(adv, bit) {
			return false
		}
	}
	return true
}

// taken reports whether settings read back after setting mode show it in
// force (see Conn.Set for the unknown speed or duplex of a link down).
func taken(r raw, mode netcfg.LinkMode) bool {
	speed, duplex, forced := forcedFields(mode)
	if !forced {
		return r.autoneg()
	}
	sp, dx := r.speed(), r.duplex()
	return !r.autoneg() &&
		(sp == speed || sp == speedUnknown || sp == 0) &&
		(dx == duplex || dx == duplexUnknown)
}
