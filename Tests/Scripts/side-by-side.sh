#!/bin/bash
# Two builds of `ledger`, timed side by side: each read command from scratch, then verify, OLD and NEW
# interleaved RUNS times (default 3), each build on its own copy of LOG (so derived files and access logs are
# its own). Prints the medians (wall, CPU user + system, peak) and NEW's ratio to OLD. For "no performance
# lost" checks (issue 18); the benchmark (Benchmarks/) measures the goals.
#
#   Tests/Scripts/side-by-side.sh OLD_LEDGER NEW_LEDGER LOG [RUNS]
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 OLD_LEDGER NEW_LEDGER LOG [RUNS]" >&2
    exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
LOG=$(realpath "$3")
RUNS=${4:-3}
WORK=$(mktemp -d /tmp/side-by-side.XXXXXX)
mkdir -p "$WORK/old" "$WORK/new"
cp --reflink=auto "$LOG" "$WORK/old/l.jsonl"
cp --reflink=auto "$LOG" "$WORK/new/l.jsonl"
export LEDGER_VIEWER=side-by-side
commands=(
    "caseload --from-scratch --as-of 2026-11-23 --format json"
    "families --from-scratch --as-of 2026-11-23 --format json"
    "due --from-scratch --as-of 2026-11-23 --format json"
    "pbr --from-scratch --as-of 2026-11-23 --format json"
    "monthly --from-scratch --month 2026-06 --format json"
    "verify"
)
for command in "${commands[@]}"; do
    for _ in $(seq "$RUNS"); do
        for build in old new; do
            if [ $build = old ]; then ledger=$OLD; else ledger=$NEW; fi
            # shellcheck disable=SC2086
            /usr/bin/time -f "$build|$command|%e|%U|%S|%M" -a -o "$WORK/times" \
                "$ledger" $command --log "$WORK/$build/l.jsonl" >/dev/null 2>>"$WORK/stderr"
        done
    done
done
python3 - "$WORK/times" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    build, command, wall, user, system, peak = line.strip().split("|")
    rows.setdefault(command, {}).setdefault(build, []).append(
        (float(wall), float(user) + float(system), int(peak) // 1024))
print("| command | old | new | ratio (CPU) |\n|---|---|---|---|")
for command, by in rows.items():
    def median(build, i):
        # (at least 10 ms: `time` reports hundredths, and a tiny log takes none)
        return max(statistics.median(x[i] for x in by[build]), 0.01)
    def cell(build):
        return f"{median(build, 0):.2f} s, CPU {median(build, 1):.2f} s, {max(x[2] for x in by[build])} MiB"
    print(f"| `{command}` | {cell('old')} | {cell('new')} | "
          f"{median('new', 0) / median('old', 0):.2f}× ({median('new', 1) / median('old', 1):.2f}×) |")
PY
echo "(kept in $WORK)"
