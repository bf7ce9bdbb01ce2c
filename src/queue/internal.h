/* src/queue/internal.h - what the queue layer shares with itself.
 *
 * A queue has one of three storage back-ends:
 *   ring   (bounded CT_QUEUE_FIFO): a lock-free Vyukov ring, ring.c (data paths
 *          inline in ring.h);
 *   simple (CT_QUEUE_SIMPLE): lock-free put into a list of segments,
 *          simple.c;
 *   store  (every other queue): one array under `mu`, store.c.
 * Ring and store share the waiting machinery of wait.c: FIFO lists of
 * waiter nodes living on the waiting threads' stacks, guarded by `mu`.
 */
#ifndef CT_QUEUE_INTERNAL_H
#define CT_QUEUE_INTERNAL_H

#include "core/internal.h"
#include "cthreading/queue.h"

/* Bit 63 of the ring's enqueue position: set once by shutdown, so that a
 * put's CAS fails from that instant on (the put's linearisation point). */
#define CT__QSHUT (UINT64_C(1) << 63)
/* put_owner/get_owner values that are not a thread (ring.c's
 * "Owners"): every thread claims with a CAS inside a restartable section
 * (an owner may come back); the side is changing hands; every thread
 * claims with a plain CAS, for good (no rseq, or after shutdown). */
#define CT__QMULTI ((uintptr_t)1)
#define CT__QREVOKING ((uintptr_t)2)
#define CT__QSHARED ((uintptr_t)3)

/* A thread waiting in put or get; lives on its stack. */
typedef struct ct__qwaiter {
    struct ct__qwaiter *prev, *next;
    _Atomic uint32_t state; /* WAITING -> SLEEPING -> WOKEN, see wait.c */
    bool linked;            /* on a list; under mu */
} ct__qwaiter;

typedef struct ct__qlist {
    ct__qwaiter *head, *tail;
} ct__qlist;

enum { CT__QW_WAITING = 0, CT__QW_SLEEPING = 1, CT__QW_WOKEN = 2 };

struct ct_queue {
    /* Read-only after creation. */
    ct_queue_kind kind;
    long maxsize;  /* 0: unbounded */
    size_t isz;    /* bytes per item (sizeof(void *) for pointers) */
    size_t stride; /* bytes per slot/entry */
    bool by_value; /* created with item_size > 0 */
    bool is_ring;  /* bounded FIFO: lock-free ring back-end */
    bool ptr_ring; /* is_ring and not by_value: queue.c's fast entries */
    bool tracked;  /* task_done/join/shutdown supported */
    int (*compare)(const void *, const void *);
    void (*destructor)(void *);
    unsigned char *slots; /* ring: cap slots of [seq | item], line-aligned
                             (ct__calloc_lines) */
    uint64_t cap, mask;   /* ring size; mask when it is a power of 2 */
    uint64_t pf_ahead;    /* ring: a put (a get while the ring runs full)
                             prefetches this many slots ahead (0: never);
                             see ring.c */
    /* Each group below starts a cache line of its own (the queue is
     * allocated line-aligned): the threads that write one group do not
     * take the lines of the others from their readers. */
    _Alignas(CT__LINE) _Atomic uint64_t enq; /* ring: next position to put
                                                (+ CT__QSHUT) */
    /* ring: the thread that owns the putters' side (0: none yet, or
     * CT__QMULTI, CT__QREVOKING, CT__QSHARED), the position where the
     * side last changed hands, and the mask of the positions whose
     * shared claimer tries to take the side (ring.c's "Owners") */
    _Atomic uintptr_t put_owner;
    _Atomic uint64_t put_since, put_try;
    _Alignas(CT__LINE) _Atomic uint64_t deq; /* ring: next position to get */
    _Atomic uintptr_t get_owner;             /* the same for the getters */
    _Atomic uint64_t get_since, get_try;
    /* Read on every ring operation (n_getspin: by puts while getters
     * wait), written only when threads wait (and n_getspin when a getter
     * polls an empty ring). */
    /* (_Alignas applies to each declarator: one per declaration) */
    _Alignas(CT__LINE) _Atomic uint32_t n_getwait;
    _Atomic uint32_t n_getspin; /* ring getters polling in get_slow */
    _Atomic uint32_t n_putwait;
    _Atomic bool shut;
    _Atomic bool full_seen; /* ring: a putter found it full since a getter
                               last found it empty (ring.c's prefetch) */
    /* Task tracking: unfinished = puts - done. A ring counts its puts in
     * enq (no extra write per put); the store counts them in `puts`. */
    _Alignas(CT__LINE) _Atomic int64_t done; /* task_done calls + items
                                                discarded */
    _Atomic int64_t puts;                    /* store only; under mu */
    _Atomic uint32_t n_joinwait, join_gen;   /* join parks on join_gen */
    _Alignas(CT__LINE) _Atomic uint32_t mu;  /* internal lock: waiter lists,
                                               store */
    /* ring putters' slow path: who last put there, and whether a second
     * thread ever did (ring.c's several_putters) */
    _Atomic uintptr_t last_putter;
    _Atomic bool several_putters;
    /* ring: the CPU a putter / getter last ran on in its slow path or as
     * it woke a waiter (-1: not yet; ring.c's peer_here) */
    _Atomic int put_cpu, get_cpu;
    ct__qlist getters, putters;
    /* store back-end, under mu (count is also read lock-free) */
    unsigned char *buf;
    size_t bcap, head;
    _Atomic size_t count;
    uint64_t seq; /* priority: insertion number for stability */
    /* SimpleQueue (simple.c): a lock-free list of segments. */
    struct ct__sseg *s_head;     /* consumers, under mu */
    uint32_t s_head_idx;         /* next slot of s_head, under mu */
    struct ct__sseg *s_limbo[2]; /* retired, by epoch parity; under mu */
    _Alignas(CT__LINE) _Atomic(struct ct__sseg *) s_tail; /* producers
                                                             append here */
    _Atomic(struct ct__sseg *) s_spare; /* one recycled segment */
    _Atomic uint32_t s_epoch;           /* reclamation epoch */
    _Atomic uint32_t s_active[2];       /* producers inside, by parity */
    _Atomic uint32_t s_ev;              /* getters park here */
    /* Ring getters: should one yield before parking, or wait for a run
     * of items before polling? (ring.c) */
    _Alignas(CT__LINE) _Atomic int32_t get_yield_score;
    _Atomic uint32_t get_yield_probe;
    _Atomic int32_t get_run_score;
    _Atomic uint32_t get_run_probe;
    _Atomic int32_t here_yield_score; /* the same, to a putter on the
                                         getter's CPU */
    _Atomic uint32_t here_yield_probe;
    /* Ring: a woken getter/putter has not resumed yet (ring.c) */
    _Atomic uint32_t pend_get, pend_put;
};

/* Internal lock (three-state futex lock). */
CT_HIDDEN void ct__qlock(_Atomic uint32_t *l);
CT_HIDDEN void ct__qunlock(_Atomic uint32_t *l);

/* Waiter lists (caller holds mu). */
CT_HIDDEN void ct__qlist_add(ct__qlist *l, ct__qwaiter *w, bool front);
CT_HIDDEN void ct__qlist_remove(ct__qlist *l, ct__qwaiter *w);
/* Pop the head, mark it woken; returns it (or NULL). Caller holds mu and
 * must call ct__qwake_addr() on the result after unlocking. */
CT_HIDDEN _Atomic uint32_t *ct__qlist_wake_head(ct__qlist *l,
                                                _Atomic uint32_t *n);
CT_HIDDEN void ct__qwake_addr(_Atomic uint32_t *state);
/* Wake every waiter of both lists (caller holds mu). */
CT_HIDDEN void ct__qwake_all_locked(ct_queue *q);
/* Park until `w` is woken (0) or `dl` passes (CT_ETIMEDOUT). */
CT_HIDDEN int ct__qwait(ct__qwaiter *w, const ct_deadline *dl);

/* Ring back-end (ring.c; its data paths and ct__ring_put/get: ring.h). */
CT_HIDDEN int ct__ring_try_put(ct_queue *q, const void *src);
CT_HIDDEN int ct__ring_try_get(ct_queue *q, void *dst);
CT_HIDDEN long ct__ring_size(const ct_queue *q);
CT_HIDDEN void ct__ring_drain(ct_queue *q);
/* The sides of a new ring: free to be owned where the process can use
 * the fences (core/rseq.h), else SHARED (ring.c's "Owners"). */
CT_HIDDEN void ct__ring_init_sides(ct_queue *q);
/* ring.c's OWN_EARLY and TRY_MIN as used (tests lower them), and the
 * number of fenced changes of a side's hands so far (for tests). */
extern int ct__ring_try_min CT_HIDDEN;
extern long ct__ring_own_early CT_HIDDEN;
extern _Atomic long ct__ring_changes CT_HIDDEN;
/* End both sides' ownership (ring.c's "Owners"): every claim is a plain
 * CAS from then on. Shutdown calls it before it sets its bit. */
CT_HIDDEN void ct__ring_unbias(ct_queue *q);
/* How many slots ahead a put (or a get) of this ring prefetches (0:
 * never), from its stride and cap and the CPU; called once, at creation. */
CT_HIDDEN uint64_t ct__ring_prefetch_ahead(const ct_queue *q);
/* The slot index a put (or get) at slot index i prefetches: pf_ahead further
 * on, wrapped (pf_ahead <= cap / 4). A prefetch never faults, so a wrong
 * index would go unseen: test_queue_stress checks this one. */
static inline uint64_t ct__ring_prefetch_target(const ct_queue *q, uint64_t i) {
    uint64_t j = i + q->pf_ahead;
    return j >= q->cap ? j - q->cap : j;
}

/* Store back-end (store.c). */
CT_HIDDEN int ct__store_init(ct_queue *q);
CT_HIDDEN int ct__store_put(ct_queue *q, const void *src, double timeout);
CT_HIDDEN int ct__store_get(ct_queue *q, void *dst, double timeout);
CT_HIDDEN unsigned char *ct__store_detach(ct_queue *q, size_t *first, size_t *n,
                                          size_t *cap);
CT_HIDDEN void ct__store_destroy(ct_queue *q, unsigned char *b, size_t first,
                                 size_t n, size_t cap);

/* SimpleQueue back-end (simple.c). */
CT_HIDDEN int ct__simple_init(ct_queue *q);
CT_HIDDEN int ct__simple_put(ct_queue *q, const void *src);
CT_HIDDEN int ct__simple_get(ct_queue *q, void *dst, double timeout);
CT_HIDDEN void ct__simple_free(ct_queue *q);

/* Shared by both back-ends (queue.c). */
CT_HIDDEN void ct__qdestroy_item(ct_queue *q, void *stored);
CT_HIDDEN void ct__qdiscarded(ct_queue *q, long n); /* immediate shutdown */
CT_HIDDEN int ct__qdeadline(ct_deadline *dl, double timeout);

#endif
