#!/usr/bin/env bash
# Runs the README's "A five-minute tour" word for word, as a newcomer pastes it into a terminal, and checks that
# every command answers as the README says.
#   Tests/Scripts/readme-tour.sh [LEDGER_BINARY]     (default .build/debug/ledger; .ci/run calls it after swift test)
#
# The tour's `sh` blocks are cut into commands (a line, its `\` continuations, a here-document's body) and run in
# order in one bash, at a terminal (a pseudo-terminal from util-linux `script`, so that tables and progress are
# what a person sees). It starts in a stand-in for the clone whose .build/release/ledger is LEDGER_BINARY and whose
# docs/ is the repository's; `swift build -c release` there does nothing (the binary is built already). The
# tour's own `cd "$(mktemp -d)"` then takes it to a fresh folder outside the repository, with `ledger` found on
# PATH as the tour puts it there.
#
# What each command must answer comes from its comment in the README: `exit N` (else 0 is expected), and after
# `→` text its output must hold, where `…` stands for anything. Every mismatch is reported with the command and
# its output; the exit status is 1 if any.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
binary=${1:-$repo/.build/debug/ledger}
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
[ -x "$binary" ] || { echo "readme-tour: no ledger binary at $binary (build it first)"; exit 2; }
command -v script >/dev/null || { echo "readme-tour: needs util-linux 'script'"; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/readme-tour.XXXXXX")
# READMETOUR_KEEP=1 keeps the folder (each command's output is in out.N) and says where it is.
if [ "${READMETOUR_KEEP:-}" = 1 ]; then echo "readme-tour: working in $work"; else trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work/clone/.build/release" "$work/tmp"
ln -s "$binary" "$work/clone/.build/release/ledger"
ln -s "$repo/docs" "$work/clone/docs"

# The tour: the README from its heading to the next, its sh blocks cut into commands. Each command is written to
# commands/N, its expected exit status to expect/N.status and the text it must show to expect/N.shows.
mkdir -p "$work/commands" "$work/expect"
awk -v dir="$work" '
    /^## / { inTour = ($0 == "## A five-minute tour"); next }
    !inTour { next }
    /^```sh$/ { inBlock = 1; next }
    /^```$/ { inBlock = 0; next }
    !inBlock { next }
    function comment(line,    at) {
        # A comment starts at a "#" after two spaces (none of the tour`s commands holds "  #" otherwise).
        at = index(line, "  #")
        return at ? substr(line, at + 3) : ""
    }
    function finish(    text, status, shows, at) {
        if (current == "") return
        n++
        print current > (dir "/commands/" n)
        close(dir "/commands/" n)
        text = notes
        status = 0
        if (match(text, /exit [0-9]+/)) status = substr(text, RSTART + 5, RLENGTH - 5)
        shows = ""
        at = index(text, "→ ")
        if (at) shows = substr(text, at + length("→ "))
        sub(/[ \t]+$/, "", shows)
        print status > (dir "/expect/" n ".status")
        close(dir "/expect/" n ".status")
        printf "%s", shows > (dir "/expect/" n ".shows")
        close(dir "/expect/" n ".shows")
        current = ""; notes = ""
    }
    heredoc != "" {
        current = current "\n" $0
        if ($0 == heredoc) { heredoc = ""; finish() }
        next
    }
    continued {
        current = current "\n" $0
        notes = notes " " comment($0)
        continued = ($0 ~ /\\$/)
        if (!continued) finish()
        next
    }
    /^[ \t]*(#|$)/ { next }
    {
        current = $0
        notes = comment($0)
        if (match($0, /<<-?'"'"'?[A-Za-z_]+'"'"'?/)) {
            heredoc = substr($0, RSTART, RLENGTH)
            gsub(/[<'"'"'-]/, "", heredoc)
            next
        }
        continued = ($0 ~ /\\$/)
        if (!continued) finish()
    }
    END { finish(); print n > (dir "/count") }
' "$repo/README.md"
count=$(cat "$work/count")
[ "$count" -gt 10 ] || { echo "readme-tour: found only $count commands in the README's tour"; exit 1; }

# One bash, as at a terminal: each command between markers that carry its number and exit status.
{
    echo 'unset LEDGER_LOG LEDGER_VIEWER LEDGER_NOW LEDGER_SEED LEDGER_THREADS LEDGER_TRACE'
    echo 'shopt -s expand_aliases  # as a shell that is pasted into does'
    echo "export TMPDIR='$work/tmp'"
    echo 'swift() { if [ "$*" = "build -c release" ]; then return 0; fi; command swift "$@"; }'
    echo "cd '$work/clone'"
    for n in $(seq 1 "$count"); do
        printf "printf '\\\\n@@@ start %d\\\\n'\n{ " "$n"
        cat "$work/commands/$n"
        printf "\n}\nprintf '\\\\n@@@ end %d %%s %%s\\\\n' \"\$?\" \"\$PWD\"\n" "$n"
    done
} > "$work/tour.sh"
script -qec "bash --noprofile --norc '$work/tour.sh'" "$work/typescript" > /dev/null 2>&1
# What the terminal showed: line ends as written, progress lines (a carriage return and ESC [K, then text
# overwritten) removed.
sed -e 's/\r$//' -e 's/.*\r\x1b\[K//' -e 's/\x1b\[K//g' "$work/typescript" > "$work/shown"

failures=0
outside=""
for n in $(seq 1 "$count"); do
    awk -v n="$n" '$0 == "@@@ start " n { on = 1; next } on && $0 ~ ("^@@@ end " n " ") { exit } on' \
        "$work/shown" > "$work/out.$n"
    end=$(grep -a "^@@@ end $n " "$work/shown" | tail -n 1)
    status=$(echo "$end" | cut -d' ' -f4)
    folder=$(echo "$end" | cut -d' ' -f5-)
    expected=$(cat "$work/expect/$n.status")
    shows=$(cat "$work/expect/$n.shows")
    problem=""
    if [ -z "$end" ]; then
        problem="never finished"
    elif [ "$status" != "$expected" ]; then
        problem="exit status $status, the README says $expected"
    elif [ -n "$shows" ]; then
        # Each piece of the claim (split at …) must appear, in order, in what the command showed.
        rest=$(cat "$work/out.$n")
        remaining=$shows
        while [ -n "$remaining" ]; do
            piece=${remaining%%…*}
            if [ "$piece" = "$remaining" ]; then remaining=""; else remaining=${remaining#*…}; fi
            piece=$(echo "$piece" | sed -e 's/^ *//' -e 's/ *$//')
            [ -z "$piece" ] && continue
            case $rest in
                *"$piece"*) rest=${rest#*"$piece"} ;;
                *) problem="does not show \"$piece\" (the README: → $shows)"; break ;;
            esac
        done
    fi
    case $folder in "$repo"*) outside="$outside $n" ;; esac
    if [ -n "$problem" ]; then
        failures=$((failures + 1))
        echo "readme-tour: command $n $problem:"
        sed 's/^/    $ /' "$work/commands/$n"
        sed 's/^/    | /' "$work/out.$n" | head -n 40
    fi
done
if [ -n "$outside" ]; then
    echo "readme-tour: commands$outside ran inside the repository; the tour must run in a folder of its own"
    failures=$((failures + 1))
fi
if [ "$failures" -gt 0 ]; then
    echo "readme-tour: $failures of $count commands do not do what the README says"
    exit 1
fi
echo "readme-tour: all $count commands of the README's tour did what it says, in a folder outside the repository"
