#!/usr/bin/env bash
# The CI budget (README "CI budget"), measured: the test command (.ci/run)
# on fresh clones of this checkout's HEAD, as CI runs it.
#
#   tests/bench/ci.sh            cold, then warm
#   tests/bench/ci.sh warm       only the warm run (caches as they are)
#
# cold: a fresh clone with empty build caches: a Bazel disk cache and a Go
#       build cache of its own (both empty), so every action runs; the
#       machine's apt packages and Go module cache stay (a new machine
#       downloads those too: add the fetch figure of a first tools/fetch).
# warm: another fresh clone, in another directory, using the caches the
#       machine has (~/.cache/picket and Go's): what CI sees on a machine
#       that has built before.
# Prints the wall time of each run and of each step of tools/test, and the
# ten slowest tests of the warm run's bazel test (a cached test shows as
# such). Needs root, like the test command.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:-both}
work=$(mktemp -d /tmp/picket-ci.XXXXXX)
trap 'rm -rf "$work"' EXIT

run() { # name, extra env...
	local name=$1 dir=$work/$1 t0 rc
	shift
	git clone -q "$top" "$dir"
	local commit
	commit=$(git -C "$dir" rev-parse --short HEAD)
	t0=$(date +%s)
	(cd "$dir" && env "$@" .ci/run) >"$work/$name.log" 2>&1 && rc=0 || rc=$?
	local t=$(($(date +%s) - t0))
	printf '\n== %s: %d min %d s (exit %d), commit %s\n' "$name" $((t / 60)) $((t % 60)) "$rc" "$commit"
	sed -n '/^=== all passed/,$p' "$work/$name.log" | sed 1d
	if [ "$rc" -ne 0 ]; then
		tail -40 "$work/$name.log"
		echo "ci: the $name run failed; its log: $work/$name.log (kept)"
		trap - EXIT
		return 1
	fi
	if [ "$name" = warm ] || [ "$mode" = cold ]; then
		echo "slowest ten tests:"
		grep -E '^//.* (PASSED|FAILED|FLAKY).* in [0-9.]+s' "$work/$name.log" |
			sed -E 's/^(\/\/[^ ]+) +(\(cached\) )?(PASSED|FAILED|FLAKY) in ([0-9.]+)s.*/\4 \1 \2/' |
			sort -rn | head -10 | awk '{printf "  %7.1f s  %s %s\n", $1, $2, $3}'
	fi
	# The clone's Bazel server and output base go with it (the disk cache stays).
	(cd "$dir" && tools/offline bazel clean --expunge >/dev/null 2>&1 || true)
	rm -rf "$dir"
}

echo "ci: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$mode" != warm ]; then
	run cold PICKET_BAZEL_FLAGS="--disk_cache=$work/disk-cache" GOCACHE="$work/gocache"
fi
if [ "$mode" != cold ]; then
	run warm
fi
