/* Thread-local storage (threading.local): per-thread values, initialiser
 * on first use, destructors at thread exit for every thread that set a
 * value (library and foreign threads), replacement, free, allocation
 * failure.
 * Ports CPython Lib/test/_test_threading_local.py (test_local_refs,
 * test_derived, test_cycle_collection's "values die with their thread",
 * test_arguments: the initialiser) and test_threading.py test_locals_at_exit
 * (see test_exit.c).
 * CT_TEST_TIMEOUT 120 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "allocfail.h"
#include <cthreading/thread.h>

static atomic_int destroyed, initialised;
static atomic_long destroyed_sum;

static void count_destroy(void *v) {
    atomic_fetch_add(&destroyed, 1);
    atomic_fetch_add(&destroyed_sum, (long)(intptr_t)v);
}

static void *count_init(void *arg) {
    atomic_fetch_add(&initialised, 1);
    return arg;
}

static void reset(void) {
    atomic_store(&destroyed, 0);
    atomic_store(&initialised, 0);
    atomic_store(&destroyed_sum, 0);
}

struct job {
    ct_local *l;
    intptr_t v;
    intptr_t seen;
};

static int set_then_read(void *arg) {
    struct job *j = arg;
    if (ct_local_get(j->l) != NULL)
        return ct_raise(CT_EFAIL, "fresh thread sees a value");
    ct_local_set(j->l, (void *)j->v);
    ct_thread_current(); /* any library call in between */
    j->seen = (intptr_t)ct_local_get(j->l);
    return 0;
}

/* test_local_refs / test_derived: each thread sees its own value, and
 * each value is destroyed once, in its thread, before join returns. */
static void test_each_thread_sees_its_own_value(void **state) {
    (void)state;
    enum { N = 10 };
    reset();
    ct_local *l = ct_local_new(.destructor = count_destroy);
    ct_local_set(l, (void *)1000); /* the main thread's value */
    struct job j[N];
    ct_thread *t[N];
    long sum = 0;
    for (int i = 0; i < N; i++) {
        j[i] = (struct job){l, i + 1, 0};
        sum += i + 1;
        t[i] = ct_thread_new(set_then_read, &j[i]);
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < N; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        assert_int_equal(ct_thread_result(t[i]), 0);
        assert_int_equal(j[i].seen, i + 1);
        ct_thread_free(t[i]);
    }
    assert_int_equal(atomic_load(&destroyed), N);
    assert_int_equal(atomic_load(&destroyed_sum), sum);
    assert_int_equal((intptr_t)ct_local_get(l), 1000);
    ct_local_free(l); /* destroys the main thread's value now */
    assert_int_equal(atomic_load(&destroyed), N + 1);
}

static int get_twice(void *arg) {
    ct_local *l = arg;
    void *a = ct_local_get(l);
    void *b = ct_local_get(l);
    return a == b && a == (void *)7 ? 0 : CT_EFAIL;
}

/* The initialiser runs once per thread, on first use. */
static void test_initialiser_runs_once_per_thread(void **state) {
    (void)state;
    reset();
    ct_local *l = ct_local_new(.init = count_init, .init_arg = (void *)7,
                               .destructor = count_destroy);
    ct_thread *t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = ct_thread_new(get_twice, l);
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < 4; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        assert_int_equal(ct_thread_result(t[i]), 0);
        ct_thread_free(t[i]);
    }
    assert_int_equal(atomic_load(&initialised), 4);
    assert_int_equal(atomic_load(&destroyed), 4);
    ct_local_free(l); /* main never used it: nothing more */
    assert_int_equal(atomic_load(&initialised), 4);
    assert_int_equal(atomic_load(&destroyed), 4);
}

/* Foreign threads: destructors run at their exit too. */
static void *foreign_set(void *arg) {
    ct_local_set(arg, (void *)5);
    return NULL;
}

static void test_foreign_thread_values_destroyed_at_exit(void **state) {
    (void)state;
    reset();
    ct_local *l = ct_local_new(.destructor = count_destroy);
    pthread_t h;
    pthread_create(&h, NULL, foreign_set, l);
    pthread_join(h, NULL);
    assert_int_equal(atomic_load(&destroyed), 1);
    assert_int_equal(atomic_load(&destroyed_sum), 5);
    ct_local_free(l);
}

/* Replacing a value destroys the old one; setting the same keeps it. */
static void test_set_replaces_and_destroys_old_value(void **state) {
    (void)state;
    reset();
    ct_local *l = ct_local_new(.destructor = count_destroy);
    assert_int_equal(ct_local_set(l, (void *)1), 0);
    assert_int_equal(ct_local_set(l, (void *)1), 0);
    assert_int_equal(atomic_load(&destroyed), 0);
    assert_int_equal(ct_local_set(l, (void *)2), 0);
    assert_int_equal(atomic_load(&destroyed), 1);
    assert_int_equal(atomic_load(&destroyed_sum), 1);
    assert_int_equal(ct_local_set(l, NULL), 0); /* del local.x */
    assert_int_equal(atomic_load(&destroyed_sum), 3);
    assert_null(ct_local_get(l));
    ct_local_free(l);
    assert_int_equal(atomic_load(&destroyed), 2);
    assert_int_equal(ct_local_set(NULL, NULL), CT_EINVAL);
    assert_null(ct_local_get(NULL));
    ct_local_free(NULL);
    assert_int_equal(ct_local_create(NULL, NULL), CT_EINVAL);
}

/* Freeing the key while another thread holds a value: that value is
 * destroyed when its thread exits, not under it. */
struct hold {
    ct_local *l;
    _Atomic uint32_t set, go;
};

static int hold_value(void *arg) {
    struct hold *h = arg;
    ct_local_set(h->l, (void *)11);
    atomic_store(&h->set, 1);
    ct_park_wake(&h->set, 1, 0);
    while (atomic_load(&h->go) == 0)
        ct_park_wait(&h->go, 0, NULL, 0);
    return ct_local_get(h->l) == (void *)11 ? 0 : CT_EFAIL;
}

static void test_free_key_while_other_thread_holds_value(void **state) {
    (void)state;
    reset();
    struct hold h = {ct_local_new(.destructor = count_destroy), 0, 0};
    ct_thread *t = ct_thread_new(hold_value, &h);
    ct_thread_start(t);
    while (atomic_load(&h.set) == 0)
        ct_park_wait(&h.set, 0, NULL, 0);
    ct_local_free(h.l);
    assert_int_equal(atomic_load(&destroyed), 0);
    atomic_store(&h.go, 1);
    ct_park_wake(&h.go, 1, 0);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(ct_thread_result(t), 0);
    assert_int_equal(atomic_load(&destroyed), 1);
    ct_thread_free(t);
}

/* A destructor that sets another key's value: that one is destroyed too. */
static ct_local *second;
static void set_second(void *v) {
    (void)v;
    ct_local_set(second, (void *)100);
}

static int use_first(void *arg) {
    return ct_local_set(arg, (void *)1);
}

static void test_destructor_may_set_values(void **state) {
    (void)state;
    reset();
    second = ct_local_new(.destructor = count_destroy);
    ct_local *first = ct_local_new(.destructor = set_second);
    ct_thread *t = ct_thread_new(use_first, first);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(atomic_load(&destroyed), 1);
    assert_int_equal(atomic_load(&destroyed_sum), 100);
    ct_thread_free(t);
    ct_local_free(first);
    ct_local_free(second);
}

/* Allocation failure: create and the per-thread slot. */
static int alloc_scenario(void *ctx) {
    (void)ctx;
    ct_local *l;
    int rc = ct_local_create(&l, NULL);
    if (rc)
        return rc;
    rc = ct_local_set(l, (void *)1);
    if (rc) {
        ct_local_free(l);
        return rc;
    }
    rc = ct_local_get(l) == (void *)1 ? 0 : CT_EFAIL;
    ct_local_free(l);
    return rc;
}

static void test_allocation_failures_return_enomem(void **state) {
    (void)state;
    assert_int_equal(ct_test_alloc_failures(alloc_scenario, NULL, NULL), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_thread_sees_its_own_value),
        cmocka_unit_test(test_initialiser_runs_once_per_thread),
        cmocka_unit_test(test_foreign_thread_values_destroyed_at_exit),
        cmocka_unit_test(test_set_replaces_and_destroys_old_value),
        cmocka_unit_test(test_free_key_while_other_thread_holds_value),
        cmocka_unit_test(test_destructor_may_set_values),
        cmocka_unit_test(test_allocation_failures_return_enomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
