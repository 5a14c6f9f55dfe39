#!/usr/bin/env bash
# Platform server benchmark: N simulated boxes that each sign their polls
# and poll every 180 s (N/180 polls a second, Poisson arrivals, a new TLS
# connection per poll), N increasing (the -n steps, then by -grow) until
# the p99 poll latency passes 100 ms (the knee), then once halfway back,
# in three set-ups one after the other in one run:
#   1. one platform server on the embedded bbolt store (the default),
#   2. one on PostgreSQL,
#   3. two on one PostgreSQL database behind haproxy (TCP passthrough).
# PostgreSQL is a throwaway cluster (Debian's postgresql-15, as the tests'
# testkit/pgtest makes them, unix socket only, but durable: fsync and
# synchronous commit on, as a production database), removed at the
# end. Prints a table per set-up, with each step's costs per poll (CPU of
# the benchmark's process, and on PostgreSQL the cluster's CPU, WAL bytes
# and transactions), then the database's size per box, per job and per
# host (-size, -history); docs/benchmarks.md ("Platform server") records a
# run.
#
#   tests/bench/platform.sh [-n 10000,30000,...] [-duration 30s] [-grow 1.25] [-p99 100ms] [-history 500x4x20]
#   tests/bench/platform.sh -n 10000,30000 -duration 10s -grow 1 -size=false   # a quick look, no knee
#   PLATFORM_BENCH=bolt tests/bench/platform.sh ...   # one set-up: bolt, pg1 or pg2
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load average $(cut -d" " -f1-3 /proc/loadavg)"
go build -o /tmp/picket-platform-bench ./tests/bench/platform
setups=${PLATFORM_BENCH:-bolt pg1 pg2}
pg=/usr/lib/postgresql/15/bin
dir=""
cleanup() {
	if [ -n "$dir" ]; then
		runuser -u postgres -- $pg/pg_ctl -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
if [[ "$setups" == *pg* ]]; then
	[ -x $pg/initdb ] || { echo "PostgreSQL 15 is not installed: tools/fetch installs Debian's postgresql-15" >&2; exit 1; }
	dir=$(mktemp -d /tmp/picket-bench-pg.XXXXXX)
	chmod 755 "$dir" && chown postgres "$dir"
	runuser -u postgres -- $pg/initdb -D "$dir/data" -A trust -U postgres --no-sync --no-instructions -E UTF8 --locale=C >/dev/null
	runuser -u postgres -- $pg/pg_ctl -D "$dir/data" -l "$dir/server.log" -w \
		-o "-k $dir -c listen_addresses='' -c max_connections=200" start >/dev/null
fi
for s in $setups; do
	case $s in
	bolt) echo "== one replica, embedded bbolt store"; /tmp/picket-platform-bench "$@" ;;
	pg1 | pg2)
		n=${s#pg}
		runuser -u postgres -- $pg/psql -h "$dir" -U postgres -qc "CREATE DATABASE bench$n" postgres
		echo "== $n replica(s), PostgreSQL 15$([ "$n" -gt 1 ] && echo ", behind haproxy")"
		/tmp/picket-platform-bench -db "postgres://postgres@/bench$n?host=$dir" -replicas "$n" "$@" ;;
	*) echo "unknown set-up $s (bolt, pg1, pg2)" >&2; exit 2 ;;
	esac
done
