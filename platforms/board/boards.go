package board

// all returns every board. A function rather than a package variable so
// that no caller can change the table.
func all() []Board {
	return []Board{appliance(), virtual(), rpi4(), armv7()}
}

func console(device string) Console {
	return Console{Device: device, Baud: 9600, DataBits: 8, Parity: "none", StopBits: 2}
}

// usbModules are every board's USB run-time modules: the xHCI host
// controller, USB Ethernet adapters (RTL8152/8153, AX88179, AX88772, CDC
// Ethernet) and USB serial adapters (FTDI, Prolific, CP210x, CH341: the
// arm boards' console is /dev/ttyUSB0). A box loads those its devices
// call for, also when one is plugged in later (src/system/modload).
func usbModules() []string {
	return []string{"xhci_pci", "cdc_ether", "r8152", "ax88179_178a", "asix", "ftdi_sio", "pl2303", "cp210x", "ch341"}
}

// x86Modules are the modules of the x86_64 boards (Debian's amd64
// kernel): virtio, NVMe and SATA disks, in that order: the initramfs
// loads the disk drivers one at a time in the list's order and stops
// once the boot disk is up (src/system/modload), and AHCI's probe of its
// ports is the slow one (~0.35 s under qemu), NVMe's runs in the
// background; the NICs of qemu, VMware, VirtualBox and the appliance's
// Intel ports, USB (and EHCI for older boxes' ports); dm-verity under
// the rootfs. FAT's code pages are the kernel's defaults (codepage 437,
// iocharset ascii), which the ESP's mounts use. No CRC crypto modules:
// crc-t10dif and crc64-rocksoft (T10 protection information, for sd_mod
// and nvme) use their library's own table code when no faster algorithm
// is registered, and the generic ones are that same code.
func x86Modules() Modules {
	return Modules{
		Boot: []string{"virtio_pci", "virtio_blk", "nvme", "ahci", "sd_mod",
			"vfat", "nls_cp437", "nls_ascii", "squashfs", "dm_verity"},
		Run: append([]string{"crc32c_generic", "ext4", "virtio_net", "e1000", "e1000e", "igb", "igc", "vmxnet3", "virtio_rng", "8021q", "ehci_pci"},
			usbModules()...),
	}
}

// armModules returns the modules every arm image carries, with the
// board's own boot and run modules appended. The initramfs modules are for
// qemu's "virt" machine, which tests/armimage boots them in (Debian's
// arm64 and armmp kernels): the virtio disk (PCI and MMIO transports),
// FAT for the ESP, squashfs and dm-verity for the slots. The SDHCI core every board's SD
// controller builds on comes first; mmc_core and mmc_block are built into
// both kernels (=y). The run-time modules: ext4 for the data partition,
// 802.1Q for scanning VLANs, virtio-rng and virtio-net for qemu, USB.
func armModules(boot, run []string) Modules {
	return Modules{
		Boot: append([]string{"virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio_mmio", "virtio_blk",
			"sdhci", "sdhci_pltfm", "fat", "vfat", "nls_cp437", "nls_ascii", "squashfs", "dm_verity"}, boot...),
		Run: append(append([]string{"crc32c_generic", "ext4", "8021q", "virtio_rng", "virtio_net"}, usbModules()...), run...),
	}
}

// rpi4Modules are the Raspberry Pi 4's (Debian's arm64 kernel): its
// microSD slot is the BCM2711's EMMC2 controller (sdhci-iproc,
// "brcm,bcm2711-emmc2"); its Ethernet is GENET (module genet) with the
// UniMAC MDIO bus and a BCM54213PE PHY (broadcom). The PHY driver is
// loaded before GENET so that GENET binds it rather than the generic PHY
// when the interface comes up.
func rpi4Modules() Modules {
	return armModules([]string{"sdhci_iproc"}, []string{"mdio_bcm_unimac", "broadcom", "genet"})
}

// armv7Modules are the armv7 board's (Debian's armmp kernel): a
// Raspberry Pi 2 B, 3 B or 3 B+ running 32-bit, whose GPIO numbering the
// board's pins use. Its SD slot is on the BCM2835 sdhost controller
// (bcm2835) or the Arasan SDHCI (sdhci-iproc, "brcm,bcm2835-sdhci"),
// depending on the device tree; its Ethernet is a USB chip on the DWC2
// USB host: LAN9514 (smsc95xx, PHY smsc) on the 2 B and 3 B, LAN7515
// (lan78xx, PHY microchip) on the 3 B+.
func armv7Modules() Modules {
	return armModules([]string{"sdhci_iproc", "bcm2835"},
		[]string{"dwc2", "smsc", "smsc95xx", "microchip", "lan78xx"})
}

func disk(device string, bootMiB, rootfsMiB int) Disk {
	return Disk{Device: device, Partitions: []Partition{
		{Label: "boot", SizeMiB: bootMiB, FS: "vfat"},
		{Label: "rootfs_a", SizeMiB: rootfsMiB, FS: "squashfs"},
		{Label: "rootfs_b", SizeMiB: rootfsMiB, FS: "squashfs"},
		{Label: "data", SizeMiB: 0, FS: "ext4"},
	}}
}

// appliance is the x86_64 rack box: a serial character LCD module with its
// own keypad on the second UART, the console on the first.
func appliance() Board {
	return Board{
		Name:        "appliance",
		Description: "x86_64 rack appliance, serial LCD module with keypad",
		GOARCH:      "amd64",
		LCD:         LCD{Kind: LCDSerialModule, Cols: 16, Rows: 2, Device: "/dev/ttyS1"},
		Console:     console("/dev/ttyS0"),
		LAN:         "eth0",
		WAN:         "eth1",
		Disk:        disk("/dev/sda", 256, 512),
		Modules:     x86Modules(),
	}
}

// virtual is the virtual appliance: no front panel, console on the VM's
// first serial port.
func virtual() Board {
	return Board{
		Name:        "virtual",
		Description: "x86_64 virtual appliance (qemu, VMware, VirtualBox), no LCD",
		GOARCH:      "amd64",
		LCD:         LCD{Kind: LCDNone},
		Console:     console("/dev/ttyS0"),
		LAN:         "eth0",
		WAN:         "eth1",
		Disk:        disk("/dev/vda", 256, 512),
		Modules:     x86Modules(),
	}
}

// rpi4 is a Raspberry Pi 4 with an MCP23017 16x2 LCD plate (the common
// "RGB LCD plate" wiring: keys on port A, LCD on port B) and a USB serial
// adapter for the console.
func rpi4() Board {
	return Board{
		Name:        "rpi4",
		Description: "Raspberry Pi 4 (arm64), HD44780 16x2 on an MCP23017 I2C plate",
		GOARCH:      "arm64",
		LCD: LCD{
			Kind: LCDHD44780MCP23017, Cols: 16, Rows: 2,
			I2CBus: "1", I2CAddr: 0x20,
			RS: "GPB7", E: "GPB5", Data: [4]string{"GPB4", "GPB3", "GPB2", "GPB1"},
			Backlight: "GPA6",
		},
		Keys:    Keys{Enter: "GPA0", Right: "GPA1", Down: "GPA2", Up: "GPA3", Left: "GPA4", ActiveLow: true},
		LEDs:    LEDs{S1: "GPIO23", S2: "GPIO24"},
		Console: console("/dev/ttyUSB0"),
		LAN:     "eth0",
		WAN:     "eth1",
		Disk:    disk("/dev/mmcblk0", 256, 512),
		Modules: rpi4Modules(),
	}
}

// armv7 is a 32-bit ARM board with the HD44780 wired to GPIO in 4-bit mode.
func armv7() Board {
	return Board{
		Name:        "armv7",
		Description: "32-bit ARMv7 board, HD44780 16x2 on GPIO",
		GOARCH:      "arm",
		GOARM:       "7",
		LCD: LCD{
			Kind: LCDHD44780GPIO, Cols: 16, Rows: 2,
			RS: "GPIO25", E: "GPIO24", Data: [4]string{"GPIO23", "GPIO17", "GPIO18", "GPIO22"},
			Backlight: "GPIO4",
		},
		Keys:    Keys{Up: "GPIO5", Down: "GPIO6", Left: "GPIO13", Right: "GPIO19", Enter: "GPIO26", ActiveLow: true},
		LEDs:    LEDs{S1: "GPIO20", S2: "GPIO21"},
		Console: console("/dev/ttyUSB0"),
		LAN:     "eth0",
		WAN:     "eth1",
		Disk:    disk("/dev/mmcblk0", 256, 512),
		Modules: armv7Modules(),
	}
}
