/* The store back-end: every queue but the bounded FIFO one. The items sit
 * in one array `buf` of `bcap` entries under the internal lock `mu`:
 *     FIFO, SIMPLE  a circular buffer: items at head, head+1, ... (mod bcap)
 *     LIFO          a stack: items at 0 .. count-1, top at count-1
 *     PRIORITY      a binary min-heap of [seq | item]; seq (insertion
 *                   number) breaks ties, so equal items leave in order
 * One spare entry past bcap is scratch space for the heap's moves.
 * The array doubles when full (capped at maxsize): allocation in chunks,
 * never per item, and none once the queue reached its high-water mark.
 * A failed growth leaves the queue as it was (CT_ENOMEM).
 *
 * Waiting: a put that finds the queue full (or a get that finds it
 * empty) links a node on q->putters (q->getters) under mu and parks on
 * it (wait.c). Each successful put wakes the first waiting getter and
 * each get the first waiting putter, choosing it under mu; the wake-up
 * call itself is made after unlocking. A woken thread re-checks under
 * mu and, if a thread that never waited got there first, waits again at
 * the head of the line.
 */
#include "internal.h"

#include <string.h>

enum { FIRST_CAP = 16 };

static inline size_t ioff(const ct_queue *q) {
    return q->kind == CT_QUEUE_PRIORITY ? 8 : 0;
}

static inline unsigned char *ent(const ct_queue *q, size_t i) {
    return q->buf + i * q->stride;
}

int ct__store_init(ct_queue *q) {
    size_t cap = FIRST_CAP;
    if (q->maxsize > 0 && (size_t)q->maxsize < cap)
        cap = (size_t)q->maxsize;
    q->buf = ct__calloc(cap + 1, q->stride);
    if (!q->buf)
        return CT_ENOMEM;
    q->bcap = cap;
    return 0;
}

static int grow(ct_queue *q) {
    size_t cap = q->bcap * 2;
    if (q->maxsize > 0 && cap > (size_t)q->maxsize)
        cap = (size_t)q->maxsize;
    unsigned char *nb = ct__calloc(cap + 1, q->stride);
    if (!nb)
        return CT_ENOMEM;
    size_t n = atomic_load_explicit(&q->count, memory_order_relaxed);
    if (q->kind == CT_QUEUE_FIFO || q->kind == CT_QUEUE_SIMPLE) {
        size_t first = q->bcap - q->head < n ? q->bcap - q->head : n;
        memcpy(nb, ent(q, q->head), first * q->stride);
        memcpy(nb + first * q->stride, q->buf, (n - first) * q->stride);
        q->head = 0;
    } else {
        memcpy(nb, q->buf, n * q->stride);
    }
    ct__free(q->buf);
    q->buf = nb;
    q->bcap = cap;
    return 0;
}

/* Heap order: a before b. */
static bool before(const ct_queue *q, const unsigned char *a,
                   const unsigned char *b) {
    const void *ia = a + 8, *ib = b + 8;
    if (!q->by_value) {
        ia = *(void *const *)ia;
        ib = *(void *const *)ib;
    }
    int c = q->compare(ia, ib);
    if (c)
        return c < 0;
    uint64_t sa, sb;
    memcpy(&sa, a, 8);
    memcpy(&sb, b, 8);
    return sa < sb;
}

static void swap(ct_queue *q, size_t i, size_t j) {
    unsigned char *t = ent(q, q->bcap);
    memcpy(t, ent(q, i), q->stride);
    memcpy(ent(q, i), ent(q, j), q->stride);
    memcpy(ent(q, j), t, q->stride);
}

static int push(ct_queue *q, const void *src) {
    size_t n = atomic_load_explicit(&q->count, memory_order_relaxed);
    if (n == q->bcap) {
        int r = grow(q);
        if (r)
            return r;
    }
    switch (q->kind) {
    case CT_QUEUE_LIFO:
        memcpy(ent(q, n), src, q->isz);
        break;
    case CT_QUEUE_PRIORITY: {
        uint64_t s = q->seq++;
        memcpy(ent(q, n), &s, 8);
        memcpy(ent(q, n) + 8, src, q->isz);
        for (size_t i = n; i > 0;) {
            size_t p = (i - 1) / 2;
            if (!before(q, ent(q, i), ent(q, p)))
                break;
            swap(q, i, p);
            i = p;
        }
        break;
    }
    default:
        memcpy(ent(q, (q->head + n) % q->bcap), src, q->isz);
        break;
    }
    /* relaxed: qsize() is approximate; the data is guarded by mu */
    atomic_store_explicit(&q->count, n + 1, memory_order_relaxed);
    return 0;
}

static void pop(ct_queue *q, void *dst) {
    size_t n = atomic_load_explicit(&q->count, memory_order_relaxed);
    size_t off = ioff(q);
    switch (q->kind) {
    case CT_QUEUE_LIFO:
        memcpy(dst, ent(q, n - 1), q->isz);
        break;
    case CT_QUEUE_PRIORITY:
        memcpy(dst, ent(q, 0) + off, q->isz);
        if (n > 1)
            memcpy(ent(q, 0), ent(q, n - 1), q->stride);
        for (size_t i = 0;;) {
            size_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < n - 1 && before(q, ent(q, l), ent(q, m)))
                m = l;
            if (r < n - 1 && before(q, ent(q, r), ent(q, m)))
                m = r;
            if (m == i)
                break;
            swap(q, i, m);
            i = m;
        }
        break;
    default:
        memcpy(dst, ent(q, q->head), q->isz);
        q->head = (q->head + 1) % q->bcap;
        break;
    }
    atomic_store_explicit(&q->count, n - 1, memory_order_relaxed);
}

static bool must_stop(double timeout, bool *have, ct_deadline *dl) {
    if (timeout == 0)
        return true;
    if (!*have) {
        ct__qdeadline(dl, timeout); /* validated by the caller */
        *have = true;
        return false;
    }
    return ct_deadline_expired(dl);
}

/* Called with mu held: wait on list `l` (counted in *n) until woken or
 * the deadline passes, and return holding mu again. A waiter that was
 * woken before and must wait again goes back to the front (`front`);
 * one that timed out without being chosen unlinks itself. */
static void wait_turn(ct_queue *q, ct__qlist *l, _Atomic uint32_t *n,
                      ct__qwaiter *w, bool front, const ct_deadline *dl) {
    ct__qlist_add(l, w, front);
    atomic_fetch_add_explicit(n, 1, memory_order_seq_cst);
    ct__qunlock(&q->mu);
    ct__qwait(w, dl);
    ct__qlock(&q->mu);
    if (w->linked) { /* timed out, not chosen */
        ct__qlist_remove(l, w);
        atomic_fetch_sub_explicit(n, 1, memory_order_seq_cst);
    }
}

int ct__store_put(ct_queue *q, const void *src, double timeout) {
    ct_deadline dl;
    bool have = false, front = false;
    ct__qwaiter w = {0};
    _Atomic uint32_t *wake = NULL;
    int r;
    ct__qlock(&q->mu);
    for (;;) {
        /* relaxed: shut is written under mu (also read lock-free) */
        if (atomic_load_explicit(&q->shut, memory_order_relaxed)) {
            r = CT_ESHUTDOWN;
            break;
        }
        size_t n = atomic_load_explicit(&q->count, memory_order_relaxed);
        if (q->maxsize == 0 || n < (size_t)q->maxsize) {
            if ((r = push(q, src)) == 0) {
                /* seq_cst: read by task_done/join without mu */
                atomic_fetch_add_explicit(&q->puts, 1, memory_order_seq_cst);
                wake = ct__qlist_wake_head(&q->getters, &q->n_getwait);
            }
            break;
        }
        if (must_stop(timeout, &have, &dl)) {
            r = CT_EFULL;
            break;
        }
        wait_turn(q, &q->putters, &q->n_putwait, &w, front, &dl);
        front = true;
    }
    ct__qunlock(&q->mu);
    ct__qwake_addr(wake);
    return r;
}

int ct__store_get(ct_queue *q, void *dst, double timeout) {
    ct_deadline dl;
    bool have = false, front = false;
    ct__qwaiter w = {0};
    _Atomic uint32_t *wake = NULL;
    int r;
    ct__qlock(&q->mu);
    for (;;) {
        if (atomic_load_explicit(&q->count, memory_order_relaxed) > 0) {
            pop(q, dst);
            wake = ct__qlist_wake_head(&q->putters, &q->n_putwait);
            r = 0;
            break;
        }
        if (atomic_load_explicit(&q->shut, memory_order_relaxed)) {
            r = CT_ESHUTDOWN;
            break;
        }
        if (must_stop(timeout, &have, &dl)) {
            r = CT_EEMPTY;
            break;
        }
        wait_turn(q, &q->getters, &q->n_getwait, &w, front, &dl);
        front = true;
    }
    ct__qunlock(&q->mu);
    ct__qwake_addr(wake);
    return r;
}

/* Immediate shutdown (caller holds mu, shut already set): detach every
 * item, so the destructor can run after unlocking. Returns the old
 * array; *first, *n, *cap tell where the items are. */
unsigned char *ct__store_detach(ct_queue *q, size_t *first, size_t *n,
                                size_t *cap) {
    unsigned char *b = q->buf;
    *first = q->head;
    *n = atomic_load_explicit(&q->count, memory_order_relaxed);
    *cap = q->bcap;
    q->buf = NULL;
    q->bcap = 0;
    q->head = 0;
    atomic_store_explicit(&q->count, 0, memory_order_relaxed);
    return b;
}

/* Destroy the items of a detached array and free it. */
void ct__store_destroy(ct_queue *q, unsigned char *b, size_t first, size_t n,
                       size_t cap) {
    bool ring = q->kind == CT_QUEUE_FIFO || q->kind == CT_QUEUE_SIMPLE;
    for (size_t i = 0; i < n; i++) {
        size_t k = ring ? (first + i) % cap : i;
        ct__qdestroy_item(q, b + k * q->stride + ioff(q));
    }
    ct__free(b);
}
