#!/usr/bin/env bash
# Slot install throughput of issue 15: package slotwriter (fsync and resume
# journal every 16 MiB, then the read-back of the partition) against
# `dd bs=1M conv=fsync` (one fsync at the end: the bytes are on the disk
# when it returns, as slotwriter's are) of the same image into the same
# target in the same run: a loop device over a file on the disk of -dir.
# Prints each round and the medians; the goal is slotwriter's write at
# least 80 % of dd's. Needs root (losetup). Not part of tools/test.
# Figures: docs/benchmarks.md ("Over-the-air updates").
#
#   tests/bench/slotwrite.sh [-mib 256] [-rounds 3] [-dir /var/tmp]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
command -v go >/dev/null || export PATH="$top/third_party/_fetched/go/bin:$PATH"
echo "$(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src tests/bench/slotwrite || echo ' (modified)'), $(nproc) cores"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$scratch/slotwrite" ./tests/bench/slotwrite
"$scratch/slotwrite" "$@"
