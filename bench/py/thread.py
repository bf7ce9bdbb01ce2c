"""threading.Thread start+join in a row, and threading.current_thread():
the workloads of bench/thread.c."""
import threading

import benchlib as B


def target():
    pass


def create(n):
    t0 = B.now_ns()
    for _ in range(n):
        t = threading.Thread(target=target)
        t.start()
        t.join()
    return (B.now_ns() - t0) / n


def current(n):
    cur = threading.current_thread
    t0 = B.now_ns()
    for _ in range(n):
        cur()
    return (B.now_ns() - t0) / n


def main():
    p = B.parser(__doc__)
    p.add_argument("--n-create", type=int, default=5000)
    p.add_argument("--n-current", type=int, default=500000)
    a = p.parse_args()
    tag = B.python_tag()
    vals = B.measure(a.reps, lambda: create(max(a.n_create, 10)))
    B.row("python threading.Thread", "create+join", 1, "ns/thread", vals, tag)
    vals = B.measure(a.reps, lambda: current(max(a.n_current, 10)))
    B.row("python threading.Thread", "current_thread", 1, "ns/call", vals,
          tag)


if __name__ == "__main__":
    main()
