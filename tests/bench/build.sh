#!/usr/bin/env bash
# Build benchmark and reproducibility check. Not part of tools/test (it does
# two cold builds: ~20 minutes on 2 cores).
#
# Clones HEAD twice into scratch directories (different paths, so different
# Bazel output bases), and in each: a cold offline "bazel build //:all_boards
# //:host_tools", then a no-op rebuild. Prints both times, the peer figure (a
# cold "go build" of the same binaries with an empty GOCACHE), the output
# base size, and the sha256 of every binary from both clones; fails if any
# binary differs between the two.
#
#   tests/bench/build.sh [scratch-dir]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
scratch=${1:-$(mktemp -d /tmp/picket-bench.XXXXXX)}
"$top/tools/fetch" >/dev/null
rev=$(git -C "$top" rev-parse HEAD)
echo "commit $rev, $(nproc) cores, bazel-bootstrap $(dpkg-query -W -f='${Version}' bazel-bootstrap), load average $(cut -d" " -f1-3 /proc/loadavg)"

secs() { local t0=$EPOCHREALTIME; "$@" >/dev/null 2>&1; echo "$EPOCHREALTIME - $t0" | bc; }

for n in 1 2; do
	ws=$scratch/ws$n
	rm -rf "$ws"
	git clone -q "$top" "$ws"
	git -C "$ws" checkout -q "$rev"
	# The fetched inputs are the same files whoever fetched them.
	cp -a "$top/third_party/_fetched" "$ws/third_party/_fetched"
	(cd "$ws" && bazel clean --expunge >/dev/null 2>&1 || true)
	cold=$(cd "$ws" && secs tools/offline bazel build //:all_boards //:host_tools)
	noop=$(cd "$ws" && secs tools/offline bazel build //:all_boards //:host_tools)
	base=$(cd "$ws" && tools/offline bazel info output_base 2>/dev/null)
	size=$(du -sh "$base" | cut -f1)
	(cd "$ws" && find -L bazel-bin/all_boards -type f | sort | xargs sha256sum;
		find -L bazel-bin/host_tools -type f | sort | xargs sha256sum) >"$scratch/sha$n.txt"
	printf 'clone %d: cold build %.0f s, no-op rebuild %.1f s, output base %s\n' "$n" "$cold" "$noop" "$size"
	(cd "$ws" && tools/offline bazel shutdown >/dev/null 2>&1 || true)
done

# Peer: the same binaries with the go command, cold.
peer=$scratch/peer
rm -rf "$peer"; mkdir -p "$peer"
t0=$EPOCHREALTIME
(
	cd "$scratch/ws1"
	export GOCACHE=$peer/cache CGO_ENABLED=0 GOFLAGS=-mod=vendor
	for spec in appliance:amd64: virtual:amd64: rpi4:arm64: armv7:arm:7; do
		IFS=: read -r b arch arm <<<"$spec"
		GOARCH=$arch GOARM=$arm go build -trimpath -o "$peer/$b/" ./src/cmd/consoled ./src/cmd/lcdd ./src/cmd/netmgrd ./src/cmd/scannerd ./src/cmd/updaterd
	done
	go build -trimpath -o "$peer/host/" ./src/cmd/flasher ./src/cmd/imgtool ./src/cmd/platformd
)
printf 'peer: cold go build of the same 23 binaries %.0f s\n' "$(echo "$EPOCHREALTIME - $t0" | bc)"

echo
echo "sha256 of every binary (clone 1):"
sed "s|  bazel-bin/|  |" "$scratch/sha1.txt"
if cmp -s "$scratch/sha1.txt" "$scratch/sha2.txt"; then
	echo "reproducible: all $(wc -l <"$scratch/sha1.txt") binaries are bit-identical in both clones"
else
	echo "NOT reproducible:"; diff "$scratch/sha1.txt" "$scratch/sha2.txt"; exit 1
fi
