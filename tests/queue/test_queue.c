/* Queue, LifoQueue and PriorityQueue: ports of CPython's
 * Lib/test/test_queue.py (BaseQueueTestMixin: basic, task_done, join,
 * negative timeout, nowait, shrinking), plus what the C API adds: by-value
 * items, stable priorities, FIFO wake order, join timeout, destructors,
 * bad inputs and allocation failures. Each group runs for every kind; a
 * bounded FIFO queue is the lock-free ring, an unbounded one the store.
 * CT_TEST_TIMEOUT 120 */
#include <cthreading.h>

#include "allocfail.h"
#include "qtest.h"

enum { QUEUE_SIZE = 5 };

/* ------------------------------------------------------------ helpers */

struct call {
    ct_queue *q;
    void *item;
    double timeout;
    int rc;
    void *out;
    atomic_int done;
};

static void *do_put(void *p) {
    struct call *c = p;
    c->rc = ct_queue_put(c->q, c->item, c->timeout);
    atomic_store(&c->done, 1);
    return NULL;
}

static void *do_get(void *p) {
    struct call *c = p;
    c->rc = ct_queue_get(c->q, &c->out, c->timeout);
    atomic_store(&c->done, 1);
    return NULL;
}

/* do_blocking_test: `block` must block until the trigger runs. The
 * trigger is started only once the blocked call is linked as a waiter. */
static void blocking_put(ct_queue *q, void *item, double timeout) {
    struct call c = {.q = q, .item = item, .timeout = timeout};
    uint32_t before = atomic_load(&q->n_putwait);
    pthread_t t = spawn(do_put, &c);
    wait_putters(q, before + 1);
    assert_false(atomic_load(&c.done)); /* it really blocks */
    void *x;
    assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), 0);
    join_thread(t);
    assert_int_equal(c.rc, 0);
}

static void blocking_get(ct_queue *q, void *item, double timeout) {
    struct call c = {.q = q, .timeout = timeout};
    pthread_t t = spawn(do_get, &c);
    wait_getters(q, 1);
    assert_false(atomic_load(&c.done));
    assert_int_equal(ct_queue_put(q, item, CT_FOREVER), 0);
    join_thread(t);
    assert_int_equal(c.rc, 0);
    assert_ptr_equal(c.out, item);
}

/* ------------------------------------------------------------ test_basic */

static void basic_queue_test(ct_queue *q) {
    assert_int_equal(ct_queue_qsize(q), 0);
    assert_true(ct_queue_empty(q));
    assert_false(ct_queue_full(q));
    ct_queue_put(q, I(111), CT_FOREVER);
    ct_queue_put(q, I(333), CT_FOREVER);
    ct_queue_put(q, I(222), CT_FOREVER);
    static const intptr_t want[3][3] = {
        {111, 333, 222}, {222, 333, 111}, {111, 222, 333}};
    for (int i = 0; i < 3; i++) {
        void *x;
        assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), 0);
        assert_int_equal(V(x), want[qt_kind][i]);
    }
    for (int i = 0; i < QUEUE_SIZE - 1; i++) {
        ct_queue_put(q, I(i), CT_FOREVER);
        assert_true(ct_queue_qsize(q) > 0);
    }
    assert_false(ct_queue_full(q));
    ct_queue_put(q, I(2 * QUEUE_SIZE), CT_FOREVER);
    assert_true(ct_queue_full(q));
    assert_false(ct_queue_empty(q));
    assert_int_equal(ct_queue_put(q, I(6 * QUEUE_SIZE), 0), CT_EFULL);
    double t0 = ct_monotonic();
    assert_int_equal(ct_queue_put(q, I(6 * QUEUE_SIZE), 0.01), CT_EFULL);
    assert_true(ct_monotonic() - t0 >= 0.009);
    blocking_put(q, I(6 * QUEUE_SIZE), CT_FOREVER);
    blocking_put(q, I(6 * QUEUE_SIZE), 10);
    void *x;
    for (int i = 0; i < QUEUE_SIZE; i++)
        assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), 0);
    assert_int_equal(ct_queue_qsize(q), 0);
    assert_int_equal(ct_queue_get(q, &x, 0), CT_EEMPTY);
    t0 = ct_monotonic();
    assert_int_equal(ct_queue_get(q, &x, 0.01), CT_EEMPTY);
    assert_true(ct_monotonic() - t0 >= 0.009);
    blocking_get(q, I(77), CT_FOREVER);
    blocking_get(q, I(78), 10);
}

static void test_basic(void **s) {
    (void)s;
    ct_queue *q = mk(QUEUE_SIZE);
    basic_queue_test(q);
    basic_queue_test(q);
    assert_int_equal(ct_queue_free(q), 0);
}

/* ------------------------------------------------- task_done and join */

static atomic_long cum;

static void *worker(void *p) {
    ct_queue *q = p;
    for (;;) {
        void *x;
        assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), 0);
        if (V(x) < 0) {
            assert_int_equal(ct_queue_task_done(q), 0);
            return NULL;
        }
        atomic_fetch_add(&cum, V(x));
        assert_int_equal(ct_queue_task_done(q), 0);
    }
}

static void queue_join_test(ct_queue *q) {
    atomic_store(&cum, 0);
    pthread_t t[2] = {spawn(worker, q), spawn(worker, q)};
    for (int i = 0; i < 100; i++)
        ct_queue_put(q, I(i), CT_FOREVER);
    assert_int_equal(ct_queue_join(q, CT_FOREVER), 0);
    assert_int_equal(atomic_load(&cum), 99 * 100 / 2);
    ct_queue_put(q, I(-1), CT_FOREVER);
    ct_queue_put(q, I(-1), CT_FOREVER);
    assert_int_equal(ct_queue_join(q, CT_FOREVER), 0); /* join twice */
    join_thread(t[0]);
    join_thread(t[1]);
}

/* test_queue_task_done */
static void test_task_done_too_many_is_value_error(void **s) {
    (void)s;
    ct_queue *q = mk(0);
    assert_int_equal(ct_queue_task_done(q), CT_EVALUE);
    ct_queue_free(q);
}

/* test_queue_join */
static void test_join_waits_for_every_task_done(void **s) {
    (void)s;
    ct_queue *q = mk(0);
    queue_join_test(q);
    queue_join_test(q);
    assert_int_equal(ct_queue_task_done(q), CT_EVALUE);
    ct_queue_free(q);
    q = mk(3); /* bounded: producers block on the workers */
    queue_join_test(q);
    ct_queue_free(q);
}

static void test_join_times_out_with_unfinished_tasks(void **s) {
    (void)s;
    ct_queue *q = mk(0);
    assert_int_equal(ct_queue_join(q, 0), 0);
    ct_queue_put(q, I(1), CT_FOREVER);
    assert_int_equal(ct_queue_unfinished_tasks(q), 1);
    double t0 = ct_monotonic();
    assert_int_equal(ct_queue_join(q, 0.02), CT_ETIMEDOUT);
    assert_true(ct_monotonic() - t0 >= 0.019);
    assert_int_equal(ct_queue_join(q, -1), CT_ETIMEDOUT); /* expired */
    assert_int_equal(ct_queue_join(q, NAN), CT_EINVAL);
    void *x;
    ct_queue_get(q, &x, 0);
    assert_int_equal(ct_queue_join(q, 0), CT_ETIMEDOUT); /* got, not done */
    assert_int_equal(ct_queue_task_done(q), 0);
    assert_int_equal(ct_queue_join(q, 0), 0);
    ct_queue_free(q);
}

static void *do_task_done(void *p) {
    ct_queue *q = p;
    wait_joiners(q, 2);
    void *x;
    assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), 0);
    assert_int_equal(ct_queue_task_done(q), 0);
    return NULL;
}

static void *do_join(void *p) {
    assert_int_equal(ct_queue_join(p, CT_FOREVER), 0);
    return NULL;
}

static void test_task_done_wakes_every_joiner(void **s) {
    (void)s;
    ct_queue *q = mk(0);
    ct_queue_put(q, I(1), CT_FOREVER);
    pthread_t j1 = spawn(do_join, q), j2 = spawn(do_join, q);
    pthread_t w = spawn(do_task_done, q);
    join_thread(j1);
    join_thread(j2);
    join_thread(w);
    ct_queue_free(q);
}

/* -------------------------------------------------- timeouts and nowait */

/* test_negative_timeout_raises_exception */
static void test_negative_timeout_is_value_error(void **s) {
    (void)s;
    ct_queue *q = mk(QUEUE_SIZE);
    void *x;
    assert_int_equal(ct_queue_put(q, I(1), -1), CT_EVALUE);
    assert_int_equal(ct_queue_get(q, &x, -1), CT_EVALUE);
    assert_int_equal(ct_queue_put(q, I(1), NAN), CT_EINVAL);
    assert_int_equal(ct_queue_get(q, &x, NAN), CT_EINVAL);
    assert_int_equal(ct_queue_qsize(q), 0);
    ct_queue_free(q);
}

/* Queue.put/get check, in this order: ShutDown, then a negative timeout
 * (ValueError) where the call could block: put on a bounded queue only
 * (an unbounded put never waits, so Python accepts any timeout), get
 * always, even with items queued. */
static void test_negative_timeout_follows_python_order(void **s) {
    (void)s;
    void *x;
    ct_queue *q = mk(QUEUE_SIZE);
    assert_int_equal(ct_queue_put(q, I(1), 0), 0);
    assert_int_equal(ct_queue_get(q, &x, -1), CT_EVALUE); /* items queued */
    assert_int_equal(ct_queue_put(q, I(2), -0.5), CT_EVALUE);
    assert_int_equal(ct_queue_qsize(q), 1);
    ct_queue_shutdown(q, false);
    assert_int_equal(ct_queue_put(q, I(3), -1), CT_ESHUTDOWN);
    assert_int_equal(ct_queue_get(q, &x, -1), CT_EVALUE); /* one left */
    assert_int_equal(ct_queue_get(q, &x, 0), 0);
    assert_int_equal(ct_queue_get(q, &x, -1), CT_ESHUTDOWN);
    assert_int_equal(ct_queue_put(q, I(3), NAN), CT_EINVAL);
    assert_int_equal(ct_queue_get(q, &x, NAN), CT_EINVAL);
    ct_queue_free(q);

    q = mk(0); /* unbounded: put ignores the timeout's sign */
    assert_int_equal(ct_queue_put(q, I(4), -1), 0);
    assert_int_equal(ct_queue_qsize(q), 1);
    assert_int_equal(ct_queue_get(q, &x, -1), CT_EVALUE);
    assert_int_equal(ct_queue_get(q, &x, 0), 0);
    assert_ptr_equal(x, I(4));
    assert_int_equal(ct_queue_unfinished_tasks(q), 1);
    ct_queue_shutdown(q, true);
    assert_int_equal(ct_queue_put(q, I(5), -1), CT_ESHUTDOWN);
    assert_int_equal(ct_queue_get(q, &x, -1), CT_ESHUTDOWN);
    ct_queue_free(q);
}

/* test_nowait */
static void test_nowait(void **s) {
    (void)s;
    ct_queue *q = mk(QUEUE_SIZE);
    for (int i = 0; i < QUEUE_SIZE; i++)
        assert_int_equal(ct_queue_put_nowait(q, I(1)), 0);
    assert_int_equal(ct_queue_put_nowait(q, I(1)), CT_EFULL);
    void *x;
    for (int i = 0; i < QUEUE_SIZE; i++)
        assert_int_equal(ct_queue_get_nowait(q, &x), 0);
    assert_int_equal(ct_queue_get_nowait(q, &x), CT_EEMPTY);
    ct_queue_free(q);
}

/* test_shrinking_queue (maxsize is fixed in C: only the first half) */
static void test_full_queue_of_three(void **s) {
    (void)s;
    ct_queue *q = mk(3);
    for (int i = 1; i <= 3; i++)
        ct_queue_put(q, I(i), CT_FOREVER);
    assert_int_equal(ct_queue_put_nowait(q, I(4)), CT_EFULL);
    assert_int_equal(ct_queue_qsize(q), 3);
    assert_int_equal(ct_queue_maxsize(q), 3);
    ct_queue_free(q);
}

/* ----------------------------------------------------- C API additions */

struct job {
    int id;
    char name[20];
    double weight;
};

static int cmp_job(const void *a, const void *b) {
    const struct job *x = a, *y = b;
    return (x->weight > y->weight) - (x->weight < y->weight);
}

static void test_by_value_items_are_copied(void **s) {
    (void)s;
    for (long maxsize = 0; maxsize <= 4; maxsize += 4) {
        ct_queue *q =
            ct_queue_new(.maxsize = maxsize, .kind = qt_kind,
                         .item_size = sizeof(struct job), .compare = cmp_job);
        assert_non_null(q);
        for (int i = 0; i < 4; i++) {
            struct job j = {.id = i, .weight = 1.0};
            snprintf(j.name, sizeof j.name, "job-%d", i);
            assert_int_equal(ct_queue_put_copy(q, &j, CT_FOREVER), 0);
            memset(&j, 0xff, sizeof j); /* the producer reuses its stack */
        }
        for (int i = 0; i < 4; i++) {
            struct job j;
            assert_int_equal(ct_queue_get_copy(q, &j, 0), 0);
            int want = qt_kind == CT_QUEUE_LIFO ? 3 - i : i;
            assert_int_equal(j.id, want);
            char name[20];
            snprintf(name, sizeof name, "job-%d", want);
            assert_string_equal(j.name, name);
        }
        void *p;
        assert_int_equal(ct_queue_put(q, NULL, 0), CT_EINVAL);
        assert_int_equal(ct_queue_get(q, &p, 0), CT_EINVAL);
        ct_queue_free(q);
    }
}

static void test_null_is_a_valid_item(void **s) {
    (void)s;
    ct_queue *q = mk(2);
    void *x = I(5);
    assert_int_equal(ct_queue_put(q, NULL, 0), 0);
    assert_int_equal(ct_queue_get(q, &x, 0), 0);
    assert_null(x);
    ct_queue_free(q);
}

static void test_priority_equal_items_leave_in_insertion_order(void **s) {
    (void)s;
    for (long maxsize = 0; maxsize <= 64; maxsize += 64) {
        ct_queue *q =
            ct_queue_new(.maxsize = maxsize, .kind = CT_QUEUE_PRIORITY,
                         .item_size = sizeof(struct job), .compare = cmp_job);
        /* weights 2,1,0 repeating; ids say the insertion order */
        for (int i = 0; i < 60; i++) {
            struct job j = {.id = i, .weight = 2 - i % 3};
            assert_int_equal(ct_queue_put_copy(q, &j, 0), 0);
        }
        struct job prev = {.id = -1, .weight = -1};
        for (int i = 0; i < 60; i++) {
            struct job j;
            assert_int_equal(ct_queue_get_copy(q, &j, 0), 0);
            assert_true(j.weight >= prev.weight);
            if (j.weight == prev.weight)
                assert_true(j.id > prev.id);
            prev = j;
        }
        ct_queue_free(q);
    }
}

/* Blocked getters are served in the order they started waiting. */
static void test_blocked_getters_are_woken_in_fifo_order(void **s) {
    (void)s;
    for (long maxsize = 0; maxsize <= 4; maxsize += 4) {
        ct_queue *q = mk(maxsize);
        struct call c[4];
        pthread_t t[4];
        for (int i = 0; i < 4; i++) {
            c[i] = (struct call){.q = q, .timeout = CT_FOREVER};
            t[i] = spawn(do_get, &c[i]);
            wait_getters_asleep(q, (uint32_t)i + 1);
        }
        for (int i = 0; i < 4; i++) {
            ct_queue_put(q, I(i + 10), CT_FOREVER);
            while (ct_queue_qsize(q) != 0 ||
                   atomic_load(&q->n_getwait) != (uint32_t)(3 - i))
                sched_yield();
            /* one put woke exactly one getter: the oldest */
            for (int k = i + 1; k < 4; k++)
                assert_false(atomic_load(&c[k].done));
            join_thread(t[i]);
            assert_ptr_equal(c[i].out, I(i + 10));
        }
        ct_queue_free(q);
    }
}

/* maxsize 1 is the store; 2 the ring (FIFO). Items rise, so a priority
 * queue hands them out in the same order; a LIFO queue of 2 would not. */
static void test_blocked_putters_are_woken_in_fifo_order(void **s) {
    (void)s;
    long top = qt_kind == CT_QUEUE_LIFO ? 1 : 2;
    for (long maxsize = 1; maxsize <= top; maxsize++) {
        ct_queue *q = mk(maxsize);
        for (long i = 0; i < maxsize; i++)
            ct_queue_put(q, I(i), CT_FOREVER);
        struct call c[3];
        pthread_t t[3];
        for (int i = 0; i < 3; i++) {
            c[i] = (struct call){
                .q = q, .item = I(maxsize + i), .timeout = CT_FOREVER};
            t[i] = spawn(do_put, &c[i]);
            wait_putters_asleep(q, (uint32_t)i + 1);
        }
        for (int i = 0; i < maxsize + 3; i++) {
            void *x;
            assert_int_equal(ct_queue_get(q, &x, CT_FOREVER), 0);
            assert_ptr_equal(x, I(i)); /* putters got in in their order */
            if (i < 3) {
                join_thread(t[i]);
                assert_int_equal(c[i].rc, 0);
                /* one get let exactly one putter in: the oldest */
                for (int k = i + 1; k < 3; k++)
                    assert_false(atomic_load(&c[k].done));
                while (ct_queue_qsize(q) != maxsize)
                    sched_yield();
            }
        }
        ct_queue_free(q);
    }
}

/* maxsize 1: the store; 2: the ring (FIFO). */
static void test_timed_out_waiter_leaves_the_line(void **s) {
    (void)s;
    for (long maxsize = 1; maxsize <= 2; maxsize++) {
        ct_queue *q = mk(maxsize);
        void *x;
        assert_int_equal(ct_queue_get(q, &x, 0.01), CT_EEMPTY);
        assert_int_equal(atomic_load(&q->n_getwait), 0);
        for (long i = 0; i < maxsize; i++)
            ct_queue_put(q, I(1), 0);
        assert_int_equal(ct_queue_put(q, I(2), 0.01), CT_EFULL);
        assert_int_equal(atomic_load(&q->n_putwait), 0);
        assert_null(q->getters.head);
        assert_null(q->putters.head);
        assert_int_equal(ct_queue_get(q, &x, 0.01), 0);
        assert_ptr_equal(x, I(1));
        ct_queue_free(q);
    }
}

static void test_free_destroys_remaining_items(void **s) {
    (void)s;
    for (long maxsize = 0; maxsize <= 8; maxsize += 8) {
        ct_queue *q = mk_counted(maxsize);
        for (int i = 0; i < 5; i++)
            ct_queue_put(q, I(i), 0);
        void *x;
        ct_queue_get(q, &x, 0);
        assert_int_equal(ct_queue_free(q), 0);
        assert_int_equal(atomic_load(&qt_destroyed), 4);
    }
}

static void test_free_with_a_blocked_thread_is_state_error(void **s) {
    (void)s;
    ct_queue *q = mk(2);
    struct call c = {.q = q, .timeout = CT_FOREVER};
    pthread_t t = spawn(do_get, &c);
    wait_getters(q, 1);
    assert_int_equal(ct_queue_free(q), CT_ESTATE);
    ct_queue_shutdown(q, false);
    join_thread(t);
    assert_int_equal(c.rc, CT_ESHUTDOWN);
    assert_int_equal(ct_queue_free(q), 0);
}

static void test_bad_inputs_return_codes(void **s) {
    (void)s;
    void *x;
    assert_int_equal(ct_queue_put(NULL, NULL, 0), CT_EINVAL);
    assert_int_equal(ct_queue_get(NULL, &x, 0), CT_EINVAL);
    assert_int_equal(ct_queue_put_copy(NULL, &x, 0), CT_EINVAL);
    assert_int_equal(ct_queue_get_copy(NULL, &x, 0), CT_EINVAL);
    assert_int_equal(ct_queue_qsize(NULL), CT_EINVAL);
    assert_int_equal(ct_queue_maxsize(NULL), CT_EINVAL);
    assert_true(ct_queue_empty(NULL));
    assert_false(ct_queue_full(NULL));
    assert_int_equal(ct_queue_task_done(NULL), CT_EINVAL);
    assert_int_equal(ct_queue_join(NULL, 0), CT_EINVAL);
    assert_int_equal(ct_queue_shutdown(NULL, true), CT_EINVAL);
    assert_false(ct_queue_is_shutdown(NULL));
    assert_int_equal(ct_queue_unfinished_tasks(NULL), CT_EINVAL);
    assert_int_equal(ct_queue_free(NULL), 0);
    ct_exception e;
    assert_null(ct_queue_new_opts(NULL));
    assert_null(ct_queue_new(.kind = (ct_queue_kind)9));
    assert_true(ct_exception_current(&e));
    assert_int_equal(e.code, CT_EINVAL);
    assert_null(ct_queue_new(.kind = CT_QUEUE_PRIORITY)); /* no compare */
    assert_null(ct_queue_new(.item_size = 65537));
    assert_null(ct_queue_new(.kind = CT_QUEUE_SIMPLE, .maxsize = 3));
    ct_exception_clear();
    ct_queue *q = ct_queue_new(.maxsize = -5); /* Python: unbounded */
    assert_non_null(q);
    assert_int_equal(ct_queue_maxsize(q), 0);
    assert_int_equal(ct_queue_get(q, NULL, 0), CT_EINVAL);
    assert_int_equal(ct_queue_put_copy(q, NULL, 0), CT_EINVAL);
    assert_int_equal(ct_queue_get_copy(q, NULL, 0), CT_EINVAL);
    /* a pointer queue's copy form moves the pointer itself */
    void *in = I(42);
    assert_int_equal(ct_queue_put_copy(q, &in, 0), 0);
    assert_int_equal(ct_queue_get(q, &x, 0), 0);
    assert_ptr_equal(x, in);
    ct_queue_free(q);
}

/* ---------------------------------------------------- allocation failure */

struct alloc_ctx {
    long maxsize;
    ct_queue_kind kind;
};

/* Create, put 40 items (an unbounded store grows twice), get them in
 * order, free. When an allocation fails, the items already queued must
 * all still be there, in order. */
static int alloc_run(void *p) {
    struct alloc_ctx *c = p;
    ct_queue *q = ct_queue_new(.maxsize = c->maxsize, .kind = c->kind,
                               .compare = cmp_int);
    if (!q) {
        ct_exception e;
        assert_true(ct_exception_current(&e));
        return e.code;
    }
    int rc = 0, n = 0;
    for (; n < 40; n++)
        if ((rc = ct_queue_put(q, I(n), 0)) != 0)
            break;
    if (rc)
        assert_int_equal(rc, CT_ENOMEM);
    assert_int_equal(ct_queue_qsize(q), n);
    for (int i = 0; i < n; i++) {
        void *x;
        assert_int_equal(ct_queue_get(q, &x, 0), 0);
        int want = c->kind == CT_QUEUE_LIFO ? n - 1 - i : i;
        assert_int_equal(V(x), want);
    }
    assert_int_equal(ct_queue_unfinished_tasks(q), n);
    ct_queue_free(q);
    return rc;
}

static void test_each_allocation_failure_is_enomem_and_loses_nothing(void **s) {
    (void)s;
    for (long maxsize = 0; maxsize <= 64; maxsize += 64) {
        struct alloc_ctx c = {maxsize, qt_kind};
        int sites = ct_test_alloc_failures(alloc_run, NULL, &c);
        assert_true(sites >= (maxsize || qt_kind != CT_QUEUE_FIFO ? 2 : 1));
    }
}

#define KIND_TESTS                                                             \
    cmocka_unit_test(test_basic),                                              \
        cmocka_unit_test(test_task_done_too_many_is_value_error),              \
        cmocka_unit_test(test_join_waits_for_every_task_done),                 \
        cmocka_unit_test(test_join_times_out_with_unfinished_tasks),           \
        cmocka_unit_test(test_task_done_wakes_every_joiner),                   \
        cmocka_unit_test(test_negative_timeout_is_value_error),                \
        cmocka_unit_test(test_negative_timeout_follows_python_order),          \
        cmocka_unit_test(test_nowait),                                         \
        cmocka_unit_test(test_full_queue_of_three),                            \
        cmocka_unit_test(test_by_value_items_are_copied),                      \
        cmocka_unit_test(test_null_is_a_valid_item),                           \
        cmocka_unit_test(test_blocked_getters_are_woken_in_fifo_order),        \
        cmocka_unit_test(test_blocked_putters_are_woken_in_fifo_order),        \
        cmocka_unit_test(test_timed_out_waiter_leaves_the_line),               \
        cmocka_unit_test(test_free_destroys_remaining_items),                  \
        cmocka_unit_test(test_free_with_a_blocked_thread_is_state_error),      \
        cmocka_unit_test(                                                      \
            test_each_allocation_failure_is_enomem_and_loses_nothing)

int main(void) {
    const struct CMUnitTest fifo[] = {KIND_TESTS};
    const struct CMUnitTest lifo[] = {KIND_TESTS};
    const struct CMUnitTest prio[] = {
        KIND_TESTS,
        cmocka_unit_test(test_priority_equal_items_leave_in_insertion_order)};
    const struct CMUnitTest misc[] = {
        cmocka_unit_test(test_bad_inputs_return_codes)};
    int rc = 0;
    rc |= cmocka_run_group_tests_name("Queue", fifo, qt_fifo, NULL);
    rc |= cmocka_run_group_tests_name("LifoQueue", lifo, qt_lifo, NULL);
    rc |= cmocka_run_group_tests_name("PriorityQueue", prio, qt_prio, NULL);
    rc |= cmocka_run_group_tests_name("misc", misc, NULL, NULL);
    return rc;
}
