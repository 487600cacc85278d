#!/usr/bin/env bash
# Reads a `ledger export` with DuckDB and checks that the open caseload per worker (families and children)
# computed in SQL from the export equals `ledger caseload --format csv`. Uses the `duckdb` command, else
# Python's duckdb module; when neither is installed it says so and exits 0 (CI does not depend on DuckDB).
#
# usage: Tests/Scripts/duckdb-export-check.sh [path/to/ledger]   (default: .build/debug/ledger)
set -euo pipefail

LEDGER=${1:-.build/debug/ledger}
LEDGER="$(cd "$(dirname "$LEDGER")" && pwd)/$(basename "$LEDGER")"
if command -v duckdb >/dev/null 2>&1; then
    run_sql() { duckdb -csv -noheader -c "$1"; }
elif python3 -c 'import duckdb' >/dev/null 2>&1; then
    run_sql() {
        python3 -c 'import csv, sys, duckdb
writer = csv.writer(sys.stdout, lineterminator="\n")
for row in duckdb.sql(sys.argv[1]).fetchall(): writer.writerow(row)' "$1"
    }
else
    echo "duckdb-export-check: skipped (neither the duckdb command nor Python's duckdb module is installed)"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LEDGER_NOW=2026-11-23T23:00:00Z
(cd "$work" && "$LEDGER" demo --families 60 --seed 5 >/dev/null 2>&1)
LOG="$work/demo/ledger.jsonl"
"$LEDGER" export --out "$work/export" --log "$LOG" 2>/dev/null
E="$work/export"

# A type's rows as (seq, family, data); an empty relation when the export has none of that type.
src() {
    if [ -d "$E/type=$1" ]; then
        echo "(SELECT seq, family, data FROM read_ndjson('$E/type=$1/*/*.jsonl', columns={seq:'BIGINT', family:'VARCHAR', data:'JSON'}))"
    else
        echo "(SELECT NULL::BIGINT AS seq, NULL::VARCHAR AS family, NULL::JSON AS data WHERE false)"
    fi
}

sql="
WITH referral AS (SELECT * FROM $(src referral.received)),
closed AS (SELECT family, max(seq) AS seq FROM $(src case.closed) GROUP BY family),
opened AS (SELECT family, max(seq) AS seq FROM referral GROUP BY family),
open_episode AS (
    SELECT o.family, o.seq AS started FROM opened o LEFT JOIN closed c USING (family)
    WHERE c.seq IS NULL OR c.seq < o.seq),
added AS (SELECT family, seq, data->>'worker' AS worker FROM $(src worker.allocated)
          UNION ALL SELECT family, seq, data->>'worker' FROM $(src transfer.completed) WHERE data->>'worker' IS NOT NULL),
removed AS (SELECT family, seq, data->>'worker' AS worker FROM $(src worker.unallocated)),
transfers AS (SELECT family, seq, data->>'worker' AS worker FROM $(src transfer.completed) WHERE data->>'worker' IS NOT NULL),
allocation AS (
    SELECT e.family, a.worker, max(a.seq) AS last_added FROM open_episode e JOIN added a ON a.family = e.family AND a.seq > e.started
    GROUP BY e.family, a.worker),
allocated AS (
    SELECT a.family, a.worker FROM allocation a
    WHERE NOT EXISTS (SELECT 1 FROM removed r WHERE r.family = a.family AND r.worker = a.worker AND r.seq > a.last_added)
      AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.family = a.family AND t.worker <> a.worker AND t.seq > a.last_added)),
member AS (
    SELECT r.family, m.value->>'id' AS id, m.value->>'role' AS role, r.seq
    FROM referral r, json_each(r.data->'members') m
    UNION ALL SELECT family, data->'member'->>'id', data->'member'->>'role', seq FROM $(src family.member.added)),
children AS (
    SELECT family, count(DISTINCT id) AS children FROM member m
    WHERE role = 'child' AND NOT EXISTS (
        SELECT 1 FROM $(src family.member.left) l WHERE l.family = m.family AND l.data->>'memberId' = m.id AND l.seq > m.seq)
    GROUP BY family)
SELECT a.worker, count(*) AS families, sum(coalesce(c.children, 0)) AS children
FROM allocated a LEFT JOIN children c USING (family)
GROUP BY a.worker ORDER BY a.worker"

run_sql "$sql" > "$work/duckdb.csv"
"$LEDGER" caseload --format csv --log "$LOG" | awk -F, 'NR > 1 && $6 > 0 { print $1 "," $6 "," $7 }' | sort > "$work/ledger.csv"
sort "$work/duckdb.csv" > "$work/duckdb-sorted.csv"
if diff -u "$work/ledger.csv" "$work/duckdb-sorted.csv"; then
    echo "duckdb-export-check: OK: open caseload per worker from the export equals ledger caseload ($(wc -l < "$work/ledger.csv") workers)"
else
    echo "duckdb-export-check: FAILED: the export read by DuckDB disagrees with ledger caseload (diff above: ledger, then DuckDB)"
    exit 1
fi
