/* Condition: ports of CPython's lock_tests.ConditionTests (with its
 * _check_notify FIFO phases), plus FIFO order, RLock levels, deadlines
 * carried across wake-ups, bad inputs and lost-wake-up stress.
 * CT_TEST_TIMEOUT 120 */
#include "stress.h"
#include "sync_a_util.h"

#include <math.h>

static uint32_t waiting(const ct_condition *c) {
    return atomic_load(&c->nwait);
}

static void wait_waiters(const ct_condition *c, uint32_t n) {
    double end = ct_monotonic() + 30.0;
    while (waiting(c) < n) {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
}

/* lock_tests.ConditionTests.test_acquire */
static void test_acquire_own_rlock_and_given_lock(void **state) {
    (void)state;
    ct_condition c = CT_CONDITION_INIT;
    assert_int_equal(ct_condition_acquire(&c, CT_FOREVER), 0);
    assert_int_equal(ct_condition_acquire(&c, CT_FOREVER), 0);
    assert_int_equal(ct_condition_release(&c), 0);
    assert_int_equal(ct_condition_release(&c), 0);
    assert_int_equal(ct_condition_release(&c), CT_EPERM);

    ct_lock lock = CT_LOCK_INIT;
    assert_int_equal(ct_condition_init(&c, &lock, NULL, 0), 0);
    assert_int_equal(ct_condition_acquire(&c, CT_FOREVER), 0);
    assert_int_equal(ct_lock_acquire(&lock, 0), CT_ETIMEDOUT);
    assert_int_equal(ct_condition_release(&c), 0);
    assert_int_equal(ct_lock_acquire(&lock, 0), 0);
    assert_int_equal(ct_condition_acquire(&c, 0), CT_ETIMEDOUT);
    assert_int_equal(ct_lock_release(&lock), 0);
    CT_WITH(&c) {
        assert_int_equal(ct_lock_acquire(&lock, 0), CT_ETIMEDOUT);
    }
    assert_false(ct_lock_locked(&lock));
    assert_int_equal(ct_condition_destroy(&c), 0);
}

/* lock_tests.ConditionTests.test_unacquired_wait / _notify */
static void test_unacquired_wait_and_notify_are_eperm(void **state) {
    (void)state;
    ct_condition c = CT_CONDITION_INIT;
    assert_int_equal(ct_condition_wait(&c, CT_FOREVER), CT_EPERM);
    assert_int_equal(ct_condition_wait(&c, 0), CT_EPERM);
    assert_int_equal(ct_condition_notify(&c, 1), CT_EPERM);
    assert_int_equal(ct_condition_notify_all(&c), CT_EPERM);
    ct_lock lock = CT_LOCK_INIT;
    ct_condition cl;
    assert_int_equal(ct_condition_init(&cl, &lock, NULL, 0), 0);
    assert_int_equal(ct_condition_wait(&cl, 0), CT_EPERM);
    assert_int_equal(ct_condition_notify(&cl, 1), CT_EPERM);
    assert_int_equal(waiting(&c), 0);
}

static bool never(void *arg) {
    (void)arg;
    return false;
}

/* ------------------------------------------------- _check_notify port */

struct notify_case {
    ct_condition *cond;
    ct_lock mu;       /* protects the lists */
    atomic_int ready; /* lock_tests' `ready` (a count here) */
    int phase;        /* lock_tests' phase_num (read under cond) */
    int r1[8], n1;    /* (result, phase) -> phase if result True */
    int r2[8], n2;
    atomic_int done1, done2;
};

static void *notify_worker(void *arg) {
    struct notify_case *k = arg;
    assert_int_equal(ct_condition_acquire(k->cond, CT_FOREVER), 0);
    atomic_fetch_add(&k->ready, 1);
    int rc = ct_condition_wait(k->cond, CT_FOREVER);
    int ph = k->phase;
    assert_int_equal(ct_condition_release(k->cond), 0);
    assert_int_equal(rc, 0);
    CT_WITH(&k->mu) {
        k->r1[k->n1++] = ph;
    }
    atomic_fetch_add(&k->done1, 1);

    assert_int_equal(ct_condition_acquire(k->cond, CT_FOREVER), 0);
    atomic_fetch_add(&k->ready, 1);
    rc = ct_condition_wait(k->cond, CT_FOREVER);
    ph = k->phase;
    assert_int_equal(ct_condition_release(k->cond), 0);
    assert_int_equal(rc, 0);
    CT_WITH(&k->mu) {
        k->r2[k->n2++] = ph;
    }
    atomic_fetch_add(&k->done2, 1);
    return NULL;
}

static void check_notify(ct_condition *cond, ct_lock *inner) {
    struct notify_case k = {.cond = cond, .mu = CT_LOCK_INIT};
    enum { N = 5, COUNT1 = 3, COUNT2 = N - COUNT1 };
    bunch b;
    bunch_start(&b, N, notify_worker, &k);
    wait_count(&k.ready, N);
    wait_waiters(cond, N);
    atomic_store(&k.ready, 0);
    assert_int_equal(k.n1, 0);

    /* Notify 3 threads at first; they block on the lock we hold */
    assert_int_equal(ct_condition_acquire(cond, CT_FOREVER), 0);
    assert_int_equal(ct_condition_notify(cond, COUNT1), COUNT1);
    wait_lock_waiters(inner, COUNT1);
    k.phase = 1;
    assert_int_equal(ct_condition_release(cond), 0);
    wait_count(&k.done1, COUNT1);
    CT_WITH(&k.mu) {
        assert_int_equal(k.n1, COUNT1);
        for (int i = 0; i < COUNT1; i++)
            assert_int_equal(k.r1[i], 1);
        assert_int_equal(k.n2, 0);
    }
    /* Wait until the awoken workers are back in cond.wait() */
    wait_count(&k.ready, COUNT1);
    wait_waiters(cond, N);

    /* Notify 5: 2 in their first wait (the oldest), 3 in their second */
    assert_int_equal(ct_condition_acquire(cond, CT_FOREVER), 0);
    assert_int_equal(ct_condition_notify(cond, 5), N);
    wait_lock_waiters(inner, N);
    k.phase = 2;
    assert_int_equal(ct_condition_release(cond), 0);
    wait_count(&k.done1, N);
    wait_count(&k.done2, COUNT1);
    CT_WITH(&k.mu) {
        assert_int_equal(k.n1, N);
        for (int i = 0; i < N; i++)
            assert_int_equal(k.r1[i], i < COUNT1 ? 1 : 2);
        assert_int_equal(k.n2, COUNT1);
        for (int i = 0; i < COUNT1; i++)
            assert_int_equal(k.r2[i], 2);
    }
    /* Make sure all workers settle into their second wait */
    wait_count(&k.ready, N);
    wait_waiters(cond, COUNT2);

    assert_int_equal(ct_condition_acquire(cond, CT_FOREVER), 0);
    assert_int_equal(ct_condition_notify_all(cond), COUNT2);
    wait_lock_waiters(inner, COUNT2);
    k.phase = 3;
    assert_int_equal(ct_condition_release(cond), 0);
    bunch_join(&b);
    assert_int_equal(k.n2, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(k.r2[i], i < COUNT1 ? 2 : 3);
    assert_int_equal(waiting(cond), 0);
}

/* lock_tests.ConditionTests.test_notify (twice: state stays sound) */
static void test_notify_phases_like_cpython(void **state) {
    (void)state;
    ct_condition c = CT_CONDITION_INIT;
    check_notify(&c, &c.own.lock);
    check_notify(&c, &c.own.lock);
    ct_lock lock = CT_LOCK_INIT; /* and over a plain Lock */
    assert_int_equal(ct_condition_init(&c, &lock, NULL, 0), 0);
    check_notify(&c, &lock);
    assert_int_equal(ct_condition_destroy(&c), 0);
}

/* The same phases with the process-shared protocol (used by threads) */
static void test_notify_phases_shared_mode(void **state) {
    (void)state;
    ct_condition c = CT_CONDITION_INIT_PSHARED;
    check_notify(&c, &c.own.lock);
    check_notify(&c, &c.own.lock);
    ct_lock lock = CT_LOCK_INIT_PSHARED;
    assert_int_equal(ct_condition_init(&c, &lock, NULL, CT_PSHARED), 0);
    check_notify(&c, &lock);
    assert_int_equal(c.nsignal, 0);
}

/* ------------------------------------------------------- FIFO order */

struct fifo {
    ct_condition cond;
    atomic_int next_id;
    int order[8], n;
    atomic_int done;
};

static void *fifo_waiter(void *arg) {
    struct fifo *f = arg;
    CT_WITH(&f->cond) {
        int id = atomic_fetch_add(&f->next_id, 1);
        assert_int_equal(ct_condition_wait(&f->cond, CT_FOREVER), 0);
        f->order[f->n++] = id;
    }
    atomic_fetch_add(&f->done, 1);
    return NULL;
}

/* Waiters are woken longest-waiting first, notify(n) wakes exactly n */
static void test_notify_wakes_longest_waiting_first(void **state) {
    (void)state;
    struct fifo f = {.cond = CT_CONDITION_INIT};
    enum { N = 6 };
    pthread_t t[N];
    for (int i = 0; i < N; i++) { /* enter one at a time: known order */
        assert_int_equal(pthread_create(&t[i], NULL, fifo_waiter, &f), 0);
        wait_waiters(&f.cond, (uint32_t)i + 1);
    }
    for (int i = 0; i < 2; i++) {
        CT_WITH(&f.cond) {
            assert_int_equal(ct_condition_notify(&f.cond, 1), 1);
        }
        wait_count(&f.done, i + 1);
    }
    CT_WITH(&f.cond) {
        assert_int_equal(ct_condition_notify(&f.cond, 2), 2);
    }
    wait_count(&f.done, 4);
    CT_WITH(&f.cond) {
        assert_int_equal(ct_condition_notify(&f.cond, 0), 0);
        assert_int_equal(waiting(&f.cond), 2);
        assert_int_equal(ct_condition_notify(&f.cond, 100), 2);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(f.n, N);
    /* single wakes in order; a group of woken threads races for the lock,
     * so inside a group any order, but the group holds the oldest ones */
    assert_int_equal(f.order[0], 0);
    assert_int_equal(f.order[1], 1);
    assert_int_equal((1 << f.order[2]) | (1 << f.order[3]), 0x0c);
    assert_int_equal((1 << f.order[4]) | (1 << f.order[5]), 0x30);
}

/* --------------------------------------------------------- timeouts */

struct timed {
    ct_condition *cond;
    double timeout;
    int rc;
    double elapsed;
};

static void *timed_wait(void *arg) {
    struct timed *t = arg;
    assert_int_equal(ct_condition_acquire(t->cond, CT_FOREVER), 0);
    double t1 = ct_monotonic();
    t->rc = ct_condition_wait(t->cond, t->timeout);
    t->elapsed = ct_monotonic() - t1;
    assert_true(ct_rlock_is_owned(&t->cond->own)); /* held again */
    assert_int_equal(ct_condition_release(t->cond), 0);
    return NULL;
}

/* lock_tests.ConditionTests.test_timeout: 5 threads, 0.5 s, no notify */
static void wait_times_out(ct_condition *cond) {
    ct_condition c = *cond;
    struct timed t[5];
    pthread_t th[5];
    for (int i = 0; i < 5; i++) {
        t[i] = (struct timed){&c, 0.5, 1, 0};
        assert_int_equal(pthread_create(&th[i], NULL, timed_wait, &t[i]), 0);
    }
    for (int i = 0; i < 5; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(t[i].rc, CT_ETIMEDOUT);
        assert_timeout(t[i].elapsed, 0.5);
    }
    assert_int_equal(waiting(&c), 0);
    assert_null(c.head);
    assert_int_equal(c.nsignal, 0);
}

static void test_wait_times_out(void **state) {
    (void)state;
    ct_condition c = CT_CONDITION_INIT, cs = CT_CONDITION_INIT_PSHARED;
    wait_times_out(&c);
    wait_times_out(&cs);
}

static void test_negative_and_zero_timeouts_time_out_at_once(void **state) {
    (void)state;
    ct_condition c = CT_CONDITION_INIT;
    CT_WITH(&c) {
        assert_int_equal(ct_condition_wait(&c, 0), CT_ETIMEDOUT);
        assert_int_equal(ct_condition_wait(&c, -1), CT_ETIMEDOUT);
        assert_int_equal(ct_condition_wait(&c, -INFINITY), CT_ETIMEDOUT);
        assert_int_equal(ct_condition_wait(&c, NAN), CT_EINVAL);
        assert_int_equal(ct_condition_wait_for(&c, never, NULL, -5),
                         CT_ETIMEDOUT);
        assert_int_equal(ct_condition_wait_for(&c, never, NULL, NAN),
                         CT_EINVAL);
        assert_true(ct_rlock_is_owned(&c.own));
    }
    assert_int_equal(waiting(&c), 0);
}

/* --------------------------------------------------------- wait_for */

static bool count_calls(void *arg) {
    ++*(int *)arg;
    return false;
}

/* Python's wait_for with timeout 0 or negative still waits once (the
 * lock is released and taken back) and asks the predicate again. */
static void test_wait_for_expired_waits_once_and_rechecks(void **state) {
    (void)state;
    ct_condition c = CT_CONDITION_INIT;
    CT_WITH(&c) {
        int calls = 0;
        assert_int_equal(ct_condition_wait_for(&c, count_calls, &calls, 0),
                         CT_ETIMEDOUT);
        assert_int_equal(calls, 2);
        calls = 0;
        assert_int_equal(ct_condition_wait_for(&c, count_calls, &calls, -1),
                         CT_ETIMEDOUT);
        assert_int_equal(calls, 2);
        assert_true(ct_rlock_is_owned(&c.own));
    }
    assert_int_equal(waiting(&c), 0);
    assert_null(c.head);
}

struct waitfor {
    ct_condition cond;
    int state; /* under cond */
    int rc;
    double elapsed;
    double timeout;
};

static bool state_is_4(void *arg) {
    struct waitfor *w = arg;
    return w->state == 4;
}

static void *waitfor_worker(void *arg) {
    struct waitfor *w = arg;
    CT_WITH(&w->cond) {
        double t1 = ct_monotonic();
        w->rc = ct_condition_wait_for(&w->cond, state_is_4, w, w->timeout);
        w->elapsed = ct_monotonic() - t1;
        if (w->rc == 0)
            assert_int_equal(w->state, 4);
    }
    return NULL;
}

/* lock_tests.ConditionTests.test_waitfor */
static void test_wait_for_returns_when_predicate_holds(void **state) {
    (void)state;
    struct waitfor w = {.cond = CT_CONDITION_INIT, .timeout = CT_FOREVER};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waitfor_worker, &w), 0);
    for (int i = 0; i < 4; i++) {
        wait_waiters(&w.cond, 1); /* it is waiting, predicate false */
        CT_WITH(&w.cond) {
            w.state++;
            assert_int_equal(ct_condition_notify(&w.cond, 1), 1);
        }
    }
    pthread_join(t, NULL);
    assert_int_equal(w.rc, 0);
}

/* lock_tests.ConditionTests.test_waitfor_timeout */
static void test_wait_for_times_out_when_predicate_stays_false(void **state) {
    (void)state;
    struct waitfor w = {.cond = CT_CONDITION_INIT, .timeout = 0.1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waitfor_worker, &w), 0);
    for (int i = 0; i < 3; i++) {
        CT_WITH(&w.cond) {
            w.state++;
            ct_condition_notify(&w.cond, 1);
        }
    }
    pthread_join(t, NULL);
    assert_int_equal(w.rc, CT_ETIMEDOUT);
    assert_timeout(w.elapsed, 0.1);
}

/* One deadline across wake-ups: constant notifies do not extend it. */
static void test_wait_for_keeps_deadline_across_wakeups(void **state) {
    (void)state;
    struct waitfor w = {.cond = CT_CONDITION_INIT, .timeout = 0.3};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waitfor_worker, &w), 0);
    wait_waiters(&w.cond, 1);
    double end = ct_monotonic() + 30;
    bool finished = false;
    while (!finished) {
        assert_true(ct_monotonic() < end);
        CT_WITH(&w.cond) {
            ct_condition_notify_all(&w.cond);
            finished = w.elapsed > 0;
        }
        sched_yield();
    }
    pthread_join(t, NULL);
    assert_int_equal(w.rc, CT_ETIMEDOUT);
    assert_timeout(w.elapsed, 0.3);
}

/* ------------------------------------------------ the lock in a wait */

struct levels {
    ct_rlock r;
    ct_condition cond;
    atomic_int got;
};

static void *take_rlock_and_notify(void *arg) {
    struct levels *l = arg;
    assert_int_equal(ct_rlock_acquire(&l->r, CT_FOREVER), 0);
    atomic_store(&l->got, 1);
    assert_int_equal(ct_condition_notify(&l->cond, 1), 1);
    assert_int_equal(ct_rlock_release(&l->r), 0);
    return NULL;
}

/* wait releases every level of an RLock and restores them */
static void test_wait_releases_all_rlock_levels_and_restores(void **state) {
    (void)state;
    struct levels l = {.r = CT_RLOCK_INIT};
    assert_int_equal(ct_condition_init(&l.cond, NULL, &l.r, 0), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ct_rlock_acquire(&l.r, CT_FOREVER), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, take_rlock_and_notify, &l), 0);
    assert_int_equal(ct_condition_wait(&l.cond, CT_FOREVER), 0);
    assert_int_equal(atomic_load(&l.got), 1);
    assert_int_equal(ct__rlock_recursion_count(&l.r), 3);
    pthread_join(t, NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ct_rlock_release(&l.r), 0);
    assert_int_equal(ct_rlock_release(&l.r), CT_EPERM);
    assert_int_equal(ct_condition_destroy(&l.cond), 0);
}

/* -------------------------------------------------------- bad inputs */

static void *wait_forever(void *arg) {
    ct_condition *c = arg;
    CT_WITH(c) {
        assert_int_equal(ct_condition_wait(c, CT_FOREVER), 0);
    }
    return NULL;
}

static void test_bad_inputs_and_destroy_while_waited_on(void **state) {
    (void)state;
    ct_condition c;
    ct_lock l = CT_LOCK_INIT, lp = CT_LOCK_INIT_PSHARED;
    ct_rlock r = CT_RLOCK_INIT;
    assert_int_equal(ct_condition_init(NULL, NULL, NULL, 0), CT_EINVAL);
    assert_int_equal(ct_condition_init(&c, &l, &r, 0), CT_EINVAL);
    assert_int_equal(ct_condition_init(&c, NULL, NULL, 4), CT_EINVAL);
    assert_int_equal(ct_condition_init(&c, &l, NULL, CT_PSHARED), CT_EINVAL);
    assert_int_equal(ct_condition_init(&c, NULL, &r, CT_PSHARED), CT_EINVAL);
    assert_int_equal(ct_condition_init(&c, &lp, NULL, CT_PSHARED), 0);
    assert_int_equal(ct_condition_destroy(NULL), CT_EINVAL);
    assert_int_equal(ct_condition_acquire(NULL, 0), CT_EINVAL);
    assert_int_equal(ct_condition_release(NULL), CT_EINVAL);
    assert_int_equal(ct_condition_wait(NULL, 0), CT_EINVAL);
    assert_int_equal(ct_condition_wait_for(NULL, never, NULL, 0), CT_EINVAL);
    assert_int_equal(ct_condition_notify(NULL, 1), CT_EINVAL);
    assert_int_equal(ct_condition_notify_all(NULL), CT_EINVAL);

    ct_condition own = CT_CONDITION_INIT;
    CT_WITH(&own) {
        assert_int_equal(ct_condition_wait_for(&own, NULL, NULL, 0), CT_EINVAL);
        assert_int_equal(ct_condition_notify(&own, -1), CT_EVALUE);
        assert_int_equal(ct_condition_destroy(&own), CT_ESTATE); /* held */
    }
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_forever, &own), 0);
    wait_waiters(&own, 1);
    assert_int_equal(ct_condition_destroy(&own), CT_ESTATE);
    CT_WITH(&own) {
        assert_int_equal(ct_condition_notify_all(&own), 1);
    }
    pthread_join(t, NULL);
    assert_int_equal(ct_condition_destroy(&own), 0);
}

/* Destroy right after notify (pthread_cond_destroy's rule) must not let
 * the condition's memory go while a notified waiter is still leaving
 * wait (it reads the condition to get the lock back): destroy answers
 * CT_ESTATE until the waiter has returned, then 0, and the memory may be
 * freed (ASan would see a use after free). Both modes. */
struct leaving {
    ct_lock lock;
    ct_condition *cond;
    atomic_int in;
};

static void *wait_once_then_go(void *arg) {
    struct leaving *l = arg;
    CT_WITH(&l->lock) {
        atomic_store(&l->in, 1);
        assert_int_equal(ct_condition_wait(l->cond, CT_FOREVER), 0);
    }
    return NULL;
}

static void test_destroy_refused_until_notified_waiter_left(void **state) {
    (void)state;
    for (int flags = 0; flags <= CT_PSHARED; flags += CT_PSHARED) {
        struct leaving l = {.cond = malloc(sizeof(ct_condition))};
        assert_non_null(l.cond);
        assert_int_equal(ct_lock_init(&l.lock, flags), 0);
        assert_int_equal(ct_condition_init(l.cond, &l.lock, NULL, flags), 0);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, wait_once_then_go, &l), 0);
        wait_waiters(l.cond, 1);
        assert_int_equal(ct_lock_acquire(&l.lock, CT_FOREVER), 0);
        assert_int_equal(ct_condition_notify_all(l.cond), 1);
        /* the waiter cannot have left: we hold the lock */
        assert_int_equal(ct_condition_destroy(l.cond), CT_ESTATE);
        assert_int_equal(ct_lock_release(&l.lock), 0);
        double end = ct_monotonic() + 30.0;
        int rc;
        while ((rc = ct_condition_destroy(l.cond)) == CT_ESTATE) {
            assert_true(ct_monotonic() < end);
            sched_yield();
        }
        assert_int_equal(rc, 0);
        free(l.cond); /* the waiter no longer touches it */
        pthread_join(t, NULL);
    }
}

/* ------------------------------------------------------------ stress */

/* A one-slot mailbox handed back and forth: every item arrives exactly
 * once, in order; a lost wake-up would hang (CTest timeout). */
struct mailbox {
    ct_lock lock;
    ct_condition cond;
    long items;
    long slot; /* 0: empty */
    long sum;
};

static void *mb_producer(void *arg) {
    struct mailbox *m = arg;
    for (long i = 1; i <= m->items; i++) {
        CT_WITH(&m->lock) {
            while (m->slot != 0)
                assert_int_equal(ct_condition_wait(&m->cond, CT_FOREVER), 0);
            m->slot = i;
            assert_true(ct_condition_notify(&m->cond, 1) >= 0);
        }
    }
    return NULL;
}

static void handoff(int flags, long items) {
    struct mailbox m = {.items = items};
    assert_int_equal(ct_lock_init(&m.lock, flags), 0);
    assert_int_equal(ct_condition_init(&m.cond, &m.lock, NULL, flags), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, mb_producer, &m), 0);
    for (long i = 1; i <= m.items; i++) {
        CT_WITH(&m.lock) {
            while (m.slot == 0)
                assert_int_equal(ct_condition_wait(&m.cond, CT_FOREVER), 0);
            assert_int_equal(m.slot, i);
            m.sum += m.slot;
            m.slot = 0;
            ct_condition_notify(&m.cond, 1);
        }
    }
    pthread_join(t, NULL);
    assert_int_equal(m.sum, m.items * (m.items + 1) / 2);
    assert_int_equal(waiting(&m.cond), 0);
}

static void test_stress_handoff_has_no_lost_wakeup(void **state) {
    (void)state;
    /* 20,000 by default (seconds under TSan); CT_STRESS=50: 1,000,000 */
    handoff(0, ct_stress_iters(20000));
}

static void test_stress_handoff_shared_mode(void **state) {
    (void)state;
    handoff(CT_PSHARED, ct_stress_iters(10000));
}

/* A bounded buffer (Queue-style: two conditions over one lock), 4
 * producers and 4 consumers, notify(1) only: each item exactly once. */
struct buffer {
    ct_lock lock;
    ct_condition not_empty, not_full;
    long buf[4];
    int head, count;
    long per_producer;
    atomic_long taken_sum;
    atomic_long taken_n;
};

static void buf_fn(void *ctx, int index) {
    struct buffer *b = ctx;
    bool producer = index < 4;
    for (long i = 1; i <= b->per_producer; i++) {
        CT_WITH(&b->lock) {
            if (producer) {
                while (b->count == 4)
                    ct_condition_wait(&b->not_full, CT_FOREVER);
                b->buf[(b->head + b->count++) % 4] = i;
                ct_condition_notify(&b->not_empty, 1);
            } else {
                while (b->count == 0)
                    ct_condition_wait(&b->not_empty,
                                      (index % 2) ? 0.001 : CT_FOREVER);
                /* odd consumers use short timeouts and re-check */
                long v = b->buf[b->head];
                b->head = (b->head + 1) % 4;
                b->count--;
                atomic_fetch_add(&b->taken_sum, v);
                atomic_fetch_add(&b->taken_n, 1);
                ct_condition_notify(&b->not_full, 1);
            }
        }
    }
}

static void bounded_buffer(int flags) {
    struct buffer b = {.per_producer = ct_stress_iters(5000)};
    assert_int_equal(ct_lock_init(&b.lock, flags), 0);
    assert_int_equal(ct_condition_init(&b.not_empty, &b.lock, NULL, flags), 0);
    assert_int_equal(ct_condition_init(&b.not_full, &b.lock, NULL, flags), 0);
    assert_int_equal(ct_stress_run(8, buf_fn, &b), 0);
    assert_int_equal(atomic_load(&b.taken_n), 4 * b.per_producer);
    assert_int_equal(atomic_load(&b.taken_sum),
                     4 * (b.per_producer * (b.per_producer + 1) / 2));
    assert_int_equal(b.count, 0);
    assert_int_equal(waiting(&b.not_empty), 0);
    assert_int_equal(waiting(&b.not_full), 0);
    assert_int_equal(b.not_empty.nsignal, 0);
    assert_int_equal(b.not_full.nsignal, 0);
}

static void test_stress_bounded_buffer_each_item_once(void **state) {
    (void)state;
    bounded_buffer(0);
}

static void test_stress_bounded_buffer_shared_mode(void **state) {
    (void)state;
    bounded_buffer(CT_PSHARED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acquire_own_rlock_and_given_lock),
        cmocka_unit_test(test_unacquired_wait_and_notify_are_eperm),
        cmocka_unit_test(test_notify_phases_like_cpython),
        cmocka_unit_test(test_notify_phases_shared_mode),
        cmocka_unit_test(test_notify_wakes_longest_waiting_first),
        cmocka_unit_test(test_wait_times_out),
        cmocka_unit_test(test_negative_and_zero_timeouts_time_out_at_once),
        cmocka_unit_test(test_wait_for_expired_waits_once_and_rechecks),
        cmocka_unit_test(test_wait_for_returns_when_predicate_holds),
        cmocka_unit_test(test_wait_for_times_out_when_predicate_stays_false),
        cmocka_unit_test(test_wait_for_keeps_deadline_across_wakeups),
        cmocka_unit_test(test_wait_releases_all_rlock_levels_and_restores),
        cmocka_unit_test(test_bad_inputs_and_destroy_while_waited_on),
        cmocka_unit_test(test_destroy_refused_until_notified_waiter_left),
        cmocka_unit_test(test_stress_handoff_has_no_lost_wakeup),
        cmocka_unit_test(test_stress_handoff_shared_mode),
        cmocka_unit_test(test_stress_bounded_buffer_each_item_once),
        cmocka_unit_test(test_stress_bounded_buffer_shared_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
