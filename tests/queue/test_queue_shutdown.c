/* Queue.shutdown(immediate): ports of CPython 3.13's test_queue.py
 * test_shutdown_* cases (empty, nonempty, immediate, allowed transitions,
 * all methods in one thread and in many threads, get, put, join,
 * put_join, get_task_done_join, pending_get), for each kind; bounded
 * FIFO queues run on the ring, the others on the store. Plus: threads
 * blocked in put and get are all woken, and discarded items go to the
 * destructor. CT_TEST_TIMEOUT 120 */
#include <cthreading.h>

#include "qtest.h"

/* test_shutdown_empty */
static void test_shutdown_empty(void **s) {
    (void)s;
    ct_queue *q = mk(0);
    assert_int_equal(ct_queue_shutdown(q, false), 0);
    void *x;
    assert_int_equal(ct_queue_put(q, I(1), CT_FOREVER), CT_ESHUTDOWN);
    assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), CT_ESHUTDOWN);
    ct_queue_free(q);
}

/* test_shutdown_nonempty */
static void test_shutdown_nonempty(void **s) {
    (void)s;
    for (long maxsize = 0; maxsize <= 4; maxsize += 4) {
        ct_queue *q = mk(maxsize);
        ct_queue_put(q, I(7), CT_FOREVER);
        ct_queue_shutdown(q, false);
        void *x;
        assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), 0);
        assert_ptr_equal(x, I(7));
        assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), CT_ESHUTDOWN);
        ct_queue_free(q);
    }
}

/* test_shutdown_immediate */
static void test_shutdown_immediate(void **s) {
    (void)s;
    for (long maxsize = 0; maxsize <= 4; maxsize += 4) {
        ct_queue *q = mk(maxsize);
        ct_queue_put(q, I(7), CT_FOREVER);
        ct_queue_shutdown(q, true);
        void *x;
        assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), CT_ESHUTDOWN);
        ct_queue_free(q);
    }
}

/* test_shutdown_allowed_transitions */
static void test_shutdown_allowed_transitions(void **s) {
    (void)s;
    ct_queue *q = mk(0);
    assert_false(ct_queue_is_shutdown(q));
    assert_int_equal(ct_queue_shutdown(q, false), 0);
    assert_true(ct_queue_is_shutdown(q));
    assert_int_equal(ct_queue_shutdown(q, true), 0);
    assert_true(ct_queue_is_shutdown(q));
    assert_int_equal(ct_queue_shutdown(q, false), 0);
    ct_queue_free(q);
}

/* _shutdown_all_methods_in_one_thread */
static void all_methods_in_one_thread(bool immediate) {
    ct_queue *q = mk(2);
    void *x;
    ct_queue_put(q, I('L'), CT_FOREVER);
    ct_queue_put_nowait(q, I('O'));
    ct_queue_shutdown(q, immediate);
    assert_int_equal(ct_queue_put(q, I('E'), CT_FOREVER), CT_ESHUTDOWN);
    assert_int_equal(ct_queue_put_nowait(q, I('W')), CT_ESHUTDOWN);
    if (immediate) {
        assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), CT_ESHUTDOWN);
        assert_int_equal(ct_queue_get_nowait(q, &x), CT_ESHUTDOWN);
        assert_int_equal(ct_queue_task_done(q), CT_EVALUE);
        assert_int_equal(ct_queue_join(q, CT_FOREVER), 0);
    } else {
        for (int i = 0; i < 2; i++) {
            assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), 0);
            assert_true(V(x) == 'L' || V(x) == 'O');
            assert_int_equal(ct_queue_task_done(q), 0);
        }
        assert_int_equal(ct_queue_join(q, CT_FOREVER), 0);
        assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), CT_ESHUTDOWN);
        assert_int_equal(ct_queue_get_nowait(q, &x), CT_ESHUTDOWN);
        assert_int_equal(ct_queue_get(q, &x, 1.0), CT_ESHUTDOWN);
    }
    ct_queue_free(q);
}

static void test_shutdown_all_methods_in_one_thread(void **s) {
    (void)s;
    all_methods_in_one_thread(false);
}

static void test_shutdown_immediate_all_methods_in_one_thread(void **s) {
    (void)s;
    all_methods_in_one_thread(true);
}

/* _shutdown_all_methods_in_many_threads */
enum { WRITERS = 4, READERS = 6, JOINERS = 2, NB_MSGS = 1024 * 64 };

struct many {
    ct_queue *q;
    bool immediate;
    pthread_barrier_t start;
    gate exec_shutdown;
    atomic_int shutdown_claimed;
    atomic_int puts_true, puts_false, gets_true;
    atomic_int shutdown_result;
};

static void *write_msg(void *p) {
    struct many *m = p;
    int n = NB_MSGS / WRITERS, when = n / 2;
    for (int i = 0; i < when / 2; i++)
        assert_int_equal(ct_queue_put(m->q, I(i), CT_FOREVER), 0);
    pthread_barrier_wait(&m->start);
    for (int i = when / 2; i < n; i++) {
        if (ct_queue_put(m->q, I(i), CT_FOREVER) == CT_ESHUTDOWN) {
            atomic_fetch_add(&m->puts_false, 1);
            break;
        }
        if (i == when && atomic_exchange(&m->shutdown_claimed, 1) == 0) {
            gate_open(&m->exec_shutdown);
            atomic_fetch_add(&m->puts_true, 1);
        }
    }
    return NULL;
}

static void *read_msg(void *p) {
    struct many *m = p;
    void *x;
    assert_int_equal(ct_queue_get(m->q, &x, CT_FOREVER), 0);
    ct_queue_task_done(m->q);
    pthread_barrier_wait(&m->start);
    for (;;) {
        int r = ct_queue_get(m->q, &x, 0);
        if (r == 0) {
            assert_int_equal(ct_queue_task_done(m->q), 0);
        } else if (r == CT_ESHUTDOWN) {
            atomic_fetch_add(&m->gets_true, 1);
            return NULL;
        } else {
            assert_int_equal(r, CT_EEMPTY);
            sched_yield(); /* Python's loop spins; be kind to 2 cores */
        }
    }
}

static void *shutdown_thread(void *p) {
    struct many *m = p;
    gate_wait(&m->exec_shutdown);
    ct_queue_shutdown(m->q, m->immediate);
    atomic_store(&m->shutdown_result, ct_queue_qsize(m->q) == 0);
    return NULL;
}

static void *join_msg(void *p) {
    struct many *m = p;
    pthread_barrier_wait(&m->start);
    assert_int_equal(ct_queue_join(m->q, CT_FOREVER), 0);
    return NULL;
}

static void all_methods_in_many_threads(bool immediate) {
    struct many m = {.q = mk(0), .immediate = immediate};
    int parties = WRITERS + READERS + (immediate ? JOINERS : 0);
    pthread_barrier_init(&m.start, NULL, (unsigned)parties);
    pthread_t t[WRITERS + READERS + 1 + JOINERS];
    int n = 0;
    for (int i = 0; i < WRITERS; i++)
        t[n++] = spawn(write_msg, &m);
    for (int i = 0; i < READERS; i++)
        t[n++] = spawn(read_msg, &m);
    t[n++] = spawn(shutdown_thread, &m);
    if (immediate)
        for (int i = 0; i < JOINERS; i++)
            t[n++] = spawn(join_msg, &m);
    for (int i = 0; i < n; i++)
        join_thread(t[i]);
    assert_int_equal(atomic_load(&m.puts_true), 1);
    assert_int_equal(atomic_load(&m.gets_true), READERS);
    if (immediate) {
        assert_true(atomic_load(&m.shutdown_result));
        assert_true(ct_queue_empty(m.q));
    }
    pthread_barrier_destroy(&m.start);
    ct_queue_free(m.q);
}

static void test_shutdown_all_methods_in_many_threads(void **s) {
    (void)s;
    all_methods_in_many_threads(false);
}

static void test_shutdown_immediate_all_methods_in_many_threads(void **s) {
    (void)s;
    all_methods_in_many_threads(true);
}

/* The helpers of _shutdown_get/_put/_join: each records whether the call
 * ended the way the test expects (Python's `results` list). */
struct op {
    ct_queue *q;
    gate *go;
    bool expect_shutdown;
    atomic_int *ok;
    atomic_int *shut; /* op_get: counts CT_ESHUTDOWN answers, if set */
};

static void *op_get(void *p) {
    struct op *o = p;
    gate_wait(o->go);
    void *x;
    int r = ct_queue_get(o->q, &x, CT_FOREVER);
    if ((r == CT_ESHUTDOWN) == o->expect_shutdown)
        atomic_fetch_add(o->ok, 1);
    if (r == CT_ESHUTDOWN && o->shut)
        atomic_fetch_add(o->shut, 1);
    return NULL;
}

static void *op_get_task_done(void *p) {
    struct op *o = p;
    gate_wait(o->go);
    void *x;
    if (ct_queue_get(o->q, &x, CT_FOREVER) == 0 &&
        ct_queue_task_done(o->q) == 0)
        atomic_fetch_add(o->ok, 1);
    return NULL;
}

static void *op_put(void *p) {
    struct op *o = p;
    gate_wait(o->go);
    int r = ct_queue_put(o->q, I(1), CT_FOREVER);
    if ((r == CT_ESHUTDOWN) == o->expect_shutdown)
        atomic_fetch_add(o->ok, 1);
    return NULL;
}

static void *op_join(void *p) {
    struct op *o = p;
    if (ct_queue_join(o->q, CT_FOREVER) == 0)
        atomic_fetch_add(o->ok, 1);
    return NULL;
}

/* _shutdown_get */
static void shutdown_get(bool immediate) {
    ct_queue *q = mk(2);
    gate go = {0};
    atomic_int ok = 0, ok_shut = 0;
    ct_queue_put(q, I('Y'), CT_FOREVER);
    ct_queue_put(q, I('D'), CT_FOREVER);
    int n = immediate ? 2 : 3;
    atomic_int n_shut = 0;
    struct op got = {q, &go, false, &ok, &n_shut},
              shut = {q, &go, true, &ok_shut, NULL};
    pthread_t t[3];
    for (int i = 0; i < n; i++)
        t[i] = spawn(op_get, immediate ? &shut : &got);
    ct_queue_shutdown(q, immediate);
    gate_open(&go);
    for (int i = 0; i < n; i++)
        join_thread(t[i]);
    if (immediate) {
        assert_int_equal(atomic_load(&ok_shut), 2);
    } else {
        /* Python: sorted(results) == [False, True, True] */
        assert_int_equal(atomic_load(&ok), 2);     /* two got an item */
        assert_int_equal(atomic_load(&n_shut), 1); /* one got ShutDown */
    }
    ct_queue_free(q);
}

static void test_shutdown_get(void **s) {
    (void)s;
    shutdown_get(false);
}

static void test_shutdown_immediate_get(void **s) {
    (void)s;
    shutdown_get(true);
}

/* _shutdown_put */
static void shutdown_put(bool immediate) {
    ct_queue *q = mk(2);
    gate go = {0};
    atomic_int ok = 0;
    ct_queue_put(q, I('Y'), CT_FOREVER);
    ct_queue_put(q, I('D'), CT_FOREVER);
    struct op o = {q, &go, true, &ok, NULL};
    pthread_t t[2] = {spawn(op_put, &o), spawn(op_put, &o)};
    ct_queue_shutdown(q, immediate);
    gate_open(&go);
    join_thread(t[0]);
    join_thread(t[1]);
    assert_int_equal(atomic_load(&ok), 2);
    ct_queue_free(q);
}

static void test_shutdown_put(void **s) {
    (void)s;
    shutdown_put(false);
}

static void test_shutdown_immediate_put(void **s) {
    (void)s;
    shutdown_put(true);
}

/* _shutdown_join */
static void shutdown_join(bool immediate) {
    ct_queue *q = mk(0);
    gate go = {0};
    atomic_int ok = 0, res = 0;
    ct_queue_put(q, I('Y'), CT_FOREVER);
    struct op j = {q, &go, false, &ok, NULL}, g = {q, &go, false, &res, NULL};
    pthread_t t[3];
    int n = 0;
    t[n++] = spawn(op_join, &j);
    t[n++] = spawn(op_join, &j);
    if (!immediate)
        t[n++] = spawn(op_get_task_done, &g);
    ct_queue_shutdown(q, immediate);
    gate_open(&go);
    for (int i = 0; i < n; i++)
        join_thread(t[i]);
    assert_int_equal(atomic_load(&ok), 2);
    ct_queue_free(q);
}

static void test_shutdown_immediate_join(void **s) {
    (void)s;
    shutdown_join(true);
}

static void test_shutdown_join(void **s) {
    (void)s;
    shutdown_join(false);
}

/* _shutdown_put_join */
static void shutdown_put_join(bool immediate) {
    ct_queue *q = mk(2);
    gate go = {0};
    atomic_int ok = 0;
    ct_queue_put(q, I('Y'), CT_FOREVER);
    struct op p = {q, &go, true, &ok, NULL}, j = {q, &go, false, &ok, NULL};
    pthread_t t[2] = {spawn(op_put, &p), spawn(op_join, &j)};
    assert_int_equal(ct_queue_unfinished_tasks(q), 1);
    ct_queue_shutdown(q, immediate);
    gate_open(&go);
    void *x;
    if (immediate) {
        assert_int_equal(ct_queue_get_nowait(q, &x), CT_ESHUTDOWN);
    } else {
        assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), 0);
        assert_ptr_equal(x, I('Y'));
        ct_queue_task_done(q);
    }
    join_thread(t[0]);
    join_thread(t[1]);
    assert_int_equal(atomic_load(&ok), 2);
    ct_queue_free(q);
}

static void test_shutdown_immediate_put_join(void **s) {
    (void)s;
    shutdown_put_join(true);
}

static void test_shutdown_put_join(void **s) {
    (void)s;
    shutdown_put_join(false);
}

/* test_shutdown_get_task_done_join */
static void test_shutdown_get_task_done_join(void **s) {
    (void)s;
    ct_queue *q = mk(2);
    gate go = {0};
    atomic_int ok = 0;
    ct_queue_put(q, I('Y'), CT_FOREVER);
    ct_queue_put(q, I('D'), CT_FOREVER);
    assert_int_equal(ct_queue_unfinished_tasks(q), ct_queue_qsize(q));
    struct op o = {q, &go, false, &ok, NULL};
    pthread_t t[4] = {spawn(op_get_task_done, &o), spawn(op_get_task_done, &o),
                      spawn(op_join, &o), spawn(op_join, &o)};
    gate_open(&go);
    ct_queue_shutdown(q, false);
    for (int i = 0; i < 4; i++)
        join_thread(t[i]);
    assert_int_equal(atomic_load(&ok), 4);
    ct_queue_free(q);
}

/* test_shutdown_pending_get: here the getter is really blocked first. */
static void test_shutdown_pending_get(void **s) {
    (void)s;
    for (long maxsize = 0; maxsize <= 4; maxsize += 4) {
        ct_queue *q = mk(maxsize);
        gate go = {1};
        atomic_int ok = 0;
        struct op o = {q, &go, true, &ok, NULL};
        pthread_t t = spawn(op_get, &o);
        wait_getters(q, 1);
        ct_queue_shutdown(q, false);
        join_thread(t);
        assert_int_equal(atomic_load(&ok), 1);
        ct_queue_free(q);
    }
}

/* Every blocked thread wakes: 3 getters on an empty queue, 3 putters on
 * a full one, in both modes. */
static void test_shutdown_wakes_every_blocked_thread(void **s) {
    (void)s;
    for (int imm = 0; imm < 2; imm++) {
        for (long maxsize = 0; maxsize <= 4; maxsize += 4) {
            ct_queue *q = mk(maxsize);
            gate go = {1};
            atomic_int ok = 0;
            struct op o = {q, &go, true, &ok, NULL};
            pthread_t t[3];
            for (int i = 0; i < 3; i++)
                t[i] = spawn(op_get, &o);
            wait_getters(q, 3);
            ct_queue_shutdown(q, imm);
            for (int i = 0; i < 3; i++)
                join_thread(t[i]);
            assert_int_equal(atomic_load(&ok), 3);
            ct_queue_free(q);
        }
        ct_queue *q = mk(2);
        gate go = {1};
        atomic_int ok = 0;
        struct op o = {q, &go, true, &ok, NULL};
        ct_queue_put(q, I(1), 0);
        ct_queue_put(q, I(2), 0);
        pthread_t t[3];
        for (int i = 0; i < 3; i++)
            t[i] = spawn(op_put, &o);
        wait_putters(q, 3);
        ct_queue_shutdown(q, imm);
        for (int i = 0; i < 3; i++)
            join_thread(t[i]);
        assert_int_equal(atomic_load(&ok), 3);
        assert_int_equal(ct_queue_qsize(q), imm ? 0 : 2);
        ct_queue_free(q);
    }
}

/* Python's shutdown sets is_shutdown and stops puts in one step (under
 * the mutex): a thread that has seen is_shutdown() must see every put
 * fail, and a get that reported CT_ESHUTDOWN (shut down and empty) must
 * not be followed by a successful put. Races a shutdown against a thread
 * that checks both on every round. */
struct race {
    ct_queue *q;
    atomic_int started;
    atomic_int late_puts; /* puts that succeeded after the fact */
};

static void *race_putter(void *p) {
    struct race *r = p;
    atomic_store(&r->started, 1);
    void *x;
    for (;;) {
        bool seen = ct_queue_is_shutdown(r->q);
        int rc = ct_queue_put_nowait(r->q, I(1));
        if (rc == 0)
            ct_queue_get_nowait(r->q, &x); /* keep room */
        if (seen) {
            if (rc != CT_ESHUTDOWN)
                atomic_fetch_add(&r->late_puts, 1);
            break;
        }
        if (ct_queue_get_nowait(r->q, &x) == CT_ESHUTDOWN) {
            if (ct_queue_put_nowait(r->q, I(1)) != CT_ESHUTDOWN)
                atomic_fetch_add(&r->late_puts, 1);
            break;
        }
    }
    return NULL;
}

static void test_shutdown_is_seen_and_stops_puts_at_once(void **s) {
    (void)s;
    long rounds = 300;
    for (long i = 0; i < rounds; i++) {
        struct race r = {.q = mk(2)};
        pthread_t t = spawn(race_putter, &r);
        while (!atomic_load(&r.started))
            sched_yield();
        for (int k = 0; k < (int)(i % 64); k++)
            ct_cpu_relax();
        ct_queue_shutdown(r.q, false);
        join_thread(t);
        assert_int_equal(atomic_load(&r.late_puts), 0);
        assert_int_equal(ct_queue_free(r.q), 0);
    }
}

static void test_shutdown_immediate_passes_items_to_destructor(void **s) {
    (void)s;
    for (long maxsize = 0; maxsize <= 8; maxsize += 8) {
        ct_queue *q = mk_counted(maxsize);
        for (int i = 0; i < 6; i++)
            ct_queue_put(q, I(i), 0);
        void *x;
        ct_queue_get(q, &x, 0); /* one got, not done: stays unfinished */
        ct_queue_shutdown(q, true);
        assert_int_equal(atomic_load(&qt_destroyed), 5);
        assert_int_equal(ct_queue_unfinished_tasks(q), 1);
        assert_int_equal(ct_queue_join(q, 0), CT_ETIMEDOUT);
        assert_int_equal(ct_queue_task_done(q), 0);
        assert_int_equal(ct_queue_join(q, 0), 0);
        assert_int_equal(ct_queue_free(q), 0);
        assert_int_equal(atomic_load(&qt_destroyed), 5);
    }
}

#define SHUTDOWN_TESTS                                                         \
    cmocka_unit_test(test_shutdown_empty),                                     \
        cmocka_unit_test(test_shutdown_nonempty),                              \
        cmocka_unit_test(test_shutdown_immediate),                             \
        cmocka_unit_test(test_shutdown_allowed_transitions),                   \
        cmocka_unit_test(test_shutdown_all_methods_in_one_thread),             \
        cmocka_unit_test(test_shutdown_immediate_all_methods_in_one_thread),   \
        cmocka_unit_test(test_shutdown_all_methods_in_many_threads),           \
        cmocka_unit_test(test_shutdown_immediate_all_methods_in_many_threads), \
        cmocka_unit_test(test_shutdown_get),                                   \
        cmocka_unit_test(test_shutdown_immediate_get),                         \
        cmocka_unit_test(test_shutdown_put),                                   \
        cmocka_unit_test(test_shutdown_immediate_put),                         \
        cmocka_unit_test(test_shutdown_immediate_join),                        \
        cmocka_unit_test(test_shutdown_join),                                  \
        cmocka_unit_test(test_shutdown_immediate_put_join),                    \
        cmocka_unit_test(test_shutdown_put_join),                              \
        cmocka_unit_test(test_shutdown_get_task_done_join),                    \
        cmocka_unit_test(test_shutdown_pending_get),                           \
        cmocka_unit_test(test_shutdown_wakes_every_blocked_thread),            \
        cmocka_unit_test(test_shutdown_is_seen_and_stops_puts_at_once),        \
        cmocka_unit_test(test_shutdown_immediate_passes_items_to_destructor)

int main(void) {
    const struct CMUnitTest fifo[] = {SHUTDOWN_TESTS};
    const struct CMUnitTest lifo[] = {SHUTDOWN_TESTS};
    const struct CMUnitTest prio[] = {SHUTDOWN_TESTS};
    int rc = 0;
    qt_check_norseq(); /* outside a test: a failure aborts the run */
    rc |= cmocka_run_group_tests_name("Queue", fifo, qt_fifo, NULL);
    rc |= cmocka_run_group_tests_name("LifoQueue", lifo, qt_lifo, NULL);
    rc |= cmocka_run_group_tests_name("PriorityQueue", prio, qt_prio, NULL);
    return rc;
}
