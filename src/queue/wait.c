/* Waiting in a queue: the internal lock and the FIFO lists of waiters.
 *
 * Internal lock `mu` (a three-state futex word):
 *     0 free --lock--> 1 held --contended lock--> 2 held, maybe sleepers
 *     unlock: exchange to 0; wake one sleeper only if it was 2.
 *
 * A waiter is a node on the waiting thread's stack, linked into
 * q->getters or q->putters under `mu`; its own `state` word is where it
 * parks, so a wake-up targets exactly one thread (no herd) and the list
 * gives the FIFO order:
 *
 *     WAITING --(waiter, before sleeping)--> SLEEPING
 *        \                                      |
 *         `--(waker, under mu: unlink)--> WOKEN <'
 *
 * The waker unlinks the node and stores WOKEN while it holds `mu`, and
 * after that touches only the word's address (the futex wake), because
 * the node's thread may return and reuse its stack as soon as it sees
 * WOKEN. A waiter that timed out takes `mu` to unlink itself; finding the
 * node already unlinked tells it a wake-up was spent on it.
 * The futex wake is made only when the waiter had announced SLEEPING.
 */
#include "internal.h"

/* Pauses a waiter spins on its word before sleeping (~1-2 us): a
 * hand-off inside this window costs no system call on either side. */
enum { WAIT_SPIN = 30, LOCK_SPIN = 20 };

void ct__qlock(_Atomic uint32_t *l) {
    uint32_t c = 0;
    if (CT_LIKELY(atomic_compare_exchange_strong_explicit(
            l, &c, 1, memory_order_acquire, memory_order_relaxed)))
        return;
    for (int i = 0; i < LOCK_SPIN; i++) {
        ct__relax();
        c = 0;
        /* relaxed pre-check: only a hint before the CAS */
        if (atomic_load_explicit(l, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(
                l, &c, 1, memory_order_acquire, memory_order_relaxed))
            return;
    }
    while (atomic_exchange_explicit(l, 2, memory_order_acquire) != 0)
        ct_park_wait(l, 2, NULL, CT_PARK_NOSPIN);
}

void ct__qunlock(_Atomic uint32_t *l) {
    if (atomic_exchange_explicit(l, 0, memory_order_release) == 2)
        ct_park_wake(l, 1, CT_PARK_PRIVATE);
}

void ct__qlist_add(ct__qlist *l, ct__qwaiter *w, bool front) {
    w->linked = true;
    /* relaxed: the node is private to its thread until mu is released */
    atomic_store_explicit(&w->state, CT__QW_WAITING, memory_order_relaxed);
    if (front) {
        w->prev = NULL;
        w->next = l->head;
        if (l->head)
            l->head->prev = w;
        else
            l->tail = w;
        l->head = w;
    } else {
        w->next = NULL;
        w->prev = l->tail;
        if (l->tail)
            l->tail->next = w;
        else
            l->head = w;
        l->tail = w;
    }
}

void ct__qlist_remove(ct__qlist *l, ct__qwaiter *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        l->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        l->tail = w->prev;
    w->prev = w->next = NULL;
    w->linked = false;
}

_Atomic uint32_t *ct__qlist_wake_head(ct__qlist *l, _Atomic uint32_t *n) {
    ct__qwaiter *w = l->head;
    if (!w)
        return NULL;
    ct__qlist_remove(l, w);
    /* seq_cst: the counters are the lock-free side of the ring's
     * "claim, then look for waiters" handshake (see ring.c). */
    atomic_fetch_sub_explicit(n, 1, memory_order_seq_cst);
    /* release: the waiter's acquire load of WOKEN sees the unlink. */
    uint32_t prev =
        atomic_exchange_explicit(&w->state, CT__QW_WOKEN, memory_order_acq_rel);
    return prev == CT__QW_SLEEPING ? &w->state : NULL;
}

void ct__qwake_addr(_Atomic uint32_t *state) {
    if (state)
        ct_park_wake(state, 1, CT_PARK_PRIVATE);
}

void ct__qwake_all_locked(ct_queue *q) {
    ct__qlist *lists[2] = {&q->getters, &q->putters};
    _Atomic uint32_t *counts[2] = {&q->n_getwait, &q->n_putwait};
    for (int i = 0; i < 2; i++) {
        _Atomic uint32_t *a;
        while (lists[i]->head) {
            /* Waking under mu is fine here (shutdown is rare): the node
             * may be gone once WOKEN is stored, only its address is used. */
            a = ct__qlist_wake_head(lists[i], counts[i]);
            ct__qwake_addr(a);
        }
    }
}

int ct__qwait(ct__qwaiter *w, const ct_deadline *dl) {
    for (int i = 0; i < WAIT_SPIN; i++) {
        if (atomic_load_explicit(&w->state, memory_order_acquire) ==
            CT__QW_WOKEN)
            return 0;
        ct__relax();
    }
    uint32_t s = CT__QW_WAITING;
    if (!atomic_compare_exchange_strong_explicit(&w->state, &s, CT__QW_SLEEPING,
                                                 memory_order_acquire,
                                                 memory_order_acquire))
        return 0; /* already WOKEN */
    for (;;) {
        int r = ct_park_wait(&w->state, CT__QW_SLEEPING, dl, CT_PARK_NOSPIN);
        if (atomic_load_explicit(&w->state, memory_order_acquire) ==
            CT__QW_WOKEN)
            return 0;
        if (r == CT_ETIMEDOUT)
            return CT_ETIMEDOUT;
    }
}
