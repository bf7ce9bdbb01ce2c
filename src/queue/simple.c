/* SimpleQueue: an unbounded FIFO whose put takes no lock, so it is safe
 * from a thread-local destructor, an exception hook, or any code that may
 * run while the same thread is inside another call on this queue.
 *
 * Items live in segments of SEG items, linked in put order:
 *
 *     s_head (consumers) -> [seg] -> [seg] -> ... -> [seg] <- s_tail
 *
 * put:  s = tail; i = fetch_add(s->claim); if i < SEG: copy the item into
 *       slot i, store ready[i] = 1 (release). Else the segment is full:
 *       link a new one (the spare or a fresh allocation) with a CAS on
 *       s->next, help move tail on, retry. One FAA per put, no lock.
 * get:  consumers take turns under mu: slot s_head_idx of s_head, if
 *       ready; at the end of a segment move on to next (moving tail past
 *       it first if it lags) and retire the old segment.
 *
 * Reclamation: a producer may still hold a pointer to a retired segment
 * (it read tail before tail moved on). Producers announce themselves in
 * s_active[epoch & 1] around their use of segments and re-check that the
 * epoch did not change meanwhile. A segment retired during epoch e waits
 * in s_limbo[e & 1]; the consumer moves the epoch from e to e+1 only
 * when s_active[(e+1) & 1] (the producers of epoch e-1) is 0, and then
 * recycles s_limbo[(e+1) & 1]: no producer of epoch e-1 is left, and
 * every later one read tail after those segments were passed. Recycled
 * segments go to the one-slot `s_spare` (taken by exchange, so no ABA)
 * or are freed: the steady state allocates nothing.
 *
 * Waiting getters park on the event word s_ev: a put that sees
 * n_getwait != 0 increments s_ev and wakes one. A getter increments
 * n_getwait, reads s_ev, tries once more, then parks while s_ev is
 * unchanged (seq_cst on both sides: no lost wake-up). A getter that got
 * an item after waiting passes the turn on while items remain. Python
 * does not promise SimpleQueue waiters any order; the kernel wakes them
 * roughly FIFO.
 */
#include "internal.h"

#include <string.h>

enum { SEG = 128 };

typedef struct ct__sseg {
    _Atomic uint64_t claim;
    _Atomic(struct ct__sseg *) next;
    struct ct__sseg *limbo_next; /* under mu */
    _Atomic uint32_t ready[SEG];
    unsigned char items[]; /* SEG * q->stride */
} ct__sseg;

static ct__sseg *seg_new(const ct_queue *q) {
    return ct__calloc(1, sizeof(ct__sseg) + SEG * q->stride);
}

static void seg_reset(ct__sseg *s) {
    atomic_store_explicit(&s->claim, 0, memory_order_relaxed);
    atomic_store_explicit(&s->next, NULL, memory_order_relaxed);
    s->limbo_next = NULL;
    for (int i = 0; i < SEG; i++)
        atomic_store_explicit(&s->ready[i], 0, memory_order_relaxed);
}

static inline unsigned char *item(const ct_queue *q, ct__sseg *s, uint64_t i) {
    return s->items + i * q->stride;
}

int ct__simple_init(ct_queue *q) {
    ct__sseg *s = seg_new(q);
    if (!s)
        return CT_ENOMEM;
    q->s_head = s;
    atomic_init(&q->s_tail, s);
    return 0;
}

static unsigned enter(ct_queue *q) {
    for (;;) {
        unsigned e =
            atomic_load_explicit(&q->s_epoch, memory_order_seq_cst) & 1;
        atomic_fetch_add_explicit(&q->s_active[e], 1, memory_order_seq_cst);
        if ((atomic_load_explicit(&q->s_epoch, memory_order_seq_cst) & 1) == e)
            return e;
        atomic_fetch_sub_explicit(&q->s_active[e], 1, memory_order_release);
    }
}

static void leave_epoch(ct_queue *q, unsigned e) {
    /* release: our uses of the segments happen before a reclaim */
    atomic_fetch_sub_explicit(&q->s_active[e], 1, memory_order_release);
}

/* Keep a clean segment as the spare, or free it. */
static void recycle(ct_queue *q, ct__sseg *s) {
    ct__sseg *none = NULL;
    seg_reset(s);
    /* release: the reset is seen by the producer that takes it */
    if (!atomic_compare_exchange_strong_explicit(
            &q->s_spare, &none, s, memory_order_release, memory_order_relaxed))
        ct__free(s);
}

int ct__simple_put(ct_queue *q, const void *src) {
    unsigned e = enter(q);
    int r = 0;
    for (;;) {
        ct__sseg *s = atomic_load_explicit(&q->s_tail, memory_order_acquire);
        uint64_t i =
            atomic_fetch_add_explicit(&s->claim, 1, memory_order_relaxed);
        if (i < SEG) {
            /* relaxed: qsize() is approximate; counted before the item
             * is visible so the count never goes below 0 */
            atomic_fetch_add_explicit(&q->count, 1, memory_order_relaxed);
            memcpy(item(q, s, i), src, q->isz);
            atomic_store_explicit(&s->ready[i], 1, memory_order_seq_cst);
            break;
        }
        ct__sseg *n = atomic_load_explicit(&s->next, memory_order_acquire);
        if (!n) {
            ct__sseg *fresh = atomic_exchange_explicit(&q->s_spare, NULL,
                                                       memory_order_acquire);
            if (!fresh && !(fresh = seg_new(q))) {
                r = CT_ENOMEM; /* nothing was queued */
                break;
            }
            if (atomic_compare_exchange_strong_explicit(&s->next, &n, fresh,
                                                        memory_order_acq_rel,
                                                        memory_order_acquire)) {
                n = fresh;
            } else { /* another producer linked one first */
                ct__sseg *none = NULL;
                if (!atomic_compare_exchange_strong_explicit(
                        &q->s_spare, &none, fresh, memory_order_release,
                        memory_order_relaxed))
                    ct__free(fresh);
            }
        }
        atomic_compare_exchange_strong_explicit(
            &q->s_tail, &s, n, memory_order_release, memory_order_relaxed);
    }
    leave_epoch(q, e);
    if (r == 0 && atomic_load_explicit(&q->n_getwait, memory_order_seq_cst)) {
        atomic_fetch_add_explicit(&q->s_ev, 1, memory_order_seq_cst);
        ct_park_wake(&q->s_ev, 1, CT_PARK_PRIVATE);
    }
    return r;
}

/* Consumers' side, under mu. */
static void retire(ct_queue *q, ct__sseg *s) {
    uint32_t e = atomic_load_explicit(&q->s_epoch, memory_order_seq_cst);
    s->limbo_next = q->s_limbo[e & 1];
    q->s_limbo[e & 1] = s;
    unsigned old = (e + 1) & 1;
    if (atomic_load_explicit(&q->s_active[old], memory_order_seq_cst))
        return; /* producers of epoch e-1 still inside: try next time */
    for (ct__sseg *x = q->s_limbo[old], *nx; x; x = nx) {
        nx = x->limbo_next;
        recycle(q, x);
    }
    q->s_limbo[old] = NULL;
    atomic_store_explicit(&q->s_epoch, e + 1, memory_order_seq_cst);
}

static int try_get(ct_queue *q, void *dst) {
    ct__sseg *s = q->s_head;
    if (q->s_head_idx == SEG) {
        ct__sseg *n = atomic_load_explicit(&s->next, memory_order_acquire);
        if (!n)
            return CT_EEMPTY;
        ct__sseg *t = s; /* no producer may find s as tail any more */
        atomic_compare_exchange_strong_explicit(
            &q->s_tail, &t, n, memory_order_release, memory_order_relaxed);
        q->s_head = n;
        q->s_head_idx = 0;
        retire(q, s);
        s = n;
    }
    uint32_t i = q->s_head_idx;
    if (!atomic_load_explicit(&s->ready[i], memory_order_seq_cst))
        return CT_EEMPTY; /* empty, or its put is still copying */
    memcpy(dst, item(q, s, i), q->isz);
    q->s_head_idx = i + 1;
    atomic_fetch_sub_explicit(&q->count, 1, memory_order_relaxed);
    return 0;
}

static int locked_try_get(ct_queue *q, void *dst) {
    ct__qlock(&q->mu);
    int r = try_get(q, dst);
    ct__qunlock(&q->mu);
    return r;
}

/* A getter that waited got an item: wake the next one while items
 * remain (a wake-up may have been spent on a slot still being copied). */
static void pass_on(ct_queue *q) {
    if (atomic_load_explicit(&q->count, memory_order_relaxed) > 0 &&
        atomic_load_explicit(&q->n_getwait, memory_order_seq_cst)) {
        atomic_fetch_add_explicit(&q->s_ev, 1, memory_order_seq_cst);
        ct_park_wake(&q->s_ev, 1, CT_PARK_PRIVATE);
    }
}

int ct__simple_get(ct_queue *q, void *dst, double timeout) {
    if (locked_try_get(q, dst) == 0)
        return 0;
    if (timeout == 0)
        return CT_EEMPTY;
    ct_deadline dl;
    ct__qdeadline(&dl, timeout); /* validated by the caller */
    for (;;) {
        atomic_fetch_add_explicit(&q->n_getwait, 1, memory_order_seq_cst);
        uint32_t ev = atomic_load_explicit(&q->s_ev, memory_order_seq_cst);
        if (locked_try_get(q, dst) == 0) {
            atomic_fetch_sub_explicit(&q->n_getwait, 1, memory_order_seq_cst);
            pass_on(q); /* a wake-up meant for us may have gone elsewhere */
            return 0;
        }
        int r = ct_park_wait(&q->s_ev, ev, &dl, 0);
        atomic_fetch_sub_explicit(&q->n_getwait, 1, memory_order_seq_cst);
        if (locked_try_get(q, dst) == 0) {
            pass_on(q);
            return 0;
        }
        if (r == CT_ETIMEDOUT)
            return CT_EEMPTY;
    }
}

void ct__simple_free(ct_queue *q) {
    ct__sseg *s = q->s_head;
    uint32_t i = q->s_head_idx;
    while (s) {
        for (; i < SEG; i++) {
            if (!atomic_load_explicit(&s->ready[i], memory_order_acquire))
                break;
            ct__qdestroy_item(q, item(q, s, i));
        }
        ct__sseg *n = atomic_load_explicit(&s->next, memory_order_acquire);
        ct__free(s);
        s = n;
        i = 0;
    }
    for (int k = 0; k < 2; k++)
        for (ct__sseg *x = q->s_limbo[k], *nx; x; x = nx) {
            nx = x->limbo_next;
            ct__free(x);
        }
    ct__free(atomic_load_explicit(&q->s_spare, memory_order_acquire));
}
