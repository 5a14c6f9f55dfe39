#!/usr/bin/env bash
# Delta download size of issue 15: builds the board's rootfs squashfs as
# the product's image build does (the daemons and init cross-built with
# their version stamped, init.json, the signed default signature package,
# imagebuild.BuildSquashfs: xz, reproducible), then again with changes
# (scannerd's version stamp; scannerd's code; every binary's stamp; a
# release: all stamped and scannerd's code changed), chunks the images and
# prints the bytes a delta fetches (ranges + the chunk index) against the
# whole image; the goal is at most 25 % for a one-daemon change. Also a
# signature update's package against its database. Not part of
# tools/test. Figures: docs/benchmarks.md ("Over-the-air updates").
#
#   tests/bench/delta.sh [-board rpi4 -goarch arm64] [-goarm 7]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
command -v go >/dev/null || export PATH="$top/third_party/_fetched/go/bin:$PATH"
echo "$(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src tests/bench/delta || echo ' (modified)'), $(nproc) cores"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$scratch/delta" ./tests/bench/delta
"$scratch/delta" "$@"
