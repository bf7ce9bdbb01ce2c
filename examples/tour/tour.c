/* The guided tour of cthreading: `make run`.
 *
 * It walks the learning path of the Python guides the project comes from
 * (../shared/seeds/), level by level, each step live with measured output.
 * Each layer adds its steps in its own file (step_<layer>.c).
 *
 * EXPECT: ^== cthreading [0-9]+\.[0-9]+\.[0-9]+ tour
 * EXPECT: ^-- core: errors
 * EXPECT: ^-- core: deadlines
 * EXPECT: ^-- core: parking
 * EXPECT: ^-- thread: create, start, join
 * EXPECT: ^   create\+start\+join of an empty thread: [0-9.]+ us \(bare pthread: [0-9.]+ us
 * EXPECT: ^-- thread: I/O-bound work overlaps
 * EXPECT: ^-- thread: thread-local values and failing threads
 * EXPECT: ^   3 threads used a local: 3 destructor calls at their exit$
 * EXPECT: ^   excepthook saw: ValueError in parser: item -4 is negative
 * EXPECT: ^-- thread: Timer and cancel
 * EXPECT: \(prevented=1\) .* calls: 1$
 * EXPECT: ^-- thread: current_thread and exit rules
 * EXPECT: ^-- sync: a race condition, and the Lock that fixes it
 * EXPECT: with lock: ([0-9]+) \(expected \1\)$
 * EXPECT: ^-- sync: Lock timeouts: CT_ETIMEDOUT instead of a hang
 * EXPECT: acquire\(0\.1\) on a held lock -> CT_ETIMEDOUT after
 * EXPECT: ^-- sync: RLock: the owner re-enters; others must wait
 * EXPECT: a stray release -> CT_EPERM$
 * EXPECT: ^-- sync: Condition: a one-slot handoff, no lost wake-up
 * EXPECT: items handed over, sum ([0-9]+) \(expected \1\)
 * EXPECT: ^-- sync: deadlock avoided: locks taken in one global order
 * EXPECT: total=200 \(expected 200\), no deadlock$
 * EXPECT: ^-- sync: once: a thread-safe singleton
 * EXPECT: init ran 1 time\(s\)$
 * EXPECT: ^-- sync: Semaphore: at most 3 threads inside
 * EXPECT: ^   8 threads x 20 entries, at most [1-3] inside at once
 * EXPECT: ^   release past the bound -> CT_EVALUE
 * EXPECT: ^   6 of 6 waiters started by one set\(\)
 * EXPECT: ^-- sync: Barrier: threads cross together, ours vs pthread
 * EXPECT: ^   2 of 3 parties came: 2 got CT_EBROKEN
 * EXPECT: child process woken by the parent's set\(\): yes
 * EXPECT: ^-- queue: Queue, LifoQueue, PriorityQueue
 * EXPECT: ^   PriorityQueue put 111 333 222 -> get 111 222 333$
 * EXPECT: ^   4/4: [0-9]+ items in .*every item once: yes$
 * EXPECT: ^-- queue: hand-off latency
 * EXPECT: ^   shutdown\(\): 3 blocked getters got CT_ESHUTDOWN
 * EXPECT: ^== tour complete$
 */
#include "tour.h"

#include <stdio.h>
#include <string.h>

void tour_run_threads(int n, ct_thread_fn fn, void *arg) {
    ct_thread *t[16];
    for (int i = 0; i < n && i < 16; i++) {
        t[i] = ct_thread_new(fn, arg);
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < n && i < 16; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        ct_thread_free(t[i]);
    }
}

int main(int argc, char **argv) {
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    printf("== cthreading %s tour (%d CPUs)%s\n", ct_version(), ct_cpu_count(),
           quick ? " [quick]" : "");
    int rc = 0;
    rc |= tour_core(quick);
    rc |= tour_thread(quick);
    rc |= tour_sync(quick);
    rc |= tour_sync_b(quick);
    rc |= tour_queue(quick);
    printf("== tour complete%s\n", rc ? " (with failures)" : "");
    return rc ? 1 : 0;
}
