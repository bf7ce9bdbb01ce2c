"""Two-thread ping-pong with CPython's threading primitives: the same
hand-off the C cases (park, semaphore, event) measure. Prints ns per round
trip (two hand-offs)."""
import threading

import benchlib as B


def condition_rep(n):
    cv = threading.Condition(threading.Lock())
    turn = [0]

    def side(me):
        for _ in range(n):
            with cv:
                while turn[0] != me:
                    cv.wait()
                turn[0] = 1 - me
                cv.notify()

    return B.team(2, side) / n


def semaphore_rep(n):
    s = [threading.Semaphore(1), threading.Semaphore(0)]

    def side(me):
        mine, other = s[me], s[1 - me]
        for _ in range(n):
            mine.acquire()
            other.release()

    return B.team(2, side) / n


def event_rep(n):
    e = [threading.Event(), threading.Event()]
    e[0].set()

    def side(me):
        mine, other = e[me], e[1 - me]
        for _ in range(n):
            mine.wait()
            mine.clear()
            other.set()

    return B.team(2, side) / n


KINDS = {"condition": ("python Condition", condition_rep),
         "semaphore": ("python Semaphore", semaphore_rep),
         "event": ("python Event", event_rep)}


def main():
    p = B.parser(__doc__)
    p.add_argument("--kind", choices=sorted(KINDS), required=True)
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--param", default="ping-pong")
    a = p.parse_args()
    name, fn = KINDS[a.kind]
    n = max(a.n, 10)
    vals = B.measure(a.reps, lambda: fn(n))
    B.row(name, a.param, 2, "ns/roundtrip", vals, B.python_tag())


if __name__ == "__main__":
    main()
