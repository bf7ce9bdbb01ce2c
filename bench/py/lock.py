"""threading.Lock: the workloads of bench/lock.c. Prints ns per
acquire+release (uncontended) and per critical section (contended)."""
import threading

import benchlib as B


def uncontended(n, kind=threading.Lock):
    lock = kind()
    acquire, release = lock.acquire, lock.release
    t0 = B.now_ns()
    for _ in range(n):
        acquire()
        release()
    return (B.now_ns() - t0) / n


def contended(n, threads):
    lock = threading.Lock()
    state = {"count": 0}
    mine = [0] * threads

    def worker(me):
        k = 0
        while True:
            with lock:
                if state["count"] >= n:
                    break
                state["count"] += 1
            k += 1
        mine[me] = k

    ns = B.team(threads, worker)
    assert state["count"] == n
    return ns / n, B.shares(mine)


def main():
    p = B.parser(__doc__)
    p.add_argument("--n-uncontended", type=int, default=200000)
    p.add_argument("--n-contended", type=int, default=50000)
    a = p.parse_args()
    tag = B.python_tag()
    vals = B.measure(a.reps, lambda: uncontended(max(a.n_uncontended, 10)))
    B.row("python Lock", "uncontended", 1, "ns/op", vals, tag)
    vals = B.measure(a.reps, lambda: uncontended(max(a.n_uncontended, 10),
                                                 threading.RLock))
    B.row("python RLock", "rlock", 1, "ns/op", vals, tag)
    for t in (1, 2, 4, 8, 16):
        res = B.measure(a.reps, lambda: contended(max(a.n_contended, 10), t))
        lo = min(r[1][0] for r in res)
        hi = max(r[1][1] for r in res)
        B.row("python Lock", "contended", t, "ns/op", [r[0] for r in res],
              "share %.2f-%.2f; %s" % (lo, hi, tag))


if __name__ == "__main__":
    main()
