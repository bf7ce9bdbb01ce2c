/* Lock ordering (ct_lock_acquire_all/release_all): the seeds' bank
 * transfer deadlock fixed by one global order; duplicates; a timeout for
 * the whole set that leaves nothing held; bad inputs.
 * CT_TEST_TIMEOUT 60 */
#include "stress.h"
#include "sync_a_util.h"

#include <math.h>

struct bank {
    ct_lock lock[4];
    long balance[4];
    long iters;
};

/* Threads transfer in opposite directions: with locks taken in argument
 * order this deadlocks; in address order it never does. */
static void transfer(void *ctx, int index) {
    struct bank *b = ctx;
    for (long i = 0; i < b->iters; i++) {
        int from = (int)((index + i) % 4), to = (int)((index + 3 * i + 1) % 4);
        ct_lock *set[2] = {&b->lock[from], &b->lock[to]};
        assert_int_equal(ct_lock_acquire_all(set, 2, CT_FOREVER), 0);
        b->balance[from] -= 10;
        b->balance[to] += 10;
        assert_int_equal(ct_lock_release_all(set, 2), 0);
    }
}

static void test_opposite_transfers_never_deadlock(void **state) {
    (void)state;
    struct bank b = {.iters = ct_stress_iters(5000)};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ct_lock_init(&b.lock[i], 0), 0);
        b.balance[i] = 1000;
    }
    assert_int_equal(ct_stress_run(8, transfer, &b), 0);
    long total = 0;
    for (int i = 0; i < 4; i++) {
        total += b.balance[i];
        assert_false(ct_lock_locked(&b.lock[i]));
    }
    assert_int_equal(total, 4000);
}

static void test_duplicates_are_taken_once(void **state) {
    (void)state;
    ct_lock a = CT_LOCK_INIT, b = CT_LOCK_INIT;
    ct_lock *set[4] = {&b, &a, &b, &a};
    assert_int_equal(ct_lock_acquire_all(set, 4, 1.0), 0);
    assert_true(ct_lock_locked(&a));
    assert_true(ct_lock_locked(&b));
    assert_int_equal(ct_lock_release_all(set, 4), 0);
    assert_false(ct_lock_locked(&a));
    assert_false(ct_lock_locked(&b));
    ct_lock *one[1] = {&a};
    assert_int_equal(ct_lock_acquire_all(one, 1, 0), 0);
    assert_int_equal(ct_lock_release_all(one, 1), 0);
}

struct holder {
    ct_lock *lock;
    atomic_int held, release;
};

static void *hold(void *arg) {
    struct holder *h = arg;
    assert_int_equal(ct_lock_acquire(h->lock, CT_FOREVER), 0);
    atomic_store(&h->held, 1);
    wait_count(&h->release, 1);
    assert_int_equal(ct_lock_release(h->lock), 0);
    return NULL;
}

/* One deadline for the whole set; on failure nothing stays held. */
static void test_timeout_releases_everything_taken(void **state) {
    (void)state;
    ct_lock l[3] = {CT_LOCK_INIT, CT_LOCK_INIT, CT_LOCK_INIT};
    struct holder h = {&l[2], 0, 0}; /* the highest address: taken last */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, hold, &h), 0);
    wait_count(&h.held, 1);
    ct_lock *set[3] = {&l[2], &l[0], &l[1]};
    double t1 = ct_monotonic();
    assert_int_equal(ct_lock_acquire_all(set, 3, 0.2), CT_ETIMEDOUT);
    assert_timeout(ct_monotonic() - t1, 0.2);
    assert_false(ct_lock_locked(&l[0]));
    assert_false(ct_lock_locked(&l[1]));
    assert_int_equal(ct_lock_acquire_all(set, 3, 0), CT_ETIMEDOUT);
    assert_false(ct_lock_locked(&l[0]));
    assert_false(ct_lock_locked(&l[1]));
    atomic_store(&h.release, 1);
    pthread_join(t, NULL);
    assert_int_equal(ct_lock_acquire_all(set, 3, 0), 0);
    assert_int_equal(ct_lock_release_all(set, 3), 0);
}

static void test_bad_inputs(void **state) {
    (void)state;
    ct_lock a = CT_LOCK_INIT, b = CT_LOCK_INIT;
    ct_lock *set[2] = {&a, &b}, *holes[2] = {&a, NULL};
    assert_int_equal(ct_lock_acquire_all(NULL, 2, 0), CT_EINVAL);
    assert_int_equal(ct_lock_acquire_all(set, 0, 0), CT_EINVAL);
    assert_int_equal(ct_lock_acquire_all(holes, 2, 0), CT_EINVAL);
    assert_int_equal(ct_lock_acquire_all(set, 2, NAN), CT_EINVAL);
    assert_int_equal(ct_lock_acquire_all(set, 2, -1), CT_EVALUE);
    assert_false(ct_lock_locked(&a));
    assert_int_equal(ct_lock_release_all(NULL, 1), CT_EINVAL);
    assert_int_equal(ct_lock_release_all(holes, 2), CT_EINVAL);
    /* releasing a set partly un-held: first error, the rest released */
    assert_int_equal(ct_lock_acquire(&a, 0), 0);
    assert_int_equal(ct_lock_release_all(set, 2), CT_EPERM);
    assert_false(ct_lock_locked(&a));
    /* a destroyed member: CT_ESTATE, nothing held */
    assert_int_equal(ct_lock_destroy(&b), 0);
    assert_int_equal(ct_lock_acquire_all(set, 2, 1.0), CT_ESTATE);
    assert_false(ct_lock_locked(&a));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opposite_transfers_never_deadlock),
        cmocka_unit_test(test_duplicates_are_taken_once),
        cmocka_unit_test(test_timeout_releases_everything_taken),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
