#!/usr/bin/env bash
# Signature matching benchmark of issue 14: generates a database of 10,000
# signatures (80% product version ranges, a third of them with Debian
# backport lists; banner patterns, facts, TLS and SSH conditions) and 1,000
# hosts x 20 services drawn from the same products, and prints, on one
# core (GOMAXPROCS=1): the compile time and the compiled database's heap
# (HeapAlloc after a GC with the database alive, minus before: a memory
# measurement, not a serialized size), the time of the indexed matcher and
# of a naive linear matcher (every signature against every service) in the
# same run, with their findings (which must agree), and the heap in use.
# Signature source files given as arguments (the starter database) are
# compiled and measured as well. Not part of tools/test; the goal is under
# one second for the indexed match. Figures: docs/benchmarks.md
# ("Signature matching").
#
#   tests/bench/sigmatch.sh [-sigs N] [-hosts N] [-services N] [-runs N] [SOURCE...]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
command -v go >/dev/null || export PATH="$top/third_party/_fetched/go/bin:$PATH"
echo "$(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src tests/bench/sigmatch || echo ' (modified)'), $(nproc) cores"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$scratch/sigmatch" ./tests/bench/sigmatch
GOMAXPROCS=1 "$scratch/sigmatch" "$@"
