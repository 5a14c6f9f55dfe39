// Package service is the benchmark of service detection: src/scan/service's
// Detector side by side with Debian's nmap -sV on the services of
// src/testkit/svcbench, per port the product and version each names and whether
// they agree; and the tool that captured the parser tests' fixtures
// (src/scan/service/testdata) from the same services.
//
// Both are benchmarks of the package's test file that run only when asked for
// (PICKET_BENCH=1): tests/bench/service.sh runs the comparison and prints the
// table; docs/benchmarks.md ("Service detection") records it.
package service
