package main

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ethtool commands and sizes (include/uapi/linux/ethtool.h).
const (
	ethtoolGDrvInfo = 0x00000003 // ETHTOOL_GDRVINFO
	ethtoolGRegs    = 0x00000004 // ETHTOOL_GREGS
	// struct ethtool_drvinfo: cmd, driver[32], version[32], fw_version[32],
	// bus_info[32], erom_version[32], reserved2[12], n_priv_flags,
	// n_stats, testinfo_len, eedump_len, regdump_len.
	drvinfoSize       = 196
	drvinfoRegdumpLen = 192
	regsHeader        = 12 // struct ethtool_regs: cmd, version, len
)

// ifreqData is struct ifreq with ifr_data.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

func ethtoolIoctl(fd int, ifname string, data []byte) error {
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

// ethtoolRegs is the driver's register dump (ethtool -d), as 32-bit words
// in the machine's byte order. It reads the NIC, not what ethlink
// remembers or decodes, so a test can check what the driver programmed.
func ethtoolRegs(ifname string) ([]uint32, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("ethtool socket: %w", err)
	}
	defer unix.Close(fd)
	info := make([]byte, drvinfoSize)
	binary.NativeEndian.PutUint32(info, ethtoolGDrvInfo)
	if err := ethtoolIoctl(fd, ifname, info); err != nil {
		return nil, fmt.Errorf("ETHTOOL_GDRVINFO on %s: %w", ifname, err)
	}
	n := binary.NativeEndian.Uint32(info[drvinfoRegdumpLen:])
	if n == 0 || n > 1<<20 {
		return nil, fmt.Errorf("%s: register dump of %d bytes", ifname, n)
	}
	buf := make([]byte, regsHeader+int(n))
	binary.NativeEndian.PutUint32(buf, ethtoolGRegs)
	binary.NativeEndian.PutUint32(buf[8:], n)
	if err := ethtoolIoctl(fd, ifname, buf); err != nil {
		return nil, fmt.Errorf("ETHTOOL_GREGS on %s: %w", ifname, err)
	}
	got := binary.NativeEndian.Uint32(buf[8:])
	words := make([]uint32, min(got, n)/4)
	for i := range words {
		words[i] = binary.NativeEndian.Uint32(buf[regsHeader+4*i:])
	}
	return words, nil
}
