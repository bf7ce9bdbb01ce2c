/* The tour's steps, one function per layer (examples/tour/step_<layer>.c).
 * Each prints its steps with live, measured output and returns 0, or 1 if
 * something did not behave as it should. `quick` shortens long steps (the
 * test suite runs the tour with --quick). */
#ifndef CT_TOUR_H
#define CT_TOUR_H

#include <cthreading.h>
#include <stdbool.h>
#include <stdio.h>

int tour_core(bool quick);
int tour_thread(bool quick);
int tour_sync(bool quick); /* Lock, RLock, Condition, once, order */
int tour_queue(bool quick);
int tour_sync_b(bool quick); /* Semaphore, Event, Barrier */

/* Flag a misbehaviour: if `expr` is true, say which check failed (so a
 * failing tour names it) and set `bad`. */
#define TOUR_FAIL_IF(bad, expr)                                                \
    do {                                                                       \
        if (expr) {                                                            \
            printf("   !! unexpected: %s (%s:%d)\n", #expr, __FILE__,          \
                   __LINE__);                                                  \
            (bad) = 1;                                                         \
        }                                                                      \
    } while (0)

/* Start n (at most 16) threads running fn(arg) and join them all. */
void tour_run_threads(int n, ct_thread_fn fn, void *arg);

/* A step heading: "-- <layer>: <title>". */
#define TOUR_STEP(layer, title) printf("\n-- %s: %s\n", layer, title)

#endif
