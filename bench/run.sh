#!/bin/sh
# bench/run.sh BUILD_DIR - run every benchmark case built in BUILD_DIR/bench,
# print the tables, and write BUILD_DIR/results/: results.tsv (one row per
# variant and figure), machine.txt, results.json (machine + rows),
# table.txt (what was printed) and plots/*.png (gnuplot).
# QUICK=1 in the environment: the short run (under 2 minutes on 2 cores).
set -eu
build=${1:-build/bench}
here=$(cd "$(dirname "$0")" && pwd)
out=$build/results
mkdir -p "$out/plots"
rm -f "$out/results.tsv" "$out/table.txt" "$out"/plots/*.png
mode=full
case "${QUICK:-}" in ""|0) ;; *) mode=quick ;; esac

py=$(command -v python3 || true)
ver() { "$@" 2>/dev/null | head -n 1 || true; }
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "mode: $mode"
    echo "cores: $(nproc)"
    echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
    echo "kernel: $(uname -sr)"
    echo "gcc: $(ver gcc --version)"
    echo "g++: $(ver g++ --version)"
    echo "python: $(ver ${py:-false} --version)"
    echo "glib: $(ver pkg-config --modversion glib-2.0)"
    echo "onetbb: $(dpkg-query -W -f '${Version}' libtbb-dev 2>/dev/null || echo '?')"
    echo "moodycamel: $(dpkg-query -W -f '${Version}' libconcurrentqueue-dev 2>/dev/null || echo '?')"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "commit: $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo '?')"
} > "$out/machine.txt"
cat "$out/machine.txt"

# Known cases in learning order first, then any other case program.
order="park lock condition semaphore event barrier thread queue cpu"
progs=""
for c in $order; do
    [ -x "$build/bench/bench_$c" ] && progs="$progs $build/bench/bench_$c"
done
for p in "$build"/bench/bench_*; do
    [ -x "$p" ] || continue
    case " $progs " in *" $p "*) ;; *) progs="$progs $p" ;; esac
done
[ -n "$progs" ] || { echo "run.sh: no benchmark programs in $build/bench" >&2; exit 1; }

flag=""
[ "$mode" = quick ] && flag=--quick
rc=0
start=$(date +%s)
for p in $progs; do
    BENCH_TSV="$out/results.tsv" "$p" $flag >> "$out/table.txt" || rc=1
done
# the tables after the progress lines, in one piece
cat "$out/table.txt"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
echo "elapsed: $(( $(date +%s) - start )) s" >> "$out/machine.txt"

if [ -n "$py" ]; then
    "$py" "$here/py/report.py" "$out" || rc=1
else
    echo "run.sh: python3 missing: no results.json, no plots" >&2
fi
echo "results: $out (results.tsv, results.json, machine.txt, plots/)"
exit $rc
