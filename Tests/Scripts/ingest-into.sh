#!/bin/bash
# Ingest at scale (issue 23: "on the benchmark's 1M-event log"): two builds of `ledger` each ingest the same feed
# into a fresh copy of LOG (with its .ids, .state and .state-delta), OLD and NEW interleaved RUNS times (default
# 5). The copies are made and flushed to disk before each run, untimed. Prints each run's counts and the medians
# (wall, CPU user + system, peak, events appended per second) and NEW's ratio to OLD.
#
# FEED is a writer-form file, e.g. the benchmark's ingest feed (ledger-bench --only ingest writes
# DIR/ingest-200000.jsonl) made into new families of the same log with
#   sed 's/F-/G-/g' DIR/ingest-200000.jsonl | grep -v '"stream":"org"' | grep -v '"stream":"worker:' > FEED
# (the log's workers and teams are registered already; events by a worker who has left since are refused).
#
# When the two builds' write-state files differ in format, each must start from its own (else one rebuilds it from
# the whole log inside the timed run): LOG_NEW names the same log with NEW's .ids, .state and .state-delta, made by
# `NEW_LEDGER ingest /dev/null --log COPY` on a copy of LOG (and LOG's by OLD_LEDGER the same way).
#
#   [LOG_NEW=COPY] Tests/Scripts/ingest-into.sh OLD_LEDGER NEW_LEDGER LOG FEED [RUNS]
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 OLD_LEDGER NEW_LEDGER LOG FEED [RUNS]" >&2
    exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
LOG=$(realpath "$3")
FEED=$(realpath "$4")
RUNS=${5:-5}
LOG_NEW=$(realpath "${LOG_NEW:-$LOG}")
WORK=$(mktemp -d /tmp/ingest-into.XXXXXX)
for _ in $(seq "$RUNS"); do
    for build in old new; do
        if [ $build = old ]; then ledger=$OLD; from=$LOG; else ledger=$NEW; from=$LOG_NEW; fi
        rm -f "$WORK"/l.jsonl*
        for suffix in "" .ids .state .state-delta; do
            if [ -e "$from$suffix" ]; then cp "$from$suffix" "$WORK/l.jsonl$suffix"; fi
        done
        chmod 600 "$WORK"/l.jsonl*
        sync
        /usr/bin/time -f "$build|%e|%U|%S|%M" -a -o "$WORK/times" \
            "$ledger" ingest "$FEED" --log "$WORK/l.jsonl" 2>"$WORK/stderr" >/dev/null || true
        appended=$(grep -o '^ingest: [0-9]* appended' "$WORK/stderr" | grep -o '[0-9]*' || echo 0)
        echo "$build: $(grep '^ingest:' "$WORK/stderr")"
        echo "$appended" >>"$WORK/appended-$build"
    done
done
rm -f "$WORK"/l.jsonl*
python3 - "$WORK" <<'PY'
import statistics, sys
work = sys.argv[1]
rows = {}
for line in open(f"{work}/times"):
    if "|" not in line:  # `time` notes a non-zero exit status on a line of its own
        continue
    build, wall, user, system, peak = line.strip().split("|")
    rows.setdefault(build, []).append((float(wall), float(user) + float(system), int(peak) // 1024))
appended = {b: int(open(f"{work}/appended-{b}").read().split()[0]) for b in rows}
def median(build, i):
    return statistics.median(x[i] for x in rows[build])
def cell(build):
    return (f"{median(build, 0):.2f} s = {appended[build] / median(build, 0):,.0f} events/s, "
            f"CPU {median(build, 1):.2f} s, {max(x[2] for x in rows[build])} MiB")
print(f"| old | new | ratio (CPU) |\n|---|---|---|")
print(f"| {cell('old')} | {cell('new')} | {median('new', 0) / median('old', 0):.2f}× "
      f"({median('new', 1) / median('old', 1):.2f}×) |")
PY
echo "(kept in $WORK)"
