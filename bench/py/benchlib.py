"""Shared helpers for the CPython side of the cthreading benchmarks.

Each script runs the same workload as the C case, with one warm-up and
--reps measured repetitions, and prints rows the C harness parses:

    ROW<TAB>variant<TAB>param<TAB>threads<TAB>metric<TAB>v1,v2,...[<TAB>notes]
    SKIP<TAB>variant<TAB>param<TAB>threads<TAB>reason
"""
import argparse
import sys
import threading
import time


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--smoke", action="store_true")
    return p


def now_ns():
    return time.perf_counter_ns()


def team(n, fn):
    """Run fn(i) on n threads released together; return wall ns."""
    gate = threading.Barrier(n + 1)

    def body(i):
        gate.wait()
        fn(i)

    ts = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    gate.wait()
    t0 = now_ns()
    for t in ts:
        t.join()
    return now_ns() - t0


def measure(reps, rep):
    """One warm-up, then reps calls of rep() -> list of values (or tuples)."""
    rep()
    return [rep() for _ in range(reps)]


def row(variant, param, threads, metric, values, notes=""):
    vals = ",".join("%.6g" % v for v in values)
    line = "ROW\t%s\t%s\t%d\t%s\t%s" % (variant, param, threads, metric, vals)
    if notes:
        line += "\t" + notes
    print(line, flush=True)


def skip(variant, param, threads, reason):
    print("SKIP\t%s\t%s\t%d\t%s" % (variant, param, threads, reason),
          flush=True)


def shares(counts):
    total = sum(counts)
    n = len(counts)
    if total == 0:
        return (0.0, 0.0)
    s = [c * n / total for c in counts]
    return (min(s), max(s))


def python_tag():
    # The full version and the executable: builds of one version differ
    # (Debian's python3.11 is built with PGO and LTO and ran the queue
    # workload 17-20% faster than an unoptimized pyenv 3.11 here), so a
    # ratio to CPython names the one it was measured against.
    return "CPython %d.%d.%d %s" % (sys.version_info[:3] + (sys.executable,))
