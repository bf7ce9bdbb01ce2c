/* tests/queue/qtest.h - helpers shared by the queue tests: the queue kind
 * under test, raw pthreads, and waiting (without sleeping) until threads
 * are really blocked inside a queue, read from the queue's own counters. */
#ifndef CT_QTEST_H
#define CT_QTEST_H

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/rseq.h"
#include "queue/internal.h"

/* A run with glibc told not to register rseq (tests/CMakeLists.txt's
 * _norseq entries) must take the ring's portable path. */
static inline void qt_check_norseq(void) {
    const char *t = getenv("GLIBC_TUNABLES");
    if (t && strstr(t, "glibc.pthread.rseq=0"))
        assert_false(ct__rseq_ready());
}

#define I(x) ((void *)(intptr_t)(x))
#define V(p) ((intptr_t)(p))

static inline int cmp_int(const void *a, const void *b) {
    intptr_t x = V(a), y = V(b);
    return (x > y) - (x < y);
}

/* The kind the current group runs with (Python's type2test). */
static ct_queue_kind qt_kind __attribute__((unused));

static inline int qt_fifo(void **s) {
    (void)s;
    qt_kind = CT_QUEUE_FIFO;
    return 0;
}
static inline int qt_lifo(void **s) {
    (void)s;
    qt_kind = CT_QUEUE_LIFO;
    return 0;
}
static inline int qt_prio(void **s) {
    (void)s;
    qt_kind = CT_QUEUE_PRIORITY;
    return 0;
}

static inline ct_queue *mk(long maxsize) {
    ct_queue *q =
        ct_queue_new(.maxsize = maxsize, .kind = qt_kind, .compare = cmp_int);
    assert_non_null(q);
    return q;
}

/* An item destructor that counts its calls, and mk() with it. */
static atomic_int qt_destroyed __attribute__((unused));
static inline void qt_count_destroy(void *item) {
    (void)item;
    atomic_fetch_add(&qt_destroyed, 1);
}
static inline ct_queue *mk_counted(long maxsize) {
    atomic_store(&qt_destroyed, 0);
    ct_queue *q =
        ct_queue_new(.maxsize = maxsize, .kind = qt_kind, .compare = cmp_int,
                     .destructor = qt_count_destroy);
    assert_non_null(q);
    return q;
}

static inline pthread_t spawn(void *(*fn)(void *), void *arg) {
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
    return t;
}

static inline void join_thread(pthread_t t) {
    assert_int_equal(pthread_join(t, NULL), 0);
}

/* Wait until at least n threads are linked as waiting getters/putters
 * (they are then inside get/put, past every fast path). */
static inline void wait_getters(ct_queue *q, uint32_t n) {
    while (atomic_load(&q->n_getwait) < n)
        sched_yield();
}
static inline void wait_putters(ct_queue *q, uint32_t n) {
    while (atomic_load(&q->n_putwait) < n)
        sched_yield();
}
static inline void wait_joiners(ct_queue *q, uint32_t n) {
    while (atomic_load(&q->n_joinwait) < n)
        sched_yield();
}

/* Wait until at least n waiters of `l` are asleep: past their last try
 * after linking themselves (a ring waiter tries once more after linking,
 * and could take an item ahead of older waiters until then). */
static inline uint32_t qt_asleep(ct_queue *q, ct__qlist *l) {
    uint32_t n = 0;
    ct__qlock(&q->mu);
    for (ct__qwaiter *w = l->head; w; w = w->next)
        n += atomic_load(&w->state) == CT__QW_SLEEPING;
    ct__qunlock(&q->mu);
    return n;
}
static inline void wait_getters_asleep(ct_queue *q, uint32_t n) {
    while (qt_asleep(q, &q->getters) < n)
        sched_yield();
}
static inline void wait_putters_asleep(ct_queue *q, uint32_t n) {
    while (qt_asleep(q, &q->putters) < n)
        sched_yield();
}

/* A one-shot gate (Python's threading.Event "go"). */
typedef struct {
    atomic_int open;
} gate;
static inline void gate_wait(gate *g) {
    while (!atomic_load(&g->open))
        sched_yield();
}
static inline void gate_open(gate *g) {
    atomic_store(&g->open, 1);
}

#endif
