"""threading.Barrier: T threads cross one barrier K times (the workload
of bench/barrier.c). Prints ns per crossing."""
import os
import threading

import benchlib as B


def crossing(k, threads):
    b = threading.Barrier(threads)

    def worker(me):
        for _ in range(k):
            b.wait()

    return B.team(threads, worker) / k


def main():
    p = B.parser(__doc__)
    p.add_argument("--k", type=int, default=2000)
    a = p.parse_args()
    cpus = len(os.sched_getaffinity(0))
    for t in (2, 4, 8, 16):
        k = a.k * cpus // t if t > cpus else a.k
        k = max(k, 10)
        vals = B.measure(a.reps, lambda: crossing(k, t))
        B.row("python Barrier", "crossing", t, "ns/crossing", vals,
              B.python_tag())


if __name__ == "__main__":
    main()
