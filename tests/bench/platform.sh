#!/usr/bin/env bash
# Platform server benchmark: one platformd (in-process, loopback HTTPS,
# bbolt in a temporary directory) holding N simulated boxes that each sign
# their polls and poll every 180 s (N/180 polls a second, Poisson
# arrivals, a new TLS connection per poll), N increasing until the p99
# poll latency exceeds 100 ms. Prints a table; docs/benchmarks.md
# ("Platform server") records a run.
#
#   tests/bench/platform.sh [-n 2000,5000,...] [-duration 30s] [-p99 100ms]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load average $(cut -d" " -f1-3 /proc/loadavg)"
exec go run ./tests/bench/platform "$@"
