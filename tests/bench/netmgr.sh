#!/usr/bin/env bash
# Network manager benchmark: time from a change (or a cold start) to
# "connected" for netmgrd, side by side with the same change made by ip(8)
# and ISC dhclient on the same namespace bench, and netmgrd's memory. Not
# part of tools/test: it needs root, installs its peer (isc-dhcp-client)
# if missing, and takes a minute or two.
#
#   sudo tests/bench/netmgr.sh [runs]      (runs: repeats per measure, default 10)
#
# PICKET_NETMGRD=/path/to/netmgrd benchmarks that binary instead of one
# built from the checkout. The benchmark is BenchmarkApplyToConnected in
# tests/bench/netmgr; the figures are in docs/benchmarks.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-10}
if [ "$(id -u)" != 0 ]; then
	echo "netmgr.sh: run as root (the bench creates network namespaces)" >&2
	exit 1
fi
export PATH=$PATH:/usr/sbin:/sbin
if ! command -v dhclient >/dev/null; then
	echo "installing the peer: isc-dhcp-client"
	apt-get install -y -q isc-dhcp-client >/dev/null
fi
for tool in dhclient openssl dnsmasq ip; do
	command -v "$tool" >/dev/null || { echo "netmgr.sh: $tool is needed" >&2; exit 1; }
done
echo "$(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
echo "peer: isc-dhcp-client $(dpkg-query -W -f='${Version}' isc-dhcp-client), $(openssl version), $(ip -V)"
cd "$top"
PICKET_BENCH=1 PICKET_BENCH_RUNS=$runs go test -count=1 -timeout 30m -run '^$' \
	-bench ApplyToConnected -benchtime 1x ./tests/bench/netmgr/
