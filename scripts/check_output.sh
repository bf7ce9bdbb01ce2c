#!/bin/sh
# Run a program and check its output against the "EXPECT: <regex>" lines
# (extended regular expressions) found in its source file. Every regex must
# match at least one line; the program must exit 0.
# Usage: check_output.sh <source.c> <program> [args...]
src=$1; shift
out=$(mktemp); trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1; rc=$?
cat "$out"
if [ $rc -ne 0 ]; then echo "check_output: $1 exited $rc" >&2; exit 1; fi
n=0; fail=0
while IFS= read -r re; do
    n=$((n + 1))
    if ! grep -Eq -- "$re" "$out"; then
        echo "check_output: no output line matches: $re" >&2; fail=1
    fi
done <<EOT
$(sed -n 's/^.*EXPECT: //p' "$src")
EOT
if [ $n -eq 0 ]; then echo "check_output: $src has no EXPECT: lines" >&2; exit 1; fi
exit $fail
