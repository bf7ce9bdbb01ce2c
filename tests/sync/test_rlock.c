/* RLock: ports of CPython's lock_tests.BaseLockTests and RLockTests, plus
 * bad inputs and an exact-count stress.  CT_TEST_TIMEOUT 120 */
#include "stress.h"
#include "sync_a_util.h"

#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

/* lock_tests.BaseLockTests.test_constructor */
static void test_rlock_initialisers_and_size(void **state) {
    (void)state;
    ct_rlock a = CT_RLOCK_INIT, p = CT_RLOCK_INIT_PSHARED, b;
    assert_int_equal(sizeof(ct_rlock), 16);
    assert_int_equal(ct_rlock_init(&b, 0), 0);
    assert_false(ct_rlock_locked(&a));
    assert_false(ct_rlock_locked(&p));
    assert_false(ct_rlock_is_owned(&b));
    assert_int_equal(ct_rlock_acquire(&p, 0), 0);
    assert_true(ct_rlock_is_owned(&p));
    assert_int_equal(ct_rlock_release(&p), 0);
    assert_int_equal(ct_rlock_destroy(&b), 0);
}

/* lock_tests.BaseLockTests.test_acquire_destroy / test_acquire_release */
static void test_acquire_release_destroy(void **state) {
    (void)state;
    ct_rlock r = CT_RLOCK_INIT;
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_destroy(&r), CT_ESTATE);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_int_equal(ct_rlock_destroy(&r), 0);
    assert_int_equal(ct_rlock_init(&r, 0), 0);
}

/* lock_tests.RLockTests.test_reacquire */
static void test_owner_reacquires(void **state) {
    (void)state;
    ct_rlock r = CT_RLOCK_INIT;
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_int_equal(ct_rlock_acquire(&r, 0), 0);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_false(ct_rlock_locked(&r));
}

static void *try_result(void *arg) {
    return (void *)(intptr_t)ct_rlock_acquire(arg, 0);
}

/* lock_tests.BaseLockTests.test_try_acquire(_contended) */
static void test_try_acquire_by_other_thread_fails(void **state) {
    (void)state;
    ct_rlock r = CT_RLOCK_INIT;
    assert_int_equal(ct_rlock_acquire(&r, 0), 0);
    pthread_t t;
    void *res;
    assert_int_equal(pthread_create(&t, NULL, try_result, &r), 0);
    pthread_join(t, &res);
    assert_int_equal((int)(intptr_t)res, CT_ETIMEDOUT);
    assert_int_equal(ct_rlock_release(&r), 0);
}

struct contended {
    ct_rlock r;
    atomic_int finished;
};

static void *acq_rel(void *arg) {
    struct contended *c = arg;
    assert_int_equal(ct_rlock_acquire(&c->r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_acquire(&c->r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_release(&c->r), 0);
    assert_int_equal(ct_rlock_release(&c->r), 0);
    atomic_fetch_add(&c->finished, 1);
    return NULL;
}

/* lock_tests.BaseLockTests.test_acquire_contended and test_thread_leak */
static void test_acquire_contended_blocks_until_release(void **state) {
    (void)state;
    struct contended c = {CT_RLOCK_INIT, 0};
    assert_int_equal(ct_rlock_acquire(&c.r, CT_FOREVER), 0);
    bunch b;
    bunch_start(&b, 5, acq_rel, &c);
    wait_lock_waiters(&c.r.lock, 5);
    assert_int_equal(atomic_load(&c.finished), 0);
    assert_int_equal(ct_rlock_release(&c.r), 0);
    bunch_join(&b);
    assert_int_equal(atomic_load(&c.finished), 5);
    bunch_start(&b, 15, acq_rel, &c);
    bunch_join(&b);
    assert_int_equal(atomic_load(&c.finished), 20);
}

struct timed {
    ct_rlock *r;
    int rc;
    double elapsed;
};

static void *timed_acquire(void *arg) {
    struct timed *t = arg;
    double t1 = ct_monotonic();
    t->rc = ct_rlock_acquire(t->r, 0.5);
    t->elapsed = ct_monotonic() - t1;
    return NULL;
}

/* lock_tests.BaseLockTests.test_timeout */
static void test_timeout_rules_and_timed_wait(void **state) {
    (void)state;
    ct_rlock r = CT_RLOCK_INIT;
    assert_int_equal(ct_rlock_acquire(&r, -100), CT_EVALUE);
    assert_int_equal(ct_rlock_acquire(&r, NAN), CT_EINVAL);
    assert_int_equal(ct_rlock_acquire(&r, 1e100), 0);
    /* the owner's bad timeout is still rejected (Python checks first) */
    assert_int_equal(ct_rlock_acquire(&r, -1), CT_EVALUE);
    assert_int_equal(ct_rlock_acquire(&r, 5), 0);
    assert_int_equal(ct__rlock_recursion_count(&r), 2);
    struct timed t = {&r, 1, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, timed_acquire, &t), 0);
    pthread_join(th, NULL);
    assert_int_equal(t.rc, CT_ETIMEDOUT);
    assert_timeout(t.elapsed, 0.5);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_false(ct_rlock_locked(&r));
}

/* lock_tests.RLockTests.test_release_unacquired */
static void test_release_unacquired_is_eperm(void **state) {
    (void)state;
    ct_rlock r = CT_RLOCK_INIT;
    assert_int_equal(ct_rlock_release(&r), CT_EPERM);
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_int_equal(ct_rlock_release(&r), CT_EPERM);
}

/* lock_tests.RLockTests.test_release_save_unacquired */
static void test_release_save_unacquired_is_eperm(void **state) {
    (void)state;
    ct_rlock r = CT_RLOCK_INIT;
    uint32_t n = 99;
    assert_int_equal(ct__rlock_release_save(&r, &n), CT_EPERM);
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_int_equal(ct__rlock_release_save(&r, &n), 0);
    assert_int_equal(n, 2);
    assert_false(ct_rlock_locked(&r));
    ct__rlock_acquire_restore(&r, n);
    assert_int_equal(ct__rlock_recursion_count(&r), 2);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_int_equal(ct__rlock_release_save(&r, &n), CT_EPERM);
}

struct phase {
    ct_rlock r;
    atomic_int phase;
    int count_seen;
};

static void *hold_until_phase2(void *arg) {
    struct phase *p = arg;
    assert_int_equal(ct_rlock_acquire(&p->r, CT_FOREVER), 0);
    atomic_fetch_add(&p->phase, 1);
    wait_count(&p->phase, 2);
    assert_int_equal(ct_rlock_release(&p->r), 0);
    atomic_fetch_add(&p->phase, 1);
    return NULL;
}

/* lock_tests.RLockTests.test_recursion_count */
static void test_recursion_count_follows_levels(void **state) {
    (void)state;
    struct phase p = {CT_RLOCK_INIT, 0, 0};
    assert_int_equal(ct__rlock_recursion_count(&p.r), 0);
    assert_int_equal(ct_rlock_acquire(&p.r, CT_FOREVER), 0);
    assert_int_equal(ct__rlock_recursion_count(&p.r), 1);
    assert_int_equal(ct_rlock_acquire(&p.r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_acquire(&p.r, CT_FOREVER), 0);
    assert_int_equal(ct__rlock_recursion_count(&p.r), 3);
    assert_int_equal(ct_rlock_release(&p.r), 0);
    assert_int_equal(ct__rlock_recursion_count(&p.r), 2);
    assert_int_equal(ct_rlock_release(&p.r), 0);
    assert_int_equal(ct_rlock_release(&p.r), 0);
    assert_int_equal(ct__rlock_recursion_count(&p.r), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, hold_until_phase2, &p), 0);
    wait_count(&p.phase, 1);
    assert_int_equal(ct__rlock_recursion_count(&p.r), 0); /* not ours */
    atomic_fetch_add(&p.phase, 1);
    wait_count(&p.phase, 3);
    assert_int_equal(ct__rlock_recursion_count(&p.r), 0);
    pthread_join(t, NULL);
}

struct other {
    ct_rlock r;
    atomic_int acquired;
    atomic_int finish;
};

static void *acquire_and_hold(void *arg) {
    struct other *o = arg;
    assert_int_equal(ct_rlock_acquire(&o->r, CT_FOREVER), 0);
    atomic_store(&o->acquired, 1);
    wait_count(&o->finish, 1);
    assert_int_equal(ct_rlock_release(&o->r), 0);
    return NULL;
}

/* lock_tests.RLockTests.test_different_thread: a non-owner's release is an
 * error and changes nothing. */
static void test_release_by_non_owner_is_eperm(void **state) {
    (void)state;
    struct other o = {CT_RLOCK_INIT, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, acquire_and_hold, &o), 0);
    wait_count(&o.acquired, 1);
    assert_int_equal(ct_rlock_release(&o.r), CT_EPERM);
    assert_true(ct_rlock_locked(&o.r));
    assert_false(ct_rlock_is_owned(&o.r));
    atomic_store(&o.finish, 1);
    pthread_join(t, NULL);
    assert_false(ct_rlock_locked(&o.r));
}

static void *is_owned_result(void *arg) {
    return (void *)(intptr_t)ct_rlock_is_owned(arg);
}

/* lock_tests.RLockTests.test__is_owned */
static void test_is_owned_only_for_the_owner(void **state) {
    (void)state;
    ct_rlock r = CT_RLOCK_INIT;
    assert_false(ct_rlock_is_owned(&r));
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_true(ct_rlock_is_owned(&r));
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_true(ct_rlock_is_owned(&r));
    pthread_t t;
    void *res;
    assert_int_equal(pthread_create(&t, NULL, is_owned_result, &r), 0);
    pthread_join(t, &res);
    assert_false((bool)(intptr_t)res);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_true(ct_rlock_is_owned(&r));
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_false(ct_rlock_is_owned(&r));
}

static void test_bad_inputs(void **state) {
    (void)state;
    ct_rlock r;
    assert_int_equal(ct_rlock_init(NULL, 0), CT_EINVAL);
    assert_int_equal(ct_rlock_init(&r, 8), CT_EINVAL);
    assert_int_equal(ct_rlock_destroy(NULL), CT_EINVAL);
    assert_int_equal(ct_rlock_acquire(NULL, CT_FOREVER), CT_EINVAL);
    assert_int_equal(ct_rlock_release(NULL), CT_EINVAL);
    assert_false(ct_rlock_is_owned(NULL));
    assert_false(ct_rlock_locked(NULL));
    /* destroyed: acquire is CT_ESTATE, never UB */
    assert_int_equal(ct_rlock_init(&r, 0), 0);
    assert_int_equal(ct_rlock_destroy(&r), 0);
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), CT_ESTATE);
    assert_int_equal(ct_rlock_release(&r), CT_EPERM);
}

/* The recursion count saturates with CT_EVALUE instead of wrapping. */
static void test_recursion_overflow_is_evalue(void **state) {
    (void)state;
    ct_rlock r = CT_RLOCK_INIT;
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    r.count = UINT32_MAX - 1; /* white box: skip 4 billion acquires */
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), CT_EVALUE);
    r.count = 1;
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_false(ct_rlock_locked(&r));
}

struct counter {
    ct_rlock r;
    long iters;
    long value;
};

static void incr(void *ctx, int index) {
    struct counter *c = ctx;
    (void)index;
    for (long i = 0; i < c->iters; i++) {
        assert_int_equal(ct_rlock_acquire(&c->r, CT_FOREVER), 0);
        if (i % 4 == 0)
            assert_int_equal(ct_rlock_acquire(&c->r, CT_FOREVER), 0);
        c->value++;
        if (i % 4 == 0)
            assert_int_equal(ct_rlock_release(&c->r), 0);
        assert_int_equal(ct_rlock_release(&c->r), 0);
    }
}

/* The thread that forks keeps, in the child, the private RLocks it held
 * (Python's RLock owner is get_ident(), the same in the child), so the
 * child can release them; a level held in the parent stays the parent's. */
static int child_releases_inherited_levels(ct_rlock *r) {
    if (!ct_rlock_is_owned(r))
        return 1;
    if (ct__rlock_recursion_count(r) != 2)
        return 2;
    if (ct_rlock_release(r) != 0 || ct_rlock_release(r) != 0)
        return 3;
    if (ct_rlock_locked(r) || ct_rlock_release(r) != CT_EPERM)
        return 4;
    if (ct_rlock_acquire(r, 0) != 0 || ct_rlock_release(r) != 0)
        return 5;
    return 0;
}

static void test_forked_child_owns_what_its_thread_held(void **state) {
    (void)state;
    ct_rlock r = CT_RLOCK_INIT;
    ct_condition c = CT_CONDITION_INIT;
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_int_equal(ct_rlock_acquire(&r, CT_FOREVER), 0);
    assert_int_equal(ct_condition_acquire(&c, CT_FOREVER), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int rc = child_releases_inherited_levels(&r);
        /* the condition's own RLock too: notify needs it owned */
        if (!rc && ct_condition_notify(&c, 1) != 0)
            rc = 6;
        if (!rc && ct_condition_release(&c) != 0)
            rc = 7;
        _exit(rc);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(ct_rlock_is_owned(&r));
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_int_equal(ct_rlock_release(&r), 0);
    assert_int_equal(ct_condition_release(&c), 0);
}

/* 16 threads x 20,000 (x CT_STRESS; CT_STRESS=5 is 16 x 100,000) */
static void test_stress_counter_is_exact(void **state) {
    (void)state;
    struct counter c = {CT_RLOCK_INIT, ct_stress_iters(20000), 0};
    assert_int_equal(ct_stress_run(16, incr, &c), 0);
    assert_int_equal(c.value, 16 * c.iters);
    assert_false(ct_rlock_locked(&c.r));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rlock_initialisers_and_size),
        cmocka_unit_test(test_acquire_release_destroy),
        cmocka_unit_test(test_owner_reacquires),
        cmocka_unit_test(test_try_acquire_by_other_thread_fails),
        cmocka_unit_test(test_acquire_contended_blocks_until_release),
        cmocka_unit_test(test_timeout_rules_and_timed_wait),
        cmocka_unit_test(test_release_unacquired_is_eperm),
        cmocka_unit_test(test_release_save_unacquired_is_eperm),
        cmocka_unit_test(test_recursion_count_follows_levels),
        cmocka_unit_test(test_release_by_non_owner_is_eperm),
        cmocka_unit_test(test_is_owned_only_for_the_owner),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_recursion_overflow_is_evalue),
        cmocka_unit_test(test_forked_child_owns_what_its_thread_held),
        cmocka_unit_test(test_stress_counter_is_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
