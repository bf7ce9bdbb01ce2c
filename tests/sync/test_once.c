/* once: the thread-safe singleton. Exactly one successful init however
 * many callers race; a failing init returns its code and the next caller
 * retries; concurrent callers wait for the running one; onces are
 * independent. (Python has no once; these are the seeds' singleton
 * semantics: double-checked locking done right.)  CT_TEST_TIMEOUT 60 */
#include "stress.h"
#include "sync_a_util.h"

struct single {
    ct_once once;
    atomic_int calls;
    int value; /* written by init, read after ct_once_call returns 0 */
    atomic_int fail_first;
    atomic_int gate; /* init spins on it: holds callers inside */
    atomic_int entered;
};

static int init_single(void *arg) {
    struct single *s = arg;
    atomic_fetch_add(&s->calls, 1);
    atomic_fetch_add(&s->entered, 1);
    while (!atomic_load(&s->gate))
        sched_yield();
    if (atomic_fetch_sub(&s->fail_first, 1) > 0)
        return CT_EAGAIN;
    s->value = 42;
    return 0;
}

static void call_once_fn(void *ctx, int index) {
    struct single *s = ctx;
    (void)index;
    int rc;
    while ((rc = ct_once_call(&s->once, init_single, s)) == CT_EAGAIN)
        ;
    assert_int_equal(rc, 0);
    assert_int_equal(s->value, 42); /* init's writes are visible */
    assert_true(ct_once_done(&s->once));
}

static void test_init_runs_exactly_once_under_contention(void **state) {
    (void)state;
    struct single s = {.once = CT_ONCE_INIT, .gate = 1};
    assert_false(ct_once_done(&s.once));
    assert_int_equal(ct_stress_run(16, call_once_fn, &s), 0);
    assert_int_equal(atomic_load(&s.calls), 1);
    assert_int_equal(ct_once_call(&s.once, init_single, &s), 0);
    assert_int_equal(atomic_load(&s.calls), 1);
}

static void *call_and_report(void *arg) {
    struct single *s = arg;
    return (void *)(intptr_t)ct_once_call(&s->once, init_single, s);
}

/* The running caller's failure goes to it alone; a waiter then runs init
 * itself and succeeds; everybody else gets 0. */
static void
test_failing_init_returns_code_and_next_caller_retries(void **state) {
    (void)state;
    struct single s = {.once = CT_ONCE_INIT, .fail_first = 1};
    pthread_t first;
    assert_int_equal(pthread_create(&first, NULL, call_and_report, &s), 0);
    wait_count(&s.entered, 1); /* `first` runs init, held at the gate */
    bunch b;
    bunch_start(&b, 4, call_and_report, &s);
    double end = ct_monotonic() + 30; /* the others wait on the word */
    while (atomic_load(&s.once.state) != 2) {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
    assert_int_equal(atomic_load(&s.calls), 1);
    atomic_store(&s.gate, 1);
    void *res;
    pthread_join(first, &res);
    assert_int_equal((int)(intptr_t)res, CT_EAGAIN);
    for (int i = 0; i < b.n; i++) {
        pthread_join(b.tid[i], &res);
        assert_int_equal((int)(intptr_t)res, 0);
    }
    assert_int_equal(atomic_load(&s.calls), 2);
    assert_int_equal(s.value, 42);
    assert_true(ct_once_done(&s.once));
}

static void test_failure_alone_leaves_it_not_done(void **state) {
    (void)state;
    struct single s = {.once = CT_ONCE_INIT, .fail_first = 2, .gate = 1};
    assert_int_equal(ct_once_call(&s.once, init_single, &s), CT_EAGAIN);
    assert_false(ct_once_done(&s.once));
    assert_int_equal(ct_once_call(&s.once, init_single, &s), CT_EAGAIN);
    assert_int_equal(ct_once_call(&s.once, init_single, &s), 0);
    assert_int_equal(atomic_load(&s.calls), 3);
    assert_true(ct_once_done(&s.once));
}

/* Each ct_once is independent: an init may run another once (no global
 * lock to deadlock on). */
static ct_once inner_once = CT_ONCE_INIT;
static int inner_value;

static int init_inner(void *arg) {
    (void)arg;
    inner_value = 7;
    return 0;
}

static int init_outer(void *arg) {
    int *out = arg;
    int rc = ct_once_call(&inner_once, init_inner, NULL);
    if (rc)
        return rc;
    *out = inner_value * 6;
    return 1; /* positive counts as success */
}

static void test_onces_are_independent_and_may_nest(void **state) {
    (void)state;
    ct_once outer = CT_ONCE_INIT;
    int v = 0;
    assert_int_equal(ct_once_call(&outer, init_outer, &v), 0);
    assert_int_equal(v, 42);
    assert_true(ct_once_done(&inner_once));
    assert_true(ct_once_done(&outer));
}

static void test_bad_inputs(void **state) {
    (void)state;
    ct_once o = CT_ONCE_INIT;
    assert_int_equal(ct_once_call(NULL, init_inner, NULL), CT_EINVAL);
    assert_int_equal(ct_once_call(&o, NULL, NULL), CT_EINVAL);
    assert_false(ct_once_done(NULL));
    assert_false(ct_once_done(&o));
    assert_int_equal(sizeof(ct_once), 4);
    assert_int_equal(ct_once_init(NULL, 0), CT_EINVAL);
    assert_int_equal(ct_once_init(&o, 8), CT_EINVAL);
}

/* ct_once_init and the process-shared flavour behave as CT_ONCE_INIT
 * (between processes: test_sync_pshared_a) */
static void test_init_and_pshared_once_fail_then_succeed(void **state) {
    (void)state;
    for (int flags = 0; flags <= CT_PSHARED; flags += CT_PSHARED) {
        struct single s = {.fail_first = 1, .gate = 1};
        assert_int_equal(ct_once_init(&s.once, flags), 0);
        assert_false(ct_once_done(&s.once));
        assert_int_equal(ct_once_call(&s.once, init_single, &s), CT_EAGAIN);
        assert_false(ct_once_done(&s.once));
        assert_int_equal(ct_stress_run(4, call_once_fn, &s), 0);
        assert_int_equal(atomic_load(&s.calls), 2);
        assert_true(ct_once_done(&s.once));
    }
    ct_once p = CT_ONCE_INIT_PSHARED;
    int v = 0;
    assert_int_equal(ct_once_call(&p, init_inner, &v), 0);
    assert_true(ct_once_done(&p));
}

/* Many onces raced by many threads: each init exactly once. */
struct many {
    ct_once once[64];
    atomic_int calls[64];
};

static struct many *many_ctx;

static int init_slot(void *arg) {
    atomic_fetch_add(&many_ctx->calls[(intptr_t)arg], 1);
    return 0;
}

static void race_many(void *ctx, int index) {
    struct many *m = ctx;
    for (long r = 0; r < ct_stress_iters(1); r++)
        for (int k = 0; k < 64; k++) {
            int i = (k + index * 7) % 64;
            assert_int_equal(
                ct_once_call(&m->once[i], init_slot, (void *)(intptr_t)i), 0);
        }
}

static void test_stress_many_onces(void **state) {
    (void)state;
    struct many *m = calloc(1, sizeof *m);
    assert_non_null(m);
    many_ctx = m;
    assert_int_equal(ct_stress_run(8, race_many, m), 0);
    for (int i = 0; i < 64; i++)
        assert_int_equal(atomic_load(&m->calls[i]), 1);
    free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_runs_exactly_once_under_contention),
        cmocka_unit_test(
            test_failing_init_returns_code_and_next_caller_retries),
        cmocka_unit_test(test_failure_alone_leaves_it_not_done),
        cmocka_unit_test(test_onces_are_independent_and_may_nest),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_init_and_pshared_once_fail_then_succeed),
        cmocka_unit_test(test_stress_many_onces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
