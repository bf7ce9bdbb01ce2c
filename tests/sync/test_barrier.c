/* Barrier: ports of CPython's lock_tests.BarrierTests, the corners of
 * Python's state machine (timeout or abort while the action runs, failing
 * action, reset), bad inputs, and many rounds with a check that nobody
 * passes a round early.  CT_TEST_TIMEOUT 120 */
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

enum { N = 5 };

/* BarrierTests.defaultTimeout is 2.0; only the timeout tests need a short
 * one, the others get a generous one so a loaded CI machine cannot break
 * them (a hang still ends as CT_EBROKEN, not as a CTest timeout). */
static const double LONG_TIMEOUT = 60.0;

static void run_threads(int n, void *(*fn)(void *), void *arg) {
    bunch b;
    bunch_start(&b, n, fn, arg);
    bunch_join(&b);
}

static void poll_until(bool (*cond)(void *), void *arg) {
    double end = ct_monotonic() + 30.0;
    while (!cond(arg)) {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
}

/* ------------------------------------------------------------- ports */

/* lock_tests.BarrierTests.test_constructor */
static void test_parties_below_one_is_evalue(void **state) {
    (void)state;
    ct_barrier b;
    assert_int_equal(ct_barrier_init(&b, 0), CT_EVALUE);
    assert_int_equal(ct_barrier_init(&b, -1), CT_EVALUE);
    assert_int_equal(ct_barrier_init(&b, CT_BARRIER_MAX_PARTIES + 1),
                     CT_EVALUE);
    assert_int_equal(ct_barrier_init(&b, 1), 0);
    assert_int_equal(ct_barrier_parties(&b), 1);
}

/* lock_tests.BarrierTests.test_barrier / test_barrier_10 (multipass) */
struct multipass {
    ct_barrier b;
    int passes;
    atomic_int r0, r1, errors;
};

static void *multipass_worker(void *p) {
    struct multipass *m = p;
    int parties = ct_barrier_parties(&m->b);
    for (int i = 0; i < m->passes; i++) {
        atomic_fetch_add(&m->r0, 1);
        if (atomic_load(&m->r1) != i * parties)
            atomic_fetch_add(&m->errors, 1);
        if (ct_barrier_wait(&m->b) < 0)
            atomic_fetch_add(&m->errors, 1);
        atomic_fetch_add(&m->r1, 1);
        if (atomic_load(&m->r0) != (i + 1) * parties)
            atomic_fetch_add(&m->errors, 1);
        if (ct_barrier_wait(&m->b) < 0)
            atomic_fetch_add(&m->errors, 1);
    }
    if (ct_barrier_n_waiting(&m->b) != 0 || ct_barrier_broken(&m->b))
        atomic_fetch_add(&m->errors, 1);
    return NULL;
}

static void multipass(int passes) {
    struct multipass m = {.passes = passes};
    assert_int_equal(ct_barrier_init(&m.b, N, .timeout = LONG_TIMEOUT), 0);
    assert_int_equal(ct_barrier_parties(&m.b), N);
    run_threads(N, multipass_worker, &m);
    assert_int_equal(atomic_load(&m.errors), 0);
    assert_int_equal(atomic_load(&m.r1), passes * N);
    assert_int_equal(ct_barrier_destroy(&m.b), 0);
}

static void test_barrier_is_passed_in_lockstep(void **state) {
    (void)state;
    multipass(1);
}

static void test_barrier_works_for_10_rounds(void **state) {
    (void)state;
    multipass(10);
}

/* lock_tests.BarrierTests.test_wait_return: each index once */
struct wret {
    ct_barrier b;
    atomic_int seen[N];
    atomic_int bad;
};

static void *wret_worker(void *p) {
    struct wret *w = p;
    int i = ct_barrier_wait(&w->b);
    if (i >= 0 && i < N)
        atomic_fetch_add(&w->seen[i], 1);
    else
        atomic_fetch_add(&w->bad, 1);
    return NULL;
}

static void test_wait_returns_each_index_once(void **state) {
    (void)state;
    struct wret w = {.b = CT_BARRIER_INIT(N)};
    run_threads(N, wret_worker, &w);
    assert_int_equal(atomic_load(&w.bad), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(atomic_load(&w.seen[i]), 1);
}

/* lock_tests.BarrierTests.test_action */
struct act {
    ct_barrier b;
    atomic_int runs, errors;
};

static int count_action(void *arg) {
    struct act *a = arg;
    atomic_fetch_add(&a->runs, 1);
    return 0;
}

static void *act_worker(void *p) {
    struct act *a = p;
    if (ct_barrier_wait(&a->b) < 0 || atomic_load(&a->runs) != 1)
        atomic_fetch_add(&a->errors, 1);
    return NULL;
}

static void test_action_runs_once_before_release(void **state) {
    (void)state;
    struct act a = {0};
    assert_int_equal(
        ct_barrier_init(&a.b, N, .action = count_action, .arg = &a), 0);
    run_threads(N, act_worker, &a);
    assert_int_equal(atomic_load(&a.errors), 0);
    assert_int_equal(atomic_load(&a.runs), 1);
}

/* lock_tests.BarrierTests.test_abort */
struct abort_ctx {
    ct_barrier b, b2;
    atomic_int r1, r2, r3, errors;
};

/* Wait on the barrier again: r1 counts passes, r2 breaks. */
static void second_wait(struct abort_ctx *c) {
    int r = ct_barrier_wait(&c->b);
    if (r >= 0)
        atomic_fetch_add(&c->r1, 1);
    else if (r == CT_EBROKEN)
        atomic_fetch_add(&c->r2, 1);
    else
        atomic_fetch_add(&c->errors, 1);
}

/* The first part of CPython's test_abort and test_abort_and_reset: one
 * waiter aborts the barrier the others are passing a second time. */
static void abort_round(struct abort_ctx *c) {
    int i = ct_barrier_wait(&c->b);
    if (i == N / 2) {
        ct_barrier_abort(&c->b); /* the RuntimeError branch */
    } else if (i == CT_EBROKEN) {
        /* in Python's try block too: a released waiter that looks after
         * the abort sees the barrier broken */
        atomic_fetch_add(&c->r2, 1);
    } else if (i < 0) {
        atomic_fetch_add(&c->errors, 1);
    } else {
        second_wait(c);
    }
}

static void *abort_worker(void *p) {
    abort_round(p);
    return NULL;
}

static void test_abort_breaks_the_barrier(void **state) {
    (void)state;
    struct abort_ctx c = {0};
    assert_int_equal(ct_barrier_init(&c.b, N, .timeout = LONG_TIMEOUT), 0);
    run_threads(N, abort_worker, &c);
    assert_int_equal(atomic_load(&c.errors), 0);
    assert_int_equal(atomic_load(&c.r1), 0);
    assert_int_equal(atomic_load(&c.r2), N - 1);
    assert_true(ct_barrier_broken(&c.b));
    assert_int_equal(ct_barrier_wait(&c.b), CT_EBROKEN); /* future waiters */
    assert_int_equal(ct_barrier_n_waiting(&c.b), 0);
}

/* lock_tests.BarrierTests.test_reset */
static bool others_waiting(void *p) {
    return ct_barrier_n_waiting(p) >= N - 1;
}

static void *reset_worker(void *p) {
    struct abort_ctx *c = p;
    int i = ct_barrier_wait(&c->b);
    if (i < 0)
        atomic_fetch_add(&c->errors, 1);
    if (i == N / 2) {
        /* wait until the other threads are all in the barrier */
        double end = ct_monotonic() + 30.0;
        while (!others_waiting(&c->b) && ct_monotonic() < end)
            sched_yield();
        ct_barrier_reset(&c->b);
    } else {
        second_wait(c);
    }
    /* now, pass the barrier again */
    if (ct_barrier_wait(&c->b) >= 0)
        atomic_fetch_add(&c->r3, 1);
    return NULL;
}

static void test_reset_frees_waiters_then_barrier_works(void **state) {
    (void)state;
    struct abort_ctx c = {0};
    assert_int_equal(ct_barrier_init(&c.b, N, .timeout = LONG_TIMEOUT), 0);
    run_threads(N, reset_worker, &c);
    assert_int_equal(atomic_load(&c.errors), 0);
    assert_int_equal(atomic_load(&c.r1), 0);
    assert_int_equal(atomic_load(&c.r2), N - 1);
    assert_int_equal(atomic_load(&c.r3), N);
    assert_false(ct_barrier_broken(&c.b));
}

/* lock_tests.BarrierTests.test_abort_and_reset */
static void *abort_reset_worker(void *p) {
    struct abort_ctx *c = p;
    abort_round(c);
    /* synchronise and reset: everyone has left it when we reset, and no
     * one enters it before the reset */
    if (ct_barrier_wait(&c->b2) == N / 2)
        ct_barrier_reset(&c->b);
    ct_barrier_wait(&c->b2);
    if (ct_barrier_wait(&c->b) >= 0)
        atomic_fetch_add(&c->r3, 1);
    return NULL;
}

static void test_broken_barrier_can_be_reset(void **state) {
    (void)state;
    struct abort_ctx c = {0};
    assert_int_equal(ct_barrier_init(&c.b, N, .timeout = LONG_TIMEOUT), 0);
    assert_int_equal(ct_barrier_init(&c.b2, N), 0);
    run_threads(N, abort_reset_worker, &c);
    assert_int_equal(atomic_load(&c.errors), 0);
    assert_int_equal(atomic_load(&c.r1), 0);
    assert_int_equal(atomic_load(&c.r2), N - 1);
    assert_int_equal(atomic_load(&c.r3), N);
}

/* lock_tests.BarrierTests.test_timeout: one thread is late; the others'
 * shorter wait times out and breaks the barrier for everyone. */
struct tmo {
    ct_barrier b;
    atomic_int broken, other;
};

static void *timeout_worker(void *p) {
    struct tmo *t = p;
    int i = ct_barrier_wait(&t->b);
    if (i == N / 2)
        ct_sleep(2.0 / 2); /* one thread is late! (the scenario itself) */
    int r = ct_barrier_wait_timeout(&t->b, 2.0 / 4);
    atomic_fetch_add(r == CT_EBROKEN ? &t->broken : &t->other, 1);
    return NULL;
}

static void test_timed_out_wait_breaks_barrier(void **state) {
    (void)state;
    struct tmo t = {0};
    assert_int_equal(ct_barrier_init(&t.b, N, .timeout = 2.0), 0);
    run_threads(N, timeout_worker, &t);
    assert_int_equal(atomic_load(&t.broken), N);
    assert_int_equal(atomic_load(&t.other), 0);
    assert_true(ct_barrier_broken(&t.b));
}

/* lock_tests.BarrierTests.test_default_timeout */
static void *default_timeout_worker(void *p) {
    struct tmo *t = p;
    int r = ct_barrier_wait(&t->b);
    atomic_fetch_add(r == CT_EBROKEN ? &t->broken : &t->other, 1);
    return NULL;
}

static void test_default_timeout_breaks_barrier(void **state) {
    (void)state;
    struct tmo t = {0};
    const double timeout = 0.100;
    assert_int_equal(ct_barrier_init(&t.b, 2, .timeout = timeout), 0);
    double start = ct_monotonic();
    run_threads(1, default_timeout_worker, &t);
    double dt = ct_monotonic() - start;
    assert_int_equal(atomic_load(&t.broken), 1);
    assert_true(dt >= timeout);
}

/* lock_tests.BarrierTests.test_single_thread */
static void test_single_party_never_blocks(void **state) {
    (void)state;
    ct_barrier b = CT_BARRIER_INIT(1);
    assert_int_equal(ct_barrier_wait(&b), 0);
    assert_int_equal(ct_barrier_wait(&b), 0);
    assert_int_equal(ct_barrier_wait_timeout(&b, -1.0), 0); /* no wait */
    assert_int_equal(ct_barrier_destroy(&b), 0);
}

/* lock_tests.BarrierTests.test_repr: what repr shows (waiters=n/3,
 * broken), through n_waiting, parties and broken. */
static bool two_waiting(void *p) {
    return ct_barrier_n_waiting(p) >= 2;
}

static void *plain_waiter(void *p) {
    assert_true(ct_barrier_wait_timeout(p, LONG_TIMEOUT) >= 0);
    return NULL;
}

static void test_n_waiting_parties_and_broken(void **state) {
    (void)state;
    ct_barrier b;
    assert_int_equal(ct_barrier_init(&b, 3), 0);
    assert_int_equal(ct_barrier_n_waiting(&b), 0);
    assert_int_equal(ct_barrier_parties(&b), 3);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, plain_waiter, &b), 0);
    poll_until(two_waiting, &b);
    assert_int_equal(ct_barrier_n_waiting(&b), 2);
    assert_int_equal(ct_barrier_destroy(&b), CT_ESTATE);
    assert_int_equal(ct_barrier_wait_timeout(&b, LONG_TIMEOUT), 2);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(ct_barrier_n_waiting(&b), 0);
    assert_false(ct_barrier_broken(&b));
    assert_int_equal(ct_barrier_abort(&b), 0);
    assert_true(ct_barrier_broken(&b));
    assert_int_equal(ct_barrier_n_waiting(&b), 0);
    assert_int_equal(ct_barrier_destroy(&b), 0); /* broken, nobody inside */
}

/* ------------------------------------------- Python's machine, corners */

/* A failing action breaks the barrier: its thread gets the action's code,
 * the others CT_EBROKEN; reset makes it usable again. */
enum { MY_ERROR = CT_EUSER - 1 };

struct fail_ctx {
    ct_barrier b;
    atomic_int fail_next, mine, broken, other;
};

static int failing_action(void *arg) {
    struct fail_ctx *f = arg;
    return atomic_load(&f->fail_next) ? MY_ERROR : 0;
}

static void *fail_worker(void *p) {
    struct fail_ctx *f = p;
    int r = ct_barrier_wait(&f->b);
    atomic_fetch_add(r == MY_ERROR     ? &f->mine
                     : r == CT_EBROKEN ? &f->broken
                                       : &f->other,
                     1);
    return NULL;
}

static void test_failing_action_breaks_barrier(void **state) {
    (void)state;
    struct fail_ctx f = {.fail_next = 1};
    assert_int_equal(ct_barrier_init(&f.b, N, .action = failing_action,
                                     .arg = &f, .timeout = LONG_TIMEOUT),
                     0);
    run_threads(N, fail_worker, &f);
    assert_int_equal(atomic_load(&f.mine), 1);
    assert_int_equal(atomic_load(&f.broken), N - 1);
    assert_true(ct_barrier_broken(&f.b));
    assert_int_equal(ct_barrier_reset(&f.b), 0);
    assert_false(ct_barrier_broken(&f.b));
    atomic_store(&f.fail_next, 0);
    atomic_store(&f.broken, 0);
    run_threads(N, fail_worker, &f);
    assert_int_equal(atomic_load(&f.other), N);
    assert_int_equal(atomic_load(&f.broken), 0);
}

/* A negative or zero timeout: the waiter times out at once and breaks
 * the barrier (DESIGN.md's rule for Barrier.wait). */
static void test_negative_timeout_breaks_at_once(void **state) {
    (void)state;
    ct_barrier b = CT_BARRIER_INIT(2);
    double t = ct_monotonic();
    assert_int_equal(ct_barrier_wait_timeout(&b, -1.0), CT_EBROKEN);
    assert_true(ct_monotonic() - t < 5.0);
    assert_true(ct_barrier_broken(&b));
    assert_int_equal(ct_barrier_reset(&b), 0);
    assert_int_equal(ct_barrier_wait_timeout(&b, 0), CT_EBROKEN);
    assert_true(ct_barrier_broken(&b));
}

/* The same with a partner arriving at about the same moment. Python
 * checks a zero timeout once, holding the barrier's lock, so the waiter
 * that arrives first (index 0) with timeout 0 always breaks the barrier:
 * it can never be released with index 0. Either it came second (index 1,
 * it completes the round) or it broke the barrier. */
struct zero_race {
    ct_barrier b;
    atomic_int go, done, partner_rc;
    int iters;
};

static void *zero_race_partner(void *p) {
    struct zero_race *z = p;
    for (int i = 1; i <= z->iters; i++) {
        while (atomic_load(&z->go) < i)
            sched_yield();
        atomic_store(&z->partner_rc, ct_barrier_wait(&z->b));
        atomic_store(&z->done, i);
    }
    return NULL;
}

static void test_zero_timeout_first_arrival_always_breaks(void **state) {
    (void)state;
    static struct zero_race z = {.b = CT_BARRIER_INIT(2)};
    z.iters = (int)ct_stress_iters(2000);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, zero_race_partner, &z), 0);
    int broke = 0, completed = 0;
    for (int i = 1; i <= z.iters; i++) {
        assert_int_equal(ct_barrier_reset(&z.b), 0);
        atomic_store(&z.go, i);
        int rc = ct_barrier_wait_timeout(&z.b, 0);
        while (atomic_load(&z.done) < i)
            sched_yield();
        int prc = atomic_load(&z.partner_rc);
        if (rc == 1) {
            assert_int_equal(prc, 0);
            completed++;
        } else {
            assert_int_equal(rc, CT_EBROKEN); /* never index 0 */
            assert_int_equal(prc, CT_EBROKEN);
            broke++;
        }
    }
    pthread_join(t, NULL);
    assert_int_equal(broke + completed, z.iters);
}

/* Python runs the action holding the barrier's lock: a waiter whose time
 * runs out meanwhile waits for it, then sees the round released (its
 * wait_for predicate is true) and does not break the barrier. */
struct slow_action {
    ct_barrier b;
    atomic_int started, finished;
    atomic_int waiter_rc;
    double waiter_deadline; /* written before the waiter arrives */
};

enum { WAITER_TIMEOUT_MS = 1000 };

static int slow_action_fn(void *arg) {
    struct slow_action *s = arg;
    atomic_store(&s->started, 1);
    ct_sleep(0.4); /* the scenario: the action takes a while... */
    /* ...and outlasts the waiter's timeout, however late it started */
    while (ct_monotonic() < s->waiter_deadline + 0.1)
        ct_sleep(0.05);
    atomic_store(&s->finished, 1);
    return 0;
}

static void *short_waiter(void *p) {
    struct slow_action *s = p;
    double t = WAITER_TIMEOUT_MS / 1000.0;
    s->waiter_deadline = ct_monotonic() + t;
    atomic_store(&s->waiter_rc, ct_barrier_wait_timeout(&s->b, t));
    return NULL;
}

static bool one_waiting(void *p) {
    return ct_barrier_n_waiting(p) >= 1;
}

static void test_timeout_during_action_does_not_break(void **state) {
    (void)state;
    struct slow_action s = {.waiter_rc = 99};
    assert_int_equal(
        ct_barrier_init(&s.b, 2, .action = slow_action_fn, .arg = &s), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, short_waiter, &s), 0);
    poll_until(one_waiting, &s.b);
    assert_int_equal(ct_barrier_wait(&s.b), 1);
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&s.waiter_rc), 0);
    assert_false(ct_barrier_broken(&s.b));
}

/* abort() (and reset()) wait for a running action, as in Python. */
static bool action_started(void *p) {
    return atomic_load(&((struct slow_action *)p)->started);
}

static void *last_arrival(void *p) {
    struct slow_action *s = p;
    atomic_store(&s->waiter_rc, ct_barrier_wait(&s->b));
    return NULL;
}

static void test_abort_waits_for_running_action(void **state) {
    (void)state;
    struct slow_action s = {.waiter_rc = 99};
    assert_int_equal(
        ct_barrier_init(&s.b, 1, .action = slow_action_fn, .arg = &s), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, last_arrival, &s), 0);
    poll_until(action_started, &s);
    assert_int_equal(ct_barrier_abort(&s.b), 0);
    assert_int_equal(atomic_load(&s.finished), 1);
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&s.waiter_rc), 0); /* released first */
    assert_true(ct_barrier_broken(&s.b));
}

/* ------------------------------------------------------ bad inputs */

static void test_bad_inputs(void **state) {
    (void)state;
    ct_barrier b;
    assert_int_equal(ct_barrier_init(NULL, 2), CT_EINVAL);
    assert_int_equal(ct_barrier_init(&b, 2, .timeout = NAN), CT_EINVAL);
    assert_int_equal(ct_barrier_init(&b, 2, .timeout = -1.0), CT_EINVAL);
    assert_int_equal(ct_barrier_init(&b, 2, .flags = 4), CT_EINVAL);
    assert_int_equal(ct_barrier_init_opt(&b, 2, NULL), 0);
    assert_int_equal(ct_barrier_wait_timeout(&b, NAN), CT_EINVAL);
    assert_int_equal(ct_barrier_wait(NULL), CT_EINVAL);
    assert_int_equal(ct_barrier_wait_timeout(NULL, 1.0), CT_EINVAL);
    assert_int_equal(ct_barrier_abort(NULL), CT_EINVAL);
    assert_int_equal(ct_barrier_reset(NULL), CT_EINVAL);
    assert_false(ct_barrier_broken(NULL));
    assert_int_equal(ct_barrier_n_waiting(NULL), CT_EINVAL);
    assert_int_equal(ct_barrier_parties(NULL), CT_EINVAL);
    assert_int_equal(ct_barrier_destroy(NULL), CT_EINVAL);
    assert_false(ct_barrier_broken(&b));
    /* destroyed: every call is CT_EINVAL until init */
    assert_int_equal(ct_barrier_destroy(&b), 0);
    assert_int_equal(ct_barrier_destroy(&b), CT_EINVAL);
    assert_int_equal(ct_barrier_wait(&b), CT_EINVAL);
    assert_int_equal(ct_barrier_abort(&b), CT_EINVAL);
    assert_int_equal(ct_barrier_reset(&b), CT_EINVAL);
    assert_int_equal(ct_barrier_n_waiting(&b), CT_EINVAL);
    assert_int_equal(ct_barrier_parties(&b), CT_EINVAL);
    assert_int_equal(ct_barrier_init(&b, 1), 0);
    assert_int_equal(ct_barrier_wait(&b), 0);
    /* a static initialiser with bad parties answers CT_EINVAL */
    ct_barrier z = CT_BARRIER_INIT(0);
    assert_int_equal(ct_barrier_wait(&z), CT_EINVAL);
    ct_barrier p = CT_BARRIER_INIT_PSHARED(1);
    assert_int_equal(ct_barrier_wait(&p), 0);
}

/* ------------------------------------------------------------- stress */

/* Many rounds, threads racing into the next round while the last one
 * drains: at every release all T threads of that round (and none of the
 * next) have arrived, and after a round a thread sees at least that round
 * complete and nobody two rounds ahead. */
struct rounds {
    ct_barrier b;
    int threads;
    long nrounds;
    atomic_long arrivals, action_round;
    atomic_int errors, index_sum_bad;
    atomic_long index_sum;
};

static int rounds_action(void *arg) {
    struct rounds *r = arg;
    long k = atomic_load(&r->action_round);
    if (atomic_load(&r->arrivals) != (k + 1) * r->threads)
        atomic_fetch_add(&r->errors, 1);
    atomic_store(&r->action_round, k + 1);
    return 0;
}

static void rounds_worker(void *ctx, int index) {
    struct rounds *r = ctx;
    (void)index;
    for (long k = 0; k < r->nrounds; k++) {
        atomic_fetch_add(&r->arrivals, 1);
        int i = ct_barrier_wait(&r->b);
        if (i < 0 || i >= r->threads) {
            atomic_fetch_add(&r->errors, 1);
            return;
        }
        atomic_fetch_add(&r->index_sum, i);
        long a = atomic_load(&r->arrivals);
        if (a < (k + 1) * r->threads || a > (k + 2) * r->threads)
            atomic_fetch_add(&r->errors, 1);
        if (atomic_load(&r->action_round) < k + 1)
            atomic_fetch_add(&r->errors, 1);
    }
}

static void rounds_case(int threads, long nrounds) {
    struct rounds r = {.threads = threads, .nrounds = nrounds};
    assert_int_equal(
        ct_barrier_init(&r.b, threads, .action = rounds_action, .arg = &r), 0);
    assert_int_equal(ct_stress_run(threads, rounds_worker, &r), 0);
    assert_int_equal(atomic_load(&r.errors), 0);
    assert_int_equal(atomic_load(&r.action_round), nrounds);
    assert_int_equal(atomic_load(&r.index_sum),
                     nrounds * threads * (threads - 1) / 2);
    assert_int_equal(ct_barrier_n_waiting(&r.b), 0);
    assert_int_equal(ct_barrier_destroy(&r.b), 0);
}

static void test_many_rounds_nobody_passes_early(void **state) {
    (void)state;
    rounds_case(2, ct_stress_iters(5000));
    rounds_case(4, ct_stress_iters(2000));
    rounds_case(8, ct_stress_iters(500)); /* oversubscribed on 2 cores */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parties_below_one_is_evalue),
        cmocka_unit_test(test_barrier_is_passed_in_lockstep),
        cmocka_unit_test(test_barrier_works_for_10_rounds),
        cmocka_unit_test(test_wait_returns_each_index_once),
        cmocka_unit_test(test_action_runs_once_before_release),
        cmocka_unit_test(test_abort_breaks_the_barrier),
        cmocka_unit_test(test_reset_frees_waiters_then_barrier_works),
        cmocka_unit_test(test_broken_barrier_can_be_reset),
        cmocka_unit_test(test_timed_out_wait_breaks_barrier),
        cmocka_unit_test(test_default_timeout_breaks_barrier),
        cmocka_unit_test(test_single_party_never_blocks),
        cmocka_unit_test(test_n_waiting_parties_and_broken),
        cmocka_unit_test(test_failing_action_breaks_barrier),
        cmocka_unit_test(test_negative_timeout_breaks_at_once),
        cmocka_unit_test(test_zero_timeout_first_arrival_always_breaks),
        cmocka_unit_test(test_timeout_during_action_does_not_break),
        cmocka_unit_test(test_abort_waits_for_running_action),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_many_rounds_nobody_passes_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
