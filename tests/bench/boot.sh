#!/usr/bin/env bash
# Boot-time benchmark of the virtual appliance image. Not part of tools/test.
#
# Builds //rootfs:image_virtual (offline Bazel, with a platform CA as
# tools/up does: all four daemons) and boots a fresh copy of it
# RUNS times under qemu (TCG, q35, OVMF, virtio disk, a virtio NIC on
# qemu's user network with restrict=on: its DHCP, no way out), timing from
# qemu's start to each milestone on the serial console: GRUB's "booting
# slot", the initramfs's start and its verified slot, the init starting the
# daemons, the console's prompt, the menu answering ENTER pressed at the
# prompt (its header shows the MAC address the network manager gave), and
# the slot marked good (the daemons stable for 30 s).
#
# The peer, in the same run and on the same machine state: a disk made by
# the same imgtool with the same OVMF, GRUB and kernel, whose initramfs is
# a minimal Go init that prints the kernel version and powers off
# (tests/image/testinit): the floor of firmware + GRUB + kernel + Go start.
# The goal (issue 17): the console menu within 1.3 times the peer's line.
#
# TIMEOUT=SECONDS stops each boot after that long (default 240, enough
# for "marked good"; 30 is enough for the menu and makes a run of 7 with
# BEFORE take ~9 minutes rather than ~13, the "marked good" column then
# empty).
#
# BEFORE=IMAGE adds the boots of another image file (an older build of
# image_virtual.img, say from a worktree at an older commit) to the same
# run, for a before/after comparison. KEEP=DIR keeps every boot's console
# log (each line with its second) in DIR, to see where the time goes.
#
#   tests/bench/boot.sh [RUNS]   (default 3; about 1.5 minutes per run)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
runs=${1:-3}
command -v go >/dev/null || export PATH="$top/third_party/_fetched/go/bin:$PATH"
tools/fetch >/dev/null
# The image as tools/up builds it: with a platform CA (a throwaway one,
# kept in out/ so that a second run reuses the build), hence with the
# platform link's daemon, scannerd, beside netmgrd, consoled and updaterd.
# The platform's address does not resolve here; the box keeps trying.
ca=$top/out/bench/platform-ca.pem
if [ ! -s "$ca" ]; then
	mkdir -p "$(dirname "$ca")"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -out "$ca" \
		-days 3650 -subj /CN=picket-boot-bench-ca 2>/dev/null
fi
tools/offline bazel build //rootfs:image_virtual //tests/image/testinit //src/cmd/imgtool "--//rootfs:platform_ca=$ca" >/dev/null 2>&1
# An idle Bazel server beside the boots made them slower and noisier (its
# JVM wakes up); it starts again at the next bazel command.
tools/offline bazel shutdown >/dev/null 2>&1 || true
img=bazel-bin/rootfs/image_virtual.img
scratch=$(mktemp -d /tmp/picket-bootbench.XXXXXX)
trap 'if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; cp "$scratch"/*.txt "$KEEP"/; fi; rm -rf "$scratch"' EXIT
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, qemu $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'), TCG, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "image: $(du -h --apparent-size $img | cut -f1) apparent, $(du -h $img | cut -f1) allocated"

# The peer's disk: imgtool with the testinit initramfs, a one-file rootfs.
imgtool=bazel-bin/src/cmd/imgtool/imgtool_/imgtool
mkdir -p "$scratch/keys" "$scratch/rootfs/sbin"
"$imgtool" keygen -out "$scratch/keys" >/dev/null
echo peer >"$scratch/rootfs/sbin/init"
go run ./tests/bench/mkinitramfs -init "$top/bazel-bin/tests/image/testinit/testinit_/testinit" -out "$scratch/peer-initrd.img"
"$imgtool" build -board virtual -version 0.0.0-bench -kernel third_party/_fetched/kernel-amd64/vmlinuz \
	-initrd "$scratch/peer-initrd.img" -rootfs-dir "$scratch/rootfs" -key "$scratch/keys/release.key" \
	-slot-mib 16 -data-mib 8 -out "$scratch/peer-disk.img" >/dev/null

# timeline CMD... : runs CMD, prints "<seconds> <line>" for every console
# line, stops qemu at the first "marked good" or testinit line or after
# TIMEOUT.
# Like an operator at the console, it presses ENTER (on the serial line, the
# command's stdin) as soon as the prompt shows: the menu then answers once
# the network manager does.
timeline() {
	local t0=$EPOCHREALTIME line pidfile fifo entered=""
	pidfile=$(mktemp "$scratch/pid.XXXXXX")
	fifo=$(mktemp -u "$scratch/in.XXXXXX")
	mkfifo "$fifo"
	exec 3<>"$fifo"
	while IFS= read -r line; do
		line=${line//$'\r'/}
		printf '%.2f %s\n' "$(echo "$EPOCHREALTIME - $t0" | bc)" "$line"
		case $line in *"init: marked good"* | *"picket-testinit: "*) kill "$(cat "$pidfile")" 2>/dev/null || true ;; esac
		case $line in *"Press ENTER to start"*) if [ -z "$entered" ]; then printf '\r' >&3; entered=1; fi ;; esac
	# The console menu's text ends with escape sequences, not a newline:
	# ESC ends a record too.
	done < <({ timeout "${TIMEOUT:-240}" "$@" <&3 2>&1 & echo $! >"$pidfile"; wait; } | stdbuf -o0 tr '\033' '\n')
	exec 3>&-
	rm -f "$fifo"
}

# boot DISK OUT: a fresh copy of DISK under OVMF, as the product boots.
boot() {
	cp "$1" "$scratch/disk.img"
	chmod 644 "$scratch/disk.img"
	cp /usr/share/OVMF/OVMF_VARS.fd "$scratch/vars.fd"
	timeline qemu-system-x86_64 -machine q35 -cpu max -m 512 -display none -monitor none -nodefaults -no-reboot \
		-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
		-drive if=pflash,format=raw,file="$scratch/vars.fd" \
		-drive file="$scratch/disk.img",format=raw,if=virtio -nic user,restrict=on,model=virtio-net-pci \
		-serial stdio >"$2"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }
first() { grep -a -F -m1 -- "$1" "$2" | cut -d' ' -f1 || true; }

declare -A got
# ratios PREFIX LOG PEER: the boot's prompt and menu against the peer's
# boot of the same run, and the time from init's start to each: that
# interval leaves out the firmware's and kernel's share, which varies most
# between boots, so it shows a change in init or the daemons in fewer runs.
ratios() {
	local s t m
	s=$(first "init: slot a, starting" "$2")
	for m in "Press ENTER to start" "MAC address of"; do
		t=$(first "$m" "$2")
		if [ -n "$t" ] && [ -n "$3" ]; then got[$1ratio $m]+="$(echo "scale=2; $t / $3" | bc) "; fi
		if [ -n "$t" ] && [ -n "$s" ]; then got[$1since $m]+="$(echo "$t - $s" | bc) "; fi
	done
}
milestones=("picket: booting slot" "picket: initramfs started" "picket: slot a verified" "init: slot a, starting" "Press ENTER to start" "MAC address of" "init: marked good")
for n in $(seq "$runs"); do
	boot "$img" "$scratch/run$n.txt"
	for m in "${milestones[@]}"; do got[$m]+="$(first "$m" "$scratch/run$n.txt") "; done
	boot "$scratch/peer-disk.img" "$scratch/peer$n.txt"
	got[peer_grub]+="$(first "picket: booting slot" "$scratch/peer$n.txt") "
	got[peer]+="$(first "picket-testinit: Linux version" "$scratch/peer$n.txt") "
	# This run's ratios: the product's boot and the peer's right after
	# it, on the same machine state.
	p=$(first "picket-testinit: Linux version" "$scratch/peer$n.txt")
	ratios "" "$scratch/run$n.txt" "$p"
	if [ -n "${BEFORE:-}" ]; then
		boot "$BEFORE" "$scratch/before$n.txt"
		for m in "${milestones[@]}"; do got[before $m]+="$(first "$m" "$scratch/before$n.txt") "; done
		ratios "before " "$scratch/before$n.txt" "$p"
	fi
done
echo "median seconds from qemu start ($runs runs):"
printf '  %-40s %8s %8s\n' milestone this ${BEFORE:+before}
for m in "${milestones[@]}"; do
	printf '  %-40s %8s %8s\n' "$m" "$(printf '%s\n' ${got[$m]} | median)" "${BEFORE:+$(printf '%s\n' ${got[before $m]} | median)}"
done
printf '  %-40s %8s\n' "peer: GRUB's booting slot" "$(printf '%s\n' ${got[peer_grub]} | median)"
printf '  %-40s %8s\n' "peer: Go init's first line" "$(printf '%s\n' ${got[peer]} | median)"
menu=$(printf '%s\n' ${got[Press ENTER to start]} | median)
peer=$(printf '%s\n' ${got[peer]} | median)
answer=$(printf '%s\n' ${got[MAC address of]} | median)
echo "console prompt / peer: $(echo "scale=2; $menu / $peer" | bc) (goal: at most 1.3); each run's: ${got[ratio Press ENTER to start]}(median $(printf '%s\n' ${got[ratio Press ENTER to start]} | median))"
echo "menu answering ENTER pressed at the prompt (its header's MAC address) / peer: $(echo "scale=2; $answer / $peer" | bc); each run's: ${got[ratio MAC address of]}(median $(printf '%s\n' ${got[ratio MAC address of]} | median))"
for k in "" ${BEFORE:+"before "}; do
	label=${k:-this }
	echo "${label% }: init's start to the prompt $(printf '%s\n' ${got[${k}since Press ENTER to start]} | median) s, to the menu $(printf '%s\n' ${got[${k}since MAC address of]} | median) s (medians of each boot's)"
done
if [ -n "${BEFORE:-}" ]; then
	echo "before: prompt / peer, each run's: ${got[before ratio Press ENTER to start]}(median $(printf '%s\n' ${got[before ratio Press ENTER to start]} | median)); menu / peer: ${got[before ratio MAC address of]}(median $(printf '%s\n' ${got[before ratio MAC address of]} | median))"
fi
