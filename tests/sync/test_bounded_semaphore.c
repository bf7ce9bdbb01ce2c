/* BoundedSemaphore: ports of CPython's lock_tests.BaseSemaphoreTests and
 * BoundedSemaphoreTests (shared cases in sem_cases.h), plus the bound
 * under concurrency.  CT_TEST_TIMEOUT 120 */
#include "sem_cases.h"
#include "stress.h"

static int b_init(void *s, int v, int f) {
    return ct_bounded_semaphore_init(s, v, f);
}
static int b_destroy(void *s) {
    return ct_bounded_semaphore_destroy(s);
}
static int b_acquire(void *s, double t) {
    return ct_bounded_semaphore_acquire(s, t);
}
static int b_release(void *s, int n) {
    return ct_bounded_semaphore_release(s, n);
}
static int b_value(const void *s) {
    return ct_bounded_semaphore_value(s);
}
static ct_semaphore *b_core(void *s) {
    return &((ct_bounded_semaphore *)s)->sem;
}

static const sem_kind K = {sizeof(ct_bounded_semaphore),
                           b_init,
                           b_destroy,
                           b_acquire,
                           b_release,
                           b_value,
                           b_core};

/* lock_tests.BoundedSemaphoreTests.test_release_unacquired: cannot go
 * past the initial value (Python's ValueError), and nothing changes. */
static void test_release_unacquired_is_evalue(void **state) {
    (void)state;
    ct_bounded_semaphore s = CT_BOUNDED_SEMAPHORE_INIT(1);
    assert_int_equal(ct_bounded_semaphore_release(&s, 1), CT_EVALUE);
    assert_int_equal(ct_bounded_semaphore_value(&s), 1);
    assert_int_equal(ct_bounded_semaphore_acquire(&s, CT_FOREVER), 0);
    assert_int_equal(ct_bounded_semaphore_release(&s, 1), 0);
    assert_int_equal(ct_bounded_semaphore_release(&s, 1), CT_EVALUE);
    assert_int_equal(ct_bounded_semaphore_value(&s), 1);
}

/* release(n) that would pass the bound is refused whole, not partly. */
static void test_release_n_past_bound_changes_nothing(void **state) {
    (void)state;
    ct_bounded_semaphore s;
    assert_int_equal(ct_bounded_semaphore_init(&s, 3, 0), 0);
    assert_int_equal(ct_bounded_semaphore_acquire(&s, 0), 0);
    assert_int_equal(ct_bounded_semaphore_acquire(&s, 0), 0);
    assert_int_equal(ct_bounded_semaphore_release(&s, 3), CT_EVALUE);
    assert_int_equal(ct_bounded_semaphore_value(&s), 1);
    assert_int_equal(ct_bounded_semaphore_release(&s, 2), 0);
    assert_int_equal(ct_bounded_semaphore_value(&s), 3);
    assert_int_equal(ct_bounded_semaphore_destroy(&s), 0);
}

/* lock_tests.BoundedSemaphoreTests.test_repr: value=3/3, then 2/3 */
static void test_value_and_bound(void **state) {
    (void)state;
    ct_bounded_semaphore s = CT_BOUNDED_SEMAPHORE_INIT(3);
    assert_int_equal(sizeof s, 12);
    assert_int_equal(ct_bounded_semaphore_value(&s), 3);
    assert_int_equal(ct_bounded_semaphore_acquire(&s, 0), 0);
    assert_int_equal(ct_bounded_semaphore_value(&s), 2);
    ct_bounded_semaphore bad = CT_BOUNDED_SEMAPHORE_INIT(-5);
    assert_int_equal(ct_bounded_semaphore_acquire(&bad, 0), CT_EINVAL);
    assert_int_equal(ct_bounded_semaphore_release(&bad, 1), CT_EINVAL);
    assert_int_equal(ct_bounded_semaphore_init(NULL, 1, 0), CT_EINVAL);
    assert_int_equal(ct_bounded_semaphore_acquire(NULL, 0), CT_EINVAL);
    assert_int_equal(ct_bounded_semaphore_release(NULL, 1), CT_EINVAL);
    assert_int_equal(ct_bounded_semaphore_value(NULL), CT_EINVAL);
    assert_int_equal(ct_bounded_semaphore_destroy(NULL), CT_EINVAL);
}

static void test_timed_waiters_lose_no_permit(void **state) {
    (void)state;
    timed_waiters_case((int)ct_stress_iters(6000), 1);
    timed_waiters_case((int)ct_stress_iters(6000), 2);
}

/* Many threads acquire and release: the bound always holds (no release
 * ever fails), and every permit comes back. */
enum { BOUND = 2, THREADS = 5 };

struct bstress {
    ct_bounded_semaphore s;
    long iters;
    atomic_int in_use, over, errors;
};

static void bstress_worker(void *ctx, int index) {
    struct bstress *b = ctx;
    (void)index;
    for (long i = 0; i < b->iters; i++) {
        if (ct_bounded_semaphore_acquire(&b->s, CT_FOREVER)) {
            atomic_fetch_add(&b->errors, 1);
            return;
        }
        if (atomic_fetch_add(&b->in_use, 1) >= BOUND)
            atomic_fetch_add(&b->over, 1);
        atomic_fetch_sub(&b->in_use, 1);
        if (ct_bounded_semaphore_release(&b->s, 1))
            atomic_fetch_add(&b->errors, 1);
    }
}

static void test_bound_holds_under_stress(void **state) {
    (void)state;
    struct bstress b = {.s = CT_BOUNDED_SEMAPHORE_INIT(BOUND),
                        .iters = ct_stress_iters(20000)};
    assert_int_equal(ct_stress_run(THREADS, bstress_worker, &b), 0);
    assert_int_equal(atomic_load(&b.errors), 0);
    assert_int_equal(atomic_load(&b.over), 0);
    assert_int_equal(ct_bounded_semaphore_value(&b.s), BOUND);
    assert_int_equal(ct_bounded_semaphore_release(&b.s, 1), CT_EVALUE);
}

/* lock_tests.BaseSemaphoreTests.test_with: `with sem:` is CT_WITH; the
 * permit comes back on every exit, the error path included. */
static int with_body(ct_bounded_semaphore *s, bool fail) {
    CT_WITH(s) {
        assert_int_equal(ct_bounded_semaphore_acquire(s, 0), 0);
        assert_int_equal(ct_bounded_semaphore_release(s, 1), 0);
        CT_WITH(s) {
            assert_int_equal(ct_bounded_semaphore_acquire(s, 0), CT_ETIMEDOUT);
            if (fail)
                return CT_EFAIL; /* Python: raise err */
        }
    }
    return 0;
}

static void test_with_releases_on_every_exit(void **state) {
    (void)state;
    ct_bounded_semaphore s = CT_BOUNDED_SEMAPHORE_INIT(2);
    assert_int_equal(with_body(&s, false), 0);
    assert_int_equal(ct_bounded_semaphore_acquire(&s, 0), 0);
    assert_int_equal(ct_bounded_semaphore_release(&s, 1), 0);
    assert_int_equal(with_body(&s, true), CT_EFAIL);
    assert_int_equal(ct_bounded_semaphore_acquire(&s, 0), 0);
    assert_int_equal(ct_bounded_semaphore_release(&s, 1), 0);
    assert_int_equal(ct_bounded_semaphore_value(&s), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        SEM_CASES,
        cmocka_unit_test(test_with_releases_on_every_exit),
        cmocka_unit_test(test_release_unacquired_is_evalue),
        cmocka_unit_test(test_release_n_past_bound_changes_nothing),
        cmocka_unit_test(test_value_and_bound),
        cmocka_unit_test(test_timed_waiters_lose_no_permit),
        cmocka_unit_test(test_bound_holds_under_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
