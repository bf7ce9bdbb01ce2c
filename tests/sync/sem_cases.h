/* tests/sync/sem_cases.h - the cases CPython's lock_tests.py runs on both
 * semaphore kinds (BaseSemaphoreTests), written once against a table of
 * operations; test_semaphore.c and test_bounded_semaphore.c each run them
 * on their own type. Included by exactly one .c file per program. */
#ifndef CT_TEST_SEM_CASES_H
#define CT_TEST_SEM_CASES_H

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

/* One semaphore kind: the test file defines `K` with its functions. */
typedef struct sem_kind {
    size_t size;
    int (*init)(void *s, int value, int flags);
    int (*destroy)(void *s);
    int (*acquire)(void *s, double timeout);
    int (*release)(void *s, int n);
    int (*value)(const void *s);
    /* the shared core, to look at the sleepers count (white box) */
    ct_semaphore *(*core)(void *s);
} sem_kind;

static const sem_kind K;

/* ------------------------------------------------------------- helpers */

/* Poll until *counter >= n (Python's wait_count / sleeping_retry); fails
 * the test after 30 s. Waiting for a condition, not sleeping as a
 * synchronisation. */
static void wait_count(atomic_int *counter, int n) {
    double end = ct_monotonic() + 30.0;
    while (atomic_load(counter) < n) {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
}

/* Poll until `n` threads sleep in acquire on `s` (white box: waiters). */
static void wait_sleepers(void *s, uint32_t n) {
    ct_semaphore *c = K.core(s);
    double end = ct_monotonic() + 30.0;
    while (atomic_load(&c->waiters) / 2 < n) {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
}

static void *sem_new(int value) {
    void *s = calloc(1, K.size);
    assert_non_null(s);
    assert_int_equal(K.init(s, value, 0), 0);
    return s;
}

static void sem_free(void *s) {
    assert_int_equal(K.destroy(s), 0);
    free(s);
}

/* -------------------------------------------------------------- cases */

/* lock_tests.BaseSemaphoreTests.test_constructor */
static void test_init_rejects_negative_value(void **state) {
    (void)state;
    void *s = calloc(1, K.size);
    assert_int_equal(K.init(s, -1, 0), CT_EVALUE);
    assert_int_equal(K.init(s, -2147483647 - 1, 0), CT_EVALUE);
    assert_int_equal(K.init(s, CT_SEMAPHORE_MAX + 1, 0), CT_EVALUE);
    assert_int_equal(K.init(s, 1, 4), CT_EINVAL);
    assert_int_equal(K.init(NULL, 1, 0), CT_EINVAL);
    assert_int_equal(K.init(s, CT_SEMAPHORE_MAX, 0), 0);
    assert_int_equal(K.value(s), CT_SEMAPHORE_MAX);
    free(s);
}

/* lock_tests.BaseSemaphoreTests.test_acquire and test_acquire_destroy */
static void test_acquire_release_counts(void **state) {
    (void)state;
    void *s = sem_new(1);
    assert_int_equal(K.acquire(s, CT_FOREVER), 0);
    assert_int_equal(K.release(s, 1), 0);
    sem_free(s);
    s = sem_new(2);
    assert_int_equal(K.acquire(s, CT_FOREVER), 0);
    assert_int_equal(K.acquire(s, CT_FOREVER), 0);
    assert_int_equal(K.value(s), 0);
    assert_int_equal(K.release(s, 1), 0);
    assert_int_equal(K.release(s, 1), 0);
    assert_int_equal(K.value(s), 2);
    sem_free(s);
    s = sem_new(1); /* acquire then destroy: a held permit is no waiter */
    assert_int_equal(K.acquire(s, CT_FOREVER), 0);
    sem_free(s);
}

/* lock_tests.BaseSemaphoreTests.test_acquire_contended (and, with
 * release(n) instead of n releases, test_multirelease) */
enum { CONT_VALUE = 7, CONT_N = 10 };

struct contended {
    void *s;
    atomic_int phase;
    atomic_int count; /* results1 + results2 */
    atomic_int by_phase[4];
    atomic_int ok; /* sem_results that were True */
};

static void *contended_worker(void *p) {
    struct contended *c = p;
    for (int i = 0; i < 2; i++) {
        if (K.acquire(c->s, CT_FOREVER) == 0)
            atomic_fetch_add(&c->ok, 1);
        atomic_fetch_add(&c->by_phase[atomic_load(&c->phase)], 1);
        atomic_fetch_add(&c->count, 1);
    }
    return NULL;
}

static void run_contended(bool multi) {
    struct contended c = {.s = sem_new(CONT_VALUE)};
    assert_int_equal(K.acquire(c.s, CT_FOREVER), 0);
    bunch b;
    bunch_start(&b, CONT_N, contended_worker, &c);
    /* Phase 0: the 6 free permits go */
    int count1 = CONT_VALUE - 1;
    wait_count(&c.count, count1);
    assert_int_equal(atomic_load(&c.by_phase[0]), count1);
    /* Phase 1 */
    atomic_store(&c.phase, 1);
    int count2 = CONT_VALUE;
    if (multi)
        assert_int_equal(K.release(c.s, count2), 0);
    else
        for (int i = 0; i < count2; i++)
            assert_int_equal(K.release(c.s, 1), 0);
    wait_count(&c.count, count1 + count2);
    assert_int_equal(atomic_load(&c.by_phase[0]), count1);
    assert_int_equal(atomic_load(&c.by_phase[1]), count2);
    /* Phase 2 */
    atomic_store(&c.phase, 2);
    int count3 = CONT_VALUE - 1;
    if (multi)
        assert_int_equal(K.release(c.s, count3), 0);
    else
        for (int i = 0; i < count3; i++)
            assert_int_equal(K.release(c.s, 1), 0);
    wait_count(&c.count, count1 + count2 + count3);
    assert_int_equal(atomic_load(&c.by_phase[2]), count3);
    /* the semaphore is still locked */
    assert_int_equal(K.acquire(c.s, 0), CT_ETIMEDOUT);
    /* final release lets the last thread finish */
    atomic_store(&c.phase, 3);
    assert_int_equal(K.release(c.s, 1), 0);
    bunch_join(&b);
    assert_int_equal(atomic_load(&c.count), 2 * CONT_N);
    assert_int_equal(atomic_load(&c.by_phase[3]), 1);
    assert_int_equal(atomic_load(&c.ok), 2 * CONT_N);
    assert_int_equal(K.value(c.s), 0);
    /* everyone left: nobody is counted as sleeping */
    assert_true(atomic_load(&K.core(c.s)->waiters) < 2);
    assert_int_equal(K.release(c.s, 1), 0);
    sem_free(c.s);
}

static void test_acquire_contended_counts_by_phase(void **state) {
    (void)state;
    run_contended(false);
}

static void test_multirelease_wakes_n(void **state) {
    (void)state;
    run_contended(true);
}

/* lock_tests.BaseSemaphoreTests.test_try_acquire */
static void test_try_acquire(void **state) {
    (void)state;
    void *s = sem_new(2);
    assert_int_equal(K.acquire(s, 0), 0);
    assert_int_equal(K.acquire(s, 0), 0);
    assert_int_equal(K.acquire(s, 0), CT_ETIMEDOUT);
    assert_int_equal(K.release(s, 1), 0);
    assert_int_equal(K.acquire(s, 0), 0);
    assert_int_equal(K.release(s, 2), 0);
    sem_free(s);
}

/* lock_tests.BaseSemaphoreTests.test_try_acquire_contended */
struct try_ctx {
    void *s;
    atomic_int yes, no;
};

static void *try_worker(void *p) {
    struct try_ctx *t = p;
    for (int i = 0; i < 2; i++)
        atomic_fetch_add(K.acquire(t->s, 0) == 0 ? &t->yes : &t->no, 1);
    return NULL;
}

static void test_try_acquire_contended(void **state) {
    (void)state;
    struct try_ctx t = {.s = sem_new(4)};
    assert_int_equal(K.acquire(t.s, 0), 0);
    bunch b;
    bunch_start(&b, 5, try_worker, &t);
    bunch_join(&b);
    assert_int_equal(atomic_load(&t.yes), 3);
    assert_int_equal(atomic_load(&t.no), 7);
    assert_int_equal(K.release(t.s, 4), 0);
    sem_free(t.s);
}

/* lock_tests.BaseSemaphoreTests.test_acquire_timeout (the ValueError for
 * blocking=False with a timeout has no C spelling: one timeout argument) */
static void test_acquire_timeout(void **state) {
    (void)state;
    void *s = sem_new(2);
    assert_int_equal(K.acquire(s, 0.005), 0);
    assert_int_equal(K.acquire(s, 0.005), 0);
    assert_int_equal(K.acquire(s, 0.005), CT_ETIMEDOUT);
    assert_int_equal(K.release(s, 1), 0);
    assert_int_equal(K.acquire(s, 0.005), 0);
    double t = ct_monotonic();
    assert_int_equal(K.acquire(s, 0.5), CT_ETIMEDOUT);
    double dt = ct_monotonic() - t;
    assert_true(dt >= 0.5 * 0.6);
    assert_true(dt < 0.5 * 10.0);
    assert_int_equal(K.release(s, 2), 0);
    sem_free(s);
}

/* DESIGN.md: Semaphore.acquire with a negative timeout times out at once
 * (Python: acquire(timeout=-1.5) returns False); NaN is an error. */
static void test_negative_timeout_times_out_at_once(void **state) {
    (void)state;
    void *s = sem_new(1); /* emptied: a bounded one needs the room */
    assert_int_equal(K.acquire(s, 0), 0);
    double t = ct_monotonic();
    assert_int_equal(K.acquire(s, -1.5), CT_ETIMEDOUT);
    assert_int_equal(K.acquire(s, -1e300), CT_ETIMEDOUT);
    assert_true(ct_monotonic() - t < 1.0);
    assert_int_equal(K.acquire(s, NAN), CT_EINVAL);
    assert_int_equal(K.release(s, 1), 0);
    assert_int_equal(K.acquire(s, -1.0), 0); /* a free permit is taken */
    assert_int_equal(K.acquire(s, NAN), CT_EINVAL);
    sem_free(s);
}

/* lock_tests.BaseSemaphoreTests.test_default_value: Semaphore() holds one
 * permit; a second acquirer blocks until the release. */
struct one_ctx {
    void *s;
    atomic_int finished;
};

static void *default_worker(void *p) {
    struct one_ctx *o = p;
    assert_int_equal(K.acquire(o->s, CT_FOREVER), 0);
    assert_int_equal(K.release(o->s, 1), 0);
    atomic_store(&o->finished, 1);
    return NULL;
}

static void test_default_value_blocks_second_acquirer(void **state) {
    (void)state;
    struct one_ctx o = {.s = sem_new(1)};
    assert_int_equal(K.acquire(o.s, CT_FOREVER), 0);
    bunch b;
    bunch_start(&b, 1, default_worker, &o);
    wait_sleepers(o.s, 1); /* the thread is blocked in acquire */
    assert_int_equal(atomic_load(&o.finished), 0);
    assert_int_equal(K.release(o.s, 1), 0);
    bunch_join(&b);
    assert_int_equal(atomic_load(&o.finished), 1);
    assert_int_equal(K.value(o.s), 1);
    sem_free(o.s);
}

/* Bad inputs get their documented codes. */
static void test_bad_inputs(void **state) {
    (void)state;
    void *s = sem_new(1);
    assert_int_equal(K.acquire(NULL, 0), CT_EINVAL);
    assert_int_equal(K.release(NULL, 1), CT_EINVAL);
    assert_int_equal(K.value(NULL), CT_EINVAL);
    assert_int_equal(K.destroy(NULL), CT_EINVAL);
    assert_int_equal(K.acquire(s, 0), 0);
    assert_int_equal(K.release(s, 0), CT_EVALUE); /* Python: ValueError */
    assert_int_equal(K.release(s, -1), CT_EVALUE);
    assert_int_equal(K.release(s, -2147483647 - 1), CT_EVALUE);
    assert_int_equal(K.value(s), 0);
    assert_int_equal(K.release(s, 1), 0);
    sem_free(s);
}

/* Destroy with a sleeper is refused; after destroy every call is
 * CT_EINVAL; init makes it usable again. */
static void *sleeper(void *p) {
    assert_int_equal(K.acquire(p, CT_FOREVER), 0);
    return NULL;
}

static void test_destroy_with_waiters_is_estate(void **state) {
    (void)state;
    void *s = sem_new(1);
    assert_int_equal(K.acquire(s, 0), 0);
    bunch b;
    bunch_start(&b, 1, sleeper, s);
    wait_sleepers(s, 1);
    assert_int_equal(K.destroy(s), CT_ESTATE);
    assert_int_equal(K.release(s, 1), 0); /* still fully working */
    bunch_join(&b);
    assert_int_equal(K.destroy(s), 0);
    assert_int_equal(K.destroy(s), CT_EINVAL);
    assert_int_equal(K.acquire(s, 0), CT_EINVAL);
    assert_int_equal(K.acquire(s, 1.0), CT_EINVAL);
    assert_int_equal(K.release(s, 1), CT_EINVAL);
    assert_int_equal(K.value(s), CT_EINVAL);
    assert_int_equal(K.init(s, 3, 0), 0);
    assert_int_equal(K.value(s), 3);
    sem_free(s);
}

/* Not in lock_tests (Python frees nothing by hand): the thread whose
 * acquire took the permit may destroy and free the semaphore at once,
 * while the releaser is still returning (POSIX's rule for sem_post, cf.
 * glibc bug 12674). So release() must not touch the semaphore after its
 * permit is visible; TSan reports it if it does (an unordered read racing
 * with free). */
static void *late_releaser(void *p) {
    assert_int_equal(K.release(p, 1), 0);
    return NULL;
}

static void test_acquirer_may_free_while_releaser_returns(void **state) {
    (void)state;
    for (int i = 0; i < 300; i++) {
        void *s = sem_new(1);
        assert_int_equal(K.acquire(s, 0), 0); /* room for a bounded one */
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, late_releaser, s), 0);
        assert_int_equal(K.acquire(s, CT_FOREVER), 0);
        sem_free(s);
        pthread_join(t, NULL);
    }
}

/* Timed waiters racing with releases: every released permit is taken by
 * exactly one acquirer, none lost when a woken waiter's time runs out. */
enum { TW_THREADS = 4 };

struct timed_ctx {
    void *s;
    int total;
    atomic_int taken;
};

static void *timed_consumer(void *p) {
    struct timed_ctx *t = p;
    while (atomic_load(&t->taken) < t->total) {
        int rc = K.acquire(t->s, 0.0002);
        if (rc == 0)
            atomic_fetch_add(&t->taken, 1);
        else
            assert_int_equal(rc, CT_ETIMEDOUT);
    }
    return NULL;
}

static void timed_waiters_case(int total, int burst) {
    /* start full and drain it, so a bounded semaphore has its room */
    struct timed_ctx t = {.s = sem_new(burst), .total = total};
    for (int i = 0; i < burst; i++)
        assert_int_equal(K.acquire(t.s, 0), 0);
    bunch b;
    bunch_start(&b, TW_THREADS, timed_consumer, &t);
    for (int i = 0; i < total; i += burst) {
        assert_int_equal(K.release(t.s, burst), 0);
        /* keep the bound of a bounded semaphore: wait for room */
        while (K.value(t.s) > 0)
            sched_yield();
    }
    bunch_join(&b);
    assert_int_equal(atomic_load(&t.taken), total);
    assert_int_equal(K.value(t.s), 0);
    sem_free(t.s);
}

#define SEM_CASES                                                              \
    cmocka_unit_test(test_init_rejects_negative_value),                        \
        cmocka_unit_test(test_acquire_release_counts),                         \
        cmocka_unit_test(test_acquire_contended_counts_by_phase),              \
        cmocka_unit_test(test_multirelease_wakes_n),                           \
        cmocka_unit_test(test_try_acquire),                                    \
        cmocka_unit_test(test_try_acquire_contended),                          \
        cmocka_unit_test(test_acquire_timeout),                                \
        cmocka_unit_test(test_negative_timeout_times_out_at_once),             \
        cmocka_unit_test(test_default_value_blocks_second_acquirer),           \
        cmocka_unit_test(test_bad_inputs),                                     \
        cmocka_unit_test(test_destroy_with_waiters_is_estate),                 \
        cmocka_unit_test(test_acquirer_may_free_while_releaser_returns)

#endif
