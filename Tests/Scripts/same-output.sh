#!/bin/sh
# Same behaviour, proven: runs two builds of `ledger` over the same logs and compares every byte they print
# and write. For a refactoring that must not change what the ledger answers (issue 18).
#
#   Tests/Scripts/same-output.sh OLD_LEDGER NEW_LEDGER [LOG...]
#
# Give debug builds (`swift build`): only they read LEDGER_NOW and LEDGER_SEED, which pin the clock and the salts
# here; a release build ignores them, and its outputs would differ by their dates and hashes.
#
# Without LOG, each build writes the demo (300 families, seed 7, today 2026-11-23, the clock pinned: its log,
# dashboard and derived files compared), and OLD's demo log is read, with a copy of it with five lines of one
# family redacted (wrong-family), so that a payload's absence is compared too. Each build reads its own copy of
# each log, in the same folder (paths are printed), one after the other. For each log and build it keeps, under
# $WORK/<old|new>/<log>/:
#   - families, caseload, due, pbr, monthly (two months) and the timeline of three families (and of the one with
#     redacted lines), in json and csv, with --from-scratch, then without (writing the checkpoint), then again
#     (reading it); annex-a and retention (today and 2060) in json and csv; stdout, stderr and exit status of each
#   - rebuild --out (from scratch, then from the checkpoint), export, and export-family of the same families:
#     the whole folders
#   - verify; the derived files beside the log (checkpoints, write state, access log)
# and then `diff -r` of the two trees, which must be empty. WORK defaults to a new temporary folder, kept.
# With LOG (the benchmark's, say), only those logs are read.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 OLD_LEDGER NEW_LEDGER [LOG...]" >&2
    exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
shift 2
WORK=${WORK:-$(mktemp -d /tmp/same-output.XXXXXX)}
mkdir -p "$WORK/logs"
export LEDGER_NOW=2026-11-23T18:00:00Z
export LEDGER_SEED=1
export LEDGER_VIEWER=same-output
AS_OF=2026-11-23

if [ $# -eq 0 ]; then
    # The demo itself, written by each build in the same folder in turn (its log and dashboard compared too).
    for build in new old; do
        if [ $build = old ]; then LEDGER=$OLD; else LEDGER=$NEW; fi
        rm -rf "$WORK/demo-out" "$WORK/$build/demo-written"
        mkdir -p "$WORK/$build"
        (cd "$WORK" && "$LEDGER" demo --families 300 --seed 7 --out "$WORK/demo-out" --today $AS_OF \
            >"$WORK/demo.out" 2>&1)
        cp -r "$WORK/demo-out" "$WORK/$build/demo-written"
        mv "$WORK/demo.out" "$WORK/$build/demo-written/demo.out"
    done
    cp "$WORK/demo-out/ledger.jsonl" "$WORK/logs/demo.jsonl"
    # Five lines of one family that no correction or void names, redacted as recorded on the wrong family.
    cp "$WORK/logs/demo.jsonl" "$WORK/logs/redacted.jsonl"
    picked=$(python3 - "$WORK/logs/redacted.jsonl" <<'EOF'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
targets = {e["data"].get("target") for e in events if e["type"] in ("event.corrected", "event.voided")}
manager = next(e["stream"][7:] for e in events
               if e["type"] == "worker.registered" and e["data"]["role"] == "team-manager")
by_family = {}
for e in events:
    if e["stream"].startswith("family:") and e["id"] not in targets:
        by_family.setdefault(e["stream"][7:], []).append(e)
for ref, lines in sorted(by_family.items()):
    kinds = {e["type"] for e in lines}
    if {"referral.received", "case.closed", "assessment.completed"} <= kinds:
        wanted = ["referral.received", "case.closed", "assessment.completed", "employment.recorded",
                  "ufrn.assigned", "review.completed", "worker.allocated"]
        seqs = [next(e["seq"] for e in lines if e["type"] == kind) for kind in wanted if kind in kinds]
        print(ref, manager, " ".join("--seq %d" % seq for seq in seqs[:5]))
        break
EOF
)
    set -- $picked
    family=$1
    manager=$2
    echo "$family" >"$WORK/logs/redacted.family"
    shift 2
    "$OLD" redact --log "$WORK/logs/redacted.jsonl" --family "$family" --reason wrong-family \
        --actor "$manager" "$@" >/dev/null
    rm -f "$WORK"/logs/redacted.jsonl.*
    set -- "$WORK/logs/demo.jsonl" "$WORK/logs/redacted.jsonl"
fi

# run BUILD_DIR NAME ARGS...: stdout, stderr and exit status of one command into BUILD_DIR/out/NAME.*
run() {
    dir=$1
    name=$2
    shift 2
    set +e
    "$LEDGER" "$@" --log "$dir/ledger.jsonl" >"$dir/out/$name.out" 2>"$dir/out/$name.err"
    echo $? >"$dir/out/$name.status"
    set -e
}

for log in "$@"; do
    base=$(basename "$log" .jsonl)
    refs=$(python3 -c '
import json, sys
refs = sorted({json.loads(l)["stream"][7:] for l in open(sys.argv[1]) if "\"stream\":\"family:" in l})
print(" ".join(refs[i] for i in (0, len(refs) // 2, len(refs) - 1)))' "$log")
    # The family with redacted lines, when there is one.
    if [ -f "${log%.jsonl}.family" ]; then refs="$refs $(cat "${log%.jsonl}.family")"; fi
    for build in old new; do
        if [ $build = old ]; then LEDGER=$OLD; else LEDGER=$NEW; fi
        # Both builds run in the same folder (paths are printed and recorded), moved aside after.
        dir="$WORK/run/$base"
        rm -rf "$dir" "$WORK/$build/$base"
        mkdir -p "$dir/out" "$WORK/$build"
        cp "$log" "$dir/ledger.jsonl"
        for pass in scratch keep reuse; do
            if [ $pass = scratch ]; then scratch=--from-scratch; else scratch=; fi
            for format in json csv; do
                for command in families caseload due pbr; do
                    run "$dir" "$command.$format.$pass" $command --as-of $AS_OF --format $format $scratch
                done
                for month in 2026-06 2026-10; do
                    run "$dir" "monthly-$month.$format.$pass" monthly --month $month --format $format \
                        $scratch
                done
                for ref in $refs; do
                    run "$dir" "timeline-$ref.$format.$pass" timeline "$ref" --as-of $AS_OF \
                        --format $format $scratch
                done
            done
        done
        for format in json csv; do
            run "$dir" "annex-a.$format" annex-a --as-of $AS_OF --format $format
            run "$dir" "retention.$format" retention --as-of $AS_OF --format $format
            run "$dir" "retention-2060.$format" retention --as-of 2060-01-01 --format $format
        done
        for ref in $refs; do
            run "$dir" "export-family-$ref" export-family "$ref" --out "$dir/export-family-$ref"
        done
        run "$dir" export export --out "$dir/export" --as-of $AS_OF
        run "$dir" rebuild-scratch rebuild --out "$dir/rebuild-scratch" --as-of $AS_OF --from-scratch
        run "$dir" rebuild rebuild --out "$dir/rebuild" --as-of $AS_OF
        run "$dir" verify verify
        mv "$dir" "$WORK/$build/$base"
    done
done

if diff -r "$WORK/old" "$WORK/new" >"$WORK/diff.txt"; then
    files=$(find "$WORK/old" -type f | wc -l)
    echo "same: $files files, byte for byte, in $WORK/old and $WORK/new"
else
    echo "DIFFERENT: see $WORK/diff.txt" >&2
    head -40 "$WORK/diff.txt" >&2
    exit 1
fi
