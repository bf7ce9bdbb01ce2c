/* Stress: P producers x C consumers through small queues, every item
 * received exactly once (a per-item mark, the count and the sum), on raw
 * pthreads the library did not create (ct_stress_run). The size scales
 * with CT_STRESS: the default moves 200,000 items per configuration so
 * the TSan build finishes quickly; CT_STRESS=50 moves 10 million.
 * In the spirit of test_queue.py's test_many_threads(_nonblock/_timeout)
 * and the multi-producer/consumer shutdown case.
 * CT_TEST_TIMEOUT 300 */
#include <cthreading.h>

#include "qtest.h"
#include "stress.h"

struct run {
    ct_queue *q;
    int producers, consumers;
    long total;     /* items to move */
    double timeout; /* CT_FOREVER, or small: loop on FULL/EMPTY */
    bool by_value;
    int burst;          /* > 0: producers pause after every `burst` puts... */
    long gap_ns;        /* ...for this long, so that getters poll and park */
    int cburst;         /* > 0: consumers pause likewise (putters park) */
    long late;          /* > 0: all but the first producer and the first
                           consumer start once this many items were put */
    atomic_uchar *seen; /* seen[i]: times item i+1 was received */
    atomic_long received, sum, claimed, put_count;
};

struct rec {
    long id;
    long twice; /* 2 * id: checks the copy is whole */
    char pad[8];
};

static void put_item(struct run *r, long id) {
    int rc;
    do {
        if (r->by_value) {
            struct rec x = {id, 2 * id, {0}};
            rc = ct_queue_put_copy(r->q, &x, r->timeout);
        } else {
            rc = ct_queue_put(r->q, I(id), r->timeout);
        }
    } while (rc == CT_EFULL);
    assert_int_equal(rc, 0);
}

static long get_item(struct run *r) {
    int rc;
    long id;
    do {
        if (r->by_value) {
            struct rec x;
            rc = ct_queue_get_copy(r->q, &x, r->timeout);
            id = x.id;
            if (rc == 0)
                assert_int_equal(x.twice, 2 * x.id);
        } else {
            void *p;
            rc = ct_queue_get(r->q, &p, r->timeout);
            id = V(p);
        }
    } while (rc == CT_EEMPTY);
    assert_int_equal(rc, 0);
    return id;
}

static void body(void *ctx, int index) {
    struct run *r = ctx;
    if (r->late && index != 0 && index != r->producers)
        while (atomic_load(&r->put_count) < r->late)
            sched_yield(); /* the first ones own their sides by then */
    if (index < r->producers) {
        long k = 0;
        for (long i = index; i < r->total; i += r->producers) {
            put_item(r, i + 1);
            atomic_fetch_add_explicit(&r->put_count, 1, memory_order_relaxed);
            if (r->burst && ++k % r->burst == 0) {
                struct timespec gap = {0, r->gap_ns};
                nanosleep(&gap, NULL); /* shapes the load; not a sync */
            }
        }
        return;
    }
    /* Consumers claim one get each until `total` are claimed (a None
     * sentinel would come out early from a LIFO or priority queue); with
     * late joiners, each takes a fixed share, so that a late one cannot
     * find everything taken before it ran. */
    int c = index - r->producers;
    long share = r->total / r->consumers + (c < r->total % r->consumers);
    long n = 0, sum = 0;
    while (r->late ? n < share : atomic_fetch_add(&r->claimed, 1) < r->total) {
        long id = get_item(r);
        atomic_fetch_add_explicit(&r->seen[id - 1], 1, memory_order_relaxed);
        n++;
        sum += id;
        if (r->cburst && n % r->cburst == 0) {
            struct timespec gap = {0, r->gap_ns};
            nanosleep(&gap, NULL); /* shapes the load; not a sync */
        }
    }
    atomic_fetch_add(&r->received, n);
    atomic_fetch_add(&r->sum, sum);
}

/* A ring side after its threads are done: owned by one of them, shared
 * (MULTI, or SHARED without rseq), never left changing hands or untaken
 * (ring.c's "Owners"). */
static void assert_settled(uintptr_t o) {
    assert_true(o != 0 && o != CT__QREVOKING);
    if (!ct__rseq_ready())
        assert_true(o == CT__QSHARED);
    else
        assert_true(o != CT__QSHARED);
}

/* Runs `r` through a new queue and checks that every item arrived once
 * and that no thread is left counted as waiting or polling. */
static void run_and_check(struct run *r, ct_queue_kind kind, long maxsize) {
    long total = r->total;
    r->q = ct_queue_new(.maxsize = maxsize, .kind = kind, .compare = cmp_int,
                        .item_size = r->by_value ? sizeof(struct rec) : 0);
    assert_non_null(r->q);
    r->seen = calloc((size_t)total, 1);
    assert_non_null(r->seen);
    assert_int_equal(ct_stress_run(r->producers + r->consumers, body, r), 0);
    assert_int_equal(atomic_load(&r->received), total);
    assert_int_equal(atomic_load(&r->sum), total * (total + 1) / 2);
    for (long i = 0; i < total; i++)
        if (atomic_load(&r->seen[i]) != 1)
            fail_msg("item %ld received %d times", i + 1,
                     (int)atomic_load(&r->seen[i]));
    assert_int_equal(ct_queue_qsize(r->q), 0);
    assert_int_equal(atomic_load(&r->q->n_getwait), 0);
    assert_int_equal(atomic_load(&r->q->n_putwait), 0);
    assert_int_equal(atomic_load(&r->q->n_getspin), 0);
    if (r->q->is_ring) {
        assert_settled(atomic_load(&r->q->put_owner));
        assert_settled(atomic_load(&r->q->get_owner));
    }
    free(r->seen);
    ct_queue_free(r->q);
}

static void move_items(ct_queue_kind kind, long maxsize, int p, int c,
                       long total, double timeout, bool by_value) {
    run_and_check(&(struct run){.producers = p,
                                .consumers = c,
                                .total = total,
                                .timeout = timeout,
                                .by_value = by_value},
                  kind, maxsize);
}

/* 200,000 by default; CT_STRESS=50 gives 10,000,000 items. */
static long items(void) {
    return ct_stress_iters(200000);
}

static void test_ring_moves_every_item_exactly_once(void **s) {
    (void)s;
    static const int pc[][2] = {{1, 1}, {2, 2}, {4, 4}, {1, 4}, {4, 1}};
    for (size_t i = 0; i < sizeof pc / sizeof pc[0]; i++)
        move_items(CT_QUEUE_FIFO, 16, pc[i][0], pc[i][1], items(), CT_FOREVER,
                   false);
}

static void test_ring_of_two_slots_under_contention(void **s) {
    (void)s;
    move_items(CT_QUEUE_FIFO, 2, 3, 3, items() / 4, CT_FOREVER, false);
    move_items(CT_QUEUE_FIFO, 3, 3, 3, items() / 4, CT_FOREVER, false);
}

static void test_ring_by_value_items(void **s) {
    (void)s;
    move_items(CT_QUEUE_FIFO, 8, 3, 3, items() / 2, CT_FOREVER, true);
}

/* Each hot group of the queue starts a line of its own (internal.h). */
#define LINE_HEAD(f) (offsetof(struct ct_queue, f) % CT__LINE == 0)
_Static_assert(LINE_HEAD(enq) && LINE_HEAD(deq) && LINE_HEAD(n_getwait) &&
                   LINE_HEAD(done) && LINE_HEAD(mu) && LINE_HEAD(s_tail) &&
                   LINE_HEAD(get_yield_score),
               "a queue group does not start a cache line");

/* Rings long enough for the put's prefetch (ring.c): a cap that is not a
 * power of 2, pointer and 24-byte items, many laps through the wrap. The
 * slots are line-aligned and the distance is what ring.c promises (or 0
 * on a CPU without the instruction), below a quarter of the ring. */
static void check_prefetch_layout(long maxsize, size_t item_size,
                                  bool may_prefetch) {
    ct_queue *q = ct_queue_new(.maxsize = maxsize, .item_size = item_size);
    assert_non_null(q);
    assert_int_equal((uintptr_t)q->slots % CT__LINE, 0);
    assert_int_equal((uintptr_t)q % CT__LINE, 0); /* its _Alignas groups */
    uint64_t want = 192 / q->stride ? 192 / q->stride : 1;
    if (!may_prefetch)
        assert_int_equal(q->pf_ahead, 0);
    if (q->pf_ahead) {
        assert_int_equal(q->pf_ahead, want);
        assert_true(q->pf_ahead * 4 <= q->cap);
    }
    for (uint64_t i = 0; i < q->cap; i++) /* the index every put uses */
        assert_int_equal(ct__ring_prefetch_target(q, i),
                         (i + q->pf_ahead) % q->cap);
    ct_queue_free(q);
}

/* The prefetch stands down while the ring runs full (ring.c): a putter
 * that had to wait sets full_seen, a getter that had to wait clears it. */
static void test_prefetch_stands_down_while_full(void **s) {
    (void)s;
    ct_queue *q = ct_queue_new(.maxsize = 100);
    assert_non_null(q);
    for (long i = 0; i < 100; i++)
        assert_int_equal(ct_queue_put(q, I(i + 1), 0), 0);
    assert_false(atomic_load(&q->full_seen));
    assert_int_equal(ct_queue_put(q, I(101), 0.001), CT_EFULL);
    assert_true(atomic_load(&q->full_seen));
    void *x;
    for (long i = 0; i < 100; i++)
        assert_int_equal(ct_queue_get(q, &x, 0), 0);
    assert_true(atomic_load(&q->full_seen)); /* nobody waited on empty */
    assert_int_equal(ct_queue_get(q, &x, 0.001), CT_EEMPTY);
    assert_false(atomic_load(&q->full_seen));
    ct_queue_free(q);
}

static void test_ring_with_prefetch(void **s) {
    (void)s;
    check_prefetch_layout(100, 0, true);
    check_prefetch_layout(100, sizeof(struct rec), true);
    check_prefetch_layout(1024, 0, true);
    check_prefetch_layout(47, 0, false);   /* < 4 x 12 slots */
    check_prefetch_layout(3, 4096, false); /* 1 slot ahead, but 3 < 4 */
    move_items(CT_QUEUE_FIFO, 100, 2, 2, items() / 2, CT_FOREVER, false);
    move_items(CT_QUEUE_FIFO, 100, 2, 2, items() / 4, CT_FOREVER, true);
    move_items(CT_QUEUE_FIFO, 1024, 1, 1, items() / 2, CT_FOREVER, false);
}

/* Runs every (producers, consumers) pair of `pc` with bursts of 1, 7 and
 * 64 operations, then a pause of 20 us: by the producers (consumers
 * false) or by the consumers (true). */
static void run_bursts(const int (*pc)[2], size_t n, bool consumers, long total,
                       long maxsize) {
    static const int burst[] = {1, 7, 64};
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < sizeof burst / sizeof burst[0]; b++)
            run_and_check(&(struct run){.producers = pc[i][0],
                                        .consumers = pc[i][1],
                                        .total = total,
                                        .timeout = CT_FOREVER,
                                        .burst = consumers ? 0 : burst[b],
                                        .cburst = consumers ? burst[b] : 0,
                                        .gap_ns = 20000},
                          CT_QUEUE_FIFO, maxsize);
}

/* Producers that pause between bursts of puts keep getters going back
 * and forth between polling (a put then makes no wake-up call), waiting
 * for runs, yielding and parking: a wake-up lost between them would
 * leave a getter parked with items in the ring, and the run would hang
 * until the test's timeout. Rings of 1,024 slots, where getters learn
 * to wait for runs; 1 and 2 producers (several putters yield). */
static void test_ring_bursts_reach_parked_getters(void **s) {
    (void)s;
    static const int pc[][2] = {{1, 4}, {2, 4}, {1, 1}};
    run_bursts(pc, sizeof pc / sizeof pc[0], false, items() / 40, 1024);
}

/* Consumers that pause between bursts of gets keep the ring full and
 * the putters parking, woken by gets: the mirror of the case above, with
 * one consumer (the getters' side has an owner, whose claim is a plain
 * store: ring.c's "Owners") and 1 or 3 producers. */
static void test_ring_bursty_consumer_reaches_parked_putters(void **s) {
    (void)s;
    static const int pc[][2] = {{1, 1}, {3, 1}, {3, 2}};
    run_bursts(pc, sizeof pc / sizeof pc[0], true, items() / 80, 64);
}

/* Owners: a side is owned by the thread that uses it; another thread
 * takes it over when that ownership lasted (here: the test thread after
 * the producer's and consumer's runs); one that comes back at once finds
 * the side MULTI (every claim a CAS); a MULTI side is taken again by a
 * claimer at a try position; shutdown makes both sides SHARED for good. */
static void *put_one(void *q) {
    assert_int_equal(ct_queue_put(q, I(7), 0), 0);
    return NULL;
}

/* The owner states one thread after another (with rseq), after a
 * producer and a consumer moved `moved` items through q. */
static void sides_change_hands(ct_queue *q, long moved) {
    assert_true(atomic_load(&q->put_owner) > CT__QSHARED);
    assert_true(atomic_load(&q->get_owner) > CT__QSHARED);
    assert_true(atomic_load(&q->put_owner) != atomic_load(&q->get_owner));
    assert_true(moved >= 4 * ct__ring_own_early);
    /* their ownerships lasted: this thread takes both sides over */
    uintptr_t me = (uintptr_t)pthread_self();
    void *x;
    assert_int_equal(ct_queue_put(q, I(1), 0), 0);
    assert_int_equal(ct_queue_get(q, &x, 0), 0);
    assert_int_equal(V(x), 1);
    assert_int_equal(atomic_load(&q->put_owner), me);
    assert_int_equal(atomic_load(&q->get_owner), me);
    /* another putter right after: this one's lasted one put, MULTI */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, put_one, q), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(atomic_load(&q->put_owner), CT__QMULTI);
    assert_int_equal(ct_queue_get(q, &x, 0), 0);
    assert_int_equal(V(x), 7);
    /* a claimer at a try position (every 2^(TRY_MIN + 1) while MULTI
     * after an early end) takes it again */
    uint64_t mask = atomic_load(&q->put_try);
    assert_int_equal(mask, (UINT64_C(1) << (ct__ring_try_min + 1)) - 1);
    long n = 0;
    while (atomic_load(&q->put_owner) == CT__QMULTI) {
        assert_true(n++ <= (long)mask + 1);
        assert_int_equal(ct_queue_put(q, I(1), 0), 0);
        assert_int_equal(ct_queue_get(q, &x, 0), 0);
    }
    assert_int_equal(atomic_load(&q->put_owner), me);
    assert_int_equal(ct_queue_qsize(q), 0);
    assert_int_equal(ct_queue_shutdown(q, false), 0);
    assert_int_equal(atomic_load(&q->put_owner), CT__QSHARED);
    assert_int_equal(atomic_load(&q->get_owner), CT__QSHARED);
}

static void test_ring_sides_change_hands(void **s) {
    (void)s;
    struct run one = {.producers = 1,
                      .consumers = 1,
                      .total = items() / 4,
                      .timeout = CT_FOREVER};
    one.q = ct_queue_new(.maxsize = 16);
    assert_non_null(one.q);
    ct_queue *q = one.q;
    one.seen = calloc((size_t)one.total, 1);
    assert_non_null(one.seen);
    assert_int_equal(ct_stress_run(2, body, &one), 0);
    assert_int_equal(atomic_load(&one.received), one.total);
    free(one.seen);
    qt_check_norseq();
    if (ct__rseq_ready()) {
        sides_change_hands(q, one.total);
    } else {
        assert_int_equal(atomic_load(&q->put_owner), CT__QSHARED);
        assert_int_equal(atomic_load(&q->get_owner), CT__QSHARED);
    }
    ct_queue_free(q);
    /* late joiners take the sides in the middle of traffic; every item
     * still arrives exactly once */
    static const int pc[][2] = {{2, 1}, {1, 2}, {3, 3}};
    for (size_t i = 0; i < sizeof pc / sizeof pc[0]; i++) {
        for (long maxsize = 2; maxsize <= 64; maxsize *= 32) {
            struct run r = {.producers = pc[i][0],
                            .consumers = pc[i][1],
                            .total = items() / 4,
                            .timeout = CT_FOREVER,
                            .late = items() / 40};
            run_and_check(&r, CT_QUEUE_FIFO, maxsize);
        }
    }
}

/* A thread that owns a side and then loses its rseq registration (a
 * tool may unregister glibc's area): its sections fail, and its next put
 * makes the side SHARED instead of looping; the items still flow. */
#if CT__HAVE_RSEQ
#include <sys/syscall.h>
#include <unistd.h>

static void *put_then_unregister(void *p) {
    ct_queue *q = p;
    assert_int_equal(ct_queue_put(q, I(1), 0), 0);
    assert_int_equal(atomic_load(&q->put_owner), (uintptr_t)pthread_self());
    char *tp;
    __asm__("movq %%fs:0, %0" : "=r"(tp));
    void *area = tp + __rseq_offset;
    /* the length glibc registered: the whole struct (32), or its size */
    if (syscall(SYS_rseq, area, 32, 1 /* RSEQ_FLAG_UNREGISTER */, RSEQ_SIG) &&
        syscall(SYS_rseq, area, __rseq_size, 1, RSEQ_SIG))
        return (void *)1; /* could not: nothing to test */
    assert_false(ct__rseq_self_ok());
    assert_int_equal(ct_queue_put(q, I(2), 0), 0);
    assert_int_equal(atomic_load(&q->put_owner), CT__QSHARED);
    return NULL;
}
#endif

static void test_ring_owner_without_rseq_goes_shared(void **s) {
    (void)s;
    if (!ct__rseq_ready())
        skip();
#if CT__HAVE_RSEQ
    ct_queue *q = ct_queue_new(.maxsize = 8);
    assert_non_null(q);
    pthread_t t;
    void *r;
    assert_int_equal(pthread_create(&t, NULL, put_then_unregister, q), 0);
    assert_int_equal(pthread_join(t, &r), 0);
    if (r)
        skip();
    void *x;
    for (long i = 1; i <= 2; i++) {
        assert_int_equal(ct_queue_get(q, &x, 0), 0);
        assert_int_equal(V(x), i);
    }
    assert_int_equal(ct_queue_put(q, I(3), 0), 0);
    assert_int_equal(ct_queue_get(q, &x, 0), 0);
    assert_int_equal(V(x), 3);
    assert_int_equal(ct_queue_free(q), 0);
#endif
}

/* The same traffic with the sides changing hands every few positions
 * (a try every 2nd position, an ownership shorter than 4 positions
 * counting as early): every change runs the rseq fence while claims of
 * the old form are in flight; nothing may be lost or taken twice. Half
 * the runs copy items by value with 1 ms timeouts (the timed slow paths;
 * not _nowait, whose busy loops on one CPU move a couple of items per
 * time slice: over 300 s pinned to one CPU). */
static void test_ring_sides_change_hands_often(void **s) {
    (void)s;
    int try_min = ct__ring_try_min;
    long own_early = ct__ring_own_early;
    ct__ring_try_min = 1;
    ct__ring_own_early = 4;
    long changes = atomic_load(&ct__ring_changes);
    static const int pc[][2] = {{1, 1}, {2, 2}, {3, 1}, {1, 3}, {4, 4}};
    for (size_t i = 0; i < sizeof pc / sizeof pc[0]; i++) {
        for (long maxsize = 2; maxsize <= 64; maxsize *= 32) {
            for (int v = 0; v < 2; v++) {
                struct run r = {.producers = pc[i][0],
                                .consumers = pc[i][1],
                                .total = items() / 8,
                                .timeout = v ? 0.001 : CT_FOREVER,
                                .by_value = v};
                run_and_check(&r, CT_QUEUE_FIFO, maxsize);
            }
        }
    }
    ct__ring_try_min = try_min;
    ct__ring_own_early = own_early;
    /* the sides did change hands, many times (36,000 in a run here) */
    qt_check_norseq();
    if (ct__rseq_ready())
        assert_true(atomic_load(&ct__ring_changes) - changes > 100);
    else
        assert_int_equal(atomic_load(&ct__ring_changes), changes);
}

struct timed_get {
    ct_queue *q;
    int rc;
    double took; /* seconds */
};

static void *timed_get_main(void *p) {
    struct timed_get *g = p;
    void *item;
    double t0 = ct_monotonic();
    g->rc = ct_queue_get(g->q, &item, 3.0);
    g->took = ct_monotonic() - t0;
    return NULL;
}

/* A put makes no wake-up call while a getter polls the ring; that
 * getter must then hand what it did not take to a parked getter as it
 * stops polling. Getter A parks; getter B starts polling; two puts land
 * while B polls (neither wakes A); B takes one and returns. A must be
 * woken for the other at once, not find it when its 3 s timeout runs
 * out. The two puts do not always land inside B's poll, so the round is
 * repeated. */
static void test_polling_getter_hands_leftover_to_parked_one(void **s) {
    (void)s;
    qt_kind = CT_QUEUE_FIFO;
    for (int round = 0; round < 200; round++) {
        ct_queue *q = mk(1024);
        struct timed_get a = {.q = q}, b = {.q = q};
        pthread_t ta = spawn(timed_get_main, &a);
        wait_getters_asleep(q, 1);
        pthread_t tb = spawn(timed_get_main, &b);
        while (!atomic_load(&q->n_getspin) && atomic_load(&q->n_getwait) < 2)
            ; /* B polls on the other core, or has parked too */
        assert_int_equal(ct_queue_put(q, I(1), CT_FOREVER), 0);
        assert_int_equal(ct_queue_put(q, I(2), CT_FOREVER), 0);
        join_thread(tb);
        join_thread(ta);
        assert_int_equal(a.rc, 0);
        assert_int_equal(b.rc, 0);
        if (a.took > 1.5)
            fail_msg("round %d: the parked getter waited %.2f s", round,
                     a.took);
        ct_queue_free(q);
    }
}

/* test_many_threads_timeout: gets and puts with short timeouts. */
static void test_ring_with_timeouts(void **s) {
    (void)s;
    move_items(CT_QUEUE_FIFO, 4, 3, 3, items() / 4, 0.001, false);
}

/* test_many_threads_nonblock: _nowait in a loop. */
static void test_ring_nowait(void **s) {
    (void)s;
    move_items(CT_QUEUE_FIFO, 8, 2, 2, items() / 4, 0, false);
}

static void test_store_kinds_move_every_item_exactly_once(void **s) {
    (void)s;
    long n = items() / 4;
    move_items(CT_QUEUE_FIFO, 0, 3, 3, n, CT_FOREVER, false);
    move_items(CT_QUEUE_FIFO, 1, 2, 2, n / 4, CT_FOREVER, false);
    move_items(CT_QUEUE_LIFO, 8, 3, 3, n, CT_FOREVER, false);
    move_items(CT_QUEUE_PRIORITY, 8, 3, 3, n, CT_FOREVER, false);
    move_items(CT_QUEUE_SIMPLE, 0, 3, 3, n, CT_FOREVER, false);
    move_items(CT_QUEUE_LIFO, 8, 2, 2, n / 2, 0.001, true);
}

/* Shutdown in the middle of traffic: every put that succeeded is either
 * received by a get or passed to the destructor, exactly once. */
struct shut_run {
    ct_queue *q;
    int producers, consumers;
    bool outsider; /* a thread of its own shuts down (else a consumer) */
    bool immediate;
    long stop_after;
    atomic_long put_ok, got, destroyed, next;
};

static struct shut_run *shut_ctx;

static void shut_destroy(void *item) {
    (void)item;
    atomic_fetch_add(&shut_ctx->destroyed, 1);
}

static void shut_body(void *ctx, int index) {
    struct shut_run *r = ctx;
    if (index < r->producers) {
        for (;;) {
            long id = atomic_fetch_add(&r->next, 1) + 1;
            int rc = ct_queue_put(r->q, I(id), CT_FOREVER);
            if (rc == CT_ESHUTDOWN)
                return;
            assert_int_equal(rc, 0);
            atomic_fetch_add(&r->put_ok, 1);
        }
    }
    if (index == r->producers + r->consumers) { /* the outsider */
        while (atomic_load(&r->got) < r->stop_after)
            sched_yield();
        assert_int_equal(ct_queue_shutdown(r->q, r->immediate), 0);
        return;
    }
    for (;;) {
        void *p;
        int rc = ct_queue_get(r->q, &p, CT_FOREVER);
        if (rc == CT_ESHUTDOWN)
            return;
        assert_int_equal(rc, 0);
        if (atomic_fetch_add(&r->got, 1) + 1 == r->stop_after && !r->outsider)
            ct_queue_shutdown(r->q, r->immediate);
    }
}

/* Runs `r` (shut_body's producers, consumers and maybe an outsider)
 * through a new queue of `maxsize` and checks that every put that
 * succeeded was received or destroyed, exactly once, and that the queue
 * is shut for good: both ring sides SHARED (their owner's plain claims
 * ended before the shutdown bit), puts failing. */
static void shut_and_check(struct shut_run *r, long maxsize) {
    shut_ctx = r;
    r->q = ct_queue_new(.maxsize = maxsize, .destructor = shut_destroy);
    assert_non_null(r->q);
    int n = r->producers + r->consumers + (r->outsider ? 1 : 0);
    assert_int_equal(ct_stress_run(n, shut_body, r), 0);
    long put = atomic_load(&r->put_ok), got = atomic_load(&r->got);
    long gone = atomic_load(&r->destroyed);
    assert_int_equal(put, got + gone);
    if (!r->immediate)
        assert_int_equal(gone, 0);
    if (r->q->is_ring) {
        assert_int_equal(atomic_load(&r->q->put_owner), CT__QSHARED);
        assert_int_equal(atomic_load(&r->q->get_owner), CT__QSHARED);
    }
    assert_int_equal(ct_queue_put(r->q, I(1), 0), CT_ESHUTDOWN);
    assert_int_equal(ct_queue_qsize(r->q), 0);
    assert_int_equal(ct_queue_free(r->q), 0);
    assert_int_equal(atomic_load(&r->destroyed), gone);
}

static void test_shutdown_under_traffic_loses_nothing(void **s) {
    (void)s;
    for (int imm = 0; imm < 2; imm++)
        for (long maxsize = 0; maxsize <= 8; maxsize += 8)
            shut_and_check(&(struct shut_run){.producers = 3,
                                              .consumers = 3,
                                              .immediate = imm,
                                              .stop_after = items() / 10},
                           maxsize);
}

/* The same with one producer and one consumer (both sides owned: their
 * claims are plain stores) and a third thread that shuts down: the
 * shutdown ends the ownership while the owners are busy, before its bit
 * is set (a plain store could erase it) and before an immediate one
 * drains. Rings of 2 and 64 slots, 20 rounds each: the shutdown lands at
 * different points of a put or get. */
static void test_shutdown_of_owned_sides_loses_nothing(void **s) {
    (void)s;
    for (int round = 0; round < 20; round++)
        for (int imm = 0; imm < 2; imm++)
            for (long maxsize = 2; maxsize <= 64; maxsize *= 32)
                shut_and_check(&(struct shut_run){.producers = 1,
                                                  .consumers = 1,
                                                  .outsider = true,
                                                  .immediate = imm,
                                                  .stop_after = items() / 200},
                               maxsize);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_moves_every_item_exactly_once),
        cmocka_unit_test(test_ring_of_two_slots_under_contention),
        cmocka_unit_test(test_ring_by_value_items),
        cmocka_unit_test(test_ring_with_prefetch),
        cmocka_unit_test(test_prefetch_stands_down_while_full),
        cmocka_unit_test(test_ring_bursts_reach_parked_getters),
        cmocka_unit_test(test_ring_bursty_consumer_reaches_parked_putters),
        cmocka_unit_test(test_ring_sides_change_hands),
        cmocka_unit_test(test_ring_sides_change_hands_often),
        cmocka_unit_test(test_ring_owner_without_rseq_goes_shared),
        cmocka_unit_test(test_polling_getter_hands_leftover_to_parked_one),
        cmocka_unit_test(test_ring_with_timeouts),
        cmocka_unit_test(test_ring_nowait),
        cmocka_unit_test(test_store_kinds_move_every_item_exactly_once),
        cmocka_unit_test(test_shutdown_under_traffic_loses_nothing),
        cmocka_unit_test(test_shutdown_of_owned_sides_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
