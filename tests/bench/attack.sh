#!/usr/bin/env bash
# Attack benchmark of issue 12: builds platformd from a commit (default:
# the work tree as it is) and replays the attack run's login flood,
# pending-box flood, fresh-nonce poll flood and cookieless GET /login flood
# against it (tests/bench/attack), printing the figures docs/benchmarks.md
# ("Attack run (issue 12)") records. Bench only: not run in CI.
#
#   tests/bench/attack.sh [-rev COMMIT] [attack flags: -items, -logins, -addrs, -poll-for, -get-for, -workers]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
command -v go >/dev/null || export PATH="$top/third_party/_fetched/go/bin:$PATH"
rev=""
if [ "${1:-}" = "-rev" ]; then
	rev=$2
	shift 2
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if [ -n "$rev" ]; then
	git archive "$rev" | tar -C "$scratch" -xf -
	(cd "$scratch" && CGO_ENABLED=0 go build -trimpath -o "$scratch/platformd" ./src/cmd/platformd)
	desc="commit $(git rev-parse --short "$rev")"
else
	CGO_ENABLED=0 go build -trimpath -o "$scratch/platformd" ./src/cmd/platformd
	desc="work tree at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (modified)')"
fi
echo "platformd from $desc; $(nproc) CPUs, load average $(cut -d" " -f1-3 /proc/loadavg)"
go run ./tests/bench/attack -platformd "$scratch/platformd" "$@"
