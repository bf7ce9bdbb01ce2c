"""CPU-bound speed-up in CPython: the workload of bench/cpu.c (N items,
each hashed ROUNDS times by a 64-bit mixer, summed mod 2^64) run
sequentially, split over T threading.Threads (the GIL runs one at a time)
and over multiprocessing.Pool(T) (separate interpreters; the pool's
start-up is timed). Prints ns per item and the speed-up against the
sequential run. Every checksum must equal the sequential one and the one
C computed (--expect); otherwise the script exits with status 3."""
import multiprocessing
import sys
import threading

import benchlib as B

MASK = (1 << 64) - 1
ROUNDS = 16


def work(lo, hi, rounds=None):
    """Sum of item(i) for lo <= i < hi, mod 2^64 (bench/cpu.c: work)."""
    rounds = ROUNDS if rounds is None else rounds
    s = 0
    for x in range(lo, hi):
        for _ in range(rounds):
            x ^= x >> 31
            x = (x * 0x7fb5d329728ea185) & MASK
            x ^= x >> 27
            x = (x * 0x81dadef4bc2dd44d) & MASK
            x ^= x >> 33
        s += x
    return s & MASK


def work_chunk(bounds):
    return work(bounds[0], bounds[1], bounds[2])


def chunks(n, t, rounds):
    return [(n * k // t, n * (k + 1) // t, rounds) for k in range(t)]


def run_seq(n, t, rounds):
    return work(0, n, rounds)


def run_threads(n, t, rounds):
    parts = [0] * t

    def body(k, lo, hi, r):
        parts[k] = work(lo, hi, r)

    ts = [threading.Thread(target=body, args=(k,) + c)
          for k, c in enumerate(chunks(n, t, rounds))]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    return sum(parts) & MASK


def run_pool(n, t, rounds):
    with multiprocessing.Pool(t) as pool:
        parts = pool.map(work_chunk, chunks(n, t, rounds), chunksize=1)
    return sum(parts) & MASK


class Mismatch(Exception):
    pass


def timed(run, n, t, rounds, expect):
    """One run: ns per item (creation/start-up and join included)."""
    t0 = B.now_ns()
    s = run(n, t, rounds)
    ns = B.now_ns() - t0
    if s != expect:
        raise Mismatch("%s T=%d: checksum %d, expected %d"
                       % (run.__name__, t, s, expect))
    return ns / n


def main():
    global ROUNDS
    p = B.parser(__doc__)
    p.add_argument("--n", type=int, default=90000)
    p.add_argument("--rounds", type=int, default=ROUNDS)
    p.add_argument("--expect", type=int, default=None,
                   help="checksum C computed for the same n and rounds")
    a = p.parse_args()
    ROUNDS = a.rounds
    n = max(a.n, 16)
    tag = B.python_tag()
    expect = work(0, n, a.rounds)
    try:
        if a.expect is not None and expect != a.expect:
            raise Mismatch("Python's checksum %d differs from C's %d"
                           % (expect, a.expect))
        vals = B.measure(a.reps,
                         lambda: timed(run_seq, n, 1, a.rounds, expect))
        seq = sorted(vals)[len(vals) // 2]
        B.row("python sequential", "cpu-bound", 1, "ns/item", vals,
              tag + "; reference of the speed-up")
        for t in (1, 2, 4, 8):
            vals = B.measure(
                a.reps, lambda: timed(run_threads, n, t, a.rounds, expect))
            med = sorted(vals)[len(vals) // 2]
            B.row("python threading", "cpu-bound", t, "ns/item", vals,
                  "%s; speed-up %.2fx (GIL)" % (tag, seq / med))
        for t in (1, 2, 4, 8):
            try:
                vals = B.measure(
                    a.reps, lambda: timed(run_pool, n, t, a.rounds, expect))
            except (OSError, ImportError) as e:  # no /dev/shm, no sem_open
                B.skip("python multiprocessing.Pool", "cpu-bound", t,
                       "multiprocessing unavailable: %s" % e)
                continue
            med = sorted(vals)[len(vals) // 2]
            B.row("python multiprocessing.Pool", "cpu-bound", t, "ns/item",
                  vals, "%s; speed-up %.2fx; pool start-up (%s) included"
                  % (tag, seq / med, multiprocessing.get_start_method()))
    except Mismatch as e:
        print("cpu.py: FAILED: %s" % e, file=sys.stderr)
        sys.exit(3)


if __name__ == "__main__":
    main()
