/* tests/support/stress.h - run N threads x M iterations for stress tests.
 *
 * Threads are raw pthreads (threads cthreading did not create), lined up
 * by a start gate so they really contend. M is scaled by the environment
 * variable CT_STRESS (default 1; `make stress` sets 100). */
#ifndef CT_TEST_STRESS_H
#define CT_TEST_STRESS_H

#include <stddef.h>

/* The CT_STRESS multiplier (>= 1). */
long ct_stress_scale(void);

/* `base` iterations scaled by ct_stress_scale(). */
long ct_stress_iters(long base);

/* Run fn(ctx, index) on `nthreads` new pthreads, all released at once,
 * and join them. Returns 0, or -1 if a thread could not be created (the
 * ones created are still joined). */
int ct_stress_run(int nthreads, void (*fn)(void *ctx, int index), void *ctx);

#endif
