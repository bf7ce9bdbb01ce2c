"""queue.Queue(maxsize=1024): the workloads of bench/queue.c - MPMC
throughput (ns per item) and put->get hand-off latency (p50, p99)."""
import queue
import time

import benchlib as B

CAPACITY = 1024


def mpmc(n, pc):
    q = queue.Queue(CAPACITY)
    sums = [0] * pc

    def worker(me):
        if me < pc:
            per = n // pc
            base = me * per
            put = q.put
            for i in range(1, per + 1):
                put(base + i)
        else:
            per = n // pc
            get = q.get
            s = 0
            for _ in range(per):
                s += get()
            sums[me - pc] = s

    ns = B.team(2 * pc, worker)
    assert sum(sums) == n * (n + 1) // 2
    return ns / n


def latency(n, gap_ns):
    # The producer waits for each item to be taken before the next; it
    # blocks on an acknowledgement queue rather than spinning as the C
    # producer does, because a spinning Python thread holds the GIL and
    # the consumer would wait for the 5 ms switch interval.
    q = queue.Queue(CAPACITY)
    ack = queue.SimpleQueue()
    samples = [0.0] * n

    def worker(me):
        if me == 0:
            for _ in range(n):
                q.put(B.now_ns())
                ack.get()
                if gap_ns:
                    time.sleep(gap_ns / 1e9)
        else:
            for i in range(n):
                t0 = q.get()
                samples[i] = B.now_ns() - t0
                ack.put(None)

    B.team(2, worker)
    samples.sort()
    return samples[n // 2], samples[min(n - 1, int(n * 0.99))]


def main():
    p = B.parser(__doc__)
    p.add_argument("--n", type=int, default=50000)
    p.add_argument("--n-latency", type=int, default=5000)
    p.add_argument("--n-idle", type=int, default=1000)
    # the sizing limits of bench/queue.c's mpmc_rep, passed on by it;
    # --min-rep-ns 0: no sizing
    p.add_argument("--min-rep-ns", type=int, default=0)
    p.add_argument("--sizing-runs", type=int, default=1)
    p.add_argument("--max-items", type=int, default=0)
    a = p.parse_args()
    tag = B.python_tag()
    n0 = max(a.n // 8 * 8, 8)
    for pc in (1, 2, 4, 8):
        # The warm-up sizes n as bench/queue.c's mpmc_rep does: while a
        # run is shorter than --min-rep-ns, n grows to what its pace
        # needs and the run is repeated.
        n = n0
        ns = mpmc(n, pc) * n
        for _ in range(1, a.sizing_runs):
            if not 0 < ns < a.min_rep_ns or n >= a.max_items:
                break
            n = min((int(n * a.min_rep_ns / ns) + 7) // 8 * 8, a.max_items)
            ns = mpmc(n, pc) * n
        vals = [mpmc(n, pc) for _ in range(a.reps)]
        B.row("python queue.Queue", "mpmc", 2 * pc, "ns/item", vals, tag)
    for param, k, gap in (("latency busy", a.n_latency, 0),
                          ("latency idle", a.n_idle, 50000)):
        res = B.measure(a.reps, lambda: latency(max(k, 10), gap))
        B.row("python queue.Queue", param, 2, "p50 ns", [r[0] for r in res],
              tag)
        B.row("python queue.Queue", param, 2, "p99 ns", [r[1] for r in res],
              tag)


if __name__ == "__main__":
    main()
