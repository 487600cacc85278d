#!/bin/bash
# `ledger verify` of two builds beside `openssl dgst -sha256` of the same log (issue 23's goal: verify ≤ 2× openssl),
# interleaved RUNS times (default 5): OLD, NEW, openssl, OLD, NEW, openssl, ... Each build verifies its own copy of
# LOG (each read adds to the log's access log). Prints the medians (wall, CPU user + system, peak), each build's
# ratio to openssl (wall, and CPU), NEW's ratio to OLD, and the load average before and after.
#
#   Tests/Scripts/verify-peers.sh OLD_LEDGER NEW_LEDGER LOG [RUNS]
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 OLD_LEDGER NEW_LEDGER LOG [RUNS]" >&2
    exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
LOG=$(realpath "$3")
RUNS=${4:-5}
OPENSSL=$(command -v openssl)
WORK=$(mktemp -d /tmp/verify-peers.XXXXXX)
mkdir -p "$WORK/old" "$WORK/new"
cp --reflink=auto "$LOG" "$WORK/old/l.jsonl"
cp --reflink=auto "$LOG" "$WORK/new/l.jsonl"
export LEDGER_VIEWER=verify-peers
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$RUNS"); do
    for build in old new; do
        if [ $build = old ]; then ledger=$OLD; else ledger=$NEW; fi
        /usr/bin/time -f "$build|%e|%U|%S|%M" -a -o "$WORK/times" \
            "$ledger" verify --log "$WORK/$build/l.jsonl" >/dev/null 2>>"$WORK/stderr"
    done
    /usr/bin/time -f "openssl|%e|%U|%S|%M" -a -o "$WORK/times" \
        "$OPENSSL" dgst -sha256 "$WORK/new/l.jsonl" >/dev/null
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$WORK/times" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    build, wall, user, system, peak = line.strip().split("|")
    runs.setdefault(build, []).append((float(wall), float(user) + float(system), int(peak) // 1024))
def median(build, i):
    return max(statistics.median(x[i] for x in runs[build]), 0.01)
print("| build | wall | CPU | peak | ratio to openssl, wall (CPU) |\n|---|---|---|---|---|")
for build in ("old", "new", "openssl"):
    print(f"| {build} | {median(build, 0):.2f} s | {median(build, 1):.2f} s | {max(x[2] for x in runs[build])} MiB | "
          f"{median(build, 0) / median('openssl', 0):.2f}× ({median(build, 1) / median('openssl', 1):.2f}×) |")
print(f"new / old: wall {median('new', 0) / median('old', 0):.2f}×, CPU {median('new', 1) / median('old', 1):.2f}×")
for build in ("old", "new", "openssl"):
    print(build, "walls:", " ".join(f"{x[0]:.2f}" for x in runs[build]),
          "CPU:", " ".join(f"{x[1]:.2f}" for x in runs[build]))
PY
echo "(kept in $WORK)"
