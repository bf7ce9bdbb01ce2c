/* SimpleQueue: ports of CPython's test_queue.py BaseSimpleQueueTest
 * (test_basic, test_negative_timeout_raises_exception, test_order,
 * test_many_threads, test_many_threads_nonblock, test_many_threads_timeout)
 * and of CSimpleQueueTest.test_reentrancy's intent (a put from a
 * thread-local destructor), plus what a SimpleQueue does not have.
 * CT_TEST_TIMEOUT 120 */
#include <cthreading.h>

#include "allocfail.h"
#include "qtest.h"
#include "stress.h"

static ct_queue *simple(void) {
    ct_queue *q = ct_queue_new(.kind = CT_QUEUE_SIMPLE);
    assert_non_null(q);
    return q;
}

static void expect_get(ct_queue *q, intptr_t want, double timeout) {
    void *x;
    assert_int_equal(ct_queue_get(q, &x, timeout), 0);
    assert_int_equal(V(x), want);
}

/* test_basic */
static void test_basic(void **s) {
    (void)s;
    ct_queue *q = simple();
    assert_true(ct_queue_empty(q));
    assert_int_equal(ct_queue_qsize(q), 0);
    ct_queue_put(q, I(1), CT_FOREVER);
    assert_false(ct_queue_empty(q));
    assert_int_equal(ct_queue_qsize(q), 1);
    ct_queue_put(q, I(2), CT_FOREVER);
    ct_queue_put_nowait(q, I(3));
    ct_queue_put(q, I(4), CT_FOREVER);
    assert_int_equal(ct_queue_qsize(q), 4);
    expect_get(q, 1, CT_FOREVER);
    assert_int_equal(ct_queue_qsize(q), 3);
    void *x;
    assert_int_equal(ct_queue_get_nowait(q, &x), 0);
    assert_int_equal(V(x), 2);
    expect_get(q, 3, 0);
    assert_int_equal(ct_queue_qsize(q), 1);
    expect_get(q, 4, 0.1);
    assert_true(ct_queue_empty(q));
    assert_int_equal(ct_queue_get(q, &x, 0), CT_EEMPTY);
    assert_int_equal(ct_queue_get(q, &x, 1e-3), CT_EEMPTY);
    assert_int_equal(ct_queue_get_nowait(q, &x), CT_EEMPTY);
    assert_int_equal(ct_queue_qsize(q), 0);
    assert_false(ct_queue_full(q));
    ct_queue_free(q);
}

/* test_negative_timeout_raises_exception */
static void test_negative_timeout_is_value_error(void **s) {
    (void)s;
    ct_queue *q = simple();
    ct_queue_put(q, I(1), CT_FOREVER);
    void *x;
    assert_int_equal(ct_queue_get(q, &x, -1), CT_EVALUE);
    assert_int_equal(ct_queue_get(q, &x, NAN), CT_EINVAL);
    /* SimpleQueue.put ignores its timeout: it never blocks */
    assert_int_equal(ct_queue_put(q, I(2), -1), 0);
    assert_int_equal(ct_queue_qsize(q), 2);
    ct_queue_free(q);
}

/* No task tracking and no shutdown, as in Python's SimpleQueue. */
static void test_task_done_join_shutdown_are_not_supported(void **s) {
    (void)s;
    ct_queue *q = simple();
    assert_int_equal(ct_queue_task_done(q), CT_EINVAL);
    assert_int_equal(ct_queue_join(q, 0), CT_EINVAL);
    assert_int_equal(ct_queue_shutdown(q, false), CT_EINVAL);
    assert_int_equal(ct_queue_unfinished_tasks(q), CT_EINVAL);
    assert_false(ct_queue_is_shutdown(q));
    assert_int_equal(ct_queue_maxsize(q), 0);
    ct_queue_free(q);
    assert_null(ct_queue_new(.kind = CT_QUEUE_SIMPLE, .maxsize = 1));
}

/* run_threads(): n feeders pop from a shared input list and put, then
 * each puts the sentinel (NULL; items are value + 1); n consumers get
 * until the sentinel with `mode`: 0 blocking, 1 nowait, 2 timeout. */
struct feed {
    ct_queue *q;
    long n_inputs;
    atomic_long next; /* the shared input list, consumed from 0 */
    atomic_long n_results;
    long *results;
    int mode;
};

static void *feeder(void *p) {
    struct feed *f = p;
    for (;;) {
        long i = atomic_fetch_add(&f->next, 1);
        if (i >= f->n_inputs) {
            assert_int_equal(ct_queue_put(f->q, NULL, CT_FOREVER), 0);
            return NULL;
        }
        assert_int_equal(ct_queue_put(f->q, I(i + 1), CT_FOREVER), 0);
        if (i % 7 == 0)
            sched_yield(); /* Python's random short sleeps: interleave */
    }
}

static void *consumer(void *p) {
    struct feed *f = p;
    for (;;) {
        void *x;
        int rc;
        if (f->mode == 0)
            rc = ct_queue_get(f->q, &x, CT_FOREVER);
        else if (f->mode == 1)
            while ((rc = ct_queue_get_nowait(f->q, &x)) == CT_EEMPTY)
                sched_yield();
        else
            while ((rc = ct_queue_get(f->q, &x, 1e-5)) == CT_EEMPTY)
                ;
        assert_int_equal(rc, 0);
        if (!x)
            return NULL;
        f->results[atomic_fetch_add(&f->n_results, 1)] = V(x) - 1;
    }
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void run_threads(int n, long n_inputs, int mode, bool ordered) {
    struct feed f = {.q = simple(), .n_inputs = n_inputs, .mode = mode};
    f.results = calloc((size_t)n_inputs, sizeof(long));
    pthread_t *t = calloc((size_t)n * 2, sizeof *t);
    for (int i = 0; i < n; i++) {
        t[i] = spawn(feeder, &f);
        t[n + i] = spawn(consumer, &f);
    }
    for (int i = 0; i < 2 * n; i++)
        join_thread(t[i]);
    assert_true(ct_queue_empty(f.q));
    assert_int_equal(ct_queue_qsize(f.q), 0);
    assert_int_equal(atomic_load(&f.n_results), n_inputs);
    if (!ordered)
        qsort(f.results, (size_t)n_inputs, sizeof(long), cmp_long);
    for (long i = 0; i < n_inputs; i++)
        assert_int_equal(f.results[i], i);
    free(t);
    free(f.results);
    ct_queue_free(f.q);
}

/* test_order: one producer, one consumer: results in input order. */
static void test_order(void **s) {
    (void)s;
    run_threads(1, 100, 0, true);
}

static void test_many_threads(void **s) {
    (void)s;
    run_threads(50, 10000, 0, false);
}

static void test_many_threads_nonblock(void **s) {
    (void)s;
    run_threads(50, 10000, 1, false);
}

static void test_many_threads_timeout(void **s) {
    (void)s;
    run_threads(50, 1000, 2, false);
}

/* test_reentrancy's intent: put is safe from a thread-local destructor
 * (the queue calls no user code under its lock). */
static ct_queue *tls_q;
static pthread_key_t key;

static void tls_destructor(void *value) {
    assert_int_equal(ct_queue_put(tls_q, value, CT_FOREVER), 0);
}

static void *tls_thread(void *p) {
    pthread_setspecific(key, p);
    return NULL;
}

static void test_put_from_thread_local_destructor(void **s) {
    (void)s;
    tls_q = simple();
    assert_int_equal(pthread_key_create(&key, tls_destructor), 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        t[i] = spawn(tls_thread, I(i + 1));
    long sum = 0;
    for (int i = 0; i < 4; i++) {
        void *x;
        assert_int_equal(ct_queue_get(tls_q, &x, CT_FOREVER), 0);
        sum += V(x);
    }
    for (int i = 0; i < 4; i++)
        join_thread(t[i]);
    assert_int_equal(sum, 1 + 2 + 3 + 4);
    pthread_key_delete(key);
    ct_queue_free(tls_q);
}

/* Unbounded: grows in chunks; 100,000 puts never block. */
static void test_put_never_blocks_and_grows_in_chunks(void **s) {
    (void)s;
    ct_queue *q = simple();
    for (long i = 0; i < 100000; i++)
        assert_int_equal(ct_queue_put(q, I(i), 0), 0);
    assert_int_equal(ct_queue_qsize(q), 100000);
    for (long i = 0; i < 100000; i++)
        expect_get(q, i, 0);
    ct_queue_free(q);
}

/* Every allocation site (creation, each new segment) fails cleanly:
 * CT_ENOMEM, the items already queued intact and in order, no leak. */
static int alloc_run(void *ctx) {
    (void)ctx;
    ct_queue *q = ct_queue_new(.kind = CT_QUEUE_SIMPLE);
    if (!q) {
        ct_exception e;
        assert_true(ct_exception_current(&e));
        return e.code;
    }
    int rc = 0, n = 0;
    for (; n < 300; n++)
        if ((rc = ct_queue_put(q, I(n), 0)) != 0)
            break;
    if (rc)
        assert_int_equal(rc, CT_ENOMEM);
    assert_int_equal(ct_queue_qsize(q), n);
    for (int i = 0; i < n; i++)
        expect_get(q, i, 0);
    assert_int_equal(ct_queue_free(q), 0);
    return rc;
}

static void test_each_allocation_failure_is_enomem_and_loses_nothing(void **s) {
    (void)s;
    assert_true(ct_test_alloc_failures(alloc_run, NULL, NULL) >= 3);
}

/* Steady state recycles segments: no allocation once warmed up. */
static atomic_long allocs;
static void *count_alloc(void *c, size_t n) {
    (void)c;
    atomic_fetch_add(&allocs, 1);
    return malloc(n);
}
static void *count_realloc(void *c, void *p, size_t n) {
    (void)c;
    atomic_fetch_add(&allocs, 1);
    return realloc(p, n);
}
static void count_free(void *c, void *p) {
    (void)c;
    free(p);
}

static void test_steady_state_does_not_allocate(void **s) {
    (void)s;
    ct_allocator a = {count_alloc, count_realloc, count_free, NULL};
    assert_int_equal(ct_set_allocator(&a), 0);
    ct_queue *q = simple();
    void *x;
    for (long i = 0; i < 2000; i++) { /* warm up: 200 in flight */
        ct_queue_put(q, I(i), 0);
        if (i >= 200)
            ct_queue_get(q, &x, 0);
    }
    long before = atomic_load(&allocs);
    for (long i = 0; i < 100000; i++) {
        ct_queue_put(q, I(i), 0);
        ct_queue_get(q, &x, 0);
    }
    assert_int_equal(atomic_load(&allocs), before);
    ct_queue_free(q);
    ct_set_allocator(NULL);
}

/* Producers and consumers hammering segment turnover (reclamation). */
struct hammer {
    ct_queue *q;
    long per;
    atomic_long sum, got;
};

static void hammer_body(void *ctx, int index) {
    struct hammer *h = ctx;
    if (index < 4) {
        for (long i = 0; i < h->per; i++)
            assert_int_equal(ct_queue_put(h->q, I(index * h->per + i + 1), 0),
                             0);
        return;
    }
    long s = 0;
    for (long i = 0; i < h->per; i++) {
        void *x;
        assert_int_equal(ct_queue_get(h->q, &x, CT_FOREVER), 0);
        s += V(x);
    }
    atomic_fetch_add(&h->sum, s);
}

static void test_many_producers_and_consumers_through_segments(void **s) {
    (void)s;
    struct hammer h = {.q = simple(), .per = ct_stress_iters(50000)};
    assert_int_equal(ct_stress_run(8, hammer_body, &h), 0);
    long n = 4 * h.per;
    assert_int_equal(atomic_load(&h.sum), n * (n + 1) / 2);
    assert_int_equal(ct_queue_qsize(h.q), 0);
    assert_int_equal(ct_queue_free(h.q), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_negative_timeout_is_value_error),
        cmocka_unit_test(test_task_done_join_shutdown_are_not_supported),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_many_threads),
        cmocka_unit_test(test_many_threads_nonblock),
        cmocka_unit_test(test_many_threads_timeout),
        cmocka_unit_test(test_put_from_thread_local_destructor),
        cmocka_unit_test(test_put_never_blocks_and_grows_in_chunks),
        cmocka_unit_test(
            test_each_allocation_failure_is_enomem_and_loses_nothing),
        cmocka_unit_test(test_steady_state_does_not_allocate),
        cmocka_unit_test(test_many_producers_and_consumers_through_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
