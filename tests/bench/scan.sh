#!/usr/bin/env bash
# Scan engine benchmark: the scan command side by side with nmap -sS -T4
# and masscan on the same namespace bench (testkit/scanbench): 50 hosts x
# 1024 ports and one host with 200 addresses x 1024 ports — wall time,
# frames sent (the scanner's veth counter), open ports found against the
# bench's truth — and scan's peak resident size scanning a /16. Not part
# of tools/test: it needs root, nmap and masscan (tools/fetch installs
# them), and takes a few minutes.
#
#   sudo tests/bench/scan.sh
#
# PICKET_SCAN=/path/to/scan benchmarks that binary instead of one built
# from the checkout. The benchmark is BenchmarkScanners in
# tests/bench/scan; the figures are in docs/benchmarks.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "scan.sh: run as root (the bench creates network namespaces)" >&2
	exit 1
fi
export PATH=$PATH:/usr/sbin:/sbin
for tool in nmap masscan nft ip; do
	command -v "$tool" >/dev/null || { echo "scan.sh: $tool is needed (tools/fetch installs it)" >&2; exit 1; }
done
echo "$(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
echo "peers: $(nmap --version | head -1), $(masscan --version 2>/dev/null | grep -m1 -o 'Masscan version [^ ]*')"
cd "$top"
PICKET_BENCH=1 go test -count=1 -timeout 30m -run '^$' \
	-bench Scanners -benchtime 1x ./tests/bench/scan/
