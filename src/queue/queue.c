/* ct_queue: creation, the public calls, task tracking and shutdown.
 *
 * Put and get go to one of three back-ends (ring.c and ring.h for a
 * bounded FIFO queue, simple.c for a SimpleQueue, store.c for the
 * others); this file holds what they share.
 *
 * Task tracking (Python's unfinished_tasks), lock-free, with no extra
 * shared write on the put path:
 *     unfinished = puts - done
 *     puts   the ring's enqueue position (each claim is a put), or the
 *            store's `puts` counter (written under mu)
 *     done   +1 by each task_done (CAS, only while done < puts, else
 *            CT_EVALUE), +min(n, unfinished) by an immediate shutdown
 *            that discards n items
 *     join   n_joinwait++, then loops { g = join_gen;
 *            if unfinished == 0: return; park on join_gen while == g }
 *     a task_done or shutdown that sees unfinished reach 0 with
 *     n_joinwait != 0: join_gen++, wake every joiner.
 * The done CAS, the puts and n_joinwait loads and the joiner's
 * n_joinwait++ are seq_cst, so a joiner either sees 0 or is woken.
 *
 * Shutdown: for the ring, the shutdown bit of enq is set first (every
 * later put fails at its CAS), then `shut` (seq_cst), so a thread that
 * sees `shut` never sees a put succeed afterwards; an immediate shutdown
 * then discards the items; finally every waiter of both lists is woken
 * under mu. Waiters check `shut` under mu before linking themselves, so
 * none can link after the wake-all and sleep forever.
 */
#include "ring.h"

#include <string.h>

enum { MAX_ITEM = 65536 };

int ct__qdeadline(ct_deadline *dl, double timeout) {
    return ct_deadline_init(dl, timeout, CT_NEG_REJECT);
}

/* A put/get timeout that is NaN or negative (the caller's slow path).
 * Python's order: ShutDown first; then ValueError where the call could
 * block - every get (even with items queued), but a put only on a
 * bounded queue (an unbounded put, and SimpleQueue.put, never wait and
 * ignore the timeout). Returns the code, or 0 with *timeout set to 0
 * for an unbounded put. */
static CT_COLD int bad_put_timeout(const ct_queue *q, double *timeout) {
    if (isnan(*timeout))
        return CT_EINVAL;
    if (atomic_load_explicit(&q->shut, memory_order_seq_cst))
        return CT_ESHUTDOWN;
    if (q->maxsize > 0)
        return CT_EVALUE;
    *timeout = 0;
    return 0;
}

static CT_COLD int bad_get_timeout(const ct_queue *q, double timeout) {
    if (isnan(timeout))
        return CT_EINVAL;
    if (atomic_load_explicit(&q->shut, memory_order_seq_cst) &&
        ct_queue_qsize(q) == 0)
        return CT_ESHUTDOWN;
    return CT_EVALUE;
}

void ct__qdestroy_item(ct_queue *q, void *stored) {
    if (!q->destructor)
        return;
    if (q->by_value) {
        q->destructor(stored);
    } else {
        void *item;
        memcpy(&item, stored, sizeof item);
        q->destructor(item);
    }
}

static void release_joiners(ct_queue *q) {
    if (atomic_load_explicit(&q->n_joinwait, memory_order_seq_cst)) {
        atomic_fetch_add_explicit(&q->join_gen, 1, memory_order_seq_cst);
        ct_park_wake(&q->join_gen, CT_PARK_ALL, CT_PARK_PRIVATE);
    }
}

static inline int64_t puts_of(const ct_queue *q) {
    if (q->is_ring)
        return (int64_t)(atomic_load_explicit(&q->enq, memory_order_seq_cst) &
                         ~CT__QSHUT);
    return atomic_load_explicit(&q->puts, memory_order_seq_cst);
}

static inline int64_t unfinished(const ct_queue *q) {
    /* done first: puts only grows, so the difference is never negative */
    int64_t d = atomic_load_explicit(&q->done, memory_order_seq_cst);
    return puts_of(q) - d;
}

void ct__qdiscarded(ct_queue *q, long n) {
    int64_t d = atomic_load_explicit(&q->done, memory_order_relaxed);
    int64_t u;
    do {
        u = puts_of(q) - d;
        if (u > n)
            u = n;
    } while (!atomic_compare_exchange_weak_explicit(
        &q->done, &d, d + u, memory_order_seq_cst, memory_order_relaxed));
    if (unfinished(q) == 0)
        release_joiners(q);
}

ct_queue *ct_queue_new_opts(const ct_queue_options *o) {
    if (!o) {
        ct_raise(CT_EINVAL, "ct_queue_new: NULL options");
        return NULL;
    }
    if ((unsigned)o->kind > CT_QUEUE_SIMPLE) {
        ct_raise(CT_EINVAL, "ct_queue_new: unknown kind %d", (int)o->kind);
        return NULL;
    }
    if (o->kind == CT_QUEUE_PRIORITY && !o->compare) {
        ct_raise(CT_EINVAL, "ct_queue_new: a priority queue needs .compare");
        return NULL;
    }
    if (o->item_size > MAX_ITEM) {
        ct_raise(CT_EINVAL, "ct_queue_new: item_size %zu > %d", o->item_size,
                 MAX_ITEM);
        return NULL;
    }
    if (o->kind == CT_QUEUE_SIMPLE && o->maxsize > 0) {
        ct_raise(CT_EINVAL, "ct_queue_new: a SimpleQueue is unbounded");
        return NULL;
    }
    ct_queue *q = ct__calloc_lines(sizeof *q); /* its _Alignas groups */
    if (!q)
        goto fail_nomem;
    q->kind = o->kind;
    q->maxsize = o->maxsize > 0 ? o->maxsize : 0;
    q->by_value = o->item_size > 0;
    q->isz = q->by_value ? o->item_size : sizeof(void *);
    q->compare = o->compare;
    q->destructor = o->destructor;
    q->tracked = o->kind != CT_QUEUE_SIMPLE;
    /* Vyukov's seq scheme needs two slots: with one, "holds the item of p"
     * and "free for p + 1" would be the same seq value. */
    q->is_ring = o->kind == CT_QUEUE_FIFO && q->maxsize >= 2;
    /* ptr_ring implies isz == sizeof(void *): the fast entries below
     * pass that size as a constant */
    q->ptr_ring = q->is_ring && !q->by_value;
    size_t body = (q->isz + 7) & ~(size_t)7;
    if (q->is_ring) {
        q->stride = 8 + body;
        q->cap = (uint64_t)q->maxsize;
        q->mask = (q->cap & (q->cap - 1)) == 0 ? q->cap - 1 : UINT64_MAX;
        q->pf_ahead = ct__ring_prefetch_ahead(q);
        /* getters start by yielding before parking; ring.c unlearns it
         * on a queue where it does not pay off */
        atomic_init(&q->get_yield_score, 8);
        atomic_init(&q->here_yield_score, 8);
        atomic_init(&q->put_cpu, -1);
        atomic_init(&q->get_cpu, -1);
        ct__ring_init_sides(q);
        /* Whole cache lines, line-aligned: no line of the ring is shared
         * with other heap data (false sharing with an unrelated object). */
        size_t bytes;
        if (__builtin_mul_overflow((size_t)q->cap, q->stride, &bytes) ||
            !(q->slots = ct__calloc_lines(bytes)))
            goto fail_slots;
        for (uint64_t i = 0; i < q->cap; i++)
            atomic_init((_Atomic uint64_t *)(void *)slot_at(q, i), i);
    } else if (q->kind == CT_QUEUE_SIMPLE) {
        q->stride = body;
        if (ct__simple_init(q))
            goto fail_slots;
    } else {
        q->stride = (q->kind == CT_QUEUE_PRIORITY ? 8 : 0) + body;
        if (ct__store_init(q))
            goto fail_slots;
    }
    /* Published to other threads by whatever hands them the pointer. */
    return q;
fail_slots:
    ct__free_lines(q);
fail_nomem:
    ct_raise(CT_ENOMEM, "ct_queue_new: out of memory");
    return NULL;
}

int ct_queue_free(ct_queue *q) {
    if (!q)
        return 0;
    ct__qlock(&q->mu);
    bool busy = q->getters.head || q->putters.head ||
                atomic_load_explicit(&q->n_getwait, memory_order_seq_cst) ||
                atomic_load_explicit(&q->n_joinwait, memory_order_seq_cst);
    ct__qunlock(&q->mu);
    if (busy)
        return CT_ESTATE;
    if (q->is_ring) {
        uint64_t e =
            atomic_load_explicit(&q->enq, memory_order_acquire) & ~CT__QSHUT;
        for (uint64_t p = atomic_load_explicit(&q->deq, memory_order_acquire);
             p < e; p++) {
            uint64_t i = p % q->cap;
            ct__qdestroy_item(q, slot_at(q, i) + 8);
        }
        ct__free_lines(q->slots);
    } else if (q->kind == CT_QUEUE_SIMPLE) {
        ct__simple_free(q);
    } else {
        size_t first, n, cap;
        unsigned char *b = ct__store_detach(q, &first, &n, &cap);
        ct__store_destroy(q, b, first, n, cap);
    }
    ct__free_lines(q);
    return 0;
}

/* put/get: always inlined into their callers (ct_queue_put_copy/
 * get_copy, and put_any/get_any below, which ct_queue_put/get reach by a
 * tail call when their own fast path does not apply), so a ring's put or
 * get runs the fast path (ring.h) with no further call; at -O2, gcc kept
 * them out of line once that path was in them. */
static CT_ALWAYS_INLINE int put(ct_queue *q, const void *src, double timeout) {
    if (CT_UNLIKELY(!(timeout >= 0))) { /* NaN or negative */
        int r = bad_put_timeout(q, &timeout);
        if (r)
            return r;
    }
    if (q->is_ring)
        return ct__ring_put(q, src, timeout);
    if (q->kind == CT_QUEUE_SIMPLE)
        return ct__simple_put(q, src); /* never blocks */
    return ct__store_put(q, src, timeout);
}

static CT_ALWAYS_INLINE int get(ct_queue *q, void *dst, double timeout) {
    if (CT_UNLIKELY(!(timeout >= 0))) /* NaN or negative */
        return bad_get_timeout(q, timeout);
    if (q->is_ring)
        return ct__ring_get(q, dst, timeout);
    if (q->kind == CT_QUEUE_SIMPLE)
        return ct__simple_get(q, dst, timeout);
    return ct__store_get(q, dst, timeout);
}

/* ct_queue_put/get of a pointer ring (ptr_ring) try the ring's fast path
 * (ring.h: put_quick/get_quick with the item size a constant, after_put/
 * after_get) in a function that saves no register and keeps the item in
 * a register; every other case (NULL, a bad timeout, a by-value ring or
 * another kind of queue, a full or empty ring, shutdown, a ring side to
 * settle: ring.c's "Owners") is a tail call
 * to put_any/get_any, the general path, which checks everything again
 * (the _nowait forms run the same entry, without a call through the
 * PLT). The entries used to run put()/get() inline: the item went
 * through the stack and four registers were saved and restored on every
 * call. 20 interleaved rounds of 5 reps (1,024 slots, 2 vCPUs, gcc -O3),
 * medians at 1/1, 2/2, 4/4, 8/8: 7.8/8.0/8.8/9.4 -> 6.2/6.7/7.5/8.2 ns
 * per item. */
static CT_NOINLINE int put_any(ct_queue *q, void *item, double timeout) {
    if (CT_UNLIKELY(!q || q->by_value))
        return CT_EINVAL;
    return put(q, &item, timeout);
}

static CT_ALWAYS_INLINE int put_ptr(ct_queue *q, void *item, double timeout) {
    if (CT_LIKELY(q && q->ptr_ring && timeout >= 0) &&
        put_quick(q, &item, sizeof item) == 0) {
        after_put(q);
        return 0;
    }
    return put_any(q, item, timeout);
}

int ct_queue_put(ct_queue *q, void *item, double timeout) {
    return put_ptr(q, item, timeout);
}

int ct_queue_put_nowait(ct_queue *q, void *item) {
    return put_ptr(q, item, 0);
}

static CT_NOINLINE int get_any(ct_queue *q, void **out, double timeout) {
    if (CT_UNLIKELY(!q || !out || q->by_value))
        return CT_EINVAL;
    return get(q, out, timeout);
}

static CT_ALWAYS_INLINE int get_ptr(ct_queue *q, void **out, double timeout) {
    if (CT_LIKELY(q && out && q->ptr_ring && timeout >= 0) &&
        get_quick(q, out, sizeof *out) == 0) {
        after_get(q);
        return 0;
    }
    return get_any(q, out, timeout);
}

int ct_queue_get(ct_queue *q, void **out, double timeout) {
    return get_ptr(q, out, timeout);
}

int ct_queue_get_nowait(ct_queue *q, void **out) {
    return get_ptr(q, out, 0);
}

int ct_queue_put_copy(ct_queue *q, const void *item, double timeout) {
    if (CT_UNLIKELY(!q || !item))
        return CT_EINVAL;
    return put(q, item, timeout);
}

int ct_queue_get_copy(ct_queue *q, void *out, double timeout) {
    if (CT_UNLIKELY(!q || !out))
        return CT_EINVAL;
    return get(q, out, timeout);
}

long ct_queue_qsize(const ct_queue *q) {
    if (!q)
        return CT_EINVAL;
    if (q->is_ring)
        return ct__ring_size(q);
    /* relaxed: approximate by contract */
    return (long)atomic_load_explicit(&q->count, memory_order_relaxed);
}

bool ct_queue_empty(const ct_queue *q) {
    return !q || ct_queue_qsize(q) == 0;
}

bool ct_queue_full(const ct_queue *q) {
    return q && q->maxsize > 0 && ct_queue_qsize(q) >= q->maxsize;
}

long ct_queue_maxsize(const ct_queue *q) {
    return q ? q->maxsize : CT_EINVAL;
}

int ct_queue_task_done(ct_queue *q) {
    if (!q || !q->tracked)
        return CT_EINVAL;
    int64_t d = atomic_load_explicit(&q->done, memory_order_relaxed);
    do {
        if (d >= puts_of(q))
            return CT_EVALUE; /* task_done() called too many times */
    } while (!atomic_compare_exchange_weak_explicit(
        &q->done, &d, d + 1, memory_order_seq_cst, memory_order_relaxed));
    if (puts_of(q) == d + 1)
        release_joiners(q);
    return 0;
}

int ct_queue_join(ct_queue *q, double timeout) {
    if (!q || !q->tracked)
        return CT_EINVAL;
    ct_deadline dl;
    int r = ct_deadline_init(&dl, timeout, CT_NEG_EXPIRED);
    if (r)
        return r;
    if (unfinished(q) == 0)
        return 0;
    atomic_fetch_add_explicit(&q->n_joinwait, 1, memory_order_seq_cst);
    for (;;) {
        uint32_t g = atomic_load_explicit(&q->join_gen, memory_order_seq_cst);
        if (unfinished(q) == 0) {
            r = 0;
            break;
        }
        if (ct_park_wait(&q->join_gen, g, &dl, 0) == CT_ETIMEDOUT) {
            r = unfinished(q) ? CT_ETIMEDOUT : 0;
            break;
        }
    }
    atomic_fetch_sub_explicit(&q->n_joinwait, 1, memory_order_seq_cst);
    return r;
}

long ct_queue_unfinished_tasks(const ct_queue *q) {
    if (!q || !q->tracked)
        return CT_EINVAL;
    return (long)unfinished(q);
}

int ct_queue_shutdown(ct_queue *q, bool immediate) {
    if (!q || !q->tracked)
        return CT_EINVAL;
    unsigned char *b = NULL;
    size_t first = 0, n = 0, cap = 0;
    if (q->is_ring) {
        /* The bit first: whoever sees `shut` (is_shutdown, a get that
         * found the ring empty) must find every later put failing. */
        ct__ring_unbias(q); /* every claim a CAS: the bit stays set */
        atomic_fetch_or_explicit(&q->enq, CT__QSHUT, memory_order_seq_cst);
        atomic_store_explicit(&q->shut, true, memory_order_seq_cst);
        if (immediate)
            ct__ring_drain(q); /* calls ct__qdiscarded */
        ct__qlock(&q->mu);
    } else {
        atomic_store_explicit(&q->shut, true, memory_order_seq_cst);
        ct__qlock(&q->mu);
        if (immediate)
            b = ct__store_detach(q, &first, &n, &cap);
    }
    ct__qwake_all_locked(q);
    ct__qunlock(&q->mu);
    if (!q->is_ring && immediate) {
        ct__store_destroy(q, b, first, n, cap);
        ct__qdiscarded(q, (long)n);
    }
    return 0;
}

bool ct_queue_is_shutdown(const ct_queue *q) {
    return q && atomic_load_explicit(&q->shut, memory_order_seq_cst);
}
