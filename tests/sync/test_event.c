/* Event: ports of CPython's lock_tests.EventTests, bad inputs, and stress
 * (no lost wake-up over many hand-offs; quick set+clear seen by every
 * waiter).  CT_TEST_TIMEOUT 120 */
#include <cthreading.h>
#include <cthreading/sync.h>

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "bunch.h"
#include "stress.h"

/* ------------------------------------------------------------- helpers */

/* Threads inside wait()'s slow path (white box: aux counts them). They
 * have read the generation they wait on, spinning or asleep. */
static uint32_t in_wait(ct_event *ev) {
    return atomic_load(&ev->aux) >> 2;
}

/* Poll (with a 30 s limit) until `n` threads are inside wait(). */
static void wait_waiters(ct_event *ev, uint32_t n) {
    double end = ct_monotonic() + 30.0;
    while (in_wait(ev) < n) {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
}

static void wait_count(atomic_int *c, int n) {
    double end = ct_monotonic() + 30.0;
    while (atomic_load(c) < n) {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
}

/* -------------------------------------------------------------- ports */

/* lock_tests.EventTests.test_is_set */
static void test_is_set_follows_set_and_clear(void **state) {
    (void)state;
    ct_event ev = CT_EVENT_INIT;
    assert_false(ct_event_is_set(&ev));
    assert_int_equal(ct_event_set(&ev), 0);
    assert_true(ct_event_is_set(&ev));
    assert_int_equal(ct_event_set(&ev), 0);
    assert_true(ct_event_is_set(&ev));
    assert_int_equal(ct_event_clear(&ev), 0);
    assert_false(ct_event_is_set(&ev));
    assert_int_equal(ct_event_clear(&ev), 0);
    assert_false(ct_event_is_set(&ev));
}

/* lock_tests.EventTests.test_notify (_check_notify): all threads get
 * notified, twice, and again after an explicit set+clear. */
enum { N = 5 };

struct notify_ctx {
    ct_event ev;
    atomic_int r1_true, r1_any, r2_true;
};

static void *notify_worker(void *p) {
    struct notify_ctx *c = p;
    int r = ct_event_wait(&c->ev, CT_FOREVER);
    atomic_fetch_add(&c->r1_any, 1);
    if (r == 0)
        atomic_fetch_add(&c->r1_true, 1);
    if (ct_event_wait(&c->ev, CT_FOREVER) == 0)
        atomic_fetch_add(&c->r2_true, 1);
    return NULL;
}

static void check_notify(struct notify_ctx *c) {
    atomic_store(&c->r1_true, 0);
    atomic_store(&c->r1_any, 0);
    atomic_store(&c->r2_true, 0);
    bunch b;
    bunch_start(&b, N, notify_worker, c);
    wait_waiters(&c->ev, N); /* threads blocked on the first wait */
    assert_int_equal(atomic_load(&c->r1_any), 0);
    assert_int_equal(ct_event_set(&c->ev), 0);
    bunch_join(&b);
    assert_int_equal(atomic_load(&c->r1_true), N);
    assert_int_equal(atomic_load(&c->r2_true), N);
}

static void test_set_wakes_every_waiter(void **state) {
    (void)state;
    struct notify_ctx c = {.ev = CT_EVENT_INIT};
    check_notify(&c);
    assert_int_equal(ct_event_set(&c.ev), 0);
    assert_int_equal(ct_event_clear(&c.ev), 0);
    check_notify(&c);
    assert_int_equal(ct_event_destroy(&c.ev), 0);
}

/* lock_tests.EventTests.test_timeout */
struct timeout_ctx {
    ct_event ev;
    atomic_int r1_true, r1_false, r2_true, r2_false, short_waits;
};

static void *timeout_worker(void *p) {
    struct timeout_ctx *c = p;
    int r = ct_event_wait(&c->ev, 0.0);
    atomic_fetch_add(r == 0 ? &c->r1_true : &c->r1_false, 1);
    double t1 = ct_monotonic();
    r = ct_event_wait(&c->ev, 0.5);
    double dt = ct_monotonic() - t1;
    atomic_fetch_add(r == 0 ? &c->r2_true : &c->r2_false, 1);
    if (r != 0 && (dt < 0.5 * 0.6 || dt >= 0.5 * 10.0))
        atomic_fetch_add(&c->short_waits, 1);
    return NULL;
}

static void test_wait_times_out(void **state) {
    (void)state;
    struct timeout_ctx c = {.ev = CT_EVENT_INIT};
    bunch b;
    bunch_start(&b, N, timeout_worker, &c);
    bunch_join(&b);
    assert_int_equal(atomic_load(&c.r1_false), N);
    assert_int_equal(atomic_load(&c.r2_false), N);
    assert_int_equal(atomic_load(&c.short_waits), 0);
    /* the event is set */
    struct timeout_ctx d = {.ev = CT_EVENT_INIT};
    assert_int_equal(ct_event_set(&d.ev), 0);
    bunch_start(&b, N, timeout_worker, &d);
    bunch_join(&b);
    assert_int_equal(atomic_load(&d.r1_true), N);
    assert_int_equal(atomic_load(&d.r2_true), N);
}

/* lock_tests.EventTests.test_set_and_clear (gh-57711): wait() returns
 * true even when the event is cleared before the waiter wakes up. */
struct sc_ctx {
    ct_event ev;
    atomic_int ok, done;
};

static void *sc_worker(void *p) {
    struct sc_ctx *c = p;
    if (ct_event_wait(&c->ev, 300.0) == 0) /* support.LONG_TIMEOUT */
        atomic_fetch_add(&c->ok, 1);
    atomic_fetch_add(&c->done, 1);
    return NULL;
}

static void test_set_and_clear_releases_waiters(void **state) {
    (void)state;
    struct sc_ctx c = {.ev = CT_EVENT_INIT};
    bunch b;
    bunch_start(&b, N, sc_worker, &c);
    wait_waiters(&c.ev, N);
    assert_int_equal(ct_event_set(&c.ev), 0);
    assert_int_equal(ct_event_clear(&c.ev), 0);
    bunch_join(&b);
    assert_int_equal(atomic_load(&c.ok), N);
    assert_false(ct_event_is_set(&c.ev));
}

/* -------------------------------------------------- C-specific contract */

static void test_negative_timeout_times_out_at_once(void **state) {
    (void)state;
    ct_event ev = CT_EVENT_INIT;
    double t = ct_monotonic();
    assert_int_equal(ct_event_wait(&ev, -1.0), CT_ETIMEDOUT);
    assert_int_equal(ct_event_wait(&ev, -INFINITY), CT_ETIMEDOUT);
    assert_true(ct_monotonic() - t < 1.0);
    assert_int_equal(ct_event_set(&ev), 0);
    assert_int_equal(ct_event_wait(&ev, -1.0), 0); /* set: True at once */
}

static void test_bad_inputs(void **state) {
    (void)state;
    ct_event ev = CT_EVENT_INIT;
    assert_int_equal(ct_event_wait(&ev, NAN), CT_EINVAL);
    assert_int_equal(ct_event_wait(NULL, 1.0), CT_EINVAL);
    assert_int_equal(ct_event_set(NULL), CT_EINVAL);
    assert_int_equal(ct_event_clear(NULL), CT_EINVAL);
    assert_false(ct_event_is_set(NULL));
    assert_int_equal(ct_event_init(NULL, 0), CT_EINVAL);
    assert_int_equal(ct_event_init(&ev, 8), CT_EINVAL);
    assert_int_equal(ct_event_destroy(NULL), CT_EINVAL);
    assert_int_equal(ct_event_set(&ev), 0);
    assert_int_equal(ct_event_wait(&ev, NAN), CT_EINVAL);
}

static void test_sizes_and_initialisers(void **state) {
    (void)state;
    assert_int_equal(sizeof(ct_event), 8);
    ct_event a = CT_EVENT_INIT, p = CT_EVENT_INIT_PSHARED, c;
    assert_int_equal(ct_event_init(&c, CT_PSHARED), 0);
    assert_int_equal(ct_event_set(&a), 0);
    assert_int_equal(ct_event_set(&p), 0);
    assert_int_equal(ct_event_set(&c), 0);
    assert_true(ct_event_is_set(&a) && ct_event_is_set(&p) &&
                ct_event_is_set(&c));
    assert_int_equal(ct_event_destroy(&c), 0);
}

static void *forever_waiter(void *p) {
    assert_int_equal(ct_event_wait(p, CT_FOREVER), 0);
    return NULL;
}

static void test_destroy_with_waiters_is_estate(void **state) {
    (void)state;
    ct_event ev;
    assert_int_equal(ct_event_init(&ev, 0), 0);
    bunch b;
    bunch_start(&b, 2, forever_waiter, &ev);
    wait_waiters(&ev, 2);
    assert_int_equal(ct_event_destroy(&ev), CT_ESTATE);
    assert_int_equal(ct_event_set(&ev), 0);
    bunch_join(&b);
    assert_int_equal(ct_event_destroy(&ev), 0);
    assert_int_equal(ct_event_destroy(&ev), CT_EINVAL);
    assert_int_equal(ct_event_set(&ev), CT_EINVAL);
    assert_int_equal(ct_event_clear(&ev), CT_EINVAL);
    assert_int_equal(ct_event_wait(&ev, 0), CT_EINVAL);
    assert_int_equal(ct_event_wait(&ev, 1.0), CT_EINVAL);
    assert_false(ct_event_is_set(&ev));
    assert_int_equal(ct_event_init(&ev, 0), 0);
    assert_int_equal(ct_event_wait(&ev, 0), CT_ETIMEDOUT);
}

/* Not in lock_tests (Python frees nothing by hand): a waiter released
 * by set() may destroy and free the event at once, while the setter is
 * still returning. So set() must not touch the event after the flag is
 * visible (TSan reports a read racing with free if it does). */
static void *late_setter(void *p) {
    assert_int_equal(ct_event_set(p), 0);
    return NULL;
}

static void test_waiter_may_free_while_setter_returns(void **state) {
    (void)state;
    for (int i = 0; i < 300; i++) {
        ct_event *ev = malloc(sizeof *ev);
        assert_non_null(ev);
        assert_int_equal(ct_event_init(ev, 0), 0);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, late_setter, ev), 0);
        assert_int_equal(ct_event_wait(ev, CT_FOREVER), 0);
        assert_int_equal(ct_event_destroy(ev), 0);
        free(ev);
        pthread_join(t, NULL);
    }
}

/* ------------------------------------------------------------- stress */

/* Ping-pong: two threads hand a turn back and forth through two events;
 * a lost wake-up hangs (CTest's timeout), a wrong order breaks the
 * strict alternation of the counter. 20,000 hand-offs x CT_STRESS
 * (make stress, CT_STRESS=100: 2,000,000). */
struct pingpong {
    ct_event ping, pong;
    long rounds;
    long counter; /* written by one side at a time, ordered by the events */
    atomic_int errors;
};

static void *pong_side(void *p) {
    struct pingpong *g = p;
    for (long i = 0; i < g->rounds; i++) {
        if (ct_event_wait(&g->ping, CT_FOREVER) != 0)
            atomic_fetch_add(&g->errors, 1);
        ct_event_clear(&g->ping);
        if (g->counter != 2 * i + 1)
            atomic_fetch_add(&g->errors, 1);
        g->counter++;
        ct_event_set(&g->pong);
    }
    return NULL;
}

static void test_no_lost_wakeup_in_many_handoffs(void **state) {
    (void)state;
    struct pingpong g = {.ping = CT_EVENT_INIT,
                         .pong = CT_EVENT_INIT,
                         .rounds = ct_stress_iters(20000)};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pong_side, &g), 0);
    for (long i = 0; i < g.rounds; i++) {
        if (g.counter != 2 * i)
            atomic_fetch_add(&g.errors, 1);
        g.counter++;
        ct_event_set(&g.ping);
        if (ct_event_wait(&g.pong, CT_FOREVER) != 0)
            atomic_fetch_add(&g.errors, 1);
        ct_event_clear(&g.pong);
    }
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&g.errors), 0);
    assert_int_equal(g.counter, 2 * g.rounds);
}

/* Quick set+clear, round after round: every waiter that was already
 * waiting returns 0 although the flag is clear again when it looks. */
enum { SC_WAITERS = 3 };

struct sc_rounds {
    ct_event ev;
    long rounds;
    atomic_int done, missed;
    atomic_long round;
};

static void *sc_round_worker(void *p) {
    struct sc_rounds *c = p;
    for (long r = 0; r < c->rounds; r++) {
        while (atomic_load(&c->round) != r)
            sched_yield();
        if (ct_event_wait(&c->ev, 60.0) != 0)
            atomic_fetch_add(&c->missed, 1);
        atomic_fetch_add(&c->done, 1);
    }
    return NULL;
}

static void test_quick_set_clear_reaches_every_waiter(void **state) {
    (void)state;
    struct sc_rounds c = {.ev = CT_EVENT_INIT, .rounds = ct_stress_iters(1000)};
    bunch b;
    bunch_start(&b, SC_WAITERS, sc_round_worker, &c);
    for (long r = 0; r < c.rounds; r++) {
        atomic_store(&c.done, 0);
        atomic_store(&c.round, r);
        wait_waiters(&c.ev, SC_WAITERS);
        ct_event_set(&c.ev);
        ct_event_clear(&c.ev);
        wait_count(&c.done, SC_WAITERS);
    }
    bunch_join(&b);
    assert_int_equal(atomic_load(&c.missed), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_set_follows_set_and_clear),
        cmocka_unit_test(test_set_wakes_every_waiter),
        cmocka_unit_test(test_wait_times_out),
        cmocka_unit_test(test_set_and_clear_releases_waiters),
        cmocka_unit_test(test_negative_timeout_times_out_at_once),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_sizes_and_initialisers),
        cmocka_unit_test(test_destroy_with_waiters_is_estate),
        cmocka_unit_test(test_waiter_may_free_while_setter_returns),
        cmocka_unit_test(test_no_lost_wakeup_in_many_handoffs),
        cmocka_unit_test(test_quick_set_clear_reaches_every_waiter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
