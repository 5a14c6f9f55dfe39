#!/usr/bin/env bash
# Service detection benchmark: src/scan/service's Detector and Debian's nmap -sV
# side by side on the real services of src/testkit/svcbench (sshd, nginx,
# vsftpd, snmpd, dnsmasq, redis-server, exim4, dovecot, telnetd, ntpsec,
# postgresql, slapd, mariadb and the Go listeners), per service nmap's product and version
# next to ours, the agreement percentage (same product where nmap names one,
# else the same service name; goal >= 95 %) and both wall times. Not part of
# tools/test: it needs root and nmap.
#
#   sudo tests/bench/service.sh
#
# The benchmark is BenchmarkNmapComparison in tests/bench/service; the figures
# are in docs/benchmarks.md ("Service detection").
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "service.sh: run as root (the bench creates network namespaces)" >&2
	exit 1
fi
export PATH=$PATH:/usr/sbin:/sbin
for tool in nmap sshd nginx vsftpd snmpd dnsmasq redis-server exim4 dovecot telnetd ntpd setpriv slapd mariadbd ip; do
	command -v "$tool" >/dev/null || { echo "service.sh: $tool is needed (tools/fetch installs it)" >&2; exit 1; }
done
echo "$(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
cd "$top"
PICKET_BENCH=1 go test -count=1 -timeout 10m -run '^$' -bench NmapComparison -benchtime 1x ./tests/bench/service/
