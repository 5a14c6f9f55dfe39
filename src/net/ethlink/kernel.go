package ethlink

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel's ethtool structures (include/uapi/linux/ethtool.h), handled
// as byte buffers in the machine's byte order so that the layout is explicit
// and the same buffer read by a get can be sent back by a set.

// struct ethtool_link_settings (ETHTOOL_GLINKSETTINGS/ETHTOOL_SLINKSETTINGS):
// a 48-byte header followed by three link-mode masks (supported, advertising,
// link partner advertising) of link_mode_masks_nwords 32-bit words each.
const (
	lsCmd            = 0  // __u32 cmd
	lsSpeed          = 4  // __u32 speed, Mb/s
	lsDuplex         = 8  // __u8 duplex
	lsAutoneg        = 11 // __u8 autoneg
	lsNwords         = 15 // __s8 link_mode_masks_nwords
	lsMasterSlaveCfg = 17 // __u8 master_slave_cfg
	lsMasterSlaveSt  = 18 // __u8 master_slave_state
	lsHeader         = 48 // sizeof(struct ethtool_link_settings)
)

// struct ethtool_cmd (the legacy ETHTOOL_GSET/ETHTOOL_SSET).
const (
	ecCmd         = 0  // __u32 cmd
	ecSupported   = 4  // __u32 supported
	ecAdvertising = 8  // __u32 advertising
	ecSpeed       = 12 // __u16 speed (low half)
	ecDuplex      = 14 // __u8 duplex
	ecAutoneg     = 18 // __u8 autoneg
	ecSpeedHi     = 28 // __u16 speed_hi
	ecSize        = 44 // sizeof(struct ethtool_cmd)
)

// Values of the speed, duplex and autoneg fields.
const (
	speedUnknown   = 0xffffffff // SPEED_UNKNOWN (-1)
	duplexHalf     = 0x00       // DUPLEX_HALF
	duplexFull     = 0x01       // DUPLEX_FULL
	duplexUnknown  = 0xff       // DUPLEX_UNKNOWN
	autonegDisable = 0x00       // AUTONEG_DISABLE
	autonegEnable  = 0x01       // AUTONEG_ENABLE
)

// Link-mode bit numbers (enum ethtool_link_mode_bit_indices). The first 32
// are also the bits of the legacy supported/advertising words.
const (
	bit10baseTHalf   = 0
	bit10baseTFull   = 1
	bit100baseTHalf  = 2
	bit100baseTFull  = 3
	bit1000baseTHalf = 4
	bit1000baseTFull = 5
	bitAutoneg       = 6
)

var ne = binary.NativeEndian

// ethtoolFunc issues one SIOCETHTOOL request on ifname with data as the
// ethtool structure (ifr_data), which the kernel reads and may overwrite.
// It returns the ioctl's errno (unix.Errno) on failure.
type ethtoolFunc func(ifname string, data []byte) error

// ifreqData is struct ifreq with ifr_data, the layout SIOCETHTOOL expects.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// ioctlEthtool is the real ethtoolFunc on socket fd. The kernel resolves
// ifname in the network namespace the socket was created in.
func ioctlEthtool(fd int) ethtoolFunc {
	return func(ifname string, data []byte) error {
		if ifname == "" || len(ifname) >= unix.IFNAMSIZ {
			return fmt.Errorf("invalid interface name %q", ifname)
		}
		if len(data) < 4 {
			return fmt.Errorf("ethtool request of %d bytes is too short", len(data))
		}
		var ifr ifreqData
		copy(ifr.name[:], ifname)
		ifr.data = unsafe.Pointer(&data[0])
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
		runtime.KeepAlive(data)
		if errno != 0 {
			return errno
		}
		return nil
	}
}

// raw is one interface's link settings as the kernel returned them, through
// either API; a set sends a modified copy of it back.
type raw struct {
	legacy bool   // struct ethtool_cmd, else struct ethtool_link_settings
	buf    []byte // the structure
	nwords int    // mask words (link settings API only)
}

func (r raw) clone() raw {
	r.buf = append([]byte(nil), r.buf...)
	return r
}

func (r raw) autoneg() bool {
	if r.legacy {
		return r.buf[ecAutoneg] == autonegEnable
	}
	return r.buf[lsAutoneg] == autonegEnable
}

// speed is in Mb/s; speedUnknown (or 0) when the driver does not know it.
func (r raw) speed() uint32 {
	if r.legacy {
		return uint32(ne.Uint16(r.buf[ecSpeedHi:]))<<16 | uint32(ne.Uint16(r.buf[ecSpeed:]))
	}
	return ne.Uint32(r.buf[lsSpeed:])
}

func (r raw) duplex() uint8 {
	if r.legacy {
		return r.buf[ecDuplex]
	}
	return r.buf[lsDuplex]
}

// mask returns mask i (0 supported, 1 advertising) as 32-bit words.
func (r raw) mask(i int) []uint32 {
	if r.legacy {
		return []uint32{ne.Uint32(r.buf[ecSupported+4*i:])}
	}
	w := make([]uint32, r.nwords)
	for j := range w {
		w[j] = ne.Uint32(r.buf[lsHeader+4*(i*r.nwords+j):])
	}
	return w
}

func (r raw) supported() []uint32   { return r.mask(0) }
func (r raw) advertising() []uint32 { return r.mask(1) }

// setCommand turns a get's buffer into the matching set request. The
// kernel refuses ETHTOOL_SLINKSETTINGS with master/slave fields set.
func (r raw) setCommand() {
	if r.legacy {
		ne.PutUint32(r.buf[ecCmd:], unix.ETHTOOL_SSET)
		return
	}
	ne.PutUint32(r.buf[lsCmd:], unix.ETHTOOL_SLINKSETTINGS)
	r.buf[lsMasterSlaveCfg] = 0
	r.buf[lsMasterSlaveSt] = 0
}

func (r raw) setAutoneg(on bool) {
	v := uint8(autonegDisable)
	if on {
		v = autonegEnable
	}
	if r.legacy {
		r.buf[ecAutoneg] = v
	} else {
		r.buf[lsAutoneg] = v
	}
}

func (r raw) setSpeedDuplex(mbps uint32, duplex uint8) {
	if r.legacy {
		ne.PutUint16(r.buf[ecSpeed:], uint16(mbps))
		ne.PutUint16(r.buf[ecSpeedHi:], uint16(mbps>>16))
		r.buf[ecDuplex] = duplex
		return
	}
	ne.PutUint32(r.buf[lsSpeed:], mbps)
	r.buf[lsDuplex] = duplex
}

func (r raw) setAdvertising(m []uint32) {
	if r.legacy {
		ne.PutUint32(r.buf[ecAdvertising:], m[0])
		return
	}
	for j := 0; j < r.nwords && j < len(m); j++ {
		ne.PutUint32(r.buf[lsHeader+4*(r.nwords+j):], m[j])
	}
}

func maskHas(m []uint32, bit int) bool {
	return bit/32 < len(m) && m[bit/32]&(1<<(bit%32)) != 0
}

func maskEmpty(m []uint32) bool {
	for _, w := range m {
		if w != 0 {
			return false
		}
	}
	return true
}
