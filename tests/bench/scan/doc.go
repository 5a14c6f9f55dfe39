// Package scan is the benchmark of the scan engine: the `scan` command
// side by side with `nmap -sS -T4` and masscan on the same scan bench
// (testkit/scanbench) — wall time, frames sent and open ports found, on
// 50 hosts x 1024 ports and on one host with 200 addresses — and the
// scan's resident memory while it scans a /16.
//
// The benchmark is BenchmarkScanners in the package's test file. It needs
// root, nmap and masscan, and runs for minutes, so it runs only when
// asked for (PICKET_BENCH=1): tests/bench/scan.sh runs it and prints the
// table; docs/benchmarks.md ("Scan engine") records the figures.
package scan
