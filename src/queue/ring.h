/* The bounded FIFO ring's data paths, inline (internal; see ring.c for
 * the protocol: slots of [seq | item], one CAS per operation or a plain
 * store for a side's owner, parking only when empty or full). Included by ring.c, which has the slow paths,
 * and by queue.c, so that ct_queue_put/get run the fast path with no call
 * in between: one call level less was worth 0.2-0.4 ns per item at 1/1
 * and 2/2 and was level at 4/4 and 8/8 (1,024 slots, 2 vCPUs, two sets
 * of 30 interleaved rounds of 5 reps; medians 7.9/8.2/9.0/9.5 ->
 * 7.6/7.9/8.4/9.3 ns, then 8.1/8.5/8.8/9.3 -> 7.9/8.1/8.9/9.4). */
#ifndef CT_QUEUE_RING_H
#define CT_QUEUE_RING_H

#include "core/rseq.h"
#include "internal.h"

#include <pthread.h>
#include <string.h>

/* Cap on the pauses of backoff() after a lost CAS (measured: ring.c's
 * TRY_SPIN comment). */
enum { BACKOFF_MAX = 64 };
/* put_quick/get_quick: the side must be settled first (ring.c), nothing
 * done (not an error code: those are negative) */
enum { CT__QAGAIN = 1 };

static inline uint64_t slot_index(const ct_queue *q, uint64_t pos) {
    return q->mask != UINT64_MAX ? (pos & q->mask) : (pos % q->cap);
}

/* The slot at index i (of slot_index). */
static inline unsigned char *slot_at(const ct_queue *q, uint64_t i) {
    return q->slots + i * q->stride;
}

/* Whether the slot at `p` is the first to start in its cache line (every
 * slot, for slots longer than a line): the prefetches below ask for each
 * line once. */
static inline bool first_in_line(const ct_queue *q, const unsigned char *p) {
    return (uintptr_t)p % CT__LINE < q->stride;
}

/* See ring.c: a put prefetches the line pf_ahead slots further on while
 * the ring does not run full, a get while it does. */
static inline void prefetch_ahead(const ct_queue *q, uint64_t i) {
    const unsigned char *p = slot_at(q, ct__ring_prefetch_target(q, i));
    if (first_in_line(q, p))
        ct__prefetch_write(p);
}

/* Whether the ring runs full (ring.c's full_seen): which side prefetches
 * the line ahead. Relaxed: a hint. */
static inline bool runs_full(const ct_queue *q) {
    return atomic_load_explicit(&q->full_seen, memory_order_relaxed);
}

static inline _Atomic uint64_t *seqp(unsigned char *s) {
    return (_Atomic uint64_t *)(void *)s;
}

static inline void copy(void *dst, const void *src, size_t n) {
    if (n == sizeof(void *))
        memcpy(dst, src, sizeof(void *)); /* one move for pointer items */
    else
        memcpy(dst, src, n);
}

/* After a lost CAS: pause, twice as long each time (capped), so that
 * the winner keeps the line for a run of operations instead of every
 * contender bouncing it between cores on every attempt. */
static inline void backoff(unsigned *spins) {
    for (unsigned i = 0; i < *spins; i++)
        ct__relax();
    if (*spins < BACKOFF_MAX)
        *spins *= 2;
}

/* The calling thread, as a number no other live thread has: its thread
 * pointer (what pthread_self returns on glibc and musl), read without a
 * call. */
static CT_ALWAYS_INLINE uintptr_t ct__qself(void) {
#if defined(__x86_64__)
    uintptr_t t;
    __asm__("mov %%fs:0, %0" : "=r"(t));
    return t;
#elif defined(__aarch64__)
    return (uintptr_t)__builtin_thread_pointer();
#else
    return (uintptr_t)pthread_self();
#endif
}

/* ThreadSanitizer does not see the loads inside a restartable section
 * (core/rseq.h): after a claim, the slot's seq is read again where it
 * can see it, for the order between the item and its put or get. */
static CT_ALWAYS_INLINE void tsan_acquire(unsigned char *s) {
#if defined(__SANITIZE_THREAD__)
    (void)atomic_load_explicit(seqp(s), memory_order_acquire);
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    (void)atomic_load_explicit(seqp(s), memory_order_acquire);
#endif
#endif
    (void)s;
}

/* A put's fill of the slot `s` (index i) it claimed at `pos`: the item,
 * the prefetch (ring.c's PF_BYTES), and the publish. */
static CT_ALWAYS_INLINE void fill_slot(ct_queue *q, unsigned char *s,
                                       uint64_t i, uint64_t pos,
                                       const void *src, size_t isz) {
    copy(s + 8, src, isz);
    if (q->pf_ahead && !runs_full(q))
        prefetch_ahead(q, i);
    /* release: the item, to the get that sees pos + 1 */
    atomic_store_explicit(seqp(s), pos + 1, memory_order_release);
}

/* The data paths, inlined into ct__ring_put/get and, through
 * put_quick/get_quick below, into queue.c's put_ptr/get_ptr: the call
 * they save (and the registers saved around it) was worth 0.5-1 ns per
 * item at every P/C from 1/1 to 8/8 (gcc -O3, 15 interleaved rounds, 5
 * reps each: medians 8.5/8.8/10.4/10.4 -> 7.9/8.1/9.9/9.4 ns). The slow
 * paths call the out-of-line ct__ring_try_put/get (ring.c). `isz` is
 * q->isz, passed in so that queue.c's pointer entries can make it the
 * constant sizeof(void *): the copy is then one register move.
 *
 * A claim takes one of three forms, by the side's owner word (ring.c's
 * "Owners"): the owner's, a plain store in a restartable section; a
 * shared one while an owner may come back (MULTI), a CAS in such a
 * section; and a plain CAS once the side is shared for good (SHARED).
 * `me` is the caller's thread pointer (ct__qself). */

/* Out of line, in ring.c: a shared claimer at a position of put_try
 * (get_try) tries to take the side. */
CT_HIDDEN CT_COLD void ct__ring_try_own(ct_queue *q, bool get);

/* A put's claim in SHARED mode: a plain CAS. */
static CT_ALWAYS_INLINE int put_plain(ct_queue *q, const void *src,
                                      size_t isz) {
    unsigned spins = 1;
    /* relaxed: a stale position only makes the CAS fail and retry */
    uint64_t pos = atomic_load_explicit(&q->enq, memory_order_relaxed);
    for (;;) {
        if (CT_UNLIKELY(pos & CT__QSHUT))
            return CT_ESHUTDOWN;
        uint64_t i = slot_index(q, pos);
        unsigned char *s = slot_at(q, i);
        /* acquire: the slot's previous get is done with it */
        uint64_t seq = atomic_load_explicit(seqp(s), memory_order_acquire);
        int64_t dif = (int64_t)(seq - pos);
        if (dif == 0) {
            /* seq_cst: the claim is the putter's side of the waiter
             * handshake (ring.c's top comment) */
            if (atomic_compare_exchange_weak_explicit(&q->enq, &pos, pos + 1,
                                                      memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                fill_slot(q, s, i, pos, src, isz);
                return 0;
            }
            backoff(&spins);
        } else if (dif < 0) {
            return CT_EFULL;
        } else {
            pos = atomic_load_explicit(&q->enq, memory_order_relaxed);
        }
    }
}

/* A get's prefetch before it reads the slot `s` (index i). The get reads
 * this line (from the putter's core) and then writes the slot's seq in
 * free_slot: read shared, it must be fetched again exclusive before that
 * store completes, and the next claim's locked instruction waits for it.
 * While the ring runs full, the line ahead is asked for in writable state
 * (ring.c's PF_BYTES); otherwise, for a shared get, this line, at its
 * first slot (first_in_line, as the putters' prefetch), so that it
 * crosses once. That second one: test program, 2/2 / 4/4 / 8/8, builds
 * alternated, each rep labelled by a vCPU-to-vCPU ping-pong: with the
 * vCPUs far apart (round trip ~400-480 ns) 12.5 / 11.9 / 12.8 -> 12.1 /
 * 11.6 / 11.9 ns per item (21-24 reps each); close (75-160 ns) 8.3 / 8.7
 * / 8.6 -> 8.3 / 8.6 / 8.7 (6-9), then 7.23 / 7.67 / 7.51 -> 7.27 / 7.38
 * / 7.34 (36). The owner's get has only the first: with the second there,
 * 1/1 went from 4.9-5.1 to 5.5-6.2 ns. */
static CT_ALWAYS_INLINE void get_prefetch(const ct_queue *q, uint64_t i,
                                          const unsigned char *s, bool owner) {
    if (q->pf_ahead) {
        if (runs_full(q))
            prefetch_ahead(q, i);
        else if (!owner && first_in_line(q, s))
            ct__prefetch_write(s);
    }
}

/* A get's claim of the next item in SHARED mode: true with its slot in
 * *sp (the item at *sp + 8) and its position in *claimed; false while the
 * ring looks empty (the put of that position has not published yet). The
 * caller copies or destroys the item, then hands the slot on with
 * free_slot(). */
static CT_ALWAYS_INLINE bool claim_get(ct_queue *q, unsigned char **sp,
                                       uint64_t *claimed) {
    unsigned spins = 1;
    /* relaxed: a stale position only makes the CAS fail and retry */
    uint64_t pos = atomic_load_explicit(&q->deq, memory_order_relaxed);
    for (;;) {
        uint64_t i = slot_index(q, pos);
        unsigned char *s = slot_at(q, i);
        get_prefetch(q, i, s, false);
        /* acquire: the item published by the put of pos */
        uint64_t seq = atomic_load_explicit(seqp(s), memory_order_acquire);
        int64_t dif = (int64_t)(seq - (pos + 1));
        if (dif == 0) {
            /* seq_cst: the getter's side of the putters' handshake */
            if (atomic_compare_exchange_weak_explicit(&q->deq, &pos, pos + 1,
                                                      memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                *sp = s;
                *claimed = pos;
                return true;
            }
            backoff(&spins);
        } else if (dif < 0) {
            return false;
        } else {
            pos = atomic_load_explicit(&q->deq, memory_order_relaxed);
        }
    }
}

/* The get of `pos` is done with its slot: free for the put of pos + cap. */
static CT_ALWAYS_INLINE void free_slot(const ct_queue *q, unsigned char *s,
                                       uint64_t pos) {
    /* release: to the put that sees pos + cap */
    atomic_store_explicit(seqp(s), pos + q->cap, memory_order_release);
}

static CT_ALWAYS_INLINE int get_plain(ct_queue *q, void *dst, size_t isz) {
    unsigned char *s;
    uint64_t pos;
    if (!claim_get(q, &s, &pos))
        return CT_EEMPTY;
    copy(dst, s + 8, isz);
    free_slot(q, s, pos);
    return 0;
}

#if CT__HAVE_RSEQ
/* The owner's put: no other thread claims positions, so the claim is a
 * plain store, in a restartable section that checks the ownership first
 * (core/rseq.h). 0, CT_EFULL, or CT__QAGAIN: not (or no longer) the
 * owner, or the section was aborted. */
static CT_ALWAYS_INLINE int put_owned(ct_queue *q, const void *src, size_t isz,
                                      uintptr_t me) {
    /* relaxed: only the owner writes enq (the section checks it again) */
    uint64_t pos = atomic_load_explicit(&q->enq, memory_order_relaxed);
    uint64_t i = slot_index(q, pos);
    unsigned char *s = slot_at(q, i);
    /* the seq check is an x86 load: acquire, the slot's previous get is
     * done with it */
    int st = ct__rseq_commit_store(&q->put_owner, me, &q->enq, pos, pos + 1,
                                   seqp(s), pos);
    if (CT_LIKELY(st == CT__RSEQ_DONE)) {
        tsan_acquire(s);
        fill_slot(q, s, i, pos, src, isz);
        return 0;
    }
    return st == CT__RSEQ_CHECK ? CT_EFULL : CT__QAGAIN;
}

/* A put's claim while the side is MULTI: a CAS in a restartable section
 * that checks the owner word first, so that a thread taking the side
 * (ring.c's settle) can stop every claim in flight. 0, CT_EFULL,
 * CT_ESHUTDOWN, or CT__QAGAIN: the side is no longer MULTI. */
static CT_ALWAYS_INLINE int put_multi(ct_queue *q, const void *src,
                                      size_t isz) {
    unsigned spins = 1;
    for (;;) {
        uint64_t pos = atomic_load_explicit(&q->enq, memory_order_relaxed);
        if (CT_UNLIKELY(pos & CT__QSHUT))
            return CT_ESHUTDOWN;
        uint64_t i = slot_index(q, pos);
        unsigned char *s = slot_at(q, i);
        /* a locked CAS: seq_cst, as put_plain's */
        int st = ct__rseq_commit_cas(&q->put_owner, CT__QMULTI, &q->enq, pos,
                                     pos + 1, seqp(s), pos);
        if (CT_LIKELY(st == CT__RSEQ_DONE)) {
            tsan_acquire(s);
            fill_slot(q, s, i, pos, src, isz);
            /* relaxed: a hint, changed only as the side changes hands */
            if (CT_UNLIKELY(!(pos & atomic_load_explicit(
                                        &q->put_try, memory_order_relaxed))))
                ct__ring_try_own(q, false);
            return 0;
        }
        if (st == CT__RSEQ_LOST) {
            backoff(&spins);
        } else if (st == CT__RSEQ_CHECK) {
            uint64_t seq = atomic_load_explicit(seqp(s), memory_order_relaxed);
            if ((int64_t)(seq - pos) < 0)
                return CT_EFULL;
        } else if (st == CT__RSEQ_GUARD) {
            return CT__QAGAIN;
        } /* aborted, or a stale position: again */
    }
}

/* The owner's get: the claim is a plain store, as in put_owned. 0,
 * CT_EEMPTY, or CT__QAGAIN. */
static CT_ALWAYS_INLINE int get_owned(ct_queue *q, void *dst, size_t isz,
                                      uintptr_t me) {
    uint64_t pos = atomic_load_explicit(&q->deq, memory_order_relaxed);
    uint64_t i = slot_index(q, pos);
    unsigned char *s = slot_at(q, i);
    get_prefetch(q, i, s, true);
    /* the seq check: acquire, the item published by the put of pos */
    int st = ct__rseq_commit_store(&q->get_owner, me, &q->deq, pos, pos + 1,
                                   seqp(s), pos + 1);
    if (CT_LIKELY(st == CT__RSEQ_DONE)) {
        tsan_acquire(s);
        copy(dst, s + 8, isz);
        free_slot(q, s, pos);
        return 0;
    }
    return st == CT__RSEQ_CHECK ? CT_EEMPTY : CT__QAGAIN;
}

/* A get's claim while the side is MULTI, as put_multi. 0, CT_EEMPTY, or
 * CT__QAGAIN. */
static CT_ALWAYS_INLINE int get_multi(ct_queue *q, void *dst, size_t isz) {
    unsigned spins = 1;
    for (;;) {
        uint64_t pos = atomic_load_explicit(&q->deq, memory_order_relaxed);
        uint64_t i = slot_index(q, pos);
        unsigned char *s = slot_at(q, i);
        get_prefetch(q, i, s, false);
        int st = ct__rseq_commit_cas(&q->get_owner, CT__QMULTI, &q->deq, pos,
                                     pos + 1, seqp(s), pos + 1);
        if (CT_LIKELY(st == CT__RSEQ_DONE)) {
            tsan_acquire(s);
            copy(dst, s + 8, isz);
            free_slot(q, s, pos);
            if (CT_UNLIKELY(!(pos & atomic_load_explicit(
                                        &q->get_try, memory_order_relaxed))))
                ct__ring_try_own(q, true);
            return 0;
        }
        if (st == CT__RSEQ_LOST) {
            backoff(&spins);
        } else if (st == CT__RSEQ_CHECK) {
            uint64_t seq = atomic_load_explicit(seqp(s), memory_order_relaxed);
            if ((int64_t)(seq - (pos + 1)) < 0)
                return CT_EEMPTY;
        } else if (st == CT__RSEQ_GUARD) {
            return CT__QAGAIN;
        }
    }
}
#endif

/* A put or get as the side stands (see above); CT__QAGAIN when the side
 * needs settling first (no owner yet, another thread's, changing hands)
 * or changed meanwhile. No call on any path but the rare try_own:
 * queue.c's frameless entries run these and leave every other case to
 * the general path. */
static CT_ALWAYS_INLINE int put_quick(ct_queue *q, const void *src,
                                      size_t isz) {
    /* acquire (a plain load on x86): the claims of the side's last
     * owner, published by the store that ended its ownership */
    uintptr_t o = atomic_load_explicit(&q->put_owner, memory_order_acquire);
#if CT__HAVE_RSEQ
    if (CT_LIKELY(o == ct__qself()))
        return put_owned(q, src, isz, o);
    if (CT_LIKELY(o == CT__QMULTI))
        return put_multi(q, src, isz);
#endif
    if (CT_LIKELY(o == CT__QSHARED))
        return put_plain(q, src, isz);
    return CT__QAGAIN;
}

static CT_ALWAYS_INLINE int get_quick(ct_queue *q, void *dst, size_t isz) {
    uintptr_t o = atomic_load_explicit(&q->get_owner, memory_order_acquire);
#if CT__HAVE_RSEQ
    if (CT_LIKELY(o == ct__qself()))
        return get_owned(q, dst, isz, o);
    if (CT_LIKELY(o == CT__QMULTI))
        return get_multi(q, dst, isz);
#endif
    if (CT_LIKELY(o == CT__QSHARED))
        return get_plain(q, dst, isz);
    return CT__QAGAIN;
}

/* Out of line, in ring.c: settle the side (ring.c's settle(): become
 * its owner or end the ownership), then the put or get. */
CT_HIDDEN CT_COLD int ct__ring_put_settle(ct_queue *q, const void *src);
CT_HIDDEN CT_COLD int ct__ring_get_settle(ct_queue *q, void *dst);

/* Put `src` (isz bytes) if there is room: 0, CT_EFULL, CT_ESHUTDOWN. */
static CT_ALWAYS_INLINE int try_put(ct_queue *q, const void *src, size_t isz) {
    int r = put_quick(q, src, isz);
    return CT_LIKELY(r != CT__QAGAIN) ? r : ct__ring_put_settle(q, src);
}

/* Get into `dst` (isz bytes) if an item is there: 0, CT_EEMPTY. */
static CT_ALWAYS_INLINE int try_get(ct_queue *q, void *dst, size_t isz) {
    int r = get_quick(q, dst, isz);
    return CT_LIKELY(r != CT__QAGAIN) ? r : ct__ring_get_settle(q, dst);
}

static inline _Atomic uint32_t *pend_of(ct_queue *q, const ct__qlist *l) {
    return l == &q->getters ? &q->pend_get : &q->pend_put;
}

/* Out of line, in ring.c. Wake the first waiter of `l` (getters or
 * putters), noting that a woken waiter is on its way (pend_get/pend_put),
 * and the caller's CPU in `mine` (its side's put_cpu or get_cpu: ring.c's
 * peer_here). Takes q->mu. Cold: gcc -O3 inlined it into the data paths,
 * whose every call then saved two more registers (0.6 ns per item at
 * 1/1). */
CT_HIDDEN CT_COLD void ct__ring_wake_one(ct_queue *q, ct__qlist *l,
                                         _Atomic uint32_t *n,
                                         _Atomic int *mine);
/* A put found the ring full: CT_EFULL or CT_ESHUTDOWN at once for
 * timeout 0, else spin, maybe yield, park (until `timeout`, seconds,
 * validated by the caller; CT_FOREVER: no limit). */
CT_HIDDEN int ct__ring_put_full(ct_queue *q, const void *src, double timeout);
/* A get found the ring empty: drain after a shutdown (CT_ESHUTDOWN once
 * nothing is left), CT_EEMPTY at once for timeout 0, else wait. */
CT_HIDDEN int ct__ring_get_empty(ct_queue *q, void *dst, double timeout);

/* Wake a waiter of `l` if one is linked and no woken one is still on its
 * way: that one passes the turn on when it runs (see the `woken` exits of
 * ring.c's put_slow/get_slow), so a burst of puts makes one wake-up call,
 * not one each, and the producers are not slowed down by the consumers'
 * wake-ups. */
static inline void wake_if_waiting(ct_queue *q, ct__qlist *l,
                                   _Atomic uint32_t *n, _Atomic int *mine) {
    if (atomic_load_explicit(n, memory_order_seq_cst) &&
        !atomic_load_explicit(pend_of(q, l), memory_order_seq_cst))
        ct__ring_wake_one(q, l, n, mine);
}

/* A put wakes a parked getter only while no getter polls: a polling
 * getter will take the item, or, as it stops polling (with an item or
 * without: polls used up, shutdown), wake a parked getter for what is left
 * (see ring.c's get_slow). So a consumer that shares a core with the
 * producers stays asleep while one on the other core keeps up, instead of
 * being woken to take the core from them (2/2 on 2 vCPUs with both
 * producers and one consumer on one core: 12.6 ns per item against 8; 35
 * interleaved rounds, reps over 12 ns at 2/2 / 4/4 / 8/8: 17 / 7 / 13 % ->
 * 8 / 4 / 5 %). The handshake is the one of ring.c's top comment: the
 * put's claim CAS and a poller's decrement of n_getspin are seq_cst RMWs,
 * each followed by a seq_cst load of the other side's word (n_getspin; enq
 * and deq). */
static inline void after_put(ct_queue *q) {
    if (!atomic_load_explicit(&q->n_getspin, memory_order_seq_cst))
        wake_if_waiting(q, &q->getters, &q->n_getwait, &q->put_cpu);
}

static inline void after_get(ct_queue *q) {
    wake_if_waiting(q, &q->putters, &q->n_putwait, &q->get_cpu);
}

/* Put `src` (isz bytes): 0, CT_EFULL (timeout 0 or timed out),
 * CT_ESHUTDOWN. */
static CT_ALWAYS_INLINE int ct__ring_put(ct_queue *q, const void *src,
                                         double timeout) {
    int r = try_put(q, src, q->isz);
    if (CT_LIKELY(r == 0)) {
        after_put(q);
        return 0;
    }
    if (r != CT_EFULL)
        return r;
    return ct__ring_put_full(q, src, timeout);
}

/* Get into `dst` (isz bytes): 0, CT_EEMPTY, CT_ESHUTDOWN. */
static CT_ALWAYS_INLINE int ct__ring_get(ct_queue *q, void *dst,
                                         double timeout) {
    int r = try_get(q, dst, q->isz);
    if (CT_LIKELY(r == 0)) {
        after_get(q);
        return 0;
    }
    return ct__ring_get_empty(q, dst, timeout);
}

#endif
