#!/usr/bin/env bash
# Boot-time benchmark of the virtual appliance image. Not part of tools/test.
#
# Builds //rootfs:image_virtual (offline Bazel) and boots a fresh copy of it
# RUNS times under qemu (TCG, q35, OVMF, virtio disk, a virtio NIC on
# qemu's user network with restrict=on: its DHCP, no way out), timing from
# qemu's start to each milestone on the serial console: GRUB's "booting
# slot", the initramfs's verified slot, the init starting the daemons, the
# console menu, and the slot marked good (the daemons stable for 30 s). The
# peer, in the same run: the same kernel booted by qemu directly (-kernel,
# no firmware, no GRUB) into a minimal Go init that prints one line and
# powers off (tests/image/testinit): the floor of kernel + Go start on this
# host. Prints medians.
#
#   tests/bench/boot.sh [RUNS]   (default 3; about 1 minute per run)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
runs=${1:-3}
command -v go >/dev/null || export PATH="$top/third_party/_fetched/go/bin:$PATH"
tools/fetch >/dev/null
tools/offline bazel build //rootfs:image_virtual //tests/image/testinit >/dev/null 2>&1
img=bazel-bin/rootfs/image_virtual.img
scratch=$(mktemp -d /tmp/picket-bootbench.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, qemu $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'), TCG, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "image: $(du -h --apparent-size $img | cut -f1) apparent, $(du -h $img | cut -f1) allocated"

# timeline CMD... : runs CMD, prints "<seconds> <line>" for every console
# line, stops qemu at the first "marked good" or "powered off" or after 4 min.
timeline() {
	local t0=$EPOCHREALTIME line pidfile
	pidfile=$(mktemp "$scratch/pid.XXXXXX")
	while IFS= read -r line; do
		line=${line//$'\r'/}
		printf '%.2f %s\n' "$(echo "$EPOCHREALTIME - $t0" | bc)" "$line"
		case $line in *"init: marked good"* | *"picket-testinit: "*) kill "$(cat "$pidfile")" 2>/dev/null || true ;; esac
	# The console menu's text ends with escape sequences, not a newline:
	# ESC ends a record too.
	done < <({ timeout 240 "$@" 2>&1 & echo $! >"$pidfile"; wait; } | stdbuf -o0 tr '\033' '\n')
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }

declare -A got
milestones=("picket: booting slot" "signature verified, blocks checked as read" "init: slot a, starting" "Press ENTER to start" "init: marked good")
for n in $(seq "$runs"); do
	cp "$img" "$scratch/disk.img"
	chmod 644 "$scratch/disk.img"
	cp /usr/share/OVMF/OVMF_VARS.fd "$scratch/vars.fd"
	timeline qemu-system-x86_64 -machine q35 -cpu max -m 512 -display none -monitor none -nodefaults -no-reboot \
		-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
		-drive if=pflash,format=raw,file="$scratch/vars.fd" \
		-drive file="$scratch/disk.img",format=raw,if=virtio -nic user,restrict=on,model=virtio-net-pci \
		-serial stdio >"$scratch/run$n.txt"
	for m in "${milestones[@]}"; do
		t=$(grep -a -F -m1 -- "$m" "$scratch/run$n.txt" | cut -d' ' -f1 || true)
		got[$m]+="${t:-} "
	done
	# The peer: kernel + minimal Go init, no firmware or bootloader.
	go run ./tests/bench/mkinitramfs -init "$top/bazel-bin/tests/image/testinit/testinit_/testinit" -out "$scratch/peer.img"
	timeline qemu-system-x86_64 -machine q35 -cpu max -m 512 -display none -monitor none -nodefaults -no-reboot \
		-kernel third_party/_fetched/kernel-amd64/vmlinuz -initrd "$scratch/peer.img" \
		-append "console=ttyS0 random.trust_cpu=on quiet" -serial stdio >"$scratch/peer$n.txt"
	t=$(grep -a -m1 'picket-testinit: Linux version' "$scratch/peer$n.txt" | cut -d' ' -f1 || true)
	got[peer]+="${t:-} "
done
echo "median seconds from qemu start ($runs runs):"
for m in "${milestones[@]}"; do
	printf '  %-40s %s\n' "$m" "$(printf '%s\n' ${got[$m]} | median)"
done
printf '  %-40s %s\n' "peer: kernel + Go init line (-kernel)" "$(printf '%s\n' ${got[peer]} | median)"
