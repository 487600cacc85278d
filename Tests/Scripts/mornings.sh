#!/bin/bash
# Mornings side by side (issue 23): two builds of `ledger`, each on its own copy of LOG and its own folder. Each
# makes its folder from scratch as of 2026-11-23 (not timed); then each night FEED's events (JSON lines with
# "morning-3-" ids and an occurredAt of 2026-11-23, as the benchmark's morning feed has) are ingested again under
# new ids, dated the day before (not timed), and each build rebuilds a day later (timed), interleaved.
#
#   Tests/Scripts/mornings.sh OLD_LEDGER NEW_LEDGER LOG FEED [NIGHTS]
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 OLD_LEDGER NEW_LEDGER LOG FEED [NIGHTS]" >&2
    exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
LOG=$(realpath "$3")
FEED=$(realpath "$4")
NIGHTS=${5:-3}
WORK=$(mktemp -d /tmp/mornings.XXXXXX)
cd "$WORK"
for build in old new; do
    if [ $build = old ]; then ledger=$OLD; else ledger=$NEW; fi
    mkdir $build
    cp --reflink=auto "$LOG" $build/l.jsonl
    LEDGER_NOW=2026-11-23T20:00:00Z "$ledger" rebuild --out $build/out --as-of 2026-11-23 \
        --log $build/l.jsonl >/dev/null 2>&1
done
du -sb old/out new/out
for night in $(seq "$NIGHTS"); do
    day=$((23 + night))
    sed "s/morning-3-/night-$night-/; s/\"occurredAt\":\"2026-11-23\"/\"occurredAt\":\"2026-11-$((day - 1))\"/" \
        "$FEED" >feed-$night.jsonl
    for build in old new; do
        if [ $build = old ]; then ledger=$OLD; else ledger=$NEW; fi
        LEDGER_NOW=2026-11-$((day - 1))T22:00:00Z "$ledger" ingest feed-$night.jsonl \
            --log $build/l.jsonl >/dev/null 2>&1
        LEDGER_NOW=2026-11-${day}T06:00:00Z /usr/bin/time -f "$build night $night: %e s, CPU %U + %S s, %M KiB" \
            "$ledger" rebuild --out $build/out --as-of 2026-11-$day --log $build/l.jsonl >/dev/null
    done
done
du -sb old/out new/out
echo "(kept in $WORK)"
