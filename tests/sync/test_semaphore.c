/* Semaphore: ports of CPython's lock_tests.BaseSemaphoreTests and
 * SemaphoreTests (cases shared with BoundedSemaphore in sem_cases.h), plus
 * bad inputs and stress.  CT_TEST_TIMEOUT 120 */
#include "sem_cases.h"
#include "stress.h"

static int s_init(void *s, int v, int f) {
    return ct_semaphore_init(s, v, f);
}
static int s_destroy(void *s) {
    return ct_semaphore_destroy(s);
}
static int s_acquire(void *s, double t) {
    return ct_semaphore_acquire(s, t);
}
static int s_release(void *s, int n) {
    return ct_semaphore_release(s, n);
}
static int s_value(const void *s) {
    return ct_semaphore_value(s);
}
static ct_semaphore *s_core(void *s) {
    return s;
}

static const sem_kind K = {sizeof(ct_semaphore),
                           s_init,
                           s_destroy,
                           s_acquire,
                           s_release,
                           s_value,
                           s_core};

/* lock_tests.SemaphoreTests.test_release_unacquired: an unbounded
 * semaphore may be released above its initial value. */
static void test_release_beyond_initial_value_is_allowed(void **state) {
    (void)state;
    ct_semaphore s;
    assert_int_equal(ct_semaphore_init(&s, 1, 0), 0);
    assert_int_equal(ct_semaphore_release(&s, 1), 0);
    assert_int_equal(ct_semaphore_acquire(&s, CT_FOREVER), 0);
    assert_int_equal(ct_semaphore_acquire(&s, CT_FOREVER), 0);
    assert_int_equal(ct_semaphore_release(&s, 1), 0);
    assert_int_equal(ct_semaphore_value(&s), 1);
    assert_int_equal(ct_semaphore_destroy(&s), 0);
}

/* lock_tests.SemaphoreTests.test_repr: the value it shows (3, 2, 4) */
static void test_value_follows_acquire_and_release(void **state) {
    (void)state;
    ct_semaphore s = CT_SEMAPHORE_INIT(3);
    assert_int_equal(ct_semaphore_value(&s), 3);
    assert_int_equal(ct_semaphore_acquire(&s, 0), 0);
    assert_int_equal(ct_semaphore_value(&s), 2);
    assert_int_equal(ct_semaphore_release(&s, 1), 0);
    assert_int_equal(ct_semaphore_release(&s, 1), 0);
    assert_int_equal(ct_semaphore_value(&s), 4);
}

static void test_static_initialisers(void **state) {
    (void)state;
    ct_semaphore a = CT_SEMAPHORE_INIT(2);
    ct_semaphore p = CT_SEMAPHORE_INIT_PSHARED(0);
    ct_semaphore bad = CT_SEMAPHORE_INIT(-1); /* answers CT_EINVAL */
    assert_int_equal(sizeof(ct_semaphore), 8);
    assert_int_equal(ct_semaphore_acquire(&a, 0), 0);
    assert_int_equal(ct_semaphore_value(&a), 1);
    assert_int_equal(ct_semaphore_release(&p, 1), 0);
    assert_int_equal(ct_semaphore_acquire(&p, 0), 0);
    assert_int_equal(ct_semaphore_acquire(&bad, 0), CT_EINVAL);
    assert_int_equal(ct_semaphore_release(&bad, 1), CT_EINVAL);
    assert_int_equal(ct_semaphore_value(&bad), CT_EINVAL);
}

/* A value past CT_SEMAPHORE_MAX is refused and changes nothing (Python's
 * integers do not overflow; ours stop at a documented bound). */
static void test_release_past_max_is_evalue(void **state) {
    (void)state;
    ct_semaphore s = CT_SEMAPHORE_INIT(CT_SEMAPHORE_MAX - 1);
    assert_int_equal(ct_semaphore_release(&s, 2), CT_EVALUE);
    assert_int_equal(ct_semaphore_value(&s), CT_SEMAPHORE_MAX - 1);
    assert_int_equal(ct_semaphore_release(&s, 2147483647), CT_EVALUE);
    assert_int_equal(ct_semaphore_release(&s, 1), 0);
    assert_int_equal(ct_semaphore_value(&s), CT_SEMAPHORE_MAX);
    assert_int_equal(ct_semaphore_release(&s, 1), CT_EVALUE);
}

/* release(n) wakes n sleepers, not fewer, not more. */
struct wake_ctx {
    ct_semaphore s;
    atomic_int got;
};

static void *wake_worker(void *p) {
    struct wake_ctx *w = p;
    assert_int_equal(ct_semaphore_acquire(&w->s, CT_FOREVER), 0);
    atomic_fetch_add(&w->got, 1);
    return NULL;
}

static void test_release_n_wakes_exactly_n(void **state) {
    (void)state;
    struct wake_ctx w = {.s = CT_SEMAPHORE_INIT(0)};
    bunch b;
    bunch_start(&b, 5, wake_worker, &w);
    wait_sleepers(&w.s, 5);
    assert_int_equal(ct_semaphore_release(&w.s, 3), 0);
    wait_count(&w.got, 3);
    wait_sleepers(&w.s, 2);
    assert_int_equal(atomic_load(&w.got), 3);
    assert_int_equal(ct_semaphore_value(&w.s), 0);
    assert_int_equal(ct_semaphore_release(&w.s, 2), 0);
    bunch_join(&b);
    assert_int_equal(atomic_load(&w.got), 5);
    assert_int_equal(ct_semaphore_destroy(&w.s), 0);
}

/* Timed acquirers racing with single and multi releases lose no permit. */
static void test_timed_waiters_lose_no_permit(void **state) {
    (void)state;
    timed_waiters_case((int)ct_stress_iters(6000), 1);
    timed_waiters_case((int)ct_stress_iters(6000), 3);
}

/* Permit accounting: never more holders than permits, and every permit
 * back at the end, after many threads acquire and release. */
enum { PERMITS = 3, STRESS_THREADS = 6 };

struct acct {
    ct_semaphore s;
    long iters;
    atomic_int in_use, max_in_use, errors;
    atomic_long done;
};

static void acct_worker(void *ctx, int index) {
    struct acct *a = ctx;
    for (long i = 0; i < a->iters; i++) {
        /* odd threads use short timeouts, retried: the timed path too */
        double t = (index & 1) ? 0.001 : CT_FOREVER;
        int rc;
        while ((rc = ct_semaphore_acquire(&a->s, t)) == CT_ETIMEDOUT)
            ;
        if (rc) {
            atomic_fetch_add(&a->errors, 1);
            return;
        }
        int n = atomic_fetch_add(&a->in_use, 1) + 1;
        int m = atomic_load(&a->max_in_use);
        while (n > m && !atomic_compare_exchange_weak(&a->max_in_use, &m, n))
            ;
        atomic_fetch_sub(&a->in_use, 1);
        atomic_fetch_add(&a->done, 1);
        if (ct_semaphore_release(&a->s, 1))
            atomic_fetch_add(&a->errors, 1);
    }
}

static void test_permit_accounting_is_exact_under_stress(void **state) {
    (void)state;
    struct acct a = {.s = CT_SEMAPHORE_INIT(PERMITS),
                     .iters = ct_stress_iters(20000)};
    assert_int_equal(ct_stress_run(STRESS_THREADS, acct_worker, &a), 0);
    assert_int_equal(atomic_load(&a.errors), 0);
    assert_int_equal(atomic_load(&a.done), a.iters * STRESS_THREADS);
    assert_true(atomic_load(&a.max_in_use) <= PERMITS);
    assert_int_equal(ct_semaphore_value(&a.s), PERMITS);
    assert_int_equal(ct_semaphore_destroy(&a.s), 0);
}

/* lock_tests.BaseSemaphoreTests.test_with: `with sem:` is CT_WITH; the
 * permit comes back on every exit, the error path included. */
static int with_body(ct_semaphore *s, bool fail) {
    CT_WITH(s) {
        assert_int_equal(ct_semaphore_acquire(s, 0), 0);
        assert_int_equal(ct_semaphore_release(s, 1), 0);
        CT_WITH(s) {
            assert_int_equal(ct_semaphore_acquire(s, 0), CT_ETIMEDOUT);
            if (fail)
                return CT_EFAIL; /* Python: raise err */
        }
    }
    return 0;
}

static void test_with_releases_on_every_exit(void **state) {
    (void)state;
    ct_semaphore s = CT_SEMAPHORE_INIT(2);
    assert_int_equal(with_body(&s, false), 0);
    assert_int_equal(ct_semaphore_acquire(&s, 0), 0);
    assert_int_equal(ct_semaphore_release(&s, 1), 0);
    assert_int_equal(with_body(&s, true), CT_EFAIL);
    assert_int_equal(ct_semaphore_acquire(&s, 0), 0);
    assert_int_equal(ct_semaphore_release(&s, 1), 0);
    assert_int_equal(ct_semaphore_value(&s), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        SEM_CASES,
        cmocka_unit_test(test_with_releases_on_every_exit),
        cmocka_unit_test(test_release_beyond_initial_value_is_allowed),
        cmocka_unit_test(test_value_follows_acquire_and_release),
        cmocka_unit_test(test_static_initialisers),
        cmocka_unit_test(test_release_past_max_is_evalue),
        cmocka_unit_test(test_release_n_wakes_exactly_n),
        cmocka_unit_test(test_timed_waiters_lose_no_permit),
        cmocka_unit_test(test_permit_accounting_is_exact_under_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
