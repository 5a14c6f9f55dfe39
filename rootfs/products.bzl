"""What each board's product image holds: the daemons, the services the
init runs, the kernel. rootfs/BUILD.bazel makes the images with
board_image; tests/product makes one more virtual image with it, for a
test platform, so the image a test boots and the one the product ships
cannot drift apart."""

load(":image.bzl", "picket_image")

# The init and the daemons that start before the operator's menu are one
# binary (the multi-call src/cmd/picketbox): /sbin/init, and hard links to
# it at /usr/bin/<name>. The initramfs reads all of /sbin/init through
# dm-verity before it switches root, so their code is checked then and in
# the page cache when they start (src/cmd/picketbox says why).
MULTICALL = "//src/cmd/picketbox"

MULTICALL_PROGRAMS = ["init", "netmgrd", "consoled", "lcdd"]

# Binaries of their own in /usr/bin: the batch daemons, which init starts
# once the CPU is idle; slotctl, the on-box A/B state tool, and scan, the
# command-line scan, which nothing runs at boot. The init runs the
# daemons in the services dicts below in the order of MULTICALL_PROGRAMS
# and then this list.
DAEMONS = [
    "//src/cmd/scannerd",
    "//src/cmd/updaterd",
    "//src/cmd/slotctl",
    "//src/cmd/scan",
]

# The default signature database every image carries, compiled, packed
# with the version and date of its header and signed with the release key
# at image build (/usr/share/picket/signatures.pkg). scannerd falls back
# to it when the data partition has no valid database, and prefers it
# when it is newer than the one installed.
SIGNATURES = "//src/scan/sigdb/starter:starter.sigs"

# Each daemon's user, which is its group too: fixed numbers, the same on
# every board and in every release (the data directories on a box's data
# partition belong to them). docs/privileges.md is the table of users and
# rights these must match: tests/product and tests/appliance check the
# booted box's /proc against it.
USERS = {
    "netmgrd": "101",
    "scannerd": "102",
    "updaterd": "103",
    "consoled": "104",
    "lcdd": "105",
}

# The group of /run/picket ("picket"), where the local APIs' sockets are
# (mode 0660): every daemon's one supplementary group.
API_GROUP = 100

# Each daemon's rights but its user (pid1 UserConfig): capabilities,
# devices (board-dependent ones from _BOARDS), its data directory
# (/data/<data>, mode 0700) and the directories an earlier release kept
# its files in (moved there at boot), the init.sock operations it may ask.
# The uids each daemon's local API admits are its flags below.
def _rights(console, lcd_devices):
    return {
        # Netlink, ethtool, /proc/sys/net; AF_PACKET for DHCPv4 and raw
        # ICMP for the path test; UDP 546 for DHCPv6.
        "netmgrd": {
            "caps": ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
            "data": "netmgrd",
            "migrate": ["config", "keys"],
        },
        # AF_PACKET for the scans.
        "scannerd": {
            "caps": ["CAP_NET_RAW"],
            "data": "scannerd",
            "migrate": ["identity", "platformlink", "signatures"],
        },
        # Writes the idle slot, reads the booted one (deltas); the ESP
        # only through init.sock.
        "updaterd": {
            "devices": [{"slot": "idle", "write": True}, {"slot": "booted"}],
            "data": "updaterd",
            "migrate": ["updates"],
            "init": ["boot", "slot", "good", "reboot"],
        },
        "consoled": {
            "devices": [{"path": console, "write": True}],
            "init": ["reboot", "poweroff"],
        },
        "lcdd": {
            "devices": [{"path": d, "write": True} for d in lcd_devices],
            "init": ["reboot", "poweroff"],
        },
    }

_PANELS = "$UID_consoled,$UID_lcdd"

_COMMON_SERVICES = {
    "netmgrd": [
        "-data",
        "$DATA",
        "-platform",
        "$PLATFORM",
        "-platform-ca",
        "$PLATFORM_CA",
        "-link-uid",
        "$UID_scannerd",
        "-panel-uids",
        _PANELS,
    ],
    "consoled": [
        "-power",
        "init",
    ],
    "scannerd": [
        "-data",
        "$DATA",
        "-platform",
        "$PLATFORM_URL",
        "-platform-ca",
        "$PLATFORM_CA",
        "-panel-uids",
        _PANELS,
        "-netmgr-uids",
        "$UID_netmgrd",
        "-updater-uids",
        "$UID_updaterd",
    ],
    # Downloads through the management path scannerd hands it, from the
    # platform it polls (pinned CA); a slot on trial is good only once
    # updaterd says it reached the platform (good_by below).
    "updaterd": [
        "-data",
        "$DATA",
        "-platform-ca",
        "$PLATFORM_CA",
        "-link-uid",
        "$UID_scannerd",
        "-panel-uids",
        _PANELS,
    ],
}

# At boot the daemons that need the network start once the network
# manager answers on its socket: on one slow CPU (qemu's, a small board's)
# their start would take the network manager's, and the menu an operator
# opens at the console waits for the network manager (docs/benchmarks.md
# "Boot time"). The panels start at once.
_READY_SOCKETS = {"netmgrd": "/run/picket/netmgr.sock"}

_START_AFTER = {
    "scannerd": ["netmgrd"],
    "updaterd": ["netmgrd"],
}

# And then they start when the CPU has time to spare, one at a time: on
# one slow CPU each takes a second or more to start, which the console's
# first menu would otherwise wait for (docs/benchmarks.md "Boot time").
_WHEN_IDLE = ["scannerd", "updaterd"]

# The boards with a front panel run its daemon as well.
_PANEL_SERVICES = dict(
    _COMMON_SERVICES,
    lcdd = [
        "-power",
        "init",
    ],
)

# Board -> what differs between the boards' images. The x86_64 boards
# boot Debian's amd64 kernel via GRUB (EFI). The arm boards: the same disk
# layout and GRUB EFI A/B boot as x86 (GRUB for arm64-efi / arm-efi from
# Debian's arm packages, which tools/fetch unpacks), and the product
# initramfs, which verifies the slot against its signed manifest before
# switching to it, with the board's modules (platforms/board). Booted in
# qemu's "virt" machine under EDK2 by tests/armimage. rpi4 and armv7 also
# carry U-Boot (armv7: the Pi 2's and the Pi 3's) and the Pi firmware's
# config.txt on their ESP (docs/boards.md: the Pi's GPU firmware must be
# added; not tested on a Pi).
#
# The devices: the console's tty (platforms/board Console) and the LCD's
# (platforms/board LCD): the appliance's serial module; the Pi's I2C bus
# of the MCP23017 plate and the GPIO chip of its LEDs (gpiomem for
# periph's fast bcm283x driver); the armv7 board's GPIO.
_BOARDS = {
    "virtual": {
        "kernel": "kernel_amd64",
        "e2fsprogs": "e2fsprogs_amd64",
        "services": _COMMON_SERVICES,
        "rights": _rights("/dev/ttyS0", []),
    },
    # The appliance has a front panel.
    "appliance": {
        "kernel": "kernel_amd64",
        "e2fsprogs": "e2fsprogs_amd64",
        "services": _PANEL_SERVICES,
        "rights": _rights("/dev/ttyS0", ["/dev/ttyS1"]),
    },
    "rpi4": {
        "kernel": "kernel_arm64",
        "e2fsprogs": "e2fsprogs_arm64",
        "services": _PANEL_SERVICES,
        "rights": _rights("/dev/ttyUSB0", ["/dev/i2c-1", "/dev/gpiochip0", "/dev/gpiomem"]),
        "grub": "arm64-efi",
        "esp_files": {"//rootfs:rpi4/config.txt": "config.txt"},
        "fetched_esp_files": {"u-boot.bin": "third_party/_fetched/u-boot-rpi/usr/lib/u-boot/rpi_arm64/u-boot.bin"},
    },
    "armv7": {
        "kernel": "kernel_armmp",
        "e2fsprogs": "e2fsprogs_armhf",
        "services": _PANEL_SERVICES,
        "rights": _rights("/dev/ttyUSB0", ["/dev/gpiochip0", "/dev/gpiomem"]),
        "grub": "arm-efi",
        "esp_files": {"//rootfs:armv7/config.txt": "config.txt"},
        "fetched_esp_files": {
            "u-boot-rpi2.bin": "third_party/_fetched/u-boot-rpi-armhf/usr/lib/u-boot/rpi_2/u-boot.bin",
            "u-boot-rpi3.bin": "third_party/_fetched/u-boot-rpi-armhf/usr/lib/u-boot/rpi_3_32b/u-boot.bin",
        },
    },
}

def board_image(name, board, **kwargs):
    """The product image of board: name.img.

    Args:
      name: the target's name.
      board: a board of platforms/boards.bzl with an entry above.
      **kwargs: more picket_image attributes (platform, platform_ca,
        visibility, testonly, ...).
    """
    b = _BOARDS[board]
    grub = b.get("grub")
    picket_image(
        name = name,
        board = board,
        daemons = DAEMONS,
        multicall = MULTICALL,
        multicall_programs = MULTICALL_PROGRAMS,
        initramfs_init = "//src/cmd/initramfs",
        kernel = "@%s//:vmlinuz" % b["kernel"],
        # The board's modules (platforms/board Modules) come out of it.
        kernel_files = "@%s//:files" % b["kernel"],
        # e2fsck and mke2fs for the init's repair of the data partition
        # (src/system/datapart): Debian's, of the board's architecture.
        rootfs_trees = ["@%s//:rootfs" % b["e2fsprogs"]],
        services = b["services"],
        users = USERS,
        rights = {name: json.encode(r) for name, r in b["rights"].items()},
        api_group = API_GROUP,
        grub_dir = "third_party/_fetched/grub-%s/usr/lib/grub/%s" % (grub, grub) if grub else None,
        esp_files = b.get("esp_files", {}),
        fetched_esp_files = b.get("fetched_esp_files", {}),
        signatures = SIGNATURES,
        good_by = "updater",
        ready_sockets = _READY_SOCKETS,
        start_after = _START_AFTER,
        when_idle = _WHEN_IDLE,
        **kwargs
    )
