/* Timer (threading.Timer): fires after the interval, cancel before it
 * fires prevents the call and wakes the timer at once, cancel after is a
 * no-op, bad inputs.
 * Ports CPython test_threading.py TimerTests (test_init_immutable_default_args,
 * _callback_spy runs once) and lock_tests' Timer usage; Lib/threading.py
 * Timer.cancel semantics.
 * CT_TEST_TIMEOUT 120 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <cthreading/thread.h>

static atomic_int calls;
static double fired_at;

static int spy(void *arg) {
    fired_at = ct_monotonic();
    atomic_fetch_add(&calls, 1);
    return (int)(intptr_t)arg;
}

static void test_timer_fires_after_interval_once(void **state) {
    (void)state;
    atomic_store(&calls, 0);
    ct_thread *t = ct_timer_new(0.1, spy, (void *)3);
    assert_non_null(t);
    unsigned long n;
    char fn[16];
    assert_int_equal(sscanf(ct_thread_name(t), "Thread-%lu (%15[^)])", &n, fn),
                     2);
    assert_string_equal(fn, "spy");
    double t0 = ct_monotonic();
    assert_int_equal(ct_thread_start(t), 0);
    assert_int_equal(ct_thread_join(t, CT_FOREVER), 0);
    assert_int_equal(atomic_load(&calls), 1);
    assert_true(fired_at - t0 >= 0.095);
    assert_int_equal(ct_thread_result(t), 3);
    assert_int_equal(ct_timer_cancel(t), 0); /* after it fired: no-op */
    assert_int_equal(atomic_load(&calls), 1);
    ct_thread_free(t);
}

static void test_cancel_before_fire_prevents_call_and_wakes(void **state) {
    (void)state;
    atomic_store(&calls, 0);
    ct_thread *t = ct_timer_new(60.0, spy, NULL, .name = "slow timer");
    assert_string_equal(ct_thread_name(t), "slow timer");
    ct_thread_start(t);
    ct_thread_native_id(t); /* its thread is running (and waiting) */
    double t0 = ct_monotonic();
    assert_int_equal(ct_timer_cancel(t), 1);
    assert_int_equal(ct_timer_cancel(t), 0); /* twice: nothing more */
    assert_int_equal(ct_thread_join(t, 30.0), 0);
    assert_true(ct_monotonic() - t0 < 20.0); /* woken, not timed out */
    assert_int_equal(atomic_load(&calls), 0);
    assert_int_equal(ct_thread_result(t), 0);
    ct_thread_free(t);
}

static void test_cancel_before_start(void **state) {
    (void)state;
    atomic_store(&calls, 0);
    ct_thread *t = ct_timer_new(0.0, spy, NULL);
    assert_int_equal(ct_timer_cancel(t), 1);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(atomic_load(&calls), 0);
    ct_thread_free(t);
}

static void test_negative_interval_fires_at_once(void **state) {
    (void)state;
    atomic_store(&calls, 0);
    ct_thread *t = ct_timer_new(-5.0, spy, NULL);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(atomic_load(&calls), 1);
    ct_thread_free(t);
}

static int noop(void *arg) {
    (void)arg;
    return 0;
}

static int count_only(void *arg) {
    (void)arg;
    atomic_fetch_add(&calls, 1);
    return 0;
}

static void test_timer_bad_inputs(void **state) {
    (void)state;
    ct_thread *t = (ct_thread *)&t;
    assert_int_equal(ct_timer_create(&t, NAN, spy, NULL, NULL), CT_EINVAL);
    assert_null(t);
    assert_int_equal(ct_timer_create(&t, 1.0, NULL, NULL, NULL), CT_EINVAL);
    assert_int_equal(ct_timer_create(NULL, 1.0, spy, NULL, NULL), CT_EINVAL);
    assert_null(ct_timer_new(NAN, spy, NULL));
    assert_int_equal(ct_timer_cancel(NULL), CT_EINVAL);
    ct_thread *plain = ct_thread_new(noop, NULL);
    assert_int_equal(ct_timer_cancel(plain), CT_EINVAL);
    ct_thread_free(plain);
    assert_int_equal(ct_timer_cancel(ct_thread_main()), CT_EINVAL);
    /* a timer is a thread: daemon option, join before start */
    t = ct_timer_new(1.0, spy, NULL, .daemon = true);
    assert_true(ct_thread_is_daemon(t));
    assert_int_equal(ct_thread_join(t, 0), CT_ESTATE);
    ct_thread_free(t);
}

/* Many timers cancelled at random moments: each function runs at most
 * once, and exactly when cancel said it was too late. */
static void test_cancel_race_is_exact(void **state) {
    (void)state;
    enum { N = 40 };
    atomic_store(&calls, 0);
    ct_thread *t[N];
    for (int i = 0; i < N; i++) {
        t[i] = ct_timer_new(0.0005 * (i % 8), count_only, NULL);
        ct_thread_start(t[i]);
    }
    int prevented = 0;
    for (int i = 0; i < N; i++)
        prevented += ct_timer_cancel(t[i]);
    for (int i = 0; i < N; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        ct_thread_free(t[i]);
    }
    assert_int_equal(atomic_load(&calls) + prevented, N);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer_fires_after_interval_once),
        cmocka_unit_test(test_cancel_before_fire_prevents_call_and_wakes),
        cmocka_unit_test(test_cancel_before_start),
        cmocka_unit_test(test_negative_interval_fires_at_once),
        cmocka_unit_test(test_timer_bad_inputs),
        cmocka_unit_test(test_cancel_race_is_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
