/* Tour, level 5: thread communication with queues (Python's queue). */
#include "tour.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define I(x) ((void *)(intptr_t)(x))

static int cmp_int(const void *a, const void *b) {
    intptr_t x = (intptr_t)a, y = (intptr_t)b;
    return (x > y) - (x < y);
}

/* ---- throughput: P producers, P consumers, one bounded queue */
struct flow {
    ct_queue *q;
    long n;
    int p;
    atomic_long sum;
};

static int producer(void *arg) {
    struct flow *f = *(struct flow **)arg;
    for (long i = 0; i < f->n; i++)
        ct_queue_put(f->q, I(i + 1), CT_FOREVER);
    return 0;
}

static int consumer(void *arg) {
    struct flow *f = *(struct flow **)arg;
    long s = 0;
    for (long i = 0; i < f->n; i++) {
        void *x;
        ct_queue_get(f->q, &x, CT_FOREVER);
        s += (intptr_t)x;
    }
    atomic_fetch_add(&f->sum, s);
    return 0;
}

/* ---- hand-off latency: ping-pong between two queues */
struct pp {
    ct_queue *ping, *pong;
    long rounds;
};

static int ponger(void *arg) {
    struct pp *p = arg;
    for (long i = 0; i < p->rounds; i++) {
        void *x;
        ct_queue_get(p->ping, &x, CT_FOREVER);
        ct_queue_put(p->pong, x, CT_FOREVER);
    }
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- shutdown wakes blocked getters */
static int blocked_getter(void *arg) {
    void *x;
    return ct_queue_get(arg, &x, CT_FOREVER) == CT_ESHUTDOWN ? 0 : 1;
}

int tour_queue(bool quick) {
    int bad = 0;

    TOUR_STEP("queue", "Queue, LifoQueue, PriorityQueue: same puts, own order");
    static const char *names[] = {"Queue", "LifoQueue", "PriorityQueue"};
    for (int k = 0; k < 3; k++) {
        ct_queue *q =
            ct_queue_new(.kind = (ct_queue_kind)k, .compare = cmp_int);
        ct_queue_put(q, I(111), 0);
        ct_queue_put(q, I(333), 0);
        ct_queue_put(q, I(222), 0);
        printf("   %-13s put 111 333 222 -> get", names[k]);
        for (int i = 0; i < 3; i++) {
            void *x;
            TOUR_FAIL_IF(bad, ct_queue_get(q, &x, 0) != 0);
            printf(" %d", (int)(intptr_t)x);
        }
        printf("\n");
        ct_queue_free(q);
    }
    ct_queue *q = ct_queue_new(.maxsize = 2);
    void *x;
    ct_queue_put(q, I(1), 0);
    ct_queue_put(q, I(2), 0);
    int full = ct_queue_put_nowait(q, I(3));
    double t0 = ct_monotonic();
    int timed = ct_queue_put(q, I(3), 0.02);
    double waited = ct_monotonic() - t0;
    printf("   maxsize=2 full: put_nowait -> %s, put(timeout=0.02) -> %s "
           "after %.1f ms\n",
           ct_errname(full), ct_errname(timed), waited * 1e3);
    TOUR_FAIL_IF(bad, full != CT_EFULL || timed != CT_EFULL || waited < 0.02);
    ct_queue_get(q, &x, 0);
    ct_queue_get(q, &x, 0);
    int empty = ct_queue_get(q, &x, 0);
    printf("   empty: get_nowait -> %s; get(timeout=-1) -> %s\n",
           ct_errname(empty), ct_errname(ct_queue_get(q, &x, -1)));
    TOUR_FAIL_IF(bad, empty != CT_EEMPTY);
    ct_queue_free(q);

    TOUR_STEP("queue", "producers and consumers through 1,024 slots");
    int pcs[] = {1, 2, 4};
    for (int k = 0; k < 3; k++) {
        struct flow f = {.n = quick ? 50000 : 500000, .p = pcs[k]};
        struct flow *fp = &f;
        f.q = ct_queue_new(.maxsize = 1024);
        ct_thread *t[8];
        t0 = ct_monotonic();
        for (int i = 0; i < 2 * f.p; i++) {
            t[i] = ct_thread_new_copy(i < f.p ? producer : consumer, &fp,
                                      sizeof fp);
            ct_thread_start(t[i]);
        }
        for (int i = 0; i < 2 * f.p; i++) {
            ct_thread_join(t[i], CT_FOREVER);
            ct_thread_free(t[i]);
        }
        double dt = ct_monotonic() - t0;
        long total = f.n * f.p;
        bool ok = atomic_load(&f.sum) == (long)f.p * f.n * (f.n + 1) / 2;
        printf("   %d/%d: %ld items in %.0f ms = %.0f ns/item, every item "
               "once: %s\n",
               f.p, f.p, total, dt * 1e3, dt / total * 1e9, ok ? "yes" : "NO");
        TOUR_FAIL_IF(bad, !ok);
        ct_queue_free(f.q);
    }

    TOUR_STEP("queue", "hand-off latency (ping-pong, one way)");
    struct pp p = {ct_queue_new(.maxsize = 16), ct_queue_new(.maxsize = 16),
                   quick ? 2000 : 20000};
    double *lat = malloc(sizeof(double) * (size_t)p.rounds);
    ct_thread *pt = ct_thread_new(ponger, &p);
    ct_thread_start(pt);
    for (long i = 0; i < p.rounds; i++) {
        t0 = ct_monotonic();
        ct_queue_put(p.ping, I(i + 1), CT_FOREVER);
        ct_queue_get(p.pong, &x, CT_FOREVER);
        lat[i] = (ct_monotonic() - t0) / 2;
        TOUR_FAIL_IF(bad, (intptr_t)x != i + 1);
    }
    ct_thread_join(pt, CT_FOREVER);
    ct_thread_free(pt);
    qsort(lat, (size_t)p.rounds, sizeof *lat, cmp_double);
    printf("   %ld round trips: median %.2f us, p99 %.2f us per hand-off\n",
           p.rounds, lat[p.rounds / 2] * 1e6, lat[p.rounds * 99 / 100] * 1e6);
    free(lat);
    ct_queue_free(p.ping);
    ct_queue_free(p.pong);

    TOUR_STEP("queue", "task_done/join, and shutdown wakes every waiter");
    q = ct_queue_new();
    for (int i = 0; i < 3; i++)
        ct_queue_put(q, I(i), 0);
    int j1 = ct_queue_join(q, 0.01);
    for (int i = 0; i < 3; i++) {
        ct_queue_get(q, &x, 0);
        ct_queue_task_done(q);
    }
    int j2 = ct_queue_join(q, 0.01);
    int extra = ct_queue_task_done(q);
    printf("   3 puts: join(0.01) -> %s; 3 task_done: join -> %s; "
           "a 4th task_done -> %s\n",
           ct_errname(j1), ct_errname(j2), ct_errname(extra));
    TOUR_FAIL_IF(bad, j1 != CT_ETIMEDOUT || j2 != 0 || extra != CT_EVALUE);
    ct_thread *g[3];
    for (int i = 0; i < 3; i++) {
        g[i] = ct_thread_new(blocked_getter, q);
        ct_thread_start(g[i]);
    }
    ct_sleep(0.02); /* let them block: only for the show, the result is
                       the same if shutdown comes first */
    t0 = ct_monotonic();
    ct_queue_shutdown(q, false);
    int ok = 0;
    for (int i = 0; i < 3; i++) {
        ct_thread_join(g[i], CT_FOREVER);
        ok += ct_thread_result(g[i]) == 0;
        ct_thread_free(g[i]);
    }
    printf("   shutdown(): %d blocked getters got CT_ESHUTDOWN within "
           "%.0f us\n",
           ok, (ct_monotonic() - t0) * 1e6);
    TOUR_FAIL_IF(bad, ok != 3);
    ct_queue_free(q);
    return bad;
}
