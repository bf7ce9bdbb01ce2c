/* tests/support/allocfail.h - fail each allocation site in turn.
 *
 * ct_test_alloc_failures(run, verify, ctx) first runs `run(ctx)` once with
 * the default allocator (a warm-up, so objects the library creates lazily
 * for the whole process are not mistaken for leaks; it must return 0),
 * then installs a counting allocator that remembers every pointer it hands
 * out, and for k = 1, 2, ... runs `run(ctx)` with the k-th allocation failing.
 * For every run in which an allocation was failed it asserts (cmocka)
 * that run() returned CT_ENOMEM, that verify(ctx) (if not NULL) finds
 * nothing observable changed, and that no allocation made by the library
 * is still live. It stops at the first k whose run makes fewer than k
 * allocations (nothing left to fail); that clean run must return 0 and
 * leave nothing live either. `run` must tear down whatever it created on
 * success, so a clean run ends with zero live allocations.
 * Returns the number of allocation sites exercised. The default allocator
 * is restored before returning. Single-threaded harness: `run` may start
 * threads but must join them before returning. */
#ifndef CT_TEST_ALLOCFAIL_H
#define CT_TEST_ALLOCFAIL_H

#include <stddef.h>

int ct_test_alloc_failures(int (*run)(void *ctx), void (*verify)(void *ctx),
                           void *ctx);

/* Allocations made through the library since the counting allocator was
 * installed, and those still live (both 0 outside the harness). */
long ct_test_alloc_count(void);
long ct_test_alloc_live(void);

#endif
