/* Scoped guards (CT_WITH, Python's `with lock:`): every way out of the
 * block releases; every guarded type works. Ports the intent of
 * lock_tests.BaseLockTests.test_with (released after an exception ->
 * here after return/goto/break) and BaseSemaphoreTests.test_with.
 * CT_TEST_TIMEOUT 60 */
#include "sync_a_util.h"

static ct_lock L = CT_LOCK_INIT;

static int return_from_inside(int v) {
    CT_WITH(&L) {
        assert_true(ct_lock_locked(&L));
        if (v > 0)
            return v; /* released on the way out */
    }
    return -1;
}

static void test_with_releases_at_end_of_block(void **state) {
    (void)state;
    int ran = 0;
    CT_WITH(&L) {
        assert_true(ct_lock_locked(&L));
        ran++;
    }
    assert_int_equal(ran, 1);
    assert_false(ct_lock_locked(&L));
}

static void test_with_releases_on_return(void **state) {
    (void)state;
    assert_int_equal(return_from_inside(7), 7);
    assert_false(ct_lock_locked(&L));
    assert_int_equal(return_from_inside(0), -1);
    assert_false(ct_lock_locked(&L));
}

static void test_with_releases_on_goto_and_break(void **state) {
    (void)state;
    CT_WITH(&L) {
        goto out;
    }
    fail(); /* not reached */
out:
    assert_false(ct_lock_locked(&L));
    int after = 0;
    CT_WITH(&L) {
        break; /* leaves the guard's block (documented pitfall) */
        after = 1;
    }
    assert_int_equal(after, 0);
    assert_false(ct_lock_locked(&L));
    /* a loop around the guard: each iteration acquires and releases */
    for (int i = 0; i < 3; i++) {
        CT_WITH(&L) {
            if (i == 1)
                continue; /* also leaves only the guard */
            assert_true(ct_lock_locked(&L));
        }
        assert_false(ct_lock_locked(&L));
    }
}

static void test_nested_guards_release_in_reverse(void **state) {
    (void)state;
    ct_lock a = CT_LOCK_INIT, b = CT_LOCK_INIT;
    CT_WITH(&a) {
        CT_WITH(&b) {
            assert_true(ct_lock_locked(&a));
            assert_true(ct_lock_locked(&b));
        }
        assert_false(ct_lock_locked(&b));
        assert_true(ct_lock_locked(&a));
    }
    assert_false(ct_lock_locked(&a));
    /* several guards on one line (each gets its own name) */
    CT_WITH(&a) CT_WITH(&b) {
        assert_true(ct_lock_locked(&b));
    }
    assert_false(ct_lock_locked(&a) || ct_lock_locked(&b));
}

static void test_with_every_guarded_type(void **state) {
    (void)state;
    ct_rlock r = CT_RLOCK_INIT;
    CT_WITH(&r) {
        CT_WITH(&r) {
            assert_int_equal(ct__rlock_recursion_count(&r), 2);
        }
        assert_int_equal(ct__rlock_recursion_count(&r), 1);
    }
    assert_false(ct_rlock_locked(&r));

    ct_condition c = CT_CONDITION_INIT;
    CT_WITH(&c) {
        assert_true(ct_rlock_is_owned(&c.own));
    }
    assert_false(ct_rlock_locked(&c.own));

    ct_semaphore s = CT_SEMAPHORE_INIT(2);
    CT_WITH(&s) {
        assert_int_equal(ct_semaphore_value(&s), 1);
    }
    assert_int_equal(ct_semaphore_value(&s), 2);

    ct_bounded_semaphore bs;
    assert_int_equal(ct_bounded_semaphore_init(&bs, 1, 0), 0);
    CT_WITH(&bs) {
        assert_int_equal(ct_bounded_semaphore_value(&bs), 0);
    }
    assert_int_equal(ct_bounded_semaphore_value(&bs), 1);
    /* released exactly once: a bounded semaphore would refuse a second */
    assert_int_equal(ct_bounded_semaphore_release(&bs, 1), CT_EVALUE);
}

/* A guard whose acquire fails skips its block and releases nothing. */
static void test_failed_acquire_skips_the_block(void **state) {
    (void)state;
    ct_lock *none = NULL;
    int ran = 0;
    CT_WITH(none) {
        ran++;
    }
    ct_lock dead = CT_LOCK_INIT;
    assert_int_equal(ct_lock_destroy(&dead), 0);
    CT_WITH(&dead) {
        ran++;
    }
    assert_int_equal(ran, 0);
    ct__guard_exit(NULL); /* harmless */
    ct__guard g = ct__guard_enter(&dead, 99);
    assert_int_equal(g.once, 0);
}

struct counter {
    ct_lock lock;
    long value;
};

static void *incr(void *arg) {
    struct counter *c = arg;
    for (int i = 0; i < 10000; i++)
        CT_WITH(&c->lock) {
            c->value++;
        }
    return NULL;
}

static void test_guarded_counter_is_exact(void **state) {
    (void)state;
    struct counter c = {CT_LOCK_INIT, 0};
    bunch b;
    bunch_start(&b, 4, incr, &c);
    bunch_join(&b);
    assert_int_equal(c.value, 40000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_with_releases_at_end_of_block),
        cmocka_unit_test(test_with_releases_on_return),
        cmocka_unit_test(test_with_releases_on_goto_and_break),
        cmocka_unit_test(test_nested_guards_release_in_reverse),
        cmocka_unit_test(test_with_every_guarded_type),
        cmocka_unit_test(test_failed_acquire_skips_the_block),
        cmocka_unit_test(test_guarded_counter_is_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
