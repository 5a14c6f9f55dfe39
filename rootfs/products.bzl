"""What each board's product image holds: the daemons, the services the
init runs, the kernel. rootfs/BUILD.bazel makes the images with
board_image; tests/product makes one more virtual image with it, for a
test platform, so the image a test boots and the one the product ships
cannot drift apart."""

load(":image.bzl", "picket_image")

# Every daemon of the boards goes into /usr/bin; the init runs those in
# the services dicts below, in this order. slotctl is the on-box A/B
# state tool, scan the command-line scan.
DAEMONS = [
    "//src/cmd/netmgrd",
    "//src/cmd/consoled",
    "//src/cmd/lcdd",
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

_COMMON_SERVICES = {
    "netmgrd": [
        "-platform",
        "$PLATFORM",
        "-platform-ca",
        "$PLATFORM_CA",
    ],
    "consoled": [
        "-power",
        "init",
    ],
    "scannerd": [
        "-platform",
        "$PLATFORM_URL",
        "-platform-ca",
        "$PLATFORM_CA",
    ],
    # Downloads through the management path scannerd hands it, from the
    # platform it polls (pinned CA); a slot on trial is good only once
    # updaterd says it reached the platform (good_by below).
    "updaterd": [
        "-platform-ca",
        "$PLATFORM_CA",
    ],
}

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
# qemu's "virt" machine under EDK2 by tests/armimage. rpi4 also carries
# U-Boot and the Pi firmware's config.txt on its ESP (docs/boards.md: the
# Pi's GPU firmware must be added; not tested on a Pi).
_BOARDS = {
    "virtual": {
        "kernel": "kernel_amd64",
        "e2fsprogs": "e2fsprogs_amd64",
        "services": _COMMON_SERVICES,
    },
    # The appliance has a front panel.
    "appliance": {
        "kernel": "kernel_amd64",
        "e2fsprogs": "e2fsprogs_amd64",
        "services": _PANEL_SERVICES,
    },
    "rpi4": {
        "kernel": "kernel_arm64",
        "e2fsprogs": "e2fsprogs_arm64",
        "services": _PANEL_SERVICES,
        "grub": "arm64-efi",
        "esp_files": {"//rootfs:rpi4/config.txt": "config.txt"},
        "fetched_esp_files": {"u-boot.bin": "third_party/_fetched/u-boot-rpi/usr/lib/u-boot/rpi_arm64/u-boot.bin"},
    },
    "armv7": {
        "kernel": "kernel_armmp",
        "e2fsprogs": "e2fsprogs_armhf",
        "services": _PANEL_SERVICES,
        "grub": "arm-efi",
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
        init = ["//src/cmd/init"],
        initramfs_init = "//src/cmd/initramfs",
        kernel = "@%s//:vmlinuz" % b["kernel"],
        # The board's modules (platforms/board Modules) come out of it.
        kernel_files = "@%s//:files" % b["kernel"],
        # e2fsck and mke2fs for the init's repair of the data partition
        # (src/system/datapart): Debian's, of the board's architecture.
        rootfs_trees = ["@%s//:rootfs" % b["e2fsprogs"]],
        services = b["services"],
        grub_dir = "third_party/_fetched/grub-%s/usr/lib/grub/%s" % (grub, grub) if grub else None,
        esp_files = b.get("esp_files", {}),
        fetched_esp_files = b.get("fetched_esp_files", {}),
        signatures = SIGNATURES,
        good_by = "updater",
        **kwargs
    )
