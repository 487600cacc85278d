#!/bin/sh
# Screenshots of the dashboard as people see it: the index and one family page at 1280 px and 390 px (a phone),
# and both printed to PDF (A4 if the page asks for it) and rendered to PNG. Needs chromium and pdftoppm.
#   Tests/Scripts/dashboard-screenshots.sh LEDGER_BINARY OUT_DIR [FAMILY]
# Builds two logs in OUT_DIR: the demo (20 families), and the README tour's own set-up (workers registered
# without a caseload override under leicestershire-early-help).
set -eu
ledger=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$2
family=${3:-F-1003}
mkdir -p "$out"
out=$(cd "$out" && pwd)
shot() { # NAME URL
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$out/$1-1280.png" \
        --window-size=1280,1800 "$2" >/dev/null 2>&1
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$out/$1-390.png" \
        --window-size=390,2000 "$2" >/dev/null 2>&1
    chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --print-to-pdf="$out/$1.pdf" \
        "$2" >/dev/null 2>&1
    pdftoppm -png -r 60 "$out/$1.pdf" "$out/$1-print"
    pdfinfo "$out/$1.pdf" 2>/dev/null | grep 'Page size' || true
}
rm -rf "$out/demo" "$out/site"
"$ledger" demo --families 20 --out "$out/demo" >/dev/null
"$ledger" rebuild --out "$out/site" --as-of 2026-11-23 --log "$out/demo/ledger.jsonl" >/dev/null
shot index "file://$out/site/index.html"
shot family "file://$out/site/families/$family.html"
