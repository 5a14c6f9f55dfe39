// Package netmgr is the benchmark of the network manager: how long netmgrd
// takes from a change (or a cold start) to "connected" — the box has its
// address and default route and a TLS handshake to the platform with the
// pinned CA succeeds — side by side with the same change made on the same
// bench by ip(8) commands and ISC dhclient, and how much memory netmgrd
// holds idle and after the changes.
//
// The benchmark is BenchmarkApplyToConnected in the package's test file.
// It needs root, runs real processes in network namespaces for minutes,
// and so runs only when asked for: go test ./... builds it and runs
// nothing. tests/bench/netmgr.sh runs it and prints the figures;
// docs/benchmarks.md ("Network manager") records them.
package netmgr
