/* tests/sync/sync_a_util.h - helpers of the Lock/RLock/Condition/once
 * tests: a bunch of raw pthreads (lock_tests.Bunch) and polling for a
 * state (Python's wait_threads_blocked / sleeping_retry), never sleeping
 * as synchronisation. Included by one .c file per program. */
#ifndef CT_TEST_SYNC_A_UTIL_H
#define CT_TEST_SYNC_A_UTIL_H

#include <cthreading.h>
#include <cthreading/sync.h>

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bunch.h"
#include "sync/internal.h"

/* Poll until pred(arg) holds; fail the test after 30 s. */
static inline void wait_until(bool (*pred)(const void *arg), const void *arg) {
    double end = ct_monotonic() + 30.0;
    while (!pred(arg)) {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
}

static inline void wait_count(atomic_int *counter, int n) {
    double end = ct_monotonic() + 30.0;
    while (atomic_load(counter) < n) {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
}

/* Poll until `n` threads are registered as waiters on `lock`. */
static inline void wait_lock_waiters(const ct_lock *lock, uint32_t n) {
    double end = ct_monotonic() + 30.0;
    while (ct__lock_waiters(lock) < n) {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
}

/* lock_tests.BaseTestCase.assertTimeout: at least 60% of the expected
 * time, and nothing insane (here: less than 10x plus 2 s for loaded CI). */
#define assert_timeout(actual, expected)                                       \
    do {                                                                       \
        assert_true((actual) >= (expected)*0.6);                               \
        assert_true((actual) < (expected)*10.0 + 2.0);                         \
    } while (0)

#endif
